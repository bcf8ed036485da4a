package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"dsr/internal/domain"
)

// ErrIdempotencyMismatch is returned when an Idempotency-Key is reused with another body.
var ErrIdempotencyMismatch = errors.New("idempotency key was used with a different request")

// Params are the type-specific parts of a request.
type Params struct {
	Rectification     map[string]string   `json:"rectification,omitempty"`
	ErasureScope      domain.ErasureScope `json:"erasure_scope,omitempty"`
	ObjectionPurposes []domain.Purpose    `json:"objection_purposes,omitempty"`
}

// Value stores Params as jsonb.
func (p Params) Value() (driver.Value, error) { return json.Marshal(p) }

// Scan reads Params from jsonb.
func (p *Params) Scan(src any) error { return scanJSON(src, p) }

// Request is one data-subject request as recorded.
type Request struct {
	ID             string             `db:"id"`
	TenantID       string             `db:"tenant_id"`
	Type           domain.RequestType `db:"type"`
	Status         domain.Status      `db:"status"`
	StatusReason   *string            `db:"status_reason"`
	Source         domain.Source      `db:"source"`
	SubjectEmail   string             `db:"subject_email"`
	Params         Params             `db:"params"`
	Reference      *string            `db:"reference"`
	IdempotencyKey *string            `db:"idempotency_key"`
	RequestHash    *string            `db:"request_hash"`
	ReceivedAt     time.Time          `db:"received_at"`
	ClockStartedAt *time.Time         `db:"clock_started_at"`
	TargetDue      *time.Time         `db:"target_due"`
	LegalDue       *time.Time         `db:"legal_due"`
	ExtendedDue    *time.Time         `db:"extended_due"`
	CompletedAt    *time.Time         `db:"completed_at"`
	Result         JSON               `db:"result"`
	UpdatedAt      time.Time          `db:"updated_at"`
	// The clocks.
	AtRiskAt         *time.Time `db:"at_risk_at"`
	TargetBreachedAt *time.Time `db:"target_breached_at"`
	LegalBreachedAt  *time.Time `db:"legal_breached_at"`
	BreachReason     *string    `db:"breach_reason"`
	ExtendedAt       *time.Time `db:"extended_at"`
	ExtensionReason  *string    `db:"extension_reason"`
	PausedAt         *time.Time `db:"paused_at"`
	PausedDays       int        `db:"paused_days"`
}

const requestColumns = `id, tenant_id, type, status, status_reason, source, subject_email, params, reference,
	idempotency_key, request_hash, received_at, clock_started_at, target_due, legal_due, extended_due,
	completed_at, result, updated_at, at_risk_at, target_breached_at, legal_breached_at, breach_reason,
	extended_at, extension_reason, paused_at, paused_days`

// NewRequest is what CreateRequest needs.
type NewRequest struct {
	TenantID       string
	Type           domain.RequestType
	Source         domain.Source
	SubjectEmail   string
	Params         Params
	Reference      string
	IdempotencyKey string
	// RequestHash fingerprints the submitted body, to tell a replay from a reused key.
	RequestHash    string
	ReceivedAt     time.Time
	ClockStartedAt *time.Time
	TargetDue      time.Time
	LegalDue       time.Time
	ExtendedDue    time.Time
}

// CreateRequest records a new request with status received. With an idempotency key that
// the tenant used before, it returns the earlier request and created=false, or
// ErrIdempotencyMismatch when the bodies differ.
func (s *Store) CreateRequest(ctx context.Context, n NewRequest) (req Request, created bool, err error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Request{}, false, fmt.Errorf("create request: new id: %w", err)
	}
	err = s.db.GetContext(ctx, &req, `
		INSERT INTO requests (id, tenant_id, type, status, source, subject_email, params, reference,
			idempotency_key, request_hash, received_at, clock_started_at, target_due, legal_due, extended_due)
		VALUES ($1, $2, $3, $15, $4, $5, $6, NULLIF($7, ''), NULLIF($8, ''), NULLIF($9, ''), $10, $11, $12, $13, $14)
		ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
		RETURNING `+requestColumns,
		id.String(), n.TenantID, n.Type, n.Source, n.SubjectEmail, n.Params, n.Reference,
		n.IdempotencyKey, n.RequestHash, n.ReceivedAt, n.ClockStartedAt, nullDate(n.TargetDue), nullDate(n.LegalDue), nullDate(n.ExtendedDue), domain.StatusReceived)
	if err == nil {
		return req, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Request{}, false, fmt.Errorf("create request: %w", err)
	}
	// The key was used before: a replay, or a mistake.
	err = s.db.GetContext(ctx, &req, `SELECT `+requestColumns+` FROM requests WHERE tenant_id = $1 AND idempotency_key = $2`,
		n.TenantID, n.IdempotencyKey)
	if err != nil {
		return Request{}, false, fmt.Errorf("create request: read earlier request for idempotency key: %w", err)
	}
	stored := ""
	if req.RequestHash != nil {
		stored = *req.RequestHash
	}
	if stored != n.RequestHash {
		return Request{}, false, ErrIdempotencyMismatch
	}
	return req, false, nil
}

