package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"dsr/internal/domain"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Mailbox folders, under "dsr/" in the mailbox.
const (
	FolderProcessed  = "processed"
	FolderTriage     = "triage"
	FolderQuarantine = "quarantine"
)

// Outcomes of a mail case.
const (
	CaseVerified = "verified"
	CaseNoData   = "no_data"
	CaseExpired  = "expired"
)

// Mail is one mail taken from the privacy mailbox.
type Mail struct {
	ID          string                    `db:"id"`
	MessageKey  string                    `db:"message_key"`
	TakenAt     time.Time                 `db:"taken_at"`
	Size        int64                     `db:"size"`
	SHA256      string                    `db:"sha256"`
	RawSealed   []byte                    `db:"raw_sealed"`
	Folder      string                    `db:"folder"`
	Kind        string                    `db:"kind"`
	Language    string                    `db:"language"`
	Types       Array[domain.RequestType] `db:"types"`
	Confidence  float64                   `db:"confidence"`
	Reasons     pq.StringArray            `db:"reasons"`
	Note        string                    `db:"note"`
	CaseID      *string                   `db:"case_id"`
	Attachments JSON                      `db:"attachments"`
	RedactedAt  *time.Time                `db:"redacted_at"`
}

const mailColumns = `id, message_key, taken_at, size, sha256, raw_sealed, folder, kind, language, types,
	confidence, reasons, note, case_id, attachments, redacted_at`

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

// Outgoing is one mail to a data subject, queued.
type Outgoing struct {
	ID            string     `db:"id"`
	DedupeKey     string     `db:"dedupe_key"`
	CaseID        *string    `db:"case_id"`
	RequestID     *string    `db:"request_id"`
	Kind          string     `db:"kind"`
	Language      string     `db:"language"`
	Recipient     string     `db:"recipient"`
	Data          JSON       `db:"data"`
	SecretsSealed []byte     `db:"secrets_sealed"`
	Status        string     `db:"status"`
	Attempts      int        `db:"attempts"`
	NextAttemptAt time.Time  `db:"next_attempt_at"`
	LastError     *string    `db:"last_error"`
	MessageID     *string    `db:"message_id"`
	SentAt        *time.Time `db:"sent_at"`
	CreatedAt     time.Time  `db:"created_at"`
}

const outgoingColumns = `id, dedupe_key, case_id, request_id, kind, language, recipient, data, secrets_sealed,
	status, attempts, next_attempt_at, last_error, message_id, sent_at, created_at`

// NewID returns a new UUIDv7 as a string.
func NewID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("new id: %w", err)
	}
	return id.String(), nil
}

