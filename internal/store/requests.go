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
	"github.com/jmoiron/sqlx"
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
	// MinimisedAt is when the retention period's minimisation replaced the subject's
	// identifiers by a keyed hash (SubjectEmail then starts with MinimisedPrefix).
	MinimisedAt *time.Time `db:"minimised_at"`
}

// Ref is the reference people see for the request, in every mail to the subject and to
// the DPO, on the dashboard and in the API: for a request that came by mail, the reference
// of its case, which the acknowledgement and the verification mail announced; otherwise
// domain.Ref of its id. (A request's Reference from the API is the controller's own.)
func (r Request) Ref() string {
	if r.Source == domain.SourceMail && r.Reference != nil && *r.Reference != "" {
		return *r.Reference
	}
	return domain.Ref(r.ID)
}

const requestColumns = `id, tenant_id, type, status, status_reason, source, subject_email, params, reference,
	idempotency_key, request_hash, received_at, clock_started_at, target_due, legal_due, extended_due,
	completed_at, result, updated_at, at_risk_at, target_breached_at, legal_breached_at, breach_reason,
	extended_at, extension_reason, paused_at, paused_days, minimised_at`

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
	// RefuseDuplicates refuses the request while the tenant has an open one for the same
	// subject and right (see CreateRequest).
	RefuseDuplicates bool
}

// DuplicateError is CreateRequest refusing a request because the tenant has an open one
// for the same subject and right (domain.ParamsDistinct says when the parameters count).
type DuplicateError struct {
	// Open is the open request the refused one would have repeated.
	Open Request
}

func (e *DuplicateError) Error() string {
	return "request " + e.Open.ID + " for the same subject and right is open"
}

// duplicateLockClass is the first key of the advisory locks that serialise the creations
// of requests of one tenant, right and subject (the second is a hash of those).
const duplicateLockClass = 0x64737203

// CreateRequest records a new request with status received. With an idempotency key that
// the tenant used before, it returns the earlier request and created=false, or
// ErrIdempotencyMismatch when the bodies differ. With n.RefuseDuplicates, a request of the
// tenant for the same subject (email in any letter case) and right that is not final
// refuses it: a *DuplicateError naming it, recorded as an event on it. Creations of one
// tenant, right and subject take turns, so that of two at once one is refused.
func (s *Store) CreateRequest(ctx context.Context, n NewRequest) (req Request, created bool, err error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Request{}, false, fmt.Errorf("create request: new id: %w", err)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Request{}, false, fmt.Errorf("create request: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	if n.RefuseDuplicates {
		req, found, err := earlierOrOpen(ctx, tx, n)
		if err != nil {
			return Request{}, false, fmt.Errorf("create request: %w", err)
		}
		if found {
			if err := tx.Rollback(); err != nil {
				return Request{}, false, fmt.Errorf("create request: %w", err)
			}
			return s.refused(ctx, n, req, id.String())
		}
	}
	err = tx.GetContext(ctx, &req, `
		INSERT INTO requests (id, tenant_id, type, status, source, subject_email, params, reference,
			idempotency_key, request_hash, received_at, clock_started_at, target_due, legal_due, extended_due)
		VALUES ($1, $2, $3, $15, $4, $5, $6, NULLIF($7, ''), NULLIF($8, ''), NULLIF($9, ''), $10, $11, $12, $13, $14)
		ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
		RETURNING `+requestColumns,
		id.String(), n.TenantID, n.Type, n.Source, n.SubjectEmail, n.Params, n.Reference,
		n.IdempotencyKey, n.RequestHash, n.ReceivedAt, n.ClockStartedAt, nullDate(n.TargetDue), nullDate(n.LegalDue), nullDate(n.ExtendedDue), domain.StatusReceived)
	if err == nil {
		if err := tx.Commit(); err != nil {
			return Request{}, false, fmt.Errorf("create request: commit: %w", err)
		}
		return req, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Request{}, false, fmt.Errorf("create request: %w", err)
	}
	// The key was used before: a replay, or a mistake.
	if req, err = byIdempotencyKey(ctx, tx, n); err != nil {
		return Request{}, false, fmt.Errorf("create request: read earlier request for idempotency key: %w", err)
	}
	return replayed(req, n)
}

