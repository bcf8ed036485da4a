package dashboard_test

import (
	"crypto/sha256"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/http/dashboard"
	"dsr/internal/auth"
	"dsr/internal/domain"
)

func TestUnauthenticatedGoesToLogin(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	b := h.browser()
	tests := []struct {
		name, method, path, location string
	}{
		{name: "queue", method: http.MethodGet, path: "/", location: "/login"},
		{name: "request", method: http.MethodGet, path: "/requests/0190e5a4-0000-7000-8000-000000000000",
			location: "/login?next=%2Frequests%2F0190e5a4-0000-7000-8000-000000000000"},
		{name: "reports", method: http.MethodGet, path: "/reports?from=2026-01-01", location: "/login?next=%2Freports%3Ffrom%3D2026-01-01"},
		{name: "users", method: http.MethodGet, path: "/users", location: "/login?next=%2Fusers"},
		{name: "action", method: http.MethodPost, path: "/requests/0190e5a4-0000-7000-8000-000000000000/approve", location: "/login"},
		{name: "logout", method: http.MethodPost, path: "/logout", location: "/login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.do(tt.method, tt.path, url.Values{})
			require.Equal(t, http.StatusSeeOther, p.Status)
			require.Equal(t, tt.location, p.Header.Get("Location"))
		})
	}
	// An htmx request is told where to go instead.
	p := b.get("/", "HX-Request", "true")
	require.Equal(t, http.StatusUnauthorized, p.Status)
	require.Equal(t, "/login", p.Header.Get("HX-Redirect"))

	// An unknown or forged session cookie is no better, and is removed.
	b.header.Set("Cookie", "dsr_session=forged")
	p = b.get("/")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Contains(t, p.Header.Get("Set-Cookie"), "dsr_session=;")
	b.header.Del("Cookie")

	// The sign-in page and the static files need no session.
	p = b.get("/login")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, `<h1>Sign in</h1>`)
	for path, typ := range map[string]string{"/static/dashboard.css": "text/css", "/static/htmx.min.js": "javascript"} {
		p = b.get(path)
		require.Equal(t, http.StatusOK, p.Status, path)
		require.Contains(t, p.Header.Get("Content-Type"), typ, path)
	}
}

func TestLoginSessionLogout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	email := h.user(domain.RoleDPO)
	b := h.browser()

	form := b.get("/login?next=/triage")
	require.Equal(t, http.StatusOK, form.Status)
	for header, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
	} {
		require.Contains(t, form.Header.Get(header), want, header)
	}
	require.Contains(t, form.Body, `name="next" value="/triage"`)

	wrong := b.post("/login", url.Values{"email": {email}, "password": {"not the password"}, "csrf_token": {csrf(t, form)}, "next": {"/triage"}})
	require.Equal(t, http.StatusUnauthorized, wrong.Status)
	require.Contains(t, wrong.Body, "Wrong email or password.")
	require.Empty(t, b.cookie("dsr_session"))

	ok := b.post("/login", url.Values{"email": {strings.ToUpper(email)}, "password": {password}, "csrf_token": {csrf(t, wrong)}, "next": {"/triage"}})
	require.Equal(t, http.StatusSeeOther, ok.Status, ok.Body)
	require.Equal(t, "/triage", ok.Header.Get("Location"))
	var set *http.Cookie
	for _, c := range (&http.Response{Header: ok.Header}).Cookies() {
		if c.Name == "dsr_session" {
			set = c
		}
	}
	require.NotNil(t, set)
	require.True(t, set.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, set.SameSite)
	require.False(t, set.Secure, "plain HTTP on 127.0.0.1 must keep working")
	require.Equal(t, "/", set.Path)

	// Only the hash of the session id is stored.
	var stored [][]byte
	require.NoError(t, h.DB.SelectContext(ctx, &stored, `SELECT id_hash FROM dashboard_sessions`))
	require.Len(t, stored, 1)
	sum := sha256.Sum256([]byte(set.Value))
	require.Equal(t, sum[:], stored[0])

	home := b.get("/")
	require.Equal(t, http.StatusOK, home.Status)
	require.Contains(t, home.Body, email)
	require.Contains(t, home.Body, "<h1>Queue</h1>")
	// Signed in, the sign-in page sends the browser on.
	require.Equal(t, http.StatusSeeOther, b.get("/login").Status)

	// Signing out needs the CSRF token too, and ends the session on the server.
	require.Equal(t, http.StatusForbidden, b.post("/logout", url.Values{}).Status)
	out := b.post("/logout", url.Values{"csrf_token": {csrf(t, home)}})
	require.Equal(t, http.StatusSeeOther, out.Status)
	require.Equal(t, "/login", out.Header.Get("Location"))
	require.NoError(t, h.DB.SelectContext(ctx, &stored, `SELECT id_hash FROM dashboard_sessions`))
	require.Empty(t, stored)
	b.header.Set("Cookie", "dsr_session="+set.Value)
	require.Equal(t, http.StatusSeeOther, b.get("/").Status, "the old cookie must not work after sign-out")
}

