package workflows

import (
	"testing"
	"time"

	"dsr/activities/contract"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
)

func TestRetention(t *testing.T) {
	t.Parallel()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(Retention)
	registerContract(env)
	start := time.Date(2029, 12, 7, 3, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	want := contract.RetentionResult{FinalBefore: start.AddDate(-3, 0, 0), Requests: 2, Cases: 1, Outbox: 3, Mails: 1}
	env.OnActivity(contract.Minimise.Name, mock.Anything, mock.MatchedBy(func(in contract.RetentionInput) bool {
		return in.At.Equal(start)
	})).Return(want, nil).Once()

	env.ExecuteWorkflow(Retention)

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var got contract.RetentionResult
	require.NoError(t, env.GetWorkflowResult(&got))
	require.Equal(t, want.Requests, got.Requests)
	require.Equal(t, want.Outbox, got.Outbox)
	env.AssertExpectations(t)
}
