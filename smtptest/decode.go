package smtptest

import "mime"

type mimeDecoder struct{ d mime.WordDecoder }

// header decodes RFC 2047 encoded words.
func (m *mimeDecoder) header(v string) string {
	out, err := m.d.DecodeHeader(v)
	if err != nil {
		return v
	}
	return out
}
