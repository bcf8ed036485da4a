package workflows

import (
	"errors"
	"fmt"
	"strings"

	"dsr/internal/domain"

	"go.temporal.io/sdk/workflow"
)

// ErrNotAllowed prefixes the rejection of an update that the request's state does not
// allow; callers show the message (HTTP 409).
var ErrNotAllowed = errors.New("not allowed now")

func notAllowed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotAllowed, fmt.Sprintf(format, args...))
}

// update is one update handler: validate runs first and may reject; apply records the
// decision for the workflow; done says when the workflow has acted on it.
type update struct {
	name     string
	validate func(workflow.Context, Decision) error
	apply    func(Decision)
	done     func() bool
	// err, when set, is what the update answers once done.
	err func() error
}

// register installs the state query and the updates. Each update is validated against the
// current state (a rejected update leaves no trace in history), then waits until the
// workflow has recorded its effect, so the caller reads the new status from the database.
func (r *run) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return r.state, nil }); err != nil {
		return fmt.Errorf("register query: %w", err)
	}
	final := func() bool { return r.state.Status.Final() }
	undecided := func(what string) error {
		switch {
		case r.canceled:
			return notAllowed("the request is being canceled")
		case r.denied:
			return notAllowed("the request is being denied")
		case r.approved:
			return notAllowed("the request was approved")
		}
		if r.state.Status != domain.StatusAwaitingApproval {
			return notAllowed("the request is %s, not awaiting %s", r.state.Status, what)
		}
		return nil
	}
	updates := []update{
		{
			name: UpdateVerify,
			// A request from mail may be verified as soon as its workflow runs, before
			// it has recorded that it waits for verification.
			validate: func(_ workflow.Context, _ Decision) error {
				waiting := r.state.Status == domain.StatusVerifying || r.state.Status == domain.StatusReceived && !r.in.Verified
				if !waiting || r.verified || r.canceled {
					return notAllowed("the request is %s, not waiting for identity verification", r.state.Status)
				}
				return nil
			},
			apply: func(d Decision) { r.verified = true },
			done: func() bool {
				return r.state.Status != domain.StatusVerifying && r.state.Status != domain.StatusReceived
			},
		},
		{
			name:     UpdateApprove,
			validate: func(_ workflow.Context, _ Decision) error { return undecided("approval") },
			apply:    func(d Decision) { r.approved = true },
			done:     func() bool { return r.committed || final() },
		},
		{
			name: UpdateDeny,
			validate: func(_ workflow.Context, d Decision) error {
				if err := undecided("approval"); err != nil {
					return err
				}
				if strings.TrimSpace(d.Reason) == "" {
					return notAllowed("a denial needs a reason: the subject is told it")
				}
				return nil
			},
			apply: func(d Decision) { r.denied = true },
			done:  final,
		},
		{
			name: UpdateCancel,
			validate: func(_ workflow.Context, _ Decision) error {
				switch {
				case final():
					return notAllowed("the request is %s and can no longer be canceled", r.state.Status)
				case r.canceled:
					return notAllowed("the request is being canceled")
				case r.denied:
					return notAllowed("the request is being denied")
				case !r.committed && !r.approved:
					return nil
				case r.state.Status == domain.StatusWaiting && !r.state.Applying && !r.override:
					return nil
				case r.approved && !r.committed:
					return notAllowed("the request was approved and is about to be applied")
				}
				return notAllowed("the request is being applied and can no longer be canceled")
			},
			apply: func(d Decision) { r.canceled = true },
			done:  final,
		},
		{
			name: UpdateOverride,
			validate: func(_ workflow.Context, d Decision) error {
				if r.state.Status != domain.StatusWaiting || len(r.state.Blockers) == 0 || r.override || r.canceled {
					return notAllowed("the request is %s, not blocked", r.state.Status)
				}
				if strings.TrimSpace(d.Reason) == "" {
					return notAllowed("an override needs a reason for the record")
				}
				return nil
			},
			apply: func(d Decision) { r.override = true },
			done:  func() bool { return r.overrideSeen || final() },
		},
	}
	updates = append(updates, r.clockUpdates()...)
	for _, u := range updates {
		err := workflow.SetUpdateHandlerWithOptions(ctx, u.name,
			func(ctx workflow.Context, d Decision) (State, error) {
				if d.Actor == "" {
					d.Actor = domain.ActorUnknown
				}
				r.decisions[u.name] = d
				u.apply(d)
				if err := workflow.Await(ctx, u.done); err != nil {
					return r.state, err
				}
				if u.err != nil {
					if err := u.err(); err != nil {
						return r.state, err
					}
				}
				return r.state, nil
			},
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, d Decision) error { return u.validate(ctx, d) }},
		)
		if err != nil {
			return fmt.Errorf("register update %s: %w", u.name, err)
		}
	}
	return nil
}
