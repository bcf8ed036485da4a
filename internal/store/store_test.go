package store_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

var ctx = context.Background()

// setup returns a Store on a fresh, migrated schema of its own.
func setup(t *testing.T) *store.Store {
	t.Helper()
	return store.New(pgtest.New(t, schema.Orchestrator).DB)
}

// tenant creates a tenant in the EU.
func tenant(t *testing.T, s *store.Store) store.Tenant {
	t.Helper()
	tn, err := s.CreateTenant(ctx, store.Tenant{Name: "Acme", Region: "eu", Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)
	return tn
}

// newRequest is a valid NewRequest of the tenant, received now.
func newRequest(tenantID string, typ domain.RequestType) store.NewRequest {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return store.NewRequest{
		TenantID:     tenantID,
		Type:         typ,
		Source:       "api",
		SubjectEmail: "subject@example.com",
		ReceivedAt:   now,
		TargetDue:    now.AddDate(0, 0, 6),
		LegalDue:     now.AddDate(0, 1, 0),
		ExtendedDue:  now.AddDate(0, 3, 0),
	}
}

// request creates a request of the tenant without an idempotency key.
func request(t *testing.T, s *store.Store, tenantID string, typ domain.RequestType) store.Request {
	t.Helper()
	r, created, err := s.CreateRequest(ctx, newRequest(tenantID, typ))
	require.NoError(t, err)
	require.True(t, created)
	return r
}

// setStatus records a change of the request to status.
func setStatus(t *testing.T, s *store.Store, id string, status domain.Status) {
	t.Helper()
	ok, err := s.Record(ctx, domain.Change{RequestID: id, DedupeKey: "status-" + string(status), Kind: "status", Actor: "test", Status: status})
	require.NoError(t, err)
	require.True(t, ok)
}

// ids returns the requests' ids in order.
func ids(rs []store.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// reversed returns a reversed copy of s.
func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// day formats a date column as read back.
func day(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

func TestCreateAndGetTenant(t *testing.T) {
	t.Parallel()
	s := setup(t)

	created, err := s.CreateTenant(ctx, store.Tenant{Name: "Acme", Region: "eu", Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)
	_, err = uuid.Parse(created.ID)
	require.NoError(t, err, "a new tenant gets a uuid")
	require.Equal(t, 4, created.TargetDays, "target days default to 4")
	require.WithinDuration(t, time.Now(), created.CreatedAt, time.Minute)

	got, err := s.GetTenant(ctx, created.ID)
	require.NoError(t, err)
	require.Equal(t, created, got)

	custom, err := s.CreateTenant(ctx, store.Tenant{Name: "Globex", Region: "apac", Country: "JP", TZ: "Asia/Tokyo", TargetDays: 10})
	require.NoError(t, err)
	require.NotEqual(t, created.ID, custom.ID)
	got, err = s.GetTenant(ctx, custom.ID)
	require.NoError(t, err)
	require.Equal(t, store.Tenant{ID: custom.ID, Name: "Globex", Region: "apac", Country: "JP", TZ: "Asia/Tokyo",
		TargetDays: 10, CreatedAt: custom.CreatedAt}, got)

	_, err = s.CreateTenant(ctx, store.Tenant{Name: "Initech", Region: "mars", Country: "US", TZ: "UTC"})
	require.Error(t, err, "the region must be eu, us or apac")
}

func TestGetTenantNotFound(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tenant(t, s)
	tests := []struct {
		name string
		id   string
	}{
		{name: "unknown uuid", id: uuid.NewString()},
		{name: "not a uuid", id: "acme"},
		{name: "sql in the id", id: "' OR '1'='1"},
		{name: "empty", id: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := s.GetTenant(ctx, tc.id)
			require.ErrorIs(t, err, store.ErrNotFound)
		})
	}
}

func TestAPIKey(t *testing.T) {
	t.Parallel()
	s := setup(t)
	acme, other := tenant(t, s), tenant(t, s)

	key, err := s.CreateAPIKey(ctx, acme.ID)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(key, "dsr_"), "key %q", key)
	secret, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(key, "dsr_"))
	require.NoError(t, err)
	require.Len(t, secret, 32, "256 random bits")

	second, err := s.CreateAPIKey(ctx, acme.ID)
	require.NoError(t, err)
	require.NotEqual(t, key, second)
	otherKey, err := s.CreateAPIKey(ctx, other.ID)
	require.NoError(t, err)

	// Only the hash is kept: the key is in no column, in the clear or hex-encoded.
	var rows []string
	require.NoError(t, s.DB().SelectContext(ctx, &rows, `SELECT row_to_json(k)::text FROM api_keys k`))
	require.Len(t, rows, 3)
	for _, row := range rows {
		for _, k := range []string{key, second, otherKey} {
			require.NotContains(t, row, k)
			require.NotContains(t, row, strings.TrimPrefix(k, "dsr_"))
			require.NotContains(t, row, hex.EncodeToString([]byte(k)))
		}
	}
	var hash []byte
	require.NoError(t, s.DB().GetContext(ctx, &hash, `SELECT key_hash FROM api_keys WHERE tenant_id = $1 AND prefix = $2`, acme.ID, key[:10]))
	sum := sha256.Sum256([]byte(key))
	require.Equal(t, sum[:], hash)

	got, err := s.TenantByAPIKey(ctx, key)
	require.NoError(t, err)
	require.Equal(t, acme, got)
	got, err = s.TenantByAPIKey(ctx, otherKey)
	require.NoError(t, err)
	require.Equal(t, other, got)

	random := make([]byte, 32)
	_, err = rand.Read(random)
	require.NoError(t, err)
	unknown := []struct {
		name string
		key  string
	}{
		{name: "unknown key", key: "dsr_" + base64.RawURLEncoding.EncodeToString(random)},
		{name: "empty", key: ""},
		{name: "prefix only", key: "dsr_"},
		{name: "without prefix", key: strings.TrimPrefix(key, "dsr_")},
		{name: "with bearer", key: "Bearer " + key},
		{name: "truncated", key: key[:len(key)-1]},
		{name: "extra character", key: key + "x"},
		{name: "upper case", key: strings.ToUpper(key)},
		{name: "the stored hash", key: "dsr_" + hex.EncodeToString(sum[:])},
		{name: "binary garbage", key: "dsr_\x00\xff\xfe"},
	}
	for _, tc := range unknown {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.TenantByAPIKey(ctx, tc.key)
			require.ErrorIs(t, err, store.ErrNotFound)
		})
	}

	_, err = s.DB().ExecContext(ctx, `UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1`, sum[:])
	require.NoError(t, err)
	_, err = s.TenantByAPIKey(ctx, key)
	require.ErrorIs(t, err, store.ErrNotFound, "a revoked key no longer authenticates")
	got, err = s.TenantByAPIKey(ctx, second)
	require.NoError(t, err, "the tenant's other key still works")
	require.Equal(t, acme, got)

	_, err = s.CreateAPIKey(ctx, uuid.NewString())
	require.Error(t, err, "a key for an unknown tenant")
}

