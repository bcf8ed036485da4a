package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"dsr/internal/domain"
	"dsr/internal/platform/seal"
	"dsr/internal/store"
)

// Second factor: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, the defaults every
// authenticator app reads from an otpauth:// QR code) with one-time recovery codes.
const (
	totpPeriod = 30
	// totpSkew is how many steps before and after now a code is accepted: clocks drift.
	totpSkew = 1
	// RecoveryCodes is how many recovery codes a user gets at a time.
	RecoveryCodes = 10
	// recoveryBytes is the randomness of one recovery code: 80 bits, 16 base32 letters.
	recoveryBytes = 10
	// pendingFor is how long a session may wait for its second factor.
	pendingFor = 10 * time.Minute
	// issuer names dsr in authenticator apps.
	issuer = "dsr privacy desk"
)

// Errors of the second factor. Their messages can be shown to whoever asked.
var (
	// ErrBadCode: the code is wrong, expired or was used already.
	ErrBadCode = errors.New("wrong or already used code")
	// ErrNoSecondFactor: the user has no second factor (or none being set up).
	ErrNoSecondFactor = errors.New("no second factor is set up")
	// ErrSecondFactorRequired: the user's role must use a second factor, so it cannot be
	// removed.
	ErrSecondFactorRequired = errors.New("your role must use a second factor")
)

// WithKeys lets Users keep second factors: TOTP secrets are sealed and recovery codes
// hashed with keys. Without it the second-factor methods fail.
func (s *Users) WithKeys(keys *seal.Keys) *Users {
	s.keys = keys
	return s
}

// Enrolment is a TOTP secret being set up, to show once: as text, as an otpauth:// URL and
// as a QR code (PNG) of that URL.
type Enrolment struct {
	Secret string
	URL    string
	QR     []byte
}

// sealAAD binds a sealed secret to its user: a sealed secret copied to another user's row
// does not open.
func sealAAD(userID string) []byte { return []byte("totp:" + userID) }

// BeginEnrolment makes a new TOTP secret for the user and keeps it, sealed, until
// ConfirmEnrolment; a secret set up before and not confirmed is replaced. The user's
// current second factor, if any, stays in force until then.
func (s *Users) BeginEnrolment(ctx context.Context, u User) (Enrolment, error) {
	if s.keys == nil {
		return Enrolment{}, errors.New("begin second factor set-up: no keys")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: u.Email, Period: totpPeriod})
	if err != nil {
		return Enrolment{}, fmt.Errorf("begin second factor set-up: %w", err)
	}
	sealed, err := s.keys.Seal([]byte(key.Secret()), sealAAD(u.ID))
	if err != nil {
		return Enrolment{}, fmt.Errorf("begin second factor set-up: %w", err)
	}
	if err := s.st.SetPendingSecondFactor(ctx, u.ID, sealed); err != nil {
		return Enrolment{}, err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return Enrolment{}, fmt.Errorf("begin second factor set-up: QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, fmt.Errorf("begin second factor set-up: QR code: %w", err)
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL(), QR: buf.Bytes()}, nil
}

