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

	"dsr/activities/contract"
	"dsr/connectors"
	"dsr/internal/documents/bundle"
	"dsr/internal/domain"
	"dsr/internal/mail/ingest"
	"dsr/internal/mail/letters"
	"dsr/internal/mail/smtp"
	"dsr/internal/store"
	"dsr/internal/webhooks"
)

// Activities are the DSR workflow's activities.
type Activities struct {
	Store      *store.Store
	Connectors *connectors.Registry
	// PackageDir is where access and portability packages are written.
	PackageDir string
	// SecretKey keys the hashes kept on the suppression list.
	SecretKey []byte
	// Mailer sends mail; nil when SMTP_URL is not set.
	Mailer *smtp.Mailer
	// DPOEmail receives the clock alarms; empty for none.
	DPOEmail string
	// Recipients describe the sub-processors, for the access package (Art. 15(1)(c)).
	Recipients []string
	// Mailroom takes in the privacy mailbox and sends subjects their mail; nil when
	// IMAP_URL is not set.
	Mailroom *ingest.Room
	// Webhooks makes the attempts of webhook deliveries.
	Webhooks *webhooks.Deliverer
	// Retention is how long after a request became final its subject stays in the
	// record in the clear (Minimise).
	Retention time.Duration
}

// DeliverWebhook makes one attempt of a webhook delivery and records it.
func (a *Activities) DeliverWebhook(ctx context.Context, deliveryID string) (contract.WebhookAttempt, error) {
	defer keepAlive(ctx)()
	o, err := a.Webhooks.Attempt(ctx, deliveryID)
	if err != nil {
		return contract.WebhookAttempt{}, err
	}
	return contract.WebhookAttempt{Done: o.Done, Status: o.Status, Wait: o.Wait}, nil
}

// Record writes a state change and its event to the orchestrator database. A retried
// Record with the same dedupe key writes nothing more.
func (a *Activities) Record(ctx context.Context, c domain.Change) error {
	_, err := a.record(ctx, c)
	return err
}

// record writes a change with the mail it sends the subject, if any (letters.ForChange),
// in one transaction.
func (a *Activities) record(ctx context.Context, c domain.Change) (bool, error) {
	return a.Store.RecordNotifying(ctx, c, letters.ForChange(c))
}

// ConnectorNames returns the configured connectors in the order they run.
func (a *Activities) ConnectorNames(_ context.Context) ([]string, error) {
	return a.Connectors.Names(), nil
}

// request reads a recorded request and builds what connectors are given.
func (a *Activities) request(ctx context.Context, id string, override bool) (connectors.Request, error) {
	r, err := a.Store.GetRequest(ctx, "", id)
	if errors.Is(err, store.ErrNotFound) {
		return connectors.Request{}, temporal.NewNonRetryableApplicationError("request "+id+" is not in the record", contract.ErrTypeInvalidRequest, err)
	}
	if err != nil {
		return connectors.Request{}, err
	}
	return connectors.Request{
		ID:                r.ID,
		Type:              r.Type,
		Subject:           connectors.Subject{TenantID: r.TenantID, Email: r.SubjectEmail},
		Rectification:     r.Params.Rectification,
		ErasureScope:      r.Params.ErasureScope,
		ObjectionPurposes: r.Params.ObjectionPurposes,
		Override:          override,
	}, nil
}

// classify turns connector errors that no retry can fix into non-retryable ones, and a
// recipient's "try again after" into a retry at that time.
func classify(err error) error {
	var later *connectors.RetryAfterError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &later):
		return temporal.NewApplicationErrorWithOptions(err.Error(), contract.ErrTypeRetryAfter, temporal.ApplicationErrorOptions{
			NextRetryDelay: later.After, Cause: err})
	case errors.Is(err, connectors.ErrBlocked):
		return temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeBlocked, err)
	case errors.Is(err, connectors.ErrInvalid):
		return temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeInvalidRequest, err)
	}
	return err
}

func (a *Activities) connector(name string) (connectors.Connector, error) {
	c, ok := a.Connectors.Get(name)
	if !ok {
		return nil, temporal.NewNonRetryableApplicationError("connector "+name+" is not configured", contract.ErrTypeUnknownConnector, nil)
	}
	return c, nil
}

