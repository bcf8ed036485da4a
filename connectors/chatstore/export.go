package chatstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"dsr/connectors"
)

// Export categories, in the order Export sends them.
const (
	CategoryProfile       = "profile"
	CategoryConversations = "conversations"
	CategoryMessages      = "messages"
	CategoryAttachments   = "attachments"
	CategoryOAuthTokens   = "oauth_tokens"
	CategorySessions      = "sessions"
	CategorySavedSearches = "saved_searches"
)

// Column types as they appear in Column.Type. Values reach the sink as string, int64 or
// time.Time, or nil when the database holds NULL.
const (
	TypeText      = "text"
	TypeInteger   = "integer"
	TypeTimestamp = "timestamp"
)

// Column documents one column of an export category.
type Column struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
}

// Category documents one export category: its name, what it holds and its columns in the
// order of the values of every row.
type Category struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Columns     []Column `json:"columns"`
	// query selects the rows; $1 are the subject's end_users ids, $2 their agents ids.
	query string
}

// ColumnNames returns the names of the category's columns, in row order.
func (c Category) ColumnNames() []string {
	out := make([]string, len(c.Columns))
	for i, col := range c.Columns {
		out[i] = col.Name
	}
	return out
}

var (
	colID       = Column{"id", TypeInteger, "identifier of the record in the chat store"}
	colCreated  = Column{"created_at", TypeTimestamp, "when the record was created"}
	colHolder   = Column{"holder", TypeText, "whose record it is: end_user or agent"}
	colProvider = Column{"provider", TypeText, "identity provider the token was issued by"}
)

var profileFull = Category{
	Name:        CategoryProfile,
	Description: "The subject's profile as an end-user (website visitor) and/or as a member of the tenant's staff.",
	Columns: []Column{
		{"role", TypeText, "end_user, or the staff role: owner, admin or agent"},
		colID,
		{"email", TypeText, "email address"},
		{"name", TypeText, "full name"},
		{"display_name", TypeText, "name shown in the chat"},
		{"avatar_url", TypeText, "address of the profile picture"},
		{"phone", TypeText, "phone number (end-users only)"},
		{"locale", TypeText, "preferred language (end-users only)"},
		{"last_ip", TypeText, "IP address last seen (end-users only)"},
		{"user_agent", TypeText, "browser last seen (end-users only)"},
		{"restricted_at", TypeTimestamp, "when processing was restricted (Art. 18), empty if not"},
		{"processing_objections", TypeText, "comma-separated purposes objected to (Art. 21)"},
		colCreated,
		{"updated_at", TypeTimestamp, "when the profile last changed (end-users only)"},
	},
	query: `(SELECT 'end_user' AS role, id, email, name, display_name, avatar_url, phone, locale, last_ip,
        user_agent, restricted_at, array_to_string(processing_objections, ',') AS processing_objections,
        created_at, updated_at
    FROM end_users WHERE id = ANY($1::bigint[]) ORDER BY id)
UNION ALL
(SELECT role, id, email, name, display_name, avatar_url, NULL, NULL, NULL,
        NULL, restricted_at, array_to_string(processing_objections, ','),
        created_at, NULL
    FROM agents WHERE id = ANY($2::bigint[]) ORDER BY id)`,
}

var profilePortable = Category{
	Name:        CategoryProfile,
	Description: "The profile data the subject provided.",
	Columns: []Column{
		{"role", TypeText, "end_user, or the staff role: owner, admin or agent"},
		colID,
		{"email", TypeText, "email address"},
		{"name", TypeText, "full name"},
		{"display_name", TypeText, "name shown in the chat"},
		{"avatar_url", TypeText, "address of the profile picture"},
		{"phone", TypeText, "phone number (end-users only)"},
		{"locale", TypeText, "preferred language (end-users only)"},
		colCreated,
	},
	query: `(SELECT 'end_user' AS role, id, email, name, display_name, avatar_url, phone, locale, created_at
    FROM end_users WHERE id = ANY($1::bigint[]) ORDER BY id)
UNION ALL
(SELECT role, id, email, name, display_name, avatar_url, NULL, NULL, created_at
    FROM agents WHERE id = ANY($2::bigint[]) ORDER BY id)`,
}

