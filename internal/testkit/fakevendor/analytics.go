package fakevendor

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AnalyticsOptions configure an Analytics.
type AnalyticsOptions struct {
	Credentials Credentials
	// Now is the service's clock (default time.Now).
	Now func() time.Time
	// JobPolls is how many status checks a deletion job answers pending or running before
	// it finishes; 0 finishes it when it is submitted.
	JobPolls int
	// NeverFinish keeps every job running.
	NeverFinish bool
	// FailJobs makes jobs end failed, deleting nothing.
	FailJobs bool
	// KeepContacts makes jobs end done without deleting anything: a broken deletion only a
	// read-back catches.
	KeepContacts bool
	// RequestLimit requests per RequestWindow per caller over every route (0: no limit).
	RequestLimit  int
	RequestWindow time.Duration
	// HTTPDate sends Retry-After as an HTTP date rather than seconds.
	HTTPDate bool
}

// Analytics behaves like an analytics or mail-delivery service that erases contacts with
// asynchronous GDPR deletion jobs (the async_job shape). Job submissions need an
// Idempotency-Key: the same key (per caller) answers the same job, with the header
// Idempotent-Replayed: true; the same key with another body answers 422.
type Analytics struct {
	*service
	opts     AnalyticsOptions
	contacts map[string]*contact
	jobs     map[string]*deletionJob
	keys     map[string]string // caller + key -> job id
	next     int
}

type contact struct {
	ID         string    `json:"id"`
	TenantID   string    `json:"tenant_id"`
	Email      *string   `json:"email"`
	Name       *string   `json:"name"`
	Restricted bool      `json:"restricted"`
	Objections []string  `json:"objections"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

type deletionJob struct {
	ID         string     `json:"job_id"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	tenant     string
	email      string
	polls      int
}

// NewAnalytics returns an Analytics without contacts.
func NewAnalytics(o AnalyticsOptions) *Analytics {
	a := &Analytics{
		service:  newService(o.Credentials, o.Now, o.RequestLimit, o.RequestWindow, o.HTTPDate),
		opts:     o,
		contacts: map[string]*contact{},
		jobs:     map[string]*deletionJob{},
		keys:     map[string]string{},
	}
	a.handle("GET /contacts", a.search)
	a.handle("GET /contacts/{id}", a.get)
	a.handle("PATCH /contacts/{id}", a.patch)
	a.handle("POST /gdpr/deletions", a.submit)
	a.handle("GET /gdpr/deletions/{id}", a.status)
	return a
}

// AddContact adds a contact and returns its id.
func (a *Analytics) AddContact(tenant, email, name string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next++
	now := a.now().UTC()
	c := &contact{ID: "c_" + strconv.Itoa(a.next), TenantID: tenant, Email: str(email), Name: str(name), Objections: []string{}, CreatedAt: now, UpdatedAt: now}
	a.contacts[c.ID] = c
	return c.ID
}

// Has reports whether the service holds a contact of the tenant with the email.
func (a *Analytics) Has(tenant, email string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.match(tenant, email)) > 0
}

// Jobs returns how many deletion jobs were created (replays not counted).
func (a *Analytics) Jobs() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.jobs)
}

// ForgetJobs drops every job, as a service does once jobs expire.
func (a *Analytics) ForgetJobs() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.jobs = map[string]*deletionJob{}
	a.keys = map[string]string{}
}

func (a *Analytics) match(tenant, email string) []*contact {
	var out []*contact
	for _, c := range a.contacts {
		if c.TenantID == tenant && c.Email != nil && strings.EqualFold(*c.Email, email) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(x, y *contact) int { return strings.Compare(x.ID, y.ID) })
	return out
}

func (a *Analytics) search(w http.ResponseWriter, r *http.Request, _ []byte, _ string) {
	tenant, email := r.URL.Query().Get("tenant_id"), r.URL.Query().Get("email")
	if tenant == "" || email == "" {
		writeError(w, http.StatusBadRequest, "missing_parameter")
		return
	}
	cs := a.match(tenant, email)
	if cs == nil {
		cs = []*contact{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"contacts": cs})
}

func (a *Analytics) get(w http.ResponseWriter, r *http.Request, _ []byte, _ string) {
	c, ok := a.contacts[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found")
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (a *Analytics) patch(w http.ResponseWriter, r *http.Request, body []byte, _ string) {
	c, ok := a.contacts[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found")
		return
	}
	var p profilePatch
	if err := json.Unmarshal(body, &p); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_json")
		return
	}
	next := *c
	if code := p.apply(map[string]**string{"name": &next.Name, "email": &next.Email}, &next.Restricted, &next.Objections); code != "" {
		writeError(w, http.StatusUnprocessableEntity, code)
		return
	}
	if next.Email == nil || !strings.Contains(*next.Email, "@") {
		writeError(w, http.StatusUnprocessableEntity, "invalid_email")
		return
	}
	next.UpdatedAt = a.now().UTC()
	*c = next
	writeJSON(w, http.StatusOK, c)
}

func (a *Analytics) submit(w http.ResponseWriter, r *http.Request, body []byte, caller string) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		writeError(w, http.StatusBadRequest, "missing_idempotency_key")
		return
	}
	var in struct {
		TenantID string `json:"tenant_id"`
		Email    string `json:"email"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.TenantID == "" || in.Email == "" {
		writeError(w, http.StatusBadRequest, "invalid_body")
		return
	}
	if id, ok := a.keys[caller+"\x00"+key]; ok {
		j := a.jobs[id]
		if j.tenant != in.TenantID || !strings.EqualFold(j.email, in.Email) {
			writeError(w, http.StatusUnprocessableEntity, "idempotency_key_reused", in.Email)
			return
		}
		w.Header().Set("Idempotent-Replayed", "true")
		writeJSON(w, http.StatusAccepted, j)
		return
	}
	a.next++
	j := &deletionJob{ID: "job_" + strconv.Itoa(a.next), Status: "pending", CreatedAt: a.now().UTC(), tenant: in.TenantID, email: in.Email}
	a.jobs[j.ID] = j
	a.keys[caller+"\x00"+key] = j.ID
	if a.opts.JobPolls == 0 && !a.opts.NeverFinish {
		a.finish(j)
	}
	writeJSON(w, http.StatusAccepted, j)
}

func (a *Analytics) status(w http.ResponseWriter, r *http.Request, _ []byte, _ string) {
	j, ok := a.jobs[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found")
		return
	}
	if j.Status == "pending" || j.Status == "running" {
		j.polls++
		switch {
		case a.opts.NeverFinish || j.polls <= a.opts.JobPolls:
			j.Status = "running"
		default:
			a.finish(j)
		}
	}
	writeJSON(w, http.StatusOK, j)
}

func (a *Analytics) finish(j *deletionJob) {
	now := a.now().UTC()
	j.FinishedAt = &now
	if a.opts.FailJobs {
		j.Status = "failed"
		return
	}
	if !a.opts.KeepContacts {
		for _, c := range a.match(j.tenant, j.email) {
			delete(a.contacts, c.ID)
		}
	}
	j.Status = "done"
}
