package sla_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"dsr/internal/deadline"
	"dsr/internal/documents/sla"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

var ctx = context.Background()

// The two tenants of the fixture.
const (
	tenantFR = "10000000-0000-0000-0000-0000000000f1" // Europe/Paris; Easter Monday 2026-04-06
	tenantDE = "10000000-0000-0000-0000-0000000000d1" // Europe/Berlin
)

// fixture is one hand-made request; empty strings are NULL.
type fixture struct {
	key, tenant, typ, status    string
	received, clock             string // RFC 3339
	target, legal, extended     string // dates
	completed                   string
	atRisk, targetBreached      string // RFC 3339
	legalBreached               string // RFC 3339
	reason                      string // breach_reason
	extendedAt, extensionReason string
}

// id returns the fixed request id of a fixture key such as "R3".
func id(key string) string {
	var n int
	_, err := fmt.Sscanf(key, "R%d", &n)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("20000000-0000-0000-0000-%012d", n)
}

// The requests, with their figures worked out by hand. April 2026: the 1st is a Wednesday,
// Easter Monday (6th) is a holiday in FR and DE, Good Friday (3rd) in DE only, 1 May in
// both. The report period is 2026-04-01 to 2026-04-30, made on 2026-05-04T09:00Z.
var fixtures = []fixture{
	// FR, closed on time across Easter Monday: 3 business days (Apr 3, 7, 8) for 6
	// calendar days.
	{key: "R1", tenant: tenantFR, typ: "access", status: "completed",
		received: "2026-04-02T08:00:00Z", clock: "2026-04-02T08:00:00Z",
		target: "2026-04-09", legal: "2026-05-04", extended: "2026-07-02",
		completed: "2026-04-08T14:00:00Z"},
	// FR, late against the target (Apr 13), within the legal deadline: 7 business days.
	{key: "R2", tenant: tenantFR, typ: "erasure", status: "completed",
		received: "2026-04-07T09:00:00Z", clock: "2026-04-07T09:00:00Z",
		target: "2026-04-13", legal: "2026-05-07", extended: "2026-07-07",
		completed: "2026-04-16T10:00:00Z", targetBreached: "2026-04-13T22:00:00Z", reason: "Waiting for the CRM export"},
	// FR, received in March, extended, closed in April after its legal date but within the
	// extension: 28 business days.
	{key: "R3", tenant: tenantFR, typ: "access", status: "completed",
		received: "2026-03-10T10:00:00Z", clock: "2026-03-10T10:00:00Z",
		target: "2026-03-16", legal: "2026-04-10", extended: "2026-06-10",
		completed: "2026-04-20T12:00:00Z", targetBreached: "2026-03-16T23:00:00Z", reason: "Identity documents incomplete",
		extendedAt: "2026-04-01T09:00:00Z", extensionReason: "Complex request across 12 systems"},
	// FR, breached and still open, at risk.
	{key: "R4", tenant: tenantFR, typ: "erasure", status: "waiting",
		received: "2026-04-20T07:00:00Z", clock: "2026-04-20T07:00:00Z",
		target: "2026-04-24", legal: "2026-05-20", extended: "2026-07-20",
		atRisk: "2026-04-23T08:00:00Z", targetBreached: "2026-04-24T22:00:00Z", reason: "Blocked by a support chat"},
	// DE, denied before the clock started: measured from receipt, 1 business day.
	{key: "R5", tenant: tenantDE, typ: "access", status: "denied",
		received: "2026-04-14T10:00:00Z",
		target:   "2026-04-20", legal: "2026-05-15", extended: "2026-07-14",
		completed: "2026-04-15T09:00:00Z"},
	// DE, clock started on verification (Apr 20), closed Apr 23: 3 business days.
	{key: "R6", tenant: tenantDE, typ: "portability", status: "completed",
		received: "2026-04-16T15:00:00Z", clock: "2026-04-20T08:00:00Z",
		target: "2026-04-24", legal: "2026-05-20", extended: "2026-07-20",
		completed: "2026-04-23T16:00:00Z"},
	// DE, closed at 00:30 Berlin time on Apr 24, the day after its target (UTC still says
	// Apr 23), no breach recorded: late, 5 business days.
	{key: "R7", tenant: tenantDE, typ: "rectification", status: "completed",
		received: "2026-04-17T09:00:00Z", clock: "2026-04-17T09:00:00Z",
		target: "2026-04-23", legal: "2026-05-18", extended: "2026-07-17",
		completed: "2026-04-23T22:30:00Z"},
	// DE, canceled the next day: 1 business day.
	{key: "R8", tenant: tenantDE, typ: "objection", status: "canceled",
		received: "2026-04-27T10:00:00Z", clock: "2026-04-27T10:00:00Z",
		target: "2026-05-04", legal: "2026-05-27", extended: "2026-07-27",
		completed: "2026-04-28T10:00:00Z"},
	// FR, received and closed in March: outside the period.
	{key: "R9", tenant: tenantFR, typ: "access", status: "completed",
		received: "2026-03-02T10:00:00Z", clock: "2026-03-02T10:00:00Z",
		target: "2026-03-06", legal: "2026-04-02", extended: "2026-06-02",
		completed: "2026-03-05T10:00:00Z"},
	// DE, received in March, still open and at risk: only in the at-risk snapshot.
	{key: "R10", tenant: tenantDE, typ: "erasure", status: "in_progress",
		received: "2026-03-25T10:00:00Z", clock: "2026-03-25T10:00:00Z",
		target: "2026-03-31", legal: "2026-04-27", extended: "2026-06-25",
		atRisk: "2026-03-30T08:00:00Z", targetBreached: "2026-03-31T22:00:00Z", reason: "Backup restore pending",
		extendedAt: "2026-04-10T10:00:00Z", extensionReason: "Backups"},
	// DE, received after the period, at risk: in nothing.
	{key: "R11", tenant: tenantDE, typ: "access", status: "in_progress",
		received: "2026-05-02T10:00:00Z", clock: "2026-05-02T10:00:00Z",
		target: "2026-05-08", legal: "2026-06-02", extended: "2026-08-03",
		atRisk: "2026-05-03T10:00:00Z"},
	// FR, closed a day after its legal deadline (Apr 6 is Easter Monday, so Apr 7), not
	// extended: late against both, 22 business days.
	{key: "R12", tenant: tenantFR, typ: "restriction", status: "completed",
		received: "2026-03-06T10:00:00Z", clock: "2026-03-06T10:00:00Z",
		target: "2026-03-12", legal: "2026-04-07", extended: "2026-06-08",
		completed: "2026-04-08T10:00:00Z", targetBreached: "2026-03-12T23:00:00Z", legalBreached: "2026-04-07T22:00:00Z",
		reason: "Processor did not answer"},
	// DE, received at 23:30 UTC on the period's last day (already 1 May in Berlin), still
	// verifying: no clock, no due dates.
	{key: "R13", tenant: tenantDE, typ: "erasure", status: "verifying",
		received: "2026-04-30T23:30:00Z"},
}

