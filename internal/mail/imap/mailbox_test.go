package imap_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/stretchr/testify/require"

	"dsr/internal/mail/imap"
	"dsr/internal/testkit/imaptest"
)

// server is what imaptest and dovecottest both offer.
type server interface {
	URL() string
	Addr() string
	Username() string
	Password() string
}

func setup(t *testing.T) (*imaptest.Server, *imap.Client) {
	t.Helper()
	srv := imaptest.New(t)
	return srv, dial(t, srv.URL())
}

func dial(t testing.TB, rawURL string) *imap.Client {
	t.Helper()
	c, err := imap.Dial(context.Background(), rawURL)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

// message builds a CRLF message of about size bytes with a recognisable Message-ID.
func message(i, size int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Sender %d <sender%d@example.test>\r\n", i, i)
	b.WriteString("To: privacy@vendor.test\r\n")
	fmt.Fprintf(&b, "Subject: Request %d\r\n", i)
	fmt.Fprintf(&b, "Message-ID: <msg-%d@dsr.test>\r\n", i)
	b.WriteString("Date: Mon, 02 Mar 2026 10:00:00 +0100\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	b.WriteString("Content-Transfer-Encoding: 8bit\r\n\r\n")
	for line := 0; b.Len() < size; line++ {
		fmt.Fprintf(&b, "Ligne %d du message %d: données à effacer, réf. %x\r\n", line, i, sha256.Sum256([]byte(fmt.Sprint(i, line))))
	}
	return []byte(b.String())
}

func appendMessages(t testing.TB, c *imap.Client, from, n, size int) [][]byte {
	t.Helper()
	var out [][]byte
	for i := from; i < from+n; i++ {
		raw := message(i, size)
		require.NoError(t, c.Append(context.Background(), c.Source(), raw))
		out = append(out, raw)
	}
	return out
}

func pendingUIDs(t testing.TB, c *imap.Client) []uint32 {
	t.Helper()
	pending, err := c.Pending(context.Background())
	require.NoError(t, err)
	var uids []uint32
	for _, p := range pending {
		uids = append(uids, p.UID)
	}
	return uids
}

func fetchAll(t testing.TB, c *imap.Client, uids []uint32) map[uint32][]byte {
	t.Helper()
	got := map[uint32][]byte{}
	require.NoError(t, c.Fetch(context.Background(), uids, func(uid uint32, raw []byte) error {
		got[uid] = raw
		return nil
	}))
	return got
}

// rawClient logs in with go-imap directly, to look at the server without the code under test.
func rawClient(t testing.TB, s server) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() }) // a second close after Logout is expected to complain
	require.NoError(t, c.Login(s.Username(), s.Password()).Wait())
	return c
}

// seenUIDs returns the UIDs flagged \Seen in folder (a server name).
func seenUIDs(t testing.TB, s server, folder string) []goimap.UID {
	t.Helper()
	c := rawClient(t, s)
	_, err := c.Select(folder, &goimap.SelectOptions{ReadOnly: true}).Wait()
	require.NoError(t, err)
	data, err := c.UIDSearch(&goimap.SearchCriteria{Flag: []goimap.Flag{goimap.FlagSeen}}, nil).Wait()
	require.NoError(t, err)
	require.NoError(t, c.Logout().Wait())
	return data.AllUIDs()
}

func withHost(t testing.TB, rawURL, host string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	u.Host = host
	return u.String()
}

