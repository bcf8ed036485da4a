package backups_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/connectors/backups"
	"dsr/connectors/conformance"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

var ctx = context.Background()

var secret = []byte("backups-test-secret-0123456789abcdef")

// env is a backups connector on its own orchestrator schema, with one tenant.
type env struct {
	c      *backups.Connector
	st     *store.Store
	orch   *pgtest.Schema
	tenant store.Tenant
}

func setup(t *testing.T, region domain.Region) *env {
	t.Helper()
	orch := pgtest.New(t, schema.Orchestrator)
	st := store.New(orch.DB)
	tn, err := st.CreateTenant(ctx, store.Tenant{Name: "Acme", Region: region, Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)
	return &env{c: backups.New(store.New(orch.DB), secret), st: st, orch: orch, tenant: tn}
}

func (e *env) subject(email string) connectors.Subject {
	return connectors.Subject{TenantID: e.tenant.ID, Email: email}
}

// backup adds a backup of the region taken and expiring relative to now, to the second.
func (e *env) backup(t *testing.T, id string, region domain.Region, taken, expires time.Duration) time.Time {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	b, err := e.st.AddBackup(ctx, store.Backup{ID: id, Region: region, Kind: "full", TakenAt: now.Add(taken), ExpiresAt: now.Add(expires)})
	require.NoError(t, err)
	return b.ExpiresAt
}

func request(typ domain.RequestType, s connectors.Subject) connectors.Request {
	return connectors.Request{ID: uuid.NewString(), Type: typ, Subject: s}
}

func erasure(s connectors.Subject, scope domain.ErasureScope) connectors.Request {
	req := request(domain.Erasure, s)
	req.ErasureScope = scope
	return req
}

const day = 24 * time.Hour

func TestNameAndKind(t *testing.T) {
	t.Parallel()
	e := setup(t, "eu")
	require.Equal(t, "backups", e.c.Name())
	require.Equal(t, connectors.KindBackup, e.c.Kind())
	reg, err := connectors.NewRegistry(e.c)
	require.NoError(t, err)
	require.Equal(t, []string{"backups"}, reg.Names())
}

func TestEraseRecordsOneTombstone(t *testing.T) {
	t.Parallel()
	e := setup(t, "eu")
	expiry := e.backup(t, "nightly-1", "eu", -day, 30*day)
	subj := e.subject("Jane.Doe@Example.com")

	req := erasure(subj, domain.ScopeFull)
	first, err := e.c.Erase(ctx, req)
	require.NoError(t, err)
	require.False(t, first.Replayed)
	require.Equal(t, "backups", first.Connector)
	require.Equal(t, domain.Erasure, first.Action)
	require.Equal(t, map[string]int64{backups.RowsTombstones: 1}, first.Rows)
	require.NotNil(t, first.RetainedUntil)
	require.True(t, expiry.Equal(*first.RetainedUntil))
	require.WithinDuration(t, time.Now(), first.AppliedAt, time.Minute)
	require.Len(t, first.Notes, 1)
	require.Contains(t, first.Notes[0], expiry.Format(time.DateOnly))

	second, err := e.c.Erase(ctx, req)
	require.NoError(t, err)
	require.True(t, second.Replayed)
	require.Equal(t, first.Rows, second.Rows)
	require.True(t, first.AppliedAt.Equal(second.AppliedAt), "a replay reports the time of the first run")
	require.True(t, first.RetainedUntil.Equal(*second.RetainedUntil))

	// The tombstone holds a keyed hash of the trimmed, lower-cased email, never the email.
	var rows []struct {
		Hash  []byte `db:"subject_hash"`
		Scope string `db:"erasure_scope"`
		Text  string `db:"row_text"`
	}
	require.NoError(t, e.orch.DB.Select(&rows, `SELECT subject_hash, erasure_scope, t::text AS row_text FROM tombstones t WHERE request_id = $1`, req.ID))
	require.Len(t, rows, 1)
	require.Equal(t, "full", rows[0].Scope)
	require.Equal(t, e.c.SubjectHash(subj.TenantID, "  jane.doe@example.COM "), rows[0].Hash)
	require.NotContains(t, strings.ToLower(rows[0].Text), "jane")

	// A new request for the same subject is a new tombstone: each request tells its subject.
	again, err := e.c.Erase(ctx, erasure(subj, ""))
	require.NoError(t, err)
	require.False(t, again.Replayed)
	var n int
	require.NoError(t, e.orch.DB.Get(&n, `SELECT count(*) FROM tombstones WHERE subject_hash = $1`, rows[0].Hash))
	require.Equal(t, 2, n)
}

func TestConcurrentSameRequestRecordsOnce(t *testing.T) {
	t.Parallel()
	e := setup(t, "eu")
	req := erasure(e.subject("concurrent@example.com"), domain.ScopeProfile)

	const callers = 4
	outs := make([]domain.Outcome, callers)
	errs := make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			outs[i], errs[i] = e.c.Erase(ctx, req)
		})
	}
	close(start)
	wg.Wait()
	acted := 0
	for i := range callers {
		require.NoError(t, errs[i])
		require.True(t, outs[0].AppliedAt.Equal(outs[i].AppliedAt))
		if !outs[i].Replayed {
			acted++
		}
	}
	require.Equal(t, 1, acted, "exactly one caller records the tombstone")
}

