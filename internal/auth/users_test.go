package auth_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"dsr/internal/auth"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

var ctx = context.Background()

const password = "correct horse battery staple"

// fixture is Users on a private schema, with the store under it and the schema's pool,
// for the checks of what is (not) stored.
type fixture struct {
	*auth.Users
	st *store.Store
	db *sqlx.DB
}

func setup(t *testing.T) fixture {
	t.Helper()
	db := pgtest.New(t, schema.Orchestrator).DB
	st := store.New(db)
	return fixture{Users: auth.New(st), st: st, db: db}
}

func TestUserActor(t *testing.T) {
	t.Parallel()
	require.Equal(t, domain.Actor("dpo:ana@vendor.example"), auth.User{Role: domain.RoleDPO, Email: "ana@vendor.example"}.Actor())
}

func TestCreate(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tests := []struct {
		name string
		in   auth.NewUser
		err  error
	}{
		{name: "ok", in: auth.NewUser{Email: " ana@vendor.example ", Role: "dpo", Password: password}},
		{name: "same email other case", in: auth.NewUser{Email: "Ana@Vendor.example", Role: "viewer", Password: password}, err: auth.ErrExists},
		{name: "bad email", in: auth.NewUser{Email: "ana", Role: "dpo", Password: password}, err: auth.ErrInvalid},
		{name: "named email", in: auth.NewUser{Email: "Ana <ana@vendor.example>", Role: "dpo", Password: password}, err: auth.ErrInvalid},
		{name: "bad role", in: auth.NewUser{Email: "bo@vendor.example", Role: "owner", Password: password}, err: auth.ErrInvalid},
		{name: "short password", in: auth.NewUser{Email: "bo@vendor.example", Role: "dpo", Password: "elevenchars"}, err: auth.ErrInvalid},
		{name: "password over 72 bytes", in: auth.NewUser{Email: "bo@vendor.example", Role: "dpo", Password: strings.Repeat("é", 37)}, err: auth.ErrInvalid},
	}
	// Long enough but guessable: each refused by the strength estimator.
	for _, weak := range []string{"            ", "aaaaaaaaaaaa", "passwordpassword", "bo@vendor.example", "bo.vendor.example",
		"qwertyuiop123", "P@ssw0rd12345", "123456789012", "iloveyou2024", "dsr-dashboard"} {
		tests = append(tests, struct {
			name string
			in   auth.NewUser
			err  error
		}{name: "weak " + weak, in: auth.NewUser{Email: "bo@vendor.example", Role: "dpo", Password: weak}, err: auth.ErrInvalid})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := s.Create(ctx, tt.in)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, "ana@vendor.example", u.Email)
			require.Equal(t, domain.RoleDPO, u.Role)
		})
	}
	_, hash, err := s.st.UserByEmail(ctx, "ana@vendor.example")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(hash, "$2a$"), "bcrypt hash, got %q", hash[:4])
	require.NotContains(t, hash, password)
	list, err := s.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	s := setup(t)
	_, err := s.Create(ctx, auth.NewUser{Email: "ana@vendor.example", Role: "admin", Password: password, CreatedBy: "cli"})
	require.NoError(t, err)
	now := time.Now().UTC().Truncate(time.Microsecond)

	u, err := s.Authenticate(ctx, "ANA@vendor.example ", password, now)
	require.NoError(t, err)
	require.Equal(t, "ana@vendor.example", u.Email)
	require.Equal(t, "cli", u.CreatedBy)
	require.WithinDuration(t, now, *u.LastLoginAt, 0)

	for name, try := range map[string][2]string{
		"wrong password": {"ana@vendor.example", password + "!"},
		"unknown email":  {"bo@vendor.example", password},
		"empty":          {"", ""},
	} {
		_, err := s.Authenticate(ctx, try[0], try[1], now)
		require.ErrorIs(t, err, auth.ErrBadCredentials, name)
	}
	_, err = s.db.ExecContext(ctx, `UPDATE dashboard_users SET disabled_at = now()`)
	require.NoError(t, err)
	_, err = s.Authenticate(ctx, "ana@vendor.example", password, now)
	require.ErrorIs(t, err, auth.ErrBadCredentials, "a disabled user cannot sign in")
}

