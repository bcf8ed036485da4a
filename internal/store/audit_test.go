package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

func TestAuditChain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t, schema.Orchestrator)
	st := store.New(db.DB)
	sum, err := st.VerifyAudit(ctx)
	require.NoError(t, err, "an empty database verifies")
	require.Zero(t, sum.Events)

	tn, err := st.CreateTenant(ctx, store.Tenant{Name: "Acme", Region: "eu", Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)
	var ids []string
	for i := 0; i < 3; i++ {
		r, _, err := st.CreateRequest(ctx, store.NewRequest{TenantID: tn.ID, Type: "access", Source: "api",
			SubjectEmail: "a@example.com", ReceivedAt: time.Now()})
		require.NoError(t, err)
		ids = append(ids, r.ID)
	}
	// Interleaved events of three requests, with details that jsonb reorders.
	for i := 0; i < 4; i++ {
		for j, id := range ids {
			_, err := st.Record(ctx, domain.Change{RequestID: id, DedupeKey: string(rune('a'+i)) + "-" + string(rune('0'+j)),
				Kind: "step", Actor: "system", Message: "line one\nline two", Detail: map[string]any{"zeta": 1, "alpha": []int{i, j}}})
			require.NoError(t, err)
		}
	}
	sum, err = st.VerifyAudit(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(12), sum.Events)
	require.Equal(t, 3, sum.Requests)
	require.Len(t, sum.Head, 64)

	events, err := st.Events(ctx, ids[1])
	require.NoError(t, err)
	target := events[2]

	tamper := func(query string, args ...any) {
		t.Helper()
		_, err := db.DB.Exec(`ALTER TABLE request_events DISABLE TRIGGER request_events_append_only`)
		require.NoError(t, err)
		_, err = db.DB.Exec(query, args...)
		require.NoError(t, err)
		_, err = db.DB.Exec(`ALTER TABLE request_events ENABLE TRIGGER request_events_append_only`)
		require.NoError(t, err)
	}
	tamper(`UPDATE request_events SET message = 'nothing happened' WHERE id = $1`, target.ID)
	_, err = st.VerifyAudit(ctx)
	var brk *store.Break
	require.True(t, errors.As(err, &brk), "got %v", err)
	require.Equal(t, target.ID, brk.EventID)
	require.Equal(t, ids[1], brk.RequestID)
	require.Equal(t, "request", brk.Chain)
	require.Contains(t, err.Error(), "event")

	// Put it back: whole again.
	tamper(`UPDATE request_events SET message = $2 WHERE id = $1`, target.ID, target.Message)
	_, err = st.VerifyAudit(ctx)
	require.NoError(t, err)

	// Removing an event breaks the one after it.
	tamper(`DELETE FROM request_events WHERE id = $1`, target.ID)
	_, err = st.VerifyAudit(ctx)
	require.True(t, errors.As(err, &brk))
	require.Greater(t, brk.EventID, target.ID)
}
