// Package contract is what the workflows and the activities agree on: each activity's
// name with the types of its input and result, the inputs and results themselves, and the
// stable error types that tell a failure no retry can fix. It does no I/O, so that the
// workflows, which must stay deterministic, can import it; package activities implements
// each activity as a method of the same name on activities.Activities, which a test
// checks.
//
// Inputs carry ids, never personal data: the subject's email and any new values stay in
// the orchestrator database, which activities read, so Temporal's history holds none.
package contract

import (
	"reflect"
	"time"

	"dsr/internal/domain"
)

// Activity names an activity whose input is In and whose result is Out.
type Activity[In, Out any] struct {
	// Name is the activity's registered name: the name of its method.
	Name string
}

// None is the input or the result of an activity that takes or returns nothing.
type None struct{}

// Types returns the types of the activity's input and result; nil for None.
func (a Activity[In, Out]) Types() (in, out reflect.Type) {
	in, out = reflect.TypeFor[In](), reflect.TypeFor[Out]()
	none := reflect.TypeFor[None]()
	if in == none {
		in = nil
	}
	if out == none {
		out = nil
	}
	return in, out
}

// Declared is an activity of any input and result, for listing them.
type Declared interface {
	Types() (in, out reflect.Type)
	name() string
}

func (a Activity[In, Out]) name() string { return a.Name }

// NameOf returns a declared activity's name.
func NameOf(d Declared) string { return d.name() }

// The activities of a request.
var (
	// Record writes a state change and its event to the record; a retry with the same
	// dedupe key writes nothing more.
	Record = Activity[domain.Change, None]{"Record"}
	// ConnectorNames returns the configured connectors in the order they run.
	ConnectorNames = Activity[None, []string]{"ConnectorNames"}
	// Blockers asks one connector what stops the request now.
	Blockers = Activity[ConnectorInput, []domain.Blocker]{"Blockers"}
	// Apply carries out a rectification, erasure, restriction or objection at one
	// connector.
	Apply = Activity[ConnectorInput, domain.Outcome]{"Apply"}
	// CheckJob asks a connector how an action that goes on at a recipient is doing.
	CheckJob = Activity[JobInput, domain.Outcome]{"CheckJob"}
	// BuildPackage builds the package of an access or portability request.
	BuildPackage = Activity[PackageInput, domain.PackageInfo]{"BuildPackage"}
	// Suppress puts the subject of an objection on the suppression list and returns the
	// purposes.
	Suppress = Activity[SuppressInput, []domain.Purpose]{"Suppress"}
)

// The activities of a request's clocks.
var (
	// Clock reads a request's clocks from the record; its input is the request id.
	Clock = Activity[string, ClockInfo]{"Clock"}
	// NotifyDPO mails the DPO about a clock alarm, once.
	NotifyDPO = Activity[NotifyInput, None]{"NotifyDPO"}
	// StartClock starts the legal clock once identity is verified.
	StartClock = Activity[ClockInput, None]{"StartClock"}
	// Extend moves the legal deadline to three months (Art. 12(3)).
	Extend = Activity[ClockInput, None]{"Extend"}
	// Pause stops the clocks while the subject is asked a question.
	Pause = Activity[ClockInput, None]{"Pause"}
	// Resume restarts the clocks, moving the deadlines by the days paused.
	Resume = Activity[ClockInput, None]{"Resume"}
)

// The activities of the privacy mailbox and of reports.
var (
	// PollMailbox takes up to the given number of mails from the privacy mailbox.
	PollMailbox = Activity[int, PollResult]{"PollMailbox"}
	// SweepCases finishes what a crash left undone and keeps the verification clock of
	// mailed requests.
	SweepCases = Activity[None, None]{"SweepCases"}
	// SendMail sends up to the given number of queued mails and returns how many went.
	SendMail = Activity[int, int]{"SendMail"}
	// MailSLAReport mails the DPO the SLA report of a period.
	MailSLAReport = Activity[ReportInput, None]{"MailSLAReport"}
	// Minimise applies data minimisation to dsr's own record of requests whose retention
	// period is over, in batches, heartbeating.
	Minimise = Activity[RetentionInput, RetentionResult]{"Minimise"}
)

// The activities of webhooks.
var (
	// DeliverWebhook makes one attempt of a webhook delivery (its input is the delivery's
	// id), records it, and says whether the delivery is done or when to try again.
	DeliverWebhook = Activity[string, WebhookAttempt]{"DeliverWebhook"}
)

// All are every activity, for checking that each is implemented.
var All = []Declared{
	Record, ConnectorNames, Blockers, Apply, CheckJob, BuildPackage, Suppress,
	Clock, NotifyDPO, StartClock, Extend, Pause, Resume,
	PollMailbox, SweepCases, SendMail, MailSLAReport, Minimise,
	DeliverWebhook,
}

