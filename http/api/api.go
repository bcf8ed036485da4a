// Package api is the customer admin API v1: tenants submit, follow, approve, deny and cancel
// data-subject requests for their end-users and agents, and download packages. Every call
// authenticates with a tenant's API key and sees only that tenant's requests.
package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	apibody "dsr/http/api/body"
	"dsr/http/api/request"
	"dsr/internal/deadline"
	"dsr/internal/documents/bundle"
	"dsr/internal/documents/evidence"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/temporal/dispatch"
	"dsr/workflows"
)

// API holds the handlers' dependencies.
type API struct {
	Store *store.Store
	// Dispatch starts requests' workflows and sends them the tenant's decisions.
	Dispatch   *dispatch.Client
	PackageDir string
	Log        *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Webhooks, when set, serves the tenant's webhook subscriptions under /v1/webhooks.
	Webhooks *Webhooks
	// RefuseDuplicates answers 409 duplicate_request to a request for a subject and right
	// that the tenant has an open request for (DSR_DUPLICATES).
	RefuseDuplicates bool
}

// Keys of what authenticate puts in the request's context.
const (
	tenantKey = "dsr.tenant"
	callerKey = "dsr.caller"
)

// Register adds the v1 routes to r. Every route needs an API key; the requests' routes
// the scope requests (which admin grants), the keys' routes the scope admin.
func (h *API) Register(r gin.IRouter) {
	r.GET("/v1/openapi.json", serveOpenAPI)
	auth := r.Group("/v1", h.authenticate)
	admin := auth.Group("", h.RequireScope(domain.KeyScopeAdmin))
	admin.GET("/keys", h.listKeys)
	admin.POST("/keys", h.createKey)
	admin.POST("/keys/:id/revoke", h.revokeKey)
	admin.POST("/keys/:id/rotate", h.rotateKey)

	v1 := auth.Group("", h.RequireScope(domain.KeyScopeRequests))
	v1.POST("/requests", h.create)
	v1.GET("/requests", h.list)
	v1.GET("/requests/:id", h.get)
	v1.GET("/requests/:id/package", h.pkg)
	v1.GET("/requests/:id/evidence", h.evidence)
	v1.POST("/requests/:id/cancel", h.action(workflows.UpdateCancel, false))
	v1.POST("/requests/:id/approve", h.action(workflows.UpdateApprove, false))
	v1.POST("/requests/:id/deny", h.action(workflows.UpdateDeny, true))
	v1.POST("/requests/:id/extend", h.action(workflows.UpdateExtend, true))
	v1.POST("/requests/:id/pause", h.action(workflows.UpdatePause, true))
	v1.POST("/requests/:id/resume", h.action(workflows.UpdateResume, true))
	v1.GET("/reports/sla", h.slaReport)
	if h.Webhooks != nil {
		h.Webhooks.Register(admin.Group("/webhooks"))
	}
}

// Error codes of the JSON error shape.
const (
	CodeBadRequest       = "bad_request"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeTooLarge         = "body_too_large"
	CodeConflict         = "conflict"
	CodeDuplicate        = "duplicate_request"
	CodeInvalid          = "invalid_request"
	CodeIdempotency      = "idempotency_key_reused"
	CodeInternal         = "internal"
	CodeUnavailable      = "unavailable"
)

// ErrorCodes are every code of the JSON error shape; the OpenAPI document lists the same.
var ErrorCodes = []string{CodeBadRequest, CodeUnauthorized, CodeForbidden, CodeNotFound, CodeMethodNotAllowed, CodeTooLarge, CodeConflict,
	CodeDuplicate, CodeInvalid, CodeIdempotency, CodeInternal, CodeUnavailable}

// Fail writes the JSON error shape. Server errors are logged and hidden from the caller.
func Fail(c *gin.Context, log *slog.Logger, status int, code, message string, err error) {
	if status >= 500 {
		log.Error("request failed", slog.String("method", c.Request.Method), slog.String("route", c.FullPath()),
			slog.Int("status", status), slog.Any("error", err))
	}
	c.AbortWithStatusJSON(status, gin.H{"error": gin.H{"code": code, "message": message}})
}

