package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"dsr/activities/contract"
	"dsr/internal/domain"
)

// TestWebhookDelivery checks that the workflow makes one activity per attempt and waits,
// on a durable timer, as long as each attempt says, until one is done.
func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	waits := []time.Duration{30 * time.Second, time.Minute}
	var calls []time.Time
	env.RegisterActivityWithOptions(func(_ context.Context, id string) (contract.WebhookAttempt, error) {
		require.Equal(t, "d1", id)
		calls = append(calls, env.Now())
		if n := len(calls); n <= len(waits) {
			return contract.WebhookAttempt{Status: domain.DeliveryQueued, Wait: waits[n-1]}, nil
		}
		return contract.WebhookAttempt{Done: true, Status: domain.DeliveryDelivered}, nil
	}, activity.RegisterOptions{Name: contract.DeliverWebhook.Name})
	env.ExecuteWorkflow(WebhookDelivery, "d1")
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, calls, 3)
	require.GreaterOrEqual(t, calls[1].Sub(calls[0]), waits[0])
	require.GreaterOrEqual(t, calls[2].Sub(calls[1]), waits[1])
	require.Equal(t, "webhook-d1", WebhookWorkflowID("d1"))
}
