package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// taking is a request mail opening a case with its two outgoing mails and, per tenant
// given, one request.
func taking(t *testing.T, key string, tenants ...string) store.Taking {
	t.Helper()
	caseID, err := store.NewID()
	require.NoError(t, err)
	now := time.Now().UTC().Truncate(time.Microsecond)
	c := &store.Case{ID: caseID, Reference: domain.Ref(caseID), SubjectEmail: key + "@example.com", Language: "en",
		Types: store.Array[domain.RequestType]{domain.Access}, ReceivedAt: now, TokenHash: []byte("token-" + key), CodeHash: []byte("code"),
		ExpiresAt: now.Add(time.Hour)}
	tk := store.Taking{
		Mail: store.Mail{MessageKey: "id:" + key, Size: 10, SHA256: "00", RawSealed: []byte{1, 2}, Folder: store.FolderProcessed,
			Kind: "request", Types: store.Array[domain.RequestType]{domain.Access}, Reasons: []string{"a, b", "c"}},
		Case: c,
		Out: []store.Outgoing{
			{DedupeKey: "case:" + caseID + ":ack", CaseID: &c.ID, Kind: "ack", Language: "en", Recipient: c.SubjectEmail},
			{DedupeKey: "case:" + caseID + ":verify", CaseID: &c.ID, Kind: "verify", Language: "en", Recipient: c.SubjectEmail,
				SecretsSealed: []byte{3}},
		},
	}
	for _, tid := range tenants {
		tk.Requests = append(tk.Requests, store.NewRequest{TenantID: tid, Type: "access", Source: "mail",
			SubjectEmail: c.SubjectEmail, Reference: c.Reference, IdempotencyKey: "mail:" + caseID + ":access",
			RequestHash: "mail:" + caseID, ReceivedAt: now})
	}
	return tk
}

