package classify

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // registers every charset x/text knows
	"github.com/emersion/go-message/mail"
)

// DefaultLimit is the size limit Parse applies when it is given a limit of zero or less.
const DefaultLimit int64 = 25 << 20

const (
	maxTextBytes  = 1 << 20 // text kept in Message.Text, all parts together
	maxDepth      = 12      // nesting of multiparts and attached messages
	maxParts      = 500     // MIME parts in one message, attached messages included
	maxForwarded  = 8       // attached messages kept in Message.Forwarded
	maxPartTypes  = 64      // entries kept in Message.PartTypes
	maxDefects    = 32      // entries kept in Message.Defects
	maxHeaderSize = 1 << 20 // one header block
)

var (
	// ErrTooLarge is returned by Parse for a message bigger than its limit.
	ErrTooLarge = errors.New("inbox: message too large")
	// ErrMalformed is returned by Parse for input that cannot be read as a mail message: no
	// header, a header that does not parse, no From field, a multipart body without a
	// single part, or nesting beyond reason.
	ErrMalformed = errors.New("inbox: malformed message")
)

// Address is one mailbox of an address header: a display name (RFC 2047 decoded, may be
// empty) and an address.
type Address struct {
	Name  string
	Email string
}

// Attachment describes one attachment or non-text part. Its bytes are hashed while they
// are read and never kept.
type Attachment struct {
	// Filename from Content-Disposition, else the Content-Type name parameter; may be empty.
	Filename string
	// ContentType is the media type, lower case, without parameters.
	ContentType string
	// Size is the decoded size in bytes.
	Size int64
	// SHA256 is the hex SHA-256 of the decoded bytes.
	SHA256 string
}

// Message is what Parse reads out of one mail: the headers the classifier uses, one text
// body and the attachments' descriptions. Header values are decoded to UTF-8 and trimmed.
type Message struct {
	From       Address
	ReplyTo    []Address
	To         []Address
	Cc         []Address
	Subject    string
	MessageID  string   // without angle brackets
	InReplyTo  []string // message ids, without angle brackets
	References []string // message ids, without angle brackets
	Date       time.Time

	AutoSubmitted         string // RFC 3834 Auto-Submitted
	XAutoreply            string // X-Autoreply, or X-Autorespond
	XAutoResponseSuppress string // X-Auto-Response-Suppress (Exchange)
	Precedence            string
	ListUnsubscribe       string
	ListID                string
	ListPost              string
	ReturnPath            string
	XFailedRecipients     string

	// ContentType is the media type of the top part, lower case, without parameters.
	ContentType string
	// ReportType is the report-type parameter of a multipart/report (e.g. delivery-status).
	ReportType string
	// PartTypes lists the media types of every part, in order (capped).
	PartTypes []string

	// Text is the body as plain text: the text/plain parts, or the HTML parts converted when
	// there is no plain text. Line ends are "\n".
	Text string
	// TextFormat is "plain" or "html" (the source of Text), or "" when the mail has no text.
	TextFormat string
	// TextTruncated is set when the text was longer than what Message keeps (1 MiB).
	TextTruncated bool

	// Attachments are the parts that are not the text, in order: files, inline images,
	// text sent as an attachment, attached messages.
	Attachments []Attachment
	// Forwarded holds the messages attached as message/rfc822: a mail forwarded as an
	// attachment, or the returned message of a bounce.
	Forwarded []*Message
	// Defects names what was wrong but could be read past (e.g. "unknown_charset",
	// "truncated_multipart", "bad_base64"); it never contains message content.
	Defects []string
}

// Parse reads one RFC 5322 message from r. It reads at most limit bytes (DefaultLimit
// when limit <= 0) and fails with ErrTooLarge beyond; input that is not a mail message
// fails with ErrMalformed. Either can be tested with errors.Is. A defect that the message
// can be read past (an unknown charset, a truncated multipart, bad base64) does not fail
// Parse but is named in Message.Defects. Parse does not panic, whatever the input.
func Parse(r io.Reader, limit int64) (m *Message, err error) {
	defer func() {
		// A safety net only: the fuzz test runs parse without it, so any panic is found.
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("%w: parser failure", ErrMalformed)
		}
	}()
	return parse(r, limit)
}

