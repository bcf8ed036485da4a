package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/http/api"
	"dsr/internal/demo"
	"dsr/internal/domain"
	"dsr/internal/testkit"
	"dsr/internal/testkit/oapitest"
	"dsr/internal/testkit/smtptest"
	"dsr/internal/testkit/testenv"
)

type client struct {
	t    *testing.T
	base string
	key  string
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

func (r response) errorCode(t *testing.T) (string, string) {
	t.Helper()
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	require.True(t, ok, "error shape: %s", r.Body)
	return e["code"].(string), e["message"].(string)
}

// do makes a call through a client that validates it against the OpenAPI document. A body
// is sent as JSON.
func (c *client) do(method, path, body string, headers ...string) response {
	c.t.Helper()
	return c.send(context.Background(), method, path, body, headers...)
}

// doOffDocument makes a call to a path or method the OpenAPI document does not describe, on
// purpose: the answer must be the document's error shape.
func (c *client) doOffDocument(method, path string) response {
	c.t.Helper()
	return c.send(oapitest.OffDocument(context.Background()), method, path, "")
}

func (c *client) send(ctx context.Context, method, path, body string, headers ...string) response {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	require.NoError(c.t, err)
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := api.OpenAPIClient(c.t).Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func newEnv(t *testing.T) *testenv.Env {
	t.Helper()
	return testenv.New(t, testenv.Options{})
}

// tenantClient makes a seeded tenant in env and a client with its API key.
func tenantClient(t *testing.T, env *testenv.Env) *client {
	t.Helper()
	tn, key := env.Tenant(t, "Tenant "+t.Name())
	_, err := demo.Seed(context.Background(), env.Chat.DB, demo.Options{TenantID: tn.ID, TenantName: tn.Name, EndUsers: 20, Messages: 400})
	require.NoError(t, err)
	return &client{t: t, base: env.Server.URL, key: key}
}

func setup(t *testing.T) (*testenv.Env, *client) {
	t.Helper()
	env := newEnv(t)
	return env, tenantClient(t, env)
}

func TestAuth(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	tests := []struct {
		name   string
		header string
	}{
		{name: "no header"},
		{name: "not bearer", header: "Basic abc"},
		{name: "empty bearer", header: "Bearer "},
		{name: "unknown key", header: "Bearer dsr_doesnotexist"},
		{name: "wrong scheme of key", header: "Bearer sk_live_123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			anon := &client{t: t, base: c.base}
			var h []string
			if tt.header != "" {
				h = []string{"Authorization", tt.header}
			}
			r := anon.do("GET", "/v1/requests", "", h...)
			require.Equal(t, http.StatusUnauthorized, r.Status)
			code, msg := r.errorCode(t)
			require.Equal(t, "unauthorized", code)
			require.NotEmpty(t, msg)
		})
	}
	r := c.do("GET", "/v1/requests", "")
	require.Equal(t, http.StatusOK, r.Status)
}

func TestValidation(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	tests := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{name: "not json", body: "{", status: 400, want: "not valid JSON"},
		{name: "unknown field", body: `{"type":"access","subject":{"email":"a@b.eu"},"colour":"red"}`, status: 400, want: "colour"},
		{name: "unknown type", body: `{"type":"delete","subject":{"email":"a@b.eu"}}`, status: 422, want: "type must be one of"},
		{name: "no email", body: `{"type":"access","subject":{}}`, status: 422, want: "subject.email"},
		{name: "bad email", body: `{"type":"access","subject":{"email":"Jane <a@b.eu>"}}`, status: 422, want: "plain email"},
		{name: "rectification without fields", body: `{"type":"rectification","subject":{"email":"a@b.eu"}}`, status: 422, want: "at least one field"},
		{name: "rectification unknown field", body: `{"type":"rectification","subject":{"email":"a@b.eu"},"rectification":{"shoe_size":"42"}}`, status: 422, want: "shoe_size"},
		{name: "rectification on access", body: `{"type":"access","subject":{"email":"a@b.eu"},"rectification":{"name":"x"}}`, status: 422, want: "only with type rectification"},
		{name: "bad scope", body: `{"type":"erasure","subject":{"email":"a@b.eu"},"erasure_scope":"some"}`, status: 422, want: "profile or full"},
		{name: "objection without purposes", body: `{"type":"objection","subject":{"email":"a@b.eu"}}`, status: 422, want: "objection_purposes"},
		{name: "objection bad purpose", body: `{"type":"objection","subject":{"email":"a@b.eu"},"objection_purposes":["sales"]}`, status: 422, want: "sales"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("POST", "/v1/requests", tt.body)
			require.Equal(t, tt.status, r.Status, "body: %s", r.Body)
			_, msg := r.errorCode(t)
			require.Contains(t, msg, tt.want)
		})
	}
	// Nothing was recorded.
	r := c.do("GET", "/v1/requests", "")
	require.Equal(t, http.StatusOK, r.Status)
	require.Empty(t, r.json(t)["requests"])

	for _, q := range []string{"?limit=0", "?limit=x", "?status=done", "?type=x", "?cursor=abc"} {
		r := c.do("GET", "/v1/requests"+q, "")
		require.Equal(t, http.StatusBadRequest, r.Status, q)
	}
	// A repeated parameter is refused, even when each value would do: which one counts
	// would be a guess.
	for _, q := range []string{"?limit=1&limit=x", "?limit=5&limit=5", "?status=waiting&status=completed", "?type=access&type=erasure", "?cursor=&cursor="} {
		r := c.do("GET", "/v1/requests"+q, "")
		require.Equal(t, http.StatusBadRequest, r.Status, q)
		_, msg := r.errorCode(t)
		require.Contains(t, msg, "is given more than once", q)
	}
	r = c.doOffDocument("GET", "/v1/nothing")
	require.Equal(t, http.StatusNotFound, r.Status)
	r = c.doOffDocument("DELETE", "/v1/requests")
	require.Equal(t, http.StatusMethodNotAllowed, r.Status)
}