// TakeMail records a mail taken from the mailbox, with the case it opens (if any) and the
// mail it sends, in one transaction. A mail whose key was taken before is not recorded
// again: TakeMail returns the earlier record and created=false.
func (s *Store) TakeMail(ctx context.Context, m Mail, c *Case, out []Outgoing) (Mail, bool, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Mail{}, false, fmt.Errorf("take mail: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	if m.ID == "" {
		if m.ID, err = NewID(); err != nil {
			return Mail{}, false, err
		}
	}
	if len(m.Attachments) == 0 {
		m.Attachments = JSON("[]")
	}
	if c != nil {
		m.CaseID = &c.ID
	}
	var got Mail
	err = tx.GetContext(ctx, &got, `
		INSERT INTO mail_messages (id, message_key, size, sha256, raw_sealed, folder, kind, language, types,
			confidence, reasons, note, case_id, attachments)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (message_key) DO NOTHING
		RETURNING `+mailColumns,
		m.ID, m.MessageKey, m.Size, m.SHA256, m.RawSealed, m.Folder, m.Kind, m.Language, m.Types,
		m.Confidence, orEmpty(m.Reasons), m.Note, m.CaseID, m.Attachments)
	if errors.Is(err, sql.ErrNoRows) {
		earlier, err := s.MailByKey(ctx, m.MessageKey)
		return earlier, false, err
	}
	if err != nil {
		return Mail{}, false, fmt.Errorf("take mail: %w", err)
	}
	if c != nil {
		c.MessageID = got.ID
		if _, err := tx.NamedExecContext(ctx, `
			INSERT INTO mail_cases (id, message_id, reference, subject_email, language, types, received_at,
				token_hash, code_hash, expires_at)
			VALUES (:id, :message_id, :reference, :subject_email, :language, :types, :received_at,
				:token_hash, :code_hash, :expires_at)`, c); err != nil {
			return Mail{}, false, fmt.Errorf("take mail: open case: %w", err)
		}
	}
	for _, o := range out {
		if err := enqueue(ctx, tx, o); err != nil {
			return Mail{}, false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Mail{}, false, fmt.Errorf("take mail: commit: %w", err)
	}
	return got, true, nil
}

// MailByKey returns the mail recorded under a message key.
func (s *Store) MailByKey(ctx context.Context, key string) (Mail, error) {
	var m Mail
	err := s.db.GetContext(ctx, &m, `SELECT `+mailColumns+` FROM mail_messages WHERE message_key = $1`, key)
	if errors.Is(err, sql.ErrNoRows) {
		return Mail{}, ErrNotFound
	}
	if err != nil {
		return Mail{}, fmt.Errorf("read mail: %w", err)
	}
	return m, nil
}

// GetMail returns a mail by id.
func (s *Store) GetMail(ctx context.Context, id string) (Mail, error) {
	var m Mail
	err := s.db.GetContext(ctx, &m, `SELECT `+mailColumns+` FROM mail_messages WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Mail{}, ErrNotFound
	}
	if err != nil {
		return Mail{}, fmt.Errorf("read mail: %w", err)
	}
	return m, nil
}

// MailsByFolder returns the newest mails filed in a folder, newest first.
func (s *Store) MailsByFolder(ctx context.Context, folder string, limit int) ([]Mail, error) {
	var ms []Mail
	err := s.db.SelectContext(ctx, &ms, `SELECT `+mailColumns+` FROM mail_messages WHERE folder = $1
		ORDER BY taken_at DESC, id DESC LIMIT $2`, folder, limit)
	if err != nil {
		return nil, fmt.Errorf("list mail in %s: %w", folder, err)
	}
	return ms, nil
}

// MailCounts returns how many mails each folder got.
func (s *Store) MailCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Folder string `db:"folder"`
		N      int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT folder, count(*) AS n FROM mail_messages GROUP BY folder`); err != nil {
		return nil, fmt.Errorf("count mail: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Folder] = r.N
	}
	return out, nil
}

// AttachMail files a mail under a case (a reply to it).
func (s *Store) AttachMail(ctx context.Context, mailID, caseID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE mail_messages SET case_id = $2 WHERE id = $1 AND case_id IS NULL`, mailID, caseID)
	if err != nil {
		return fmt.Errorf("attach mail to case: %w", err)
	}
	return nil
}

// RedactMail replaces a mail's sealed raw form (with its attachments cut out) and keeps
// the removed attachments' digests; it does so once.
func (s *Store) RedactMail(ctx context.Context, id string, sealed []byte, digests any) error {
	b, err := json.Marshal(digests)
	if err != nil {
		return fmt.Errorf("redact mail: encode digests: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `UPDATE mail_messages SET raw_sealed = $2, attachments = $3, redacted_at = now()
		WHERE id = $1 AND redacted_at IS NULL`, id, sealed, b)
	if err != nil {
		return fmt.Errorf("redact mail: %w", err)
	}
	return nil
}

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

// Enqueue queues one mail; a mail with the same dedupe key is queued once.
func (s *Store) Enqueue(ctx context.Context, o Outgoing) error {
	return enqueue(ctx, s.db, o)
}

func enqueue(ctx context.Context, q sqlx.ExecerContext, o Outgoing) error {
	if o.ID == "" {
		id, err := NewID()
		if err != nil {
			return err
		}
		o.ID = id
	}
	if len(o.Data) == 0 {
		o.Data = JSON("{}")
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO mail_outbox (id, dedupe_key, case_id, request_id, kind, language, recipient, data, secrets_sealed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (dedupe_key) DO NOTHING`,
		o.ID, o.DedupeKey, o.CaseID, o.RequestID, o.Kind, o.Language, o.Recipient, o.Data, o.SecretsSealed)
	if err != nil {
		return fmt.Errorf("queue %s mail: %w", o.Kind, err)
	}
	return nil
}

// ClaimMail leases up to limit pending mails that are due, for lease: another sender does
// not take them meanwhile, and a sender that dies lets them come back when it ends.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Outgoing, error) {
	var out []Outgoing
	err := s.db.SelectContext(ctx, &out, `
		UPDATE mail_outbox SET next_attempt_at = $1::timestamptz + $2 * interval '1 millisecond'
		WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $1
			ORDER BY next_attempt_at, created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+outgoingColumns, now, lease.Milliseconds(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim mail: %w", err)
	}
	return out, nil
}

// MailSent marks a queued mail sent.
func (s *Store) MailSent(ctx context.Context, id, messageID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE mail_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1,
		message_id = $2, last_error = NULL WHERE id = $1`, id, messageID)
	if err != nil {
		return fmt.Errorf("mark mail sent: %w", err)
	}
	return nil
}

