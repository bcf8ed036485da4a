package classify

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// msgIDRe is the regular expression findMsgIDs stands for.
var msgIDRe = regexp.MustCompile(`<([^<>\s]{1,500})>`)

// msgIDRegexp is what findMsgIDs stands for.
func msgIDRegexp(v string, n int) []string {
	var out []string
	for _, sm := range msgIDRe.FindAllStringSubmatch(v, n) {
		out = append(out, sm[1])
	}
	return out
}

func TestFindMsgIDs(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 500)
	tests := []struct {
		name string
		v    string
	}{
		{name: "empty", v: ""},
		{name: "one", v: "<a@b.example>"},
		{name: "several", v: " <a@b> <c@d>\r\n\t<e@f>"},
		{name: "empty brackets", v: "<> <<a@b>> <a b> <a\tb>"},
		{name: "unclosed", v: "<a@b <c@d>"},
		{name: "500 runes", v: "<" + long + ">"},
		{name: "501 runes", v: "<" + long + "x>"},
		{name: "500 runes after a long run", v: "<" + long + long + "><" + long + ">"},
		{name: "invalid UTF-8", v: "<\xff\xfe\xe2\x80>" + "<" + strings.Repeat("\xff", 500) + "><" + strings.Repeat("\xff", 501) + ">"},
		{name: "form feed and vertical tab", v: "<a\fb><a\vb>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, msgIDRegexp(tc.v, 100), findMsgIDs(tc.v, 100))
			require.Equal(t, msgIDRegexp(tc.v, 1), findMsgIDs(tc.v, 1))
		})
	}
	var many strings.Builder
	for range 150 {
		many.WriteString("<x@y> ")
	}
	require.Equal(t, msgIDRegexp(many.String(), 100), findMsgIDs(many.String(), 100))
}

func FuzzFindMsgIDs(f *testing.F) {
	f.Add("<a@b> <c@d>")
	f.Add("<\xff>")
	f.Fuzz(func(t *testing.T, v string) {
		require.Equal(t, msgIDRegexp(v, 100), findMsgIDs(v, 100))
	})
}
