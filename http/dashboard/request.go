package dashboard

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"dsr/internal/documents/bundle"
	"dsr/internal/documents/evidence"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/temporal/dispatch"
	"dsr/workflows"
)

// run is one connector's work on a request, as the request page lists it.
type run struct {
	Connector string
	Action    domain.RequestType
	// Status is "applied", "replayed" (the receipt of an earlier run) or "exported"; for a
	// recipient (a sub-processor) its status in the Art. 19 ledger: notified, confirmed,
	// failed or exempt, as the API says.
	Status string
	// Note is a recipient's reason (why exempt, what failed).
	Note string
	// Rows is the total of rows affected; Detail names them per category.
	Rows       int64
	Detail     string
	Exceptions []domain.Exception
	Fields     []string
	At         *time.Time
}

func rowsDetail(rows map[string]int64) (int64, string) {
	keys := make([]string, 0, len(rows))
	var total int64
	for k, n := range rows {
		if n != 0 {
			keys = append(keys, k)
		}
		total += n
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", strings.ReplaceAll(k, "_", " "), rows[k])
	}
	return total, strings.Join(parts, ", ")
}

// runs collects the connectors' outcomes from the connector_applied events and the
// request's result (the package's rows for an export).
func runs(events []store.Event, result workflows.Result) []run {
	var out []run
	seen := map[string]bool{}
	add := func(o domain.Outcome) {
		key := o.Connector + "/" + string(o.Action)
		if seen[key] {
			return
		}
		seen[key] = true
		r := run{Connector: o.Connector, Action: o.Action, Status: "applied", Exceptions: o.Exceptions, Fields: o.Fields}
		if o.Replayed {
			r.Status = "replayed"
		}
		if o.Recipient != nil {
			r.Status, r.Note = string(o.Recipient.Status), o.Recipient.Reason
		}
		if !o.AppliedAt.IsZero() {
			at := o.AppliedAt
			r.At = &at
		}
		r.Rows, r.Detail = rowsDetail(o.Rows)
		out = append(out, r)
	}
	for _, e := range events {
		if e.Kind != domain.EventConnectorApplied {
			continue
		}
		var o domain.Outcome
		if json.Unmarshal(e.Detail, &o) == nil && o.Connector != "" {
			if o.AppliedAt.IsZero() {
				o.AppliedAt = e.At
			}
			add(o)
		}
	}
	for _, o := range result.Connectors {
		add(o)
	}
	if p := result.Package; p != nil {
		per := map[string]map[string]int64{}
		for k, n := range p.Rows {
			conn, cat, ok := strings.Cut(k, "/")
			if !ok {
				conn, cat = "package", k
			}
			if per[conn] == nil {
				per[conn] = map[string]int64{}
			}
			per[conn][cat] = n
		}
		names := make([]string, 0, len(per))
		for n := range per {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			r := run{Connector: n, Action: "export", Status: "exported"}
			if !p.CreatedAt.IsZero() {
				at := p.CreatedAt
				r.At = &at
			}
			r.Rows, r.Detail = rowsDetail(per[n])
			out = append(out, r)
		}
	}
	return out
}

// action is a decision a DPO can send to a request's workflow.
type action struct {
	name, update, done string
	needReason         bool
	// confirm says whether the decision on the request cannot be undone and so needs the
	// form's confirmation box ticked (confirm=yes), on top of the click.
	confirm func(store.QueueItem) bool
}

// destructive is a decision that erases: approving an erasure, or letting a blocked one go
// ahead.
func destructive(it store.QueueItem) bool { return it.Type == domain.Erasure }

// actions are the decisions, in the order of their routes.
var actions = []action{
	{name: "approve", update: workflows.UpdateApprove, done: "Approved.", confirm: destructive},
	{name: "deny", update: workflows.UpdateDeny, needReason: true, done: "Denied; the subject is told the reason."},
	{name: "extend", update: workflows.UpdateExtend, needReason: true, done: "Extended to three months; the subject is told."},
	{name: "pause", update: workflows.UpdatePause, needReason: true, done: "The clock is paused."},
	{name: "resume", update: workflows.UpdateResume, needReason: true, done: "The clock runs again; the deadlines moved by the days paused."},
	{name: "override", update: workflows.UpdateOverride, needReason: true, done: "Blockers overridden: the request goes ahead.", confirm: destructive},
	{name: "cancel", update: workflows.UpdateCancel, done: "Canceled."},
}

