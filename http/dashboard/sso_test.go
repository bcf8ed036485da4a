package dashboard_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"dsr/internal/auth"
	"dsr/internal/domain"
)

// cookieAt returns the browser's cookie of that name for the path of the server, "" when
// none.
func (b *browser) cookieAt(path, name string) string {
	b.t.Helper()
	u, err := url.Parse(b.h.URL + path)
	require.NoError(b.t, err)
	for _, c := range b.http.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// abs is a request of the browser to any address (the provider's too); redirects are not
// followed.
func (b *browser) abs(method, target string, form url.Values) *http.Response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	require.NoError(b.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.http.Do(req)
	require.NoError(b.t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(b.t, resp.Body.Close())
	return resp
}

// location is the absolute target of a redirect.
func location(t *testing.T, from string, resp *http.Response) string {
	t.Helper()
	require.Contains(t, []int{http.StatusFound, http.StatusSeeOther}, resp.StatusCode, "a redirect from %s", from)
	base, err := url.Parse(from)
	require.NoError(t, err)
	to, err := base.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return to.String()
}

// ssoUntilCallback starts a single sign-on at the dashboard (next: where to land), signs
// in at the provider as the person and returns the dashboard path the provider sends the
// browser back to (the callback, with code and state), without following it.
func (b *browser) ssoUntilCallback(p *idp, who idpPerson, next string) string {
	b.t.Helper()
	start := b.h.URL + "/login/oidc?next=" + url.QueryEscape(next)
	authorize := location(b.t, start, b.abs(http.MethodGet, start, nil))
	require.True(b.t, strings.HasPrefix(authorize, p.Issuer+"/"), authorize)
	q, err := url.Parse(authorize)
	require.NoError(b.t, err)
	require.Equal(b.t, "S256", q.Query().Get("code_challenge_method"))
	require.NotEmpty(b.t, q.Query().Get("code_challenge"))
	require.NotEmpty(b.t, q.Query().Get("state"))
	require.NotEmpty(b.t, q.Query().Get("nonce"))
	require.Equal(b.t, idpClientID, q.Query().Get("client_id"))

	loginPage := location(b.t, authorize, b.abs(http.MethodGet, authorize, nil))
	lp, err := url.Parse(loginPage)
	require.NoError(b.t, err)
	done := b.abs(http.MethodPost, p.Issuer+"/login/username", url.Values{
		"authRequestID": {lp.Query().Get("authRequestID")}, "username": {who.username}, "password": {idpPassword}})
	cb := location(b.t, loginPage, done)
	// The provider's own callback, then the redirect to the dashboard.
	for strings.HasPrefix(cb, p.Issuer) {
		cb = location(b.t, cb, b.abs(http.MethodGet, cb, nil))
	}
	require.True(b.t, strings.HasPrefix(cb, b.h.URL+"/login/oidc/callback?"), cb)
	return strings.TrimPrefix(cb, b.h.URL)
}

// userRow is what the database says of a dashboard user.
type userRow struct {
	Role     domain.Role `db:"role"`
	SSO      bool        `db:"sso"`
	Subject  *string     `db:"oidc_subject"`
	Hash     string      `db:"password_hash"`
	LastSeen *time.Time  `db:"last_login_at"`
}

func (h *harness) userRow(email string) userRow {
	h.t.Helper()
	var r userRow
	require.NoError(h.t, h.DB.Get(&r, `SELECT role, sso, oidc_subject, password_hash, last_login_at FROM dashboard_users WHERE email = $1`, email))
	return r
}

func TestSSOSignsInWithTheMappedRole(t *testing.T) {
	t.Parallel()
	h, p := ssoHarness(t, false)
	// Of the person's groups, the highest mapped role wins; unmapped ones do not matter.
	ana := p.person("ana@vendor.example", true, "everyone", "dsr-viewers", "dsr-dpo")
	b := h.browser()

	cb := b.ssoUntilCallback(p, ana, "/triage")
	landed := b.get(cb)
	require.Equal(t, http.StatusSeeOther, landed.Status, landed.Body)
	require.Equal(t, "/triage", landed.Header.Get("Location"))
	require.NotEmpty(t, b.cookie("dsr_session"))
	require.Empty(t, b.cookieAt("/login/oidc/callback", "dsr_sso"), "the sign-in's cookie is spent")
	home := b.get("/")
	require.Equal(t, http.StatusOK, home.Status)
	require.Contains(t, home.Body, `role-dpo`)
	// The provider's second factor applies, not dsr's.
	account := b.get("/account")
	require.Contains(t, account.Body, `id="sso-account"`)
	require.NotContains(t, account.Body, `id="set-up-second-factor"`)
	require.Equal(t, http.StatusConflict, b.get("/account/second-factor").Status)

	row := h.userRow("ana@vendor.example")
	require.Equal(t, domain.RoleDPO, row.Role)
	require.True(t, row.SSO)
	require.Equal(t, "subject-1", *row.Subject)
	require.Empty(t, row.Hash, "an SSO user has no password")
	require.NotNil(t, row.LastSeen)

	// The role follows the groups at every sign-in.
	p.setGroups(ana, "dsr-admins")
	b2 := h.browser()
	require.Equal(t, http.StatusSeeOther, b2.get(b2.ssoUntilCallback(p, ana, "/")).Status)
	require.Equal(t, domain.RoleAdmin, h.userRow("ana@vendor.example").Role)
	require.Equal(t, http.StatusOK, b2.get("/users").Status)

	// And no password signs the SSO user in.
	require.Equal(t, http.StatusUnauthorized, h.browser().tryLogin("ana@vendor.example", "").Status)
}

func TestSSOLinksAnExistingLocalUser(t *testing.T) {
	t.Parallel()
	h, p := ssoHarness(t, false)
	email := h.user(domain.RoleViewer)
	who := p.person(email, true, "dsr-dpo")
	b := h.browser()
	require.Equal(t, http.StatusSeeOther, b.get(b.ssoUntilCallback(p, who, "/")).Status)
	row := h.userRow(email)
	require.True(t, row.SSO)
	require.Equal(t, domain.RoleDPO, row.Role)
	require.Empty(t, row.Hash, "the local password is gone")
	require.Equal(t, http.StatusUnauthorized, h.browser().tryLogin(email, password).Status)

	// Someone else at the provider with the same email is not that user.
	impostor := p.person(email, true, "dsr-admins")
	refused := h.browser()
	page := refused.get(refused.ssoUntilCallback(p, impostor, "/"))
	require.Equal(t, http.StatusForbidden, page.Status)
	require.Contains(t, page.Body, "tied to another account at the single sign-on provider")
	require.Empty(t, refused.cookie("dsr_session"))
}

func TestSSORefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// prepare changes the provider (or the dashboard) and returns who signs in.
		prepare func(h *harness, p *idp) idpPerson
		// atCallback changes the provider after the person signed in there.
		atCallback func(p *idp)
		status     int
		message    string
		// logged is what the dashboard's log says of the refusal.
		logged string
	}{
		{
			name: "wrong audience",
			prepare: func(_ *harness, p *idp) idpPerson {
				return p.person("aud@vendor.example", true, "dsr-admins")
			},
			atCallback: func(p *idp) { p.issueTo("another-application") },
			status:     http.StatusForbidden, message: "not valid for this dashboard",
			logged: `expected audience \"dsr-dashboard\" got [\"another-application\"]`,
		},
		{
			name: "expired token",
			prepare: func(_ *harness, p *idp) idpPerson {
				p.lifetime(-time.Minute)
				return p.person("late@vendor.example", true, "dsr-admins")
			},
			status: http.StatusForbidden, message: "token has expired", logged: "oidc: token is expired",
		},
		{
			name: "unknown group",
			prepare: func(_ *harness, p *idp) idpPerson {
				return p.person("outsider@vendor.example", true, "marketing", "everyone")
			},
			status: http.StatusForbidden, message: "in none of the groups that give access to the dashboard",
			logged: "no value of the claim groups is mapped",
		},
		{
			name: "no groups",
			prepare: func(_ *harness, p *idp) idpPerson {
				return p.person("nogroups@vendor.example", true)
			},
			status: http.StatusForbidden, message: "in none of the groups that give access to the dashboard",
		},
		{
			name: "unverified email",
			prepare: func(_ *harness, p *idp) idpPerson {
				return p.person("unverified@vendor.example", false, "dsr-admins")
			},
			status: http.StatusForbidden, message: "did not give a verified email address",
		},
		{
			name: "disabled user",
			prepare: func(h *harness, p *idp) idpPerson {
				email := h.user(domain.RoleAdmin)
				_, err := h.DB.Exec(`UPDATE dashboard_users SET disabled_at = now() WHERE email = $1`, email)
				require.NoError(t, err)
				return p.person(email, true, "dsr-admins")
			},
			status: http.StatusForbidden, message: "This dashboard account is disabled.",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, p := ssoHarness(t, false)
			who := tc.prepare(h, p)
			b := h.browser()
			cb := b.ssoUntilCallback(p, who, "/")
			if tc.atCallback != nil {
				tc.atCallback(p)
			}
			page := b.get(cb)
			require.Equal(t, tc.status, page.Status, page.Body)
			require.Contains(t, page.Body, `id="login-error"`)
			require.Contains(t, page.Body, tc.message)
			require.Contains(t, page.Body, `id="sso-sign-in"`, "the sign-in page, to start again")
			require.Empty(t, b.cookie("dsr_session"))
			require.Equal(t, http.StatusSeeOther, b.get("/").Status, "not signed in")
			var n int
			require.NoError(t, h.DB.Get(&n, `SELECT count(*) FROM dashboard_users WHERE email = $1 AND sso`, who.email))
			require.Zero(t, n, "no SSO user was made or linked")
			logged := p.Logged.String()
			require.Contains(t, logged, tc.logged)
			require.NotContains(t, logged, who.email, "no personal data in the log")
		})
	}
}

