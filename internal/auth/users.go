// Package users keeps the DPO dashboard's users, their server-side sessions and the failed
// sign-ins its rate limit counts, in the orchestrator database.
//
// Passwords are stored as bcrypt hashes. A session is a random 256-bit token in a cookie;
// the database keeps only its SHA-256, with the session's CSRF token, when it was last used
// (idle expiry) and when it ends regardless (absolute expiry).
package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"dsr/internal/domain"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/crypto/bcrypt"
)

// Password limits. bcrypt reads at most 72 bytes; a longer password is refused rather
// than silently cut.
const (
	MinPasswordLength = 12
	MaxPasswordBytes  = 72
)

// Errors of the store. Their messages can be shown to whoever asked.
var (
	// ErrNotFound: no such user or session (or the session expired).
	ErrNotFound = errors.New("not found")
	// ErrExists: a user with that email exists already.
	ErrExists = errors.New("a user with this email exists already")
	// ErrBadCredentials: unknown email, wrong password or disabled user; which one is not
	// told.
	ErrBadCredentials = errors.New("wrong email or password")
	// ErrInvalid is wrapped by the errors of invalid input (email, role, password).
	ErrInvalid = errors.New("invalid")
)

// User is one member of the privacy team.
type User struct {
	ID          string      `db:"id"`
	Email       string      `db:"email"`
	Role        domain.Role `db:"role"`
	CreatedAt   time.Time   `db:"created_at"`
	CreatedBy   string      `db:"created_by"`
	LastLoginAt *time.Time  `db:"last_login_at"`
	DisabledAt  *time.Time  `db:"disabled_at"`
}

// Actor is how the user appears in a request's record: "<role>:<email>", e.g.
// "dpo:ana@vendor.example".
func (u User) Actor() domain.Actor { return domain.UserActor(u.Role, u.Email) }

// Store reads and writes the dashboard's tables.
type Store struct {
	db   *sqlx.DB
	cost int
}

// New returns a Store on the orchestrator database.
func New(db *sqlx.DB) *Store { return &Store{db: db, cost: bcrypt.DefaultCost} }

// DB returns the underlying pool.
func (s *Store) DB() *sqlx.DB { return s.db }

// NewUser is what Create needs.
type NewUser struct {
	Email    string
	Role     domain.Role
	Password string
	// CreatedBy is who created the user, e.g. "cli" or "admin:<email>".
	CreatedBy string
}

// NormalizeEmail returns the address trimmed, or an error wrapping ErrInvalid when it is
// not a plain email address.
func NormalizeEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if email == "" || err != nil || a.Address != email || len(email) > 320 {
		return "", fmt.Errorf("%w: the email must be a plain address like name@example.com", ErrInvalid)
	}
	return email, nil
}

// ValidatePassword returns an error wrapping ErrInvalid when the password is too short or
// too long for bcrypt.
func ValidatePassword(p string) error {
	switch {
	case len([]rune(p)) < MinPasswordLength:
		return fmt.Errorf("%w: the password must have at least %d characters", ErrInvalid, MinPasswordLength)
	case len(p) > MaxPasswordBytes:
		return fmt.Errorf("%w: the password must not be longer than %d bytes", ErrInvalid, MaxPasswordBytes)
	}
	return nil
}

const userColumns = `id, email, role, created_at, created_by, last_login_at, disabled_at`

// Create adds a user with a bcrypt hash of the password.
func (s *Store) Create(ctx context.Context, n NewUser) (User, error) {
	email, err := NormalizeEmail(n.Email)
	if err != nil {
		return User{}, err
	}
	if !n.Role.Valid() {
		return User{}, fmt.Errorf("%w: the role must be one of %s", ErrInvalid, domain.JoinNames(domain.Roles))
	}
	if err := ValidatePassword(n.Password); err != nil {
		return User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(n.Password), s.cost)
	if err != nil {
		return User{}, fmt.Errorf("create user: hash password: %w", err)
	}
	var u User
	err = s.db.GetContext(ctx, &u, `
		INSERT INTO dashboard_users (id, email, role, password_hash, created_by)
		VALUES ($1, $2, $3, $4, $5)
		RETURNING `+userColumns, uuid.NewString(), email, n.Role, string(hash), n.CreatedBy)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return User{}, ErrExists
	}
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// List returns every user, by email.
func (s *Store) List(ctx context.Context) ([]User, error) {
	var out []User
	if err := s.db.SelectContext(ctx, &out, `SELECT `+userColumns+` FROM dashboard_users ORDER BY lower(email)`); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// dummyHash is compared against when the email is unknown, so that an unknown email
// takes as long to refuse as a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not anybody's password"), bcrypt.DefaultCost)
	return h
})