func TestCreateRequest(t *testing.T) {
	t.Parallel()
	s := setup(t)
	acme := tenant(t, s)

	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	auckland, err := time.LoadLocation("Pacific/Auckland")
	require.NoError(t, err)
	clock := time.Date(2026, 3, 2, 9, 30, 0, 123456000, paris)
	n := store.NewRequest{
		TenantID:     acme.ID,
		Type:         "rectification",
		Source:       "mail",
		SubjectEmail: "Zoë.Ünal@example.com",
		Params: store.Params{
			Rectification:     map[string]string{"name": "Zoë Ünal", "locale": "fr-FR"},
			ObjectionPurposes: []domain.Purpose{"marketing"},
		},
		Reference:      "ticket 42",
		IdempotencyKey: "msg-1@example.com",
		RequestHash:    "abc",
		ReceivedAt:     time.Date(2026, 3, 1, 23, 30, 0, 654321000, paris),
		ClockStartedAt: &clock,
		// Midnight in a zone far from UTC: the date must be kept as it is, not shifted.
		TargetDue:   time.Date(2026, 3, 6, 0, 0, 0, 0, auckland),
		LegalDue:    time.Date(2026, 4, 1, 0, 0, 0, 0, paris),
		ExtendedDue: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
	}
	r, created, err := s.CreateRequest(ctx, n)
	require.NoError(t, err)
	require.True(t, created)
	id, err := uuid.Parse(r.ID)
	require.NoError(t, err)
	require.Equal(t, uuid.Version(7), id.Version(), "ids are time-ordered")

	got, err := s.GetRequest(ctx, acme.ID, r.ID)
	require.NoError(t, err)
	require.Equal(t, r, got)
	require.Equal(t, acme.ID, got.TenantID)
	require.Equal(t, domain.Rectification, got.Type)
	require.Equal(t, domain.StatusReceived, got.Status)
	require.Nil(t, got.StatusReason)
	require.Equal(t, domain.SourceMail, got.Source)
	require.Equal(t, n.SubjectEmail, got.SubjectEmail)
	require.Equal(t, n.Params, got.Params)
	require.Equal(t, "ticket 42", *got.Reference)
	require.Equal(t, "msg-1@example.com", *got.IdempotencyKey)
	require.Equal(t, "abc", *got.RequestHash)
	require.True(t, n.ReceivedAt.Equal(got.ReceivedAt), "received_at %s, want %s", got.ReceivedAt, n.ReceivedAt)
	require.True(t, clock.Equal(*got.ClockStartedAt), "clock_started_at %s, want %s", got.ClockStartedAt, clock)
	require.Equal(t, "2026-03-06", day(got.TargetDue))
	require.Equal(t, "2026-04-01", day(got.LegalDue))
	require.Equal(t, "2026-06-01", day(got.ExtendedDue))
	require.Nil(t, got.CompletedAt)
	require.Nil(t, got.Result)

	// Without a reference or a key, the columns are NULL, not empty strings.
	plain := request(t, s, acme.ID, "access")
	require.Nil(t, plain.Reference)
	require.Nil(t, plain.IdempotencyKey)
	require.Nil(t, plain.RequestHash)
	require.Nil(t, plain.ClockStartedAt)
	require.Equal(t, store.Params{}, plain.Params)

	_, _, err = s.CreateRequest(ctx, newRequest(acme.ID, "deletion"))
	require.Error(t, err, "an unknown type")
	_, _, err = s.CreateRequest(ctx, newRequest(uuid.NewString(), "access"))
	require.Error(t, err, "an unknown tenant")
}

