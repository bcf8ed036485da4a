package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"dsr/internal/domain"
)

// Webhook is a tenant's subscription to webhook events.
type Webhook struct {
	ID       string `db:"id"`
	TenantID string `db:"tenant_id"`
	URL      string `db:"url"`
	// Events are the event types sent; empty: all.
	Events      pq.StringArray `db:"events"`
	Description string         `db:"description"`
	CreatedAt   time.Time      `db:"created_at"`
	UpdatedAt   time.Time      `db:"updated_at"`
}

// EventTypes returns the subscription's event types as the domain's values.
func (w Webhook) EventTypes() []domain.WebhookEvent {
	out := make([]domain.WebhookEvent, len(w.Events))
	for i, e := range w.Events {
		out[i] = domain.WebhookEvent(e)
	}
	return out
}

// SealedSecret is one of a subscription's signing secrets, sealed; its id is the aad it was
// sealed with.
type SealedSecret struct {
	ID        string     `db:"id"`
	Sealed    []byte     `db:"sealed"`
	CreatedAt time.Time  `db:"created_at"`
	ExpiresAt *time.Time `db:"expires_at"`
}

// Delivery is one delivery of an event to a subscription.
type Delivery struct {
	ID             string                `db:"id"`
	SubscriptionID string                `db:"subscription_id"`
	EventID        string                `db:"event_id"`
	EventType      domain.WebhookEvent   `db:"event_type"`
	Status         domain.DeliveryStatus `db:"status"`
	Attempts       int                   `db:"attempts"`
	LastStatusCode *int                  `db:"last_status_code"`
	LastLatencyMS  *int                  `db:"last_latency_ms"`
	LastError      *string               `db:"last_error"`
	FirstAttemptAt *time.Time            `db:"first_attempt_at"`
	NextAttemptAt  *time.Time            `db:"next_attempt_at"`
	DeliveredAt    *time.Time            `db:"delivered_at"`
	FailedAt       *time.Time            `db:"failed_at"`
	CreatedAt      time.Time             `db:"created_at"`
}

// Attempt is one try of a delivery: what the receiver answered and how fast, or what kind
// of error there was; never the response body.
type Attempt struct {
	N          int                  `db:"n"`
	At         time.Time            `db:"at"`
	StatusCode *int                 `db:"status_code"`
	LatencyMS  int                  `db:"latency_ms"`
	ErrorKind  *domain.AttemptError `db:"error_kind"`
}

// DeliveryJob is what an attempt needs: the delivery, where it goes and the body it sends
// (for an OpenDSR status callback, the status it reports).
type DeliveryJob struct {
	Delivery
	TenantID  string `db:"tenant_id"`
	RequestID string `db:"request_id"`
	URL       string `db:"url"`
	// Callback is set for an OpenDSR status callback (SubscriptionID is then empty).
	Callback bool   `db:"callback"`
	Payload  []byte `db:"payload"`
}

const webhookColumns = `id, tenant_id, url, events, description, created_at, updated_at`

const deliveryColumns = `d.id, coalesce(d.subscription_id::text, '') AS subscription_id, d.event_id, e.type AS event_type, d.status, d.attempts,
	d.last_status_code, d.last_latency_ms, d.last_error, d.first_attempt_at, d.next_attempt_at, d.delivered_at,
	d.failed_at, d.created_at`

// CreateWebhook records a subscription (w.ID set by the caller) with its first signing
// secret, sealed (secret.ID set by the caller, the aad it was sealed with).
func (s *Store) CreateWebhook(ctx context.Context, w Webhook, secret SealedSecret) (Webhook, error) {
	if w.Events == nil {
		w.Events = pq.StringArray{}
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &w, `INSERT INTO webhook_subscriptions (id, tenant_id, url, events, description)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+webhookColumns, w.ID, w.TenantID, w.URL, w.Events, w.Description)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO webhook_secrets (id, subscription_id, sealed) VALUES ($1, $2, $3)`,
			secret.ID, w.ID, secret.Sealed)
		return err
	})
	if err != nil {
		return Webhook{}, fmt.Errorf("create webhook of tenant %s: %w", w.TenantID, err)
	}
	return w, nil
}

