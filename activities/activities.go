// Package activities holds the side effects of the DSR workflow: writing the record,
// asking connectors, building packages. Activities are methods on Activities, whose fields
// are their dependencies; the workflow calls them through a nil *Activities.
package activities

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"dsr/bundle"
	"dsr/connectors"
	"dsr/store"
)

// Stable error types, for workflows to tell failures that no retry can fix.
const (
	ErrTypeBlocked          = "Blocked"
	ErrTypeInvalidRequest   = "InvalidRequest"
	ErrTypeUnknownConnector = "UnknownConnector"
)

// Activities are the DSR workflow's activities.
type Activities struct {
	Store      *store.Store
	Connectors *connectors.Registry
	// PackageDir is where access and portability packages are written.
	PackageDir string
	// SecretKey keys the hashes kept on the suppression list.
	SecretKey []byte
}

// Record writes a state change and its event to the orchestrator database. A retried
// Record with the same dedupe key writes nothing more.
func (a *Activities) Record(ctx context.Context, c store.Change) error {
	if _, err := a.Store.Record(ctx, c); err != nil {
		return err
	}
	return nil
}

// ConnectorNames returns the configured connectors in the order they run.
func (a *Activities) ConnectorNames(_ context.Context) ([]string, error) {
	return a.Connectors.Names(), nil
}

// ConnectorInput names a connector and the request it is to work on.
type ConnectorInput struct {
	Connector string             `json:"connector"`
	Request   connectors.Request `json:"request"`
}

func (a *Activities) connector(name string) (connectors.Connector, error) {
	c, ok := a.Connectors.Get(name)
	if !ok {
		return nil, temporal.NewNonRetryableApplicationError("connector "+name+" is not configured", ErrTypeUnknownConnector, nil)
	}
	return c, nil
}

// Blockers asks one connector what stops the request now.
func (a *Activities) Blockers(ctx context.Context, in ConnectorInput) ([]connectors.Blocker, error) {
	c, err := a.connector(in.Connector)
	if err != nil {
		return nil, err
	}
	defer keepAlive(ctx)()
	b, err := c.Blockers(ctx, in.Request)
	if err != nil {
		return nil, fmt.Errorf("blockers of request %s at %s: %w", in.Request.ID, in.Connector, err)
	}
	return b, nil
}

// keepAlive heartbeats every few seconds until the returned stop is called, so that a
// worker that dies mid-activity is noticed within the heartbeat timeout rather than the
// activity's whole start-to-close timeout.
func keepAlive(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(3 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

// Apply carries out a rectification, erasure, restriction or objection at one connector.
// Connectors are idempotent per request id, so a retry returns the first outcome.
func (a *Activities) Apply(ctx context.Context, in ConnectorInput) (connectors.Outcome, error) {
	c, err := a.connector(in.Connector)
	if err != nil {
		return connectors.Outcome{}, err
	}
	defer keepAlive(ctx)()
	var out connectors.Outcome
	switch in.Request.Type {
	case connectors.TypeRectification:
		out, err = c.Rectify(ctx, in.Request)
	case connectors.TypeErasure:
		out, err = c.Erase(ctx, in.Request)
	case connectors.TypeRestriction:
		out, err = c.Restrict(ctx, in.Request)
	case connectors.TypeObjection:
		out, err = c.Object(ctx, in.Request)
	default:
		return out, temporal.NewNonRetryableApplicationError("apply does not handle "+in.Request.Type, ErrTypeInvalidRequest, nil)
	}
	switch {
	case errors.Is(err, connectors.ErrBlocked):
		return out, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeBlocked, err)
	case errors.Is(err, connectors.ErrInvalid):
		return out, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidRequest, err)
	case err != nil:
		return out, fmt.Errorf("%s of request %s at %s: %w", in.Request.Type, in.Request.ID, in.Connector, err)
	}
	return out, nil
}

// PackageInput asks for the package of an access or portability request.
type PackageInput struct {
	TenantID   string             `json:"tenant_id"`
	Request    connectors.Request `json:"request"`
	Connectors []string           `json:"connectors"`
}

// BuildPackage exports the subject's data from every connector into a zip under
// PackageDir. It heartbeats while rows stream, and rebuilds from scratch on a retry (the
// file is replaced atomically).
func (a *Activities) BuildPackage(ctx context.Context, in PackageInput) (bundle.Info, error) {
	var sources []connectors.Connector
	for _, name := range in.Connectors {
		c, err := a.connector(name)
		if err != nil {
			return bundle.Info{}, err
		}
		sources = append(sources, c)
	}
	meta := bundle.Meta{
		RequestID:   in.Request.ID,
		Type:        in.Request.Type,
		TenantID:    in.TenantID,
		GeneratedAt: time.Now().UTC().Truncate(time.Second),
	}
	scope := connectors.ExportScope{Portability: in.Request.Type == connectors.TypePortability}
	defer keepAlive(ctx)()
	info, err := bundle.Build(ctx, a.PackageDir, meta, in.Request, scope, sources, func(rows int64) {
		activity.RecordHeartbeat(ctx, rows)
	})
	if err != nil {
		return bundle.Info{}, err
	}
	return info, nil
}

// SuppressInput puts an objecting subject on the suppression list.
type SuppressInput struct {
	TenantID  string   `json:"tenant_id"`
	RequestID string   `json:"request_id"`
	Email     string   `json:"email"`
	Purposes  []string `json:"purposes"`
}

// Suppress records the objection in the orchestrator database under a keyed hash of the
// email, so it outlives an erasure of the subject.
func (a *Activities) Suppress(ctx context.Context, in SuppressInput) error {
	return a.Store.Suppress(ctx, in.TenantID, SubjectHash(a.SecretKey, in.TenantID, in.Email), in.RequestID, in.Purposes)
}

// SubjectHash is the keyed hash under which a subject is kept once their data is gone:
// HMAC-SHA256 of the tenant id and the lower-cased email.
func SubjectHash(key []byte, tenantID, email string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(tenantID))
	m.Write([]byte{0})
	m.Write([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(m.Sum(nil))
}
