// Package mailbox reads the privacy mailbox over IMAP (IMAP_URL): it lists the messages
// waiting in the source folder, fetches their raw bytes without marking them \Seen, and
// moves each processed message to another folder. Nothing is ever deleted: what is still in
// the source folder is pending, so a crash at any point leaves the work to be done again.
//
// Folder names use "/" as the hierarchy separator everywhere in this package (the URL's
// path, EnsureFolders, Move, ...); the client puts the server's own delimiter in its place
// ("dsr/processed" is "dsr.processed" on a Dovecot with Maildir++ layout).
package imap

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// ErrClosed is returned by the methods of a Client that was closed, or whose connection
// is gone: cut by the server, or because a context ended during a command. Dial again.
var ErrClosed = errors.New("mailbox: connection closed")

const (
	dialTimeout   = 30 * time.Second
	logoutTimeout = 5 * time.Second
	// maxSetLen bounds the text of one UID set in a command line. RFC 7162 asks clients to
	// keep lines under 8192 octets; a set of contiguous UIDs is a few bytes, so this only
	// splits a command when the UIDs are scattered.
	maxSetLen = 7000
)

// Pending is a message waiting in the source folder.
type Pending struct {
	UID  uint32
	Size int64
}

// Client is one logged-in IMAP connection. Its methods may be called from several
// goroutines; they run one at a time.
type Client struct {
	mu       sync.Mutex
	ic       *imapclient.Client
	conn     net.Conn // the TCP connection under any TLS; closing it aborts every command
	source   string   // as configured, with "/" separators
	delim    rune     // the server's hierarchy delimiter; 0 if flat
	move     bool     // the server has MOVE
	uidPlus  bool     // the server has UIDPLUS (UID EXPUNGE)
	selected string   // server name of the selected folder, "" if none
	readOnly bool     // selected with EXAMINE

	dead      atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

type startTLSMode int

const (
	startTLSAuto startTLSMode = iota // when the server offers it
	startTLSNo
	startTLSRequired
)

type dialConfig struct {
	addr, host   string
	user, pass   string
	folder       string
	implicitTLS  bool
	startTLS     startTLSMode
	insecureCert bool
}

// parseURL reads an IMAP URL. Its errors never hold the URL (it carries the password).
func parseURL(rawURL string) (dialConfig, error) {
	var cfg dialConfig
	u, err := url.Parse(rawURL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return cfg, fmt.Errorf("parse IMAP URL: %w", err)
	}
	port := u.Port()
	switch u.Scheme {
	case "imap":
		if port == "" {
			port = "143"
		}
	case "imaps":
		cfg.implicitTLS = true
		if port == "" {
			port = "993"
		}
	default:
		return cfg, fmt.Errorf("parse IMAP URL: scheme must be imap or imaps, not %q", u.Scheme)
	}
	cfg.host = u.Hostname()
	if cfg.host == "" {
		return cfg, errors.New("parse IMAP URL: no host")
	}
	cfg.addr = net.JoinHostPort(cfg.host, port)
	if u.User == nil || u.User.Username() == "" {
		return cfg, errors.New("parse IMAP URL: no user name")
	}
	cfg.user = u.User.Username()
	pass, ok := u.User.Password()
	if !ok {
		return cfg, errors.New("parse IMAP URL: no password")
	}
	cfg.pass = pass
	cfg.folder = strings.Trim(u.Path, "/")
	if cfg.folder == "" {
		cfg.folder = "INBOX"
	}
	for key, vals := range u.Query() {
		val := vals[len(vals)-1]
		switch key {
		case "starttls":
			switch val {
			case "", "auto", "yes":
				cfg.startTLS = startTLSAuto
			case "no":
				cfg.startTLS = startTLSNo
			case "required":
				cfg.startTLS = startTLSRequired
			default:
				return cfg, fmt.Errorf("parse IMAP URL: starttls=%q: want no, auto or required", val)
			}
		case "insecure":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return cfg, fmt.Errorf("parse IMAP URL: insecure=%q: want 1 or 0", val)
			}
			cfg.insecureCert = b
		default:
			return cfg, fmt.Errorf("parse IMAP URL: unknown parameter %q", key)
		}
	}
	if cfg.implicitTLS && cfg.startTLS != startTLSAuto {
		return cfg, errors.New("parse IMAP URL: starttls applies to imap://, not imaps://")
	}
	return cfg, nil
}

