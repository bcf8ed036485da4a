package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// TestRetentionRun finishes a request, moves its final time past the retention, and checks
// that `dsr retention run --dry-run` counts it and changes nothing, that `dsr retention run`
// replaces its subject by a keyed hash with the audit chain still verifying, and that a
// second run changes nothing.
func TestRetentionRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := newInstall(t)
	var tn tenantInfo
	require.NoError(t, json.Unmarshal(in.run("tenant", "create", "--name", "Retention Co"), &tn))

	orch, err := sqlx.Open("postgres", in.orchURL)
	require.NoError(t, err)
	defer orch.Close()
	st := store.New(orch)
	now := time.Now().UTC()
	const subject = "old.subject@example.com"
	mk := func(email string) string {
		r, _, err := st.CreateRequest(ctx, store.NewRequest{TenantID: tn.ID, Type: domain.Restriction, Source: domain.SourceAPI,
			SubjectEmail: email, ReceivedAt: now, TargetDue: now, LegalDue: now, ExtendedDue: now})
		require.NoError(t, err)
		_, err = st.Record(ctx, domain.Change{RequestID: r.ID, DedupeKey: "final", Kind: domain.EventCompleted,
			Actor: domain.ActorSystem, Status: domain.StatusCompleted})
		require.NoError(t, err)
		return r.ID
	}
	old, recent := mk(subject), mk("recent.subject@example.com")
	// Three years and a day ago, as the clock would have it by now.
	_, err = orch.Exec(`UPDATE requests SET completed_at = now() - interval '1096 days' WHERE id = $1`, old)
	require.NoError(t, err)

	type counts struct {
		DryRun      bool   `json:"dry_run"`
		Retention   string `json:"retention"`
		FinalBefore string `json:"final_before"`
		Requests    int    `json:"requests"`
		Cases       int    `json:"mail_cases"`
		Outbox      int    `json:"mail_outbox"`
		Mails       int    `json:"mail_messages"`
	}
	retention := func(args ...string) counts {
		var c counts
		require.NoError(t, json.Unmarshal(in.run(append([]string{"retention", "run"}, args...)...), &c))
		return c
	}
	email := func(id string) string {
		var e string
		require.NoError(t, orch.Get(&e, `SELECT subject_email FROM requests WHERE id = $1`, id))
		return e
	}

	dry := retention("--dry-run")
	require.True(t, dry.DryRun)
	require.Equal(t, "26280h0m0s", dry.Retention)
	require.Equal(t, 1, dry.Requests)
	require.Equal(t, subject, email(old), "a dry run changes nothing")

	done := retention()
	require.False(t, done.DryRun)
	require.Equal(t, 1, done.Requests)
	require.True(t, strings.HasPrefix(email(old), store.MinimisedPrefix), email(old))
	require.Equal(t, "recent.subject@example.com", email(recent))
	var audit struct {
		OK     bool  `json:"ok"`
		Events int64 `json:"events"`
	}
	require.NoError(t, json.Unmarshal(in.run("audit", "verify"), &audit))
	require.True(t, audit.OK)
	require.EqualValues(t, 3, audit.Events, "two final events and one minimised event")

	again := retention()
	require.Zero(t, again.Requests+again.Cases+again.Outbox+again.Mails, "a second run changes nothing")
	require.Zero(t, retention("--dry-run").Requests)
}
