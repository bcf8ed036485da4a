package api

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	apibody "dsr/http/api/body"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/temporal/dispatch"
	"dsr/internal/webhooks"
)

// Webhooks are the handlers of a tenant's webhook subscriptions and their deliveries.
type Webhooks struct {
	Store    *store.Store
	Dispatch *dispatch.Client
	Secrets  webhooks.Secrets
	Guard    *webhooks.Guard
	// Overlap is how long a rotated-out secret still signs.
	Overlap time.Duration
	Log     *slog.Logger
}

// Register adds the routes under g, a group at /v1/webhooks whose handlers run after the
// tenant's authentication (and any middleware put in front of the group).
func (h *Webhooks) Register(g gin.IRouter) {
	g.POST("", h.create)
	g.GET("", h.list)
	g.GET("/:id", h.get)
	g.PATCH("/:id", h.update)
	g.DELETE("/:id", h.delete)
	g.POST("/:id/rotate-secret", h.rotate)
	g.GET("/:id/deliveries", h.deliveries)
	g.GET("/:id/deliveries/:did", h.delivery)
	g.POST("/:id/deliveries/:did/redeliver", h.redeliver)
}

func (h *Webhooks) fail(c *gin.Context, status int, code, message string, err error) {
	Fail(c, h.Log, status, code, message, err)
}

// webhookView is the API's shape of a subscription; Secret only when it is made or
// rotated (shown once).
type webhookView struct {
	ID          string                `json:"id"`
	URL         string                `json:"url"`
	Events      []domain.WebhookEvent `json:"events"`
	Description string                `json:"description"`
	CreatedAt   time.Time             `json:"created_at"`
	UpdatedAt   time.Time             `json:"updated_at"`
	Secret      string                `json:"secret,omitempty"`
}

func webhookOf(w store.Webhook) webhookView {
	return webhookView{ID: w.ID, URL: w.URL, Events: w.EventTypes(), Description: w.Description,
		CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC()}
}

// webhookBody is the body of POST and PATCH; nil fields are absent.
type webhookBody struct {
	URL         *string                `json:"url"`
	Events      *[]domain.WebhookEvent `json:"events"`
	Description *string                `json:"description"`
}

// check validates the fields a PATCH sets; its error is shown to the caller.
func (h *Webhooks) check(c *gin.Context, b *webhookBody) error {
	if b.URL != nil {
		u, err := h.Guard.CleanURL(c, *b.URL)
		if err != nil {
			return err
		}
		b.URL = &u
	}
	if b.Events != nil {
		ev, err := webhooks.CleanEvents(*b.Events)
		if err != nil {
			return err
		}
		b.Events = &ev
	}
	if b.Description != nil {
		return webhooks.CheckDescription(*b.Description)
	}
	return nil
}

var webhookDecoder = apibody.Decoder{Limit: 16 << 10}

func (h *Webhooks) decode(c *gin.Context) (webhookBody, bool) {
	var b webhookBody
	if err := webhookDecoder.Decode(c.Request.Body, &b); err != nil {
		FailBody(c, h.Log, "a webhook", err)
		return b, false
	}
	if err := h.check(c, &b); err != nil {
		h.fail(c, http.StatusUnprocessableEntity, CodeInvalid, err.Error(), nil)
		return b, false
	}
	return b, true
}

func (h *Webhooks) create(c *gin.Context) {
	var b webhookBody
	if err := webhookDecoder.Decode(c.Request.Body, &b); err != nil {
		FailBody(c, h.Log, "a webhook", err)
		return
	}
	n := webhooks.NewSubscription{TenantID: tenant(c).ID}
	if b.URL != nil {
		n.URL = *b.URL
	}
	if b.Events != nil {
		n.Events = *b.Events
	}
	if b.Description != nil {
		n.Description = *b.Description
	}
	w, clear, err := webhooks.Create(c, h.Store, h.Guard, h.Secrets, n)
	var invalid *webhooks.InvalidError
	if errors.As(err, &invalid) {
		h.fail(c, http.StatusUnprocessableEntity, CodeInvalid, err.Error(), nil)
		return
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not create the webhook", err)
		return
	}
	h.Log.Info("webhook created", slog.String("webhook_id", w.ID), slog.String("tenant_id", w.TenantID))
	v := webhookOf(w)
	v.Secret = clear
	c.JSON(http.StatusCreated, v)
}

func (h *Webhooks) list(c *gin.Context) {
	ws, err := h.Store.Webhooks(c, tenant(c).ID)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not list webhooks", err)
		return
	}
	out := struct {
		Webhooks []webhookView `json:"webhooks"`
	}{Webhooks: make([]webhookView, 0, len(ws))}
	for _, w := range ws {
		out.Webhooks = append(out.Webhooks, webhookOf(w))
	}
	c.JSON(http.StatusOK, out)
}

// load reads the subscription named in the path; 404 for a non-UUID or another tenant's.
func (h *Webhooks) load(c *gin.Context) (store.Webhook, bool) {
	id := c.Param("id")
	if !domain.ValidID(id) {
		h.fail(c, http.StatusNotFound, CodeNotFound, "no webhook "+id, nil)
		return store.Webhook{}, false
	}
	w, err := h.Store.GetWebhook(c, tenant(c).ID, id)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(c, http.StatusNotFound, CodeNotFound, "no webhook "+id, nil)
		return w, false
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not read the webhook", err)
		return w, false
	}
	return w, true
}

func (h *Webhooks) get(c *gin.Context) {
	if w, ok := h.load(c); ok {
		c.JSON(http.StatusOK, webhookOf(w))
	}
}

