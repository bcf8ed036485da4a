//go:build linux

package imap_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/stretchr/testify/require"

	"dsr/internal/mail/imap"
	"dsr/internal/testkit/dovecot"
)

func TestDovecotAdvertisesMoveAndUIDPlus(t *testing.T) {
	t.Parallel()
	dc := dovecot.Start(t)
	raw := rawClient(t, dc)
	caps, err := raw.Capability().Wait()
	require.NoError(t, err)
	require.True(t, caps.Has(goimap.CapMove), "MOVE")
	require.True(t, caps.Has(goimap.CapUIDPlus), "UIDPLUS")
	require.NoError(t, raw.Logout().Wait())
}

func TestDovecotAppendPendingFetchMove(t *testing.T) {
	t.Parallel()
	dc := dovecot.Start(t)
	c := dial(t, dc.URL())
	ctx := context.Background()

	require.NoError(t, c.EnsureFolders(ctx, "dsr/processed", "dsr/failed"))
	require.NoError(t, c.EnsureFolders(ctx, "dsr/processed", "dsr/failed"), "existing folders are fine")
	// Dovecot's Maildir++ layout separates with ".": the client translated "/".
	raw := rawClient(t, dc)
	list, err := raw.List("", "dsr*", nil).Collect()
	require.NoError(t, err)
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
	}
	require.Contains(t, names, "dsr.processed")
	require.Contains(t, names, "dsr.failed")
	require.NoError(t, raw.Logout().Wait())

	raws := appendMessages(t, c, 0, 4, 3000)
	pending, err := c.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 4)
	for i, p := range pending {
		require.Equal(t, int64(len(raws[i])), p.Size)
	}
	uids := pendingUIDs(t, c)
	got := fetchAll(t, c, uids)
	for i, uid := range uids {
		require.Equal(t, raws[i], got[uid])
	}
	require.Empty(t, seenUIDs(t, dc, "INBOX"))

	require.NoError(t, c.Move(ctx, uids[:3], "dsr/processed"))
	require.NoError(t, c.Move(ctx, uids[:3], "dsr/processed"), "moving again is harmless")
	require.NoError(t, c.Move(ctx, uids[3:], "dsr/failed"))
	require.NoError(t, c.Move(ctx, uids[3:], "dsr/processed"), "moved elsewhere already: harmless")

	for folder, want := range map[string]int{"INBOX": 0, "dsr/processed": 3, "dsr/failed": 1} {
		n, err := c.Count(ctx, folder)
		require.NoError(t, err)
		require.Equal(t, want, n, folder)
	}
	require.Empty(t, pendingUIDs(t, c))
	ids, err := c.MessageIDs(ctx, "dsr/processed")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"msg-0@dsr.test", "msg-1@dsr.test", "msg-2@dsr.test"}, ids)
	processed, err := c.UIDs(ctx, "dsr/processed")
	require.NoError(t, err)
	require.Len(t, processed, 3)

	// New mail arriving while connected is seen by the next Pending.
	appendMessages(t, c, 10, 1, 100)
	require.Len(t, pendingUIDs(t, c), 1)
}

func TestDovecotFetchTwoThousandInOneCall(t *testing.T) {
	t.Parallel()
	dc := dovecot.Start(t)
	c := dial(t, dc.URL())
	ctx := context.Background()

	const n = 2000
	want := map[[32]byte]bool{}
	var raws [][]byte
	for i := range n {
		raw := message(i, 500+(i%7)*700)
		want[sha256.Sum256(raw)] = true
		raws = append(raws, raw)
	}
	dc.Deliver(t, raws...)
	uids := pendingUIDs(t, c)
	require.Len(t, uids, n)

	got := map[[32]byte]bool{}
	calls := 0
	require.NoError(t, c.Fetch(ctx, uids, func(uid uint32, raw []byte) error {
		calls++
		got[sha256.Sum256(raw)] = true
		return nil
	}))
	require.Equal(t, n, calls)
	require.Equal(t, want, got, "every message arrives byte for byte")
	require.Empty(t, seenUIDs(t, dc, "INBOX"))

	require.NoError(t, c.Move(ctx, uids, "dsr/processed"))
	count, err := c.Count(ctx, "dsr/processed")
	require.NoError(t, err)
	require.Equal(t, n, count)
}

func TestDovecotConnectionCutMidFetch(t *testing.T) {
	t.Parallel()
	dc := dovecot.Start(t)
	setupClient := dial(t, dc.URL())
	const n = 50
	raws := appendMessages(t, setupClient, 0, n, 20_000)
	uids := pendingUIDs(t, setupClient)
	byUID := map[uint32][]byte{}
	for i, uid := range uids {
		byUID[uid] = raws[i]
	}

	p := newProxy(t, dc.Addr())
	c := dial(t, withHost(t, dc.URL(), p.addr()))
	p.cutAfter(310_000) // inside the 16th of the 50 messages
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	received := 0
	err := c.Fetch(ctx, uids, func(uid uint32, raw []byte) error {
		received++
		require.Equal(t, byUID[uid], raw, "a message handed over is whole")
		return nil
	})
	require.Error(t, err)
	require.Less(t, received, n)
	t.Logf("cut after %d messages: %v", received, err)
	_, err = c.Pending(ctx)
	require.ErrorIs(t, err, imap.ErrClosed)

	again := dial(t, dc.URL())
	require.Equal(t, uids, pendingUIDs(t, again), "everything is still pending")
	require.Empty(t, seenUIDs(t, dc, "INBOX"), "nothing was marked \\Seen")
}

func TestDovecotCrashAndRestart(t *testing.T) {
	t.Parallel()
	dc := dovecot.Start(t)
	ctx := context.Background()
	c, err := imap.Dial(ctx, dc.URL())
	require.NoError(t, err)
	raws := appendMessages(t, c, 0, 3, 1000)
	require.NoError(t, c.EnsureFolders(ctx, "dsr/processed"))
	uids := pendingUIDs(t, c)
	require.NoError(t, c.Move(ctx, uids[:1], "dsr/processed"))

	dc.Stop()
	_, err = c.Pending(ctx)
	require.Error(t, err, "the server is gone")
	require.NoError(t, c.Close(), "closing a dead connection is fine")
	_, err = imap.Dial(ctx, dc.URL())
	require.Error(t, err)

	dc.Restart(t)
	c = dial(t, dc.URL())
	require.Equal(t, uids[1:], pendingUIDs(t, c))
	got := fetchAll(t, c, uids[1:])
	require.Equal(t, raws[1], got[uids[1]])
	require.Equal(t, raws[2], got[uids[2]])
	n, err := c.Count(ctx, "dsr/processed")
	require.NoError(t, err)
	require.Equal(t, 1, n)
}