func parse(r io.Reader, limit int64) (*Message, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	lr := &limitReader{r: r, limit: limit}
	p := &parser{lr: lr, textBudget: maxTextBytes}
	m, err := p.message(lr, 0)
	if err == nil {
		// Read what is left (an epilogue, trailing garbage) so that the limit holds for the
		// whole input.
		_, err = io.Copy(io.Discard, lr)
	}
	switch {
	case lr.exceeded:
		return nil, fmt.Errorf("message over %d bytes: %w", limit, ErrTooLarge)
	case lr.err != nil:
		return nil, fmt.Errorf("read message: %w", lr.err)
	case err != nil:
		return nil, err
	}
	return m, nil
}

// limitReader reads at most limit bytes and remembers whether r had more, and the first
// error of r other than io.EOF: go-message flattens some errors to text, so Parse looks
// here to tell a read failure or an oversized message from a malformed one.
type limitReader struct {
	r        io.Reader
	n, limit int64
	exceeded bool
	err      error
}

func (l *limitReader) Read(b []byte) (int, error) {
	if l.exceeded {
		return 0, ErrTooLarge
	}
	if l.err != nil {
		return 0, l.err
	}
	if room := l.limit - l.n + 1; int64(len(b)) > room {
		b = b[:room]
	}
	n, err := l.r.Read(b)
	l.n += int64(n)
	if l.n > l.limit {
		l.exceeded = true
		return 0, ErrTooLarge
	}
	if err != nil && err != io.EOF {
		l.err = err
	}
	return n, err
}

type parser struct {
	lr         *limitReader
	parts      int
	textBudget int
	truncated  bool
}

// fatal says whether reading must stop: the input is too large or failed to read.
func (p *parser) fatal() bool { return p.lr.exceeded || p.lr.err != nil }

// malformed wraps ErrMalformed, and cause when it is one of this package's own errors.
// Errors from go-message are not wrapped: their text quotes the offending input, which
// may be personal data.
func malformed(what string, cause error) error {
	if cause == nil {
		return fmt.Errorf("%s: %w", what, ErrMalformed)
	}
	return fmt.Errorf("%s: %w: %w", what, ErrMalformed, cause)
}

// message reads one message (the top one, or one attached as message/rfc822).
func (p *parser) message(r io.Reader, depth int) (*Message, error) {
	if depth > maxDepth {
		return nil, malformed("attached messages nested too deep", errStructure)
	}
	e, err := message.ReadWithOptions(r, &message.ReadOptions{MaxHeaderBytes: maxHeaderSize})
	m := &Message{}
	if err != nil {
		if e == nil || !(message.IsUnknownCharset(err) || message.IsUnknownEncoding(err)) {
			if p.fatal() {
				return nil, err
			}
			return nil, malformed("read header", nil)
		}
		m.defect(entityDefect(err))
	}
	h := mail.Header{Header: e.Header}
	if h.Len() == 0 {
		return nil, malformed("no header fields", nil)
	}
	if !h.Has("From") {
		return nil, malformed("no From field", nil)
	}
	mt, params := m.readHeader(h)
	b, err := p.walkTyped(m, e, depth, true, mt, params)
	if err != nil {
		return nil, err
	}
	plain := strings.Join(b.plain, "\n\n")
	if looksLikeHTML(plain) {
		b.html, plain = append([]string{plain}, b.html...), ""
	}
	switch {
	case strings.TrimSpace(plain) != "":
		m.Text, m.TextFormat = normalizeText(plain), "plain"
	case len(b.html) > 0:
		if t := htmlToText(strings.Join(b.html, "\n")); t != "" {
			m.Text, m.TextFormat = normalizeText(t), "html"
		}
	}
	m.TextTruncated = p.truncated
	return m, nil
}

func entityDefect(err error) string {
	if message.IsUnknownEncoding(err) {
		return "unknown_transfer_encoding"
	}
	return "unknown_charset"
}

func (m *Message) defect(d string) {
	for _, x := range m.Defects {
		if x == d {
			return
		}
	}
	if len(m.Defects) < maxDefects {
		m.Defects = append(m.Defects, d)
	}
}

