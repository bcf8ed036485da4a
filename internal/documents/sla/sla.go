package sla

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"

	"dsr/internal/deadline"
	"dsr/internal/domain"
	"dsr/internal/store"
)

// ErrInvalidPeriod is wrapped by the error of [SLA] for a period it does not report on: a
// missing date, From after To, or longer than [MaxPeriodYears]. Its message can be shown
// to whoever asked for the report.
var ErrInvalidPeriod = errors.New("invalid period")

// ErrUnknownTenant is wrapped by the error of [SLA] when Options.TenantID names no tenant.
var ErrUnknownTenant = errors.New("unknown tenant")

// MaxPeriodYears is the longest period a report covers, in years.
const MaxPeriodYears = 3

// Outcomes of a request in the CSV, see [Row].Outcome.
const (
	// OutcomeOnTime: closed on or before its target and its legal (or extended) deadline.
	OutcomeOnTime = "on_time"
	// OutcomeLateTarget: closed after its target, within its legal (or extended) deadline.
	OutcomeLateTarget = "late_target"
	// OutcomeLateLegal: closed after its legal deadline (the extended one when extended).
	OutcomeLateLegal = "late_legal"
	// OutcomeClosed: closed, with no due date to measure it against.
	OutcomeClosed = "closed"
	// OutcomeOpen: not final, neither at risk nor breached.
	OutcomeOpen = "open"
	// OutcomeAtRisk: not final, at risk (at_risk_at set at or before the report's Now).
	OutcomeAtRisk = "at_risk"
	// OutcomeBreached: not final, its target or legal deadline recorded as breached.
	OutcomeBreached = "breached"
)

// Options say what to report on.
type Options struct {
	// From is the first day of the period, a UTC date.
	From deadline.Date
	// To is the last day of the period (included), a UTC date.
	To deadline.Date
	// TenantID restricts the report to one tenant; "" reports on every tenant.
	TenantID string
	// Now is the instant the report is made as of (open requests at risk, the date printed
	// on it); the zero time means time.Now().
	Now time.Time
}

// Validate reports whether the period can be reported on; its errors wrap
// [ErrInvalidPeriod].
func (o Options) Validate() error {
	switch {
	case o.From.IsZero() || o.To.IsZero():
		return fmt.Errorf("%w: from and to are both required", ErrInvalidPeriod)
	case o.From.After(o.To):
		return fmt.Errorf("%w: from %s is after to %s", ErrInvalidPeriod, o.From, o.To)
	case !o.To.Before(o.From.AddMonths(12 * MaxPeriodYears)):
		return fmt.Errorf("%w: %s to %s is longer than %d years", ErrInvalidPeriod, o.From, o.To, MaxPeriodYears)
	}
	return nil
}

// Report is the SLA report of one period, for one tenant or all of them.
type Report struct {
	// From and To are the period's first and last days (UTC dates, both included).
	From, To deadline.Date
	// TenantID is the tenant reported on, "" for all tenants.
	TenantID string
	// TenantName is the name of that tenant, "" for all tenants.
	TenantName string
	// Now is the instant (UTC) the report was made as of.
	Now time.Time
	// Total are the figures over every right.
	Total Stats
	// ByRight are the figures of each right (request type), every right listed, in the
	// order access, rectification, erasure, restriction, portability, objection.
	ByRight []RightStats
	// Breaches are the requests of the period that breached their target, in order of
	// receipt.
	Breaches []Breach
	// Extensions is the number of requests of the period that were extended.
	Extensions int
	// AtRisk is the number of requests open and at risk at Now, received on or before To
	// (a snapshot; see the package documentation).
	AtRisk int
	// Weeks are the ISO weeks (Monday to Sunday) that overlap the period, in order, with the
	// requests closed in each on time and late against the target.
	Weeks []Week
	// Rows are the requests received or closed in the period, in order of receipt: the CSV.
	Rows []Row
}

// Empty reports whether no request was received or closed in the period.
func (r *Report) Empty() bool { return len(r.Rows) == 0 }

// Stats are the figures of one right, or of all of them.
type Stats struct {
	// Received is the number of requests received in the period.
	Received int
	// Closed is the number of requests closed in the period; the figures below are over
	// them.
	Closed int
	// MedianDays is the median of their business days to close; 0 when none closed.
	MedianDays float64
	// P90Days is the 90th percentile (nearest rank) of their business days to close; 0
	// when none closed.
	P90Days int
	// TargetMeasured is the number of them that have a target date.
	TargetMeasured int
	// OnTimeTarget is the number of them closed on or before the target.
	OnTimeTarget int
	// TargetRate is OnTimeTarget as a percentage of TargetMeasured, one decimal; 0 when
	// TargetMeasured is 0.
	TargetRate float64
	// LegalMeasured is the number of them that have a legal (or extended) deadline.
	LegalMeasured int
	// OnTimeLegal is the number of them closed on or before the legal deadline, or the
	// extended one when extended.
	OnTimeLegal int
	// LegalRate is OnTimeLegal as a percentage of LegalMeasured, one decimal; 0 when
	// LegalMeasured is 0.
	LegalRate float64
}

