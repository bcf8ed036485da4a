package classify

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Distinctive contents of the synthetic attachments, looked for in the redacted output.
var (
	idCardPNG  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte("ID-CARD-PIXELS-7f3a9c\x00\xff"), 40)...)
	statement  = "name;iban;passport_number\r\nAda Lovelace;FR7630006000011234567890189;PASSNO-X1234567=\r\n"
	scannedPDF = []byte("%PDF-1.4\n% SCANNED-ID-55aa residence permit of the applicant\n%%EOF\n")
)

// b64 and qp encode with LF line ends, for the mails that raw builds.
func b64(b []byte) string { return strings.ReplaceAll(string(base64Lines(b)), "\r\n", "\n") }

func qp(s string) string {
	var buf bytes.Buffer
	w := quotedprintable.NewWriter(&buf)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return strings.ReplaceAll(buf.String(), "\r\n", "\n")
}

// mixedMail is a multipart/mixed with a multipart/alternative body (plain and HTML), a base64
// image, a quoted-printable text file sent as an attachment, a mail forwarded as
// message/rfc822 with an attachment of its own, and a latin-1 text part.
func mixedMail() string {
	// raw makes the line ends of the whole mail CRLF, the attached one's included.
	inner := strings.Join([]string{
		"From: Old Sender <old@example.net>",
		"Subject: scan of my permit",
		"Message-ID: <inner-1@example.net>",
		"MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="inner"`,
	}, "\n") + "\n\n" + "--inner\n" +
		"Content-Type: text/plain; charset=utf-8\n\n" +
		"See the scan attached.\n" +
		"--inner\n" +
		"Content-Type: application/pdf; name=\"permit.pdf\"\n" +
		"Content-Transfer-Encoding: base64\n" +
		"Content-Disposition: attachment; filename=\"permit.pdf\"\n\n" +
		b64(scannedPDF) +
		"--inner--\n"
	return raw([]string{
		"From: Ada Lovelace <ada@example.org>",
		"To: privacy@slaask.example",
		"Subject: =?utf-8?q?Demande_d=E2=80=99acc=C3=A8s?= with documents",
		"Date: Sat, 07 Nov 2026 10:41:00 +0000",
		"Message-ID: <mixed-1@example.org>",
		"DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=s1;\n\tbh=abc=; b=def=",
		"MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="outer"`,
	}, "This is a multi-part message in MIME format.\n"+
		"--outer\n"+
		`Content-Type: multipart/alternative; boundary="alt"`+"\n\n"+
		"--alt\n"+
		"Content-Type: text/plain; charset=utf-8\n"+
		"Content-Transfer-Encoding: quoted-printable\n\n"+
		qp("Bonjour, je demande l’accès à mes données. Ci-joint ma pièce d’identité et un relevé.\n")+
		"\n--alt\n"+
		"Content-Type: text/html; charset=utf-8\n\n"+
		"<p>Bonjour, je demande l’accès à mes données.</p>\n"+
		"--alt--\n"+
		"\n--outer\n"+
		"Content-Type: image/png\n"+
		"Content-Transfer-Encoding: base64\n"+
		"Content-Disposition: inline; filename=\"id card.png\"\n"+
		"Content-ID: <id-card@example.org>\n\n"+
		b64(idCardPNG)+
		"--outer\n"+
		"Content-Type: text/csv; charset=utf-8\n"+
		"Content-Transfer-Encoding: quoted-printable\n"+
		"Content-Disposition: attachment; filename=\"statement.csv\"\n\n"+
		qp(statement)+
		"\n--outer\n"+
		"Content-Type: text/plain; charset=iso-8859-1\n"+
		"Content-Transfer-Encoding: 8bit\n\n"+
		"Merci d'avance, Ad\xe8le.\n"+
		"--outer\n"+
		"Content-Type: message/rfc822\n"+
		"Content-Disposition: attachment\n\n"+
		inner+
		"\n--outer--\n"+
		"epilogue\n")
}

// allAttachments lists the SHA-256 of every attachment Parse found in m and in the messages
// forwarded in it.
func allAttachments(m *Message) []string {
	var out []string
	for _, a := range m.Attachments {
		out = append(out, a.SHA256)
	}
	for _, f := range m.Forwarded {
		out = append(out, allAttachments(f)...)
	}
	return out
}

