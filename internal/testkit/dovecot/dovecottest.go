//go:build linux

// Package dovecottest runs a real Dovecot (Debian package dovecot-imapd, /usr/sbin/dovecot)
// for tests: in the foreground, on a free loopback port, with its configuration, sockets,
// state, log and Maildir in a private directory, and one throwaway user. It is killed and
// its directory removed when the test ends.
//
// Without /usr/sbin/dovecot the test is skipped, or fails when the CI variable is set.
// The package is Linux-only, like the Debian package it runs.
package dovecot

import (
	"bytes"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/stretchr/testify/require"
)

// Binary is where Debian installs Dovecot.
const Binary = "/usr/sbin/dovecot"

const (
	installHint  = "install dovecot-imapd"
	readyTimeout = 20 * time.Second
	startTries   = 5
)

//go:embed dovecot.conf
var confText string

var confTemplate = template.Must(template.New("dovecot.conf").Option("missingkey=error").Parse(confText))

// Server is a Dovecot started by Start.
type Server struct {
	dir      string
	port     int
	user     string
	password string
	users    procUsers

	delivered int // messages Deliver wrote, for unique file names

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	stderr *lockedBuffer
}

// procUsers are the system users Dovecot's processes run as.
type procUsers struct {
	root                           bool
	internal, internalGroup, login string
	mailUID, mailGID               int
}

// Start runs a Dovecot that is killed when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("dovecottest: %s not found: %s", Binary, installHint)
		}
		t.Skipf("dovecottest: %s not found: %s", Binary, installHint)
	}
	s, err := Launch()
	if err != nil {
		t.Fatalf("dovecottest: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dovecottest: log:\n%s", s.logTail())
		}
		if err := s.Close(); err != nil {
			t.Errorf("dovecottest: %v", err)
		}
	})
	return s
}

// Launch runs a Dovecot outside a test (benchmarks); the caller calls Close.
func Launch() (*Server, error) {
	if _, err := os.Stat(Binary); err != nil {
		return nil, fmt.Errorf("%s not found: %s", Binary, installHint)
	}
	users, err := lookupUsers()
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, installHint)
	}
	// Not t.TempDir: unix sockets go in here and their paths must stay under 108 bytes,
	// which a long test name would break.
	dir, err := os.MkdirTemp("", "dovecottest-")
	if err != nil {
		return nil, err
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{dir: dir, user: "dsr-test", password: hex.EncodeToString(b), users: users}
	if err := s.prepare(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	for try := 1; ; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.port = l.Addr().(*net.TCPAddr).Port
		l.Close()
		err = s.start()
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errAddrInUse) || try == startTries {
			s.Stop()
			tail := s.logTail()
			os.RemoveAll(dir)
			return nil, fmt.Errorf("start: %w\n%s", err, tail)
		}
	}
}

// Close stops Dovecot and removes its directory.
func (s *Server) Close() error {
	s.Stop()
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("remove %s: %w", s.dir, err)
	}
	return nil
}

// Restart starts Dovecot again after Stop, on the same port and mail.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	var err error
	for try := 1; try <= startTries; try++ {
		if err = s.start(); !errors.Is(err, errAddrInUse) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("dovecottest: restart: %v\n%s", err, s.logTail())
	}
}

// Stop kills Dovecot and all its processes at once (SIGKILL), like a crash. It does
// nothing when Dovecot is not running.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	// Dovecot runs in its own process group (Setpgid), whose id is the master's pid.
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL) // it may have exited already
	<-s.exited
	s.cmd = nil
}

// URL is an imap:// URL with the credentials and INBOX, for mailbox.Dial.
func (s *Server) URL() string {
	u := url.URL{
		Scheme:   "imap",
		User:     url.UserPassword(s.user, s.password),
		Host:     s.Addr(),
		Path:     "/INBOX",
		RawQuery: "starttls=no",
	}
	return u.String()
}

// Addr is the IMAP listener's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Username is the user's name.
func (s *Server) Username() string { return s.user }

// Password is the user's password.
func (s *Server) Password() string { return s.password }

// Deliver puts messages straight into the INBOX's Maildir, as a local delivery agent would:
// written in tmp/, renamed into new/, owned by the mail user. Dovecot gives them UIDs when a
// client next opens the INBOX. This is much faster than an APPEND each.
func (s *Server) Deliver(t testing.TB, raws ...[]byte) {
	t.Helper()
	require.NoError(t, s.DeliverRaw(raws...))
}

// DeliverRaw is Deliver outside a test.
func (s *Server) DeliverRaw(raws ...[]byte) error {
	maildir := filepath.Join(s.dir, "home", "Maildir")
	for _, sub := range []string{"", "tmp", "new", "cur"} {
		dir := filepath.Join(maildir, sub)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if err := os.Chown(dir, s.users.mailUID, s.users.mailGID); err != nil {
			return err
		}
	}
	for _, raw := range raws {
		s.delivered++
		name := fmt.Sprintf("%d.M%dP%d.dovecottest", time.Now().Unix(), s.delivered, os.Getpid())
		tmp := filepath.Join(maildir, "tmp", name)
		if err := os.WriteFile(tmp, raw, 0o600); err != nil {
			return err
		}
		if err := os.Chown(tmp, s.users.mailUID, s.users.mailGID); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(maildir, "new", name)); err != nil {
			return err
		}
	}
	return nil
}

