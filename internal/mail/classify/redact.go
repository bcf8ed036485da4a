package classify

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// Digest describes one attachment removed from a message.
type Digest struct {
	// Filename is the attachment's name (see Attachment.Filename); may be empty.
	Filename string `json:"filename"`
	// ContentType is the media type, lower case, without parameters.
	ContentType string `json:"content_type"`
	// Size is the decoded size in bytes.
	Size int64 `json:"size"`
	// SHA256 is the hex SHA-256 of the decoded bytes, as in Attachment.SHA256.
	SHA256 string `json:"sha256"`
}

// RedactedHeader is the header field that marks the part Redact puts in place of a removed
// attachment; its value is "sha256=" and the hex digest of the removed file.
const RedactedHeader = "X-Dsr-Redacted"

// placeholderText is the body of a placeholder part: it says what was removed and can hold
// nothing else, so that Redact can recognise its own placeholders and leave them alone.
const placeholderText = "This attachment was removed after identity verification.\r\n" +
	"Size: %d bytes\r\n" +
	"SHA-256: %s\r\n"

var placeholderRe = regexp.MustCompile(`\AThis attachment was removed after identity verification\.\r?\nSize: [0-9]{1,19} bytes\r?\nSHA-256: [0-9a-f]{64}\r?\n\z`)

// Redact returns raw with the body of every attachment replaced by a short text/plain part
// that says the file was removed after identity verification and gives its size and
// SHA-256. It returns the digests of the removed parts, in the order they appear, their
// SHA256 equal to the Attachment.SHA256 that Parse gives for them.
//
// An attachment is what Parse lists in Message.Attachments: any leaf part that is not a
// text/plain or text/html body (files, inline images, text sent as an attachment), and an
// attached message (message/rfc822) that Parse cannot read as a message. An attached message
// that Parse reads is kept, headers and text, with its own attachments redacted the same way.
//
// Everything else is kept: the header of the top message byte for byte, the header fields of
// every part that stays, the multipart structure and boundaries, and the text bodies byte for
// byte, so that Parse of the result gives the same Text, Subject, From and MessageID as Parse
// of raw. Preambles and epilogues of the multiparts that are rebuilt are dropped, and so is
// what follows a part cut short. Should the top message itself be an attachment, its content
// fields (Content-Type, Content-Transfer-Encoding, Content-Disposition, Content-Description)
// are replaced and its other header fields kept. The result may be a few hundred bytes per
// attachment larger than raw when the attachments are tiny.
//
// A placeholder is a text/plain attachment (so Parse lists it, not its text, among the
// attachments) named after the file with ".removed.txt" appended and marked with
// RedactedHeader. Redact leaves placeholders alone, so redacting twice removes nothing more. A
// message with nothing to remove comes back unchanged (raw itself) with no digests.
//
// Redact accepts exactly what Parse accepts: it fails with ErrTooLarge beyond limit
// (DefaultLimit when limit <= 0) and with ErrMalformed for input that is not a mail message.
// It does not panic, whatever the input.
func Redact(raw []byte, limit int64) (out []byte, digests []Digest, err error) {
	defer func() {
		// A safety net only: the fuzz test runs redact without it, so any panic is found.
		if p := recover(); p != nil {
			out, digests, err = nil, nil, fmt.Errorf("redact: %w: redaction failure", ErrMalformed)
		}
	}()
	return redact(raw, limit)
}

func redact(raw []byte, limit int64) ([]byte, []Digest, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	if _, err := parse(bytes.NewReader(raw), limit); err != nil {
		return nil, nil, fmt.Errorf("redact: %w", err)
	}
	r := &redactor{}
	out, changed, err := r.message(body{b: raw}, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("redact: %w", err)
	}
	if !changed {
		return raw, nil, nil
	}
	// What Redact writes has CRLF line ends; keep a message that has none in its own style.
	if !bytes.Contains(raw, []byte("\r\n")) {
		out = bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n"))
	}
	return out, r.digests, nil
}

type redactor struct {
	parts   int
	digests []Digest
}

// body is an entity's body as it stands in the message (still transfer-encoded), with the
// error that reading it ends in where Parse meets one: io.ErrUnexpectedEOF for a part cut
// short by the end of its multipart, or the decoding error of an attached message that does
// not decode to its end. Redact reads every body as Parse does, so that both see the same
// parts and the same attached messages.
type body struct {
	b   []byte
	end error // nil for a clean end
}

