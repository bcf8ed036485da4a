package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"dsr/internal/domain"

	"github.com/google/uuid"
)

// Queue status filters beside the statuses themselves.
const (
	// QueueOpen selects the requests that are not final (the queue's default).
	QueueOpen = "open"
	// QueueAll selects every request.
	QueueAll = "all"
)

// DueSoonDays is how many days ahead of its next deadline a request counts as due soon.
const DueSoonDays = 3

// LegalWarningDays is how many days before its legal (or extended) deadline an open
// request's legal clock is at risk, as the workflow's 7-day warning has it.
const LegalWarningDays = 7

// QueueFilter selects the requests of the dashboard's queue. Empty fields do not filter.
type QueueFilter struct {
	// Status is a request status, QueueOpen or QueueAll; "" is QueueOpen.
	Status string
	// Type is the right exercised.
	Type domain.RequestType
	// TenantID is the tenant.
	TenantID string
	// DueSoon keeps open requests whose legal deadline is not breached and whose next
	// deadline is within DueSoonDays, or that are at risk of missing their target.
	DueSoon bool
	// Breached keeps requests that missed their target or legal deadline.
	Breached bool
	// Waiting keeps open requests that wait on something: blocked (status waiting) or on
	// a clarification (clock paused).
	Waiting bool
	// Search keeps the request whose id, reference (Request.Ref, any letter case) or
	// subject's email (any letter case) it is; "" keeps all.
	Search string
	// Now is the instant "today" is taken at, in each tenant's time zone.
	Now time.Time
	// Limit bounds the rows returned (default 200).
	Limit int
}

// QueueItem is a request as the queue shows it: the request, its tenant and the state of
// its two clocks at the filter's Now. Dates are midnight UTC of the stored date.
type QueueItem struct {
	Request
	TenantName string `db:"tenant_name"`
	// Today is the tenant's local date at Now.
	Today time.Time `db:"today"`
	// DeadlineDue is the legal deadline in force: ExtendedDue once extended, else LegalDue.
	DeadlineDue *time.Time `db:"deadline_due"`
	// NextDue is the deadline still to meet: the target until it passed, then DeadlineDue;
	// nil until the clock started.
	NextDue *time.Time `db:"next_due"`
	// Open is true while the status is not final.
	Open bool `db:"open"`
	// TargetBreached: the target was recorded as missed, or passed (open), or the request
	// closed after it.
	TargetBreached bool `db:"target_breached"`
	// LegalBreached: the same for the legal (or extended) deadline.
	LegalBreached bool `db:"legal_breached"`
	// TargetAtRisk: open, target not missed, flagged at risk by the workflow.
	TargetAtRisk bool `db:"target_at_risk"`
	// LegalAtRisk: open, legal deadline not missed, at most LegalWarningDays away.
	LegalAtRisk bool `db:"legal_at_risk"`
	// DueSoon and Waiting are as in QueueFilter.
	DueSoon bool `db:"due_soon"`
	Waiting bool `db:"waiting"`
}