// RightStats are the figures of one right.
type RightStats struct {
	// Right is the request type: access, rectification, erasure, restriction,
	// portability or objection.
	Right domain.RequestType
	Stats
}

// Breach is a request of the period that breached its target.
type Breach struct {
	// RequestID is the request's id.
	RequestID string
	// TenantID and TenantName are its tenant's.
	TenantID, TenantName string
	// Type is the right exercised.
	Type domain.RequestType
	// TargetDue is the target it missed (zero when unknown).
	TargetDue deadline.Date
	// ClosedAt is when it closed; nil while Open.
	ClosedAt *time.Time
	// ClosedOn is the local date it closed on; zero while Open.
	ClosedOn deadline.Date
	// Open reports whether it is still open.
	Open bool
	// LegalBreached reports whether it also breached its legal (or extended) deadline.
	LegalBreached bool
	// Reason is what held it up, as recorded; "" when none was.
	Reason string
}

// Week is one ISO week of the chart.
type Week struct {
	// Start is the week's Monday.
	Start deadline.Date
	// OnTime and Late are the requests closed in the week (and in the period) on or
	// before, and after, their target.
	OnTime, Late int
}

// Row is one request of the period, as the CSV has it. Dates are local to the tenant
// unless their name says otherwise; a zero Date or nil pointer is unknown.
type Row struct {
	// RequestID is the request's id.
	RequestID string
	// TenantID and TenantName are its tenant's.
	TenantID, TenantName string
	// Type is the right exercised; Status its current status; Source where it came from.
	Type   domain.RequestType
	Status domain.Status
	Source string
	// ReceivedAt is when it was received.
	ReceivedAt time.Time
	// ClockStartedAt is when its clock started (identity verified); nil when unknown.
	ClockStartedAt *time.Time
	// ClockStart is the local date of ClockStartedAt, or of ReceivedAt when unknown.
	ClockStart deadline.Date
	// TargetDue, LegalDue and ExtendedDue are its due dates, moved by pauses.
	TargetDue, LegalDue, ExtendedDue deadline.Date
	// ExtendedAt is when it was extended; nil when it was not.
	ExtendedAt *time.Time
	// ExtensionReason is why it was extended.
	ExtensionReason string
	// PausedDays are the calendar days clarification pauses moved its due dates.
	PausedDays int
	// Closed reports whether its status is final.
	Closed bool
	// CompletedAt is when it closed; nil while open.
	CompletedAt *time.Time
	// ClosedOn is the local date of CompletedAt.
	ClosedOn deadline.Date
	// BusinessDays are the business days from ClockStart to ClosedOn; nil while open.
	BusinessDays *int
	// ReceivedInPeriod and ClosedInPeriod say which figures of the period it counts in.
	ReceivedInPeriod, ClosedInPeriod bool
	// OnTimeTarget and OnTimeLegal: closed on or before the target, and the legal (or
	// extended) deadline; nil while open or without that date.
	OnTimeTarget, OnTimeLegal *bool
	// AtRiskAt, TargetBreachedAt and LegalBreachedAt are when its clocks were flagged.
	AtRiskAt, TargetBreachedAt, LegalBreachedAt *time.Time
	// BreachReason is what held it up, as recorded.
	BreachReason string
	// Breached reports whether it is a breach (see [Breach]).
	Breached bool
	// Outcome is one of the Outcome constants.
	Outcome string
}

// tenantInfo is a tenant with its resolved calendar and zone.
type tenantInfo struct {
	store.ReportTenant
	cal *deadline.Calendar
	loc *time.Location
}

// SLA builds the SLA report of o's period from the orchestrator database.
func SLA(ctx context.Context, st *store.Store, o Options) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.TenantID != "" {
		if _, err := uuid.Parse(o.TenantID); err != nil {
			return nil, fmt.Errorf("sla report: %w %q", ErrUnknownTenant, o.TenantID)
		}
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	start, end := midnight(o.From), midnight(o.To.AddDays(1))
	tenants, err := st.ReportTenants(ctx, o.TenantID, end, o.Now)
	if err != nil {
		return nil, fmt.Errorf("sla report %s to %s: %w", o.From, o.To, err)
	}
	rows, err := st.ReportRequests(ctx, o.TenantID, start, end)
	if err != nil {
		return nil, fmt.Errorf("sla report %s to %s: %w", o.From, o.To, err)
	}
	r, err := build(o, tenants, rows)
	if err != nil {
		return nil, fmt.Errorf("sla report %s to %s: %w", o.From, o.To, err)
	}
	return r, nil
}