var conversationsFull = Category{
	Name:        CategoryConversations,
	Description: "Conversations the subject started as an end-user.",
	Columns: []Column{
		colID,
		{"status", TypeText, "open or closed"},
		{"subject", TypeText, "subject line of the conversation"},
		{"channel", TypeText, "where the conversation took place, e.g. web"},
		colCreated,
		{"closed_at", TypeTimestamp, "when the conversation was closed, empty while open"},
	},
	query: `SELECT id, status, subject, channel, created_at, closed_at
FROM conversations WHERE requester_id = ANY($1::bigint[]) ORDER BY id`,
}

var messageColumns = []Column{
	colID,
	{"conversation_id", TypeInteger, "conversation the message belongs to"},
	{"author_kind", TypeText, "end_user, agent or system"},
	{"author_id", TypeInteger, "identifier of the author's profile, empty once erased"},
	{"author_name", TypeText, "author's name as it was when the message was written"},
	{"body", TypeText, "text of the message"},
	colCreated,
}

// authoredSQL is the condition on messages m that the subject wrote them, as an end-user
// ($1) or as an agent ($2).
const authoredSQL = `(m.author_kind = 'end_user' AND m.author_id = ANY($1::bigint[])
        OR m.author_kind = 'agent' AND m.author_id = ANY($2::bigint[]))`

// notInOwnConversationSQL is the condition on messages m that they are not in one of the
// conversations the subject started.
const notInOwnConversationSQL = `NOT EXISTS (SELECT 1 FROM conversations c
        WHERE c.id = m.conversation_id AND c.requester_id = ANY($1::bigint[]))`

// subjectMessageIDsSQL selects the ids of the messages an access export covers: every
// message of the subject's conversations and every message they wrote elsewhere. The two
// branches are disjoint, so no de-duplication is needed, and each runs on an index.
const subjectMessageIDsSQL = `SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE c.requester_id = ANY($1::bigint[])
UNION ALL
SELECT m.id FROM messages m WHERE ` + authoredSQL + `
    AND ` + notInOwnConversationSQL

const messageCols = `m.id, m.conversation_id, m.author_kind, m.author_id, m.author_name, m.body, m.created_at`

var messagesFull = Category{
	Name:        CategoryMessages,
	Description: "Every message of the subject's conversations, and the messages they wrote in other conversations.",
	Columns:     messageColumns,
	query: `SELECT ` + messageCols + ` FROM messages m
    WHERE m.conversation_id IN (SELECT id FROM conversations WHERE requester_id = ANY($1::bigint[]))
UNION ALL
SELECT ` + messageCols + ` FROM messages m WHERE ` + authoredSQL + `
    AND ` + notInOwnConversationSQL + `
ORDER BY id`,
}

var messagesPortable = Category{
	Name:        CategoryMessages,
	Description: "The messages the subject wrote.",
	Columns:     messageColumns,
	query:       `SELECT ` + messageCols + ` FROM messages m WHERE ` + authoredSQL + ` ORDER BY m.id`,
}

var attachmentColumns = []Column{
	colID,
	{"message_id", TypeInteger, "message the file is attached to"},
	{"filename", TypeText, "name of the file"},
	{"content_type", TypeText, "media type of the file"},
	{"size_bytes", TypeInteger, "size of the file in bytes"},
	{"storage_key", TypeText, "where the file content is kept in object storage"},
	colCreated,
}

const attachmentCols = `a.id, a.message_id, a.filename, a.content_type, a.size_bytes, a.storage_key, a.created_at`

var attachmentsFull = Category{
	Name:        CategoryAttachments,
	Description: "Files attached to the messages of the messages category.",
	Columns:     attachmentColumns,
	// A join rather than IN: the ids are distinct already, so the planner need not
	// de-duplicate them (a hash of every message id) before it looks their attachments up.
	query: `SELECT ` + attachmentCols + ` FROM (` + subjectMessageIDsSQL + `) s
    JOIN attachments a ON a.message_id = s.id ORDER BY a.id`,
}

var attachmentsPortable = Category{
	Name:        CategoryAttachments,
	Description: "Files attached to the messages the subject wrote.",
	Columns:     attachmentColumns,
	query: `SELECT ` + attachmentCols + ` FROM attachments a JOIN messages m ON m.id = a.message_id
    WHERE ` + authoredSQL + ` ORDER BY a.id`,
}

// holderSQL names whose record a row of a per-person table is.
const holderSQL = `CASE WHEN end_user_id IS NOT NULL THEN 'end_user' ELSE 'agent' END AS holder`

const ownedBySubject = `end_user_id = ANY($1::bigint[]) OR agent_id = ANY($2::bigint[])`

