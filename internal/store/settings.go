package store

import (
	"context"
	"database/sql"
	"errors"
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

// settingSecondFactorRoles names the setting that lists the roles which must use a second
// factor, comma-separated.
const settingSecondFactorRoles = "dashboard.second_factor_roles"

// SecondFactorRoles returns the setting that lists the roles which must use a second
// factor, comma-separated; "" when none must.
func (s *Store) SecondFactorRoles(ctx context.Context) (string, error) {
	var v string
	err := s.db.GetContext(ctx, &v, `SELECT value FROM settings WHERE name = $1`, settingSecondFactorRoles)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read second factor roles: %w", err)
	}
	return v, nil
}

// SetSecondFactorRoles stores the roles which must use a second factor, comma-separated.
func (s *Store) SetSecondFactorRoles(ctx context.Context, roles string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`, settingSecondFactorRoles, roles)
	if err != nil {
		return fmt.Errorf("store second factor roles: %w", err)
	}
	return nil
}
