package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"dsr/internal/domain"
)

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

// Record appends the change's event and applies its status, result and clocks, in one
// transaction. It reports whether the change was new: a change whose dedupe key the
// request has already is not recorded again.
func (s *Store) Record(ctx context.Context, c domain.Change) (bool, error) {
	return s.RecordNotifying(ctx, c, "")
}

// RecordNotifying is Record that also queues, in the same transaction, the mail of kind
// mailKind (none when empty) to the subject of a request that came by mail, so that the
// mail goes exactly when the change is recorded. Which mail a change sends is the mail
// code's decision (letters.ForChange).
func (s *Store) RecordNotifying(ctx context.Context, c domain.Change, mailKind string) (bool, error) {
	var recorded bool
	err := s.inRecordTx(ctx, func(tx *sqlx.Tx, queued *[]string) error {
		var err error
		if recorded, err = recordTx(ctx, tx, c, queued); err != nil || !recorded {
			return err
		}
		return queueSubjectMail(ctx, tx, c.RequestID, mailKind)
	})
	if err != nil {
		return false, fmt.Errorf("record %s on request %s: %w", c.Kind, c.RequestID, err)
	}
	return recorded, nil
}

// inRecordTx runs fn in a transaction that holds the audit chain's lock: one writer at a
// time extends the global chain. The writers of this process wait for the lock one at a
// time, without each holding a connection that the rest of the process needs. fn adds the
// webhook deliveries it queues to queued; once committed, they are handed to the function
// OnDeliveriesQueued set.
func (s *Store) inRecordTx(ctx context.Context, fn func(tx *sqlx.Tx, queued *[]string) error) error {
	var queued []string
	if err := s.recordLocked(ctx, fn, &queued); err != nil {
		return err
	}
	if len(queued) > 0 && s.deliveriesQueued != nil {
		s.deliveriesQueued(ctx, queued)
	}
	return nil
}

func (s *Store) recordLocked(ctx context.Context, fn func(tx *sqlx.Tx, queued *[]string) error, queued *[]string) error {
	s.record.Lock()
	defer s.record.Unlock()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, chainLockKey); err != nil {
		return fmt.Errorf("lock the audit chain: %w", err)
	}
	if err := fn(tx, queued); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// recordTx appends the change's event, chained, applies the change to its request and
