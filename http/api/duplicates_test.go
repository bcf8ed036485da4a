package api_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/testkit/testenv"
)

// TestDuplicates submits an erasure that stays open (its subject has an open
// conversation) and then the same again: 409 duplicate_request naming it, while a replay
// of its Idempotency-Key still answers 201; the refusal is an event on the open request.
// Once it is canceled, the same erasure is new again, and of many submitted at once
// exactly one is made.
func TestDuplicates(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{RecheckEvery: time.Hour})
	c := tenantClient(t, env)
	body := `{"type":"erasure","subject":{"email":"visitor1@example.com"}}`

	first := c.do("POST", "/v1/requests", body, "Idempotency-Key", "dup-1")
	require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
	id := first.json(t)["id"].(string)

	replay := c.do("POST", "/v1/requests", body, "Idempotency-Key", "dup-1")
	require.Equal(t, http.StatusCreated, replay.Status, "%s", replay.Body)
	require.Equal(t, "true", replay.Header.Get("Idempotent-Replayed"))
	require.Equal(t, id, replay.json(t)["id"])

	for _, tt := range []struct {
		name    string
		body    string
		headers []string
	}{
		{name: "the same body", body: body},
		{name: "another key", body: body, headers: []string{"Idempotency-Key", "dup-2"}},
		{name: "another scope, letter case and spaces", body: `{"type":"erasure","erasure_scope":"profile","subject":{"email":"  VISITOR1@Example.com "}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("POST", "/v1/requests", tt.body, tt.headers...)
			require.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
			code, msg := r.errorCode(t)
			require.Equal(t, "duplicate_request", code)
			require.Contains(t, msg, id)
			require.Equal(t, id, r.json(t)["error"].(map[string]any)["request_id"])
			require.Equal(t, "/v1/requests/"+id, r.Header.Get("Location"))
		})
	}

	// Another right for the subject is a request of its own.
	r := c.do("POST", "/v1/requests", `{"type":"restriction","subject":{"email":"visitor1@example.com"}}`)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)

	// Each refusal is an event on the open request, with no personal data.
	got := c.do("GET", "/v1/requests/"+id, "").json(t)
	refused := 0
	for _, e := range got["events"].([]any) {
		ev := e.(map[string]any)
		if ev["kind"] == string(domain.EventDuplicateRefused) {
			refused++
			require.NotContains(t, ev["message"], "visitor1")
		}
	}
	require.Equal(t, 3, refused)

	// Once final, the same request is accepted; of many at once, exactly one.
	r = c.do("POST", "/v1/requests/"+id+"/cancel", "")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	env.WaitStatus(t, id, domain.StatusCanceled)
	const n = 8
	statuses := make([]int, n)
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := c.do("POST", "/v1/requests", body)
			statuses[i] = r.Status
			if r.Status == http.StatusCreated {
				ids[i] = r.json(t)["id"].(string)
			} else if r.Status == http.StatusConflict {
				ids[i] = r.json(t)["error"].(map[string]any)["request_id"].(string)
			}
		})
	}
	wg.Wait()
	created := 0
	var made string
	for i, s := range statuses {
		require.Contains(t, []int{http.StatusCreated, http.StatusConflict}, s)
		if s == http.StatusCreated {
			created++
			made = ids[i]
		}
	}
	require.Equal(t, 1, created, "exactly one 201: %v", statuses)
	require.NotEqual(t, id, made)
	for _, got := range ids {
		require.Equal(t, made, got, "every 409 names the one made")
	}
}