func TestRetainedUntil(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		backups func(t *testing.T, e *env) *time.Time
	}{
		{name: "latest expiry of the region's backups taken before now", backups: func(t *testing.T, e *env) *time.Time {
			e.backup(t, "eu-old", "eu", -20*day, 10*day)
			want := e.backup(t, "eu-weekly", "eu", -3*day, 35*day)
			e.backup(t, "eu-daily", "eu", -time.Hour, 7*day)
			e.backup(t, "eu-expired", "eu", -60*day, -day)
			e.backup(t, "eu-later", "eu", time.Hour, 90*day) // taken after the erasure
			e.backup(t, "us-yearly", "us", -day, 365*day)    // another region
			return &want
		}},
		{name: "only other regions", backups: func(t *testing.T, e *env) *time.Time {
			e.backup(t, "apac-1", "apac", -day, 30*day)
			return nil
		}},
		{name: "only expired or later backups", backups: func(t *testing.T, e *env) *time.Time {
			e.backup(t, "eu-gone", "eu", -30*day, -time.Minute)
			e.backup(t, "eu-soon", "eu", time.Minute, 30*day)
			return nil
		}},
		{name: "empty catalog", backups: func(*testing.T, *env) *time.Time { return nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, "eu")
			want := tc.backups(t, e)
			for _, act := range []func(context.Context, connectors.Request) (domain.Outcome, error){
				e.c.Erase, e.c.Restrict,
			} {
				out, err := act(ctx, erasure(e.subject("someone@example.com"), domain.ScopeFull))
				require.NoError(t, err)
				require.Equal(t, map[string]int64{backups.RowsTombstones: 1}, out.Rows)
				if want == nil {
					require.Nil(t, out.RetainedUntil)
					continue
				}
				require.NotNil(t, out.RetainedUntil)
				require.True(t, want.Equal(*out.RetainedUntil), "retained until %s, want %s", out.RetainedUntil, want)
				b, err := json.Marshal(out)
				require.NoError(t, err)
				require.Contains(t, string(b), `"retained_until":"`+want.Format(time.RFC3339)+`"`)
			}
		})
	}
}

func TestRestrictRecordsTombstone(t *testing.T) {
	t.Parallel()
	e := setup(t, "us")
	expiry := e.backup(t, "us-1", "us", -day, 14*day)
	req := request(domain.Restriction, e.subject("restricted@example.com"))
	first, err := e.c.Restrict(ctx, req)
	require.NoError(t, err)
	require.False(t, first.Replayed)
	require.Equal(t, domain.Restriction, first.Action)
	require.True(t, expiry.Equal(*first.RetainedUntil))
	second, err := e.c.Restrict(ctx, req)
	require.NoError(t, err)
	require.True(t, second.Replayed)
	require.Equal(t, first.Rows, second.Rows)

	var scope *string
	require.NoError(t, e.orch.DB.Get(&scope, `SELECT erasure_scope FROM tombstones WHERE request_id = $1 AND action = 'restriction'`, req.ID))
	require.Nil(t, scope)
}

