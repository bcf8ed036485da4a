package dashboard

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/webhooks"
)

// Webhooks lets admins manage tenants' webhook subscriptions here, as tenants do through
// the API: Guard checks the URLs, Secrets makes and seals the signing secrets, a rotated
// secret signs on for Overlap.
type Webhooks struct {
	Guard   *webhooks.Guard
	Secrets webhooks.Secrets
	Overlap time.Duration
}

// webhooksData is a tenant's webhooks page: each subscription with its latest deliveries.
type webhooksData struct {
	Tenant        store.Tenant
	Subscriptions []subscriptionLog
	// Redelivered names the delivery just queued again.
	Redelivered string
	// Manage is set when subscriptions can be made and changed here; Events are the event
	// types offered.
	Manage bool
	Events []domain.WebhookEvent
	// Form is what the new-subscription form shows; Error why the values posted were
	// refused.
	Form  webhookForm
	Error string
	// Secret is a secret just made (for a new subscription or by a rotation), in the
	// clear: on this one answer only, never kept, never logged.
	Secret *shownSecret
}

// webhookForm is the new-subscription form's values as posted, to show them again.
type webhookForm struct {
	URL, Description string
	Events           map[domain.WebhookEvent]bool
}

// shownSecret is a signing secret shown once, the subscription it signs for, and on a
// rotation until when the previous one still signs.
type shownSecret struct {
	WebhookID, URL, Secret string
	PreviousUntil          *time.Time
}

type subscriptionLog struct {
	store.Webhook
	Deliveries []store.Delivery
}

// webhooks shows a tenant's subscriptions and the delivery log of each.
func (h *Dashboard) webhooks(c *gin.Context) {
	h.webhooksPage(c, http.StatusOK, webhooksData{Redelivered: c.Query("redelivered")})
}

// webhooksPage renders the tenant's webhooks page with d's form, notice or secret.
func (h *Dashboard) webhooksPage(c *gin.Context, status int, d webhooksData) {
	if !domain.ValidID(c.Param("id")) {
		h.fail(c, http.StatusNotFound, "No such tenant.", nil)
		return
	}
	t, err := h.Store.GetTenant(c, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		h.fail(c, http.StatusNotFound, "No such tenant.", nil)
		return
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The tenant could not be read.", err)
		return
	}
	subs, err := h.Store.Webhooks(c, t.ID)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The webhooks could not be read.", err)
		return
	}
	d.Tenant, d.Manage, d.Events = t, h.Webhooks != nil, domain.WebhookEvents
	for _, s := range subs {
		ds, _, err := h.Store.Deliveries(c, store.DeliveryFilter{TenantID: t.ID, SubscriptionID: s.ID, Limit: 50})
		if err != nil {
			h.fail(c, http.StatusInternalServerError, "The deliveries could not be read.", err)
			return
		}
		d.Subscriptions = append(d.Subscriptions, subscriptionLog{Webhook: s, Deliveries: ds})
	}
	h.render(c, status, "webhooks", "Webhooks of "+t.Name, d)
}

// createWebhook makes a subscription for the tenant and shows its secret once. Bad values
// come back in the form, with the reason, as 422.
func (h *Dashboard) createWebhook(c *gin.Context) {
	if h.Webhooks == nil {
		h.fail(c, http.StatusServiceUnavailable, "Webhooks cannot be managed from this dashboard.", nil)
		return
	}
	tid := c.Param("id")
	if !domain.ValidID(tid) {
		h.fail(c, http.StatusNotFound, "No such tenant.", nil)
		return
	}
	f := webhookForm{URL: c.PostForm("url"), Description: c.PostForm("description"), Events: map[domain.WebhookEvent]bool{}}
	var events []domain.WebhookEvent
	for _, e := range c.PostFormArray("events") {
		events = append(events, domain.WebhookEvent(e))
		f.Events[domain.WebhookEvent(e)] = true
	}
	w, clear, err := webhooks.Create(c, h.Store, h.Webhooks.Guard, h.Webhooks.Secrets,
		webhooks.NewSubscription{TenantID: tid, URL: f.URL, Events: events, Description: f.Description})
	var invalid *webhooks.InvalidError
	if errors.As(err, &invalid) {
		h.webhooksPage(c, http.StatusUnprocessableEntity, webhooksData{Form: f, Error: "Not created: " + err.Error() + "."})
		return
	}
	if err != nil {
		// An unknown tenant fails the insert's reference: nothing was made.
		if _, terr := h.Store.GetTenant(c, tid); errors.Is(terr, store.ErrNotFound) {
			h.fail(c, http.StatusNotFound, "No such tenant.", nil)
			return
		}
		h.fail(c, http.StatusInternalServerError, "The webhook could not be created.", err)
		return
	}
	// Ids only: the secret must never reach a log.
	h.Log.Info("webhook created", slog.String("tenant_id", tid), slog.String("webhook_id", w.ID), slog.String("by", user(c).ID))
	h.webhooksPage(c, http.StatusOK, webhooksData{Secret: &shownSecret{WebhookID: w.ID, URL: w.URL, Secret: clear}})
}

