package opendsr

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"dsr/internal/domain"
	"dsr/internal/platform/signing"
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

func (h *Handler) statusBody(link store.OpenDSRLink, req store.Request) statusBody {
	return newStatusBody(h.Signer.Domain(), h.PublicURL, link, req, "", req.Status.OpenDSR())
}

// newStatusBody is the request's status as reported to its controller: status (the
// request's own, or the one a callback was queued with), with the results once completed.
func newStatusBody(processorDomain, publicURL string, link store.OpenDSRLink, req store.Request, callbackURL string,
	status domain.OpenDSRStatus) statusBody {
	b := statusBody{
		ControllerID: link.TenantID, ExpectedAt: expectedCompletion(req, status), StatusCallbackURL: callbackURL,
		SubjectRequestID: link.SubjectRequestID, RequestStatus: status, APIVersion: link.APIVersion,
	}
	if status == domain.OpenDSRCancelled && (req.Status == domain.StatusDenied || req.Status == domain.StatusFailed) {
		b.Extensions = map[string]statusExtension{processorDomain: {Status: req.Status}}
	}
	if status != domain.OpenDSRCompleted || req.Status != domain.StatusCompleted {
		return b
	}
	if req.Type.Exports() {
		// The package, downloaded with the controller's API key.
		b.ResultsURL = strings.TrimRight(publicURL, "/") + "/v1/requests/" + req.ID + "/package"
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

// expectedCompletion is when the request, as of status, is done or expected to be: its
// completion once final, else the end (UTC) of its due day: the extended one when it was
// extended, the target. A callback of an earlier status sent again after the request ended
// says what it said the first time.
func expectedCompletion(req store.Request, status domain.OpenDSRStatus) time.Time {
	if req.CompletedAt != nil && (status == domain.OpenDSRCompleted || status == domain.OpenDSRCancelled) {
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

// Callbacks builds the status callbacks of OpenDSR requests for their delivery
// (webhooks.Callbacks): each reports the status it was queued with, as GET reports a
// status, signed with the processor's key under the header names of the protocol version
// the request came in with.
type Callbacks struct {
	Store     *store.Store
	Signer    *signing.Signer
	PublicURL string
}

// CallbackRequest is the body and headers of the callback reporting status of the
// request to url.
func (cb *Callbacks) CallbackRequest(ctx context.Context, requestID string, status domain.OpenDSRStatus, url string) ([]byte, http.Header, error) {
	link, err := cb.Store.OpenDSRByRequest(ctx, requestID)
	if err != nil {
		return nil, nil, err
	}
	req, err := cb.Store.GetRequest(ctx, link.TenantID, requestID)
	if err != nil {
		return nil, nil, fmt.Errorf("status callback of request %s: %w", requestID, err)
	}
	body, err := json.Marshal(newStatusBody(cb.Signer.Domain(), cb.PublicURL, link, req, url, status))
	if err != nil {
		return nil, nil, fmt.Errorf("status callback of request %s: %w", requestID, err)
	}
	sig, err := cb.Signer.Sign(body)
	if err != nil {
		return nil, nil, err
	}
	d := dialectOf(link.APIVersion)
	hdr := http.Header{}
	hdr.Set("Content-Type", "application/json")
	hdr.Set(d.sigHeader, sig)
	hdr.Set(d.domainHeader, cb.Signer.Domain())
	return body, hdr, nil
}
