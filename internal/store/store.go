// Package store is dsr's record in its own PostgreSQL database: tenants, API keys, requests,
// their append-only events and the objection suppression list. Every query is scoped to a
// tenant where a tenant is involved.
package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"dsr/internal/domain"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// ErrNotFound is returned when a row does not exist (or belongs to another tenant).
var ErrNotFound = errors.New("not found")

// ErrIdempotencyMismatch is returned when an Idempotency-Key is reused with another body.
var ErrIdempotencyMismatch = errors.New("idempotency key was used with a different request")

// MessageID is the local part of the Message-ID of dsr's mail about a reference
// ("DSR-xxxxxxxx"): "dsr-xxxxxxxx." and what, which tells the mails apart. A reply's
// In-Reply-To names it, which is how the mailroom finds the reference again.
func MessageID(ref, what string) string {
	return "dsr-" + strings.ToLower(strings.TrimPrefix(ref, "DSR-")) + "." + what
}

// Store reads and writes the orchestrator database.
type Store struct {
	db *sqlx.DB
	// record lets one Record of this process at a time wait for the audit chain's
	// advisory lock: the others wait here, without holding a database connection that the
	// rest of the process needs.
	record sync.Mutex
}

// New returns a Store on db.
func New(db *sqlx.DB) *Store { return &Store{db: db} }

// DB returns the underlying pool.
func (s *Store) DB() *sqlx.DB { return s.db }

// Tenant is one customer of the vendor: a controller.
type Tenant struct {
	ID         string        `db:"id" json:"id"`
	Name       string        `db:"name" json:"name"`
	Region     domain.Region `db:"region" json:"region"`
	Country    string        `db:"country" json:"country"`
	TZ         string        `db:"tz" json:"tz"`
	TargetDays int           `db:"target_days" json:"target_days"`
	CreatedAt  time.Time     `db:"created_at" json:"created_at"`
}

// CreateTenant inserts a tenant (with a new id unless t has one) and returns it.
func (s *Store) CreateTenant(ctx context.Context, t Tenant) (Tenant, error) {
	return createTenant(ctx, s.db, t)
}

// CreateTenantWithKey inserts a tenant and its first API key in one transaction and
// returns the key in the clear.
func (s *Store) CreateTenantWithKey(ctx context.Context, t Tenant) (Tenant, string, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Tenant{}, "", fmt.Errorf("create tenant: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	if t, err = createTenant(ctx, tx, t); err != nil {
		return Tenant{}, "", err
	}
	key, err := createAPIKey(ctx, tx, t.ID)
	if err != nil {
		return Tenant{}, "", err
	}
	if err := tx.Commit(); err != nil {
		return Tenant{}, "", fmt.Errorf("create tenant: commit: %w", err)
	}
	return t, key, nil
}

func createTenant(ctx context.Context, q sqlx.QueryerContext, t Tenant) (Tenant, error) {
	if t.ID == "" {
		t.ID = uuid.NewString()
	}
	if t.TargetDays == 0 {
		t.TargetDays = 4
	}
	err := sqlx.GetContext(ctx, q, &t, `
		INSERT INTO tenants (id, name, region, country, tz, target_days)
		VALUES ($1, $2, $3, $4, $5, $6)
		RETURNING id, name, region, country, tz, target_days, created_at`,
		t.ID, t.Name, t.Region, t.Country, t.TZ, t.TargetDays)
	if err != nil {
		return Tenant{}, fmt.Errorf("create tenant: %w", err)
	}
	return t, nil
}

