package dashboard_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"dsr/http/dashboard"
	"dsr/internal/auth"
	"dsr/internal/platform/seal"
)

// An identity provider for the tests: zitadel's OpenID provider (pkg/op) over the in-memory
// storage of its example server, on loopback, with a login page of its own that checks a
// username and password. The test decides, per person, the groups the ID token says, and,
// for the whole provider, the audience and lifetime of the ID tokens it issues.

// idpClientID and idpSecret are the dashboard's registration at the provider.
const (
	idpClientID = "dsr-dashboard"
	idpSecret   = "client secret of the dashboard at the provider"
	idpPassword = "the provider's own password"
)

// idpPerson is someone who can sign in at the provider.
type idpPerson struct {
	id, username, email string
	verified            bool
	groups              []string
}

// idp is the provider.
type idp struct {
	t      *testing.T
	Issuer string
	store  *idpStorage
	people *idpPeople
	// Logged is what the dashboard in front of the provider logged (ssoHarness).
	Logged *syncBuffer
}

// syncBuffer is a log's output, written and read concurrently.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// idpPeople is the provider's user store (storage.UserStore).
type idpPeople struct {
	mu     sync.Mutex
	byID   map[string]*storage.User
	groups map[string][]string
}

func (p *idpPeople) GetUserByID(id string) *storage.User {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byID[id]
}

func (p *idpPeople) GetUserByUsername(name string) *storage.User {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, u := range p.byID {
		if u.Username == name {
			return u
		}
	}
	return nil
}

func (p *idpPeople) ExampleClientID() string { return "service" }

func (p *idpPeople) groupsOf(id string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.groups[id])
}

// idpStorage is the example storage with what the tests change: the groups claim, the
// audience of the ID tokens and their lifetime.
type idpStorage struct {
	*storage.Storage
	people *idpPeople

	mu sync.Mutex
	// other, when set, is the client the provider issues the tokens of a code exchange to.
	other    string
	lifetime time.Duration
}

// idpClient is the dashboard's registration, with the groups scope allowed, the user's
// claims asserted in the ID token and the ID token lifetime the test sets.
type idpClient struct {
	op.Client
	store *idpStorage
}

func (c idpClient) IsScopeAllowed(scope string) bool {
	return scope == "groups" || c.Client.IsScopeAllowed(scope)
}

func (c idpClient) IDTokenUserinfoClaimsAssertion() bool { return true }

// GetID is the other client's id when the provider issues tokens to it, so that the code
// exchange goes through as that client's.
func (c idpClient) GetID() string {
	if other := c.store.otherClient(); other != "" {
		return other
	}
	return c.Client.GetID()
}

func (c idpClient) IDTokenLifetime() time.Duration {
	c.store.mu.Lock()
	defer c.store.mu.Unlock()
	return c.store.lifetime
}

func (s *idpStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	cl, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return idpClient{Client: cl, store: s}, nil
}

func (s *idpStorage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	if slices.Contains(scopes, "groups") {
		ui.AppendClaims("groups", s.people.groupsOf(req.GetSubject()))
	}
	// The example leaves out email_verified when it is false; a provider may send it.
	if u := s.people.GetUserByID(req.GetSubject()); u != nil && !u.EmailVerified && slices.Contains(scopes, oidc.ScopeEmail) {
		ui.AppendClaims("email_verified", false)
	}
	return nil
}

// issuedTo is an authorisation request that the provider takes as another client's: its
// tokens name that client as audience and authorised party.
type issuedTo struct {
	op.AuthRequest
	client string
}

func (a issuedTo) GetClientID() string   { return a.client }
func (a issuedTo) GetAudience() []string { return []string{a.client} }

func (s *idpStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	req, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	if other := s.otherClient(); other != "" {
		return issuedTo{AuthRequest: req, client: other}, nil
	}
	return req, nil
}

func (s *idpStorage) otherClient() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.other
}

