package store_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/store"
)

func TestAPIKeysManaged(t *testing.T) {
	t.Parallel()
	s := setup(t)
	acme, other := tenant(t, s), tenant(t, s)
	now := time.Now().UTC().Truncate(time.Microsecond)

	first, err := s.CreateAPIKey(ctx, acme.ID)
	require.NoError(t, err)
	reqs, reqSecret, err := s.AddAPIKey(ctx, store.NewAPIKey{TenantID: acme.ID, Name: "ci", Scopes: []domain.KeyScope{domain.KeyScopeRequests}}, now)
	require.NoError(t, err)
	require.Equal(t, "ci", reqs.Name)
	require.Equal(t, []domain.KeyScope{domain.KeyScopeRequests}, []domain.KeyScope(reqs.Scopes))
	require.True(t, reqs.CreatedAt.Equal(now))
	require.Nil(t, reqs.LastUsedAt)
	require.Equal(t, reqSecret[:10], reqs.Prefix)
	_, err = s.CreateAPIKey(ctx, other.ID)
	require.NoError(t, err)

	keys, err := s.APIKeys(ctx, acme.ID)
	require.NoError(t, err)
	require.Len(t, keys, 2, "only the tenant's own keys")
	require.Equal(t, reqs.ID, keys[1].ID, "newest first")
	require.Equal(t, store.FirstKeyName, keys[0].Name)
	require.Equal(t, []domain.KeyScope{domain.KeyScopeAdmin}, []domain.KeyScope(keys[0].Scopes), "the first key may do everything")
	admin := keys[0]

	// Authentication names the key and its scopes, and stamps its use once a minute.
	c, err := s.AuthenticateAPIKey(ctx, reqSecret, now)
	require.NoError(t, err)
	require.Equal(t, acme.ID, c.Tenant.ID)
	require.Equal(t, reqs.ID, c.KeyID)
	require.Equal(t, []domain.KeyScope{domain.KeyScopeRequests}, c.Scopes)
	lastUsed := func() time.Time {
		k, err := s.GetAPIKey(ctx, acme.ID, reqs.ID)
		require.NoError(t, err)
		require.NotNil(t, k.LastUsedAt)
		return k.LastUsedAt.UTC()
	}
	require.Equal(t, now, lastUsed())
	_, err = s.AuthenticateAPIKey(ctx, reqSecret, now.Add(30*time.Second))
	require.NoError(t, err)
	require.Equal(t, now, lastUsed(), "not written again within a minute")
	_, err = s.AuthenticateAPIKey(ctx, reqSecret, now.Add(61*time.Second))
	require.NoError(t, err)
	require.Equal(t, now.Add(61*time.Second), lastUsed(), "refreshed once older than a minute")

	// Another tenant's key, or no key at all, is not found.
	for _, id := range []string{uuid.NewString(), "not-a-uuid", ""} {
		_, err = s.GetAPIKey(ctx, acme.ID, id)
		require.ErrorIs(t, err, store.ErrNotFound, id)
		_, err = s.RevokeAPIKey(ctx, acme.ID, id, now)
		require.ErrorIs(t, err, store.ErrNotFound, id)
	}
	_, err = s.RevokeAPIKey(ctx, other.ID, reqs.ID, now)
	require.ErrorIs(t, err, store.ErrNotFound, "another tenant's key")

	// The last admin key that stays valid cannot go.
	_, err = s.RevokeAPIKey(ctx, acme.ID, admin.ID, now)
	require.ErrorIs(t, err, store.ErrLastAdminKey)
	_, err = s.AuthenticateAPIKey(ctx, first, now)
	require.NoError(t, err, "the refused revocation changed nothing")

	// Revoking works at once and is idempotent.
	revoked, err := s.RevokeAPIKey(ctx, acme.ID, reqs.ID, now)
	require.NoError(t, err)
	require.NotNil(t, revoked.RevokedAt)
	_, err = s.AuthenticateAPIKey(ctx, reqSecret, now)
	require.ErrorIs(t, err, store.ErrNotFound)
	again, err := s.RevokeAPIKey(ctx, acme.ID, reqs.ID, now.Add(time.Hour))
	require.NoError(t, err)
	require.True(t, revoked.RevokedAt.Equal(*again.RevokedAt), "the first revocation's time stays")
	_, _, _, err = s.RotateAPIKey(ctx, acme.ID, reqs.ID, time.Hour, now)
	require.ErrorIs(t, err, store.ErrKeyInactive, "a revoked key is not rotated")

	// Rotation: a new key of the same name and scopes; the old one works through the overlap.
	old, created, secret, err := s.RotateAPIKey(ctx, acme.ID, admin.ID, time.Hour, now)
	require.NoError(t, err)
	require.NotEqual(t, admin.ID, created.ID)
	require.Equal(t, admin.Name, created.Name)
	require.Equal(t, admin.Scopes, created.Scopes)
	require.NotNil(t, old.ExpiresAt)
	require.True(t, old.ExpiresAt.Equal(now.Add(time.Hour)))
	_, err = s.AuthenticateAPIKey(ctx, first, now.Add(59*time.Minute))
	require.NoError(t, err, "within the overlap")
	_, err = s.AuthenticateAPIKey(ctx, first, now.Add(time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound, "refused once the overlap is over")
	c, err = s.AuthenticateAPIKey(ctx, secret, now.Add(2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, created.ID, c.KeyID)
	_, _, _, err = s.RotateAPIKey(ctx, acme.ID, admin.ID, time.Hour, now.Add(2*time.Hour))
	require.ErrorIs(t, err, store.ErrKeyInactive, "an expired key is not rotated")

	// The key being rotated out does not count as the admin key that stays: the new one
	// is now the last.
	_, err = s.RevokeAPIKey(ctx, acme.ID, created.ID, now)
	require.ErrorIs(t, err, store.ErrLastAdminKey)

	// Rotating at once: the old key is refused immediately.
	_, next, nextSecret, err := s.RotateAPIKey(ctx, acme.ID, created.ID, 0, now.Add(2*time.Hour))
	require.NoError(t, err)
	_, err = s.AuthenticateAPIKey(ctx, secret, now.Add(2*time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.AuthenticateAPIKey(ctx, nextSecret, now.Add(2*time.Hour))
	require.NoError(t, err)

	// An expiring admin key may be revoked while another stays.
	_, err = s.RevokeAPIKey(ctx, acme.ID, created.ID, now.Add(2*time.Hour))
	require.NoError(t, err)
	_, err = s.RevokeAPIKey(ctx, acme.ID, next.ID, now.Add(2*time.Hour))
	require.ErrorIs(t, err, store.ErrLastAdminKey)

	// A rotation never lengthens a key's life.
	long, _, err := s.AddAPIKey(ctx, store.NewAPIKey{TenantID: acme.ID, Name: "batch", Scopes: []domain.KeyScope{domain.KeyScopeRequests}}, now)
	require.NoError(t, err)
	o1, _, _, err := s.RotateAPIKey(ctx, acme.ID, long.ID, time.Hour, now)
	require.NoError(t, err)
	o2, _, _, err := s.RotateAPIKey(ctx, acme.ID, long.ID, 5*time.Hour, now)
	require.NoError(t, err)
	require.True(t, o1.ExpiresAt.Equal(*o2.ExpiresAt))

	tenants, err := s.Tenants(ctx)
	require.NoError(t, err)
	require.Len(t, tenants, 2)
	require.Equal(t, acme, tenants[0])
}
