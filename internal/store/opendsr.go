package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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

// LinkOpenDSR records the link and the callback URLs, in one transaction. It is
// idempotent: a link or URL already recorded is left as it is.
func (s *Store) LinkOpenDSR(ctx context.Context, l OpenDSRLink, callbackURLs []string) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("link OpenDSR request %s: %w", l.RequestID, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if _, err := tx.NamedExecContext(ctx, `
		INSERT INTO opendsr_requests (tenant_id, subject_request_id, request_id, regulation, api_version, submitted_at)
		VALUES (:tenant_id, :subject_request_id, :request_id, :regulation, :api_version, :submitted_at)
		ON CONFLICT DO NOTHING`, l); err != nil {
		return fmt.Errorf("link OpenDSR request %s: %w", l.RequestID, err)
	}
	if len(callbackURLs) > 0 {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO opendsr_callbacks (request_id, position, url)
			SELECT $1, u.ord, u.url FROM unnest($2::text[]) WITH ORDINALITY AS u(url, ord)
			ON CONFLICT DO NOTHING`, l.RequestID, pq.StringArray(callbackURLs)); err != nil {
			return fmt.Errorf("record callback URLs of request %s: %w", l.RequestID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("link OpenDSR request %s: %w", l.RequestID, err)
	}
	return nil
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

// MarkOpenDSRCallbackSent records that status was delivered to the request's callback URL.
func (s *Store) MarkOpenDSRCallbackSent(ctx context.Context, requestID, url string, status domain.OpenDSRStatus, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE opendsr_callbacks SET last_status = $3, last_sent_at = $4
		WHERE request_id = $1 AND url = $2`, requestID, url, status, at)
	if err != nil {
		return fmt.Errorf("mark callback of request %s sent: %w", requestID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("mark callback of request %s sent: %w", requestID, ErrNotFound)
	}
	return nil
}
