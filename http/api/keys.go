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
	"dsr/internal/tenants"
)

// keysView is the answer of GET /v1/keys.
type keysView struct {
	Keys []store.APIKey `json:"keys"`
}

// createdKeyView is a key just made, with its secret, shown this once.
type createdKeyView struct {
	store.APIKey
	Secret string `json:"api_key"`
	// Replaces is, on a rotation, the key this one replaces, and ReplacedExpiresAt when
	// that key stops working.
	Replaces          string     `json:"replaces,omitempty"`
	ReplacedExpiresAt *time.Time `json:"replaced_expires_at,omitempty"`
}

// createKeyBody is the body of POST /v1/keys.
type createKeyBody struct {
	Name   string            `json:"name"`
	Scopes []domain.KeyScope `json:"scopes"`
}

// rotateKeyBody is the body of POST /v1/keys/:id/rotate.
type rotateKeyBody struct {
	Overlap string `json:"overlap"`
}

// decodeBody reads a JSON body into v; an empty body leaves v as it is when optional.
// It answers 400 itself and reports whether to go on.
func (h *API) decodeBody(c *gin.Context, v any, optional bool, shape string) bool {
	if err := (apibody.Decoder{Limit: 16 << 10, AllowEmpty: optional}).Decode(c.Request.Body, v); err != nil {
		h.failBody(c, "a key, a JSON object like "+shape, err)
		return false
	}
	return true
}

// listKeys handles GET /v1/keys: the tenant's keys, newest first, never their secrets.
func (h *API) listKeys(c *gin.Context) {
	keys, err := h.Store.APIKeys(c, tenant(c).ID)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not list the API keys", err)
		return
	}
	c.JSON(http.StatusOK, keysView{Keys: keys})
}

// createKey handles POST /v1/keys {"name", "scopes"}: 201 with the new key's secret.
func (h *API) createKey(c *gin.Context) {
	var body createKeyBody
	if !h.decodeBody(c, &body, false, `{"name": "...", "scopes": ["requests"]}`) {
		return
	}
	t := tenant(c)
	k, secret, err := tenants.CreateKey(c, h.Store, t.ID, tenants.NewKey{Name: body.Name, Scopes: body.Scopes}, h.now())
	var invalid *tenants.InvalidError
	switch {
	case errors.As(err, &invalid):
		h.fail(c, http.StatusUnprocessableEntity, CodeInvalid, invalid.Reason, nil)
		return
	case err != nil:
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not create the API key", err)
		return
	}
	h.Log.Info("api key created", slog.String("tenant_id", t.ID), slog.String("key_id", k.ID), slog.String("by_key", caller(c).KeyID))
	c.JSON(http.StatusCreated, createdKeyView{APIKey: k, Secret: secret})
}

// keyID is the :id of a key route, or "" (after answering 404) when it is no key id.
func (h *API) keyID(c *gin.Context) string {
	id := c.Param("id")
	if !domain.ValidID(id) {
		h.fail(c, http.StatusNotFound, CodeNotFound, "no API key "+id, nil)
		return ""
	}
	return id
}

// keyFailed answers the store's refusals of a change to a key.
func (h *API) keyFailed(c *gin.Context, id, doing string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.fail(c, http.StatusNotFound, CodeNotFound, "no API key "+id, nil)
	case errors.Is(err, store.ErrLastAdminKey), errors.Is(err, store.ErrKeyInactive):
		h.fail(c, http.StatusConflict, CodeConflict, err.Error(), nil)
	default:
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not "+doing+" the API key", err)
	}
}

// revokeKey handles POST /v1/keys/:id/revoke: the key is refused from now on, on every
// replica. Revoking a revoked key answers the same.
func (h *API) revokeKey(c *gin.Context) {
	id := h.keyID(c)
	if id == "" {
		return
	}
	if !h.decodeBody(c, &struct{}{}, true, "{}") {
		return
	}
	t := tenant(c)
	k, err := h.Store.RevokeAPIKey(c, t.ID, id, h.now())
	if err != nil {
		h.keyFailed(c, id, "revoke", err)
		return
	}
	h.Log.Info("api key revoked", slog.String("tenant_id", t.ID), slog.String("key_id", k.ID), slog.String("by_key", caller(c).KeyID))
	c.JSON(http.StatusOK, k)
}

// rotateKey handles POST /v1/keys/:id/rotate {"overlap": "24h"}: 201 with a new key of the
// same name and scopes; the old one works until now+overlap.
func (h *API) rotateKey(c *gin.Context) {
	id := h.keyID(c)
	if id == "" {
		return
	}
	var body rotateKeyBody
	if !h.decodeBody(c, &body, true, `{"overlap": "24h"}`) {
		return
	}
	overlap, err := tenants.ParseOverlap(body.Overlap)
	var invalid *tenants.InvalidError
	if errors.As(err, &invalid) {
		h.fail(c, http.StatusUnprocessableEntity, CodeInvalid, invalid.Reason, nil)
		return
	}
	t := tenant(c)
	old, created, secret, err := h.Store.RotateAPIKey(c, t.ID, id, overlap, h.now())
	if err != nil {
		h.keyFailed(c, id, "rotate", err)
		return
	}
	h.Log.Info("api key rotated", slog.String("tenant_id", t.ID), slog.String("key_id", old.ID), slog.String("new_key_id", created.ID),
		slog.Duration("overlap", overlap), slog.String("by_key", caller(c).KeyID))
	c.JSON(http.StatusCreated, createdKeyView{APIKey: created, Secret: secret, Replaces: old.ID, ReplacedExpiresAt: old.ExpiresAt})
}

func caller(c *gin.Context) store.Caller {
	return c.MustGet(callerKey).(store.Caller)
}