// Dial connects and logs in. rawURL is imap://user:pass@host:port/FOLDER (plain text,
// upgraded with STARTTLS when the server offers it; ?starttls=no never upgrades,
// ?starttls=required refuses a server that does not offer it) or imaps://... (implicit
// TLS). FOLDER is the source folder, INBOX when empty; user and password are URL-escaped.
// ?insecure=1 skips the verification of the server's certificate (tests only). Errors name
// the step that failed and never hold the password.
func Dial(ctx context.Context, rawURL string) (*Client, error) {
	cfg, err := parseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	c, err := connect(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	c.source = cfg.folder
	if err := c.setup(ctx, cfg); err != nil {
		c.abort()
		_ = c.ic.Close() // the setup error says what went wrong
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	return c, nil
}

// connect opens the connection, up to the greeting (and STARTTLS).
func connect(ctx context.Context, cfg dialConfig) (*Client, error) {
	tlsConfig := &tls.Config{ServerName: cfg.host, InsecureSkipVerify: cfg.insecureCert, MinVersion: tls.VersionTLS12}
	opts := &imapclient.Options{TLSConfig: tlsConfig}
	dialer := &net.Dialer{Timeout: dialTimeout}

	raw, err := dialer.DialContext(ctx, "tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cfg.addr, err)
	}
	if cfg.implicitTLS {
		tconn := tls.Client(raw, tlsConfig)
		if err := tconn.HandshakeContext(ctx); err != nil {
			_ = raw.Close() // the handshake error is the one to report
			return nil, fmt.Errorf("TLS handshake with %s: %w", cfg.addr, err)
		}
		c := &Client{conn: raw, ic: imapclient.New(tconn, opts)}
		if err := c.greeting(ctx); err != nil {
			return nil, err
		}
		return c, nil
	}

	c := &Client{conn: raw, ic: imapclient.New(raw, opts)}
	if cfg.startTLS == startTLSNo {
		if err := c.greeting(ctx); err != nil {
			return nil, err
		}
		return c, nil
	}
	// imapclient upgrades only a fresh connection, so ask for the capabilities on this one
	// and, when STARTTLS is there, start again on a second connection that upgrades.
	var caps imap.CapSet
	err = c.do(ctx, func() error {
		if err := c.ic.WaitGreeting(); err != nil {
			return err
		}
		caps, err = c.ic.Capability().Wait()
		return err
	})
	if err != nil {
		_ = c.ic.Close() // the greeting error is the one to report
		return nil, fmt.Errorf("read greeting from %s: %w", cfg.addr, err)
	}
	if !caps.Has(imap.CapStartTLS) {
		if cfg.startTLS == startTLSRequired {
			_ = c.ic.Close() // refusing the server is the error
			return nil, fmt.Errorf("connect to %s: the server does not offer STARTTLS", cfg.addr)
		}
		return c, nil
	}
	_ = c.ic.Close() // only its capabilities mattered

	raw, err = dialer.DialContext(ctx, "tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cfg.addr, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	ic, err := imapclient.NewStartTLS(raw, opts)
	if !stop() && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		_ = raw.Close() // the STARTTLS error is the one to report
		return nil, fmt.Errorf("STARTTLS with %s: %w", cfg.addr, err)
	}
	return &Client{conn: raw, ic: ic}, nil
}

// greeting waits for the server's greeting.
func (c *Client) greeting(ctx context.Context) error {
	if err := c.do(ctx, c.ic.WaitGreeting); err != nil {
		_ = c.ic.Close() // the greeting error is the one to report
		return fmt.Errorf("read greeting: %w", err)
	}
	return nil
}

// setup logs in, learns what the server can do and selects the source folder.
func (c *Client) setup(ctx context.Context, cfg dialConfig) error {
	if err := c.do(ctx, func() error { return c.ic.Login(cfg.user, cfg.pass).Wait() }); err != nil {
		return fmt.Errorf("log in to %s: %w", cfg.addr, err)
	}
	var caps imap.CapSet
	err := c.do(ctx, func() error {
		var err error
		caps, err = c.ic.Capability().Wait()
		return err
	})
	if err != nil {
		return fmt.Errorf("ask %s for its capabilities: %w", cfg.addr, err)
	}
	c.move = caps.Has(imap.CapMove)
	c.uidPlus = caps.Has(imap.CapUIDPlus)
	err = c.do(ctx, func() error {
		list, err := c.ic.List("", "", nil).Collect()
		if err != nil {
			return err
		}
		if len(list) > 0 {
			c.delim = list[0].Delim
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ask %s for its hierarchy delimiter: %w", cfg.addr, err)
	}
	if err := c.do(ctx, func() error { return c.selectFolder(c.serverName(c.source), false) }); err != nil {
		return fmt.Errorf("select source folder %q: %w", c.source, err)
	}
	return nil
}

// Source is the source folder, as given in the URL.
func (c *Client) Source() string { return c.source }

// Close logs out and closes the connection. It is safe to call more than once; later calls
// return what the first returned. Closing a connection that is already gone (cut by the
// server, or by a context) is not an error.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		if c.isDead() {
			c.dead.Store(true)
			_ = c.ic.Close() // the connection is gone already; nothing left to report
			return
		}
		timer := time.AfterFunc(logoutTimeout, c.abort)
		err := c.ic.Logout().Wait()
		timer.Stop()
		c.abort()
		// After LOGOUT (or its failure) the connection is over; what closing it says
		// (the server may have hung up first) adds nothing.
		_ = c.ic.Close()
		if err != nil {
			c.closeErr = fmt.Errorf("mailbox: log out: %w", err)
		}
	})
	return c.closeErr
}

