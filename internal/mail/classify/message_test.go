package classify

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// raw builds a message from header lines and a body, with CRLF line ends.
func raw(headers []string, body string) string {
	return strings.ReplaceAll(strings.Join(headers, "\n")+"\n\n"+body, "\n", "\r\n")
}

func mustParse(t *testing.T, s string) *Message {
	t.Helper()
	m, err := Parse(strings.NewReader(s), 0)
	require.NoError(t, err)
	return m
}

func TestParseHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers []string
		check   func(t *testing.T, m *Message)
	}{
		{
			name:    "RFC 2047 Q and B words, adjacent words joined",
			headers: []string{"From: =?utf-8?q?J=C3=BCrgen?= =?utf-8?b?V2Vpw58=?= <j@beispiel.de>", "Subject: =?utf-8?q?L=C3=B6schung?= =?utf-8?q?_meiner_Daten?="},
			check: func(t *testing.T, m *Message) {
				require.Equal(t, "JürgenWeiß", m.From.Name)
				require.Equal(t, "j@beispiel.de", m.From.Email)
				require.Equal(t, "Löschung meiner Daten", m.Subject)
			},
		},
		{
			name:    "ISO-8859-1 and windows-1252 encoded words",
			headers: []string{"From: =?iso-8859-1?q?Ren=E9e?= <r@exemple.fr>", "Subject: =?windows-1252?Q?=93Donn=E9es=94_=80?="},
			check: func(t *testing.T, m *Message) {
				require.Equal(t, "Renée", m.From.Name)
				require.Equal(t, "“Données” €", m.Subject)
			},
		},
		{
			name:    "raw 8-bit windows-1252 header",
			headers: []string{"From: Bj\xf6rn <b@beispiel.de>", "Subject: Gr\xfc\xdfe \x93hallo\x94"},
			check: func(t *testing.T, m *Message) {
				require.Equal(t, "b@beispiel.de", m.From.Email)
				require.Equal(t, "Björn", m.From.Name)
				require.Equal(t, "Grüße “hallo”", m.Subject)
			},
		},
		{
			name:    "unknown charset in an encoded word keeps the text",
			headers: []string{"From: a@example.org", "Subject: =?x-unknown?q?hello?= world"},
			check: func(t *testing.T, m *Message) {
				require.Contains(t, m.Subject, "world")
				require.Contains(t, m.Defects, "bad_subject_encoding")
			},
		},
		{
			name:    "unparseable From falls back to the address in it",
			headers: []string{"From: Alice (team <<alice@example.org>", "Reply-To: x@example.org, Bob <bob@example.net>"},
			check: func(t *testing.T, m *Message) {
				require.Equal(t, "alice@example.org", m.From.Email)
				require.Equal(t, []Address{{Email: "x@example.org"}, {Name: "Bob", Email: "bob@example.net"}}, m.ReplyTo)
			},
		},
		{
			name: "ids, date, automation and list headers",
			headers: []string{"From: a@example.org", "Message-ID: <abc@example.org>", "In-Reply-To: <dsr-1@x.example>",
				"References: <r1@x.example>\n <dsr-1@x.example>", "Date: Tue, 03 Nov 2026 05:39:00 +0100",
				"Auto-Submitted: auto-replied", "X-Autoreply: yes", "Precedence: bulk", "List-Unsubscribe: <mailto:u@l.example>",
				"List-Id: News <news.l.example>", "X-Failed-Recipients: z@example.org", "Return-Path: <>"},
			check: func(t *testing.T, m *Message) {
				require.Equal(t, "abc@example.org", m.MessageID)
				require.Equal(t, []string{"dsr-1@x.example"}, m.InReplyTo)
				require.Equal(t, []string{"r1@x.example", "dsr-1@x.example"}, m.References)
				require.True(t, m.Date.Equal(time.Date(2026, 11, 3, 4, 39, 0, 0, time.UTC)))
				require.Equal(t, "auto-replied", m.AutoSubmitted)
				require.Equal(t, "yes", m.XAutoreply)
				require.Equal(t, "bulk", m.Precedence)
				require.Equal(t, "<mailto:u@l.example>", m.ListUnsubscribe)
				require.Equal(t, "News <news.l.example>", m.ListID)
				require.Equal(t, "z@example.org", m.XFailedRecipients)
				require.Equal(t, "<>", m.ReturnPath)
			},
		},
		{
			name:    "bad date is a defect, not an error",
			headers: []string{"From: a@example.org", "Date: yesterday"},
			check: func(t *testing.T, m *Message) {
				require.True(t, m.Date.IsZero())
				require.Contains(t, m.Defects, "bad_date")
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.check(t, mustParse(t, raw(tc.headers, "body\n")))
		})
	}
}

