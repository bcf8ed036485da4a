package bundle

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The package's values are encoded by appending to reused buffers, without reflection or an
// allocation per value: an export of 100,000 messages writes some 40 MB of CSV and JSON. The
// bytes are the ones encoding/json and encoding/csv write for the same values (see
// encode_test.go); any type not handled here goes through them.

// jsonPlain holds true for the ASCII bytes a JSON string holds as they are. encoding/json
// escapes the others: control characters, the quote and the backslash, and <, > and & so
// that the document is safe to embed in HTML.
var jsonPlain = func() (t [utf8.RuneSelf]bool) {
	for b := range t {
		t[b] = b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as encoding/json escapes it:
// \n, \r, \t, \b and \f by name, other control characters and <, > and & as \u00XX,
// U+2028 and U+2029 as \u2028 and \u2029 (JavaScript reads them as line ends), and each
// byte that is not part of valid UTF-8 replaced by \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	done := 0 // s[done:i] is still to be copied as it is
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonPlain[c] {
				i++
				continue
			}
			dst = append(dst, s[done:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			done = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[done:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[done:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		done = i
	}
	dst = append(dst, s[done:]...)
	return append(dst, '"')
}

// csvSpecial holds true for the bytes that make encoding/csv quote a field.
var csvSpecial = [256]bool{',': true, '"': true, '\r': true, '\n': true}

// appendCSVField appends s as a field of a comma-separated record, as encoding/csv writes
// it (with \n line ends): quoted when it holds a comma, a quote, \r or \n, starts with a
// space, or is \. alone; quotes inside doubled, everything else as it is.
func appendCSVField(dst []byte, s string) []byte {
	if !csvNeedsQuotes(s) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, '"')
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, '"')
}

func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		if csvSpecial[s[i]] {
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// appendTime appends t in UTC as RFC 3339 with as many fraction digits as it needs, the
// form of every time in the package. Its bytes need neither JSON escaping nor CSV quoting.
func appendTime(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, time.RFC3339Nano)
}

// appendValue appends v to a data.json object (js, after its key) and to a CSV record (cs).
// The types connectors send are encoded here; any other goes through csvValue and
// encoding/json, whose error it returns.
func appendValue(js, cs []byte, v any) ([]byte, []byte, error) {
	switch x := v.(type) {
	case nil:
		return append(js, "null"...), cs, nil
	case string:
		return appendJSONString(js, x), appendCSVField(cs, x), nil
	case int64:
		return strconv.AppendInt(js, x, 10), strconv.AppendInt(cs, x, 10), nil
	case int:
		return strconv.AppendInt(js, int64(x), 10), strconv.AppendInt(cs, int64(x), 10), nil
	case bool:
		return strconv.AppendBool(js, x), strconv.AppendBool(cs, x), nil
	case time.Time:
		return appendTimeTo(js, cs, x)
	case *time.Time:
		if x == nil {
			return append(js, "null"...), cs, nil
		}
		return appendTimeTo(js, cs, *x)
	case []byte:
		s := string(x)
		return appendJSONString(js, s), appendCSVField(cs, s), nil
	}
	b, err := json.Marshal(jsonValue(v))
	if err != nil {
		return js, cs, err
	}
	return append(js, b...), appendCSVField(cs, csvValue(v)), nil
}

// appendTimeTo formats t once, into the CSV record, and copies it into data.json as a string.
func appendTimeTo(js, cs []byte, t time.Time) ([]byte, []byte, error) {
	start := len(cs)
	cs = appendTime(cs, t)
	js = append(js, '"')
	js = append(js, cs[start:]...)
	return append(js, '"'), cs, nil
}
