package subprocessor_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/connectors/subprocessor"
	"dsr/internal/domain"
	"dsr/internal/testkit/fakevendor"
)

// ctx is the context of every call in these tests.
var ctx = context.Background()

// clock is a test clock shared by a connector and its fake service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var (
	bearer    = subprocessor.Auth{Type: subprocessor.AuthBearer, Token: "tok-" + uuid.NewString()}
	bearerSrv = fakevendor.Credentials{Type: "bearer", Token: bearer.Token}
)

// serve starts h and returns its URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// connector builds a connector on url; the config's fields that tests rarely set are
// filled: a generous general bucket, so that waits come from what a test sets up.
func connector(t *testing.T, cfg subprocessor.Config) *subprocessor.Connector {
	t.Helper()
	if cfg.Auth.Type == "" {
		cfg.Auth = bearer
	}
	if cfg.Rate == 0 {
		cfg.Rate, cfg.Per, cfg.Burst = 1000, time.Second, 1000
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	c, err := subprocessor.New(cfg)
	require.NoError(t, err)
	return c
}

// helpdesk is a connector on a fresh Helpdesk, both on clk.
func helpdesk(t *testing.T, clk *clock, o fakevendor.HelpdeskOptions, cfg subprocessor.Config) (*subprocessor.Connector, *fakevendor.Helpdesk) {
	t.Helper()
	if o.Credentials.Type == "" {
		o.Credentials = bearerSrv
	}
	o.Now = clk.Now
	svc := fakevendor.NewHelpdesk(o)
	cfg.Name, cfg.Shape, cfg.BaseURL, cfg.Now = "Helpdesk", subprocessor.ShapeTwoStep, serve(t, svc), clk.Now
	return connector(t, cfg), svc
}

// analytics is a connector on a fresh Analytics, both on clk.
func analytics(t *testing.T, clk *clock, o fakevendor.AnalyticsOptions, cfg subprocessor.Config) (*subprocessor.Connector, *fakevendor.Analytics) {
	t.Helper()
	if o.Credentials.Type == "" {
		o.Credentials = bearerSrv
	}
	o.Now = clk.Now
	svc := fakevendor.NewAnalytics(o)
	cfg.Name, cfg.Shape, cfg.BaseURL, cfg.Now = "Analytics", subprocessor.ShapeAsyncJob, serve(t, svc), clk.Now
	return connector(t, cfg), svc
}

// person is a new subject of tenant.
func person(tenant string) connectors.Subject {
	return connectors.Subject{TenantID: tenant, Email: "Person-" + uuid.NewString()[:8] + "@Example.com"}
}

func request(typ domain.RequestType, s connectors.Subject) connectors.Request {
	return connectors.Request{ID: uuid.NewString(), Type: typ, Subject: s}
}

// untilDone plays the workflow: it checks the job after each CheckAfter, advancing clk
// rather than sleeping, until the outcome has no job; it returns the final outcome and the
// waits it was asked for.
func untilDone(t *testing.T, c *subprocessor.Connector, clk *clock, req connectors.Request, out domain.Outcome) (domain.Outcome, []time.Duration) {
	t.Helper()
	var waits []time.Duration
	for out.Job != nil {
		require.Less(t, len(waits), 500, "the job is checked forever")
		require.Equal(t, domain.RecipientNotified, out.Recipient.Status)
		require.Equal(t, out.Job.Reason, out.Recipient.Reason)
		waits = append(waits, out.Job.CheckAfter)
		clk.Advance(out.Job.CheckAfter)
		var err error
		out, err = c.CheckJob(ctx, req, *out.Job)
		require.NoError(t, err)
	}
	return out, waits
}

// requireRecipient checks the outcome's Art. 19 entry.
func requireRecipient(t *testing.T, c *subprocessor.Connector, out domain.Outcome, status domain.RecipientStatus) {
	t.Helper()
	require.NotNil(t, out.Recipient)
	require.Equal(t, c.Name(), out.Recipient.Name)
	require.Equal(t, domain.ReachAPI, out.Recipient.Kind)
	require.Equal(t, status, out.Recipient.Status, "reason: %s", out.Recipient.Reason)
}