func TestLoginNextStaysOnSite(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	email := h.user(domain.RoleViewer)
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		b := h.browser()
		form := b.get("/login")
		p := b.post("/login", url.Values{"email": {email}, "password": {password}, "csrf_token": {csrf(t, form)}, "next": {next}})
		require.Equal(t, http.StatusSeeOther, p.Status, next)
		require.Equal(t, "/", p.Header.Get("Location"), next)
	}
}

func TestSecureCookies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		configure func(*dashboard.Config)
		header    []string
	}{
		{name: "behind a TLS proxy", header: []string{"X-Forwarded-Proto", "https"}},
		{name: "configured", configure: func(c *dashboard.Config) { c.SecureCookies = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{configure: tt.configure})
			email := h.user(domain.RoleViewer)
			b := h.browser()
			form := b.get("/login", tt.header...)
			require.Contains(t, form.Header.Get("Set-Cookie"), "; Secure")
			// The jar keeps Secure cookies from http URLs out; send the token by hand.
			token := csrf(t, form)
			b.header.Set("Cookie", "dsr_login="+token)
			p := b.post("/login", url.Values{"email": {email}, "password": {password}, "csrf_token": {token}}, tt.header...)
			require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
			require.Contains(t, strings.Join(p.Header.Values("Set-Cookie"), "\n"), "; HttpOnly; Secure; SameSite=Lax")
		})
	}
}

func TestLoginFormCSRF(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	email := h.user(domain.RoleDPO)
	b := h.browser()
	// No token, no cookie.
	p := b.post("/login", url.Values{"email": {email}, "password": {password}})
	require.Equal(t, http.StatusForbidden, p.Status)
	require.Contains(t, p.Body, "The sign-in form expired")
	// A token that is not the cookie's.
	b.get("/login")
	p = b.post("/login", url.Values{"email": {email}, "password": {password}, "csrf_token": {"guessed"}})
	require.Equal(t, http.StatusForbidden, p.Status)
	// The cookie's token, from another site.
	form := b.get("/login")
	p = b.post("/login", url.Values{"email": {email}, "password": {password}, "csrf_token": {csrf(t, form)}},
		"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	require.Equal(t, http.StatusForbidden, p.Status)
	require.Empty(t, b.cookie("dsr_session"))
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	tn := h.tenant("Acme")
	req := h.request(tn, "restriction", "visitor2@example.com", "awaiting_approval")
	b := h.browser()
	token := b.login(h.user(domain.RoleDPO))

	tests := []struct {
		name   string
		form   url.Values
		header []string
	}{
		{name: "no token", form: url.Values{}},
		{name: "empty token", form: url.Values{"csrf_token": {""}}},
		{name: "wrong token", form: url.Values{"csrf_token": {"x" + token}}},
		{name: "another session's token", form: url.Values{"csrf_token": {h.browser().login(h.user(domain.RoleAdmin))}}},
		{name: "wrong header", form: url.Values{}, header: []string{"X-CSRF-Token", "nope"}},
		{name: "cross-site with the token", form: url.Values{"csrf_token": {token}},
			header: []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/requests/" + req.ID + "/reveal", "/requests/" + req.ID + "/approve", "/users", "/logout"} {
				p := b.post(path, tt.form, tt.header...)
				require.Equal(t, http.StatusForbidden, p.Status, path)
				require.Contains(t, p.Body, "CSRF check failed", path)
			}
		})
	}
	events, err := h.Store.Events(ctx, req.ID)
	require.NoError(t, err)
	for _, e := range events {
		require.NotEqual(t, domain.EventSubjectRevealed, e.Kind, "a refused POST must not act")
	}

	// The token in the header (htmx) or in the form works.
	p := b.post("/requests/"+req.ID+"/reveal", url.Values{}, "X-CSRF-Token", token, "HX-Request", "true")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	p = b.post("/requests/"+req.ID+"/reveal", url.Values{"csrf_token": {token}})
	require.Equal(t, http.StatusOK, p.Status, p.Body)
}