// requestData is the request page's.
type requestData struct {
	Item          store.QueueItem
	Target, Legal clock
	Subject       string
	Revealed      bool
	Events        []store.Event
	Runs          []run
	Result        workflows.Result
	// Package is set for a completed access or portability request.
	Package *domain.PackageInfo
	// Actions are the decisions the request's state allows, by name.
	Actions map[string]bool
	// Version changes whenever the request's state does; the page polls for it.
	Version string
	// Destructive says that approving (or overriding) erases: the form asks to confirm.
	Destructive bool
}

// version fingerprints what the request page shows of the request's state (not its
// events: a reveal is not a change of state).
func version(r store.Request) string {
	h := sha256.New()
	fmt.Fprintln(h, r.Status, deref(r.StatusReason), r.TargetDue, r.LegalDue, r.ExtendedDue, r.ClockStartedAt,
		r.AtRiskAt, r.TargetBreachedAt, r.LegalBreachedAt, r.ExtendedAt, r.PausedAt, r.PausedDays, r.CompletedAt, len(r.Result))
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// available says which actions the request's state allows; the workflow has the last
// word and its refusal is shown.
func available(it store.QueueItem) map[string]bool {
	a := map[string]bool{}
	if !it.Open {
		return a
	}
	allow := func(name string, ok bool) {
		if ok {
			a[name] = true
		}
	}
	allow("approve", it.Status == domain.StatusAwaitingApproval)
	allow("deny", it.Status == domain.StatusAwaitingApproval)
	allow("override", it.Status == domain.StatusWaiting && deref(it.StatusReason) != "")
	started := it.ClockStartedAt != nil
	allow("extend", started && it.ExtendedAt == nil)
	allow("pause", started && it.PausedAt == nil)
	allow("resume", started && it.PausedAt != nil)
	switch it.Status {
	case domain.StatusReceived, domain.StatusVerifying, domain.StatusAwaitingApproval, domain.StatusWaiting:
		a["cancel"] = true
	}
	return a
}

// load reads the request of the route's id with its clocks, or fails with 404.
func (h *Dashboard) load(c *gin.Context) (store.QueueItem, bool) {
	if !domain.ValidID(c.Param("id")) {
		h.fail(c, http.StatusNotFound, "There is no request with this id: a request id is a lower-case UUID.", nil)
		return store.QueueItem{}, false
	}
	it, err := h.Store.QueueItem(c, c.Param("id"), h.now())
	if errors.Is(err, store.ErrNotFound) {
		h.fail(c, http.StatusNotFound, "There is no request "+c.Param("id")+".", nil)
		return it, false
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The request could not be read.", err)
		return it, false
	}
	return it, true
}

func (h *Dashboard) requestData(c *gin.Context, it store.QueueItem, revealed bool) (requestData, error) {
	events, err := h.Store.Events(c, it.ID)
	if err != nil {
		return requestData{}, err
	}
	d := requestData{Item: it, Events: events, Subject: mask(it.SubjectEmail), Revealed: revealed,
		Actions: available(it), Version: version(it.Request), Destructive: destructive(it)}
	if revealed && !store.IsMinimised(it.SubjectEmail) {
		d.Subject = it.SubjectEmail
	}
	d.Target, d.Legal = clocks(it)
	if len(it.Result) > 0 {
		if err := json.Unmarshal(it.Result, &d.Result); err != nil {
			return requestData{}, fmt.Errorf("read result of request %s: %w", it.ID, err)
		}
	}
	d.Runs = runs(events, d.Result)
	if it.Status == domain.StatusCompleted && d.Result.Package != nil {
		d.Package = d.Result.Package
	}
	return d, nil
}

func (h *Dashboard) request(c *gin.Context) {
	it, ok := h.load(c)
	if !ok {
		return
	}
	d, err := h.requestData(c, it, false)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The request could not be read.", err)
		return
	}
	h.render(c, http.StatusOK, "request", "Request "+short(it.ID), d)
}

// poll answers the request page's poll: 204 while the state is the one the page shows,
// otherwise an empty answer that tells htmx to reload the page.
func (h *Dashboard) poll(c *gin.Context) {
	if !domain.ValidID(c.Param("id")) {
		h.fail(c, http.StatusNotFound, "There is no such request.", nil)
		return
	}
	r, err := h.Store.GetRequest(c, "", c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		h.fail(c, http.StatusNotFound, "There is no such request.", nil)
		return
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The request could not be read.", err)
		return
	}
	if version(r) == c.Query("v") {
		c.Status(http.StatusNoContent)
		return
	}
	c.Header("HX-Refresh", "true")
	c.Status(http.StatusOK)
}