// build computes the report from the rows the queries returned.
func build(o Options, tenants []store.ReportTenant, rows []store.ReportRequest) (*Report, error) {
	r := &Report{From: o.From, To: o.To, TenantID: o.TenantID, Now: o.Now.UTC()}
	byID := make(map[string]*tenantInfo, len(tenants))
	for _, t := range tenants {
		r.AtRisk += t.AtRisk
		byID[t.ID] = &tenantInfo{ReportTenant: t}
	}
	if o.TenantID != "" {
		t, ok := byID[o.TenantID]
		if !ok {
			return nil, fmt.Errorf("%w %s", ErrUnknownTenant, o.TenantID)
		}
		r.TenantName = t.Name
	}

	type acc struct {
		Stats
		days []int
	}
	total := &acc{}
	per := make(map[domain.RequestType]*acc, len(domain.RequestTypes))
	for _, right := range domain.RequestTypes {
		per[right] = &acc{}
	}
	weeks := map[deadline.Date]*Week{}
	for m := monday(o.From); !m.After(o.To); m = m.AddDays(7) {
		r.Weeks = append(r.Weeks, Week{Start: m})
	}
	for i := range r.Weeks {
		weeks[r.Weeks[i].Start] = &r.Weeks[i]
	}

	for _, q := range rows {
		t, ok := byID[q.TenantID]
		if !ok {
			return nil, fmt.Errorf("request %s: tenant %s not listed", q.ID, q.TenantID)
		}
		if t.cal == nil {
			if err := t.resolve(); err != nil {
				return nil, err
			}
		}
		row := t.row(q, o)
		r.Rows = append(r.Rows, row)

		right, ok := per[row.Type]
		if !ok {
			right = &acc{}
			per[row.Type] = right
		}
		for _, a := range []*acc{total, right} {
			if row.ReceivedInPeriod {
				a.Received++
			}
			if !row.ClosedInPeriod {
				continue
			}
			a.Closed++
			if row.BusinessDays != nil {
				a.days = append(a.days, *row.BusinessDays)
			}
			if row.OnTimeTarget != nil {
				a.TargetMeasured++
				if *row.OnTimeTarget {
					a.OnTimeTarget++
				}
			}
			if row.OnTimeLegal != nil {
				a.LegalMeasured++
				if *row.OnTimeLegal {
					a.OnTimeLegal++
				}
			}
		}
		if row.ClosedInPeriod && row.OnTimeTarget != nil {
			wk := weeks[monday(deadline.DateOf(row.CompletedAt.UTC()))]
			if *row.OnTimeTarget {
				wk.OnTime++
			} else {
				wk.Late++
			}
		}
		if row.ExtendedAt != nil {
			r.Extensions++
		}
		if row.Breached {
			r.Breaches = append(r.Breaches, Breach{
				RequestID: row.RequestID, TenantID: row.TenantID, TenantName: row.TenantName,
				Type: row.Type, TargetDue: row.TargetDue, ClosedAt: row.CompletedAt, ClosedOn: row.ClosedOn,
				Open: !row.Closed, LegalBreached: row.LegalBreachedAt != nil || (row.OnTimeLegal != nil && !*row.OnTimeLegal),
				Reason: row.BreachReason,
			})
		}
	}

	finish := func(a *acc) Stats {
		s := a.Stats
		slices.Sort(a.days)
		s.MedianDays = median(a.days)
		s.P90Days = nearestRank(a.days, 90)
		s.TargetRate = rate(s.OnTimeTarget, s.TargetMeasured)
		s.LegalRate = rate(s.OnTimeLegal, s.LegalMeasured)
		return s
	}
	r.Total = finish(total)
	for _, right := range domain.RequestTypes {
		r.ByRight = append(r.ByRight, RightStats{Right: right, Stats: finish(per[right])})
	}
	return r, nil
}

// resolve loads the tenant's calendar and time zone.
func (t *tenantInfo) resolve() error {
	c, err := deadline.CalendarFor(t.Country)
	if err != nil {
		return fmt.Errorf("calendar of tenant %s: %w", t.ID, err)
	}
	loc, err := time.LoadLocation(t.TZ)
	if err != nil || t.TZ == "" || t.TZ == "Local" {
		return fmt.Errorf("time zone %q of tenant %s: %w", t.TZ, t.ID, errors.Join(deadline.ErrUnknownTimeZone, err))
	}
	t.cal, t.loc = c, loc
	return nil
}

