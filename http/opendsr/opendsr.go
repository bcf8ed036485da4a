// Package opendsr is the processor side of the OpenDSR protocol (version 2.0, formerly
// OpenGDPR): controllers' tools discover what dsr supports, submit access, portability and
// erasure requests, follow and cancel them, and receive status callbacks. Every response is
// signed with the processor's key (X-OpenDSR-Signature, the base64 signature of the body)
// and names the processor's domain (X-OpenDSR-Processor-Domain); the certificate chain is
// served as PEM at the URL discovery names. The legacy OpenGDPR resource
// (opengdpr_requests) answers the same way with the X-OpenGDPR-* headers.
//
// Requests authenticate with the tenant's API key (Authorization: Bearer), as the v1 API
// does, and start as v1 submissions do (api.API.Submit): a controller's request needs no
// identity verification nor approval.
package opendsr

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dsr/http/api"
	"dsr/internal/domain"
	"dsr/internal/platform/signing"
	"dsr/internal/store"
	"dsr/internal/temporal/dispatch"
	"dsr/workflows"
)

// Prefix is where the OpenDSR routes live.
const Prefix = "/opendsr"

// Versions of the protocol.
const (
	// APIVersion is the OpenDSR version dsr implements, as discovery names it.
	APIVersion = "2.0"
)

// dialect is one name of the protocol: OpenDSR, or its legacy name OpenGDPR, with the
// resource, the headers and the api_version values that go with it.
type dialect struct {
	resource     string
	sigHeader    string
	domainHeader string
	versions     []string
	// regulationOptional: OpenGDPR requests predate the regulation field (GDPR only).
	regulationOptional bool
}

var (
	openDSR = dialect{resource: "requests", sigHeader: "X-OpenDSR-Signature", domainHeader: "X-OpenDSR-Processor-Domain",
		versions: []string{APIVersion}}
	openGDPR = dialect{resource: "opengdpr_requests", sigHeader: "X-OpenGDPR-Signature", domainHeader: "X-OpenGDPR-Processor-Domain",
		versions: []string{"1.0", "0.1"}, regulationOptional: true}
	dialects = []dialect{openDSR, openGDPR}
)

// dialectOf is the dialect of a recorded api_version.
func dialectOf(version string) dialect {
	for _, d := range dialects {
		for _, v := range d.versions {
			if v == version {
				return d
			}
		}
	}
	return openDSR
}

// Resolver resolves a hashed email identity against a tenant's chat store (the chat-store
// connector's EmailsByDigest).
type Resolver interface {
	EmailsByDigest(ctx context.Context, accountID string, f domain.IdentityFormat, digest string) ([]string, error)
}

// Handler serves the OpenDSR routes.
type Handler struct {
	// API authenticates (TenantOf) and submits requests (Submit) as the v1 API does.
	API      *api.API
	Store    *store.Store
	Dispatch *dispatch.Client
	// Identities resolves hashed emails.
	Identities Resolver
	Signer     *signing.Signer
	// PublicURL is where controllers reach dsr (discovery's certificate URL, results).
	PublicURL string
	// AllowLoopbackCallbacks accepts callback URLs on loopback hosts (and over plain http
	// there), for local installs and tests.
	AllowLoopbackCallbacks bool
	Log                    *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

const tenantKey = "dsr.opendsr.tenant"

// Register adds the OpenDSR routes under Prefix.
func (h *Handler) Register(r gin.IRouter) {
	g := r.Group(Prefix)
	g.GET("/discovery", h.discovery)
	g.GET("/cert.pem", h.certificate)
	for _, d := range dialects {
		rg := g.Group("/"+d.resource, h.authenticate(d))
		rg.POST("", h.create(d))
		rg.GET("/:id", h.status(d))
		rg.DELETE("/:id", h.cancel(d))
	}
}

// CertificateURL is the URL of the processor's certificate chain.
func (h *Handler) CertificateURL() string {
	return strings.TrimRight(h.PublicURL, "/") + Prefix + "/cert.pem"
}

// identityView is an identity type and format pair of discovery.
type identityView struct {
	Type   string                `json:"identity_type"`
	Format domain.IdentityFormat `json:"identity_format"`
}

// identityEmail is the one identity type dsr resolves: the chat store knows its subjects by
// email.
const identityEmail = "email"

func (h *Handler) discovery(c *gin.Context) {
	ids := make([]identityView, 0, len(domain.IdentityFormats))
	for _, f := range domain.IdentityFormats {
		ids = append(ids, identityView{Type: identityEmail, Format: f})
	}
	body := struct {
		APIVersion      string               `json:"api_version"`
		Identities      []identityView       `json:"supported_identities"`
		Types           []domain.OpenDSRType `json:"supported_subject_request_types"`
		Certificate     string               `json:"processor_certificate"`
		ProcessorDomain string               `json:"processor_domain"`
	}{APIVersion, ids, domain.OpenDSRTypes, h.CertificateURL(), h.Signer.Domain()}
	h.reply(c, http.StatusOK, body, dialects...)
}

func (h *Handler) certificate(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, "application/x-pem-file", h.Signer.ChainPEM())
}

