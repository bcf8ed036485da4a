package chatstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"dsr/connectors"
	"dsr/internal/domain"
)

// receiptLockClass is the first key of the advisory locks taken on request ids; the
// two-key form keeps them apart from single-key locks such as the migration lock.
const receiptLockClass = 0x64737201 // "dsr" 1

// noteNotFound is the note of an outcome for a subject the chat store does not know.
const noteNotFound = "subject not found in the chat store for this tenant; nothing to do"

// action is the body of one mutating action: it runs inside the transaction, with the
// subject's rows locked, and fills out.
type action func(ctx context.Context, tx *sqlx.Tx, subj subject, out *domain.Outcome) error

// apply runs fn for req in one transaction that also writes the receipt of (req.ID, name).
// When a receipt already exists it returns the stored outcome, marked Replayed, and does
// nothing. The advisory lock on the request id makes a concurrent call with the same id wait
// and then find the receipt.
func (c *Connector) apply(ctx context.Context, req connectors.Request, name domain.RequestType, fn action) (domain.Outcome, error) {
	if strings.TrimSpace(req.ID) == "" {
		return domain.Outcome{}, fmt.Errorf("%s: request id is empty: %w", name, connectors.ErrInvalid)
	}
	if err := connectors.CheckSubject(req.Subject); err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s: %w", name, req.ID, err)
	}
	tx, err := c.db.BeginTxx(ctx, nil)
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s: begin: %w", name, req.ID, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit

	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, receiptLockClass, req.ID); err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s: lock request: %w", name, req.ID, err)
	}
	// The receipt and the transaction's clock, in one round trip.
	var stored []byte
	var now time.Time
	err = tx.QueryRowxContext(ctx, `SELECT (SELECT outcome FROM dsr_receipts WHERE request_id = $1 AND action = $2), now()`,
		req.ID, name).Scan(&stored, &now)
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s: read receipt: %w", name, req.ID, err)
	}
	if stored != nil {
		var out domain.Outcome
		if err := json.Unmarshal(stored, &out); err != nil {
			return domain.Outcome{}, fmt.Errorf("%s for request %s: decode stored receipt: %w", name, req.ID, err)
		}
		out.Replayed = true
		return out, nil
	}

	out := domain.Outcome{Connector: c.Name(), Action: name, Rows: map[string]int64{}, AppliedAt: now.UTC()}

	subj, err := resolve(ctx, tx, req.Subject, true)
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s: %w", name, req.ID, err)
	}
	if subj.found() {
		if err := fn(ctx, tx, subj, &out); err != nil {
			return domain.Outcome{}, fmt.Errorf("%s for request %s: %w", name, req.ID, err)
		}
	} else {
		out.Notes = append(out.Notes, noteNotFound)
	}

	body, err := json.Marshal(out)
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s: encode receipt: %w", name, req.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO dsr_receipts (request_id, action, outcome) VALUES ($1, $2, $3)`, req.ID, name, body); err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s: write receipt: %w", name, req.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s: commit: %w", name, req.ID, err)
	}
	return out, nil
}

// exec runs one set-based statement and returns how many rows it touched.
func exec(ctx context.Context, tx *sqlx.Tx, what, query string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: rows affected: %w", what, err)
	}
	return n, nil
}