func TestSessions(t *testing.T) {
	t.Parallel()
	s := setup(t)
	u, err := s.Create(ctx, auth.NewUser{Email: "ana@vendor.example", Role: "dpo", Password: password})
	require.NoError(t, err)
	p := auth.Policy{Idle: time.Hour, Max: 3 * time.Hour}
	start := time.Now().UTC().Truncate(time.Microsecond)

	token, sess, err := s.StartSession(ctx, u, p, start)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(token), 43, "256 random bits")
	require.NotEmpty(t, sess.CSRFToken)
	require.NotEqual(t, token, sess.CSRFToken)

	got, err := s.Session(ctx, token, p, start.Add(30*time.Second))
	require.NoError(t, err)
	require.Equal(t, u.ID, got.User.ID)
	require.Equal(t, sess.CSRFToken, got.CSRFToken)
	require.Equal(t, start, got.LastSeenAt.UTC(), "a use within a minute writes nothing")

	got, err = s.Session(ctx, token, p, start.Add(50*time.Minute))
	require.NoError(t, err)
	require.Equal(t, start.Add(50*time.Minute), got.LastSeenAt.UTC())
	_, err = s.Session(ctx, token, p, start.Add(50*time.Minute+time.Hour))
	require.ErrorIs(t, err, auth.ErrNotFound, "idle for an hour")

	token, _, err = s.StartSession(ctx, u, p, start)
	require.NoError(t, err)
	for i := 1; i <= 5; i++ {
		_, err = s.Session(ctx, token, p, start.Add(time.Duration(i)*35*time.Minute))
		require.NoError(t, err)
	}
	_, err = s.Session(ctx, token, p, start.Add(3*time.Hour))
	require.ErrorIs(t, err, auth.ErrNotFound, "past Max although in use")

	for _, bad := range []string{"", "nope", token + "x"} {
		_, err = s.Session(ctx, bad, p, start)
		require.ErrorIs(t, err, auth.ErrNotFound)
	}

	// Notices, sign-out, and purging what ended.
	token, _, err = s.StartSession(ctx, u, p, start)
	require.NoError(t, err)
	require.NoError(t, s.SetFlash(ctx, token, "ok", "Approved."))
	got, err = s.Session(ctx, token, p, start)
	require.NoError(t, err)
	require.Equal(t, [2]string{"ok", "Approved."}, [2]string{got.FlashKind, got.FlashMessage})
	require.NoError(t, s.ClearFlash(ctx, token))
	got, err = s.Session(ctx, token, p, start)
	require.NoError(t, err)
	require.Empty(t, got.FlashMessage)

	var hashes [][]byte
	require.NoError(t, s.db.SelectContext(ctx, &hashes, `SELECT id_hash FROM dashboard_sessions`))
	sum := sha256.Sum256([]byte(token))
	require.Contains(t, hashes, sum[:])
	require.NoError(t, s.PurgeSessions(ctx, p, start.Add(4*time.Hour)))
	require.NoError(t, s.db.SelectContext(ctx, &hashes, `SELECT id_hash FROM dashboard_sessions`))
	require.Empty(t, hashes)

	token, _, err = s.StartSession(ctx, u, p, start)
	require.NoError(t, err)
	require.NoError(t, s.EndSession(ctx, token))
	_, err = s.Session(ctx, token, p, start)
	require.True(t, errors.Is(err, auth.ErrNotFound))
}

