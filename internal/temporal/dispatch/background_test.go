package dispatch_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"dsr/internal/testkit/smtptest"
	"dsr/internal/testkit/testenv"
	"dsr/workflows"
)

// TestWeeklyReportSchedule creates the schedule on the embedded server, triggers it, and
// checks that the DPO receives the PDF report through a real SMTP server.
func TestWeeklyReportSchedule(t *testing.T) {
	t.Parallel()
	sink := smtptest.New(t)
	env := testenv.New(t, testenv.Options{SMTPURL: sink.URL, DPOEmail: "dpo@vendor.example"})
	ctx := context.Background()

	require.NoError(t, env.Dispatch.EnsureWeeklyReport(ctx, true))
	require.NoError(t, env.Dispatch.EnsureWeeklyReport(ctx, true), "ensuring twice is fine")
	h := env.Temporal.ScheduleClient().GetHandle(ctx, workflows.WeeklyReportScheduleID)
	desc, err := h.Describe(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, desc.Info.NextActionTimes)
	next := desc.Info.NextActionTimes[0].UTC()
	require.Equal(t, time.Monday, next.Weekday())
	require.Equal(t, 6, next.Hour())

	require.NoError(t, h.Trigger(ctx, client.ScheduleTriggerOptions{}))
	mails := sink.Wait(t, 1, 60*time.Second)
	m := mails[0]
	require.Equal(t, []string{"dpo@vendor.example"}, m.To)
	require.Contains(t, m.Subject, "SLA report")
	require.Len(t, m.Attachments, 1)
	var pdf []byte
	for name, data := range m.Attachments {
		require.Regexp(t, `^sla-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.pdf$`, name)
		pdf = data
	}
	require.True(t, len(pdf) > 4 && string(pdf[:4]) == "%PDF")
	if _, err := exec.LookPath("pdftotext"); err == nil {
		path := filepath.Join(t.TempDir(), "sla.pdf")
		require.NoError(t, os.WriteFile(path, pdf, 0o600))
		out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
		require.NoError(t, err)
		require.Contains(t, string(out), "No requests were received or closed in this period.")
	}

	require.NoError(t, env.Dispatch.EnsureWeeklyReport(ctx, false))
	_, err = h.Describe(ctx)
	require.Error(t, err, "the schedule is gone when no DPO address is set")
	require.NoError(t, env.Dispatch.EnsureWeeklyReport(ctx, false), "deleting twice is fine")
}
