package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

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
// not take them meanwhile, and a sender that dies lets them come back when it ends. They
// come in the order they were queued, and a mail never overtakes an earlier one of its case
// or request that is still to be sent (waiting for a retry, or leased by another sender): a
// subject reads the acknowledgement before the verification mail it announces.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Outgoing, error) {
	var out []Outgoing
	err := s.db.SelectContext(ctx, &out, `
		WITH claimed AS (
			UPDATE mail_outbox SET next_attempt_at = $1::timestamptz + $2 * interval '1 millisecond'
			WHERE id IN (SELECT m.id FROM mail_outbox m
				WHERE m.status = 'pending' AND m.next_attempt_at <= $1 AND m.minimised_at IS NULL
				  AND NOT EXISTS (SELECT 1 FROM mail_outbox e
					WHERE e.status = 'pending' AND e.next_attempt_at > $1
					  AND (e.case_id = m.case_id OR e.request_id = m.request_id)
					  AND (e.created_at, e.id) < (m.created_at, m.id))
				ORDER BY m.next_attempt_at, m.created_at, m.id LIMIT $3 FOR UPDATE SKIP LOCKED)
			RETURNING `+outgoingColumns+`)
		SELECT `+outgoingColumns+` FROM claimed ORDER BY created_at, id`, now, lease.Milliseconds(), limit)
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

// queueSubjectMail queues the mail of kind (none when empty) to the subject of a request
// that came by mail, in the transaction of the change it reports; once per request and
// kind.
func queueSubjectMail(ctx context.Context, tx *sqlx.Tx, requestID, kind string) error {
	if kind == "" {
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
		ON CONFLICT (dedupe_key) DO NOTHING`, id, requestID, kind)
	if err != nil {
		return fmt.Errorf("queue the %s mail of request %s: %w", kind, requestID, err)
	}
	return nil
}
