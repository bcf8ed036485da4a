package subprocessor_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/connectors/conformance"
	"dsr/connectors/subprocessor"
	"dsr/internal/testkit/fakevendor"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		shape string
		auth  subprocessor.Auth
		creds fakevendor.Credentials
	}{
		{"TwoStepBearer", subprocessor.ShapeTwoStep, bearer, bearerSrv},
		{"TwoStepBasic", subprocessor.ShapeTwoStep,
			subprocessor.Auth{Type: subprocessor.AuthBasic, User: "dsr", Password: "pw-basic"},
			fakevendor.Credentials{Type: "basic", User: "dsr", Password: "pw-basic"}},
		{"AsyncJobHMAC", subprocessor.ShapeAsyncJob,
			subprocessor.Auth{Type: subprocessor.AuthHMAC, Secret: "hmac-secret"},
			fakevendor.Credentials{Type: "hmac", Secret: "hmac-secret"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conformance.Run(t, &harness{shape: tt.shape, auth: tt.auth, creds: tt.creds})
		})
	}
}

// service is what the harness needs of a fake.
type service interface {
	Has(tenant, email string) bool
}

// harness runs the conformance suite on a connector and a fake service of one shape, whose
// deletion jobs finish at once so that an erasure is over when Erase returns.
type harness struct {
	shape string
	auth  subprocessor.Auth
	creds fakevendor.Credentials

	mu      sync.Mutex
	systems map[connectors.Connector]system
}

type system struct {
	tenant string
	svc    service
	add    func(tenant, email, name, role string)
}

var _ conformance.Harness = (*harness)(nil)

func (h *harness) New(t *testing.T) connectors.Connector {
	t.Helper()
	cfg := subprocessor.Config{Name: "Sub " + h.shape, Shape: h.shape, Auth: h.auth, Rate: 1000, Per: time.Second, Burst: 1000, Timeout: 5 * time.Second}
	sys := system{tenant: uuid.NewString()}
	switch h.shape {
	case subprocessor.ShapeTwoStep:
		svc := fakevendor.NewHelpdesk(fakevendor.HelpdeskOptions{Credentials: h.creds})
		cfg.BaseURL, sys.svc = serve(t, svc), svc
		sys.add = func(tenant, email, name, role string) { svc.AddUser(tenant, email, name, role) }
	case subprocessor.ShapeAsyncJob:
		svc := fakevendor.NewAnalytics(fakevendor.AnalyticsOptions{Credentials: h.creds})
		cfg.BaseURL, sys.svc = serve(t, svc), svc
		sys.add = func(tenant, email, name, _ string) { svc.AddContact(tenant, email, name) }
	}
	c, err := subprocessor.New(cfg)
	require.NoError(t, err)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.systems == nil {
		h.systems = map[connectors.Connector]system{}
	}
	h.systems[c] = sys
	return c
}

func (h *harness) system(t *testing.T, c connectors.Connector) system {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	sys, ok := h.systems[c]
	require.True(t, ok, "connector not made by this harness")
	return sys
}

func (h *harness) Seed(t *testing.T, c connectors.Connector, spec conformance.SubjectSpec) connectors.Subject {
	t.Helper()
	if spec.OpenConversation {
		t.Skipf("a sub-processor holds no conversations, so nothing there blocks an erasure")
	}
	sys := h.system(t, c)
	role := "end-user"
	if spec.Role == conformance.RoleAgent {
		role = "agent"
	}
	id := uuid.NewString()[:8]
	s := connectors.Subject{TenantID: sys.tenant, Email: "subject-" + id + "@example.com"}
	sys.add(s.TenantID, s.Email, "Subject "+id, role)
	return s
}

func (h *harness) Has(t *testing.T, c connectors.Connector, s connectors.Subject) bool {
	t.Helper()
	return h.system(t, c).svc.Has(s.TenantID, s.Email)
}

func (h *harness) RectifyField() string { return "name" }