// webhookOf loads the tenant's subscription named in the path; false once it answered.
func (h *Dashboard) webhookOf(c *gin.Context) (store.Webhook, bool) {
	tid, wid := c.Param("id"), c.Param("wid")
	if h.Webhooks == nil {
		h.fail(c, http.StatusServiceUnavailable, "Webhooks cannot be managed from this dashboard.", nil)
		return store.Webhook{}, false
	}
	if !domain.ValidID(tid) || !domain.ValidID(wid) {
		h.fail(c, http.StatusNotFound, "No such webhook.", nil)
		return store.Webhook{}, false
	}
	w, err := h.Store.GetWebhook(c, tid, wid)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(c, http.StatusNotFound, "No such webhook.", nil)
		return w, false
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The webhook could not be read.", err)
		return w, false
	}
	return w, true
}

// deleteWebhook removes a subscription: nothing more is delivered to it.
func (h *Dashboard) deleteWebhook(c *gin.Context) {
	w, ok := h.webhookOf(c)
	if !ok {
		return
	}
	if err := h.Store.DeleteWebhook(c, w.TenantID, w.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(c, http.StatusInternalServerError, "The webhook could not be deleted.", err)
		return
	}
	h.Log.Info("webhook deleted", slog.String("tenant_id", w.TenantID), slog.String("webhook_id", w.ID), slog.String("by", user(c).ID))
	h.flash(c, "ok", "Deleted the webhook to "+w.URL+": nothing more is sent to it.", "/tenants/"+w.TenantID+"/webhooks")
}

// rotateWebhook gives a subscription a new signing secret, shown once; the previous one
// signs on for the overlap.
func (h *Dashboard) rotateWebhook(c *gin.Context) {
	w, ok := h.webhookOf(c)
	if !ok {
		return
	}
	clear, sealed, err := h.Webhooks.Secrets.New()
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "A new secret could not be made.", err)
		return
	}
	if err := h.Store.RotateWebhookSecret(c, w.TenantID, w.ID, sealed, h.Webhooks.Overlap); err != nil {
		h.fail(c, http.StatusInternalServerError, "The secret could not be rotated.", err)
		return
	}
	until := h.now().Add(h.Webhooks.Overlap).UTC().Truncate(time.Second)
	h.Log.Info("webhook secret rotated", slog.String("tenant_id", w.TenantID), slog.String("webhook_id", w.ID), slog.String("by", user(c).ID))
	h.webhooksPage(c, http.StatusOK, webhooksData{Secret: &shownSecret{WebhookID: w.ID, URL: w.URL, Secret: clear, PreviousUntil: &until}})
}

// redeliver queues a new delivery of a delivery's event and starts it.
func (h *Dashboard) redeliver(c *gin.Context) {
	tid, wid, did := c.Param("id"), c.Param("wid"), c.Param("did")
	if !domain.ValidID(tid) || !domain.ValidID(wid) || !domain.ValidID(did) {
		h.fail(c, http.StatusNotFound, "No such delivery.", nil)
		return
	}
	nd, err := h.Store.Redeliver(c, tid, wid, did)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(c, http.StatusNotFound, "No such delivery.", nil)
		return
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The delivery could not be queued.", err)
		return
	}
	if h.Dispatch != nil {
		// What does not start now, the resume pass starts.
		_ = h.Dispatch.StartDelivery(c, nd.ID)
	}
	c.Redirect(http.StatusSeeOther, "/tenants/"+tid+"/webhooks?redelivered="+nd.ID)
}
