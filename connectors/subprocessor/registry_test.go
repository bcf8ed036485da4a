package subprocessor_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/connectors/subprocessor"
	"dsr/internal/domain"
	"dsr/internal/mail/smtp"
	"dsr/internal/store"
	"dsr/internal/testkit/pgtest"
	"dsr/internal/testkit/smtptest"
	"dsr/schema"
)

func TestDefaultRegistryLoads(t *testing.T) {
	es, err := subprocessor.Load("")
	require.NoError(t, err)
	require.NotEmpty(t, es)
	for _, e := range es {
		require.NotEmpty(t, e.Describe())
	}
	cs, err := subprocessor.Connectors(es, nil, nil, nil)
	require.NoError(t, err)
	require.Len(t, cs, len(es))
}

func TestParseRefusesBadEntries(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"unknown field", `[{"name":"A","nickname":"x"}]`, "unknown field"},
		{"missing purpose", `[{"name":"A","data_categories":["email"],"country":"FR","transfer_mechanism":"EEA","dpa_date":"2025-01-01","connector":{"kind":"none","reason":"r"}}]`, "purpose is required"},
		{"bad date", `[{"name":"A","purpose":"p","data_categories":["email"],"country":"FR","transfer_mechanism":"EEA","dpa_date":"01/01/2025","connector":{"kind":"none","reason":"r"}}]`, "dpa_date"},
		{"bad kind", `[{"name":"A","purpose":"p","data_categories":["email"],"country":"FR","transfer_mechanism":"EEA","dpa_date":"2025-01-01","connector":{"kind":"fax"}}]`, "connector.kind"},
		{"api without auth", `[{"name":"A","purpose":"p","data_categories":["email"],"country":"US","transfer_mechanism":"SCC","dpa_date":"2025-01-01","connector":{"kind":"api","shape":"async_job","base_url":"https://x"}}]`, "connector.auth"},
		{"mail without contact", `[{"name":"A","purpose":"p","data_categories":["email"],"country":"FR","transfer_mechanism":"EEA","dpa_date":"2025-01-01","connector":{"kind":"mail"}}]`, "connector.contact"},
		{"twice", `[{"name":"A","purpose":"p","data_categories":["e"],"country":"FR","transfer_mechanism":"EEA","dpa_date":"2025-01-01","connector":{"kind":"none","reason":"r"}},
			{"name":"a","purpose":"p","data_categories":["e"],"country":"FR","transfer_mechanism":"EEA","dpa_date":"2025-01-01","connector":{"kind":"none","reason":"r"}}]`, "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := subprocessor.Parse([]byte(tt.json))
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestAPISecretsComeFromTheEnvironment(t *testing.T) {
	es, err := subprocessor.Parse([]byte(`[{"name":"Helpdesk","purpose":"support tickets","data_categories":["email","name"],
		"country":"US","transfer_mechanism":"SCC 2021","dpa_date":"2025-02-01",
		"connector":{"kind":"api","shape":"two_step","base_url":"https://helpdesk.example","auth":"bearer","token_env":"HELPDESK_TOKEN"}}]`))
	require.NoError(t, err)
	_, err = subprocessor.Connectors(es, func(string) (string, error) { return "", errors.New("HELPDESK_TOKEN is not set") }, nil, nil)
	require.ErrorContains(t, err, "HELPDESK_TOKEN")
	cs, err := subprocessor.Connectors(es, func(name string) (string, error) {
		require.Equal(t, "HELPDESK_TOKEN", name)
		return "token", nil
	}, nil, nil)
	require.NoError(t, err)
	require.Equal(t, "Helpdesk", cs[0].Name())
	require.Equal(t, connectors.KindSubprocessor, cs[0].Kind())
}

func TestExemptIsInTheLedger(t *testing.T) {
	es, err := subprocessor.Load("")
	require.NoError(t, err)
	x := &subprocessor.Exempt{Entry: es[0]}
	req := connectors.Request{ID: "r1", Type: domain.Erasure, Subject: connectors.Subject{TenantID: "t", Email: "a@example.com"}}
	out, err := x.Erase(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, domain.RecipientExempt, out.Recipient.Status)
	require.Equal(t, es[0].Connector.Reason, out.Recipient.Reason)
	req.Rectification = map[string]string{"shoe_size": "42"}
	_, err = x.Rectify(context.Background(), req)
	require.ErrorIs(t, err, connectors.ErrInvalid)
	req.ObjectionPurposes = []domain.Purpose{"telepathy"}
	_, err = x.Object(context.Background(), req)
	require.ErrorIs(t, err, connectors.ErrInvalid)
}

// TestManualTask mails the vendor once, waits (a Job) until the task is done, reminds the
// vendor after three business days, tells the DPO once when the vendor's turnaround would
// overrun the legal deadline, and confirms when done.
func TestManualTask(t *testing.T) {
	ctx := context.Background()
	orch := pgtest.New(t, schema.Orchestrator)
	st := store.New(orch.DB)
	sink := smtptest.New(t)
	m, err := smtp.New(sink.URL, "privacy@dsr.example")
	require.NoError(t, err)
	tn, err := st.CreateTenant(ctx, store.Tenant{Name: "Acme", Region: "eu", Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)
	received := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC) // a Monday
	legal := time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)     // tight, to force an escalation
	r, _, err := st.CreateRequest(ctx, store.NewRequest{TenantID: tn.ID, Type: domain.Erasure, Source: "api",
		SubjectEmail: "visitor@example.com", ReceivedAt: received, ClockStartedAt: &received,
		TargetDue: received.AddDate(0, 0, 4), LegalDue: legal, ExtendedDue: legal.AddDate(0, 2, 0)})
	require.NoError(t, err)

	es, err := subprocessor.Parse([]byte(`[{"name":"Survey Co","purpose":"satisfaction surveys","data_categories":["email"],
		"country":"FR","transfer_mechanism":"EEA","dpa_date":"2024-06-01",
		"connector":{"kind":"mail","contact":"privacy@survey.example","turnaround_days":10}}]`))
	require.NoError(t, err)
	now := received
	man := &subprocessor.Manual{Entry: es[0], Store: st, Mailer: m, DPOEmail: "dpo@vendor.example", CheckEvery: time.Minute,
		Now: func() time.Time { return now }}
	req := connectors.Request{ID: r.ID, Type: domain.Erasure, Subject: connectors.Subject{TenantID: tn.ID, Email: "visitor@example.com"}}

	out, err := man.Erase(ctx, req)
	require.NoError(t, err)
	require.NotNil(t, out.Job, "waits for the vendor")
	require.Equal(t, domain.RecipientNotified, out.Recipient.Status)
	require.Contains(t, out.Job.Reason, "Survey Co")
	_, err = man.Erase(ctx, req)
	require.NoError(t, err)
	mails := sink.Wait(t, 2, 10*time.Second) // the vendor once, the DPO once (10 days > the legal deadline)
	var vendor, dpo []smtptest.Mail
	for _, ml := range mails {
		if ml.To[0] == "privacy@survey.example" {
			vendor = append(vendor, ml)
		} else {
			dpo = append(dpo, ml)
		}
	}
	require.Len(t, vendor, 1, "mailed once, however often asked")
	require.Contains(t, vendor[0].Body, "visitor@example.com")
	require.Contains(t, vendor[0].Subject, domain.Ref(r.ID))
	require.Len(t, dpo, 1)
	require.Contains(t, dpo[0].Body, "legal deadline")

	// Two business days later: no reminder yet; three: one reminder.
	now = received.AddDate(0, 0, 2)
	out, err = man.CheckJob(ctx, req, *out.Job)
	require.NoError(t, err)
	require.NotNil(t, out.Job)
	now = received.AddDate(0, 0, 3)
	out, err = man.CheckJob(ctx, req, *out.Job)
	require.NoError(t, err)
	require.Equal(t, 3, out.Job.Checks)
	mails = sink.Wait(t, 3, 10*time.Second)
	require.True(t, strings.HasPrefix(mails[2].Subject, "Reminder:"), mails[2].Subject)

	// Done: confirmed.
	done, err := st.CloseTask(ctx, r.ID, "Survey Co", domain.DPOActor("ann"), func(bool, domain.Actor) *domain.Change { return nil })
	require.NoError(t, err)
	require.True(t, done)
	out, err = man.CheckJob(ctx, req, *out.Job)
	require.NoError(t, err)
	require.Nil(t, out.Job)
	require.Equal(t, domain.RecipientConfirmed, out.Recipient.Status)
	require.Len(t, sink.Mails(), 3, "no more mail")
}