// replayed is the earlier request of an idempotency key, or ErrIdempotencyMismatch when it
// was made from another body.
func replayed(req Request, n NewRequest) (Request, bool, error) {
	stored := ""
	if req.RequestHash != nil {
		stored = *req.RequestHash
	}
	if stored != n.RequestHash {
		return Request{}, false, ErrIdempotencyMismatch
	}
	return req, false, nil
}

func byIdempotencyKey(ctx context.Context, tx *sqlx.Tx, n NewRequest) (Request, error) {
	var req Request
	err := tx.GetContext(ctx, &req, `SELECT `+requestColumns+` FROM requests WHERE tenant_id = $1 AND idempotency_key = $2`,
		n.TenantID, n.IdempotencyKey)
	return req, err
}

// earlierOrOpen takes the lock of n's tenant, right and subject for the transaction, then
// finds the request n's idempotency key made before, or else an open request that n would
// repeat; found is false when there is neither.
func earlierOrOpen(ctx context.Context, tx *sqlx.Tx, n NewRequest) (Request, bool, error) {
	subject := strings.ToLower(strings.TrimSpace(n.SubjectEmail))
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`,
		duplicateLockClass, n.TenantID+" "+string(n.Type)+" "+subject); err != nil {
		return Request{}, false, fmt.Errorf("lock the subject's requests: %w", err)
	}
	if n.IdempotencyKey != "" {
		req, err := byIdempotencyKey(ctx, tx, n)
		if err == nil {
			return req, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return Request{}, false, fmt.Errorf("read earlier request for idempotency key: %w", err)
		}
	}
	// The parameters count only for the rights they tell apart; an objection's purposes
	// are a set.
	var params any
	if n.Type.ParamsDistinct() {
		b, err := json.Marshal(n.Params)
		if err != nil {
			return Request{}, false, fmt.Errorf("encode parameters: %w", err)
		}
		params = b
	}
	var open Request
	err := tx.GetContext(ctx, &open, `SELECT `+requestColumns+` FROM requests
		WHERE tenant_id = $1 AND type = $2 AND lower(subject_email) = $3 AND status <> ALL($4::text[])
		  AND ($5::jsonb IS NULL OR (
		      params - 'objection_purposes' = $5::jsonb - 'objection_purposes'
		      AND ARRAY(SELECT jsonb_array_elements_text(COALESCE(params->'objection_purposes', '[]')) ORDER BY 1)
		        = ARRAY(SELECT jsonb_array_elements_text(COALESCE($5::jsonb->'objection_purposes', '[]')) ORDER BY 1)))
		ORDER BY received_at, id LIMIT 1`, n.TenantID, n.Type, subject, finalStatuses(), params)
	if errors.Is(err, sql.ErrNoRows) {
		return Request{}, false, nil
	}
	if err != nil {
		return Request{}, false, fmt.Errorf("look for an open request of the subject: %w", err)
	}
	return open, true, nil
}

// refused answers a creation that found req: the replay of its idempotency key, or a
// duplicate of it, recorded on it as an event (with ids only) under the refused
// submission's own id.
func (s *Store) refused(ctx context.Context, n NewRequest, req Request, refusedID string) (Request, bool, error) {
	if n.IdempotencyKey != "" && req.IdempotencyKey != nil && *req.IdempotencyKey == n.IdempotencyKey {
		return replayed(req, n)
	}
	_, err := s.Record(ctx, domain.Change{
		RequestID: req.ID, DedupeKey: "duplicate_refused:" + refusedID, Kind: domain.EventDuplicateRefused,
		Actor:   domain.TenantActor(n.TenantID),
		Message: "a new " + string(n.Type) + " request for the same subject was refused while this one is open",
		Detail:  map[string]any{"source": n.Source},
	})
	if err != nil {
		return Request{}, false, fmt.Errorf("create request: record the refused duplicate: %w", err)
	}
	return Request{}, false, &DuplicateError{Open: req}
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