// isDead reports whether the connection was cut, by abort or by the server.
func (c *Client) isDead() bool {
	if c.dead.Load() {
		return true
	}
	select {
	case <-c.ic.Closed():
		return true
	default:
		return false
	}
}

// abort cuts the connection: every pending command fails at once.
func (c *Client) abort() {
	c.dead.Store(true)
	_ = c.conn.Close() // closing is the point; a second close only says it was closed
}

// do runs f, cutting the connection if ctx ends before f returns.
func (c *Client) do(ctx context.Context, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, c.abort)
	err := f()
	if !stop() && ctx.Err() != nil {
		return fmt.Errorf("%w (the connection was closed)", context.Cause(ctx))
	}
	return err
}

// run is do for the public methods: one at a time, on a live connection, errors prefixed
// with what was being done.
func (c *Client) run(ctx context.Context, what string, f func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isDead() {
		return fmt.Errorf("mailbox: %s: %w", what, ErrClosed)
	}
	if err := c.do(ctx, f); err != nil {
		var answer *imap.Error
		if !errors.As(err, &answer) {
			// Not a NO or BAD from the server but a broken read or write: where the
			// conversation stands is unknown, so the connection is not used again.
			c.abort()
		}
		return fmt.Errorf("mailbox: %s: %w", what, err)
	}
	return nil
}

// serverName turns a "/"-separated folder name into the server's.
func (c *Client) serverName(folder string) string {
	if c.delim == 0 || c.delim == '/' {
		return folder
	}
	return strings.ReplaceAll(folder, "/", string(c.delim))
}

// selectFolder selects (or examines) name unless it already is.
func (c *Client) selectFolder(name string, readOnly bool) error {
	if c.selected == name && (readOnly || !c.readOnly) {
		return nil
	}
	_, err := c.reselect(name, readOnly)
	return err
}

