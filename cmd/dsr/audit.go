package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"dsr/internal/store"
)

// auditVerify checks both hash chains of the audit trail; it fails, naming the first broken
// event, when anything was changed.
func auditVerify(ctx context.Context, args []string, out io.Writer) error {
	if err := parse(flag.NewFlagSet("audit verify", flag.ContinueOnError), args); err != nil {
		return err
	}
	b, err := openBase(ctx, true)
	if err != nil {
		return err
	}
	defer b.Close()
	sum, err := b.Store.VerifyAudit(ctx)
	var brk *store.Break
	if errors.As(err, &brk) {
		return fmt.Errorf("audit trail tampered with: %w", brk)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(map[string]any{"ok": true, "events": sum.Events, "requests": sum.Requests, "head": sum.Head})
}