// queues the webhook deliveries and OpenDSR status callbacks it makes (adding them to
// queued); false when the request
// has the change already.
func recordTx(ctx context.Context, tx *sqlx.Tx, c domain.Change, queued *[]string) (bool, error) {
	var dup bool
	if err := tx.GetContext(ctx, &dup, `SELECT EXISTS (SELECT 1 FROM request_events WHERE request_id = $1 AND dedupe_key = $2)`,
		c.RequestID, c.DedupeKey); err != nil {
		return false, err
	}
	if dup {
		return false, nil
	}
	ev, err := chainedEvent(ctx, tx, c)
	if err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO request_events (request_id, at, kind, status, actor, message, detail, dedupe_key, chain_hash, global_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (request_id, dedupe_key) DO NOTHING`,
		ev.RequestID, ev.At, ev.Kind, ev.Status, ev.Actor, ev.Message, string(ev.Detail), ev.DedupeKey, ev.ChainHash, ev.GlobalHash)
	if err != nil {
		return false, fmt.Errorf("insert event: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	before, err := requestBefore(ctx, tx, c)
	if err != nil {
		return false, err
	}
	if err := applyStatus(ctx, tx, c); err != nil {
		return false, err
	}
	if err := applyClock(ctx, tx, c.RequestID, c.Clock); err != nil {
		return false, err
	}
	ids, err := queueWebhooks(ctx, tx, c, before)
	if err != nil {
		return false, err
	}
	*queued = append(*queued, ids...)
	if before != nil && c.Status != "" && c.Status != before.Status {
		ids, err := queueCallbacks(ctx, tx, before.TenantID, c.RequestID, c.Status.OpenDSR())
		if err != nil {
			return false, err
		}
		*queued = append(*queued, ids...)
	}
	return true, nil
}

// chainedEvent is the change's event with its hashes: over its canonical content (the
// detail as jsonb stores it) and the request's and the whole record's previous events.
func chainedEvent(ctx context.Context, tx *sqlx.Tx, c domain.Change) (Event, error) {
	detail := []byte("{}")
	if c.Detail != nil {
		var err error
		if detail, err = json.Marshal(c.Detail); err != nil {
			return Event{}, fmt.Errorf("encode detail: %w", err)
		}
	}
	ev := Event{RequestID: c.RequestID, At: time.Now().UTC().Truncate(time.Microsecond), Kind: c.Kind, Actor: c.Actor,
		Message: c.Message, DedupeKey: c.DedupeKey}
	if c.Status != "" {
		ev.Status = &c.Status
	}
	var normal string
	if err := tx.GetContext(ctx, &normal, `SELECT $1::jsonb::text`, detail); err != nil {
		return Event{}, fmt.Errorf("detail is not JSON: %w", err)
	}
	ev.Detail = JSON(normal)
	evs := []Event{ev}
	if err := chain(ctx, tx, evs); err != nil {
		return Event{}, err
	}
	return evs[0], nil
}

// chain sets the hashes of events about to be appended, in their order: each over its
// canonical content, linked to the previous event of its request and to the previous
// event of the whole record, in the table or earlier in evs. The caller holds the audit
// chain's lock.
func chain(ctx context.Context, tx *sqlx.Tx, evs []Event) error {
	ids := make([]string, 0, len(evs))
	for _, ev := range evs {
		if !slices.Contains(ids, ev.RequestID) {
			ids = append(ids, ev.RequestID)
		}
	}
	var heads []struct {
		RequestID string `db:"request_id"`
		Chain     []byte `db:"chain_hash"`
	}
	if err := tx.SelectContext(ctx, &heads, `
		SELECT q.id AS request_id,
			(SELECT chain_hash FROM request_events WHERE request_id = q.id ORDER BY id DESC LIMIT 1) AS chain_hash
		FROM unnest($1::uuid[]) AS q(id)`, pq.Array(ids)); err != nil {
		return fmt.Errorf("read the requests' chains: %w", err)
	}
	last := make(map[string][]byte, len(heads))
	for _, h := range heads {
		last[h.RequestID] = h.Chain
	}
	var global []byte
	err := tx.GetContext(ctx, &global, `SELECT global_hash FROM request_events ORDER BY id DESC LIMIT 1`)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read the global chain: %w", err)
	}
	for i := range evs {
		content := evs[i].Canonical()
		evs[i].ChainHash = ChainHash(last[evs[i].RequestID], content)
		evs[i].GlobalHash = ChainHash(global, content)
		last[evs[i].RequestID], global = evs[i].ChainHash, evs[i].GlobalHash
	}
	return nil
}

// applyStatus sets the change's status (and its reason), result and, for a final status,
// the completion time.
func applyStatus(ctx context.Context, tx *sqlx.Tx, c domain.Change) error {
	var result any
	if c.Result != nil {
		b, err := json.Marshal(c.Result)
		if err != nil {
			return fmt.Errorf("encode result: %w", err)
		}
		result = b
	}
	_, err := tx.ExecContext(ctx, `
		UPDATE requests SET
			status = COALESCE(NULLIF($2, ''), status),
			status_reason = CASE WHEN $2 = '' THEN status_reason ELSE NULLIF($3, '') END,
			result = COALESCE($4::jsonb, result),
			completed_at = CASE WHEN $2 = ANY($5::text[]) THEN now() ELSE completed_at END,
			updated_at = now()
		WHERE id = $1`, c.RequestID, c.Status, c.StatusReason, result, finalStatuses())
	if err != nil {
		return fmt.Errorf("update request: %w", err)
	}
	return nil
}

// applyClock changes the request's clock columns as k says; nothing when k is nil.
func applyClock(ctx context.Context, tx *sqlx.Tx, requestID string, k *domain.ClockChange) error {
	if k == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `
		UPDATE requests SET
			at_risk_at = CASE WHEN $2 THEN COALESCE(at_risk_at, now()) ELSE at_risk_at END,
			target_breached_at = CASE WHEN $3 THEN COALESCE(target_breached_at, now()) ELSE target_breached_at END,
			legal_breached_at = CASE WHEN $4 THEN COALESCE(legal_breached_at, now()) ELSE legal_breached_at END,
			breach_reason = CASE WHEN $3 OR $4 THEN COALESCE(NULLIF($5, ''), breach_reason) ELSE breach_reason END,
			extended_at = CASE WHEN $6 THEN COALESCE(extended_at, now()) ELSE extended_at END,
			extension_reason = COALESCE(NULLIF($7, ''), extension_reason),
			paused_at = CASE $8 WHEN $14 THEN now() WHEN $15 THEN NULL ELSE paused_at END,
			paused_days = paused_days + $9,
			target_due = COALESCE($10, target_due),
			legal_due = COALESCE($11, legal_due),
			extended_due = COALESCE($12, extended_due),
			clock_started_at = COALESCE(clock_started_at, $13)
		WHERE id = $1`, requestID, k.AtRisk, k.TargetBreached, k.LegalBreached, k.BreachReason,
		k.Extended, k.ExtensionReason, k.Pause, k.AddPausedDays, k.TargetDue, k.LegalDue, k.ExtendedDue, k.ClockStartedAt,
		domain.PauseStart, domain.PauseEnd)
	if err != nil {
		return fmt.Errorf("update clocks: %w", err)
	}
	return nil
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

// HasEvent reports whether the request has an event with the dedupe key.
func (s *Store) HasEvent(ctx context.Context, requestID, dedupeKey string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM request_events WHERE request_id = $1 AND dedupe_key = $2)`, requestID, dedupeKey)
	if err != nil {
		return false, fmt.Errorf("look for event %s of request %s: %w", dedupeKey, requestID, err)
	}
	return ok, nil
}