// GetTenant returns the tenant with id.
func (s *Store) GetTenant(ctx context.Context, id string) (Tenant, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Tenant{}, ErrNotFound
	}
	var t Tenant
	err := s.db.GetContext(ctx, &t, `SELECT id, name, region, country, tz, target_days, created_at FROM tenants WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Tenant{}, ErrNotFound
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("get tenant %s: %w", id, err)
	}
	return t, nil
}

const keyPrefix = "dsr_"

// CreateAPIKey makes a new random API key for the tenant and returns it in the clear; only
// its hash is stored, so this is the one time it can be shown.
func (s *Store) CreateAPIKey(ctx context.Context, tenantID string) (string, error) {
	return createAPIKey(ctx, s.db, tenantID)
}

func createAPIKey(ctx context.Context, q sqlx.ExecerContext, tenantID string) (string, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("create api key: random: %w", err)
	}
	key := keyPrefix + base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(key))
	_, err := q.ExecContext(ctx, `INSERT INTO api_keys (id, tenant_id, prefix, key_hash) VALUES ($1, $2, $3, $4)`,
		uuid.NewString(), tenantID, key[:len(keyPrefix)+6], sum[:])
	if err != nil {
		return "", fmt.Errorf("create api key for tenant %s: %w", tenantID, err)
	}
	return key, nil
}

// TenantByAPIKey returns the tenant that owns an unrevoked key.
func (s *Store) TenantByAPIKey(ctx context.Context, key string) (Tenant, error) {
	if !strings.HasPrefix(key, keyPrefix) {
		return Tenant{}, ErrNotFound
	}
	sum := sha256.Sum256([]byte(key))
	var t Tenant
	err := s.db.GetContext(ctx, &t, `
		SELECT t.id, t.name, t.region, t.country, t.tz, t.target_days, t.created_at
		FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
		WHERE k.key_hash = $1 AND k.revoked_at IS NULL`, sum[:])
	if errors.Is(err, sql.ErrNoRows) {
		return Tenant{}, ErrNotFound
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("look up api key: %w", err)
	}
	return t, nil
}

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

// JSON is a jsonb column holding any JSON document.
type JSON json.RawMessage

// Value stores the document; an empty one is NULL.
func (j JSON) Value() (driver.Value, error) {
	if len(j) == 0 {
		return nil, nil
	}
	return []byte(j), nil
}

// Scan reads the document.
func (j *JSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = nil
	case []byte:
		*j = append((*j)[:0], v...)
	case string:
		*j = JSON(v)
	default:
		return fmt.Errorf("scan json: unexpected %T", src)
	}
	return nil
}

// MarshalJSON returns the document, or null.
func (j JSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// UnmarshalJSON keeps the document as it is.
func (j *JSON) UnmarshalJSON(b []byte) error {
	*j = append((*j)[:0], b...)
	return nil
}

func scanJSON(src, dst any) error {
	switch v := src.(type) {
	case nil:
		return nil
	case []byte:
		return json.Unmarshal(v, dst)
	case string:
		return json.Unmarshal([]byte(v), dst)
	}
	return fmt.Errorf("scan json: unexpected %T", src)
}

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

// Event is one entry in a request's history.
type Event struct {
	ID        int64            `db:"id" json:"id"`
	RequestID string           `db:"request_id" json:"-"`
	At        time.Time        `db:"at" json:"at"`
	Kind      domain.EventKind `db:"kind" json:"kind"`
	Status    *domain.Status   `db:"status" json:"status,omitempty"`
	Actor     domain.Actor     `db:"actor" json:"actor"`
	Message   string           `db:"message" json:"message"`
	Detail    JSON             `db:"detail" json:"detail,omitempty"`
	DedupeKey string           `db:"dedupe_key" json:"-"`
	// ChainHash links the event to the request's previous one; GlobalHash to the previous
	// event of any request.
	ChainHash  []byte `db:"chain_hash" json:"-"`
	GlobalHash []byte `db:"global_hash" json:"-"`
}

// chainLockKey serialises writers of the global audit chain.
const chainLockKey = 0x64737202

// Canonical is the event's content as its hashes cover it: a JSON array of its fields, the
// time in UTC with microseconds, the detail as PostgreSQL's jsonb prints it.
func (e Event) Canonical() []byte {
	var status domain.Status
	if e.Status != nil {
		status = *e.Status
	}
	b, _ := json.Marshal([]string{"dsr-event-v1", e.RequestID, e.At.UTC().Format("2006-01-02T15:04:05.000000Z"),
		string(e.Kind), string(status), string(e.Actor), e.Message, string(e.Detail), e.DedupeKey})
	return b
}

// ChainHash is SHA-256 of the previous hash (empty for the first event) and the content.
func ChainHash(prev, content []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(content)
	return h.Sum(nil)
}

// Record appends the change's event and applies its status and result, in one
// transaction. It reports whether the change was new.
func (s *Store) Record(ctx context.Context, c domain.Change) (bool, error) {
	s.record.Lock()
	defer s.record.Unlock()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("record %s on request %s: begin: %w", c.Kind, c.RequestID, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit

	detail := []byte("{}")
	if c.Detail != nil {
		if detail, err = json.Marshal(c.Detail); err != nil {
			return false, fmt.Errorf("record %s on request %s: encode detail: %w", c.Kind, c.RequestID, err)
		}
	}
	// One writer at a time extends the global chain.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, chainLockKey); err != nil {
		return false, fmt.Errorf("record %s on request %s: lock the audit chain: %w", c.Kind, c.RequestID, err)
	}
	var dup bool
	if err := tx.GetContext(ctx, &dup, `SELECT EXISTS (SELECT 1 FROM request_events WHERE request_id = $1 AND dedupe_key = $2)`,
		c.RequestID, c.DedupeKey); err != nil {
		return false, fmt.Errorf("record %s on request %s: %w", c.Kind, c.RequestID, err)
	}
	if dup {
		return false, nil
	}
	ev := Event{RequestID: c.RequestID, At: time.Now().UTC().Truncate(time.Microsecond), Kind: c.Kind, Actor: c.Actor,
		Message: c.Message, DedupeKey: c.DedupeKey}
	if c.Status != "" {
		ev.Status = &c.Status
	}
	// The stored form of the detail (jsonb normalises it) is what the hash covers.
	var normal string
	if err := tx.GetContext(ctx, &normal, `SELECT $1::jsonb::text`, detail); err != nil {
		return false, fmt.Errorf("record %s on request %s: detail is not JSON: %w", c.Kind, c.RequestID, err)
	}
	ev.Detail = JSON(normal)
	var prev struct {
		Chain  []byte `db:"chain_hash"`
		Global []byte `db:"global_hash"`
	}
	err = tx.GetContext(ctx, &prev.Chain, `SELECT chain_hash FROM request_events WHERE request_id = $1 ORDER BY id DESC LIMIT 1`, c.RequestID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("record %s on request %s: read the request's chain: %w", c.Kind, c.RequestID, err)
	}
	err = tx.GetContext(ctx, &prev.Global, `SELECT global_hash FROM request_events ORDER BY id DESC LIMIT 1`)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("record %s on request %s: read the global chain: %w", c.Kind, c.RequestID, err)
	}
	content := ev.Canonical()
	ev.ChainHash = ChainHash(prev.Chain, content)
	ev.GlobalHash = ChainHash(prev.Global, content)
	res, err := tx.ExecContext(ctx, `
		INSERT INTO request_events (request_id, at, kind, status, actor, message, detail, dedupe_key, chain_hash, global_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (request_id, dedupe_key) DO NOTHING`,
		ev.RequestID, ev.At, ev.Kind, ev.Status, ev.Actor, ev.Message, normal, ev.DedupeKey, ev.ChainHash, ev.GlobalHash)
	if err != nil {
		return false, fmt.Errorf("record %s on request %s: insert event: %w", c.Kind, c.RequestID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	var result any
	if c.Result != nil {
		b, err := json.Marshal(c.Result)
		if err != nil {
			return false, fmt.Errorf("record %s on request %s: encode result: %w", c.Kind, c.RequestID, err)
		}
		result = b
	}
	_, err = tx.ExecContext(ctx, `
		UPDATE requests SET
			status = COALESCE(NULLIF($2, ''), status),
			status_reason = CASE WHEN $2 = '' THEN status_reason ELSE NULLIF($3, '') END,
			result = COALESCE($4::jsonb, result),
			completed_at = CASE WHEN $2 = ANY($5::text[]) THEN now() ELSE completed_at END,
			updated_at = now()
		WHERE id = $1`, c.RequestID, c.Status, c.StatusReason, result, finalStatuses())
	if err != nil {
		return false, fmt.Errorf("record %s on request %s: update request: %w", c.Kind, c.RequestID, err)
	}
	if k := c.Clock; k != nil {
		_, err = tx.ExecContext(ctx, `
			UPDATE requests SET
				at_risk_at = CASE WHEN $2 THEN COALESCE(at_risk_at, now()) ELSE at_risk_at END,
				target_breached_at = CASE WHEN $3 THEN COALESCE(target_breached_at, now()) ELSE target_breached_at END,
				legal_breached_at = CASE WHEN $4 THEN COALESCE(legal_breached_at, now()) ELSE legal_breached_at END,
				breach_reason = CASE WHEN $3 OR $4 THEN COALESCE(NULLIF($5, ''), breach_reason) ELSE breach_reason END,
				extended_at = CASE WHEN $6 THEN COALESCE(extended_at, now()) ELSE extended_at END,
				extension_reason = COALESCE(NULLIF($7, ''), extension_reason),
				paused_at = CASE $8 WHEN 'start' THEN now() WHEN 'end' THEN NULL ELSE paused_at END,
				paused_days = paused_days + $9,
				target_due = COALESCE($10, target_due),
				legal_due = COALESCE($11, legal_due),
				extended_due = COALESCE($12, extended_due),
				clock_started_at = COALESCE(clock_started_at, $13)
			WHERE id = $1`, c.RequestID, k.AtRisk, k.TargetBreached, k.LegalBreached, k.BreachReason,
			k.Extended, k.ExtensionReason, k.Pause, k.AddPausedDays, k.TargetDue, k.LegalDue, k.ExtendedDue, k.ClockStartedAt)
		if err != nil {
			return false, fmt.Errorf("record %s on request %s: update clocks: %w", c.Kind, c.RequestID, err)
		}
	}
	if err := notifyOnChange(ctx, tx, c); err != nil {
		return false, fmt.Errorf("record %s on request %s: %w", c.Kind, c.RequestID, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("record %s on request %s: commit: %w", c.Kind, c.RequestID, err)
	}
	return true, nil
}

// Events returns a request's events in the order they happened.
func (s *Store) Events(ctx context.Context, requestID string) ([]Event, error) {
	var out []Event
	err := s.db.SelectContext(ctx, &out, `SELECT id, request_id, at, kind, status, actor, message, detail, dedupe_key,
		chain_hash, global_hash
		FROM request_events WHERE request_id = $1 ORDER BY id`, requestID)
	if err != nil {
		return nil, fmt.Errorf("events of request %s: %w", requestID, err)
	}
	return out, nil
}

// Suppress puts a hashed subject on the tenant's suppression list for the purposes; it is
// idempotent.
func (s *Store) Suppress(ctx context.Context, tenantID, emailHash, requestID string, purposes []domain.Purpose) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO suppressions (tenant_id, email_hash, purpose, request_id)
		SELECT $1, $2, p, $3 FROM unnest($4::text[]) AS p
		ON CONFLICT DO NOTHING`, tenantID, emailHash, requestID, pq.Array(domain.Strings(purposes)))
	if err != nil {
		return fmt.Errorf("suppress subject of request %s: %w", requestID, err)
	}
	return nil
}

