package dashboard_test

import (
	"archive/zip"
	"bytes"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/documents/bundle"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/workflows"
)

func TestQueuePage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	acme, globex := h.tenant("Acme Chat"), h.tenant("Globex")
	waiting := h.request(acme, "erasure", "visitor1@example.com", domain.StatusWaiting)
	approval := h.request(globex, "access", "visitor2@example.com", domain.StatusAwaitingApproval)
	done := h.request(acme, "restriction", "visitor3@example.com", domain.StatusCompleted)
	_, err := h.Store.Record(ctx, domain.Change{RequestID: approval.ID, DedupeKey: "risk", Kind: "at_risk", Actor: "system",
		Clock: &domain.ClockChange{AtRisk: true}})
	require.NoError(t, err)
	b := h.browser()
	b.login(h.user(domain.RoleViewer))

	tests := []struct {
		name, query string
		in, out     []string
	}{
		{name: "open by default", query: "", in: []string{waiting.ID, approval.ID}, out: []string{done.ID}},
		{name: "all", query: "status=all", in: []string{waiting.ID, approval.ID, done.ID}},
		{name: "status", query: "status=completed", in: []string{done.ID}, out: []string{waiting.ID, approval.ID}},
		{name: "right", query: "right=erasure", in: []string{waiting.ID}, out: []string{approval.ID}},
		{name: "tenant", query: "tenant=" + globex.ID, in: []string{approval.ID}, out: []string{waiting.ID}},
		{name: "due soon", query: "due_soon=1", in: []string{approval.ID}, out: []string{waiting.ID}},
		{name: "waiting", query: "waiting=1", in: []string{waiting.ID}, out: []string{approval.ID}},
		{name: "breached", query: "breached=1", out: []string{waiting.ID, approval.ID, done.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.get("/?" + tt.query)
			require.Equal(t, http.StatusOK, p.Status)
			for _, id := range tt.in {
				require.Contains(t, p.Body, `data-request="`+id+`"`)
			}
			for _, id := range tt.out {
				require.NotContains(t, p.Body, `data-request="`+id+`"`)
			}
		})
	}

	p := b.get("/")
	// Subjects are masked; both clocks are marked.
	require.Contains(t, p.Body, "v••••1@example.com")
	require.NotContains(t, p.Body, "visitor1@example.com")
	require.NotContains(t, p.Body, "visitor2@example.com")
	require.Contains(t, p.Body, `badge b-risk">at risk · `)
	require.Contains(t, p.Body, `badge b-ok">on time · `)
	// Counts per status, and of the open ones due soon and waiting.
	require.Contains(t, p.Body, `data-status="completed"><span class="dot st-completed"></span>Completed <b>1</b>`)
	require.Contains(t, p.Body, `id="count-open">2<`)
	require.Contains(t, p.Body, `id="count-due-soon">1<`)
	require.Contains(t, p.Body, `id="count-waiting">1<`)
	// The status links keep the other filters.
	require.Contains(t, b.get("/?right=erasure&due_soon=1").Body, `href="/?due_soon=1&amp;right=erasure&amp;status=completed"`)
	// Bad filters are refused, not ignored.
	require.Equal(t, http.StatusBadRequest, b.get("/?status=lost").Status)
	require.Equal(t, http.StatusBadRequest, b.get("/?right=delete").Status)
}