// removable lists the SHA-256 of the attachments Redact must remove from m: every attachment
// except the attached messages that parsed (it recurses into those). It needs the attached
// messages to map to m.Forwarded, so it reports false for a mail with one that did not parse
// or with more than Forwarded keeps.
func removable(m *Message) ([]string, bool) {
	if slices.Contains(m.Defects, "bad_attached_message") || len(m.Forwarded) == maxForwarded {
		return nil, false
	}
	out := []string{}
	fwd := 0
	for _, a := range m.Attachments {
		if a.ContentType != "message/rfc822" && a.ContentType != "message/global" {
			out = append(out, a.SHA256)
			continue
		}
		inner, ok := removable(m.Forwarded[fwd])
		if !ok {
			return nil, false
		}
		out = append(out, inner...)
		fwd++
	}
	return out, true
}

func digestSums(ds []Digest) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d.SHA256)
	}
	return out
}

// checkRedacted checks what holds for every redaction of a mail: the result parses to the
// same text and headers, digests are those of the attachments Parse lists, and a second
// redaction changes nothing.
func checkRedacted(t *testing.T, orig, out []byte, digests []Digest) {
	t.Helper()
	before, err := Parse(bytes.NewReader(orig), 0)
	require.NoError(t, err)
	after, err := Parse(bytes.NewReader(out), 0)
	require.NoError(t, err, "the redacted mail parses")

	require.Equal(t, before.Text, after.Text)
	require.Equal(t, before.TextFormat, after.TextFormat)
	require.Equal(t, before.Subject, after.Subject)
	require.Equal(t, before.From, after.From)
	require.Equal(t, before.To, after.To)
	require.Equal(t, before.MessageID, after.MessageID)
	require.Equal(t, before.Date, after.Date)
	require.Equal(t, len(before.Forwarded), len(after.Forwarded))
	for i := range before.Forwarded {
		require.Equal(t, before.Forwarded[i].Text, after.Forwarded[i].Text)
		require.Equal(t, before.Forwarded[i].Subject, after.Forwarded[i].Subject)
		require.Equal(t, before.Forwarded[i].From, after.Forwarded[i].From)
	}

	if want, ok := removable(before); ok {
		require.Equal(t, want, digestSums(digests), "digests are the attachments Parse lists")
	}
	found := allAttachments(before)
	for _, d := range digests {
		require.Contains(t, found, d.SHA256)
		require.NotContains(t, allAttachments(after), d.SHA256, "a removed file is not in the result")
	}
	if len(digests) == 0 {
		require.Equal(t, orig, out, "nothing to remove: same bytes")
	}

	again, more, err := Redact(out, 0)
	require.NoError(t, err)
	require.Empty(t, more, "a second redaction removes nothing")
	require.Equal(t, out, again)
}

func TestRedactFixtureID(t *testing.T) {
	t.Parallel()
	orig, err := os.ReadFile(filepath.Join(fixtureDir(t), "v18-en-access-id.eml"))
	require.NoError(t, err)
	before, err := Parse(bytes.NewReader(orig), 0)
	require.NoError(t, err)
	require.Len(t, before.Attachments, 1)

	out, digests, err := Redact(orig, 0)
	require.NoError(t, err)
	require.Equal(t, []Digest{{
		Filename:    "passport.pdf",
		ContentType: "application/pdf",
		Size:        before.Attachments[0].Size,
		SHA256:      before.Attachments[0].SHA256,
	}}, digests)
	checkRedacted(t, orig, out, digests)

	require.NotContains(t, string(out), "JVBERi0xLjQKJSBmYWtlIGlkZW50aXR5", "the encoded file is gone")
	require.NotContains(t, string(out), "fake identity document", "so is anything decoding to it")
	require.Contains(t, string(out), "removed after identity verification")
	require.Contains(t, string(out), before.Attachments[0].SHA256)

	// The top header is kept byte for byte, and so is the text part.
	head, _, ok := bytes.Cut(orig, []byte("\r\n\r\n"))
	require.True(t, ok)
	require.True(t, bytes.HasPrefix(out, append(head, "\r\n\r\n"...)))
	require.Contains(t, string(out), "Please provide a copy of my personal data. I attach my passport so you can ve=\r\nrify who I am.\r\n")

	// The same mail with LF line ends keeps them.
	lf := bytes.ReplaceAll(orig, []byte("\r\n"), []byte("\n"))
	outLF, digestsLF, err := Redact(lf, 0)
	require.NoError(t, err)
	require.Equal(t, digests, digestsLF)
	require.NotContains(t, string(outLF), "\r")
	require.Equal(t, string(out), strings.ReplaceAll(string(outLF), "\n", "\r\n"))
	checkRedacted(t, lf, outLF, digestsLF)

	after, err := Parse(bytes.NewReader(out), 0)
	require.NoError(t, err)
	require.Equal(t, []Attachment{{
		Filename:    "passport.pdf.removed.txt",
		ContentType: "text/plain",
		Size:        int64(len("This attachment was removed after identity verification.\r\nSize: 51 bytes\r\nSHA-256: \r\n") + 64),
		SHA256:      after.Attachments[0].SHA256,
	}}, after.Attachments)
}

