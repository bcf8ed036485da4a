package auth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/trustelem/zxcvbn"
)

// TestBreachedListCatchesWhatStrengthMisses finds the passwords of the shipped list that
// the strength estimator alone would let through and checks that each is refused.
func TestBreachedListCatchesWhatStrengthMisses(t *testing.T) {
	t.Parallel()
	n, err := BreachedCount()
	require.NoError(t, err)
	require.Equal(t, 12425, n)

	zr, err := gzip.NewReader(bytes.NewReader(breachedList))
	require.NoError(t, err)
	var strongButBreached []string
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		p := sc.Text()
		if len([]rune(p)) >= MinPasswordLength && len(p) <= MaxPasswordBytes && zxcvbn.PasswordStrength(p, nil).Score >= MinPasswordScore {
			strongButBreached = append(strongButBreached, p)
		}
	}
	require.NoError(t, sc.Err())
	t.Logf("%d of %d listed passwords rate %d or more for strength alone", len(strongButBreached), n, MinPasswordScore)
	require.NotEmpty(t, strongButBreached)
	for _, p := range strongButBreached {
		err := ValidatePassword(p)
		require.ErrorIs(t, err, ErrInvalid, p)
		require.Contains(t, err.Error(), "seen in breaches", p)
	}

	// Typed with capitals, a listed lower-case password is refused too.
	for _, p := range strongButBreached {
		if p == strings.ToLower(p) && strings.ToUpper(p) != p {
			seen, err := Breached(strings.ToUpper(p[:1]) + p[1:])
			require.NoError(t, err)
			require.True(t, seen, p)
			break
		}
	}
	seen, err := Breached("correct horse battery staple")
	require.NoError(t, err)
	require.False(t, seen)
	require.NoError(t, ValidatePassword("correct horse battery staple"))
}
