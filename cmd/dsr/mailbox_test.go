package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"dsr/internal/mail/imap"
	"dsr/internal/testkit"
	"dsr/internal/testkit/dovecot"
	"dsr/internal/testkit/smtptest"
)

// cutProxy forwards IMAP connections to a server and, when armed, cuts the connection
// that is transferring once it has carried a number of bytes from the server: a network
// failure in the middle of a FETCH.
type cutProxy struct {
	ln     net.Listener
	target string
	armed  atomic.Int64 // bytes after which to cut; 0 when disarmed
	cuts   atomic.Int32
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &cutProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go p.serve()
	return p
}

func (p *cutProxy) Addr() string { return p.ln.Addr().String() }

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.relay(c)
	}
}

func (p *cutProxy) relay(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	var once sync.Once
	closeBoth := func() { once.Do(func() { client.Close(); server.Close() }) }
	go func() {
		_, _ = io.Copy(server, client)
		closeBoth()
	}()
	buf := make([]byte, 32<<10)
	var carried int64
	for {
		n, err := server.Read(buf)
		if n > 0 {
			carried += int64(n)
			if limit := p.armed.Load(); limit > 0 && carried > limit && p.armed.CompareAndSwap(limit, 0) {
				// Deliver part of this read, then drop the line.
				_, _ = client.Write(buf[:n/2])
				p.cuts.Add(1)
				closeBoth()
				return
			}
			if _, werr := client.Write(buf[:n]); werr != nil {
				closeBoth()
				return
			}
		}
		if err != nil {
			closeBoth()
			return
		}
	}
}

// synthetic writes a request mail from a subject of its own.
func synthetic(i int) []byte {
	return fmt.Appendf(nil, "From: Subject %d <subject%d@example.test>\r\n"+
		"To: privacy@dsr.example\r\n"+
		"Subject: Delete my data\r\n"+
		"Message-ID: <synthetic-%d@example.test>\r\n"+
		"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Hello,\r\n\r\nunder Article 17 GDPR I ask you to erase all personal data you hold about me.\r\n"+
		"My account email is subject%d@example.test.\r\n\r\nRegards,\r\nSubject %d\r\n", i, i, i, i, i)
}

