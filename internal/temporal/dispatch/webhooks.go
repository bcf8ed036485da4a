package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"dsr/workflows"
)

// StartDelivery starts the workflow of a webhook delivery unless it runs or ran, and notes
// it started.
func (d *Client) StartDelivery(ctx context.Context, id string) error {
	_, err := d.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.WebhookWorkflowID(id),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.WebhookDelivery, id)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start delivery %s: %w", id, err)
	}
	return d.Store.DeliveriesStarted(ctx, []string{id})
}

// StartDeliveries starts the workflows of deliveries just queued; what fails is logged
// and left to the resume pass.
func (d *Client) StartDeliveries(ctx context.Context, ids []string) {
	for _, id := range ids {
		if err := d.StartDelivery(ctx, id); err != nil && ctx.Err() == nil {
			d.Log.Warn("start webhook delivery; the resume pass will", slog.String("delivery_id", id), slog.Any("error", err))
		}
	}
}

// ResumeDeliveries starts the workflow of every queued delivery that has none known to
// run, for example one whose process died between queueing it and starting it. It
// returns how many it started, with every error joined.
func (d *Client) ResumeDeliveries(ctx context.Context) (int, error) {
	var errs []error
	n := 0
	for {
		ids, err := d.Store.UnstartedDeliveries(ctx, 500)
		if err != nil {
			return n, err
		}
		started := 0
		for _, id := range ids {
			if err := d.StartDelivery(ctx, id); err != nil {
				errs = append(errs, err)
				continue
			}
			started++
		}
		n += started
		if len(ids) < 500 || started == 0 {
			return n, errors.Join(errs...)
		}
	}
}
