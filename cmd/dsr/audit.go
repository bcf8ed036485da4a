package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"dsr/internal/platform/postgres"
	"dsr/internal/store"
	"dsr/schema"
)

// auditVerify checks both hash chains of the audit trail; it fails, naming the first broken
// event, when anything was changed.
func auditVerify(ctx context.Context, args []string, out io.Writer) error {
	if err := parse(flag.NewFlagSet("audit verify", flag.ContinueOnError), args); err != nil {
		return err
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("orchestrator database: %w", err)
	}
	defer db.Close()
	if _, err := schema.Migrate(ctx, db, schema.Orchestrator); err != nil {
		return err
	}
	sum, err := store.New(db).VerifyAudit(ctx)
	var brk *store.Break
	if errors.As(err, &brk) {
		return fmt.Errorf("audit trail tampered with: %w", brk)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(map[string]any{"ok": true, "events": sum.Events, "requests": sum.Requests, "head": sum.Head})
}
