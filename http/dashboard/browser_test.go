package dashboard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"dsr/internal/deadline"
	"dsr/internal/demo"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/temporal/dispatch"
	"dsr/internal/testkit/testenv"
	"dsr/workflows"
)

// chromium returns the path of a Chromium (or Chrome) binary, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skipf("browser test skipped: no Chromium binary (looked for /usr/bin/chromium and chromium, chromium-browser, google-chrome, headless-shell on PATH); install Debian's chromium package to run it")
	return ""
}

// newChrome starts a headless Chromium with a fresh profile for the test and returns its
// first tab's context.
func newChrome(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	)
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx), "start chromium")
	return ctx
}

// tab opens a tab with cookies of its own (a fresh browser context): one signed-in user.
func tab(t *testing.T, chrome context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(chrome, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)))
	return ctx
}

// step runs actions with a generous time limit of their own.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(sctx, actions...), what)
}

// clickNow clicks the element sel selects from the page's own script, once it is there: the
// request page reloads itself when the request changes, and htmx settles swapped rows, so
// a node looked up first and clicked after can be gone by then.
func clickNow(sel string) chromedp.Action[chromedp.Void] {
	poll := chromedp.Poll[bool](fmt.Sprintf(
		`(() => { const el = document.querySelector(%q); if (!el) return false; el.click(); return true; })()`, sel))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := poll(ctx, t)
		return chromedp.Void{}, err
	}
}

// value runs one action that returns a value, with a time limit.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	require.NoError(t, err, what)
	return v
}

// signIn fills the sign-in form the browser was sent to and waits for the queue.
func signIn(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	step(t, ctx, "sign in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("queue-results")),
	)
}

// browserEnv is a complete dsr (testenv: embedded Temporal, worker, PostgreSQL) with the
// dashboard in front of it, on the real clock.
type browserEnv struct {
	*harness
	env *testenv.Env
}

func newBrowserEnv(t *testing.T) *browserEnv {
	t.Helper()
	env := testenv.New(t, testenv.Options{})
	h := newHarness(t, options{orch: env.Orch, chat: env.Chat, dispatch: env.Dispatch, dir: env.PackageDir, realTime: true})
	return &browserEnv{harness: h, env: env}
}

// seededTenant makes a tenant with demo chat data.
func (e *browserEnv) seededTenant(t *testing.T, name string) store.Tenant {
	t.Helper()
	tn, _ := e.env.Tenant(t, name)
	_, err := demo.Seed(ctx, e.env.Chat.DB, demo.Options{TenantID: tn.ID, TenantName: tn.Name, EndUsers: 20, Messages: 400})
	require.NoError(t, err)
	return tn
}

// mailRequest records a request that came in by mail and starts its workflow; with
// verified, the subject verifies their identity and the request then awaits approval.
func (e *browserEnv) mailRequest(t *testing.T, tn store.Tenant, typ domain.RequestType, email string, params store.Params, verified bool) store.Request {
	t.Helper()
	received := time.Now().UTC()
	due, err := deadline.Compute(received, deadline.Policy{Country: tn.Country, TZ: tn.TZ, TargetDays: tn.TargetDays})
	require.NoError(t, err)
	req, _, err := e.Store.CreateRequest(ctx, store.NewRequest{TenantID: tn.ID, Type: typ, Source: "mail", SubjectEmail: email,
		Params: params, ReceivedAt: received, TargetDue: due.Target.Time(), LegalDue: due.Legal.Time(), ExtendedDue: due.Extended.Time()})
	require.NoError(t, err)
	require.NoError(t, e.env.Dispatch.Start(ctx, tn, req))
	if !verified {
		return e.env.WaitStatus(t, req.ID, domain.StatusVerifying)
	}
	e.env.WaitStatus(t, req.ID, domain.StatusVerifying)
	// The record says verifying a moment before the workflow's own state does: a
	// refusal then is retried.
	limit := time.Now().Add(60 * time.Second)
	for {
		_, err = e.env.Dispatch.Decide(ctx, req.ID, workflows.UpdateVerify, workflows.Decision{Actor: "subject"})
		var rej *dispatch.Rejection
		if !errors.As(err, &rej) || time.Now().After(limit) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(t, err)
	return e.env.WaitStatus(t, req.ID, domain.StatusAwaitingApproval)
}

// apiRequest records a request as the customer API does (clock started at receipt, which
// may be in the past) and starts its workflow, which applies it at once.
func (e *browserEnv) apiRequest(t *testing.T, tn store.Tenant, typ domain.RequestType, email string, params store.Params, received time.Time) store.Request {
	t.Helper()
	received = received.UTC()
	due, err := deadline.Compute(received, deadline.Policy{Country: tn.Country, TZ: tn.TZ, TargetDays: tn.TargetDays})
	require.NoError(t, err)
	req, _, err := e.Store.CreateRequest(ctx, store.NewRequest{TenantID: tn.ID, Type: typ, Source: "api", SubjectEmail: email,
		Params: params, ReceivedAt: received, ClockStartedAt: &received,
		TargetDue: due.Target.Time(), LegalDue: due.Legal.Time(), ExtendedDue: due.Extended.Time()})
	require.NoError(t, err)
	require.NoError(t, e.env.Dispatch.Start(ctx, tn, req))
	return req
}

// downloads makes the tab save downloads into a directory and returns a func that clicks
// sel and returns the downloaded file's content.
func downloads(t *testing.T, ctx context.Context) func(sel string) []byte {
	t.Helper()
	dir := t.TempDir()
	c := chromedp.FromContext(ctx)
	_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, BrowserContextID: c.BrowserContextID,
		DownloadPath: dir, EventsEnabled: new(true),
	})
	require.NoError(t, err)
	return func(sel string) []byte {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		events := chromedp.BrowserEvents(wctx, cdpbrowser.DownloadProgress)
		require.NoError(t, chromedp.Do(wctx, clickNow(sel)), "click %s", sel)
		for ev, err := range events {
			require.NoError(t, err, "wait for the download of %s", sel)
			switch ev.State {
			case cdpbrowser.DownloadProgressStateCompleted:
				b, err := os.ReadFile(filepath.Join(dir, ev.GUID))
				require.NoError(t, err)
				return b
			case cdpbrowser.DownloadProgressStateCanceled:
				t.Fatalf("download of %s was canceled", sel)
			}
		}
		t.Fatalf("no download from %s", sel)
		return nil
	}
}

