package dashboard_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"dsr/connectors/chatstore"
	"dsr/http/dashboard"
	"dsr/http/server"
	"dsr/internal/auth"
	"dsr/internal/deadline"
	"dsr/internal/domain"
	"dsr/internal/platform/seal"
	"dsr/internal/store"
	"dsr/internal/temporal/dispatch"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

var ctx = context.Background()

// password is every test user's password.
const password = "correct horse battery staple"

// clock is a settable clock for session expiry and the sign-in limit.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is a dashboard on a private schema behind the real HTTP server (server.New),
// with a settable clock. Temporal is connected only where a test gives one.
type harness struct {
	t     *testing.T
	Store *store.Store
	// DB is the orchestrator database, for tests that look at its tables themselves.
	DB    *sqlx.DB
	Users *auth.Users
	// Chat is the chat store the dashboard creates tenants' accounts in; nil when the test
	// gives none.
	Chat  *pgtest.Schema
	Clock *clock
	URL   string
	// PackageDir is where packages are read from.
	PackageDir string
	users      int
}

// options change the dashboard's configuration before it is built.
type options struct {
	configure func(*dashboard.Config)
	dispatch  *dispatch.Client
	// orch is the orchestrator's schema (testenv's env.Orch); a new one when nil.
	orch *pgtest.Schema
	// chat is the chat store given to the dashboard (as Config.Accounts, its connector):
	// testenv's env.Chat, or a schema of the test's own from chatStore.
	chat *pgtest.Schema
	dir  string
	// realTime runs the dashboard on the real clock (for tests with workflows).
	realTime bool
	// configureAt changes the configuration knowing the dashboard's address (base URL).
	configureAt func(base string, cfg *dashboard.Config)
}

// chatStore is a private, migrated chat-store schema, for a harness that creates tenants.
func chatStore(t *testing.T) *pgtest.Schema {
	t.Helper()
	return pgtest.New(t, schema.ChatStore)
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newHarness(t *testing.T, o options) *harness {
	t.Helper()
	orch := o.orch
	if orch == nil {
		orch = pgtest.New(t, schema.Orchestrator)
	}
	st := store.New(orch.DB)
	keys, err := seal.New([]byte(strings.Repeat("s", seal.MinSecretLen)))
	require.NoError(t, err)
	h := &harness{t: t, Store: st, DB: orch.DB, Users: auth.New(st).WithKeys(keys), Chat: o.chat, Clock: &clock{t: time.Now()}, PackageDir: o.dir}
	if h.PackageDir == "" {
		h.PackageDir = t.TempDir()
	}
	cfg := dashboard.Config{Store: st, Users: h.Users, Dispatch: o.dispatch, PackageDir: h.PackageDir,
		Log: quietLog(), Now: h.Clock.Now}
	if o.chat != nil {
		cfg.Accounts = chatstore.New(o.chat.DB)
	}
	if o.realTime {
		cfg.Now = nil
	}
	if o.configure != nil {
		o.configure(&cfg)
	}
	srv := httptest.NewUnstartedServer(nil)
	h.URL = "http://" + srv.Listener.Addr().String()
	if o.configureAt != nil {
		o.configureAt(h.URL, &cfg)
	}
	d, err := dashboard.New(cfg)
	require.NoError(t, err)
	srv.Config.Handler = server.New(server.Options{Dashboard: d, Log: quietLog()})
	srv.Start()
	t.Cleanup(srv.Close)
	return h
}

// user creates a dashboard user with the role and returns its email.
func (h *harness) user(role domain.Role) string {
	h.t.Helper()
	h.users++
	email := fmt.Sprintf("%s%d@vendor.example", role, h.users)
	_, err := h.Users.Create(ctx, auth.NewUser{Email: email, Role: role, Password: password, CreatedBy: "test"})
	require.NoError(h.t, err)
	return email
}

// tenant creates a tenant.
func (h *harness) tenant(name string) store.Tenant {
	h.t.Helper()
	tn, err := h.Store.CreateTenant(ctx, store.Tenant{Name: name, Region: "eu", Country: "FR", TZ: "Europe/Paris"})
	require.NoError(h.t, err)
	return tn
}

// request records a request of the tenant from the mailbox, its clock started now, in
// status (recorded as an event).
func (h *harness) request(tn store.Tenant, typ domain.RequestType, email string, status domain.Status) store.Request {
	h.t.Helper()
	now := h.Clock.Now().UTC()
	due, err := deadline.Compute(now, deadline.Policy{Country: tn.Country, TZ: tn.TZ, TargetDays: tn.TargetDays})
	require.NoError(h.t, err)
	r, _, err := h.Store.CreateRequest(ctx, store.NewRequest{TenantID: tn.ID, Type: typ, Source: "mail", SubjectEmail: email,
		ReceivedAt: now, ClockStartedAt: &now, TargetDue: due.Target.Time(), LegalDue: due.Legal.Time(), ExtendedDue: due.Extended.Time()})
	require.NoError(h.t, err)
	if status != "" && status != domain.StatusReceived {
		_, err := h.Store.Record(ctx, domain.Change{RequestID: r.ID, DedupeKey: "test-" + string(status), Kind: "status_changed",
			Actor: "system", Message: "now " + string(status), Status: status})
		require.NoError(h.t, err)
	}
	r, err = h.Store.GetRequest(ctx, "", r.ID)
	require.NoError(h.t, err)
	return r
}

// browser is an HTTP client with its own cookies that does not follow redirects.
type browser struct {
	t    *testing.T
	h    *harness
	http *http.Client
	// header is sent with every request.
	header http.Header
}

func (h *harness) browser() *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(h.t, err)
	return &browser{t: h.t, h: h, header: http.Header{}, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is an answer.
type page struct {
	Status int
	Header http.Header
	Body   string
}

func (b *browser) do(method, path string, form url.Values, header ...string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.h.URL+path, body)
	require.NoError(b.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.http.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return page{Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
}

func (b *browser) get(path string, header ...string) page {
	return b.do(http.MethodGet, path, nil, header...)
}

func (b *browser) post(path string, form url.Values, header ...string) page {
	return b.do(http.MethodPost, path, form, header...)
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf returns the CSRF token of the page's forms.
func csrf(t *testing.T, p page) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(p.Body)
	require.NotNil(t, m, "no csrf_token in the page: %s", p.Body)
	return m[1]
}

// tryLogin posts the sign-in form (after reading it for its token).
func (b *browser) tryLogin(email, pw string) page {
	b.t.Helper()
	form := b.get("/login")
	require.Equal(b.t, http.StatusOK, form.Status)
	return b.post("/login", url.Values{"email": {email}, "password": {pw}, "csrf_token": {csrf(b.t, form)}})
}

// login signs in and returns the session's CSRF token.
func (b *browser) login(email string) string {
	b.t.Helper()
	p := b.tryLogin(email, password)
	require.Equal(b.t, http.StatusSeeOther, p.Status, p.Body)
	home := b.get("/")
	require.Equal(b.t, http.StatusOK, home.Status, home.Body)
	return csrf(b.t, home)
}

// cookie returns the browser's cookie of that name for the server, "" when none.
func (b *browser) cookie(name string) string {
	u, err := url.Parse(b.h.URL)
	require.NoError(b.t, err)
	for _, c := range b.http.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}
