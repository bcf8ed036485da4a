package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// Policy says how long sessions last.
type Policy struct {
	// Idle ends a session not used for this long.
	Idle time.Duration
	// Max ends a session this long after sign-in, used or not.
	Max time.Duration
}

// DefaultPolicy ends a session after 12 hours without use, and after 7 days in any case.
var DefaultPolicy = Policy{Idle: 12 * time.Hour, Max: 7 * 24 * time.Hour}

// touchEvery is how stale last_seen_at may get before a request writes it again: a page
// view need not write a row.
const touchEvery = time.Minute

// Session is a signed-in browser.
type Session struct {
	// User is who signed in.
	User User
	// CSRFToken is the token every form of this session posts back.
	CSRFToken string
	// CreatedAt, LastSeenAt and ExpiresAt are when it began, was last used and ends.
	CreatedAt, LastSeenAt, ExpiresAt time.Time
	// FlashKind ("ok" or "error") and FlashMessage are the notice to show once.
	FlashKind, FlashMessage string
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// StartSession signs the user in: it returns the token for the cookie (shown once; only
// its hash is kept) and the session. It also removes the sessions that expired.
func (s *Store) StartSession(ctx context.Context, u User, p Policy, now time.Time) (string, Session, error) {
	token, err := randomToken()
	if err != nil {
		return "", Session{}, fmt.Errorf("start session: %w", err)
	}
	csrf, err := randomToken()
	if err != nil {
		return "", Session{}, fmt.Errorf("start session: %w", err)
	}
	if err := s.PurgeSessions(ctx, p, now); err != nil {
		return "", Session{}, err
	}
	sess := Session{User: u, CSRFToken: csrf, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(p.Max)}
	_, err = s.db.ExecContext(ctx, `
		INSERT INTO dashboard_sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $4, $5)`, tokenHash(token), u.ID, csrf, now, sess.ExpiresAt)
	if err != nil {
		return "", Session{}, fmt.Errorf("start session of user %s: %w", u.ID, err)
	}
	return token, sess, nil
}

// Session returns the live session of the token: not idle longer than p.Idle, not past
// its end, its user not disabled; ErrNotFound otherwise. It notes the use.
func (s *Store) Session(ctx context.Context, token string, p Policy, now time.Time) (Session, error) {
	if token == "" {
		return Session{}, ErrNotFound
	}
	var row struct {
		User
		CSRFToken    string    `db:"csrf_token"`
		SCreatedAt   time.Time `db:"s_created_at"`
		LastSeenAt   time.Time `db:"last_seen_at"`
		ExpiresAt    time.Time `db:"expires_at"`
		FlashKind    string    `db:"flash_kind"`
		FlashMessage string    `db:"flash_message"`
	}
	hash := tokenHash(token)
	err := s.db.GetContext(ctx, &row, `
		SELECT u.id, u.email, u.role, u.created_at, u.created_by, u.last_login_at, u.disabled_at,
			s.csrf_token, s.created_at AS s_created_at, s.last_seen_at, s.expires_at,
			COALESCE(s.flash_kind, '') AS flash_kind, COALESCE(s.flash_message, '') AS flash_message
		FROM dashboard_sessions s JOIN dashboard_users u ON u.id = s.user_id
		WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND u.disabled_at IS NULL`,
		hash, now, now.Add(-p.Idle))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	sess := Session{User: row.User, CSRFToken: row.CSRFToken, CreatedAt: row.SCreatedAt, LastSeenAt: row.LastSeenAt,
		ExpiresAt: row.ExpiresAt, FlashKind: row.FlashKind, FlashMessage: row.FlashMessage}
	if now.Sub(row.LastSeenAt) >= touchEvery {
		if _, err := s.db.ExecContext(ctx, `UPDATE dashboard_sessions SET last_seen_at = $2 WHERE id_hash = $1`, hash, now); err != nil {
			return Session{}, fmt.Errorf("note use of session of user %s: %w", row.ID, err)
		}
		sess.LastSeenAt = now
	}
	return sess, nil
}

// EndSession signs the token's session out; an unknown token is not an error.
func (s *Store) EndSession(ctx context.Context, token string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE id_hash = $1`, tokenHash(token)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// SetFlash keeps a notice for the session's next page; kind is "ok" or "error".
func (s *Store) SetFlash(ctx context.Context, token, kind, message string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE dashboard_sessions SET flash_kind = $2, flash_message = $3 WHERE id_hash = $1`,
		tokenHash(token), kind, message)
	if err != nil {
		return fmt.Errorf("set notice of session: %w", err)
	}
	return nil
}

// ClearFlash removes the session's notice once a page showed it.
func (s *Store) ClearFlash(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE dashboard_sessions SET flash_kind = NULL, flash_message = NULL
		WHERE id_hash = $1 AND flash_message IS NOT NULL`, tokenHash(token))
	if err != nil {
		return fmt.Errorf("clear notice of session: %w", err)
	}
	return nil
}

// PurgeSessions removes the sessions that ended by now under p.
func (s *Store) PurgeSessions(ctx context.Context, p Policy, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE expires_at <= $1 OR last_seen_at <= $2`, now, now.Add(-p.Idle))
	if err != nil {
		return fmt.Errorf("purge sessions: %w", err)
	}
	return nil
}
