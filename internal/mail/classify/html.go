package classify

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// htmlBlock says how many line breaks an element puts around itself: 2 for paragraphs and
// other elements that stand apart, 1 for elements that start a new line.
var htmlBlock = map[string]int{
	"p": 2, "h1": 2, "h2": 2, "h3": 2, "h4": 2, "h5": 2, "h6": 2, "ul": 2, "ol": 2, "dl": 2,
	"table": 2, "pre": 2, "hr": 2, "blockquote": 2,
	"div": 1, "tr": 1, "li": 1, "dt": 1, "dd": 1, "section": 1, "article": 1, "header": 1,
	"footer": 1, "address": 1, "center": 1, "form": 1, "fieldset": 1, "nav": 1, "main": 1,
	"figure": 1, "figcaption": 1, "caption": 1, "body": 1, "html": 1, "tbody": 1, "thead": 1,
	"tfoot": 1, "legend": 1, "details": 1, "summary": 1, "aside": 1, "option": 1,
}

// htmlRaw are the elements whose content is not text to show.
var htmlRaw = map[string]bool{
	"script": true, "style": true, "title": true, "template": true, "noscript": true,
	"xml": true, "svg": true, "object": true, "iframe": true,
}

// htmlToText converts an HTML document or fragment to plain text the way a mail reader
// shows it: markup, comments, scripts and styles go, entities are decoded, white space is
// collapsed, block elements and <br> become line breaks, list items get "- ", the content
// of <blockquote> gets a "> " prefix per level (as a quoted reply would in plain text), and
// a mailto: link whose text does not show the address gets it appended in angle brackets.
// It accepts any input, however broken.
func htmlToText(src string) string {
	var w textWriter
	i := 0
	for i < len(src) {
		if src[i] != '<' {
			j := strings.IndexByte(src[i:], '<')
			if j < 0 {
				j = len(src) - i
			}
			w.text(html.UnescapeString(src[i : i+j]))
			i += j
			continue
		}
		rest := src[i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest[4:], "-->")
			if end < 0 {
				return w.String()
			}
			i += 4 + end + 3
			continue
		case strings.HasPrefix(rest, "<![CDATA["):
			end := strings.Index(rest, "]]>")
			if end < 0 {
				w.text(rest[9:])
				return w.String()
			}
			w.text(rest[9:end])
			i += end + 3
			continue
		case len(rest) > 1 && (rest[1] == '!' || rest[1] == '?'):
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				return w.String()
			}
			i += end + 1
			continue
		}
		j := 1
		closing := false
		if j < len(rest) && rest[j] == '/' {
			closing = true
			j++
		}
		if j >= len(rest) || !isASCIILetter(rest[j]) {
			w.text("<")
			i++
			continue
		}
		k := j
		for k < len(rest) && (isASCIILetter(rest[k]) || rest[k] >= '0' && rest[k] <= '9' || rest[k] == '-' || rest[k] == ':') {
			k++
		}
		name := strings.ToLower(rest[j:k])
		end, attrs := scanTagEnd(rest, k)
		i += end
		if closing {
			w.close(name)
			continue
		}
		w.open(name, attrs)
		if htmlRaw[name] && !strings.HasSuffix(strings.TrimSpace(attrs), "/") {
			skip := indexFold(src[i:], "</"+name)
			if skip < 0 {
				return w.String()
			}
			i += skip
		}
	}
	return w.String()
}

// scanTagEnd returns the offset just past the '>' that ends the tag whose attributes start
// at s[from:], honouring quoted attribute values, and the attribute text.
func scanTagEnd(s string, from int) (int, string) {
	var quote byte
	for i := from; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i + 1, s[from:i]
		}
	}
	return len(s), s[from:]
}

