package dashboard

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// webhooksData is a tenant's webhooks page: each subscription with its latest deliveries.
type webhooksData struct {
	Tenant        store.Tenant
	Subscriptions []subscriptionLog
	// Redelivered names the delivery just queued again.
	Redelivered string
}

type subscriptionLog struct {
	store.Webhook
	Deliveries []store.Delivery
}

// webhooks shows a tenant's subscriptions and the delivery log of each.
func (h *Dashboard) webhooks(c *gin.Context) {
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
	d := webhooksData{Tenant: t, Redelivered: c.Query("redelivered")}
	for _, s := range subs {
		ds, _, err := h.Store.Deliveries(c, store.DeliveryFilter{TenantID: t.ID, SubscriptionID: s.ID, Limit: 50})
		if err != nil {
			h.fail(c, http.StatusInternalServerError, "The deliveries could not be read.", err)
			return
		}
		d.Subscriptions = append(d.Subscriptions, subscriptionLog{Webhook: s, Deliveries: ds})
	}
	h.render(c, http.StatusOK, "webhooks", "Webhooks of "+t.Name, d)
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
