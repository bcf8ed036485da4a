package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/activities"
	"dsr/internal/domain"
	"dsr/internal/store"
)

// retentionKey is the installation key of the retention tests.
var retentionKey = []byte("retention-test-key-0123456789abcdef")

func retentionHash(tenantID, email string) string {
	return activities.SubjectHash(retentionKey, tenantID, email)
}

// finish records the request's final status.
func finish(t *testing.T, s *store.Store, id string, status domain.Status, mailKind string) {
	t.Helper()
	ok, err := s.RecordNotifying(ctx, domain.Change{RequestID: id, DedupeKey: "final", Kind: domain.EventKind(status),
		Actor: domain.ActorSystem, Status: status, Message: "done"}, mailKind)
	require.NoError(t, err)
	require.True(t, ok)
}

// textHolding returns "table.column" for every text, jsonb, text array or bytea value of
// the schema that contains needle, in any letter case.
func textHolding(t *testing.T, s *store.Store, needle string) []string {
	t.Helper()
	var cols []struct {
		Table  string `db:"table_name"`
		Column string `db:"column_name"`
		Type   string `db:"data_type"`
	}
	require.NoError(t, s.DB().Select(&cols, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')
		ORDER BY table_name, column_name`))
	require.NotEmpty(t, cols)
	var found []string
	for _, c := range cols {
		expr := fmt.Sprintf("%q::text", c.Column)
		if c.Type == "bytea" {
			expr = fmt.Sprintf("encode(%q, 'escape')", c.Column)
		}
		var n int
		require.NoError(t, s.DB().Get(&n, fmt.Sprintf(`SELECT count(*) FROM %q WHERE strpos(lower(%s), lower($1)) > 0`, c.Table, expr), needle))
		if n > 0 {
			found = append(found, c.Table+"."+c.Column)
		}
	}
	return found
}

// TestMinimise finishes a subject's requests (a mailed case with two requests, its mail,
// the mail to the subject, an API rectification), runs the retention past them, and
// checks that no table holds the address or the new values any more, that the audit chain
// verifies, that hashes still match the suppression list and tombstones stay, that what a
// dry run counted is what a run did, and that a second run changes nothing.
func TestMinimise(t *testing.T) {
	t.Parallel()
	s := setup(t)
	a, b := tenant(t, s), tenant(t, s)
	const alice = "alice.retention@example.com"

	// A mailed case opening a request at each tenant, and a triage mail without a case.
	tk := taking(t, "alice.retention", a.ID, b.ID)
	triage := store.Taking{Mail: store.Mail{MessageKey: "id:triage", Size: 1, SHA256: "00", RawSealed: []byte("sealed"),
		Folder: store.FolderTriage, Kind: "support", Note: "for the team"}}
	// A case routed to no request still owes its subject an answer until it is closed.
	owed := taking(t, "owed.answer")
	made, _, err := s.TakeMails(ctx, []store.Taking{tk, triage, owed})
	require.NoError(t, err)
	require.Len(t, made, 2)
	for _, r := range made {
		finish(t, s, r.ID, domain.StatusCompleted, "result")
	}
	// An API rectification whose new values are personal data.
	n := newRequest(a.ID, domain.Rectification)
	n.SubjectEmail = "Alice.Retention@Example.com"
	n.Params.Rectification = map[string]string{"name": "Alice Liddell-Wonder"}
	n.RequestHash = "sha256-of-the-body"
	rect, _, err := s.CreateRequest(ctx, n)
	require.NoError(t, err)
	finish(t, s, rect.ID, domain.StatusDenied, "")
	require.NoError(t, s.Suppress(ctx, a.ID, retentionHash(a.ID, alice), rect.ID, []domain.Purpose{domain.PurposeMarketing}))
	_, _, err = s.RecordTombstone(ctx, store.Tombstone{RequestID: rect.ID, TenantID: a.ID, Action: domain.Restriction,
		SubjectHash: make([]byte, 32)})
	require.NoError(t, err)

	end := time.Now()
	time.Sleep(10 * time.Millisecond)
	// Requests that stay: one open, one final after the end of retention.
	open := newRequest(a.ID, domain.Access)
	open.SubjectEmail = "bob.open@example.com"
	_, _, err = s.CreateRequest(ctx, open)
	require.NoError(t, err)
	recent := newRequest(b.ID, domain.Erasure)
	recent.SubjectEmail = "carol.recent@example.com"
	late, _, err := s.CreateRequest(ctx, recent)
	require.NoError(t, err)
	finish(t, s, late.ID, domain.StatusCompleted, "")

	require.NotEmpty(t, textHolding(t, s, alice))
	due, err := s.MinimisationDue(ctx, end)
	require.NoError(t, err)
	require.Equal(t, store.Minimisation{Requests: 3, Cases: 1, Outbox: 4, Mails: 2}, due,
		"three requests; the case; its ack and verify mails and the two result mails; the case's mail and the triage mail")
	require.Contains(t, textHolding(t, s, alice), "requests.subject_email", "counting changes nothing")

	var progress []store.Minimisation
	done, err := s.Minimise(ctx, store.MinimiseOptions{Before: end, Hash: retentionHash, Batch: 2,
		Progress: func(m store.Minimisation) { progress = append(progress, m) }})
	require.NoError(t, err)
	require.Equal(t, due, done)
	require.Greater(t, len(progress), 4, "batches of two report their progress")

	require.Empty(t, textHolding(t, s, alice), "no clear address of the subject is left")
	require.Empty(t, textHolding(t, s, "Liddell"), "nor the rectification's values")
	require.NotEmpty(t, textHolding(t, s, "bob.open@example.com"), "the open request keeps its subject")
	require.NotEmpty(t, textHolding(t, s, "carol.recent@example.com"), "a request final after the end of retention is kept")
	require.Contains(t, textHolding(t, s, "owed.answer@example.com"), "mail_cases.subject_email", "a case owed its answer is kept")

	sum, err := s.VerifyAudit(ctx)
	require.NoError(t, err, "the audit chain verifies after minimisation")
	require.Equal(t, 4, sum.Requests)

	// The hash is the suppression list's: the objection still finds the subject.
	got, err := s.GetRequest(ctx, a.ID, rect.ID)
	require.NoError(t, err)
	require.True(t, store.IsMinimised(got.SubjectEmail))
	require.NotNil(t, got.MinimisedAt)
	require.Equal(t, store.MinimisedPrefix+retentionHash(a.ID, alice), got.SubjectEmail)
	require.Equal(t, map[string]string{"name": ""}, got.Params.Rectification, "the field names stay, not the values")
	require.Nil(t, got.RequestHash)
	purposes, err := s.Suppressed(ctx, a.ID, strings.TrimPrefix(got.SubjectEmail, store.MinimisedPrefix))
	require.NoError(t, err)
	require.Equal(t, []domain.Purpose{domain.PurposeMarketing}, purposes)
	var tombstones int
	require.NoError(t, s.DB().Get(&tombstones, `SELECT count(*) FROM tombstones`))
	require.Equal(t, 1, tombstones)

	for _, id := range []string{made[0].ID, made[1].ID, rect.ID} {
		events, err := s.Events(ctx, id)
		require.NoError(t, err)
		last := events[len(events)-1]
		require.Equal(t, domain.EventMinimised, last.Kind)
		require.Equal(t, domain.ActorSystem, last.Actor)
	}
	var kept []byte
	require.NoError(t, s.DB().Get(&kept, `SELECT raw_sealed FROM mail_messages WHERE message_key = 'id:triage'`))
	require.Nil(t, kept, "the kept mail is deleted")
	claimed, err := s.ClaimMail(ctx, time.Now().Add(time.Hour), time.Minute, 100)
	require.NoError(t, err)
	require.Len(t, claimed, 2, "the ack and verify mails of the case owed its answer")
	for _, o := range claimed {
		require.Equal(t, owed.Case.ID, *o.CaseID, "a minimised mail is never sent")
	}

	// Once is enough: nothing is due, a second run changes nothing, the chain still holds.
	due, err = s.MinimisationDue(ctx, end)
	require.NoError(t, err)
	require.Zero(t, due.Total())
	again, err := s.Minimise(ctx, store.MinimiseOptions{Before: end, Hash: retentionHash})
	require.NoError(t, err)
	require.Zero(t, again.Total())
	after, err := s.VerifyAudit(ctx)
	require.NoError(t, err)
	require.Equal(t, sum.Events, after.Events)
}
