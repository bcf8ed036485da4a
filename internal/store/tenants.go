package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"dsr/internal/domain"
)

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
	_, key, err := createAPIKey(ctx, tx, NewAPIKey{TenantID: t.ID, Name: FirstKeyName, Scopes: []domain.KeyScope{domain.KeyScopeAdmin}}, time.Now())
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

// Tenants returns every tenant, oldest first.
func (s *Store) Tenants(ctx context.Context) ([]Tenant, error) {
	out := []Tenant{}
	err := s.db.SelectContext(ctx, &out, `SELECT id, name, region, country, tz, target_days, created_at FROM tenants ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return out, nil
}
