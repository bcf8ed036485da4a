package subprocessor_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/connectors/subprocessor"
	"dsr/internal/domain"
	"dsr/internal/testkit/fakevendor"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		creds fakevendor.Credentials
		auth  subprocessor.Auth
		skew  time.Duration // the connector's clock behind the service's
		ok    bool
	}{
		{"Bearer", fakevendor.Credentials{Type: "bearer", Token: "t1"}, subprocessor.Auth{Type: "bearer", Token: "t1"}, 0, true},
		{"BearerWrong", fakevendor.Credentials{Type: "bearer", Token: "t1"}, subprocessor.Auth{Type: "bearer", Token: "t2"}, 0, false},
		{"Basic", fakevendor.Credentials{Type: "basic", User: "u", Password: "p"}, subprocessor.Auth{Type: "basic", User: "u", Password: "p"}, 0, true},
		{"BasicWrong", fakevendor.Credentials{Type: "basic", User: "u", Password: "p"}, subprocessor.Auth{Type: "basic", User: "u", Password: "q"}, 0, false},
		{"HMAC", fakevendor.Credentials{Type: "hmac", Secret: "s"}, subprocessor.Auth{Type: "hmac", Secret: "s"}, 0, true},
		{"HMACSkewedWithinBounds", fakevendor.Credentials{Type: "hmac", Secret: "s"}, subprocessor.Auth{Type: "hmac", Secret: "s"}, 4 * time.Minute, true},
		{"HMACWrongSecret", fakevendor.Credentials{Type: "hmac", Secret: "s"}, subprocessor.Auth{Type: "hmac", Secret: "x"}, 0, false},
		{"HMACStale", fakevendor.Credentials{Type: "hmac", Secret: "s"}, subprocessor.Auth{Type: "hmac", Secret: "s"}, 10 * time.Minute, false},
		{"BearerForHMAC", fakevendor.Credentials{Type: "hmac", Secret: "s"}, subprocessor.Auth{Type: "bearer", Token: "s"}, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			svc := fakevendor.NewAnalytics(fakevendor.AnalyticsOptions{Credentials: tt.creds, Now: func() time.Time { return clk.Now().Add(tt.skew) }})
			c := connector(t, subprocessor.Config{Name: "Analytics", Shape: subprocessor.ShapeAsyncJob, BaseURL: serve(t, svc), Auth: tt.auth, Now: clk.Now})
			s := person(uuid.NewString())
			svc.AddContact(s.TenantID, s.Email, "Ada")

			// A PATCH with a body, so that the HMAC covers one.
			out, err := c.Restrict(ctx, request(domain.Restriction, s))
			if tt.ok {
				require.NoError(t, err)
				require.Equal(t, map[string]int64{"contacts": 1}, out.Rows)
				return
			}
			require.ErrorIs(t, err, connectors.ErrInvalid, "wrong credentials cannot be fixed by a retry")
			require.Contains(t, err.Error(), "credentials rejected (401")
			require.NotContains(t, strings.ToLower(err.Error()), strings.ToLower(s.Email))
		})
	}
}

// Errors name the operation and the status, never the subject's email: not from the URL's
// query, not from the service's message.
func TestErrorsHoldNoPersonalData(t *testing.T) {
	t.Parallel()
	clk := newClock()
	svc := fakevendor.NewAnalytics(fakevendor.AnalyticsOptions{Credentials: bearerSrv, Now: clk.Now, JobPolls: 5})
	url := serve(t, svc)
	cfg := subprocessor.Config{Name: "Analytics", Shape: subprocessor.ShapeAsyncJob, BaseURL: url, Now: clk.Now}
	first, second := connector(t, cfg), connector(t, cfg) // two workers: receipts of their own
	tenant := uuid.NewString()
	a, b := person(tenant), person(tenant)
	svc.AddContact(a.TenantID, a.Email, "A")
	svc.AddContact(b.TenantID, b.Email, "B")

	// The same request id for another subject: the service refuses the key, naming the
	// email in its message.
	req := request(domain.Erasure, a)
	_, err := first.Erase(ctx, req)
	require.NoError(t, err)
	req.Subject = b
	_, err = second.Erase(ctx, req)
	require.ErrorIs(t, err, connectors.ErrInvalid)
	require.Contains(t, err.Error(), "answered 422, code idempotency_key_reused")
	require.NotContains(t, strings.ToLower(err.Error()), strings.ToLower(b.Email))

	// A transport error names no URL.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	cfg.BaseURL = deadURL
	_, err = connector(t, cfg).Find(ctx, a)
	require.Error(t, err)
	require.NotErrorIs(t, err, connectors.ErrInvalid)
	require.NotContains(t, strings.ToLower(err.Error()), "example.com")
	require.NotContains(t, err.Error(), "%40")
}

