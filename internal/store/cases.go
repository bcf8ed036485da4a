package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"dsr/internal/domain"
)

// Outcomes of a mail case.
const (
	CaseVerified = "verified"
	CaseNoData   = "no_data"
	CaseExpired  = "expired"
	// CaseDisowned: the owner of the address said they did not make the request.
	CaseDisowned = "disowned"
)

// Case is a request that came by mail: identity verification, then routing to the
// controllers that hold the subject's data.
type Case struct {
	ID           string                    `db:"id"`
	MessageID    string                    `db:"message_id"`
	Reference    string                    `db:"reference"`
	SubjectEmail string                    `db:"subject_email"`
	Language     string                    `db:"language"`
	Types        Array[domain.RequestType] `db:"types"`
	ReceivedAt   time.Time                 `db:"received_at"`
	TokenHash    []byte                    `db:"token_hash"`
	CodeHash     []byte                    `db:"code_hash"`
	ExpiresAt    time.Time                 `db:"expires_at"`
	Attempts     int                       `db:"attempts"`
	RemindedAt   *time.Time                `db:"reminded_at"`
	VerifiedAt   *time.Time                `db:"verified_at"`
	VerifiedBy   *domain.Actor             `db:"verified_by"`
	RoutedAt     *time.Time                `db:"routed_at"`
	Outcome      *string                   `db:"outcome"`
	ClosedAt     *time.Time                `db:"closed_at"`
	CreatedAt    time.Time                 `db:"created_at"`
}

const caseColumns = `id, message_id, reference, subject_email, language, types, received_at, token_hash,
	code_hash, expires_at, attempts, reminded_at, verified_at, verified_by, routed_at, outcome, closed_at, created_at`

// GetCase returns a case by id.
func (s *Store) GetCase(ctx context.Context, id string) (Case, error) {
	return s.caseWhere(ctx, `id = $1`, id)
}

// CaseByReference returns the case with a reference ("DSR-xxxxxxxx", any case).
func (s *Store) CaseByReference(ctx context.Context, ref string) (Case, error) {
	return s.caseWhere(ctx, `lower(reference) = lower($1)`, ref)
}

// CaseByToken returns the case whose link token hashes to hash.
func (s *Store) CaseByToken(ctx context.Context, hash []byte) (Case, error) {
	return s.caseWhere(ctx, `token_hash = $1`, hash)
}

// CaseOfRequest returns the case a request came from.
func (s *Store) CaseOfRequest(ctx context.Context, requestID string) (Case, error) {
	return s.caseWhere(ctx, `id = (SELECT case_id FROM mail_case_requests WHERE request_id = $1)`, requestID)
}

// CaseOfMessageRef returns the case whose own reference is ref, or the case of the request
// whose reference it is: a reply may quote either.
func (s *Store) CaseOfMessageRef(ctx context.Context, ref string) (Case, error) {
	c, err := s.CaseByReference(ctx, ref)
	if !errors.Is(err, ErrNotFound) {
		return c, err
	}
	r, err := s.RequestByRef(ctx, ref)
	if err != nil {
		return Case{}, err
	}
	return s.CaseOfRequest(ctx, r.ID)
}

// KnownRefs returns which of refs CaseOfMessageRef or RequestByRef would find, in one
// query (served by the indexes of migration 010).
func (s *Store) KnownRefs(ctx context.Context, refs []string) (map[string]bool, error) {
	var found []string
	err := s.db.SelectContext(ctx, &found, `
		SELECT q.ref FROM unnest($1::text[]) AS q(ref)
		WHERE EXISTS (SELECT 1 FROM mail_cases WHERE lower(reference) = lower(q.ref))
		   OR (length(q.ref) = 12 AND upper(left(q.ref, 4)) = 'DSR-'
		       AND EXISTS (SELECT 1 FROM requests WHERE right(replace(id::text, '-', ''), 8) = lower(substr(q.ref, 5))))`,
		pq.StringArray(refs))
	if err != nil {
		return nil, fmt.Errorf("look references up: %w", err)
	}
	known := make(map[string]bool, len(found))
	for _, ref := range found {
		known[ref] = true
	}
	return known, nil
}

func (s *Store) caseWhere(ctx context.Context, where string, args ...any) (Case, error) {
	var c Case
	err := s.db.GetContext(ctx, &c, `SELECT `+caseColumns+` FROM mail_cases WHERE `+where+` LIMIT 1`, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Case{}, ErrNotFound
	}
	if err != nil {
		return Case{}, fmt.Errorf("read case: %w", err)
	}
	return c, nil
}

