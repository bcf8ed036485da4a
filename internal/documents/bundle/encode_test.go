package bundle

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// trickyStrings are strings whose encodings differ from the bytes themselves: control
// characters, quotes, HTML, separators JavaScript reads as line ends, invalid and truncated
// UTF-8, and what makes a CSV field quoted.
var trickyStrings = []string{
	"", "plain", " ", "\t", "\u00a0nbsp first", "\u3000ideographic space first", `\.`, `\.x`, `\`, `"`, `""`, `a"b`,
	"a,b", ",", "\n", "\r", "\r\n", "line\nbreak", "cr\rin", "ends with space ",
	"\x00\x01\x02\x07\x08\x09\x0a\x0b\x0c\x0d\x1b\x1f\x20\x7f",
	"<script>alert('x') & \"y\"</script>", "a&b", "<>",
	"\u2028", "\u2029", "x\u2028y\u2029z", "\u2027\u202a", "\u0085 next line", "\ufeffBOM",
	"Zoë «Ünal» 日本語 🙂", "\U0010ffff", "\ufffd", "e\u0301",
	"\xff", "\xfe\xff", "\xc3", "\xc3(", "\xe2\x80", "\xe2\x80\xa8", "\xe2\x82", "\xf0\x9f\x99", "a\xf0\x9f\x99b",
	"\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xc0\x80", "\xc1\xbf", "\xe0\x80\xaf", "\x80", "\xbf\xbf",
	strings.Repeat("ü,\"x\"\n", 100), strings.Repeat("a", 70000),
}

// randomString draws a string from pieces that each need care, and arbitrary bytes.
func randomString(r *rand.Rand) string {
	pieces := []string{"a", "Z", "0", " ", "\t", "\n", "\r", ",", `"`, `\`, "<", ">", "&", "\x00", "\x1f", "\x7f",
		"é", "日", "🙂", "\u2028", "\u2029", "\ufffd", "\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\u00a0"}
	var b strings.Builder
	for range r.IntN(24) {
		if r.IntN(5) == 0 {
			b.WriteByte(byte(r.IntN(256)))
			continue
		}
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// corpus is trickyStrings and a few thousand random strings, the same on every run.
func corpus() []string {
	r := rand.New(rand.NewPCG(1, 2))
	out := append([]string(nil), trickyStrings...)
	for range 5000 {
		out = append(out, randomString(r))
	}
	return out
}

// wantJSON is what encoding/json writes for v.
func wantJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// wantCSV is the line encoding/csv writes for record.
func wantCSV(t *testing.T, record []string) string {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	require.NoError(t, w.Write(record))
	w.Flush()
	require.NoError(t, w.Error())
	return b.String()
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range corpus() {
		got := appendJSONString([]byte("prefix"), s)
		require.Equal(t, "prefix"+wantJSON(t, s), string(got), "%q", s)
		require.True(t, json.Valid(got[len("prefix"):]), "%q", s)
		var back string
		require.NoError(t, json.Unmarshal(got[len("prefix"):], &back))
		require.Equal(t, stringsByRune(s), back, "%q reads back with each invalid byte as U+FFFD", s)
	}
}

// stringsByRune replaces each byte of s that is not valid UTF-8 by U+FFFD, one for each
// byte as encoding/json does (strings.ToValidUTF8 replaces a run by one).
func stringsByRune(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += size
	}
	return b.String()
}

func TestAppendCSVFieldMatchesEncodingCSV(t *testing.T) {
	t.Parallel()
	all := corpus()
	for i, s := range all {
		record := []string{s, all[(i+1)%len(all)], "", s}
		var got []byte
		for j, f := range record {
			if j > 0 {
				got = append(got, ',')
			}
			got = appendCSVField(got, f)
		}
		got = append(got, '\n')
		require.Equal(t, wantCSV(t, record), string(got), "%q", record)
	}
}

func TestAppendValueMatchesEncoders(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	at := time.Date(2026, 3, 1, 23, 30, 15, 123456789, paris)
	str := "pointed \"at\"\n"
	n := int64(-42)
	var nilTime *time.Time
	var nilStr *string
	values := []any{
		nil, "", "a,b", "Zoë\u2028\xff", []byte("bytes, \"quoted\""), []byte(nil),
		int64(0), int64(math.MaxInt64), int64(math.MinInt64), int64(-9007199254740993), 0, -7, math.MaxInt,
		true, false,
		at, at.UTC(), time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2025, 12, 31, 23, 59, 59, 999000000, paris),
		time.Time{}, time.Date(12345, 6, 7, 8, 9, 10, 11, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 29, 2, 30, 0, 1, time.FixedZone("odd", 5*3600+45*60)),
		&at, nilTime, &str, nilStr, &n, []string{"vip", "eu, fr"}, []string{},
		1.5, float32(0.25), int32(-3), uint8(200), map[string]int{"k": 1},
	}
	for _, s := range trickyStrings {
		values = append(values, s)
	}
	for _, v := range values {
		js, cs, err := appendValue([]byte("{"), []byte("x,"), v)
		require.NoError(t, err, "%#v", v)
		require.Equal(t, "{"+wantJSON(t, jsonValue(v)), string(js), "JSON of %#v", v)
		require.Equal(t, wantCSV(t, []string{"x", csvValue(v)}), string(cs)+"\n", "CSV of %#v", v)
	}

	_, _, err = appendValue(nil, nil, math.NaN())
	require.Error(t, err, "JSON has no NaN")
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}

func FuzzAppendCSVField(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		if err := w.Write([]string{s}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if got := string(appendCSVField(nil, s)) + "\n"; got != b.String() {
			t.Fatalf("appendCSVField(%q) = %q, encoding/csv writes %q", s, got, b.String())
		}
	})
}
