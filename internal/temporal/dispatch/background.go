package dispatch

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"dsr/workflows"
)

// EnsureMailroom starts the workflow that polls the privacy mailbox unless it runs.
func (d *Client) EnsureMailroom(ctx context.Context, in workflows.MailroomInput) error {
	_, err := d.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.MailroomID,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.Mailroom, in)
	if err != nil {
		return fmt.Errorf("start the mailroom: %w", err)
	}
	return nil
}

// Poke wakes the mailroom so that queued mail goes out now rather than at its next round.
func (d *Client) Poke(ctx context.Context) {
	_ = d.Temporal.SignalWorkflow(ctx, workflows.MailroomID, "", workflows.SignalPoke, nil)
}

// EnsureWeeklyReport keeps the Temporal Schedule that mails the SLA report every Monday at
// 06:00 UTC: created when enabled (DSR_DPO_EMAIL set), deleted when not.
func (d *Client) EnsureWeeklyReport(ctx context.Context, enabled bool) error {
	sc := d.Temporal.ScheduleClient()
	if !enabled {
		err := sc.GetHandle(ctx, workflows.WeeklyReportScheduleID).Delete(ctx)
		var notFound *serviceerror.NotFound
		if err != nil && !errors.As(err, &notFound) {
			return fmt.Errorf("delete the weekly report schedule: %w", err)
		}
		return nil
	}
	_, err := sc.Create(ctx, client.ScheduleOptions{
		ID:   workflows.WeeklyReportScheduleID,
		Spec: client.ScheduleSpec{CronExpressions: []string{"0 6 * * 1"}},
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.WeeklyReportScheduleID,
			Workflow:  workflows.WeeklySLAReport,
			TaskQueue: workflows.TaskQueue,
		},
	})
	if err != nil && !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create the weekly report schedule: %w", err)
	}
	return nil
}

// RetentionSchedule is when the retention of dsr's own record runs: every day at 03:00 UTC.
const RetentionSchedule = "0 3 * * *"

// EnsureRetention keeps the Temporal Schedule that runs the retention of dsr's own record
// every day (workflows.Retention); creating it again is a no-op.
func (d *Client) EnsureRetention(ctx context.Context) error {
	_, err := d.Temporal.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   workflows.RetentionScheduleID,
		Spec: client.ScheduleSpec{CronExpressions: []string{RetentionSchedule}},
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.RetentionScheduleID,
			Workflow:  workflows.Retention,
			TaskQueue: workflows.TaskQueue,
		},
	})
	if err != nil && !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create the retention schedule: %w", err)
	}
	return nil
}
