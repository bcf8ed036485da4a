package dashboard_test

import (
	"bytes"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"dsr/http/dashboard"
	"dsr/internal/domain"
	"dsr/internal/store"
)

// logBuffer is a log the dashboard writes while the test reads it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var apiKeyInput = regexp.MustCompile(`id="api-key" value="([^"]+)"`)

// tenantForm is a valid create form with the token.
func tenantForm(token string) url.Values {
	return url.Values{"csrf_token": {token}, "name": {"Initech"}, "region": {"us"}, "country": {"us"},
		"tz": {"America/New_York"}, "target_days": {"5"}}
}

// count returns the number of rows of a table.
func count(t *testing.T, db *sqlx.DB, table string) int {
	t.Helper()
	var n int
	require.NoError(t, db.GetContext(ctx, &n, `SELECT count(*) FROM `+table))
	return n
}

func TestAdminCreatesTenant(t *testing.T) {
	t.Parallel()
	var log logBuffer
	h := newHarness(t, options{chat: chatStore(t), configure: func(c *dashboard.Config) {
		c.Log = slog.New(slog.NewTextHandler(&log, nil))
	}})
	b := h.browser()
	token := b.login(h.user(domain.RoleAdmin))
	require.Contains(t, b.get("/tenants").Body, `id="new-tenant"`)

	p := b.post("/tenants", tenantForm(token))
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Equal(t, "no-store", p.Header.Get("Cache-Control"))
	require.Contains(t, p.Body, "Copy the API key now: it is not shown again.")
	m := apiKeyInput.FindStringSubmatch(p.Body)
	require.NotNil(t, m, "no key in the page: %s", p.Body)
	key := m[1]
	id := regexp.MustCompile(`id="created-tenant-id">([^<]+)<`).FindStringSubmatch(p.Body)
	require.NotNil(t, id, "no tenant id in the page: %s", p.Body)

	// The tenant, as normalised; its account in the chat store; a key that works.
	tn, err := h.Store.GetTenant(ctx, id[1])
	require.NoError(t, err)
	require.Equal(t, store.Tenant{ID: id[1], Name: "Initech", Region: "us", Country: "US", TZ: "America/New_York",
		TargetDays: 5, CreatedAt: tn.CreatedAt}, tn)
	var account string
	require.NoError(t, h.Chat.DB.GetContext(ctx, &account, `SELECT name FROM accounts WHERE id = $1`, tn.ID))
	require.Equal(t, "Initech", account)
	owner, err := h.Store.TenantByAPIKey(ctx, key)
	require.NoError(t, err)
	require.Equal(t, tn.ID, owner.ID)

	// Shown once: the tenants page lists the tenant, never its key; the log has its id only.
	list := b.get("/tenants")
	require.Equal(t, http.StatusOK, list.Status)
	require.Contains(t, list.Body, `href="/?tenant=`+tn.ID+`&amp;status=all">Initech</a>`)
	require.NotContains(t, list.Body, key)
	require.NotContains(t, list.Body, `id="api-key"`)
	require.Contains(t, log.String(), "tenant_id="+tn.ID)
	require.NotContains(t, log.String(), key)
	require.NotContains(t, log.String(), "Initech")

	// Target days default to 4 when the field is left empty.
	form := tenantForm(token)
	form.Set("name", "Globex")
	form.Set("target_days", "")
	p = b.post("/tenants", form)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	second := apiKeyInput.FindStringSubmatch(p.Body)
	require.NotNil(t, second)
	require.NotEqual(t, key, second[1])
	globex, err := h.Store.TenantByAPIKey(ctx, second[1])
	require.NoError(t, err)
	require.Equal(t, 4, globex.TargetDays)
}

func TestCreateTenantInvalid(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{chat: chatStore(t)})
	b := h.browser()
	token := b.login(h.user(domain.RoleAdmin))

	tests := []struct {
		name, field, value, reason string
	}{
		{name: "bad region", field: "region", value: "mars", reason: `Not created: region "mars" must be one of eu, us, apac.`},
		{name: "unknown country", field: "country", value: "XX", reason: `Not created: unknown country "XX" (supported: `},
		{name: "unknown zone", field: "tz", value: "Mars/Olympus", reason: `Not created: unknown time zone "Mars/Olympus"`},
		{name: "empty name", field: "name", value: "  ", reason: "Not created: a tenant needs a name."},
		{name: "target days not a number", field: "target_days", value: "four", reason: "Not created: target days must be a whole number between 1 and 20."},
		{name: "target days zero", field: "target_days", value: "0", reason: "Not created: target days must be a whole number between 1 and 20."},
		{name: "target days too many", field: "target_days", value: "21", reason: "Not created: target days must be between 1 and 20."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := tenantForm(token)
			form.Set(tt.field, tt.value)
			p := b.post("/tenants", form)
			require.Equal(t, http.StatusUnprocessableEntity, p.Status, p.Body)
			require.Contains(t, p.Body, `id="tenant-error">`+html.EscapeString(tt.reason))
			require.NotContains(t, p.Body, `id="api-key"`)
			// The form keeps what was typed.
			for _, f := range []string{"name", "country", "tz", "target_days"} {
				require.Contains(t, p.Body, `name="`+f+`" value="`+html.EscapeString(form.Get(f))+`"`, f)
			}
			if tt.field != "region" {
				require.Contains(t, p.Body, `<option value="us" selected>`)
			}
		})
	}
	require.Zero(t, count(t, h.DB, "tenants"))
	require.Zero(t, count(t, h.DB, "api_keys"))
	require.Zero(t, count(t, h.Chat.DB, "accounts"))
}

func TestCreateTenantRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{chat: chatStore(t)})

	for _, role := range []domain.Role{domain.RoleViewer, domain.RoleDPO} {
		b := h.browser()
		token := b.login(h.user(role))
		p := b.post("/tenants", tenantForm(token))
		require.Equal(t, http.StatusForbidden, p.Status, role)
		require.Contains(t, p.Body, "Your role ("+string(role)+") cannot do this: it needs the admin role.")
	}
	b := h.browser()
	token := b.login(h.user(domain.RoleAdmin))
	for name, form := range map[string]url.Values{"no token": tenantForm(""), "wrong token": tenantForm(token + "x")} {
		p := b.post("/tenants", form)
		require.Equal(t, http.StatusForbidden, p.Status, name)
		require.Contains(t, p.Body, "CSRF check failed", name)
	}
	require.Zero(t, count(t, h.DB, "tenants"))
	require.Zero(t, count(t, h.Chat.DB, "accounts"))
}

func TestCreateTenantWithoutChatStore(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	b := h.browser()
	token := b.login(h.user(domain.RoleAdmin))

	p := b.get("/tenants")
	require.Equal(t, http.StatusOK, p.Status)
	require.NotContains(t, p.Body, `id="new-tenant"`)
	require.Contains(t, p.Body, "this dashboard has no connection to the chat store")
	p = b.post("/tenants", tenantForm(token))
	require.Equal(t, http.StatusServiceUnavailable, p.Status)
	require.Contains(t, p.Body, "Tenants cannot be created here: the dashboard has no connection to the chat store")
	require.Zero(t, count(t, h.DB, "tenants"))
}