// Authenticate returns the enabled user with the email and password, and notes the
// sign-in; ErrBadCredentials otherwise.
func (s *Store) Authenticate(ctx context.Context, email, password string, now time.Time) (User, error) {
	var row struct {
		User
		Hash string `db:"password_hash"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT `+userColumns+`, password_hash FROM dashboard_users
		WHERE lower(email) = lower($1)`, strings.TrimSpace(email))
	if errors.Is(err, sql.ErrNoRows) {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(row.Hash), []byte(password)) != nil || row.DisabledAt != nil {
		return User{}, ErrBadCredentials
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE dashboard_users SET last_login_at = $2 WHERE id = $1`, row.ID, now); err != nil {
		return User{}, fmt.Errorf("authenticate user %s: note sign-in: %w", row.ID, err)
	}
	t := now
	row.User.LastLoginAt = &t
	return row.User, nil
}

// hashKey is the stored form of a rate-limit key: the limit needs equality only.
func hashKey(kind, value string) string {
	sum := sha256.Sum256([]byte(kind + ":" + strings.ToLower(strings.TrimSpace(value))))
	return hex.EncodeToString(sum[:])
}

// Limit is the sign-in rate limit: at most PerAccount failed sign-ins for one email and
// PerIP from one client address within Window.
type Limit struct {
	PerAccount int
	PerIP      int
	Window     time.Duration
}

// DefaultLimit allows 5 failures per account and 20 per address in 15 minutes. The
// address allows more because a team behind one office address shares it; it stops one
// address from trying many accounts.
var DefaultLimit = Limit{PerAccount: 5, PerIP: 20, Window: 15 * time.Minute}

// Limited reports whether the email or the address reached its limit of failed sign-ins
// at now.
func (s *Store) Limited(ctx context.Context, l Limit, email, ip string, now time.Time) (bool, error) {
	var n struct {
		Account int `db:"account"`
		IP      int `db:"ip"`
	}
	err := s.db.GetContext(ctx, &n, `
		SELECT count(*) FILTER (WHERE account_hash = $1) AS account,
		       count(*) FILTER (WHERE ip_hash = $2) AS ip
		FROM dashboard_login_failures
		WHERE (account_hash = $1 OR ip_hash = $2) AND at > $3`,
		hashKey("account", email), hashKey("ip", ip), now.Add(-l.Window))
	if err != nil {
		return false, fmt.Errorf("count failed sign-ins: %w", err)
	}
	return n.Account >= l.PerAccount || n.IP >= l.PerIP, nil
}

// RecordFailure notes a failed sign-in for the email from the address, and forgets those
// older than a day.
func (s *Store) RecordFailure(ctx context.Context, email, ip string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `
		WITH old AS (DELETE FROM dashboard_login_failures WHERE at < $4)
		INSERT INTO dashboard_login_failures (account_hash, ip_hash, at) VALUES ($1, $2, $3)`,
		hashKey("account", email), hashKey("ip", ip), now, now.Add(-24*time.Hour))
	if err != nil {
		return fmt.Errorf("record failed sign-in: %w", err)
	}
	return nil
}

// ClearFailures forgets the failed sign-ins of an email, after it signed in.
func (s *Store) ClearFailures(ctx context.Context, email string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM dashboard_login_failures WHERE account_hash = $1`, hashKey("account", email)); err != nil {
		return fmt.Errorf("clear failed sign-ins: %w", err)
	}
	return nil
}
