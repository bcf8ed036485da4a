package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"

	"dsr/internal/domain"
)

// ReportTenant is a tenant as the SLA report needs it, with its open requests at risk.
type ReportTenant struct {
	ID      string `db:"id"`
	Name    string `db:"name"`
	Country string `db:"country"`
	TZ      string `db:"tz"`
	AtRisk  int    `db:"at_risk"`
}

// ReportRequest is a request as the SLA report measures it; dates are midnight UTC of the
// stored date.
type ReportRequest struct {
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

// The report's queries.
const (
	// queryReportTenants lists the tenants in scope ($1: a tenant id, or NULL for every
	// tenant) with the number of their open ($4: the final statuses) requests at risk at
	// $3, received before $2.
	queryReportTenants = `
		SELECT t.id, t.name, t.country, t.tz,
			(SELECT count(*) FROM requests r
			 WHERE r.tenant_id = t.id
			   AND r.status <> ALL($4::text[])
			   AND r.at_risk_at <= $3
			   AND r.received_at < $2) AS at_risk
		FROM tenants t
		WHERE $1::uuid IS NULL OR t.id = $1::uuid
		ORDER BY t.name, t.id`

	// queryReportRequests lists the requests received or closed (a final status, $4, and
	// completed_at) in [$1, $2) of the tenant $3, or of every tenant when $3 is NULL.
	queryReportRequests = `
		SELECT id, tenant_id, type, status, source, received_at, clock_started_at,
			target_due, legal_due, extended_due, completed_at, at_risk_at, target_breached_at,
			legal_breached_at, COALESCE(breach_reason, '') AS breach_reason, extended_at,
			COALESCE(extension_reason, '') AS extension_reason, paused_days
		FROM requests
		WHERE ($3::uuid IS NULL OR tenant_id = $3::uuid)
		  AND ((received_at >= $1 AND received_at < $2)
		    OR (status = ANY($4::text[]) AND completed_at >= $1 AND completed_at < $2))
		ORDER BY received_at, id`
)

// ReportTenants returns the tenants of an SLA report (one tenant, or every tenant when
// tenantID is empty), each with its open requests received before end that were at risk
// at now.
func (s *Store) ReportTenants(ctx context.Context, tenantID string, end, now time.Time) ([]ReportTenant, error) {
	var out []ReportTenant
	if err := s.db.SelectContext(ctx, &out, queryReportTenants, optionalID(tenantID), end, now,
		pq.Array(domain.Strings(domain.FinalStatuses))); err != nil {
		return nil, fmt.Errorf("list tenants and open requests at risk: %w", err)
	}
	return out, nil
}

// ReportRequests returns the requests of the tenant (every tenant when tenantID is empty)
// received or closed in [start, end), by receipt.
func (s *Store) ReportRequests(ctx context.Context, tenantID string, start, end time.Time) ([]ReportRequest, error) {
	var out []ReportRequest
	if err := s.db.SelectContext(ctx, &out, queryReportRequests, start, end, optionalID(tenantID),
		pq.Array(domain.Strings(domain.FinalStatuses))); err != nil {
		return nil, fmt.Errorf("list requests received or closed in the period: %w", err)
	}
	return out, nil
}

// optionalID is an id parameter that is NULL when empty.
func optionalID(id string) sql.NullString { return sql.NullString{String: id, Valid: id != ""} }