func TestParseCharsets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, charset, cte, body, want string
	}{
		{name: "utf-8 quoted-printable", charset: "utf-8", cte: "quoted-printable", body: "L=C3=B6schen Sie mein Konto=\n bitte", want: "Löschen Sie mein Konto bitte"},
		{name: "iso-8859-1 quoted-printable", charset: "iso-8859-1", cte: "quoted-printable", body: "donn=E9es supprim=E9es", want: "données supprimées"},
		{name: "iso-8859-15 euro", charset: "ISO-8859-15", cte: "8bit", body: "prix 5 \xa4", want: "prix 5 €"},
		{name: "windows-1252 8bit", charset: "windows-1252", cte: "8bit", body: "\x93Gr\xfc\xdfe\x94 \x80", want: "“Grüße” €"},
		{name: "windows-1252 base64", charset: "windows-1252", cte: "base64", body: base64.StdEncoding.EncodeToString([]byte("se\xf1or \x96 ma\xf1ana")), want: "señor – mañana"},
		{name: "koi8-r", charset: "koi8-r", cte: "8bit", body: "\xf0\xd2\xc9\xd7\xc5\xd4", want: "Привет"},
		{name: "iso-2022-jp", charset: "iso-2022-jp", cte: "7bit", body: "\x1b$B$3$s$K$A$O\x1b(B", want: "こんにちは"},
		{name: "gbk", charset: "gbk", cte: "8bit", body: "\xc4\xe3\xba\xc3", want: "你好"},
		{name: "utf-16 with BOM", charset: "utf-16", cte: "base64", body: base64.StdEncoding.EncodeToString([]byte("\xff\xfeh\x00i\x00")), want: "hi"},
		{name: "undeclared 8-bit read as windows-1252", charset: "", cte: "8bit", body: "caf\xe9 \x80", want: "café €"},
		{name: "utf-8 label on latin-1 bytes", charset: "utf-8", cte: "8bit", body: "caf\xe9", want: "café"},
		{name: "base64 with continuation spaces", charset: "utf-8", cte: "base64", body: "SGVsbG8g\n  d29ybGQ=", want: "Hello world"},
		{name: "7bit", charset: "us-ascii", cte: "7bit", body: "plain text", want: "plain text"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ct := "Content-Type: text/plain"
			if tc.charset != "" {
				ct += "; charset=" + tc.charset
			}
			m := mustParse(t, raw([]string{"From: a@example.org", ct, "Content-Transfer-Encoding: " + tc.cte}, tc.body))
			require.Equal(t, tc.want, m.Text)
			require.Equal(t, "plain", m.TextFormat)
		})
	}
}

