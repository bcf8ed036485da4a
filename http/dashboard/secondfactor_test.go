package dashboard_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
)

var (
	secretShown   = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)
	recoveryShown = regexp.MustCompile(`<li>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</li>`)
)

// code is the secret's TOTP code at t.
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	require.NoError(t, err)
	return c
}

func TestSecondFactorRequiredForRole(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	admin := h.browser()
	adminCSRF := admin.login(h.user(domain.RoleAdmin))
	dpo := h.user(domain.RoleDPO)
	viewer := h.user(domain.RoleViewer)

	// A viewer cannot set the policy; an admin can.
	v := h.browser()
	viewerCSRF := v.login(viewer)
	require.Equal(t, http.StatusForbidden, v.post("/users/second-factor", url.Values{"csrf_token": {viewerCSRF}, "role": {"dpo"}}).Status)
	require.Equal(t, http.StatusSeeOther, admin.post("/users/second-factor", url.Values{"csrf_token": {adminCSRF}, "role": {"owner"}}).Status)
	require.Contains(t, admin.get("/users").Body, "Not saved: invalid: unknown role")
	set := admin.post("/users/second-factor", url.Values{"csrf_token": {adminCSRF}, "role": {"dpo", "admin"}})
	require.Equal(t, http.StatusSeeOther, set.Status)
	users := admin.get("/users")
	require.Contains(t, users.Body, `value="dpo" checked`)
	require.Contains(t, users.Body, `value="admin" checked`)
	require.NotContains(t, users.Body, `value="viewer" checked`)

	// The DPO's right password leads to the set-up, and to nothing else.
	b := h.browser()
	p := b.tryLogin(dpo, password)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, "/login/second-factor", p.Header.Get("Location"))
	for _, path := range []string{"/", "/triage", "/users", "/account"} {
		got := b.get(path)
		require.Equal(t, http.StatusSeeOther, got.Status, path)
		require.True(t, strings.HasPrefix(got.Header.Get("Location"), "/login/second-factor"), path)
	}
	hx := b.get("/triage", "HX-Request", "true")
	require.Equal(t, http.StatusUnauthorized, hx.Status)
	require.Equal(t, "/login/second-factor?next=%2Ftriage", hx.Header.Get("HX-Redirect"))
	enrol := b.get("/login/second-factor")
	require.Equal(t, http.StatusOK, enrol.Status)
	require.Contains(t, enrol.Body, "Your role must sign in with a second factor.")
	require.Contains(t, enrol.Body, `src="data:image/png;base64,`)
	require.NotContains(t, enrol.Body, `class="topbar"`, "no menu before the second factor")
	secret := secretShown.FindStringSubmatch(enrol.Body)[1]
	pendingCSRF := csrf(t, enrol)
	// The pending session's CSRF token does not open the rest of the dashboard either.
	require.Equal(t, http.StatusSeeOther, b.post("/requests/x/approve", url.Values{"csrf_token": {pendingCSRF}}).Status)

	wrong := b.post("/login/second-factor", url.Values{"csrf_token": {pendingCSRF}, "code": {"000000"}})
	require.Equal(t, http.StatusUnauthorized, wrong.Status)
	require.Contains(t, wrong.Body, "Wrong code.")
	// A wrong code shows a new secret; the one shown before no longer confirms.
	stale := b.post("/login/second-factor", url.Values{"csrf_token": {pendingCSRF}, "code": {code(t, secret, h.Clock.Now())}})
	require.Equal(t, http.StatusUnauthorized, stale.Status)
	require.NotEqual(t, secretShown.FindStringSubmatch(wrong.Body)[1], secretShown.FindStringSubmatch(stale.Body)[1])
	secret = secretShown.FindStringSubmatch(stale.Body)[1]
	pendingCookie := b.cookie("dsr_session")
	used := code(t, secret, h.Clock.Now())
	done := b.post("/login/second-factor", url.Values{"csrf_token": {pendingCSRF}, "code": {used}})
	require.Equal(t, http.StatusOK, done.Status, done.Body)
	codes := recoveryShown.FindAllStringSubmatch(done.Body, -1)
	require.Len(t, codes, 10)
	require.NotEqual(t, pendingCookie, b.cookie("dsr_session"), "signing in gives a new session token")
	home := b.get("/")
	require.Equal(t, http.StatusOK, home.Status)
	account := b.get("/account")
	require.Contains(t, account.Body, `<span id="codes-left">10</span> of 10`)
	require.Contains(t, account.Body, "Your role must use a second factor, so it cannot be turned off.")
	require.NotContains(t, account.Body, `id="remove-second-factor"`)
	require.Contains(t, admin.get("/users").Body, `<span class="tag">on</span>`)

	// Next time the code is asked for; the code just used does not work again.
	require.Equal(t, http.StatusSeeOther, b.post("/logout", url.Values{"csrf_token": {csrf(t, home)}}).Status)
	h.Clock.Advance(10 * time.Second)
	p = b.tryLogin(dpo, password)
	require.Equal(t, "/login/second-factor", p.Header.Get("Location"))
	ask := b.get("/login/second-factor")
	require.Contains(t, ask.Body, "Enter the six-digit code from your authenticator app")
	replay := b.post("/login/second-factor", url.Values{"csrf_token": {csrf(t, ask)}, "code": {used}})
	require.Equal(t, http.StatusUnauthorized, replay.Status, "the code that confirmed the set-up")
	// A recovery code signs in once.
	rec := b.post("/login/second-factor", url.Values{"csrf_token": {csrf(t, ask)}, "code": {codes[0][1]}, "next": {"/triage"}})
	require.Equal(t, http.StatusSeeOther, rec.Status, rec.Body)
	require.Equal(t, "/triage", rec.Header.Get("Location"))
	triage := b.get("/triage")
	require.Equal(t, http.StatusOK, triage.Status)
	require.Contains(t, triage.Body, "You signed in with a recovery code; 9 left.")

	// Another browser with the same recovery code is refused.
	other := h.browser()
	require.Equal(t, http.StatusSeeOther, other.tryLogin(dpo, password).Status)
	ask = other.get("/login/second-factor")
	require.Equal(t, http.StatusUnauthorized, other.post("/login/second-factor", url.Values{"csrf_token": {csrf(t, ask)}, "code": {codes[0][1]}}).Status)

	// An admin resets it (lost device): the DPO's sessions end and the next sign-in sets
	// one up again.
	var id string
	require.NoError(t, h.DB.Get(&id, `SELECT id FROM dashboard_users WHERE email = $1`, dpo))
	require.Equal(t, http.StatusSeeOther, admin.post("/users/"+id+"/reset-second-factor", url.Values{"csrf_token": {adminCSRF}}).Status)
	require.Equal(t, http.StatusSeeOther, b.get("/triage").Status, "the DPO's session ended")
	require.Equal(t, http.StatusSeeOther, b.tryLogin(dpo, password).Status)
	require.Contains(t, b.get("/login/second-factor").Body, "Set up a second factor")

	// The viewer's role is not required: the viewer still signs in with a password alone.
	v2 := h.browser()
	v2.login(viewer)
}