func TestLoginLimit(t *testing.T) {
	t.Parallel()
	s := setup(t)
	l := auth.Limit{PerAccount: 3, PerIP: 5, Window: 10 * time.Minute, BackoffAfter: 10, BackoffMax: time.Minute}
	now := time.Now()

	attempt := func(email, ip string, at time.Time) bool {
		t.Helper()
		ok, _, err := s.Attempt(ctx, l, email, ip, at)
		require.NoError(t, err)
		return ok
	}
	for i := range 3 {
		require.True(t, attempt("Ana@vendor.example", "192.0.2.1", now.Add(time.Duration(i)*time.Minute)), "attempt %d", i+1)
	}
	now = now.Add(3 * time.Minute)
	ok, wait, err := s.Attempt(ctx, l, "ana@vendor.example", "192.0.2.1", now)
	require.NoError(t, err)
	require.False(t, ok, "per account and address")
	require.Equal(t, l.Window, wait)
	require.True(t, attempt("ana@vendor.example", "198.51.100.7", now), "the owner, from elsewhere, is not locked out")
	require.NoError(t, s.ClearFailures(ctx, "ana@vendor.example"))
	require.True(t, attempt("bo@vendor.example", "192.0.2.1", now))
	require.True(t, attempt("cy@vendor.example", "192.0.2.1", now))
	require.NoError(t, s.ClearFailures(ctx, "bo@vendor.example"))
	require.True(t, attempt("ana@vendor.example", "192.0.2.1", now.Add(10*time.Minute)), "attempts leave the window")
	require.NoError(t, s.ClearFailures(ctx, "ana@vendor.example"))
	for i := range 3 {
		require.True(t, attempt("Ana@vendor.example", "192.0.2.1", now.Add(time.Duration(i)*time.Minute)), "attempt %d", i+1)
	}
	require.True(t, attempt("di@vendor.example", "192.0.2.1", now))
	require.False(t, attempt("eve@vendor.example", "192.0.2.1", now), "per address, for any account: 5 reached")
	require.NoError(t, s.ClearFailures(ctx, "cy@vendor.example"))
	require.NoError(t, s.ClearFailures(ctx, "di@vendor.example"))

	require.NoError(t, s.ClearFailures(ctx, "ANA@vendor.example"))
	require.True(t, attempt("ana@vendor.example", "198.51.100.7", now))
	require.True(t, attempt("eve@vendor.example", "198.51.100.8", now))

	// Neither the email nor the address is stored; rows older than a day go.
	var rows []struct {
		Account string `db:"account_hash"`
		IP      string `db:"ip_hash"`
	}
	require.NoError(t, s.db.SelectContext(ctx, &rows, `SELECT account_hash, ip_hash FROM dashboard_login_failures`))
	require.Len(t, rows, 2)
	for _, r := range rows {
		require.NotContains(t, r.Account, "@")
		require.NotContains(t, r.IP, "192.0.2.1")
	}
	require.True(t, attempt("ed@vendor.example", "192.0.2.9", now.Add(25*time.Hour)))
	var n int
	require.NoError(t, s.db.GetContext(ctx, &n, `SELECT count(*) FROM dashboard_login_failures`))
	require.Equal(t, 1, n)
}

// TestLoginAttemptsCountInParallel: 60 attempts at once at one account count one by one:
// from one address exactly the per-address limit goes on; from 60 addresses, exactly the
// attempts before the back-off starts (the rest would each have to wait).
func TestLoginAttemptsCountInParallel(t *testing.T) {
	t.Parallel()
	s := setup(t)
	l := auth.Limit{PerAccount: 5, PerIP: 20, Window: 15 * time.Minute, BackoffAfter: 10, BackoffMax: time.Minute}
	now := time.Now()
	for _, tc := range []struct {
		account string
		ip      func(i int) string
		want    int32
	}{
		{"one@vendor.example", func(int) string { return "198.51.100.1" }, 5},
		{"many@vendor.example", func(i int) string { return fmt.Sprintf("203.0.113.%d", i) }, 10},
	} {
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for i := range 60 {
			wg.Go(func() {
				ok, _, err := s.Attempt(ctx, l, tc.account, tc.ip(i), now)
				if err == nil && ok {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		require.EqualValues(t, tc.want, allowed.Load(), tc.account)
	}
}

// TestLoginBackoff: attempts from many addresses at one account slow down, 1 s, 2 s, 4 s
// ... up to a minute between two, and never lock its owner out for longer than that.
func TestLoginBackoff(t *testing.T) {
	t.Parallel()
	s := setup(t)
	l := auth.Limit{PerAccount: 5, PerIP: 20, Window: 15 * time.Minute, BackoffAfter: 3, BackoffMax: 8 * time.Second}
	at := time.Now().Truncate(time.Microsecond)
	ip := 0
	try := func() (bool, time.Duration) {
		ip++
		ok, wait, err := s.Attempt(ctx, l, "target@vendor.example", fmt.Sprintf("203.0.113.%d", ip), at)
		require.NoError(t, err)
		return ok, wait
	}
	for range 3 {
		ok, _ := try()
		require.True(t, ok)
	}
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		ok, wait := try()
		require.False(t, ok, "too soon after the last")
		require.Equal(t, want, wait)
		at = at.Add(wait)
		ok, _ = try()
		require.True(t, ok, "after %s", want)
	}
	at = at.Add(8 * time.Second)
	ok, _, err := s.Attempt(ctx, l, "target@vendor.example", "192.0.2.200", at)
	require.NoError(t, err)
	require.True(t, ok, "the owner gets in after the longest wait")
}
