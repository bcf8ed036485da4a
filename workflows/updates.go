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
	for _, u := range append(r.decisionUpdates(), r.clockUpdates()...) {
		if err := r.install(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

// install sets an update's handler: it notes the decision, lets the workflow act on it and
// answers with the state once the workflow has.
func (r *run) install(ctx workflow.Context, u update) error {
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
	return nil
}

// undecided says why an approval or a denial is not allowed now; nil when it is.
func (r *run) undecided(what string) error {
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

// needsReason refuses a decision without a reason.
func needsReason(d Decision, why string) error {
	if strings.TrimSpace(d.Reason) == "" {
		return notAllowed("%s", why)
	}
	return nil
}

// decisionUpdates are the updates that decide a request's way: verify, approve, deny,
// cancel and override.
func (r *run) decisionUpdates() []update {
	final := func() bool { return r.state.Status.Final() }
	return []update{
		{
			name:     UpdateVerify,
			validate: func(workflow.Context, Decision) error { return r.canVerify() },
			apply:    func(Decision) { r.verified = true },
			done: func() bool {
				return r.state.Status != domain.StatusVerifying && r.state.Status != domain.StatusReceived
			},
		},
		{
			name:     UpdateApprove,
			validate: func(workflow.Context, Decision) error { return r.undecided("approval") },
			apply:    func(Decision) { r.approved = true },
			done:     func() bool { return r.committed || final() },
		},
		{
			name: UpdateDeny,
			validate: func(_ workflow.Context, d Decision) error {
				if err := r.undecided("approval"); err != nil {
					return err
				}
				return needsReason(d, "a denial needs a reason: the subject is told it")
			},
			apply: func(Decision) { r.denied = true },
			done:  final,
		},
		{
			name:     UpdateCancel,
			validate: func(workflow.Context, Decision) error { return r.canCancel() },
			apply:    func(Decision) { r.canceled = true },
			done:     final,
		},
		{
			name: UpdateOverride,
			validate: func(_ workflow.Context, d Decision) error {
				if r.state.Status != domain.StatusWaiting || len(r.state.Blockers) == 0 || r.override || r.canceled {
					return notAllowed("the request is %s, not blocked", r.state.Status)
				}
				return needsReason(d, "an override needs a reason for the record")
			},
			apply: func(Decision) { r.override = true },
			done:  func() bool { return r.overrideSeen || final() },
		},
	}
}

// canVerify says why identity cannot be verified now; nil when it can. A request from mail
// may be verified as soon as its workflow runs, before it has recorded that it waits for
// verification.
func (r *run) canVerify() error {
	waiting := r.state.Status == domain.StatusVerifying || r.state.Status == domain.StatusReceived && !r.in.Verified
	if !waiting || r.verified || r.canceled {
		return notAllowed("the request is %s, not waiting for identity verification", r.state.Status)
	}
	return nil
}

// canCancel says why the request cannot be canceled now; nil when it can: until it is
// approved, and afterwards only while it waits on blockers (from the first look at them
// until they clear, whatever status the record shows meanwhile).
func (r *run) canCancel() error {
	switch {
	case r.state.Status.Final():
		return notAllowed("the request is %s and can no longer be canceled", r.state.Status)
	case r.canceled:
		return notAllowed("the request is being canceled")
	case r.denied:
		return notAllowed("the request is being denied")
	case !r.committed && !r.approved:
		return nil
	case (r.blockerWait || r.state.Status == domain.StatusWaiting && !r.state.Applying) && !r.override:
		return nil
	case r.approved && !r.committed:
		return notAllowed("the request was approved and is about to be applied")
	}
	return notAllowed("the request is being applied and can no longer be canceled")
}