func TestRedactNested(t *testing.T) {
	t.Parallel()
	orig := []byte(mixedMail())
	before, err := Parse(bytes.NewReader(orig), 0)
	require.NoError(t, err)
	require.Len(t, before.Forwarded, 1)
	require.Contains(t, before.Text, "je demande l’accès")
	require.Contains(t, before.Text, "Adèle")

	out, digests, err := Redact(orig, 0)
	require.NoError(t, err)
	checkRedacted(t, orig, out, digests)

	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	require.Equal(t, []Digest{
		{Filename: "id card.png", ContentType: "image/png", Size: int64(len(idCardPNG)), SHA256: sum(idCardPNG)},
		{Filename: "statement.csv", ContentType: "text/csv", Size: int64(len(statement)), SHA256: sum([]byte(statement))},
		{Filename: "permit.pdf", ContentType: "application/pdf", Size: int64(len(scannedPDF)), SHA256: sum(scannedPDF)},
	}, digests)

	s := string(out)
	for _, gone := range []string{
		"ID-CARD-PIXELS", b64(idCardPNG)[:60], // the image, decoded and encoded
		"PASSNO-X1234567", "FR7630006000011234567890189", // the statement
		"SCANNED-ID-55aa", b64(scannedPDF)[:60], // the forwarded mail's file
	} {
		require.NotContains(t, s, gone)
	}
	// Kept: every header of the top message (DKIM signature included), the text parts as
	// they were, the forwarded mail's headers and text.
	head, _, _ := strings.Cut(string(orig), "\r\n\r\n")
	require.True(t, strings.HasPrefix(s, head+"\r\n\r\n"))
	for _, kept := range []string{
		strings.ReplaceAll(qp("Bonjour, je demande l’accès à mes données. Ci-joint ma pièce d’identité et un relevé.\n"), "\n", "\r\n"),
		"<p>Bonjour, je demande l’accès à mes données.</p>",
		"Merci d'avance, Ad\xe8le.",
		"From: Old Sender <old@example.net>\r\nSubject: scan of my permit\r\n",
		"See the scan attached.",
		`Content-Type: multipart/alternative; boundary="alt"`,
	} {
		require.Contains(t, s, kept)
	}

	after, err := Parse(bytes.NewReader(out), 0)
	require.NoError(t, err)
	var names []string
	for _, a := range after.Attachments {
		names = append(names, a.Filename)
	}
	require.Equal(t, []string{"id card.png.removed.txt", "statement.csv.removed.txt", "message.eml"}, names)
	require.Equal(t, []string{"permit.pdf.removed.txt"}, []string{after.Forwarded[0].Attachments[0].Filename})
	require.Equal(t, before.PartTypes[:3], after.PartTypes[:3], "the structure is kept")
}

func TestRedactNothingToRemove(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mail string
	}{
		{name: "plain text", mail: raw([]string{"From: a@example.org", "Subject: erase me"}, "Please erase my data.\n")},
		{name: "alternative", mail: raw([]string{"From: a@example.org", `Content-Type: multipart/alternative; boundary="b"`},
			"--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: text/html\n\n<p>hi</p>\n--b--\n")},
		{name: "inline text with a filename", mail: raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`},
			"--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: text/plain\nContent-Disposition: inline; filename=\"note.txt\"\n\nmore text\n--b--\n")},
		{name: "forwarded mail without attachments", mail: raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`},
			"--b\nContent-Type: text/plain\n\nsee below\n--b\nContent-Type: message/rfc822\n\nFrom: b@example.org\nSubject: old\n\nold text\n--b--\n")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			orig := []byte(tc.mail)
			out, digests, err := Redact(orig, 0)
			require.NoError(t, err)
			require.Nil(t, digests)
			require.Equal(t, orig, out)
		})
	}
}

