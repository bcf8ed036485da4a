package workflows

import (
	"go.temporal.io/sdk/workflow"

	"dsr/activities/contract"
)

// future is a started activity whose result is an Out.
type future[Out any] struct{ f workflow.Future }

// start schedules the activity a with the input in, under ctx's activity options.
func start[In, Out any](ctx workflow.Context, a contract.Activity[In, Out], in In) future[Out] {
	if _, none := any(in).(contract.None); none {
		return future[Out]{workflow.ExecuteActivity(ctx, a.Name)}
	}
	return future[Out]{workflow.ExecuteActivity(ctx, a.Name, in)}
}

// started reports whether the activity was scheduled (a zero future was not).
func (f future[Out]) started() bool { return f.f != nil }

// get waits for the activity's result.
func (f future[Out]) get(ctx workflow.Context) (Out, error) {
	var out Out
	if _, none := any(out).(contract.None); none {
		return out, f.f.Get(ctx, nil)
	}
	err := f.f.Get(ctx, &out)
	return out, err
}

// call runs the activity a with the input in and waits for its result.
func call[In, Out any](ctx workflow.Context, a contract.Activity[In, Out], in In) (Out, error) {
	return start(ctx, a, in).get(ctx)
}