func TestRoles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	tn := h.tenant("Acme")
	req := h.request(tn, "restriction", "visitor2@example.com", "awaiting_approval")
	page := "/requests/" + req.ID

	type want struct {
		read, act, admin bool
	}
	for _, role := range domain.Roles {
		t.Run(string(role), func(t *testing.T) {
			w := map[domain.Role]want{
				domain.RoleViewer: {read: true},
				domain.RoleDPO:    {read: true, act: true},
				domain.RoleAdmin:  {read: true, act: true, admin: true},
			}[role]
			b := h.browser()
			token := b.login(h.user(role))
			status := func(ok bool) int {
				if ok {
					return http.StatusOK
				}
				return http.StatusForbidden
			}
			for _, path := range []string{"/", page, "/triage", "/reports", "/reports/sla.csv"} {
				require.Equal(t, status(w.read), b.get(path).Status, path)
			}
			for _, path := range []string{"/tenants", "/users"} {
				require.Equal(t, status(w.admin), b.get(path).Status, path)
			}
			p := b.get(page)
			for _, button := range []string{`id="approve"`, `id="deny"`, `id="reveal"`, `id="actions"`} {
				if w.act {
					require.Contains(t, p.Body, button)
				} else {
					require.NotContains(t, p.Body, button)
				}
			}
			require.Equal(t, w.admin, strings.Contains(p.Body, `href="/users"`), "menu entry for users")

			if !w.act {
				// A direct POST with a valid token is refused all the same.
				for _, path := range []string{page + "/approve", page + "/deny", page + "/cancel", page + "/reveal", page + "/extend"} {
					p := b.post(path, url.Values{"csrf_token": {token}, "reason": {"because"}})
					require.Equal(t, http.StatusForbidden, p.Status, path)
					require.Contains(t, p.Body, "Your role (viewer) cannot do this")
				}
				require.Equal(t, http.StatusForbidden, b.get(page+"/package").Status)
				r, err := h.Store.GetRequest(ctx, "", req.ID)
				require.NoError(t, err)
				require.Equal(t, domain.StatusAwaitingApproval, r.Status)
			}
			if !w.admin {
				p := b.post("/users", url.Values{"csrf_token": {token}, "email": {"x@vendor.example"}, "role": {"admin"},
					"password": {password}, "password_again": {password}})
				require.Equal(t, http.StatusForbidden, p.Status)
			}
		})
	}
}

func TestAdminCreatesUsers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	b := h.browser()
	token := b.login(h.user(domain.RoleAdmin))

	tests := []struct {
		name   string
		form   url.Values
		notice string
	}{
		{name: "short password", form: url.Values{"email": {"ana@vendor.example"}, "role": {"dpo"}, "password": {"short"}, "password_again": {"short"}},
			notice: "Not created: the password must have at least 12 characters."},
		{name: "weak password", form: url.Values{"email": {"ana@vendor.example"}, "role": {"dpo"}, "password": {"abcdabcdabcdabcd1"}, "password_again": {"abcdabcdabcdabcd1"}},
			notice: "Not created: the password is too easy to guess"},
		{name: "breached password", form: url.Values{"email": {"ana@vendor.example"}, "role": {"dpo"}, "password": {"Mailcreated5240"}, "password_again": {"Mailcreated5240"}},
			notice: "Not created: this password is on a list of passwords seen in breaches"},
		{name: "passwords differ", form: url.Values{"email": {"ana@vendor.example"}, "role": {"dpo"}, "password": {password}, "password_again": {password + "!"}},
			notice: "The two passwords differ."},
		{name: "bad role", form: url.Values{"email": {"ana@vendor.example"}, "role": {"root"}, "password": {password}, "password_again": {password}},
			notice: "Not created: the role must be one of viewer, dpo, admin."},
		{name: "bad email", form: url.Values{"email": {"Ana <ana@vendor.example>"}, "role": {"dpo"}, "password": {password}, "password_again": {password}},
			notice: "Not created: the email must be a plain address"},
		{name: "created", form: url.Values{"email": {"ana@vendor.example"}, "role": {"dpo"}, "password": {password}, "password_again": {password}},
			notice: "Created ana@vendor.example (dpo)."},
		{name: "exists", form: url.Values{"email": {"ANA@vendor.example"}, "role": {"viewer"}, "password": {password}, "password_again": {password}},
			notice: "Not created: a user with this email exists already."},
	}
	for _, tt := range tests {
		tt.form.Set("csrf_token", token)
		p := b.post("/users", tt.form)
		require.Equal(t, http.StatusSeeOther, p.Status, tt.name)
		require.Equal(t, "/users", p.Header.Get("Location"))
		list := b.get("/users")
		require.Contains(t, list.Body, tt.notice, tt.name)
		// A notice shows once.
		require.NotContains(t, b.get("/users").Body, tt.notice, tt.name)
	}
	list, err := h.Users.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	// The new DPO signs in and acts as dpo:<email>.
	nb := h.browser()
	nb.login("ana@vendor.example")
	require.Contains(t, nb.get("/").Body, `role-dpo`)
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{configure: func(c *dashboard.Config) {
		c.LoginLimit = auth.Limit{PerAccount: 5, PerIP: 8, Window: 15 * time.Minute}
	}})
	email := h.user(domain.RoleDPO)
	b := h.browser()

	for i := range 5 {
		p := b.tryLogin(email, "wrong password "+string(rune('a'+i)))
		require.Equal(t, http.StatusUnauthorized, p.Status, "attempt %d", i+1)
	}
	// The sixth attempt is refused even with the right password.
	p := b.tryLogin(email, password)
	require.Equal(t, http.StatusTooManyRequests, p.Status)
	require.Contains(t, p.Body, "Too many failed sign-ins for this account or from this address. Wait 15 minutes, then try again.")
	require.Equal(t, "900", p.Header.Get("Retry-After"))
	require.Empty(t, b.cookie("dsr_session"))
	// The limit is per account: its email in other letters is the same account.
	require.Equal(t, http.StatusTooManyRequests, b.tryLogin(strings.ToUpper(email), password).Status)

	// Once the window has passed, the right password works, and clears the account's
	// failures.
	h.Clock.Advance(15*time.Minute + time.Second)
	require.Equal(t, http.StatusSeeOther, b.tryLogin(email, password).Status)
	for range 4 {
		require.Equal(t, http.StatusUnauthorized, h.browser().tryLogin(email, "wrong again").Status)
	}
	require.Equal(t, http.StatusSeeOther, h.browser().tryLogin(email, password).Status, "4 failures after a sign-in are under the limit")

	// Per address: 8 failures from one address, spread over accounts that need not
	// exist, stop that address for every account.
	h.Clock.Advance(16 * time.Minute)
	other := h.user(domain.RoleViewer)
	b = h.browser()
	for i := range 8 {
		p := b.tryLogin("nobody"+string(rune('a'+i))+"@vendor.example", "guess")
		require.Equal(t, http.StatusUnauthorized, p.Status, "attempt %d", i+1)
	}
	require.Equal(t, http.StatusTooManyRequests, b.tryLogin(other, password).Status)
}

