package domain_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
)

func TestCheckEmail(t *testing.T) {
	t.Parallel()
	good := []string{
		"a@b.eu", "jane.doe+dsr@example.com", "o'neil@mail.example.co.uk", "x@xn--bcher-kva.example",
		"a_b-c@sub-domain.example.org", strings.Repeat("l", 64) + "@example.com",
		"a@" + strings.Repeat("d", 63) + ".example.com",
	}
	for _, s := range good {
		require.NoError(t, domain.CheckEmail(s), s)
	}
	bad := []struct{ email, want string }{
		{"", "empty"},
		{"a@b", "bare host"},
		{"a@localhost", "bare host"},
		{"a@mail.localhost", ".localhost"},
		{"a@printer.local", ".local"},
		{"a@x.invalid", ".invalid"},
		{"a@[127.0.0.1]", "IP address"},
		{"a@127.0.0.1", "top-level"},
		{"a@b.c1", "top-level"},
		{"\u202ea@b.eu", "bidirectional"},
		{"a\u200e@b.eu", "bidirectional"},
		{"a\x00@b.eu", "NUL"},
		{"a\n@b.eu", "control"},
		{"a\xff@b.eu", "UTF-8"},
		{strings.Repeat("l", 310) + "@example.com", "longer than"},
		{strings.Repeat("l", 65) + "@example.com", "before the @ longer than 64"},
		{"a@" + strings.Repeat("d", 64) + ".example.com", "63"},
		{"a@" + strings.Repeat("abcdefghi.", 25) + "com", "longer than"},
		{"ab.example.com", "no @"},
		{"@b.eu", "nothing before"},
		{"a@", "no domain"},
		{".a@b.eu", "empty dot-separated"},
		{"a..b@b.eu", "empty dot-separated"},
		{"a.@b.eu", "empty dot-separated"},
		{"a@b..eu", "empty label"},
		{"a@b.eu.", "empty label"},
		{"a@-b.eu", "hyphen"},
		{"a@b_c.eu", "letters, digits and hyphens"},
		{`"a b"@b.eu`, "quoting"},
		{"a b@b.eu", "quoting"},
		{"a@b@c.eu", "quoting"},
		{"Jane <a@b.eu>", "quoting"},
		{"josé@b.eu", "non-ASCII"},
		{"a@bücher.example", "punycode"},
	}
	for _, tt := range bad {
		err := domain.CheckEmail(tt.email)
		require.Error(t, err, "%q", tt.email)
		require.Contains(t, err.Error(), tt.want, "%q", tt.email)
	}
	t.Logf("bad emails: %d", len(bad))
}

func TestCheckText(t *testing.T) {
	t.Parallel()
	require.NoError(t, domain.CheckText("line one\r\nline two\n\tindented, çà, 日本語", 100))
	require.NoError(t, domain.CheckLine("Zoë O'Brien-Łukasz", 100))
	bad := []struct {
		text  string
		lines bool
		want  string
	}{
		{"a\x00b", true, "NUL"},
		{"a\x07b", true, "control"},
		{"a\x1bb", true, "control"},
		{"a\x7fb", true, "control"},
		{"a\u0085b", true, "control"},
		{"a\rb", true, "control"},
		{"\u202eabc", true, "bidirectional"},
		{"abc\u2066", true, "bidirectional"},
		{"a\u200fb", true, "bidirectional"},
		{"a\xc3", true, "UTF-8"},
		{strings.Repeat("é", 11), true, "longer than 10"},
		{"a\nb", false, "control"},
		{"a\tb", false, "control"},
		{"a\u2028b", false, "line separator"},
	}
	for _, tt := range bad {
		check := domain.CheckLine
		if tt.lines {
			check = domain.CheckText
		}
		err := check(tt.text, 10)
		require.Error(t, err, "%q", tt.text)
		require.Contains(t, err.Error(), tt.want, "%q", tt.text)
	}
	t.Logf("bad texts: %d", len(bad))
}

func TestCheckRectification(t *testing.T) {
	t.Parallel()
	good := []struct{ field, value, want string }{
		{"locale", "en_gb", "en-GB"},
		{"locale", "pt-BR", "pt-BR"},
		{"locale", "FR", "fr"},
		{"avatar_url", "https://cdn.example.com/a.png?s=64", "https://cdn.example.com/a.png?s=64"},
		{"avatar_url", "HTTP://cdn.example.com/a.png", "HTTP://cdn.example.com/a.png"},
		{"phone", "+33 (0)1 23-45.67/89", "+33 (0)1 23-45.67/89"},
		{"email", "new@example.org", "new@example.org"},
		{"name", "Jane Doe", "Jane Doe"},
	}
	for _, tt := range good {
		got, err := domain.CheckRectification(tt.field, tt.value)
		require.NoError(t, err, "%s=%q", tt.field, tt.value)
		require.Equal(t, tt.want, got)
	}
	bad := []struct{ field, value, want string }{
		{"avatar_url", "javascript:alert(1)", "http or https"},
		{"avatar_url", "data:image/png;base64,AAAA", "http or https"},
		{"avatar_url", "//cdn.example.com/a.png", "http or https"},
		{"avatar_url", "https:///a.png", "with a host"},
		{"avatar_url", "https:cdn.example.com", "with a host"},
		{"avatar_url", "https://user:pw@cdn.example.com/", "password"},
		{"avatar_url", "/relative/a.png", "http or https"},
		{"locale", "../../etc/passwd", "BCP 47"},
		{"locale", "und", "BCP 47"},
		{"locale", "english", "BCP 47"},
		{"locale", "en-US\u202e", "bidirectional"},
		{"phone", "call me", "phone number"},
		{"phone", "12", "3 to 20 digits"},
		{"phone", "1+2345", "phone number"},
		{"email", "a@localhost", "bare host"},
		{"name", "", "empty"},
		{"name", "   ", "blank"},
		{"name", "a\x00", "NUL"},
		{"display_name", "\u202eevil", "bidirectional"},
		{"shoe_size", "42", "cannot be rectified"},
	}
	for _, tt := range bad {
		_, err := domain.CheckRectification(tt.field, tt.value)
		require.Error(t, err, "%s=%q", tt.field, tt.value)
		require.Contains(t, err.Error(), tt.want, "%s=%q", tt.field, tt.value)
	}
	t.Logf("bad rectification values: %d", len(bad))
}

func TestValidID(t *testing.T) {
	t.Parallel()
	id := "0192f5a4-7b3c-7d2e-9f10-1a2b3c4d5e6f"
	require.True(t, domain.ValidID(id))
	for _, s := range []string{
		"", "urn:uuid:" + id, strings.ToUpper(id), "{" + id + "}", strings.ReplaceAll(id, "-", ""),
		id + " ", id + "\n", id + "0", id[:35], "0192f5a4-7b3c-7d2e-9f10-1a2b3c4d5e6g", "0192f5a4+7b3c-7d2e-9f10-1a2b3c4d5e6f",
	} {
		require.False(t, domain.ValidID(s), "%q", s)
	}
}