func TestActionsThatChangeNothing(t *testing.T) {
	t.Parallel()
	e := setup(t, "eu")
	expiry := e.backup(t, "eu-1", "eu", -day, 30*day)
	subj := e.subject("visitor@example.com")

	m, err := e.c.Find(ctx, subj)
	require.NoError(t, err)
	require.Equal(t, connectors.Match{}, m, "backups are never searched")

	b, err := e.c.Blockers(ctx, erasure(subj, domain.ScopeFull))
	require.NoError(t, err)
	require.Empty(t, b)

	for _, scope := range []connectors.ExportScope{{}, {Portability: true}} {
		var rec conformance.Recorder
		require.NoError(t, e.c.Export(ctx, request(domain.Access, subj), scope, &rec))
		require.Empty(t, rec.Names(), "nothing is exported from backups")
	}

	rect := request(domain.Rectification, subj)
	rect.Rectification = map[string]string{"name": "Jo Smith"}
	out, err := e.c.Rectify(ctx, rect)
	require.NoError(t, err)
	require.Empty(t, out.Rows)
	require.Empty(t, out.Fields, "nothing was changed")
	require.True(t, expiry.Equal(*out.RetainedUntil))
	body, err := json.Marshal(out)
	require.NoError(t, err)
	require.NotContains(t, string(body), "Jo Smith")
	require.Contains(t, out.Notes[0], expiry.Format(time.DateOnly))

	obj := request(domain.Objection, subj)
	obj.ObjectionPurposes = []domain.Purpose{"marketing"}
	out, err = e.c.Object(ctx, obj)
	require.NoError(t, err)
	require.Empty(t, out.Rows)
	require.NotEmpty(t, out.Notes)

	var n int
	require.NoError(t, e.orch.DB.Get(&n, `SELECT count(*) FROM tombstones`))
	require.Zero(t, n, "only erasures and restrictions leave tombstones")
}

func TestInvalidRequests(t *testing.T) {
	t.Parallel()
	e := setup(t, "eu")
	subj := e.subject("visitor@example.com")
	tests := []struct {
		name string
		call func() error
	}{
		{name: "tenant not a uuid", call: func() error {
			_, err := e.c.Erase(ctx, erasure(connectors.Subject{TenantID: "acme", Email: "a@example.com"}, ""))
			return err
		}},
		{name: "unknown tenant", call: func() error {
			_, err := e.c.Erase(ctx, erasure(connectors.Subject{TenantID: uuid.NewString(), Email: "a@example.com"}, ""))
			return err
		}},
		{name: "empty email", call: func() error {
			_, err := e.c.Restrict(ctx, request(domain.Restriction, e.subject(" ")))
			return err
		}},
		{name: "request id not a uuid", call: func() error {
			req := erasure(subj, "")
			req.ID = "r1"
			_, err := e.c.Erase(ctx, req)
			return err
		}},
		{name: "unknown scope", call: func() error {
			_, err := e.c.Erase(ctx, erasure(subj, "everything"))
			return err
		}},
		{name: "unknown field", call: func() error {
			req := request(domain.Rectification, subj)
			req.Rectification = map[string]string{"shoe_size": "42"}
			_, err := e.c.Rectify(ctx, req)
			return err
		}},
		{name: "no field", call: func() error {
			_, err := e.c.Rectify(ctx, request(domain.Rectification, subj))
			return err
		}},
		{name: "unknown purpose", call: func() error {
			req := request(domain.Objection, subj)
			req.ObjectionPurposes = []domain.Purpose{"marketing", "telepathy"}
			_, err := e.c.Object(ctx, req)
			return err
		}},
		{name: "find with a bad tenant", call: func() error {
			_, err := e.c.Find(ctx, connectors.Subject{TenantID: "x", Email: "a@example.com"})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, tc.call(), connectors.ErrInvalid)
		})
	}
	var n int
	require.NoError(t, e.orch.DB.Get(&n, `SELECT count(*) FROM tombstones`))
	require.Zero(t, n)
}

func TestSubjectHash(t *testing.T) {
	t.Parallel()
	orch := pgtest.New(t, schema.Orchestrator)
	c := backups.New(store.New(orch.DB), secret)
	tenant := uuid.NewString()
	h := c.SubjectHash(tenant, "Jane@Example.com")
	require.Len(t, h, 32)
	require.Equal(t, h, c.SubjectHash(strings.ToUpper(tenant), " jane@example.com\n"), "case and spaces do not matter")
	require.NotEqual(t, h, c.SubjectHash(uuid.NewString(), "jane@example.com"), "scoped to the tenant")
	require.NotEqual(t, h, c.SubjectHash(tenant, "john@example.com"))
	other := backups.New(store.New(orch.DB), []byte("another-secret-0123456789abcdef0123"))
	require.NotEqual(t, h, other.SubjectHash(tenant, "jane@example.com"), "keyed by the secret")
}