func TestIsolation(t *testing.T) {
	t.Parallel()
	env, a := setup(t)
	b := tenantClient(t, env)
	r := a.do("POST", "/v1/requests", `{"type":"restriction","subject":{"email":"visitor3@example.com"}}`)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	id := r.json(t)["id"].(string)

	for _, p := range []string{"/v1/requests/" + id, "/v1/requests/" + id + "/package", "/v1/requests/" + id + "/evidence"} {
		r := b.do("GET", p, "")
		require.Equal(t, http.StatusNotFound, r.Status, p)
	}
	for _, p := range []string{"cancel", "approve", "deny"} {
		r := b.do("POST", "/v1/requests/"+id+"/"+p, `{"reason":"x"}`)
		require.Equal(t, http.StatusNotFound, r.Status, p)
	}
	r = b.do("GET", "/v1/requests", "")
	require.Empty(t, r.json(t)["requests"])
	r = a.do("GET", "/v1/requests/"+id, "")
	require.Equal(t, http.StatusOK, r.Status)
	r = a.do("GET", "/v1/requests/not-a-uuid", "")
	require.Equal(t, http.StatusNotFound, r.Status)
}

// TestIdempotency runs with duplicates allowed (DSR_DUPLICATES=off): the same request
// without a key is then two requests, as it was before duplicates were refused.
func TestIdempotency(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{DuplicatesOff: true})
	c := tenantClient(t, env)
	body := `{"type":"restriction","subject":{"email":"visitor4@example.com"},"reference":"ticket-9"}`
	first := c.do("POST", "/v1/requests", body, "Idempotency-Key", "k-1")
	require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
	id := first.json(t)["id"].(string)

	again := c.do("POST", "/v1/requests", body, "Idempotency-Key", "k-1")
	require.Equal(t, http.StatusCreated, again.Status)
	require.Equal(t, id, again.json(t)["id"])
	require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))

	other := c.do("POST", "/v1/requests", `{"type":"access","subject":{"email":"visitor4@example.com"}}`, "Idempotency-Key", "k-1")
	require.Equal(t, http.StatusUnprocessableEntity, other.Status)
	code, _ := other.errorCode(t)
	require.Equal(t, "idempotency_key_reused", code)

	// Concurrent submissions with one key make one request.
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.do("POST", "/v1/requests", body, "Idempotency-Key", "k-2")
			if r.Status == http.StatusCreated {
				ids[i] = r.json(t)["id"].(string)
			}
		}()
	}
	wg.Wait()
	for _, got := range ids {
		require.Equal(t, ids[0], got)
	}
	require.NotEqual(t, id, ids[0])

	// Without a key, two submissions are two requests.
	x := c.do("POST", "/v1/requests", body)
	y := c.do("POST", "/v1/requests", body)
	require.NotEqual(t, x.json(t)["id"], y.json(t)["id"])

	// Each runs exactly once.
	env.WaitStatus(t, id, domain.StatusCompleted)
	events, err := env.Store.Events(context.Background(), id)
	require.NoError(t, err)
	started := 0
	for _, e := range events {
		if e.Kind == "workflow_started" {
			started++
		}
	}
	require.Equal(t, 1, started)
}

