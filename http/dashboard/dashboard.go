// Package dashboard is the DPO dashboard: server-rendered pages for the vendor's privacy
// team. Viewers read the queue, requests, triage and reports; DPOs also act on requests
// (approve, deny, extend, pause, resume, override, cancel, reveal a subject, download a
// package); admins also see and create tenants and manage users. A new tenant's API key is
// shown once, on the answer to the form, and is neither kept nor logged.
//
// Security: users sign in with a password (bcrypt), or through an OpenID provider (single
// sign-on: authorisation code flow with PKCE, state and nonce; the provider's groups map to
// roles; local passwords may be turned off), and get a server-side session (only
// the SHA-256 of its random id is stored) in an HttpOnly, SameSite=Lax cookie that is
// Secure over TLS; sessions end after Config.Sessions.Idle without use. Every POST
// carries the session's CSRF token (the sign-in form a token of its own) and passes
// net/http's cross-origin check. Failed sign-ins are limited per account and per client
// address. Pages are sent with a strict Content-Security-Policy and are not cached.
// Subjects' emails are masked until a DPO reveals one, which is recorded on the request;
// every action is a Temporal update through dispatch (Client.Decide) with the acting user as actor.
package dashboard

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dsr/internal/auth"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/temporal/dispatch"
	"dsr/internal/tenants"
	"dsr/templates"
)

// Config holds the dashboard's dependencies and settings.
type Config struct {
	Store *store.Store
	Users *auth.Users
	// Dispatch sends the DPO's decisions to requests' workflows; nil in tests of pages alone.
	Dispatch *dispatch.Client
	// Accounts opens a new tenant's account in the chat store (its connector). When nil,
	// admins cannot create tenants here (the Tenants page offers no form and its POST
	// answers 503); `dsr tenant create` still can.
	Accounts tenants.Accounts
	// PackageDir is where access and portability packages are kept.
	PackageDir string
	Log        *slog.Logger
	// MailboxConfigured is set when IMAP_URL is; the triage page says what that means.
	MailboxConfigured bool
	// SecureCookies marks cookies Secure even on plain HTTP, for a TLS proxy in front
	// that sends no X-Forwarded-Proto. Over TLS they are Secure anyway.
	SecureCookies bool
	// Sessions say how long sessions last; auth.DefaultPolicy when zero.
	Sessions auth.Policy
	// Webhooks, when set, lets admins make, rotate and delete tenants' webhook
	// subscriptions; without it the webhooks pages show the subscriptions and their logs.
	Webhooks *Webhooks
	// SSO, when set, offers single sign-on through an OpenID provider on the sign-in page.
	SSO *SSO
	// LocalPasswordsOff refuses sign-in with a password and hides the form; only with SSO.
	LocalPasswordsOff bool
	// LoginLimit limits failed sign-ins; auth.DefaultLimit when zero.
	LoginLimit auth.Limit
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Dashboard serves the pages. Build it with New; its handlers are registered by Register.
type Dashboard struct {
	Config
	pages  map[string]*template.Template
	static http.Handler
	origin *http.CrossOriginProtection
}

// pageNames are the templates under templates/dashboard, each with layout.html.
var pageNames = []string{"login", "second_factor", "account", "queue", "request", "triage", "reports", "tenants", "tenant", "webhooks", "users", "error"}

// New parses the templates and returns the dashboard.
func New(cfg Config) (*Dashboard, error) {
	if cfg.Store == nil || cfg.Users == nil || cfg.Log == nil {
		return nil, fmt.Errorf("dashboard: Store, Users and Log are required")
	}
	if cfg.SSO != nil && (cfg.SSO.OIDC == nil || cfg.SSO.Keys == nil) {
		return nil, fmt.Errorf("dashboard: SSO needs OIDC and Keys")
	}
	if cfg.LocalPasswordsOff && cfg.SSO == nil {
		return nil, fmt.Errorf("dashboard: local passwords can be turned off only with single sign-on")
	}
	if cfg.Sessions == (auth.Policy{}) {
		cfg.Sessions = auth.DefaultPolicy
	}
	if cfg.LoginLimit == (auth.Limit{}) {
		cfg.LoginLimit = auth.DefaultLimit
	}
	h := &Dashboard{Config: cfg, pages: map[string]*template.Template{}, origin: http.NewCrossOriginProtection()}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templates.Dashboard, "dashboard/layout.html", "dashboard/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("dashboard: parse template %s: %w", name, err)
		}
		h.pages[name] = t
	}
	static, err := fs.Sub(templates.Dashboard, "dashboard/static")
	if err != nil {
		return nil, fmt.Errorf("dashboard: static files: %w", err)
	}
	h.static = http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	return h, nil
}

