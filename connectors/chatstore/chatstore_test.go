package chatstore_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/connectors/chatstore"
	"dsr/connectors/conformance"
	"dsr/internal/demo"
	"dsr/internal/domain"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	conformance.Run(t, &harness{})
}

func request(typ domain.RequestType, s connectors.Subject) connectors.Request {
	return connectors.Request{ID: uuid.NewString(), Type: typ, Subject: s}
}

func erasure(s connectors.Subject, scope domain.ErasureScope) connectors.Request {
	req := request(domain.Erasure, s)
	req.ErasureScope = scope
	return req
}

func count(t *testing.T, f *fixture, query string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, f.db.Get(&n, query, args...))
	return n
}

func TestFindRolesAndCounts(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	p := f.seedEndUser(true)
	// The same person is also the account owner, under their email in another case.
	f.agent("owner", strings.ToUpper(p.Email), p.Name)

	m, err := c.Find(ctx, p.Subject)
	require.NoError(t, err)
	require.True(t, m.Found)
	require.Equal(t, []string{chatstore.RoleEndUser, chatstore.RoleOwner}, m.Roles)
	require.Equal(t, map[string]int64{
		chatstore.CategoryProfile:       2,
		chatstore.CategoryConversations: 3,
		chatstore.CategoryMessages:      3*4 + 1,
		chatstore.CategoryAttachments:   3*2 + 1,
		chatstore.CategoryOAuthTokens:   1,
		chatstore.CategorySessions:      1,
		chatstore.CategorySavedSearches: 1,
	}, m.Counts)

	m, err = c.Find(ctx, connectors.Subject{TenantID: f.tenant, Email: "nobody@example.com"})
	require.NoError(t, err)
	require.Equal(t, connectors.Match{}, m)
}

func TestExportFull(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	p := f.seedEndUser(false)
	f.seedEndUser(false) // a neighbour, who must not show up

	var rec conformance.Recorder
	require.NoError(t, c.Export(ctx, request(domain.Access, p.Subject), connectors.ExportScope{}, &rec))

	schemaCats := chatstore.Schema(connectors.ExportScope{})
	require.Equal(t, []string{"profile", "conversations", "messages", "attachments", "oauth_tokens", "sessions", "saved_searches"}, rec.Names())
	m, err := c.Find(ctx, p.Subject)
	require.NoError(t, err)
	for i, cat := range rec.Categories() {
		require.Equal(t, schemaCats[i].ColumnNames(), cat.Columns, "columns of %s follow Schema", cat.Name)
		require.Len(t, cat.Rows, int(m.Counts[cat.Name]), "rows of %s agree with Find", cat.Name)
	}

	tokens, _ := rec.Category(chatstore.CategoryOAuthTokens)
	require.NotContains(t, tokens.Columns, "access_token_hash")
	require.False(t, rec.Contains(tokenHash("end_user_id", p.EndUserID)), "a token hash was exported")

	profile, _ := rec.Category(chatstore.CategoryProfile)
	email, _ := profile.Value(0, "email")
	require.Equal(t, strings.ToLower(p.Email), strings.ToLower(email.(string)))
	role, _ := profile.Value(0, "role")
	require.Equal(t, "end_user", role)

	messages, _ := rec.Category(chatstore.CategoryMessages)
	var agentReplies int
	for i := range messages.Rows {
		kind, _ := messages.Value(i, "author_kind")
		if kind == "agent" {
			agentReplies++
		}
		created, _ := messages.Value(i, "created_at")
		require.IsType(t, time.Time{}, created)
	}
	require.Equal(t, 4, agentReplies, "the access export holds the whole transcript")
	require.False(t, rec.Contains("Question from the other person"), "another end-user's message was exported")

	var unknown conformance.Recorder
	require.NoError(t, c.Export(ctx, request(domain.Access, connectors.Subject{TenantID: f.tenant, Email: "nobody@example.com"}), connectors.ExportScope{}, &unknown))
	require.Equal(t, rec.Names(), unknown.Names(), "every category is begun, even without rows")
	require.Zero(t, unknown.RowCount())
}