func TestListPagination(t *testing.T) {
	t.Parallel()
	env, c := setup(t)
	var ids []string
	for i := 0; i < 5; i++ {
		typ := "restriction"
		if i%2 == 0 {
			typ = "access"
		}
		r := c.do("POST", "/v1/requests", fmt.Sprintf(`{"type":%q,"subject":{"email":"visitor%d@example.com"}}`, typ, i+2))
		require.Equal(t, http.StatusCreated, r.Status)
		ids = append(ids, r.json(t)["id"].(string))
	}
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		r := c.do("GET", "/v1/requests?limit=2&cursor="+cursor, "")
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		m := r.json(t)
		for _, x := range m["requests"].([]any) {
			id := x.(map[string]any)["id"].(string)
			require.False(t, seen[id])
			seen[id] = true
		}
		pages++
		next, _ := m["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	require.Equal(t, 3, pages)
	require.Len(t, seen, 5)

	r := c.do("GET", "/v1/requests?type=access", "")
	require.Len(t, r.json(t)["requests"], 3)
	for _, id := range ids {
		env.WaitStatus(t, id, domain.StatusCompleted)
	}
	r = c.do("GET", "/v1/requests?status=completed&type=restriction", "")
	require.Len(t, r.json(t)["requests"], 2)
}

func TestActionsOnFinalRequests(t *testing.T) {
	t.Parallel()
	env, c := setup(t)
	r := c.do("POST", "/v1/requests", `{"type":"erasure","subject":{"email":"visitor2@example.com"},"erasure_scope":"profile"}`)
	require.Equal(t, http.StatusCreated, r.Status)
	id := r.json(t)["id"].(string)

	// No package for an erasure.
	p := c.do("GET", "/v1/requests/"+id+"/package", "")
	require.Equal(t, http.StatusConflict, p.Status)

	env.WaitStatus(t, id, domain.StatusCompleted)
	for _, action := range []string{"cancel", "approve"} {
		r := c.do("POST", "/v1/requests/"+id+"/"+action, "")
		require.Equal(t, http.StatusConflict, r.Status, action)
		code, msg := r.errorCode(t)
		require.Equal(t, "conflict", code)
		require.Contains(t, msg, "completed")
	}
	r = c.do("POST", "/v1/requests/"+id+"/deny", "")
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
}

// zipFiles reads a zip into name -> content.
func zipFiles(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		out[f.Name] = data
	}
	return out
}

// traces counts the rows of every chat-store table whose text mentions needle.
func traces(t *testing.T, env *testenv.Env, needle string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"accounts", "agents", "end_users", "conversations", "messages", "attachments", "oauth_tokens", "sessions", "saved_searches", "dsr_receipts"} {
		var n int
		err := env.Chat.DB.Get(&n, `SELECT count(*) FROM `+table+` x WHERE strpos(lower(row_to_json(x)::text), lower($1)) > 0`, needle)
		require.NoError(t, err)
		if n > 0 {
			out[table] = n
		}
	}
	return out
}