func TestSecondFactorCodesAreLimited(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	email := h.user(domain.RoleDPO)
	b := h.browser()
	home := b.login(email)

	// Set up from the account page, by choice.
	enrol := b.get("/account/second-factor")
	require.Equal(t, http.StatusOK, enrol.Status)
	secret := secretShown.FindStringSubmatch(enrol.Body)[1]
	done := b.post("/account/second-factor", url.Values{"csrf_token": {home}, "code": {code(t, secret, h.Clock.Now())}})
	require.Equal(t, http.StatusOK, done.Status, done.Body)
	require.Len(t, recoveryShown.FindAllStringSubmatch(done.Body, -1), 10)
	require.Equal(t, http.StatusSeeOther, b.post("/logout", url.Values{"csrf_token": {home}}).Status)

	// Guessing codes is limited like guessing passwords: 5 per account and address.
	require.Equal(t, http.StatusSeeOther, b.tryLogin(email, password).Status)
	ask := b.get("/login/second-factor")
	for i := range 5 {
		got := b.post("/login/second-factor", url.Values{"csrf_token": {csrf(t, ask)}, "code": {"00000" + string(rune('0'+i))}})
		require.Equal(t, http.StatusUnauthorized, got.Status)
	}
	h.Clock.Advance(time.Minute)
	limited := b.post("/login/second-factor", url.Values{"csrf_token": {csrf(t, ask)}, "code": {code(t, secret, h.Clock.Now())}})
	require.Equal(t, http.StatusTooManyRequests, limited.Status)
	require.NotEmpty(t, limited.Header.Get("Retry-After"))

	// Turning it off needs a right code; then the password is enough again.
	h.Clock.Advance(9 * time.Minute) // the pending session has ended
	require.Equal(t, http.StatusSeeOther, b.get("/login/second-factor").Status)
	h.Clock.Advance(6 * time.Minute) // the limit's window has passed
	require.Equal(t, http.StatusSeeOther, b.tryLogin(email, password).Status)
	ask = b.get("/login/second-factor")
	ok := b.post("/login/second-factor", url.Values{"csrf_token": {csrf(t, ask)}, "code": {code(t, secret, h.Clock.Now())}})
	require.Equal(t, http.StatusSeeOther, ok.Status, ok.Body)
	account := b.get("/account")
	tok := csrf(t, account)
	require.Contains(t, account.Body, `id="remove-second-factor"`)
	require.Equal(t, http.StatusSeeOther, b.post("/account/second-factor/remove", url.Values{"csrf_token": {tok}, "code": {"000000"}}).Status)
	require.Contains(t, b.get("/account").Body, "Not removed: wrong or already used code.")
	h.Clock.Advance(30 * time.Second)
	require.Equal(t, http.StatusSeeOther, b.post("/account/second-factor/remove", url.Values{"csrf_token": {tok}, "code": {code(t, secret, h.Clock.Now())}}).Status)
	require.Contains(t, b.get("/account").Body, "Your second factor is removed")
	require.Equal(t, http.StatusSeeOther, b.post("/logout", url.Values{"csrf_token": {tok}}).Status)
	b.login(email)
}