func TestExportPortability(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	p := f.seedEndUser(false)

	var rec conformance.Recorder
	require.NoError(t, c.Export(ctx, request(domain.Portability, p.Subject), connectors.ExportScope{Portability: true}, &rec))
	require.Equal(t, []string{"profile", "messages", "attachments"}, rec.Names())
	for i, cat := range chatstore.Schema(connectors.ExportScope{Portability: true}) {
		require.Equal(t, cat.ColumnNames(), rec.Categories()[i].Columns)
	}

	messages, _ := rec.Category(chatstore.CategoryMessages)
	require.Len(t, messages.Rows, 2*2+1, "the messages they wrote, here and elsewhere")
	for i := range messages.Rows {
		kind, _ := messages.Value(i, "author_kind")
		author, _ := messages.Value(i, "author_id")
		require.Equal(t, "end_user", kind, "portability holds no agent message")
		require.Equal(t, p.EndUserID, author)
	}
	attachments, _ := rec.Category(chatstore.CategoryAttachments)
	require.Len(t, attachments.Rows, 2+1)
	for i := range attachments.Rows {
		name, _ := attachments.Value(i, "filename")
		require.NotEqual(t, "guide.pdf", name, "an agent's file is not data the subject provided")
	}
	profile, _ := rec.Category(chatstore.CategoryProfile)
	require.NotContains(t, profile.Columns, "last_ip", "observed network data is not in the portability profile")
}

func TestEraseEndUser(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		scope domain.ErasureScope
		rows  map[string]int64
	}{
		{
			name:  "Profile",
			scope: domain.ScopeProfile,
			rows: map[string]int64{
				chatstore.RowsConversationsRequesterCleared: 2,
				chatstore.RowsMessagesAuthorCleared:         2*2 + 1,
				chatstore.RowsOAuthTokens:                   1,
				chatstore.RowsSessions:                      1,
				chatstore.RowsSavedSearches:                 1,
				chatstore.RowsEndUsers:                      1,
			},
		},
		{
			name:  "Full",
			scope: domain.ScopeFull,
			rows: map[string]int64{
				chatstore.RowsAttachments:           2*2 + 1,
				chatstore.RowsMessages:              2*4 + 1,
				chatstore.RowsConversations:         2,
				chatstore.RowsMessagesAuthorCleared: 0,
				chatstore.RowsOAuthTokens:           1,
				chatstore.RowsSessions:              1,
				chatstore.RowsSavedSearches:         1,
				chatstore.RowsEndUsers:              1,
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			p := f.seedEndUser(false)
			neighbour := f.seedEndUser(false)
			neighbourBefore, err := c.Find(ctx, neighbour.Subject)
			require.NoError(t, err)

			out, err := c.Erase(ctx, erasure(p.Subject, tt.scope))
			require.NoError(t, err)
			require.Equal(t, tt.rows, out.Rows)
			require.Empty(t, out.Exceptions)
			require.Equal(t, "chatstore", out.Connector)
			require.Equal(t, domain.Erasure, out.Action)
			require.WithinDuration(t, time.Now(), out.AppliedAt, time.Minute)

			require.False(t, has(t, f.db, p.Subject))
			require.Zero(t, count(t, f, `SELECT count(*) FROM messages WHERE author_kind = 'end_user' AND author_id = $1`, p.EndUserID))
			switch tt.scope {
			case domain.ScopeProfile:
				require.Equal(t, map[string]int64{"messages.body": 2}, occurrences(t, f.db, p.Email),
					"only message bodies, kept with the controller, still mention the email")
				require.Equal(t, int64(2), count(t, f, `SELECT count(*) FROM conversations c
					WHERE requester_id IS NULL AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.author_kind = 'end_user' AND m.author_id IS NULL)
					AND agent_id = $1`, p.Colleague), "conversations stay with the controller")
				require.Equal(t, map[string]int64{"messages.body": 2}, occurrences(t, f.db, p.Name),
					"only message bodies, kept with the controller, still mention the name")
				require.Contains(t, strings.Join(out.Notes, "\n"), "message bodies stay with the controller")
			case domain.ScopeFull:
				require.Empty(t, occurrences(t, f.db, p.Email), "the email is gone from every table")
				require.Empty(t, occurrences(t, f.db, p.Name), "the name is gone from every table")
				require.Equal(t, int64(1), count(t, f, `SELECT count(*) FROM messages WHERE id = $1`, p.SharedThreadMessage),
					"the other end-user's message in the shared thread stays")
			}

			require.True(t, has(t, f.db, neighbour.Subject))
			neighbourAfter, err := c.Find(ctx, neighbour.Subject)
			require.NoError(t, err)
			require.Equal(t, neighbourBefore, neighbourAfter)
		})
	}
}

