// Package pgtest hands each test its own PostgreSQL schema on the local server, migrated with
// dsr's embedded migrations and dropped when the test ends. Tests run against a real
// PostgreSQL: DSR_TEST_DATABASE_URL, or the local server's "test" database by default.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver
	"github.com/stretchr/testify/require"

	"dsr/schema"
)

// DefaultURL is the server tests use when DSR_TEST_DATABASE_URL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// BaseURL returns the URL of the database the test schemas are made in.
func BaseURL() string {
	if u := os.Getenv("DSR_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Schema is one test's private schema.
type Schema struct {
	// Name is the schema's name.
	Name string
	// URL connects with the schema first on the search path.
	URL string
	// DB is an open pool on URL.
	DB *sqlx.DB
}

// New creates a fresh schema, applies the given migration sets to it and drops it (with
// everything in it) when the test ends.
func New(t testing.TB, sets ...schema.Set) *Schema {
	t.Helper()
	ctx := context.Background()

	admin, err := sqlx.Open("postgres", BaseURL())
	require.NoError(t, err)
	admin.SetMaxOpenConns(1)
	t.Cleanup(func() { admin.Close() })

	buf := make([]byte, 6)
	_, err = rand.Read(buf)
	require.NoError(t, err)
	name := "t_" + hex.EncodeToString(buf)
	_, err = admin.ExecContext(ctx, `CREATE SCHEMA `+name)
	require.NoError(t, err, "create test schema (is PostgreSQL running at %s?)", BaseURL())

	u, err := url.Parse(BaseURL())
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()

	db, err := sqlx.Open("postgres", u.String())
	require.NoError(t, err)
	// Tests run in parallel against one server (max_connections is 100 by default): keep
	// each pool small.
	db.SetMaxOpenConns(8)
	t.Cleanup(func() {
		db.Close()
		_, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+name+` CASCADE`)
		if err != nil {
			t.Logf("drop test schema %s: %v", name, err)
		}
	})
	for _, set := range sets {
		_, err := schema.Migrate(ctx, db, set)
		require.NoError(t, err, "migrate %s", set)
	}
	return &Schema{Name: name, URL: u.String(), DB: db}
}
