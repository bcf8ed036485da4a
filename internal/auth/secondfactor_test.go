package auth_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"dsr/internal/auth"
	"dsr/internal/domain"
	"dsr/internal/platform/seal"
)

// enrolled returns a user of role with a second factor set up at now, its secret and its
// recovery codes.
func enrolled(t *testing.T, s fixture, email string, role domain.Role, now time.Time) (auth.User, string, []string) {
	t.Helper()
	u, err := s.Create(ctx, auth.NewUser{Email: email, Role: role, Password: password})
	require.NoError(t, err)
	e, err := s.BeginEnrolment(ctx, u)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(e.QR, []byte("\x89PNG")), "the QR code is a PNG")
	require.Contains(t, e.URL, "otpauth://totp/")
	require.Contains(t, e.URL, "secret="+e.Secret)
	code, err := totp.GenerateCode(e.Secret, now)
	require.NoError(t, err)
	codes, err := s.ConfirmEnrolment(ctx, u, code, now)
	require.NoError(t, err)
	u, err = s.ByID(ctx, u.ID)
	require.NoError(t, err)
	require.NotNil(t, u.SecondFactorSince)
	return u, e.Secret, codes
}

func keyed(t *testing.T, s fixture) fixture {
	t.Helper()
	keys, err := seal.New([]byte(strings.Repeat("k", 32)))
	require.NoError(t, err)
	s.Users = s.WithKeys(keys)
	return s
}

func TestSecondFactorEnrolment(t *testing.T) {
	t.Parallel()
	s := keyed(t, setup(t))
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	u, err := s.Create(ctx, auth.NewUser{Email: "ana@vendor.example", Role: domain.RoleDPO, Password: password})
	require.NoError(t, err)

	_, err = s.ConfirmEnrolment(ctx, u, "123456", now)
	require.ErrorIs(t, err, auth.ErrNoSecondFactor, "nothing is being set up")

	e, err := s.BeginEnrolment(ctx, u)
	require.NoError(t, err)
	_, err = s.ConfirmEnrolment(ctx, u, "000000", now)
	require.ErrorIs(t, err, auth.ErrBadCode)
	code, err := totp.GenerateCode(e.Secret, now.Add(-5*time.Minute))
	require.NoError(t, err)
	_, err = s.ConfirmEnrolment(ctx, u, code, now)
	require.ErrorIs(t, err, auth.ErrBadCode, "a code from five minutes ago")

	// A second set-up replaces the first: the first secret's codes no longer confirm.
	e2, err := s.BeginEnrolment(ctx, u)
	require.NoError(t, err)
	require.NotEqual(t, e.Secret, e2.Secret)
	code, err = totp.GenerateCode(e.Secret, now)
	require.NoError(t, err)
	_, err = s.ConfirmEnrolment(ctx, u, code, now)
	require.ErrorIs(t, err, auth.ErrBadCode)

	code, err = totp.GenerateCode(e2.Secret, now.Add(-25*time.Second)) // the app's clock is a step behind
	require.NoError(t, err)
	codes, err := s.ConfirmEnrolment(ctx, u, code, now)
	require.NoError(t, err)
	require.Len(t, codes, auth.RecoveryCodes)
	for _, c := range codes {
		require.Regexp(t, `^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`, c)
	}

	// Neither the secret nor the recovery codes are stored in the clear.
	var sealed []byte
	require.NoError(t, s.db.Get(&sealed, `SELECT totp_sealed FROM dashboard_users WHERE id = $1`, u.ID))
	require.NotContains(t, string(sealed), e2.Secret)
	var stored [][]byte
	require.NoError(t, s.db.Select(&stored, `SELECT code_hash FROM dashboard_recovery_codes WHERE user_id = $1`, u.ID))
	require.Len(t, stored, auth.RecoveryCodes)
	for _, h := range stored {
		for _, c := range codes {
			require.NotContains(t, string(h), strings.ReplaceAll(c, "-", ""))
		}
	}
	// The confirming code was used: it does not sign in again.
	u, err = s.ByID(ctx, u.ID)
	require.NoError(t, err)
	_, err = s.CheckSecondFactor(ctx, u, code, now)
	require.ErrorIs(t, err, auth.ErrBadCode)
}