func TestEraseAgent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		scope       domain.ErasureScope
		role        string
		keptAuthors int64
	}{
		{name: "AgentProfile", scope: domain.ScopeProfile, role: "agent", keptAuthors: 2},
		{name: "AdminProfile", scope: domain.ScopeProfile, role: "admin", keptAuthors: 2},
		{name: "AgentFull", scope: domain.ScopeFull, role: "agent", keptAuthors: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			p := f.seedAgent(tt.role)

			out, err := c.Erase(ctx, erasure(p.Subject, tt.scope))
			require.NoError(t, err)
			want := map[string]int64{
				chatstore.RowsConversationsAgentCleared: 1,
				chatstore.RowsOAuthTokens:               1,
				chatstore.RowsSessions:                  1,
				chatstore.RowsSavedSearches:             1,
				chatstore.RowsAgents:                    1,
			}
			if tt.scope == domain.ScopeFull {
				want[chatstore.RowsMessagesAuthorCleared] = 2
			}
			require.Equal(t, want, out.Rows)
			require.False(t, has(t, f.db, p.Subject))
			require.Empty(t, occurrences(t, f.db, p.Email), "the agent's email is gone")

			require.Equal(t, int64(5), count(t, f, `SELECT count(*) FROM messages`), "transcripts stay with the controller")
			require.Equal(t, tt.keptAuthors, count(t, f, `SELECT count(*) FROM messages WHERE author_name = $1`, p.Name))
			if tt.scope == domain.ScopeProfile {
				require.Contains(t, strings.Join(out.Notes, "\n"), "keep messages.author_name on 2 message(s)")
			} else {
				require.Empty(t, occurrences(t, f.db, p.Name), "the agent's name is gone")
				require.Zero(t, count(t, f, `SELECT count(*) FROM messages WHERE author_kind = 'agent' AND author_id IS NOT NULL`))
			}
		})
	}
}

func TestEraseOwnerRetained(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	owner := f.seedAgent("owner")
	// The owner also chatted as a visitor of the tenant's website, with the same email.
	visitor := f.endUser(strings.ToUpper(owner.Email), owner.Name)

	out, err := c.Erase(ctx, erasure(owner.Subject, domain.ScopeFull))
	require.NoError(t, err)
	require.Equal(t, []domain.Exception{chatstore.OwnerException}, out.Exceptions)
	require.Equal(t, "agent_profile", out.Exceptions[0].Category)
	require.Equal(t, "Art. 17(1)(a), Art. 6(1)(b)", out.Exceptions[0].Article)
	require.Equal(t, int64(1), out.Rows[chatstore.RowsEndUsers], "the end-user profile is erased")
	require.Zero(t, out.Rows[chatstore.RowsAgents], "the owner's staff profile is kept")

	require.Zero(t, count(t, f, `SELECT count(*) FROM end_users WHERE id = $1`, visitor))
	require.Equal(t, int64(1), count(t, f, `SELECT count(*) FROM agents WHERE id = $1 AND email IS NOT NULL AND name IS NOT NULL`, owner.AgentID))
	require.Equal(t, int64(1), count(t, f, `SELECT count(*) FROM oauth_tokens WHERE agent_id = $1`, owner.AgentID))
	require.Equal(t, int64(2), count(t, f, `SELECT count(*) FROM messages WHERE author_name = $1`, owner.Name))

	m, err := c.Find(ctx, owner.Subject)
	require.NoError(t, err)
	require.Equal(t, []string{chatstore.RoleOwner}, m.Roles)
}