func (h *API) fail(c *gin.Context, status int, code, message string, err error) {
	Fail(c, h.Log, status, code, message, err)
}

func (h *API) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// ErrUnauthorized is returned by TenantOf for a missing, unknown or revoked API key; its
// message says which, for the caller.
var ErrUnauthorized = errors.New("unauthorized")

// TenantOf returns the tenant whose API key the Authorization header carries as a Bearer
// token. A missing, unknown, revoked or expired key is an error wrapping ErrUnauthorized.
func (h *API) TenantOf(ctx context.Context, authorization string) (store.Tenant, error) {
	caller, err := h.CallerOf(ctx, authorization)
	return caller.Tenant, err
}

// CallerOf returns the API key (with its tenant and scopes) the Authorization header
// carries as a Bearer token. A missing, unknown, revoked or expired key is an error
// wrapping ErrUnauthorized.
func (h *API) CallerOf(ctx context.Context, authorization string) (store.Caller, error) {
	key, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || strings.TrimSpace(key) == "" {
		return store.Caller{}, fmt.Errorf("missing API key: send Authorization: Bearer <api key>: %w", ErrUnauthorized)
	}
	// Checked in PostgreSQL on every call, never cached: a revocation holds at once on
	// every replica.
	caller, err := h.Store.AuthenticateAPIKey(ctx, strings.TrimSpace(key), h.now())
	if errors.Is(err, store.ErrNotFound) {
		return caller, fmt.Errorf("unknown, revoked or expired API key: %w", ErrUnauthorized)
	}
	if err != nil {
		return caller, fmt.Errorf("check the API key: %w", err)
	}
	return caller, nil
}

// UnauthorizedMessage is what the caller is told of an error wrapping ErrUnauthorized.
func UnauthorizedMessage(err error) string {
	return strings.TrimSuffix(err.Error(), ": "+ErrUnauthorized.Error())
}

func (h *API) authenticate(c *gin.Context) {
	caller, err := h.CallerOf(c, c.GetHeader("Authorization"))
	if errors.Is(err, ErrUnauthorized) {
		h.fail(c, http.StatusUnauthorized, CodeUnauthorized, UnauthorizedMessage(err), nil)
		return
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not check the API key", err)
		return
	}
	c.Set(tenantKey, caller.Tenant)
	c.Set(callerKey, caller)
}

// RequireScope is the middleware of a route group that needs an API key with scope (or
// one that grants it: admin grants every scope); other keys get 403 forbidden naming it.
// It goes after authentication.
func (h *API) RequireScope(scope domain.KeyScope) gin.HandlerFunc {
	return func(c *gin.Context) {
		caller := caller(c)
		if !scope.GrantedBy(caller.Scopes) {
			h.fail(c, http.StatusForbidden, CodeForbidden, fmt.Sprintf("this API key has scope %s; this call needs scope %s",
				domain.JoinNames(caller.Scopes), scope), nil)
			return
		}
		c.Next()
	}
}

func tenant(c *gin.Context) store.Tenant {
	return c.MustGet(tenantKey).(store.Tenant)
}

// decisionDecoder decodes a decision's body, {"reason"} (optional).
var decisionDecoder = apibody.Decoder{Limit: 16 << 10, AllowEmpty: true}

// decisionBody is the body of the decision routes (approve, deny, extend, ...).
type decisionBody struct {
	Reason string `json:"reason"`
}

// validate checks the reason's text.
func (b decisionBody) validate() error {
	if err := domain.CheckText(b.Reason, domain.MaxReasonLen); err != nil {
		return fmt.Errorf("reason %w", err)
	}
	return nil
}

// failBody answers a body the decoder refused: 413, 422 or 400 with the field's path.
func (h *API) failBody(c *gin.Context, what string, err error) {
	FailBody(c, h.Log, what, err)
}

