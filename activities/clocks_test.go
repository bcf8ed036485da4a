package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/activities"
	"dsr/activities/contract"
	"dsr/internal/deadline"
	"dsr/internal/domain"
	"dsr/internal/mail/smtp"
	"dsr/internal/store"
	"dsr/internal/testkit/pgtest"
	"dsr/internal/testkit/smtptest"
	"dsr/schema"
)

type fixture struct {
	db   *pgtest.Schema
	st   *store.Store
	acts *activities.Activities
	sink *smtptest.Server
	req  store.Request
	ten  store.Tenant
}

// setup records one API request of a French tenant received at received.
func setup(t *testing.T, received time.Time, withMail bool) *fixture {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t, schema.Orchestrator)
	st := store.New(db.DB)
	ten, err := st.CreateTenant(ctx, store.Tenant{Name: "Acme", Region: "eu", Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)
	due, err := deadline.Compute(received, deadline.Policy{Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)
	req, _, err := st.CreateRequest(ctx, store.NewRequest{
		TenantID: ten.ID, Type: "access", Source: "api", SubjectEmail: "jane@example.com", ReceivedAt: received,
		ClockStartedAt: &received, TargetDue: due.Target.Time(), LegalDue: due.Legal.Time(), ExtendedDue: due.Extended.Time(),
	})
	require.NoError(t, err)
	f := &fixture{db: db, st: st, req: req, ten: ten, acts: &activities.Activities{Store: st, DPOEmail: "dpo@vendor.example"}}
	if withMail {
		f.sink = smtptest.New(t)
		f.acts.Mailer, err = smtp.New(f.sink.URL, "privacy@dsr.example")
		require.NoError(t, err)
	}
	return f
}

func TestClockInstants(t *testing.T) {
	t.Parallel()
	// Monday 30 November 2026, 10:00 UTC: target Friday 4 December, legal 30 December.
	received := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	f := setup(t, received, false)
	c, err := f.acts.Clock(context.Background(), f.req.ID)
	require.NoError(t, err)
	paris, _ := time.LoadLocation("Europe/Paris")
	require.Equal(t, "2026-12-04", c.TargetDue)
	require.Equal(t, "2026-12-30", c.LegalDue)
	require.True(t, c.TargetEnd.Equal(time.Date(2026, 12, 5, 0, 0, 0, 0, paris)), "the target day ends at local midnight")
	require.True(t, c.LegalEnd.Equal(time.Date(2026, 12, 31, 0, 0, 0, 0, paris)))
	require.True(t, c.AtRisk.Equal(received.Add(time.Duration(float64(c.TargetEnd.Sub(received))*0.75))))
	require.False(t, c.Extended)
	require.False(t, c.Paused)
}

func TestNotifyDPOOnceByRealSMTP(t *testing.T) {
	t.Parallel()
	f := setup(t, time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), true)
	ctx := context.Background()
	in := contract.NotifyInput{RequestID: f.req.ID, Kind: "target_breached", Due: "2026-12-04"}
	require.NoError(t, f.acts.NotifyDPO(ctx, in))
	require.NoError(t, f.acts.NotifyDPO(ctx, in), "a retry")

	mails := f.sink.Wait(t, 1, 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	require.Len(t, f.sink.Mails(), 1, "the DPO is told once")
	m := mails[0]
	require.Equal(t, []string{"dpo@vendor.example"}, m.To)
	require.Contains(t, m.Subject, "missed its target")
	require.Contains(t, m.Body, f.req.ID)
	require.Contains(t, m.Body, "Target:           2026-12-04")
	require.Contains(t, m.Body, "Legal deadline:   2026-12-30")
	require.NotContains(t, m.Body, "jane@example.com", "no subject data in the DPO's mail")
	ok, err := f.st.HasEvent(ctx, f.req.ID, "mail:dpo:target_breached:2026-12-04")
	require.NoError(t, err)
	require.True(t, ok)
}

func TestNotifyWithoutMailIsRecorded(t *testing.T) {
	t.Parallel()
	f := setup(t, time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), false)
	ctx := context.Background()
	require.NoError(t, f.acts.NotifyDPO(ctx, contract.NotifyInput{RequestID: f.req.ID, Kind: "at_risk", Due: "2026-12-04"}))
	events, err := f.st.Events(ctx, f.req.ID)
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, domain.EventMailSkipped, events[0].Kind)
	require.Contains(t, events[0].Message, "SMTP_URL")
}