func TestEraseBlocked(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name          string
		scope         domain.ErasureScope
		conversations int64 // the colleague's conversations left after the override
	}{
		{name: "Profile", scope: domain.ScopeProfile, conversations: 4 + 1},
		{name: "Full", scope: domain.ScopeFull, conversations: 0 + 1}, // the shared thread stays
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			p := f.seedEndUser(true)
			f.conversation(p.EndUserID, p.Colleague, "open")
			req := erasure(p.Subject, tt.scope)

			blockers, err := c.Blockers(ctx, req)
			require.NoError(t, err)
			require.Equal(t, []domain.Blocker{{
				Code:    domain.BlockerOpenConversations,
				Message: blockers[0].Message,
				Count:   2,
			}}, blockers)
			require.NotContains(t, blockers[0].Message, p.Email)

			other, err := c.Blockers(ctx, request(domain.Access, p.Subject))
			require.NoError(t, err)
			require.Empty(t, other, "only erasure is blocked")

			_, err = c.Erase(ctx, req)
			require.ErrorIs(t, err, connectors.ErrBlocked)
			require.NotContains(t, err.Error(), p.Email, "errors carry no personal data")
			require.True(t, has(t, f.db, p.Subject))
			require.Zero(t, count(t, f, `SELECT count(*) FROM dsr_receipts`), "a blocked erasure leaves no receipt")

			req.Override = true
			out, err := c.Erase(ctx, req)
			require.NoError(t, err)
			require.False(t, out.Replayed)
			require.Equal(t, int64(1), out.Rows[chatstore.RowsEndUsers])
			require.Contains(t, strings.Join(out.Notes, "\n"), "override despite 2 open conversation(s)")
			require.Equal(t, tt.conversations, count(t, f, `SELECT count(*) FROM conversations WHERE agent_id = $1`, p.Colleague))
			if tt.scope == domain.ScopeProfile {
				require.Equal(t, int64(2), count(t, f, `SELECT count(*) FROM conversations WHERE status = 'open' AND requester_id IS NULL`))
			}
		})
	}
}

func TestReceipts(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	p := f.seedEndUser(false)
	req := erasure(p.Subject, domain.ScopeFull)

	first, err := c.Erase(ctx, req)
	require.NoError(t, err)
	var stored []string
	require.NoError(t, f.db.Select(&stored, `SELECT outcome::text FROM dsr_receipts WHERE request_id = $1 AND action = 'erasure'`, req.ID))
	require.Len(t, stored, 1)
	require.NotContains(t, strings.ToLower(stored[0]), strings.ToLower(p.Email))
	require.NotContains(t, stored[0], p.Name)

	// The subject signs up again with the same email; a retry of the old request must not
	// touch the new profile.
	again := f.endUser(p.Email, "Someone New")
	replay, err := c.Erase(ctx, req)
	require.NoError(t, err)
	require.True(t, replay.Replayed)
	replay.Replayed = false
	require.Equal(t, first, replay, "the replay returns the stored outcome")
	require.Equal(t, int64(1), count(t, f, `SELECT count(*) FROM end_users WHERE id = $1`, again))
	require.Equal(t, int64(1), count(t, f, `SELECT count(*) FROM dsr_receipts`))

	// Many concurrent retries: one receipt, one action.
	p2 := f.seedAgent("agent")
	req2 := erasure(p2.Subject, domain.ScopeProfile)
	var wg sync.WaitGroup
	outs := make([]domain.Outcome, 5)
	errs := make([]error, len(outs))
	for i := range outs {
		wg.Go(func() { outs[i], errs[i] = c.Erase(ctx, req2) })
	}
	wg.Wait()
	acted := 0
	for i := range outs {
		require.NoError(t, errs[i])
		if !outs[i].Replayed {
			acted++
		}
		require.Equal(t, outs[0].Rows, outs[i].Rows)
	}
	require.Equal(t, 1, acted)
	require.Equal(t, int64(1), count(t, f, `SELECT count(*) FROM dsr_receipts WHERE request_id = $1`, req2.ID))

	// Receipts are per action: the same request id may restrict, then erase.
	p3 := f.seedEndUser(false)
	req3 := request(domain.Erasure, p3.Subject)
	_, err = c.Restrict(ctx, req3)
	require.NoError(t, err)
	out, err := c.Erase(ctx, req3)
	require.NoError(t, err)
	require.False(t, out.Replayed)
	require.Equal(t, int64(1), out.Rows[chatstore.RowsEndUsers])
}

