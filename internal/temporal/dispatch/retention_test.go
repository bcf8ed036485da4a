package dispatch_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"dsr/activities"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/testkit/testenv"
	"dsr/workflows"
)

// TestRetentionSchedule creates the daily retention schedule on the embedded server,
// triggers it, and checks that its run minimised a request final for longer than the
// retention, with the installation's key, and kept a recent one.
func TestRetentionSchedule(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	tn, _ := env.Tenant(t, "Retention Co")
	now := time.Now().UTC()
	final := func(email string) string {
		r, _, err := env.Store.CreateRequest(ctx, store.NewRequest{TenantID: tn.ID, Type: domain.Restriction, Source: domain.SourceAPI,
			SubjectEmail: email, ReceivedAt: now, TargetDue: now, LegalDue: now, ExtendedDue: now})
		require.NoError(t, err)
		_, err = env.Store.Record(ctx, domain.Change{RequestID: r.ID, DedupeKey: "final", Kind: domain.EventCanceled,
			Actor: domain.ActorSystem, Status: domain.StatusCanceled})
		require.NoError(t, err)
		return r.ID
	}
	old, recent := final("old@example.com"), final("recent@example.com")
	_, err := env.Orch.DB.Exec(`UPDATE requests SET completed_at = now() - interval '1096 days' WHERE id = $1`, old)
	require.NoError(t, err)

	require.NoError(t, env.Dispatch.EnsureRetention(ctx))
	require.NoError(t, env.Dispatch.EnsureRetention(ctx), "ensuring twice is fine")
	h := env.Temporal.ScheduleClient().GetHandle(ctx, workflows.RetentionScheduleID)
	desc, err := h.Describe(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, desc.Info.NextActionTimes)
	next := desc.Info.NextActionTimes[0].UTC()
	require.Equal(t, 3, next.Hour())
	require.Less(t, time.Until(next), 25*time.Hour, "every day")

	require.NoError(t, h.Trigger(ctx, client.ScheduleTriggerOptions{}))
	subject := func(id string) string {
		r, err := env.Store.GetRequest(ctx, tn.ID, id)
		require.NoError(t, err)
		return r.SubjectEmail
	}
	require.Eventually(t, func() bool { return strings.HasPrefix(subject(old), store.MinimisedPrefix) }, 60*time.Second, 200*time.Millisecond)
	require.Equal(t, store.MinimisedPrefix+activities.SubjectHash(testenv.SecretKey, tn.ID, "old@example.com"), subject(old))
	require.Equal(t, "recent@example.com", subject(recent))
	_, err = env.Store.VerifyAudit(ctx)
	require.NoError(t, err)
}
