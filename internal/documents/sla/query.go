package sla

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"dsr/internal/domain"

	"github.com/jmoiron/sqlx"
)

// The report's queries.
const (
	// queryTenants lists the tenants in scope ($1: a tenant id, or NULL for every tenant)
	// with the number of their open requests at risk at $3, received before $2.
	queryTenants = `
		SELECT t.id, t.name, t.country, t.tz,
			(SELECT count(*) FROM requests r
			 WHERE r.tenant_id = t.id
			   AND r.status NOT IN ('completed', 'denied', 'canceled', 'failed')
			   AND r.at_risk_at <= $3
			   AND r.received_at < $2) AS at_risk
		FROM tenants t
		WHERE $1::uuid IS NULL OR t.id = $1::uuid
		ORDER BY t.name, t.id`

	// queryRequests lists the requests received or closed (final status, completed_at) in
	// [$1, $2) of the tenant $3, or of every tenant when $3 is NULL.
	queryRequests = `
		SELECT id, tenant_id, type, status, source, received_at, clock_started_at,
			target_due, legal_due, extended_due, completed_at, at_risk_at, target_breached_at,
			legal_breached_at, COALESCE(breach_reason, '') AS breach_reason, extended_at,
			COALESCE(extension_reason, '') AS extension_reason, paused_days
		FROM requests
		WHERE ($3::uuid IS NULL OR tenant_id = $3::uuid)
		  AND ((received_at >= $1 AND received_at < $2)
		    OR (status IN ('completed', 'denied', 'canceled', 'failed')
		        AND completed_at >= $1 AND completed_at < $2))
		ORDER BY received_at, id`
)

// tenantRow is a tenant as the report needs it.
type tenantRow struct {
	ID      string `db:"id"`
	Name    string `db:"name"`
	Country string `db:"country"`
	TZ      string `db:"tz"`
	AtRisk  int    `db:"at_risk"`
}

// requestRow is a request as stored; dates are midnight UTC of the stored date.
type requestRow struct {
	ID               string             `db:"id"`
	TenantID         string             `db:"tenant_id"`
	Type             domain.RequestType `db:"type"`
	Status           domain.Status      `db:"status"`
	Source           string             `db:"source"`
	ReceivedAt       time.Time          `db:"received_at"`
	ClockStartedAt   *time.Time         `db:"clock_started_at"`
	TargetDue        *time.Time         `db:"target_due"`
	LegalDue         *time.Time         `db:"legal_due"`
	ExtendedDue      *time.Time         `db:"extended_due"`
	CompletedAt      *time.Time         `db:"completed_at"`
	AtRiskAt         *time.Time         `db:"at_risk_at"`
	TargetBreachedAt *time.Time         `db:"target_breached_at"`
	LegalBreachedAt  *time.Time         `db:"legal_breached_at"`
	BreachReason     string             `db:"breach_reason"`
	ExtendedAt       *time.Time         `db:"extended_at"`
	ExtensionReason  string             `db:"extension_reason"`
	PausedDays       int                `db:"paused_days"`
}

// window is what the queries are run with.
type window struct {
	start, end time.Time // [start, end)
	tenantID   string    // "" for every tenant
	now        time.Time
}

func (w window) tenant() sql.NullString {
	return sql.NullString{String: w.tenantID, Valid: w.tenantID != ""}
}

// load runs the report's two queries.
func load(ctx context.Context, db *sqlx.DB, w window) ([]tenantRow, []requestRow, error) {
	var tenants []tenantRow
	if err := db.SelectContext(ctx, &tenants, queryTenants, w.tenant(), w.end, w.now); err != nil {
		return nil, nil, fmt.Errorf("list tenants and open requests at risk: %w", err)
	}
	var rows []requestRow
	if err := db.SelectContext(ctx, &rows, queryRequests, w.start, w.end, w.tenant()); err != nil {
		return nil, nil, fmt.Errorf("list requests received or closed in the period: %w", err)
	}
	return tenants, rows, nil
}
