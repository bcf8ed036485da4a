package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"dsr/internal/domain"

	"github.com/lib/pq"
)

// Mailbox folders, under "dsr/" in the mailbox.
const (
	FolderProcessed  = "processed"
	FolderTriage     = "triage"
	FolderQuarantine = "quarantine"
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