// reselect selects (or examines) name, even when it already is, which makes the server
// report what changed since; it returns how many messages the folder holds.
func (c *Client) reselect(name string, readOnly bool) (uint32, error) {
	c.selected = ""
	// The answer is read from SelectData: imapclient updates its Mailbox() only after
	// Wait returns.
	data, err := c.ic.Select(name, &imap.SelectOptions{ReadOnly: readOnly}).Wait()
	if err != nil {
		return 0, err
	}
	c.selected, c.readOnly = name, readOnly
	return data.NumMessages, nil
}

// EnsureFolders creates each folder ("dsr/processed") that does not exist yet, and
// subscribes to it.
func (c *Client) EnsureFolders(ctx context.Context, folders ...string) error {
	for _, folder := range folders {
		err := c.run(ctx, fmt.Sprintf("ensure folder %q", folder), func() error {
			return c.ensureFolder(c.serverName(folder))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) ensureFolder(name string) error {
	list, err := c.ic.List("", name, nil).Collect()
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	for _, l := range list {
		if l.Mailbox == name && !slices.Contains(l.Attrs, imap.MailboxAttrNonExistent) && !slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) {
			return nil
		}
	}
	if err := c.ic.Create(name, nil).Wait(); err != nil && !isCode(err, imap.ResponseCodeAlreadyExists) {
		return fmt.Errorf("create: %w", err)
	}
	if err := c.ic.Subscribe(name).Wait(); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	return nil
}

func isCode(err error, code imap.ResponseCode) bool {
	var ierr *imap.Error
	return errors.As(err, &ierr) && ierr.Code == code
}

// Pending lists the messages in the source folder, ascending by UID. Messages flagged
// \Deleted are left out: they are on their way out (see Move).
func (c *Client) Pending(ctx context.Context) ([]Pending, error) {
	var out []Pending
	err := c.run(ctx, "list pending messages", func() error {
		n, err := c.reselect(c.serverName(c.source), false)
		if err != nil {
			return fmt.Errorf("select %q: %w", c.source, err)
		}
		if n == 0 {
			return nil
		}
		var all imap.UIDSet
		all.AddRange(1, 0) // 1:*
		cmd := c.ic.Fetch(all, &imap.FetchOptions{UID: true, RFC822Size: true, Flags: true})
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			buf, err := msg.Collect()
			if err != nil {
				_ = cmd.Close() // the item error is the one to report
				return err
			}
			if buf.UID == 0 || slices.Contains(buf.Flags, imap.FlagDeleted) {
				continue
			}
			out = append(out, Pending{UID: uint32(buf.UID), Size: buf.RFC822Size})
		}
		return cmd.Close()
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Pending) int { return cmp.Compare(a.UID, b.UID) })
	return out, nil
}

// Fetch reads the raw bytes of the given messages of the source folder with BODY.PEEK[],
// which leaves them unseen, and calls fn for each in the order the server sends them. The
// UIDs go in one FETCH command (split only when they are so scattered that the command line
// would pass 7,000 bytes). UIDs no longer in the folder are skipped. fn only ever sees whole
// messages: a connection that breaks inside one ends Fetch with an error (and the Client,
// see ErrClosed) before fn is called for it. An error from fn stops the calls to fn and is
// returned once the rest of the server's answer was read past; the Client stays usable.
func (c *Client) Fetch(ctx context.Context, uids []uint32, fn func(uid uint32, raw []byte) error) error {
	sets := uidSets(uids)
	if len(sets) == 0 {
		return nil
	}
	var fnErr error
	err := c.run(ctx, fmt.Sprintf("fetch %d messages", len(uids)), func() error {
		if err := c.selectFolder(c.serverName(c.source), false); err != nil {
			return fmt.Errorf("select %q: %w", c.source, err)
		}
		for _, set := range sets {
			if err := c.fetchSet(set, fn, &fnErr); err != nil || fnErr != nil {
				return err
			}
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

func (c *Client) fetchSet(set imap.UIDSet, fn func(uint32, []byte) error, fnErr *error) error {
	cmd := c.ic.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		if *fnErr != nil {
			continue // Next discards the rest of this message
		}
		uid, raw, ok, err := readBody(msg)
		if err != nil {
			// The connection broke inside a literal. imapclient's reader goroutine has moved
			// on, and discarding the rest of the literal (as Next and Close do) would read
			// the same buffer at the same time: cut the connection and let that goroutine
			// end first.
			c.abort()
			select {
			case <-c.ic.Closed():
				_ = cmd.Close() // the read error says what happened
			case <-time.After(logoutTimeout):
				// The reader is stuck; the connection is dead and never used again.
			}
			return err
		}
		if ok {
			*fnErr = fn(uid, raw)
		}
	}
	return cmd.Close()
}

// readBody reads the UID and the BODY[] literal of one FETCH response; ok is false when the
// response carries no body (a flag update from another session).
func readBody(msg *imapclient.FetchMessageData) (uid uint32, raw []byte, ok bool, err error) {
	for item := msg.Next(); item != nil; item = msg.Next() {
		switch item := item.(type) {
		case imapclient.FetchItemDataUID:
			uid = uint32(item.UID)
		case imapclient.FetchItemDataBodySection:
			if item.Literal == nil {
				continue
			}
			var buf bytes.Buffer
			size := item.Literal.Size()
			if size > 0 && size < 1<<30 {
				buf.Grow(int(size))
			}
			if _, err := buf.ReadFrom(item.Literal); err != nil {
				return 0, nil, false, fmt.Errorf("read message body: %w", err)
			}
			// imapclient ends a literal at the connection's EOF without an error: a short
			// body means the connection broke.
			if int64(buf.Len()) != size {
				return 0, nil, false, fmt.Errorf("read message body: %w after %d of %d bytes", io.ErrUnexpectedEOF, buf.Len(), size)
			}
			raw, ok = buf.Bytes(), true
		}
	}
	return uid, raw, ok && uid != 0, nil
}

// Move moves messages from the source folder to folder, creating folder when the server
// says it is missing. It uses UID MOVE when the server has MOVE; otherwise UID COPY, then
// \Deleted, then UID EXPUNGE of exactly those UIDs (UIDPLUS). A server with neither keeps
// the copied messages in the source folder, flagged \Deleted, which Pending leaves out; a
// plain EXPUNGE, which could remove other messages, is never sent. UIDs that are no longer
// in the source folder (moved already), or are flagged \Deleted, are left alone without
// error.
func (c *Client) Move(ctx context.Context, uids []uint32, folder string) error {
	sets := uidSets(uids)
	if len(sets) == 0 {
		return nil
	}
	dest := c.serverName(folder)
	return c.run(ctx, fmt.Sprintf("move %d messages to %q", len(uids), folder), func() error {
		if err := c.selectFolder(c.serverName(c.source), false); err != nil {
			return fmt.Errorf("select %q: %w", c.source, err)
		}
		for _, set := range sets {
			err := c.moveSet(set, dest)
			if isCode(err, imap.ResponseCodeTryCreate) {
				if err := c.ensureFolder(dest); err != nil {
					return fmt.Errorf("create %q: %w", folder, err)
				}
				err = c.moveSet(set, dest)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (c *Client) moveSet(set imap.UIDSet, dest string) error {
	// Only the UIDs still here: servers differ on a MOVE or COPY of missing UIDs, and a
	// message flagged \Deleted was copied already (or is on its way out anyway).
	criteria := &imap.SearchCriteria{UID: []imap.UIDSet{set}, NotFlag: []imap.Flag{imap.FlagDeleted}}
	found, err := c.ic.UIDSearch(criteria, nil).Wait()
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	present, ok := found.All.(imap.UIDSet)
	if !ok || len(present) == 0 {
		return nil
	}
	if c.move {
		if _, err := c.ic.Move(present, dest).Wait(); err != nil {
			return fmt.Errorf("UID MOVE: %w", err)
		}
		return nil
	}
	if _, err := c.ic.Copy(present, dest).Wait(); err != nil {
		return fmt.Errorf("UID COPY: %w", err)
	}
	store := imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
	if err := c.ic.Store(present, &store, nil).Close(); err != nil {
		return fmt.Errorf("UID STORE \\Deleted: %w", err)
	}
	if !c.uidPlus {
		return nil
	}
	if err := c.ic.UIDExpunge(present).Close(); err != nil {
		return fmt.Errorf("UID EXPUNGE: %w", err)
	}
	return nil
}

// Append stores raw as a new message in folder, unseen.
func (c *Client) Append(ctx context.Context, folder string, raw []byte) error {
	return c.run(ctx, fmt.Sprintf("append to %q", folder), func() error {
		cmd := c.ic.Append(c.serverName(folder), int64(len(raw)), nil)
		_, werr := cmd.Write(raw)
		cerr := cmd.Close()
		_, err := cmd.Wait()
		return errors.Join(werr, cerr, err)
	})
}

// Count returns how many messages folder holds.
func (c *Client) Count(ctx context.Context, folder string) (int, error) {
	var n int
	err := c.run(ctx, fmt.Sprintf("count messages in %q", folder), func() error {
		data, err := c.ic.Status(c.serverName(folder), &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			return err
		}
		if data.NumMessages == nil {
			return errors.New("the server did not say")
		}
		n = int(*data.NumMessages)
		return nil
	})
	return n, err
}

// UIDs returns the UIDs of the messages in folder, ascending.
func (c *Client) UIDs(ctx context.Context, folder string) ([]uint32, error) {
	var out []uint32
	err := c.run(ctx, fmt.Sprintf("list UIDs in %q", folder), func() error {
		if _, err := c.reselect(c.serverName(folder), true); err != nil {
			return fmt.Errorf("examine: %w", err)
		}
		found, err := c.ic.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		for _, uid := range found.AllUIDs() {
			out = append(out, uint32(uid))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

// MessageIDs returns the Message-ID of every message in folder, without the angle
// brackets, in the folder's order; a message without one gives "".
func (c *Client) MessageIDs(ctx context.Context, folder string) ([]string, error) {
	var out []string
	err := c.run(ctx, fmt.Sprintf("list Message-IDs in %q", folder), func() error {
		n, err := c.reselect(c.serverName(folder), true)
		if err != nil {
			return fmt.Errorf("examine: %w", err)
		}
		if n == 0 {
			return nil
		}
		var all imap.SeqSet
		all.AddRange(1, 0) // 1:*
		section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Message-ID"}, Peek: true}
		msgs, err := c.ic.Fetch(all, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return err
		}
		for _, m := range msgs {
			out = append(out, messageID(m.FindBodySection(section)))
		}
		return nil
	})
	return out, err
}

// messageID reads the Message-ID out of a header block.
func messageID(header []byte) string {
	msg, err := mail.ReadMessage(bytes.NewReader(append(header, "\r\n"...)))
	if err != nil {
		return ""
	}
	id := strings.TrimSpace(msg.Header.Get("Message-Id"))
	return strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
}

// uidSets sorts and deduplicates uids into sets of ranges, each short enough for one
// command line.
func uidSets(uids []uint32) []imap.UIDSet {
	sorted := slices.Clone(uids)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	if len(sorted) > 0 && sorted[0] == 0 {
		sorted = sorted[1:] // 0 is not a UID (it would mean "*")
	}
	var (
		sets   []imap.UIDSet
		cur    imap.UIDSet
		curLen int
	)
	for i := 0; i < len(sorted); {
		j := i
		for j+1 < len(sorted) && sorted[j+1] == sorted[j]+1 {
			j++
		}
		r := imap.UIDRange{Start: imap.UID(sorted[i]), Stop: imap.UID(sorted[j])}
		n := len(strconv.FormatUint(uint64(r.Start), 10)) + len(strconv.FormatUint(uint64(r.Stop), 10)) + 2
		if curLen+n > maxSetLen && len(cur) > 0 {
			sets = append(sets, cur)
			cur, curLen = nil, 0
		}
		cur = append(cur, r)
		curLen += n
		i = j + 1
	}
	if len(cur) > 0 {
		sets = append(sets, cur)
	}
	return sets
}
