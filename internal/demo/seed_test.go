package demo_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"dsr/internal/demo"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

var ctx = context.Background()

func setup(t testing.TB) *sqlx.DB {
	t.Helper()
	return pgtest.New(t, schema.ChatStore).DB
}

// tables of the chat store with what identifies a tenant's rows in them.
var tables = []struct{ name, tenantRows string }{
	{"accounts", `id = $1`},
	{"agents", `account_id = $1`},
	{"end_users", `account_id = $1`},
	{"conversations", `account_id = $1`},
	{"messages", `conversation_id IN (SELECT id FROM conversations WHERE account_id = $1)`},
	{"attachments", `message_id IN (SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.account_id = $1)`},
	{"oauth_tokens", `account_id = $1`},
	{"sessions", `account_id = $1`},
	{"saved_searches", `account_id = $1`},
}

// digest returns, per table, the number of the tenant's rows and a hash of their contents
// in id order.
func digest(t *testing.T, db *sqlx.DB, tenant string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tb := range tables {
		var d string
		require.NoError(t, db.Get(&d, fmt.Sprintf(`SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t.id)), '')
			FROM %s t WHERE %s`, tb.name, tb.tenantRows), tenant))
		out[tb.name] = d
	}
	return out
}

func count(t *testing.T, db *sqlx.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, db.Get(&n, query, args...))
	return n
}

func TestSeedDeterministic(t *testing.T) {
	t.Parallel()
	o := demo.Options{TenantID: uuid.NewString(), TenantName: "Café Müller & Co", EndUsers: 60, Messages: 900}
	var digests []map[string]string
	for range 2 {
		db := setup(t)
		st, err := demo.Seed(ctx, db, o)
		require.NoError(t, err)
		require.Equal(t, int64(900), st.Messages)
		digests = append(digests, digest(t, db, o.TenantID))
	}
	require.Equal(t, digests[0], digests[1], "two seeds of one tenant into empty stores are identical")

	other := o
	other.TenantID = uuid.NewString()
	db := setup(t)
	_, err := demo.Seed(ctx, db, other)
	require.NoError(t, err)
	require.NotEqual(t, digests[0]["messages"], digest(t, db, other.TenantID)["messages"], "another tenant gets other data")
}