func TestCreateRequestIdempotency(t *testing.T) {
	t.Parallel()
	s := setup(t)
	acme, other := tenant(t, s), tenant(t, s)
	count := func(tenantID string) int {
		var n int
		require.NoError(t, s.DB().GetContext(ctx, &n, `SELECT count(*) FROM requests WHERE tenant_id = $1`, tenantID))
		return n
	}

	n := newRequest(acme.ID, "erasure")
	n.IdempotencyKey = "key-1"
	n.RequestHash = "hash-1"
	first, created, err := s.CreateRequest(ctx, n)
	require.NoError(t, err)
	require.True(t, created)

	replay := n
	replay.ReceivedAt = n.ReceivedAt.Add(time.Hour) // a retry arrives later
	again, created, err := s.CreateRequest(ctx, replay)
	require.NoError(t, err)
	require.False(t, created, "a replay creates nothing")
	require.Equal(t, first, again, "a replay returns the earlier request as it was recorded")

	changed := n
	changed.RequestHash = "hash-2"
	changed.Type = "access"
	_, created, err = s.CreateRequest(ctx, changed)
	require.ErrorIs(t, err, store.ErrIdempotencyMismatch)
	require.False(t, created)
	require.Equal(t, 1, count(acme.ID))

	elsewhere := n
	elsewhere.TenantID = other.ID
	theirs, created, err := s.CreateRequest(ctx, elsewhere)
	require.NoError(t, err)
	require.True(t, created, "keys are per tenant")
	require.NotEqual(t, first.ID, theirs.ID)
	require.Equal(t, other.ID, theirs.TenantID)

	// Without a key every call is a new request.
	keyless := newRequest(acme.ID, "access")
	a, created, err := s.CreateRequest(ctx, keyless)
	require.NoError(t, err)
	require.True(t, created)
	b, created, err := s.CreateRequest(ctx, keyless)
	require.NoError(t, err)
	require.True(t, created)
	require.NotEqual(t, a.ID, b.ID)
	require.Equal(t, 3, count(acme.ID))
}