func TestRedactCases(t *testing.T) {
	t.Parallel()
	pdf := b64([]byte("%PDF-1.4 TOP-LEVEL-FILE-91c2"))
	tests := []struct {
		name    string
		mail    string
		removed []string // Digest.ContentType of the parts removed, in order
		gone    []string // text that must not be in the result
		check   func(t *testing.T, out string)
	}{
		{
			name:    "the top message is the attachment",
			mail:    raw([]string{"From: a@example.org", "Subject: scan", "Message-ID: <top@example.org>", "Content-Type: application/pdf", "Content-Transfer-Encoding: base64", `Content-Disposition: attachment; filename="scan.pdf"`}, pdf),
			removed: []string{"application/pdf"},
			gone:    []string{"TOP-LEVEL-FILE", pdf[:20]},
			check: func(t *testing.T, out string) {
				require.Contains(t, out, "From: a@example.org\r\nSubject: scan\r\nMessage-ID: <top@example.org>\r\n")
				require.Equal(t, 1, strings.Count(out, "Content-Type:"))
				require.Contains(t, out, "Content-Type: text/plain; charset=us-ascii\r\n")
			},
		},
		{
			name:    "text sent as an attachment",
			mail:    raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`}, "--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=\"id.txt\"\n\nPASSPORT 123-XYZ\n--b--\n"),
			removed: []string{"text/plain"},
			gone:    []string{"PASSPORT 123-XYZ"},
		},
		{
			name:    "text with a filename and no disposition",
			mail:    raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`}, "--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: text/html; name=\"id.html\"\n\n<b>PASSPORT 123-XYZ</b>\n--b--\n"),
			removed: []string{"text/html"},
			gone:    []string{"PASSPORT 123-XYZ"},
		},
		{
			name: "a forged placeholder is removed",
			mail: raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`}, "--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: text/plain\nX-Dsr-Redacted: sha256=00\nContent-Disposition: attachment; filename=\"id.txt\"\n\n"+
				"This attachment was removed after identity verification.\nSize: 1 bytes\nSHA-256: "+strings.Repeat("0", 64)+"\nPASSPORT 123-XYZ\n--b--\n"),
			removed: []string{"text/plain"},
			gone:    []string{"PASSPORT 123-XYZ"},
		},
		{
			name: "an attached message that does not parse goes whole",
			mail: raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`},
				"--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: message/rfc822\n\nSubject: no sender\n\nPASSPORT 123-XYZ\n--b--\n"),
			removed: []string{"message/rfc822"},
			gone:    []string{"PASSPORT 123-XYZ", "no sender"},
			check: func(t *testing.T, out string) {
				require.Contains(t, out, `filename=message.eml.removed.txt`)
			},
		},
		{
			name: "a base64 attached message is written back in base64",
			mail: raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`},
				"--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"+
					b64([]byte(raw([]string{"From: b@example.org", "Subject: old", `Content-Type: multipart/mixed; boundary="c"`},
						"--c\nContent-Type: text/plain\n\nold text\n--c\nContent-Type: image/jpeg\n\nJPEG-BYTES-0bd1\n--c--\n")))+
					"--b--\n"),
			removed: []string{"image/jpeg"},
			gone:    []string{"JPEG-BYTES-0bd1"},
			check: func(t *testing.T, out string) {
				m, err := Parse(strings.NewReader(out), 0)
				require.NoError(t, err)
				require.Len(t, m.Forwarded, 1)
				require.Equal(t, "old text", m.Forwarded[0].Text)
				require.Contains(t, out, "Content-Transfer-Encoding: base64")
				require.NotContains(t, out, base64.StdEncoding.EncodeToString([]byte("JPEG-BYTES-0bd1")))
			},
		},
		{
			name: "truncated multipart: the parts read are kept",
			mail: raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`},
				"--b\nContent-Type: text/plain\n\nhi there\n--b\nContent-Type: image/gif\n\nGIF89a-TRUNCATED-77"),
			removed: []string{"image/gif"},
			gone:    []string{"GIF89a-TRUNCATED-77"},
		},
		{
			name: "an attached message cut short in its header goes whole",
			mail: raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`},
				"--b\nContent-Type: message/rfc822\n\nFrom: b@example.org\nContent-Type: image/png"),
			removed: []string{"message/rfc822"},
			gone:    []string{"b@example.org"},
		},
		{
			name:    "bad base64 is hashed as far as it decodes",
			mail:    raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`}, "--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: application/zip\nContent-Transfer-Encoding: base64\n\nUEsDBBQA!!!notbase64\n--b--\n"),
			removed: []string{"application/zip"},
			gone:    []string{"UEsDBBQA", "notbase64"},
		},
		{
			name:    "unknown transfer encoding",
			mail:    raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`}, "--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 id.bin\nUUENCODED-3f\n--b--\n"),
			removed: []string{"application/octet-stream"},
			gone:    []string{"UUENCODED-3f"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			orig := []byte(tc.mail)
			out, digests, err := Redact(orig, 0)
			require.NoError(t, err)
			checkRedacted(t, orig, out, digests)
			var types []string
			for _, d := range digests {
				types = append(types, d.ContentType)
			}
			require.Equal(t, tc.removed, types)
			for _, g := range tc.gone {
				require.NotContains(t, string(out), g)
			}
			if tc.check != nil {
				tc.check(t, string(out))
			}
		})
	}
}

func TestRedactRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		mail  string
		limit int64
		want  error
	}{
		{name: "empty", mail: "", want: ErrMalformed},
		{name: "not a mail", mail: "hello world", want: ErrMalformed},
		{name: "no From", mail: raw([]string{"Subject: x"}, "body"), want: ErrMalformed},
		{name: "multipart without parts", mail: raw([]string{"From: a@example.org", `Content-Type: multipart/mixed; boundary="b"`}, "no parts here\n"), want: ErrMalformed},
		{name: "over the limit", mail: raw([]string{"From: a@example.org"}, strings.Repeat("x", 200)), limit: 100, want: ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, digests, err := Redact([]byte(tc.mail), tc.limit)
			require.ErrorIs(t, err, tc.want)
			require.Nil(t, out)
			require.Nil(t, digests)
		})
	}
}

// TestRedactCorpus redacts every mail of both corpora.
func TestRedactCorpus(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{fixtureDir(t), extraDir(t)} {
		files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, file := range files {
			t.Run(filepath.Base(file), func(t *testing.T) {
				t.Parallel()
				orig, err := os.ReadFile(file)
				require.NoError(t, err)
				out, digests, err := Redact(orig, 0)
				require.NoError(t, err)
				checkRedacted(t, orig, out, digests)
			})
		}
	}
}

// FuzzRedact feeds arbitrary bytes to redact (without Redact's recover, so that a panic
// fails), seeded with every mail of both corpora and the synthetic ones above. Run it with
// go test -run '^$' -fuzz FuzzRedact -fuzztime 60s ./inbox/
func FuzzRedact(f *testing.F) {
	for _, dir := range []string{fixtureDir(f), extraDir(f)} {
		files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
		require.NoError(f, err)
		for _, file := range files {
			b, err := os.ReadFile(file)
			require.NoError(f, err)
			f.Add(b)
		}
	}
	f.Add([]byte(mixedMail()))
	f.Add([]byte(raw([]string{"From: a@example.org", "Content-Type: image/png"}, "PNG")))

	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 64 << 10
		out, digests, err := redact(data, limit)
		_, parseErr := parse(bytes.NewReader(data), limit)
		if err != nil {
			require.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge), "unexpected error kind: %v", err)
			require.Nil(t, out)
			require.Error(t, parseErr, "Redact refuses only what Parse refuses")
			return
		}
		require.NoError(t, parseErr, "Redact accepts only what Parse accepts")
		before, err := parse(bytes.NewReader(data), 0)
		require.NoError(t, err)
		after, err := parse(bytes.NewReader(out), 0)
		require.NoError(t, err, "the redacted mail parses")
		require.Equal(t, before.Subject, after.Subject)
		require.Equal(t, before.From, after.From)
		require.Equal(t, before.MessageID, after.MessageID)
		require.Equal(t, before.Text, after.Text)
		for _, d := range digests {
			require.Len(t, d.SHA256, 64)
			require.Contains(t, allAttachments(before), d.SHA256)
		}
		if len(digests) == 0 {
			require.Equal(t, data, out)
			return
		}
		again, more, err := redact(out, 0)
		require.NoError(t, err)
		require.Empty(t, more, "a second redaction removes nothing")
		require.Equal(t, out, again)
	})
}
