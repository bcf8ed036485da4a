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

// keyPrefix starts every API key, so that a key is recognised (and refused early when it
// is something else).
const keyPrefix = "dsr_"

// FirstKeyName names the key a tenant gets when it is created.
const FirstKeyName = "default"

// TouchEvery is how stale a key's last_used_at may get: a call refreshes it only when it
// is older, so that most calls write nothing.
const TouchEvery = time.Minute

// ErrLastAdminKey refuses to revoke the tenant's last admin key that stays valid: the
// tenant could no longer manage its keys.
var ErrLastAdminKey = errors.New("this is the tenant's last admin key that stays valid; create another admin key (or rotate this one) first")

// ErrKeyInactive refuses to rotate a key that is revoked or expired already.
var ErrKeyInactive = errors.New("the key is revoked or expired; create a new key instead")

// APIKey is one of a tenant's API keys, without its secret (only its hash is kept).
type APIKey struct {
	ID       string `db:"id" json:"id"`
	TenantID string `db:"tenant_id" json:"-"`
	Name     string `db:"name" json:"name"`
	// Prefix is the key's first characters, to recognise it.
	Prefix     string                 `db:"prefix" json:"prefix"`
	Scopes     Array[domain.KeyScope] `db:"scopes" json:"scopes"`
	CreatedAt  time.Time              `db:"created_at" json:"created_at"`
	LastUsedAt *time.Time             `db:"last_used_at" json:"last_used_at"`
	// ExpiresAt is set when the key was rotated: it works until then.
	ExpiresAt *time.Time `db:"expires_at" json:"expires_at"`
	RevokedAt *time.Time `db:"revoked_at" json:"revoked_at"`
}

// Active reports whether the key authenticates at now.
func (k APIKey) Active(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || k.ExpiresAt.After(now))
}

// NewAPIKey is a key to create.
type NewAPIKey struct {
	TenantID string
	Name     string
	Scopes   []domain.KeyScope
}

// Caller is who an API key authenticates: the tenant, the key and its scopes.
type Caller struct {
	Tenant Tenant
	KeyID  string
	Scopes []domain.KeyScope
}

const apiKeyColumns = `id, tenant_id, name, prefix, scopes, created_at, last_used_at, expires_at, revoked_at`

// CreateAPIKey makes a new admin key named FirstKeyName for the tenant and returns it in
// the clear; only its hash is stored, so this is the one time it can be shown.
func (s *Store) CreateAPIKey(ctx context.Context, tenantID string) (string, error) {
	_, key, err := createAPIKey(ctx, s.db, NewAPIKey{TenantID: tenantID, Name: FirstKeyName, Scopes: []domain.KeyScope{domain.KeyScopeAdmin}}, time.Now())
	return key, err
}

// AddAPIKey makes a new key with a name and scopes, created at now, and returns it with its
// secret in the clear, which is shown this once.
func (s *Store) AddAPIKey(ctx context.Context, k NewAPIKey, now time.Time) (APIKey, string, error) {
	return createAPIKey(ctx, s.db, k, now)
}

func createAPIKey(ctx context.Context, q sqlx.QueryerContext, k NewAPIKey, now time.Time) (APIKey, string, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return APIKey{}, "", fmt.Errorf("create api key: random: %w", err)
	}
	key := keyPrefix + base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(key))
	var out APIKey
	err := sqlx.GetContext(ctx, q, &out, `
		INSERT INTO api_keys (id, tenant_id, name, scopes, prefix, key_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING `+apiKeyColumns,
		uuid.NewString(), k.TenantID, k.Name, Array[domain.KeyScope](k.Scopes), key[:len(keyPrefix)+6], sum[:], now)
	if err != nil {
		return APIKey{}, "", fmt.Errorf("create api key for tenant %s: %w", k.TenantID, err)
	}
	return out, key, nil
}

// AuthenticateAPIKey returns who an API key belongs to, if it is neither revoked nor
// expired at now; ErrNotFound otherwise. It reads the database on every call, so a
// revocation holds at once on every replica. It refreshes the key's last_used_at when that
// is older than TouchEvery, in the same statement, so most calls write nothing.
func (s *Store) AuthenticateAPIKey(ctx context.Context, key string, now time.Time) (Caller, error) {
	if !strings.HasPrefix(key, keyPrefix) {
		return Caller{}, ErrNotFound
	}
	sum := sha256.Sum256([]byte(key))
	var row struct {
		Tenant
		KeyID  string                 `db:"key_id"`
		Scopes Array[domain.KeyScope] `db:"scopes"`
	}
	err := s.db.GetContext(ctx, &row, `
		WITH k AS (
			SELECT id, tenant_id, scopes FROM api_keys
			WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
		), touched AS (
			UPDATE api_keys SET last_used_at = $2
			WHERE id = (SELECT id FROM k) AND (last_used_at IS NULL OR last_used_at < $3)
		)
		SELECT t.id, t.name, t.region, t.country, t.tz, t.target_days, t.created_at, k.id AS key_id, k.scopes
		FROM k JOIN tenants t ON t.id = k.tenant_id`, sum[:], now, now.Add(-TouchEvery))
	if errors.Is(err, sql.ErrNoRows) {
		return Caller{}, ErrNotFound
	}
	if err != nil {
		return Caller{}, fmt.Errorf("look up api key: %w", err)
	}
	return Caller{Tenant: row.Tenant, KeyID: row.KeyID, Scopes: row.Scopes}, nil
}