// Webhooks returns a tenant's subscriptions, oldest first.
func (s *Store) Webhooks(ctx context.Context, tenantID string) ([]Webhook, error) {
	var out []Webhook
	if err := s.db.SelectContext(ctx, &out, `SELECT `+webhookColumns+` FROM webhook_subscriptions
		WHERE tenant_id = $1 ORDER BY id`, tenantID); err != nil {
		return nil, fmt.Errorf("list webhooks of tenant %s: %w", tenantID, err)
	}
	return out, nil
}

// GetWebhook returns one of a tenant's subscriptions; ErrNotFound when it has no such one.
func (s *Store) GetWebhook(ctx context.Context, tenantID, id string) (Webhook, error) {
	var w Webhook
	err := s.db.GetContext(ctx, &w, `SELECT `+webhookColumns+` FROM webhook_subscriptions
		WHERE id = $1 AND tenant_id = $2`, id, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return w, ErrNotFound
	}
	if err != nil {
		return w, fmt.Errorf("read webhook %s: %w", id, err)
	}
	return w, nil
}

// WebhookPatch changes a subscription; nil fields stay.
type WebhookPatch struct {
	URL         *string
	Events      []domain.WebhookEvent
	SetEvents   bool
	Description *string
}

// UpdateWebhook applies p to one of a tenant's subscriptions.
func (s *Store) UpdateWebhook(ctx context.Context, tenantID, id string, p WebhookPatch) (Webhook, error) {
	var events any
	if p.SetEvents {
		events = pq.Array(domain.Strings(p.Events))
	}
	var w Webhook
	err := s.db.GetContext(ctx, &w, `UPDATE webhook_subscriptions SET
			url = COALESCE($3, url),
			events = COALESCE($4::text[], events),
			description = COALESCE($5, description),
			updated_at = now()
		WHERE id = $1 AND tenant_id = $2 RETURNING `+webhookColumns, id, tenantID, p.URL, events, p.Description)
	if errors.Is(err, sql.ErrNoRows) {
		return w, ErrNotFound
	}
	if err != nil {
		return w, fmt.Errorf("update webhook %s: %w", id, err)
	}
	return w, nil
}

// DeleteWebhook deletes one of a tenant's subscriptions with its secrets and deliveries;
// deliveries under way stop at their next attempt.
func (s *Store) DeleteWebhook(ctx context.Context, tenantID, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM webhook_subscriptions WHERE id = $1 AND tenant_id = $2`, id, tenantID)
	if err != nil {
		return fmt.Errorf("delete webhook %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// RotateWebhookSecret adds a new current secret to one of a tenant's subscriptions; the
// secrets current until now sign on for overlap.
func (s *Store) RotateWebhookSecret(ctx context.Context, tenantID, id string, secret SealedSecret, overlap time.Duration) error {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var ok bool
		if err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE id = $1 AND tenant_id = $2 FOR UPDATE)`,
			id, tenantID); err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_secrets SET expires_at = now() + $2 * interval '1 millisecond'
			WHERE subscription_id = $1 AND expires_at IS NULL`, id, overlap.Milliseconds()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_secrets (id, subscription_id, sealed) VALUES ($1, $2, $3)`,
			secret.ID, id, secret.Sealed)
		return err
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("rotate the secret of webhook %s: %w", id, err)
	}
	return err
}

