package chatstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/connectors/chatstore"
	"dsr/connectors/conformance"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

// fixture writes chat store rows for one tenant, one row at a time: test data, not product
// code.
type fixture struct {
	t      testing.TB
	db     *sqlx.DB
	tenant string
}

func newFixture(t testing.TB, db *sqlx.DB) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db, tenant: uuid.NewString()}
	_, err := db.Exec(`INSERT INTO accounts (id, name) VALUES ($1, 'Test tenant')`, f.tenant)
	require.NoError(t, err)
	return f
}

// setup gives a test a connector on its own chat store and a fixture for one tenant in it.
func setup(t *testing.T) (*chatstore.Connector, *fixture) {
	t.Helper()
	sch := pgtest.New(t, schema.ChatStore)
	return chatstore.New(sch.DB), newFixture(t, sch.DB)
}

// with returns the fixture for use by test t (a subtest).
func (f *fixture) with(t testing.TB) *fixture { return &fixture{t: t, db: f.db, tenant: f.tenant} }

func (f *fixture) id(query string, args ...any) int64 {
	f.t.Helper()
	var id int64
	require.NoError(f.t, f.db.Get(&id, query, args...))
	return id
}

func (f *fixture) agent(role, email, name string) int64 {
	f.t.Helper()
	return f.id(`INSERT INTO agents (account_id, role, email, name, display_name, avatar_url)
		VALUES ($1, $2, $3, $4, split_part($4, ' ', 1), 'https://cdn.example/a/' || md5($3)) RETURNING id`,
		f.tenant, role, email, name)
}

func (f *fixture) endUser(email, name string) int64 {
	f.t.Helper()
	return f.id(`INSERT INTO end_users (account_id, email, name, display_name, avatar_url, phone, locale, last_ip, user_agent)
		VALUES ($1, $2, $3, split_part($3, ' ', 1), 'https://cdn.example/u/' || md5($2), '+33 6 12 34 56 78', 'fr-FR',
		        '192.0.2.10', 'Mozilla/5.0') RETURNING id`,
		f.tenant, email, name)
}

func (f *fixture) conversation(requester, agent int64, status string) int64 {
	f.t.Helper()
	return f.id(`INSERT INTO conversations (account_id, requester_id, agent_id, status, subject, closed_at)
		VALUES ($1, NULLIF($2, 0), NULLIF($3, 0), $4, 'Question about my order',
		        CASE WHEN $4 = 'closed' THEN now() END) RETURNING id`,
		f.tenant, requester, agent, status)
}

func (f *fixture) message(conv int64, kind string, author int64, authorName, body string) int64 {
	f.t.Helper()
	return f.id(`INSERT INTO messages (conversation_id, author_kind, author_id, author_name, body)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, conv, kind, author, authorName, body)
}

func (f *fixture) attachment(msg int64, filename string) int64 {
	f.t.Helper()
	return f.id(`INSERT INTO attachments (message_id, filename, content_type, size_bytes, storage_key)
		VALUES ($1::bigint, $2::text, 'image/png', 2048, 'att/' || $1::bigint || '/' || $2::text) RETURNING id`, msg, filename)
}

// tokenHash is the hash stored for a holder's OAuth token.
func tokenHash(column string, id int64) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "token-%s-%d", column, id))
	return hex.EncodeToString(sum[:])
}

// personal adds an OAuth token, a session and a saved search to an end-user (column
// "end_user_id") or an agent ("agent_id").
func (f *fixture) personal(column string, id int64) {
	f.t.Helper()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO oauth_tokens (account_id, ` + column + `, provider, access_token_hash, scopes, expires_at)
			VALUES ($1, $2, 'google', $3, 'openid email', now() + interval '1 hour')`, []any{tokenHash(column, id)}},
		{`INSERT INTO sessions (account_id, ` + column + `, ip_address, user_agent) VALUES ($1, $2, '198.51.100.7', 'Mozilla/5.0')`, nil},
		{`INSERT INTO saved_searches (account_id, ` + column + `, name, query) VALUES ($1, $2, 'Mine', 'status:open')`, nil},
	} {
		_, err := f.db.Exec(q.sql, append([]any{f.tenant, id}, q.args...)...)
		require.NoError(f.t, err)
	}
}

// person is a seeded subject and what the fixture knows about them.
type person struct {
	connectors.Subject
	Name      string
	EndUserID int64
	AgentID   int64
	// Colleague is the agent (for an end-user) or the customer (for an agent) on the other
	// side of their conversations.
	Colleague int64
	// SharedThreadMessage is another end-user's message in a conversation the subject wrote in.
	SharedThreadMessage int64
}

func unique() string { return strings.ReplaceAll(uuid.NewString()[:13], "-", "") }

