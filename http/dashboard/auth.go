package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dsr/internal/auth"
	"dsr/internal/domain"
)

// Cookies and context keys.
const (
	sessionCookie = "dsr_session"
	// loginCookie holds the sign-in form's CSRF token (double submit: the form posts it
	// back), since there is no session yet.
	loginCookie = "dsr_login"

	ctxSession    = "dashboard.session"
	ctxToken      = "dashboard.token"
	ctxLoginCSRF  = "dashboard.login_csrf"
	csrfField     = "csrf_token"
	csrfHeader    = "X-CSRF-Token"
	msgCSRFFailed = "This form has expired or did not come from the dashboard (CSRF check failed). Reload the page and try again."
)

// current returns the signed-in session, if any.
func current(c *gin.Context) (auth.Session, bool) {
	v, ok := c.Get(ctxSession)
	if !ok {
		return auth.Session{}, false
	}
	return v.(auth.Session), true
}

// user returns the signed-in user; only under authenticate.
func user(c *gin.Context) auth.User {
	s, _ := current(c)
	return s.User
}

func sessionToken(c *gin.Context) string { return c.GetString(ctxToken) }

// secure reports whether cookies get the Secure attribute: over TLS, behind a proxy that
// says the client used HTTPS, or when configured.
func (h *Dashboard) secure(c *gin.Context) bool {
	return h.SecureCookies || c.Request.TLS != nil || strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https")
}

func (h *Dashboard) setCookie(c *gin.Context, name, value, path string, maxAge int, sameSite http.SameSite) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure(c), SameSite: sameSite,
	})
}

// clientIP is the address the sign-in limit counts: the connection's, or, when the
// connection comes from a trusted proxy (DSR_TRUSTED_PROXIES, set on the server), the
// client's that its X-Forwarded-For names. Anyone else's forwarding headers are ignored.
func clientIP(c *gin.Context) string {
	return c.ClientIP()
}

// cookieSession returns the session of the browser's cookie and its token;
// auth.ErrNotFound when there is none (an expired cookie is cleared).
func (h *Dashboard) cookieSession(c *gin.Context) (auth.Session, string, error) {
	token := ""
	if ck, err := c.Request.Cookie(sessionCookie); err == nil {
		token = ck.Value
	}
	s, err := h.Users.Session(c, token, h.Sessions, h.now())
	if errors.Is(err, auth.ErrNotFound) && token != "" {
		h.setCookie(c, sessionCookie, "", "/", -1, http.SameSiteLaxMode)
	}
	return s, token, err
}

// sendTo ends the request with a redirect to target; an htmx request is told to load it.
func sendTo(c *gin.Context, target string) {
	if c.GetHeader("HX-Request") == "true" {
		c.Header("HX-Redirect", target)
		c.AbortWithStatus(http.StatusUnauthorized)
		return
	}
	c.Redirect(http.StatusSeeOther, target)
	c.Abort()
}

// authenticate loads the session of the cookie, or sends the browser to the sign-in page
// (or, when only the second factor is missing, to its page).
func (h *Dashboard) authenticate(c *gin.Context) {
	s, token, err := h.cookieSession(c)
	switch {
	case errors.Is(err, auth.ErrNotFound):
		target := "/login"
		if c.Request.Method == http.MethodGet && c.Request.URL.Path != "/" {
			target += "?next=" + url.QueryEscape(c.Request.URL.RequestURI())
		}
		sendTo(c, target)
		return
	case err != nil:
		h.fail(c, http.StatusInternalServerError, "The session could not be read; try again.", err)
		return
	case s.Pending != "":
		target := secondFactorPath
		if c.Request.Method == http.MethodGet {
			target = secondFactorTarget(c.Request.URL.RequestURI())
		}
		sendTo(c, target)
		return
	}
	c.Set(ctxSession, s)
	c.Set(ctxToken, token)
	c.Next()
}

// checkCSRF refuses a POST that is cross-origin or lacks the session's token.
func (h *Dashboard) checkCSRF(c *gin.Context) {
	if c.Request.Method != http.MethodPost {
		c.Next()
		return
	}
	if err := h.origin.Check(c.Request); err != nil {
		h.fail(c, http.StatusForbidden, msgCSRFFailed, nil)
		return
	}
	s, _ := current(c)
	got := c.GetHeader(csrfHeader)
	if got == "" {
		got = c.PostForm(csrfField)
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRFToken)) != 1 {
		h.Log.Warn("csrf check failed", slog.String("route", c.FullPath()), slog.String("user_id", s.User.ID))
		h.fail(c, http.StatusForbidden, msgCSRFFailed, nil)
		return
	}
	c.Next()
}

// need refuses users below role.
func (h *Dashboard) need(role domain.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		if u := user(c); !u.Role.Allows(role) {
			h.fail(c, http.StatusForbidden, "Your role ("+string(u.Role)+") cannot do this: it needs the "+string(role)+" role.", nil)
			return
		}
		c.Next()
	}
}

// loginData is the sign-in page's.
type loginData struct {
	Email, Next, Error string
	// SSO is the single sign-on provider's name for its button; "" when there is none.
	SSO string
	// NoPasswords hides the password form (local passwords are off).
	NoPasswords bool
}

