package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"dsr/internal/domain"
)

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