func TestSeedShape(t *testing.T) {
	t.Parallel()
	db := setup(t)
	tenant := uuid.NewString()
	st, err := demo.Seed(ctx, db, demo.Options{TenantID: tenant, TenantName: "Acme Corp", EndUsers: 200, Messages: 3000})
	require.NoError(t, err)
	require.Positive(t, st.Duration)

	// Stats agree with the tables.
	for _, tc := range []struct {
		table string
		got   int64
	}{
		{"accounts", st.Accounts}, {"agents", st.Agents}, {"end_users", st.EndUsers},
		{"conversations", st.Conversations}, {"messages", st.Messages}, {"attachments", st.Attachments},
		{"oauth_tokens", st.OAuthTokens}, {"sessions", st.Sessions}, {"saved_searches", st.SavedSearches},
	} {
		require.Equal(t, count(t, db, `SELECT count(*) FROM `+tc.table), tc.got, tc.table)
		require.Positive(t, tc.got, tc.table)
	}
	require.Equal(t, int64(200), st.EndUsers)
	require.Equal(t, int64(3000), st.Messages)

	for _, tc := range []struct {
		name  string
		query string
		want  int64
	}{
		{"8 staff", `SELECT count(*) FROM agents`, 8},
		{"one owner", `SELECT count(*) FROM agents WHERE role = 'owner' AND email = 'owner@acme-corp.example'`, 1},
		{"two admins", `SELECT count(*) FROM agents WHERE role = 'admin' AND email IN ('agent1@acme-corp.example', 'agent2@acme-corp.example')`, 2},
		{"agents' emails", `SELECT count(*) FROM agents WHERE role = 'agent' AND email ~ '^agent[3-7]@acme-corp\.example$'`, 5},
		{"visitor emails", `SELECT count(*) FROM end_users WHERE email = 'visitor' || (id - (SELECT min(id) FROM end_users) + 1) || '@example.com'`, 200},
		{"end-user author names are copies", `SELECT count(*) FROM messages m JOIN end_users u ON u.id = m.author_id
			WHERE m.author_kind = 'end_user' AND m.author_name IS DISTINCT FROM u.name`, 0},
		{"agent author names are copies", `SELECT count(*) FROM messages m JOIN agents a ON a.id = m.author_id
			WHERE m.author_kind = 'agent' AND m.author_name IS DISTINCT FROM a.name`, 0},
		{"every author exists", `SELECT count(*) FROM messages m WHERE NOT EXISTS (
			SELECT 1 FROM end_users u WHERE m.author_kind = 'end_user' AND u.id = m.author_id
			UNION ALL SELECT 1 FROM agents a WHERE m.author_kind = 'agent' AND a.id = m.author_id)`, 0},
		{"end-user authors are the requester", `SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
			WHERE m.author_kind = 'end_user' AND m.author_id <> c.requester_id`, 0},
		{"agent authors are the assignee", `SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
			WHERE m.author_kind = 'agent' AND m.author_id <> c.agent_id`, 0},
		{"every conversation has messages", `SELECT count(*) FROM conversations c WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)`, 0},
		{"the visitor writes first", `SELECT count(*) FROM (SELECT DISTINCT ON (conversation_id) author_kind FROM messages ORDER BY conversation_id, created_at, id) f WHERE author_kind <> 'end_user'`, 0},
		{"open conversations are not closed", `SELECT count(*) FROM conversations WHERE (status = 'open') = (closed_at IS NOT NULL)`, 0},
		{"messages fall inside their conversation", `SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
			WHERE m.created_at < c.created_at OR m.created_at > c.closed_at`, 0},
		{"every visitor has a conversation", `SELECT count(*) FROM end_users u WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.requester_id = u.id)`, 0},
		{"visitor1 has an open conversation", `SELECT count(*) FROM end_users u WHERE u.email = 'visitor1@example.com'
			AND EXISTS (SELECT 1 FROM conversations c WHERE c.requester_id = u.id AND c.status = 'open')
			AND EXISTS (SELECT 1 FROM oauth_tokens o WHERE o.end_user_id = u.id)
			AND EXISTS (SELECT 1 FROM sessions s WHERE s.end_user_id = u.id)
			AND EXISTS (SELECT 1 FROM saved_searches s WHERE s.end_user_id = u.id)`, 1},
		{"visitor2 has only closed conversations", `SELECT count(*) FROM end_users u WHERE u.email = 'visitor2@example.com'
			AND EXISTS (SELECT 1 FROM conversations c WHERE c.requester_id = u.id)
			AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.requester_id = u.id AND c.status = 'open')`, 1},
		{"token hashes only", `SELECT count(*) FROM oauth_tokens WHERE access_token_hash !~ '^[0-9a-f]{64}$'`, 0},
		{"every agent has a token", `SELECT count(*) FROM agents a WHERE NOT EXISTS (SELECT 1 FROM oauth_tokens o WHERE o.agent_id = a.id)`, 0},
		{"nothing from the clock", `SELECT count(*) FROM (
			SELECT created_at FROM accounts UNION ALL SELECT created_at FROM agents UNION ALL SELECT created_at FROM end_users
			UNION ALL SELECT created_at FROM conversations UNION ALL SELECT created_at FROM messages
			UNION ALL SELECT created_at FROM attachments UNION ALL SELECT created_at FROM sessions) t
			WHERE created_at > '2026-06-01'`, 0},
	} {
		require.Equal(t, tc.want, count(t, db, tc.query), tc.name)
	}

	open := count(t, db, `SELECT count(*) FROM conversations WHERE status = 'open'`)
	require.InDelta(t, 0.10, float64(open)/float64(st.Conversations), 0.05, "about 10%% of conversations are open")
	require.InDelta(t, 0.03, float64(st.Attachments)/float64(st.Messages), 0.015, "about 3%% of messages carry a file")
	require.Positive(t, count(t, db, `SELECT count(*) FROM messages m JOIN end_users u ON u.id = m.author_id
		WHERE m.author_kind = 'end_user' AND m.body LIKE '%' || split_part(u.name, ' ', 1) || '%'`), "bodies sometimes name the visitor")
	require.Greater(t, count(t, db, `SELECT max(n) FROM (SELECT count(*) AS n FROM conversations GROUP BY requester_id) c`), int64(3),
		"some visitors have many conversations")
}