// TestEndToEnd runs one request of each right through HTTP, Temporal and both databases,
// and checks what each did to the chat store.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	env, c := setup(t)
	ctx := context.Background()

	// The subject of access, portability and full erasure: a visitor whose name nobody
	// else in the store has, so that "no trace of the name" is a fair test.
	var subject struct {
		Email string `db:"email"`
		Name  string `db:"name"`
	}
	require.NoError(t, env.Chat.DB.Get(&subject, `SELECT email, name FROM end_users u
		WHERE email <> 'visitor1@example.com' AND email ~ '^visitor[0-9]+@'
		  AND NOT EXISTS (SELECT 1 FROM end_users o WHERE o.name = u.name AND o.id <> u.id)
		  AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.name = u.name)
		ORDER BY id LIMIT 1`))
	require.NotEmpty(t, traces(t, env, subject.Email))
	require.NotEmpty(t, traces(t, env, subject.Name))

	submit := func(body string) string {
		r := c.do("POST", "/v1/requests", body)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		m := r.json(t)
		require.Equal(t, "received", m["status"])
		require.NotEmpty(t, m["target_due"])
		require.NotEmpty(t, m["legal_due"])
		return m["id"].(string)
	}
	access := submit(`{"type":"access","subject":{"email":"` + subject.Email + `"}}`)
	portability := submit(`{"type":"portability","subject":{"email":"` + subject.Email + `"}}`)
	rectify := submit(`{"type":"rectification","subject":{"email":"visitor4@example.com"},"rectification":{"display_name":"Renamed"}}`)
	restrict := submit(`{"type":"restriction","subject":{"email":"visitor5@example.com"}}`)
	object := submit(`{"type":"objection","subject":{"email":"visitor6@example.com"},"objection_purposes":["marketing","profiling"]}`)
	blocked := submit(`{"type":"erasure","subject":{"email":"visitor1@example.com"},"erasure_scope":"full"}`)

	// Access and portability packages.
	for _, id := range []string{access, portability} {
		env.WaitStatus(t, id, domain.StatusCompleted)
		r := c.do("GET", "/v1/requests/"+id+"/package", "")
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.Equal(t, "application/zip", r.Header.Get("Content-Type"))
		files := zipFiles(t, r.Body)
		for _, f := range []string{"data.json", "facts.json", "README.txt", "report.pdf", "chatstore/profile.csv", "chatstore/messages.csv"} {
			require.Contains(t, files, f)
		}
		var data struct {
			Data map[string]map[string][]map[string]any `json:"data"`
		}
		require.NoError(t, json.Unmarshal(files["data.json"], &data))
		profile := data.Data["chatstore"]["profile"]
		require.NotEmpty(t, profile)
		require.Equal(t, subject.Email, profile[0]["email"])
		require.NotEmpty(t, data.Data["chatstore"]["messages"])
		require.Contains(t, string(files["chatstore/profile.csv"]), subject.Email)
		require.True(t, bytes.HasPrefix(files["report.pdf"], []byte("%PDF")))
	}

	env.WaitStatus(t, rectify, domain.StatusCompleted)
	var display string
	require.NoError(t, env.Chat.DB.Get(&display, `SELECT display_name FROM end_users WHERE email = 'visitor4@example.com' AND account_id IN
		(SELECT id FROM accounts WHERE name = $1)`, "Tenant "+t.Name()))
	require.Equal(t, "Renamed", display)

	env.WaitStatus(t, restrict, domain.StatusCompleted)
	var restricted bool
	require.NoError(t, env.Chat.DB.Get(&restricted, `SELECT restricted_at IS NOT NULL FROM end_users WHERE email = 'visitor5@example.com' AND account_id IN
		(SELECT id FROM accounts WHERE name = $1)`, "Tenant "+t.Name()))
	require.True(t, restricted)

	env.WaitStatus(t, object, domain.StatusCompleted)
	var suppressed int
	require.NoError(t, env.Orch.DB.Get(&suppressed, `SELECT count(*) FROM suppressions WHERE request_id = $1`, object))
	require.Equal(t, 2, suppressed)
	var objections string
	require.NoError(t, env.Chat.DB.Get(&objections, `SELECT array_to_string(processing_objections, ',') FROM end_users WHERE email = 'visitor6@example.com' AND account_id IN
		(SELECT id FROM accounts WHERE name = $1)`, "Tenant "+t.Name()))
	require.Equal(t, "marketing,profiling", objections)

	// The erasure of visitor1 waits for their open conversation...
	w := env.WaitStatus(t, blocked, domain.StatusWaiting)
	require.NotNil(t, w.StatusReason)
	require.Contains(t, *w.StatusReason, "open")
	require.NotEmpty(t, traces(t, env, "visitor1@example.com"))
	// ...and goes ahead once it is closed.
	_, err := env.Chat.DB.ExecContext(ctx, `UPDATE conversations SET status = 'closed', closed_at = now()
		WHERE requester_id IN (SELECT id FROM end_users WHERE email = 'visitor1@example.com')`)
	require.NoError(t, err)
	env.WaitStatus(t, blocked, domain.StatusCompleted)

	// A full erasure of the subject (after their access) leaves no trace of them. The
	// seeded data may give them an open conversation; close it so that nothing blocks.
	_, err = env.Chat.DB.ExecContext(ctx, `UPDATE conversations SET status = 'closed', closed_at = now()
		WHERE requester_id IN (SELECT id FROM end_users WHERE email = $1)`, subject.Email)
	require.NoError(t, err)
	erase := submit(`{"type":"erasure","subject":{"email":"` + subject.Email + `"},"erasure_scope":"full"}`)
	done := env.WaitStatus(t, erase, domain.StatusCompleted)
	require.Empty(t, traces(t, env, subject.Email))
	require.Empty(t, traces(t, env, subject.Name))
	var res struct {
		Connectors []struct {
			Rows map[string]int64 `json:"rows"`
		} `json:"connectors"`
	}
	require.NoError(t, json.Unmarshal(done.Result, &res))
	require.Len(t, res.Connectors, 2, "the chat store, and the backups' tombstone")
	require.Equal(t, int64(1), res.Connectors[0].Rows["end_users"])
	require.Equal(t, int64(1), res.Connectors[1].Rows["tombstones"])

	// The API shows the events, and each erasure was applied and audited once.
	r := c.do("GET", "/v1/requests/"+erase, "")
	m := r.json(t)
	require.Equal(t, "completed", m["status"])
	kinds := []string{}
	for _, e := range m["events"].([]any) {
		kinds = append(kinds, e.(map[string]any)["kind"].(string))
	}
	require.Equal(t, []string{"workflow_started", "identity_verified", "approved", "status_changed", "connector_applied", "connector_applied", "completed"}, kinds)
	var receipts int
	require.NoError(t, env.Chat.DB.Get(&receipts, `SELECT count(*) FROM dsr_receipts WHERE request_id = $1`, erase))
	require.Equal(t, 1, receipts)

	// The evidence pack shows the timeline, the receipt and a verifying hash chain.
	r = c.do("GET", "/v1/requests/"+erase+"/evidence", "")
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "application/pdf", r.Header.Get("Content-Type"))
	text := testkit.PDFText(t, r.Body)
	for _, want := range []string{erase, "connector_applied", "chatstore", "end_users 1", "The chain of this request's events verifies"} {
		require.Contains(t, text, want)
	}
	require.NotContains(t, text, subject.Email, "the pack masks the subject")
}