func TestUnexpectedAnswers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		status  int
		body    string
		invalid bool
		want    string
	}{
		{"Redirect", http.StatusFound, `{}`, true, "unexpected redirect 302"},
		{"BadRequest", http.StatusBadRequest, `{"error": "bad_request"}`, true, "answered 400, code bad_request"},
		{"CodeWithData", http.StatusBadRequest, `{"error": {"code": "no such user x@y.example"}}`, true, "answered 400: invalid"},
		{"NotJSON", http.StatusOK, `<html>`, false, "is not the JSON expected"},
		{"BadGateway", http.StatusBadGateway, ``, false, "server error 502"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status == http.StatusFound {
					w.Header().Set("Location", "https://elsewhere.example/")
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			c := connector(t, subprocessor.Config{Name: "Odd", Shape: subprocessor.ShapeTwoStep, BaseURL: url})
			_, err := c.Find(ctx, person(uuid.NewString()))
			require.ErrorContains(t, err, tt.want)
			require.Equal(t, tt.invalid, errors.Is(err, connectors.ErrInvalid))
			require.NotContains(t, err.Error(), "x@y.example")
		})
	}
}

// The service's search is not trusted: only the tenant's records with the subject's email
// count, and a record of another tenant or email is never touched.
func TestLookupFiltersTheServiceAnswer(t *testing.T) {
	t.Parallel()
	tenant := uuid.NewString()
	var deletes int
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			deletes++
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"users": [
			{"id": "1", "tenant_id": "other", "email": "ada@example.com"},
			{"id": "2", "tenant_id": "` + tenant + `", "email": "ada.lovelace@example.com"}]}`))
	}))
	c := connector(t, subprocessor.Config{Name: "Fuzzy", Shape: subprocessor.ShapeTwoStep, BaseURL: url})
	s := connectors.Subject{TenantID: tenant, Email: "ada@example.com"}
	m, err := c.Find(ctx, s)
	require.NoError(t, err)
	require.False(t, m.Found)
	out, err := c.Erase(ctx, request(domain.Erasure, s))
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"users": 0}, out.Rows)
	requireRecipient(t, c, out, domain.RecipientExempt)
	require.Zero(t, deletes)
}

func TestNew(t *testing.T) {
	t.Parallel()
	good := subprocessor.Config{Name: "Helpdesk", Shape: subprocessor.ShapeTwoStep, BaseURL: "https://api.helpdesk.example/v2", Auth: bearer}
	c, err := subprocessor.New(good)
	require.NoError(t, err)
	require.Equal(t, "Helpdesk", c.Name())
	require.Equal(t, connectors.KindSubprocessor, c.Kind())

	for _, tt := range []struct {
		name   string
		change func(*subprocessor.Config)
		want   string
	}{
		{"NoName", func(c *subprocessor.Config) { c.Name = " " }, "field Name"},
		{"Shape", func(c *subprocessor.Config) { c.Shape = "soap" }, `field Shape "soap"`},
		{"RelativeURL", func(c *subprocessor.Config) { c.BaseURL = "/v2" }, "field BaseURL"},
		{"PlainHTTP", func(c *subprocessor.Config) { c.BaseURL = "http://api.helpdesk.example" }, "must be https"},
		{"Query", func(c *subprocessor.Config) { c.BaseURL = "https://api.helpdesk.example/?k=v" }, "no query"},
		{"AuthType", func(c *subprocessor.Config) { c.Auth = subprocessor.Auth{Type: "oauth"} }, `field Auth.Type "oauth"`},
		{"BearerToken", func(c *subprocessor.Config) { c.Auth.Token = "" }, "field Auth.Token"},
		{"BasicPassword", func(c *subprocessor.Config) { c.Auth = subprocessor.Auth{Type: "basic", User: "u"} }, "Auth.Password"},
		{"HMACSecret", func(c *subprocessor.Config) { c.Auth = subprocessor.Auth{Type: "hmac"} }, "field Auth.Secret"},
		{"NegativeRate", func(c *subprocessor.Config) { c.Rate = -1 }, "field Rate -1"},
		{"NegativeTimeout", func(c *subprocessor.Config) { c.Timeout = -time.Second }, "field Timeout"},
		{"PollMax", func(c *subprocessor.Config) { c.PollInitial, c.PollMax = time.Hour, time.Minute }, "field PollMax"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := good
			tt.change(&cfg)
			_, err := subprocessor.New(cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
	loopback := good
	loopback.BaseURL = "http://127.0.0.1:8080/api"
	_, err = subprocessor.New(loopback)
	require.NoError(t, err, "plain http is for tests on the loopback")
}

// Every call takes a token of the sub-processor's bucket: a short wait is waited, a long
// one is handed back as a RetryAfterError before the service is called.
func TestGeneralBucket(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, an := analytics(t, clk, fakevendor.AnalyticsOptions{}, subprocessor.Config{Rate: 2, Per: time.Minute, Burst: 2, MaxWait: 10 * time.Second})
	s := person(uuid.NewString())
	for range 2 {
		_, err := c.Find(ctx, s)
		require.NoError(t, err)
	}
	_, err := c.Find(ctx, s)
	var later *connectors.RetryAfterError
	require.True(t, errors.As(err, &later), "got %v", err)
	require.Equal(t, 30*time.Second, later.After)
	require.Contains(t, later.Reason, "token bucket")
	require.Equal(t, 2, an.Calls("GET /contacts"))

	fast, an := analytics(t, newClock(), fakevendor.AnalyticsOptions{}, subprocessor.Config{Rate: 20, Per: time.Second, Burst: 1})
	start := time.Now()
	for range 3 {
		_, err := fast.Find(ctx, s)
		require.NoError(t, err)
	}
	require.Equal(t, 3, an.Calls("GET /contacts"))
	require.GreaterOrEqual(t, time.Since(start), 40*time.Millisecond, "calls two and three waited for their tokens")
}
