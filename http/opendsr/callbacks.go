package opendsr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/workflows"
)

// statusBody is a request's status as GET returns it and as callbacks carry it (with
// StatusCallbackURL).
type statusBody struct {
	ControllerID      string               `json:"controller_id"`
	ExpectedAt        time.Time            `json:"expected_completion_time"`
	StatusCallbackURL string               `json:"status_callback_url,omitempty"`
	SubjectRequestID  string               `json:"subject_request_id"`
	RequestStatus     domain.OpenDSRStatus `json:"request_status"`
	APIVersion        string               `json:"api_version"`
	ResultsURL        string               `json:"results_url,omitempty"`
	ResultsCount      *int64               `json:"results_count,omitempty"`
	// Extensions carry, under the processor's domain, dsr's own status when the protocol's
	// says less: a denied or failed request is reported as cancelled.
	Extensions map[string]statusExtension `json:"extensions,omitempty"`
}

type statusExtension struct {
	Status domain.Status `json:"dsr_status"`
}

func (h *Handler) statusBody(link store.OpenDSRLink, req store.Request, callbackURL string) statusBody {
	b := statusBody{
		ControllerID: link.TenantID, ExpectedAt: expectedCompletion(req), StatusCallbackURL: callbackURL,
		SubjectRequestID: link.SubjectRequestID, RequestStatus: req.Status.OpenDSR(), APIVersion: link.APIVersion,
	}
	if req.Status == domain.StatusDenied || req.Status == domain.StatusFailed {
		b.Extensions = map[string]statusExtension{h.Signer.Domain(): {Status: req.Status}}
	}
	if req.Status != domain.StatusCompleted {
		return b
	}
	if req.Type.Exports() {
		// The package, downloaded with the controller's API key.
		b.ResultsURL = strings.TrimRight(h.PublicURL, "/") + "/v1/requests/" + req.ID + "/package"
	}
	var res workflows.Result
	if len(req.Result) > 0 && json.Unmarshal(req.Result, &res) == nil {
		var n int64
		rows := func(m map[string]int64) {
			for _, v := range m {
				n += v
			}
		}
		if res.Package != nil {
			rows(res.Package.Rows)
		} else {
			for _, o := range res.Connectors {
				rows(o.Rows)
			}
		}
		b.ResultsCount = &n
	}
	return b
}

// expectedCompletion is when the request is done or expected to be: its completion, else
// the end (UTC) of its due day: the extended one when it was extended, the target.
func expectedCompletion(req store.Request) time.Time {
	if req.CompletedAt != nil {
		return req.CompletedAt.UTC().Truncate(time.Second)
	}
	due := req.TargetDue
	if req.ExtendedAt != nil && req.ExtendedDue != nil {
		due = req.ExtendedDue
	}
	if due == nil {
		due = req.LegalDue
	}
	if due == nil {
		return req.ReceivedAt.UTC().AddDate(0, 1, 0).Truncate(time.Second)
	}
	y, m, d := due.Date()
	return time.Date(y, m, d, 23, 59, 59, 0, time.UTC)
}

// Callback is one status callback ready to send: a POST of Body to URL with Header (the
// content type, the signature of Body and the processor's domain, under the header names
// of the protocol version the request came in with).
type Callback struct {
	RequestID string
	URL       string
	Status    domain.OpenDSRStatus
	Body      []byte
	Header    http.Header
}

// Callbacks delivers status callbacks durably (retries, a record of attempts); Deliver
// returns once the callbacks are in its hands. An implementation that delivers nothing
// returns ErrNotDelivered.
type Callbacks interface {
	Deliver(ctx context.Context, cs []Callback) error
}

// ErrNotDelivered is returned by a Callbacks that did not take the callbacks.
var ErrNotDelivered = errors.New("status callbacks are not delivered by this install")

// NoCallbacks is the Callbacks of an install without callback delivery: it takes nothing,
// so nothing is recorded as sent and every status stays due.
type NoCallbacks struct{}

// Deliver returns ErrNotDelivered.
func (NoCallbacks) Deliver(context.Context, []Callback) error { return ErrNotDelivered }

// DueCallbacks builds, signed, the callbacks the request owes its controller: one per
// status callback URL whose last status sent is not the request's current status. A
// request that did not come over OpenDSR owes none.
func (h *Handler) DueCallbacks(ctx context.Context, requestID string) ([]Callback, error) {
	link, err := h.Store.OpenDSRByRequest(ctx, requestID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	urls, err := h.Store.OpenDSRCallbacks(ctx, requestID)
	if err != nil || len(urls) == 0 {
		return nil, err
	}
	req, err := h.Store.GetRequest(ctx, link.TenantID, requestID)
	if err != nil {
		return nil, fmt.Errorf("callbacks of request %s: %w", requestID, err)
	}
	d := dialectOf(link.APIVersion)
	var out []Callback
	for _, u := range urls {
		status := req.Status.OpenDSR()
		if u.LastStatus == status {
			continue
		}
		body, err := json.Marshal(h.statusBody(link, req, u.URL))
		if err != nil {
			return nil, fmt.Errorf("callback body of request %s: %w", requestID, err)
		}
		sig, err := h.Signer.Sign(body)
		if err != nil {
			return nil, err
		}
		hdr := http.Header{}
		hdr.Set("Content-Type", "application/json")
		hdr.Set(d.sigHeader, sig)
		hdr.Set(d.domainHeader, h.Signer.Domain())
		out = append(out, Callback{RequestID: requestID, URL: u.URL, Status: status, Body: body, Header: hdr})
	}
	return out, nil
}

// Notify hands the callbacks the request owes to Callbacks and records each as sent with
// its status. The delivery workflow calls it on every status change of a request; the
// handlers call it on submission and cancellation.
func (h *Handler) Notify(ctx context.Context, requestID string) error {
	cs, err := h.DueCallbacks(ctx, requestID)
	if err != nil || len(cs) == 0 {
		return err
	}
	var cb Callbacks = NoCallbacks{}
	if h.Callbacks != nil {
		cb = h.Callbacks
	}
	if err := cb.Deliver(ctx, cs); err != nil {
		if errors.Is(err, ErrNotDelivered) {
			return nil
		}
		return fmt.Errorf("deliver callbacks of request %s: %w", requestID, err)
	}
	now := h.now().UTC()
	for _, c := range cs {
		if err := h.Store.MarkOpenDSRCallbackSent(ctx, requestID, c.URL, c.Status, now); err != nil {
			return err
		}
	}
	return nil
}

// notify is Notify from a handler: a failure is logged, the answer stands (the delivery
// workflow sends what is still due on the next change).
func (h *Handler) notify(ctx context.Context, requestID string) {
	if err := h.Notify(ctx, requestID); err != nil {
		h.Log.Warn("OpenDSR status callbacks", slog.String("request_id", requestID), slog.Any("error", err))
	}
}