// TestParallelSignInsCountEach: 60 wrong passwords at once for one account count one by
// one: exactly the limit get their password checked (401), the rest are refused (429),
// and the right password right after them is refused too.
func TestParallelSignInsCountEach(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{configure: func(c *dashboard.Config) {
		c.LoginLimit = auth.Limit{PerAccount: 5, PerIP: 20, Window: 15 * time.Minute}
	}})
	email := h.user(domain.RoleDPO)
	const n = 60
	type prepared struct {
		b     *browser
		token string
	}
	tries := make([]prepared, n)
	for i := range tries {
		b := h.browser()
		form := b.get("/login")
		require.Equal(t, http.StatusOK, form.Status)
		tries[i] = prepared{b, csrf(t, form)}
	}
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i, p := range tries {
		pw := "wrong password " + strconv.Itoa(i)
		wg.Go(func() {
			resp, err := p.b.http.PostForm(h.URL+"/login", url.Values{"email": {email}, "password": {pw}, "csrf_token": {p.token}})
			if err != nil {
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	t.Logf("60 parallel sign-ins: %v", count)
	require.Equal(t, 5, count[http.StatusUnauthorized], "exactly the limit checked: %v", count)
	require.Equal(t, n-5, count[http.StatusTooManyRequests], "%v", count)
	require.Equal(t, http.StatusTooManyRequests, h.browser().tryLogin(email, password).Status)
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{configure: func(c *dashboard.Config) {
		c.Sessions = auth.Policy{Idle: 12 * time.Hour, Max: 48 * time.Hour}
	}})
	email := h.user(domain.RoleViewer)

	// Idle: used within 12 hours it lives on; 12 hours without use end it.
	b := h.browser()
	b.login(email)
	h.Clock.Advance(11*time.Hour + 59*time.Minute)
	require.Equal(t, http.StatusOK, b.get("/").Status)
	h.Clock.Advance(11*time.Hour + 59*time.Minute)
	require.Equal(t, http.StatusOK, b.get("/").Status, "each use restarts the idle time")
	h.Clock.Advance(12*time.Hour + time.Minute)
	p := b.get("/reports")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, "/login?next=%2Freports", p.Header.Get("Location"))

	// Absolute: a session used all the time still ends after Max.
	b = h.browser()
	b.login(email)
	for range 4 {
		h.Clock.Advance(11 * time.Hour)
		require.Equal(t, http.StatusOK, b.get("/").Status)
	}
	h.Clock.Advance(5 * time.Hour)
	require.Equal(t, http.StatusSeeOther, b.get("/").Status, "48 hours after sign-in")

	// Expired sessions are removed at the next sign-in.
	b = h.browser()
	b.login(email)
	var n int
	require.NoError(t, h.DB.GetContext(ctx, &n, `SELECT count(*) FROM dashboard_sessions`))
	require.Equal(t, 1, n)
}
