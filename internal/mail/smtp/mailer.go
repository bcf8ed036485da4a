// Package mailer sends dsr's outgoing mail over SMTP (SMTP_URL): smtp://[user:pass@]host:port
// uses STARTTLS when the server offers it, smtps:// uses implicit TLS. Messages are plain
// UTF-8 text; the caller decides what they say.
package smtp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// Message is one mail.
type Message struct {
	To      string
	Subject string
	Body    string
	// ID becomes the Message-ID's local part, so that a resent message keeps its id.
	ID string
	// Attachments go after the text, base64-encoded.
	Attachments []Attachment
}

// Attachment is a file sent with a message.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Mailer sends mail through one SMTP server.
type Mailer struct {
	addr     string
	host     string
	implicit bool
	auth     smtp.Auth
	from     string
	// TLS is used for STARTTLS and implicit TLS; nil means the system's defaults.
	TLS *tls.Config
}

// New parses an SMTP URL; from is the sender address.
func New(rawURL, from string) (*Mailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL: %w", err)
	}
	if u.Scheme != "smtp" && u.Scheme != "smtps" {
		return nil, fmt.Errorf("SMTP_URL: scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("sender address %q: %w", from, err)
	}
	host := u.Hostname()
	port := u.Port()
	if port == "" {
		port = map[string]string{"smtp": "25", "smtps": "465"}[u.Scheme]
	}
	m := &Mailer{addr: net.JoinHostPort(host, port), host: host, implicit: u.Scheme == "smtps", from: from}
	if u.User != nil {
		pass, _ := u.User.Password()
		m.auth = smtp.PlainAuth("", u.User.Username(), pass, host)
	}
	return m, nil
}

// From is the sender address.
func (m *Mailer) From() string { return m.from }

// Send delivers msg, or returns why it could not.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	if _, err := mail.ParseAddress(msg.To); err != nil {
		return fmt.Errorf("send mail: recipient is not an address: %w", err)
	}
	d := net.Dialer{Timeout: 15 * time.Second}
	var conn net.Conn
	var err error
	if m.implicit {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: m.tlsConfig()}).DialContext(ctx, "tcp", m.addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", m.addr)
	}
	if err != nil {
		return fmt.Errorf("send mail: connect to %s: %w", m.addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(time.Minute))
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("send mail: greet %s: %w", m.addr, err)
	}
	defer c.Close()
	if !m.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.tlsConfig()); err != nil {
				return fmt.Errorf("send mail: starttls: %w", err)
			}
		}
	}
	if m.auth != nil {
		if err := c.Auth(m.auth); err != nil {
			return fmt.Errorf("send mail: authenticate: %w", err)
		}
	}
	if err := c.Mail(m.from); err != nil {
		return fmt.Errorf("send mail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(msg.To); err != nil {
		return fmt.Errorf("send mail: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("send mail: DATA: %w", err)
	}
	if _, err := w.Write(m.render(msg)); err != nil {
		return fmt.Errorf("send mail: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("send mail: end of data: %w", err)
	}
	if err := c.Quit(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("send mail: quit: %w", err)
	}
	return nil
}

func (m *Mailer) tlsConfig() *tls.Config {
	if m.TLS != nil {
		return m.TLS
	}
	return &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}
}

// render builds the RFC 5322 message.
func writeText(b *bytes.Buffer, text string) {
	// net/smtp's DATA writer does the dot-stuffing.
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		b.WriteString(line + "\r\n")
	}
}

func (m *Mailer) render(msg Message) []byte {
	id := msg.ID
	if id == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	domain := "dsr.invalid"
	if at := strings.LastIndex(m.from, "@"); at >= 0 {
		domain = strings.Trim(m.from[at+1:], "> ")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", m.from)
	fmt.Fprintf(&b, "To: %s\r\n", msg.To)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", msg.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", id, domain)
	b.WriteString("Auto-Submitted: auto-generated\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	if len(msg.Attachments) == 0 {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		writeText(&b, msg.Body)
		return b.Bytes()
	}
	mw := multipart.NewWriter(&b)
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n", mw.Boundary())
	text, _ := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"8bit"},
	})
	var body bytes.Buffer
	writeText(&body, msg.Body)
	_, _ = text.Write(body.Bytes())
	for _, att := range msg.Attachments {
		part, _ := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {att.ContentType},
			"Content-Transfer-Encoding": {"base64"},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": att.Name})},
		})
		enc := base64.StdEncoding.EncodeToString(att.Data)
		for len(enc) > 76 {
			_, _ = part.Write([]byte(enc[:76] + "\r\n"))
			enc = enc[76:]
		}
		_, _ = part.Write([]byte(enc + "\r\n"))
	}
	_ = mw.Close()
	return b.Bytes()
}
