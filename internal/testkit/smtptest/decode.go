package smtptest

import (
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"strings"
)

type mimeDecoder struct{ d mime.WordDecoder }

// header decodes RFC 2047 encoded words.
func (m *mimeDecoder) header(v string) string {
	out, err := m.d.DecodeHeader(v)
	if err != nil {
		return v
	}
	return out
}

// parseBody fills the text and the attachments of m from a (possibly multipart) body.
func parseBody(m *Mail, contentType, encoding string, r io.Reader) {
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(media, "multipart/") {
		b, _ := io.ReadAll(decode(encoding, r))
		m.Body = strings.ReplaceAll(string(b), "\r\n", "\n")
		return
	}
	mr := multipart.NewReader(r, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err != nil {
			return
		}
		data, _ := io.ReadAll(decode(p.Header.Get("Content-Transfer-Encoding"), p))
		if name := p.FileName(); name != "" {
			if m.Attachments == nil {
				m.Attachments = map[string][]byte{}
			}
			m.Attachments[name] = data
			continue
		}
		if m.Body == "" {
			m.Body = strings.ReplaceAll(string(data), "\r\n", "\n")
		}
	}
}

func decode(encoding string, r io.Reader) io.Reader {
	if strings.EqualFold(encoding, "base64") {
		return base64.NewDecoder(base64.StdEncoding, r)
	}
	return r
}
