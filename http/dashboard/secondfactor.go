package dashboard

import (
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"dsr/internal/auth"
	"dsr/internal/domain"
	"dsr/internal/store"
)

// secondFactorPath is the page of a session that waits for its second factor.
const secondFactorPath = "/login/second-factor"

// secondFactorData is the second_factor page's: a code to enter (Mode "code"), a secret to
// set up ("enrol"), or recovery codes to keep ("codes").
type secondFactorData struct {
	Mode   string
	Action string
	Next   string
	Error  string
	// Secret, URL and QR are the secret being set up, for "enrol".
	Secret string
	URL    string
	QR     template.URL
	// Codes are the new recovery codes, for "codes"; Continue is where to go next.
	Codes    []string
	Continue string
	// Required says that the user's role must use a second factor.
	Required bool
}

// pendingAfterPassword says what a user whose password was right still owes: the code of
// the second factor, its set-up when the role requires one, or nothing.
func (h *Dashboard) pendingAfterPassword(c *gin.Context, u auth.User) (string, error) {
	if u.SecondFactorSince != nil {
		return auth.PendingCode, nil
	}
	required, err := h.Users.SecondFactorRequired(c, u.Role)
	if err != nil || !required {
		return "", err
	}
	return auth.PendingEnrol, nil
}

// authenticatePending loads a session that waits for its second factor; a signed-in
// browser goes to the queue, any other to the sign-in page.
func (h *Dashboard) authenticatePending(c *gin.Context) {
	s, token, err := h.cookieSession(c)
	switch {
	case errors.Is(err, auth.ErrNotFound):
		sendTo(c, "/login")
		return
	case err != nil:
		h.fail(c, http.StatusInternalServerError, "The session could not be read; try again.", err)
		return
	case s.Pending == "":
		sendTo(c, "/")
		return
	}
	c.Set(ctxSession, s)
	c.Set(ctxToken, token)
	c.Next()
}

// secondFactorPage asks for the code, or shows a new secret to set up.
func (h *Dashboard) secondFactorPage(c *gin.Context) {
	s, _ := current(c)
	d := secondFactorData{Mode: "code", Action: secondFactorPath, Next: safeNext(c.Query("next"))}
	if s.Pending == auth.PendingEnrol {
		d.Mode, d.Required = "enrol", true
		if !h.enrolment(c, s.User, &d) {
			return
		}
	}
	h.render(c, http.StatusOK, "second_factor", "Second factor", d)
}

// enrolment begins setting up a secret for u and puts it into d; false when it failed
// (the error page is written).
func (h *Dashboard) enrolment(c *gin.Context, u auth.User, d *secondFactorData) bool {
	e, err := h.Users.BeginEnrolment(c, u)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The second factor could not be prepared; try again.", err)
		return false
	}
	d.Secret, d.URL = e.Secret, e.URL
	d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QR))
	return true
}

// secondFactorKey is the account second-factor attempts count against, as sign-in attempts
// at an account of their own: guessing codes is limited like guessing passwords.
func secondFactorKey(u auth.User) string { return "second-factor:" + u.ID }

// limitSecondFactor reports whether a code may be tried now; when not, it has answered.
func (h *Dashboard) limitSecondFactor(c *gin.Context, u auth.User, d secondFactorData) bool {
	allowed, wait, err := h.Users.Attempt(c, h.LoginLimit, secondFactorKey(u), clientIP(c), h.now())
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "Signing in is not possible right now; try again.", err)
		return false
	}
	if !allowed {
		secs := int((wait + time.Second - 1) / time.Second)
		c.Header("Retry-After", strconv.Itoa(secs))
		h.Log.Warn("second factor refused: too many failures", slog.String("user_id", u.ID), slog.Duration("wait", wait))
		d.Error = "Too many wrong codes. Wait " + strconv.Itoa(secs) + " seconds, then try again."
		h.render(c, http.StatusTooManyRequests, "second_factor", "Second factor", d)
		return false
	}
	return true
}