// FailBody answers a body an apibody.Decoder refused: 413, 422 or 400 with the field's
// path; what names the body ("a request").
func FailBody(c *gin.Context, log *slog.Logger, what string, err error) {
	var be *apibody.Error
	if !errors.As(err, &be) {
		Fail(c, log, http.StatusBadRequest, CodeBadRequest, "the body could not be read", nil)
		return
	}
	code := CodeBadRequest
	switch be.Status() {
	case http.StatusRequestEntityTooLarge:
		code = CodeTooLarge
	case http.StatusUnprocessableEntity:
		code = CodeInvalid
	}
	Fail(c, log, be.Status(), code, "body is not valid JSON for "+what+": "+be.Error(), nil)
}

// Submission is a controller's request, validated, as Submit records it.
type Submission struct {
	Type         domain.RequestType
	SubjectEmail string
	Params       store.Params
	Reference    string
	// IdempotencyKey, when set, makes a repeated submission return the first request.
	IdempotencyKey string
	// Canonical is the submission in a canonical encoding: a repeat with the same key and
	// a different encoding is refused with store.ErrIdempotencyMismatch.
	Canonical []byte
	// RefuseDuplicates refuses the submission with a *store.DuplicateError while the
	// tenant has an open request for the same subject and right.
	RefuseDuplicates bool
}

// NotStartedError is returned by Submit when the request was recorded but its workflow
// could not be started yet; the resume pass starts it, or a repeat of the submission.
type NotStartedError struct {
	RequestID string
	Err       error
}

func (e *NotStartedError) Error() string { return e.Err.Error() }
func (e *NotStartedError) Unwrap() error { return e.Err }

// Submit records a controller's request with its deadlines and starts its workflow, as
// every API that takes requests from a controller does: such a request needs no identity
// verification nor approval. created is false for a repeat of an earlier submission (same
// idempotency key and canonical body), whose request it returns.
func (h *API) Submit(ctx context.Context, t store.Tenant, s Submission) (req store.Request, created bool, err error) {
	sum := sha256.Sum256(s.Canonical)
	received := h.now().UTC()
	due, err := deadline.Compute(received, deadline.Policy{Country: t.Country, TZ: t.TZ, TargetDays: t.TargetDays})
	if err != nil {
		return req, false, fmt.Errorf("compute the deadlines of tenant %s: %w", t.ID, err)
	}
	req, created, err = h.Store.CreateRequest(ctx, store.NewRequest{
		TenantID:       t.ID,
		Type:           s.Type,
		Source:         domain.SourceAPI,
		SubjectEmail:   s.SubjectEmail,
		Params:         s.Params,
		Reference:      s.Reference,
		IdempotencyKey: s.IdempotencyKey,
		RequestHash:    hex.EncodeToString(sum[:]),
		ReceivedAt:     received,
		ClockStartedAt: &received,
		TargetDue:      due.Target.Time(),
		LegalDue:       due.Legal.Time(),
		ExtendedDue:    due.Extended.Time(),

		RefuseDuplicates: s.RefuseDuplicates,
	})
	if err != nil {
		return req, false, err
	}
	// Start (or, on a replay, make sure of) the workflow before answering: a request
	// answered as created is running. If this fails the row stays and the resume pass
	// starts it.
	if err := h.Dispatch.Start(ctx, t, req); err != nil {
		return req, created, &NotStartedError{RequestID: req.ID, Err: err}
	}
	if created {
		h.Log.Info("request created", slog.String("request_id", req.ID), slog.String("tenant_id", t.ID), slog.String("type", string(req.Type)))
	}
	return req, created, nil
}

