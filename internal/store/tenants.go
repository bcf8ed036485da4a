package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
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
