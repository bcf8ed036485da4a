package classify

import (
	"strings"
	"unicode/utf8"
)

// cp1252High maps the bytes 0x80..0x9F of windows-1252 to runes; zero entries are the five
// bytes that windows-1252 leaves undefined, which decode as in ISO-8859-1.
var cp1252High = [32]rune{
	'€', 0, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0, 'Ž', 0,
	0, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0, 'ž', 'Ÿ',
}

// toUTF8 returns b as valid UTF-8. Text that already is UTF-8 is kept; anything else is
// read as windows-1252, the usual truth behind undeclared or mislabelled 8-bit mail (it is
// a superset of the printable ISO-8859-1).
func toUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/4)
	for _, c := range b {
		switch {
		case c < 0x80:
			sb.WriteByte(c)
		case c < 0xA0 && cp1252High[c-0x80] != 0:
			sb.WriteRune(cp1252High[c-0x80])
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// cleanText makes s valid UTF-8 and drops NUL and other C0 controls except tab and newlines.
func cleanText(s string) string {
	s = toUTF8([]byte(s))
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return -1
		}
		return r
	}, s)
}
