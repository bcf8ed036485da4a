package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"dsr/internal/domain"
)

// OpenDSRLink ties a controller's OpenDSR subject_request_id to dsr's request.
type OpenDSRLink struct {
	TenantID         string    `db:"tenant_id"`
	SubjectRequestID string    `db:"subject_request_id"`
	RequestID        string    `db:"request_id"`
	Regulation       string    `db:"regulation"`
	APIVersion       string    `db:"api_version"`
	SubmittedAt      time.Time `db:"submitted_at"`
}

// OpenDSRCallback is a status callback URL of an OpenDSR request and the last status sent
// to it ("" before the first).
type OpenDSRCallback struct {
	RequestID  string               `db:"request_id"`
	URL        string               `db:"url"`
	LastStatus domain.OpenDSRStatus `db:"last_status"`
	LastSentAt *time.Time           `db:"last_sent_at"`
}

// LinkOpenDSR records the link and the callback URLs, in one transaction, and queues to
// each URL not recorded before a callback with the request's current status. It is
// idempotent: a link or URL already recorded is left as it is. It locks the request
// first, as recording a change does, so that every status is queued exactly once for
// every URL whichever of the two commits first.
func (s *Store) LinkOpenDSR(ctx context.Context, l OpenDSRLink, callbackURLs []string) error {
	var queued []string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var status domain.Status
		if err := tx.GetContext(ctx, &status, `SELECT status FROM requests WHERE id = $1 FOR UPDATE`, l.RequestID); err != nil {
			return err
		}
		if _, err := tx.NamedExecContext(ctx, `
			INSERT INTO opendsr_requests (tenant_id, subject_request_id, request_id, regulation, api_version, submitted_at)
			VALUES (:tenant_id, :subject_request_id, :request_id, :regulation, :api_version, :submitted_at)
			ON CONFLICT DO NOTHING`, l); err != nil {
			return err
		}
		if len(callbackURLs) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO opendsr_callbacks (request_id, position, url)
			SELECT $1, u.ord, u.url FROM unnest($2::text[]) WITH ORDINALITY AS u(url, ord)
			ON CONFLICT DO NOTHING`, l.RequestID, pq.StringArray(callbackURLs)); err != nil {
			return err
		}
		var err error
		queued, err = queueCallbacks(ctx, tx, l.TenantID, l.RequestID, status.OpenDSR())
		return err
	})
	if err != nil {
		return fmt.Errorf("link OpenDSR request %s: %w", l.RequestID, err)
	}
	if len(queued) > 0 && s.deliveriesQueued != nil {
		s.deliveriesQueued(ctx, queued)
	}
	return nil
}

// CallbackPayload is what the event of an OpenDSR status callback keeps: the status it
// reports. The body sent is built from it and the request when the callback is sent.
type CallbackPayload struct {
	Status domain.OpenDSRStatus `json:"request_status"`
}

// queueCallbacks queues, in the transaction of a change, a status callback to each
// callback URL of the request whose last queued status is not status, and returns the
// deliveries' ids. A request that did not come over OpenDSR has no URL: one statement,
// nothing queued.
func queueCallbacks(ctx context.Context, tx *sqlx.Tx, tenantID, requestID string, status domain.OpenDSRStatus) ([]string, error) {
	var urls []string
	if err := tx.SelectContext(ctx, &urls, `UPDATE opendsr_callbacks SET last_status = $2
		WHERE request_id = $1 AND last_status IS DISTINCT FROM $2 RETURNING url`, requestID, status); err != nil {
		return nil, fmt.Errorf("queue the status callbacks of request %s: %w", requestID, err)
	}
	if len(urls) == 0 {
		return nil, nil
	}
	id, err := NewID()
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(CallbackPayload{Status: status})
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_events (id, tenant_id, request_id, type, payload, created_at)
		VALUES ($1, $2, $3, $4, $5, now())`, id, tenantID, requestID, domain.OpenDSRStatusCallback, body); err != nil {
		return nil, fmt.Errorf("queue the status callback of request %s: %w", requestID, err)
	}
	ids := make([]string, len(urls))
	for i := range urls {
		if ids[i], err = NewID(); err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, event_id, status, callback_url)
		SELECT d, $3, $4, u FROM unnest($1::uuid[], $2::text[]) AS x(d, u)`,
		pq.Array(ids), pq.StringArray(urls), id, domain.DeliveryQueued); err != nil {
		return nil, fmt.Errorf("queue the status callbacks of request %s: %w", requestID, err)
	}
	return ids, nil
}

// OpenDSRBySubjectRequest returns the link of the tenant's subject_request_id, or
// ErrNotFound.
func (s *Store) OpenDSRBySubjectRequest(ctx context.Context, tenantID, subjectRequestID string) (OpenDSRLink, error) {
	var l OpenDSRLink
	err := s.db.GetContext(ctx, &l, `SELECT tenant_id, subject_request_id, request_id, regulation, api_version, submitted_at
		FROM opendsr_requests WHERE tenant_id = $1 AND subject_request_id = $2`, tenantID, subjectRequestID)
	if errors.Is(err, sql.ErrNoRows) {
		return l, ErrNotFound
	}
	if err != nil {
		return l, fmt.Errorf("read OpenDSR request: %w", err)
	}
	return l, nil
}

// OpenDSRByRequest returns the link of dsr's request, or ErrNotFound when the request did
// not come over OpenDSR.
func (s *Store) OpenDSRByRequest(ctx context.Context, requestID string) (OpenDSRLink, error) {
	var l OpenDSRLink
	err := s.db.GetContext(ctx, &l, `SELECT tenant_id, subject_request_id, request_id, regulation, api_version, submitted_at
		FROM opendsr_requests WHERE request_id = $1`, requestID)
	if errors.Is(err, sql.ErrNoRows) {
		return l, ErrNotFound
	}
	if err != nil {
		return l, fmt.Errorf("read OpenDSR link of request %s: %w", requestID, err)
	}
	return l, nil
}

// OpenDSRCallbacks returns the request's callback URLs in the order the controller gave
// them.
func (s *Store) OpenDSRCallbacks(ctx context.Context, requestID string) ([]OpenDSRCallback, error) {
	var out []OpenDSRCallback
	err := s.db.SelectContext(ctx, &out, `SELECT request_id, url, coalesce(last_status, '') AS last_status, last_sent_at
		FROM opendsr_callbacks WHERE request_id = $1 ORDER BY position`, requestID)
	if err != nil {
		return nil, fmt.Errorf("read callback URLs of request %s: %w", requestID, err)
	}
	return out, nil
}
