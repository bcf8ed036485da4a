package classify

import (
	"math/rand/v2"
	"regexp/syntax"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

// guarded are the regexps behind a word guard.
var guarded = map[string]*guardedRe{
	"bounceSubjectRe": bounceSubjectRe,
	"autoSubjectRe":   autoSubjectRe,
	"fwdMarkerRe":     fwdMarkerRe,
}

// TestGuardFolding checks what the guard words rely on: under (?i) an ASCII letter other
// than k and s matches nothing but itself in either case.
func TestGuardFolding(t *testing.T) {
	t.Parallel()
	for c := 'a'; c <= 'z'; c++ {
		if c == 'k' || c == 's' {
			continue
		}
		for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
			require.Equal(t, unicode.ToUpper(c), f, "fold orbit of %q", c)
		}
	}
}

// TestGuardWords generates matches of each guarded regexp, with random case and the
// non-ASCII case variants, and checks that the guard lets each through.
func TestGuardWords(t *testing.T) {
	t.Parallel()
	for name, g := range guarded {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			re, err := syntax.Parse(g.re.String(), syntax.Perl)
			require.NoError(t, err)
			r := rand.New(rand.NewPCG(1, 2))
			matched := 0
			for range 20000 {
				var b strings.Builder
				b.WriteString("Xy \n")
				genMatch(r, re, &b)
				b.WriteString("\n zZ")
				s := b.String()
				if !g.re.MatchString(s) {
					continue
				}
				matched++
				require.True(t, g.mayMatch(s), "%q matches but the guard says no", s)
				require.Equal(t, g.re.FindAllStringIndex(s, -1), g.FindAllStringIndex(s, -1))
			}
			require.Greater(t, matched, 10000, "generated texts that match")
		})
	}
}

// lowerASCII returns s with its ASCII letters in lower case and the other bytes as they are.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

func FuzzGuards(f *testing.F) {
	f.Add("Undeliverable: Out of Office")
	f.Add("---- Forwarded message ----\nWeitergeleitete Nachricht:")
	f.Fuzz(func(t *testing.T, s string) {
		for name, g := range guarded {
			contains := false
			for _, w := range g.words {
				contains = contains || strings.Contains(lowerASCII(s), w)
			}
			require.Equal(t, contains, g.mayMatch(s), name)
			require.Equal(t, g.re.MatchString(s), g.MatchString(s), name)
			require.Equal(t, g.re.FindAllStringIndex(s, 5), g.FindAllStringIndex(s, 5), name)
		}
	})
}

// genMatch writes a random text that re matches (anchors and word boundaries aside).
func genMatch(r *rand.Rand, re *syntax.Regexp, b *strings.Builder) {
	repeat := func(n int) {
		for range n {
			genMatch(r, re.Sub[0], b)
		}
	}
	switch re.Op {
	case syntax.OpLiteral:
		for _, c := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				orbit := []rune{c}
				for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
					orbit = append(orbit, f)
				}
				c = orbit[r.IntN(len(orbit))]
			}
			b.WriteRune(c)
		}
	case syntax.OpCharClass:
		k := r.IntN(len(re.Rune) / 2)
		lo, hi := re.Rune[2*k], re.Rune[2*k+1]
		hi = min(hi, lo+200)
		b.WriteRune(lo + rune(r.IntN(int(hi-lo)+1)))
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		b.WriteRune([]rune("aZ ſ\u212aé.")[r.IntN(7)])
	case syntax.OpCapture:
		genMatch(r, re.Sub[0], b)
	case syntax.OpStar:
		repeat(r.IntN(3))
	case syntax.OpPlus:
		repeat(1 + r.IntN(3))
	case syntax.OpQuest:
		repeat(r.IntN(2))
	case syntax.OpRepeat:
		hi := re.Max
		if hi < 0 || hi > re.Min+3 {
			hi = re.Min + 3
		}
		repeat(re.Min + r.IntN(hi-re.Min+1))
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			genMatch(r, sub, b)
		}
	case syntax.OpAlternate:
		genMatch(r, re.Sub[r.IntN(len(re.Sub))], b)
	}
}
