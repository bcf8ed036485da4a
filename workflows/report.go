package workflows

import (
	"time"

	"dsr/activities/contract"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// WeeklyReportScheduleID is the Temporal Schedule that mails the SLA report every week.
const WeeklyReportScheduleID = "dsr-weekly-sla-report"

// WeeklySLAReport mails the DPO the SLA report of the last full ISO week (Monday to Sunday,
// UTC) before the moment it runs.
func WeeklySLAReport(ctx workflow.Context) error {
	from, to := lastWeek(workflow.Now(ctx))
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           TaskQueue,
		StartToCloseTimeout: 10 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 10 * time.Second, MaximumInterval: 10 * time.Minute, MaximumAttempts: 20},
	})
	_, err := call(ctx, contract.MailSLAReport, contract.ReportInput{From: from, To: to})
	return err
}

// lastWeek returns the Monday and Sunday (YYYY-MM-DD) of the last full week before now.
func lastWeek(now time.Time) (string, string) {
	d := now.UTC()
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	sinceMonday := (int(day.Weekday()) + 6) % 7
	thisMonday := day.AddDate(0, 0, -sinceMonday)
	return thisMonday.AddDate(0, 0, -7).Format(time.DateOnly), thisMonday.AddDate(0, 0, -1).Format(time.DateOnly)
}
