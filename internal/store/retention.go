package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"dsr/internal/domain"
)

// MinimisedPrefix starts a subject's email once it is replaced by its keyed hash after the
// retention period: "hmac-sha256:" and 64 hex digits. It never parses as an address.
const MinimisedPrefix = "hmac-sha256:"

// IsMinimised reports whether email is a keyed hash that replaced an address.
func IsMinimised(email string) bool { return strings.HasPrefix(email, MinimisedPrefix) }

// MinimiseDedupeKey keys the one minimised event of a request.
const MinimiseDedupeKey = "retention:minimised"

// SubjectHasher is the installation's keyed hash of a subject's email under a tenant (""
// for a mail case, which belongs to no tenant), as hex.
type SubjectHasher func(tenantID, email string) string

// Minimisation is what a retention run does, or would do, to each table: the rows whose
// subject identifiers it replaced by keyed hashes (requests, mail cases, mails to
// subjects) and the kept mails it deleted.
type Minimisation struct {
	Requests int `json:"requests"`
	Cases    int `json:"mail_cases"`
	Outbox   int `json:"mail_outbox"`
	Mails    int `json:"mail_messages"`
}

// Total is the number of rows changed.
func (m Minimisation) Total() int { return m.Requests + m.Cases + m.Outbox + m.Mails }

// MinimiseOptions configure a retention run.
type MinimiseOptions struct {
	// Before is the end of retention: requests final, cases ended and caseless mails
	// taken before it are minimised.
	Before time.Time
	// Hash is the keyed hash of subjects (the suppression list's).
	Hash SubjectHasher
	// Batch bounds the rows of one table changed per transaction (default 500).
	Batch int
	// Progress, when set, hears the counts so far after each batch.
	Progress func(Minimisation)
}

// The rows a run picks, as SQL conditions ($1 the final statuses, $2 the end of
// retention). A request is due once final before the end of retention; a mail case once
// ended before it (closed, or routed to requests, a case routed to none being still owed
// its answer until closed), with every request it led to minimised or due; a mail to a subject once its request and its case are minimised or
// due; a kept mail once its case is, or, with no case, once taken before the end of
// retention. A run goes table after table in that order, so that what it finds due in a
// later table is what a dry run counts.
const requestDue = `(r.minimised_at IS NULL AND r.status = ANY($1::text[]) AND coalesce(r.completed_at < $2, false))`

var (
	caseDue = `(c.minimised_at IS NULL AND coalesce(coalesce(c.closed_at, c.routed_at) < $2, false)
		AND (c.closed_at IS NOT NULL OR EXISTS (SELECT 1 FROM mail_case_requests l WHERE l.case_id = c.id))
		AND NOT EXISTS (SELECT 1 FROM mail_case_requests l JOIN requests r ON r.id = l.request_id
			WHERE l.case_id = c.id AND r.minimised_at IS NULL AND NOT ` + requestDue + `))`
	outboxDue = `(o.minimised_at IS NULL AND (o.request_id IS NOT NULL OR o.case_id IS NOT NULL)
		AND (o.request_id IS NULL OR EXISTS (SELECT 1 FROM requests r WHERE r.id = o.request_id
			AND (r.minimised_at IS NOT NULL OR ` + requestDue + `)))
		AND (o.case_id IS NULL OR EXISTS (SELECT 1 FROM mail_cases c WHERE c.id = o.case_id
			AND (c.minimised_at IS NOT NULL OR ` + caseDue + `))))`
	mailDue = `(m.minimised_at IS NULL AND CASE WHEN m.case_id IS NULL THEN coalesce(m.taken_at < $2, false)
		ELSE EXISTS (SELECT 1 FROM mail_cases c WHERE c.id = m.case_id AND (c.minimised_at IS NOT NULL OR ` + caseDue + `)) END)`
)

// MinimisationDue counts what Minimise would change with that end of retention, changing
// nothing.
func (s *Store) MinimisationDue(ctx context.Context, before time.Time) (Minimisation, error) {
	var m Minimisation
	err := s.db.QueryRowxContext(ctx, `SELECT
		(SELECT count(*) FROM requests r WHERE `+requestDue+`),
		(SELECT count(*) FROM mail_cases c WHERE `+caseDue+`),
		(SELECT count(*) FROM mail_outbox o WHERE `+outboxDue+`),
		(SELECT count(*) FROM mail_messages m WHERE `+mailDue+`)`,
		finalStatuses(), before).Scan(&m.Requests, &m.Cases, &m.Outbox, &m.Mails)
	if err != nil {
		return m, fmt.Errorf("count what retention would minimise: %w", err)
	}
	return m, nil
}