var oauthTokens = Category{
	Name:        CategoryOAuthTokens,
	Description: "Sign-ins with an identity provider. The tokens themselves are stored only as hashes and are not exported.",
	Columns: []Column{
		colID,
		colHolder,
		colProvider,
		{"scopes", TypeText, "permissions granted to the token"},
		{"expires_at", TypeTimestamp, "when the token expires"},
		colCreated,
	},
	query: `SELECT id, ` + holderSQL + `, provider, scopes, expires_at, created_at
FROM oauth_tokens WHERE ` + ownedBySubject + ` ORDER BY id`,
}

var sessions = Category{
	Name:        CategorySessions,
	Description: "Sessions of the subject in the chat widget or the agent console.",
	Columns: []Column{
		colID,
		colHolder,
		{"ip_address", TypeText, "IP address the session came from"},
		{"user_agent", TypeText, "browser of the session"},
		colCreated,
		{"last_seen_at", TypeTimestamp, "when the session was last active"},
	},
	query: `SELECT id, ` + holderSQL + `, ip_address, user_agent, created_at, last_seen_at
FROM sessions WHERE ` + ownedBySubject + ` ORDER BY id`,
}

var savedSearches = Category{
	Name:        CategorySavedSearches,
	Description: "Searches the subject saved.",
	Columns: []Column{
		colID,
		colHolder,
		{"name", TypeText, "name given to the search"},
		{"query", TypeText, "the search itself"},
		colCreated,
	},
	query: `SELECT id, ` + holderSQL + `, name, query, created_at
FROM saved_searches WHERE ` + ownedBySubject + ` ORDER BY id`,
}

var (
	fullCategories     = []Category{profileFull, conversationsFull, messagesFull, attachmentsFull, oauthTokens, sessions, savedSearches}
	portableCategories = []Category{profilePortable, messagesPortable, attachmentsPortable}
)

// Schema documents what Export sends for scope: the categories in order, each with its
// columns. Bundle writers use it to describe the files of an access or portability package.
func Schema(scope connectors.ExportScope) []Category {
	src := fullCategories
	if scope.Portability {
		src = portableCategories
	}
	out := make([]Category, len(src))
	for i, c := range src {
		c.Columns = append([]Column(nil), c.Columns...)
		out[i] = c
	}
	return out
}

// Schema documents what Export sends for scope; see the package function Schema.
func (c *Connector) Schema(scope connectors.ExportScope) []Category { return Schema(scope) }

// Export streams what the chat store holds about the subject (or, with scope.Portability,
// what they provided) into sink, category by category in the order of Schema, from one
// consistent snapshot. Rows are read from the database as they are sent; no category is held
// in memory. A subject the chat store does not know gets every Begin and no rows.
func (c *Connector) Export(ctx context.Context, req connectors.Request, scope connectors.ExportScope, sink connectors.Sink) error {
	if err := connectors.CheckSubject(req.Subject); err != nil {
		return fmt.Errorf("export for request %s: %w", req.ID, err)
	}
	tx, err := c.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("export for request %s: begin: %w", req.ID, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to keep

	subj, err := resolve(ctx, tx, req.Subject, false)
	if err != nil {
		return fmt.Errorf("export for request %s: %w", req.ID, err)
	}
	endUsers, agents := pq.Array(subj.EndUsers), pq.Array(subj.agentIDs(nil))
	for _, cat := range Schema(scope) {
		if err := sink.Begin(cat.Name, cat.ColumnNames()); err != nil {
			return fmt.Errorf("export %s for request %s: begin category: %w", cat.Name, req.ID, err)
		}
		if !subj.found() {
			continue
		}
		if err := exportCategory(ctx, tx, cat, endUsers, agents, sink); err != nil {
			return fmt.Errorf("export %s for request %s: %w", cat.Name, req.ID, err)
		}
	}
	return nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func exportCategory(ctx context.Context, q queryer, cat Category, endUsers, agents any, sink connectors.Sink) error {
	args := []any{endUsers, agents}
	if !strings.Contains(cat.query, "$2") {
		args = args[:1]
	}
	rows, err := q.QueryContext(ctx, cat.query, args...)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	n := len(cat.Columns)
	values := make([]any, n)
	ptrs := make([]any, n)
	for i := range values {
		ptrs[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		row := make([]any, n)
		for i, v := range values {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			row[i] = v
		}
		if err := sink.Row(row...); err != nil {
			return fmt.Errorf("send row: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read rows: %w", err)
	}
	return nil
}