// readHeader fills m's header fields from h, and returns its media type and parameters
// (contentType).
func (m *Message) readHeader(h mail.Header) (string, map[string]string) {
	if from := addressList(h, "From"); len(from) > 0 {
		m.From = from[0]
	}
	m.ReplyTo = addressList(h, "Reply-To")
	m.To = addressList(h, "To")
	m.Cc = addressList(h, "Cc")
	subject, err := h.Subject()
	if err != nil {
		m.defect("bad_subject_encoding")
	}
	m.Subject = oneLine(subject)
	if ids := msgIDs(h.Get("Message-Id")); len(ids) > 0 {
		m.MessageID = ids[0]
	}
	m.InReplyTo = msgIDs(h.Get("In-Reply-To"))
	m.References = msgIDs(h.Get("References"))
	if d, err := h.Date(); err == nil {
		m.Date = d
	} else {
		m.defect("bad_date")
	}
	raw := func(k string) string { return oneLine(h.Get(k)) }
	m.AutoSubmitted = raw("Auto-Submitted")
	m.XAutoreply = raw("X-Autoreply")
	if m.XAutoreply == "" {
		m.XAutoreply = raw("X-Autorespond")
	}
	m.XAutoResponseSuppress = raw("X-Auto-Response-Suppress")
	m.Precedence = raw("Precedence")
	m.ListUnsubscribe = raw("List-Unsubscribe")
	m.ListID = raw("List-Id")
	m.ListPost = raw("List-Post")
	m.ReturnPath = raw("Return-Path")
	m.XFailedRecipients = raw("X-Failed-Recipients")
	mt, params := contentType(h.Header)
	m.ContentType = mt
	if mt == "multipart/report" {
		m.ReportType = strings.ToLower(params["report-type"])
	}
	return mt, params
}

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9._%+'=-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,24}`)
)

// addressList parses an address header, falling back to picking the addresses out of
// the text when the field does not parse.
func addressList(h mail.Header, key string) []Address {
	v := h.Get(key)
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var out []Address
	if list, err := mail.ParseAddressList(v); err == nil {
		for _, a := range list {
			if a == nil || len(out) >= 100 {
				continue
			}
			out = append(out, Address{Name: oneLine(a.Name), Email: cleanText(strings.TrimSpace(a.Address))})
		}
		return out
	}
	decoded, _ := h.Text(key)
	decoded = cleanText(decoded)
	for _, e := range emailRe.FindAllString(decoded, 100) {
		out = append(out, Address{Email: e})
	}
	if len(out) == 1 {
		if i := strings.Index(decoded, out[0].Email); i > 0 {
			out[0].Name = strings.Trim(oneLine(decoded[:i]), ` "<>`)
		}
	}
	return out
}

// msgIDs returns the message ids in a Message-ID, In-Reply-To or References value.
func msgIDs(v string) []string {
	var out []string
	for _, id := range findMsgIDs(v, 100) {
		out = append(out, cleanText(id))
	}
	if len(out) == 0 {
		for _, f := range strings.Fields(v) {
			if strings.Contains(f, "@") && len(out) < 100 {
				out = append(out, cleanText(strings.Trim(f, "<>,")))
			}
		}
	}
	return out
}

// findMsgIDs returns the submatches of the first n matches of <([^<>\s]{1,500})> in v: the text
// between '<' and '>' when it is 1 to 500 runes with no '<', '>' or white space (\s).
// Searching by hand is much faster than the regexp, whose 500-fold repetition makes it
// run on the slow NFA.
func findMsgIDs(v string, n int) []string {
	var out []string
	for i := 0; len(out) < n; {
		j := strings.IndexByte(v[i:], '<')
		if j < 0 {
			break
		}
		start := i + j + 1
		k, runes := start, 0
		for k < len(v) && runes <= 500 {
			c := v[k]
			if c == '<' || c == '>' || c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' {
				break
			}
			if c < utf8.RuneSelf {
				k++
			} else {
				_, size := utf8.DecodeRuneInString(v[k:]) // an invalid byte counts as a rune, as in regexp
				k += size
			}
			runes++
		}
		if runes >= 1 && runes <= 500 && k < len(v) && v[k] == '>' {
			out = append(out, v[start:k])
			i = k + 1
		} else {
			i = start // the next '<' is at k or later
		}
	}
	return out
}