// newIDP starts the provider for a dashboard at base (its callback registered).
func newIDP(t *testing.T, base string) *idp {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	people := &idpPeople{byID: map[string]*storage.User{}, groups: map[string][]string{}}
	client := storage.WebClient(idpClientID, idpSecret, base+"/login/oidc/callback")
	st := &idpStorage{Storage: storage.NewStorageWithClients(people, map[string]*storage.Client{idpClientID: client}),
		people: people, lifetime: time.Hour}
	var key [32]byte
	_, err := rand.Read(key[:])
	require.NoError(t, err)
	provider, err := op.NewProvider(&op.Config{CryptoKey: key, CodeMethodS256: true, AuthMethodPost: true},
		st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	require.NoError(t, err)

	mux := http.NewServeMux()
	// The login page the client's LoginURL names: a username and a password.
	callback := op.AuthCallbackURL(provider)
	mux.Handle("/login/username", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("authRequestID")
		msg := ""
		if r.Method == http.MethodPost {
			if err := st.CheckUsernamePassword(r.FormValue("username"), r.FormValue("password"), id); err == nil {
				http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
				return
			}
			msg = "wrong username or password"
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		require.NoError(t, idpLoginPage.Execute(w, map[string]string{"ID": id, "Error": msg}))
	}))
	mux.Handle("/", provider)
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return &idp{t: t, Issuer: issuer, store: st, people: people}
}

var idpLoginPage = template.Must(template.New("login").Parse(`<!doctype html>
<title>Test provider</title>
<h1>Test provider</h1>
<p id="idp-error">{{.Error}}</p>
<form method="post" action="/login/username">
<input type="hidden" name="authRequestID" value="{{.ID}}">
<label>Username <input name="username" id="idp-username"></label>
<label>Password <input type="password" name="password" id="idp-password"></label>
<button type="submit" id="idp-submit">Sign in</button>
</form>`))

// person adds someone who can sign in with the groups; their username is returned.
func (p *idp) person(email string, verified bool, groups ...string) idpPerson {
	p.t.Helper()
	p.people.mu.Lock()
	defer p.people.mu.Unlock()
	n := len(p.people.byID) + 1
	pp := idpPerson{id: fmt.Sprintf("subject-%d", n), username: fmt.Sprintf("person%d", n), email: email, verified: verified, groups: groups}
	p.people.byID[pp.id] = &storage.User{ID: pp.id, Username: pp.username, Password: idpPassword, FirstName: "Test",
		LastName: "Person", Email: email, EmailVerified: verified}
	p.people.groups[pp.id] = groups
	return pp
}

// setGroups changes the groups of someone.
func (p *idp) setGroups(pp idpPerson, groups ...string) {
	p.people.mu.Lock()
	defer p.people.mu.Unlock()
	p.people.groups[pp.id] = groups
}

// issueTo makes the provider issue the tokens of the next code exchanges to another client
// (audience and authorised party), as if the code were that client's. Set it once the
// browser passed the authorisation step, which it would change too.
func (p *idp) issueTo(client string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.other = client
}

// lifetime sets how long the provider's ID tokens last (negative: expired when issued).
func (p *idp) lifetime(d time.Duration) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.lifetime = d
}

// testRoles is the dashboard's mapping of the provider's groups.
const testRoles = "dsr-admins=admin,dsr-dpo=dpo,dsr-viewers=viewer"

// ssoHarness is a dashboard with single sign-on through a provider of its own.
func ssoHarness(t *testing.T, passwordsOff bool) (*harness, *idp) {
	t.Helper()
	var provider *idp
	h := newHarness(t, options{configureAt: func(base string, cfg *dashboard.Config) {
		provider = newIDP(t, base)
		roles, err := auth.ParseRoleMap(testRoles)
		require.NoError(t, err)
		o, err := auth.NewOIDC(auth.OIDCConfig{Issuer: provider.Issuer, ClientID: idpClientID, ClientSecret: idpSecret,
			RedirectURL: base + "/login/oidc/callback", Scopes: []string{"openid", "email", "profile", "groups"}, Roles: roles}, quietLog())
		require.NoError(t, err)
		secret := make([]byte, 32)
		_, err = rand.Read(secret)
		require.NoError(t, err)
		keys, err := seal.New(secret)
		require.NoError(t, err)
		cfg.SSO = &dashboard.SSO{OIDC: o, Name: "Test provider", Keys: keys}
		provider.Logged = &syncBuffer{}
		cfg.Log = slog.New(slog.NewTextHandler(provider.Logged, nil))
		cfg.LocalPasswordsOff = passwordsOff
	}})
	return h, provider
}
