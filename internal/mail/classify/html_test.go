package classify

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHTMLToText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, html, want string
	}{
		{name: "paragraphs and breaks", html: "<p>Hello,</p><p>please delete<br>my account.</p>", want: "Hello,\n\nplease delete\nmy account."},
		{name: "entities", html: "J&#x27;exerce mon droit d&#39;acc&egrave;s &amp; plus&nbsp;encore &lt;3 &#8364;", want: "J'exerce mon droit d'accès & plus encore <3 €"},
		{name: "white space collapses", html: "  a \n\t b   <span> c </span>  ", want: "a b c"},
		{name: "script, style, title, comments and doctype go", html: "<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style><script>var a = '<p>';</script></head><body><!-- <p>hidden</p> -->shown</body></html>", want: "shown"},
		{name: "lists", html: "<ul><li>one</li><li>two</li></ul>", want: "- one\n- two"},
		{name: "blockquote becomes a quote", html: "<div>reply</div><blockquote><p>old text</p><p>more</p></blockquote><div>after</div>", want: "reply\n\n> old text\n\n> more\n\nafter"},
		{name: "table cells", html: "<table><tr><td>Name</td><td>Pablo</td></tr><tr><td>Mail</td><td>p@x.example</td></tr></table>", want: "Name Pablo\nMail p@x.example"},
		{name: "mailto link shows its address", html: `Write to <a href="mailto:carla%40mail.example?subject=hi">Carla</a>.`, want: "Write to Carla <carla@mail.example>."},
		{name: "mailto link showing its address", html: `<a href='mailto:c@m.example'>c@m.example</a>`, want: "c@m.example"},
		{name: "attribute with > inside quotes", html: `<a title="a > b" href="https://x">link</a> text`, want: "link text"},
		{name: "pre keeps spacing", html: "<pre>a  b\n  c</pre>", want: "a  b\n  c"},
		{name: "stray less-than", html: "1 < 2 and 3 <> 4", want: "1 < 2 and 3 <> 4"},
		{name: "unterminated tag", html: "text <b", want: "text"},
		{name: "unterminated comment", html: "text <!-- never closed", want: "text"},
		{name: "unterminated script", html: "text <script>alert(1)", want: "text"},
		{name: "cdata", html: "<![CDATA[raw & text]]>", want: "raw & text"},
		{name: "self-closing script", html: "<script src=x />after", want: "after"},
		{name: "upper-case tags", html: "<P>One</P><BR><DIV>Two</DIV>", want: "One\n\nTwo"},
		{name: "empty", html: "", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, htmlToText(tc.html))
		})
	}
}

func TestToUTF8(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{name: "valid utf-8 kept", in: []byte("Grüße €"), want: "Grüße €"},
		{name: "latin-1", in: []byte("Gr\xfc\xdfe"), want: "Grüße"},
		{name: "windows-1252 specials", in: []byte("\x80 \x85 \x93q\x94 \x99"), want: "€ … “q” ™"},
		{name: "undefined windows-1252 bytes", in: []byte("\x81\x8d"), want: "\u0081\u008d"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, toUTF8(tc.in))
		})
	}
}
