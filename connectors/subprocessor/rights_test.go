package subprocessor_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/connectors/conformance"
	"dsr/connectors/subprocessor"
	"dsr/internal/domain"
	"dsr/internal/testkit/fakevendor"
)

func TestRectify(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, hd := helpdesk(t, clk, fakevendor.HelpdeskOptions{}, subprocessor.Config{})
	s := person(uuid.NewString())
	hd.AddUser(s.TenantID, s.Email, "Ada", "end-user")

	newEmail := "ada-" + uuid.NewString()[:8] + "@example.org"
	req := request(domain.Rectification, s)
	req.Rectification = map[string]string{"email": newEmail, "phone": "", "display_name": "Countess"}
	out, err := c.Rectify(ctx, req)
	require.NoError(t, err)
	require.Equal(t, []string{"email", "phone"}, out.Fields)
	require.Equal(t, map[string]int64{"users": 1}, out.Rows)
	require.Contains(t, out.Notes, "Helpdesk holds no display_name; not sent")
	requireRecipient(t, c, out, domain.RecipientConfirmed)
	body, err := json.Marshal(out)
	require.NoError(t, err)
	require.NotContains(t, string(body), newEmail)

	moved := connectors.Subject{TenantID: s.TenantID, Email: newEmail}
	var rec conformance.Recorder
	require.NoError(t, c.Export(ctx, request(domain.Access, moved), connectors.ExportScope{}, &rec))
	users, ok := rec.Category("users")
	require.True(t, ok)
	require.Len(t, users.Rows, 1)
	phone, _ := users.Value(0, "phone")
	require.Nil(t, phone, "an empty value clears the field")
	require.False(t, hd.Has(s.TenantID, s.Email))

	bad := request(domain.Rectification, moved)
	bad.Rectification = map[string]string{"email": "not an address"}
	_, err = c.Rectify(ctx, bad)
	require.ErrorIs(t, err, connectors.ErrInvalid)
}

func TestRectifyFieldsNotHeld(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, an := analytics(t, clk, fakevendor.AnalyticsOptions{}, subprocessor.Config{})
	s := person(uuid.NewString())
	an.AddContact(s.TenantID, s.Email, "Ada")
	req := request(domain.Rectification, s)
	req.Rectification = map[string]string{"phone": "+1 555 0100", "locale": "en"}
	out, err := c.Rectify(ctx, req)
	require.NoError(t, err)
	require.Empty(t, out.Fields)
	require.Equal(t, map[string]int64{"contacts": 0}, out.Rows)
	requireRecipient(t, c, out, domain.RecipientExempt)
	require.Equal(t, "Analytics holds none of the fields rectified", out.Recipient.Reason)
}

func TestRestrictAndObject(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, hd := helpdesk(t, clk, fakevendor.HelpdeskOptions{}, subprocessor.Config{})
	s := person(uuid.NewString())
	hd.AddUser(s.TenantID, s.Email, "Ada", "end-user")

	out, err := c.Restrict(ctx, request(domain.Restriction, s))
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"users": 1}, out.Rows)
	requireRecipient(t, c, out, domain.RecipientConfirmed)
	again, err := c.Restrict(ctx, request(domain.Restriction, s))
	require.NoError(t, err)
	require.False(t, again.Replayed)
	require.Equal(t, map[string]int64{"users": 0}, again.Rows, "already restricted")

	obj := request(domain.Objection, s)
	obj.ObjectionPurposes = []domain.Purpose{"profiling", "marketing", "marketing"}
	out, err = c.Object(ctx, obj)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"users": 1}, out.Rows)
	requireRecipient(t, c, out, domain.RecipientConfirmed)
	more := request(domain.Objection, s)
	more.ObjectionPurposes = []domain.Purpose{"analytics", "marketing"}
	_, err = c.Object(ctx, more)
	require.NoError(t, err)

	var rec conformance.Recorder
	require.NoError(t, c.Export(ctx, request(domain.Access, s), connectors.ExportScope{}, &rec))
	users, _ := rec.Category("users")
	objections, _ := users.Value(0, "objections")
	require.Equal(t, "analytics,marketing,profiling", objections)
	restricted, _ := users.Value(0, "restricted")
	require.Equal(t, true, restricted)
}

func TestSubjectNotHeld(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, _ := helpdesk(t, clk, fakevendor.HelpdeskOptions{}, subprocessor.Config{})
	s := person(uuid.NewString())
	for _, tt := range []struct {
		name string
		do   func(context.Context, connectors.Request) (domain.Outcome, error)
		req  connectors.Request
	}{
		{"Erase", c.Erase, request(domain.Erasure, s)},
		{"Restrict", c.Restrict, request(domain.Restriction, s)},
		{"Object", c.Object, connectors.Request{ID: uuid.NewString(), Subject: s, ObjectionPurposes: []domain.Purpose{"marketing"}}},
		{"Rectify", c.Rectify, connectors.Request{ID: uuid.NewString(), Subject: s, Rectification: map[string]string{"name": "X"}}},
	} {
		out, err := tt.do(ctx, tt.req)
		require.NoError(t, err, tt.name)
		require.Equal(t, map[string]int64{"users": 0}, out.Rows, tt.name)
		requireRecipient(t, c, out, domain.RecipientExempt)
		require.Equal(t, "the subject is not known to Helpdesk", out.Recipient.Reason)
	}
}

func TestCheckJobRejectsForeignJobs(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c, _ := helpdesk(t, clk, fakevendor.HelpdeskOptions{}, subprocessor.Config{})
	req := request(domain.Erasure, person(uuid.NewString()))
	for _, job := range []domain.Job{
		{ID: "job_1", Step: subprocessor.StepDeletion},
		{Step: subprocessor.StepPermanent},
		{ID: "../admin", Step: subprocessor.StepPermanent},
	} {
		_, err := c.CheckJob(ctx, req, job)
		require.ErrorIs(t, err, connectors.ErrInvalid, "%+v", job)
	}
}
