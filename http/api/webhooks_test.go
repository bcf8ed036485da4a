package api_test

import (
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/http/api"
	"dsr/internal/app"
	"dsr/internal/testkit/testenv"
	"dsr/internal/webhooks"
)

// receiver is a real HTTPS server on loopback that answers each event (by Webhook-Id)
// as answer says for its n-th try, and keeps every request it got.
type receiver struct {
	srv    *httptest.Server
	answer func(n int) (status int, sleep time.Duration)
	mu     sync.Mutex
	tries  map[string]int
	got    []got
}

type got struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, answer func(n int) (int, time.Duration)) *receiver {
	r := &receiver{answer: answer, tries: map[string]int{}}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		id := req.Header.Get(webhooks.HeaderID)
		r.tries[id]++
		n := r.tries[id]
		r.got = append(r.got, got{header: req.Header.Clone(), body: body})
		r.mu.Unlock()
		status, sleep := r.answer(n)
		time.Sleep(sleep)
		w.WriteHeader(status)
		_, _ = w.Write([]byte("receiver's body, never kept"))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []got {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]got(nil), r.got...)
}

// trust writes the receivers' certificates to a PEM file for DSR_WEBHOOK_CA_FILE.
func trust(t *testing.T, rs ...*receiver) string {
	var b strings.Builder
	for _, r := range rs {
		require.NoError(t, pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw}))
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

