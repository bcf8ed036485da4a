package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// Single sign-on defaults.
const (
	// DefaultRoleClaim is the claim whose values are mapped to roles.
	DefaultRoleClaim = "groups"
	// discoveryRetry is how long after a failed discovery of the provider the next sign-in
	// tries again.
	discoveryRetry = 10 * time.Second
	// providerTimeout bounds each call to the identity provider.
	providerTimeout = 10 * time.Second
	// stateMemory is how long the states of finished sign-ins are kept to refuse replays;
	// far longer than a state lives.
	stateMemory = 24 * time.Hour
)

// DefaultOIDCScopes are the scopes asked for when none are configured: what every OpenID
// provider knows. Providers that send groups only for a scope of their own (e.g. "groups")
// need it added.
var DefaultOIDCScopes = []string{oidc.ScopeOpenID, "email", "profile"}

// Errors of single sign-on. Their messages can be shown to whoever signed in; what the
// provider said is wrapped in them, for the log.
var (
	// ErrSSOUnavailable: the identity provider could not be reached, or answered nonsense.
	ErrSSOUnavailable = errors.New("the identity provider cannot be reached right now")
	// ErrSSOToken: the provider refused the code, or its ID token is not for this dashboard
	// (issuer, audience, signature) or does not answer this sign-in (nonce).
	ErrSSOToken = errors.New("the identity provider's answer is not valid for this dashboard")
	// ErrSSOExpired: the ID token has expired.
	ErrSSOExpired = errors.New("the identity provider's token has expired")
	// ErrSSOEmail: the token has no email, or the provider says it is not verified.
	ErrSSOEmail = errors.New("the identity provider gave no verified email address")
	// ErrSSONoRole: none of the person's groups is mapped to a role.
	ErrSSONoRole = errors.New("none of your groups at the identity provider gives access to the dashboard")
	// ErrSSODisabled: the dashboard user of the email is disabled.
	ErrSSODisabled = errors.New("this dashboard account is disabled")
	// ErrSSOConflict: the email's dashboard user signs in as another person of the
	// provider, or the person is tied to another dashboard user.
	ErrSSOConflict = errors.New("this dashboard account belongs to another person at the identity provider")
)

// OIDCConfig configures single sign-on through an OpenID provider.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is at
	// Issuer/.well-known/openid-configuration.
	Issuer string
	// ClientID and ClientSecret are the dashboard's registration at the provider; the
	// secret may be empty for a public client (PKCE only).
	ClientID, ClientSecret string
	// RedirectURL is the callback the provider sends the browser back to:
	// <public URL>/login/oidc/callback.
	RedirectURL string
	// Scopes are asked for; DefaultOIDCScopes when empty ("openid" is always added).
	Scopes []string
	// RoleClaim names the claim of the ID token (or, when the token lacks it, of the
	// userinfo answer) whose values Roles maps; a dotted path reaches into objects
	// (e.g. realm_access.roles). DefaultRoleClaim when empty.
	RoleClaim string
	// Roles maps the claim's values (groups) to roles; the highest mapped role wins and a
	// person with no mapped value is refused.
	Roles map[string]domain.Role
	// HTTPClient calls the provider; one with a 10 s timeout when nil.
	HTTPClient *http.Client
	// Now is the clock ID tokens are checked against; time.Now when nil.
	Now func() time.Time
}

// ParseRoleMap reads a mapping of groups to roles, "group=role" pairs separated by commas
// (e.g. "dsr-admins=admin,dsr-dpo=dpo,dsr-viewers=viewer"). Errors wrap ErrInvalid.
func ParseRoleMap(s string) (map[string]domain.Role, error) {
	out := map[string]domain.Role{}
	for pair := range strings.SplitSeq(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		group, role, ok := strings.Cut(pair, "=")
		group, role = strings.TrimSpace(group), strings.TrimSpace(role)
		switch {
		case !ok || group == "":
			return nil, fmt.Errorf("%w: %q is not group=role", ErrInvalid, pair)
		case !domain.Role(role).Valid():
			return nil, fmt.Errorf("%w: the role of %q must be one of %s", ErrInvalid, group, domain.JoinNames(domain.Roles))
		}
		if _, dup := out[group]; dup {
			return nil, fmt.Errorf("%w: %q is mapped twice", ErrInvalid, group)
		}
		out[group] = domain.Role(role)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no group is mapped to a role", ErrInvalid)
	}
	return out, nil
}

