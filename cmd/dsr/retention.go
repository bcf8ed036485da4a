package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"dsr/activities"
	"dsr/internal/store"
)

// retentionRun applies data minimisation, now, to dsr's own record of the requests that
// became final more than DSR_RETENTION ago (what the daily schedule does), or with
// --dry-run only counts what it would change. It prints JSON {"dry_run", "retention",
// "final_before", "requests", "mail_cases", "mail_outbox", "mail_messages"}: the rows of
// each table whose subject is (or would be) replaced by a keyed hash, and the kept mails
// deleted. A second run changes nothing.
func retentionRun(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("retention run", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "count what would be changed, change nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	b, err := openBase(ctx, true)
	if err != nil {
		return err
	}
	defer b.Close()
	before := time.Now().Add(-b.Config.Retention).UTC().Truncate(time.Second)
	var m store.Minimisation
	if *dry {
		m, err = b.Store.MinimisationDue(ctx, before)
	} else {
		key, kerr := b.InstallationKey(ctx)
		if kerr != nil {
			return fmt.Errorf("retention run: %w", kerr)
		}
		m, err = b.Store.Minimise(ctx, store.MinimiseOptions{Before: before, Hash: activities.Hasher(key)})
	}
	if err != nil {
		return fmt.Errorf("retention run (so far %d requests, %d mail cases, %d mails to subjects, %d kept mails): %w",
			m.Requests, m.Cases, m.Outbox, m.Mails, err)
	}
	return json.NewEncoder(out).Encode(map[string]any{
		"dry_run": *dry, "retention": b.Config.Retention.String(), "final_before": before.Format(time.RFC3339),
		"requests": m.Requests, "mail_cases": m.Cases, "mail_outbox": m.Outbox, "mail_messages": m.Mails,
	})
}
