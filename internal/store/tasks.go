package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"dsr/internal/domain"
)

// ManualTask is a change a sub-processor without an API makes by hand.
type ManualTask struct {
	RequestID   string             `db:"request_id"`
	Recipient   string             `db:"recipient"`
	Action      domain.RequestType `db:"action"`
	SentAt      *time.Time         `db:"sent_at"`
	RemindedAt  *time.Time         `db:"reminded_at"`
	Reminders   int                `db:"reminders"`
	EscalatedAt *time.Time         `db:"escalated_at"`
	DoneAt      *time.Time         `db:"done_at"`
	DoneBy      *domain.Actor      `db:"done_by"`
	CreatedAt   time.Time          `db:"created_at"`
}

const taskColumns = `request_id, recipient, action, sent_at, reminded_at, reminders, escalated_at, done_at, done_by, created_at`

// OpenTask returns the request's task at a recipient, creating it the first time.
func (s *Store) OpenTask(ctx context.Context, requestID, recipient string, action domain.RequestType) (ManualTask, error) {
	var t ManualTask
	err := s.db.GetContext(ctx, &t, `
		INSERT INTO manual_tasks (request_id, recipient, action) VALUES ($1, $2, $3)
		ON CONFLICT (request_id, recipient) DO UPDATE SET action = manual_tasks.action
		RETURNING `+taskColumns, requestID, recipient, action)
	if err != nil {
		return ManualTask{}, fmt.Errorf("open task at %s: %w", recipient, err)
	}
	return t, nil
}

// Task returns the request's task at a recipient.
func (s *Store) Task(ctx context.Context, requestID, recipient string) (ManualTask, error) {
	var t ManualTask
	err := s.db.GetContext(ctx, &t, `SELECT `+taskColumns+` FROM manual_tasks WHERE request_id = $1 AND recipient = $2`, requestID, recipient)
	if errors.Is(err, sql.ErrNoRows) {
		return ManualTask{}, ErrNotFound
	}
	if err != nil {
		return ManualTask{}, fmt.Errorf("read task at %s: %w", recipient, err)
	}
	return t, nil
}

// TaskMailed records that the vendor was mailed: the first time (sent) or a reminder.
func (s *Store) TaskMailed(ctx context.Context, requestID, recipient string, reminder bool, at time.Time) error {
	q := `UPDATE manual_tasks SET sent_at = COALESCE(sent_at, $3) WHERE request_id = $1 AND recipient = $2`
	if reminder {
		q = `UPDATE manual_tasks SET reminded_at = $3, reminders = reminders + 1 WHERE request_id = $1 AND recipient = $2`
	}
	if _, err := s.db.ExecContext(ctx, q, requestID, recipient, at); err != nil {
		return fmt.Errorf("record mail to %s: %w", recipient, err)
	}
	return nil
}

// TaskEscalated records that the DPO was told the task would overrun, once; it reports
// whether this call did.
func (s *Store) TaskEscalated(ctx context.Context, requestID, recipient string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE manual_tasks SET escalated_at = now() WHERE request_id = $1 AND recipient = $2 AND escalated_at IS NULL`,
		requestID, recipient)
	if err != nil {
		return false, fmt.Errorf("record escalation at %s: %w", recipient, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CloseTask marks the request's task at a recipient done by who, unless it is done
// already, and records the event that event makes of it, in one transaction: closed says
// whether this call closed the task, doneBy who closed it (now or before); a nil change
// records nothing. It reports whether this call closed the task.
func (s *Store) CloseTask(ctx context.Context, requestID, recipient string, by domain.Actor,
	event func(closed bool, doneBy domain.Actor) *domain.Change) (bool, error) {
	var closed bool
	err := s.inRecordTx(ctx, func(tx *sqlx.Tx, queued *[]string) error {
		res, err := tx.ExecContext(ctx, `UPDATE manual_tasks SET done_at = now(), done_by = $3
			WHERE request_id = $1 AND recipient = $2 AND done_at IS NULL`, requestID, recipient, by)
		if err != nil {
			return fmt.Errorf("mark the task done: %w", err)
		}
		n, _ := res.RowsAffected()
		closed = n == 1
		var doneBy *domain.Actor
		if err := tx.GetContext(ctx, &doneBy, `SELECT done_by FROM manual_tasks WHERE request_id = $1 AND recipient = $2`,
			requestID, recipient); errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("read the task: %w", err)
		}
		var who domain.Actor
		if doneBy != nil {
			who = *doneBy
		}
		c := event(closed, who)
		if c == nil {
			return nil
		}
		_, err = recordTx(ctx, tx, *c, queued)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("close the task of request %s at %s: %w", requestID, recipient, err)
	}
	return closed, nil
}

// OpenTasksOf returns the open tasks at a recipient.
func (s *Store) OpenTasksOf(ctx context.Context, recipient string) ([]ManualTask, error) {
	var ts []ManualTask
	if err := s.db.SelectContext(ctx, &ts, `SELECT `+taskColumns+` FROM manual_tasks WHERE recipient = $1 AND done_at IS NULL`, recipient); err != nil {
		return nil, fmt.Errorf("list tasks at %s: %w", recipient, err)
	}
	return ts, nil
}