func TestRectify(t *testing.T) {
	t.Parallel()
	c, f := setup(t)

	t.Run("EndUserAllFields", func(t *testing.T) {
		t.Parallel()
		f := f.with(t)
		p := f.seedEndUser(false)
		newEmail := "renamed." + unique() + "@example.org"
		values := map[string]string{
			"name": "Ines Renamed", "display_name": "Ines R", "email": newEmail,
			"avatar_url": "https://cdn.example/new.png", "phone": "+49 30 1234567", "locale": "de-DE",
		}
		req := request(domain.Rectification, p.Subject)
		req.Rectification = values
		out, err := c.Rectify(ctx, req)
		require.NoError(t, err)
		require.Equal(t, []string{"avatar_url", "display_name", "email", "locale", "name", "phone"}, out.Fields)
		require.Equal(t, map[string]int64{"end_users": 1}, out.Rows)
		require.Contains(t, strings.Join(out.Notes, "\n"), "author_name")
		body, err := json.Marshal(out)
		require.NoError(t, err)
		for _, v := range values {
			require.NotContains(t, string(body), v, "the outcome holds a value")
		}

		var got map[string]any
		row := f.db.QueryRowx(`SELECT name, display_name, email, avatar_url, phone, locale FROM end_users WHERE id = $1`, p.EndUserID)
		got = map[string]any{}
		require.NoError(t, row.MapScan(got))
		for k, v := range values {
			require.Equal(t, v, got[k], k)
		}
		require.Equal(t, int64(2*2+1), count(t, f, `SELECT count(*) FROM messages WHERE author_name = $1`, p.Name),
			"author_name is a copy made at write time")

		// The subject is now known by the new email only.
		m, err := c.Find(ctx, connectors.Subject{TenantID: f.tenant, Email: newEmail})
		require.NoError(t, err)
		require.True(t, m.Found)
	})

	t.Run("AgentOnlyFields", func(t *testing.T) {
		t.Parallel()
		f := f.with(t)
		p := f.seedAgent("admin")
		req := request(domain.Rectification, p.Subject)
		req.Rectification = map[string]string{"display_name": "JS", "phone": "+33 1 23 45 67 89"}
		out, err := c.Rectify(ctx, req)
		require.NoError(t, err)
		require.Equal(t, map[string]int64{"agents": 1}, out.Rows)
		require.Contains(t, strings.Join(out.Notes, "\n"), "agent profiles hold no phone")
		require.Equal(t, int64(1), count(t, f, `SELECT count(*) FROM agents WHERE id = $1 AND display_name = 'JS'`, p.AgentID))
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		f := f.with(t)
		p := f.seedEndUser(false)
		for _, tt := range []struct {
			name   string
			values map[string]string
			want   string
		}{
			{name: "UnknownField", values: map[string]string{"name": "X", "last_ip": "203.0.113.1"}, want: `"last_ip"`},
			{name: "Nothing", values: nil, want: "no field"},
			{name: "BadEmail", values: map[string]string{"email": "not an email"}, want: "email"},
		} {
			req := request(domain.Rectification, p.Subject)
			req.Rectification = tt.values
			_, err := c.Rectify(ctx, req)
			require.ErrorIs(t, err, connectors.ErrInvalid, tt.name)
			require.Contains(t, err.Error(), tt.want, tt.name)
		}
		require.Equal(t, int64(1), count(t, f, `SELECT count(*) FROM end_users WHERE id = $1 AND name = $2`, p.EndUserID, p.Name))
	})

	t.Run("ReplayDoesNotRevert", func(t *testing.T) {
		t.Parallel()
		f := f.with(t)
		p := f.seedEndUser(false)
		first := request(domain.Rectification, p.Subject)
		first.Rectification = map[string]string{"display_name": "First"}
		_, err := c.Rectify(ctx, first)
		require.NoError(t, err)
		second := request(domain.Rectification, p.Subject)
		second.Rectification = map[string]string{"display_name": "Second"}
		_, err = c.Rectify(ctx, second)
		require.NoError(t, err)

		replay, err := c.Rectify(ctx, first)
		require.NoError(t, err)
		require.True(t, replay.Replayed)
		require.Equal(t, int64(1), count(t, f, `SELECT count(*) FROM end_users WHERE id = $1 AND display_name = 'Second'`, p.EndUserID))
	})
}

