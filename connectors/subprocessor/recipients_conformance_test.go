package subprocessor_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/connectors/conformance"
	"dsr/connectors/subprocessor"
	"dsr/internal/mail/smtp"
	"dsr/internal/store"
	"dsr/internal/testkit/pgtest"
	"dsr/internal/testkit/smtptest"
	"dsr/schema"
)

// TestConformance runs the shared suite, in its record-only mode, on the sub-processors
// that hold nothing dsr can find or export: an exempt one (each change puts it in the
// ledger as exempt) and one reached by mail (each change opens a task and mails the vendor
// once, then waits for its reply).
func TestConformanceRecipients(t *testing.T) {
	t.Parallel()
	t.Run("Exempt", func(t *testing.T) {
		t.Parallel()
		conformance.Run(t, &exemptHarness{})
	})
	t.Run("Manual", func(t *testing.T) {
		t.Parallel()
		conformance.Run(t, &manualHarness{})
	})
}

// entry parses one registry entry whose connector is spec (JSON).
func entry(t *testing.T, name, spec string) subprocessor.Entry {
	t.Helper()
	es, err := subprocessor.Parse([]byte(`[{"name":"` + name + `","purpose":"tests","data_categories":["email"],
		"country":"FR","transfer_mechanism":"EEA","dpa_date":"2024-06-01","connector":` + spec + `}]`))
	require.NoError(t, err)
	return es[0]
}

// seed returns a new subject of tenant, or skips a subject with an open conversation: a
// sub-processor holds none.
func seed(t *testing.T, tenant string, spec conformance.SubjectSpec) connectors.Subject {
	t.Helper()
	if spec.OpenConversation {
		t.Skipf("a sub-processor holds no conversations, so nothing there blocks an erasure")
	}
	return connectors.Subject{TenantID: tenant, Email: spec.Role + "-" + uuid.NewString()[:8] + "@example.com"}
}

// exemptHarness runs the suite on an Exempt sub-processor. It holds nothing and records
// nothing of its own (the ledger entry is in each outcome), so every subject is one it
// "has": the data stays where dsr changes it directly.
type exemptHarness struct {
	tenant string
}

var (
	_ conformance.Harness    = (*exemptHarness)(nil)
	_ conformance.RecordOnly = (*exemptHarness)(nil)
)

func (h *exemptHarness) New(t *testing.T) connectors.Connector {
	h.tenant = uuid.NewString()
	return &subprocessor.Exempt{Entry: entry(t, "Hosting Co", `{"kind":"none","reason":"hosts encrypted disks; the data is erased in place"}`)}
}

func (h *exemptHarness) Seed(t *testing.T, _ connectors.Connector, spec conformance.SubjectSpec) connectors.Subject {
	t.Helper()
	return seed(t, h.tenant, spec)
}

func (h *exemptHarness) Has(*testing.T, connectors.Connector, connectors.Subject) bool { return true }

func (h *exemptHarness) RectifyField() string { return "" }

// RecordOnly: an exempt sub-processor is only a line in the ledger.
func (h *exemptHarness) RecordOnly() bool { return true }

// manualHarness runs the suite on a Manual sub-processor, on its own orchestrator schema
// with one tenant and an SMTP sink for the vendor's mail. Manual reads each request's
// deadlines from the record, so the harness records every request the suite makes (in its
// tenant: the suite also asks about subjects of tenants unknown to the record). A vendor
// holds the subject until it confirms, which no case waits for, so Has is always true.
type manualHarness struct {
	mu     sync.Mutex
	st     *store.Store
	tenant store.Tenant
}

var (
	_ conformance.Harness         = (*manualHarness)(nil)
	_ conformance.RecordOnly      = (*manualHarness)(nil)
	_ conformance.RequestPreparer = (*manualHarness)(nil)
)

const vendorContact = "privacy@survey.example"

func (h *manualHarness) New(t *testing.T) connectors.Connector {
	ctx := context.Background()
	orch := pgtest.New(t, schema.Orchestrator)
	st := store.New(orch.DB)
	tn, err := st.CreateTenant(ctx, store.Tenant{Name: "Acme", Region: "eu", Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)
	sink := smtptest.New(t)
	m, err := smtp.New(sink.URL, "privacy@dsr.example")
	require.NoError(t, err)
	h.mu.Lock()
	h.st, h.tenant = st, tn
	h.mu.Unlock()

	// Once every case is over: each task was mailed to the vendor as one message (a retry
	// sends nothing, or the same message again), and the DPO was never bothered.
	t.Cleanup(func() {
		var tasks []string
		require.NoError(t, orch.DB.Select(&tasks, `SELECT request_id::text FROM manual_tasks`))
		ids := map[string]bool{}
		for _, ml := range sink.Mails() {
			require.Equal(t, []string{vendorContact}, ml.To, "mail to %v", ml.To)
			require.False(t, strings.HasPrefix(ml.Subject, "Reminder:"), "no reminder is due")
			ids[ml.Header.Get("Message-Id")] = true
		}
		require.NotEmpty(t, tasks, "tasks opened")
		require.Len(t, ids, len(tasks), "one mail per task")
	})

	return &subprocessor.Manual{Entry: entry(t, "Survey Co", `{"kind":"mail","contact":"`+vendorContact+`","turnaround_days":5}`),
		Store: st, Mailer: m, DPOEmail: "dpo@vendor.example", CheckEvery: time.Minute}
}

func (h *manualHarness) Seed(t *testing.T, _ connectors.Connector, spec conformance.SubjectSpec) connectors.Subject {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	return seed(t, h.tenant.ID, spec)
}

func (h *manualHarness) Has(*testing.T, connectors.Connector, connectors.Subject) bool { return true }

func (h *manualHarness) RectifyField() string { return "" }

// RecordOnly: a vendor reached by mail is asked, and its task recorded; dsr finds and
// exports nothing there.
func (h *manualHarness) RecordOnly() bool { return true }

// PrepareRequest records req, received now with a month to its legal deadline (longer than
// the vendor's turnaround: no escalation), and gives it the record's id.
func (h *manualHarness) PrepareRequest(t *testing.T, _ connectors.Connector, req *connectors.Request) {
	t.Helper()
	h.mu.Lock()
	st, tn := h.st, h.tenant
	h.mu.Unlock()
	now := time.Now().UTC()
	r, _, err := st.CreateRequest(context.Background(), store.NewRequest{TenantID: tn.ID, Type: req.Type, Source: "api",
		SubjectEmail: req.Subject.Email, ReceivedAt: now, ClockStartedAt: &now,
		TargetDue: now.AddDate(0, 0, 14), LegalDue: now.AddDate(0, 1, 0), ExtendedDue: now.AddDate(0, 3, 0)})
	require.NoError(t, err)
	req.ID = r.ID
}