// secondFactor checks the code of a pending session: the second factor's (or a recovery
// code), or the first code of the secret being set up. When right, the browser is signed
// in with a new session token.
func (h *Dashboard) secondFactor(c *gin.Context) {
	s, _ := current(c)
	u, now := s.User, h.now()
	code := c.PostForm("code")
	d := secondFactorData{Mode: "code", Action: secondFactorPath, Next: safeNext(c.PostForm("next"))}
	if s.Pending == auth.PendingEnrol {
		d.Mode, d.Required = "enrol", true
	}
	if !h.limitSecondFactor(c, u, d) {
		return
	}
	var codes []string
	var usedRecovery bool
	var err error
	if s.Pending == auth.PendingEnrol {
		codes, err = h.Users.ConfirmEnrolment(c, u, code, now)
	} else {
		usedRecovery, err = h.Users.CheckSecondFactor(c, u, code, now)
	}
	if errors.Is(err, auth.ErrBadCode) || errors.Is(err, auth.ErrNoSecondFactor) {
		d.Error = "Wrong or already used code. Enter the current code from your authenticator app, or a recovery code."
		if d.Mode == "enrol" {
			d.Error = "Wrong code. Scan the new secret below and enter the code your app shows."
			if !h.enrolment(c, u, &d) {
				return
			}
		}
		h.render(c, http.StatusUnauthorized, "second_factor", "Second factor", d)
		return
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "Signing in is not possible right now; try again.", err)
		return
	}
	if err := h.Users.ClearFailures(c, secondFactorKey(u)); err != nil {
		h.fail(c, http.StatusInternalServerError, "Signing in is not possible right now; try again.", err)
		return
	}
	if codes != nil {
		u, err = h.Users.ByID(c, u.ID) // now with its second factor
		if err != nil {
			h.fail(c, http.StatusInternalServerError, "Signing in is not possible right now; try again.", err)
			return
		}
	}
	if err := h.startSession(c, u, "", now, slog.String("method", "password"), slog.Bool("second_factor", true),
		slog.Bool("recovery_code", usedRecovery), slog.Bool("enrolled", codes != nil)); err != nil {
		h.fail(c, http.StatusInternalServerError, "Signing in is not possible right now; try again.", err)
		return
	}
	if codes != nil {
		h.render(c, http.StatusOK, "second_factor", "Recovery codes", secondFactorData{Mode: "codes", Codes: codes, Continue: d.Next})
		return
	}
	if usedRecovery {
		left, err := h.Users.RecoveryCodesLeft(c, u)
		if err != nil {
			h.Log.Warn("count recovery codes", slog.Any("error", err))
		}
		h.flash(c, "ok", "You signed in with a recovery code; "+strconv.Itoa(left)+" left. Make new ones on your account page if you are running out.", d.Next)
		return
	}
	c.Redirect(http.StatusSeeOther, d.Next)
}

// accountData is the account page's.
type accountData struct {
	Since         *time.Time
	CodesLeft     int
	Required      bool
	Error         string
	RemoveAllowed bool
	// Provider names the identity provider the user signs in through; "" for a password.
	Provider string
}

// ssoUser reports whether the user signs in through the identity provider, whose own
// factors apply instead of dsr's.
func (h *Dashboard) ssoUser(c *gin.Context, u auth.User) (bool, error) {
	if h.SSO == nil {
		return false, nil
	}
	_, link, err := h.Store.UserSSOByEmail(c, u.Email)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return link.SSO, err
}

// account shows the signed-in user's second factor.
func (h *Dashboard) account(c *gin.Context) {
	u := user(c)
	d := accountData{Since: u.SecondFactorSince}
	sso, err := h.ssoUser(c, u)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "Your account could not be read.", err)
		return
	}
	if sso {
		d.Provider = h.ssoLabel()
		h.render(c, http.StatusOK, "account", "Account", d)
		return
	}
	if d.Required, err = h.Users.SecondFactorRequired(c, u.Role); err != nil {
		h.fail(c, http.StatusInternalServerError, "Your account could not be read.", err)
		return
	}
	if u.SecondFactorSince != nil {
		if d.CodesLeft, err = h.Users.RecoveryCodesLeft(c, u); err != nil {
			h.fail(c, http.StatusInternalServerError, "Your account could not be read.", err)
			return
		}
	}
	d.RemoveAllowed = u.SecondFactorSince != nil && !d.Required
	h.render(c, http.StatusOK, "account", "Account", d)
}

// accountEnrolPage shows a new secret to set up (or to replace the one in use).
func (h *Dashboard) accountEnrolPage(c *gin.Context) {
	if sso, err := h.ssoUser(c, user(c)); err != nil || sso {
		h.fail(c, http.StatusConflict, "You sign in through single sign-on: your provider's second factor applies.", err)
		return
	}
	d := secondFactorData{Mode: "enrol", Action: "/account/second-factor", Next: "/account"}
	if !h.enrolment(c, user(c), &d) {
		return
	}
	h.render(c, http.StatusOK, "second_factor", "Set up a second factor", d)
}

