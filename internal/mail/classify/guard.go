package classify

import (
	"regexp"
	"strings"
)

// A guardedRe is a regexp searched only in texts that hold one of its words: every match
// contains one of them, so a text without any cannot match, and a substring search is
// much cheaper than a failed regexp search.
type guardedRe struct {
	re *regexp.Regexp
	// words are lower-case ASCII and are found in the text without regard to ASCII case.
	// They hold no 'k' or 's': under (?i) those also match the non-ASCII K (Kelvin sign) and
	// ſ (long s), which a byte search would miss.
	words []string
	// byFirst lists the words by their first byte.
	byFirst [256][]string
}

// guard puts re behind words, which every match of re must contain (see guardedRe); a
// bad word is a programming error and panics at start.
func guard(re *regexp.Regexp, words ...string) *guardedRe {
	for _, w := range words {
		if w == "" || strings.ContainsAny(w, "ks") || !isLowerASCII(w) {
			panic("inbox: bad guard word " + w)
		}
	}
	g := &guardedRe{re: re, words: words}
	for _, w := range words {
		g.byFirst[w[0]] = append(g.byFirst[w[0]], w)
	}
	return g
}

// mayMatch says whether s holds one of g's words, ASCII case aside.
func (g *guardedRe) mayMatch(s string) bool {
	for i := 0; i < len(s); i++ {
		for _, w := range g.byFirst[lowerByte(s[i])] {
			if hasLowerPrefix(s[i:], w) {
				return true
			}
		}
	}
	return false
}

// hasLowerPrefix says whether s starts with w once its ASCII letters are lower-cased.
func hasLowerPrefix(s, w string) bool {
	if len(s) < len(w) {
		return false
	}
	for j := 0; j < len(w); j++ {
		if lowerByte(s[j]) != w[j] {
			return false
		}
	}
	return true
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// MatchString is re.MatchString.
func (g *guardedRe) MatchString(s string) bool {
	return g.mayMatch(s) && g.re.MatchString(s)
}

// FindAllStringIndex is re.FindAllStringIndex.
func (g *guardedRe) FindAllStringIndex(s string, n int) [][]int {
	if !g.mayMatch(s) {
		return nil
	}
	return g.re.FindAllStringIndex(s, n)
}
