package fakevendor

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HelpdeskOptions configure a Helpdesk.
type HelpdeskOptions struct {
	Credentials Credentials
	// Now is the service's clock (default time.Now).
	Now func() time.Time
	// PermanentLimit permanent deletions per PermanentWindow per caller (default 300 per 10
	// minutes); more answer 429 with Retry-After.
	PermanentLimit  int
	PermanentWindow time.Duration
	// PermanentDelay is how long after its soft deletion a user may be permanently deleted;
	// before, 409 with Retry-After.
	PermanentDelay time.Duration
	// RequestLimit requests per RequestWindow per caller over every route (0: no limit).
	RequestLimit  int
	RequestWindow time.Duration
	// HTTPDate sends Retry-After as an HTTP date rather than seconds.
	HTTPDate bool
}

// Helpdesk behaves like a helpdesk whose users are deleted in two steps (the two_step
// shape): soft deletion, then a rate-limited permanent deletion.
type Helpdesk struct {
	*service
	opts      HelpdeskOptions
	users     map[string]*helpdeskUser
	next      int
	permanent *window
	soft      int
	purged    int
}

type helpdeskUser struct {
	ID         string    `json:"id"`
	TenantID   string    `json:"tenant_id"`
	Email      *string   `json:"email"`
	Name       *string   `json:"name"`
	Phone      *string   `json:"phone"`
	Locale     *string   `json:"locale"`
	Role       string    `json:"role"`
	Restricted bool      `json:"restricted"`
	Objections []string  `json:"objections"`
	Deleted    bool      `json:"deleted"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	deletedAt  time.Time
}

// NewHelpdesk returns a Helpdesk without users.
func NewHelpdesk(o HelpdeskOptions) *Helpdesk {
	if o.PermanentLimit == 0 {
		o.PermanentLimit, o.PermanentWindow = 300, 10*time.Minute
	}
	h := &Helpdesk{
		service:   newService(o.Credentials, o.Now, o.RequestLimit, o.RequestWindow, o.HTTPDate),
		opts:      o,
		users:     map[string]*helpdeskUser{},
		permanent: newWindow(o.PermanentLimit, o.PermanentWindow),
	}
	h.handle("GET /users", h.search)
	h.handle("GET /users/{id}", h.get)
	h.handle("PATCH /users/{id}", h.patch)
	h.handle("DELETE /users/{id}", h.softDelete)
	h.handle("GET /deleted_users/{id}", h.getDeleted)
	h.handle("DELETE /deleted_users/{id}", h.permanentDelete)
	return h
}

// AddUser adds an active user, role "end-user" or "agent", and returns their id.
func (h *Helpdesk) AddUser(tenant, email, name, role string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	now := h.now().UTC()
	u := &helpdeskUser{
		ID: strconv.Itoa(1000 + h.next), TenantID: tenant, Email: str(email), Name: str(name),
		Phone: str("+33 1 23 45 67 " + strconv.Itoa(10+h.next%90)), Locale: str("fr-FR"), Role: role,
		Objections: []string{}, CreatedAt: now, UpdatedAt: now,
	}
	h.users[u.ID] = u
	return u.ID
}

// Has reports whether the helpdesk holds a user of the tenant with the email, soft deleted
// or not.
func (h *Helpdesk) Has(tenant, email string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.match(tenant, email)) > 0
}

// State returns "active", "soft_deleted" or "gone".
func (h *Helpdesk) State(id string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch u, ok := h.users[id]; {
	case !ok:
		return "gone"
	case u.Deleted:
		return "soft_deleted"
	}
	return "active"
}

// SoftDeletes returns how many users were soft deleted.
func (h *Helpdesk) SoftDeletes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.soft
}

// PermanentDeletes returns how many users were permanently deleted.
func (h *Helpdesk) PermanentDeletes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.purged
}

func (h *Helpdesk) match(tenant, email string) []*helpdeskUser {
	var out []*helpdeskUser
	for _, u := range h.users {
		if u.TenantID == tenant && u.Email != nil && strings.EqualFold(*u.Email, email) {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *helpdeskUser) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (h *Helpdesk) search(w http.ResponseWriter, r *http.Request, _ []byte, _ string) {
	tenant, email := r.URL.Query().Get("tenant_id"), r.URL.Query().Get("email")
	if tenant == "" || email == "" {
		writeError(w, http.StatusBadRequest, "missing_parameter")
		return
	}
	users := h.match(tenant, email)
	if users == nil {
		users = []*helpdeskUser{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
}

func (h *Helpdesk) get(w http.ResponseWriter, r *http.Request, _ []byte, _ string) {
	u, ok := h.users[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found")
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (h *Helpdesk) patch(w http.ResponseWriter, r *http.Request, body []byte, _ string) {
	u, ok := h.users[r.PathValue("id")]
	if !ok || u.Deleted {
		writeError(w, http.StatusNotFound, "not_found")
		return
	}
	var p profilePatch
	if err := json.Unmarshal(body, &p); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_json")
		return
	}
	next := *u
	if code := p.apply(map[string]**string{"name": &next.Name, "email": &next.Email, "phone": &next.Phone, "locale": &next.Locale},
		&next.Restricted, &next.Objections); code != "" {
		writeError(w, http.StatusUnprocessableEntity, code)
		return
	}
	if next.Email == nil || !strings.Contains(*next.Email, "@") {
		detail := ""
		if next.Email != nil {
			detail = *next.Email
		}
		writeError(w, http.StatusUnprocessableEntity, "invalid_email", detail)
		return
	}
	next.UpdatedAt = h.now().UTC()
	*u = next
	writeJSON(w, http.StatusOK, u)
}

func (h *Helpdesk) softDelete(w http.ResponseWriter, r *http.Request, _ []byte, _ string) {
	u, ok := h.users[r.PathValue("id")]
	if !ok || u.Deleted {
		writeError(w, http.StatusNotFound, "not_found")
		return
	}
	u.Deleted, u.deletedAt, u.UpdatedAt = true, h.now(), h.now().UTC()
	h.soft++
	writeJSON(w, http.StatusOK, u)
}

func (h *Helpdesk) getDeleted(w http.ResponseWriter, r *http.Request, _ []byte, _ string) {
	u, ok := h.users[r.PathValue("id")]
	if !ok || !u.Deleted {
		writeError(w, http.StatusNotFound, "not_found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": u.ID, "deleted_at": u.deletedAt.UTC()})
}

func (h *Helpdesk) permanentDelete(w http.ResponseWriter, r *http.Request, _ []byte, caller string) {
	u, ok := h.users[r.PathValue("id")]
	if !ok || !u.Deleted {
		writeError(w, http.StatusNotFound, "not_found")
		return
	}
	if allowed := u.deletedAt.Add(h.opts.PermanentDelay); h.now().Before(allowed) {
		h.retryAfter(w, allowed.Sub(h.now()))
		writeError(w, http.StatusConflict, "not_yet_purgeable")
		return
	}
	if ok, after := h.permanent.allow(caller, h.now()); !ok {
		h.tooMany(w, after, "permanent_deletion_rate_limited")
		return
	}
	delete(h.users, u.ID)
	h.purged++
	writeJSON(w, http.StatusOK, map[string]any{"id": u.ID})
}
