package dashboard

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dsr/internal/auth"
	"dsr/internal/deadline"
	"dsr/internal/domain"
	"dsr/internal/mail/classify"
	"dsr/internal/mail/ingest"
	"dsr/internal/store"
	"dsr/internal/tenants"
)

// triageLimit is how many mails each table of the triage page lists, newest first.
const triageLimit = 200

// triageData is the triage page's. It holds the mails' metadata only: their content stays
// sealed in the database and in the mailbox folders.
type triageData struct {
	MailboxConfigured bool
	// Processed, Triage and Quarantine count the mails filed in each folder.
	Processed, Triage, Quarantine int
	// Pending counts the mails to subjects not yet sent.
	Pending int
	// NeedsPerson and Quarantined list the newest mails of the triage and quarantine folders.
	NeedsPerson, Quarantined mailTable
	// TriageFolder and QuarantineFolder are where the mails themselves are in the mailbox.
	TriageFolder, QuarantineFolder string
}

// mailTable is one folder's table on the triage page.
type mailTable struct {
	// ID is the table's element id; Empty what it says when the folder is empty.
	ID, Empty string
	Rows      []mailRow
	// Total is how many mails the folder has, Limit how many the table lists at most.
	Total, Limit int
}

// More reports whether the folder has more mails than the table lists.
func (t mailTable) More() bool { return t.Total > len(t.Rows) }

// mailRow is one mail as the triage page lists it.
type mailRow struct {
	ID      string
	TakenAt time.Time
	// Kind, Language and Confidence are in words; "—" where the mail was not read.
	Kind, Language, Confidence string
	// Note is why the mail is in its folder.
	Note string
	Size int64
}

// kindLabels name the kinds of mail the mailroom tells apart.
var kindLabels = map[string]string{
	classify.KindRequest: "request", classify.KindReply: "reply", classify.KindAutoReply: "automatic reply",
	classify.KindBounce: "bounce", classify.KindNewsletter: "newsletter", classify.KindSupport: "support question",
	classify.KindSales: "sales question", classify.KindSecurity: "security report", classify.KindOther: "not recognised",
	ingest.KindMalformed: "unreadable", ingest.KindTooLarge: "too large to read",
}

// newMailRow puts a mail in words.
func newMailRow(m store.Mail) mailRow {
	r := mailRow{ID: m.ID, TakenAt: m.TakenAt, Note: m.Note, Size: m.Size, Kind: kindLabels[m.Kind],
		Language: m.Language, Confidence: fmt.Sprintf("%.0f%%", m.Confidence*100)}
	if r.Kind == "" {
		r.Kind = strings.ReplaceAll(m.Kind, "_", " ")
	}
	switch {
	case m.Kind == ingest.KindMalformed || m.Kind == ingest.KindTooLarge:
		// Never classified: it has no language or confidence to show.
		r.Language, r.Confidence = "—", "—"
		return r
	case m.Kind == classify.KindRequest && m.Confidence < classify.ReviewBelow:
		r.Kind = "request (low confidence)"
	case m.Kind == classify.KindRequest && m.Language == "":
		r.Kind = "request (language unknown)"
	case m.Kind == classify.KindReply && m.Folder == store.FolderTriage:
		r.Kind = "reply (unknown reference)"
	}
	if r.Language == "" {
		r.Language = "unknown"
	}
	return r
}

// triage lists the privacy mailbox's mails that need a person and those in quarantine,
// by their metadata: what kind, why they are there. Without a mailbox it says so.
func (h *Dashboard) triage(c *gin.Context) {
	d := triageData{MailboxConfigured: h.MailboxConfigured,
		TriageFolder: ingest.FolderPrefix + store.FolderTriage, QuarantineFolder: ingest.FolderPrefix + store.FolderQuarantine,
		NeedsPerson: mailTable{ID: "triage-mails", Empty: "Nothing here: no mail is waiting for a person.", Limit: triageLimit},
		Quarantined: mailTable{ID: "quarantine-mails", Empty: "Nothing here: every mail could be read.", Limit: triageLimit}}
	if !h.MailboxConfigured {
		h.render(c, http.StatusOK, "triage", "Triage", d)
		return
	}
	counts, err := h.Store.MailCounts(c)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The mailbox's mails could not be counted.", err)
		return
	}
	d.Processed, d.Triage, d.Quarantine = counts[store.FolderProcessed], counts[store.FolderTriage], counts[store.FolderQuarantine]
	d.NeedsPerson.Total, d.Quarantined.Total = d.Triage, d.Quarantine
	if d.Pending, err = h.Store.PendingMail(c); err != nil {
		h.fail(c, http.StatusInternalServerError, "The mail to subjects could not be counted.", err)
		return
	}
	for _, f := range []struct {
		name  string
		table *mailTable
	}{{store.FolderTriage, &d.NeedsPerson}, {store.FolderQuarantine, &d.Quarantined}} {
		ms, err := h.Store.MailsByFolder(c, f.name, triageLimit)
		if err != nil {
			h.fail(c, http.StatusInternalServerError, "The mailbox's mails could not be read.", err)
			return
		}
		for _, m := range ms {
			f.table.Rows = append(f.table.Rows, newMailRow(m))
		}
	}
	h.render(c, http.StatusOK, "triage", "Triage", d)
}

