package chatstore_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/connectors/chatstore"
	"dsr/connectors/conformance"
	"dsr/internal/domain"
	"dsr/internal/platform/objectstore"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

// s3Store serves an in-memory S3-compatible server (gofakes3) for the test and returns a
// store on a bucket of it.
func s3Store(t testing.TB) objectstore.Store {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	s, err := objectstore.NewS3(objectstore.S3Config{Endpoint: u.Host, Bucket: "chat-attachments",
		AccessKey: "test", SecretKey: "test-secret", CreateBucket: true})
	require.NoError(t, err)
	return s
}

func dirStore(t testing.TB) objectstore.Store {
	t.Helper()
	s, err := objectstore.NewDir(filepath.Join(t.TempDir(), "objects"))
	require.NoError(t, err)
	return s
}

// stores are the object stores the attachment tests run against.
var stores = []struct {
	name string
	make func(testing.TB) objectstore.Store
}{
	{name: "Dir", make: dirStore},
	{name: "S3", make: s3Store},
}

// setupObjects gives a test a connector with an object store on its own chat store.
func setupObjects(t *testing.T, store objectstore.Store) (*chatstore.Connector, *fixture) {
	t.Helper()
	sch := pgtest.New(t, schema.ChatStore)
	return chatstore.New(sch.DB, chatstore.WithObjects(store)), newFixture(t, sch.DB)
}

// keys returns the storage keys of the attachments rows that query (selecting attachments
// a, with $1 as the argument) finds, sorted.
func keys(t testing.TB, db *sqlx.DB, query string, args ...any) []string {
	t.Helper()
	out := []string{}
	require.NoError(t, db.Select(&out, `SELECT DISTINCT a.storage_key FROM attachments a `+query+` ORDER BY 1`, args...))
	return out
}

// allKeys returns the storage keys of every attachments row.
func allKeys(t testing.TB, db *sqlx.DB) []string { return keys(t, db, "") }

// subjectKeys returns the storage keys of the attachments in an end-user's conversations and
// on the messages they wrote: what a full erasure deletes.
func subjectKeys(t testing.TB, db *sqlx.DB, endUser int64) []string {
	return keys(t, db, `JOIN messages m ON m.id = a.message_id JOIN conversations c ON c.id = m.conversation_id
		WHERE c.requester_id = $1 OR (m.author_kind = 'end_user' AND m.author_id = $1)`, endUser)
}

// upload puts an object for each key.
func upload(t testing.TB, store objectstore.Store, keys []string) {
	t.Helper()
	for _, k := range keys {
		body := "file " + k
		require.NoError(t, store.Put(ctx, k, strings.NewReader(body), int64(len(body))))
	}
}

// stored returns which of keys the store holds.
func stored(t testing.TB, store objectstore.Store, keys []string) []string {
	t.Helper()
	out := []string{}
	for _, k := range keys {
		ok, err := store.Exists(ctx, k)
		require.NoError(t, err)
		if ok {
			out = append(out, k)
		}
	}
	return out
}

func queued(t testing.TB, f *fixture) int64 {
	t.Helper()
	var n int64
	require.NoError(t, f.db.Get(&n, `SELECT count(*) FROM dsr_object_deletions`))
	return n
}

