package ingest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// requestMail is a plain English request mail from a sender for a right.
func requestMail(from, msgID, right string) string {
	body := map[string]string{
		"access": "Under Article 15 of the GDPR I am requesting a copy of all personal data you hold about me,\n" +
			"including the chat conversations I had with support teams that use your widget.",
		"erasure": "Under Article 17 of the GDPR I ask you to erase all personal data you hold about me,\n" +
			"including my chat conversations and my profile. Please delete my account and confirm the deletion.",
	}[right]
	return fmt.Sprintf(`From: Bob Keller <%s>
To: Privacy Team <privacy@slaask.example>
Subject: Data protection request
Date: Mon, 02 Nov 2026 08:00:00 +0000
Message-ID: <%s@example.net>
Content-Type: text/plain; charset="utf-8"
MIME-Version: 1.0

Hello,

%s

Regards,
Bob Keller
`, from, msgID, body)
}

// casesOf returns the cases of a sender, oldest first.
func (w *world) casesOf(t *testing.T, email string) []store.Case {
	t.Helper()
	var ids []string
	require.NoError(t, w.env.Orch.DB.Select(&ids, `SELECT id FROM mail_cases WHERE lower(subject_email) = lower($1) ORDER BY created_at, id`, email))
	var out []store.Case
	for _, id := range ids {
		c, err := w.env.Store.GetCase(context.Background(), id)
		require.NoError(t, err)
		out = append(out, c)
	}
	return out
}

// mailCase returns the case a recorded mail is linked to.
func (w *world) mailCase(t *testing.T, msgID string) string {
	t.Helper()
	var id string
	require.NoError(t, w.env.Orch.DB.Get(&id, `SELECT case_id FROM mail_messages WHERE message_key = $1`, "id:"+msgID+"@example.net"))
	return id
}

func joinedEvents(t *testing.T, w *world, requestID string) []store.Event {
	t.Helper()
	events, err := w.env.Store.Events(context.Background(), requestID)
	require.NoError(t, err)
	return slices.DeleteFunc(events, func(e store.Event) bool { return e.Kind != domain.EventDuplicateJoined })
}

// TestDuplicateMailJoinsOpenCase sends a sender's request for a right twice, in one poll
// and in a later one: one case, one request, one acknowledgement, each later mail linked
// to the case and recorded as an event on its request. Another right opens a case of its
// own; a mail after the window, or with joining off, opens a new case.
func TestDuplicateMailJoinsOpenCase(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const bob = "bob.keller@example.net"

	// Twice in one poll.
	w.appendRaw(t, requestMail(bob, "dup-1", "access"))
	w.appendRaw(t, requestMail(bob, "Dup-2", "access"))
	require.Equal(t, 2, w.poll(t).Filed)
	cases := w.casesOf(t, bob)
	require.Len(t, cases, 1, "the second mail joins the first's case")
	first := cases[0]
	require.Equal(t, []domain.RequestType{domain.Access}, []domain.RequestType(first.Types))
	require.Equal(t, first.ID, w.mailCase(t, "dup-1"))
	require.Equal(t, first.ID, w.mailCase(t, "Dup-2"), "the joined mail is linked to the case")
	reqs := w.requestsOf(t, first)
	require.Len(t, reqs, 1, "one request: bob is held at Acme only")
	w.env.WaitStatus(t, reqs[0].ID, domain.StatusVerifying)
	joined := joinedEvents(t, w, reqs[0].ID)
	require.Len(t, joined, 1)
	require.Contains(t, joined[0].Message, first.Reference)
	require.NotContains(t, joined[0].Message+string(joined[0].Detail), "bob", "no personal data in the event")
	require.Equal(t, 2, w.send(t), "one acknowledgement and one verification mail, not two of each")

	// Again in a later poll, with another right beside it: the access joins, the erasure
	// opens a case of its own.
	w.appendRaw(t, requestMail(bob, "dup-3", "access"))
	w.appendRaw(t, requestMail(bob, "dup-4", "erasure"))
	require.Equal(t, 2, w.poll(t).Filed)
	cases = w.casesOf(t, bob)
	require.Len(t, cases, 2)
	require.Equal(t, first.ID, w.mailCase(t, "dup-3"))
	require.Equal(t, cases[1].ID, w.mailCase(t, "dup-4"))
	require.Equal(t, []domain.RequestType{domain.Erasure}, []domain.RequestType(cases[1].Types))
	require.Len(t, w.requestsOf(t, first), 1)
	require.Len(t, joinedEvents(t, w, reqs[0].ID), 2)
	require.Equal(t, 2, w.send(t), "the erasure's case is acknowledged, the joined access is not")

	// Taking the joined mail again records nothing twice.
	w.appendRaw(t, requestMail(bob, "dup-3", "access"))
	require.Equal(t, 1, w.poll(t).Filed)
	require.Len(t, w.casesOf(t, bob), 2)
	require.Len(t, joinedEvents(t, w, reqs[0].ID), 2)

	// Outside the window: a new case.
	_, err := w.env.Orch.DB.Exec(`UPDATE mail_cases SET received_at = received_at - $2::interval WHERE id = $1`,
		first.ID, fmt.Sprintf("%d seconds", int(w.env.Room.DuplicateWindow.Seconds())+60))
	require.NoError(t, err)
	w.appendRaw(t, requestMail(bob, "dup-5", "access"))
	require.Equal(t, 1, w.poll(t).Filed)
	cases = w.casesOf(t, bob)
	require.Len(t, cases, 3, "a mail after the window opens a case")
	require.Equal(t, cases[2].ID, w.mailCase(t, "dup-5"))

	// Joining off: every request mail opens a case.
	w.env.Room.DuplicateWindow = 0
	w.appendRaw(t, requestMail(bob, "dup-6", "access"))
	require.Equal(t, 1, w.poll(t).Filed)
	require.Len(t, w.casesOf(t, bob), 4)
}
