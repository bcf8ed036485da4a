package store

import (
	"context"
	"fmt"

	"dsr/connectors"
)

// SetRecipient records a recipient's place in a request's Art. 19 ledger (one row per
// recipient, its latest status).
func (s *Store) SetRecipient(ctx context.Context, requestID string, r connectors.Recipient) error {
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
func (s *Store) Recipients(ctx context.Context, requestID string) ([]connectors.Recipient, error) {
	var out []connectors.Recipient
	err := s.db.SelectContext(ctx, &out, `SELECT name, kind, status, reason FROM request_recipients WHERE request_id = $1 ORDER BY name`, requestID)
	if err != nil {
		return nil, fmt.Errorf("read recipients of request %s: %w", requestID, err)
	}
	return out, nil
}
