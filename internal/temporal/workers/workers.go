// Package workers runs dsr's Temporal workers: the DSR workflow and its bookkeeping
// activities on the "dsr" task queue, and the connector activities on the task queue of
// each region whose data this process can reach; and keeps dsr's Temporal Schedules.
package workers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"dsr/activities"
	"dsr/internal/domain"
	"dsr/workflows"
)

// Set is the workers of one process.
type Set struct {
	workers []worker.Worker
	// Queues are the task queues polled.
	Queues []string
}

// Start starts a worker on the workflow queue and one per region.
func Start(c client.Client, acts *activities.Activities, regions []domain.Region) (*Set, error) {
	s := &Set{Queues: []string{workflows.TaskQueue}}
	for _, r := range regions {
		s.Queues = append(s.Queues, workflows.RegionQueue(r))
	}
	for _, q := range s.Queues {
		w := worker.New(c, q, worker.Options{WorkerStopTimeout: 20 * time.Second})
		if q == workflows.TaskQueue {
			w.RegisterWorkflow(workflows.DSR)
			w.RegisterWorkflow(workflows.WeeklySLAReport)
			w.RegisterWorkflow(workflows.Mailroom)
		}
		w.RegisterActivity(acts)
		if err := w.Start(); err != nil {
			s.Stop()
			return nil, fmt.Errorf("start worker on %s: %w", q, err)
		}
		s.workers = append(s.workers, w)
	}
	return s, nil
}

// Stop stops every worker, letting running activities finish for a while.
func (s *Set) Stop() {
	for _, w := range s.workers {
		w.Stop()
	}
}

// EnsureMailroom starts the workflow that polls the privacy mailbox unless it runs.
func EnsureMailroom(ctx context.Context, c client.Client, in workflows.MailroomInput) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
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
func Poke(ctx context.Context, c client.Client) {
	_ = c.SignalWorkflow(ctx, workflows.MailroomID, "", workflows.SignalPoke, nil)
}

// EnsureWeeklyReport keeps the Temporal Schedule that mails the SLA report every Monday at
// 06:00 UTC: created when enabled (DSR_DPO_EMAIL set), deleted when not.
func EnsureWeeklyReport(ctx context.Context, c client.Client, enabled bool) error {
	sc := c.ScheduleClient()
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