func TestSSOStateIsUsedOnce(t *testing.T) {
	t.Parallel()
	h, p := ssoHarness(t, false)
	who := p.person("once@vendor.example", true, "dsr-viewers")
	b := h.browser()
	cb := b.ssoUntilCallback(p, who, "/")
	// The attacker's copy: the same cookie as the browser had.
	sealed := b.cookieAt("/login/oidc/callback", "dsr_sso")
	require.NotEmpty(t, sealed)
	require.Equal(t, http.StatusSeeOther, b.get(cb).Status)

	t.Run("same browser", func(t *testing.T) {
		// The cookie went with the first answer.
		page := b.get(cb)
		require.Equal(t, http.StatusBadRequest, page.Status)
		require.Contains(t, page.Body, "expired, was already used")
	})
	t.Run("with the cookie", func(t *testing.T) {
		replay := h.browser()
		page := replay.get(cb, "Cookie", "dsr_sso="+sealed)
		require.Equal(t, http.StatusBadRequest, page.Status)
		require.Contains(t, page.Body, "was already used: it signs nobody in twice")
		require.Empty(t, replay.cookie("dsr_session"))
	})
	t.Run("another browser", func(t *testing.T) {
		// A callback URL opened in a browser that did not start the sign-in (login CSRF).
		started := h.browser()
		other := h.browser()
		page := other.get(started.ssoUntilCallback(p, who, "/"))
		require.Equal(t, http.StatusBadRequest, page.Status)
		require.Contains(t, page.Body, "started in another browser")
		require.Empty(t, other.cookie("dsr_session"))
	})
	t.Run("forged state", func(t *testing.T) {
		fresh := h.browser()
		cb := fresh.ssoUntilCallback(p, who, "/")
		u, err := url.Parse(cb)
		require.NoError(t, err)
		q := u.Query()
		q.Set("state", "not-the-state")
		page := fresh.get("/login/oidc/callback?" + q.Encode())
		require.Equal(t, http.StatusBadRequest, page.Status)
		require.Empty(t, fresh.cookie("dsr_session"))
	})
}

