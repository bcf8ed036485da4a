// Package schema holds the numbered SQL migrations of both databases dsr talks to and applies
// them. Each migration runs in its own transaction; a PostgreSQL advisory lock keeps two
// processes from migrating the same database at once.
package schema

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"

	"github.com/jmoiron/sqlx"
)

//go:embed orchestrator/*.sql chatstore/*.sql
var files embed.FS

// Set names one database's migrations.
type Set string

const (
	// Orchestrator is dsr's own record: tenants, API keys, requests and their events.
	Orchestrator Set = "orchestrator"
	// ChatStore is the reference chat store that the chat-store connector works on.
	ChatStore Set = "chatstore"
)

var migrationName = regexp.MustCompile(`^(\d{3})_[a-z0-9_]+\.sql$`)

// Migration is one numbered SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the migrations of a set in the order they apply.
func Migrations(set Set) ([]Migration, error) {
	entries, err := fs.ReadDir(files, string(set))
	if err != nil {
		return nil, fmt.Errorf("read migrations of %s: %w", set, err)
	}
	var out []Migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %s/%s: name must look like 001_name.sql", set, e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(files, string(set)+"/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s/%s: %w", set, e.Name(), err)
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations of %s: version %03d used twice", set, out[i].Version)
		}
	}
	return out, nil
}

// lockKey, with the set's name, keys the advisory lock taken while migrating; any constant
// works as long as it is the same in every dsr process.
const lockKey = 0x647372 // "dsr"

// Migrate applies the set's migrations that the database has not seen yet and returns how
// many it applied. It is safe to call from several processes at once.
func Migrate(ctx context.Context, db *sqlx.DB, set Set) (int, error) {
	migrations, err := Migrations(set)
	if err != nil {
		return 0, err
	}
	conn, err := db.Connx(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate %s: connect: %w", set, err)
	}
	defer conn.Close()

	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, lockKey, string(set)); err != nil {
		return 0, fmt.Errorf("migrate %s: take lock: %w", set, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext($2))`, lockKey, string(set)) //nolint:errcheck // the lock also ends with the session

	// Both sets may share one database, so a version is recorded with its set.
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		migration_set text NOT NULL,
		version integer NOT NULL,
		name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (migration_set, version))`); err != nil {
		return 0, fmt.Errorf("migrate %s: create schema_migrations: %w", set, err)
	}
	var applied []int
	if err := sqlx.SelectContext(ctx, conn, &applied, `SELECT version FROM schema_migrations WHERE migration_set = $1`, string(set)); err != nil {
		return 0, fmt.Errorf("migrate %s: read applied versions: %w", set, err)
	}
	seen := make(map[int]bool, len(applied))
	for _, v := range applied {
		seen[v] = true
	}
	n := 0
	for _, m := range migrations {
		if seen[m.Version] {
			continue
		}
		if err := apply(ctx, conn, set, m); err != nil {
			return n, fmt.Errorf("migrate %s: %w", set, err)
		}
		n++
	}
	return n, nil
}

func apply(ctx context.Context, conn *sqlx.Conn, set Set, m Migration) error {
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("apply %s: begin: %w", m.Name, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("apply %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (migration_set, version, name) VALUES ($1, $2, $3)`, string(set), m.Version, m.Name); err != nil {
		return fmt.Errorf("apply %s: record version: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("apply %s: commit: %w", m.Name, err)
	}
	return nil
}

// Pending reports how many migrations of the set the database has not applied; readiness
// checks use it.
func Pending(ctx context.Context, db *sqlx.DB, set Set) (int, error) {
	migrations, err := Migrations(set)
	if err != nil {
		return 0, err
	}
	var applied []int
	if err := db.SelectContext(ctx, &applied, `SELECT version FROM schema_migrations WHERE migration_set = $1`, string(set)); err != nil {
		return len(migrations), fmt.Errorf("read applied versions of %s: %w", set, err)
	}
	seen := make(map[int]bool, len(applied))
	for _, v := range applied {
		seen[v] = true
	}
	n := 0
	for _, m := range migrations {
		if !seen[m.Version] {
			n++
		}
	}
	return n, nil
}
