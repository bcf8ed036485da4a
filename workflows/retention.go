package workflows

import (
	"time"

	"dsr/activities/contract"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// RetentionScheduleID is the Temporal Schedule that runs the retention of dsr's own record
// every day.
const RetentionScheduleID = "dsr-retention"

// Retention applies data minimisation to dsr's own record of the requests whose
// retention period is over at the moment it runs (the Minimise activity, which works in
// batches and heartbeats) and returns what it changed, counts only.
func Retention(ctx workflow.Context) (contract.RetentionResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           TaskQueue,
		StartToCloseTimeout: 2 * time.Hour,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 10 * time.Second, MaximumInterval: 10 * time.Minute, MaximumAttempts: 20},
	})
	return call(ctx, contract.Minimise, contract.RetentionInput{At: workflow.Now(ctx)})
}