func (h *Webhooks) update(c *gin.Context) {
	w, ok := h.load(c)
	if !ok {
		return
	}
	b, ok := h.decode(c)
	if !ok {
		return
	}
	p := store.WebhookPatch{URL: b.URL, Description: b.Description}
	if b.Events != nil {
		p.Events, p.SetEvents = *b.Events, true
	}
	w, err := h.Store.UpdateWebhook(c, w.TenantID, w.ID, p)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(c, http.StatusNotFound, CodeNotFound, "no webhook "+c.Param("id"), nil)
		return
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not update the webhook", err)
		return
	}
	c.JSON(http.StatusOK, webhookOf(w))
}

func (h *Webhooks) delete(c *gin.Context) {
	w, ok := h.load(c)
	if !ok {
		return
	}
	err := h.Store.DeleteWebhook(c, w.TenantID, w.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not delete the webhook", err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *Webhooks) rotate(c *gin.Context) {
	w, ok := h.load(c)
	if !ok {
		return
	}
	clear, sealed, err := h.Secrets.New()
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not make a new secret", err)
		return
	}
	err = h.Store.RotateWebhookSecret(c, w.TenantID, w.ID, sealed, h.Overlap)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(c, http.StatusNotFound, CodeNotFound, "no webhook "+w.ID, nil)
		return
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not rotate the secret", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"id": w.ID, "secret": clear, "previous_valid_until": time.Now().Add(h.Overlap).UTC().Truncate(time.Second)})
}

// deliveryView is the API's shape of a delivery; Attempts only for one delivery.
type deliveryView struct {
	ID             string                `json:"id"`
	EventID        string                `json:"event_id"`
	EventType      domain.WebhookEvent   `json:"event_type"`
	Status         domain.DeliveryStatus `json:"status"`
	Attempts       int                   `json:"attempts"`
	LastStatusCode *int                  `json:"last_status_code"`
	LastLatencyMS  *int                  `json:"last_latency_ms"`
	CreatedAt      time.Time             `json:"created_at"`
	DeliveredAt    *time.Time            `json:"delivered_at"`
	FailedAt       *time.Time            `json:"failed_at"`
	NextAttemptAt  *time.Time            `json:"next_attempt_at"`
	AttemptLog     *[]attemptView        `json:"attempt_log,omitempty"`
}

type attemptView struct {
	N          int                  `json:"n"`
	At         time.Time            `json:"at"`
	StatusCode *int                 `json:"status_code"`
	LatencyMS  int                  `json:"latency_ms"`
	Error      *domain.AttemptError `json:"error"`
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func deliveryOf(d store.Delivery) deliveryView {
	v := deliveryView{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Status: d.Status, Attempts: d.Attempts,
		LastStatusCode: d.LastStatusCode, LastLatencyMS: d.LastLatencyMS, CreatedAt: d.CreatedAt.UTC(),
		DeliveredAt: utc(d.DeliveredAt), FailedAt: utc(d.FailedAt)}
	if d.Status == domain.DeliveryQueued {
		v.NextAttemptAt = utc(d.NextAttemptAt)
	}
	return v
}

func (h *Webhooks) deliveries(c *gin.Context) {
	w, ok := h.load(c)
	if !ok {
		return
	}
	f := store.DeliveryFilter{TenantID: w.TenantID, SubscriptionID: w.ID}
	if f.Before, f.Limit, ok = page(c, h.Log); !ok {
		return
	}
	ds, more, err := h.Store.Deliveries(c, f)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not list deliveries", err)
		return
	}
	out := struct {
		Deliveries []deliveryView `json:"deliveries"`
		NextCursor string         `json:"next_cursor,omitempty"`
	}{Deliveries: make([]deliveryView, 0, len(ds))}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, deliveryOf(d))
	}
	if more {
		out.NextCursor = ds[len(ds)-1].ID
	}
	c.JSON(http.StatusOK, out)
}

// loadDelivery reads the delivery named in the path with its attempts.
func (h *Webhooks) loadDelivery(c *gin.Context, w store.Webhook) (store.Delivery, []store.Attempt, bool) {
	did := c.Param("did")
	if !domain.ValidID(did) {
		h.fail(c, http.StatusNotFound, CodeNotFound, "no delivery "+did, nil)
		return store.Delivery{}, nil, false
	}
	d, attempts, err := h.Store.GetDelivery(c, w.TenantID, w.ID, did)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(c, http.StatusNotFound, CodeNotFound, "no delivery "+did, nil)
		return d, nil, false
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not read the delivery", err)
		return d, nil, false
	}
	return d, attempts, true
}

func (h *Webhooks) delivery(c *gin.Context) {
	w, ok := h.load(c)
	if !ok {
		return
	}
	d, attempts, ok := h.loadDelivery(c, w)
	if !ok {
		return
	}
	v := deliveryOf(d)
	log := make([]attemptView, 0, len(attempts))
	for _, a := range attempts {
		log = append(log, attemptView{N: a.N, At: a.At.UTC(), StatusCode: a.StatusCode, LatencyMS: a.LatencyMS, Error: a.ErrorKind})
	}
	v.AttemptLog = &log
	c.JSON(http.StatusOK, v)
}

func (h *Webhooks) redeliver(c *gin.Context) {
	w, ok := h.load(c)
	if !ok {
		return
	}
	d, _, ok := h.loadDelivery(c, w)
	if !ok {
		return
	}
	nd, err := h.Store.Redeliver(c, w.TenantID, w.ID, d.ID)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not queue the delivery", err)
		return
	}
	if err := h.Dispatch.StartDelivery(c, nd.ID); err != nil {
		// Queued: the resume pass starts it.
		h.Log.Warn("start redelivery", slog.String("delivery_id", nd.ID), slog.Any("error", err))
	}
	c.JSON(http.StatusAccepted, deliveryOf(nd))
}