func TestExtendTellsTheSubject(t *testing.T) {
	t.Parallel()
	f := setup(t, time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), true)
	ctx := context.Background()
	in := contract.ClockInput{RequestID: f.req.ID, Actor: "dpo:a", Reason: "twelve systems to search", N: 1, At: time.Now()}
	require.NoError(t, f.acts.Extend(ctx, in))
	require.NoError(t, f.acts.Extend(ctx, in), "a retry")

	r, err := f.st.GetRequest(ctx, "", f.req.ID)
	require.NoError(t, err)
	require.NotNil(t, r.ExtendedAt)
	require.Equal(t, "twelve systems to search", *r.ExtensionReason)
	c, err := f.acts.Clock(ctx, f.req.ID)
	require.NoError(t, err)
	require.True(t, c.Extended)
	require.Equal(t, "2027-03-01", c.LegalDue, "three months from 30 November, rolled to a working day")

	mails := f.sink.Wait(t, 1, 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	require.Len(t, f.sink.Mails(), 1)
	require.Equal(t, []string{"jane@example.com"}, mails[0].To)
	require.Contains(t, mails[0].Body, "2027-03-01")
	require.Contains(t, mails[0].Body, "twelve systems to search")
	require.Contains(t, mails[0].Body, "Article 12(3)")
}

func TestPauseAndResumeMoveTheDeadlines(t *testing.T) {
	t.Parallel()
	received := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	f := setup(t, received, false)
	ctx := context.Background()
	require.NoError(t, f.acts.Pause(ctx, contract.ClockInput{RequestID: f.req.ID, Actor: "dpo:a", Reason: "which account?", N: 1}))
	c, err := f.acts.Clock(ctx, f.req.ID)
	require.NoError(t, err)
	require.True(t, c.Paused)

	// Paused on Tuesday 1 December (Paris), resumed on Sunday 6 December: 5 days.
	_, err = f.db.DB.Exec(`UPDATE requests SET paused_at = $2 WHERE id = $1`, f.req.ID, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	resume := contract.ClockInput{RequestID: f.req.ID, Actor: "dpo:a", Reason: "answered", N: 1, At: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	require.NoError(t, f.acts.Resume(ctx, resume))
	require.NoError(t, f.acts.Resume(ctx, resume), "a retry changes nothing more")

	r, err := f.st.GetRequest(ctx, "", f.req.ID)
	require.NoError(t, err)
	require.Nil(t, r.PausedAt)
	require.Equal(t, 5, r.PausedDays)
	want, err := deadline.Compute(received, deadline.Policy{Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)
	want, err = want.Shift(5)
	require.NoError(t, err)
	require.Equal(t, want.Target.String(), r.TargetDue.Format(time.DateOnly))
	require.Equal(t, want.Legal.String(), r.LegalDue.Format(time.DateOnly))
	require.Equal(t, want.Extended.String(), r.ExtendedDue.Format(time.DateOnly))
	require.Equal(t, "2026-12-09", r.TargetDue.Format(time.DateOnly), "Friday 4 December plus 5 days, a working day")
	require.Equal(t, "2027-01-04", r.LegalDue.Format(time.DateOnly), "30 December plus 5 days is Monday 4 January")
}

func TestClockStartsOnVerification(t *testing.T) {
	t.Parallel()
	received := time.Date(2026, 12, 20, 22, 0, 0, 0, time.UTC)
	f := setup(t, received, false)
	ctx := context.Background()
	// A mailbox request: no clock until the subject proves who they are.
	req, _, err := f.st.CreateRequest(ctx, store.NewRequest{TenantID: f.ten.ID, Type: "erasure", Source: "mail",
		SubjectEmail: "jane@example.com", ReceivedAt: received})
	require.NoError(t, err)
	c, err := f.acts.Clock(ctx, req.ID)
	require.NoError(t, err)
	require.False(t, c.Started)

	verified := time.Date(2026, 12, 23, 16, 30, 0, 0, time.UTC)
	in := contract.ClockInput{RequestID: req.ID, Actor: "subject", At: verified}
	require.NoError(t, f.acts.StartClock(ctx, in))
	require.NoError(t, f.acts.StartClock(ctx, contract.ClockInput{RequestID: req.ID, Actor: "subject", At: verified.Add(48 * time.Hour)}),
		"a clock that runs is not restarted")

	c, err = f.acts.Clock(ctx, req.ID)
	require.NoError(t, err)
	require.True(t, c.Started)
	require.True(t, c.Start.Equal(verified))
	want, err := deadline.Compute(verified, deadline.Policy{Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)
	require.Equal(t, want.Target.String(), c.TargetDue, "four working days from the day of verification, Christmas excluded")
	require.Equal(t, "2026-12-30", c.TargetDue)
	require.Equal(t, want.Legal.String(), c.LegalDue)
}