func TestRestrict(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	p := f.seedEndUser(false)
	agentID := f.agent("agent", strings.ToUpper(p.Email), p.Name)

	out, err := c.Restrict(ctx, request(domain.Restriction, p.Subject))
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"end_users": 1, "agents": 1}, out.Rows)
	var at []time.Time
	require.NoError(t, f.db.Select(&at, `SELECT restricted_at FROM end_users WHERE id = $1 AND restricted_at IS NOT NULL
		UNION ALL SELECT restricted_at FROM agents WHERE id = $2 AND restricted_at IS NOT NULL`, p.EndUserID, agentID))
	require.Len(t, at, 2)
	require.True(t, at[0].Equal(out.AppliedAt), "restricted_at is the transaction's time")

	again, err := c.Restrict(ctx, request(domain.Restriction, p.Subject))
	require.NoError(t, err)
	require.False(t, again.Replayed)
	require.Equal(t, map[string]int64{"end_users": 0, "agents": 0}, again.Rows)
	require.Contains(t, strings.Join(again.Notes, "\n"), "already restricted")
	var still time.Time
	require.NoError(t, f.db.Get(&still, `SELECT restricted_at FROM end_users WHERE id = $1`, p.EndUserID))
	require.True(t, still.Equal(at[0]), "a second restriction keeps the first time")
}

func TestObject(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	p := f.seedEndUser(false)
	objections := func() []string {
		var got pq.StringArray
		require.NoError(t, f.db.Get(&got, `SELECT processing_objections FROM end_users WHERE id = $1`, p.EndUserID))
		return got
	}

	for _, tt := range []struct {
		name     string
		purposes []domain.Purpose
		rows     int64
		want     []string
	}{
		{name: "First", purposes: []domain.Purpose{domain.PurposeMarketing}, rows: 1, want: []string{"marketing"}},
		{name: "UnionWithDuplicates", purposes: []domain.Purpose{domain.PurposeAnalytics, domain.PurposeMarketing, domain.PurposeAnalytics}, rows: 1, want: []string{"analytics", "marketing"}},
		{name: "AlreadyObjected", purposes: []domain.Purpose{domain.PurposeMarketing}, rows: 0, want: []string{"analytics", "marketing"}},
	} {
		req := request(domain.Objection, p.Subject)
		req.ObjectionPurposes = tt.purposes
		out, err := c.Object(ctx, req)
		require.NoError(t, err, tt.name)
		require.Equal(t, map[string]int64{"end_users": tt.rows}, out.Rows, tt.name)
		require.Equal(t, tt.want, objections(), tt.name)
	}

	req := request(domain.Objection, p.Subject)
	_, err := c.Object(ctx, req)
	require.ErrorIs(t, err, connectors.ErrInvalid, "no purpose")
}

func TestValidation(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	p := f.seedEndUser(false)
	badTenant := connectors.Subject{TenantID: "acme", Email: p.Email}

	_, err := c.Find(ctx, badTenant)
	require.ErrorIs(t, err, connectors.ErrInvalid)
	require.ErrorIs(t, c.Export(ctx, request(domain.Access, badTenant), connectors.ExportScope{}, &conformance.Recorder{}), connectors.ErrInvalid)
	_, err = c.Find(ctx, connectors.Subject{TenantID: f.tenant, Email: " "})
	require.ErrorIs(t, err, connectors.ErrInvalid)

	for _, tt := range []struct {
		name string
		req  connectors.Request
	}{
		{name: "NoRequestID", req: connectors.Request{Type: domain.Erasure, Subject: p.Subject}},
		{name: "BadTenant", req: request(domain.Erasure, badTenant)},
		{name: "UnknownScope", req: erasure(p.Subject, "everything")},
	} {
		_, err := c.Erase(ctx, tt.req)
		require.ErrorIs(t, err, connectors.ErrInvalid, tt.name)
	}
	require.True(t, has(t, f.db, p.Subject))
}