func TestSSOProviderError(t *testing.T) {
	t.Parallel()
	h, _ := ssoHarness(t, false)
	b := h.browser()
	page := b.get("/login/oidc/callback?error=access_denied&state=x")
	require.Equal(t, http.StatusForbidden, page.Status)
	require.Contains(t, page.Body, "did not sign you in (access_denied)")
	page = b.get("/login/oidc/callback?error=%3Cscript%3E&state=x")
	require.Equal(t, http.StatusForbidden, page.Status)
	require.NotContains(t, page.Body, "<script>")
}

func TestLocalPasswordsOff(t *testing.T) {
	t.Parallel()
	h, p := ssoHarness(t, true)
	email := h.user(domain.RoleAdmin)
	b := h.browser()
	form := b.get("/login")
	require.Equal(t, http.StatusOK, form.Status)
	require.Contains(t, form.Body, `id="sso-sign-in"`)
	require.NotContains(t, form.Body, `id="password"`, "no password form")
	// A password sent anyway is refused, right or not, and counts nothing.
	page := b.post("/login", url.Values{"email": {email}, "password": {password}, "csrf_token": {b.cookieAt("/login", "dsr_login")}})
	require.Equal(t, http.StatusForbidden, page.Status)
	require.Contains(t, page.Body, "Signing in with a password is turned off")
	require.Empty(t, b.cookie("dsr_session"))

	who := p.person("sso@vendor.example", true, "dsr-viewers")
	require.Equal(t, http.StatusSeeOther, b.get(b.ssoUntilCallback(p, who, "/")).Status)
	require.Equal(t, http.StatusOK, b.get("/").Status)
}

