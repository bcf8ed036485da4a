package dashboard

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"

	"dsr/internal/auth"
	"dsr/internal/platform/seal"
)

// SSO is single sign-on through an OpenID provider (Config.SSO).
type SSO struct {
	// OIDC talks to the provider.
	OIDC *auth.OIDC
	// Name is the provider's name on the sign-in button ("Sign in with <Name>");
	// "single sign-on" when empty.
	Name string
	// Keys seal the cookie that keeps a sign-in's state, nonce and PKCE verifier until the
	// provider answers. Every process behind one address needs the same keys (they derive
	// from DSR_SECRET_KEY).
	Keys *seal.Keys
}

// Single sign-on's cookie and its limits.
const (
	// ssoCookie keeps one sign-in's attempt, sealed, on the paths of the flow only. It is
	// SameSite=Lax: the provider's answer is a top-level GET from another site.
	ssoCookie = "dsr_sso"
	ssoPath   = "/login/oidc"
	// ssoLifetime is how long a sign-in at the provider may take.
	ssoLifetime = 10 * time.Minute
)

// ssoAAD binds the sealed cookie to its use.
var ssoAAD = []byte("dsr dashboard oidc sign-in v1")

// Messages of single sign-on, shown on the sign-in page.
const (
	msgSSOOff         = "Single sign-on is not configured."
	msgSSOUnavailable = "The single sign-on provider cannot be reached right now. Try again in a minute."
	msgSSOStale       = "This single sign-on has expired, was already used or was started in another browser. Start again."
	msgSSOReplayed    = "This answer of the single sign-on provider was already used: it signs nobody in twice. Start again."
	msgSSOToken       = "The single sign-on provider's answer is not valid for this dashboard (issuer, audience, signature or nonce). Try again; if it keeps failing, ask an admin to check the single sign-on settings."
	msgSSOExpired     = "The single sign-on provider's token has expired (the sign-in took too long, or the servers' clocks disagree). Try again."
	msgSSOEmail       = "The single sign-on provider did not give a verified email address for your account; the dashboard needs one."
	msgSSONoRole      = "Your account at the single sign-on provider is in none of the groups that give access to the dashboard. Ask an admin to add you to one."
	msgSSODisabled    = "This dashboard account is disabled."
	msgSSOConflict    = "This dashboard account is tied to another account at the single sign-on provider. Ask an admin."
	msgSSOFailed      = "Signing in is not possible right now; try again."
	msgPasswordsOff   = "Signing in with a password is turned off here: use single sign-on."
)

// ssoState is what the cookie keeps.
type ssoState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
	Expires  int64  `json:"exp"`
}

// ssoLabel is the provider's name on the sign-in page; "" when single sign-on is off.
func (h *Dashboard) ssoLabel() string {
	switch {
	case h.SSO == nil:
		return ""
	case h.SSO.Name == "":
		return "single sign-on"
	}
	return h.SSO.Name
}

// passwordsAllowed refuses password sign-in when local passwords are turned off.
func (h *Dashboard) passwordsAllowed(c *gin.Context) {
	if h.LocalPasswordsOff {
		h.Log.Warn("password sign-in refused: local passwords are off")
		h.loginForm(c, http.StatusForbidden, loginData{Next: safeNext(c.PostForm("next")), Error: msgPasswordsOff})
		c.Abort()
		return
	}
	c.Next()
}

// ssoStart sends the browser to the provider, with a new state, nonce and PKCE challenge,
// which a sealed cookie keeps for the answer.
func (h *Dashboard) ssoStart(c *gin.Context) {
	next := safeNext(c.Query("next"))
	if h.SSO == nil {
		h.loginForm(c, http.StatusNotFound, loginData{Next: next, Error: msgSSOOff})
		return
	}
	a, err := auth.NewSSOAttempt()
	if err != nil {
		h.ssoRefuse(c, http.StatusInternalServerError, msgSSOFailed, next, "start", err)
		return
	}
	target, err := h.SSO.OIDC.AuthCodeURL(c, a.State, a.Nonce, a.Verifier)
	if err != nil {
		h.ssoRefuse(c, http.StatusServiceUnavailable, msgSSOUnavailable, next, "provider unavailable", err)
		return
	}
	raw, err := json.Marshal(ssoState{State: a.State, Nonce: a.Nonce, Verifier: a.Verifier, Next: next,
		Expires: h.now().Add(ssoLifetime).Unix()})
	if err != nil {
		h.ssoRefuse(c, http.StatusInternalServerError, msgSSOFailed, next, "start", err)
		return
	}
	sealed, err := h.SSO.Keys.Seal(raw, ssoAAD)
	if err != nil {
		h.ssoRefuse(c, http.StatusInternalServerError, msgSSOFailed, next, "start", err)
		return
	}
	h.setCookie(c, ssoCookie, base64.RawURLEncoding.EncodeToString(sealed), ssoPath, int(ssoLifetime/time.Second), http.SameSiteLaxMode)
	c.Redirect(http.StatusSeeOther, target)
}