func TestCreateRequestConcurrentIdempotencyKey(t *testing.T) {
	t.Parallel()
	s := setup(t)
	acme := tenant(t, s)
	n := newRequest(acme.ID, "access")
	n.IdempotencyKey = "same-key"
	n.RequestHash = "same-hash"

	const callers = 10
	type result struct {
		req     store.Request
		created bool
		err     error
	}
	results := make([]result, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			r, created, err := s.CreateRequest(ctx, n)
			results[i] = result{r, created, err}
		})
	}
	close(start)
	wg.Wait()

	created := 0
	for i, r := range results {
		require.NoError(t, r.err, "caller %d", i)
		require.Equal(t, results[0].req.ID, r.req.ID, "caller %d got another request", i)
		if r.created {
			created++
		}
	}
	require.Equal(t, 1, created, "exactly one caller creates the request")
	var rows int
	require.NoError(t, s.DB().GetContext(ctx, &rows, `SELECT count(*) FROM requests`))
	require.Equal(t, 1, rows)
}

func TestGetRequestTenantScoped(t *testing.T) {
	t.Parallel()
	s := setup(t)
	acme, other := tenant(t, s), tenant(t, s)
	r := request(t, s, acme.ID, "access")

	tests := []struct {
		name     string
		tenantID string
		id       string
		found    bool
	}{
		{name: "own tenant", tenantID: acme.ID, id: r.ID, found: true},
		{name: "any tenant", tenantID: "", id: r.ID, found: true},
		{name: "other tenant", tenantID: other.ID, id: r.ID},
		{name: "unknown tenant", tenantID: uuid.NewString(), id: r.ID},
		{name: "garbled tenant", tenantID: "acme", id: r.ID},
		{name: "unknown id", tenantID: acme.ID, id: uuid.NewString()},
		{name: "not a uuid", tenantID: acme.ID, id: "1 OR 1=1"},
		{name: "empty id", tenantID: "", id: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.GetRequest(ctx, tc.tenantID, tc.id)
			if !tc.found {
				require.ErrorIs(t, err, store.ErrNotFound)
				require.Equal(t, store.Request{}, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, r, got)
		})
	}
}

