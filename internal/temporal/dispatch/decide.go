package dispatch

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"dsr/internal/domain"
	"dsr/workflows"
)

// Rejection is a decision the request's state does not allow; Message says why and can be
// shown to the person who decided.
type Rejection struct{ Message string }

func (r *Rejection) Error() string { return r.Message }

// Decide sends a decision (an update: verify, approve, deny, cancel, override, extend,
// pause, resume) to the request's workflow and returns the state once the workflow
// recorded it. A *Rejection means the state did not allow it; any other error that the
// engine did not answer.
func (d *Client) Decide(ctx context.Context, requestID, update string, dec workflows.Decision) (workflows.State, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	handle, err := d.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.WorkflowID(requestID),
		UpdateName:   update,
		Args:         []any{dec},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var state workflows.State
	if err == nil {
		err = handle.Get(ctx, &state)
	}
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &appErr):
		return state, &Rejection{Message: appErr.Message()}
	case errors.As(err, &notFound):
		return state, &Rejection{Message: "the request is no longer running"}
	case err != nil:
		return state, err
	}
	want := map[string]domain.Status{workflows.UpdateCancel: domain.StatusCanceled, workflows.UpdateDeny: domain.StatusDenied}[update]
	if want != "" && state.Status != want {
		return state, &Rejection{Message: "the request became " + string(state.Status) + " before the " + update + " took effect"}
	}
	return state, nil
}