func TestAppendPendingFetchMove(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	ctx := context.Background()
	require.Equal(t, "INBOX", c.Source())

	raws := appendMessages(t, c, 0, 3, 2000)
	pending, err := c.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 3)
	for i, p := range pending {
		require.Equal(t, int64(len(raws[i])), p.Size)
		if i > 0 {
			require.Greater(t, p.UID, pending[i-1].UID)
		}
	}

	uids := []uint32{pending[2].UID, pending[0].UID, pending[1].UID, pending[0].UID}
	var order []uint32
	got := map[uint32][]byte{}
	require.NoError(t, c.Fetch(ctx, uids, func(uid uint32, raw []byte) error {
		order = append(order, uid)
		got[uid] = raw
		return nil
	}))
	require.Len(t, order, 3, "each UID once")
	for i, p := range pending {
		require.Equal(t, raws[i], got[p.UID])
	}
	require.Empty(t, seenUIDs(t, srv, "INBOX"), "BODY.PEEK leaves messages unseen")

	require.NoError(t, c.EnsureFolders(ctx, "dsr/processed", "dsr/failed"))
	require.NoError(t, c.EnsureFolders(ctx, "dsr/processed", "dsr/failed"), "existing folders are fine")

	moved := []uint32{pending[0].UID, pending[1].UID}
	require.NoError(t, c.Move(ctx, moved, "dsr/processed"))
	require.NoError(t, c.Move(ctx, moved, "dsr/processed"), "moving again is harmless")
	require.Equal(t, []uint32{pending[2].UID}, pendingUIDs(t, c))

	n, err := c.Count(ctx, "dsr/processed")
	require.NoError(t, err)
	require.Equal(t, 2, n)
	n, err = c.Count(ctx, "INBOX")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = c.Count(ctx, "dsr/failed")
	require.NoError(t, err)
	require.Zero(t, n)

	processed, err := c.UIDs(ctx, "dsr/processed")
	require.NoError(t, err)
	require.Len(t, processed, 2)
	ids, err := c.MessageIDs(ctx, "dsr/processed")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"msg-0@dsr.test", "msg-1@dsr.test"}, ids)
	ids, err = c.MessageIDs(ctx, "dsr/failed")
	require.NoError(t, err)
	require.Empty(t, ids)

	// Reading another folder does not leave the source folder behind.
	require.NoError(t, c.Move(ctx, []uint32{pending[2].UID}, "dsr/failed"))
	require.Empty(t, pendingUIDs(t, c))
	require.NoError(t, c.Fetch(ctx, nil, func(uint32, []byte) error { return errors.New("not called") }))
	require.NoError(t, c.Move(ctx, nil, "dsr/failed"))
}

func TestMoveCreatesAMissingFolder(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := context.Background()
	appendMessages(t, c, 0, 1, 100)
	require.NoError(t, c.Move(ctx, pendingUIDs(t, c), "dsr/later"))
	n, err := c.Count(ctx, "dsr/later")
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

func TestMoveWithoutMoveCapability(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts imaptest.Options
		// inSource is how many messages the source folder keeps after moving one of three,
		// one of the two others being flagged \Deleted by someone else.
		inSource int
	}{
		{name: "copy, store and UID EXPUNGE", opts: imaptest.Options{NoMove: true}, inSource: 2},
		{name: "copy and store only", opts: imaptest.Options{NoMove: true, NoUIDPlus: true}, inSource: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := imaptest.NewWithOptions(t, tt.opts)
			c := dial(t, srv.URL())
			ctx := context.Background()
			appendMessages(t, c, 0, 3, 100)
			uids := pendingUIDs(t, c)

			// Someone flags the last message \Deleted without expunging it: a plain
			// EXPUNGE would take it away too.
			raw := rawClient(t, srv)
			_, err := raw.Select("INBOX", nil).Wait()
			require.NoError(t, err)
			store := goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Silent: true, Flags: []goimap.Flag{goimap.FlagDeleted}}
			require.NoError(t, raw.Store(goimap.UIDSetNum(goimap.UID(uids[2])), &store, nil).Close())
			require.NoError(t, raw.Logout().Wait())

			require.NoError(t, c.EnsureFolders(ctx, "dsr/processed"))
			require.NoError(t, c.Move(ctx, uids[:1], "dsr/processed"))
			require.NoError(t, c.Move(ctx, uids[:1], "dsr/processed"), "moving again is harmless")

			n, err := c.Count(ctx, "dsr/processed")
			require.NoError(t, err)
			require.Equal(t, 1, n)
			n, err = c.Count(ctx, "INBOX")
			require.NoError(t, err)
			require.Equal(t, tt.inSource, n)
			require.Equal(t, []uint32{uids[1]}, pendingUIDs(t, c), "\\Deleted messages are not pending")
		})
	}
}

func TestScatteredUIDsSplitIntoSeveralCommands(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := context.Background()
	raws := appendMessages(t, c, 0, 3, 500)
	uids := pendingUIDs(t, c)
	// Thousands of UIDs that are not there make a set far longer than one command line.
	asked := append([]uint32(nil), uids...)
	for i := range 3000 {
		asked = append(asked, 1_000_000+2*uint32(i))
	}
	got := fetchAll(t, c, asked)
	require.Len(t, got, 3)
	for i, uid := range uids {
		require.Equal(t, raws[i], got[uid])
	}
	require.NoError(t, c.Move(ctx, asked, "dsr/processed"))
	require.Empty(t, pendingUIDs(t, c))
}

func TestFetchStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := context.Background()
	appendMessages(t, c, 0, 5, 5000)
	uids := pendingUIDs(t, c)

	boom := errors.New("store is down")
	calls := 0
	err := c.Fetch(ctx, uids, func(uint32, []byte) error {
		calls++
		if calls == 2 {
			return boom
		}
		return nil
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, 2, calls)

	// The connection is still in step with the server.
	require.Equal(t, uids, pendingUIDs(t, c))
	require.Len(t, fetchAll(t, c, uids), 5)
}

func TestLargeMailbox(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 messages")
	}
	t.Parallel()
	srv, c := setup(t)
	ctx := context.Background()
	const n = 10_000
	var raws [][]byte
	for i := range n {
		raws = append(raws, message(i, 300))
	}
	srv.Deliver(t, raws...)
	pending, err := c.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, pending, n)
	uids := pendingUIDs(t, c)
	count := 0
	require.NoError(t, c.Fetch(ctx, uids, func(uint32, []byte) error {
		count++
		return nil
	}))
	require.Equal(t, n, count)
	require.NoError(t, c.Move(ctx, uids, "dsr/processed"))
	got, err := c.Count(ctx, "dsr/processed")
	require.NoError(t, err)
	require.Equal(t, n, got)
}

func TestSourceFolderFromURL(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	ctx := context.Background()
	require.NoError(t, c.EnsureFolders(ctx, "Privacy/GDPR requests"))
	require.NoError(t, c.Append(ctx, "Privacy/GDPR requests", message(7, 100)))

	other := dial(t, srv.FolderURL("Privacy/GDPR requests"))
	require.Equal(t, "Privacy/GDPR requests", other.Source())
	require.Len(t, pendingUIDs(t, other), 1)
	require.Empty(t, pendingUIDs(t, c))

	_, err := imap.Dial(ctx, srv.FolderURL("Nope"))
	require.ErrorContains(t, err, `select source folder "Nope"`)
}

func TestDialErrors(t *testing.T) {
	t.Parallel()
	srv := imaptest.New(t)
	good, err := url.Parse(srv.URL())
	require.NoError(t, err)
	wrong := *good
	wrong.User = url.UserPassword(srv.Username(), "s3cr3t-wrong")

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedAddr := closed.Addr().String()
	require.NoError(t, closed.Close())

	tests := []struct {
		name string
		url  string
		want string
	}{
		{name: "scheme", url: "pop3://u:s3cr3t@127.0.0.1/", want: "scheme must be imap or imaps"},
		{name: "no password", url: "imap://u@127.0.0.1/", want: "no password"},
		{name: "no user", url: "imap://127.0.0.1/", want: "no user name"},
		{name: "unknown parameter", url: "imap://u:s3cr3t@127.0.0.1/?tls=1", want: `unknown parameter "tls"`},
		{name: "bad starttls", url: "imap://u:s3cr3t@127.0.0.1/?starttls=maybe", want: "starttls="},
		{name: "starttls on imaps", url: "imaps://u:s3cr3t@127.0.0.1/?starttls=no", want: "starttls applies to imap://"},
		{name: "unparsable", url: "imap://u:s3cr3t@127.0.0.1:port/", want: "parse IMAP URL"},
		{name: "refused", url: "imap://u:s3cr3t@" + closedAddr + "/?starttls=no", want: "connect to " + closedAddr},
		{name: "wrong password", url: wrong.String(), want: "log in to " + srv.Addr()},
		{name: "starttls required", url: strings.Replace(srv.URL(), "starttls=no", "starttls=required", 1), want: "does not offer STARTTLS"},
		{name: "imaps to a plain server", url: "imaps://u:s3cr3t@" + srv.Addr() + "/?insecure=1", want: "TLS handshake"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := imap.Dial(ctx, tt.url)
			require.Nil(t, c)
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), "s3cr3t", "no password in errors")
			t.Log(err)
		})
	}
}

