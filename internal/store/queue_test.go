package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// queueFixture is a tenant's requests in every state of the two clocks, named by what
// they show, with "today" in the tenant's zone at now.
type queueFixture struct {
	s      *store.Store
	tenant store.Tenant
	now    time.Time
	id     map[string]string
}

// day is today (in Paris at now) plus n days, as a date column holds it.
func (f *queueFixture) day(n int) time.Time {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	y, m, d := f.now.In(paris).Date()
	return time.Date(y, m, d+n, 0, 0, 0, 0, time.UTC)
}

// add records a request with the due dates (days from today) and applies the changes.
func (f *queueFixture) add(t *testing.T, name string, typ domain.RequestType, started bool, target, legal int, changes ...domain.Change) {
	t.Helper()
	n := store.NewRequest{TenantID: f.tenant.ID, Type: typ, Source: "mail", SubjectEmail: name + "@example.com",
		ReceivedAt: f.now.Add(-time.Hour), TargetDue: f.day(target), LegalDue: f.day(legal), ExtendedDue: f.day(legal + 60)}
	if started {
		at := n.ReceivedAt
		n.ClockStartedAt = &at
	}
	r, created, err := f.s.CreateRequest(ctx, n)
	require.NoError(t, err)
	require.True(t, created)
	f.id[name] = r.ID
	for i, c := range changes {
		c.RequestID, c.Actor = r.ID, "test"
		if c.Kind == "" {
			c.Kind = "change"
		}
		c.DedupeKey = name + "-" + string(rune('a'+i))
		ok, err := f.s.Record(ctx, c)
		require.NoError(t, err)
		require.True(t, ok)
	}
}

func (f *queueFixture) names(items []store.QueueItem) []string {
	byID := map[string]string{}
	for n, id := range f.id {
		byID[id] = n
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = byID[it.ID]
	}
	return out
}

func newQueueFixture(t *testing.T) *queueFixture {
	t.Helper()
	s := setup(t)
	f := &queueFixture{s: s, tenant: tenant(t, s), now: time.Now(), id: map[string]string{}}
	f.add(t, "legalbreach", "access", true, -20, -1)
	f.add(t, "soon", "access", true, 1, 25)
	f.add(t, "atrisk", "erasure", true, 4, 25, domain.Change{Clock: &domain.ClockChange{AtRisk: true}})
	f.add(t, "later", "access", true, 6, 7)
	f.add(t, "waiting", "erasure", true, 10, 30, domain.Change{Status: domain.StatusWaiting, StatusReason: "open conversations"})
	f.add(t, "paused", "access", true, 12, 30, domain.Change{Clock: &domain.ClockChange{Pause: domain.PauseStart}})
	f.add(t, "breached", "access", true, -2, 20)
	f.add(t, "extended", "access", true, -25, -1, domain.Change{Clock: &domain.ClockChange{TargetBreached: true, Extended: true}})
	f.add(t, "notstarted", "access", false, -3, 20, domain.Change{Status: domain.StatusVerifying})
	f.add(t, "closedlate", "access", true, -5, 20, domain.Change{Status: domain.StatusCompleted})
	f.add(t, "closedontime", "access", true, 5, 20, domain.Change{Status: domain.StatusCompleted})
	return f
}

func TestQueueOrderAndClocks(t *testing.T) {
	t.Parallel()
	f := newQueueFixture(t)

	items, more, err := f.s.Queue(ctx, store.QueueFilter{Now: f.now})
	require.NoError(t, err)
	require.False(t, more)
	// Open requests only, by the deadline each must meet next; breached ones first, the
	// one whose clock has not started last.
	require.Equal(t, []string{"legalbreach", "soon", "atrisk", "later", "waiting", "paused", "breached", "extended", "notstarted"}, f.names(items))

	by := map[string]store.QueueItem{}
	for _, it := range items {
		by[f.names([]store.QueueItem{it})[0]] = it
	}
	type flags struct{ targetBreached, legalBreached, targetAtRisk, legalAtRisk, dueSoon, waiting bool }
	want := map[string]flags{
		"legalbreach": {targetBreached: true, legalBreached: true},
		"soon":        {dueSoon: true},
		"atrisk":      {targetAtRisk: true, dueSoon: true},
		"later":       {legalAtRisk: true},
		"waiting":     {waiting: true},
		"paused":      {waiting: true},
		"breached":    {targetBreached: true},
		"extended":    {targetBreached: true},
		"notstarted":  {},
	}
	for name, w := range want {
		it := by[name]
		got := flags{it.TargetBreached, it.LegalBreached, it.TargetAtRisk, it.LegalAtRisk, it.DueSoon, it.Waiting}
		require.Equal(t, w, got, name)
		require.True(t, it.Open, name)
		require.Equal(t, f.tenant.Name, it.TenantName)
		require.Equal(t, f.day(0), it.Today.UTC(), name)
	}
	// The extension moves the deadline in force; the next deadline follows the target
	// until it passed.
	require.Equal(t, f.day(59), by["extended"].DeadlineDue.UTC())
	require.Equal(t, f.day(59), by["extended"].NextDue.UTC())
	require.Equal(t, f.day(1), by["soon"].NextDue.UTC())
	require.Equal(t, f.day(20), by["breached"].NextDue.UTC())
	require.Nil(t, by["notstarted"].NextDue)

	// One request, flagged the same way; any tenant's.
	one, err := f.s.QueueItem(ctx, f.id["extended"], f.now)
	require.NoError(t, err)
	require.Equal(t, by["extended"], one)
	_, err = f.s.QueueItem(ctx, "0190e5a4-0000-7000-8000-000000000000", f.now)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = f.s.QueueItem(ctx, "not-a-uuid", f.now)
	require.ErrorIs(t, err, store.ErrNotFound)

	// Closed requests follow the open ones, the most recently closed first; one closed
	// after its target counts as breached.
	all, _, err := f.s.Queue(ctx, store.QueueFilter{Now: f.now, Status: store.QueueAll})
	require.NoError(t, err)
	require.Len(t, all, 11)
	require.Equal(t, []string{"closedontime", "closedlate"}, f.names(all[9:]))
	require.True(t, all[10].TargetBreached)
	require.False(t, all[9].TargetBreached)
	require.False(t, all[9].Open)
}