// ActiveWebhookSecrets returns the secrets that sign a subscription's deliveries now: the
// current one first, then those rotated out whose overlap has not ended.
func (s *Store) ActiveWebhookSecrets(ctx context.Context, subscriptionID string) ([]SealedSecret, error) {
	var out []SealedSecret
	err := s.db.SelectContext(ctx, &out, `SELECT id, sealed, created_at, expires_at FROM webhook_secrets
		WHERE subscription_id = $1 AND (expires_at IS NULL OR expires_at > now())
		ORDER BY expires_at DESC NULLS FIRST, created_at DESC`, subscriptionID)
	if err != nil {
		return nil, fmt.Errorf("read the secrets of webhook %s: %w", subscriptionID, err)
	}
	return out, nil
}

// requestState is a request as a webhook event describes it, before a change.
type requestState struct {
	TenantID  string             `db:"tenant_id"`
	Type      domain.RequestType `db:"type"`
	Status    domain.Status      `db:"status"`
	Reference *string            `db:"reference"`
}

// requestBefore reads the request a change applies to, before it applies, when the change
// can make a webhook event (a status or a package); nil otherwise.
func requestBefore(ctx context.Context, tx *sqlx.Tx, c domain.Change) (*requestState, error) {
	if c.Status == "" && c.Kind != domain.EventPackageReady {
		return nil, nil
	}
	var r requestState
	if err := tx.GetContext(ctx, &r, `SELECT tenant_id, type, status, reference FROM requests WHERE id = $1 FOR UPDATE`,
		c.RequestID); err != nil {
		return nil, fmt.Errorf("read request %s: %w", c.RequestID, err)
	}
	return &r, nil
}

// WebhookPayload is the body of a webhook delivery.
type WebhookPayload struct {
	ID        string              `json:"id"`
	Type      domain.WebhookEvent `json:"type"`
	CreatedAt time.Time           `json:"created_at"`
	Data      WebhookData         `json:"data"`
}

// WebhookData is what an event says of its request: ids, type and statuses, never the
// subject.
type WebhookData struct {
	RequestID      string             `json:"request_id"`
	TenantID       string             `json:"tenant_id"`
	Type           domain.RequestType `json:"type"`
	Status         domain.Status      `json:"status"`
	PreviousStatus domain.Status      `json:"previous_status"`
	Reference      string             `json:"reference,omitempty"`
}