func TestRequestPageRevealAndPoll(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	tn := h.tenant("Acme Chat")
	req := h.request(tn, "erasure", "visitor1@example.com", domain.StatusInProgress)
	_, err := h.Store.Record(ctx, domain.Change{RequestID: req.ID, DedupeKey: "applied", Kind: "connector_applied", Actor: "system",
		Message: "erasure at chatstore: 12 rows", Detail: domain.Outcome{Connector: "chatstore", Action: "erasure",
			Rows: map[string]int64{"messages": 10, "end_users": 1, "sessions": 1, "attachments": 0}, AppliedAt: time.Now(),
			Exceptions: []domain.Exception{{Category: "invoices", Article: "Art. 17(3)(b)", Reason: "tax law"}}}})
	require.NoError(t, err)
	// A sub-processor that holds the data only as a conduit: exempt in the Art. 19 ledger.
	_, err = h.Store.Record(ctx, domain.Change{RequestID: req.ID, DedupeKey: "exempt", Kind: "connector_applied", Actor: "system",
		Message: "erasure at Relay: exempt", Detail: domain.Outcome{Connector: "Relay", Action: "erasure", Rows: map[string]int64{},
			AppliedAt: time.Now(), Recipient: &domain.Recipient{Name: "Relay", Kind: "exempt", Status: domain.RecipientExempt,
				Reason: "transit only: keeps nothing"}}})
	require.NoError(t, err)
	dpo := h.user(domain.RoleDPO)
	b := h.browser()
	token := b.login(dpo)
	path := "/requests/" + req.ID

	p := b.get(path)
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "v••••1@example.com")
	require.NotContains(t, p.Body, "visitor1@example.com")
	// The connector's run, from its event: rows affected, categories, exceptions.
	require.Contains(t, p.Body, `<td class="num">12</td>`)
	require.Contains(t, p.Body, "end users 1, messages 10, sessions 1")
	require.Contains(t, p.Body, "Kept: invoices (Art. 17(3)(b)): tax law")
	// The exempt recipient is shown as the API and the ledger show it, with its reason once.
	require.Regexp(t, `<td class="mono">Relay</td>\s*<td>Erasure</td>\s*<td><span class="badge b-none">exempt</span></td>\s*<td class="num">—</td>\s*<td class="subtle">transit only: keeps nothing</td>`, p.Body)
	require.Equal(t, 1, strings.Count(p.Body, "transit only: keeps nothing"))
	require.Contains(t, p.Body, `id="poll" hx-get="/requests/`+req.ID+`/poll?v=`)

	// Each reveal is its own event, by the DPO.
	for range 2 {
		p = b.post(path+"/reveal", url.Values{}, "X-CSRF-Token", token, "HX-Request", "true")
		require.Equal(t, http.StatusOK, p.Status)
		require.True(t, strings.HasPrefix(strings.TrimSpace(p.Body), `<div id="subject"`), "a fragment: %s", p.Body)
		require.Contains(t, p.Body, "visitor1@example.com")
		require.Contains(t, p.Body, "revealed · recorded on the request")
	}
	events, err := h.Store.Events(ctx, req.ID)
	require.NoError(t, err)
	var reveals []store.Event
	for _, e := range events {
		if e.Kind == "subject_revealed" {
			reveals = append(reveals, e)
		}
	}
	require.Len(t, reveals, 2)
	for _, e := range reveals {
		require.Equal(t, domain.Actor("dpo:"+dpo), e.Actor)
	}
	require.NotEqual(t, reveals[0].DedupeKey, reveals[1].DedupeKey)
	// Without htmx the whole page comes back, revealed.
	p = b.post(path+"/reveal", url.Values{"csrf_token": {token}})
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "<h1>Erasure request")
	require.Contains(t, p.Body, "visitor1@example.com")

	// The poll: nothing while the state is the page's (a reveal is no change of state),
	// a reload once it changed.
	version := strings.Split(strings.Split(b.get(path).Body, "/poll?v=")[1], `"`)[0]
	require.Equal(t, http.StatusNoContent, b.get(path+"/poll?v="+version, "HX-Request", "true").Status)
	_, err = h.Store.Record(ctx, domain.Change{RequestID: req.ID, DedupeKey: "done", Kind: "completed", Actor: "system", Status: domain.StatusCompleted})
	require.NoError(t, err)
	p = b.get(path+"/poll?v="+version, "HX-Request", "true")
	require.Equal(t, http.StatusOK, p.Status)
	require.Equal(t, "true", p.Header.Get("HX-Refresh"))
	p = b.get(path)
	require.NotContains(t, p.Body, `id="poll"`, "a final request is not polled")
	require.Contains(t, p.Body, `badge b-ok">met<`)

	// Unknown and malformed ids.
	for _, id := range []string{"0190e5a4-0000-7000-8000-000000000000", "nope", "1%27%20OR%201=1"} {
		p := b.get("/requests/" + id)
		require.Equal(t, http.StatusNotFound, p.Status, id)
		require.Contains(t, p.Body, "There is no request")
	}
}