func (h *API) create(c *gin.Context) {
	t := tenant(c)
	var body request.Body
	if err := request.Decoder.Decode(c.Request.Body, &body); err != nil {
		h.failBody(c, "a request", err)
		return
	}
	if err := body.Validate(); err != nil {
		h.fail(c, http.StatusUnprocessableEntity, CodeInvalid, err.Error(), nil)
		return
	}
	key := c.GetHeader("Idempotency-Key")
	if len(key) > 255 {
		h.fail(c, http.StatusBadRequest, CodeBadRequest, "Idempotency-Key is longer than 255 characters", nil)
		return
	}
	canonical, err := json.Marshal(body)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not record the request", err)
		return
	}
	req, created, err := h.Submit(c, t, Submission{
		Type:         body.Type,
		SubjectEmail: body.Subject.Email,
		Params: store.Params{
			Rectification:     body.Rectification,
			ErasureScope:      body.ErasureScope,
			ObjectionPurposes: body.ObjectionPurposes,
		},
		Reference:      body.Reference,
		IdempotencyKey: key,
		Canonical:      canonical,
		// A controller's tool may send the same request twice; refused, or joined
		// by its Idempotency-Key.
		RefuseDuplicates: h.RefuseDuplicates,
	})
	var notStarted *NotStartedError
	var dup *store.DuplicateError
	switch {
	case errors.As(err, &dup):
		h.duplicate(c, dup.Open)
		return
	case errors.Is(err, store.ErrIdempotencyMismatch):
		h.fail(c, http.StatusUnprocessableEntity, CodeIdempotency, "this Idempotency-Key was used with a different request body", nil)
		return
	case errors.As(err, &notStarted):
		h.fail(c, http.StatusServiceUnavailable, CodeUnavailable,
			"the request "+notStarted.RequestID+" was recorded but could not be started yet; it will start automatically, or retry with the same Idempotency-Key", err)
		return
	case err != nil:
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not record the request", err)
		return
	}
	if !created {
		c.Header("Idempotent-Replayed", "true")
	}
	events, err := h.Store.Events(c, req.ID)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not read the request", err)
		return
	}
	c.JSON(http.StatusCreated, view(req, events, true))
}

// duplicate answers a request that repeats the open request open: 409 with its id, in the
// message, the error's request_id and the Location header.
func (h *API) duplicate(c *gin.Context, open store.Request) {
	c.Header("Location", "/v1/requests/"+open.ID)
	c.AbortWithStatusJSON(http.StatusConflict, gin.H{"error": gin.H{
		"code":       CodeDuplicate,
		"message":    "request " + open.ID + " for the same subject and right is open (" + string(open.Status) + "); follow it instead",
		"request_id": open.ID,
	}})
}

func (h *API) load(c *gin.Context) (store.Request, bool) {
	if !domain.ValidID(c.Param("id")) {
		h.fail(c, http.StatusNotFound, CodeNotFound, "no such request: a request id is a lower-case UUID", nil)
		return store.Request{}, false
	}
	req, err := h.Store.GetRequest(c, tenant(c).ID, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		h.fail(c, http.StatusNotFound, CodeNotFound, "no request "+c.Param("id"), nil)
		return req, false
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not read the request", err)
		return req, false
	}
	return req, true
}

func (h *API) get(c *gin.Context) {
	req, ok := h.load(c)
	if !ok {
		return
	}
	events, err := h.Store.Events(c, req.ID)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not read the request's events", err)
		return
	}
	c.JSON(http.StatusOK, view(req, events, true))
}

func (h *API) list(c *gin.Context) {
	if !single(c, h.Log, "status", "type") {
		return
	}
	f := store.ListFilter{TenantID: tenant(c).ID, Status: domain.Status(c.Query("status")), Type: domain.RequestType(c.Query("type")), After: c.Query("cursor")}
	if f.Status != "" && !f.Status.Valid() {
		h.fail(c, http.StatusBadRequest, CodeBadRequest, "status must be one of "+domain.JoinNames(domain.Statuses), nil)
		return
	}
	if f.Type != "" && !f.Type.Valid() {
		h.fail(c, http.StatusBadRequest, CodeBadRequest, "type must be one of "+domain.JoinNames(domain.RequestTypes), nil)
		return
	}
	var ok bool
	if f.After, f.Limit, ok = page(c, h.Log); !ok {
		return
	}
	reqs, more, err := h.Store.ListRequests(c, f)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not list requests", err)
		return
	}
	out := struct {
		Requests   []requestView `json:"requests"`
		NextCursor string        `json:"next_cursor,omitempty"`
	}{Requests: make([]requestView, 0, len(reqs))}
	for _, r := range reqs {
		out.Requests = append(out.Requests, view(r, nil, false))
	}
	if more {
		out.NextCursor = reqs[len(reqs)-1].ID
	}
	c.JSON(http.StatusOK, out)
}