// TestClockActions pauses, resumes and extends a blocked erasure through the API, with the
// extension notice going to the subject through a real SMTP server.
func TestClockActions(t *testing.T) {
	t.Parallel()
	sink := smtptest.New(t)
	env := testenv.New(t, testenv.Options{RecheckEvery: time.Hour, SMTPURL: sink.URL, DPOEmail: "dpo@vendor.example"})
	c := tenantClient(t, env)
	r := c.do("POST", "/v1/requests", `{"type":"erasure","subject":{"email":"visitor1@example.com"}}`)
	require.Equal(t, http.StatusCreated, r.Status)
	id := r.json(t)["id"].(string)
	env.WaitStatus(t, id, domain.StatusWaiting)

	clock := func() map[string]any {
		r := c.do("GET", "/v1/requests/"+id, "")
		return r.json(t)["clock"].(map[string]any)
	}
	r = c.do("POST", "/v1/requests/"+id+"/pause", "")
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "a pause needs a reason")
	r = c.do("POST", "/v1/requests/"+id+"/resume", `{"reason":"x"}`)
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
	r = c.do("POST", "/v1/requests/"+id+"/pause", `{"reason":"which of two accounts?"}`)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, true, clock()["paused"])
	r = c.do("POST", "/v1/requests/"+id+"/pause", `{"reason":"again"}`)
	require.Equal(t, http.StatusConflict, r.Status)
	r = c.do("POST", "/v1/requests/"+id+"/resume", `{"reason":"the subject answered"}`)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, false, clock()["paused"])
	require.Equal(t, float64(0), clock()["paused_days"], "paused and resumed the same day")

	before := c.do("GET", "/v1/requests/"+id, "").json(t)
	r = c.do("POST", "/v1/requests/"+id+"/extend", `{"reason":"the subject's data sits in twelve systems"}`)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	after := r.json(t)
	require.Equal(t, before["extended_due"], after["extended_due"])
	require.NotEmpty(t, after["clock"].(map[string]any)["extended_at"])
	require.Equal(t, "the subject's data sits in twelve systems", after["clock"].(map[string]any)["extension_reason"])
	r = c.do("POST", "/v1/requests/"+id+"/extend", `{"reason":"more"}`)
	require.Equal(t, http.StatusConflict, r.Status)
	_, msg := r.errorCode(t)
	require.Contains(t, msg, "extended already")

	mails := sink.Wait(t, 1, 10*time.Second)
	require.Equal(t, []string{"visitor1@example.com"}, mails[0].To)
	require.Contains(t, mails[0].Body, before["extended_due"].(string))
	kinds := map[string]bool{}
	for _, e := range after["events"].([]any) {
		kinds[e.(map[string]any)["kind"].(string)] = true
	}
	for _, k := range []string{"paused", "resumed", "extended"} {
		require.True(t, kinds[k], "event %s", k)
	}
}

