package evidence_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/documents/evidence"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/testkit"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

// TestReceipts checks the pack's connector receipts: rows for the chat store, and for a
// sub-processor its status in the Art. 19 ledger with its reason once, as the API shows it.
func TestReceipts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(pgtest.New(t, schema.Orchestrator).DB)
	tn, err := st.CreateTenant(ctx, store.Tenant{Name: "Acme Chat", Region: domain.RegionEU, Country: "FR", TZ: "Europe/Paris", TargetDays: 4})
	require.NoError(t, err)
	now := time.Now().UTC()
	r, _, err := st.CreateRequest(ctx, store.NewRequest{TenantID: tn.ID, Type: domain.Erasure, Source: domain.SourceMail,
		SubjectEmail: "visitor3@example.com", Reference: "DSR-26504761", ReceivedAt: now, ClockStartedAt: &now,
		TargetDue: now, LegalDue: now, ExtendedDue: now})
	require.NoError(t, err)
	const reason = "transit only: keeps nothing"
	_, err = st.Record(ctx, domain.Change{RequestID: r.ID, DedupeKey: "done", Kind: domain.EventCompleted, Actor: domain.ActorSystem,
		Status: domain.StatusCompleted, Result: map[string]any{"status": "completed", "connectors": []domain.Outcome{
			{Connector: "chatstore", Action: domain.Erasure, Rows: map[string]int64{"end_users": 1}, AppliedAt: now},
			{Connector: "Relay", Action: domain.Erasure, Rows: map[string]int64{}, AppliedAt: now, Notes: []string{reason},
				Recipient: &domain.Recipient{Name: "Relay", Kind: "exempt", Status: domain.RecipientExempt, Reason: reason}},
		}}})
	require.NoError(t, err)

	var buf bytes.Buffer
	require.NoError(t, evidence.PDF(ctx, st, r.ID, &buf))
	text := testkit.PDFText(t, buf.Bytes())
	require.Contains(t, text, "DSR-26504761", "the request's one reference")
	require.Contains(t, text, "erasure applied")
	require.Contains(t, text, "end_users 1")
	require.Contains(t, text, "erasure: recipient exempt")
	require.Equal(t, 1, strings.Count(text, reason), "the reason once: %s", text)
	require.NotContains(t, text, "visitor3@example.com")
}
