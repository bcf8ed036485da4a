package domain

import "slices"

// EventKind is the kind of an event in a request's record.
type EventKind string

// Event kinds of a request's life, in the order they usually come.
const (
	EventWorkflowStarted  EventKind = "workflow_started"
	EventIdentityVerified EventKind = "identity_verified"
	EventApproved         EventKind = "approved"
	// EventStatusChanged carries a status that is not final (verifying, waiting, ...).
	EventStatusChanged    EventKind = "status_changed"
	EventSuppressed       EventKind = "suppressed"
	EventConnectorStarted EventKind = "connector_started"
	EventConnectorApplied EventKind = "connector_applied"
	EventOverride         EventKind = "override"
	EventPackageReady     EventKind = "package_ready"
	// The final statuses are events of their own kind.
	EventCompleted EventKind = EventKind(StatusCompleted)
	EventDenied    EventKind = EventKind(StatusDenied)
	EventCanceled  EventKind = EventKind(StatusCanceled)
	EventFailed    EventKind = EventKind(StatusFailed)
)

// Events of the clocks.
const (
	EventClockStarted EventKind = "clock_started"
	EventExtended     EventKind = "extended"
	EventPaused       EventKind = "paused"
	EventResumed      EventKind = "resumed"
	// Alarms, each also a mail to the DPO.
	EventAtRisk         EventKind = "at_risk"
	EventTargetBreached EventKind = "target_breached"
	EventLegalWarning7d EventKind = "legal_warning_7d"
	EventLegalWarning1d EventKind = "legal_warning_1d"
	EventLegalBreached  EventKind = "legal_breached"
)

// Events of mail, people and recipients.
const (
	EventMailSent            EventKind = "mail_sent"
	EventMailSkipped         EventKind = "mail_skipped"
	EventSubjectReplied      EventKind = "subject_replied"
	EventVerificationFailed  EventKind = "verification_failed"
	EventVerificationRefused EventKind = "verification_refused"
	EventRecipientReplied    EventKind = "recipient_replied"
	EventRecipientConfirmed  EventKind = "recipient_confirmed"
	EventSubjectRevealed     EventKind = "subject_revealed"
	EventPackageDownloaded   EventKind = "package_downloaded"
	// EventBackupReplayed is an erasure or restriction applied again after a restore.
	EventBackupReplayed EventKind = "backup_replayed"
)

// Events of duplicates, recorded on the open request a duplicate would have repeated.
const (
	// EventDuplicateRefused is a submission of the same right for the same subject that
	// the API refused (409) while this request is open.
	EventDuplicateRefused EventKind = "duplicate_refused"
	// EventDuplicateJoined is a mail asking again for this request's right that joined
	// its case instead of opening another.
	EventDuplicateJoined EventKind = "duplicate_joined"
)

// EventMinimised is dsr's own record of a final request made minimal once the retention
// period passed: the subject's identifiers replaced by a keyed hash, the kept mail deleted.
const EventMinimised EventKind = "minimised"

// EventKinds are every kind of event.
var EventKinds = []EventKind{
	EventWorkflowStarted, EventIdentityVerified, EventApproved, EventStatusChanged, EventSuppressed,
	EventConnectorStarted, EventConnectorApplied, EventOverride, EventPackageReady,
	EventCompleted, EventDenied, EventCanceled, EventFailed,
	EventClockStarted, EventExtended, EventPaused, EventResumed,
	EventAtRisk, EventTargetBreached, EventLegalWarning7d, EventLegalWarning1d, EventLegalBreached,
	EventMailSent, EventMailSkipped, EventSubjectReplied, EventVerificationFailed, EventVerificationRefused,
	EventRecipientReplied, EventRecipientConfirmed, EventSubjectRevealed, EventPackageDownloaded, EventBackupReplayed,
	EventDuplicateRefused, EventDuplicateJoined, EventMinimised,
}

// Alarms are the clock alarms, in the order they come.
var Alarms = []EventKind{EventAtRisk, EventTargetBreached, EventLegalWarning7d, EventLegalWarning1d, EventLegalBreached}

// Valid reports whether k is one of EventKinds.
func (k EventKind) Valid() bool { return slices.Contains(EventKinds, k) }

// Alarm reports whether k is a clock alarm.
func (k EventKind) Alarm() bool { return slices.Contains(Alarms, k) }
