package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"dsr/internal/domain"
)

// SetRecipient records a recipient's place in a request's Art. 19 ledger (one row per
// recipient, its latest status).
func (s *Store) SetRecipient(ctx context.Context, requestID string, r domain.Recipient) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO request_recipients (request_id, name, kind, status, reason)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (request_id, name) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status,
			reason = EXCLUDED.reason, updated_at = now()`, requestID, r.Name, r.Kind, r.Status, r.Reason)
	if err != nil {
		return fmt.Errorf("record recipient %s of request %s: %w", r.Name, requestID, err)
	}
	return nil
}

// Recipients returns a request's Art. 19 ledger, by name.
func (s *Store) Recipients(ctx context.Context, requestID string) ([]domain.Recipient, error) {
	var out []domain.Recipient
	err := s.db.SelectContext(ctx, &out, `SELECT name, kind, status, reason FROM request_recipients WHERE request_id = $1 ORDER BY name`, requestID)
	if err != nil {
		return nil, fmt.Errorf("read recipients of request %s: %w", requestID, err)
	}
	return out, nil
}

// Receipts keeps connectors' outcomes per request and action in the orchestrator
// database (connectors/subprocessor.Receipts).
type Receipts struct{ s *Store }

// Receipts returns the store's connector receipts.
func (s *Store) Receipts() Receipts { return Receipts{s} }

// Receipt returns the stored outcome of an action, if any.
func (r Receipts) Receipt(ctx context.Context, connector, requestID, action string) (domain.Outcome, bool, error) {
	var raw []byte
	err := r.s.db.GetContext(ctx, &raw, `SELECT outcome FROM connector_receipts WHERE connector = $1 AND request_id = $2 AND action = $3`,
		connector, requestID, action)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Outcome{}, false, nil
	}
	if err != nil {
		return domain.Outcome{}, false, fmt.Errorf("read receipt of %s at %s: %w", action, connector, err)
	}
	var out domain.Outcome
	if err := json.Unmarshal(raw, &out); err != nil {
		return domain.Outcome{}, false, fmt.Errorf("decode receipt of %s at %s: %w", action, connector, err)
	}
	return out, true, nil
}

// SaveReceipt stores the outcome of an action; the latest one wins.
func (r Receipts) SaveReceipt(ctx context.Context, connector, requestID, action string, out domain.Outcome) error {
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode receipt: %w", err)
	}
	_, err = r.s.db.ExecContext(ctx, `INSERT INTO connector_receipts (connector, request_id, action, outcome) VALUES ($1, $2, $3, $4)
		ON CONFLICT (connector, request_id, action) DO UPDATE SET outcome = EXCLUDED.outcome, saved_at = now()`,
		connector, requestID, action, b)
	if err != nil {
		return fmt.Errorf("save receipt of %s at %s: %w", action, connector, err)
	}
	return nil
}
