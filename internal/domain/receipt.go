package domain

import "time"

// Outcome is a connector's receipt for one action. It holds counts and ids, never the
// personal data itself.
type Outcome struct {
	Connector  string           `json:"connector"`
	Action     RequestType      `json:"action"`
	Rows       map[string]int64 `json:"rows"`
	Exceptions []Exception      `json:"exceptions,omitempty"`
	Notes      []string         `json:"notes,omitempty"`
	// Fields names the fields that were changed (rectification), never their values.
	Fields    []string  `json:"fields,omitempty"`
	AppliedAt time.Time `json:"applied_at"`
	// Replayed is true when the outcome was read back from an earlier run of the same
	// request rather than produced now.
	Replayed bool `json:"replayed,omitempty"`
	// RetainedUntil is until when copies of the subject's data remain in backups, put
	// beyond use (an erasure or restriction is re-applied after any restore); nil when no
	// backup holds them. Set by backup connectors.
	RetainedUntil *time.Time `json:"retained_until,omitempty"`
	// Job is set while the action goes on at the recipient: the workflow checks it again
	// after Job.CheckAfter.
	Job *Job `json:"job,omitempty"`
	// Recipient is the recipient's entry in the Art. 19 ledger, for connectors that are
	// recipients (sub-processors).
	Recipient *Recipient `json:"recipient,omitempty"`
}

// TotalRows is the sum of the rows the action touched.
func (o Outcome) TotalRows() int64 {
	var total int64
	for _, n := range o.Rows {
		total += n
	}
	return total
}

// Exception records personal data that was kept on purpose, with its legal ground.
type Exception struct {
	Category string `json:"category"`
	Article  string `json:"article"`
	Reason   string `json:"reason"`
}

// Blocker is a reason a request cannot be applied yet.
type Blocker struct {
	Code    BlockerCode `json:"code"`
	Message string      `json:"message"`
	Count   int64       `json:"count,omitempty"`
}

// BlockerCode names a kind of blocker.
type BlockerCode string

// Blocker codes.
const (
	// BlockerOpenConversations holds an end-user's erasure while they are the requester
	// of open conversations.
	BlockerOpenConversations BlockerCode = "open_conversations"
	// BlockerExportFirst holds an erasure until the subject's access or portability
	// request, made with it or before it, has delivered its package.
	BlockerExportFirst BlockerCode = "export_first"
)

// Job is an action that goes on at a recipient after the call that started it (an
// asynchronous deletion job, a second step that must wait): the workflow checks it again
// after CheckAfter, with a durable timer, for as long as it takes.
type Job struct {
	ID         string        `json:"id"`
	Step       string        `json:"step,omitempty"`
	CheckAfter time.Duration `json:"check_after"`
	// Reason is shown while the request waits, e.g. "deletion job at Helpdesk running".
	Reason  string    `json:"reason"`
	Started time.Time `json:"started"`
	Checks  int       `json:"checks,omitempty"`
}

// RecipientStatus is where a recipient stands in the Art. 19 ledger.
type RecipientStatus string

// Recipient statuses: told of the change (notified), done (confirmed), failed, or exempt
// with a reason.
const (
	RecipientNotified  RecipientStatus = "notified"
	RecipientConfirmed RecipientStatus = "confirmed"
	RecipientFailed    RecipientStatus = "failed"
	RecipientExempt    RecipientStatus = "exempt"
)

// RecipientStatuses are the statuses of a recipient in the Art. 19 ledger.
var RecipientStatuses = []RecipientStatus{RecipientNotified, RecipientConfirmed, RecipientFailed, RecipientExempt}

// How a recipient is reached: the Kind of a Recipient, and of a sub-processor in the
// registry.
const (
	ReachAPI  = "api"
	ReachMail = "mail"
	ReachNone = "none"
)

// Reaches are the ways a recipient is reached.
var Reaches = []string{ReachAPI, ReachMail, ReachNone}

// Recipient is a recipient's place in the Art. 19 ledger: told of a rectification,
// erasure or restriction (notified), done (confirmed), failed, or exempt with a reason.
type Recipient struct {
	Name string `json:"name"`
	// Kind is how the recipient is reached: one of Reaches.
	Kind   string          `json:"kind"`
	Status RecipientStatus `json:"status"`
	Reason string          `json:"reason,omitempty"`
}

// PackageInfo describes the package (zip) of an access or portability request.
type PackageInfo struct {
	File   string `json:"file"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
	// Rows counts the rows per "connector/category".
	Rows      map[string]int64 `json:"rows"`
	CreatedAt time.Time        `json:"created_at"`
}
