// Package imaptest runs a real IMAP server (go-imap's imapserver with its in-memory
// backend, imapmemserver) on loopback for unit tests: one user with a random password and
// an INBOX, plain text, closed when the test ends.
//
// imapmemserver implements MOVE and UID EXPUNGE (UIDPLUS); New advertises both, and
// NewWithOptions can hide either to exercise a client's fallbacks, or add TLS (STARTTLS and
// implicit TLS with a self-signed certificate).
package imaptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/stretchr/testify/require"
)

// Options changes what the server advertises.
type Options struct {
	// NoMove leaves MOVE out of the capabilities.
	NoMove bool
	// NoUIDPlus leaves UIDPLUS out of the capabilities.
	NoUIDPlus bool
	// TLS offers STARTTLS on the plain listener and opens a second one with implicit TLS,
	// both with a self-signed certificate for 127.0.0.1.
	TLS bool
}

// Server is a running IMAP server.
type Server struct {
	addr     string
	tlsAddr  string
	user     string
	password string
	mem      *imapmemserver.User
}

// New starts a server with MOVE and UIDPLUS that stops when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	return NewWithOptions(t, Options{})
}

// NewWithOptions starts a server that advertises what opts allows.
func NewWithOptions(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{user: "dsr-test", password: randomString(t)}
	s.mem = imapmemserver.NewUser(s.user, s.password)
	require.NoError(t, s.mem.Create("INBOX", nil))
	mem := imapmemserver.New()
	mem.AddUser(s.mem)

	caps := imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapNamespace: {}}
	if !opts.NoMove {
		caps[imap.CapMove] = struct{}{}
	}
	if !opts.NoUIDPlus {
		caps[imap.CapUIDPlus] = struct{}{}
	}
	logger := &testLogger{t: t}
	var tlsConfig *tls.Config
	if opts.TLS {
		tlsConfig = selfSigned(t)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         caps,
		Logger:       logger,
		TLSConfig:    tlsConfig,
		InsecureAuth: true, // plain text on loopback
	})
	var wg sync.WaitGroup
	serve := func(l net.Listener) {
		wg.Go(func() {
			if err := srv.Serve(l); err != nil {
				logger.Printf("imaptest: serve: %v", err)
			}
		})
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.addr = l.Addr().String()
	serve(l)
	if opts.TLS {
		tl, err := tls.Listen("tcp", "127.0.0.1:0", tlsConfig)
		require.NoError(t, err)
		s.tlsAddr = tl.Addr().String()
		serve(tl)
	}
	t.Cleanup(func() {
		logger.stop()
		if err := srv.Close(); err != nil {
			t.Errorf("imaptest: close: %v", err)
		}
		wg.Wait()
	})
	return s
}

// selfSigned makes a throwaway certificate for 127.0.0.1.
func selfSigned(t testing.TB) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "imaptest"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// URL is an imap:// URL with the credentials and INBOX, for mailbox.Dial.
func (s *Server) URL() string {
	return s.FolderURL("INBOX")
}

// FolderURL is URL with another source folder.
func (s *Server) FolderURL(folder string) string {
	return s.url("imap", s.addr, folder, "starttls=no")
}

// StartTLSURL is an imap:// URL that upgrades with STARTTLS, without verifying the
// certificate. Only with Options.TLS.
func (s *Server) StartTLSURL() string {
	return s.url("imap", s.addr, "INBOX", "insecure=1")
}

// ImplicitTLSURL is an imaps:// URL, without verifying the certificate. Only with
// Options.TLS.
func (s *Server) ImplicitTLSURL() string {
	return s.url("imaps", s.tlsAddr, "INBOX", "insecure=1")
}

func (s *Server) url(scheme, addr, folder, query string) string {
	u := url.URL{Scheme: scheme, User: url.UserPassword(s.user, s.password), Host: addr, Path: "/" + folder, RawQuery: query}
	return u.String()
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// Username is the user's name.
func (s *Server) Username() string { return s.user }

// Password is the user's password.
func (s *Server) Password() string { return s.password }

// Deliver puts messages straight into the INBOX, as mail arriving from outside would, without
// an IMAP round trip each.
func (s *Server) Deliver(t testing.TB, raws ...[]byte) {
	t.Helper()
	for _, raw := range raws {
		_, err := s.mem.Append("INBOX", bytes.NewReader(raw), &imap.AppendOptions{})
		require.NoError(t, err)
	}
}

func randomString(t testing.TB) string {
	t.Helper()
	b := make([]byte, 12)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// testLogger sends the server's error messages to the test log while the test runs.
type testLogger struct {
	mu      sync.Mutex
	t       testing.TB
	stopped bool
}

func (l *testLogger) Printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.t.Logf(format, args...)
	}
}

func (l *testLogger) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
}
