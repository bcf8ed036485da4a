package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"dsr/internal/demo"
)

// chatTables are the chat store's tables, children last.
var chatTables = []string{"accounts", "agents", "end_users", "conversations", "messages", "attachments", "oauth_tokens", "sessions", "saved_searches"}

// Seeding: a store of M messages is M/tenantMessages demo tenants (a live-chat SaaS holds
// many accounts), each with tenantMessages messages and a tenth as many end-users, seeded
// seedParallel at a time with demo.Seed (COPY).
const (
	tenantMessages = 1_000_000
	seedParallel   = 2
)

// seedStore fills the chat store on db with messages demo messages. Autovacuum is turned off
// on the store's tables first, so that it cannot start on a freshly loaded table in the
// middle of a measurement (both sides would pay, at random); demo.Seed analyzes the tables
// itself. It ends with a CHECKPOINT, so the load's dirty pages are not written back during
// the measurements.
func seedStore(ctx context.Context, e *Env, db *sqlx.DB, messages int) error {
	started := time.Now()
	for _, t := range chatTables {
		if _, err := db.ExecContext(ctx, `ALTER TABLE `+t+` SET (autovacuum_enabled = false)`); err != nil {
			return fmt.Errorf("turn off autovacuum on %s: %w", t, err)
		}
	}
	var sizes []int
	for left := messages; left > 0; left -= tenantMessages {
		sizes = append(sizes, min(left, tenantMessages))
	}
	jobs := make(chan int)
	errs := make([]error, seedParallel)
	var wg sync.WaitGroup
	for w := range seedParallel {
		wg.Go(func() {
			for n := range jobs {
				if errs[w] != nil {
					continue
				}
				_, err := demo.Seed(ctx, db, demo.Options{TenantID: uuid.NewString(), TenantName: "Bench tenant", EndUsers: max(n/10, 1), Messages: n})
				if err != nil {
					errs[w] = fmt.Errorf("seed a tenant of %d messages: %w", n, err)
				}
			}
		})
	}
	for _, n := range sizes {
		jobs <- n
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CHECKPOINT`); err != nil {
		e.Log.Warn("checkpoint after seeding (needs a superuser; measurements may see write-back)", slog.Any("error", err))
	}
	e.Log.Info("store seeded", slog.Int("messages", messages), slog.Int("tenants", len(sizes)),
		slog.Duration("elapsed", time.Since(started).Round(100*time.Millisecond)))
	return nil
}

// countLabel prints a store size the way the rows name it: 100k, 1M, 10M.
func countLabel(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}
