package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// UserSecondFactor returns the user's sealed TOTP secret (nil without one), the sealed
// secret being set up (nil when none) and the time step of the last code accepted;
// ErrNotFound when there is no such user.
func (s *Store) UserSecondFactor(ctx context.Context, userID string) (sealed, pending []byte, lastStep int64, err error) {
	var row struct {
		Sealed   []byte `db:"totp_sealed"`
		Pending  []byte `db:"totp_pending_sealed"`
		LastStep int64  `db:"totp_last_step"`
	}
	err = s.db.GetContext(ctx, &row, `SELECT totp_sealed, totp_pending_sealed, totp_last_step FROM dashboard_users WHERE id = $1`, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("read second factor of user %s: %w", userID, err)
	}
	return row.Sealed, row.Pending, row.LastStep, nil
}

// SetPendingSecondFactor keeps a sealed TOTP secret being set up for the user, replacing
// any other being set up; ErrNotFound when there is no such user.
func (s *Store) SetPendingSecondFactor(ctx context.Context, userID string, sealed []byte) error {
	res, err := s.db.ExecContext(ctx, `UPDATE dashboard_users SET totp_pending_sealed = $2 WHERE id = $1`, userID, sealed)
	if err != nil {
		return fmt.Errorf("keep second factor being set up for user %s: %w", userID, err)
	}
	return requireRow(res, "keep second factor being set up")
}

// EnableSecondFactor makes the secret being set up the user's second factor, as of at,
// with step as the last accepted time step, and replaces the user's recovery codes by
// codeHashes, in one transaction. It returns ErrNotFound when the user has no secret being
// set up equal to pending (another set-up replaced it meanwhile).
func (s *Store) EnableSecondFactor(ctx context.Context, userID string, pending []byte, step int64, codeHashes [][]byte, at time.Time) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE dashboard_users SET totp_sealed = totp_pending_sealed, totp_pending_sealed = NULL,
				totp_enabled_at = $3, totp_last_step = $4
			WHERE id = $1 AND totp_pending_sealed = $2`, userID, pending, at, step)
		if err != nil {
			return fmt.Errorf("enable second factor of user %s: %w", userID, err)
		}
		if err := requireRow(res, "enable second factor"); err != nil {
			return err
		}
		return replaceRecoveryCodes(ctx, tx, userID, codeHashes)
	})
}

// ReplaceRecoveryCodes makes codeHashes the user's only recovery codes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, codeHashes [][]byte) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return replaceRecoveryCodes(ctx, tx, userID, codeHashes) })
}

func replaceRecoveryCodes(ctx context.Context, tx *sqlx.Tx, userID string, codeHashes [][]byte) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM dashboard_recovery_codes WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("remove recovery codes of user %s: %w", userID, err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO dashboard_recovery_codes (user_id, code_hash)
		SELECT $1, h FROM unnest($2::bytea[]) AS h`, userID, pq.ByteaArray(codeHashes)); err != nil {
		return fmt.Errorf("store recovery codes of user %s: %w", userID, err)
	}
	return nil
}

// AcceptTOTPStep notes step as the last time step accepted for the user, if it is later
// than the last one: it reports false when a code of that step or a later one was already
// accepted, so that each code signs in once, even from two browsers at the same moment.
func (s *Store) AcceptTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE dashboard_users SET totp_last_step = $2
		WHERE id = $1 AND totp_last_step < $2 AND totp_sealed IS NOT NULL`, userID, step)
	if err != nil {
		return false, fmt.Errorf("accept code of user %s: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("accept code of user %s: %w", userID, err)
	}
	return n == 1, nil
}

// UseRecoveryCode marks the user's unused recovery code with the hash as used at at; it
// reports false when there is no such unused code.
func (s *Store) UseRecoveryCode(ctx context.Context, userID string, codeHash []byte, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE dashboard_recovery_codes SET used_at = $3
		WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, userID, codeHash, at)
	if err != nil {
		return false, fmt.Errorf("use recovery code of user %s: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use recovery code of user %s: %w", userID, err)
	}
	return n == 1, nil
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM dashboard_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID); err != nil {
		return 0, fmt.Errorf("count recovery codes of user %s: %w", userID, err)
	}
	return n, nil
}

// RemoveSecondFactor removes the user's second factor, the one being set up and the
// recovery codes, and ends the user's sessions other than the one with keepSession's hash
// (nil ends them all); ErrNotFound when there is no such user.
func (s *Store) RemoveSecondFactor(ctx context.Context, userID string, keepSession []byte) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE dashboard_users SET totp_sealed = NULL, totp_pending_sealed = NULL,
			totp_enabled_at = NULL WHERE id = $1`, userID)
		if err != nil {
			return fmt.Errorf("remove second factor of user %s: %w", userID, err)
		}
		if err := requireRow(res, "remove second factor"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM dashboard_recovery_codes WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("remove recovery codes of user %s: %w", userID, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE user_id = $1 AND id_hash IS DISTINCT FROM $2`,
			userID, keepSession); err != nil {
			return fmt.Errorf("end sessions of user %s: %w", userID, err)
		}
		return nil
	})
}
