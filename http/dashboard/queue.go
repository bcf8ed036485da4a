package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dsr/internal/deadline"
	"dsr/internal/domain"
	"dsr/internal/store"
)

// clock is one deadline of a request as the pages show it: the date and a badge.
type clock struct {
	// Date is the due date, "—" when there is none.
	Date string
	// State is the badge's class: ok, risk, breach, paused or none.
	State string
	// Label is the badge's text, e.g. "at risk · 2 d left".
	Label string
	// Extended marks the legal clock of an extended request.
	Extended bool
}

func daysText(n int) string {
	switch {
	case n == 0:
		return "due today"
	case n == 1:
		return "1 d left"
	case n > 1:
		return fmt.Sprintf("%d d left", n)
	case n == -1:
		return "1 d over"
	}
	return fmt.Sprintf("%d d over", -n)
}

// clockState is the badge of one clock of it with the due date and the flags.
func clockState(it store.QueueItem, dueAt *time.Time, breached, atRisk bool) clock {
	if dueAt == nil {
		return clock{Date: "—", State: "none", Label: "no date"}
	}
	due := deadline.DateOf(dueAt.UTC())
	cl := clock{Date: due.String()}
	left := deadline.DateOf(it.Today.UTC()).DaysUntil(due)
	switch {
	case !it.Open && it.Status == domain.StatusCompleted && breached:
		cl.State, cl.Label = "breach", "missed"
	case !it.Open && it.Status == domain.StatusCompleted:
		cl.State, cl.Label = "ok", "met"
	case !it.Open:
		cl.State, cl.Label = "none", "closed"
	case it.ClockStartedAt == nil:
		cl.State, cl.Label = "none", "not started"
	case breached:
		cl.State, cl.Label = "breach", "breached · "+daysText(left)
	case it.PausedAt != nil:
		cl.State, cl.Label = "paused", "paused"
	case atRisk:
		cl.State, cl.Label = "risk", "at risk · "+daysText(left)
	default:
		cl.State, cl.Label = "ok", "on time · "+daysText(left)
	}
	return cl
}

// clocks returns the target and legal clocks of a request.
func clocks(it store.QueueItem) (target, legal clock) {
	target = clockState(it, it.TargetDue, it.TargetBreached, it.TargetAtRisk)
	legal = clockState(it, it.DeadlineDue, it.LegalBreached, it.LegalAtRisk)
	legal.Extended = it.ExtendedAt != nil
	return target, legal
}

// row is a request in the queue's table.
type row struct {
	ID, Ref, StatusReason, Tenant, Subject string
	Type                                   domain.RequestType
	Status                                 domain.Status
	Received                               string
	Target, Legal                          clock
}

func newRow(it store.QueueItem) row {
	r := row{ID: it.ID, Ref: it.Ref(), Type: it.Type, Status: it.Status, Tenant: it.TenantName, Subject: mask(it.SubjectEmail),
		Received: it.ReceivedAt.UTC().Format("2006-01-02")}
	if it.StatusReason != nil {
		r.StatusReason = *it.StatusReason
	}
	r.Target, r.Legal = clocks(it)
	return r
}

// queueData is the queue page's.
type queueData struct {
	Filter   store.QueueFilter
	Rows     []row
	More     bool
	Counts   store.QueueCounts
	Statuses []statusCount
	Rights   []domain.RequestType
	Tenants  []store.TenantOverview
}

// statusCount is one entry of the counts per status; Href keeps the other filters.
type statusCount struct {
	Status domain.Status
	N      int
	Href   string
}

func (h *Dashboard) queue(c *gin.Context) {
	search := strings.TrimSpace(c.Query("q"))
	status := store.QueueOpen
	if search != "" {
		status = store.QueueAll // a request looked for by name is found whatever its status
	}
	f := store.QueueFilter{
		Search:   search,
		Status:   c.DefaultQuery("status", status),
		Type:     domain.RequestType(c.Query("right")),
		TenantID: c.Query("tenant"),
		DueSoon:  c.Query("due_soon") != "",
		Breached: c.Query("breached") != "",
		Waiting:  c.Query("waiting") != "",
		Now:      h.now(),
	}
	if f.Status != store.QueueOpen && f.Status != store.QueueAll && !domain.Status(f.Status).Valid() {
		h.fail(c, http.StatusBadRequest, "Unknown status filter.", nil)
		return
	}
	if f.Type != "" && !f.Type.Valid() {
		h.fail(c, http.StatusBadRequest, "Unknown right filter.", nil)
		return
	}
	items, more, err := h.Store.Queue(c, f)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The queue could not be read.", err)
		return
	}
	counts, err := h.Store.QueueCounts(c, f)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The queue could not be counted.", err)
		return
	}
	tenants, err := h.Store.TenantsOverview(c)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The tenants could not be read.", err)
		return
	}
	d := queueData{Filter: f, More: more, Counts: counts, Rights: domain.RequestTypes, Tenants: tenants}
	for _, it := range items {
		d.Rows = append(d.Rows, newRow(it))
	}
	q := url.Values{}
	for k, v := range map[string]string{"right": string(f.Type), "tenant": f.TenantID, "q": f.Search} {
		if v != "" {
			q.Set(k, v)
		}
	}
	for k, v := range map[string]bool{"due_soon": f.DueSoon, "breached": f.Breached, "waiting": f.Waiting} {
		if v {
			q.Set(k, "1")
		}
	}
	for _, s := range domain.Statuses {
		sq := url.Values{}
		for k, v := range q {
			sq[k] = v
		}
		sq.Set("status", string(s))
		d.Statuses = append(d.Statuses, statusCount{Status: s, N: counts.ByStatus[s], Href: "/?" + sq.Encode()})
	}
	h.render(c, http.StatusOK, "queue", "Queue", d)
}