// CaseRequests returns the ids of the requests a case was routed to.
func (s *Store) CaseRequests(ctx context.Context, caseID string) ([]string, error) {
	var ids []string
	err := s.db.SelectContext(ctx, &ids, `SELECT request_id FROM mail_case_requests WHERE case_id = $1 ORDER BY request_id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("read the requests of a case: %w", err)
	}
	return ids, nil
}

// LinkCaseRequest records that a case made a request.
func (s *Store) LinkCaseRequest(ctx context.Context, caseID, requestID string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO mail_case_requests (case_id, request_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		caseID, requestID)
	if err != nil {
		return fmt.Errorf("link case to request: %w", err)
	}
	return nil
}

// CaseRouted records that every request of the case exists.
func (s *Store) CaseRouted(ctx context.Context, caseID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE mail_cases SET routed_at = COALESCE(routed_at, now()) WHERE id = $1`, caseID)
	if err != nil {
		return fmt.Errorf("mark case routed: %w", err)
	}
	return nil
}

// UnroutedCases returns the cases whose requests were not all made (a crash between
// taking the mail and routing it).
func (s *Store) UnroutedCases(ctx context.Context) ([]Case, error) {
	var cs []Case
	err := s.db.SelectContext(ctx, &cs, `SELECT `+caseColumns+` FROM mail_cases WHERE routed_at IS NULL AND closed_at IS NULL ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("list unrouted cases: %w", err)
	}
	return cs, nil
}

// VerifyCase marks a case verified by who, with the mail it sends, once. It reports whether
// this call verified it; an expired or closed case is not verified.
func (s *Store) VerifyCase(ctx context.Context, caseID string, by domain.Actor, now time.Time, out []Outgoing) (bool, error) {
	return s.changeCase(ctx, "verify case", out, `UPDATE mail_cases SET verified_at = $3, verified_by = $2, outcome = 'verified'
		WHERE id = $1 AND verified_at IS NULL AND closed_at IS NULL AND expires_at > $3`, caseID, by, now)
}

// CountAttempt counts a wrong code against a case and returns the attempts so far.
func (s *Store) CountAttempt(ctx context.Context, caseID string) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `UPDATE mail_cases SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts`, caseID)
	if err != nil {
		return 0, fmt.Errorf("count a verification attempt: %w", err)
	}
	return n, nil
}

// CloseCase ends a case with an outcome and the mail that says so, once.
func (s *Store) CloseCase(ctx context.Context, caseID, outcome string, out []Outgoing) (bool, error) {
	return s.changeCase(ctx, "close case", out, `UPDATE mail_cases SET outcome = $2, closed_at = now() WHERE id = $1 AND closed_at IS NULL`,
		caseID, outcome)
}

// RemindCase marks a case reminded and queues the reminder, once.
func (s *Store) RemindCase(ctx context.Context, caseID string, out Outgoing) (bool, error) {
	return s.changeCase(ctx, "remind case", []Outgoing{out}, `UPDATE mail_cases SET reminded_at = now()
		WHERE id = $1 AND reminded_at IS NULL AND verified_at IS NULL AND closed_at IS NULL`, caseID)
}

// changeCase runs an update of one case and, when it changed the case, queues the mail
// that tells the subject, in one transaction. It reports whether the case changed.
func (s *Store) changeCase(ctx context.Context, what string, out []Outgoing, query string, args ...any) (bool, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("%s: begin: %w", what, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	for _, o := range out {
		if err := enqueue(ctx, tx, o); err != nil {
			return false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("%s: commit: %w", what, err)
	}
	return true, nil
}

// CasesToRemind returns the open, unverified, unreminded cases opened before before.
func (s *Store) CasesToRemind(ctx context.Context, before time.Time) ([]Case, error) {
	var cs []Case
	err := s.db.SelectContext(ctx, &cs, `SELECT `+caseColumns+` FROM mail_cases
		WHERE closed_at IS NULL AND verified_at IS NULL AND reminded_at IS NULL AND created_at < $1 ORDER BY created_at`, before)
	if err != nil {
		return nil, fmt.Errorf("list cases to remind: %w", err)
	}
	return cs, nil
}

// ExpiredCases returns the open, unverified cases whose verification expired by now.
func (s *Store) ExpiredCases(ctx context.Context, now time.Time) ([]Case, error) {
	var cs []Case
	err := s.db.SelectContext(ctx, &cs, `SELECT `+caseColumns+` FROM mail_cases
		WHERE closed_at IS NULL AND verified_at IS NULL AND expires_at <= $1 ORDER BY created_at`, now)
	if err != nil {
		return nil, fmt.Errorf("list expired cases: %w", err)
	}
	return cs, nil
}

// VerifiedCasesWaiting returns verified cases that still have a request waiting for
// identity: the verification has yet to reach its workflow (a crash in between).
func (s *Store) VerifiedCasesWaiting(ctx context.Context) ([]Case, error) {
	var cs []Case
	err := s.db.SelectContext(ctx, &cs, `SELECT `+caseColumns+` FROM mail_cases c
		WHERE verified_at IS NOT NULL AND EXISTS (SELECT 1 FROM mail_case_requests cr JOIN requests r ON r.id = cr.request_id
			WHERE cr.case_id = c.id AND r.status = ANY($1::text[]))
		ORDER BY created_at`, pq.Array(domain.Strings(domain.Unverified)))
	if err != nil {
		return nil, fmt.Errorf("list verified cases: %w", err)
	}
	return cs, nil
}

// VerifiedCasesUnanswered returns the verified cases with no request that are not closed:
// they owe the subject a "no data held" answer.
func (s *Store) VerifiedCasesUnanswered(ctx context.Context) ([]Case, error) {
	var cs []Case
	err := s.db.SelectContext(ctx, &cs, `SELECT `+caseColumns+` FROM mail_cases c
		WHERE verified_at IS NOT NULL AND closed_at IS NULL AND routed_at IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM mail_case_requests cr WHERE cr.case_id = c.id)
		ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("list unanswered cases: %w", err)
	}
	return cs, nil
}