// attrValue returns the value of the attribute named name in a tag's attribute text.
func attrValue(attrs, name string) string {
	s := attrs
	for len(s) > 0 {
		s = strings.TrimLeft(s, " \t\r\n\f/")
		k := 0
		for k < len(s) && s[k] != '=' && s[k] != ' ' && s[k] != '\t' && s[k] != '\n' && s[k] != '\r' && s[k] != '/' && s[k] != '>' {
			k++
		}
		if k == 0 {
			if len(s) > 0 {
				s = s[1:]
			}
			continue
		}
		key := strings.ToLower(s[:k])
		s = strings.TrimLeft(s[k:], " \t\r\n\f")
		val := ""
		if strings.HasPrefix(s, "=") {
			s = strings.TrimLeft(s[1:], " \t\r\n\f")
			if len(s) > 0 && (s[0] == '"' || s[0] == '\'') {
				q := s[0]
				end := strings.IndexByte(s[1:], q)
				if end < 0 {
					val, s = s[1:], ""
				} else {
					val, s = s[1:1+end], s[2+end:]
				}
			} else {
				end := strings.IndexAny(s, " \t\r\n\f>")
				if end < 0 {
					end = len(s)
				}
				val, s = s[:end], s[end:]
			}
		}
		if key == name {
			return html.UnescapeString(val)
		}
	}
	return ""
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// indexFold is strings.Index ignoring ASCII case of sub, which must be lower case.
func indexFold(s, sub string) int {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if s[i] == '<' && strings.EqualFold(s[i:i+n], sub) {
			return i
		}
	}
	return -1
}

// textWriter accumulates text with HTML white-space rules.
type textWriter struct {
	sb        strings.Builder
	space     bool // a space is pending
	newlines  int  // line breaks pending
	started   bool // something has been written
	lineStart bool // the next rune starts a line
	quote     int  // blockquote depth
	pre       int  // <pre> depth
	mailto    string
	linkStart int
}

func (w *textWriter) text(s string) {
	for _, r := range s {
		if r == utf8.RuneError || r == 0 {
			continue
		}
		if w.pre > 0 && (r == '\n' || r == ' ' || r == '\t') {
			if r == '\n' {
				w.newlines++
			} else {
				w.flush()
				w.sb.WriteRune(r)
			}
			continue
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			w.space = true
			continue
		}
		w.flush()
		w.sb.WriteRune(r)
	}
}

// flush writes the pending line breaks or space before a visible rune.
func (w *textWriter) flush() {
	switch {
	case !w.started:
		w.started = true
		w.lineStart = true
	case w.newlines > 0:
		w.sb.WriteString(strings.Repeat("\n", min(w.newlines, 2)))
		w.lineStart = true
	case w.space:
		if !w.lineStart {
			w.sb.WriteByte(' ')
		}
	}
	if w.lineStart && w.quote > 0 {
		w.sb.WriteString(strings.Repeat("> ", min(w.quote, 8)))
	}
	w.space, w.newlines, w.lineStart = false, 0, false
}

func (w *textWriter) breakLines(n int) {
	if w.started && w.newlines < n {
		w.newlines = n
	}
	w.space = false
}

func (w *textWriter) open(name string, attrs string) {
	switch name {
	case "br":
		if w.started {
			w.newlines = min(w.newlines+1, 2)
		}
		return
	case "li":
		w.breakLines(1)
		w.text("- ")
		return
	case "td", "th":
		w.space = true
		return
	case "blockquote":
		w.breakLines(2)
		w.quote++
		return
	case "pre":
		w.pre++
	case "a":
		if href := strings.TrimSpace(attrValue(attrs, "href")); len(href) > 7 && strings.EqualFold(href[:7], "mailto:") {
			addr := href[7:]
			if q := strings.IndexByte(addr, '?'); q >= 0 {
				addr = addr[:q]
			}
			w.mailto, w.linkStart = addr, w.sb.Len()
		}
		return
	}
	if n := htmlBlock[name]; n > 0 {
		w.breakLines(n)
	}
}

func (w *textWriter) close(name string) {
	switch name {
	case "blockquote":
		if w.quote > 0 {
			w.quote--
		}
		w.breakLines(2)
		return
	case "pre":
		if w.pre > 0 {
			w.pre--
		}
	case "a":
		if w.mailto != "" {
			shown := ""
			if w.linkStart <= w.sb.Len() {
				shown = w.sb.String()[w.linkStart:]
			}
			addr := strings.TrimSpace(unescapeURL(w.mailto))
			if addr != "" && !strings.Contains(strings.ToLower(shown), strings.ToLower(addr)) {
				w.text(" <" + addr + ">")
			}
			w.mailto = ""
		}
		return
	}
	if n := htmlBlock[name]; n > 0 {
		w.breakLines(n)
	}
}

// String returns the text with trailing spaces removed from every line.
func (w *textWriter) String() string {
	lines := strings.Split(w.sb.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// unescapeURL undoes %XX escapes, leaving malformed ones as they are.
func unescapeURL(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return toUTF8([]byte(b.String()))
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