func TestListRequests(t *testing.T) {
	t.Parallel()
	s := setup(t)
	acme, other := tenant(t, s), tenant(t, s)

	// Seven requests, created in this order; ids grow with time.
	plan := []struct {
		typ    domain.RequestType
		status domain.Status
	}{
		{"access", domain.StatusReceived},
		{"erasure", domain.StatusWaiting},
		{"access", domain.StatusCompleted},
		{"objection", domain.StatusCompleted},
		{"erasure", domain.StatusReceived},
		{"access", domain.StatusWaiting},
		{"portability", domain.StatusCanceled},
	}
	var created []string
	byID := map[string]int{}
	for i, p := range plan {
		r := request(t, s, acme.ID, p.typ)
		if p.status != domain.StatusReceived {
			setStatus(t, s, r.ID, p.status)
		}
		created = append(created, r.ID)
		byID[r.ID] = i
	}
	request(t, s, other.ID, "access") // another tenant's, never listed
	newestFirst := reversed(created)
	// where returns the ids of the plan's requests that match, newest first.
	where := func(match func(typ domain.RequestType, status domain.Status) bool) []string {
		var out []string
		for _, id := range newestFirst {
			if p := plan[byID[id]]; match(p.typ, p.status) {
				out = append(out, id)
			}
		}
		return out
	}

	tests := []struct {
		name   string
		filter store.ListFilter
		want   []string
		more   bool
	}{
		{name: "all, newest first", filter: store.ListFilter{}, want: newestFirst},
		{name: "by status", filter: store.ListFilter{Status: domain.StatusWaiting},
			want: where(func(_ domain.RequestType, st domain.Status) bool { return st == domain.StatusWaiting })},
		{name: "by type", filter: store.ListFilter{Type: "access"},
			want: where(func(ty domain.RequestType, _ domain.Status) bool { return ty == "access" })},
		{name: "by status and type", filter: store.ListFilter{Status: domain.StatusCompleted, Type: "access"},
			want: where(func(ty domain.RequestType, st domain.Status) bool {
				return ty == "access" && st == domain.StatusCompleted
			})},
		{name: "no match", filter: store.ListFilter{Status: domain.StatusFailed}},
		{name: "limit", filter: store.ListFilter{Limit: 2}, want: newestFirst[:2], more: true},
		{name: "limit equal to the total", filter: store.ListFilter{Limit: len(plan)}, want: newestFirst},
		{name: "after a cursor", filter: store.ListFilter{After: newestFirst[2], Limit: 2}, want: newestFirst[3:5], more: true},
		{name: "after the oldest", filter: store.ListFilter{After: created[0]}},
		{name: "filtered page", filter: store.ListFilter{Type: "access", Limit: 1}, want: []string{created[5]}, more: true},
		{name: "other tenant", filter: store.ListFilter{TenantID: other.ID, Type: "erasure"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := tc.filter
			if f.TenantID == "" {
				f.TenantID = acme.ID
			}
			got, more, err := s.ListRequests(ctx, f)
			require.NoError(t, err)
			require.Equal(t, tc.want, nilIfEmpty(ids(got)))
			require.Equal(t, tc.more, more)
			for _, r := range got {
				require.Equal(t, f.TenantID, r.TenantID)
			}
		})
	}

	// Walking the pages with the cursor visits every request once, in order.
	for _, limit := range []int{1, 2, 3, 7, 50} {
		t.Run(fmt.Sprintf("pages of %d", limit), func(t *testing.T) {
			t.Parallel()
			var seen []string
			f := store.ListFilter{TenantID: acme.ID, Limit: limit}
			for page := 0; ; page++ {
				require.Less(t, page, len(plan)+1, "pagination does not end")
				got, more, err := s.ListRequests(ctx, f)
				require.NoError(t, err)
				require.LessOrEqual(t, len(got), limit)
				seen = append(seen, ids(got)...)
				if !more {
					break
				}
				require.Len(t, got, limit, "a page before the last is full")
				f.After = got[len(got)-1].ID
			}
			require.Equal(t, newestFirst, seen)
		})
	}
}

