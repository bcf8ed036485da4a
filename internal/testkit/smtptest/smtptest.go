// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) on loopback for
// tests, and keeps every message it receives.
package smtptest

import (
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// Mail is one received message.
type Mail struct {
	From    string
	To      []string
	Header  mail.Header
	Subject string
	// Body is the text, or the text part of a multipart message.
	Body string
	// Attachments maps file names to their decoded content.
	Attachments map[string][]byte
	Raw         []byte
}

// Server is a running sink.
type Server struct {
	// URL is the smtp:// URL to give a mailer.
	URL string

	mu    sync.Mutex
	mails []Mail
	cond  *sync.Cond
}

// New starts a sink that stops when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	s.cond = sync.NewCond(&s.mu)
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.URL = "smtp://" + l.Addr().String()
	return s
}

// Mails returns what was received so far.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Wait returns once n mails were received, or fails the test after timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Mail {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := s.Mails()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("expected %d mails, got %d", n, len(got))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) add(m Mail) {
	s.mu.Lock()
	s.mails = append(s.mails, m)
	s.mu.Unlock()
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s    *Server
	from string
	to   []string
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error { x.from = from; return nil }
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error   { x.to = append(x.to, to); return nil }
func (x *session) Reset()                                      { x.from, x.to = "", nil }
func (x *session) Logout() error                               { return nil }

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Mail{From: x.from, To: x.to, Raw: raw}
	if msg, err := mail.ReadMessage(strings.NewReader(string(raw))); err == nil {
		m.Header = msg.Header
		dec := new(mimeDecoder)
		m.Subject = dec.header(msg.Header.Get("Subject"))
		parseBody(&m, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	}
	x.s.add(m)
	return nil
}
