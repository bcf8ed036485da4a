package webhooks

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"dsr/internal/domain"
	"dsr/internal/platform/seal"
	"dsr/internal/store"
)

// Policy is how often and for how long a delivery is tried.
type Policy struct {
	// Timeout bounds one attempt.
	Timeout time.Duration
	// Base is the wait after the first failed attempt; each further wait is Factor times
	// the one before, at most Cap.
	Base   time.Duration
	Factor float64
	Cap    time.Duration
	// Budget is how long after its first attempt a delivery is tried; then it fails.
	Budget time.Duration
}

// DefaultPolicy: 10 s per attempt, waits of 30 s doubling up to 6 h, for 3 days.
var DefaultPolicy = Policy{Timeout: 10 * time.Second, Base: 30 * time.Second, Factor: 2, Cap: 6 * time.Hour, Budget: 72 * time.Hour}

// Wait is the pause after the attempts-th failed attempt.
func (p Policy) Wait(attempts int) time.Duration {
	w := float64(p.Base)
	for i := 1; i < attempts && w < float64(p.Cap); i++ {
		w *= p.Factor
	}
	if w > float64(p.Cap) {
		return p.Cap
	}
	return time.Duration(w)
}

// Secrets seals and opens subscriptions' signing secrets under the installation's keys.
type Secrets struct{ Keys *seal.Keys }

func secretAAD(id string) []byte { return []byte("webhook-secret:" + id) }

// New makes a new secret: its clear value (shown once) and its sealed row.
func (s Secrets) New() (string, store.SealedSecret, error) {
	clear, err := NewSecret()
	if err != nil {
		return "", store.SealedSecret{}, err
	}
	id, err := store.NewID()
	if err != nil {
		return "", store.SealedSecret{}, err
	}
	sealed, err := s.Keys.Seal([]byte(clear), secretAAD(id))
	if err != nil {
		return "", store.SealedSecret{}, err
	}
	return clear, store.SealedSecret{ID: id, Sealed: sealed}, nil
}

// Open returns the clear values of sealed secrets, in their order.
func (s Secrets) Open(sealed []store.SealedSecret) ([]string, error) {
	out := make([]string, 0, len(sealed))
	for _, x := range sealed {
		b, err := s.Keys.Open(x.Sealed, secretAAD(x.ID))
		if err != nil {
			return nil, fmt.Errorf("open webhook secret %s: %w", x.ID, err)
		}
		out = append(out, string(b))
	}
	return out, nil
}

// Callbacks builds the OpenDSR status callbacks: the body reporting status for the request
// to url, and its headers (the content type and the processor's signature of the body).
type Callbacks interface {
	CallbackRequest(ctx context.Context, requestID string, status domain.OpenDSRStatus, url string) ([]byte, http.Header, error)
}

