package chatstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"dsr/connectors"
	"dsr/internal/demo"
	"dsr/internal/domain"
	"dsr/internal/platform/objectstore"
	"dsr/internal/platform/postgres"
	"dsr/schema"
)

// Role names reported in connectors.Match.Roles.
const (
	RoleEndUser = "end_user"
	RoleAgent   = "agent"
	RoleAdmin   = "admin"
	RoleOwner   = "owner"
)

// Connector reaches one chat store database. It is safe for concurrent use.
type Connector struct {
	db *sqlx.DB
	// objects holds the attachments' files; nil when none is configured.
	objects objectstore.Store
}

var _ connectors.Connector = (*Connector)(nil)

// New returns a connector on the chat store db, whose schema is schema/chatstore.
func New(db *sqlx.DB, opts ...Option) *Connector {
	c := &Connector{db: db}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Name returns "chatstore".
func (c *Connector) Name() string { return "chatstore" }

// Kind returns connectors.KindDatabase.
func (c *Connector) Kind() string { return connectors.KindDatabase }

// subject is what the chat store holds that identifies one data subject: the ids of their
// end_users and agents rows.
type subject struct {
	EndUsers []int64
	Agents   []agentRow
}

type agentRow struct {
	ID   int64  `db:"id"`
	Role string `db:"role"`
}

func (s subject) found() bool { return len(s.EndUsers) > 0 || len(s.Agents) > 0 }

// agentIDs returns the ids of the agents rows, all of them or only those that are (or are
// not) the account owner.
func (s subject) agentIDs(filter func(role string) bool) []int64 {
	ids := make([]int64, 0, len(s.Agents))
	for _, a := range s.Agents {
		if filter == nil || filter(a.Role) {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

func isOwner(role string) bool    { return role == RoleOwner }
func isNotOwner(role string) bool { return role != RoleOwner }

const (
	resolveEndUsersSQL = `SELECT id FROM end_users WHERE account_id = $1 AND lower(email) = lower($2) ORDER BY id`
	resolveAgentsSQL   = `SELECT id, role FROM agents WHERE account_id = $1 AND lower(email) = lower($2) ORDER BY id`
)

// resolve finds the subject's rows. With lock, the rows are locked FOR UPDATE for the rest of
// the transaction, which also keeps new conversations from being opened for them meanwhile.
func resolve(ctx context.Context, q sqlx.QueryerContext, s connectors.Subject, lock bool) (subject, error) {
	suffix := ""
	if lock {
		suffix = " FOR UPDATE"
	}
	// Never nil: pq.Array sends a nil slice as NULL, an empty one as '{}'.
	out := subject{EndUsers: []int64{}, Agents: []agentRow{}}
	if err := sqlx.SelectContext(ctx, q, &out.EndUsers, resolveEndUsersSQL+suffix, s.TenantID, s.Email); err != nil {
		return subject{}, fmt.Errorf("find end-users of tenant %s: %w", s.TenantID, err)
	}
	if err := sqlx.SelectContext(ctx, q, &out.Agents, resolveAgentsSQL+suffix, s.TenantID, s.Email); err != nil {
		return subject{}, fmt.Errorf("find agents of tenant %s: %w", s.TenantID, err)
	}
	return out, nil
}

// countsSQL counts, per export category (full scope), what the chat store holds about the
// subject. $1 are the end_users ids, $2 the agents ids.
const countsSQL = `
WITH msg AS (` + subjectMessageIDsSQL + `)
SELECT
    cardinality($1::bigint[]) + cardinality($2::bigint[]) AS profile,
    (SELECT count(*) FROM conversations WHERE requester_id = ANY($1::bigint[])) AS conversations,
    (SELECT count(*) FROM msg) AS messages,
    (SELECT count(*) FROM attachments WHERE message_id IN (SELECT id FROM msg)) AS attachments,
    (SELECT count(*) FROM oauth_tokens WHERE end_user_id = ANY($1::bigint[]) OR agent_id = ANY($2::bigint[])) AS oauth_tokens,
    (SELECT count(*) FROM sessions WHERE end_user_id = ANY($1::bigint[]) OR agent_id = ANY($2::bigint[])) AS sessions,
    (SELECT count(*) FROM saved_searches WHERE end_user_id = ANY($1::bigint[]) OR agent_id = ANY($2::bigint[])) AS saved_searches`

// Find tells whether the subject is an end-user or agent of the tenant, with which roles, and
// how many records each export category holds about them.
func (c *Connector) Find(ctx context.Context, s connectors.Subject) (connectors.Match, error) {
	if err := connectors.CheckSubject(s); err != nil {
		return connectors.Match{}, fmt.Errorf("find subject: %w", err)
	}
	subj, err := resolve(ctx, c.db, s, false)
	if err != nil {
		return connectors.Match{}, fmt.Errorf("find subject: %w", err)
	}
	if !subj.found() {
		return connectors.Match{Found: false}, nil
	}
	m := connectors.Match{Found: true}
	if len(subj.EndUsers) > 0 {
		m.Roles = append(m.Roles, RoleEndUser)
	}
	for _, a := range subj.Agents {
		if !slices.Contains(m.Roles, a.Role) {
			m.Roles = append(m.Roles, a.Role)
		}
	}
	var n struct {
		Profile       int64 `db:"profile"`
		Conversations int64 `db:"conversations"`
		Messages      int64 `db:"messages"`
		Attachments   int64 `db:"attachments"`
		OAuthTokens   int64 `db:"oauth_tokens"`
		Sessions      int64 `db:"sessions"`
		SavedSearches int64 `db:"saved_searches"`
	}
	if err := c.db.GetContext(ctx, &n, countsSQL, pq.Array(subj.EndUsers), pq.Array(subj.agentIDs(nil))); err != nil {
		return connectors.Match{}, fmt.Errorf("count records of subject in tenant %s: %w", s.TenantID, err)
	}
	m.Counts = map[string]int64{
		CategoryProfile:       n.Profile,
		CategoryConversations: n.Conversations,
		CategoryMessages:      n.Messages,
		CategoryAttachments:   n.Attachments,
		CategoryOAuthTokens:   n.OAuthTokens,
		CategorySessions:      n.Sessions,
		CategorySavedSearches: n.SavedSearches,
	}
	return m, nil
}

const openConversationsSQL = `SELECT count(*) FROM conversations WHERE requester_id = ANY($1::bigint[]) AND status = 'open'`

// Blockers reports, for an erasure, the open conversations on which the subject is the
// requester: the end-user cannot be erased until they close or a DPO overrides. Other request
// types are never blocked.
func (c *Connector) Blockers(ctx context.Context, req connectors.Request) ([]domain.Blocker, error) {
	if req.Type != domain.Erasure {
		return nil, nil
	}
	if err := connectors.CheckSubject(req.Subject); err != nil {
		return nil, fmt.Errorf("blockers of request %s: %w", req.ID, err)
	}
	subj, err := resolve(ctx, c.db, req.Subject, false)
	if err != nil {
		return nil, fmt.Errorf("blockers of request %s: %w", req.ID, err)
	}
	if len(subj.EndUsers) == 0 {
		return nil, nil
	}
	var open int64
	if err := c.db.GetContext(ctx, &open, openConversationsSQL, pq.Array(subj.EndUsers)); err != nil {
		return nil, fmt.Errorf("blockers of request %s: count open conversations: %w", req.ID, err)
	}
	if open == 0 {
		return nil, nil
	}
	return []domain.Blocker{openConversationsBlocker(open)}, nil
}

func openConversationsBlocker(n int64) domain.Blocker {
	return domain.Blocker{
		Code:    domain.BlockerOpenConversations,
		Message: fmt.Sprintf("the end-user is the requester on %d open conversation(s); erasure waits until they are closed or a DPO overrides", n),
		Count:   n,
	}
}

// EnsureAccount opens a tenant's account in the chat store unless it exists: the
// controller whose end-users, agents and conversations the other tables hold.
func (c *Connector) EnsureAccount(ctx context.Context, id, name string) error {
	if _, err := c.db.ExecContext(ctx, `INSERT INTO accounts (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, name); err != nil {
		return fmt.Errorf("open the account of tenant %s in the chat store: %w", id, err)
	}
	return nil
}

// Open connects to the chat store at url, creating its database when missing, and applies
// its migrations (schema/chatstore); Close closes it.
func Open(ctx context.Context, url string, opts ...Option) (*Connector, error) {
	db, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if _, err := schema.Migrate(ctx, db, schema.ChatStore); err != nil {
		db.Close()
		return nil, err
	}
	return New(db, opts...), nil
}

// Close closes the connector's database.
func (c *Connector) Close() error { return c.db.Close() }

// Pending counts the chat store's migrations not applied yet (readiness).
func (c *Connector) Pending(ctx context.Context) (int, error) {
	return schema.Pending(ctx, c.db, schema.ChatStore)
}

// SeedDemo fills the chat store with synthetic data for a tenant (package demo).
func (c *Connector) SeedDemo(ctx context.Context, o demo.Options) (demo.Stats, error) {
	return demo.Seed(ctx, c.db, o)
}