// nilIfEmpty makes an empty list compare equal to a nil one.
func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestRecord(t *testing.T) {
	t.Parallel()
	s := setup(t)
	acme := tenant(t, s)
	r := request(t, s, acme.ID, "access")

	get := func() store.Request {
		t.Helper()
		got, err := s.GetRequest(ctx, acme.ID, r.ID)
		require.NoError(t, err)
		return got
	}
	record := func(c domain.Change) bool {
		t.Helper()
		c.RequestID = r.ID
		ok, err := s.Record(ctx, c)
		require.NoError(t, err)
		return ok
	}

	require.True(t, record(domain.Change{DedupeKey: "verify", Kind: "verification_started", Actor: "workflow",
		Message: "code sent", Status: domain.StatusVerifying, StatusReason: "waiting for the code",
		Detail: json.RawMessage(`{"channel": "mail"}`)}))
	got := get()
	require.Equal(t, domain.StatusVerifying, got.Status)
	require.Equal(t, "waiting for the code", *got.StatusReason)
	require.Nil(t, got.CompletedAt)
	require.Nil(t, got.Result)
	require.False(t, got.UpdatedAt.Before(r.UpdatedAt))

	// A change without a status keeps the status and its reason.
	require.True(t, record(domain.Change{DedupeKey: "note-1", Kind: "note", Actor: "dpo@example.com", Message: "called the subject"}))
	got = get()
	require.Equal(t, domain.StatusVerifying, got.Status)
	require.Equal(t, "waiting for the code", *got.StatusReason)

	// A new status without a reason clears the old reason.
	require.True(t, record(domain.Change{DedupeKey: "approve", Kind: "approved", Actor: "dpo@example.com", Status: domain.StatusInProgress}))
	got = get()
	require.Equal(t, domain.StatusInProgress, got.Status)
	require.Nil(t, got.StatusReason)

	// The same change again, even with other content, changes nothing.
	before := get()
	require.False(t, record(domain.Change{DedupeKey: "approve", Kind: "approved", Actor: "dpo@example.com",
		Status: domain.StatusCompleted, StatusReason: "again", Result: json.RawMessage(`{"x": 1}`)}))
	require.Equal(t, before, get(), "a duplicate change leaves the request as it was")

	require.True(t, record(domain.Change{DedupeKey: "done", Kind: "completed", Actor: "workflow", Status: domain.StatusCompleted,
		Result: json.RawMessage(`{"package": "p.zip", "rows": {"chatstore/messages": 12}}`)}))
	got = get()
	require.Equal(t, domain.StatusCompleted, got.Status)
	require.NotNil(t, got.CompletedAt)
	require.WithinDuration(t, time.Now(), *got.CompletedAt, time.Minute)
	require.JSONEq(t, `{"package": "p.zip", "rows": {"chatstore/messages": 12}}`, string(got.Result))

	// A later change without a result keeps the result.
	require.True(t, record(domain.Change{DedupeKey: "note-2", Kind: "note", Actor: "dpo@example.com"}))
	require.JSONEq(t, `{"package": "p.zip", "rows": {"chatstore/messages": 12}}`, string(get().Result))

	events, err := s.Events(ctx, r.ID)
	require.NoError(t, err)
	type summary struct {
		Kind                       domain.EventKind
		Status                     domain.Status
		Actor                      domain.Actor
		Message, Detail, DedupeKey string
	}
	var sums []summary
	for i, e := range events {
		require.Equal(t, r.ID, e.RequestID)
		if i > 0 {
			require.Greater(t, e.ID, events[i-1].ID)
			require.False(t, e.At.Before(events[i-1].At))
		}
		var st domain.Status
		if e.Status != nil {
			st = *e.Status
		}
		var detail any
		require.NoError(t, json.Unmarshal(e.Detail, &detail))
		d, err := json.Marshal(detail)
		require.NoError(t, err)
		sums = append(sums, summary{e.Kind, st, e.Actor, e.Message, string(d), e.DedupeKey})
	}
	require.Equal(t, []summary{
		{"verification_started", domain.StatusVerifying, "workflow", "code sent", `{"channel":"mail"}`, "verify"},
		{"note", "", "dpo@example.com", "called the subject", `{}`, "note-1"},
		{"approved", domain.StatusInProgress, "dpo@example.com", "", `{}`, "approve"},
		{"completed", domain.StatusCompleted, "workflow", "", `{}`, "done"},
		{"note", "", "dpo@example.com", "", `{}`, "note-2"},
	}, sums)

	_, err = s.Record(ctx, domain.Change{RequestID: uuid.NewString(), DedupeKey: "x", Kind: "note", Actor: "test"})
	require.Error(t, err, "an event of an unknown request")
	events, err = s.Events(ctx, uuid.NewString())
	require.NoError(t, err)
	require.Empty(t, events)
}

