package dashboard

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"dsr/users"
)

// triageData is the triage page's.
type triageData struct {
	MailboxConfigured bool
}

// triage will list the privacy mailbox's messages to sort; until the mailbox exists it
// says so.
func (h *Dashboard) triage(c *gin.Context) {
	h.render(c, http.StatusOK, "triage", "Triage", triageData{MailboxConfigured: h.MailboxConfigured})
}

func (h *Dashboard) tenants(c *gin.Context) {
	ts, err := h.Store.TenantsOverview(c)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The tenants could not be read.", err)
		return
	}
	h.render(c, http.StatusOK, "tenants", "Tenants", ts)
}

// usersData is the users page's.
type usersData struct {
	Users     []users.User
	Roles     []string
	MinLength int
}

func (h *Dashboard) users(c *gin.Context) {
	list, err := h.Users.List(c)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The users could not be read.", err)
		return
	}
	h.render(c, http.StatusOK, "users", "Users", usersData{Users: list, Roles: users.Roles, MinLength: users.MinPasswordLength})
}

func (h *Dashboard) createUser(c *gin.Context) {
	if c.PostForm("password") != c.PostForm("password_again") {
		h.flash(c, "error", "The two passwords differ.", "/users")
		return
	}
	admin := user(c)
	u, err := h.Users.Create(c, users.NewUser{Email: c.PostForm("email"), Role: c.PostForm("role"),
		Password: c.PostForm("password"), CreatedBy: admin.Actor()})
	switch {
	case errors.Is(err, users.ErrInvalid), errors.Is(err, users.ErrExists):
		h.flash(c, "error", "Not created: "+strings.TrimPrefix(err.Error(), users.ErrInvalid.Error()+": ")+".", "/users")
		return
	case err != nil:
		h.fail(c, http.StatusInternalServerError, "The user could not be created.", err)
		return
	}
	h.Log.Info("dashboard user created", slog.String("user_id", u.ID), slog.String("role", u.Role), slog.String("by", admin.ID))
	h.flash(c, "ok", "Created "+u.Email+" ("+u.Role+").", "/users")
}