// accountEnrol confirms the secret being set up with its first code.
func (h *Dashboard) accountEnrol(c *gin.Context) {
	u := user(c)
	d := secondFactorData{Mode: "enrol", Action: "/account/second-factor", Next: "/account"}
	if !h.limitSecondFactor(c, u, d) {
		return
	}
	codes, err := h.Users.ConfirmEnrolment(c, u, c.PostForm("code"), h.now())
	if errors.Is(err, auth.ErrBadCode) || errors.Is(err, auth.ErrNoSecondFactor) {
		d.Error = "Wrong code. Scan the new secret below and enter the code your app shows."
		if !h.enrolment(c, u, &d) {
			return
		}
		h.render(c, http.StatusUnauthorized, "second_factor", "Set up a second factor", d)
		return
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The second factor could not be set up.", err)
		return
	}
	if err := h.Users.ClearFailures(c, secondFactorKey(u)); err != nil {
		h.Log.Warn("clear second factor failures", slog.Any("error", err))
	}
	h.Log.Info("second factor set up", slog.String("user_id", u.ID))
	h.render(c, http.StatusOK, "second_factor", "Recovery codes", secondFactorData{Mode: "codes", Codes: codes, Continue: "/account"})
}

// accountRecoveryCodes replaces the user's recovery codes and shows the new ones.
func (h *Dashboard) accountRecoveryCodes(c *gin.Context) {
	u := user(c)
	codes, err := h.Users.NewRecoveryCodes(c, u)
	if errors.Is(err, auth.ErrNoSecondFactor) {
		h.flash(c, "error", "Set up a second factor first.", "/account")
		return
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "New recovery codes could not be made.", err)
		return
	}
	h.Log.Info("recovery codes replaced", slog.String("user_id", u.ID))
	h.render(c, http.StatusOK, "second_factor", "Recovery codes", secondFactorData{Mode: "codes", Codes: codes, Continue: "/account"})
}

// accountRemove removes the user's second factor after a right code, unless the role
// requires one.
func (h *Dashboard) accountRemove(c *gin.Context) {
	u := user(c)
	if !h.limitSecondFactor(c, u, secondFactorData{Mode: "code", Action: "/account/second-factor/remove", Next: "/account"}) {
		return
	}
	err := h.Users.RemoveSecondFactor(c, u, c.PostForm("code"), sessionToken(c), h.now())
	switch {
	case errors.Is(err, auth.ErrSecondFactorRequired):
		h.flash(c, "error", "Not removed: your role ("+string(u.Role)+") must use a second factor.", "/account")
		return
	case errors.Is(err, auth.ErrBadCode), errors.Is(err, auth.ErrNoSecondFactor):
		h.flash(c, "error", "Not removed: wrong or already used code.", "/account")
		return
	case err != nil:
		h.fail(c, http.StatusInternalServerError, "The second factor could not be removed.", err)
		return
	}
	if err := h.Users.ClearFailures(c, secondFactorKey(u)); err != nil {
		h.Log.Warn("clear second factor failures", slog.Any("error", err))
	}
	h.Log.Info("second factor removed", slog.String("user_id", u.ID))
	h.flash(c, "ok", "Your second factor is removed; you sign in with your password alone.", "/account")
}

// setSecondFactorRoles sets which roles must use a second factor.
func (h *Dashboard) setSecondFactorRoles(c *gin.Context) {
	var roles []domain.Role
	for _, r := range c.PostFormArray("role") {
		roles = append(roles, domain.Role(r))
	}
	if err := h.Users.SetSecondFactorRoles(c, roles); errors.Is(err, auth.ErrInvalid) {
		h.flash(c, "error", "Not saved: "+err.Error()+".", "/users")
		return
	} else if err != nil {
		h.fail(c, http.StatusInternalServerError, "The setting could not be saved.", err)
		return
	}
	h.Log.Info("second factor roles set", slog.Int("roles", len(roles)), slog.String("by", user(c).ID))
	h.flash(c, "ok", "Saved. Users of the roles checked set up a second factor at their next sign-in.", "/users")
}

// resetSecondFactor removes a user's second factor (a lost device) and ends the user's
// sessions.
func (h *Dashboard) resetSecondFactor(c *gin.Context) {
	id := c.Param("id")
	err := h.Users.ResetSecondFactor(c, id)
	if errors.Is(err, auth.ErrNotFound) {
		h.flash(c, "error", "No such user.", "/users")
		return
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The second factor could not be reset.", err)
		return
	}
	h.Log.Info("second factor reset", slog.String("user_id", id), slog.String("by", user(c).ID))
	h.flash(c, "ok", "The user's second factor is removed and their sessions ended.", "/users")
}

// secondFactorTarget is where a pending session is sent, keeping next.
func secondFactorTarget(next string) string {
	if next == "/" {
		return secondFactorPath
	}
	return secondFactorPath + "?next=" + url.QueryEscape(next)
}