// TestMailboxEndToEnd runs `dsr serve` against a real Dovecot holding the labelled corpus
// and 600 more requests: the IMAP connection is cut in the middle of a FETCH, then the
// process is killed with SIGKILL and started again. Afterwards every mail is filed exactly
// once, each request mail made exactly its case and the requests expected, nothing is
// left in the inbox, and every subject was asked to verify.
func TestMailboxEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Dovecot and dsr serve twice; skipped in -short mode")
	}
	dc := dovecot.Start(t)
	sink := smtptest.New(t)
	proxy := newCutProxy(t, dc.Addr())
	in := newInstall(t)
	imapURL := (&url.URL{Scheme: "imap", User: url.UserPassword(dc.Username(), dc.Password()), Host: proxy.Addr(),
		Path: "/INBOX", RawQuery: "starttls=no"}).String()
	in.env = append(in.env, "IMAP_URL="+imapURL, "SMTP_URL="+sink.URL, "DSR_MAIL_EVERY=1s",
		"DSR_MAIL_FROM=privacy@dsr.example")

	tenant := in.seededTenant(5, 20, "--name", "Acme Shoes", "--country", "FR", "--tz", "Europe/Paris")
	chat, err := sqlx.Open("postgres", in.chatURL)
	require.NoError(t, err)
	defer chat.Close()
	held := []string{"alice.martin@example.org", "bob.keller@example.net", "elodie.dupre@exemple.fr",
		"priya.n@example.com", "grace.h@example.org", "katrin.schulz@beispiel.de"}
	const synthetics = 600
	for i := 0; i < synthetics; i += 6 {
		held = append(held, fmt.Sprintf("subject%d@example.test", i))
	}
	for _, e := range held {
		_, err := chat.Exec(`INSERT INTO end_users (account_id, email, name) VALUES ($1, $2, 'Visitor')`, tenant.ID, e)
		require.NoError(t, err)
	}

	// The corpus first, then the synthetic requests.
	labels := readManifest(t)
	var raws [][]byte
	for _, l := range labels {
		raw, err := os.ReadFile(testkit.Shared(t, "fixtures", "mail", l.file))
		require.NoError(t, err)
		raws = append(raws, raw)
	}
	for i := 0; i < synthetics; i++ {
		raws = append(raws, synthetic(i))
	}
	dc.Deliver(t, raws...)
	total := len(raws)

	orch, err := sqlx.Open("postgres", in.orchURL)
	require.NoError(t, err)
	defer orch.Close()
	taken := func() int {
		var n int
		if err := orch.Get(&n, `SELECT count(*) FROM mail_messages`); err != nil {
			return -1 // not migrated yet
		}
		return n
	}

	// A cut in the middle of the first big FETCH.
	proxy.armed.Store(60 << 10)
	serve := in.serve()
	deadline := time.Now().Add(3 * time.Minute)
	for taken() < total/4 {
		require.True(t, time.Now().Before(deadline), "ingestion did not start: %d taken", taken())
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, serve.Process.Signal(syscall.SIGKILL))
	_ = serve.Wait()
	killedAt := taken()
	t.Logf("connection cuts: %d; killed with %d of %d mails taken", proxy.cuts.Load(), killedAt, total)
	require.EqualValues(t, 1, proxy.cuts.Load(), "the connection was cut mid-fetch")
	require.Less(t, killedAt, total, "killed mid-ingestion")

	in.serve()
	deadline = time.Now().Add(5 * time.Minute)
	direct := (&url.URL{Scheme: "imap", User: url.UserPassword(dc.Username(), dc.Password()), Host: dc.Addr(),
		Path: "/INBOX", RawQuery: "starttls=no"}).String()
	for {
		n := taken()
		left := inboxCount(t, direct)
		if n == total && left == 0 {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(in.dataDir, "serve.log"))
			t.Fatalf("%d of %d mails taken, %d left in the inbox after 5 minutes; log:\n%s", n, total, left, tail(b, 4000))
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Every mail filed once, none deleted.
	c, err := imap.Dial(context.Background(), direct)
	require.NoError(t, err)
	defer c.Close()
	seen := map[string]int{}
	filed := 0
	for _, f := range []string{"dsr/processed", "dsr/triage", "dsr/quarantine"} {
		ids, err := c.MessageIDs(context.Background(), f)
		require.NoError(t, err)
		for _, id := range ids {
			seen[id]++
		}
		filed += len(ids)
	}
	require.Equal(t, total, filed, "every mail is in one of dsr's folders")
	for id, n := range seen {
		require.Equal(t, 1, n, "mail %s filed once", id)
	}

	// Each request mail made one case; each held subject one request per right.
	var cases, requests, dupes int
	require.NoError(t, orch.Get(&cases, `SELECT count(*) FROM mail_cases`))
	require.Equal(t, 16+synthetics, cases)
	require.NoError(t, orch.Get(&requests, `SELECT count(*) FROM requests WHERE source = 'mail'`))
	require.Equal(t, 7+synthetics/6, requests)
	require.NoError(t, orch.Get(&dupes, `SELECT count(*) FROM (SELECT subject_email, type FROM requests GROUP BY 1, 2 HAVING count(*) > 1) d`))
	require.Zero(t, dupes)
	for _, l := range labels {
		var folder, kind string
		require.NoError(t, orch.QueryRow(`SELECT m.folder, m.kind FROM mail_messages m WHERE m.message_key = $1`,
			"id:"+messageIDOf(t, l.file)).Scan(&folder, &kind))
		if l.request {
			require.Equal(t, "processed", folder, l.file)
			require.Equal(t, "request", kind, l.file)
		} else {
			require.NotEqual(t, "request", kind, l.file)
		}
	}

	// Every subject was asked to verify (at least once: a send cut off by the kill may be
	// repeated; the queue never drops one).
	deadline = time.Now().Add(2 * time.Minute)
	for {
		var pending int
		require.NoError(t, orch.Get(&pending, `SELECT count(*) FROM mail_outbox WHERE status = 'pending'`))
		if pending == 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "%d mails still queued", pending)
		time.Sleep(200 * time.Millisecond)
	}
	verifyTo := map[string]bool{}
	for _, m := range sink.Mails() {
		if strings.Contains(m.Body, "/verify/") {
			verifyTo[strings.ToLower(m.To[0])] = true
		}
	}
	require.Len(t, verifyTo, 16+synthetics)
}

type mailLabel struct {
	file    string
	request bool
}

func readManifest(t *testing.T) []mailLabel {
	t.Helper()
	f, err := os.Open(testkit.Shared(t, "fixtures", "mail", "manifest.tsv"))
	require.NoError(t, err)
	defer f.Close()
	var out []mailLabel
	sc := bufio.NewScanner(f)
	sc.Scan()
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		out = append(out, mailLabel{file: c[0], request: c[1] == "yes"})
	}
	return out
}

func messageIDOf(t *testing.T, file string) string {
	t.Helper()
	raw, err := os.ReadFile(testkit.Shared(t, "fixtures", "mail", file))
	require.NoError(t, err)
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(strings.ToLower(line), "message-id:") {
			return strings.Trim(strings.TrimSpace(line[len("message-id:"):]), "<>")
		}
	}
	t.Fatalf("%s has no Message-ID", file)
	return ""
}

func inboxCount(t *testing.T, rawURL string) int {
	t.Helper()
	c, err := imap.Dial(context.Background(), rawURL)
	if err != nil {
		return -1
	}
	defer c.Close()
	n, err := c.Count(context.Background(), "INBOX")
	if err != nil {
		return -1
	}
	return n
}
