package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Defaults of Options.
const (
	DefaultEndUsers = 1000
	DefaultMessages = 10000
)

// Epoch is the base of every generated timestamp: the data covers the year that follows it.
// Generated data never depends on the clock.
var Epoch = time.Date(2025, time.January, 6, 8, 0, 0, 0, time.UTC)

// ErrSeeded is returned when the tenant already has agents or end-users in the chat store:
// seeding it again would duplicate the well-known demo subjects.
var ErrSeeded = errors.New("tenant already has chat data")

// Options says which tenant to seed and how much.
type Options struct {
	// TenantID is the dsr tenant id (accounts.id), a uuid.
	TenantID string
	// TenantName names the account when Seed creates it; default "Demo <first 8 of id>".
	// An existing account keeps its name. The staff's email domain derives from the name.
	TenantName string
	// EndUsers is the number of website visitors; default DefaultEndUsers.
	EndUsers int
	// Messages is the number of messages over all conversations; default DefaultMessages.
	Messages int
	// Progress, when set, is told each table as it is loaded, with its rows.
	Progress func(table string, rows int64)
}

func (o Options) withDefaults() (Options, error) {
	id, err := uuid.Parse(o.TenantID)
	if err != nil {
		return o, fmt.Errorf("tenant id %q is not a uuid: %w", o.TenantID, err)
	}
	o.TenantID = id.String()
	if o.EndUsers < 0 || o.Messages < 0 {
		return o, fmt.Errorf("end-users (%d) and messages (%d) must not be negative", o.EndUsers, o.Messages)
	}
	if o.EndUsers == 0 {
		o.EndUsers = DefaultEndUsers
	}
	if o.Messages == 0 {
		o.Messages = DefaultMessages
	}
	if strings.TrimSpace(o.TenantName) == "" {
		o.TenantName = "Demo " + o.TenantID[:8]
	}
	return o, nil
}

// Stats counts the rows Seed wrote per table, and how long it took.
type Stats struct {
	Accounts      int64         `json:"accounts"`
	Agents        int64         `json:"agents"`
	EndUsers      int64         `json:"end_users"`
	Conversations int64         `json:"conversations"`
	Messages      int64         `json:"messages"`
	Attachments   int64         `json:"attachments"`
	OAuthTokens   int64         `json:"oauth_tokens"`
	Sessions      int64         `json:"sessions"`
	SavedSearches int64         `json:"saved_searches"`
	Duration      time.Duration `json:"duration"`
}

// tenantSeed derives the random seed from the tenant id.
func tenantSeed(tenantID string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(tenantID)) //nolint:errcheck // a hash never fails
	return h.Sum64()
}