func TestSecondFactorCodesWorkOnce(t *testing.T) {
	t.Parallel()
	s := keyed(t, setup(t))
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	u, secret, codes := enrolled(t, s, "bo@vendor.example", domain.RoleAdmin, now)

	next := now.Add(30 * time.Second)
	code, err := totp.GenerateCode(secret, next)
	require.NoError(t, err)
	_, err = s.CheckSecondFactor(ctx, u, "000000", next)
	require.ErrorIs(t, err, auth.ErrBadCode)
	recovery, err := s.CheckSecondFactor(ctx, u, code, next)
	require.NoError(t, err)
	require.False(t, recovery)
	_, err = s.CheckSecondFactor(ctx, u, code, next)
	require.ErrorIs(t, err, auth.ErrBadCode, "a code is used once")
	// An older code (still within the skew) is refused once a later one was taken.
	old, err := totp.GenerateCode(secret, now)
	require.NoError(t, err)
	_, err = s.CheckSecondFactor(ctx, u, old, next)
	require.ErrorIs(t, err, auth.ErrBadCode)

	// Two browsers with the same fresh code at the same moment: one gets in.
	later := next.Add(30 * time.Second)
	code, err = totp.GenerateCode(secret, later)
	require.NoError(t, err)
	var wg sync.WaitGroup
	results := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := s.CheckSecondFactor(ctx, u, code, later)
			results <- err
		})
	}
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		if err == nil {
			ok++
		} else {
			require.ErrorIs(t, err, auth.ErrBadCode)
		}
	}
	require.Equal(t, 1, ok)

	// A recovery code works once, written in any case, with or without dashes.
	recovery, err = s.CheckSecondFactor(ctx, u, strings.ToUpper(strings.ReplaceAll(codes[3], "-", " ")), later)
	require.NoError(t, err)
	require.True(t, recovery)
	_, err = s.CheckSecondFactor(ctx, u, codes[3], later)
	require.ErrorIs(t, err, auth.ErrBadCode)
	left, err := s.RecoveryCodesLeft(ctx, u)
	require.NoError(t, err)
	require.Equal(t, auth.RecoveryCodes-1, left)

	// Another user's recovery code does not work.
	other, _, otherCodes := enrolled(t, s, "cy@vendor.example", domain.RoleDPO, now)
	_, err = s.CheckSecondFactor(ctx, u, otherCodes[0], later)
	require.ErrorIs(t, err, auth.ErrBadCode)

	// New codes void the old ones.
	fresh, err := s.NewRecoveryCodes(ctx, u)
	require.NoError(t, err)
	_, err = s.CheckSecondFactor(ctx, u, codes[4], later)
	require.ErrorIs(t, err, auth.ErrBadCode)
	_, err = s.CheckSecondFactor(ctx, u, fresh[0], later)
	require.NoError(t, err)

	// A reset (lost device) removes it and ends the user's sessions.
	token, _, err := s.StartSession(ctx, other, auth.DefaultPolicy, now)
	require.NoError(t, err)
	require.NoError(t, s.ResetSecondFactor(ctx, other.ID))
	_, err = s.Session(ctx, token, auth.DefaultPolicy, now)
	require.ErrorIs(t, err, auth.ErrNotFound)
	other, err = s.ByID(ctx, other.ID)
	require.NoError(t, err)
	require.Nil(t, other.SecondFactorSince)
	_, err = s.CheckSecondFactor(ctx, other, otherCodes[1], later)
	require.ErrorIs(t, err, auth.ErrNoSecondFactor)
	require.ErrorIs(t, s.ResetSecondFactor(ctx, "00000000-0000-0000-0000-000000000000"), auth.ErrNotFound)
}

func TestSecondFactorRequiredRoles(t *testing.T) {
	t.Parallel()
	s := keyed(t, setup(t))
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	roles, err := s.SecondFactorRoles(ctx)
	require.NoError(t, err)
	require.Empty(t, roles, "none required by default")
	require.ErrorIs(t, s.SetSecondFactorRoles(ctx, []domain.Role{"owner"}), auth.ErrInvalid)
	require.NoError(t, s.SetSecondFactorRoles(ctx, []domain.Role{domain.RoleAdmin, domain.RoleDPO, domain.RoleDPO}))
	roles, err = s.SecondFactorRoles(ctx)
	require.NoError(t, err)
	require.Equal(t, []domain.Role{domain.RoleDPO, domain.RoleAdmin}, roles)

	u, secret, _ := enrolled(t, s, "di@vendor.example", domain.RoleDPO, now)
	code, err := totp.GenerateCode(secret, now.Add(time.Minute))
	require.NoError(t, err)
	require.ErrorIs(t, s.RemoveSecondFactor(ctx, u, code, "", now.Add(time.Minute)), auth.ErrSecondFactorRequired)

	require.NoError(t, s.SetSecondFactorRoles(ctx, []domain.Role{domain.RoleAdmin}))
	keep, _, err := s.StartSession(ctx, u, auth.DefaultPolicy, now)
	require.NoError(t, err)
	other, _, err := s.StartSession(ctx, u, auth.DefaultPolicy, now)
	require.NoError(t, err)
	require.ErrorIs(t, s.RemoveSecondFactor(ctx, u, "000000", keep, now.Add(time.Minute)), auth.ErrBadCode)
	require.NoError(t, s.RemoveSecondFactor(ctx, u, code, keep, now.Add(time.Minute)))
	_, err = s.Session(ctx, keep, auth.DefaultPolicy, now.Add(time.Minute))
	require.NoError(t, err, "the session that removed it stays")
	_, err = s.Session(ctx, other, auth.DefaultPolicy, now.Add(time.Minute))
	require.ErrorIs(t, err, auth.ErrNotFound, "the others end")
}

func TestPendingSession(t *testing.T) {
	t.Parallel()
	s := keyed(t, setup(t))
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	u, err := s.Create(ctx, auth.NewUser{Email: "ed@vendor.example", Role: domain.RoleAdmin, Password: password})
	require.NoError(t, err)
	token, _, err := s.StartPendingSession(ctx, u, auth.PendingEnrol, now)
	require.NoError(t, err)
	got, err := s.Session(ctx, token, auth.DefaultPolicy, now.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, auth.PendingEnrol, got.Pending)
	_, err = s.Session(ctx, token, auth.DefaultPolicy, now.Add(11*time.Minute))
	require.ErrorIs(t, err, auth.ErrNotFound, "a pending session lasts ten minutes")
}
