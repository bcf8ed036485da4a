package api_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/testkit/testenv"
	"dsr/workflows"
)

// TestDuplicates submits the same erasure many times at once, for a subject whose open
// conversation keeps it open: exactly one is made, every other answers 409
// duplicate_request naming it. A replay of its Idempotency-Key still answers 201; other
// submissions of the same right for the subject are refused, each refusal an event on the
// open request; another right is a request of its own; once the erasure is final the same
// erasure is accepted again.
func TestDuplicates(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{RecheckEvery: time.Hour})
	c := tenantClient(t, env)
	body := `{"type":"erasure","subject":{"email":"visitor1@example.com"}}`

	const n = 8
	statuses := make([]int, n)
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := c.do("POST", "/v1/requests", body, "Idempotency-Key", "race-"+strconv.Itoa(i))
			statuses[i] = r.Status
			switch r.Status {
			case http.StatusCreated:
				ids[i] = r.json(t)["id"].(string)
			case http.StatusConflict:
				ids[i] = r.json(t)["error"].(map[string]any)["request_id"].(string)
			}
		})
	}
	wg.Wait()
	made := -1
	for i, s := range statuses {
		require.Contains(t, []int{http.StatusCreated, http.StatusConflict}, s)
		if s == http.StatusCreated {
			require.Equal(t, -1, made, "exactly one 201: %v", statuses)
			made = i
		}
	}
	require.NotEqual(t, -1, made, "one 201: %v", statuses)
	id := ids[made]
	for _, got := range ids {
		require.Equal(t, id, got, "every 409 names the request made")
	}

	replay := c.do("POST", "/v1/requests", body, "Idempotency-Key", "race-"+strconv.Itoa(made))
	require.Equal(t, http.StatusCreated, replay.Status, "%s", replay.Body)
	require.Equal(t, "true", replay.Header.Get("Idempotent-Replayed"))
	require.Equal(t, id, replay.json(t)["id"])

	for _, tt := range []struct {
		name    string
		body    string
		headers []string
	}{
		{name: "the same body", body: body},
		{name: "another key", body: body, headers: []string{"Idempotency-Key", "other"}},
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

	// Each refusal is an event on the open request, without personal data.
	got := c.do("GET", "/v1/requests/"+id, "").json(t)
	refused := 0
	for _, e := range got["events"].([]any) {
		ev := e.(map[string]any)
		if ev["kind"] == string(domain.EventDuplicateRefused) {
			refused++
			require.NotContains(t, ev["message"], "visitor1")
		}
	}
	require.Equal(t, n-1+3, refused)

	// Once final (a DPO lets the blocked erasure go ahead), the same erasure is new.
	// The workflow rechecks its blockers (in_progress for a moment, then waiting again), so
	// an override can land between two checks and be refused: try again while it is.
	var err error
	require.Eventually(t, func() bool {
		env.WaitStatus(t, id, domain.StatusWaiting)
		_, err = env.Dispatch.Decide(context.Background(), id, workflows.UpdateOverride,
			workflows.Decision{Actor: domain.DPOActor("dpo"), Reason: "the conversation is abandoned"})
		return err == nil
	}, 60*time.Second, 100*time.Millisecond, "the override is taken while the erasure waits: %v", err)
	env.WaitStatus(t, id, domain.StatusCompleted)
	again := c.do("POST", "/v1/requests", body)
	require.Equal(t, http.StatusCreated, again.Status, "%s", again.Body)
	require.NotEqual(t, id, again.json(t)["id"])
}