func TestSSOProviderDown(t *testing.T) {
	t.Parallel()
	roles, err := auth.ParseRoleMap(testRoles)
	require.NoError(t, err)
	// Nothing listens there.
	o, err := auth.NewOIDC(auth.OIDCConfig{Issuer: "http://127.0.0.1:1", ClientID: "x", RedirectURL: "http://127.0.0.1/cb", Roles: roles}, quietLog())
	require.NoError(t, err)
	require.ErrorIs(t, o.Discover(ctx), auth.ErrSSOUnavailable)
	// The next try waits; until then the same error comes at once.
	start := time.Now()
	require.ErrorIs(t, o.Discover(ctx), auth.ErrSSOUnavailable)
	require.Less(t, time.Since(start), time.Second)
}

func TestSSOInChromium(t *testing.T) {
	t.Parallel()
	chrome := newChrome(t)
	h, p := ssoHarness(t, true)
	who := p.person("chromium@vendor.example", true, "everyone", "dsr-dpo")
	ctx := tab(t, chrome)

	step(t, ctx, "open the sign-in page", chromedp.Navigate(h.URL+"/login"), chromedp.WaitVisible(chromedp.ID("sso-sign-in")))
	require.Equal(t, "Sign in with Test provider", text(t, ctx, "#sso-sign-in"))
	require.False(t, exists(t, ctx, "#password"), "local passwords are off")
	step(t, ctx, "sign in at the provider",
		chromedp.Click(chromedp.ID("sso-sign-in")),
		chromedp.WaitVisible(chromedp.ID("idp-username")),
		chromedp.SendKeys(chromedp.ID("idp-username"), who.username),
		chromedp.SendKeys(chromedp.ID("idp-password"), idpPassword),
		chromedp.Click(chromedp.ID("idp-submit")),
		chromedp.WaitVisible(chromedp.ID("queue-results")),
	)
	require.Equal(t, h.URL+"/", value(t, ctx, "location", chromedp.Location()))
	require.True(t, strings.EqualFold("dpo", strings.TrimSpace(text(t, ctx, ".role"))))
	require.Equal(t, "chromium@vendor.example", strings.TrimSpace(text(t, ctx, ".email")))
	require.Equal(t, domain.RoleDPO, h.userRow("chromium@vendor.example").Role)
}