// reply writes v as JSON, signed with the headers of each dialect.
func (h *Handler) reply(c *gin.Context, status int, v any, ds ...dialect) {
	body, err := json.Marshal(v)
	if err == nil {
		var sig string
		if sig, err = h.Signer.Sign(body); err == nil {
			for _, d := range ds {
				c.Header(d.sigHeader, sig)
				c.Header(d.domainHeader, h.Signer.Domain())
			}
			c.Header("Cache-Control", "no-store")
			c.Data(status, "application/json", body)
			c.Abort()
			return
		}
	}
	h.Log.Error("OpenDSR reply", slog.String("route", c.FullPath()), slog.Any("error", err))
	c.AbortWithStatusJSON(http.StatusInternalServerError, errorBody{Error: errorObject{Code: http.StatusInternalServerError, Message: "internal error"}})
}

// errorBody is the protocol's error shape: {"error": {"code", "message", "errors"}}.
type errorBody struct {
	Error errorObject `json:"error"`
}

type errorObject struct {
	Code    int           `json:"code"`
	Message string        `json:"message"`
	Errors  []errorDetail `json:"errors,omitempty"`
}

// errorDetail names what is wrong: the domain (Validation, Authentication, State), the
// reason (a stable word) and a message that names the field.
type errorDetail struct {
	Domain  string `json:"domain"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// Reasons of the error details.
const (
	reasonInvalid      = "InvalidField"
	reasonMissing      = "MissingField"
	reasonUnsupported  = "Unsupported"
	reasonUnknown      = "UnknownIdentity"
	reasonDuplicate    = "DuplicateSubjectRequestId"
	reasonState        = "InvalidState"
	reasonMalformed    = "MalformedBody"
	reasonUnauthorized = "Unauthorized"
	reasonNotFound     = "NotFound"
	reasonUnavailable  = "Unavailable"
)

// fail writes the error shape, signed; server errors are logged and hidden.
func (h *Handler) fail(c *gin.Context, d dialect, status int, details []errorDetail, err error) {
	if status >= 500 {
		h.Log.Error("OpenDSR request failed", slog.String("method", c.Request.Method), slog.String("route", c.FullPath()),
			slog.Int("status", status), slog.Any("error", err))
	}
	msg := http.StatusText(status)
	if len(details) > 0 {
		msg = details[0].Message
	}
	h.reply(c, status, errorBody{Error: errorObject{Code: status, Message: msg, Errors: details}}, d)
}

func (h *Handler) failOne(c *gin.Context, d dialect, status int, domainName, reason, message string, err error) {
	h.fail(c, d, status, []errorDetail{{Domain: domainName, Reason: reason, Message: message}}, err)
}

func (h *Handler) authenticate(d dialect) gin.HandlerFunc {
	return func(c *gin.Context) {
		t, err := h.API.TenantOf(c, c.GetHeader("Authorization"))
		if errors.Is(err, api.ErrUnauthorized) {
			h.failOne(c, d, http.StatusUnauthorized, "Authentication", reasonUnauthorized, api.UnauthorizedMessage(err), nil)
			return
		}
		if err != nil {
			h.failOne(c, d, http.StatusInternalServerError, "Server", "Internal", "could not check the API key", err)
			return
		}
		c.Set(tenantKey, t)
	}
}

func tenantOf(c *gin.Context) store.Tenant { return c.MustGet(tenantKey).(store.Tenant) }

// maxBody bounds a request body.
const maxBody = 64 << 10

func (h *Handler) create(d dialect) gin.HandlerFunc {
	return func(c *gin.Context) {
		t := tenantOf(c)
		raw, err := io.ReadAll(io.LimitReader(c.Request.Body, maxBody+1))
		if err != nil {
			h.failOne(c, d, http.StatusBadRequest, "Validation", reasonMalformed, "the body could not be read", nil)
			return
		}
		if len(raw) > maxBody {
			h.failOne(c, d, http.StatusBadRequest, "Validation", reasonMalformed, "the body is larger than 64 KiB", nil)
			return
		}
		sub, details := parseSubmission(raw, d, h.now(), h.Signer.Domain(), h.AllowLoopbackCallbacks)
		if len(details) > 0 {
			h.fail(c, d, http.StatusBadRequest, details, nil)
			return
		}
		email, detail, err := h.subjectEmail(c, t, sub.Identities)
		if err != nil {
			h.failOne(c, d, http.StatusInternalServerError, "Server", "Internal", "could not resolve the subject's identity", err)
			return
		}
		if detail != nil {
			h.fail(c, d, http.StatusBadRequest, []errorDetail{*detail}, nil)
			return
		}
		canonical, err := json.Marshal(sub)
		if err != nil {
			h.failOne(c, d, http.StatusInternalServerError, "Server", "Internal", "could not record the request", err)
			return
		}
		req, _, err := h.API.Submit(c, t, api.Submission{
			Type:           sub.Type.Right(),
			SubjectEmail:   email,
			Params:         sub.params(),
			Reference:      "opendsr:" + sub.SubjectRequestID,
			IdempotencyKey: IdempotencyKey(sub.SubjectRequestID),
			Canonical:      canonical,
		})
		var notStarted *api.NotStartedError
		switch {
		case errors.Is(err, store.ErrIdempotencyMismatch):
			h.failOne(c, d, http.StatusBadRequest, "Validation", reasonDuplicate,
				"subject_request_id "+sub.SubjectRequestID+" was submitted before with a different request", nil)
			return
		case err != nil && !errors.As(err, &notStarted):
			h.failOne(c, d, http.StatusInternalServerError, "Server", "Internal", "could not record the request", err)
			return
		}
		// Recorded: link it (idempotent) even when the workflow did not start yet.
		link := store.OpenDSRLink{TenantID: t.ID, SubjectRequestID: sub.SubjectRequestID, RequestID: req.ID,
			Regulation: sub.Regulation, APIVersion: sub.APIVersion, SubmittedAt: sub.SubmittedTime}
		if err := h.Store.LinkOpenDSR(c, link, sub.CallbackURLs); err != nil {
			h.failOne(c, d, http.StatusInternalServerError, "Server", "Internal", "could not record the request", err)
			return
		}
		if notStarted != nil {
			h.failOne(c, d, http.StatusServiceUnavailable, "Server", reasonUnavailable,
				"the request was recorded but could not be started yet; it will start automatically, or repeat the same submission", notStarted)
			return
		}
		h.reply(c, http.StatusCreated, struct {
			ControllerID     string    `json:"controller_id"`
			ExpectedAt       time.Time `json:"expected_completion_time"`
			ReceivedAt       time.Time `json:"received_time"`
			EncodedRequest   string    `json:"encoded_request"`
			SubjectRequestID string    `json:"subject_request_id"`
			APIVersion       string    `json:"api_version"`
		}{t.ID, expectedCompletion(req, req.Status.OpenDSR()), req.ReceivedAt.UTC().Truncate(time.Second), base64.StdEncoding.EncodeToString(raw),
			sub.SubjectRequestID, sub.APIVersion}, d)
	}
}

// IdempotencyKey is the idempotency key of an OpenDSR submission: a repeated POST with the
// same subject_request_id finds the first request.
func IdempotencyKey(subjectRequestID string) string { return "opendsr:" + subjectRequestID }

// subjectEmail picks the subject's email from the identities: the first raw email, else
// the first digest that resolves to exactly one email of the tenant's chat store. detail
// is set when none does.
func (h *Handler) subjectEmail(ctx context.Context, t store.Tenant, ids []identity) (string, *errorDetail, error) {
	for _, id := range ids {
		if id.Format == domain.IdentityRaw {
			return id.Value, nil, nil
		}
	}
	for _, id := range ids {
		emails, err := h.Identities.EmailsByDigest(ctx, t.ID, id.Format, id.Value)
		if err != nil {
			return "", nil, err
		}
		if len(emails) == 1 {
			return emails[0], nil, nil
		}
	}
	return "", &errorDetail{Domain: "Validation", Reason: reasonUnknown,
		Message: "subject_identities: no end-user or agent of this controller has an email with the digests given; send the raw email to have the request recorded"}, nil
}

// load finds the tenant's request by its subject_request_id; unknown and malformed ids
// are 404.
func (h *Handler) load(c *gin.Context, d dialect) (store.OpenDSRLink, store.Request, bool) {
	id := c.Param("id")
	notFound := func() {
		h.failOne(c, d, http.StatusNotFound, "Request", reasonNotFound, "no request with subject_request_id "+id, nil)
	}
	if !domain.ValidID(id) {
		notFound()
		return store.OpenDSRLink{}, store.Request{}, false
	}
	t := tenantOf(c)
	link, err := h.Store.OpenDSRBySubjectRequest(c, t.ID, id)
	var req store.Request
	if err == nil {
		req, err = h.Store.GetRequest(c, t.ID, link.RequestID)
	}
	if errors.Is(err, store.ErrNotFound) {
		notFound()
		return link, req, false
	}
	if err != nil {
		h.failOne(c, d, http.StatusInternalServerError, "Server", "Internal", "could not read the request", err)
		return link, req, false
	}
	return link, req, true
}

func (h *Handler) status(d dialect) gin.HandlerFunc {
	return func(c *gin.Context) {
		link, req, ok := h.load(c, d)
		if !ok {
			return
		}
		h.reply(c, http.StatusOK, h.statusBody(link, req), d)
	}
}

func (h *Handler) cancel(d dialect) gin.HandlerFunc {
	return func(c *gin.Context) {
		link, req, ok := h.load(c, d)
		if !ok {
			return
		}
		if req.Status != domain.StatusCanceled {
			if req.Status.Final() {
				h.failOne(c, d, http.StatusBadRequest, "State", reasonState,
					"the request is "+string(req.Status.OpenDSR())+" and can no longer be cancelled", nil)
				return
			}
			_, err := h.Dispatch.Decide(c, req.ID, workflows.UpdateCancel, workflows.Decision{
				Actor: domain.TenantActor(link.TenantID), Reason: "cancelled by the controller over OpenDSR"})
			var rej *dispatch.Rejection
			switch {
			case errors.As(err, &rej):
				h.failOne(c, d, http.StatusBadRequest, "State", reasonState, "the request cannot be cancelled now: "+rej.Message, nil)
				return
			case err != nil:
				h.failOne(c, d, http.StatusServiceUnavailable, "Server", reasonUnavailable, "the workflow engine did not answer; try again", err)
				return
			}
		}
		h.reply(c, http.StatusAccepted, struct {
			ControllerID     string    `json:"controller_id"`
			SubjectRequestID string    `json:"subject_request_id"`
			ReceivedAt       time.Time `json:"received_time"`
			APIVersion       string    `json:"api_version"`
		}{link.TenantID, link.SubjectRequestID, h.now().UTC().Truncate(time.Second), link.APIVersion}, d)
	}
}