// reveal shows the subject's email and records who saw it.
func (h *Dashboard) reveal(c *gin.Context) {
	it, ok := h.load(c)
	if !ok {
		return
	}
	u := user(c)
	_, err := h.Store.Record(c, domain.Change{
		RequestID: it.ID,
		DedupeKey: "subject_revealed:" + uuid.NewString(),
		Kind:      domain.EventSubjectRevealed,
		Actor:     u.Actor(),
		Message:   "the subject's email was revealed on the dashboard",
	})
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The reveal could not be recorded, so the subject stays hidden.", err)
		return
	}
	h.Log.Info("subject revealed", slog.String("request_id", it.ID), slog.String("user_id", u.ID))
	d, err := h.requestData(c, it, true)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The request could not be read.", err)
		return
	}
	if c.GetHeader("HX-Request") == "true" {
		s, _ := current(c)
		h.execute(c, http.StatusOK, "request", "subject", page{User: &s.User, CSRF: s.CSRFToken, Data: d})
		return
	}
	h.render(c, http.StatusOK, "request", "Request "+short(it.ID), d)
}

// act sends a decision to the request's workflow as the signed-in user.
func (h *Dashboard) act(a action) gin.HandlerFunc {
	return func(c *gin.Context) {
		it, ok := h.load(c)
		if !ok {
			return
		}
		back := "/requests/" + it.ID
		reason := strings.TrimSpace(c.PostForm("reason"))
		if a.needReason && reason == "" {
			h.flash(c, "error", "To "+a.name+" the request, give a reason: it is kept in the record.", back)
			return
		}
		if err := domain.CheckText(reason, domain.MaxReasonLen); err != nil {
			h.flash(c, "error", "The reason "+err.Error()+": write it as plain text.", back)
			return
		}
		if !it.Open {
			h.flash(c, "error", "The request is "+statusLabels[it.Status]+"; nothing can change it now.", back)
			return
		}
		if a.confirm != nil && a.confirm(it) && c.PostForm("confirm") != "yes" {
			h.flash(c, "error", "Not done: tick the box that confirms the erasure, which cannot be undone.", back)
			return
		}
		if h.Dispatch == nil {
			h.fail(c, http.StatusServiceUnavailable, "The workflow engine is not connected.", nil)
			return
		}
		u := user(c)
		_, err := h.Dispatch.Decide(c, it.ID, a.update, workflows.Decision{Actor: u.Actor(), Reason: reason})
		var rej *dispatch.Rejection
		switch {
		case errors.As(err, &rej):
			h.flash(c, "error", "Not done: "+strings.TrimPrefix(rej.Message, workflows.ErrNotAllowed.Error()+": "), back)
			return
		case err != nil:
			h.fail(c, http.StatusServiceUnavailable, "The workflow engine did not answer; try again.", err)
			return
		}
		h.Log.Info("decision sent", slog.String("request_id", it.ID), slog.String("update", a.update), slog.String("user_id", u.ID))
		h.flash(c, "ok", a.done, back)
	}
}

// pkg streams the package of a completed access or portability request and records who
// downloaded it.
func (h *Dashboard) pkg(c *gin.Context) {
	it, ok := h.load(c)
	if !ok {
		return
	}
	if !it.Type.Exports() {
		h.fail(c, http.StatusConflict, "Only access and portability requests have a package.", nil)
		return
	}
	if it.Status != domain.StatusCompleted {
		h.fail(c, http.StatusConflict, "The package is not ready: the request is "+statusLabels[it.Status]+".", nil)
		return
	}
	f, modTime, err := bundle.Open(h.PackageDir, it.ID)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The package could not be read.", err)
		return
	}
	defer f.Close() //nolint:errcheck // read only
	u := user(c)
	if _, err := h.Store.Record(c, domain.Change{
		RequestID: it.ID, DedupeKey: "package_downloaded:" + uuid.NewString(), Kind: domain.EventPackageDownloaded,
		Actor: u.Actor(), Message: "the package was downloaded from the dashboard",
	}); err != nil {
		h.fail(c, http.StatusInternalServerError, "The download could not be recorded, so it was not started.", err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="dsr-`+it.ID+`.zip"`)
	http.ServeContent(c.Writer, c.Request, "package.zip", modTime, f)
}

// evidence sends the request's evidence pack (a PDF; the subject is masked in it).
func (h *Dashboard) evidence(c *gin.Context) {
	it, ok := h.load(c)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := evidence.PDF(c, h.Store, it.ID, &buf); err != nil {
		h.fail(c, http.StatusInternalServerError, "The evidence pack could not be made.", err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="evidence-`+it.ID+`.pdf"`)
	c.Data(http.StatusOK, "application/pdf", buf.Bytes())
}