// queueWebhooks queues, in the change's transaction, the webhook event the change makes (a
// status that changes, a package that is ready) and a delivery of it to each subscription
// of the tenant that wants it; it returns the deliveries' ids. Nothing is queued for a
// tenant without such a subscription.
func queueWebhooks(ctx context.Context, tx *sqlx.Tx, c domain.Change, before *requestState) ([]string, error) {
	if before == nil {
		return nil, nil
	}
	var typ domain.WebhookEvent
	now := before.Status
	switch {
	case c.Kind == domain.EventPackageReady:
		typ = domain.WebhookPackageReady
	case c.Status != "" && c.Status != before.Status:
		typ, now = domain.WebhookStatusChanged, c.Status
	default:
		return nil, nil
	}
	var subs []string
	if err := tx.SelectContext(ctx, &subs, `SELECT id FROM webhook_subscriptions
		WHERE tenant_id = $1 AND (cardinality(events) = 0 OR $2 = ANY(events)) ORDER BY id`, before.TenantID, typ); err != nil {
		return nil, fmt.Errorf("find the webhooks of tenant %s: %w", before.TenantID, err)
	}
	if len(subs) == 0 {
		return nil, nil
	}
	id, err := NewID()
	if err != nil {
		return nil, err
	}
	p := WebhookPayload{ID: id, Type: typ, CreatedAt: time.Now().UTC().Truncate(time.Millisecond), Data: WebhookData{
		RequestID: c.RequestID, TenantID: before.TenantID, Type: before.Type, Status: now, PreviousStatus: before.Status}}
	if before.Reference != nil {
		p.Data.Reference = *before.Reference
	}
	body, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode webhook event: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_events (id, tenant_id, request_id, type, payload, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, before.TenantID, c.RequestID, typ, body, p.CreatedAt); err != nil {
		return nil, fmt.Errorf("queue webhook event: %w", err)
	}
	ids := make([]string, len(subs))
	for i := range subs {
		if ids[i], err = NewID(); err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, subscription_id, event_id, status)
		SELECT d, s, $3, $4 FROM unnest($1::uuid[], $2::uuid[]) AS x(d, s)`,
		pq.Array(ids), pq.Array(subs), id, domain.DeliveryQueued); err != nil {
		return nil, fmt.Errorf("queue webhook deliveries: %w", err)
	}
	return ids, nil
}

// DeliveryFilter pages through a subscription's deliveries, newest first.
type DeliveryFilter struct {
	TenantID, SubscriptionID string
	// Before is the id of the last delivery of the previous page.
	Before string
	Limit  int
}

// Deliveries returns a page of a subscription's deliveries, newest first, and whether more
// follow.
func (s *Store) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, bool, error) {
	var out []Delivery
	err := s.db.SelectContext(ctx, &out, `SELECT `+deliveryColumns+`
		FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
		JOIN webhook_subscriptions w ON w.id = d.subscription_id
		WHERE d.subscription_id = $1 AND w.tenant_id = $2 AND ($3 = '' OR d.id < $3::uuid)
		ORDER BY d.id DESC LIMIT $4`, f.SubscriptionID, f.TenantID, f.Before, f.Limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list deliveries of webhook %s: %w", f.SubscriptionID, err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, nil
}

// GetDelivery returns one delivery of a tenant's subscription with its attempts, first
// first.
func (s *Store) GetDelivery(ctx context.Context, tenantID, subscriptionID, id string) (Delivery, []Attempt, error) {
	var d Delivery
	err := s.db.GetContext(ctx, &d, `SELECT `+deliveryColumns+`
		FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
		JOIN webhook_subscriptions w ON w.id = d.subscription_id
		WHERE d.id = $1 AND d.subscription_id = $2 AND w.tenant_id = $3`, id, subscriptionID, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil, ErrNotFound
	}
	if err != nil {
		return d, nil, fmt.Errorf("read delivery %s: %w", id, err)
	}
	attempts := []Attempt{}
	if err := s.db.SelectContext(ctx, &attempts, `SELECT n, at, status_code, latency_ms, error_kind FROM webhook_attempts
		WHERE delivery_id = $1 ORDER BY n`, id); err != nil {
		return d, nil, fmt.Errorf("read the attempts of delivery %s: %w", id, err)
	}
	return d, attempts, nil
}

// Redeliver queues a new delivery of the event of one of a tenant's deliveries, to the
// same subscription, and returns it.
func (s *Store) Redeliver(ctx context.Context, tenantID, subscriptionID, id string) (Delivery, error) {
	nid, err := NewID()
	if err != nil {
		return Delivery{}, err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, subscription_id, event_id, status)
		SELECT $1, d.subscription_id, d.event_id, $5 FROM webhook_deliveries d
		JOIN webhook_subscriptions w ON w.id = d.subscription_id
		WHERE d.id = $2 AND d.subscription_id = $3 AND w.tenant_id = $4`, nid, id, subscriptionID, tenantID, domain.DeliveryQueued)
	if err != nil {
		return Delivery{}, fmt.Errorf("redeliver %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Delivery{}, ErrNotFound
	}
	d, _, err := s.GetDelivery(ctx, tenantID, subscriptionID, nid)
	return d, err
}

// DeliveryJob reads what an attempt of a delivery needs; ErrNotFound when the delivery
// (or its subscription) is gone.
func (s *Store) DeliveryJob(ctx context.Context, id string) (DeliveryJob, error) {
	var j DeliveryJob
	err := s.db.GetContext(ctx, &j, `SELECT `+deliveryColumns+`, e.tenant_id, e.request_id,
			coalesce(d.callback_url, w.url) AS url, d.callback_url IS NOT NULL AS callback, e.payload
		FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
		LEFT JOIN webhook_subscriptions w ON w.id = d.subscription_id
		WHERE d.id = $1 AND (d.callback_url IS NOT NULL OR w.id IS NOT NULL)`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return j, ErrNotFound
	}
	if err != nil {
		return j, fmt.Errorf("read delivery %s: %w", id, err)
	}
	return j, nil
}