// Minimise applies data minimisation to dsr's own record of what the retention period is
// over for (see the conditions above), in batches, each its own transaction:
//   - requests: the subject's email becomes MinimisedPrefix and its keyed hash (the same
//     hash as the suppression list's, under the request's tenant); rectification values
//     are emptied (the field names stay); the fingerprint of the submitted body, which
//     hashed the email without a key, is dropped; each gets a minimised event, chained
//     in the audit trail like any other;
//   - mail cases: the same, hashed under no tenant;
//   - mails to subjects: the recipient hashed like its request (or case), the data the
//     mail was written from and its sealed secrets deleted, and it is never sent;
//   - kept mails: the sealed raw mail and the digests of its attachments deleted.
//
// Rows already minimised are not picked again: a second run changes nothing. It returns
// the rows changed per table.
func (s *Store) Minimise(ctx context.Context, o MinimiseOptions) (Minimisation, error) {
	var done Minimisation
	if o.Hash == nil {
		return done, errors.New("minimise: no subject hash")
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	steps := []struct {
		what  string
		count *int
		step  func(context.Context, MinimiseOptions) (int, error)
	}{
		{"requests", &done.Requests, s.minimiseRequests},
		{"mail cases", &done.Cases, s.minimiseCases},
		{"mail outbox", &done.Outbox, s.minimiseOutbox},
		{"mail messages", &done.Mails, s.minimiseMails},
	}
	for _, st := range steps {
		for {
			n, err := st.step(ctx, o)
			if err != nil {
				return done, fmt.Errorf("minimise %s: %w", st.what, err)
			}
			*st.count += n
			if o.Progress != nil && n > 0 {
				o.Progress(done)
			}
			if n < o.Batch {
				break
			}
		}
	}
	return done, nil
}

// subjectRow is a row whose subject is to be hashed.
type subjectRow struct {
	ID       string `db:"id"`
	TenantID string `db:"tenant_id"`
	Email    string `db:"email"`
}

// hashed returns the rows' ids and the values that replace their emails.
func hashed(rows []subjectRow, hash SubjectHasher) (ids, values []string) {
	for _, r := range rows {
		ids = append(ids, r.ID)
		values = append(values, MinimisedPrefix+hash(r.TenantID, r.Email))
	}
	return ids, values
}

// minimiseRequests minimises one batch of due requests and records, in the same
// transaction and under the audit chain's lock, a minimised event on each.
func (s *Store) minimiseRequests(ctx context.Context, o MinimiseOptions) (int, error) {
	var n int
	err := s.recordLocked(ctx, func(tx *sqlx.Tx, _ *[]string) error {
		var rows []subjectRow
		err := tx.SelectContext(ctx, &rows, `SELECT r.id, r.tenant_id, r.subject_email AS email FROM requests r
			WHERE `+requestDue+` ORDER BY r.completed_at, r.id LIMIT $3 FOR UPDATE SKIP LOCKED`,
			finalStatuses(), o.Before, o.Batch)
		if err != nil || len(rows) == 0 {
			return err
		}
		ids, values := hashed(rows, o.Hash)
		res, err := tx.ExecContext(ctx, `UPDATE requests r SET
				subject_email = v.subject,
				params = CASE WHEN jsonb_typeof(r.params->'rectification') = 'object'
					THEN jsonb_set(r.params, '{rectification}', (SELECT coalesce(jsonb_object_agg(k, ''), '{}'::jsonb)
						FROM jsonb_object_keys(r.params->'rectification') AS k))
					ELSE r.params END,
				request_hash = NULL,
				minimised_at = now()
			FROM unnest($1::uuid[], $2::text[]) AS v(id, subject)
			WHERE r.id = v.id`, pq.Array(ids), pq.Array(values))
		if err != nil {
			return err
		}
		if n, err = affectedRows(res); err != nil {
			return err
		}
		return appendMinimisedEvents(ctx, tx, ids, o.Before)
	}, new([]string))
	return n, err
}

// appendMinimisedEvents appends a minimised event to each request, chained in the order
// given, with one insert.
func appendMinimisedEvents(ctx context.Context, tx *sqlx.Tx, ids []string, before time.Time) error {
	detail, err := json.Marshal(map[string]string{"final_before": before.UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	var normal string
	if err := tx.GetContext(ctx, &normal, `SELECT $1::jsonb::text`, detail); err != nil {
		return fmt.Errorf("normalise detail: %w", err)
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	evs := make([]Event, len(ids))
	for i, id := range ids {
		evs[i] = Event{RequestID: id, At: at, Kind: domain.EventMinimised, Actor: domain.ActorSystem,
			Message: minimisedMessage, Detail: JSON(normal), DedupeKey: MinimiseDedupeKey}
	}
	if err := chain(ctx, tx, evs); err != nil {
		return err
	}
	chains := make([][]byte, len(evs))
	globals := make([][]byte, len(evs))
	for i, ev := range evs {
		chains[i], globals[i] = ev.ChainHash, ev.GlobalHash
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO request_events (request_id, at, kind, actor, message, detail, dedupe_key, chain_hash, global_hash)
		SELECT v.id, $2, $3, $4, $5, $6::jsonb, $7, v.chain, v.global
		FROM unnest($1::uuid[], $8::bytea[], $9::bytea[]) WITH ORDINALITY AS v(id, chain, global, n)
		ORDER BY v.n`,
		pq.Array(ids), at, domain.EventMinimised, domain.ActorSystem, minimisedMessage, normal, MinimiseDedupeKey,
		pq.ByteaArray(chains), pq.ByteaArray(globals))
	if err != nil {
		return fmt.Errorf("append minimised events: %w", err)
	}
	return nil
}

// minimisedMessage is the message of the minimised event.
const minimisedMessage = "retention period over: the subject's identifiers in dsr's record were replaced by a keyed hash and the mail kept was deleted"

// minimiseCases minimises one batch of due mail cases.
func (s *Store) minimiseCases(ctx context.Context, o MinimiseOptions) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var rows []subjectRow
		err := tx.SelectContext(ctx, &rows, `SELECT c.id, '' AS tenant_id, c.subject_email AS email FROM mail_cases c
			WHERE `+caseDue+` ORDER BY c.id LIMIT $3 FOR UPDATE OF c SKIP LOCKED`, finalStatuses(), o.Before, o.Batch)
		if err != nil || len(rows) == 0 {
			return err
		}
		ids, values := hashed(rows, o.Hash)
		res, err := tx.ExecContext(ctx, `UPDATE mail_cases c SET subject_email = v.subject, minimised_at = now()
			FROM unnest($1::uuid[], $2::text[]) AS v(id, subject) WHERE c.id = v.id`, pq.Array(ids), pq.Array(values))
		if err != nil {
			return err
		}
		n, err = affectedRows(res)
		return err
	})
	return n, err
}

// minimiseOutbox minimises one batch of mails to subjects whose request and case are
// minimised; the recipient is hashed under the request's tenant, or under none.
func (s *Store) minimiseOutbox(ctx context.Context, o MinimiseOptions) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var rows []subjectRow
		err := tx.SelectContext(ctx, &rows, `SELECT o.id, coalesce((SELECT r.tenant_id::text FROM requests r WHERE r.id = o.request_id), '') AS tenant_id,
				o.recipient AS email
			FROM mail_outbox o WHERE `+outboxDue+` ORDER BY o.id LIMIT $3 FOR UPDATE OF o SKIP LOCKED`,
			finalStatuses(), o.Before, o.Batch)
		if err != nil || len(rows) == 0 {
			return err
		}
		ids, values := hashed(rows, o.Hash)
		res, err := tx.ExecContext(ctx, `UPDATE mail_outbox o SET recipient = v.subject, data = '{}', secrets_sealed = NULL,
				last_error = NULL, minimised_at = now()
			FROM unnest($1::uuid[], $2::text[]) AS v(id, subject) WHERE o.id = v.id`, pq.Array(ids), pq.Array(values))
		if err != nil {
			return err
		}
		n, err = affectedRows(res)
		return err
	})
	return n, err
}

// minimiseMails deletes, in one batch, the sealed raw mail and attachment digests of the
// kept mails that are due.
func (s *Store) minimiseMails(ctx context.Context, o MinimiseOptions) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE mail_messages SET raw_sealed = NULL, attachments = '[]', minimised_at = now()
		WHERE id IN (SELECT m.id FROM mail_messages m WHERE `+mailDue+` ORDER BY m.id LIMIT $3 FOR UPDATE OF m SKIP LOCKED)`,
		finalStatuses(), o.Before, o.Batch)
	if err != nil {
		return 0, err
	}
	return affectedRows(res)
}

// affectedRows is how many rows a statement changed.
func affectedRows(res sql.Result) (int, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("rows affected: %w", err)
	}
	return int(n), nil
}
