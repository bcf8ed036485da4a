// Package store is dsr's record in its own PostgreSQL database: tenants, API keys, requests,
// their append-only events and the objection suppression list. Every query is scoped to a
// tenant where a tenant is involved.
package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// ErrNotFound is returned when a row does not exist (or belongs to another tenant).
var ErrNotFound = errors.New("not found")

// Store reads and writes the orchestrator database.
type Store struct {
	db *sqlx.DB
	// record lets one Record of this process at a time wait for the audit chain's
	// advisory lock: the others wait here, without holding a database connection that the
	// rest of the process needs.
	record sync.Mutex
	// deliveriesQueued hears of the webhook deliveries a record queued, after its commit.
	deliveriesQueued func(ctx context.Context, ids []string)
}

// OnDeliveriesQueued sets fn to be called, after each commit of a change that queued
// webhook deliveries, with their ids (to start their delivery at once); set it once, before
// the store is used concurrently. What fn does not start, the resume pass does.
func (s *Store) OnDeliveriesQueued(fn func(ctx context.Context, ids []string)) {
	s.deliveriesQueued = fn
}

// New returns a Store on db.
func New(db *sqlx.DB) *Store { return &Store{db: db} }

// JSON is a jsonb column holding any JSON document.
type JSON json.RawMessage

// Value stores the document; an empty one is NULL.
func (j JSON) Value() (driver.Value, error) {
	if len(j) == 0 {
		return nil, nil
	}
	return []byte(j), nil
}

// Scan reads the document.
func (j *JSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = nil
	case []byte:
		*j = append((*j)[:0], v...)
	case string:
		*j = JSON(v)
	default:
		return fmt.Errorf("scan json: unexpected %T", src)
	}
	return nil
}

// MarshalJSON returns the document, or null.
func (j JSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// UnmarshalJSON keeps the document as it is.
func (j *JSON) UnmarshalJSON(b []byte) error {
	*j = append((*j)[:0], b...)
	return nil
}

func scanJSON(src, dst any) error {
	switch v := src.(type) {
	case nil:
		return nil
	case []byte:
		return json.Unmarshal(v, dst)
	case string:
		return json.Unmarshal([]byte(v), dst)
	}
	return fmt.Errorf("scan json: unexpected %T", src)
}

// NewID returns a new UUIDv7 as a string.
func NewID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("new id: %w", err)
	}
	return id.String(), nil
}
