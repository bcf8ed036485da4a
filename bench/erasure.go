package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"dsr/connectors"
	"dsr/connectors/chatstore"
	"dsr/internal/domain"
	"dsr/schema"
)

// subjectShape is what each erasure subject holds: conversations they started, each with
// messagesPer messages (they and the agent take turns, they first) and one attachment on
// their first message; one OAuth token, two sessions and one saved search.
type subjectShape struct {
	conversations int
	messagesPer   int
}

func (s subjectShape) messages() int { return s.conversations * s.messagesPer }

func (s subjectShape) String() string {
	return fmt.Sprintf("%d conversations, %d messages, %d attachments, 1 token, 2 sessions, 1 saved search",
		s.conversations, s.messages(), s.conversations)
}

// erasureShape is one subject's size in the erasure rows: a heavy but ordinary visitor of a
// support chat (the demo data's visitors have 10 messages on average, its heaviest several
// hundred).
var erasureShape = subjectShape{conversations: 20, messagesPer: 25}

// erasureStore is one store of the erasure rows: its subjects and its measurements.
type erasureStore struct {
	size      int
	db        *sqlx.DB
	conn      *chatstore.Connector
	tenant    string
	emails    []string
	next      int
	dsr, base []float64 // milliseconds, one per subject
	plans     planCheck
	// param and simple are the mean times, in ms, of a trivial statement with a parameter
	// (lib/pq: two round trips) and without (one), on the same pool.
	param, simple float64
}

// benchErasure measures one subject's full erasure through the chat-store connector against
// the raw SQL that deletes the same rows, on a 1M and a 10M message store. Both stores are
// made first; then each round erases one subject per side on each store, so that the load
// of the (shared) machine falls alike on the two sides and the two stores.
func benchErasure(ctx context.Context, e *Env) ([]Row, error) {
	sizes, perSide := []int{1_000_000, 10_000_000}, 25
	if e.Quick {
		sizes, perSide = []int{100_000, 1_000_000}, 9
	}
	stores := make([]*erasureStore, len(sizes))
	for i, size := range sizes {
		st, err := prepareErasure(ctx, e, size, perSide)
		if err != nil {
			return nil, fmt.Errorf("store of %s messages: %w", countLabel(size), err)
		}
		stores[i] = st
	}

	stop := e.profile("erasure")
	for round := range perSide {
		for k := range stores {
			st := stores[(round+k)%len(stores)] // the stores take turns going first
			for side := range 2 {
				dsr := (round+side)%2 == 0 // and so do the sides
				if err := st.erase(ctx, dsr); err != nil {
					stop()
					return nil, fmt.Errorf("store of %s messages: %w", countLabel(st.size), err)
				}
			}
		}
	}
	stop()
	for _, st := range stores {
		if err := checkErased(ctx, st.db, st.tenant, st.emails, erasureShape); err != nil {
			return nil, fmt.Errorf("store of %s messages: %w", countLabel(st.size), err)
		}
		var err error
		if st.param, st.simple, err = roundTrips(ctx, st.db, 200); err != nil {
			return nil, err
		}
		e.Log.Info("erasure measured", slog.String("store", countLabel(st.size)),
			slog.Float64("dsr_ms", median(st.dsr)), slog.Float64("raw_ms", median(st.base)))
	}

	var rows []Row
	for _, st := range stores {
		rows = append(rows, Row{
			Name:         fmt.Sprintf("erasure of one subject, %s-message store", countLabel(st.size)),
			Unit:         "ms",
			DSR:          median(st.dsr),
			Baseline:     median(st.base),
			BaselineName: "raw SQL, one transaction",
			Detail: fmt.Sprintf("median of %d subjects per side, sides and stores taking turns; dsr %s ms, raw %s ms; each subject: %s; %s; "+
				"a trivial statement costs %s ms from Go on this pool with a parameter (lib/pq: Parse/Describe, then Bind/Execute: two round trips), %s ms without",
				len(st.dsr), spread(st.dsr), spread(st.base), erasureShape, st.plans, formatNumber(st.param), formatNumber(st.simple)),
		}.ratioAtMost(1.5))
	}
	small, big := stores[0], stores[len(stores)-1]
	rows = append(rows, Row{
		Name:         fmt.Sprintf("erasure, %s-message store against %s", countLabel(big.size), countLabel(small.size)),
		Unit:         "ms",
		DSR:          median(big.dsr),
		Baseline:     median(small.dsr),
		BaselineName: "dsr on the " + countLabel(small.size) + " store",
		Detail: fmt.Sprintf("the same subjects' shape on both stores, measured in the same rounds; raw SQL goes %s -> %s ms (%s)",
			formatNumber(median(small.base)), formatNumber(median(big.base)), formatRatio(ratioOf(median(big.base), median(small.base)))),
	}.ratioAtMost(1.2))
	return rows, nil
}

