package workflows

import (
	"testing"
	"time"

	"dsr/activities/contract"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
)

func TestLastWeek(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		now      time.Time
		from, to string
	}{
		{name: "monday morning", now: time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC), from: "2026-11-30", to: "2026-12-06"},
		{name: "wednesday", now: time.Date(2026, 12, 9, 15, 0, 0, 0, time.UTC), from: "2026-11-30", to: "2026-12-06"},
		{name: "sunday night", now: time.Date(2026, 12, 6, 23, 59, 0, 0, time.UTC), from: "2026-11-23", to: "2026-11-29"},
		{name: "across the year", now: time.Date(2027, 1, 4, 6, 0, 0, 0, time.UTC), from: "2026-12-28", to: "2027-01-03"},
		{name: "other zone", now: time.Date(2026, 12, 7, 1, 0, 0, 0, time.FixedZone("UTC+3", 3*3600)), from: "2026-11-23", to: "2026-11-29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			from, to := lastWeek(tt.now)
			require.Equal(t, tt.from, from)
			require.Equal(t, tt.to, to)
		})
	}
}

func TestWeeklySLAReport(t *testing.T) {
	t.Parallel()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(WeeklySLAReport)
	registerContract(env)
	env.SetStartTime(time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC))
	env.OnActivity(contract.MailSLAReport.Name, mock.Anything, contract.ReportInput{From: "2026-11-30", To: "2026-12-06"}).Return(nil).Once()

	env.ExecuteWorkflow(WeeklySLAReport)

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	env.AssertExpectations(t)
}