func TestEraseDeletesAttachmentObjects(t *testing.T) {
	t.Parallel()
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			store := st.make(t)
			c, f := setupObjects(t, store)
			p := f.seedEndUser(false)
			neighbour := f.seedEndUser(false)
			upload(t, store, allKeys(t, f.db))
			mine, theirs := subjectKeys(t, f.db, p.EndUserID), subjectKeys(t, f.db, neighbour.EndUserID)
			require.Len(t, mine, 2*2+1)
			require.Len(t, theirs, 2*2+1)

			// Scope profile keeps conversations, so it keeps their files.
			out, err := c.Erase(ctx, erasure(neighbour.Subject, domain.ScopeProfile))
			require.NoError(t, err)
			require.NotContains(t, out.Rows, chatstore.RowsAttachmentObjects)
			require.Equal(t, theirs, stored(t, store, theirs))

			req := erasure(p.Subject, domain.ScopeFull)
			out, err = c.Erase(ctx, req)
			require.NoError(t, err)
			require.Equal(t, map[string]int64{
				chatstore.RowsAttachments:           2*2 + 1,
				chatstore.RowsAttachmentObjects:     2*2 + 1,
				chatstore.RowsMessages:              2*4 + 1,
				chatstore.RowsConversations:         2,
				chatstore.RowsMessagesAuthorCleared: 0,
				chatstore.RowsOAuthTokens:           1,
				chatstore.RowsSessions:              1,
				chatstore.RowsSavedSearches:         1,
				chatstore.RowsEndUsers:              1,
			}, out.Rows)
			require.NotContains(t, strings.Join(out.Notes, "\n"), "object store")
			require.Empty(t, stored(t, store, mine), "the subject's files are gone")
			require.Equal(t, theirs, stored(t, store, theirs), "the neighbour's files stay")
			require.Zero(t, queued(t, f), "nothing is left queued")
			require.Empty(t, occurrences(t, f.db, p.Email))

			replay, err := c.Erase(ctx, req)
			require.NoError(t, err)
			require.True(t, replay.Replayed)
			require.Equal(t, out.Rows, replay.Rows)
		})
	}
}

// failingStore fails the nth call to Delete, once.
type failingStore struct {
	objectstore.Store
	mu     sync.Mutex
	n      int
	calls  int
	failed bool
}

var errStoreDown = errors.New("object store unavailable")

func (s *failingStore) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	s.calls++
	fail := !s.failed && s.calls == s.n
	s.failed = s.failed || fail
	s.mu.Unlock()
	if fail {
		return errStoreDown
	}
	return s.Store.Delete(ctx, key)
}

func TestEraseRetriesObjectDeletion(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		failAt int
		left   int64 // keys queued after the failure
	}{
		{name: "FirstDelete", failAt: 1, left: 5},
		{name: "ThirdDelete", failAt: 3, left: 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := &failingStore{Store: s3Store(t), n: tt.failAt}
			c, f := setupObjects(t, store)
			p := f.seedEndUser(false)
			neighbour := f.seedEndUser(false)
			upload(t, store, allKeys(t, f.db))
			mine, theirs := subjectKeys(t, f.db, p.EndUserID), subjectKeys(t, f.db, neighbour.EndUserID)
			req := erasure(p.Subject, domain.ScopeFull)

			_, err := c.Erase(ctx, req)
			require.ErrorIs(t, err, errStoreDown)
			require.NotErrorIs(t, err, connectors.ErrInvalid, "a store failure is retried")
			require.False(t, has(t, f.db, p.Subject), "the database part committed")
			require.Equal(t, tt.left, queued(t, f), "the keys not deleted yet stay queued")
			require.Len(t, stored(t, store, mine), int(tt.left))

			out, err := c.Erase(ctx, req)
			require.NoError(t, err)
			require.True(t, out.Replayed, "the retry replays the receipt")
			require.Equal(t, int64(len(mine)), out.Rows[chatstore.RowsAttachmentObjects])
			require.Empty(t, stored(t, store, mine), "the retry deleted what was left")
			require.Zero(t, queued(t, f))
			require.Equal(t, theirs, stored(t, store, theirs))
		})
	}
}

