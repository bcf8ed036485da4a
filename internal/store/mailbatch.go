package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dsr/internal/domain"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Taking is one mail of a batch taken from the mailbox: the mail, the case it opens (if
// any) with the mail that case queues, and the requests routing made for the case.
type Taking struct {
	Mail Mail
	// Case, when set, is opened already routed: Requests are all its requests (none when
	// no controller holds the subject's data).
	Case     *Case
	Out      []Outgoing
	Requests []NewRequest
}

// maxParams is PostgreSQL's limit on the parameters of one statement.
const maxParams = 65535

// TakeMails records a batch of mails with their cases, queued mail, requests and the links
// between cases and requests, in one transaction. A mail whose key was recorded before
// (by another take, or earlier in the batch) is left out with all that hangs on it: its
// index is in earlier. It returns the requests it made, whose workflows are still to start.
// An error of the batch's data (a constraint it breaks) is IsConflict.
func (s *Store) TakeMails(ctx context.Context, batch []Taking) (made []Request, earlier []int, err error) {
	if len(batch) == 0 {
		return nil, nil, nil
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("take mails: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit

	rows := make([][]any, 0, len(batch))
	for i := range batch {
		m := &batch[i].Mail
		if m.ID == "" {
			if m.ID, err = NewID(); err != nil {
				return nil, nil, err
			}
		}
		if len(m.Attachments) == 0 {
			m.Attachments = JSON("[]")
		}
		m.Reasons = orEmpty(m.Reasons)
		if c := batch[i].Case; c != nil {
			m.CaseID = &c.ID
			c.MessageID = m.ID
		}
		rows = append(rows, []any{m.ID, m.MessageKey, m.Size, m.SHA256, m.RawSealed, m.Folder, m.Kind, m.Language,
			m.Types, m.Confidence, m.Reasons, m.Note, m.CaseID, m.Attachments})
	}
	// By id, not key: of two mails of the batch with one Message-ID (a mail delivered to
	// two aliases), only the first is recorded.
	recorded := map[string]bool{}
	err = insertValues(ctx, tx, `INSERT INTO mail_messages (id, message_key, size, sha256, raw_sealed, folder, kind,
		language, types, confidence, reasons, note, case_id, attachments)`,
		`ON CONFLICT (message_key) DO NOTHING RETURNING id`, rows, func(r *sqlx.Rows) error {
			var id string
			if err := r.Scan(&id); err != nil {
				return err
			}
			recorded[id] = true
			return nil
		})
	if err != nil {
		return nil, nil, fmt.Errorf("take mails: %w", err)
	}

	now := time.Now()
	var cases, out, reqs [][]any
	caseOf := map[string]string{}
	for i, t := range batch {
		if !recorded[t.Mail.ID] {
			earlier = append(earlier, i)
			continue
		}
		if c := t.Case; c != nil {
			cases = append(cases, []any{c.ID, c.MessageID, c.Reference, c.SubjectEmail, c.Language, c.Types,
				c.ReceivedAt, c.TokenHash, c.CodeHash, c.ExpiresAt, now})
			for _, n := range t.Requests {
				id, err := NewID()
				if err != nil {
					return nil, nil, err
				}
				reqs = append(reqs, []any{id, n.TenantID, n.Type, domain.StatusReceived, n.Source, n.SubjectEmail, n.Params,
					nullText(n.Reference), nullText(n.IdempotencyKey), nullText(n.RequestHash), n.ReceivedAt,
					n.ClockStartedAt, nullDate(n.TargetDue), nullDate(n.LegalDue), nullDate(n.ExtendedDue)})
				caseOf[n.TenantID+"\x00"+n.IdempotencyKey] = c.ID
			}
		}
		for _, o := range t.Out {
			if o.ID == "" {
				if o.ID, err = NewID(); err != nil {
					return nil, nil, err
				}
			}
			if len(o.Data) == 0 {
				o.Data = JSON("{}")
			}
			out = append(out, []any{o.ID, o.DedupeKey, o.CaseID, o.RequestID, o.Kind, o.Language, o.Recipient, o.Data, o.SecretsSealed})
		}
	}
	if err := insertValues(ctx, tx, `INSERT INTO mail_cases (id, message_id, reference, subject_email, language, types,
		received_at, token_hash, code_hash, expires_at, routed_at)`, ``, cases, nil); err != nil {
		return nil, nil, fmt.Errorf("take mails: open cases: %w", err)
	}
	if err := insertValues(ctx, tx, `INSERT INTO mail_outbox (id, dedupe_key, case_id, request_id, kind, language,
		recipient, data, secrets_sealed)`, `ON CONFLICT (dedupe_key) DO NOTHING`, out, nil); err != nil {
		return nil, nil, fmt.Errorf("take mails: queue mail: %w", err)
	}
	err = insertValues(ctx, tx, `INSERT INTO requests (id, tenant_id, type, status, source, subject_email, params, reference,
		idempotency_key, request_hash, received_at, clock_started_at, target_due, legal_due, extended_due)`,
		`ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING `+requestColumns,
		reqs, func(r *sqlx.Rows) error {
			var req Request
			if err := r.StructScan(&req); err != nil {
				return err
			}
			made = append(made, req)
			return nil
		})
	if err != nil {
		return nil, nil, fmt.Errorf("take mails: make requests: %w", err)
	}
	if len(made) != len(reqs) {
		// Idempotency keys name the case, which is new: nothing can have used them.
		return nil, nil, fmt.Errorf("take mails: %d of %d requests made: idempotency keys reused", len(made), len(reqs))
	}
	links := make([][]any, 0, len(made))
	for _, req := range made {
		key := ""
		if req.IdempotencyKey != nil {
			key = *req.IdempotencyKey
		}
		links = append(links, []any{caseOf[req.TenantID+"\x00"+key], req.ID})
	}
	if err := insertValues(ctx, tx, `INSERT INTO mail_case_requests (case_id, request_id)`, ``, links, nil); err != nil {
		return nil, nil, fmt.Errorf("take mails: link cases to requests: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("take mails: commit: %w", err)
	}
	return made, earlier, nil
}

// orEmpty stores a nil text array as an empty one (the columns are NOT NULL).
func orEmpty(a pq.StringArray) pq.StringArray {
	if a == nil {
		return pq.StringArray{}
	}
	return a
}

// IsConflict says whether err is PostgreSQL refusing the data for a constraint (unique,
// foreign key, check, not null): taking the same data again fails the same way.
func IsConflict(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code.Class() == "23"
}

// nullText stores an empty text as NULL.
func nullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// insertValues runs head VALUES (...), (...) tail for rows, as few statements as the
// parameter limit allows; each is called for every row a RETURNING tail returns.
func insertValues(ctx context.Context, tx *sqlx.Tx, head, tail string, rows [][]any, each func(*sqlx.Rows) error) error {
	if len(rows) == 0 {
		return nil
	}
	cols := len(rows[0])
	per := maxParams / cols
	for len(rows) > 0 {
		chunk := rows[:min(per, len(rows))]
		rows = rows[len(chunk):]
		var q strings.Builder
		q.WriteString(head)
		q.WriteString(" VALUES ")
		args := make([]any, 0, len(chunk)*cols)
		for i, row := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for j := range row {
				if j > 0 {
					q.WriteString(", ")
				}
				q.WriteByte('$')
				q.WriteString(strconv.Itoa(len(args) + j + 1))
			}
			q.WriteByte(')')
			args = append(args, row...)
		}
		q.WriteByte(' ')
		q.WriteString(tail)
		if each == nil {
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return err
			}
			continue
		}
		r, err := tx.QueryxContext(ctx, q.String(), args...)
		if err != nil {
			return err
		}
		for r.Next() {
			if err := each(r); err != nil {
				r.Close()
				return err
			}
		}
		if err := r.Close(); err != nil {
			return err
		}
		if err := r.Err(); err != nil {
			return err
		}
	}
	return nil
}