func (b body) reader() io.Reader {
	r := bytes.NewReader(b.b)
	if b.end == nil {
		return r
	}
	return io.MultiReader(r, failReader{b.end})
}

type failReader struct{ err error }

func (f failReader) Read([]byte) (int, error) { return 0, f.err }

// redacted is what became of one entity: its new body and, when the header changes too, its
// new header (nil keeps the old one).
type redacted struct {
	header *textproto.Header
	body   []byte
}

// message redacts one message (the top one, or one attached as message/rfc822) and says
// whether anything in it changed. Its header is kept byte for byte unless the message itself
// is an attachment.
func (r *redactor) message(raw body, depth int) ([]byte, bool, error) {
	if depth > maxDepth {
		return nil, false, malformed("attached messages nested too deep", errStructure)
	}
	// Parse has read this header (the top message's, or an attached message's that parsed):
	// it is whole and ends before raw.end is met.
	rd := bytes.NewReader(raw.b)
	br := bufio.NewReader(rd)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return nil, false, malformed("read header", nil)
	}
	at := len(raw.b) - rd.Len() - br.Buffered()
	res, err := r.entity(h, body{b: raw.b[at:], end: raw.end}, depth, true)
	if err != nil || res == nil {
		return nil, false, err
	}
	var out bytes.Buffer
	if res.header == nil {
		out.Write(raw.b[:at])
	} else if err := textproto.WriteHeader(&out, *res.header); err != nil {
		return nil, false, malformed("write header", nil)
	}
	out.Write(res.body)
	return out.Bytes(), true, nil
}

// entity redacts one entity, a message or a part of a multipart, given its header and body.
// It returns nil when nothing in it is removed. It decides by leafKind, as Parse does.
func (r *redactor) entity(h textproto.Header, b body, depth int, isMessage bool) (*redacted, error) {
	r.parts++
	if r.parts > maxParts {
		return nil, malformed(fmt.Sprintf("more than %d parts", maxParts), errStructure)
	}
	mh := message.Header{Header: h}
	mt, params := contentType(mh)
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= maxDepth {
			return nil, malformed("multiparts nested too deep", errStructure)
		}
		return r.multipart(params["boundary"], b, depth)
	}
	kind, filename := leafKind(mh, mt, params)
	switch {
	case kind == leafMessage:
		return r.attached(h, mt, filename, b, depth, isMessage)
	case kind == leafText:
		return nil, nil
	case mt == "text/plain" && isPlaceholder(h, b):
		return nil, nil
	}
	e, _ := message.New(mh, b.reader()) // an unknown encoding leaves the body as it is, as in Parse
	return r.remove(h, isMessage, mt, filename, e.Body)
}

// multipart redacts the parts of a multipart body. It reads the parts Parse reads: up to the
// closing boundary, or up to where the body is cut short or unreadable.
func (r *redactor) multipart(boundary string, b body, depth int) (*redacted, error) {
	type part struct {
		header textproto.Header
		body   []byte
	}
	var parts []part
	changed := false
	mr := textproto.NewMultipartReader(b.reader(), boundary)
	for {
		p, err := mr.NextPart()
		if err != nil {
			break // io.EOF, or a rest cut short or unreadable
		}
		data, readErr := io.ReadAll(p)
		kid := part{header: p.Header, body: data}
		res, err := r.entity(p.Header, body{b: data, end: readErr}, depth+1, false)
		if err != nil {
			return nil, err
		}
		if res != nil {
			changed = true
			kid.body = res.body
			if res.header != nil {
				kid.header = *res.header
			}
		}
		parts = append(parts, kid)
		if readErr != nil {
			break // the body ends inside this part
		}
	}
	if !changed {
		return nil, nil
	}
	// The boundary still delimits the parts: none of the bodies kept contains it, and no line
	// of a placeholder starts with "--". Every part rebuilt is whole.
	var out bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			out.WriteString("\r\n")
		}
		out.WriteString("--" + boundary + "\r\n")
		if err := textproto.WriteHeader(&out, p.header); err != nil {
			return nil, malformed("write part header", nil)
		}
		out.Write(p.body)
	}
	out.WriteString("\r\n--" + boundary + "--\r\n")
	return &redacted{body: out.Bytes()}, nil
}