// Blockers asks one connector what stops the request now.
func (a *Activities) Blockers(ctx context.Context, in contract.ConnectorInput) ([]domain.Blocker, error) {
	c, err := a.connector(in.Connector)
	if err != nil {
		return nil, err
	}
	req, err := a.request(ctx, in.RequestID, in.Override)
	if err != nil {
		return nil, err
	}
	defer keepAlive(ctx)()
	b, err := c.Blockers(ctx, req)
	if err != nil {
		return nil, classify(fmt.Errorf("blockers of request %s at %s: %w", req.ID, in.Connector, err))
	}
	// The record's own blocker is reported once, with the first connector's.
	if names := a.Connectors.Names(); req.Type == domain.Erasure && !req.Override && len(names) > 0 && names[0] == in.Connector {
		n, err := a.Store.OpenExportsBefore(ctx, req.ID)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			b = append(b, domain.Blocker{Code: domain.BlockerExportFirst, Count: int64(n),
				Message: fmt.Sprintf("%d access or portability request(s) of the subject must deliver first", n)})
		}
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
func (a *Activities) Apply(ctx context.Context, in contract.ConnectorInput) (domain.Outcome, error) {
	c, err := a.connector(in.Connector)
	if err != nil {
		return domain.Outcome{}, err
	}
	req, err := a.request(ctx, in.RequestID, in.Override)
	if err != nil {
		return domain.Outcome{}, err
	}
	defer keepAlive(ctx)()
	var out domain.Outcome
	switch req.Type {
	case domain.Rectification:
		out, err = c.Rectify(ctx, req)
	case domain.Erasure:
		out, err = c.Erase(ctx, req)
	case domain.Restriction:
		out, err = c.Restrict(ctx, req)
	case domain.Objection:
		out, err = c.Object(ctx, req)
	default:
		return out, temporal.NewNonRetryableApplicationError("apply does not handle "+string(req.Type), contract.ErrTypeInvalidRequest, nil)
	}
	if err != nil {
		return out, classify(fmt.Errorf("%s of request %s at %s: %w", req.Type, req.ID, in.Connector, err))
	}
	return out, a.ledger(ctx, req.ID, out)
}

// CheckJob asks the connector about a job it started; the outcome has a Job again while
// the job goes on.
func (a *Activities) CheckJob(ctx context.Context, in contract.JobInput) (domain.Outcome, error) {
	c, err := a.connector(in.Connector)
	if err != nil {
		return domain.Outcome{}, err
	}
	jc, ok := c.(connectors.JobChecker)
	if !ok {
		return domain.Outcome{}, temporal.NewNonRetryableApplicationError("connector "+in.Connector+" has no jobs to check", contract.ErrTypeUnknownConnector, nil)
	}
	req, err := a.request(ctx, in.RequestID, false)
	if err != nil {
		return domain.Outcome{}, err
	}
	defer keepAlive(ctx)()
	out, err := jc.CheckJob(ctx, req, in.Job)
	if err != nil {
		return out, classify(fmt.Errorf("check job of request %s at %s: %w", req.ID, in.Connector, err))
	}
	return out, a.ledger(ctx, req.ID, out)
}

// ledger keeps the recipient's entry of the Art. 19 ledger up to date.
func (a *Activities) ledger(ctx context.Context, requestID string, out domain.Outcome) error {
	if out.Recipient == nil {
		return nil
	}
	return a.Store.SetRecipient(ctx, requestID, *out.Recipient)
}

// BuildPackage exports the subject's data from every connector into a zip under
// PackageDir. It heartbeats while rows stream, and rebuilds from scratch on a retry (the
// file is replaced atomically).
func (a *Activities) BuildPackage(ctx context.Context, in contract.PackageInput) (domain.PackageInfo, error) {
	req, err := a.request(ctx, in.RequestID, false)
	if err != nil {
		return domain.PackageInfo{}, err
	}
	var sources []connectors.Connector
	for _, name := range in.Connectors {
		c, err := a.connector(name)
		if err != nil {
			return domain.PackageInfo{}, err
		}
		sources = append(sources, c)
	}
	meta := bundle.Meta{
		RequestID:   req.ID,
		Type:        req.Type,
		TenantID:    req.Subject.TenantID,
		GeneratedAt: time.Now().UTC().Truncate(time.Second),
		Recipients:  a.Recipients,
	}
	scope := connectors.ExportScope{Portability: req.Type == domain.Portability}
	defer keepAlive(ctx)()
	info, err := bundle.Build(ctx, a.PackageDir, meta, req, scope, sources, func(rows int64) {
		activity.RecordHeartbeat(ctx, rows)
	})
	if err != nil {
		return domain.PackageInfo{}, classify(err)
	}
	return info, nil
}

// Suppress records the objection in the orchestrator database under a keyed hash of the
// email, so it outlives an erasure of the subject. It returns the purposes.
func (a *Activities) Suppress(ctx context.Context, in contract.SuppressInput) ([]domain.Purpose, error) {
	req, err := a.request(ctx, in.RequestID, false)
	if err != nil {
		return nil, err
	}
	hash := SubjectHash(a.SecretKey, req.Subject.TenantID, req.Subject.Email)
	if err := a.Store.Suppress(ctx, req.Subject.TenantID, hash, req.ID, req.ObjectionPurposes); err != nil {
		return nil, err
	}
	return req.ObjectionPurposes, nil
}

// SubjectHash is the keyed hash under which a subject is kept once their data is gone:
// HMAC-SHA256 of the tenant id and the lower-cased email. The suppression list keeps it,
// and so does dsr's own record once the retention period is over (Minimise); mail cases,
// which belong to no tenant, are hashed with an empty tenant id.
func SubjectHash(key []byte, tenantID, email string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(tenantID))
	m.Write([]byte{0})
	m.Write([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(m.Sum(nil))
}

// KeyFingerprint identifies a secret key without revealing it.
func KeyFingerprint(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("dsr secret key fingerprint"))
	return hex.EncodeToString(m.Sum(nil))[:16]
}