// OpenCase is a sender's open case as a new mail from them sees it.
type OpenCase struct {
	ID        string `db:"id"`
	Reference string `db:"reference"`
	// Email is the subject's email in lower case.
	Email      string    `db:"email"`
	ReceivedAt time.Time `db:"received_at"`
	// Types are the rights still open in the case: all of its rights until it is verified
	// and routed, then those of its requests that are not final.
	Types Array[domain.RequestType] `db:"open_types"`
}

// OpenCasesOf returns the open cases of the senders of emails (any letter case) received
// since since: not closed, not past an unverified expiry at now, with a right still
// open; newest first. One query serves a whole batch of mail.
func (s *Store) OpenCasesOf(ctx context.Context, emails []string, since, now time.Time) ([]OpenCase, error) {
	lower := make([]string, len(emails))
	for i, e := range emails {
		lower[i] = strings.ToLower(strings.TrimSpace(e))
	}
	var out []OpenCase
	err := s.db.SelectContext(ctx, &out, `
		SELECT id, reference, email, received_at, open_types FROM (
			SELECT c.id, c.reference, lower(c.subject_email) AS email, c.received_at,
				CASE WHEN c.verified_at IS NULL OR c.routed_at IS NULL THEN c.types
				ELSE ARRAY(SELECT DISTINCT r.type FROM mail_case_requests cr JOIN requests r ON r.id = cr.request_id
					WHERE cr.case_id = c.id AND r.status <> ALL($3::text[]))
				END AS open_types
			FROM mail_cases c
			WHERE lower(c.subject_email) = ANY($1::text[]) AND c.received_at >= $2 AND c.closed_at IS NULL
				AND (c.verified_at IS NOT NULL OR c.expires_at > $4)
		) o
		WHERE cardinality(open_types) > 0
		ORDER BY received_at DESC, id DESC`, pq.StringArray(lower), since, finalStatuses(), now)
	if err != nil {
		return nil, fmt.Errorf("look for open cases of senders: %w", err)
	}
	return out, nil
}

// OpenCaseRequests returns the ids of the case's requests of the rights types that are
// not final.
func (s *Store) OpenCaseRequests(ctx context.Context, caseID string, types []domain.RequestType) ([]string, error) {
	var ids []string
	err := s.db.SelectContext(ctx, &ids, `SELECT r.id FROM mail_case_requests cr JOIN requests r ON r.id = cr.request_id
		WHERE cr.case_id = $1 AND r.type = ANY($2::text[]) AND r.status <> ALL($3::text[]) ORDER BY r.id`,
		caseID, pq.Array(domain.Strings(types)), finalStatuses())
	if err != nil {
		return nil, fmt.Errorf("read the open requests of a case: %w", err)
	}
	return ids, nil
}
