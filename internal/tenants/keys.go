package tenants

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// Rotation overlaps: how long a rotated key keeps working beside its replacement.
const (
	DefaultRotationOverlap = 24 * time.Hour
	MaxRotationOverlap     = 7 * 24 * time.Hour
)

// maxKeyName is the longest name a key may have, in characters.
const maxKeyName = 100

// NewKey is an API key a tenant wants.
type NewKey struct {
	Name   string
	Scopes []domain.KeyScope
}

// Validate normalises k (the name trimmed, the scopes in their order without repeats) and
// reports what is wrong with it.
func (k *NewKey) Validate() error {
	k.Name = strings.TrimSpace(k.Name)
	switch {
	case k.Name == "":
		return &InvalidError{"a key needs a name"}
	}
	if err := domain.CheckLine(k.Name, maxKeyName); err != nil {
		return &InvalidError{"the name " + err.Error()}
	}
	scopes, err := domain.NormalizeKeyScopes(k.Scopes)
	if err != nil {
		return &InvalidError{err.Error()}
	}
	k.Scopes = scopes
	return nil
}

// CreateKey gives an existing tenant a new API key, created at now, and returns it with its
// secret in the clear: only its hash is kept. An unknown tenant is store.ErrNotFound.
func CreateKey(ctx context.Context, st *store.Store, tenantID string, k NewKey, now time.Time) (store.APIKey, string, error) {
	if err := k.Validate(); err != nil {
		return store.APIKey{}, "", err
	}
	if _, err := st.GetTenant(ctx, tenantID); err != nil {
		return store.APIKey{}, "", err
	}
	return st.AddAPIKey(ctx, store.NewAPIKey{TenantID: tenantID, Name: k.Name, Scopes: k.Scopes}, now)
}

// ParseOverlap reads how long a rotated key keeps working: a Go duration ("24h", "90m",
// "0" for at once) or a number of days ("7d"); empty is DefaultRotationOverlap. It is at
// most MaxRotationOverlap.
func ParseOverlap(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultRotationOverlap, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, &InvalidError{fmt.Sprintf("overlap %q is not a duration such as 24h, 90m, 7d or 0", s)}
		}
		if n < 0 || n > int(MaxRotationOverlap/(24*time.Hour)) {
			n = -1 // out of range, refused below; never multiplied into an overflow
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, &InvalidError{fmt.Sprintf("overlap %q is not a duration such as 24h, 90m, 7d or 0", s)}
		}
	}
	if d < 0 || d > MaxRotationOverlap {
		return 0, &InvalidError{fmt.Sprintf("overlap must be between 0 (at once) and %s (7 days)", MaxRotationOverlap)}
	}
	return d, nil
}