// TestSLAReportThroughAPI reports on requests that really ran, for the caller's tenant only.
func TestSLAReportThroughAPI(t *testing.T) {
	t.Parallel()
	env, a := setup(t)
	b := tenantClient(t, env)
	r := a.do("POST", "/v1/requests", `{"type":"restriction","subject":{"email":"visitor3@example.com"}}`)
	require.Equal(t, http.StatusCreated, r.Status)
	mine := r.json(t)["id"].(string)
	r = b.do("POST", "/v1/requests", `{"type":"restriction","subject":{"email":"visitor3@example.com"}}`)
	theirs := r.json(t)["id"].(string)
	env.WaitStatus(t, mine, domain.StatusCompleted)
	env.WaitStatus(t, theirs, domain.StatusCompleted)

	today := time.Now().UTC().Format(time.DateOnly)
	r = a.do("GET", "/v1/reports/sla?from="+today+"&to="+today+"&format=csv", "")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Contains(t, string(r.Body), mine)
	require.NotContains(t, string(r.Body), theirs)
	require.NotContains(t, string(r.Body), "visitor3@example.com", "no subject data in reports")
	r = a.do("GET", "/v1/reports/sla?from="+today+"&to="+today, "")
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "application/pdf", r.Header.Get("Content-Type"))
	require.True(t, bytes.HasPrefix(r.Body, []byte("%PDF")))
	r = a.do("GET", "/v1/reports/sla?to="+today, "")
	require.Equal(t, http.StatusBadRequest, r.Status)
}