// prepareErasure seeds a store, adds equivalent subjects, checks the plans on two of them
// and warms both sides up on two more.
func prepareErasure(ctx context.Context, e *Env, size, perSide int) (*erasureStore, error) {
	st := &erasureStore{size: size}
	db, dbURL, err := e.NewDatabase(ctx, schema.ChatStore)
	if err != nil {
		return nil, err
	}
	st.db, st.conn = db, chatstore.New(db)
	if err := seedStore(ctx, e, db, size); err != nil {
		return nil, err
	}
	// Two subjects for the plans, two to warm up, then the measured ones.
	if st.tenant, st.emails, err = makeSubjects(ctx, db, 4+2*perSide, erasureShape); err != nil {
		return nil, err
	}
	if err := checkEquivalent(ctx, db, st.tenant, erasureShape); err != nil {
		return nil, err
	}
	if st.plans, err = checkPlans(ctx, dbURL, st.tenant, st.emails[0], st.emails[1]); err != nil {
		return nil, err
	}
	st.next = 2
	for _, dsr := range []bool{true, false} {
		if err := st.erase(ctx, dsr); err != nil {
			return nil, err
		}
	}
	st.dsr, st.base = nil, nil
	return st, nil
}

// erase erases the store's next subject, with dsr or with the raw SQL, and records the time.
func (st *erasureStore) erase(ctx context.Context, dsr bool) error {
	if st.next >= len(st.emails) {
		return fmt.Errorf("no subject left to erase (%d made)", len(st.emails))
	}
	email := st.emails[st.next]
	st.next++
	start := time.Now()
	if dsr {
		if err := dsrErase(ctx, st.conn, st.tenant, email); err != nil {
			return err
		}
		st.dsr = append(st.dsr, ms(time.Since(start)))
		return nil
	}
	if err := rawErase(ctx, st.db, st.tenant, email); err != nil {
		return err
	}
	st.base = append(st.base, ms(time.Since(start)))
	return nil
}