// single answers 400 and returns false when one of the query parameters names is given
// more than once: which one counts would be a guess.
func single(c *gin.Context, log *slog.Logger, names ...string) bool {
	for _, name := range names {
		if len(c.QueryArray(name)) > 1 {
			Fail(c, log, http.StatusBadRequest, CodeBadRequest, name+" is given more than once", nil)
			return false
		}
	}
	return true
}

// page reads a list's cursor (an id this API gave out) and limit (1 to 200, default 50);
// false when it answered 400.
func page(c *gin.Context, log *slog.Logger) (cursor string, limit int, ok bool) {
	if !single(c, log, "cursor", "limit") {
		return "", 0, false
	}
	cursor, limit = c.Query("cursor"), 50
	if cursor != "" && !domain.ValidID(cursor) {
		Fail(c, log, http.StatusBadRequest, CodeBadRequest, "cursor is not one this API gave out", nil)
		return "", 0, false
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			Fail(c, log, http.StatusBadRequest, CodeBadRequest, "limit must be a whole number from 1 to 200", nil)
			return "", 0, false
		}
		limit = n
	}
	return cursor, limit, true
}

// action handles the updates a tenant may send: cancel, approve, deny.
func (h *API) action(update string, needReason bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		req, ok := h.load(c)
		if !ok {
			return
		}
		var body decisionBody
		if err := decisionDecoder.Decode(c.Request.Body, &body); err != nil {
			h.failBody(c, `a decision (like {"reason": "..."})`, err)
			return
		}
		if err := body.validate(); err != nil {
			h.fail(c, http.StatusUnprocessableEntity, CodeInvalid, err.Error(), nil)
			return
		}
		if needReason && strings.TrimSpace(body.Reason) == "" {
			h.fail(c, http.StatusUnprocessableEntity, CodeInvalid, update+" needs a reason", nil)
			return
		}
		if req.Status.Final() {
			h.fail(c, http.StatusConflict, CodeConflict, "the request is "+string(req.Status)+"; nothing can change it now", nil)
			return
		}
		_, err := h.Dispatch.Decide(c, req.ID, update, workflows.Decision{Actor: domain.TenantActor(tenant(c).ID), Reason: body.Reason})
		var rej *dispatch.Rejection
		switch {
		case errors.As(err, &rej):
			h.fail(c, http.StatusConflict, CodeConflict, rej.Message, nil)
			return
		case err != nil:
			h.fail(c, http.StatusServiceUnavailable, CodeUnavailable, "the workflow engine did not answer; try again", err)
			return
		}
		h.get(c)
	}
}

func (h *API) pkg(c *gin.Context) {
	req, ok := h.load(c)
	if !ok {
		return
	}
	if !req.Type.Exports() {
		h.fail(c, http.StatusConflict, CodeConflict, "only access and portability requests have a package", nil)
		return
	}
	if req.Status != domain.StatusCompleted {
		h.fail(c, http.StatusConflict, CodeConflict, "the package is not ready: the request is "+string(req.Status), nil)
		return
	}
	f, modTime, err := bundle.Open(h.PackageDir, req.ID)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "the package could not be read", err)
		return
	}
	defer f.Close() //nolint:errcheck // read only
	c.Header("Content-Disposition", `attachment; filename="dsr-`+req.ID+`.zip"`)
	http.ServeContent(c.Writer, c.Request, "package.zip", modTime, f)
}

// evidence sends the request's evidence pack (PDF).
func (h *API) evidence(c *gin.Context) {
	req, ok := h.load(c)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := evidence.PDF(c, h.Store, req.ID, &buf); err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not make the evidence pack", err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="evidence-`+req.ID+`.pdf"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/pdf", buf.Bytes())
}

