// Package auth keeps the DPO dashboard's users, their server-side sessions and the failed
// sign-ins its rate limit counts: the rules over what internal/store records of them.
//
// Passwords are stored as bcrypt hashes. A session is a random 256-bit token in a cookie;
// the database keeps only its SHA-256, with the session's CSRF token, when it was last used
// (idle expiry) and when it ends regardless (absolute expiry).
package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/trustelem/zxcvbn"
	"golang.org/x/crypto/bcrypt"

	"dsr/internal/domain"
	"dsr/internal/platform/seal"
	"dsr/internal/store"
)

// Password limits. bcrypt reads at most 72 bytes; a longer password is refused rather
// than silently cut.
const (
	MinPasswordLength = 12
	MaxPasswordBytes  = 72
)

// Errors of Users. Their messages can be shown to whoever asked.
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
	ID          string
	Email       string
	Role        domain.Role
	CreatedAt   time.Time
	CreatedBy   string
	LastLoginAt *time.Time
	DisabledAt  *time.Time
	// SecondFactorSince is when the user set up a second factor; nil without one.
	SecondFactorSince *time.Time
}

// Actor is how the user appears in a request's record: "<role>:<email>", e.g.
// "dpo:ana@vendor.example".
func (u User) Actor() domain.Actor { return domain.UserActor(u.Role, u.Email) }

// Users signs the dashboard's users in and keeps their sessions, in the orchestrator
// store.
type Users struct {
	st   *store.Store
	cost int
	keys *seal.Keys
}

// New returns Users on the orchestrator store.
func New(st *store.Store) *Users { return &Users{st: st, cost: bcrypt.DefaultCost} }

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

// MinPasswordScore is the least strength a password needs, on zxcvbn's scale of 0 to 4: 3
// means about 10^8 guesses or more, out of reach of online guessing under the sign-in
// limits and costly offline against bcrypt.
const MinPasswordScore = 3