// ConfirmEnrolment checks a code of the secret being set up; when right, the secret
// becomes the user's second factor (replacing any before) and the user gets new recovery
// codes, returned to be shown once. ErrBadCode when the code is wrong, ErrNoSecondFactor
// when nothing is being set up.
func (s *Users) ConfirmEnrolment(ctx context.Context, u User, code string, now time.Time) ([]string, error) {
	_, pending, _, err := s.st.UserSecondFactor(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if pending == nil {
		return nil, ErrNoSecondFactor
	}
	secret, err := s.open(u.ID, pending)
	if err != nil {
		return nil, err
	}
	step, ok := matchTOTP(secret, code, now)
	if !ok {
		return nil, ErrBadCode
	}
	codes, hashes, err := s.newRecoveryCodes(u.ID)
	if err != nil {
		return nil, err
	}
	err = s.st.EnableSecondFactor(ctx, u.ID, pending, step, hashes, now)
	if errors.Is(err, store.ErrNotFound) { // another set-up began meanwhile
		return nil, ErrNoSecondFactor
	}
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// CheckSecondFactor accepts a TOTP code of the user's second factor, once, or one of the
// user's unused recovery codes, which is then used up; usedRecovery says which. ErrBadCode
// otherwise, ErrNoSecondFactor when the user has none.
func (s *Users) CheckSecondFactor(ctx context.Context, u User, code string, now time.Time) (usedRecovery bool, err error) {
	sealed, _, lastStep, err := s.st.UserSecondFactor(ctx, u.ID)
	if err != nil {
		return false, err
	}
	if sealed == nil {
		return false, ErrNoSecondFactor
	}
	if c := normalizeRecoveryCode(code); len(c) == recoveryLetters {
		ok, err := s.st.UseRecoveryCode(ctx, u.ID, s.recoveryHash(u.ID, c), now)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, ErrBadCode
		}
		return true, nil
	}
	secret, err := s.open(u.ID, sealed)
	if err != nil {
		return false, err
	}
	step, ok := matchTOTP(secret, code, now)
	if !ok || step <= lastStep {
		return false, ErrBadCode
	}
	accepted, err := s.st.AcceptTOTPStep(ctx, u.ID, step)
	if err != nil {
		return false, err
	}
	if !accepted { // the same code, or a later one, was taken meanwhile
		return false, ErrBadCode
	}
	return false, nil
}

// NewRecoveryCodes replaces the user's recovery codes and returns the new ones, to be
// shown once. ErrNoSecondFactor when the user has no second factor.
func (s *Users) NewRecoveryCodes(ctx context.Context, u User) ([]string, error) {
	if u.SecondFactorSince == nil {
		return nil, ErrNoSecondFactor
	}
	codes, hashes, err := s.newRecoveryCodes(u.ID)
	if err != nil {
		return nil, err
	}
	if err := s.st.ReplaceRecoveryCodes(ctx, u.ID, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Users) RecoveryCodesLeft(ctx context.Context, u User) (int, error) {
	return s.st.RecoveryCodesLeft(ctx, u.ID)
}

// RemoveSecondFactor removes the user's own second factor, after a right code, unless the
// user's role must use one (ErrSecondFactorRequired). The user's other sessions end; the
// one whose token is keepToken stays.
func (s *Users) RemoveSecondFactor(ctx context.Context, u User, code, keepToken string, now time.Time) error {
	required, err := s.SecondFactorRequired(ctx, u.Role)
	if err != nil {
		return err
	}
	if required {
		return ErrSecondFactorRequired
	}
	if _, err := s.CheckSecondFactor(ctx, u, code, now); err != nil {
		return err
	}
	return s.st.RemoveSecondFactor(ctx, u.ID, tokenHash(keepToken))
}

// ResetSecondFactor removes another user's second factor, as an admin does for a user who
// lost the device and the recovery codes, and ends that user's sessions: the next sign-in
// sets one up again if the role requires it. ErrNotFound when there is no such user.
func (s *Users) ResetSecondFactor(ctx context.Context, userID string) error {
	err := s.st.RemoveSecondFactor(ctx, userID, nil)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// ByID returns the user with the id; ErrNotFound when there is none.
func (s *Users) ByID(ctx context.Context, id string) (User, error) {
	u, err := s.st.UserByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, err
	}
	return User(u), nil
}

// SecondFactorRoles returns the roles that must use a second factor, as admins set them.
func (s *Users) SecondFactorRoles(ctx context.Context) ([]domain.Role, error) {
	v, err := s.st.SecondFactorRoles(ctx)
	if err != nil {
		return nil, err
	}
	var out []domain.Role
	for _, r := range strings.Split(v, ",") {
		if role := domain.Role(strings.TrimSpace(r)); role.Valid() {
			out = append(out, role)
		}
	}
	return out, nil
}

// SetSecondFactorRoles sets the roles that must use a second factor; users of those roles
// without one set it up at their next sign-in. An error wrapping ErrInvalid names an
// unknown role.
func (s *Users) SetSecondFactorRoles(ctx context.Context, roles []domain.Role) error {
	for _, r := range roles {
		if !r.Valid() {
			return fmt.Errorf("%w: unknown role %q; the roles are %s", ErrInvalid, r, domain.JoinNames(domain.Roles))
		}
	}
	names := make([]string, 0, len(roles))
	for _, r := range domain.Roles { // in the vocabulary's order, each once
		if slices.Contains(roles, r) {
			names = append(names, string(r))
		}
	}
	return s.st.SetSecondFactorRoles(ctx, strings.Join(names, ","))
}

// SecondFactorRequired reports whether users of the role must use a second factor.
func (s *Users) SecondFactorRequired(ctx context.Context, role domain.Role) (bool, error) {
	roles, err := s.SecondFactorRoles(ctx)
	if err != nil {
		return false, err
	}
	return slices.Contains(roles, role), nil
}

func (s *Users) open(userID string, sealed []byte) (string, error) {
	if s.keys == nil {
		return "", errors.New("second factor: no keys")
	}
	b, err := s.keys.Open(sealed, sealAAD(userID))
	if err != nil {
		return "", fmt.Errorf("open second factor of user %s: %w", userID, err)
	}
	return string(b), nil
}

// matchTOTP returns the time step of the code when it is the secret's code for a step
// within totpSkew of now's.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != 6 {
		return 0, false
	}
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	now0 := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := now0 + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), opts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// recoveryLetters is the length of a recovery code without its dashes.
var recoveryLetters = base32.StdEncoding.WithPadding(base32.NoPadding).EncodedLen(recoveryBytes)

// normalizeRecoveryCode returns the code in lower case without spaces or dashes.
func normalizeRecoveryCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, code)
}

// newRecoveryCodes returns RecoveryCodes new codes, shown as xxxx-xxxx-xxxx-xxxx, and
// their keyed hashes.
func (s *Users) newRecoveryCodes(userID string) ([]string, [][]byte, error) {
	if s.keys == nil {
		return nil, nil, errors.New("recovery codes: no keys")
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	codes := make([]string, RecoveryCodes)
	hashes := make([][]byte, RecoveryCodes)
	for i := range codes {
		b := make([]byte, recoveryBytes)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, fmt.Errorf("recovery codes: %w", err)
		}
		c := strings.ToLower(enc.EncodeToString(b))
		codes[i] = c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16]
		hashes[i] = s.recoveryHash(userID, c)
	}
	return codes, hashes, nil
}

// recoveryHash is how a recovery code (normalised) of the user is stored.
func (s *Users) recoveryHash(userID, code string) []byte {
	return s.keys.Hash("recovery:" + userID + ":" + code)
}
