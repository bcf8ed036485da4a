package subprocessor_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/connectors/conformance"
	"dsr/connectors/subprocessor"
	"dsr/internal/domain"
	"dsr/internal/testkit/fakevendor"
)

const permanentRoute = "DELETE /deleted_users/{id}"

func TestTwoStepEraseSoftThenPermanent(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, hd := helpdesk(t, clk, fakevendor.HelpdeskOptions{}, subprocessor.Config{})
	tenant := uuid.NewString()
	s, neighbour := person(tenant), person(tenant)
	id := hd.AddUser(s.TenantID, s.Email, "Ada", "end-user")
	hd.AddUser(neighbour.TenantID, neighbour.Email, "Bob", "agent")

	out, err := c.Erase(ctx, request(domain.Erasure, s))
	require.NoError(t, err)
	require.Nil(t, out.Job)
	require.Equal(t, map[string]int64{"users": 1}, out.Rows)
	requireRecipient(t, c, out, domain.RecipientConfirmed)
	require.Equal(t, "gone", hd.State(id))
	require.Equal(t, 1, hd.SoftDeletes())
	require.Equal(t, 1, hd.PermanentDeletes())
	require.Equal(t, 2, hd.Calls("GET /users/{id}")+hd.Calls("GET /deleted_users/{id}"), "the read-back asks both collections")
	require.True(t, hd.Has(neighbour.TenantID, neighbour.Email))
}

func TestTwoStepSoftDeletedUserIsStillHeld(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, hd := helpdesk(t, clk, fakevendor.HelpdeskOptions{PermanentDelay: time.Hour}, subprocessor.Config{})
	s := person(uuid.NewString())
	hd.AddUser(s.TenantID, s.Email, "Ada", "end-user")

	_, err := c.Erase(ctx, request(domain.Erasure, s))
	require.NoError(t, err)
	m, err := c.Find(ctx, s)
	require.NoError(t, err)
	require.True(t, m.Found, "a soft deleted user is still held")

	var rec conformance.Recorder
	require.NoError(t, c.Export(ctx, request(domain.Access, s), connectors.ExportScope{}, &rec))
	users, ok := rec.Category("users")
	require.True(t, ok)
	require.Len(t, users.Rows, 1)
	deleted, _ := users.Value(0, "deleted")
	require.Equal(t, true, deleted)
}

// The permanent deletion takes tokens of its own bucket: once they are spent the erasure
// stops after the soft delete and asks to be checked when the next token is due, without
// calling the service.
func TestTwoStepPermanentDeleteRespectsBucket(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, hd := helpdesk(t, clk, fakevendor.HelpdeskOptions{}, subprocessor.Config{DeleteRate: 2, DeletePer: time.Hour})
	tenant := uuid.NewString()
	var subjects []connectors.Subject
	var ids []string
	for range 3 {
		s := person(tenant)
		subjects = append(subjects, s)
		ids = append(ids, hd.AddUser(s.TenantID, s.Email, "Someone", "end-user"))
	}
	for _, s := range subjects[:2] {
		out, err := c.Erase(ctx, request(domain.Erasure, s))
		require.NoError(t, err)
		requireRecipient(t, c, out, domain.RecipientConfirmed)
	}

	req := request(domain.Erasure, subjects[2])
	out, err := c.Erase(ctx, req)
	require.NoError(t, err)
	require.NotNil(t, out.Job)
	require.Equal(t, subprocessor.StepPermanent, out.Job.Step)
	require.Equal(t, ids[2], out.Job.ID)
	require.Equal(t, 30*time.Minute, out.Job.CheckAfter, "2 per hour: the next token is due in 30 minutes")
	require.Contains(t, out.Job.Reason, "rate limit")
	require.Equal(t, map[string]int64{"users": 1}, out.Rows)
	requireRecipient(t, c, out, domain.RecipientNotified)
	require.Equal(t, "soft_deleted", hd.State(ids[2]))
	require.Equal(t, 2, hd.Calls(permanentRoute), "the bucket kept the call from the service")

	// Checked too early, it waits again without calling the service.
	clk.Advance(10 * time.Minute)
	again, err := c.CheckJob(ctx, req, *out.Job)
	require.NoError(t, err)
	require.NotNil(t, again.Job)
	require.Equal(t, 20*time.Minute, again.Job.CheckAfter)
	require.Equal(t, 1, again.Job.Checks)
	require.Equal(t, out.Job.Started, again.Job.Started)
	require.Equal(t, 2, hd.Calls(permanentRoute))

	final, waits := untilDone(t, c, clk, req, again)
	require.Equal(t, []time.Duration{20 * time.Minute}, waits)
	requireRecipient(t, c, final, domain.RecipientConfirmed)
	require.Equal(t, map[string]int64{"users": 1}, final.Rows)
	require.Equal(t, "gone", hd.State(ids[2]))
	require.Equal(t, 3, hd.PermanentDeletes())
}