func TestActionsNeedReasonAndOpenRequest(t *testing.T) {
	t.Parallel()
	// No workflow engine here: what is refused is refused before it is asked.
	h := newHarness(t, options{})
	tn := h.tenant("Acme Chat")
	open := h.request(tn, "access", "visitor2@example.com", domain.StatusAwaitingApproval)
	closed := h.request(tn, "access", "visitor3@example.com", domain.StatusCompleted)
	b := h.browser()
	token := b.login(h.user(domain.RoleDPO))

	for _, a := range []string{"deny", "extend", "pause", "resume", "override"} {
		p := b.post("/requests/"+open.ID+"/"+a, url.Values{"csrf_token": {token}, "reason": {"  "}})
		require.Equal(t, http.StatusSeeOther, p.Status, a)
		require.Contains(t, b.get("/requests/"+open.ID).Body, "To "+a+" the request, give a reason: it is kept in the record.")
	}
	p := b.post("/requests/"+closed.ID+"/cancel", url.Values{"csrf_token": {token}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Contains(t, b.get("/requests/"+closed.ID).Body, "The request is Completed; nothing can change it now.")
	p = b.post("/requests/"+open.ID+"/approve", url.Values{"csrf_token": {token}})
	require.Equal(t, http.StatusServiceUnavailable, p.Status)
	require.Contains(t, p.Body, "The workflow engine is not connected.")

	// Approving an erasure, or overriding its block, needs the confirmation box too.
	erasure := h.request(tn, "erasure", "visitor3@example.com", domain.StatusAwaitingApproval)
	page := b.get("/requests/" + erasure.ID)
	require.Contains(t, page.Body, `id="approve-confirm" required`)
	for _, a := range []string{"approve", "override"} {
		p = b.post("/requests/"+erasure.ID+"/"+a, url.Values{"csrf_token": {token}, "reason": {"checked"}})
		require.Equal(t, http.StatusSeeOther, p.Status, a)
		require.Contains(t, b.get("/requests/"+erasure.ID).Body, "Not done: tick the box that confirms the erasure", a)
		p = b.post("/requests/"+erasure.ID+"/"+a, url.Values{"csrf_token": {token}, "reason": {"checked"}, "confirm": {"yes"}})
		require.Equal(t, http.StatusServiceUnavailable, p.Status, "confirmed, it goes as far as the engine: %s", a)
	}
	require.NotContains(t, b.get("/requests/"+open.ID).Body, `id="approve-confirm"`, "an access request needs no confirmation")
}

func TestDownloads(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	tn := h.tenant("Acme Chat")
	access := h.request(tn, "access", "visitor2@example.com", domain.StatusCompleted)
	pending := h.request(tn, "access", "visitor3@example.com", domain.StatusAwaitingApproval)
	erasure := h.request(tn, "erasure", "visitor4@example.com", domain.StatusCompleted)
	// A package as the workflow leaves it: the zip and the result that describes it.
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	w, err := zw.Create("data.json")
	require.NoError(t, err)
	_, err = w.Write([]byte(`{"profile":{}}`))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(bundle.Path(h.PackageDir, access.ID), zipped.Bytes(), 0o600))
	_, err = h.Store.Record(ctx, domain.Change{RequestID: access.ID, DedupeKey: "result", Kind: "package_ready", Actor: "system",
		Result: workflows.Result{Status: domain.StatusCompleted, Package: &domain.PackageInfo{File: access.ID + ".zip", Bytes: int64(zipped.Len()),
			Rows: map[string]int64{"chatstore/messages": 7, "chatstore/profile": 1}, CreatedAt: time.Now()}}})
	require.NoError(t, err)

	dpo := h.user(domain.RoleDPO)
	b := h.browser()
	b.login(dpo)
	page := b.get("/requests/" + access.ID)
	require.Contains(t, page.Body, `id="download-package"`)
	require.Contains(t, page.Body, "messages 7, profile 1", "the export's rows per category")

	p := b.get("/requests/" + access.ID + "/package")
	require.Equal(t, http.StatusOK, p.Status)
	require.Equal(t, zipped.String(), p.Body)
	require.Equal(t, `attachment; filename="dsr-`+access.ID+`.zip"`, p.Header.Get("Content-Disposition"))
	events, err := h.Store.Events(ctx, access.ID)
	require.NoError(t, err)
	last := events[len(events)-1]
	require.Equal(t, domain.EventPackageDownloaded, last.Kind)
	require.Equal(t, domain.Actor("dpo:"+dpo), last.Actor)

	require.Equal(t, http.StatusConflict, b.get("/requests/"+pending.ID+"/package").Status)
	require.Equal(t, http.StatusConflict, b.get("/requests/"+erasure.ID+"/package").Status)

	// The evidence pack, for viewers too (the subject is masked in it).
	v := h.browser()
	v.login(h.user(domain.RoleViewer))
	p = v.get("/requests/" + access.ID + "/evidence")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Equal(t, "application/pdf", p.Header.Get("Content-Type"))
	require.True(t, strings.HasPrefix(p.Body, "%PDF-"))
	require.NotContains(t, v.get("/requests/"+access.ID).Body, `id="download-package"`)
}

func TestReportsPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	tn := h.tenant("Acme Chat")
	h.request(tn, "access", "visitor2@example.com", domain.StatusCompleted)
	h.request(tn, "erasure", "visitor3@example.com", domain.StatusWaiting)
	b := h.browser()
	b.login(h.user(domain.RoleViewer))

	today := h.Clock.Now().UTC().Format(time.DateOnly)
	from := h.Clock.Now().UTC().AddDate(0, 0, -29).Format(time.DateOnly)
	p := b.get("/reports")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, `name="from" value="`+from+`"`, "the last 30 days by default")
	require.Contains(t, p.Body, `name="to" value="`+today+`"`)
	require.Contains(t, p.Body, `id="fig-received">2<`)
	require.Contains(t, p.Body, `id="fig-closed">1<`)
	require.Contains(t, p.Body, `<svg class="chart" id="weekly-chart"`)
	require.Contains(t, p.Body, `class="bar-ok"`)
	require.Contains(t, p.Body, `href="/reports/sla.pdf?from=`+from+`&amp;to=`+today+`"`)

	csv := b.get("/reports/sla.csv?from=" + from + "&to=" + today)
	require.Equal(t, http.StatusOK, csv.Status)
	require.Equal(t, "text/csv; charset=utf-8", csv.Header.Get("Content-Type"))
	require.Equal(t, 3, strings.Count(csv.Body, "\n"), "a header and two requests: %s", csv.Body)
	pdf := b.get("/reports/sla.pdf?tenant=" + tn.ID)
	require.Equal(t, http.StatusOK, pdf.Status)
	require.True(t, strings.HasPrefix(pdf.Body, "%PDF-"))

	for _, q := range []string{"from=2026-13-01", "from=2026-02-01&to=2026-01-01", "from=2020-01-01&to=2026-01-01", "tenant=nope"} {
		p := b.get("/reports?" + q)
		require.Equal(t, http.StatusBadRequest, p.Status, q)
		require.Contains(t, p.Body, `class="flash flash-error"`, q)
		require.Equal(t, http.StatusBadRequest, b.get("/reports/sla.csv?"+q).Status, q)
	}
}

func TestTenantsPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	h.tenant("Acme Chat")
	b := h.browser()
	b.login(h.user(domain.RoleAdmin))
	p := b.get("/tenants")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "Acme Chat")
}