func TestSchemaDocumented(t *testing.T) {
	t.Parallel()
	for _, scope := range []connectors.ExportScope{{}, {Portability: true}} {
		for _, cat := range chatstore.Schema(scope) {
			require.NotEmpty(t, cat.Description, cat.Name)
			for _, col := range cat.Columns {
				require.NotEmpty(t, col.Description, "%s.%s", cat.Name, col.Name)
				require.Contains(t, []string{chatstore.TypeText, chatstore.TypeInteger, chatstore.TypeTimestamp}, col.Type, "%s.%s", cat.Name, col.Name)
			}
		}
	}
	// Schema hands out copies.
	cats := chatstore.Schema(connectors.ExportScope{})
	cats[0].Columns[0].Name = "changed"
	require.Equal(t, "role", chatstore.Schema(connectors.ExportScope{})[0].Columns[0].Name)
}

// TestDemoTenant runs the well-known subjects of a demo tenant through the connector.
func TestDemoTenant(t *testing.T) {
	t.Parallel()
	sch := pgtest.New(t, schema.ChatStore)
	c := chatstore.New(sch.DB)
	f := &fixture{t: t, db: sch.DB, tenant: uuid.NewString()}
	_, err := demo.Seed(ctx, sch.DB, demo.Options{TenantID: f.tenant, TenantName: "Acme Corp", EndUsers: 50, Messages: 600})
	require.NoError(t, err)
	subject := func(email string) connectors.Subject { return connectors.Subject{TenantID: f.tenant, Email: email} }

	// visitor1 has an open conversation.
	blockers, err := c.Blockers(ctx, erasure(subject(demo.UserEmail(1)), domain.ScopeFull))
	require.NoError(t, err)
	require.Len(t, blockers, 1)
	_, err = c.Erase(ctx, erasure(subject(demo.UserEmail(1)), domain.ScopeFull))
	require.ErrorIs(t, err, connectors.ErrBlocked)

	// visitor2 does not: the access export agrees with Find, then a full erasure leaves no
	// trace of their email anywhere, transcripts included.
	v2 := subject(demo.UserEmail(2))
	m, err := c.Find(ctx, v2)
	require.NoError(t, err)
	require.Equal(t, []string{chatstore.RoleEndUser}, m.Roles)
	var rec conformance.Recorder
	require.NoError(t, c.Export(ctx, request(domain.Access, v2), connectors.ExportScope{}, &rec))
	for _, cat := range rec.Categories() {
		require.Len(t, cat.Rows, int(m.Counts[cat.Name]), cat.Name)
	}
	out, err := c.Erase(ctx, erasure(v2, domain.ScopeFull))
	require.NoError(t, err)
	require.Equal(t, m.Counts[chatstore.CategoryMessages], out.Rows[chatstore.RowsMessages])
	require.Equal(t, m.Counts[chatstore.CategoryConversations], out.Rows[chatstore.RowsConversations])
	require.Empty(t, occurrences(t, f.db, demo.UserEmail(2)))

	// The owner is kept, an admin is not.
	out, err = c.Erase(ctx, erasure(subject("owner@acme-corp.example"), domain.ScopeProfile))
	require.NoError(t, err)
	require.Equal(t, []domain.Exception{chatstore.OwnerException}, out.Exceptions)
	out, err = c.Erase(ctx, erasure(subject("agent1@acme-corp.example"), domain.ScopeProfile))
	require.NoError(t, err)
	require.Equal(t, int64(1), out.Rows[chatstore.RowsAgents])
	require.Empty(t, occurrences(t, f.db, "agent1@acme-corp.example"))
}