var (
	from = deadline.NewDate(2026, time.April, 1)
	to   = deadline.NewDate(2026, time.April, 30)
	now  = time.Date(2026, time.May, 4, 9, 0, 0, 0, time.UTC)
)

// setup returns a fresh database holding the two tenants and the fixture requests.
func setup(t *testing.T) *sqlx.DB {
	t.Helper()
	db := pgtest.New(t, schema.Orchestrator).DB
	_, err := db.ExecContext(ctx, `INSERT INTO tenants (id, name, region, country, tz) VALUES
		($1, 'Boulangerie Dupont', 'eu', 'FR', 'Europe/Paris'),
		($2, 'Nordlicht GmbH', 'eu', 'DE', 'Europe/Berlin')`, tenantFR, tenantDE)
	require.NoError(t, err)
	for _, f := range fixtures {
		_, err := db.ExecContext(ctx, `
			INSERT INTO requests (id, tenant_id, type, status, source, subject_email, received_at,
				clock_started_at, target_due, legal_due, extended_due, completed_at, at_risk_at,
				target_breached_at, legal_breached_at, breach_reason, extended_at, extension_reason)
			VALUES ($1, $2, $3, $4, 'api', 'subject@example.com', $5,
				NULLIF($6, '')::timestamptz, NULLIF($7, '')::date, NULLIF($8, '')::date, NULLIF($9, '')::date,
				NULLIF($10, '')::timestamptz, NULLIF($11, '')::timestamptz, NULLIF($12, '')::timestamptz,
				NULLIF($13, '')::timestamptz, NULLIF($14, ''), NULLIF($15, '')::timestamptz, NULLIF($16, ''))`,
			id(f.key), f.tenant, f.typ, f.status, f.received, f.clock, f.target, f.legal, f.extended,
			f.completed, f.atRisk, f.targetBreached, f.legalBreached, f.reason, f.extendedAt, f.extensionReason)
		require.NoError(t, err, "insert %s", f.key)
	}
	return db
}

