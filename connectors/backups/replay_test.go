package backups_test

import (
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/connectors/backups"
	"dsr/connectors/chatstore"
	"dsr/internal/demo"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

// seededChat returns a chat store seeded with the demo data of the tenants, every
// conversation closed. The demo data is deterministic: two stores seeded alike hold the
// same rows, which stands in here for a dump and its restore.
func seededChat(t *testing.T, tenants ...store.Tenant) *sqlx.DB {
	t.Helper()
	chat := pgtest.New(t, schema.ChatStore)
	for _, tn := range tenants {
		_, err := demo.Seed(ctx, chat.DB, demo.Options{TenantID: tn.ID, TenantName: tn.Name, EndUsers: 20, Messages: 200})
		require.NoError(t, err)
	}
	_, err := chat.DB.Exec(`UPDATE conversations SET status = 'closed', closed_at = now()`)
	require.NoError(t, err)
	return chat.DB
}

func holds(t *testing.T, chat *sqlx.DB, tenantID, email string) bool {
	t.Helper()
	var n int
	require.NoError(t, chat.Get(&n, `SELECT count(*) FROM end_users WHERE account_id = $1 AND lower(email) = lower($2)`, tenantID, email))
	return n > 0
}

func restricted(t *testing.T, chat *sqlx.DB, tenantID, email string) bool {
	t.Helper()
	var ok bool
	require.NoError(t, chat.Get(&ok, `SELECT restricted_at IS NOT NULL FROM end_users WHERE account_id = $1 AND lower(email) = lower($2)`, tenantID, email))
	return ok
}

// recorded creates the request in the record, as the API does, and returns it as
// connectors see it.
func (e *env) recorded(t *testing.T, typ domain.RequestType, email string, scope domain.ErasureScope) connectors.Request {
	t.Helper()
	r, _, err := e.st.CreateRequest(ctx, store.NewRequest{TenantID: e.tenant.ID, Type: typ, Source: "api", SubjectEmail: email,
		Params: store.Params{ErasureScope: scope}, ReceivedAt: time.Now()})
	require.NoError(t, err)
	return connectors.Request{ID: r.ID, Type: typ, Subject: e.subject(email), ErasureScope: scope}
}

// apply does what the workflow does: the request at the chat store and at the backups.
func (e *env) apply(t *testing.T, chat *sqlx.DB, req connectors.Request) {
	t.Helper()
	for _, c := range []connectors.Connector{chatstore.New(chat), e.c} {
		var err error
		switch req.Type {
		case domain.Erasure:
			_, err = c.Erase(ctx, req)
		case domain.Restriction:
			_, err = c.Restrict(ctx, req)
		}
		require.NoError(t, err, "%s at %s", req.Type, c.Name())
	}
}

func TestReplayAfterRestore(t *testing.T) {
	t.Parallel()
	e := setup(t, "eu")
	other, err := e.st.CreateTenant(ctx, store.Tenant{Name: "Other", Region: "eu", Country: "DE", TZ: "Europe/Berlin"})
	require.NoError(t, err)
	live := seededChat(t, e.tenant, other)

	erased, kept, limited := demo.UserEmail(2), demo.UserEmail(3), demo.UserEmail(4)
	// Before the instant replay starts from: not replayed.
	early := e.recorded(t, domain.Erasure, kept, domain.ScopeFull)
	e.apply(t, live, early)
	time.Sleep(20 * time.Millisecond)
	var since time.Time
	require.NoError(t, e.orch.DB.Get(&since, `SELECT now()`))
	time.Sleep(20 * time.Millisecond)

	erase := e.recorded(t, domain.Erasure, erased, domain.ScopeFull)
	e.apply(t, live, erase)
	restrict := e.recorded(t, domain.Restriction, limited, "")
	e.apply(t, live, restrict)
	// A request the chat store never saw (the restore also lost the subject): not found.
	gone := e.recorded(t, domain.Erasure, "nobody@example.com", domain.ScopeProfile)
	_, err = e.c.Erase(ctx, gone)
	require.NoError(t, err)
	require.False(t, holds(t, live, e.tenant.ID, erased))

	// On the live store nothing is applied again: the erased subject is not there and the
	// restriction has its receipt.
	res, err := e.c.Replay(ctx, chatstore.New(live), since, nil)
	require.NoError(t, err)
	require.Equal(t, backups.ReplayResult{Tombstones: 3, Reapplied: 0, AlreadyApplied: 1, NotFound: 2}, res)

	// The chat store is restored from a copy taken before the requests.
	restored := seededChat(t, e.tenant, other)
	require.True(t, holds(t, restored, e.tenant.ID, erased), "the restore brought the subject back")
	require.False(t, restricted(t, restored, e.tenant.ID, limited))

	res, err = e.c.Replay(ctx, chatstore.New(restored), since, nil)
	require.NoError(t, err)
	require.Equal(t, backups.ReplayResult{Tombstones: 3, Reapplied: 2, AlreadyApplied: 0, NotFound: 1}, res)
	require.False(t, holds(t, restored, e.tenant.ID, erased), "erased again")
	require.True(t, restricted(t, restored, e.tenant.ID, limited), "restricted again")
	require.True(t, holds(t, restored, e.tenant.ID, kept), "a tombstone from before the instant is not replayed")
	require.True(t, holds(t, restored, other.ID, erased), "the same email at another tenant is another subject")
	var left int
	require.NoError(t, restored.Get(&left, `SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE c.account_id = $1 AND (strpos(lower(m.body), $2) > 0 OR strpos(lower(m.author_name), $2) > 0)`, e.tenant.ID, erased))
	require.Zero(t, left)

	// Each re-application is an event on its request, without personal data.
	for _, id := range []string{erase.ID, restrict.ID} {
		events := replayEvents(t, e.st, id)
		require.Len(t, events, 1)
		require.Contains(t, events[0].Message, "after a restore")
		require.NotContains(t, string(events[0].Detail)+events[0].Message, "visitor")
	}
	require.Empty(t, replayEvents(t, e.st, gone.ID))

	// A second replay re-applies nothing.
	res, err = e.c.Replay(ctx, chatstore.New(restored), since, nil)
	require.NoError(t, err)
	require.Equal(t, backups.ReplayResult{Tombstones: 3, Reapplied: 0, AlreadyApplied: 1, NotFound: 2}, res)
	require.Len(t, replayEvents(t, e.st, erase.ID), 1)

	// Tombstones of other regions are left to their own chat store.
	res, err = e.c.Replay(ctx, chatstore.New(restored), since, []domain.Region{domain.RegionUS})
	require.NoError(t, err)
	require.Equal(t, backups.ReplayResult{}, res)
}

func TestReplayWithAnotherKeyFindsNobody(t *testing.T) {
	t.Parallel()
	e := setup(t, "eu")
	live := seededChat(t, e.tenant)
	req := e.recorded(t, domain.Erasure, demo.UserEmail(5), domain.ScopeProfile)
	_, err := e.c.Erase(ctx, req)
	require.NoError(t, err)

	wrong := backups.New(store.New(e.orch.DB), []byte("not-the-installation-key-0123456789"))
	res, err := wrong.Replay(ctx, chatstore.New(live), time.Time{}, nil)
	require.NoError(t, err)
	require.Equal(t, backups.ReplayResult{Tombstones: 1, NotFound: 1}, res)
	require.True(t, holds(t, live, e.tenant.ID, demo.UserEmail(5)))
}

// replayEvents returns the request's events recorded by replays.
func replayEvents(t *testing.T, st *store.Store, requestID string) []store.Event {
	t.Helper()
	events, err := st.Events(ctx, requestID)
	require.NoError(t, err)
	var out []store.Event
	for _, ev := range events {
		if ev.Kind == domain.EventBackupReplayed {
			out = append(out, ev)
		}
	}
	return out
}