// Suppressed returns the purposes a hashed subject objected to.
func (s *Store) Suppressed(ctx context.Context, tenantID, emailHash string) ([]domain.Purpose, error) {
	var out []domain.Purpose
	err := s.db.SelectContext(ctx, &out, `SELECT purpose FROM suppressions WHERE tenant_id = $1 AND email_hash = $2 ORDER BY purpose`,
		tenantID, emailHash)
	if err != nil {
		return nil, fmt.Errorf("read suppressions: %w", err)
	}
	return out, nil
}

// EnsureSetting stores value under name unless a value is there already, and returns the
// value that is stored.
func (s *Store) EnsureSetting(ctx context.Context, name, value string) (string, error) {
	var stored string
	err := s.db.GetContext(ctx, &stored, `
		WITH ins AS (
			INSERT INTO settings (name, value) VALUES ($1, $2)
			ON CONFLICT (name) DO NOTHING
			RETURNING value)
		SELECT value FROM ins
		UNION ALL
		SELECT value FROM settings WHERE name = $1
		LIMIT 1`, name, value)
	if err != nil {
		return "", fmt.Errorf("ensure setting %s: %w", name, err)
	}
	return stored, nil
}

// HasEvent reports whether the request has an event with the dedupe key.
func (s *Store) HasEvent(ctx context.Context, requestID, dedupeKey string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM request_events WHERE request_id = $1 AND dedupe_key = $2)`, requestID, dedupeKey)
	if err != nil {
		return false, fmt.Errorf("look for event %s of request %s: %w", dedupeKey, requestID, err)
	}
	return ok, nil
}

// finalStatuses is domain.FinalStatuses as a text[] parameter.
func finalStatuses() any { return pq.Array(domain.Strings(domain.FinalStatuses)) }