// CheckIssuer returns an error wrapping ErrInvalid unless issuer is an https URL, or an
// http one on a loopback address (a provider on the same machine, for tests and trials).
func CheckIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w: %q is not an http(s) URL", ErrInvalid, issuer)
	}
	switch host := u.Hostname(); {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && (host == "localhost" || host == "127.0.0.1" || host == "::1"):
		return nil
	}
	return fmt.Errorf("%w: %q must be https (http only on localhost)", ErrInvalid, issuer)
}

// OIDC signs dashboard users in through an OpenID provider: the authorisation code flow
// with PKCE (S256), state and nonce. The provider is discovered at the first use and, after
// a failure, again at a use at least 10 s later, so that a provider that is briefly down
// does not keep the dashboard from starting. It is safe for concurrent use.
type OIDC struct {
	cfg    OIDCConfig
	log    *slog.Logger
	client *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
	lastTry  time.Time
	lastErr  error
}

// NewOIDC checks the configuration and returns the single sign-on; it does not call the
// provider yet.
func NewOIDC(cfg OIDCConfig, log *slog.Logger) (*OIDC, error) {
	if err := CheckIssuer(cfg.Issuer); err != nil {
		return nil, fmt.Errorf("single sign-on: issuer: %w", err)
	}
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("single sign-on: %w: the client id is empty", ErrInvalid)
	}
	if u, err := url.Parse(cfg.RedirectURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("single sign-on: %w: the redirect URL %q is not an http(s) URL", ErrInvalid, cfg.RedirectURL)
	}
	if len(cfg.Roles) == 0 {
		return nil, fmt.Errorf("single sign-on: %w: no group is mapped to a role", ErrInvalid)
	}
	for g, r := range cfg.Roles {
		if !r.Valid() {
			return nil, fmt.Errorf("single sign-on: %w: the role of %q must be one of %s", ErrInvalid, g, domain.JoinNames(domain.Roles))
		}
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = DefaultOIDCScopes
	}
	if !slices.Contains(cfg.Scopes, oidc.ScopeOpenID) {
		cfg.Scopes = append([]string{oidc.ScopeOpenID}, cfg.Scopes...)
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = DefaultRoleClaim
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: providerTimeout}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &OIDC{cfg: cfg, log: log, client: client}, nil
}

// Issuer is the provider's issuer URL.
func (o *OIDC) Issuer() string { return o.cfg.Issuer }

// Discover reads the provider's discovery document unless that was done already; when it
// fails, the next try is at a call at least 10 s later (until then, calls fail at once with
// the last error). Errors wrap ErrSSOUnavailable.
func (o *OIDC) Discover(ctx context.Context) error {
	_, err := o.discovered(ctx)
	return err
}

func (o *OIDC) discovered(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	now := time.Now()
	if !o.lastTry.IsZero() && now.Sub(o.lastTry) < discoveryRetry {
		return nil, fmt.Errorf("%w: discovery failed %s ago: %w", ErrSSOUnavailable, now.Sub(o.lastTry).Round(time.Second), o.lastErr)
	}
	o.lastTry = now
	ctx, cancel := context.WithTimeout(ctx, providerTimeout)
	defer cancel()
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.client), o.cfg.Issuer)
	if err != nil {
		o.lastErr = err
		o.log.Warn("single sign-on: the identity provider could not be discovered; retrying at the next sign-in",
			slog.String("issuer", o.cfg.Issuer), slog.Any("error", err))
		return nil, fmt.Errorf("%w: discover %s: %w", ErrSSOUnavailable, o.cfg.Issuer, err)
	}
	o.log.Info("single sign-on: identity provider discovered", slog.String("issuer", o.cfg.Issuer))
	o.provider, o.lastErr = p, nil
	return p, nil
}