// TestTakeMails records a batch in one go: mails, routed cases, queued mail, requests and
// their links; a mail taken before is left out with all that hangs on it.
func TestTakeMails(t *testing.T) {
	t.Parallel()
	s := setup(t)
	a, b := tenant(t, s), tenant(t, s)

	first := taking(t, "first", a.ID)
	_, earlier, err := s.TakeMails(ctx, []store.Taking{first})
	require.NoError(t, err)
	require.Empty(t, earlier)

	twin := taking(t, "two", b.ID) // the same mail delivered to a second alias
	twin.Case.Reference, twin.Case.TokenHash = twin.Case.Reference+"x", []byte("token-twin")
	batch := []store.Taking{taking(t, "two", a.ID, b.ID), taking(t, "first", b.ID), taking(t, "none"), twin}
	batch = append(batch, store.Taking{Mail: store.Mail{MessageKey: "id:notice", Size: 1, SHA256: "00",
		Folder: store.FolderTriage, Kind: "support", Note: "for the team"}})
	made, earlier, err := s.TakeMails(ctx, batch)
	require.NoError(t, err)
	require.Equal(t, []int{1, 3}, earlier, "the second delivery of a mail is left out, also within the batch")
	require.Len(t, made, 2)
	for _, r := range made {
		require.Equal(t, domain.StatusReceived, r.Status)
		require.Equal(t, domain.SourceMail, r.Source)
		c, err := s.CaseOfRequest(ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, batch[0].Case.ID, c.ID)
	}

	for i, tk := range batch {
		if i == 1 || i == 3 {
			continue
		}
		m, err := s.MailByKey(ctx, tk.Mail.MessageKey)
		require.NoError(t, err)
		require.Equal(t, tk.Mail.Folder, m.Folder)
		require.Equal(t, []string(tk.Mail.Reasons), []string(m.Reasons), "text arrays keep their commas")
		if tk.Case == nil {
			require.Nil(t, m.CaseID)
			continue
		}
		c, err := s.GetCase(ctx, *m.CaseID)
		require.NoError(t, err)
		require.NotNil(t, c.RoutedAt, "a case is recorded routed, with its requests")
		ids, err := s.CaseRequests(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, ids, len(tk.Requests))
		out, err := s.Outbox(ctx, c.ID, "")
		require.NoError(t, err)
		require.Len(t, out, 2)
	}
	// The cases of the mails left out were not opened.
	for _, i := range earlier {
		_, err = s.GetCase(ctx, batch[i].Case.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	}

	// References of cases and requests are known, in any letter case; others are not.
	reqRef := domain.Ref(made[0].ID)
	known, err := s.KnownRefs(ctx, []string{first.Case.Reference, "dsr-" + reqRef[4:], "DSR-00000000", "DSR-x"})
	require.NoError(t, err)
	require.Equal(t, map[string]bool{first.Case.Reference: true, "dsr-" + reqRef[4:]: true}, known)
}

// TestTakeMailsManyRows goes past one statement's parameter limit.
func TestTakeMailsManyRows(t *testing.T) {
	t.Parallel()
	s := setup(t)
	a := tenant(t, s)
	var batch []store.Taking
	for i := range 5000 {
		tk := taking(t, fmt.Sprintf("m%d", i), a.ID)
		tk.Case.Reference = fmt.Sprintf("DSR-%08x", i) // drawn, two of 5,000 could meet
		batch = append(batch, tk)
	}
	made, earlier, err := s.TakeMails(ctx, batch)
	require.NoError(t, err)
	require.Empty(t, earlier)
	require.Len(t, made, 5000)
	var n int
	require.NoError(t, s.DB().Get(&n, `SELECT count(*) FROM mail_outbox`))
	require.Equal(t, 10000, n)
}

// TestClaimMailInOrder checks that a case's mails are claimed in the order they were queued
// (the acknowledgement before the verification mail), many times over, and that a mail
// waits while an earlier one of its case waits for a retry.
func TestClaimMailInOrder(t *testing.T) {
	t.Parallel()
	s := setup(t)
	var cases []string
	var batch []store.Taking
	for i := range 20 {
		tk := taking(t, fmt.Sprintf("order%d", i))
		cases = append(cases, tk.Case.ID)
		batch = append(batch, tk)
	}
	_, _, err := s.TakeMails(ctx, batch)
	require.NoError(t, err)

	now := time.Now().Add(time.Second)
	claimed, err := s.ClaimMail(ctx, now, time.Minute, 100)
	require.NoError(t, err)
	require.Len(t, claimed, 40)
	seen := map[string]string{}
	for _, o := range claimed {
		if o.Kind == "verify" {
			require.Equal(t, "ack", seen[*o.CaseID], "the verification mail of case %s came before its acknowledgement", *o.CaseID)
		}
		seen[*o.CaseID] = o.Kind
	}

	// The first case's acknowledgement failed and waits for its retry; its verification
	// mail, back after the lease, waits behind it; the other cases' are not held up.
	var ack, verify store.Outgoing
	for _, o := range claimed {
		if *o.CaseID == cases[0] && o.Kind == "ack" {
			ack = o
		} else if *o.CaseID == cases[0] {
			verify = o
		}
	}
	require.NoError(t, s.MailFailed(ctx, ack.ID, "connection refused", now.Add(10*time.Minute)))
	for _, o := range claimed {
		if o.ID != ack.ID && o.ID != verify.ID {
			require.NoError(t, s.MailSent(ctx, o.ID, "<x@y>"))
		}
	}
	later := now.Add(2 * time.Minute) // the lease is over
	again, err := s.ClaimMail(ctx, later, time.Minute, 100)
	require.NoError(t, err)
	require.Empty(t, again, "the verification mail waits for the acknowledgement")
	again, err = s.ClaimMail(ctx, now.Add(11*time.Minute), time.Minute, 100)
	require.NoError(t, err)
	require.Len(t, again, 2)
	require.Equal(t, []string{"ack", "verify"}, []string{again[0].Kind, again[1].Kind})
}