// stats builds the expected figures of a right.
func stats(received, closed int, median float64, p90, onTarget, target, onLegal, legal int) sla.Stats {
	s := sla.Stats{Received: received, Closed: closed, MedianDays: median, P90Days: p90,
		OnTimeTarget: onTarget, TargetMeasured: target, OnTimeLegal: onLegal, LegalMeasured: legal}
	if target > 0 {
		s.TargetRate = float64(int(1000*float64(onTarget)/float64(target)+0.5)) / 10
	}
	if legal > 0 {
		s.LegalRate = float64(int(1000*float64(onLegal)/float64(legal)+0.5)) / 10
	}
	return s
}

func week(m, d, onTime, late int) sla.Week {
	return sla.Week{Start: deadline.NewDate(2026, time.Month(m), d), OnTime: onTime, Late: late}
}

func breachIDs(r *sla.Report) []string {
	var out []string
	for _, b := range r.Breaches {
		out = append(out, b.RequestID)
	}
	return out
}

func rowIDs(r *sla.Report) []string {
	var out []string
	for _, row := range r.Rows {
		out = append(out, row.RequestID)
	}
	return out
}

func ids(keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = id(k)
	}
	return out
}

func TestSLAFigures(t *testing.T) {
	t.Parallel()
	db := setup(t)
	tests := []struct {
		name       string
		tenant     string
		tenantName string
		total      sla.Stats
		byRight    map[domain.RequestType]sla.Stats
		rows       []string
		breaches   []string
		extensions int
		atRisk     int
		weeks      []sla.Week
	}{
		{
			name: "all tenants",
			// Business days of the closed: 1 (R5), 1 (R8), 3 (R1), 3 (R6), 5 (R7), 7 (R2),
			// 22 (R12), 28 (R3): median (3+5)/2, p90 the 8th (ceil 7.2).
			total: stats(8, 8, 4, 28, 4, 8, 7, 8),
			byRight: map[domain.RequestType]sla.Stats{
				"access":        stats(2, 3, 3, 28, 2, 3, 3, 3), // R1, R5 received; R1, R3, R5 closed
				"rectification": stats(1, 1, 5, 5, 0, 1, 1, 1),
				"erasure":       stats(3, 1, 7, 7, 0, 1, 1, 1), // R2, R4, R13 received
				"restriction":   stats(0, 1, 22, 22, 0, 1, 0, 1),
				"portability":   stats(1, 1, 3, 3, 1, 1, 1, 1),
				"objection":     stats(1, 1, 1, 1, 1, 1, 1, 1),
			},
			rows:       ids("R12", "R3", "R1", "R2", "R5", "R6", "R7", "R4", "R8", "R13"),
			breaches:   ids("R12", "R3", "R2", "R7", "R4"),
			extensions: 1, // R3; R10 was extended but is not of the period
			atRisk:     2, // R4 and R10; R11 arrived after the period
			weeks:      []sla.Week{week(3, 30, 0, 0), week(4, 6, 1, 1), week(4, 13, 1, 1), week(4, 20, 1, 2), week(4, 27, 1, 0)},
		},
		{
			name:       "one tenant",
			tenant:     tenantFR,
			tenantName: "Boulangerie Dupont",
			// 3 (R1), 7 (R2), 22 (R12), 28 (R3).
			total: stats(3, 4, 14.5, 28, 1, 4, 3, 4),
			byRight: map[domain.RequestType]sla.Stats{
				"access":        stats(1, 2, 15.5, 28, 1, 2, 2, 2),
				"rectification": stats(0, 0, 0, 0, 0, 0, 0, 0),
				"erasure":       stats(2, 1, 7, 7, 0, 1, 1, 1),
				"restriction":   stats(0, 1, 22, 22, 0, 1, 0, 1),
				"portability":   stats(0, 0, 0, 0, 0, 0, 0, 0),
				"objection":     stats(0, 0, 0, 0, 0, 0, 0, 0),
			},
			rows:       ids("R12", "R3", "R1", "R2", "R4"),
			breaches:   ids("R12", "R3", "R2", "R4"),
			extensions: 1,
			atRisk:     1,
			weeks:      []sla.Week{week(3, 30, 0, 0), week(4, 6, 1, 1), week(4, 13, 0, 1), week(4, 20, 0, 1), week(4, 27, 0, 0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := sla.SLA(ctx, store.New(db), sla.Options{From: from, To: to, TenantID: tt.tenant, Now: now})
			require.NoError(t, err)
			require.Equal(t, tt.tenant, r.TenantID)
			require.Equal(t, tt.tenantName, r.TenantName)
			require.Equal(t, now, r.Now)
			require.False(t, r.Empty())
			require.Equal(t, tt.total, r.Total)
			require.Len(t, r.ByRight, 6)
			for _, s := range r.ByRight {
				require.Equal(t, tt.byRight[s.Right], s.Stats, string(s.Right))
			}
			require.Equal(t, tt.rows, rowIDs(r))
			require.Equal(t, tt.breaches, breachIDs(r))
			require.Equal(t, tt.extensions, r.Extensions)
			require.Equal(t, tt.atRisk, r.AtRisk)
			require.Equal(t, tt.weeks, r.Weeks)
		})
	}
}

func TestSLARates(t *testing.T) {
	t.Parallel()
	db := setup(t)
	r, err := sla.SLA(ctx, store.New(db), sla.Options{From: from, To: to, Now: now})
	require.NoError(t, err)
	require.Equal(t, 50.0, r.Total.TargetRate)
	require.Equal(t, 87.5, r.Total.LegalRate)
	require.Equal(t, domain.Access, r.ByRight[0].Right)
	require.Equal(t, 66.7, r.ByRight[0].TargetRate) // 2 of 3
	require.Equal(t, 100.0, r.ByRight[0].LegalRate)
}

func TestSLABreaches(t *testing.T) {
	t.Parallel()
	db := setup(t)
	r, err := sla.SLA(ctx, store.New(db), sla.Options{From: from, To: to, Now: now})
	require.NoError(t, err)
	byID := map[string]sla.Breach{}
	for _, b := range r.Breaches {
		byID[b.RequestID] = b
	}
	closedR12 := time.Date(2026, time.April, 8, 10, 0, 0, 0, time.UTC)
	require.Equal(t, sla.Breach{
		RequestID: id("R12"), TenantID: tenantFR, TenantName: "Boulangerie Dupont", Type: "restriction",
		TargetDue: deadline.NewDate(2026, time.March, 12), ClosedAt: &closedR12,
		ClosedOn: deadline.NewDate(2026, time.April, 8), LegalBreached: true, Reason: "Processor did not answer",
	}, byID[id("R12")])
	require.Equal(t, sla.Breach{
		RequestID: id("R4"), TenantID: tenantFR, TenantName: "Boulangerie Dupont", Type: "erasure",
		TargetDue: deadline.NewDate(2026, time.April, 24), Open: true, Reason: "Blocked by a support chat",
	}, byID[id("R4")])
	// Late by its local date only, and nothing recorded.
	r7 := byID[id("R7")]
	require.Equal(t, deadline.NewDate(2026, time.April, 24), r7.ClosedOn)
	require.False(t, r7.LegalBreached)
	require.Empty(t, r7.Reason)
	// Extended: within the extended deadline though after the legal one.
	require.False(t, byID[id("R3")].LegalBreached)
}

func TestSLARows(t *testing.T) {
	t.Parallel()
	db := setup(t)
	r, err := sla.SLA(ctx, store.New(db), sla.Options{From: from, To: to, Now: now})
	require.NoError(t, err)
	rows := map[string]sla.Row{}
	for _, row := range r.Rows {
		rows[row.RequestID] = row
	}
	d := func(m time.Month, day int) deadline.Date { return deadline.NewDate(2026, m, day) }
	tests := []struct {
		name                      string
		key                       string
		clockStart, closedOn      deadline.Date
		days                      *int
		received, closedInPeriod  bool
		onTimeTarget, onTimeLegal *bool
		breached                  bool
		outcome                   string
	}{
		{name: "holiday in the window", key: "R1", clockStart: d(4, 2), closedOn: d(4, 8), days: ptr(3),
			received: true, closedInPeriod: true, onTimeTarget: ptr(true), onTimeLegal: ptr(true), outcome: sla.OutcomeOnTime},
		{name: "late against the target", key: "R2", clockStart: d(4, 7), closedOn: d(4, 16), days: ptr(7),
			received: true, closedInPeriod: true, onTimeTarget: ptr(false), onTimeLegal: ptr(true), breached: true, outcome: sla.OutcomeLateTarget},
		{name: "extended, received before", key: "R3", clockStart: d(3, 10), closedOn: d(4, 20), days: ptr(28),
			closedInPeriod: true, onTimeTarget: ptr(false), onTimeLegal: ptr(true), breached: true, outcome: sla.OutcomeLateTarget},
		{name: "open and breached", key: "R4", clockStart: d(4, 20), received: true, breached: true, outcome: sla.OutcomeBreached},
		{name: "denied, no clock start", key: "R5", clockStart: d(4, 14), closedOn: d(4, 15), days: ptr(1),
			received: true, closedInPeriod: true, onTimeTarget: ptr(true), onTimeLegal: ptr(true), outcome: sla.OutcomeOnTime},
		{name: "clock started on verification", key: "R6", clockStart: d(4, 20), closedOn: d(4, 23), days: ptr(3),
			received: true, closedInPeriod: true, onTimeTarget: ptr(true), onTimeLegal: ptr(true), outcome: sla.OutcomeOnTime},
		{name: "late by the local date", key: "R7", clockStart: d(4, 17), closedOn: d(4, 24), days: ptr(5),
			received: true, closedInPeriod: true, onTimeTarget: ptr(false), onTimeLegal: ptr(true), breached: true, outcome: sla.OutcomeLateTarget},
		{name: "late against the legal deadline", key: "R12", clockStart: d(3, 6), closedOn: d(4, 8), days: ptr(22),
			closedInPeriod: true, onTimeTarget: ptr(false), onTimeLegal: ptr(false), breached: true, outcome: sla.OutcomeLateLegal},
		{name: "verifying, no due dates, local date after the period", key: "R13", clockStart: d(5, 1), received: true, outcome: sla.OutcomeOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			row, ok := rows[id(tt.key)]
			require.True(t, ok)
			require.Equal(t, tt.clockStart, row.ClockStart)
			require.Equal(t, tt.closedOn, row.ClosedOn)
			require.Equal(t, tt.days, row.BusinessDays)
			require.Equal(t, tt.received, row.ReceivedInPeriod)
			require.Equal(t, tt.closedInPeriod, row.ClosedInPeriod)
			require.Equal(t, tt.onTimeTarget, row.OnTimeTarget)
			require.Equal(t, tt.onTimeLegal, row.OnTimeLegal)
			require.Equal(t, tt.breached, row.Breached)
			require.Equal(t, tt.outcome, row.Outcome)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestSLAEmptyPeriod(t *testing.T) {
	t.Parallel()
	db := setup(t)
	r, err := sla.SLA(ctx, store.New(db), sla.Options{
		From: deadline.NewDate(2025, time.January, 1), To: deadline.NewDate(2025, time.January, 31), Now: now})
	require.NoError(t, err)
	require.True(t, r.Empty())
	require.Equal(t, sla.Stats{}, r.Total)
	require.Empty(t, r.Breaches)
	require.Zero(t, r.AtRisk) // R10 arrived after this period
	require.Len(t, r.Weeks, 5)
	for _, w := range r.Weeks {
		require.Zero(t, w.OnTime+w.Late)
	}
	require.Equal(t, deadline.NewDate(2024, time.December, 30), r.Weeks[0].Start)
}

func TestSLAOptions(t *testing.T) {
	t.Parallel()
	db := setup(t)
	d := deadline.NewDate
	tests := []struct {
		name    string
		o       sla.Options
		wantErr error
	}{
		{name: "one day", o: sla.Options{From: d(2026, 4, 1), To: d(2026, 4, 1)}},
		{name: "three years", o: sla.Options{From: d(2023, 5, 1), To: d(2026, 4, 30)}},
		{name: "from after to", o: sla.Options{From: d(2026, 4, 2), To: d(2026, 4, 1)}, wantErr: sla.ErrInvalidPeriod},
		{name: "three years and a day", o: sla.Options{From: d(2023, 5, 1), To: d(2026, 5, 1)}, wantErr: sla.ErrInvalidPeriod},
		{name: "no from", o: sla.Options{To: d(2026, 4, 1)}, wantErr: sla.ErrInvalidPeriod},
		{name: "tenant not an id", o: sla.Options{From: d(2026, 4, 1), To: d(2026, 4, 30), TenantID: "acme"}, wantErr: sla.ErrUnknownTenant},
		{name: "no such tenant", o: sla.Options{From: d(2026, 4, 1), To: d(2026, 4, 30), TenantID: "10000000-0000-0000-0000-000000000099"}, wantErr: sla.ErrUnknownTenant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := sla.SLA(ctx, store.New(db), tt.o)
			if tt.wantErr == nil {
				require.NoError(t, err)
				require.NotNil(t, r)
				require.False(t, r.Now.IsZero(), "Now defaults to the current time")
				return
			}
			require.Error(t, err)
			require.True(t, errors.Is(err, tt.wantErr), "%v", err)
			require.Nil(t, r)
		})
	}
}
