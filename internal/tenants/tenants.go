// Package tenants sets up a tenant (a controller): its record with region, country and
// time zone, its chat-store account, and its first API key, shown once; then the further
// keys it asks for (a name and scopes) and how long a rotated key keeps working.
package tenants

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"dsr/internal/deadline"
	"dsr/internal/domain"
	"dsr/internal/store"
)

// Tenant is what a new tenant needs.
type Tenant struct {
	Name       string
	Region     domain.Region
	Country    string
	TZ         string
	TargetDays int
}

// InvalidError is a tenant that cannot be created as given; its message says why.
type InvalidError struct{ Reason string }

func (e *InvalidError) Error() string { return e.Reason }

// Validate normalises t and reports what is wrong with it.
func (t *Tenant) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	t.Country = strings.ToUpper(strings.TrimSpace(t.Country))
	t.TZ = strings.TrimSpace(t.TZ)
	if t.TargetDays == 0 {
		t.TargetDays = deadline.DefaultTargetDays
	}
	switch {
	case t.Name == "":
		return &InvalidError{"a tenant needs a name"}
	case len(t.Name) > 200:
		return &InvalidError{"the name is longer than 200 characters"}
	case !t.Region.Valid():
		return &InvalidError{fmt.Sprintf("region %q must be one of %s", t.Region, domain.JoinNames(domain.Regions))}
	case t.TargetDays < 1 || t.TargetDays > 20:
		return &InvalidError{"target days must be between 1 and 20"}
	}
	if err := (deadline.Policy{Country: t.Country, TZ: t.TZ, TargetDays: t.TargetDays}).Validate(); err != nil {
		return &InvalidError{err.Error()}
	}
	return nil
}

// Accounts opens a tenant's account where its users' data lives: the chat store's
// connector.
type Accounts interface {
	// EnsureAccount opens the account with the id and name unless it exists.
	EnsureAccount(ctx context.Context, id, name string) error
}

// Create opens the tenant's account in the chat store, then records the tenant with its
// first API key in one transaction, and returns the key in the clear: only its hash is kept.
func Create(ctx context.Context, st *store.Store, chat Accounts, t Tenant) (store.Tenant, string, error) {
	if err := t.Validate(); err != nil {
		return store.Tenant{}, "", err
	}
	// The chat-store account first: if recording the tenant fails after it, what is left
	// is an empty account no one can reach, never a tenant without its account or key.
	id := uuid.NewString()
	if err := chat.EnsureAccount(ctx, id, t.Name); err != nil {
		return store.Tenant{}, "", err
	}
	rec, key, err := st.CreateTenantWithKey(ctx, store.Tenant{ID: id, Name: t.Name, Region: t.Region, Country: t.Country, TZ: t.TZ, TargetDays: t.TargetDays})
	if err != nil {
		return store.Tenant{}, "", err
	}
	return rec, key, nil
}