// Seed fills the chat store on db with synthetic data for one tenant, creating its accounts
// row if missing. The data is the same for the same tenant id, name and sizes. Rows are
// generated as they are sent, with one COPY per table in one transaction; the ids of agents,
// end-users, conversations and messages are reserved from their sequences first, in a short
// transaction of their own, so tenants can be seeded into a store that is in use, several at
// once. A tenant that already has agents or end-users is refused with ErrSeeded.
func Seed(ctx context.Context, db *sqlx.DB, o Options) (Stats, error) {
	start := time.Now()
	o, err := o.withDefaults()
	if err != nil {
		return Stats{}, fmt.Errorf("seed demo tenant: %w", err)
	}
	name, err := checkTenant(ctx, db, o)
	if err != nil {
		return Stats{}, err
	}
	g := newGenerator(tenantSeed(o.TenantID), o, name)
	if err := reserve(ctx, db, g); err != nil {
		return Stats{}, fmt.Errorf("seed demo tenant %s: %w", o.TenantID, err)
	}
	g.makeAgents()

	st, err := load(ctx, db, g, o)
	if err != nil {
		return Stats{}, fmt.Errorf("seed demo tenant %s: %w", o.TenantID, err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE accounts, agents, end_users, conversations, messages, attachments, oauth_tokens, sessions, saved_searches`); err != nil {
		return Stats{}, fmt.Errorf("seed demo tenant %s: analyze: %w", o.TenantID, err)
	}
	st.Duration = time.Since(start)
	return st, nil
}

const seededSQL = `SELECT EXISTS (SELECT 1 FROM agents WHERE account_id = $1)
    OR EXISTS (SELECT 1 FROM end_users WHERE account_id = $1)`

// checkTenant refuses a tenant that already has data and returns the account's name (the
// existing one, or the one Seed will create).
func checkTenant(ctx context.Context, db *sqlx.DB, o Options) (string, error) {
	var seeded bool
	if err := db.GetContext(ctx, &seeded, seededSQL, o.TenantID); err != nil {
		return "", fmt.Errorf("seed demo tenant %s: check for data: %w", o.TenantID, err)
	}
	if seeded {
		return "", fmt.Errorf("seed demo tenant %s: %w", o.TenantID, ErrSeeded)
	}
	var name string
	err := db.GetContext(ctx, &name, `SELECT name FROM accounts WHERE id = $1`, o.TenantID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return o.TenantName, nil
	case err != nil:
		return "", fmt.Errorf("seed demo tenant %s: read account: %w", o.TenantID, err)
	}
	return name, nil
}

// reserve takes a block of ids from the sequences of the tables whose ids other rows refer
// to. The lock keeps inserts that draw from the same sequences out for the instant between
// nextval and setval; it is held only for this short transaction. Attachments, tokens,
// sessions and saved searches take their ids from their sequences row by row instead: no
// row refers to them.
func reserve(ctx context.Context, db *sqlx.DB, g *generator) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("reserve ids: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	if _, err := tx.ExecContext(ctx, `LOCK TABLE agents, end_users, conversations, messages IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("reserve ids: lock tables: %w", err)
	}
	for _, b := range []struct {
		table string
		n     int
		base  *int64
	}{
		{"agents", agentCount, &g.agentBase},
		{"end_users", g.users, &g.userBase},
		{"conversations", g.conversations(), &g.convBase},
		{"messages", g.messages, &g.msgBase},
	} {
		if b.n == 0 {
			continue
		}
		err := tx.GetContext(ctx, b.base, `SELECT setval(s, nextval(s) + $2 - 1) - $2 + 1
			FROM pg_get_serial_sequence($1, 'id') AS s`, b.table, b.n)
		if err != nil {
			return fmt.Errorf("reserve %d ids of %s: %w", b.n, b.table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("reserve ids: commit: %w", err)
	}
	return nil
}

// load writes every table in one transaction.
func load(ctx context.Context, db *sqlx.DB, g *generator, o Options) (Stats, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return Stats{}, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit

	// Two seeds of one tenant at once: the second waits here, then finds the data.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('dsr demo seed ' || $1))`, o.TenantID); err != nil {
		return Stats{}, fmt.Errorf("lock tenant: %w", err)
	}
	var st Stats
	res, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
		o.TenantID, g.tenantName, Epoch)
	if err != nil {
		return Stats{}, fmt.Errorf("create account: %w", err)
	}
	if st.Accounts, err = res.RowsAffected(); err != nil {
		return Stats{}, fmt.Errorf("create account: %w", err)
	}
	var seeded bool
	if err := tx.GetContext(ctx, &seeded, seededSQL, o.TenantID); err != nil {
		return Stats{}, fmt.Errorf("check for data: %w", err)
	}
	if seeded {
		return Stats{}, ErrSeeded
	}

	for _, t := range []struct {
		table   string
		columns string
		count   *int64
		rows    func(emit func(...any) error) error
	}{
		{"agents", "id, account_id, role, name, email, display_name, avatar_url, created_at", &st.Agents, g.agentRows},
		{"end_users", "id, account_id, email, name, display_name, avatar_url, phone, locale, last_ip, user_agent, created_at, updated_at", &st.EndUsers, g.userRows},
		{"conversations", "id, account_id, requester_id, agent_id, status, subject, channel, created_at, closed_at", &st.Conversations, g.conversationRows},
		{"messages", "id, conversation_id, author_kind, author_id, author_name, body, created_at", &st.Messages, g.messageRows},
		{"attachments", "message_id, filename, content_type, size_bytes, storage_key, created_at", &st.Attachments, g.attachmentRows},
		{"oauth_tokens", "account_id, end_user_id, agent_id, provider, access_token_hash, scopes, expires_at, created_at", &st.OAuthTokens, g.holderRows(g.tokens)},
		{"sessions", "account_id, end_user_id, agent_id, ip_address, user_agent, created_at, last_seen_at", &st.Sessions, g.holderRows(g.sessions)},
		{"saved_searches", "account_id, end_user_id, agent_id, name, query, created_at", &st.SavedSearches, g.holderRows(g.searches)},
	} {
		n, err := copyRows(ctx, tx.Tx, t.table, t.columns, t.rows)
		if err != nil {
			return Stats{}, err
		}
		*t.count = n
		if o.Progress != nil {
			o.Progress(t.table, n)
		}
	}
	if err := tx.Commit(); err != nil {
		return Stats{}, fmt.Errorf("commit: %w", err)
	}
	return st, nil
}

// copyRows streams the rows that gen emits into table with one COPY and returns how many
// the server took.
func copyRows(ctx context.Context, tx *sql.Tx, table, columns string, gen func(emit func(...any) error) error) (int64, error) {
	stmt, err := tx.PrepareContext(ctx, `COPY `+table+` (`+columns+`) FROM STDIN`)
	if err != nil {
		return 0, fmt.Errorf("copy %s: start: %w", table, err)
	}
	defer stmt.Close()
	emit := func(values ...any) error {
		if _, err := stmt.ExecContext(ctx, values...); err != nil {
			return fmt.Errorf("copy %s: send row: %w", table, err)
		}
		return nil
	}
	if err := gen(emit); err != nil {
		return 0, err
	}
	res, err := stmt.ExecContext(ctx)
	if err != nil {
		return 0, fmt.Errorf("copy %s: finish: %w", table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("copy %s: rows: %w", table, err)
	}
	return n, nil
}

func (g *generator) agentRows(emit func(...any) error) error {
	for i := range g.agents {
		a := &g.agents[i]
		r := g.at(streamAgent, agentCount+i)
		var avatar any
		if r.IntN(2) == 0 {
			avatar = fmt.Sprintf("https://avatars.example.com/a/%016x.png", r.Uint64())
		}
		created := Epoch.Add(-time.Duration(30+r.IntN(700)) * day)
		if err := emit(a.id, g.tenantID, a.role, a.name, a.email, a.first, avatar, created); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) userRows(emit func(...any) error) error {
	for u := range g.users {
		_, row := g.user(u)
		if err := emit(row...); err != nil {
			return err
		}
	}
	return nil
}

// walk calls fn for every conversation in id order, with its end-user.
func (g *generator) walk(fn func(c *conversation) error) error {
	ci, first := 0, 0
	for u := range g.users {
		n := int(g.convsPerUser[u])
		if n == 0 {
			continue
		}
		user, _ := g.user(u)
		for j := range n {
			c := g.conversation(ci, first, &user, u, j, n)
			if err := fn(&c); err != nil {
				return err
			}
			ci++
			first += c.messages
		}
	}
	return nil
}

func (g *generator) conversationRows(emit func(...any) error) error {
	return g.walk(func(c *conversation) error { return emit(c.row(g.tenantID)...) })
}

func (g *generator) messageRows(emit func(...any) error) error {
	return g.walk(func(c *conversation) error {
		for pos := range c.messages {
			m := g.message(c, pos)
			if err := emit(m.id, c.id, m.kind, m.author.id, m.author.name, g.body(&m), m.created); err != nil {
				return err
			}
		}
		return nil
	})
}

func (g *generator) attachmentRows(emit func(...any) error) error {
	return g.walk(func(c *conversation) error {
		for pos := range c.messages {
			m := g.message(c, pos)
			if row, ok := g.attachment(&m); ok {
				if err := emit(row...); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// holderRows runs rows for every end-user, then every agent.
func (g *generator) holderRows(rows func(h holder, emit func(...any) error) error) func(emit func(...any) error) error {
	return func(emit func(...any) error) error {
		for u := range g.users {
			if err := rows(holder{endUser: g.userBase + int64(u), index: u, forced: u == 0}, emit); err != nil {
				return err
			}
		}
		for i := range g.agents {
			if err := rows(holder{agent: g.agents[i].id, index: g.users + i}, emit); err != nil {
				return err
			}
		}
		return nil
	}
}

// Domain returns the email domain of a demo tenant's staff: the tenant's name made into a
// hostname under the reserved .example top-level domain, e.g. "acme-corp.example".
func Domain(tenantName string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(tenantName) {
		if s, ok := fold[r]; ok {
			b.WriteString(s)
			dash = false
			continue
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	host := strings.TrimRight(b.String(), "-")
	if len(host) > 50 {
		host = strings.TrimRight(host[:50], "-")
	}
	if host == "" {
		host = "demo-tenant"
	}
	return host + ".example"
}

// fold spells common accented letters in ASCII.
var fold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ä': "ae", 'å': "a", 'ã': "a", 'ą': "a",
	'ç': "c", 'č': "c", 'ć': "c", 'ď': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ě': "e", 'ę': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i",
	'ł': "l", 'ñ': "n", 'ń': "n", 'ň': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'ö': "oe", 'õ': "o", 'ø': "o",
	'ř': "r", 'š': "s", 'ś': "s", 'ß': "ss", 'ť': "t",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "ue", 'ů': "u",
	'ý': "y", 'ž': "z", 'ź': "z", 'ż': "z", 'æ': "ae", 'œ': "oe",
}