// ValidatePassword returns an error wrapping ErrInvalid when the password is too short,
// too long for bcrypt, on the shipped list of passwords seen in breaches (Breached), or
// too easy to guess: the strength estimator (zxcvbn, whose
// dictionaries include the passwords most often found in breaches, common names and words,
// keyboard patterns, repeats, sequences and dates) must rate it MinPasswordScore or more,
// counting the user's own details (userInputs: the email, and what it is made of) as
// known to an attacker.
func ValidatePassword(p string, userInputs ...string) error {
	switch {
	case len([]rune(p)) < MinPasswordLength:
		return fmt.Errorf("%w: the password must have at least %d characters", ErrInvalid, MinPasswordLength)
	case len(p) > MaxPasswordBytes:
		return fmt.Errorf("%w: the password must not be longer than %d bytes", ErrInvalid, MaxPasswordBytes)
	}
	known := []string{"dsr", "privacy", "gdpr", "dashboard"}
	bare := alnum(p)
	for _, in := range userInputs {
		known = append(known, strings.ToLower(in))
		parts := strings.FieldsFunc(strings.ToLower(in), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		known = append(known, parts...)
		// The email, or its local part, written with other separators or none.
		if local, _, _ := strings.Cut(strings.ToLower(in), "@"); len(alnum(local)) >= 3 && strings.Contains(bare, alnum(local)) || bare == alnum(in) {
			return fmt.Errorf("%w: the password must not contain the email", ErrInvalid)
		}
	}
	switch seen, err := Breached(p); {
	case err != nil:
		return fmt.Errorf("check password: %w", err)
	case seen:
		return fmt.Errorf("%w: this password is on a list of passwords seen in breaches, which attackers try first; choose another", ErrInvalid)
	}
	if r := zxcvbn.PasswordStrength(p, known); r.Score < MinPasswordScore {
		return fmt.Errorf("%w: the password is too easy to guess (common words or passwords, repeats, sequences, keyboard patterns or the email); a few unrelated words make a strong one", ErrInvalid)
	}
	return nil
}

// alnum is s in lower case without what is neither a letter nor a digit.
func alnum(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// Create adds a user with a bcrypt hash of the password.
func (s *Users) Create(ctx context.Context, n NewUser) (User, error) {
	email, err := NormalizeEmail(n.Email)
	if err != nil {
		return User{}, err
	}
	if !n.Role.Valid() {
		return User{}, fmt.Errorf("%w: the role must be one of %s", ErrInvalid, domain.JoinNames(domain.Roles))
	}
	if err := ValidatePassword(n.Password, email); err != nil {
		return User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(n.Password), s.cost)
	if err != nil {
		return User{}, fmt.Errorf("create user: hash password: %w", err)
	}
	u, err := s.st.CreateUser(ctx, email, n.Role, string(hash), n.CreatedBy)
	if errors.Is(err, store.ErrExists) {
		return User{}, ErrExists
	}
	if err != nil {
		return User{}, err
	}
	return User(u), nil
}

// List returns every user, by email.
func (s *Users) List(ctx context.Context) ([]User, error) {
	list, err := s.st.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]User, len(list))
	for i, u := range list {
		out[i] = User(u)
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
func (s *Users) Authenticate(ctx context.Context, email, password string, now time.Time) (User, error) {
	u, hash, err := s.st.UserByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, store.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || u.DisabledAt != nil {
		return User{}, ErrBadCredentials
	}
	err = s.st.SetUserLastLogin(ctx, u.ID, now)
	if errors.Is(err, store.ErrNotFound) { // removed since it was read
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	t := now
	u.LastLoginAt = &t
	return User(u), nil
}

// hashKey is the stored form of a rate-limit key: the limit needs equality only.
func hashKey(kind, value string) string {
	sum := sha256.Sum256([]byte(kind + ":" + strings.ToLower(strings.TrimSpace(value))))
	return hex.EncodeToString(sum[:])
}

// Limit is the sign-in rate limit, over Window: PerAccount attempts at one account from
// one address, PerIP attempts from one address at any accounts; and, so that attempts
// from many addresses slow down rather than lock the owner out, past BackoffAfter attempts
// at one account from anywhere, each next one waits twice as long as the one before since
// the last, from one second up to BackoffMax.
type Limit struct {
	PerAccount   int
	PerIP        int
	Window       time.Duration
	BackoffAfter int
	BackoffMax   time.Duration
}

// DefaultLimit allows 5 failures per account and address and 20 per address in 15
// minutes; past 10 at one account from anywhere, waits of 1 s doubling up to a minute. The
// address allows more because a team behind one office address shares it; it stops one
// address from trying many accounts. Locking out happens only for the address that failed:
// its owner, elsewhere, waits a minute at most.
var DefaultLimit = Limit{PerAccount: 5, PerIP: 20, Window: 15 * time.Minute, BackoffAfter: 10, BackoffMax: time.Minute}

// failureMemory is how long a failed sign-in is kept at most.
const failureMemory = 24 * time.Hour

// Attempt counts a sign-in attempt for the email from the address before its password
// is checked, and reports whether it may go on, or else how long to wait. Counting comes
// first and under a lock, so N parallel attempts count N. The attempt stays counted as a
// failure unless ClearFailures follows a success. Attempts older than a day are forgotten.
func (s *Users) Attempt(ctx context.Context, l Limit, email, ip string, now time.Time) (bool, time.Duration, error) {
	if l.BackoffAfter == 0 {
		l.BackoffAfter, l.BackoffMax = DefaultLimit.BackoffAfter, DefaultLimit.BackoffMax
	}
	return s.st.ReserveLoginAttempt(ctx, hashKey("account", email), hashKey("ip", ip), store.LoginPolicy{
		Since: now.Add(-l.Window), PerPair: l.PerAccount, PerIP: l.PerIP, BackoffAfter: l.BackoffAfter, BackoffMax: l.BackoffMax,
	}, now, now.Add(-failureMemory))
}

// ClearFailures forgets the attempts of an email, after it signed in.
func (s *Users) ClearFailures(ctx context.Context, email string) error {
	return s.st.ClearLoginFailures(ctx, hashKey("account", email))
}