func TestEraseKeepsSharedObject(t *testing.T) {
	t.Parallel()
	store := dirStore(t)
	c, f := setupObjects(t, store)
	p := f.seedEndUser(false)
	neighbour := f.seedEndUser(false)
	mine := subjectKeys(t, f.db, p.EndUserID)
	// The product stored an identical upload of the neighbour's once: their attachment
	// points at the subject's object.
	var msg int64
	require.NoError(t, f.db.Get(&msg, `SELECT id FROM messages WHERE author_kind = 'end_user' AND author_id = $1 LIMIT 1`, neighbour.EndUserID))
	_, err := f.db.Exec(`INSERT INTO attachments (message_id, filename, storage_key) VALUES ($1, 'same.png', $2)`, msg, mine[0])
	require.NoError(t, err)
	upload(t, store, allKeys(t, f.db))

	out, err := c.Erase(ctx, erasure(p.Subject, domain.ScopeFull))
	require.NoError(t, err)
	require.Equal(t, int64(len(mine)), out.Rows[chatstore.RowsAttachments])
	require.Equal(t, int64(len(mine)-1), out.Rows[chatstore.RowsAttachmentObjects])
	require.Contains(t, strings.Join(out.Notes, "\n"), "1 attachment file(s) are also referenced")
	require.Equal(t, mine[:1], stored(t, store, mine), "the shared object stays")
	require.Zero(t, queued(t, f))
}

func TestEraseRefusedKey(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	store, err := objectstore.NewDir(filepath.Join(parent, "objects"))
	require.NoError(t, err)
	outside := filepath.Join(parent, "outside.txt")
	require.NoError(t, os.WriteFile(outside, []byte("not an attachment"), 0o600))
	c, f := setupObjects(t, store)
	p := f.seedEndUser(false)
	upload(t, store, allKeys(t, f.db))
	var msg int64
	require.NoError(t, f.db.Get(&msg, `SELECT id FROM messages WHERE author_kind = 'end_user' AND author_id = $1 LIMIT 1`, p.EndUserID))
	_, err = f.db.Exec(`INSERT INTO attachments (message_id, filename, storage_key) VALUES ($1, 'x', '../outside.txt')`, msg)
	require.NoError(t, err)
	req := erasure(p.Subject, domain.ScopeFull)

	_, err = c.Erase(ctx, req)
	require.ErrorIs(t, err, objectstore.ErrInvalidKey)
	require.ErrorIs(t, err, connectors.ErrInvalid, "no retry makes the key valid")
	var left []string
	require.NoError(t, f.db.Select(&left, `SELECT storage_key FROM dsr_object_deletions`))
	require.Contains(t, left, "../outside.txt", "the refused key stays queued for a person to look at")
	b, err := os.ReadFile(outside)
	require.NoError(t, err)
	require.Equal(t, "not an attachment", string(b))
}

func TestEraseWithoutObjectStore(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	p := f.seedEndUser(false)
	out, err := c.Erase(ctx, erasure(p.Subject, domain.ScopeFull))
	require.NoError(t, err)
	require.NotContains(t, out.Rows, chatstore.RowsAttachmentObjects)
	require.Contains(t, strings.Join(out.Notes, "\n"), "no object store is configured: the files of the 5 deleted attachment(s)")
	require.Zero(t, queued(t, f))
}

// objectHarness runs the conformance suite on a chat-store connector with an object store
// holding every attachment's file.
type objectHarness struct {
	harness
	store objectstore.Store
	mu    sync.Mutex
	put   map[string]bool
}

func (h *objectHarness) New(t *testing.T) connectors.Connector {
	h.store = s3Store(t)
	h.put = map[string]bool{}
	sch := pgtest.New(t, schema.ChatStore)
	c := chatstore.New(sch.DB, chatstore.WithObjects(h.store))
	h.harness.fixtures = map[connectors.Connector]*fixture{c: newFixture(t, sch.DB)}
	return c
}

func (h *objectHarness) Seed(t *testing.T, c connectors.Connector, spec conformance.SubjectSpec) connectors.Subject {
	t.Helper()
	s := h.harness.Seed(t, c, spec)
	var fresh []string
	h.mu.Lock()
	for _, k := range allKeys(t, h.fixture(t, c).db) {
		if !h.put[k] {
			h.put[k] = true
			fresh = append(fresh, k)
		}
	}
	h.mu.Unlock()
	upload(t, h.store, fresh)
	return s
}

func TestConformanceWithObjectStore(t *testing.T) {
	t.Parallel()
	conformance.Run(t, &objectHarness{})
}
