package dashboard

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/tenants"
)

// tenantData is a tenant's page: its facts and its API keys.
type tenantData struct {
	Tenant store.Tenant
	Keys   []keyRow
	Scopes []domain.KeyScope
	// Overlaps are the rotation form's choices.
	Overlaps []overlapChoice
	// Form is what the new-key form shows; Error why the values posted were refused.
	Form  keyForm
	Error string
	// Created is a key just made (or made by a rotation), with its secret in the clear: it
	// is on this one answer only, never kept, never logged.
	Created *createdKey
}

// keyRow is one key as the page lists it.
type keyRow struct {
	store.APIKey
	// Active is set while the key authenticates; State says in words what it is.
	Active bool
	State  string
}

// keyForm is the new-key form's values as posted, to show them again.
type keyForm struct {
	Name   string
	Scopes map[domain.KeyScope]bool
}

// overlapChoice is one choice of how long a rotated key keeps working.
type overlapChoice struct {
	Value, Label string
	Default      bool
}

var overlapChoices = []overlapChoice{
	{Value: "0", Label: "none: refuse the old key at once"},
	{Value: "1h", Label: "1 hour"},
	{Value: "24h", Label: "24 hours", Default: true},
	{Value: "72h", Label: "3 days"},
	{Value: "7d", Label: "7 days"},
}

// createdKey is a key just made, its secret, and on a rotation the key it replaces.
type createdKey struct {
	Key      store.APIKey
	Secret   string
	Replaced *store.APIKey
}

// newKeyForm is the empty new-key form: least privilege ticked.
var newKeyForm = keyForm{Scopes: map[domain.KeyScope]bool{domain.KeyScopeRequests: true}}

func (h *Dashboard) tenant(c *gin.Context) {
	h.tenantPage(c, http.StatusOK, tenantData{Form: newKeyForm})
}

// tenantPage renders the tenant's page with d's form, notice or new key.
func (h *Dashboard) tenantPage(c *gin.Context, status int, d tenantData) {
	t, err := h.Store.GetTenant(c, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		h.fail(c, http.StatusNotFound, "There is no such tenant.", nil)
		return
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The tenant could not be read.", err)
		return
	}
	keys, err := h.Store.APIKeys(c, t.ID)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The tenant's API keys could not be read.", err)
		return
	}
	now := h.now()
	d.Tenant, d.Scopes, d.Overlaps = t, domain.KeyScopes, overlapChoices
	for _, k := range keys {
		d.Keys = append(d.Keys, keyRow{APIKey: k, Active: k.Active(now), State: keyState(k, now)})
	}
	h.render(c, status, "tenant", t.Name, d)
}

// keyState says what a key is at now.
func keyState(k store.APIKey, now time.Time) string {
	switch {
	case k.RevokedAt != nil:
		return "revoked " + k.RevokedAt.UTC().Format("2006-01-02 15:04 UTC")
	case k.ExpiresAt != nil && !k.ExpiresAt.After(now):
		return "expired " + k.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
	case k.ExpiresAt != nil:
		return "rotated: works until " + k.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	return "active"
}

// createKey makes a key for the tenant and shows its secret once. Bad values come back in
// the form, with the reason, as 422.
func (h *Dashboard) createKey(c *gin.Context) {
	f := keyForm{Name: c.PostForm("name"), Scopes: map[domain.KeyScope]bool{}}
	var scopes []domain.KeyScope
	for _, s := range c.PostFormArray("scopes") {
		scopes = append(scopes, domain.KeyScope(s))
		f.Scopes[domain.KeyScope(s)] = true
	}
	k, secret, err := tenants.CreateKey(c, h.Store, c.Param("id"), tenants.NewKey{Name: f.Name, Scopes: scopes}, h.now())
	var invalid *tenants.InvalidError
	switch {
	case errors.As(err, &invalid):
		h.tenantPage(c, http.StatusUnprocessableEntity, tenantData{Form: f, Error: "Not created: " + invalid.Reason + "."})
		return
	case errors.Is(err, store.ErrNotFound):
		h.fail(c, http.StatusNotFound, "There is no such tenant.", nil)
		return
	case err != nil:
		h.fail(c, http.StatusInternalServerError, "The API key could not be created.", err)
		return
	}
	// Ids only: the secret must never reach a log.
	h.Log.Info("api key created", slog.String("tenant_id", k.TenantID), slog.String("key_id", k.ID), slog.String("by", user(c).ID))
	h.tenantPage(c, http.StatusOK, tenantData{Form: newKeyForm, Created: &createdKey{Key: k, Secret: secret}})
}

// keyFailed answers the store's refusals of a change to a key.
func (h *Dashboard) keyFailed(c *gin.Context, doing string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.fail(c, http.StatusNotFound, "The tenant has no such API key.", nil)
	case errors.Is(err, store.ErrLastAdminKey), errors.Is(err, store.ErrKeyInactive):
		h.flash(c, "error", "Not "+doing+": "+err.Error()+".", "/tenants/"+c.Param("id"))
	default:
		h.fail(c, http.StatusInternalServerError, "The API key could not be "+doing+".", err)
	}
}

// revokeKey revokes one of the tenant's keys at once.
func (h *Dashboard) revokeKey(c *gin.Context) {
	k, err := h.Store.RevokeAPIKey(c, c.Param("id"), c.Param("key"), h.now())
	if err != nil {
		h.keyFailed(c, "revoked", err)
		return
	}
	h.Log.Info("api key revoked", slog.String("tenant_id", k.TenantID), slog.String("key_id", k.ID), slog.String("by", user(c).ID))
	h.flash(c, "ok", "Revoked the key "+k.Name+" ("+k.Prefix+"…): it is refused from now on.", "/tenants/"+k.TenantID)
}

// rotateKey replaces one of the tenant's keys by a new one of the same name and scopes,
// shown once; the old one works for the overlap chosen.
func (h *Dashboard) rotateKey(c *gin.Context) {
	overlap, err := tenants.ParseOverlap(c.PostForm("overlap"))
	var invalid *tenants.InvalidError
	if errors.As(err, &invalid) {
		h.flash(c, "error", "Not rotated: "+invalid.Reason+".", "/tenants/"+c.Param("id"))
		return
	}
	old, created, secret, err := h.Store.RotateAPIKey(c, c.Param("id"), c.Param("key"), overlap, h.now())
	if err != nil {
		h.keyFailed(c, "rotated", err)
		return
	}
	h.Log.Info("api key rotated", slog.String("tenant_id", old.TenantID), slog.String("key_id", old.ID),
		slog.String("new_key_id", created.ID), slog.Duration("overlap", overlap), slog.String("by", user(c).ID))
	h.tenantPage(c, http.StatusOK, tenantData{Form: newKeyForm, Created: &createdKey{Key: created, Secret: secret, Replaced: &old}})
}