// tenantsData is the tenants page's.
type tenantsData struct {
	Tenants []store.TenantOverview
	// CanCreate is set when the chat store is connected: a new tenant needs its account
	// there, so without it the page offers no form.
	CanCreate bool
	Regions   []domain.Region
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
var newTenantForm = tenantForm{Region: string(domain.Regions[0]), TargetDays: strconv.Itoa(deadline.DefaultTargetDays)}

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
	d.Tenants, d.CanCreate = ts, h.Accounts != nil
	d.Regions, d.Countries = domain.Regions, deadline.Countries()
	h.render(c, status, "tenants", "Tenants", d)
}

// createTenant provisions a tenant (record, chat-store account, first API key) and shows
// its key once. Bad values come back in the form, with the reason, as 422.
func (h *Dashboard) createTenant(c *gin.Context) {
	if h.Accounts == nil {
		h.fail(c, http.StatusServiceUnavailable, "Tenants cannot be created here: the dashboard has no connection to "+
			"the chat store (CHATSTORE_URL), where a tenant gets its account. Use dsr tenant create.", nil)
		return
	}
	f := tenantForm{Name: c.PostForm("name"), Region: c.PostForm("region"), Country: c.PostForm("country"),
		TZ: c.PostForm("tz"), TargetDays: strings.TrimSpace(c.PostForm("target_days"))}
	nt := tenants.Tenant{Name: f.Name, Region: domain.Region(f.Region), Country: f.Country, TZ: f.TZ}
	if f.TargetDays != "" {
		n, err := strconv.Atoi(f.TargetDays)
		if err != nil || n == 0 { // provision reads 0 as "the default"; typed, it is a mistake
			h.tenantsPage(c, http.StatusUnprocessableEntity, tenantsData{Form: f,
				Error: "Not created: target days must be a whole number between 1 and 20."})
			return
		}
		nt.TargetDays = n
	}
	tn, key, err := tenants.Create(c, h.Store, h.Accounts, nt)
	var invalid *tenants.InvalidError
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
	h.Log.Info("tenant created", slog.String("tenant_id", tn.ID), slog.String("region", string(tn.Region)), slog.String("by", user(c).ID))
	h.tenantsPage(c, http.StatusOK, tenantsData{Form: newTenantForm, Created: &createdTenant{Tenant: tn, APIKey: key}})
}

// usersData is the users page's.
type usersData struct {
	Users     []auth.User
	Roles     []domain.Role
	MinLength int
	// SecondFactorRoles are the roles that must use a second factor.
	SecondFactorRoles []domain.Role
}

func (h *Dashboard) users(c *gin.Context) {
	list, err := h.Users.List(c)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The users could not be read.", err)
		return
	}
	required, err := h.Users.SecondFactorRoles(c)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The users could not be read.", err)
		return
	}
	h.render(c, http.StatusOK, "users", "Users", usersData{Users: list, Roles: domain.Roles, MinLength: auth.MinPasswordLength,
		SecondFactorRoles: required})
}

func (h *Dashboard) createUser(c *gin.Context) {
	if c.PostForm("password") != c.PostForm("password_again") {
		h.flash(c, "error", "The two passwords differ.", "/users")
		return
	}
	admin := user(c)
	u, err := h.Users.Create(c, auth.NewUser{Email: c.PostForm("email"), Role: domain.Role(c.PostForm("role")),
		Password: c.PostForm("password"), CreatedBy: string(admin.Actor())})
	switch {
	case errors.Is(err, auth.ErrInvalid), errors.Is(err, auth.ErrExists):
		h.flash(c, "error", "Not created: "+strings.TrimPrefix(err.Error(), auth.ErrInvalid.Error()+": ")+".", "/users")
		return
	case err != nil:
		h.fail(c, http.StatusInternalServerError, "The user could not be created.", err)
		return
	}
	h.Log.Info("dashboard user created", slog.String("user_id", u.ID), slog.String("role", string(u.Role)), slog.String("by", admin.ID))
	h.flash(c, "ok", "Created "+u.Email+" ("+string(u.Role)+").", "/users")
}