// attached redacts an attached message. One that Parse reads as a message keeps its headers
// and text and loses its own attachments; one that Parse cannot read is an attachment as a
// whole.
func (r *redactor) attached(h textproto.Header, mt, filename string, b body, depth int, isMessage bool) (*redacted, error) {
	if filename == "" {
		filename = "message.eml"
	}
	// Read it as Parse's attached does, keeping the decoded bytes and the error they end in.
	e, _ := message.New(message.Header{Header: h}, b.reader())
	dec := &endReader{r: e.Body}
	var inner bytes.Buffer
	tee := io.TeeReader(dec, &inner)
	// A parser of its own, on no stream of its own: its limits and reads are not the point.
	p := &parser{lr: &limitReader{}, textBudget: maxTextBytes}
	_, err := p.message(tee, depth+1)
	_, _ = io.Copy(io.Discard, tee) // the rest; an error is kept in dec.err
	if err != nil {
		return r.remove(h, isMessage, mt, filename, &inner)
	}
	out, changed, err := r.message(body{b: inner.Bytes(), end: dec.err}, depth+1)
	if err != nil || !changed {
		return nil, err
	}
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "", "7bit", "8bit", "binary":
		return &redacted{body: out}, nil
	}
	// An attached message should not be encoded (RFC 2046 section 5.2.1) but some are: the
	// redacted one is written back in base64.
	nh := h.Copy()
	nh.Set("Content-Transfer-Encoding", "base64")
	return &redacted{header: &nh, body: base64Lines(out)}, nil
}

// endReader remembers the first error other than io.EOF that its reader returned.
type endReader struct {
	r   io.Reader
	err error
}

func (e *endReader) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// remove hashes an attachment's decoded body and returns the placeholder that replaces it.
// A body that does not decode to its end (bad base64) is hashed as far as it decodes, as
// Parse does. h is the header of the entity removed: a part's is replaced by the
// placeholder's, a message's keeps its fields other than the content ones.
func (r *redactor) remove(h textproto.Header, isMessage bool, mt, filename string, decoded io.Reader) (*redacted, error) {
	sum := sha256.New()
	n, _ := io.Copy(sum, decoded)
	d := Digest{Filename: filename, ContentType: mt, Size: n, SHA256: hex.EncodeToString(sum.Sum(nil))}
	r.digests = append(r.digests, d)

	// textproto adds a field at the top of a header: fields are added in the reverse of the
	// order they show.
	var mh message.Header
	mh.Set(RedactedHeader, "sha256="+d.SHA256)
	mh.Set("Content-Transfer-Encoding", "7bit")
	name := "removed.txt"
	if filename != "" {
		name = filename + ".removed.txt"
	}
	mh.SetContentDisposition("attachment", map[string]string{"filename": name})
	mh.SetContentType("text/plain", map[string]string{"charset": "us-ascii"})
	if isMessage {
		// A message keeps its other fields, first and byte for byte.
		var kept [][]byte
		for f := h.Fields(); f.Next(); {
			if contentFields[f.Key()] {
				continue
			}
			raw, err := f.Raw()
			if err != nil {
				return nil, malformed("copy header", nil)
			}
			kept = append(kept, raw)
		}
		for i := len(kept) - 1; i >= 0; i-- {
			mh.AddRaw(kept[i])
		}
	}
	return &redacted{header: &mh.Header, body: fmt.Appendf(nil, placeholderText, d.Size, d.SHA256)}, nil
}

// contentFields are the fields of a removed message that describe its content: the
// placeholder's own take their place. Keys are canonical, as textproto gives them.
var contentFields = map[string]bool{
	"Content-Type":              true,
	"Content-Transfer-Encoding": true,
	"Content-Disposition":       true,
	"Content-Description":       true,
	RedactedHeader:              true,
}

// isPlaceholder says whether a text/plain part is one that remove wrote: it carries
// RedactedHeader and its decoded body is the placeholder text, which holds no file.
func isPlaceholder(h textproto.Header, b body) bool {
	if !h.Has(RedactedHeader) {
		return false
	}
	e, _ := message.New(message.Header{Header: h}, b.reader())
	text, err := io.ReadAll(io.LimitReader(e.Body, 512))
	return err == nil && len(text) < 512 && placeholderRe.Match(text)
}

// base64Lines encodes b in base64 lines of 76 characters ending in CRLF.
func base64Lines(b []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(b)
	var out bytes.Buffer
	out.Grow(len(enc) + len(enc)/76*2 + 2)
	for len(enc) > 76 {
		out.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	out.WriteString(enc + "\r\n")
	return out.Bytes()
}