// oneLine makes a header value valid UTF-8 on one line with single spaces.
func oneLine(s string) string {
	s = cleanText(s)
	if isOneLine(s) {
		return s // as Fields and Join would leave it
	}
	return strings.Join(strings.Fields(s), " ")
}

// isOneLine says whether s is ASCII with single spaces between words and no other white
// space, which oneLine keeps as it is.
func isOneLine(s string) bool {
	space := true // a leading space is not kept
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf, c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
			return false // maybe white space (U+0085, U+00A0, ...): Fields decides
		case c == ' ':
			if space {
				return false
			}
			space = true
		default:
			space = false
		}
	}
	return !space || s == ""
}

// contentType returns the lower-case media type of a header and its parameters; text/plain
// when there is none, and the part before any ';' when it does not parse.
func contentType(h message.Header) (string, map[string]string) {
	v := h.Get("Content-Type")
	if strings.TrimSpace(v) == "" {
		return "text/plain", map[string]string{}
	}
	mt, params, err := h.ContentType() // decodes RFC 2047 words in parameters
	if err != nil {
		mt, _, _ = strings.Cut(v, ";")
		params = map[string]string{}
	}
	mt = strings.ToLower(strings.TrimSpace(mt))
	if !strings.Contains(mt, "/") {
		mt = "text/plain"
	}
	return mt, params
}

// bodies are the text pieces found under one part.
type bodies struct {
	plain, html []string
}

func (b bodies) hasPlain() bool {
	for _, s := range b.plain {
		if strings.TrimSpace(s) != "" {
			return true
		}
	}
	return false
}

var (
	errNoParts = errors.New("multipart body without parts")
	// errStructure marks the structure limits, which stop the whole parse even inside an
	// attached message.
	errStructure = errors.New("structure beyond limits")
)

// walk reads the entity e, recursing into multiparts, and returns the text found; it
// records attachments, attached messages and defects in m.
func (p *parser) walk(m *Message, e *message.Entity, depth int, top bool) (bodies, error) {
	mt, params := contentType(e.Header)
	return p.walkTyped(m, e, depth, top, mt, params)
}

// walkTyped is walk for an entity whose contentType is already known (the header of a
// message, which readHeader has read).
func (p *parser) walkTyped(m *Message, e *message.Entity, depth int, top bool, mt string, params map[string]string) (bodies, error) {
	var b bodies
	p.parts++
	if p.parts > maxParts {
		return b, malformed(fmt.Sprintf("more than %d parts", maxParts), errStructure)
	}
	if len(m.PartTypes) < maxPartTypes {
		m.PartTypes = append(m.PartTypes, mt)
	}
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= maxDepth {
			return b, malformed("multiparts nested too deep", errStructure)
		}
		return p.multipart(m, e, mt, depth, top)
	}
	kind, filename := leafKind(e.Header, mt, params)
	switch kind {
	case leafMessage:
		return b, p.attached(m, e, filename, mt, depth)
	case leafText:
		data, err := p.readText(e.Body)
		if err != nil {
			if p.fatal() {
				return b, err
			}
			m.defect(readDefect(err))
		}
		if mt == "text/html" {
			b.html = append(b.html, data)
		} else {
			b.plain = append(b.plain, data)
		}
		return b, nil
	default:
		return b, p.attachment(m, e.Body, filename, mt)
	}
}

// Kinds of a part that is not a multipart.
const (
	leafText       = iota // text of the mail, not an attachment
	leafMessage           // an attached message
	leafAttachment        // a file
)

// leafKind says what a part that is not a multipart is, and its file name. Parse and Redact
// both decide by it, so that what Redact cuts out is what Parse lists as attachments.
func leafKind(h message.Header, mt string, params map[string]string) (int, string) {
	disp, dparams, _ := h.ContentDisposition()
	disp = strings.ToLower(disp)
	filename := dparams["filename"]
	if filename == "" {
		filename = params["name"]
	}
	filename = oneLine(filename)
	isText := mt == "text/plain" || mt == "text/html"
	switch {
	case mt == "message/rfc822" || mt == "message/global":
		return leafMessage, filename
	case isText && disp != "attachment" && (filename == "" || disp == "inline"):
		return leafText, filename
	}
	return leafAttachment, filename
}