func TestSeedTenants(t *testing.T) {
	t.Parallel()
	db := setup(t)
	// An existing account keeps its name; its staff domain follows it.
	existing := uuid.NewString()
	_, err := db.Exec(`INSERT INTO accounts (id, name) VALUES ($1, 'Brasserie Łódź')`, existing)
	require.NoError(t, err)

	tenants := []demo.Options{
		{TenantID: existing, TenantName: "ignored", EndUsers: 30, Messages: 200},
		{TenantID: uuid.NewString(), EndUsers: 40, Messages: 300},
		{TenantID: uuid.NewString(), EndUsers: 20, Messages: 100},
	}
	var wg sync.WaitGroup
	errs := make([]error, len(tenants))
	for i, o := range tenants {
		wg.Go(func() { _, errs[i] = demo.Seed(ctx, db, o) })
	}
	wg.Wait()
	for i := range tenants {
		require.NoError(t, errs[i], "tenant %d", i)
	}
	for _, o := range tenants {
		require.Equal(t, int64(o.EndUsers), count(t, db, `SELECT count(*) FROM end_users WHERE account_id = $1`, o.TenantID))
		require.Equal(t, int64(o.Messages), count(t, db, `SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.account_id = $1`, o.TenantID))
		require.Equal(t, int64(1), count(t, db, `SELECT count(*) FROM end_users WHERE account_id = $1 AND email = 'visitor1@example.com'`, o.TenantID))
	}
	require.Equal(t, int64(1), count(t, db, `SELECT count(*) FROM agents WHERE account_id = $1 AND email = 'owner@brasserie-lodz.example'`, existing))
	require.Equal(t, int64(1), count(t, db, `SELECT count(*) FROM agents WHERE account_id = $1 AND email = $2`,
		tenants[1].TenantID, "owner@demo-"+tenants[1].TenantID[:8]+".example"))
	require.Equal(t, int64(0), count(t, db, `SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
		JOIN end_users u ON u.id = m.author_id AND m.author_kind = 'end_user' WHERE u.account_id <> c.account_id`), "no message crosses tenants")

	_, err = demo.Seed(ctx, db, tenants[1])
	require.ErrorIs(t, err, demo.ErrSeeded)
}

func TestSeedDefaultsAndValidation(t *testing.T) {
	t.Parallel()
	db := setup(t)
	st, err := demo.Seed(ctx, db, demo.Options{TenantID: uuid.NewString()})
	require.NoError(t, err)
	require.Equal(t, int64(demo.DefaultEndUsers), st.EndUsers)
	require.Equal(t, int64(demo.DefaultMessages), st.Messages)

	for _, tc := range []struct {
		name string
		o    demo.Options
	}{
		{"not a uuid", demo.Options{TenantID: "acme"}},
		{"negative", demo.Options{TenantID: uuid.NewString(), Messages: -1}},
	} {
		_, err := demo.Seed(ctx, db, tc.o)
		require.Error(t, err, tc.name)
	}
}

func TestDomain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "Acme Corp", "acme-corp.example"},
		{"accents", "Café Müller & Co.", "cafe-mueller-co.example"},
		{"nothing usable", "***", "demo-tenant.example"},
	} {
		require.Equal(t, tc.want, demo.Domain(tc.in), tc.name)
	}
}

// BenchmarkSeed seeds DSR_SEED_MESSAGES messages (default 1,000,000) for
// DSR_SEED_END_USERS end-users (default 100,000) per iteration, into a fresh schema:
//
//	go test -run '^$' -bench Seed -benchtime 1x ./demo/
func BenchmarkSeed(b *testing.B) {
	messages, users := envInt(b, "DSR_SEED_MESSAGES", 1_000_000), envInt(b, "DSR_SEED_END_USERS", 100_000)
	for b.Loop() {
		b.StopTimer()
		db := setup(b)
		b.StartTimer()
		st, err := demo.Seed(ctx, db, demo.Options{TenantID: uuid.NewString(), TenantName: "Bench", EndUsers: users, Messages: messages})
		require.NoError(b, err)
		b.ReportMetric(float64(st.Messages)/st.Duration.Seconds(), "messages/s")
		b.Logf("%+v", st)
	}
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(b, err, name)
	return n
}