// Deliverer makes the attempts of deliveries: of webhook events to subscriptions, and of
// OpenDSR status callbacks.
type Deliverer struct {
	Store   *store.Store
	Secrets Secrets
	// Callbacks builds status callbacks; a callback queued with none is retried until it is.
	Callbacks Callbacks
	Guard     *Guard
	Policy    Policy
	// Client posts the deliveries; Guard.Client(Policy.Timeout, nil) when nil.
	Client *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Outcome is where an attempt leaves a delivery: Done (delivered, failed for good, or
// gone), or to be tried again after Wait.
type Outcome struct {
	Done   bool
	Status domain.DeliveryStatus
	Wait   time.Duration
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Attempt makes one attempt of the delivery and records it: a POST of the event's body,
// signed with the subscription's active secrets, within Policy.Timeout. A 2xx answer
// delivers it; anything else is tried again after the policy's wait, unless that would be
// past the budget from the first attempt, when it fails. A delivery that is no longer
// queued (or gone) is done with nothing sent. Errors are the record's, for a retry.
func (d *Deliverer) Attempt(ctx context.Context, id string) (Outcome, error) {
	job, err := d.Store.DeliveryJob(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Outcome{Done: true}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if job.Status != domain.DeliveryQueued {
		return Outcome{Done: true, Status: job.Status}, nil
	}
	at := d.now()
	body, hdr, err := d.request(ctx, job, at)
	if err != nil {
		return Outcome{}, err
	}
	a := store.Attempt{At: at.UTC()}
	code, kind := d.post(ctx, job.URL, body, hdr)
	a.LatencyMS = int(time.Since(at).Milliseconds())
	if code != 0 {
		a.StatusCode = &code
	}
	if kind != "" {
		a.ErrorKind = &kind
	}
	o := d.outcome(job, kind == "", at)
	rec := store.AttemptOutcome{Status: o.Status}
	if !o.Done {
		next := at.Add(o.Wait).UTC()
		rec.Next = &next
	}
	ok, err := d.Store.RecordAttempt(ctx, id, a, rec)
	if err != nil {
		return Outcome{}, err
	}
	if !ok {
		return Outcome{Done: true}, nil
	}
	return o, nil
}

// outcome decides where an attempt made at at leaves the delivery.
func (d *Deliverer) outcome(job store.DeliveryJob, delivered bool, at time.Time) Outcome {
	if delivered {
		return Outcome{Done: true, Status: domain.DeliveryDelivered}
	}
	first := at
	if job.FirstAttemptAt != nil {
		first = *job.FirstAttemptAt
	}
	wait := d.Policy.Wait(job.Attempts + 1)
	if at.Add(wait).After(first.Add(d.Policy.Budget)) {
		return Outcome{Done: true, Status: domain.DeliveryFailed}
	}
	return Outcome{Status: domain.DeliveryQueued, Wait: wait}
}

// request is the body and the headers of an attempt made at at: the event signed with the
// subscription's active secrets, or the status callback signed with the processor's key.
func (d *Deliverer) request(ctx context.Context, job store.DeliveryJob, at time.Time) ([]byte, http.Header, error) {
	if job.Callback {
		var p store.CallbackPayload
		if err := json.Unmarshal(job.Payload, &p); err != nil {
			return nil, nil, fmt.Errorf("status callback %s: %w", job.ID, err)
		}
		if d.Callbacks == nil {
			return nil, nil, fmt.Errorf("status callback %s: this worker cannot sign OpenDSR callbacks", job.ID)
		}
		return d.Callbacks.CallbackRequest(ctx, job.RequestID, p.Status, job.URL)
	}
	sealed, err := d.Store.ActiveWebhookSecrets(ctx, job.SubscriptionID)
	if err != nil {
		return nil, nil, err
	}
	secrets, err := d.Secrets.Open(sealed)
	if err != nil {
		return nil, nil, err
	}
	hdr := http.Header{}
	hdr.Set("Content-Type", "application/json")
	Sign(hdr, job.EventID, at, job.Payload, secrets)
	return job.Payload, hdr, nil
}

// post sends body with hdr to url and returns the status code (0 when none came) and,
// unless the answer was 2xx, the kind of failure. The response body is read (a little, to
// reuse the connection) and dropped, never kept.
func (d *Deliverer) post(ctx context.Context, url string, body []byte, hdr http.Header) (int, domain.AttemptError) {
	client := d.Client
	if client == nil {
		client = d.Guard.Client(d.Policy.Timeout, nil)
	}
	ctx, cancel := context.WithTimeout(ctx, d.Policy.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, domain.AttemptInternal
	}
	req.Header = hdr.Clone()
	req.Header.Set("User-Agent", "dsr-webhooks/1")
	resp, err := client.Do(req)
	if err != nil {
		return 0, errorKind(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, domain.AttemptStatus
	}
	return resp.StatusCode, ""
}

// errorKind names what went wrong with a request that got no answer.
func errorKind(err error) domain.AttemptError {
	var netErr net.Error
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.Is(err, ErrRefusedAddress):
		return domain.AttemptRefused
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return domain.AttemptTimeout
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return domain.AttemptTLS
	}
	return domain.AttemptConnect
}
