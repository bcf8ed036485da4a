package backups_test

import (
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/connectors/conformance"
)

// TestConformance runs the shared suite in its record-only mode (the harness's RecordOnly):
// backups are sealed copies that dsr never searches, exports or edits, so the suite checks
// that the connector finds and exports nothing, records one tombstone per erasure or
// restriction request (a retry is replayed), validates fields and purposes like the chat
// store, and takes an unknown subject in its stride.
func TestConformance(t *testing.T) {
	t.Parallel()
	conformance.Run(t, &harness{})
}

// harness adapts the backups connector to the conformance suite: a seeded subject is a new
// email in the harness's tenant; the system "holds" a subject until an erasure's tombstone
// puts their copies beyond use.
type harness struct {
	mu   sync.Mutex
	envs map[connectors.Connector]*env
}

var (
	_ conformance.Harness    = (*harness)(nil)
	_ conformance.RecordOnly = (*harness)(nil)
)

func (h *harness) New(t *testing.T) connectors.Connector {
	e := setup(t, "eu")
	e.backup(t, "eu-nightly", "eu", -day, 30*day)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.envs == nil {
		h.envs = map[connectors.Connector]*env{}
	}
	h.envs[e.c] = e
	return e.c
}

func (h *harness) env(t *testing.T, c connectors.Connector) *env {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.envs[c]
	require.True(t, ok, "connector not made by this harness")
	return e
}

func (h *harness) Seed(t *testing.T, c connectors.Connector, spec conformance.SubjectSpec) connectors.Subject {
	t.Helper()
	if spec.OpenConversation {
		t.Skipf("backups hold no conversations of their own to block on")
	}
	return h.env(t, c).subject(spec.Role + "-" + uuid.NewString() + "@example.com")
}

func (h *harness) Has(t *testing.T, c connectors.Connector, s connectors.Subject) bool {
	t.Helper()
	e := h.env(t, c)
	var n int
	require.NoError(t, e.orch.DB.Get(&n, `SELECT count(*) FROM tombstones WHERE tenant_id = $1 AND subject_hash = $2 AND action = 'erasure'`,
		s.TenantID, e.c.SubjectHash(s.TenantID, s.Email)))
	return n == 0
}

func (h *harness) RectifyField() string { return "" }

// RecordOnly tells the suite that the connector keeps a record of erasures and
// restrictions instead of data it can find, export or change.
func (h *harness) RecordOnly() bool { return true }