// makeSubjects adds a tenant with n end-users of the same shape, set-based, and returns the
// tenant and the subjects' emails. Each subject's rows are stored together, as the demo data
// (and a chat store that appends conversation by conversation) has them.
func makeSubjects(ctx context.Context, db *sqlx.DB, n int, s subjectShape) (string, []string, error) {
	tenant := uuid.NewString()
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return "", nil, fmt.Errorf("make subjects: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	var agent int64
	if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name) VALUES ($1, 'Bench subjects')`, tenant); err != nil {
		return "", nil, fmt.Errorf("make subjects: account: %w", err)
	}
	if err := tx.GetContext(ctx, &agent, `INSERT INTO agents (account_id, role, name, email, display_name)
		VALUES ($1, 'agent', 'Alex Martin', 'agent1@bench-subjects.example', 'Alex') RETURNING id`, tenant); err != nil {
		return "", nil, fmt.Errorf("make subjects: agent: %w", err)
	}
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`INSERT INTO end_users (account_id, email, name, display_name, locale, last_ip, user_agent)
		SELECT $1, 'subject' || i || '@bench.example', 'Subject ' || i || ' Example', 'Subject ' || i, 'en-GB',
			'192.0.2.' || (i % 250 + 1), 'Mozilla/5.0 (X11; Linux x86_64)'
		FROM generate_series(1, $2::int) AS i`, []any{tenant, n}},
		{`INSERT INTO conversations (account_id, requester_id, agent_id, status, subject, channel, created_at, closed_at)
		SELECT $1, u.id, $2, 'closed', 'Question about order #' || k, 'web', now() - interval '30 days', now() - interval '29 days'
		FROM end_users u, generate_series(1, $3::int) AS k WHERE u.account_id = $1 ORDER BY u.id, k`, []any{tenant, agent, s.conversations}},
		{`INSERT INTO messages (conversation_id, author_kind, author_id, author_name, body, created_at)
		SELECT c.id,
			CASE WHEN k % 2 = 1 THEN 'end_user' ELSE 'agent' END,
			CASE WHEN k % 2 = 1 THEN u.id ELSE $2 END,
			CASE WHEN k % 2 = 1 THEN u.name ELSE 'Alex Martin' END,
			CASE WHEN k % 2 = 1 THEN 'Hello, I am still waiting for my parcel; the tracking page has not moved since Monday. Could you look? (' || k || ')'
				ELSE 'Thanks for your patience! I have asked the carrier and will come back to you within the day. (' || k || ')' END,
			c.created_at + k * interval '1 minute'
		FROM conversations c JOIN end_users u ON u.id = c.requester_id, generate_series(1, $3::int) AS k
		WHERE c.account_id = $1 ORDER BY c.id, k`, []any{tenant, agent, s.messagesPer}},
		{`INSERT INTO attachments (message_id, filename, content_type, size_bytes, storage_key, created_at)
		SELECT DISTINCT ON (m.conversation_id) m.id, 'receipt.pdf', 'application/pdf', 48213, 'bench/' || m.id, m.created_at
		FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE c.account_id = $1 AND m.author_kind = 'end_user' ORDER BY m.conversation_id, m.id`, []any{tenant}},
		{`INSERT INTO oauth_tokens (account_id, end_user_id, provider, access_token_hash, scopes, expires_at)
		SELECT $1, id, 'google', md5(id::text) || md5(email), 'openid email profile', now() + interval '30 days'
		FROM end_users WHERE account_id = $1`, []any{tenant}},
		{`INSERT INTO sessions (account_id, end_user_id, ip_address, user_agent)
		SELECT $1, u.id, u.last_ip, u.user_agent FROM end_users u, generate_series(1, 2) WHERE u.account_id = $1`, []any{tenant}},
		{`INSERT INTO saved_searches (account_id, end_user_id, name, query)
		SELECT $1, id, 'My orders', 'order' FROM end_users WHERE account_id = $1`, []any{tenant}},
	} {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return "", nil, fmt.Errorf("make subjects: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return "", nil, fmt.Errorf("make subjects: commit: %w", err)
	}
	emails := make([]string, n)
	for i := range emails {
		emails[i] = fmt.Sprintf("subject%d@bench.example", i+1)
	}
	return tenant, emails, nil
}

// subjectCountsSQL counts, per end-user of the tenant, the rows a full erasure deletes.
const subjectCountsSQL = `SELECT u.email,
	(SELECT count(*) FROM conversations c WHERE c.requester_id = u.id) AS conversations,
	(SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.requester_id = u.id) AS messages,
	(SELECT count(*) FROM messages m WHERE m.author_kind = 'end_user' AND m.author_id = u.id) AS authored,
	(SELECT count(*) FROM attachments a JOIN messages m ON m.id = a.message_id JOIN conversations c ON c.id = m.conversation_id
		WHERE c.requester_id = u.id) AS attachments,
	(SELECT count(*) FROM oauth_tokens t WHERE t.end_user_id = u.id) AS oauth_tokens,
	(SELECT count(*) FROM sessions s WHERE s.end_user_id = u.id) AS sessions,
	(SELECT count(*) FROM saved_searches s WHERE s.end_user_id = u.id) AS saved_searches
FROM end_users u WHERE u.account_id = $1 ORDER BY u.id`

type subjectCounts struct {
	Email         string `db:"email"`
	Conversations int64  `db:"conversations"`
	Messages      int64  `db:"messages"`
	Authored      int64  `db:"authored"`
	Attachments   int64  `db:"attachments"`
	OAuthTokens   int64  `db:"oauth_tokens"`
	Sessions      int64  `db:"sessions"`
	SavedSearches int64  `db:"saved_searches"`
}

// checkEquivalent makes sure every subject holds exactly the rows of the shape, so that the
// subjects dsr erases and those the raw SQL erases are worth the same.
func checkEquivalent(ctx context.Context, db *sqlx.DB, tenant string, s subjectShape) error {
	var all []subjectCounts
	if err := db.SelectContext(ctx, &all, subjectCountsSQL, tenant); err != nil {
		return fmt.Errorf("count the subjects' rows: %w", err)
	}
	want := subjectCounts{Conversations: int64(s.conversations), Messages: int64(s.messages()), Authored: int64((s.messagesPer + 1) / 2 * s.conversations),
		Attachments: int64(s.conversations), OAuthTokens: 1, Sessions: 2, SavedSearches: 1}
	for _, c := range all {
		got := c
		got.Email = ""
		if got != want {
			return fmt.Errorf("subject %s holds %+v, want %+v", c.Email, got, want)
		}
	}
	return nil
}

// checkErased makes sure the erased subjects are gone, rows and all, and the others intact:
// the raw SQL deleted what dsr deleted.
func checkErased(ctx context.Context, db *sqlx.DB, tenant string, emails []string, s subjectShape) error {
	var left []subjectCounts
	if err := db.SelectContext(ctx, &left, subjectCountsSQL, tenant); err != nil {
		return fmt.Errorf("count the subjects' rows: %w", err)
	}
	if len(left) != 0 {
		return fmt.Errorf("%d of %d subjects were not erased (first: %s)", len(left), len(emails), left[0].Email)
	}
	var orphans struct {
		Conversations int64 `db:"conversations"`
		Messages      int64 `db:"messages"`
		Attachments   int64 `db:"attachments"`
		Holders       int64 `db:"holders"`
	}
	err := db.GetContext(ctx, &orphans, `SELECT
		(SELECT count(*) FROM conversations WHERE account_id = $1) AS conversations,
		(SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.account_id = $1) AS messages,
		(SELECT count(*) FROM attachments WHERE storage_key LIKE 'bench/%') AS attachments,
		(SELECT count(*) FROM oauth_tokens WHERE account_id = $1 AND agent_id IS NULL)
			+ (SELECT count(*) FROM sessions WHERE account_id = $1 AND agent_id IS NULL)
			+ (SELECT count(*) FROM saved_searches WHERE account_id = $1 AND agent_id IS NULL) AS holders`, tenant)
	if err != nil {
		return fmt.Errorf("count what is left of the subjects: %w", err)
	}
	if orphans.Conversations+orphans.Messages+orphans.Attachments+orphans.Holders != 0 {
		return fmt.Errorf("erasures left rows behind: %+v", orphans)
	}
	return nil
}

// dsrErase is the measured dsr side: the chat-store connector's full erasure, as the Apply
// activity calls it.
func dsrErase(ctx context.Context, c *chatstore.Connector, tenant, email string) error {
	req := connectors.Request{ID: uuid.NewString(), Type: domain.Erasure,
		Subject: connectors.Subject{TenantID: tenant, Email: email}, ErasureScope: domain.ScopeFull}
	out, err := c.Erase(ctx, req)
	if err != nil {
		return fmt.Errorf("dsr erasure of %s: %w", email, err)
	}
	s := erasureShape
	want := map[string]int64{
		chatstore.RowsEndUsers: 1, chatstore.RowsConversations: int64(s.conversations), chatstore.RowsMessages: int64(s.messages()),
		chatstore.RowsAttachments: int64(s.conversations), chatstore.RowsOAuthTokens: 1, chatstore.RowsSessions: 2,
		chatstore.RowsSavedSearches: 1, chatstore.RowsMessagesAuthorCleared: 0,
	}
	if !maps.Equal(out.Rows, want) {
		return fmt.Errorf("dsr erasure of %s deleted %v, want %v", email, out.Rows, want)
	}
	return nil
}

// rawEraseSQL is the baseline: the fewest statements that delete a subject's rows, in one
// transaction, with the end-user's id looked up once. Children go first, set-based, so that
// each table is touched by one statement on its index; the end-user row goes last.
var rawEraseSQL = []string{
	`DELETE FROM attachments WHERE message_id IN (
		SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.requester_id = $1
		UNION ALL
		SELECT m.id FROM messages m WHERE m.author_kind = 'end_user' AND m.author_id = $1)`,
	`DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE requester_id = $1)`,
	`DELETE FROM messages WHERE author_kind = 'end_user' AND author_id = $1`,
	`DELETE FROM conversations WHERE requester_id = $1`,
	`DELETE FROM oauth_tokens WHERE end_user_id = $1`,
	`DELETE FROM sessions WHERE end_user_id = $1`,
	`DELETE FROM saved_searches WHERE end_user_id = $1`,
	`DELETE FROM end_users WHERE id = $1`,
}

// rawErase is the baseline side: the subject's end-user found by email, then rawEraseSQL,
// in one transaction, over the same driver and pool as dsr.
func rawErase(ctx context.Context, db *sqlx.DB, tenant, email string) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("raw erasure of %s: %w", email, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	var id int64
	if err := tx.GetContext(ctx, &id, `SELECT id FROM end_users WHERE account_id = $1 AND lower(email) = lower($2)`, tenant, email); err != nil {
		return fmt.Errorf("raw erasure of %s: find: %w", email, err)
	}
	for _, q := range rawEraseSQL {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("raw erasure of %s: %w", email, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("raw erasure of %s: commit: %w", email, err)
	}
	return nil
}

// roundTrips times n trivial statements with a parameter and n without, one after the
// other on db's pool, and returns their mean times in ms: what each statement of an erasure
// costs before the server does any work.
func roundTrips(ctx context.Context, db *sqlx.DB, n int) (param, simple float64, err error) {
	var v int
	start := time.Now()
	for i := range n {
		if err := db.GetContext(ctx, &v, `SELECT $1::int`, i); err != nil {
			return 0, 0, fmt.Errorf("time a statement: %w", err)
		}
	}
	param = ms(time.Since(start)) / float64(n)
	start = time.Now()
	for range n {
		if err := db.GetContext(ctx, &v, `SELECT 1`); err != nil {
			return 0, 0, fmt.Errorf("time a statement: %w", err)
		}
	}
	return param, ms(time.Since(start)) / float64(n), nil
}