func TestRecordIsAtomic(t *testing.T) {
	t.Parallel()
	s := setup(t)
	acme := tenant(t, s)
	tests := []struct {
		name   string
		change domain.Change
	}{
		{name: "unknown status", change: domain.Change{Status: "done"}},
		{name: "detail not JSON", change: domain.Change{Status: domain.StatusVerifying, Detail: json.RawMessage(`{oops`)}},
		{name: "result not JSON", change: domain.Change{Status: domain.StatusCompleted, Result: json.RawMessage(`not json`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := request(t, s, acme.ID, "access")
			c := tc.change
			c.RequestID, c.DedupeKey, c.Kind, c.Actor = r.ID, "step-1", "step", "workflow"
			ok, err := s.Record(ctx, c)
			require.Error(t, err)
			require.False(t, ok)

			got, err := s.GetRequest(ctx, acme.ID, r.ID)
			require.NoError(t, err)
			require.Equal(t, r, got, "a failed change leaves the request as it was")
			events, err := s.Events(ctx, r.ID)
			require.NoError(t, err)
			require.Empty(t, events, "a failed change leaves no event")

			// The event was rolled back with the update: its dedupe key is still free.
			ok, err = s.Record(ctx, domain.Change{RequestID: r.ID, DedupeKey: "step-1", Kind: "step", Actor: "workflow",
				Status: domain.StatusVerifying})
			require.NoError(t, err)
			require.True(t, ok)
		})
	}
}

func TestRecordCompletedAtOnlyForFinalStatuses(t *testing.T) {
	t.Parallel()
	s := setup(t)
	acme := tenant(t, s)
	tests := []struct {
		name   string
		status domain.Status
		final  bool
	}{
		{name: "verifying", status: domain.StatusVerifying},
		{name: "awaiting approval", status: domain.StatusAwaitingApproval},
		{name: "in progress", status: domain.StatusInProgress},
		{name: "waiting", status: domain.StatusWaiting},
		{name: "completed", status: domain.StatusCompleted, final: true},
		{name: "denied", status: domain.StatusDenied, final: true},
		{name: "canceled", status: domain.StatusCanceled, final: true},
		{name: "failed", status: domain.StatusFailed, final: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := request(t, s, acme.ID, "erasure")
			setStatus(t, s, r.ID, tc.status)
			got, err := s.GetRequest(ctx, "", r.ID)
			require.NoError(t, err)
			require.Equal(t, tc.status, got.Status)
			require.Equal(t, tc.final, got.CompletedAt != nil, "completed_at %v", got.CompletedAt)
		})
	}
}

func TestRequestEventsAppendOnly(t *testing.T) {
	t.Parallel()
	s := setup(t)
	acme := tenant(t, s)
	r := request(t, s, acme.ID, "access")
	setStatus(t, s, r.ID, domain.StatusVerifying)
	before, err := s.Events(ctx, r.ID)
	require.NoError(t, err)
	require.Len(t, before, 1)

	tests := []struct {
		name  string
		query string
		op    string
	}{
		{name: "update", query: `UPDATE request_events SET message = 'rewritten' WHERE request_id = $1`, op: "UPDATE"},
		{name: "delete", query: `DELETE FROM request_events WHERE request_id = $1`, op: "DELETE"},
		// TRUNCATE fires no row trigger: it needs a statement-level BEFORE TRUNCATE trigger.
		{name: "truncate", query: `TRUNCATE request_events`, op: "TRUNCATE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var args []any
			if strings.Contains(tc.query, "$1") {
				args = append(args, r.ID)
			}
			_, err := s.DB().ExecContext(ctx, tc.query, args...)
			var pqErr *pq.Error
			require.True(t, errors.As(err, &pqErr), "want a PostgreSQL error, got %v", err)
			require.Equal(t, "P0001", string(pqErr.Code), "raised by the trigger")
			require.Equal(t, "request_events is append-only: "+tc.op+" refused", pqErr.Message)

			after, err := s.Events(ctx, r.ID)
			require.NoError(t, err)
			require.Equal(t, before, after, "the events are untouched")
		})
	}
}

