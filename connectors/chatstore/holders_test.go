package chatstore

// An internal test, so that the plan of the very query Holders runs can be checked.

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

// holdersWorld is a chat store of four accounts:
//   - endUser holds ann@ as an end-user,
//   - agent holds ann@ as an agent,
//   - both holds ann@ twice as an end-user and once as an admin, in other cases,
//   - none holds other people only, and rows without an email.
type holdersWorld struct {
	db                         *sqlx.DB
	endUser, agent, both, none string
}

func setupHolders(t *testing.T) holdersWorld {
	t.Helper()
	db := pgtest.New(t, schema.ChatStore).DB
	w := holdersWorld{db: db, endUser: uuid.NewString(), agent: uuid.NewString(), both: uuid.NewString(), none: uuid.NewString()}
	exec := func(query string, args ...any) {
		t.Helper()
		_, err := db.Exec(query, args...)
		require.NoError(t, err)
	}
	for _, id := range []string{w.endUser, w.agent, w.both, w.none} {
		exec(`INSERT INTO accounts (id, name) VALUES ($1, 'Tenant')`, id)
	}
	exec(`INSERT INTO end_users (account_id, email) VALUES ($1, 'ann@example.com'), ($1, 'bob@example.com')`, w.endUser)
	exec(`INSERT INTO agents (account_id, role, email) VALUES ($1, 'owner', 'owner@agency.example'), ($1, 'agent', 'ann@example.com')`, w.agent)
	exec(`INSERT INTO end_users (account_id, email) VALUES ($1, 'Ann@Example.com'), ($1, 'ANN@EXAMPLE.COM')`, w.both)
	exec(`INSERT INTO agents (account_id, role, email) VALUES ($1, 'admin', 'ann@example.COM')`, w.both)
	exec(`INSERT INTO end_users (account_id, email) VALUES ($1, 'bob@example.com'), ($1, NULL), ($1, 'anne@example.com')`, w.none)
	exec(`INSERT INTO agents (account_id, role, email) VALUES ($1, 'owner', NULL), ($1, 'agent', 'ann@example.co')`, w.none)
	return w
}

func TestHolders(t *testing.T) {
	t.Parallel()
	w := setupHolders(t)
	ctx := context.Background()
	sorted := func(ids ...string) []string {
		sort.Strings(ids)
		return ids
	}
	tests := []struct {
		name  string
		email string
		want  []string
	}{
		{name: "end-user in one, agent in another, both in a third", email: "ann@example.com", want: sorted(w.endUser, w.agent, w.both)},
		{name: "case-insensitive and trimmed", email: "  ANN@example.Com\t\n", want: sorted(w.endUser, w.agent, w.both)},
		{name: "end-user only", email: "Bob@Example.com", want: sorted(w.endUser, w.none)},
		{name: "agent only", email: "owner@agency.example", want: []string{w.agent}},
		{name: "nobody", email: "nobody@example.com", want: []string{}},
		{name: "no prefix or suffix match", email: "ann@example", want: []string{}},
		{name: "LIKE wildcards are literal", email: "ann@example.co%", want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := New(w.db).Holders(ctx, tc.email)
			require.NoError(t, err)
			require.NotNil(t, got)
			require.Equal(t, tc.want, got)
			require.True(t, slices.IsSorted(got))
		})
	}

	t.Run("empty email", func(t *testing.T) {
		t.Parallel()
		for _, email := range []string{"", "   "} {
			_, err := New(w.db).Holders(ctx, email)
			require.ErrorIs(t, err, connectors.ErrInvalid)
		}
	})

	t.Run("many at once", func(t *testing.T) {
		t.Parallel()
		emails := []string{"ann@example.com", "  ANN@example.Com\t\n", "Bob@Example.com", "nobody@example.com", "ann@example.com"}
		got, err := New(w.db).HoldersOf(ctx, emails)
		require.NoError(t, err)
		require.Len(t, got, 4, "one entry per email as given")
		for _, email := range emails {
			one, err := New(w.db).Holders(ctx, email)
			require.NoError(t, err)
			require.Equal(t, one, got[email], email)
		}
		require.Equal(t, []string{}, got["nobody@example.com"])
		_, err = New(w.db).HoldersOf(ctx, []string{"ann@example.com", " "})
		require.ErrorIs(t, err, connectors.ErrInvalid)
	})

	t.Run("inside a transaction", func(t *testing.T) {
		t.Parallel()
		tx, err := w.db.BeginTxx(ctx, nil)
		require.NoError(t, err)
		defer tx.Rollback() //nolint:errcheck // nothing was written
		_, err = tx.Exec(`UPDATE agents SET email = NULL WHERE account_id = $1`, w.agent)
		require.NoError(t, err)
		held, err := holdersOf(ctx, tx, []string{"ann@example.com"})
		got := held["ann@example.com"]
		require.NoError(t, err)
		require.Equal(t, sorted(w.endUser, w.both), got, "sees the transaction's own changes")
	})
}

// TestHoldersUsesEmailIndexes checks that the lookup across accounts is served by the
// lower(email) indexes of migration 002, not by a scan of every row. The tables are tiny, so
// sequential scans are switched off for the plan to show which index the planner can use.
func TestHoldersUsesEmailIndexes(t *testing.T) {
	t.Parallel()
	w := setupHolders(t)
	ctx := context.Background()
	tx, err := w.db.BeginTxx(ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback() //nolint:errcheck // read only
	_, err = tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`)
	require.NoError(t, err)

	var raw []byte
	require.NoError(t, tx.GetContext(ctx, &raw, `EXPLAIN (FORMAT JSON) `+accountsHoldingSQL, pq.StringArray{"ann@example.com", "bob@example.com"}))
	var plans []struct {
		Plan planNode `json:"Plan"`
	}
	require.NoError(t, json.Unmarshal(raw, &plans))
	require.Len(t, plans, 1)

	scans := map[string]string{} // index name -> node type
	var visit func(n planNode)
	visit = func(n planNode) {
		if n.IndexName != "" {
			scans[n.IndexName] = n.NodeType
		}
		for _, k := range n.Plans {
			visit(k)
		}
	}
	visit(plans[0].Plan)
	for _, index := range []string{"end_users_email", "agents_email"} {
		require.Contains(t, scans, index, "plan: %s", raw)
		require.Contains(t, []string{"Index Scan", "Index Only Scan", "Bitmap Index Scan"}, scans[index], "plan: %s", raw)
	}
	require.NotContains(t, string(raw), `"Seq Scan"`)
}

// planNode is one node of PostgreSQL's EXPLAIN (FORMAT JSON) output.
type planNode struct {
	NodeType  string     `json:"Node Type"`
	IndexName string     `json:"Index Name"`
	Plans     []planNode `json:"Plans"`
}
