package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/tenants"
)

// tenantList prints every tenant as a JSON array.
func tenantList(ctx context.Context, args []string, out io.Writer) error {
	if err := parse(flag.NewFlagSet("tenant list", flag.ContinueOnError), args); err != nil {
		return err
	}
	b, err := openBase(ctx, true)
	if err != nil {
		return err
	}
	defer b.Close()
	ts, err := b.Store.Tenants(ctx)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(ts)
}

// tenantKeys runs `dsr tenant keys list|create|revoke`.
func tenantKeys(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return usageError{msg: "tenant keys: say list, create or revoke"}
	}
	switch args[0] {
	case "list":
		return tenantKeysList(ctx, args[1:], out)
	case "create":
		return tenantKeysCreate(ctx, args[1:], out)
	case "revoke":
		return tenantKeysRevoke(ctx, args[1:], out)
	}
	return usageError{msg: fmt.Sprintf("tenant keys: unknown command %q: say list, create or revoke", args[0])}
}

// noTenant says the tenant id names no tenant.
func noTenant(cmd, id string) error {
	return fmt.Errorf("%s: no tenant %s (see dsr tenant list)", cmd, id)
}

func tenantKeysList(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tenant keys list", flag.ContinueOnError)
	tenantID := idFlag(fs, "tenant", "tenant id")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *tenantID == "" {
		return usageError{msg: "tenant keys list: --tenant is required"}
	}
	b, err := openBase(ctx, true)
	if err != nil {
		return err
	}
	defer b.Close()
	if _, err := b.Store.GetTenant(ctx, *tenantID); errors.Is(err, store.ErrNotFound) {
		return noTenant("tenant keys list", *tenantID)
	} else if err != nil {
		return err
	}
	keys, err := b.Store.APIKeys(ctx, *tenantID)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(keys)
}

func tenantKeysCreate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tenant keys create", flag.ContinueOnError)
	tenantID := idFlag(fs, "tenant", "tenant id")
	name := fs.String("name", "", "what the key is for, e.g. the integration using it")
	scopes := fs.String("scopes", string(domain.KeyScopeRequests), "comma-separated: "+domain.JoinNames(domain.KeyScopes))
	if err := parse(fs, args); err != nil {
		return err
	}
	if *tenantID == "" || *name == "" {
		return usageError{msg: "tenant keys create: --tenant and --name are required"}
	}
	list, err := domain.ParseKeyScopes(*scopes)
	if err != nil {
		return usageError{msg: "tenant keys create: --scopes: " + err.Error()}
	}
	nk := tenants.NewKey{Name: *name, Scopes: list}
	if err := nk.Validate(); err != nil {
		return usageError{msg: "tenant keys create: " + err.Error()}
	}
	b, err := openBase(ctx, true)
	if err != nil {
		return err
	}
	defer b.Close()
	k, secret, err := tenants.CreateKey(ctx, b.Store, *tenantID, nk, time.Now())
	if errors.Is(err, store.ErrNotFound) {
		return noTenant("tenant keys create", *tenantID)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(struct {
		ID     string            `json:"id"`
		APIKey string            `json:"api_key"`
		Name   string            `json:"name"`
		Scopes []domain.KeyScope `json:"scopes"`
	}{k.ID, secret, k.Name, k.Scopes})
}

func tenantKeysRevoke(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tenant keys revoke", flag.ContinueOnError)
	tenantID := idFlag(fs, "tenant", "tenant id")
	key := &idValue{}
	fs.Var(key, "key", "the key's id (from dsr tenant keys list)")
	fs.Var(key, "id", "the same as --key")
	keyID := &key.s
	if err := parse(fs, args); err != nil {
		return err
	}
	if *tenantID == "" || *keyID == "" {
		return usageError{msg: "tenant keys revoke: --tenant and --key are required"}
	}
	b, err := openBase(ctx, true)
	if err != nil {
		return err
	}
	defer b.Close()
	k, err := b.Store.RevokeAPIKey(ctx, *tenantID, *keyID, time.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("tenant keys revoke: tenant %s has no key %s (see dsr tenant keys list)", *tenantID, *keyID)
	case errors.Is(err, store.ErrLastAdminKey):
		return fmt.Errorf("tenant keys revoke: %w", err)
	case err != nil:
		return err
	}
	return json.NewEncoder(out).Encode(k)
}
