package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"dsr/activities/contract"
)

// WebhookWorkflowID is the workflow of a webhook delivery: starting it twice is a no-op.
func WebhookWorkflowID(deliveryID string) string { return "webhook-" + deliveryID }

// WebhookDelivery delivers one webhook event to one subscription, at least once: one
// activity per attempt (it posts, records the attempt and decides from the retry policy
// and the budget whether to go on), then a durable timer until the next attempt. Two
// Temporal actions per attempt, and no history of retries inside an activity: the record
// holds every attempt. The activity's own retries cover only the record being unreachable
// and a worker that died mid-attempt.
func WebhookDelivery(ctx workflow.Context, deliveryID string) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           TaskQueue,
		StartToCloseTimeout: 5 * time.Minute,
		// The attempt heartbeats: one cut short by a dead worker is made again within
		// seconds, not after the whole timeout.
		HeartbeatTimeout: 15 * time.Second,
		RetryPolicy:      &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
	for {
		r, err := call(ctx, contract.DeliverWebhook, deliveryID)
		if err != nil {
			return err
		}
		if r.Done {
			return nil
		}
		if err := workflow.Sleep(ctx, r.Wait); err != nil {
			return err
		}
	}
}