// seedEndUser creates an end-user with two closed conversations (and an open one if asked)
// with an agent, four messages in each, one attachment from each side per conversation, a
// message they wrote in another end-user's conversation, and a token, session and saved
// search. Their email is stored in mixed case.
func (f *fixture) seedEndUser(open bool) person {
	f.t.Helper()
	tag := unique()
	email := "Visitor." + tag + "@Example.COM"
	name := "Ines Q" + tag
	first := strings.Fields(name)[0]
	p := person{Subject: connectors.Subject{TenantID: f.tenant, Email: strings.ToLower(email)}, Name: name}
	p.EndUserID = f.endUser(email, name)
	agentName := "Marta Colleague" + tag
	p.Colleague = f.agent("agent", "colleague."+tag+"@staff.example", agentName)
	f.personal("end_user_id", p.EndUserID)

	statuses := []string{"closed", "closed"}
	if open {
		statuses = append(statuses, "open")
	}
	for _, status := range statuses {
		conv := f.conversation(p.EndUserID, p.Colleague, status)
		m := f.message(conv, "end_user", p.EndUserID, name, "Hi, I'm "+name+", my order has not arrived.")
		f.attachment(m, "receipt.png")
		m = f.message(conv, "agent", p.Colleague, agentName, "Hello "+first+", let me check. Is "+p.Email+" your account email?")
		f.attachment(m, "guide.pdf")
		f.message(conv, "end_user", p.EndUserID, name, "Yes it is.")
		f.message(conv, "agent", p.Colleague, agentName, "Thanks, it ships tomorrow.")
	}

	// A message in someone else's conversation (a merged or shared thread).
	other := f.endUser("other."+tag+"@example.com", "Other Person"+tag)
	conv := f.conversation(other, p.Colleague, "closed")
	p.SharedThreadMessage = f.message(conv, "end_user", other, "Other Person"+tag, "Question from the other person.")
	m := f.message(conv, "end_user", p.EndUserID, name, "I have the same question.")
	f.attachment(m, "screenshot.png")
	return p
}

// seedAgent creates a member of staff with the given role who answered a customer's
// conversation (three messages of theirs, one with an attachment), with a token, session and
// saved search.
func (f *fixture) seedAgent(role string) person {
	f.t.Helper()
	tag := unique()
	email := "Agent." + tag + "@Staff.Example"
	name := "Jonas Staff" + tag
	p := person{Subject: connectors.Subject{TenantID: f.tenant, Email: strings.ToLower(email)}, Name: name}
	p.AgentID = f.agent(role, email, name)
	f.personal("agent_id", p.AgentID)

	customerName := "Customer Person" + tag
	p.Colleague = f.endUser("customer."+tag+"@example.com", customerName)
	conv := f.conversation(p.Colleague, p.AgentID, "closed")
	f.message(conv, "end_user", p.Colleague, customerName, "Hello, I need help.")
	m := f.message(conv, "agent", p.AgentID, name, "Sure, here is the guide.")
	f.attachment(m, "guide.pdf")
	f.message(conv, "end_user", p.Colleague, customerName, "Thanks!")
	f.message(conv, "agent", p.AgentID, name, "You are welcome.")
	f.message(conv, "system", 0, "", "Conversation closed.")
	return p
}

// has reads the chat store directly: does it hold a profile with the subject's email?
func has(t testing.TB, db *sqlx.DB, s connectors.Subject) bool {
	t.Helper()
	var ok bool
	require.NoError(t, db.Get(&ok, `SELECT
		EXISTS (SELECT 1 FROM end_users WHERE account_id = $1 AND lower(email) = lower($2))
		OR EXISTS (SELECT 1 FROM agents WHERE account_id = $1 AND lower(email) = lower($2))`, s.TenantID, s.Email))
	return ok
}

// occurrences counts, per table.column, the rows whose text (or JSON) contains needle,
// ignoring case, over every table of the test schema.
func occurrences(t testing.TB, db *sqlx.DB, needle string) map[string]int64 {
	t.Helper()
	var cols []struct {
		Table  string `db:"table_name"`
		Column string `db:"column_name"`
	}
	require.NoError(t, db.Select(&cols, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('text', 'jsonb', 'ARRAY', 'character varying')
		ORDER BY table_name, column_name`))
	require.NotEmpty(t, cols)
	out := map[string]int64{}
	for _, c := range cols {
		var n int64
		require.NoError(t, db.Get(&n, fmt.Sprintf(`SELECT count(*) FROM %q WHERE %q::text ILIKE '%%' || $1 || '%%'`, c.Table, c.Column), needle))
		if n > 0 {
			out[c.Table+"."+c.Column] = n
		}
	}
	return out
}

// harness runs the conformance suite on the chat store.
type harness struct {
	mu       sync.Mutex
	fixtures map[connectors.Connector]*fixture
}

var _ conformance.Harness = (*harness)(nil)

func (h *harness) New(t *testing.T) connectors.Connector {
	c, f := setup(t)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fixtures == nil {
		h.fixtures = map[connectors.Connector]*fixture{}
	}
	h.fixtures[c] = f
	return c
}

func (h *harness) fixture(t *testing.T, c connectors.Connector) *fixture {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	f, ok := h.fixtures[c]
	require.True(t, ok, "connector not made by this harness")
	return &fixture{t: t, db: f.db, tenant: f.tenant}
}

func (h *harness) Seed(t *testing.T, c connectors.Connector, spec conformance.SubjectSpec) connectors.Subject {
	t.Helper()
	f := h.fixture(t, c)
	switch spec.Role {
	case conformance.RoleEndUser:
		return f.seedEndUser(spec.OpenConversation).Subject
	case conformance.RoleAgent:
		if spec.OpenConversation {
			t.Skipf("an agent is never the requester of a conversation")
		}
		return f.seedAgent("agent").Subject
	}
	t.Fatalf("unknown role %q", spec.Role)
	return connectors.Subject{}
}

func (h *harness) Has(t *testing.T, c connectors.Connector, s connectors.Subject) bool {
	t.Helper()
	return has(t, h.fixture(t, c).db, s)
}

func (h *harness) RectifyField() string { return "name" }

// ctx is the context of every call in these tests.
var ctx = context.Background()
