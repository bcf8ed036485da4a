package domain

import "slices"

// Status is where a request stands, as the API and the dashboard show it.
type Status string

// Statuses. The last four are final: nothing changes a request after them.
const (
	StatusReceived         Status = "received"
	StatusVerifying        Status = "verifying"
	StatusAwaitingApproval Status = "awaiting_approval"
	StatusInProgress       Status = "in_progress"
	// StatusWaiting is blocked: open conversations, a recipient's job still running.
	StatusWaiting   Status = "waiting"
	StatusCompleted Status = "completed"
	StatusDenied    Status = "denied"
	StatusCanceled  Status = "canceled"
	StatusFailed    Status = "failed"
)

// Statuses are every status, in the order a request passes through them.
var Statuses = []Status{StatusReceived, StatusVerifying, StatusAwaitingApproval, StatusInProgress, StatusWaiting,
	StatusCompleted, StatusDenied, StatusCanceled, StatusFailed}

// FinalStatuses are the statuses that end a request.
var FinalStatuses = []Status{StatusCompleted, StatusDenied, StatusCanceled, StatusFailed}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Final reports whether s ends a request.
func (s Status) Final() bool { return slices.Contains(FinalStatuses, s) }

// AtRiskShare is the share of the time to the target after which an open request is at
// risk: an alarm, and the dashboard's flag.
const AtRiskShare = 0.75

// Unverified are the statuses of a request whose subject has not verified their identity
// yet.
var Unverified = []Status{StatusReceived, StatusVerifying}

// Transitions are the moves between statuses that a request's workflow makes; it makes no
// other. A request is recorded received; it waits for its subject to verify their identity
// (verifying, requests by mail) and for approval (awaiting_approval, unless the controller
// submitted it), is applied (in_progress), may wait on what blocks it or on recipients
// (waiting), and ends completed, denied, canceled or failed. docs/architecture.md draws
// them; a test keeps the picture, this table and the workflow in step.
var Transitions = map[Status][]Status{
	StatusReceived:         {StatusVerifying, StatusAwaitingApproval, StatusInProgress, StatusCanceled},
	StatusVerifying:        {StatusAwaitingApproval, StatusInProgress, StatusCanceled, StatusFailed},
	StatusAwaitingApproval: {StatusInProgress, StatusDenied, StatusCanceled},
	StatusInProgress:       {StatusWaiting, StatusCompleted, StatusCanceled, StatusFailed},
	StatusWaiting:          {StatusInProgress, StatusCanceled, StatusFailed},
}

// CanMove reports whether a request may go from one status to another: a transition of
// the table, or staying in a status that is not final (a new reason).
func CanMove(from, to Status) bool {
	if from == to {
		return !from.Final()
	}
	return slices.Contains(Transitions[from], to)
}
