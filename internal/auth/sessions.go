package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"dsr/internal/store"
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
	// Pending is what the session waits for before it is signed in: PendingCode or
	// PendingEnrol; empty when signed in.
	Pending string
}

// What a session may wait for after a right password.
const (
	// PendingCode: the user's second factor's code (or a recovery code).
	PendingCode = store.PendingCode
	// PendingEnrol: the set-up of a second factor, which the user's role requires.
	PendingEnrol = store.PendingEnrol
)

// StartPendingSession begins a session of the user that waits for pending (PendingCode or
// PendingEnrol) for ten minutes at most; it opens no page but the second factor's. Once
// that is done, StartSession signs the user in with a new token.
func (s *Users) StartPendingSession(ctx context.Context, u User, pending string, now time.Time) (string, Session, error) {
	token, err := randomToken()
	if err != nil {
		return "", Session{}, fmt.Errorf("start pending session: %w", err)
	}
	csrf, err := randomToken()
	if err != nil {
		return "", Session{}, fmt.Errorf("start pending session: %w", err)
	}
	sess := Session{User: u, CSRFToken: csrf, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(pendingFor), Pending: pending}
	if err := s.st.CreatePendingSession(ctx, tokenHash(token), u.ID, csrf, pending, now, sess.ExpiresAt); err != nil {
		return "", Session{}, fmt.Errorf("start pending session: %w", err)
	}
	return token, sess, nil
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
func (s *Users) StartSession(ctx context.Context, u User, p Policy, now time.Time) (string, Session, error) {
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
	if err := s.st.CreateSession(ctx, tokenHash(token), u.ID, csrf, now, sess.ExpiresAt); err != nil {
		return "", Session{}, fmt.Errorf("start session: %w", err)
	}
	return token, sess, nil
}

// Session returns the live session of the token: not idle longer than p.Idle, not past
// its end, its user not disabled; ErrNotFound otherwise. It notes the use.
func (s *Users) Session(ctx context.Context, token string, p Policy, now time.Time) (Session, error) {
	if token == "" {
		return Session{}, ErrNotFound
	}
	hash := tokenHash(token)
	row, err := s.st.LiveSession(ctx, hash, now, now.Add(-p.Idle))
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, err
	}
	sess := Session{User: User(row.User), CSRFToken: row.CSRFToken, CreatedAt: row.CreatedAt, LastSeenAt: row.LastSeenAt,
		ExpiresAt: row.ExpiresAt, FlashKind: row.FlashKind, FlashMessage: row.FlashMessage, Pending: row.Pending}
	if now.Sub(row.LastSeenAt) >= touchEvery {
		err := s.st.TouchSession(ctx, hash, now)
		if errors.Is(err, store.ErrNotFound) { // ended since it was read
			return Session{}, ErrNotFound
		}
		if err != nil {
			return Session{}, fmt.Errorf("session of user %s: %w", row.User.ID, err)
		}
		sess.LastSeenAt = now
	}
	return sess, nil
}

// EndSession signs the token's session out; an unknown token is not an error.
func (s *Users) EndSession(ctx context.Context, token string) error {
	if err := s.st.DeleteSession(ctx, tokenHash(token)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// SetFlash keeps a notice for the session's next page; kind is "ok" or "error". An
// unknown token is not an error.
func (s *Users) SetFlash(ctx context.Context, token, kind, message string) error {
	if err := s.st.SetSessionFlash(ctx, tokenHash(token), kind, message); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// ClearFlash removes the session's notice once a page showed it.
func (s *Users) ClearFlash(ctx context.Context, token string) error {
	return s.st.ClearSessionFlash(ctx, tokenHash(token))
}

// PurgeSessions removes the sessions that ended by now under p.
func (s *Users) PurgeSessions(ctx context.Context, p Policy, now time.Time) error {
	return s.st.DeleteEndedSessions(ctx, now, now.Add(-p.Idle))
}
