package store

import (
	"context"
	"fmt"
)

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