type deliveryJSON struct {
	ID             string     `json:"id"`
	EventID        string     `json:"event_id"`
	EventType      string     `json:"event_type"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	LastStatusCode *int       `json:"last_status_code"`
	DeliveredAt    *time.Time `json:"delivered_at"`
	FailedAt       *time.Time `json:"failed_at"`
	AttemptLog     []struct {
		N          int     `json:"n"`
		StatusCode *int    `json:"status_code"`
		LatencyMS  int     `json:"latency_ms"`
		Error      *string `json:"error"`
	} `json:"attempt_log"`
}

func (c *client) deliveries(hook string) []deliveryJSON {
	c.t.Helper()
	r := c.do("GET", "/v1/webhooks/"+hook+"/deliveries?limit=200", "")
	require.Equal(c.t, http.StatusOK, r.Status, "%s", r.Body)
	var out struct {
		Deliveries []deliveryJSON `json:"deliveries"`
	}
	require.NoError(c.t, json.Unmarshal(r.Body, &out))
	return out.Deliveries
}

// settle waits until n deliveries of the hook exist and none is queued.
func (c *client) settle(hook string, n int) []deliveryJSON {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ds := c.deliveries(hook)
		done := len(ds) >= n
		for _, d := range ds {
			done = done && d.Status != "queued"
		}
		if done {
			return ds
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("deliveries of %s not settled: %+v", hook, ds)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type hookJSON struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Secret string   `json:"secret"`
}

func (c *client) hook(body string) hookJSON {
	c.t.Helper()
	r := c.do("POST", "/v1/webhooks", body)
	require.Equal(c.t, http.StatusCreated, r.Status, "%s", r.Body)
	var h hookJSON
	require.NoError(c.t, json.Unmarshal(r.Body, &h))
	require.True(c.t, strings.HasPrefix(h.Secret, webhooks.SecretPrefix), "the secret is shown on creation")
	return h
}

// TestWebhooks runs webhooks end to end on a real dsr: a receiver that fails (503), then
// times out, then recovers gets every event with three attempts recorded; one that never
// recovers ends failed after the (shortened) budget; redelivery, rotation, the API's
// refusals, and the SSRF rules.
func TestWebhooks(t *testing.T) {
	t.Parallel()
	const timeout = time.Second
	flaky := newReceiver(t, func(n int) (int, time.Duration) {
		switch n {
		case 1:
			return http.StatusServiceUnavailable, 0
		case 2:
			return http.StatusOK, timeout + 500*time.Millisecond // answers after the client gave up
		}
		return http.StatusNoContent, 0
	})
	dead := newReceiver(t, func(int) (int, time.Duration) { return http.StatusInternalServerError, 0 })
	env := testenv.New(t, testenv.Options{Webhooks: func(w *app.WebhookConfig) {
		w.AllowNets = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		w.CAFile = trust(t, flaky, dead)
		w.Timeout, w.RetryBase, w.RetryCap, w.RetryFor = timeout, 200*time.Millisecond, 400*time.Millisecond, 4*time.Second
		w.SecretOverlap = time.Hour
	}})
	tn, key := env.Tenant(t, "Hooks Co")
	c := &client{t: t, base: env.Server.URL, key: key}

	// Bad input and SSRF refusals.
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"private 10.x", `{"url":"https://10.0.0.5/hook"}`, 422},
		{"private 192.168.x", `{"url":"https://192.168.1.20/hook"}`, 422},
		{"cloud metadata", `{"url":"https://169.254.169.254/latest/meta-data"}`, 422},
		{"IPv6 loopback not allowed here", `{"url":"https://[::1]:8443/hook"}`, 422},
		{"http to a public host", `{"url":"http://93.184.216.34/hook"}`, 422},
		{"no url", `{"events":[]}`, 422},
		{"unknown event", `{"url":"` + flaky.srv.URL + `","events":["request.deleted"]}`, 422},
		{"unknown field", `{"url":"` + flaky.srv.URL + `","secret":"mine"}`, 400},
		{"not JSON", `{"url":`, 400},
	} {
		r := c.do("POST", "/v1/webhooks", tc.body)
		require.Equal(t, tc.status, r.Status, "%s: %s", tc.name, r.Body)
		code, msg := r.errorCode(t)
		require.NotEmpty(t, code)
		require.NotEmpty(t, msg, tc.name)
	}
	require.Equal(t, 404, c.do("GET", "/v1/webhooks/not-a-uuid", "").Status)
	require.Equal(t, 404, c.do("GET", "/v1/webhooks/0190a0a0-0000-7000-8000-000000000000", "").Status)

	hook := c.hook(`{"url":"` + flaky.srv.URL + `/hook","events":["request.status_changed"],"description":"ops"}`)
	require.Equal(t, []string{"request.status_changed"}, hook.Events)
	got := c.do("GET", "/v1/webhooks/"+hook.ID, "")
	require.Equal(t, 200, got.Status)
	require.NotContains(t, string(got.Body), hook.Secret, "the secret is shown once")
	require.NotContains(t, string(c.do("GET", "/v1/webhooks", "").Body), "whsec_")

	// Another tenant sees none of it.
	_, otherKey := env.Tenant(t, "Other Co")
	other := &client{t: t, base: env.Server.URL, key: otherKey}
	require.Equal(t, 404, other.do("GET", "/v1/webhooks/"+hook.ID, "").Status)
	require.Equal(t, 404, other.do("GET", "/v1/webhooks/"+hook.ID+"/deliveries", "").Status)
	deadHook := other.hook(`{"url":"` + dead.srv.URL + `/hook"}`)

	// A controller's erasure: received -> in_progress -> completed, two status changes.
	r := c.do("POST", "/v1/requests", `{"type":"erasure","subject":{"email":"someone@example.com"},"reference":"T-1"}`)
	require.Equal(t, 201, r.Status, "%s", r.Body)
	reqID := r.json(t)["id"].(string)
	env.WaitStatus(t, reqID, "completed")
	ds := c.settle(hook.ID, 2)
	require.Len(t, ds, 2)
	for _, d := range ds {
		require.Equal(t, "delivered", d.Status, "%+v", d)
		require.Equal(t, 3, d.Attempts)
		require.Equal(t, 204, *d.LastStatusCode)
		require.NotNil(t, d.DeliveredAt)
		one := c.do("GET", "/v1/webhooks/"+hook.ID+"/deliveries/"+d.ID, "")
		require.Equal(t, 200, one.Status)
		var full deliveryJSON
		require.NoError(t, json.Unmarshal(one.Body, &full))
		require.Len(t, full.AttemptLog, 3)
		require.Equal(t, 503, *full.AttemptLog[0].StatusCode)
		require.Equal(t, "status", *full.AttemptLog[0].Error)
		require.Nil(t, full.AttemptLog[1].StatusCode)
		require.Equal(t, "timeout", *full.AttemptLog[1].Error)
		require.GreaterOrEqual(t, full.AttemptLog[1].LatencyMS, 900)
		require.Equal(t, 204, *full.AttemptLog[2].StatusCode)
		require.Nil(t, full.AttemptLog[2].Error)
	}
	logged := c.do("GET", "/v1/webhooks/"+hook.ID+"/deliveries/"+ds[0].ID, "")
	require.NotContains(t, string(logged.Body), "never kept")
	t.Logf("delivery log: %s", c.do("GET", "/v1/webhooks/"+hook.ID+"/deliveries", "").Body)
	t.Logf("one delivery: %s", logged.Body)

	// The receiver verifies each request with the secret; a wrong secret or a late check
	// is refused.
	reqs := flaky.requests()
	require.Len(t, reqs, 6)
	statuses := map[string]bool{}
	for _, g := range reqs {
		require.NoError(t, webhooks.Verify(g.header, g.body, hook.Secret, time.Now(), 0))
		require.ErrorIs(t, webhooks.Verify(g.header, g.body, "whsec_not-the-secret", time.Now(), 0), webhooks.ErrBadSignature)
		require.ErrorIs(t, webhooks.Verify(g.header, g.body, hook.Secret, time.Now().Add(10*time.Minute), 0), webhooks.ErrStale)
		require.NotContains(t, string(g.body), "someone@example.com")
		var p struct {
			ID   string `json:"id"`
			Type string `json:"type"`
			Data struct {
				RequestID      string `json:"request_id"`
				TenantID       string `json:"tenant_id"`
				Type           string `json:"type"`
				Status         string `json:"status"`
				PreviousStatus string `json:"previous_status"`
				Reference      string `json:"reference"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(g.body, &p))
		api.CheckWebhook(t, p.Type, g.header, g.body)
		require.Equal(t, g.header.Get(webhooks.HeaderID), p.ID)
		require.Equal(t, "request.status_changed", p.Type)
		require.Equal(t, reqID, p.Data.RequestID)
		require.Equal(t, tn.ID, p.Data.TenantID)
		require.Equal(t, "erasure", p.Data.Type)
		require.Equal(t, "T-1", p.Data.Reference)
		statuses[p.Data.PreviousStatus+">"+p.Data.Status] = true
	}
	require.Equal(t, map[string]bool{"received>in_progress": true, "in_progress>completed": true}, statuses)

	// The receiver that never recovers: the delivery fails once the budget is spent.
	otherReq := other.do("POST", "/v1/requests", `{"type":"restriction","subject":{"email":"x@example.com"}}`)
	require.Equal(t, 201, otherReq.Status, "%s", otherReq.Body)
	for _, d := range other.settle(deadHook.ID, 2) {
		require.Equal(t, "failed", d.Status, "%+v", d)
		require.NotNil(t, d.FailedAt)
		require.GreaterOrEqual(t, d.Attempts, 4, "tried until the budget ran out")
		require.Equal(t, 500, *d.LastStatusCode)
	}

	// Rotation: the new secret is shown once; both sign during the overlap.
	rot := c.do("POST", "/v1/webhooks/"+hook.ID+"/rotate-secret", "")
	require.Equal(t, 200, rot.Status, "%s", rot.Body)
	newSecret := rot.json(t)["secret"].(string)
	require.NotEqual(t, hook.Secret, newSecret)

	// Redelivery: a new delivery of the same event, signed with both secrets.
	red := c.do("POST", "/v1/webhooks/"+hook.ID+"/deliveries/"+ds[0].ID+"/redeliver", "")
	require.Equal(t, http.StatusAccepted, red.Status, "%s", red.Body)
	var nd deliveryJSON
	require.NoError(t, json.Unmarshal(red.Body, &nd))
	require.NotEqual(t, ds[0].ID, nd.ID)
	require.Equal(t, ds[0].EventID, nd.EventID)
	after := c.settle(hook.ID, 3)
	require.Len(t, after, 3)
	require.Equal(t, nd.ID, after[0].ID, "newest first")
	require.Equal(t, "delivered", after[0].Status)
	require.Equal(t, 1, after[0].Attempts)
	last := flaky.requests()[6]
	require.Equal(t, ds[0].EventID, last.header.Get(webhooks.HeaderID))
	require.NoError(t, webhooks.Verify(last.header, last.body, newSecret, time.Now(), 0))
	require.NoError(t, webhooks.Verify(last.header, last.body, hook.Secret, time.Now(), 0))
	require.Equal(t, 404, c.do("POST", "/v1/webhooks/"+hook.ID+"/deliveries/nope/redeliver", "").Status)

	// Paging, PATCH and DELETE.
	page := c.do("GET", "/v1/webhooks/"+hook.ID+"/deliveries?limit=2", "")
	require.Equal(t, 200, page.Status)
	cursor := page.json(t)["next_cursor"].(string)
	rest := c.do("GET", "/v1/webhooks/"+hook.ID+"/deliveries?limit=2&cursor="+cursor, "")
	require.Len(t, rest.json(t)["deliveries"], 1)
	patched := c.do("PATCH", "/v1/webhooks/"+hook.ID, `{"events":[],"description":"all events"}`)
	require.Equal(t, 200, patched.Status, "%s", patched.Body)
	require.Empty(t, patched.json(t)["events"])
	require.Equal(t, 422, c.do("PATCH", "/v1/webhooks/"+hook.ID, `{"url":"https://10.1.1.1/"}`).Status)
	require.Equal(t, 204, c.do("DELETE", "/v1/webhooks/"+hook.ID, "").Status)
	require.Equal(t, 404, c.do("GET", "/v1/webhooks/"+hook.ID, "").Status)
}
