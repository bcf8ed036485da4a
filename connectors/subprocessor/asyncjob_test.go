package subprocessor_test

import (
	"errors"
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

const submitRoute = "POST /gdpr/deletions"

func TestAsyncJobSlowJob(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, an := analytics(t, clk, fakevendor.AnalyticsOptions{JobPolls: 3}, subprocessor.Config{})
	tenant := uuid.NewString()
	s, neighbour := person(tenant), person(tenant)
	an.AddContact(s.TenantID, s.Email, "Ada")
	an.AddContact(neighbour.TenantID, neighbour.Email, "Bob")

	req := request(domain.Erasure, s)
	out, err := c.Erase(ctx, req)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"contacts": 1}, out.Rows)
	require.NotNil(t, out.Job)
	require.Equal(t, subprocessor.StepDeletion, out.Job.Step)
	require.Equal(t, time.Minute, out.Job.CheckAfter)
	require.Equal(t, "deletion job at Analytics running", out.Job.Reason)
	require.Equal(t, out.AppliedAt, out.Job.Started)
	requireRecipient(t, c, out, domain.RecipientNotified)
	require.True(t, an.Has(s.TenantID, s.Email), "the job has not run yet")

	final, waits := untilDone(t, c, clk, req, out)
	require.Equal(t, []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}, waits)
	requireRecipient(t, c, final, domain.RecipientConfirmed)
	require.Equal(t, map[string]int64{"contacts": 1}, final.Rows, "the final outcome has the erasure's rows")
	require.Equal(t, domain.Erasure, final.Action)
	require.False(t, an.Has(s.TenantID, s.Email))
	require.True(t, an.Has(neighbour.TenantID, neighbour.Email))
	require.Equal(t, 1, an.Jobs())
	require.Equal(t, 4, an.Calls("GET /gdpr/deletions/{id}"))

	// The workflow retried Erase after all: the receipt, job included, comes back.
	replay, err := c.Erase(ctx, req)
	require.NoError(t, err)
	require.True(t, replay.Replayed)
	require.Equal(t, out.Job, replay.Job)
}

func TestAsyncJobNeverFinishes(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, an := analytics(t, clk, fakevendor.AnalyticsOptions{NeverFinish: true}, subprocessor.Config{})
	s := person(uuid.NewString())
	an.AddContact(s.TenantID, s.Email, "Ada")

	req := request(domain.Erasure, s)
	start := clk.Now()
	out, err := c.Erase(ctx, req)
	require.NoError(t, err)
	final, waits := untilDone(t, c, clk, req, out)
	requireRecipient(t, c, final, domain.RecipientFailed)
	require.Equal(t, "the deletion job at Analytics did not finish within 14 days", final.Recipient.Reason)

	want := time.Minute
	for i, w := range waits {
		require.Equal(t, want, w, "wait %d", i)
		want = min(2*want, 6*time.Hour)
	}
	elapsed := clk.Now().Sub(start)
	require.GreaterOrEqual(t, elapsed, 14*24*time.Hour)
	require.Less(t, elapsed, 14*24*time.Hour+6*time.Hour)
	require.Less(t, len(waits), 70, "backoff keeps the checks of two weeks few")
	require.True(t, an.Has(s.TenantID, s.Email))
}

func TestAsyncJobFinal(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		opts   fakevendor.AnalyticsOptions
		status domain.RecipientStatus
		reason string
	}{
		{"Failed", fakevendor.AnalyticsOptions{JobPolls: 1, FailJobs: true}, domain.RecipientFailed, "the deletion job at Analytics failed"},
		{"DoneButStillHeld", fakevendor.AnalyticsOptions{JobPolls: 1, KeepContacts: true}, domain.RecipientFailed,
			"the deletion job at Analytics finished but the read-back still finds the subject"},
		{"DoneAtOnce", fakevendor.AnalyticsOptions{}, domain.RecipientConfirmed, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			c, an := analytics(t, clk, tt.opts, subprocessor.Config{})
			s := person(uuid.NewString())
			an.AddContact(s.TenantID, s.Email, "Ada")
			req := request(domain.Erasure, s)
			out, err := c.Erase(ctx, req)
			require.NoError(t, err)
			final, _ := untilDone(t, c, clk, req, out)
			requireRecipient(t, c, final, tt.status)
			require.Equal(t, tt.reason, final.Recipient.Reason)
		})
	}
}

// A job the service forgot (expired) is judged by the read-back alone.
func TestAsyncJobForgotten(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, an := analytics(t, clk, fakevendor.AnalyticsOptions{JobPolls: 100}, subprocessor.Config{})
	s := person(uuid.NewString())
	an.AddContact(s.TenantID, s.Email, "Ada")
	req := request(domain.Erasure, s)
	out, err := c.Erase(ctx, req)
	require.NoError(t, err)
	require.NotNil(t, out.Job)

	an.ForgetJobs()
	final, err := c.CheckJob(ctx, req, *out.Job)
	require.NoError(t, err)
	requireRecipient(t, c, final, domain.RecipientFailed)
	require.Nil(t, final.Job)
}