// TestBrowserSecondFactor sets a second factor up and signs in with it in Chromium.
func TestBrowserSecondFactor(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{realTime: true})
	admin := h.browser()
	adminCSRF := admin.login(h.user(domain.RoleAdmin))
	require.Equal(t, http.StatusSeeOther, admin.post("/users/second-factor", url.Values{"csrf_token": {adminCSRF}, "role": {"admin"}}).Status)
	email := h.user(domain.RoleAdmin)

	ctx := tab(t, newChrome(t))
	step(t, ctx, "password",
		chromedp.Navigate(h.URL+"/login?next=/users"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("totp-secret")),
	)
	qrWidth := value(t, ctx, "QR code", chromedp.Evaluate[int](`document.querySelector("img.qr").naturalWidth`))
	require.Greater(t, qrWidth, 100, "the QR code image loads under the page's CSP")
	secret := text(t, ctx, "#totp-secret")
	step(t, ctx, "first code",
		chromedp.SendKeys(chromedp.ID("code"), code(t, secret, time.Now())),
		chromedp.Click(chromedp.ID("verify")),
		chromedp.WaitVisible(chromedp.ID("recovery-codes")),
	)
	codes := strings.Fields(text(t, ctx, "#recovery-codes"))
	require.Len(t, codes, 10)
	step(t, ctx, "continue", chromedp.Click(chromedp.ID("continue")), chromedp.WaitVisible(chromedp.ID("users")))

	step(t, ctx, "sign out and in again",
		chromedp.Click(`form[action="/logout"] button`),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("code")),
		chromedp.SendKeys(chromedp.ID("code"), codes[9]),
		chromedp.Click(chromedp.ID("verify")),
		chromedp.WaitVisible(chromedp.ID("queue-results")),
	)
	require.Contains(t, text(t, ctx, "#flash"), "recovery code; 9 left")
	step(t, ctx, "account", chromedp.Click(`.who a.email`), chromedp.WaitVisible(chromedp.ID("codes-left")))
	require.Equal(t, "9", text(t, ctx, "#codes-left"))
}