// Register adds the dashboard's routes to r: the one route table.
func (h *Dashboard) Register(r gin.IRouter) {
	r.GET("/static/*file", h.serveStatic)

	pub := r.Group("", h.headers)
	pub.GET("/login", h.loginPage)
	pub.POST("/login", h.passwordsAllowed, h.login)
	pub.GET("/login/oidc", h.ssoStart)
	pub.GET("/login/oidc/callback", h.ssoCallback)

	// A session whose password was right and whose second factor is still to come.
	pending := pub.Group(secondFactorPath, h.authenticatePending, h.checkCSRF)
	pending.GET("", h.secondFactorPage)
	pending.POST("", h.secondFactor)
	pending.POST("/cancel", h.logout)

	// Every route below needs a session; every POST among them the session's CSRF token.
	in := pub.Group("", h.authenticate, h.checkCSRF)
	in.POST("/logout", h.logout)
	in.GET("/account", h.account)
	in.GET("/account/second-factor", h.accountEnrolPage)
	in.POST("/account/second-factor", h.accountEnrol)
	in.POST("/account/second-factor/remove", h.accountRemove)
	in.POST("/account/recovery-codes", h.accountRecoveryCodes)
	in.GET("/", h.queue)
	in.GET("/requests/:id", h.request)
	in.GET("/requests/:id/poll", h.poll)
	in.GET("/requests/:id/evidence", h.evidence)
	in.GET("/triage", h.triage)
	in.GET("/reports", h.reports)
	in.GET("/reports/sla.pdf", h.slaDownload("pdf"))
	in.GET("/reports/sla.csv", h.slaDownload("csv"))

	dpo := in.Group("", h.need(domain.RoleDPO))
	dpo.POST("/requests/:id/reveal", h.reveal)
	dpo.GET("/requests/:id/package", h.pkg)
	for _, a := range actions {
		dpo.POST("/requests/:id/"+a.name, h.act(a))
	}

	admin := in.Group("", h.need(domain.RoleAdmin))
	admin.GET("/tenants", h.tenants)
	admin.POST("/tenants", h.createTenant)
	admin.GET("/tenants/:id", h.tenant)
	admin.POST("/tenants/:id/keys", h.createKey)
	admin.POST("/tenants/:id/keys/:key/revoke", h.revokeKey)
	admin.POST("/tenants/:id/keys/:key/rotate", h.rotateKey)
	admin.GET("/tenants/:id/webhooks", h.webhooks)
	admin.POST("/tenants/:id/webhooks", h.createWebhook)
	admin.POST("/tenants/:id/webhooks/:wid/delete", h.deleteWebhook)
	admin.POST("/tenants/:id/webhooks/:wid/rotate-secret", h.rotateWebhook)
	admin.POST("/tenants/:id/webhooks/:wid/deliveries/:did/redeliver", h.redeliver)
	admin.GET("/users", h.users)
	admin.POST("/users", h.createUser)
	admin.POST("/users/second-factor", h.setSecondFactorRoles)
	admin.POST("/users/:id/reset-second-factor", h.resetSecondFactor)
}

func (h *Dashboard) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// contentSecurityPolicy allows the dashboard's own scripts, styles and requests only.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// headers sets the security headers of every page.
func (h *Dashboard) headers(c *gin.Context) {
	w := c.Writer.Header()
	w.Set("Content-Security-Policy", contentSecurityPolicy)
	w.Set("X-Content-Type-Options", "nosniff")
	w.Set("X-Frame-Options", "DENY")
	w.Set("Referrer-Policy", "same-origin")
	w.Set("Cache-Control", "no-store")
	c.Next()
}

func (h *Dashboard) serveStatic(c *gin.Context) {
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "public, max-age=3600")
	h.static.ServeHTTP(c.Writer, c.Request)
}

// page is what every page template receives.
type page struct {
	// Title is the page's title; Nav the menu entry to highlight.
	Title, Nav string
	// User is who is signed in; nil on the sign-in page.
	User *auth.User
	// CSRF is the token the page's forms post back.
	CSRF string
	// FlashKind ("ok" or "error") and Flash are a notice to show once.
	FlashKind, Flash string
	// Data is the page's own.
	Data any
}

// Can reports whether the signed-in user has at least role.
func (p page) Can(role domain.Role) bool { return p.User != nil && p.User.Role.Allows(role) }