func TestParseDefects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		message  string
		wantText string
		defect   string
	}{
		{
			name:     "unknown charset",
			message:  raw([]string{"From: a@example.org", "Content-Type: text/plain; charset=x-martian"}, "caf\xe9"),
			wantText: "café",
			defect:   "unknown_charset",
		},
		{
			name:     "unknown transfer encoding",
			message:  raw([]string{"From: a@example.org", "Content-Transfer-Encoding: x-uuencode"}, "hello"),
			wantText: "hello",
			defect:   "unknown_transfer_encoding",
		},
		{
			name:     "corrupt base64 keeps what decodes",
			message:  raw([]string{"From: a@example.org", "Content-Transfer-Encoding: base64"}, "SGVsbG8gd29ybGQh!!!!"),
			wantText: "Hello world!",
			defect:   "bad_base64",
		},
		{
			name: "missing closing boundary",
			message: raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`},
				"--b\nContent-Type: text/plain\n\nplease delete my data\n"),
			wantText: "please delete my data",
			defect:   "truncated_multipart",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := mustParse(t, tc.message)
			require.Equal(t, tc.wantText, m.Text)
			require.Contains(t, m.Defects, tc.defect)
		})
	}
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestParseStructure(t *testing.T) {
	t.Parallel()
	pdf := []byte("%PDF-1.4 fake")
	png := []byte("\x89PNG fake image")
	tests := []struct {
		name    string
		message string
		check   func(t *testing.T, m *Message)
	}{
		{
			name: "alternative prefers plain",
			message: raw([]string{"From: a@example.org", `Content-Type: multipart/alternative; boundary="b"`},
				"--b\nContent-Type: text/html\n\n<p>html <b>version</b></p>\n--b\nContent-Type: text/plain\n\nplain version\n--b--\n"),
			check: func(t *testing.T, m *Message) {
				require.Equal(t, "plain version", m.Text)
				require.Equal(t, "plain", m.TextFormat)
				require.Equal(t, "multipart/alternative", m.ContentType)
			},
		},
		{
			name: "alternative with an empty plain part falls back to html",
			message: raw([]string{"From: a@example.org", `Content-Type: multipart/alternative; boundary="b"`},
				"--b\nContent-Type: text/plain\n\n \n--b\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n<p>Caf=C3=A9 &amp; th=C3=A9</p>\n--b--\n"),
			check: func(t *testing.T, m *Message) {
				require.Equal(t, "Café & thé", m.Text)
				require.Equal(t, "html", m.TextFormat)
			},
		},
		{
			name:    "html only",
			message: raw([]string{"From: a@example.org", "Content-Type: text/html"}, "<html><head><style>p{}</style></head><body><p>Hello</p><p>World</p></body></html>"),
			check: func(t *testing.T, m *Message) {
				require.Equal(t, "Hello\n\nWorld", m.Text)
				require.Equal(t, "html", m.TextFormat)
			},
		},
		{
			name:    "text/plain that is an HTML document",
			message: raw([]string{"From: a@example.org"}, "<!DOCTYPE html><html><body><div>Hi</div><div>there</div></body></html>"),
			check: func(t *testing.T, m *Message) {
				require.Equal(t, "Hi\nthere", m.Text)
				require.Equal(t, "html", m.TextFormat)
			},
		},
		{
			name: "nested parts, attachments hashed not kept",
			message: raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="outer"`},
				"--outer\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n"+
					"--alt\nContent-Type: text/plain; charset=utf-8\n\nthe text\n"+
					"--alt\nContent-Type: multipart/related; boundary=\"rel\"\n\n"+
					"--rel\nContent-Type: text/html\n\n<p>the html</p>\n--rel\nContent-Type: image/png\nContent-Transfer-Encoding: base64\nContent-ID: <img1>\n\n"+base64.StdEncoding.EncodeToString(png)+"\n--rel--\n"+
					"--alt--\n"+
					"--outer\nContent-Type: application/pdf; name=\"ignored.pdf\"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename*=UTF-8''%C3%A9t%C3%A9.pdf\n\n"+base64.StdEncoding.EncodeToString(pdf)+"\n"+
					"--outer\nContent-Type: text/plain; name=notes.txt\nContent-Disposition: attachment\n\nnot body text\n"+
					"--outer--\n"),
			check: func(t *testing.T, m *Message) {
				require.Equal(t, "the text", m.Text)
				require.Equal(t, []Attachment{
					{Filename: "", ContentType: "image/png", Size: int64(len(png)), SHA256: sum(png)},
					{Filename: "été.pdf", ContentType: "application/pdf", Size: int64(len(pdf)), SHA256: sum(pdf)},
					{Filename: "notes.txt", ContentType: "text/plain", Size: int64(len("not body text")), SHA256: sum([]byte("not body text"))},
				}, m.Attachments)
				require.Equal(t, []string{"multipart/mixed", "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png", "application/pdf", "text/plain"}, m.PartTypes)
			},
		},
		{
			name: "RFC 2047 attachment name",
			message: raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`},
				"--b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: application/octet-stream; name=\"=?utf-8?q?Pass_J=C3=BCrgen.pdf?=\"\n\nxyz\n--b--\n"),
			check: func(t *testing.T, m *Message) {
				require.Len(t, m.Attachments, 1)
				require.Equal(t, "Pass Jürgen.pdf", m.Attachments[0].Filename)
			},
		},
		{
			name: "attached message is parsed and hashed",
			message: raw([]string{"From: fwd@example.org", `Content-Type: multipart/mixed; boundary="b"`},
				"--b\nContent-Type: text/plain\n\nsee below\n--b\nContent-Type: message/rfc822\n\nFrom: Orig <orig@example.net>\nSubject: =?utf-8?q?L=C3=B6schen?=\nContent-Type: text/html\n\n<p>delete my data</p>\n--b--\n"),
			check: func(t *testing.T, m *Message) {
				require.Equal(t, "see below", m.Text)
				require.Len(t, m.Forwarded, 1)
				require.Equal(t, "orig@example.net", m.Forwarded[0].From.Email)
				require.Equal(t, "Löschen", m.Forwarded[0].Subject)
				require.Equal(t, "delete my data", m.Forwarded[0].Text)
				require.Len(t, m.Attachments, 1)
				require.Equal(t, "message/rfc822", m.Attachments[0].ContentType)
				require.Equal(t, "message.eml", m.Attachments[0].Filename)
			},
		},
		{
			name: "delivery report",
			message: raw([]string{"From: MAILER-DAEMON@mx.example", `Content-Type: multipart/report; report-type=delivery-status; boundary="b"`},
				"--b\nContent-Type: text/plain\n\nfailed\n--b\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n--b--\n"),
			check: func(t *testing.T, m *Message) {
				require.Equal(t, "delivery-status", m.ReportType)
				require.Contains(t, m.PartTypes, "message/delivery-status")
			},
		},
		{
			name:    "text over the keep limit is truncated",
			message: raw([]string{"From: a@example.org"}, strings.Repeat("a", maxTextBytes+10)),
			check: func(t *testing.T, m *Message) {
				require.True(t, m.TextTruncated)
				require.Len(t, m.Text, maxTextBytes)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.check(t, mustParse(t, tc.message))
		})
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestParseErrors(t *testing.T) {
	t.Parallel()
	deep := "From: a@example.org\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n"
	for i := 0; i < maxDepth+2; i++ {
		deep += "--b" + string(rune('a'+i)) + "\n"
	}
	nest := func(depth int) string {
		s := "From: a@example.org\n"
		for i := 0; i < depth; i++ {
			s += "Content-Type: multipart/mixed; boundary=\"b" + strings.Repeat("x", i) + "\"\n\n--b" + strings.Repeat("x", i) + "\n"
		}
		return strings.ReplaceAll(s+"Content-Type: text/plain\n\nhi\n", "\n", "\r\n")
	}
	many := "--b\nContent-Type: text/plain\n\nx\n"
	manyParts := raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`}, strings.Repeat(many, maxParts+1)+"--b--\n")
	ioErr := errors.New("disk on fire")
	tests := []struct {
		name   string
		r      io.Reader
		limit  int64
		target error
	}{
		{name: "empty", r: strings.NewReader(""), target: ErrMalformed},
		{name: "not a mail", r: strings.NewReader("hello world, this is not a mail\nat all\n"), target: ErrMalformed},
		{name: "binary garbage", r: strings.NewReader("\x00\x01\x02\xff\xfe"), target: ErrMalformed},
		{name: "header line starting with a space", r: strings.NewReader(" From: a@example.org\r\n\r\nx"), target: ErrMalformed},
		{name: "no From", r: strings.NewReader(raw([]string{"Subject: hi"}, "x")), target: ErrMalformed},
		{name: "multipart without boundary", r: strings.NewReader(raw([]string{"From: a@example.org", "Content-Type: multipart/mixed"}, "x")), target: ErrMalformed},
		{name: "multipart without parts", r: strings.NewReader(raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`}, "no boundary here\n")), target: ErrMalformed},
		{name: "nested too deep", r: strings.NewReader(nest(maxDepth + 2)), target: ErrMalformed},
		{name: "too many parts", r: strings.NewReader(manyParts), target: ErrMalformed},
		{name: "over the limit", r: strings.NewReader(raw([]string{"From: a@example.org"}, strings.Repeat("x", 200))), limit: 100, target: ErrTooLarge},
		{name: "over the limit in the header", r: strings.NewReader(raw([]string{"From: a@example.org", "X-Long: " + strings.Repeat("x", 200)}, "x")), limit: 100, target: ErrTooLarge},
		{name: "over the limit in an epilogue", r: strings.NewReader(raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`}, "--b\n\nx\n--b--\n"+strings.Repeat("e", 200))), limit: 150, target: ErrTooLarge},
		{name: "read failure", r: io.MultiReader(strings.NewReader("From: a@example.org\r\n"), failingReader{ioErr}), target: ioErr},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse(tc.r, tc.limit)
			require.ErrorIs(t, err, tc.target)
			require.Nil(t, m)
			if tc.target == ioErr {
				require.NotErrorIs(t, err, ErrMalformed)
			}
		})
	}
}

func TestParseLimitBoundary(t *testing.T) {
	t.Parallel()
	msg := raw([]string{"From: a@example.org"}, "exactly")
	_, err := Parse(strings.NewReader(msg), int64(len(msg)))
	require.NoError(t, err)
	_, err = Parse(strings.NewReader(msg), int64(len(msg)-1))
	require.ErrorIs(t, err, ErrTooLarge)
}
