package classify

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// FuzzParseClassify feeds arbitrary bytes to the parser (without Parse's recover, so that a
// panic fails) and to the classifier, seeded with every mail of both corpora. Run it with
// go test -run '^$' -fuzz FuzzParseClassify -fuzztime 3m ./inbox/
func FuzzParseClassify(f *testing.F) {
	for _, dir := range []string{fixtureDir(f), extraDir(f)} {
		files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
		require.NoError(f, err)
		require.NotEmpty(f, files)
		for _, file := range files {
			b, err := os.ReadFile(file)
			require.NoError(f, err)
			f.Add(b)
		}
	}
	f.Add([]byte(raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`}, "--b\nContent-Type: message/rfc822\n\nFrom: b@example.org\n\n--b--\n")))
	f.Add([]byte("From: a@example.org\r\nContent-Type: text/html\r\n\r\n<a href=\"mailto:x@y.example\">x</a><blockquote><pre>q</pre></blockquote>"))

	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parse(bytes.NewReader(data), 64<<10)
		if err != nil {
			require.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge), "unexpected error kind: %v", err)
			require.Nil(t, m)
		} else {
			require.True(t, utf8.ValidString(m.Text), "text is UTF-8")
			require.True(t, utf8.ValidString(m.Subject), "subject is UTF-8")
			require.True(t, utf8.ValidString(m.From.Name) && utf8.ValidString(m.From.Email))
			require.LessOrEqual(t, len(m.Text), maxTextBytes+len(data))
			for _, a := range m.Attachments {
				require.GreaterOrEqual(t, a.Size, int64(0))
				require.Len(t, a.SHA256, 64)
			}
			checkInvariants(t, Classify(m))
		}
		// The classifier alone, on text no parser has cleaned.
		s := string(data)
		subject := s
		if len(subject) > 200 {
			subject = subject[:200]
		}
		c := Classify(&Message{From: Address{Email: "x@example.org"}, Subject: subject, Text: s, ReplyTo: []Address{{Email: s}}})
		checkInvariants(t, c)
	})
}
