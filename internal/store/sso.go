package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"dsr/internal/domain"
)

// SSOLink is how a dashboard user is tied to the identity provider: SSO is set once the
// user signed in through it, and Subject is the provider's id of the person ("" before).
type SSOLink struct {
	SSO     bool   `db:"sso"`
	Subject string `db:"oidc_subject"`
}

// UserSSOByEmail returns the dashboard user with the email, compared regardless of case,
// and its link to the identity provider; ErrNotFound when there is none. Disabled users
// are returned too.
func (s *Store) UserSSOByEmail(ctx context.Context, email string) (User, SSOLink, error) {
	var row struct {
		User
		SSO     bool    `db:"sso"`
		Subject *string `db:"oidc_subject"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT `+userColumns+`, sso, oidc_subject FROM dashboard_users
		WHERE lower(email) = lower($1)`, email)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, SSOLink{}, ErrNotFound
	}
	if err != nil {
		return User{}, SSOLink{}, fmt.Errorf("read user by email for single sign-on: %w", err)
	}
	link := SSOLink{SSO: row.SSO}
	if row.Subject != nil {
		link.Subject = *row.Subject
	}
	return row.User, link, nil
}

// CreateSSOUser adds a dashboard user who signs in through the identity provider as
// subject, with an empty password hash, which no password matches; its last sign-in is at.
// ErrExists when the email (regardless of case) or the subject belongs to another user.
func (s *Store) CreateSSOUser(ctx context.Context, email string, role domain.Role, subject, createdBy string, at time.Time) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `
		INSERT INTO dashboard_users (id, email, role, password_hash, created_by, sso, oidc_subject, last_login_at)
		VALUES ($1, $2, $3, '', $4, true, $5, $6)
		RETURNING `+userColumns, uuid.NewString(), email, role, createdBy, subject, at)
	if isUniqueViolation(err) {
		return User{}, ErrExists
	}
	if err != nil {
		return User{}, fmt.Errorf("create single sign-on user: %w", err)
	}
	return u, nil
}

// SignInSSOUser notes a sign-in of the user through the identity provider as subject: the
// user becomes (or stays) an SSO user with that subject, loses any local password and the
// second factor that went with it (the provider's own applies), takes
// role and its last sign-in is at. It changes nothing and returns ErrNotFound when the user
// is gone or disabled, or is tied to another subject; ErrExists when another user has the
// subject.
func (s *Store) SignInSSOUser(ctx context.Context, id string, subject string, role domain.Role, at time.Time) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `
		UPDATE dashboard_users
		SET sso = true, oidc_subject = $2, password_hash = '', role = $3, last_login_at = $4,
			totp_sealed = NULL, totp_pending_sealed = NULL, totp_enabled_at = NULL
		WHERE id = $1 AND disabled_at IS NULL AND (oidc_subject IS NULL OR oidc_subject = $2)
		RETURNING `+userColumns, id, subject, role, at)
	switch {
	case isUniqueViolation(err):
		return User{}, ErrExists
	case errors.Is(err, sql.ErrNoRows):
		return User{}, ErrNotFound
	case err != nil:
		return User{}, fmt.Errorf("note single sign-on of user %s: %w", id, err)
	}
	return u, nil
}

// UseOIDCState records that the sign-in state with this hash came back at, and reports
// whether it is the first time: false means the answer is replayed. Records from before
// forgetBefore go.
func (s *Store) UseOIDCState(ctx context.Context, stateHash []byte, at, forgetBefore time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
		WITH old AS (DELETE FROM dashboard_oidc_states WHERE used_at < $3)
		INSERT INTO dashboard_oidc_states (state_hash, used_at) VALUES ($1, $2)
		ON CONFLICT (state_hash) DO NOTHING`, stateHash, at, forgetBefore)
	if err != nil {
		return false, fmt.Errorf("record a single sign-on state: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record a single sign-on state: rows affected: %w", err)
	}
	return n == 1, nil
}
