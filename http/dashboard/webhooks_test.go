package dashboard_test

import (
	"html"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/http/dashboard"
	"dsr/internal/domain"
	"dsr/internal/platform/seal"
	"dsr/internal/testkit/testenv"
	"dsr/internal/webhooks"
)

var (
	signingSecret = regexp.MustCompile(`id="signing-secret" value="([^"]+)"`)
	secretOf      = regexp.MustCompile(`id="webhook-secret-id">([^<]+)<`)
)

// TestAdminManagesWebhooks: an admin makes a tenant's subscription (its secret shown
// once, opened by the deliverer as the one that signs), is told why bad values are
// refused, rotates the secret (both sign during the overlap) and deletes it.
func TestAdminManagesWebhooks(t *testing.T) {
	t.Parallel()
	var log logBuffer
	keys, err := seal.New(testenv.SecretKey)
	require.NoError(t, err)
	secrets := webhooks.Secrets{Keys: keys}
	h := newHarness(t, options{configure: func(c *dashboard.Config) {
		c.Log = slog.New(slog.NewTextHandler(&log, nil))
		c.Webhooks = &dashboard.Webhooks{Secrets: secrets, Overlap: time.Hour,
			Guard: &webhooks.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}}
	}})
	tn := h.tenant("Initech")
	page := "/tenants/" + tn.ID + "/webhooks"

	for _, role := range []domain.Role{domain.RoleViewer, domain.RoleDPO} {
		b := h.browser()
		b.login(h.user(role))
		require.Equal(t, http.StatusForbidden, b.post(page, url.Values{"url": {"https://127.0.0.1:9/hook"}}).Status, role)
	}
	b := h.browser()
	token := b.login(h.user(domain.RoleAdmin))
	p := b.get(page)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Contains(t, p.Body, `id="no-webhooks"`)
	require.Contains(t, p.Body, `id="new-webhook"`)
	require.Equal(t, http.StatusForbidden, b.post(page, url.Values{"url": {"https://127.0.0.1:9/hook"}}).Status, "no CSRF token")

	for _, tc := range []struct{ name, url, event, reason string }{
		{"no URL", " ", "", "url is required"},
		{"plain http", "http://hooks.example.com/x", "", "url must use https"},
		{"private address", "https://10.1.2.3/hook", "", "internal address"},
		{"metadata address", "https://169.254.169.254/latest", "", "internal address"},
		{"unknown event", "https://127.0.0.1:9/hook", "request.exploded", `events: "request.exploded" is not one of`},
	} {
		form := url.Values{"csrf_token": {token}, "url": {tc.url}, "description": {"CRM"}}
		if tc.event != "" {
			form.Set("events", tc.event)
		}
		p := b.post(page, form)
		require.Equal(t, http.StatusUnprocessableEntity, p.Status, tc.name)
		require.Contains(t, p.Body, `id="webhook-error">Not created: `, tc.name)
		require.Contains(t, p.Body, html.EscapeString(tc.reason), tc.name)
		require.Contains(t, p.Body, `name="description" value="CRM"`, "%s: the form keeps what was typed", tc.name)
		require.NotContains(t, p.Body, `id="signing-secret"`)
	}
	subs, err := h.Store.Webhooks(ctx, tn.ID)
	require.NoError(t, err)
	require.Empty(t, subs, "nothing made from refused values")

	// Made: the secret shows once and is the one deliveries are signed with.
	p = b.post(page, url.Values{"csrf_token": {token}, "url": {" https://127.0.0.1:9/hook "}, "description": {"CRM"},
		"events": {string(domain.WebhookStatusChanged)}})
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Contains(t, p.Body, "Copy the signing secret now: it is not shown again.")
	secret := signingSecret.FindStringSubmatch(p.Body)
	require.NotNil(t, secret, p.Body)
	id := secretOf.FindStringSubmatch(p.Body)[1]
	w, err := h.Store.GetWebhook(ctx, tn.ID, id)
	require.NoError(t, err)
	require.Equal(t, "https://127.0.0.1:9/hook", w.URL)
	require.Equal(t, []domain.WebhookEvent{domain.WebhookStatusChanged}, w.EventTypes())
	require.Equal(t, []string{secret[1]}, activeSecrets(t, h, secrets, id))
	again := b.get(page)
	require.Contains(t, again.Body, `id="webhook-`+id+`"`)
	require.NotContains(t, again.Body, secret[1], "shown once")
	require.Contains(t, log.String(), "webhook_id="+id)
	require.NotContains(t, log.String(), secret[1], "never logged")

	// Rotated: a new secret shown once; the old one signs on for the overlap.
	p = b.post(page+"/"+id+"/rotate-secret", url.Values{"csrf_token": {token}})
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	rotated := signingSecret.FindStringSubmatch(p.Body)
	require.NotNil(t, rotated, p.Body)
	require.NotEqual(t, secret[1], rotated[1])
	require.Contains(t, p.Body, "Previous secret")
	require.Equal(t, []string{rotated[1], secret[1]}, activeSecrets(t, h, secrets, id))
	require.NotContains(t, log.String(), rotated[1])

	// Another tenant's page reaches none of it; unknown ids are 404.
	other := h.tenant("Globex")
	require.Equal(t, http.StatusNotFound, b.post("/tenants/"+other.ID+"/webhooks/"+id+"/delete", url.Values{"csrf_token": {token}}).Status)
	require.Equal(t, http.StatusNotFound, b.post(page+"/"+uuid.NewString()+"/rotate-secret", url.Values{"csrf_token": {token}}).Status)
	require.Equal(t, http.StatusNotFound, b.post(page+"/nope/delete", url.Values{"csrf_token": {token}}).Status)
	require.Equal(t, http.StatusNotFound, b.post("/tenants/"+uuid.NewString()+"/webhooks",
		url.Values{"csrf_token": {token}, "url": {"https://127.0.0.1:9/hook"}}).Status)

	// Deleted.
	p = b.post(page+"/"+id+"/delete", url.Values{"csrf_token": {token}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	after := b.get(page)
	require.Contains(t, after.Body, "Deleted the webhook to https://127.0.0.1:9/hook")
	require.Contains(t, after.Body, `id="no-webhooks"`)
}

// activeSecrets opens the secrets that sign the subscription's deliveries now.
func activeSecrets(t *testing.T, h *harness, s webhooks.Secrets, id string) []string {
	t.Helper()
	sealed, err := h.Store.ActiveWebhookSecrets(ctx, id)
	require.NoError(t, err)
	clear, err := s.Open(sealed)
	require.NoError(t, err)
	return clear
}

// TestWebhooksPageWithoutManagement: without Config.Webhooks the page shows the
// subscriptions but offers no form, and changes answer 503.
func TestWebhooksPageWithoutManagement(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	tn := h.tenant("Initech")
	b := h.browser()
	token := b.login(h.user(domain.RoleAdmin))
	p := b.get("/tenants/" + tn.ID + "/webhooks")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.NotContains(t, p.Body, `id="new-webhook"`)
	require.Equal(t, http.StatusServiceUnavailable,
		b.post("/tenants/"+tn.ID+"/webhooks", url.Values{"csrf_token": {token}, "url": {"https://127.0.0.1:9/hook"}}).Status)
}