// MailFailed records a failed send; the mail is tried again at next.
func (s *Store) MailFailed(ctx context.Context, id, reason string, next time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3
		WHERE id = $1 AND status = 'pending'`, id, reason, next)
	if err != nil {
		return fmt.Errorf("record failed send: %w", err)
	}
	return nil
}

// Outbox returns the queued and sent mail of a case or a request, oldest first.
func (s *Store) Outbox(ctx context.Context, caseID, requestID string) ([]Outgoing, error) {
	var out []Outgoing
	err := s.db.SelectContext(ctx, &out, `SELECT `+outgoingColumns+` FROM mail_outbox
		WHERE ($1 <> '' AND case_id::text = $1) OR ($2 <> '' AND request_id::text = $2) ORDER BY created_at, id`, caseID, requestID)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return out, nil
}

// PendingMail counts the mail not yet sent.
func (s *Store) PendingMail(ctx context.Context) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM mail_outbox WHERE status = 'pending'`); err != nil {
		return 0, fmt.Errorf("count pending mail: %w", err)
	}
	return n, nil
}

// notifyOnChange queues the mail that tells a subject who wrote to the mailbox about a
// change to their request: completed, denied or extended. It writes in the transaction of
// the change, so the mail is queued exactly when the change is recorded.
func notifyOnChange(ctx context.Context, tx *sqlx.Tx, c domain.Change) error {
	kind := ""
	switch {
	case c.Status == domain.StatusCompleted || c.Status == domain.StatusDenied:
		kind = string(c.Status)
	case c.Clock != nil && c.Clock.Extended:
		kind = "extended"
	default:
		return nil
	}
	id, err := NewID()
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO mail_outbox (id, dedupe_key, case_id, request_id, kind, language, recipient)
		SELECT $1::uuid, 'request:' || $2::text || ':' || $3::text, c.id, r.id, $3::text, c.language, r.subject_email
		FROM mail_case_requests cr JOIN mail_cases c ON c.id = cr.case_id JOIN requests r ON r.id = cr.request_id
		WHERE cr.request_id = $2::uuid
		ON CONFLICT (dedupe_key) DO NOTHING`, id, c.RequestID, kind)
	if err != nil {
		return fmt.Errorf("queue the %s mail of request %s: %w", kind, c.RequestID, err)
	}
	return nil
}

// OpenExportsBefore counts the open access and portability requests of the same subject
// at the same tenant received no later than the request: an erasure waits for them, so
// the subject gets their copy before the data goes.
func (s *Store) OpenExportsBefore(ctx context.Context, requestID string) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `
		SELECT count(*) FROM requests o JOIN requests r ON r.id = $1
		WHERE o.tenant_id = r.tenant_id AND lower(o.subject_email) = lower(r.subject_email) AND o.id <> r.id
			AND o.type = ANY($2::text[]) AND o.received_at <= r.received_at
			AND o.status <> ALL($3::text[])`, requestID, pq.Array(domain.Strings(domain.ExportTypes)), finalStatuses())
	if err != nil {
		return 0, fmt.Errorf("count open exports of request %s: %w", requestID, err)
	}
	return n, nil
}
