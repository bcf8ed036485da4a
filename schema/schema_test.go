package schema_test

import (
	"context"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

var ctx = context.Background()

// sets lists every migration set with a table its first migration creates.
var sets = []struct {
	name  string
	set   schema.Set
	table string
}{
	{name: "orchestrator", set: schema.Orchestrator, table: "request_events"},
	{name: "chatstore", set: schema.ChatStore, table: "messages"},
}

// applied returns the versions recorded in schema_migrations, with how often each is there.
func applied(t *testing.T, db *sqlx.DB) map[int]int {
	t.Helper()
	var rows []struct {
		Version int    `db:"version"`
		Name    string `db:"name"`
	}
	require.NoError(t, db.SelectContext(ctx, &rows, `SELECT version, name FROM schema_migrations`))
	out := map[int]int{}
	for _, r := range rows {
		out[r.Version]++
	}
	return out
}

// tableExists reports whether the test schema (first on the search path) has the table.
func tableExists(t *testing.T, db *sqlx.DB, table string) bool {
	t.Helper()
	var ok bool
	require.NoError(t, db.GetContext(ctx, &ok, `SELECT to_regclass($1) IS NOT NULL`, table))
	return ok
}

func TestMigrationsWellFormed(t *testing.T) {
	t.Parallel()
	fileName := regexp.MustCompile(`^(\d{3})_[a-z0-9_]+\.sql$`)
	for _, tc := range sets {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ms, err := schema.Migrations(tc.set)
			require.NoError(t, err)
			require.NotEmpty(t, ms)
			for i, m := range ms {
				parts := fileName.FindStringSubmatch(m.Name)
				require.NotNil(t, parts, "file name %q", m.Name)
				v, err := strconv.Atoi(parts[1])
				require.NoError(t, err)
				require.Equal(t, v, m.Version, "version of %s", m.Name)
				// Numbered from 001 without gaps, in the order they apply.
				require.Equal(t, i+1, m.Version, "migration %d of %s is %s", i, tc.set, m.Name)
				require.NotEmpty(t, regexp.MustCompile(`\S`).FindString(m.SQL), "%s is empty", m.Name)
			}
		})
	}

	_, err := schema.Migrations(schema.Set("nosuchset"))
	require.Error(t, err)
}

func TestMigrateFreshSchemaThenNoop(t *testing.T) {
	t.Parallel()
	for _, tc := range sets {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := pgtest.New(t).DB
			ms, err := schema.Migrations(tc.set)
			require.NoError(t, err)

			// No schema_migrations yet: Pending cannot answer, and says everything is pending.
			n, err := schema.Pending(ctx, db, tc.set)
			require.Error(t, err)
			require.Equal(t, len(ms), n)

			n, err = schema.Migrate(ctx, db, tc.set)
			require.NoError(t, err)
			require.Equal(t, len(ms), n)
			require.True(t, tableExists(t, db, tc.table), "%s was not created", tc.table)

			want := map[int]int{}
			for _, m := range ms {
				want[m.Version] = 1
			}
			require.Equal(t, want, applied(t, db))

			n, err = schema.Pending(ctx, db, tc.set)
			require.NoError(t, err)
			require.Zero(t, n)

			n, err = schema.Migrate(ctx, db, tc.set)
			require.NoError(t, err)
			require.Zero(t, n, "a second Migrate applies nothing")
			require.Equal(t, want, applied(t, db))
		})
	}
}

func TestPendingCountsUnappliedMigrations(t *testing.T) {
	t.Parallel()
	for _, tc := range sets {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := pgtest.New(t).DB
			ms, err := schema.Migrations(tc.set)
			require.NoError(t, err)

			_, err = schema.Migrate(ctx, db, tc.set)
			require.NoError(t, err)
			n, err := schema.Pending(ctx, db, tc.set)
			require.NoError(t, err)
			require.Zero(t, n)

			// A schema_migrations that exists but records nothing: everything is pending.
			_, err = db.ExecContext(ctx, `DELETE FROM schema_migrations`)
			require.NoError(t, err)
			n, err = schema.Pending(ctx, db, tc.set)
			require.NoError(t, err)
			require.Equal(t, len(ms), n)
		})
	}
}

// TestMigrateBothSetsIntoOneDatabase covers a single-database install (DATABASE_URL and
// CHATSTORE_URL naming the same database): each set must be tracked on its own, or the
// second set is taken as applied because the first has the same version numbers.
func TestMigrateBothSetsIntoOneDatabase(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t).DB
	orch, err := schema.Migrations(schema.Orchestrator)
	require.NoError(t, err)
	chat, err := schema.Migrations(schema.ChatStore)
	require.NoError(t, err)

	n, err := schema.Migrate(ctx, db, schema.Orchestrator)
	require.NoError(t, err)
	require.Equal(t, len(orch), n)

	n, err = schema.Pending(ctx, db, schema.ChatStore)
	require.NoError(t, err)
	require.Equal(t, len(chat), n, "chat store migrations are pending: none has run in this database")

	n, err = schema.Migrate(ctx, db, schema.ChatStore)
	require.NoError(t, err)
	require.Equal(t, len(chat), n)
	require.True(t, tableExists(t, db, "messages"), "the chat store's tables were not created")
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	for _, tc := range sets {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := pgtest.New(t).DB
			ms, err := schema.Migrations(tc.set)
			require.NoError(t, err)

			const workers = 4
			counts := make([]int, workers)
			errs := make([]error, workers)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range workers {
				wg.Go(func() {
					<-start
					counts[i], errs[i] = schema.Migrate(ctx, db, tc.set)
				})
			}
			close(start)
			wg.Wait()

			total := 0
			for i := range workers {
				require.NoError(t, errs[i], "worker %d", i)
				total += counts[i]
			}
			require.Equal(t, len(ms), total, "every migration is applied by exactly one worker: %v", counts)

			want := map[int]int{}
			for _, m := range ms {
				want[m.Version] = 1
			}
			require.Equal(t, want, applied(t, db), "each version is recorded once")
			require.True(t, tableExists(t, db, tc.table), "%s was not created", tc.table)
		})
	}
}
