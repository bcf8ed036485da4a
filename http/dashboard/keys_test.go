package dashboard_test

import (
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/http/dashboard"
	"dsr/internal/domain"
	"dsr/internal/store"
)

var createdKeyID = regexp.MustCompile(`id="created-key-id">([^<]+)<`)

func TestAdminManagesKeys(t *testing.T) {
	t.Parallel()
	var log logBuffer
	h := newHarness(t, options{configure: func(c *dashboard.Config) {
		c.Log = slog.New(slog.NewTextHandler(&log, nil))
	}})
	tn := h.tenant("Initech")
	first, err := h.Store.CreateAPIKey(ctx, tn.ID)
	require.NoError(t, err)
	keys, err := h.Store.APIKeys(ctx, tn.ID)
	require.NoError(t, err)
	firstID := keys[0].ID
	page := "/tenants/" + tn.ID

	// Only admins see the page.
	for _, role := range []domain.Role{domain.RoleViewer, domain.RoleDPO} {
		b := h.browser()
		b.login(h.user(role))
		require.Equal(t, http.StatusForbidden, b.get(page).Status, role)
	}
	b := h.browser()
	token := b.login(h.user(domain.RoleAdmin))
	require.Contains(t, b.get("/tenants").Body, `href="`+page+`"`, "the tenants page links to it")
	p := b.get(page)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Contains(t, p.Body, `id="key-`+firstID+`"`)
	require.Contains(t, p.Body, `id="new-key"`)
	require.NotContains(t, p.Body, `id="api-key"`)
	require.Equal(t, http.StatusNotFound, b.get("/tenants/"+uuid.NewString()).Status)
	require.Equal(t, http.StatusNotFound, b.get("/tenants/nope").Status)

	// Without the CSRF token nothing happens.
	require.Equal(t, http.StatusForbidden, b.post(page+"/keys", url.Values{"name": {"CRM"}, "scopes": {"requests"}}).Status)

	t.Run("invalid", func(t *testing.T) {
		tests := []struct {
			name   string
			form   url.Values
			reason string
		}{
			{name: "no name", form: url.Values{"name": {" "}, "scopes": {"requests"}}, reason: "Not created: a key needs a name."},
			{name: "no scope", form: url.Values{"name": {"CRM"}}, reason: "Not created: scopes needs at least one of requests, admin."},
			{name: "unknown scope", form: url.Values{"name": {"CRM"}, "scopes": {"root"}}, reason: `Not created: scope "root" is not one of requests, admin.`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.form.Set("csrf_token", token)
				p := b.post(page+"/keys", tt.form)
				require.Equal(t, http.StatusUnprocessableEntity, p.Status, p.Body)
				require.Contains(t, p.Body, `id="key-error">`+html.EscapeString(tt.reason))
				require.Contains(t, p.Body, `name="name" value="`+html.EscapeString(tt.form.Get("name"))+`"`)
				require.NotContains(t, p.Body, `id="api-key"`)
			})
		}
		all, err := h.Store.APIKeys(ctx, tn.ID)
		require.NoError(t, err)
		require.Len(t, all, 1)
	})

	// Created: the secret is on this answer only, and it works with its scope.
	p = b.post(page+"/keys", url.Values{"csrf_token": {token}, "name": {"CRM"}, "scopes": {"requests"}})
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Contains(t, p.Body, "Copy the API key now: it is not shown again.")
	secret := apiKeyInput.FindStringSubmatch(p.Body)
	require.NotNil(t, secret, p.Body)
	crmID := createdKeyID.FindStringSubmatch(p.Body)[1]
	c, err := h.Store.AuthenticateAPIKey(ctx, secret[1], time.Now())
	require.NoError(t, err)
	require.Equal(t, crmID, c.KeyID)
	require.Equal(t, []domain.KeyScope{domain.KeyScopeRequests}, c.Scopes)
	again := b.get(page)
	require.Contains(t, again.Body, `id="key-`+crmID+`"`)
	require.NotContains(t, again.Body, secret[1])
	require.Contains(t, log.String(), "key_id="+crmID)
	require.NotContains(t, log.String(), secret[1])

	// The last admin key is kept, with the reason.
	p = b.post(page+"/keys/"+firstID+"/revoke", url.Values{"csrf_token": {token}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Contains(t, b.get(page).Body, "last admin key")
	_, err = h.Store.AuthenticateAPIKey(ctx, first, time.Now())
	require.NoError(t, err)

	// Revoked at once.
	p = b.post(page+"/keys/"+crmID+"/revoke", url.Values{"csrf_token": {token}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	after := b.get(page)
	require.Contains(t, after.Body, "Revoked the key CRM")
	require.Regexp(t, `id="key-`+crmID+`"[\s\S]*?<span class="tag">revoked `, after.Body)
	_, err = h.Store.AuthenticateAPIKey(ctx, secret[1], time.Now())
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Equal(t, http.StatusNotFound, b.post(page+"/keys/"+uuid.NewString()+"/revoke", url.Values{"csrf_token": {token}}).Status)
	other := h.tenant("Globex")
	require.Equal(t, http.StatusNotFound, b.post("/tenants/"+other.ID+"/keys/"+firstID+"/revoke", url.Values{"csrf_token": {token}}).Status,
		"a key is revoked through its own tenant only")

	// Rotated with an overlap: a new key shown once; the old one works until it ends.
	now := h.Clock.Now()
	p = b.post(page+"/keys/"+firstID+"/rotate", url.Values{"csrf_token": {token}, "overlap": {"1h"}})
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	rotated := apiKeyInput.FindStringSubmatch(p.Body)
	require.NotNil(t, rotated, p.Body)
	require.Contains(t, p.Body, `id="replaced-until">`+now.Add(time.Hour).UTC().Format("2006-01-02 15:04 UTC"))
	c, err = h.Store.AuthenticateAPIKey(ctx, rotated[1], now)
	require.NoError(t, err)
	require.Equal(t, []domain.KeyScope{domain.KeyScopeAdmin}, c.Scopes)
	_, err = h.Store.AuthenticateAPIKey(ctx, first, now.Add(59*time.Minute))
	require.NoError(t, err)
	_, err = h.Store.AuthenticateAPIKey(ctx, first, now.Add(61*time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)

	// A bad overlap is refused with the reason.
	newID := createdKeyID.FindStringSubmatch(p.Body)[1]
	p = b.post(page+"/keys/"+newID+"/rotate", url.Values{"csrf_token": {token}, "overlap": {"30d"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Contains(t, b.get(page).Body, "Not rotated: overlap must be between 0")
}