func (o *OIDC) oauth2(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: o.cfg.RedirectURL, Scopes: o.cfg.Scopes}
}

// AuthCodeURL returns where to send the browser to sign in: the provider's authorisation
// endpoint with state, nonce and the S256 challenge of the PKCE verifier.
func (o *OIDC) AuthCodeURL(ctx context.Context, state, nonce, verifier string) (string, error) {
	p, err := o.discovered(ctx)
	if err != nil {
		return "", err
	}
	return o.oauth2(p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// Identity is who the provider says signed in, and the role the mapping gives them.
type Identity struct {
	// Subject is the provider's stable id of the person (sub).
	Subject string
	Email   string
	Role    domain.Role
}

// Finish ends a sign-in: it exchanges the code (with the PKCE verifier) for tokens,
// verifies the ID token (signature, issuer, audience = client id, expiry) and its nonce,
// reads the email (which must not be marked unverified) and maps the role claim to a role.
// Claims the ID token lacks are read from the userinfo endpoint. Errors wrap
// ErrSSOUnavailable, ErrSSOToken, ErrSSOExpired, ErrSSOEmail or ErrSSONoRole.
func (o *OIDC) Finish(ctx context.Context, code, verifier, nonce string) (Identity, error) {
	p, err := o.discovered(ctx)
	if err != nil {
		return Identity{}, err
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.client), providerTimeout)
	defer cancel()
	tok, err := o.oauth2(p).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return Identity{}, fmt.Errorf("%w: the code was refused: %s", ErrSSOToken, re.ErrorCode)
		}
		return Identity{}, fmt.Errorf("%w: exchange the code: %w", ErrSSOUnavailable, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, fmt.Errorf("%w: the answer has no ID token", ErrSSOToken)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID, Now: o.cfg.Now}).Verify(ctx, raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return Identity{}, fmt.Errorf("%w: %w", ErrSSOExpired, err)
		}
		return Identity{}, fmt.Errorf("%w: %w", ErrSSOToken, err)
	}
	if idt.Nonce == "" || idt.Nonce != nonce {
		return Identity{}, fmt.Errorf("%w: the nonce does not match", ErrSSOToken)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: read the claims: %w", ErrSSOToken, err)
	}
	// With more audiences than this dashboard, the token must have been issued to it.
	if len(idt.Audience) > 1 {
		if azp, _ := claims["azp"].(string); azp != o.cfg.ClientID {
			return Identity{}, fmt.Errorf("%w: the token has several audiences and was issued to another party", ErrSSOToken)
		}
	}
	if _, ok := claims["email"]; !ok || lookup(claims, o.cfg.RoleClaim) == nil {
		if err := o.userinfo(ctx, p, tok, idt.Subject, claims); err != nil {
			return Identity{}, err
		}
	}
	id := Identity{Subject: idt.Subject}
	email, _ := claims["email"].(string)
	if id.Email, err = NormalizeEmail(email); err != nil {
		return Identity{}, fmt.Errorf("%w: the email claim is missing or not an address", ErrSSOEmail)
	}
	if v, present := claims["email_verified"]; present && !isTrue(v) {
		return Identity{}, fmt.Errorf("%w: email_verified is not true", ErrSSOEmail)
	}
	role, ok := o.role(lookup(claims, o.cfg.RoleClaim))
	if !ok {
		return Identity{}, fmt.Errorf("%w: no value of the claim %s is mapped", ErrSSONoRole, o.cfg.RoleClaim)
	}
	id.Role = role
	return id, nil
}

// userinfo adds to claims what the userinfo endpoint says and claims lack. Its subject
// must be the ID token's.
func (o *OIDC) userinfo(ctx context.Context, p *oidc.Provider, tok *oauth2.Token, subject string, claims map[string]any) error {
	if p.UserInfoEndpoint() == "" {
		return nil
	}
	ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return fmt.Errorf("%w: read userinfo: %w", ErrSSOUnavailable, err)
	}
	if ui.Subject != subject {
		return fmt.Errorf("%w: the userinfo answer is about another subject", ErrSSOToken)
	}
	var more map[string]any
	if err := ui.Claims(&more); err != nil {
		return fmt.Errorf("%w: read userinfo claims: %w", ErrSSOToken, err)
	}
	for k, v := range more {
		if _, ok := claims[k]; !ok {
			claims[k] = v
		}
	}
	return nil
}

