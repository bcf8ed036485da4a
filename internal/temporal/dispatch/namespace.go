package dispatch

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"dsr/workflows"
)

// EnsureSearchAttributes adds custom search attributes to a namespace; ones that exist
// already are left as they are.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string, attrs map[string]enumspb.IndexedValueType) error {
	if len(attrs) == 0 {
		return nil
	}
	_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: attrs,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add search attributes to %s: %w", namespace, err)
	}
	return nil
}

// Healthy checks that the Temporal frontend answers.
func (d *Client) Healthy(ctx context.Context) error {
	_, err := d.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// Polled checks that a worker polls the workflow task queue of the namespace.
func (d *Client) Polled(ctx context.Context, namespace string) error {
	resp, err := d.Temporal.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace:     namespace,
		TaskQueue:     &taskqueuepb.TaskQueue{Name: workflows.TaskQueue},
		TaskQueueType: enumspb.TASK_QUEUE_TYPE_WORKFLOW,
	})
	if err != nil {
		return err
	}
	if len(resp.GetPollers()) == 0 {
		return errors.New("no worker polls " + workflows.TaskQueue)
	}
	return nil
}