// row measures one request.
func (t *tenantInfo) row(q store.ReportRequest, o Options) Row {
	row := Row{
		RequestID: q.ID, TenantID: q.TenantID, TenantName: t.Name,
		Type: q.Type, Status: q.Status, Source: q.Source,
		ReceivedAt: q.ReceivedAt.UTC(), ClockStartedAt: utc(q.ClockStartedAt),
		TargetDue: date(q.TargetDue), LegalDue: date(q.LegalDue), ExtendedDue: date(q.ExtendedDue),
		ExtendedAt: utc(q.ExtendedAt), ExtensionReason: q.ExtensionReason, PausedDays: q.PausedDays,
		Closed: q.Status.Final(), CompletedAt: utc(q.CompletedAt),
		AtRiskAt: utc(q.AtRiskAt), TargetBreachedAt: utc(q.TargetBreachedAt), LegalBreachedAt: utc(q.LegalBreachedAt),
		BreachReason: q.BreachReason,
	}
	start := q.ReceivedAt
	if q.ClockStartedAt != nil {
		start = *q.ClockStartedAt
	}
	row.ClockStart = deadline.DateOf(start.In(t.loc))
	row.ReceivedInPeriod = inPeriod(row.ReceivedAt, o)
	if row.Closed && row.CompletedAt != nil {
		row.ClosedInPeriod = inPeriod(*row.CompletedAt, o)
		row.ClosedOn = deadline.DateOf(row.CompletedAt.In(t.loc))
		days := t.cal.WorkdaysBetween(row.ClockStart, row.ClosedOn)
		row.BusinessDays = &days
		if !row.TargetDue.IsZero() {
			row.OnTimeTarget = ptr(!row.ClosedOn.After(row.TargetDue))
		}
		legal := row.LegalDue
		if row.ExtendedAt != nil {
			legal = row.ExtendedDue
		}
		if !legal.IsZero() {
			row.OnTimeLegal = ptr(!row.ClosedOn.After(legal))
		}
	}
	row.Breached = row.TargetBreachedAt != nil || (row.OnTimeTarget != nil && !*row.OnTimeTarget)

	switch {
	case row.Closed && row.OnTimeLegal != nil && !*row.OnTimeLegal:
		row.Outcome = OutcomeLateLegal
	case row.Closed && row.OnTimeTarget != nil && !*row.OnTimeTarget:
		row.Outcome = OutcomeLateTarget
	case row.Closed && (row.OnTimeTarget != nil || row.OnTimeLegal != nil):
		row.Outcome = OutcomeOnTime
	case row.Closed:
		row.Outcome = OutcomeClosed
	case row.TargetBreachedAt != nil || row.LegalBreachedAt != nil:
		row.Outcome = OutcomeBreached
	case row.AtRiskAt != nil && !row.AtRiskAt.After(o.Now):
		row.Outcome = OutcomeAtRisk
	default:
		row.Outcome = OutcomeOpen
	}
	return row
}

// inPeriod reports whether instant t falls on one of the period's UTC days.
func inPeriod(t time.Time, o Options) bool {
	return !t.Before(midnight(o.From)) && t.Before(midnight(o.To.AddDays(1)))
}

func midnight(d deadline.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// monday returns the Monday of d's ISO week.
func monday(d deadline.Date) deadline.Date {
	return d.AddDays(-((int(d.Weekday()) + 6) % 7))
}

// date returns the stored date t (a DATE column), or the zero Date for NULL.
func date(t *time.Time) deadline.Date {
	if t == nil {
		return deadline.Date{}
	}
	return deadline.DateOf(*t)
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func ptr[T any](v T) *T { return &v }

// median returns the median of sorted, 0 when empty.
func median(sorted []int) float64 {
	n := len(sorted)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return float64(sorted[n/2])
	default:
		return float64(sorted[n/2-1]+sorted[n/2]) / 2
	}
}

// nearestRank returns the p-th percentile of sorted by nearest rank (the ceil(p/100 × n)-th
// smallest value), 0 when empty.
func nearestRank(sorted []int, p int) int {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := (p*n + 99) / 100 // ceil(p*n/100) in integers
	rank = max(rank, 1)
	return sorted[rank-1]
}

// rate returns part/whole as a percentage rounded to one decimal, 0 when whole is 0.
func rate(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return math.Round(1000*float64(part)/float64(whole)) / 10
}