// Stable error types, for workflows to tell failures that no retry can fix.
const (
	// ErrTypeBlocked: something blocks the request (an open conversation appeared between
	// the check and the change); the workflow waits and tries again.
	ErrTypeBlocked = "Blocked"
	// ErrTypeInvalidRequest: the request cannot be carried out as recorded.
	ErrTypeInvalidRequest = "InvalidRequest"
	// ErrTypeUnknownConnector: no connector of that name is configured here.
	ErrTypeUnknownConnector = "UnknownConnector"
	// ErrTypeRetryAfter: the recipient asked to be called again later.
	ErrTypeRetryAfter = "RetryAfter"
	// ErrTypeNoMailbox: the worker has no mailbox (IMAP_URL is not set).
	ErrTypeNoMailbox = "NoMailbox"
)

// ConnectorInput names a connector and the request it is to work on. The request itself
// (the subject's email, new values) is read from the orchestrator database.
type ConnectorInput struct {
	Connector string `json:"connector"`
	RequestID string `json:"request_id"`
	// Override is set when a DPO let the request go ahead despite blockers.
	Override bool `json:"override,omitempty"`
}

// JobInput asks a connector how an action that goes on at a recipient is doing.
type JobInput struct {
	Connector string     `json:"connector"`
	RequestID string     `json:"request_id"`
	Job       domain.Job `json:"job"`
}

// PackageInput asks for the package of an access or portability request.
type PackageInput struct {
	RequestID  string   `json:"request_id"`
	Connectors []string `json:"connectors"`
}

// SuppressInput names the objection request whose subject goes on the suppression list.
type SuppressInput struct {
	RequestID string `json:"request_id"`
}

// ClockInfo is what the workflow sets its clock timers by.
type ClockInfo struct {
	// Start is when the clock started (receipt, or identity verified).
	Start time.Time `json:"start"`
	// TargetDue and LegalDue are dates (YYYY-MM-DD); LegalDue is the extended date once
	// the request was extended.
	TargetDue string `json:"target_due"`
	LegalDue  string `json:"legal_due"`
	Extended  bool   `json:"extended"`
	Paused    bool   `json:"paused"`
	// Started is false while identity is being verified: the clock has not started.
	Started bool `json:"started"`
	// AtRisk is 75% of the way from Start to the end of the target day.
	AtRisk time.Time `json:"at_risk"`
	// TargetEnd and LegalEnd are the ends (local midnight) of the due days.
	TargetEnd time.Time `json:"target_end"`
	LegalEnd  time.Time `json:"legal_end"`
	// FirstMonthEnd is the end of the unextended legal deadline: extensions are refused
	// after it.
	FirstMonthEnd time.Time `json:"first_month_end"`
}

// NotifyInput asks for the DPO's mail about a clock alarm.
type NotifyInput struct {
	RequestID string `json:"request_id"`
	// Kind is the alarm, one of domain.Alarms.
	Kind domain.EventKind `json:"kind"`
	// Due is the deadline the alarm is about (YYYY-MM-DD).
	Due string `json:"due"`
}

// ClockInput is a decision about a request's clock: who, why, when.
type ClockInput struct {
	RequestID string       `json:"request_id"`
	Actor     domain.Actor `json:"actor"`
	Reason    string       `json:"reason"`
	// N numbers the action among its kind, keying its event.
	N int `json:"n"`
	// At is the workflow's time of the action.
	At time.Time `json:"at"`
}

// ReportInput is a reporting period, both days included (YYYY-MM-DD, UTC).
type ReportInput struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// PollResult is what one poll of the privacy mailbox did.
type PollResult struct {
	// Taken counts the mails looked at (new or seen before); Filed those moved.
	Taken int `json:"taken"`
	Filed int `json:"filed"`
	// ByFolder counts the mails filed per folder.
	ByFolder map[string]int `json:"by_folder"`
	// More is set when the mailbox holds more than one poll takes.
	More bool `json:"more"`
}

// WebhookAttempt is where an attempt left its delivery: done (delivered, failed for good,
// or gone), or to be tried again after Wait.
type WebhookAttempt struct {
	Done   bool                  `json:"done"`
	Status domain.DeliveryStatus `json:"status,omitempty"`
	Wait   time.Duration         `json:"wait,omitempty"`
}

// RetentionInput asks for the retention run at At (the workflow's time).
type RetentionInput struct {
	At time.Time `json:"at"`
}

// RetentionResult counts what a retention run changed per table: the rows whose subject
// identifiers it replaced by keyed hashes, and the kept mails it deleted.
type RetentionResult struct {
	// FinalBefore is the end of retention the run used: At less DSR_RETENTION.
	FinalBefore time.Time `json:"final_before"`
	Requests    int       `json:"requests"`
	Cases       int       `json:"mail_cases"`
	Outbox      int       `json:"mail_outbox"`
	Mails       int       `json:"mail_messages"`
}