func TestDialTLS(t *testing.T) {
	t.Parallel()
	srv := imaptest.NewWithOptions(t, imaptest.Options{TLS: true})
	tests := []struct {
		name string
		url  string
		want string // an error, or "" for success
	}{
		{name: "STARTTLS", url: srv.StartTLSURL()},
		{name: "STARTTLS required", url: srv.StartTLSURL() + "&starttls=required"},
		{name: "implicit TLS", url: srv.ImplicitTLSURL()},
		{name: "STARTTLS, certificate checked", url: strings.Replace(srv.StartTLSURL(), "insecure=1", "insecure=0", 1), want: "STARTTLS with " + srv.Addr()},
		{name: "implicit TLS, certificate checked", url: strings.Replace(srv.ImplicitTLSURL(), "?insecure=1", "", 1), want: "TLS handshake"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := imap.Dial(context.Background(), tt.url)
			if tt.want != "" {
				require.ErrorContains(t, err, tt.want)
				require.ErrorContains(t, err, "certificate")
				return
			}
			require.NoError(t, err)
			ctx := context.Background()
			require.NoError(t, c.Append(ctx, "INBOX", message(1, 100)))
			require.NotEmpty(t, pendingUIDs(t, c))
			require.NoError(t, c.Close())
		})
	}
}

func TestDialWithoutStartTLSOffer(t *testing.T) {
	t.Parallel()
	srv := imaptest.New(t)
	// Without ?starttls=no the client asks, hears no STARTTLS, and goes on in plain text.
	u := strings.Replace(srv.URL(), "?starttls=no", "", 1)
	c := dial(t, u)
	require.Empty(t, pendingUIDs(t, c))
}

func TestCloseTwice(t *testing.T) {
	t.Parallel()
	srv := imaptest.New(t)
	c, err := imap.Dial(context.Background(), srv.URL())
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	_, err = c.Pending(context.Background())
	require.ErrorIs(t, err, imap.ErrClosed)
}

func TestContextCutsAHungServer(t *testing.T) {
	t.Parallel()
	srv := imaptest.New(t)
	p := newProxy(t, srv.Addr())
	c := dial(t, withHost(t, srv.URL(), p.addr()))
	appendMessages(t, c, 0, 2, 100)

	p.stall()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Pending(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)

	_, err = c.Pending(context.Background())
	require.ErrorIs(t, err, imap.ErrClosed, "the cut connection is not used again")

	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	_, err = imap.Dial(cancelled, srv.URL())
	require.ErrorIs(t, err, context.Canceled)
}

// proxy forwards TCP connections to target; tests make it cut or stall the server's side.
type proxy struct {
	l      net.Listener
	target string

	mu      sync.Mutex
	budget  int64 // server-to-client bytes left before cutting; < 0: no limit
	stalled bool
	closed  bool
	conns   []net.Conn
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{l: l, target: target, budget: -1}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }

// cutAfter closes the connections once n more bytes went from the server to the client.
func (p *proxy) cutAfter(n int64) {
	p.mu.Lock()
	p.budget = n
	p.mu.Unlock()
}

// stall stops forwarding what the server says, as a hung server would.
func (p *proxy) stall() {
	p.mu.Lock()
	p.stalled = true
	p.mu.Unlock()
}

func (p *proxy) close() {
	_ = p.l.Close() // the test is over
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, c := range p.conns {
		_ = c.Close() // the test is over
	}
}

func (p *proxy) serve() {
	for {
		client, err := p.l.Accept()
		if err != nil {
			return
		}
		srv, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close() // the client sees the failure
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, srv)
		p.mu.Unlock()
		go func() {
			_, _ = io.Copy(srv, client) // ends when either side closes
			_ = srv.Close()
		}()
		go p.down(srv, client)
	}
}

// down copies from the server to the client within the budget.
func (p *proxy) down(srv, client net.Conn) {
	defer func() { _ = client.Close(); _ = srv.Close() }() // cutting is the point
	buf := make([]byte, 4096)
	for {
		n, err := srv.Read(buf)
		if n > 0 {
			p.mu.Lock()
			for p.stalled && !p.closed {
				p.mu.Unlock()
				time.Sleep(10 * time.Millisecond)
				p.mu.Lock()
			}
			cut := false
			if p.budget >= 0 {
				if int64(n) >= p.budget {
					n, cut = int(p.budget), true
				}
				p.budget -= int64(n)
			}
			p.mu.Unlock()
			if _, werr := client.Write(buf[:n]); werr != nil || cut {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
