// Package connectors defines how dsr reaches a system that holds personal data: the chat
// store, a sub-processor (over its API or by mail), backups, object storage. Each kind
// implements Connector; every implementation passes the shared suite in
// connectors/conformance.
package connectors

import (
	"context"
	"errors"
	"time"

	"dsr/internal/domain"
)

// Kinds of connector.
const (
	KindDatabase     = "database"
	KindSubprocessor = "subprocessor"
	KindBackup       = "backup"
	KindObjectStore  = "objectstore"
)

// Subject identifies a data subject within one tenant (one controller).
type Subject struct {
	TenantID string `json:"tenant_id"`
	Email    string `json:"email"`
}

// Request is what a connector is asked to do. ID doubles as the idempotency key: a connector
// that is asked twice for the same ID and action must not act twice.
type Request struct {
	ID                string              `json:"id"`
	Type              domain.RequestType  `json:"type"`
	Subject           Subject             `json:"subject"`
	Rectification     map[string]string   `json:"rectification,omitempty"`
	ErasureScope      domain.ErasureScope `json:"erasure_scope,omitempty"`
	ObjectionPurposes []domain.Purpose    `json:"objection_purposes,omitempty"`
	// Override is set when a DPO told dsr to go ahead despite blockers (for example an
	// end-user's open conversations).
	Override bool `json:"override,omitempty"`
}

// Match says what a connector holds about a subject.
type Match struct {
	Found bool `json:"found"`
	// Roles the subject has there, e.g. "end_user", "agent", "owner".
	Roles []string `json:"roles,omitempty"`
	// Counts of records per category, e.g. {"messages": 120}.
	Counts map[string]int64 `json:"counts,omitempty"`
}

// JobChecker is implemented by connectors whose actions can go on after the call: the
// workflow calls CheckJob after job.CheckAfter until the Outcome has no Job.
type JobChecker interface {
	CheckJob(ctx context.Context, req Request, job domain.Job) (domain.Outcome, error)
}

// RetryAfterError asks for the call to be tried again after a delay (HTTP 429, or 503
// with Retry-After); the activity retries then rather than at its own pace.
type RetryAfterError struct {
	After  time.Duration
	Reason string
}

func (e *RetryAfterError) Error() string {
	return "try again after " + e.After.String() + ": " + e.Reason
}

// ExportScope says what an export covers.
type ExportScope struct {
	// Portability limits the export to what the subject provided (Art. 20): their profile,
	// the messages they wrote and the files they uploaded.
	Portability bool
}

// Sink receives an export. A connector sends each category's rows together: Begin, then
// Row for each record, before the next Begin. Values are strings, numbers, booleans,
// times or nil.
type Sink interface {
	Begin(category string, columns []string) error
	Row(values ...any) error
}

// Connector is one system holding personal data.
type Connector interface {
	// Name is unique among the configured connectors and stable: it keys receipts.
	Name() string
	// Kind is one of the Kind constants.
	Kind() string
	// Find tells whether and where the subject is known.
	Find(ctx context.Context, s Subject) (Match, error)
	// Blockers lists what stops req from being applied now; nil when nothing does.
	Blockers(ctx context.Context, req Request) ([]domain.Blocker, error)
	// Export streams everything held about the subject (or, for portability, what they
	// provided) into sink.
	Export(ctx context.Context, req Request, scope ExportScope, sink Sink) error
	// Rectify sets the subject's profile fields to req.Rectification.
	Rectify(ctx context.Context, req Request) (domain.Outcome, error)
	// Erase deletes the subject's data for req.ErasureScope, keeping only what the law
	// requires (reported as exceptions). It returns ErrBlocked while Blockers reports
	// something and req.Override is false.
	Erase(ctx context.Context, req Request) (domain.Outcome, error)
	// Restrict marks the subject restricted: data kept, not processed.
	Restrict(ctx context.Context, req Request) (domain.Outcome, error)
	// Object records the subject's objection to req.ObjectionPurposes.
	Object(ctx context.Context, req Request) (domain.Outcome, error)
}

// ErrBlocked is returned when a request cannot be applied yet; see Connector.Blockers.
var ErrBlocked = errors.New("request is blocked")

// ErrInvalid marks a request that no retry can make valid (an unknown field to rectify,
// an unknown purpose). Connectors wrap it with the reason.
var ErrInvalid = errors.New("invalid request")

// Registry is the set of configured connectors, in the order they run.
type Registry struct {
	list   []Connector
	byName map[string]Connector
}

// NewRegistry returns a registry of the given connectors; names must be unique.
func NewRegistry(cs ...Connector) (*Registry, error) {
	r := &Registry{byName: make(map[string]Connector, len(cs))}
	for _, c := range cs {
		if _, dup := r.byName[c.Name()]; dup {
			return nil, errors.New("connector " + c.Name() + " is configured twice")
		}
		r.byName[c.Name()] = c
		r.list = append(r.list, c)
	}
	return r, nil
}

// All returns the connectors in order.
func (r *Registry) All() []Connector { return r.list }

// Names returns the connectors' names in order.
func (r *Registry) Names() []string {
	out := make([]string, len(r.list))
	for i, c := range r.list {
		out[i] = c.Name()
	}
	return out
}

// Get returns the named connector.
func (r *Registry) Get(name string) (Connector, bool) {
	c, ok := r.byName[name]
	return c, ok
}
