package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is a signed-in browser of the dashboard, with its user. The cookie's token is
// not stored: the session is found by the token's hash.
type Session struct {
	User User
	// CSRFToken is the token every form of the session posts back.
	CSRFToken string
	// CreatedAt, LastSeenAt and ExpiresAt are when it began, was last used and ends.
	CreatedAt, LastSeenAt, ExpiresAt time.Time
	// FlashKind and FlashMessage are the notice for the next page; empty when none.
	FlashKind, FlashMessage string
	// Pending is what the session still waits for before it is signed in
	// (PendingCode, PendingEnrol); empty when signed in.
	Pending string
}

// What a session may wait for after the password: the second factor's code, or its set-up.
const (
	PendingCode  = "code"
	PendingEnrol = "enrol"
)

// CreatePendingSession adds a session that waits for pending (PendingCode or
// PendingEnrol) before it is signed in.
func (s *Store) CreatePendingSession(ctx context.Context, idHash []byte, userID, csrfToken, pending string, at, expiresAt time.Time) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO dashboard_sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, pending)
		VALUES ($1, $2, $3, $4, $4, $5, $6)`, idHash, userID, csrfToken, at, expiresAt, pending)
	if err != nil {
		return fmt.Errorf("create pending session of user %s: %w", userID, err)
	}
	return nil
}

// CreateSession adds a session of the user under the token's hash, begun and last used
// at at.
func (s *Store) CreateSession(ctx context.Context, idHash []byte, userID, csrfToken string, at, expiresAt time.Time) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO dashboard_sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $4, $5)`, idHash, userID, csrfToken, at, expiresAt)
	if err != nil {
		return fmt.Errorf("create session of user %s: %w", userID, err)
	}
	return nil
}

// LiveSession returns the session with the hash if it ends after now, was last used
// after seenAfter and its user is not disabled; ErrNotFound otherwise.
func (s *Store) LiveSession(ctx context.Context, idHash []byte, now, seenAfter time.Time) (Session, error) {
	var row struct {
		User
		CSRFToken    string    `db:"csrf_token"`
		SCreatedAt   time.Time `db:"s_created_at"`
		LastSeenAt   time.Time `db:"last_seen_at"`
		ExpiresAt    time.Time `db:"expires_at"`
		FlashKind    string    `db:"flash_kind"`
		FlashMessage string    `db:"flash_message"`
		Pending      string    `db:"pending"`
	}
	err := s.db.GetContext(ctx, &row, `
		SELECT u.id, u.email, u.role, u.created_at, u.created_by, u.last_login_at, u.disabled_at, u.totp_enabled_at,
			s.csrf_token, s.created_at AS s_created_at, s.last_seen_at, s.expires_at,
			COALESCE(s.flash_kind, '') AS flash_kind, COALESCE(s.flash_message, '') AS flash_message,
			COALESCE(s.pending, '') AS pending
		FROM dashboard_sessions s JOIN dashboard_users u ON u.id = s.user_id
		WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND u.disabled_at IS NULL`,
		idHash, now, seenAfter)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	return Session{User: row.User, CSRFToken: row.CSRFToken, CreatedAt: row.SCreatedAt, LastSeenAt: row.LastSeenAt,
		ExpiresAt: row.ExpiresAt, FlashKind: row.FlashKind, FlashMessage: row.FlashMessage, Pending: row.Pending}, nil
}

// TouchSession notes that the session was used at at; ErrNotFound when there is no such
// session.
func (s *Store) TouchSession(ctx context.Context, idHash []byte, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE dashboard_sessions SET last_seen_at = $2 WHERE id_hash = $1`, idHash, at)
	if err != nil {
		return fmt.Errorf("note use of session: %w", err)
	}
	return requireRow(res, "note use of session")
}

// DeleteSession removes the session; ErrNotFound when there is no such session.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE id_hash = $1`, idHash)
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return requireRow(res, "delete session")
}

// SetSessionFlash keeps a notice for the session's next page; ErrNotFound when there is
// no such session.
func (s *Store) SetSessionFlash(ctx context.Context, idHash []byte, kind, message string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE dashboard_sessions SET flash_kind = $2, flash_message = $3 WHERE id_hash = $1`,
		idHash, kind, message)
	if err != nil {
		return fmt.Errorf("set notice of session: %w", err)
	}
	return requireRow(res, "set notice of session")
}

// ClearSessionFlash removes the session's notice. A session without one, or no session,
// is left as it is: that is not an error.
func (s *Store) ClearSessionFlash(ctx context.Context, idHash []byte) error {
	_, err := s.db.ExecContext(ctx, `UPDATE dashboard_sessions SET flash_kind = NULL, flash_message = NULL
		WHERE id_hash = $1 AND flash_message IS NOT NULL`, idHash)
	if err != nil {
		return fmt.Errorf("clear notice of session: %w", err)
	}
	return nil
}

// DeleteEndedSessions removes the sessions that end by endedBy or were last used by
// seenBy.
func (s *Store) DeleteEndedSessions(ctx context.Context, endedBy, seenBy time.Time) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE expires_at <= $1 OR last_seen_at <= $2`, endedBy, seenBy)
	if err != nil {
		return fmt.Errorf("delete ended sessions: %w", err)
	}
	return nil
}