// qualifiedRequestColumns are requestColumns prefixed with the requests table's alias r.
var qualifiedRequestColumns = func() string {
	cols := strings.Split(requestColumns, ",")
	for i, c := range cols {
		cols[i] = "r." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

// The queue's queries. queueFlagged is the shared part: every request of the tenant ($2,
// empty for all) and right ($3, empty for all) with its clocks' state at $1; $4 are the
// final statuses and $5 the waiting status (queueArgs). A clock that has
// not started (identity not verified yet) is neither at risk nor breached by its
// provisional dates; the workflow's own flags count whenever they are set.
var (
	queueFlagged = `
		WITH base AS (
			SELECT ` + qualifiedRequestColumns + `, t.name AS tenant_name,
				(($1::timestamptz) AT TIME ZONE t.tz)::date AS today,
				(r.completed_at AT TIME ZONE t.tz)::date AS closed_on,
				CASE WHEN r.extended_at IS NOT NULL THEN r.extended_due ELSE r.legal_due END AS deadline_due,
				r.status <> ALL($4::text[]) AS open,
				r.clock_started_at IS NOT NULL AS started
			FROM requests r JOIN tenants t ON t.id = r.tenant_id
			WHERE ($2 = '' OR r.tenant_id::text = $2) AND ($3 = '' OR r.type = $3)
		), clocks AS (
			SELECT base.*,
				COALESCE(target_breached_at IS NOT NULL
					OR (open AND started AND target_due < today) OR (NOT open AND started AND closed_on > target_due), false) AS target_breached,
				COALESCE(legal_breached_at IS NOT NULL
					OR (open AND started AND deadline_due < today) OR (NOT open AND started AND closed_on > deadline_due), false) AS legal_breached
			FROM base
		), next AS (
			SELECT clocks.*,
				CASE WHEN NOT started THEN NULL WHEN NOT target_breached AND target_due IS NOT NULL THEN target_due ELSE deadline_due END AS next_due,
				open AND NOT target_breached AND at_risk_at IS NOT NULL AS target_at_risk,
				COALESCE(open AND started AND NOT legal_breached AND deadline_due <= today + ` + fmt.Sprint(LegalWarningDays) + `, false) AS legal_at_risk,
				open AND (status = $5 OR paused_at IS NOT NULL) AS waiting
			FROM clocks
		), flagged AS (
			SELECT next.*,
				COALESCE(open AND started AND NOT legal_breached
					AND (next_due <= today + ` + fmt.Sprint(DueSoonDays) + ` OR target_at_risk), false) AS due_soon
			FROM next
		)`

	// queryQueue lists the flagged requests that pass the status ($6), due-soon ($7),
	// breached ($8), waiting ($9) and search ($11; $12 is the mail source, whose requests
	// carry their case's reference) filters: open ones first by the deadline they must
	// meet next, then closed ones, most recently closed first; at most $10.
	queryQueue = queueFlagged + `
		SELECT ` + requestColumns + `, tenant_name, today, deadline_due, next_due,
			open, target_breached, legal_breached, target_at_risk, legal_at_risk, due_soon, waiting
		FROM flagged
		WHERE ($6 = '` + QueueAll + `' OR ($6 = '` + QueueOpen + `' AND open) OR status = $6)
		  AND (NOT $7 OR due_soon)
		  AND (NOT $8 OR target_breached OR legal_breached)
		  AND (NOT $9 OR waiting)
		  AND ($11 = '' OR id::text = lower($11) OR lower(subject_email) = lower($11)
		       OR lower($11) = lower(CASE WHEN source = $12 AND coalesce(reference, '') <> '' THEN reference
		                                  ELSE 'DSR-' || right(replace(id::text, '-', ''), 8) END))
		ORDER BY open DESC, CASE WHEN open THEN next_due END ASC NULLS LAST, completed_at DESC NULLS LAST, received_at, id
		LIMIT $10`

	// queryQueueCounts counts the flagged requests per status, with how many open ones are
	// due soon, breached and waiting.
	queryQueueCounts = queueFlagged + `
		SELECT status, count(*) AS n,
			count(*) FILTER (WHERE due_soon) AS due_soon,
			count(*) FILTER (WHERE open AND (target_breached OR legal_breached)) AS breached,
			count(*) FILTER (WHERE waiting) AS waiting
		FROM flagged
		GROUP BY status`

	// queryTenantOverview lists every tenant with its number of requests, open and in all.
	queryTenantOverview = `
		SELECT t.id, t.name, t.region, t.country, t.tz, t.target_days, t.created_at,
			count(r.id) AS requests,
			count(r.id) FILTER (WHERE r.status <> ALL($1::text[])) AS open,
			max(r.received_at) AS last_received_at
		FROM tenants t LEFT JOIN requests r ON r.tenant_id = t.id
		GROUP BY t.id
		ORDER BY lower(t.name), t.id`
)

// Queue returns the requests that pass the filter, open ones by the deadline they must
// meet next (breached ones first), then closed ones, and whether more passed than Limit.
func (s *Store) Queue(ctx context.Context, f QueueFilter) ([]QueueItem, bool, error) {
	if f.Status == "" {
		f.Status = QueueOpen
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	if f.Now.IsZero() {
		f.Now = time.Now()
	}
	var out []QueueItem
	err := s.db.SelectContext(ctx, &out, queryQueue, append(queueArgs(f), f.Status, f.DueSoon, f.Breached, f.Waiting, f.Limit+1,
		strings.Trim(strings.TrimSpace(f.Search), "[]"), domain.SourceMail)...)
	if err != nil {
		return nil, false, fmt.Errorf("list the queue: %w", err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, nil
}

// QueueCounts are the numbers beside the queue's filters.
type QueueCounts struct {
	// ByStatus counts the requests of each status (statuses with none are absent).
	ByStatus map[domain.Status]int
	// All, Open, DueSoon, Breached and Waiting count all requests, the open ones and the
	// open ones due soon, breached and waiting.
	All, Open, DueSoon, Breached, Waiting int
}

// QueueCounts counts the requests of f's tenant and right (the other fields of f but Now
// do not matter) per status, and the open ones due soon, breached and waiting.
func (s *Store) QueueCounts(ctx context.Context, f QueueFilter) (QueueCounts, error) {
	if f.Now.IsZero() {
		f.Now = time.Now()
	}
	var rows []struct {
		Status   domain.Status `db:"status"`
		N        int           `db:"n"`
		DueSoon  int           `db:"due_soon"`
		Breached int           `db:"breached"`
		Waiting  int           `db:"waiting"`
	}
	if err := s.db.SelectContext(ctx, &rows, queryQueueCounts, queueArgs(f)...); err != nil {
		return QueueCounts{}, fmt.Errorf("count the queue: %w", err)
	}
	c := QueueCounts{ByStatus: make(map[domain.Status]int, len(rows))}
	for _, r := range rows {
		c.ByStatus[r.Status] = r.N
		c.All += r.N
		if !r.Status.Final() {
			c.Open += r.N
		}
		c.DueSoon += r.DueSoon
		c.Breached += r.Breached
		c.Waiting += r.Waiting
	}
	return c, nil
}

// TenantOverview is a tenant with its number of requests.
type TenantOverview struct {
	Tenant
	// Requests and Open count its requests, all and not final.
	Requests int `db:"requests"`
	Open     int `db:"open"`
	// LastReceivedAt is when its latest request came in; nil when none did.
	LastReceivedAt *time.Time `db:"last_received_at"`
}

// TenantsOverview returns every tenant by name, with its number of requests.
func (s *Store) TenantsOverview(ctx context.Context) ([]TenantOverview, error) {
	var out []TenantOverview
	if err := s.db.SelectContext(ctx, &out, queryTenantOverview, finalStatuses()); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return out, nil
}

// queryQueueItem is one request ($6) flagged like the queue's.
var queryQueueItem = queueFlagged + `
	SELECT ` + requestColumns + `, tenant_name, today, deadline_due, next_due,
		open, target_breached, legal_breached, target_at_risk, legal_at_risk, due_soon, waiting
	FROM flagged
	WHERE id = $6::uuid`

// QueueItem returns one request of any tenant as the queue shows it at now.
func (s *Store) QueueItem(ctx context.Context, id string, now time.Time) (QueueItem, error) {
	if _, err := uuid.Parse(id); err != nil {
		return QueueItem{}, ErrNotFound
	}
	var it QueueItem
	err := s.db.GetContext(ctx, &it, queryQueueItem, append(queueArgs(QueueFilter{Now: now}), id)...)
	if errors.Is(err, sql.ErrNoRows) {
		return QueueItem{}, ErrNotFound
	}
	if err != nil {
		return QueueItem{}, fmt.Errorf("read request %s for the queue: %w", id, err)
	}
	return it, nil
}

// queueArgs are the arguments of queueFlagged.
func queueArgs(f QueueFilter) []any {
	return []any{f.Now, f.TenantID, f.Type, finalStatuses(), domain.StatusWaiting}
}
