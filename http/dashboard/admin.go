package dashboard

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"dsr/deadline"
	"dsr/provision"
	"dsr/store"
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

// tenantsData is the tenants page's.
type tenantsData struct {
	Tenants []store.TenantOverview
	// CanCreate is set when the chat store is connected: a new tenant needs its account
	// there, so without it the page offers no form.
	CanCreate bool
	Regions   []string
	Countries []string
	// Form is what the create form shows; Error why the values posted were refused.
	Form  tenantForm
	Error string
	// Created is the tenant just created, with its API key in the clear: it is on this
	// one answer only, never kept, never logged.
	Created *createdTenant
}

// tenantForm is the create form's values as posted, to show them again.
type tenantForm struct {
	Name, Region, Country, TZ, TargetDays string
}

// newTenantForm is the empty create form.
var newTenantForm = tenantForm{Region: provision.Regions[0], TargetDays: strconv.Itoa(deadline.DefaultTargetDays)}

// createdTenant is a tenant just created and its first API key.
type createdTenant struct {
	Tenant store.Tenant
	APIKey string
}

func (h *Dashboard) tenants(c *gin.Context) {
	h.tenantsPage(c, http.StatusOK, tenantsData{Form: newTenantForm})
}

// tenantsPage renders the tenants page with d's form, notice or new tenant.
func (h *Dashboard) tenantsPage(c *gin.Context, status int, d tenantsData) {
	ts, err := h.Store.TenantsOverview(c)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The tenants could not be read.", err)
		return
	}
	d.Tenants, d.CanCreate = ts, h.ChatStore != nil
	d.Regions, d.Countries = provision.Regions, deadline.Countries()
	h.render(c, status, "tenants", "Tenants", d)
}

// createTenant provisions a tenant (record, chat-store account, first API key) and shows
// its key once. Bad values come back in the form, with the reason, as 422.
func (h *Dashboard) createTenant(c *gin.Context) {
	if h.ChatStore == nil {
		h.fail(c, http.StatusServiceUnavailable, "Tenants cannot be created here: the dashboard has no connection to "+
			"the chat store (CHATSTORE_URL), where a tenant gets its account. Use dsr tenant create.", nil)
		return
	}
	f := tenantForm{Name: c.PostForm("name"), Region: c.PostForm("region"), Country: c.PostForm("country"),
		TZ: c.PostForm("tz"), TargetDays: strings.TrimSpace(c.PostForm("target_days"))}
	nt := provision.Tenant{Name: f.Name, Region: f.Region, Country: f.Country, TZ: f.TZ}
	if f.TargetDays != "" {
		n, err := strconv.Atoi(f.TargetDays)
		if err != nil || n == 0 { // provision reads 0 as "the default"; typed, it is a mistake
			h.tenantsPage(c, http.StatusUnprocessableEntity, tenantsData{Form: f,
				Error: "Not created: target days must be a whole number between 1 and 20."})
			return
		}
		nt.TargetDays = n
	}
	tn, key, err := provision.Create(c, h.Store, h.ChatStore, nt)
	var invalid *provision.InvalidError
	switch {
	case errors.As(err, &invalid):
		h.tenantsPage(c, http.StatusUnprocessableEntity, tenantsData{Form: f,
			Error: "Not created: " + strings.TrimPrefix(invalid.Reason, "deadline: ") + "."})
		return
	case err != nil:
		h.fail(c, http.StatusInternalServerError, "The tenant could not be created.", err)
		return
	}
	// The id only: the key must never reach a log.
	h.Log.Info("tenant created", slog.String("tenant_id", tn.ID), slog.String("region", tn.Region), slog.String("by", user(c).ID))
	h.tenantsPage(c, http.StatusOK, tenantsData{Form: newTenantForm, Created: &createdTenant{Tenant: tn, APIKey: key}})
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