// requestView is the API's shape of a request.
type requestView struct {
	ID           string              `json:"id"`
	Type         domain.RequestType  `json:"type"`
	Status       domain.Status       `json:"status"`
	StatusReason string              `json:"status_reason,omitempty"`
	Subject      subjectView         `json:"subject"`
	Reference    string              `json:"reference,omitempty"`
	DSRReference string              `json:"dsr_reference"`
	ErasureScope domain.ErasureScope `json:"erasure_scope,omitempty"`
	Purposes     []domain.Purpose    `json:"objection_purposes,omitempty"`
	Fields       []string            `json:"rectification_fields,omitempty"`
	ReceivedAt   time.Time           `json:"received_at"`
	TargetDue    string              `json:"target_due,omitempty"`
	LegalDue     string              `json:"legal_due,omitempty"`
	ExtendedDue  string              `json:"extended_due,omitempty"`
	CompletedAt  *time.Time          `json:"completed_at"`
	Clock        clockView           `json:"clock"`
	Result       json.RawMessage     `json:"result"`
	Events       *[]store.Event      `json:"events,omitempty"`
}

// clockView is the state of a request's clocks.
type clockView struct {
	AtRiskAt         *time.Time `json:"at_risk_at,omitempty"`
	TargetBreachedAt *time.Time `json:"target_breached_at,omitempty"`
	LegalBreachedAt  *time.Time `json:"legal_breached_at,omitempty"`
	BreachReason     string     `json:"breach_reason,omitempty"`
	ExtendedAt       *time.Time `json:"extended_at,omitempty"`
	ExtensionReason  string     `json:"extension_reason,omitempty"`
	Paused           bool       `json:"paused"`
	PausedDays       int        `json:"paused_days"`
}

type subjectView struct {
	// Email is the subject's address, or, once the retention period is over, the keyed
	// hash that replaced it ("hmac-sha256:..."), from MinimisedAt on.
	Email       string     `json:"email"`
	MinimisedAt *time.Time `json:"minimised_at,omitempty"`
}

// view shapes a request for the API; withEvents adds its events (a list, possibly empty).
func view(r store.Request, events []store.Event, withEvents bool) requestView {
	v := requestView{
		ID: r.ID, Type: r.Type, Status: r.Status, Subject: subjectView{Email: r.SubjectEmail, MinimisedAt: r.MinimisedAt},
		ReceivedAt: r.ReceivedAt.UTC(), CompletedAt: r.CompletedAt,
		ErasureScope: r.Params.ErasureScope, Purposes: r.Params.ObjectionPurposes,
		TargetDue: date(r.TargetDue), LegalDue: date(r.LegalDue), ExtendedDue: date(r.ExtendedDue),
	}
	v.Clock = clockView{AtRiskAt: r.AtRiskAt, TargetBreachedAt: r.TargetBreachedAt, LegalBreachedAt: r.LegalBreachedAt,
		ExtendedAt: r.ExtendedAt, Paused: r.PausedAt != nil, PausedDays: r.PausedDays}
	if r.BreachReason != nil {
		v.Clock.BreachReason = *r.BreachReason
	}
	if r.ExtensionReason != nil {
		v.Clock.ExtensionReason = *r.ExtensionReason
	}
	if withEvents {
		if events == nil {
			events = []store.Event{}
		}
		v.Events = &events
	}
	for f := range r.Params.Rectification {
		v.Fields = append(v.Fields, f)
	}
	slices.Sort(v.Fields)
	if r.StatusReason != nil {
		v.StatusReason = *r.StatusReason
	}
	if r.Reference != nil && r.Source != domain.SourceMail {
		v.Reference = *r.Reference
	}
	v.DSRReference = r.Ref()
	if len(r.Result) > 0 {
		v.Result = json.RawMessage(r.Result)
	} else {
		v.Result = json.RawMessage("null")
	}
	if v.CompletedAt != nil {
		t := v.CompletedAt.UTC()
		v.CompletedAt = &t
	}
	return v
}

func date(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}
