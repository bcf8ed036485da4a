package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"dsr/internal/domain"
)

// ErrExists is returned when a row would repeat a unique value of another, e.g. a
// dashboard user's email.
var ErrExists = errors.New("already exists")

// isUniqueViolation reports whether err is PostgreSQL's unique_violation (23505).
func isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}

// User is one member of the privacy team who signs in to the dashboard. Its password
// hash is not part of it: only UserByEmail reads it.
type User struct {
	ID          string      `db:"id"`
	Email       string      `db:"email"`
	Role        domain.Role `db:"role"`
	CreatedAt   time.Time   `db:"created_at"`
	CreatedBy   string      `db:"created_by"`
	LastLoginAt *time.Time  `db:"last_login_at"`
	DisabledAt  *time.Time  `db:"disabled_at"`
	// SecondFactorSince is when the user's second factor (TOTP) was set up; nil without one.
	SecondFactorSince *time.Time `db:"totp_enabled_at"`
}

const userColumns = `id, email, role, created_at, created_by, last_login_at, disabled_at, totp_enabled_at`

// CreateUser adds a dashboard user with a new id. The email must be unique regardless of
// case; ErrExists otherwise. passwordHash is stored as given.
func (s *Store) CreateUser(ctx context.Context, email string, role domain.Role, passwordHash, createdBy string) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `
		INSERT INTO dashboard_users (id, email, role, password_hash, created_by)
		VALUES ($1, $2, $3, $4, $5)
		RETURNING `+userColumns, uuid.NewString(), email, role, passwordHash, createdBy)
	if isUniqueViolation(err) {
		return User{}, ErrExists
	}
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// ListUsers returns every dashboard user, by email.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	var out []User
	if err := s.db.SelectContext(ctx, &out, `SELECT `+userColumns+` FROM dashboard_users ORDER BY lower(email)`); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UserByEmail returns the dashboard user with the email, compared regardless of case,
// and its password hash; ErrNotFound when there is none. Disabled users are returned too.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, string, error) {
	var row struct {
		User
		Hash string `db:"password_hash"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT `+userColumns+`, password_hash FROM dashboard_users
		WHERE lower(email) = lower($1)`, email)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, "", ErrNotFound
	}
	if err != nil {
		return User{}, "", fmt.Errorf("read user by email: %w", err)
	}
	return row.User, row.Hash, nil
}

// SetUserLastLogin notes that the user signed in at; ErrNotFound when there is no such
// user.
func (s *Store) SetUserLastLogin(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE dashboard_users SET last_login_at = $2 WHERE id = $1`, id, at)
	if err != nil {
		return fmt.Errorf("note sign-in of user %s: %w", id, err)
	}
	return requireRow(res, fmt.Sprintf("note sign-in of user %s", id))
}

// LoginPolicy is what ReserveLoginAttempt allows within a window (attempts after Since):
// PerPair attempts at one account from one address, PerIP from one address; past
// BackoffAfter attempts at one account from anywhere, each further one only once
// 2^(n-BackoffAfter) seconds (at most BackoffMax) have passed since its last.
type LoginPolicy struct {
	Since        time.Time
	PerPair      int
	PerIP        int
	BackoffAfter int
	BackoffMax   time.Duration
}

// ReserveLoginAttempt counts a sign-in attempt before its password is checked, so that
// parallel attempts count one by one: under a lock per account hash and one per address
// hash (always taken in that order), it refuses the attempt (nothing recorded) when the
// policy does, with how long to wait, and records it otherwise (at at; rows from before
// forgetBefore go). An attempt that then succeeds is removed by ClearLoginFailures; one
// that fails stays, as a failure.
func (s *Store) ReserveLoginAttempt(ctx context.Context, accountHash, ipHash string, p LoginPolicy, at, forgetBefore time.Time) (bool, time.Duration, error) {
	var ok bool
	var wait time.Duration
	window := at.Sub(p.Since)
	at = at.Truncate(time.Microsecond) // as the database keeps it
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Two key spaces (1: accounts, 2: addresses), so that the two kinds never collide.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(1, hashtext($1))`, accountHash); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(2, hashtext($1))`, ipHash); err != nil {
			return err
		}
		var n struct {
			Pair    int        `db:"pair"`
			Account int        `db:"account"`
			IP      int        `db:"ip"`
			Last    *time.Time `db:"last"`
		}
		if err := tx.GetContext(ctx, &n, `
			SELECT count(*) FILTER (WHERE account_hash = $1 AND ip_hash = $2) AS pair,
			       count(*) FILTER (WHERE account_hash = $1) AS account,
			       count(*) FILTER (WHERE ip_hash = $2) AS ip,
			       max(at) FILTER (WHERE account_hash = $1) AS last
			FROM dashboard_login_failures
			WHERE (account_hash = $1 OR ip_hash = $2) AND at > $3`, accountHash, ipHash, p.Since); err != nil {
			return err
		}
		switch {
		case n.Pair >= p.PerPair || n.IP >= p.PerIP:
			// The oldest attempt that counts leaves the window at the latest then.
			wait = window
			return nil
		case n.Account >= p.BackoffAfter && n.Last != nil:
			delay := p.BackoffMax
			if k := n.Account - p.BackoffAfter; k < 30 && time.Duration(1<<k)*time.Second < delay {
				delay = time.Duration(1<<k) * time.Second
			}
			if next := n.Last.Add(delay); at.Before(next) {
				wait = next.Sub(at)
				return nil
			}
		}
		ok = true
		_, err := tx.ExecContext(ctx, `
			WITH old AS (DELETE FROM dashboard_login_failures WHERE at < $4)
			INSERT INTO dashboard_login_failures (account_hash, ip_hash, at) VALUES ($1, $2, $3)`,
			accountHash, ipHash, at, forgetBefore)
		return err
	})
	if err != nil {
		return false, 0, fmt.Errorf("count a sign-in attempt: %w", err)
	}
	return ok, wait, nil
}

// ClearLoginFailures removes the failed sign-ins of the account hash; there may be none.
func (s *Store) ClearLoginFailures(ctx context.Context, accountHash string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM dashboard_login_failures WHERE account_hash = $1`, accountHash); err != nil {
		return fmt.Errorf("clear failed sign-ins: %w", err)
	}
	return nil
}

// requireRow returns ErrNotFound when res changed no row; what says what was attempted.
func requireRow(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: rows affected: %w", what, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// UserByID returns the dashboard user with the id; ErrNotFound when there is none.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM dashboard_users WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("read user %s: %w", id, err)
	}
	return u, nil
}