// lookup returns the claim at the dotted path, nil when there is none.
func lookup(claims map[string]any, path string) any {
	if v, ok := claims[path]; ok {
		return v
	}
	var cur any = claims
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return cur
}

// role maps the claim's value (a string or a list of them) to the highest mapped role.
func (o *OIDC) role(v any) (domain.Role, bool) {
	var values []string
	switch t := v.(type) {
	case string:
		values = []string{t}
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok {
				values = append(values, s)
			}
		}
	}
	best := -1
	for _, g := range values {
		if r, ok := o.cfg.Roles[g]; ok {
			best = max(best, slices.Index(domain.Roles, r))
		}
	}
	if best < 0 {
		return "", false
	}
	return domain.Roles[best], true
}

// isTrue reads a boolean claim, which some providers send as a string.
func isTrue(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return strings.EqualFold(t, "true")
	}
	return false
}

// SSOCreatedBy is the created_by of users made at their first single sign-on.
const SSOCreatedBy = "sso"

// SignInSSO returns the dashboard user the identity signs in as, and notes the sign-in:
// the user with the email, made at the first sign-in. The user becomes an SSO user tied to
// the identity's subject (any local password is removed) and takes the identity's role,
// at every sign-in. Errors: ErrSSODisabled, ErrSSOConflict.
func (s *Users) SignInSSO(ctx context.Context, id Identity, now time.Time) (User, error) {
	for range 2 {
		u, link, err := s.st.UserSSOByEmail(ctx, id.Email)
		if errors.Is(err, store.ErrNotFound) {
			nu, err := s.st.CreateSSOUser(ctx, id.Email, id.Role, id.Subject, SSOCreatedBy, now)
			if errors.Is(err, store.ErrExists) {
				continue // made at the same moment, or the subject is another user's: look again
			}
			if err != nil {
				return User{}, err
			}
			return User(nu), nil
		}
		if err != nil {
			return User{}, err
		}
		switch {
		case u.DisabledAt != nil:
			return User{}, ErrSSODisabled
		case link.Subject != "" && link.Subject != id.Subject:
			return User{}, ErrSSOConflict
		}
		nu, err := s.st.SignInSSOUser(ctx, u.ID, id.Subject, id.Role, now)
		switch {
		case errors.Is(err, store.ErrExists):
			return User{}, ErrSSOConflict
		case errors.Is(err, store.ErrNotFound):
			continue // disabled or tied since it was read: look again
		case err != nil:
			return User{}, err
		}
		return User(nu), nil
	}
	// The email is free but the subject is another user's, or the user keeps changing.
	return User{}, ErrSSOConflict
}

// UseSSOState records that a sign-in with this state came back, and reports whether it
// is the first time (false: a replay, to refuse). Only a hash of the state is kept.
func (s *Users) UseSSOState(ctx context.Context, state string, now time.Time) (bool, error) {
	sum := sha256.Sum256([]byte("oidc-state:" + state))
	return s.st.UseOIDCState(ctx, sum[:], now, now.Add(-stateMemory))
}

// SSOAttempt is what one single sign-on keeps until the provider answers: the state sent
// with it (and expected back), the nonce the ID token must carry, and the PKCE verifier.
type SSOAttempt struct {
	State, Nonce, Verifier string
}

// NewSSOAttempt draws a random state, nonce (256 bits each) and PKCE verifier.
func NewSSOAttempt() (SSOAttempt, error) {
	state, err := randomToken()
	if err != nil {
		return SSOAttempt{}, fmt.Errorf("single sign-on state: %w", err)
	}
	nonce, err := randomToken()
	if err != nil {
		return SSOAttempt{}, fmt.Errorf("single sign-on nonce: %w", err)
	}
	return SSOAttempt{State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier()}, nil
}