// nullDate stores a zero date as NULL: a request whose clock has not started has none.
func nullDate(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// GetRequest returns a request of the tenant; an empty tenantID reads any tenant's.
func (s *Store) GetRequest(ctx context.Context, tenantID, id string) (Request, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Request{}, ErrNotFound
	}
	var r Request
	err := s.db.GetContext(ctx, &r, `SELECT `+requestColumns+` FROM requests
		WHERE id = $1 AND ($2 = '' OR tenant_id::text = $2)`, id, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return Request{}, ErrNotFound
	}
	if err != nil {
		return Request{}, fmt.Errorf("get request %s: %w", id, err)
	}
	return r, nil
}

// ListFilter selects requests of one tenant, newest first.
type ListFilter struct {
	TenantID string
	Status   domain.Status
	Type     domain.RequestType
	// After is the cursor: the id of the last request of the previous page.
	After string
	Limit int
}

// ListRequests returns up to f.Limit requests and whether more follow.
func (s *Store) ListRequests(ctx context.Context, f ListFilter) ([]Request, bool, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var after any
	if f.After != "" {
		after = f.After
	}
	var out []Request
	err := s.db.SelectContext(ctx, &out, `SELECT `+requestColumns+` FROM requests
		WHERE tenant_id = $1
		  AND ($2 = '' OR status = $2)
		  AND ($3 = '' OR type = $3)
		  AND ($4::uuid IS NULL OR id < $4::uuid)
		ORDER BY id DESC
		LIMIT $5`, f.TenantID, f.Status, f.Type, after, f.Limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list requests of tenant %s: %w", f.TenantID, err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, nil
}

// OpenRequests returns every request that is not final, oldest first.
func (s *Store) OpenRequests(ctx context.Context) ([]Request, error) {
	var out []Request
	err := s.db.SelectContext(ctx, &out, `SELECT `+requestColumns+` FROM requests
		WHERE status <> ALL($1::text[]) ORDER BY id`, finalStatuses())
	if err != nil {
		return nil, fmt.Errorf("list open requests: %w", err)
	}
	return out, nil
}

// finalStatuses is domain.FinalStatuses as a text[] parameter.
func finalStatuses() any { return pq.Array(domain.Strings(domain.FinalStatuses)) }

// OpenExportsBefore counts the open access and portability requests of the same subject
// at the same tenant received no later than the request: an erasure waits for them, so
// the subject gets their copy before the data goes.
func (s *Store) OpenExportsBefore(ctx context.Context, requestID string) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `
		SELECT count(*) FROM requests o JOIN requests r ON r.id = $1
		WHERE o.tenant_id = r.tenant_id AND lower(o.subject_email) = lower(r.subject_email) AND o.id <> r.id
			AND o.type = ANY($2::text[]) AND o.received_at <= r.received_at
			AND o.status <> ALL($3::text[])`, requestID, pq.Array(domain.Strings(domain.ExportTypes)), finalStatuses())
	if err != nil {
		return 0, fmt.Errorf("count open exports of request %s: %w", requestID, err)
	}
	return n, nil
}

// RequestByRef returns the request whose short reference ("DSR-xxxxxxxx") is ref.
func (s *Store) RequestByRef(ctx context.Context, ref string) (Request, error) {
	if len(ref) != 12 || !strings.EqualFold(ref[:4], "DSR-") {
		return Request{}, ErrNotFound
	}
	var r Request
	err := s.db.GetContext(ctx, &r, `SELECT `+requestColumns+` FROM requests
		WHERE right(replace(id::text, '-', ''), 8) = lower($1) ORDER BY received_at DESC LIMIT 1`, ref[4:])
	if errors.Is(err, sql.ErrNoRows) {
		return Request{}, ErrNotFound
	}
	if err != nil {
		return Request{}, fmt.Errorf("find request %s: %w", ref, err)
	}
	return r, nil
}