// safeNext returns next when it is a path on this site, "/" otherwise.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

// loginForm renders the sign-in page with a fresh token for its form.
func (h *Dashboard) loginForm(c *gin.Context, status int, d loginData) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		h.fail(c, http.StatusInternalServerError, "The sign-in page could not be prepared.", err)
		return
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	h.setCookie(c, loginCookie, token, "/login", 3600, http.SameSiteStrictMode)
	c.Set(ctxLoginCSRF, token)
	d.SSO, d.NoPasswords = h.ssoLabel(), h.LocalPasswordsOff
	h.render(c, status, "login", "Sign in", d)
}

func (h *Dashboard) loginPage(c *gin.Context) {
	if ck, err := c.Request.Cookie(sessionCookie); err == nil {
		if s, err := h.Users.Session(c, ck.Value, h.Sessions, h.now()); err == nil && s.Pending == "" {
			c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
			return
		}
	}
	h.loginForm(c, http.StatusOK, loginData{Next: safeNext(c.Query("next"))})
}

func (h *Dashboard) login(c *gin.Context) {
	email := strings.TrimSpace(c.PostForm("email"))
	password := c.PostForm("password")
	d := loginData{Email: email, Next: safeNext(c.PostForm("next"))}

	ck, err := c.Request.Cookie(loginCookie)
	sent := c.PostForm(csrfField)
	if h.origin.Check(c.Request) != nil || err != nil || sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(ck.Value)) != 1 {
		d.Error = "The sign-in form expired. Please try again."
		h.loginForm(c, http.StatusForbidden, d)
		return
	}
	now := h.now()
	ip := clientIP(c)
	allowed, wait, err := h.Users.Attempt(c, h.LoginLimit, email, ip, now)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "Signing in is not possible right now; try again.", err)
		return
	}
	if !allowed {
		h.Log.Warn("sign-in refused: too many failures", slog.Duration("wait", wait))
		secs := int((wait + time.Second - 1) / time.Second)
		c.Header("Retry-After", strconv.Itoa(secs))
		after := strconv.Itoa(secs) + " seconds"
		if wait >= time.Minute {
			after = strconv.Itoa(int((wait+time.Minute-1)/time.Minute)) + " minutes"
		}
		d.Error = "Too many failed sign-ins for this account or from this address. Wait " + after + ", then try again."
		h.loginForm(c, http.StatusTooManyRequests, d)
		return
	}
	u, err := h.Users.Authenticate(c, email, password, now)
	if errors.Is(err, auth.ErrBadCredentials) {
		// The attempt, counted above, stays as a failure.
		d.Error = "Wrong email or password."
		h.loginForm(c, http.StatusUnauthorized, d)
		return
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "Signing in is not possible right now; try again.", err)
		return
	}
	if err := h.Users.ClearFailures(c, email); err != nil {
		h.fail(c, http.StatusInternalServerError, "Signing in is not possible right now; try again.", err)
		return
	}
	pending, err := h.pendingAfterPassword(c, u)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "Signing in is not possible right now; try again.", err)
		return
	}
	if err := h.startSession(c, u, pending, now, slog.String("method", "password")); err != nil {
		h.fail(c, http.StatusInternalServerError, "Signing in is not possible right now; try again.", err)
		return
	}
	if pending != "" {
		c.Redirect(http.StatusSeeOther, secondFactorTarget(d.Next))
		return
	}
	c.Redirect(http.StatusSeeOther, d.Next)
}

// startSession signs the browser in as u: the session its cookie held ends (a browser
// that signs in again gets a new session token), a new one begins in the session cookie
// (waiting for pending, the second factor, when that is set) and the sign-in form's
// cookie goes. A session that is signed in is logged, with attrs.
func (h *Dashboard) startSession(c *gin.Context, u auth.User, pending string, now time.Time, attrs ...any) error {
	if old, err := c.Request.Cookie(sessionCookie); err == nil {
		if err := h.Users.EndSession(c, old.Value); err != nil {
			return err
		}
	}
	var token string
	var s auth.Session
	var err error
	if pending != "" {
		token, s, err = h.Users.StartPendingSession(c, u, pending, now)
	} else {
		token, s, err = h.Users.StartSession(c, u, h.Sessions, now)
	}
	if err != nil {
		return err
	}
	if pending == "" {
		h.Log.Info("signed in", append([]any{slog.String("user_id", u.ID), slog.String("role", string(u.Role))}, attrs...)...)
	}
	h.setCookie(c, loginCookie, "", "/login", -1, http.SameSiteStrictMode)
	h.setCookie(c, sessionCookie, token, "/", 0, http.SameSiteLaxMode)
	c.Set(ctxSession, s)
	c.Set(ctxToken, token)
	return nil
}

func (h *Dashboard) logout(c *gin.Context) {
	if err := h.Users.EndSession(c, sessionToken(c)); err != nil {
		h.fail(c, http.StatusInternalServerError, "Signing out failed; try again.", err)
		return
	}
	h.setCookie(c, sessionCookie, "", "/", -1, http.SameSiteLaxMode)
	c.Redirect(http.StatusSeeOther, "/login")
}