func (p *parser) multipart(m *Message, e *message.Entity, mt string, depth int, top bool) (bodies, error) {
	var b bodies
	mr := e.MultipartReader()
	if mr == nil {
		return b, malformed("multipart without reader", nil)
	}
	var kids []bodies
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if p.fatal() {
			return b, err
		}
		if part == nil {
			if n == 0 {
				if top {
					return b, malformed("read multipart body", errNoParts)
				}
				m.defect("empty_multipart")
			} else {
				m.defect("truncated_multipart")
			}
			break
		}
		if err != nil {
			m.defect(entityDefect(err))
		}
		kid, err := p.walk(m, part, depth+1, false)
		if err != nil {
			return b, err
		}
		kids = append(kids, kid)
	}
	if mt == "multipart/alternative" {
		for _, k := range kids {
			if k.hasPlain() {
				return k, nil
			}
		}
		for _, k := range kids {
			if len(k.html) > 0 {
				return k, nil
			}
		}
	}
	for _, k := range kids {
		b.plain = append(b.plain, k.plain...)
		b.html = append(b.html, k.html...)
	}
	return b, nil
}

// attached reads a message/rfc822 part: it is hashed like any attachment and, when it
// parses, its headers and text are kept in m.Forwarded.
func (p *parser) attached(m *Message, e *message.Entity, filename, mt string, depth int) error {
	sum := sha256.New()
	cr := &countReader{r: io.TeeReader(e.Body, sum)}
	inner, err := p.message(cr, depth+1)
	switch {
	case p.fatal():
		return err
	case err != nil && !errors.Is(err, ErrMalformed):
		return err
	case errors.Is(err, errStructure):
		return err
	case err != nil:
		m.defect("bad_attached_message")
	case len(m.Forwarded) < maxForwarded:
		m.Forwarded = append(m.Forwarded, inner)
	}
	if _, err := io.Copy(io.Discard, cr); err != nil {
		if p.fatal() {
			return err
		}
		m.defect(readDefect(err))
	}
	if filename == "" {
		filename = "message.eml"
	}
	m.Attachments = append(m.Attachments, Attachment{Filename: filename, ContentType: mt, Size: cr.n, SHA256: hex.EncodeToString(sum.Sum(nil))})
	return nil
}

// copyBufs hold buffers of io.Copy's own size, reused across attachments rather than
// allocated for each.
var copyBufs = sync.Pool{New: func() any {
	b := make([]byte, 32<<10)
	return &b
}}

// attachment hashes a part's body as it streams past.
func (p *parser) attachment(m *Message, body io.Reader, filename, mt string) error {
	sum := sha256.New()
	buf := copyBufs.Get().(*[]byte)
	n, err := io.CopyBuffer(sum, body, *buf)
	copyBufs.Put(buf)
	if err != nil {
		if p.fatal() {
			return err
		}
		m.defect(readDefect(err))
	}
	m.Attachments = append(m.Attachments, Attachment{Filename: filename, ContentType: mt, Size: n, SHA256: hex.EncodeToString(sum.Sum(nil))})
	return nil
}

// readText reads a text part, keeping what fits in the text budget and discarding the rest.
func (p *parser) readText(r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(p.textBudget)))
	p.textBudget -= len(data)
	if err == nil {
		var n int64
		n, err = io.Copy(io.Discard, r)
		if n > 0 {
			p.truncated = true
		}
	}
	return toUTF8(data), err
}

func readDefect(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated_multipart"
	case strings.Contains(msg, "base64"):
		return "bad_base64"
	case strings.Contains(msg, "quotedprintable"):
		return "bad_quoted_printable"
	}
	return "unreadable_part"
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// looksLikeHTML says whether a text/plain body is in fact an HTML document.
func looksLikeHTML(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(s, "<!doctype html") || strings.HasPrefix(s, "<html") ||
		(strings.HasPrefix(s, "<") && strings.Contains(s, "<body") && strings.Contains(s, "</"))
}

// normalizeText makes line ends "\n" and drops control characters.
func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(cleanText(s))
}