// The service's own limit: a 429 on the permanent deletion becomes a job checked when the
// service says, whether it says it in seconds or as a date.
func TestTwoStepServiceRateLimit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		httpDate bool
	}{{"Seconds", false}, {"HTTPDate", true}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			c, hd := helpdesk(t, clk, fakevendor.HelpdeskOptions{PermanentLimit: 1, PermanentWindow: 10 * time.Minute, HTTPDate: tt.httpDate},
				subprocessor.Config{DeleteRate: 1000, DeletePer: time.Minute})
			tenant := uuid.NewString()
			first, second := person(tenant), person(tenant)
			hd.AddUser(first.TenantID, first.Email, "A", "end-user")
			id := hd.AddUser(second.TenantID, second.Email, "B", "end-user")
			_, err := c.Erase(ctx, request(domain.Erasure, first))
			require.NoError(t, err)

			clk.Advance(time.Minute)
			req := request(domain.Erasure, second)
			out, err := c.Erase(ctx, req)
			require.NoError(t, err)
			require.NotNil(t, out.Job)
			require.Equal(t, 9*time.Minute, out.Job.CheckAfter, "what Retry-After said")
			require.Contains(t, out.Job.Reason, "rate limit")
			require.Equal(t, "soft_deleted", hd.State(id))

			final, _ := untilDone(t, c, clk, req, out)
			requireRecipient(t, c, final, domain.RecipientConfirmed)
			require.Equal(t, "gone", hd.State(id))
		})
	}
}

func TestTwoStepPermanentNotAllowedYet(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, hd := helpdesk(t, clk, fakevendor.HelpdeskOptions{PermanentDelay: 36 * time.Hour}, subprocessor.Config{})
	s := person(uuid.NewString())
	id := hd.AddUser(s.TenantID, s.Email, "A", "end-user")

	req := request(domain.Erasure, s)
	out, err := c.Erase(ctx, req)
	require.NoError(t, err)
	require.NotNil(t, out.Job)
	require.Equal(t, 36*time.Hour, out.Job.CheckAfter)
	require.Equal(t, "permanent deletion at Helpdesk is not allowed yet", out.Job.Reason)

	final, waits := untilDone(t, c, clk, req, out)
	require.Equal(t, []time.Duration{36 * time.Hour}, waits)
	requireRecipient(t, c, final, domain.RecipientConfirmed)
	require.Equal(t, "gone", hd.State(id))
}

// An answer lost after the service did the work: the retry finds the state and goes on,
// and reports what the first attempt found.
func TestTwoStepRetryAfterLostAnswer(t *testing.T) {
	t.Parallel()
	for _, route := range []string{"DELETE /users/{id}", permanentRoute} {
		t.Run(route, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			c, hd := helpdesk(t, clk, fakevendor.HelpdeskOptions{}, subprocessor.Config{})
			s := person(uuid.NewString())
			id := hd.AddUser(s.TenantID, s.Email, "A", "end-user")
			hd.Inject(1, fakevendor.Fault{Status: 502, Lost: true, Route: route})

			req := request(domain.Erasure, s)
			_, err := c.Erase(ctx, req)
			require.Error(t, err)
			require.NotErrorIs(t, err, connectors.ErrInvalid, "a 502 is for the retry policy")
			require.NotContains(t, err.Error(), s.Email)

			out, err := c.Erase(ctx, req)
			require.NoError(t, err)
			require.False(t, out.Replayed, "the failed attempt left no receipt")
			require.Equal(t, map[string]int64{"users": 1}, out.Rows)
			requireRecipient(t, c, out, domain.RecipientConfirmed)
			require.Equal(t, "gone", hd.State(id))
			require.Equal(t, 1, hd.PermanentDeletes())
		})
	}
}

func TestTwoStepServerErrorBurst(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, hd := helpdesk(t, clk, fakevendor.HelpdeskOptions{}, subprocessor.Config{})
	s := person(uuid.NewString())
	id := hd.AddUser(s.TenantID, s.Email, "A", "end-user")
	hd.Inject(4, fakevendor.Fault{Status: 500})

	req := request(domain.Erasure, s)
	var out domain.Outcome
	var err error
	failures := 0
	for range 10 { // the activity's retry policy
		if out, err = c.Erase(ctx, req); err == nil {
			break
		}
		failures++
		var later *connectors.RetryAfterError
		require.False(t, errors.As(err, &later), "a 500 without Retry-After is no RetryAfterError")
		require.NotErrorIs(t, err, connectors.ErrInvalid)
		require.Contains(t, err.Error(), "server error 500")
	}
	require.NoError(t, err)
	require.Equal(t, 4, failures)
	requireRecipient(t, c, out, domain.RecipientConfirmed)
	require.Equal(t, "gone", hd.State(id))
}

// A user that can never be purged: the job is checked with growing waits and given up, as
// failed, after JobTimeout.
func TestTwoStepGivesUp(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, hd := helpdesk(t, clk, fakevendor.HelpdeskOptions{}, subprocessor.Config{})
	s := person(uuid.NewString())
	id := hd.AddUser(s.TenantID, s.Email, "A", "end-user")
	hd.Inject(1000, fakevendor.Fault{Status: 409, Route: permanentRoute})

	req := request(domain.Erasure, s)
	start := clk.Now()
	out, err := c.Erase(ctx, req)
	require.NoError(t, err)
	final, waits := untilDone(t, c, clk, req, out)
	requireRecipient(t, c, final, domain.RecipientFailed)
	require.Contains(t, final.Recipient.Reason, "did not finish within 14 days")
	require.Equal(t, []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}, waits[:4])
	require.Equal(t, 6*time.Hour, waits[len(waits)-1])
	require.GreaterOrEqual(t, clk.Now().Sub(start), subprocessor.DefaultJobTimeout)
	require.Less(t, clk.Now().Sub(start), subprocessor.DefaultJobTimeout+6*time.Hour)
	require.Equal(t, "soft_deleted", hd.State(id))
}