// A submission whose answer is lost is retried with the same Idempotency-Key: one job.
func TestAsyncJobIdempotentSubmission(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		jobPolls int
	}{{"SlowJob", 2}, {"JobDoneAtOnce", 0}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			c, an := analytics(t, clk, fakevendor.AnalyticsOptions{JobPolls: tt.jobPolls}, subprocessor.Config{})
			s := person(uuid.NewString())
			an.AddContact(s.TenantID, s.Email, "Ada")
			an.Inject(1, fakevendor.Fault{Status: 504, Lost: true, Route: submitRoute})

			req := request(domain.Erasure, s)
			_, err := c.Erase(ctx, req)
			require.Error(t, err)
			require.Equal(t, 1, an.Jobs(), "the service made the job")

			out, err := c.Erase(ctx, req)
			require.NoError(t, err)
			require.Equal(t, map[string]int64{"contacts": 1}, out.Rows, "the rows of what the first attempt found")
			require.Equal(t, 1, an.Jobs(), "the retry got the same job")
			require.Equal(t, 2, an.Calls(submitRoute))
			final, _ := untilDone(t, c, clk, req, out)
			requireRecipient(t, c, final, domain.RecipientConfirmed)
			require.False(t, an.Has(s.TenantID, s.Email))
		})
	}
}

func TestAsyncJobConcurrentErase(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, an := analytics(t, clk, fakevendor.AnalyticsOptions{JobPolls: 2}, subprocessor.Config{})
	s := person(uuid.NewString())
	an.AddContact(s.TenantID, s.Email, "Ada")
	req := request(domain.Erasure, s)

	outs := make([]domain.Outcome, 4)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() {
			out, err := c.Erase(ctx, req)
			require.NoError(t, err)
			outs[i] = out
		})
	}
	wg.Wait()
	acted := 0
	for _, o := range outs {
		if !o.Replayed {
			acted++
		}
		require.Equal(t, outs[0].Job.ID, o.Job.ID)
	}
	require.Equal(t, 1, acted)
	require.Equal(t, 1, an.Calls(submitRoute))
}

// The service's rate limit: 429 with Retry-After is a RetryAfterError, and the bucket waits
// as long before the next call, so it does not reach the service meanwhile.
func TestAsyncJobServiceRateLimit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		httpDate bool
	}{{"Seconds", false}, {"HTTPDate", true}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			c, an := analytics(t, clk, fakevendor.AnalyticsOptions{RequestLimit: 3, RequestWindow: time.Minute, HTTPDate: tt.httpDate}, subprocessor.Config{})
			tenant := uuid.NewString()
			first, second := person(tenant), person(tenant)
			an.AddContact(first.TenantID, first.Email, "A")
			an.AddContact(second.TenantID, second.Email, "B")

			_, err := c.Erase(ctx, request(domain.Erasure, first)) // lookup, submit, read-back
			require.NoError(t, err)

			clk.Advance(15 * time.Second)
			req := request(domain.Erasure, second)
			_, err = c.Erase(ctx, req)
			var later *connectors.RetryAfterError
			require.True(t, errors.As(err, &later), "got %v", err)
			require.Equal(t, 45*time.Second, later.After)
			require.Contains(t, later.Reason, "429")
			require.NotContains(t, err.Error(), second.Email)
			calls := an.Calls("GET /contacts")

			_, err = c.Erase(ctx, req)
			require.True(t, errors.As(err, &later), "the paused bucket answers: %v", err)
			require.Equal(t, 45*time.Second, later.After)
			require.Equal(t, calls, an.Calls("GET /contacts"), "the service was not called")

			clk.Advance(45 * time.Second)
			out, err := c.Erase(ctx, req)
			require.NoError(t, err)
			requireRecipient(t, c, out, domain.RecipientConfirmed)
		})
	}
}

func TestServiceUnavailable(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, an := analytics(t, clk, fakevendor.AnalyticsOptions{}, subprocessor.Config{})
	s := person(uuid.NewString())
	an.AddContact(s.TenantID, s.Email, "Ada")
	an.Inject(1, fakevendor.Fault{Status: 503, RetryAfter: "7"})
	an.Inject(1, fakevendor.Fault{Status: 503})

	_, err := c.Find(ctx, s)
	var later *connectors.RetryAfterError
	require.True(t, errors.As(err, &later), "503 with Retry-After: %v", err)
	require.Equal(t, 7*time.Second, later.After)

	clk.Advance(7 * time.Second)
	_, err = c.Find(ctx, s)
	require.Error(t, err)
	require.False(t, errors.As(err, &later), "503 without Retry-After is for the retry policy")
	require.NotErrorIs(t, err, connectors.ErrInvalid)

	m, err := c.Find(ctx, s)
	require.NoError(t, err)
	require.True(t, m.Found)
}