// lookupUsers picks the users Dovecot's processes run as: as root, those of the Debian
// package; otherwise the current user for everything.
func lookupUsers() (procUsers, error) {
	if os.Geteuid() != 0 {
		me, err := user.Current()
		if err != nil {
			return procUsers{}, fmt.Errorf("current user: %w", err)
		}
		group, err := user.LookupGroupId(strconv.Itoa(os.Getegid()))
		if err != nil {
			return procUsers{}, fmt.Errorf("current group: %w", err)
		}
		return procUsers{
			internal: me.Username, internalGroup: group.Name, login: me.Username,
			mailUID: os.Geteuid(), mailGID: os.Getegid(),
		}, nil
	}
	internal, err := user.Lookup("dovecot")
	if err != nil {
		return procUsers{}, fmt.Errorf("system user dovecot: %w", err)
	}
	if _, err := user.Lookup("dovenull"); err != nil {
		return procUsers{}, fmt.Errorf("system user dovenull: %w", err)
	}
	uid, err := strconv.Atoi(internal.Uid)
	if err != nil {
		return procUsers{}, fmt.Errorf("uid of dovecot: %w", err)
	}
	gid, err := strconv.Atoi(internal.Gid)
	if err != nil {
		return procUsers{}, fmt.Errorf("gid of dovecot: %w", err)
	}
	return procUsers{root: true, internal: "dovecot", internalGroup: "dovecot", login: "dovenull", mailUID: uid, mailGID: gid}, nil
}

// prepare writes the passwd-file and makes the home the mail processes write to.
func (s *Server) prepare() error {
	// The unprivileged auth and mail processes must reach into the directory.
	if err := os.Chmod(s.dir, 0o711); err != nil {
		return err
	}
	home := filepath.Join(s.dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return err
	}
	if err := os.Chown(home, s.users.mailUID, s.users.mailGID); err != nil {
		return fmt.Errorf("give the home to the mail user: %w", err)
	}
	line := fmt.Sprintf("%s:{PLAIN}%s::::%s::\n", s.user, s.password, home)
	return os.WriteFile(filepath.Join(s.dir, "passwd"), []byte(line), 0o644)
}

var errAddrInUse = errors.New("port already in use")

// start writes the configuration for s.port, runs Dovecot and waits until it accepts a login.
func (s *Server) start() error {
	var conf bytes.Buffer
	err := confTemplate.Execute(&conf, map[string]any{
		"Dir":           s.dir,
		"Port":          s.port,
		"Root":          s.users.root,
		"InternalUser":  s.users.internal,
		"InternalGroup": s.users.internalGroup,
		"LoginUser":     s.users.login,
		"MailUID":       s.users.mailUID,
		"MailGID":       s.users.mailGID,
	})
	if err != nil {
		return fmt.Errorf("render dovecot.conf: %w", err)
	}
	confPath := filepath.Join(s.dir, "dovecot.conf")
	if err := os.WriteFile(confPath, conf.Bytes(), 0o644); err != nil {
		return err
	}
	// A pid file left by a kill -9 could name a live process by now.
	if err := os.Remove(filepath.Join(s.dir, "run", "master.pid")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	logStart := s.logSize()

	cmd := exec.Command(Binary, "-F", "-c", confPath)
	// Its own process group, so that Stop kills every Dovecot process at once; and killed
	// with the test binary should that die without running its cleanups (a panic, a
	// -timeout), instead of running on.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", Binary, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // how it ended is read from its log
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited, s.stderr = cmd, exited, stderr
	s.mu.Unlock()

	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-exited:
			s.Stop()
			out := stderr.String() + s.logSince(logStart)
			if strings.Contains(out, "Address already in use") {
				return errAddrInUse
			}
			return fmt.Errorf("dovecot exited: %s", strings.TrimSpace(stderr.String()))
		default:
		}
		err := s.tryLogin()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("no IMAP login within %s: %w", readyTimeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tryLogin logs in and out once.
func (s *Server) tryLogin() error {
	conn, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if err != nil {
		return err
	}
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		_ = conn.Close() // the deadline error is the one to report
		return err
	}
	c := imapclient.New(conn, nil)
	defer func() { _ = c.Close() }() // only the login matters
	if err := c.Login(s.user, s.password).Wait(); err != nil {
		return err
	}
	return c.Logout().Wait()
}

func (s *Server) logSize() int64 {
	fi, err := os.Stat(filepath.Join(s.dir, "dovecot.log"))
	if err != nil {
		return 0
	}
	return fi.Size()
}

func (s *Server) logSince(offset int64) string {
	b, err := os.ReadFile(filepath.Join(s.dir, "dovecot.log"))
	if err != nil || int64(len(b)) < offset {
		return ""
	}
	return string(b[offset:])
}

// logTail is the end of Dovecot's log and what it wrote on stderr, for failure messages.
func (s *Server) logTail() string {
	out := s.logSince(0)
	if len(out) > 4000 {
		out = "…" + out[len(out)-4000:]
	}
	s.mu.Lock()
	if s.stderr != nil {
		out += s.stderr.String()
	}
	s.mu.Unlock()
	return out
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