// pageErrors collects the tab's script exceptions and refusals by the Content Security
// Policy from now on; the returned func reports them.
func pageErrors(t *testing.T, ctx context.Context) func() []string {
	t.Helper()
	var mu sync.Mutex
	var errs []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Refused to") {
				mu.Lock()
				errs = append(errs, m.String())
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(errs)
	}
}

// text returns the text of the element. An element that htmx swapped out between finding
// it and reading it ("No node with given id") is looked up again.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	var err error
	for range 20 {
		sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		var v string
		v, err = chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			return v
		}
		// Also a page being replaced by the next one ("Cannot find context").
		if !strings.Contains(err.Error(), "No node with given id") && !strings.Contains(err.Error(), "Could not find node") &&
			!strings.Contains(err.Error(), "Cannot find context with specified id") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, err, "text of "+sel)
	return ""
}

// exists reports whether the page has an element matching sel.
func exists(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	b, err := json.Marshal(sel)
	require.NoError(t, err)
	return value(t, ctx, "look for "+sel, chromedp.Evaluate[bool](`document.querySelector(`+string(b)+`) !== null`))
}

func TestBrowser(t *testing.T) {
	t.Parallel()
	chrome := newChrome(t)
	e := newBrowserEnv(t)
	tn := e.seededTenant(t, "Acme Chat")
	dpo := e.user(domain.RoleDPO)
	viewer := e.user(domain.RoleViewer)

	t.Run("unauthenticated goes to the sign-in page", func(t *testing.T) {
		ctx := tab(t, chrome)
		step(t, ctx, "open the queue", chromedp.Navigate(e.URL+"/"), chromedp.WaitVisible(chromedp.ID("sign-in")))
		loc := value(t, ctx, "location", chromedp.Location())
		require.Equal(t, e.URL+"/login", loc)
		require.False(t, exists(t, ctx, "#queue-results"))
	})

	t.Run("a DPO approves a request, sees it complete and downloads the report", func(t *testing.T) {
		req := e.mailRequest(t, tn, "restriction", "visitor2@example.com", store.Params{}, true)
		ctx := tab(t, chrome)
		errs := pageErrors(t, ctx)
		signIn(t, ctx, e.URL, dpo)

		// Find it in the queue: the status filter applies on change (htmx).
		row := `tr[data-request="` + req.ID + `"]`
		step(t, ctx, "filter the queue",
			chromedp.WaitVisible(chromedp.CSS(row)),
			chromedp.SetValue(chromedp.ID("f-status"), string(domain.StatusAwaitingApproval)),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('f-status').dispatchEvent(new Event('change', {bubbles: true}))`),
			chromedp.WaitVisible(chromedp.CSS(`.chip.on[data-status="awaiting_approval"]`)),
		)
		require.Contains(t, value(t, ctx, "location", chromedp.Location()), "status=awaiting_approval", "the filter is in the address")
		// htmx swaps and then settles the results: wait until the new row has its text.
		value(t, ctx, "the filtered row", chromedp.Poll[bool](`(() => { const r = document.querySelector('`+row+`'); return !!r && r.textContent.includes('v••••2@example.com'); })()`))
		// Read from the DOM (textContent), which a row being settled does not empty.
		rowText := value(t, ctx, "the row's text", chromedp.Evaluate[string](`document.querySelector('`+row+`').textContent`))
		require.Contains(t, rowText, "v••••2@example.com")
		require.Contains(t, rowText, "on time")
		require.NotContains(t, value(t, ctx, "the results' text", chromedp.Evaluate[string](`document.getElementById('queue-results').textContent`)),
			"visitor2@example.com", "subjects are masked in the queue")

		step(t, ctx, "open the request", clickNow(row+" a.req-link"), chromedp.WaitVisible(chromedp.ID("approve")))
		require.Equal(t, "v••••2@example.com", text(t, ctx, "#subject-email"))

		// Revealing the subject is recorded with the DPO's name.
		step(t, ctx, "reveal", clickNow("#reveal"))
		value(t, ctx, "the revealed subject", chromedp.Poll[bool](`document.getElementById('subject-email').textContent === 'visitor2@example.com'`))
		events, err := e.Store.Events(ctx, req.ID)
		require.NoError(t, err)
		require.Equal(t, domain.EventSubjectRevealed, events[len(events)-1].Kind)
		require.Equal(t, domain.Actor("dpo:"+dpo), events[len(events)-1].Actor)

		step(t, ctx, "approve", clickNow("#approve"), chromedp.WaitVisible(chromedp.ID("flash")))
		require.Equal(t, "Approved.", text(t, ctx, "#flash"))
		// The page reloads by itself when the state changes; restriction completes.
		step(t, ctx, "wait for completion", chromedp.WaitVisible(chromedp.CSS("#status .st-completed")), chromedp.WaitVisible(chromedp.ID("runs")))
		require.Contains(t, text(t, ctx, "#runs"), "chatstore")
		require.Contains(t, text(t, ctx, "#runs"), "applied")
		timeline := text(t, ctx, "#timeline")
		require.Contains(t, timeline, "Approved")
		require.Contains(t, timeline, "dpo:"+dpo)
		require.False(t, exists(t, ctx, "#actions"), "nothing to decide on a completed request")
		r, err := e.Store.GetRequest(ctx, "", req.ID)
		require.NoError(t, err)
		require.Equal(t, domain.StatusCompleted, r.Status)

		// The report of the last 30 days counts it and downloads as CSV and PDF.
		step(t, ctx, "open the reports", chromedp.Click(chromedp.CSS(`a[href="/reports"]`)), chromedp.WaitVisible(chromedp.ID("weekly-chart")))
		require.Equal(t, "1", text(t, ctx, "#fig-closed"))
		download := downloads(t, ctx)
		csv := string(download("#download-csv"))
		require.Contains(t, csv, req.ID)
		require.Contains(t, csv, "restriction")
		pdf := download("#download-pdf")
		require.True(t, strings.HasPrefix(string(pdf), "%PDF-"), "a PDF")
		require.Empty(t, errs(), "no script errors, nothing refused by the CSP")
	})

	t.Run("a viewer cannot act", func(t *testing.T) {
		req := e.mailRequest(t, tn, "access", "visitor3@example.com", store.Params{}, true)
		ctx := tab(t, chrome)
		signIn(t, ctx, e.URL, viewer)
		step(t, ctx, "open the request", chromedp.Navigate(e.URL+"/requests/"+req.ID), chromedp.WaitVisible(chromedp.ID("timeline")))
		for _, sel := range []string{"#actions", "#approve", "#deny", "#cancel", "#reveal", "#download-package"} {
			require.False(t, exists(t, ctx, sel), "a viewer sees no %s", sel)
		}
		require.Equal(t, "v••••3@example.com", text(t, ctx, "#subject-email"))
		// A POST made by hand, with the session's valid CSRF token, is refused.
		status := value(t, ctx, "post by hand", chromedp.Evaluate[int](`(async () => {
			const token = document.querySelector('input[name=csrf_token]').value;
			const r = await fetch('/requests/`+req.ID+`/approve', {method: 'POST',
				headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'csrf_token=' + encodeURIComponent(token)});
			return r.status;
		})()`, chromedp.EvalAwaitPromise))
		require.Equal(t, http.StatusForbidden, status)
		r, err := e.Store.GetRequest(ctx, "", req.ID)
		require.NoError(t, err)
		require.Equal(t, domain.StatusAwaitingApproval, r.Status)
	})

	t.Run("a forged form without the CSRF token is refused", func(t *testing.T) {
		req := e.mailRequest(t, tn, "objection", "visitor4@example.com", store.Params{ObjectionPurposes: []domain.Purpose{"marketing"}}, true)
		ctx := tab(t, chrome)
		signIn(t, ctx, e.URL, dpo)
		step(t, ctx, "open the request", chromedp.Navigate(e.URL+"/requests/"+req.ID), chromedp.WaitVisible(chromedp.ID("approve")))
		// A form added to the page that lacks the token.
		step(t, ctx, "submit a form without the token",
			chromedp.Evaluate[chromedp.Void](`(() => {
				const f = document.createElement('form');
				f.method = 'post'; f.action = '/requests/`+req.ID+`/approve';
				document.body.appendChild(f); f.submit();
			})()`),
			chromedp.WaitVisible(chromedp.ID("error-message")))
		require.Contains(t, text(t, ctx, "#error-message"), "CSRF check failed")

		// The same from another site, which the browser posts with the session cookie.
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<form id="f" method="post" action="` + e.URL + `/requests/` + req.ID + `/approve">` +
				`<input name="csrf_token" value="guessed"></form><script>document.getElementById('f').submit()</script>`))
		}))
		t.Cleanup(evil.Close)
		step(t, ctx, "a cross-site form", chromedp.Navigate(evil.URL), chromedp.WaitVisible(chromedp.ID("error-message")))
		require.Contains(t, text(t, ctx, "#error-message"), "CSRF check failed")
		r, err := e.Store.GetRequest(ctx, "", req.ID)
		require.NoError(t, err)
		require.Equal(t, domain.StatusAwaitingApproval, r.Status)
	})

	t.Run("the workflow's refusal is shown", func(t *testing.T) {
		req := e.mailRequest(t, tn, "restriction", "visitor5@example.com", store.Params{}, true)
		ctx := tab(t, chrome)
		signIn(t, ctx, e.URL, dpo)
		// A page opened before the state changed: it no longer reloads by itself.
		step(t, ctx, "open the request", chromedp.Navigate(e.URL+"/requests/"+req.ID), chromedp.WaitVisible(chromedp.ID("pause")),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('poll').remove()`))
		// Meanwhile the controller pauses the clock.
		_, err := e.env.Dispatch.Decide(ctx, req.ID, workflows.UpdatePause, workflows.Decision{Actor: domain.TenantActor(tn.ID), Reason: "which account?"})
		require.NoError(t, err)
		step(t, ctx, "pause again from the stale page",
			chromedp.SendKeys(chromedp.CSS(`form[action$="/pause"] input[name=reason]`), "need the order number"),
			chromedp.Click(chromedp.ID("pause")),
			chromedp.WaitVisible(chromedp.CSS("#flash.flash-error")))
		require.Equal(t, "Not done: the clock is paused already", text(t, ctx, "#flash"))
		// The fresh page offers resume instead, and resuming works.
		step(t, ctx, "resume",
			chromedp.SendKeys(chromedp.CSS(`form[action$="/resume"] input[name=reason]`), "order number received"),
			chromedp.Click(chromedp.ID("resume")),
			chromedp.WaitVisible(chromedp.CSS("#flash.flash-ok")))
		events, err := e.Store.Events(ctx, req.ID)
		require.NoError(t, err)
		require.Equal(t, domain.Actor("dpo:"+dpo), events[len(events)-1].Actor)
	})

	t.Run("sign-in rate limit", func(t *testing.T) {
		ctx := tab(t, chrome)
		limited := e.user(domain.RoleDPO)
		for i := range 6 {
			step(t, ctx, "a wrong password",
				chromedp.Navigate(e.URL+"/login"),
				chromedp.WaitVisible(chromedp.ID("email")),
				chromedp.SendKeys(chromedp.ID("email"), limited),
				chromedp.SendKeys(chromedp.ID("password"), "not it "+string(rune('a'+i))),
				chromedp.Click(chromedp.ID("sign-in")),
				chromedp.WaitVisible(chromedp.ID("login-error")),
			)
		}
		require.Contains(t, text(t, ctx, "#login-error"), "Too many failed sign-ins")
		// The right password does not help now. The last answer's error goes first, so that
		// the one waited for is the new page's.
		require.True(t, value(t, ctx, "remove the last error",
			chromedp.Evaluate[bool](`(document.getElementById("login-error").remove(), true)`)))
		step(t, ctx, "the right password",
			chromedp.SendKeys(chromedp.ID("password"), password),
			chromedp.Click(chromedp.ID("sign-in")),
			chromedp.WaitVisible(chromedp.ID("login-error")),
		)
		require.Contains(t, text(t, ctx, "#login-error"), "Too many failed sign-ins")
	})
}