// render writes a full page; a notice kept for the session is shown and cleared.
func (h *Dashboard) render(c *gin.Context, status int, name, title string, data any) {
	p := page{Title: title, Nav: name, Data: data}
	if s, ok := current(c); ok {
		p.CSRF = s.CSRFToken
		if s.Pending == "" { // a session waiting for its second factor shows no menu
			p.User = &s.User
		}
		if s.FlashMessage != "" {
			p.FlashKind, p.Flash = s.FlashKind, s.FlashMessage
			if err := h.Users.ClearFlash(c, sessionToken(c)); err != nil {
				h.Log.Warn("clear notice", slog.Any("error", err))
			}
		}
	}
	if v, ok := c.Get(ctxLoginCSRF); ok {
		p.CSRF = v.(string)
	}
	h.execute(c, status, name, "layout", p)
}

// execute runs one template of a page into a buffer first, so a failure is still a
// clean error page.
func (h *Dashboard) execute(c *gin.Context, status int, page, name string, data any) {
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, name, data); err != nil {
		h.Log.Error("render page", slog.String("page", page), slog.String("template", name), slog.Any("error", err))
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error: the page could not be rendered"))
		c.Abort()
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// errorPage is the data of the error page.
type errorPage struct {
	Status  int
	Message string
}

// fail is the one error helper: it logs server errors (ids and routes only, never
// personal data), sets the status and shows message, never err, to the user.
func (h *Dashboard) fail(c *gin.Context, status int, message string, err error) {
	if status >= 500 {
		h.Log.Error("dashboard request failed", slog.String("method", c.Request.Method), slog.String("route", c.FullPath()),
			slog.Int("status", status), slog.Any("error", err))
	}
	if c.GetHeader("HX-Request") == "true" {
		// htmx swaps nothing on an error status; a plain text answer is enough.
		c.Data(status, "text/plain; charset=utf-8", []byte(message))
		c.Abort()
		return
	}
	h.render(c, status, "error", http.StatusText(status), errorPage{Status: status, Message: message})
	c.Abort()
}

// flash keeps a notice for the next page of the session and sends the browser to path.
func (h *Dashboard) flash(c *gin.Context, kind, message, path string) {
	if err := h.Users.SetFlash(c, sessionToken(c), kind, message); err != nil {
		h.Log.Warn("keep notice", slog.Any("error", err))
	}
	c.Redirect(http.StatusSeeOther, path)
}

// Labels of statuses and rights, as the pages show them.
var (
	statusLabels = map[domain.Status]string{
		domain.StatusReceived: "Received", domain.StatusVerifying: "Verifying identity",
		domain.StatusAwaitingApproval: "Awaiting approval", domain.StatusInProgress: "In progress",
		domain.StatusWaiting: "Waiting", domain.StatusCompleted: "Completed", domain.StatusDenied: "Denied",
		domain.StatusCanceled: "Canceled", domain.StatusFailed: "Failed",
	}
)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"statusLabel": func(v any) string {
		s := fmt.Sprint(v)
		if l, ok := statusLabels[domain.Status(s)]; ok {
			return l
		}
		return s
	},
	"title": func(v any) string {
		s := fmt.Sprint(v)
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + strings.ReplaceAll(s[1:], "_", " ")
	},
	// short is the end of an id: the time-ordered (UUIDv7) ids of requests made close
	// together share their beginning.
	"short": short,
	"date": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return "—"
			}
			return v.UTC().Format(time.DateOnly)
		case *time.Time:
			if v == nil {
				return "—"
			}
			return v.UTC().Format(time.DateOnly)
		}
		return fmt.Sprint(t)
	},
	"stamp": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if v == nil {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		}
		return fmt.Sprint(t)
	},
	"clock": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"mask":  mask,
	"bytes": humanBytes,
	// deref is what a pointer to a string (or a typed string) points at; "" for nil.
	"deref": func(p any) string {
		v := reflect.ValueOf(p)
		if !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil() {
			return ""
		}
		return fmt.Sprint(reflect.Indirect(v).Interface())
	},
	"pct": func(f float64) string { return fmt.Sprintf("%.1f%%", f) },
	// f and add lay out the report's chart.
	"f":   func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
	"add": func(a, b float64) float64 { return a + b },
}

// short is the last 8 characters of an id.
func short(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

// removedSubject stands for a subject whose email was replaced by a keyed hash once the
// retention period was over.
const removedSubject = "(removed after retention)"

// mask shows enough of an email to recognise it, not to read it: v••••1@example.com.
func mask(email string) string {
	if store.IsMinimised(email) {
		return removedSubject
	}
	at := strings.LastIndex(email, "@")
	if at <= 0 {
		return "••••"
	}
	local := []rune(email[:at])
	if len(local) <= 2 {
		return string(local[:1]) + "••••" + email[at:]
	}
	return string(local[0]) + "••••" + string(local[len(local)-1]) + email[at:]
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
