package domain

import "time"

// Change is one state change of a request together with its event, as the record
// applies it.
type Change struct {
	RequestID string `json:"request_id"`
	// DedupeKey identifies the change; recording it twice has no further effect.
	DedupeKey string    `json:"dedupe_key"`
	Kind      EventKind `json:"kind"`
	Actor     Actor     `json:"actor"`
	Message   string    `json:"message"`
	// Status, when set, becomes the request's status; StatusReason goes with it.
	Status       Status `json:"status,omitempty"`
	StatusReason string `json:"status_reason,omitempty"`
	// Detail is stored with the event as JSON.
	Detail any `json:"detail,omitempty"`
	// Result, when set, becomes the request's result (stored as JSON).
	Result any `json:"result,omitempty"`
	// Clock, when set, changes the request's clock columns with the event.
	Clock *ClockChange `json:"clock,omitempty"`
}

// Pause actions of a ClockChange.
const (
	PauseStart = "start"
	PauseEnd   = "end"
)

// ClockChange is what an event does to a request's clocks. Flags set a timestamp once
// (the first time); dates replace the stored ones.
type ClockChange struct {
	AtRisk          bool       `json:"at_risk,omitempty"`
	TargetBreached  bool       `json:"target_breached,omitempty"`
	LegalBreached   bool       `json:"legal_breached,omitempty"`
	BreachReason    string     `json:"breach_reason,omitempty"`
	Extended        bool       `json:"extended,omitempty"`
	ExtensionReason string     `json:"extension_reason,omitempty"`
	Pause           string     `json:"pause,omitempty"`
	AddPausedDays   int        `json:"add_paused_days,omitempty"`
	TargetDue       *time.Time `json:"target_due,omitempty"`
	LegalDue        *time.Time `json:"legal_due,omitempty"`
	ExtendedDue     *time.Time `json:"extended_due,omitempty"`
	// ClockStartedAt starts the clock (once): identity was verified then.
	ClockStartedAt *time.Time `json:"clock_started_at,omitempty"`
}

// Ref is the short reference of a request shown to people and put in mail subjects:
// "DSR-" and the last 8 hex digits of its id (the random end of a UUIDv7; its start is a
// timestamp that requests made together share).
func Ref(id string) string {
	hex := make([]byte, 0, len(id))
	for i := 0; i < len(id); i++ {
		if id[i] != '-' {
			hex = append(hex, id[i])
		}
	}
	if len(hex) < 8 {
		return "DSR-" + string(hex)
	}
	return "DSR-" + string(hex[len(hex)-8:])
}
