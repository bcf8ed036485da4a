package dashboard_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"dsr/internal/auth"
	"dsr/internal/deadline"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/testkit"
	"dsr/workflows"
)

// waitFor polls the record until the request satisfies ok.
func (e *browserEnv) waitFor(t *testing.T, id, what string, ok func(store.Request) bool) {
	t.Helper()
	limit := time.Now().Add(60 * time.Second)
	for time.Now().Before(limit) {
		r, err := e.Store.GetRequest(ctx, "", id)
		require.NoError(t, err)
		if ok(r) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("request %s: never %s", id, what)
}

// atRiskReceipt returns a receipt instant whose target is not missed yet but whose
// at-risk alarm (75% of the time to the end of the target day) is past.
func atRiskReceipt(t *testing.T, tn store.Tenant) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(tn.TZ)
	require.NoError(t, err)
	now := time.Now()
	for r := now.Add(-time.Hour); r.After(now.Add(-14 * 24 * time.Hour)); r = r.Add(-30 * time.Minute) {
		due, err := deadline.Compute(r, deadline.Policy{Country: tn.Country, TZ: tn.TZ, TargetDays: tn.TargetDays})
		require.NoError(t, err)
		end := time.Date(due.Target.Year, due.Target.Month, due.Target.Day+1, 0, 0, 0, 0, loc)
		risk := r.Add(time.Duration(float64(end.Sub(r)) * 0.75))
		if risk.Before(now.Add(-time.Minute)) && end.After(now.Add(3*time.Hour)) {
			return r
		}
	}
	t.Fatal("no receipt instant puts a request at risk now")
	return time.Time{}
}

// TestScreenshots writes docs/dashboard-queue.png, docs/dashboard-request.png and
// docs/dashboard-request-completed.png from the real pages over real workflows. It overwrites the files in the repository, so it
// runs only when asked: DSR_SCREENSHOTS=1 go test -run TestScreenshots ./http/dashboard/
func TestScreenshots(t *testing.T) {
	if os.Getenv("DSR_SCREENSHOTS") != "1" {
		t.Skip("writes the docs/dashboard-*.png screenshots into the repository, so it runs only with DSR_SCREENSHOTS=1")
	}
	chrome := newChrome(t)
	e := newBrowserEnv(t)
	acme := e.seededTenant(t, "Acme Chat")
	globex := e.seededTenant(t, "Globex Support")
	dpo := "ana.lopez@vendor.example"
	_, err := e.Users.Create(ctx, auth.NewUser{Email: dpo, Role: domain.RoleDPO, Password: password, CreatedBy: "test"})
	require.NoError(t, err)

	// Erasures of end-users with an open conversation wait for it to close; received
	// long ago, one missed its target, the other is at risk (the workflows' own timers).
	breached := e.apiRequest(t, acme, domain.Erasure, "visitor1@example.com", store.Params{ErasureScope: domain.ScopeFull},
		time.Now().Add(-9*24*time.Hour))
	atRisk := e.apiRequest(t, globex, domain.Erasure, "visitor1@example.com", store.Params{ErasureScope: domain.ScopeProfile},
		atRiskReceipt(t, globex))
	e.waitFor(t, breached.ID, "target breached while waiting", func(r store.Request) bool {
		return r.Status == domain.StatusWaiting && r.TargetBreachedAt != nil
	})
	e.waitFor(t, atRisk.ID, "at risk while waiting", func(r store.Request) bool {
		return r.Status == domain.StatusWaiting && r.AtRiskAt != nil
	})
	// Requests from the mailbox: awaiting approval, one paused for a clarification, one
	// extended, one still verifying identity.
	e.mailRequest(t, acme, domain.Restriction, "visitor3@example.com", store.Params{}, true)
	e.mailRequest(t, globex, domain.Portability, "visitor7@example.com", store.Params{}, true)
	paused := e.mailRequest(t, globex, domain.Access, "visitor4@example.com", store.Params{}, true)
	_, err = e.env.Dispatch.Decide(ctx, paused.ID, workflows.UpdatePause, workflows.Decision{Actor: domain.DPOActor(dpo), Reason: "asked which of two accounts"})
	require.NoError(t, err)
	extended := e.mailRequest(t, acme, domain.Objection, "visitor6@example.com", store.Params{ObjectionPurposes: []domain.Purpose{"marketing", "profiling"}}, true)
	_, err = e.env.Dispatch.Decide(ctx, extended.ID, workflows.UpdateExtend, workflows.Decision{Actor: domain.DPOActor(dpo), Reason: "several systems to check"})
	require.NoError(t, err)
	e.mailRequest(t, acme, domain.Rectification, "visitor5@example.com", store.Params{Rectification: map[string]string{"name": "Jo Smith"}}, false)
	done := e.apiRequest(t, acme, domain.Access, "visitor2@example.com", store.Params{}, time.Now().Add(-26*time.Hour))
	e.env.WaitStatus(t, done.ID, domain.StatusCompleted)

	docs := testkit.Path(t, "docs")
	require.NoError(t, os.MkdirAll(docs, 0o755))
	shot := func(tabCtx context.Context, name string) {
		t.Helper()
		png := value(t, tabCtx, "screenshot "+name, chromedp.FullScreenshot(100))
		require.NoError(t, os.WriteFile(filepath.Join(docs, name), png, 0o644))
		t.Logf("wrote docs/%s (%d bytes)", name, len(png))
	}

	c := tab(t, chrome)
	signIn(t, c, e.URL, dpo)
	step(t, c, "queue", chromedp.WaitVisible(chromedp.CSS(`tr[data-request="`+breached.ID+`"]`)))
	shot(c, "dashboard-queue.png")

	// The breached erasure, blocked by an open conversation: what a DPO decides on.
	step(t, c, "request",
		chromedp.Navigate(e.URL+"/requests/"+breached.ID),
		chromedp.WaitVisible(chromedp.ID("override")),
		chromedp.SendKeys(chromedp.CSS(`form[action$="/override"] input[name=reason]`), "abandoned chat; subject confirmed by phone"),
	)
	shot(c, "dashboard-request.png")

	// The DPO overrides the block; the erasure completes, the subject is revealed.
	step(t, c, "override",
		clickNow("#override-confirm"),
		clickNow("#override"),
		chromedp.WaitVisible(chromedp.CSS("#status .st-completed")),
		chromedp.WaitVisible(chromedp.ID("runs")),
		clickNow("#reveal"),
		chromedp.WaitVisible(chromedp.CSS(".tag-warn")),
	)
	shot(c, "dashboard-request-completed.png")
}