// TenantByAPIKey returns the tenant that owns a key valid now (see AuthenticateAPIKey).
func (s *Store) TenantByAPIKey(ctx context.Context, key string) (Tenant, error) {
	c, err := s.AuthenticateAPIKey(ctx, key, time.Now())
	return c.Tenant, err
}

// APIKeys returns the tenant's keys, newest first, revoked and expired ones included.
func (s *Store) APIKeys(ctx context.Context, tenantID string) ([]APIKey, error) {
	out := []APIKey{}
	if _, err := uuid.Parse(tenantID); err != nil {
		return out, nil
	}
	err := s.db.SelectContext(ctx, &out, `SELECT `+apiKeyColumns+` FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list api keys of tenant %s: %w", tenantID, err)
	}
	return out, nil
}

// GetAPIKey returns one of the tenant's keys; ErrNotFound for another tenant's.
func (s *Store) GetAPIKey(ctx context.Context, tenantID, id string) (APIKey, error) {
	return getAPIKey(ctx, s.db, tenantID, id)
}

func getAPIKey(ctx context.Context, q sqlx.QueryerContext, tenantID, id string) (APIKey, error) {
	if _, err := uuid.Parse(id); err != nil {
		return APIKey{}, ErrNotFound
	}
	if _, err := uuid.Parse(tenantID); err != nil {
		return APIKey{}, ErrNotFound
	}
	var k APIKey
	err := sqlx.GetContext(ctx, q, &k, `SELECT `+apiKeyColumns+` FROM api_keys WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, ErrNotFound
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("get api key %s: %w", id, err)
	}
	return k, nil
}

// inKeyTx runs fn in a transaction that holds the tenant's row locked, so that changes to
// one tenant's keys (which check its other keys) happen one at a time.
func (s *Store) inKeyTx(ctx context.Context, tenantID string, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("api keys: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	var id string
	err = tx.GetContext(ctx, &id, `SELECT id FROM tenants WHERE id = $1 FOR UPDATE`, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("api keys: lock tenant %s: %w", tenantID, err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("api keys: commit: %w", err)
	}
	return nil
}

// RevokeAPIKey revokes one of the tenant's keys at once and returns it; revoking a
// revoked key changes nothing. It refuses, with ErrLastAdminKey, to revoke the tenant's
// last admin key that stays valid (not revoked, not expiring), counted at now.
func (s *Store) RevokeAPIKey(ctx context.Context, tenantID, id string, now time.Time) (APIKey, error) {
	if _, err := uuid.Parse(tenantID); err != nil {
		return APIKey{}, ErrNotFound
	}
	var out APIKey
	err := s.inKeyTx(ctx, tenantID, func(tx *sqlx.Tx) error {
		k, err := getAPIKey(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if k.RevokedAt != nil {
			out = k
			return nil
		}
		if domain.KeyScopeAdmin.GrantedBy(k.Scopes) && k.ExpiresAt == nil {
			var others int
			err := tx.GetContext(ctx, &others, `
				SELECT count(*) FROM api_keys
				WHERE tenant_id = $1 AND id <> $2 AND revoked_at IS NULL AND expires_at IS NULL AND $3 = ANY (scopes)`,
				tenantID, id, domain.KeyScopeAdmin)
			if err != nil {
				return fmt.Errorf("revoke api key %s: count admin keys: %w", id, err)
			}
			if others == 0 {
				return ErrLastAdminKey
			}
		}
		err = tx.GetContext(ctx, &out, `UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 RETURNING `+apiKeyColumns,
			tenantID, id, now)
		if err != nil {
			return fmt.Errorf("revoke api key %s: %w", id, err)
		}
		return nil
	})
	return out, err
}

// RotateAPIKey replaces one of the tenant's active keys: it makes a new key with the same
// name and scopes, and lets the old one work until now+overlap (at once refused when
// overlap is 0). It returns the old key as it is now, the new one and the new secret in the
// clear. A revoked or expired key is not rotated (ErrKeyInactive).
func (s *Store) RotateAPIKey(ctx context.Context, tenantID, id string, overlap time.Duration, now time.Time) (old, created APIKey, secret string, err error) {
	if _, err := uuid.Parse(tenantID); err != nil {
		return APIKey{}, APIKey{}, "", ErrNotFound
	}
	err = s.inKeyTx(ctx, tenantID, func(tx *sqlx.Tx) error {
		k, err := getAPIKey(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if !k.Active(now) {
			return ErrKeyInactive
		}
		until := now.Add(overlap)
		if k.ExpiresAt != nil && k.ExpiresAt.Before(until) {
			until = *k.ExpiresAt // a rotation never lengthens a key's life
		}
		err = tx.GetContext(ctx, &old, `UPDATE api_keys SET expires_at = $3 WHERE tenant_id = $1 AND id = $2 RETURNING `+apiKeyColumns,
			tenantID, id, until)
		if err != nil {
			return fmt.Errorf("rotate api key %s: %w", id, err)
		}
		created, secret, err = createAPIKey(ctx, tx, NewAPIKey{TenantID: tenantID, Name: k.Name, Scopes: k.Scopes}, now)
		return err
	})
	if err != nil {
		return APIKey{}, APIKey{}, "", err
	}
	return old, created, secret, nil
}