func TestQueueFilters(t *testing.T) {
	t.Parallel()
	f := newQueueFixture(t)
	other, err := f.s.CreateTenant(ctx, store.Tenant{Name: "Other", Region: "eu", Country: "DE", TZ: "Europe/Berlin"})
	require.NoError(t, err)
	otherReq, _, err := f.s.CreateRequest(ctx, store.NewRequest{TenantID: other.ID, Type: "objection", Source: "api",
		SubjectEmail: "x@example.com", ReceivedAt: f.now, TargetDue: f.day(3), LegalDue: f.day(30), ExtendedDue: f.day(90)})
	require.NoError(t, err)

	tests := []struct {
		name   string
		filter store.QueueFilter
		want   []string
	}{
		{name: "due soon", filter: store.QueueFilter{TenantID: f.tenant.ID, DueSoon: true}, want: []string{"soon", "atrisk"}},
		{name: "breached open", filter: store.QueueFilter{TenantID: f.tenant.ID, Breached: true}, want: []string{"legalbreach", "breached", "extended"}},
		{name: "breached all", filter: store.QueueFilter{TenantID: f.tenant.ID, Breached: true, Status: store.QueueAll},
			want: []string{"legalbreach", "breached", "extended", "closedlate"}},
		{name: "waiting", filter: store.QueueFilter{Waiting: true}, want: []string{"waiting", "paused"}},
		{name: "status", filter: store.QueueFilter{Status: string(domain.StatusCompleted)}, want: []string{"closedontime", "closedlate"}},
		{name: "status verifying", filter: store.QueueFilter{Status: string(domain.StatusVerifying)}, want: []string{"notstarted"}},
		{name: "right", filter: store.QueueFilter{Type: "erasure"}, want: []string{"atrisk", "waiting"}},
		{name: "right and due soon", filter: store.QueueFilter{Type: "erasure", DueSoon: true}, want: []string{"atrisk"}},
		{name: "other tenant", filter: store.QueueFilter{TenantID: other.ID}, want: []string{"other"}},
	}
	f.id["other"] = otherReq.ID
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.filter.Now = f.now
			items, _, err := f.s.Queue(ctx, tt.filter)
			require.NoError(t, err)
			require.Equal(t, tt.want, f.names(items))
		})
	}

	items, more, err := f.s.Queue(ctx, store.QueueFilter{Now: f.now, TenantID: f.tenant.ID, Limit: 2})
	require.NoError(t, err)
	require.True(t, more)
	require.Equal(t, []string{"legalbreach", "soon"}, f.names(items))
}

func TestQueueCounts(t *testing.T) {
	t.Parallel()
	f := newQueueFixture(t)
	c, err := f.s.QueueCounts(ctx, store.QueueFilter{Now: f.now, TenantID: f.tenant.ID})
	require.NoError(t, err)
	require.Equal(t, map[domain.Status]int{domain.StatusReceived: 7, domain.StatusWaiting: 1, domain.StatusVerifying: 1, domain.StatusCompleted: 2}, c.ByStatus)
	require.Equal(t, 11, c.All)
	require.Equal(t, 9, c.Open)
	require.Equal(t, 2, c.DueSoon)
	require.Equal(t, 3, c.Breached)
	require.Equal(t, 2, c.Waiting)

	c, err = f.s.QueueCounts(ctx, store.QueueFilter{Now: f.now, Type: "erasure"})
	require.NoError(t, err)
	require.Equal(t, map[domain.Status]int{domain.StatusReceived: 1, domain.StatusWaiting: 1}, c.ByStatus)
	require.Equal(t, 1, c.DueSoon)

	tenants, err := f.s.TenantsOverview(ctx)
	require.NoError(t, err)
	require.Len(t, tenants, 1)
	require.Equal(t, f.tenant.ID, tenants[0].ID)
	require.Equal(t, 11, tenants[0].Requests)
	require.Equal(t, 9, tenants[0].Open)
	require.NotNil(t, tenants[0].LastReceivedAt)
}