func TestSuppress(t *testing.T) {
	t.Parallel()
	s := setup(t)
	acme, other := tenant(t, s), tenant(t, s)
	r := request(t, s, acme.ID, "objection")
	later := request(t, s, acme.ID, "objection")

	require.NoError(t, s.Suppress(ctx, acme.ID, "hash-a", r.ID, []domain.Purpose{domain.PurposeProfiling, domain.PurposeMarketing}))
	require.NoError(t, s.Suppress(ctx, acme.ID, "hash-a", r.ID, []domain.Purpose{domain.PurposeProfiling, domain.PurposeMarketing}), "idempotent")
	require.NoError(t, s.Suppress(ctx, acme.ID, "hash-a", later.ID, []domain.Purpose{domain.PurposeMarketing, domain.PurposeAnalytics}))

	got, err := s.Suppressed(ctx, acme.ID, "hash-a")
	require.NoError(t, err)
	require.Equal(t, []domain.Purpose{domain.PurposeAnalytics, domain.PurposeMarketing, domain.PurposeProfiling}, got)

	var rows int
	require.NoError(t, s.DB().GetContext(ctx, &rows, `SELECT count(*) FROM suppressions`))
	require.Equal(t, 3, rows, "one row per subject and purpose")
	var firstBy string
	require.NoError(t, s.DB().GetContext(ctx, &firstBy, `SELECT request_id FROM suppressions WHERE purpose = 'marketing'`))
	require.Equal(t, r.ID, firstBy, "the first objection is kept")

	got, err = s.Suppressed(ctx, acme.ID, "hash-b")
	require.NoError(t, err)
	require.Empty(t, got)
	got, err = s.Suppressed(ctx, other.ID, "hash-a")
	require.NoError(t, err)
	require.Empty(t, got, "suppressions are per tenant")

	require.NoError(t, s.Suppress(ctx, acme.ID, "hash-c", r.ID, nil), "no purposes is a no-op")
	got, err = s.Suppressed(ctx, acme.ID, "hash-c")
	require.NoError(t, err)
	require.Empty(t, got)

	require.Error(t, s.Suppress(ctx, acme.ID, "hash-d", r.ID, []domain.Purpose{"telemarketing"}), "an unknown purpose")
}

func TestOpenRequests(t *testing.T) {
	t.Parallel()
	s := setup(t)
	acme, other := tenant(t, s), tenant(t, s)

	statuses := []domain.Status{
		domain.StatusReceived, domain.StatusCompleted, domain.StatusVerifying, domain.StatusDenied,
		domain.StatusAwaitingApproval, domain.StatusCanceled, domain.StatusInProgress, domain.StatusFailed,
		domain.StatusWaiting,
	}
	var open []string
	for i, st := range statuses {
		owner := acme.ID
		if i%2 == 1 {
			owner = other.ID
		}
		r := request(t, s, owner, "erasure")
		if st != domain.StatusReceived {
			setStatus(t, s, r.ID, st)
		}
		if !st.Final() {
			open = append(open, r.ID)
		}
	}

	got, err := s.OpenRequests(ctx)
	require.NoError(t, err)
	require.Equal(t, open, ids(got), "every tenant's open requests, oldest first")
	for _, r := range got {
		require.False(t, r.Status.Final())
		require.Nil(t, r.CompletedAt)
	}
}