// idpErrorCode is what of the provider's error code is repeated on the page and in the log.
var idpErrorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// ssoCallback takes the provider's answer: the browser's cookie must hold the sign-in it
// started (same state, not expired), the state is used once, the code is exchanged with the
// PKCE verifier, the ID token verified, the user found or made with the mapped role, and
// a session started as a password sign-in does.
func (h *Dashboard) ssoCallback(c *gin.Context) {
	if h.SSO == nil {
		h.loginForm(c, http.StatusNotFound, loginData{Next: "/", Error: msgSSOOff})
		return
	}
	now := h.now()
	var st ssoState
	opened := false
	if ck, err := c.Request.Cookie(ssoCookie); err == nil {
		opened = h.openSSO(ck.Value, &st) && now.Unix() < st.Expires
	}
	// The cookie serves one answer, whatever it says.
	h.setCookie(c, ssoCookie, "", ssoPath, -1, http.SameSiteLaxMode)
	next := "/"
	if opened {
		next = safeNext(st.Next)
	}
	if e := c.Query("error"); e != "" {
		code := "error"
		if idpErrorCode.MatchString(e) {
			code = e
		}
		h.ssoRefuse(c, http.StatusForbidden, "The single sign-on provider did not sign you in ("+code+"). Try again.", next, "provider error "+code, nil)
		return
	}
	state := c.Query("state")
	if !opened || state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(st.State)) != 1 {
		h.ssoRefuse(c, http.StatusBadRequest, msgSSOStale, next, "no matching sign-in", nil)
		return
	}
	first, err := h.Users.UseSSOState(c, st.State, now)
	if err != nil {
		h.ssoRefuse(c, http.StatusInternalServerError, msgSSOFailed, next, "record state", err)
		return
	}
	if !first {
		h.ssoRefuse(c, http.StatusBadRequest, msgSSOReplayed, next, "state replayed", nil)
		return
	}
	id, err := h.SSO.OIDC.Finish(c, c.Query("code"), st.Verifier, st.Nonce)
	if err != nil {
		status, msg := ssoMessage(err)
		h.ssoRefuse(c, status, msg, next, "identity refused", err)
		return
	}
	u, err := h.Users.SignInSSO(c, id, now)
	if err != nil {
		status, msg := ssoMessage(err)
		h.ssoRefuse(c, status, msg, next, "user refused", err)
		return
	}
	if err := h.startSession(c, u, "", now, slog.String("method", "sso")); err != nil {
		h.ssoRefuse(c, http.StatusInternalServerError, msgSSOFailed, next, "start session", err)
		return
	}
	c.Redirect(http.StatusSeeOther, next)
}

// openSSO reads the sealed cookie into st.
func (h *Dashboard) openSSO(v string, st *ssoState) bool {
	sealed, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return false
	}
	raw, err := h.SSO.Keys.Open(sealed, ssoAAD)
	if err != nil {
		return false
	}
	return json.Unmarshal(raw, st) == nil && st.State != "" && st.Nonce != "" && st.Verifier != ""
}

// ssoMessage is the status and message of a refused single sign-on.
func ssoMessage(err error) (int, string) {
	for _, m := range []struct {
		err    error
		status int
		msg    string
	}{
		{auth.ErrSSOUnavailable, http.StatusServiceUnavailable, msgSSOUnavailable},
		{auth.ErrSSOExpired, http.StatusForbidden, msgSSOExpired},
		{auth.ErrSSOToken, http.StatusForbidden, msgSSOToken},
		{auth.ErrSSOEmail, http.StatusForbidden, msgSSOEmail},
		{auth.ErrSSONoRole, http.StatusForbidden, msgSSONoRole},
		{auth.ErrSSODisabled, http.StatusForbidden, msgSSODisabled},
		{auth.ErrSSOConflict, http.StatusForbidden, msgSSOConflict},
	} {
		if errors.Is(err, m.err) {
			return m.status, m.msg
		}
	}
	return http.StatusInternalServerError, msgSSOFailed
}

// ssoRefuse logs why a single sign-on failed (no personal data: the errors name claims,
// never their values) and shows the sign-in page with the message.
func (h *Dashboard) ssoRefuse(c *gin.Context, status int, msg, next, reason string, err error) {
	attrs := []any{slog.String("reason", reason), slog.Int("status", status)}
	if err != nil {
		attrs = append(attrs, slog.Any("error", err))
	}
	if status >= http.StatusInternalServerError {
		h.Log.Error("single sign-on failed", attrs...)
	} else {
		h.Log.Warn("single sign-on refused", attrs...)
	}
	h.loginForm(c, status, loginData{Next: next, Error: msg})
}