// AttemptOutcome is how an attempt leaves its delivery: delivered, failed for good, or
// queued for the next attempt at Next.
type AttemptOutcome struct {
	Status domain.DeliveryStatus
	Next   *time.Time
}

// RecordAttempt records an attempt of a delivery that is queued and applies its outcome,
// in one transaction; the first attempt starts the delivery's retry budget. It reports
// false (recording nothing) when the delivery is gone or no longer queued.
func (s *Store) RecordAttempt(ctx context.Context, id string, a Attempt, o AttemptOutcome) (bool, error) {
	var ok bool
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		err := tx.GetContext(ctx, &n, `UPDATE webhook_deliveries SET attempts = attempts + 1,
				last_status_code = $2, last_latency_ms = $3, last_error = $4,
				first_attempt_at = COALESCE(first_attempt_at, $5),
				status = $6, next_attempt_at = $7,
				delivered_at = CASE WHEN $6 = $8 THEN $5 END,
				failed_at = CASE WHEN $6 = $9 THEN $5 END
			WHERE id = $1 AND status = $10 RETURNING attempts`,
			id, a.StatusCode, a.LatencyMS, a.ErrorKind, a.At, o.Status, o.Next,
			domain.DeliveryDelivered, domain.DeliveryFailed, domain.DeliveryQueued)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = true
		if _, err = tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, n, at, status_code, latency_ms, error_kind)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, n, a.At, a.StatusCode, a.LatencyMS, a.ErrorKind); err != nil || o.Status != domain.DeliveryDelivered {
			return err
		}
		// A status callback delivered: its URL was last sent to now.
		_, err = tx.ExecContext(ctx, `UPDATE opendsr_callbacks c SET last_sent_at = $2
			FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
			WHERE d.id = $1 AND c.request_id = e.request_id AND c.url = d.callback_url`, id, a.At)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record an attempt of delivery %s: %w", id, err)
	}
	return ok, nil
}

// UnstartedDeliveries returns up to limit queued deliveries whose workflow is not known to
// have started, oldest first.
func (s *Store) UnstartedDeliveries(ctx context.Context, limit int) ([]string, error) {
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM webhook_deliveries WHERE started_at IS NULL AND status = $1
		ORDER BY id LIMIT $2`, domain.DeliveryQueued, limit); err != nil {
		return nil, fmt.Errorf("list unstarted deliveries: %w", err)
	}
	return ids, nil
}

// DeliveriesStarted notes that the deliveries' workflows run.
func (s *Store) DeliveriesStarted(ctx context.Context, ids []string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE webhook_deliveries SET started_at = now()
		WHERE id = ANY($1::uuid[]) AND started_at IS NULL`, pq.Array(ids)); err != nil {
		return fmt.Errorf("mark deliveries started: %w", err)
	}
	return nil
}

// PurgeDeliveries deletes, up to limit at a time, the deliveries (with their attempts) that
// ended, delivered or failed, before before, then the events no delivery refers to any
// more that were made before before; it returns how many deliveries it deleted. Queued
// deliveries are kept whatever their age.
func (s *Store) PurgeDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE id IN (
				SELECT id FROM webhook_deliveries WHERE status IN ($1, $2) AND coalesce(delivered_at, failed_at) < $3
				LIMIT $4)`, domain.DeliveryDelivered, domain.DeliveryFailed, before, limit)
		if err != nil {
			return err
		}
		d, _ := res.RowsAffected()
		n = int(d)
		_, err = tx.ExecContext(ctx, `DELETE FROM webhook_events e WHERE e.created_at < $1
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)`, before)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge old webhook deliveries: %w", err)
	}
	return n, nil
}

// inTx runs fn in a transaction, committed when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
