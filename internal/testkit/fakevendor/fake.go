// Package fake holds in-process HTTP services that behave like the sub-processors the
// subprocessor connector talks to: Helpdesk (the two_step shape) and Analytics (the
// async_job shape). They check credentials (bearer, basic or an HMAC signature), limit each
// caller's rate with 429 and Retry-After, and answer faults on demand (bursts of 5xx,
// answers lost after the work was done). Serve them with httptest.NewServer.
//
// Each service handles one request at a time, which keeps them simple and race free.
package fakevendor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Credentials are what a service accepts.
type Credentials struct {
	// Type is "bearer", "basic" or "hmac".
	Type                          string
	Token, User, Password, Secret string
}

// MaxSkew is how far an HMAC request's X-Timestamp may be from the service's clock.
const MaxSkew = 5 * time.Minute

// identify checks the request's credentials and returns the caller's key, which scopes
// rate limits and idempotency keys.
func (c Credentials) identify(r *http.Request, body []byte, now time.Time) (string, bool) {
	switch c.Type {
	case "bearer":
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok && hmac.Equal([]byte(got), []byte(c.Token)) {
			return "bearer:" + c.Token, true
		}
	case "basic":
		user, pass, ok := r.BasicAuth()
		if ok && hmac.Equal([]byte(user), []byte(c.User)) && hmac.Equal([]byte(pass), []byte(c.Password)) {
			return "basic:" + user, true
		}
	case "hmac":
		ts := r.Header.Get("X-Timestamp")
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || math.Abs(now.Sub(time.Unix(sec, 0)).Seconds()) > MaxSkew.Seconds() {
			return "", false
		}
		sum := sha256.Sum256(body)
		mac := hmac.New(sha256.New, []byte(c.Secret))
		mac.Write([]byte(r.Method))
		mac.Write([]byte("\n"))
		mac.Write([]byte(r.URL.RequestURI()))
		mac.Write([]byte("\n"))
		mac.Write([]byte(ts))
		mac.Write([]byte("\n"))
		mac.Write([]byte(hex.EncodeToString(sum[:])))
		want := hex.EncodeToString(mac.Sum(nil))
		if hmac.Equal([]byte(strings.ToLower(r.Header.Get("X-Signature"))), []byte(want)) {
			return "hmac", true
		}
	}
	return "", false
}

// Fault is an answer a service gives instead of its own.
type Fault struct {
	// Status is the answer's status, e.g. 503.
	Status int
	// RetryAfter is the Retry-After header to send, "" for none.
	RetryAfter string
	// Lost makes the service do the work first: the answer is lost on its way back.
	Lost bool
	// Route limits the fault to one route, as in the service's docs, e.g.
	// "DELETE /deleted_users/{id}"; "" is any route.
	Route string
}

type pendingFault struct {
	Fault
	left int
}

// window limits each caller to limit requests per per, over a sliding window.
type window struct {
	limit int
	per   time.Duration
	hits  map[string][]time.Time
}

func newWindow(limit int, per time.Duration) *window {
	if limit <= 0 {
		return nil
	}
	return &window{limit: limit, per: per, hits: map[string][]time.Time{}}
}

// allow records a request of key at now, or says how long until one is allowed.
func (w *window) allow(key string, now time.Time) (bool, time.Duration) {
	if w == nil {
		return true, 0
	}
	h := w.hits[key]
	for len(h) > 0 && !h[0].After(now.Add(-w.per)) {
		h = h[1:]
	}
	if len(h) >= w.limit {
		w.hits[key] = h
		return false, h[0].Add(w.per).Sub(now)
	}
	w.hits[key] = append(h, now)
	return true, 0
}

// handler is a route's handler; the service's lock is held while it runs.
type handler func(w http.ResponseWriter, r *http.Request, body []byte, caller string)

// service is what both fakes share: routes, credentials, faults, a request limit.
type service struct {
	mu       sync.Mutex
	mux      *http.ServeMux
	creds    Credentials
	now      func() time.Time
	faults   []*pendingFault
	calls    map[string]int
	limit    *window
	httpDate bool
}

func newService(creds Credentials, now func() time.Time, limit int, per time.Duration, httpDate bool) *service {
	if now == nil {
		now = time.Now
	}
	return &service{mux: http.NewServeMux(), creds: creds, now: now, calls: map[string]int{}, limit: newWindow(limit, per), httpDate: httpDate}
}

// ServeHTTP serves the service's routes.
func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *service) handle(route string, h handler) {
	s.mux.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			writeError(w, http.StatusBadRequest, "unreadable_body")
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.calls[route]++
		caller, ok := s.creds.identify(r, body, s.now())
		if !ok {
			writeError(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		if f := s.takeFault(route); f != nil {
			if f.Lost {
				h(httptest.NewRecorder(), r, body, caller)
			}
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			writeError(w, f.Status, "injected_fault")
			return
		}
		if ok, after := s.limit.allow(caller, s.now()); !ok {
			s.tooMany(w, after, "rate_limited")
			return
		}
		h(w, r, body, caller)
	})
}

func (s *service) takeFault(route string) *Fault {
	for i, f := range s.faults {
		if f.Route != "" && f.Route != route {
			continue
		}
		f.left--
		if f.left <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return &f.Fault
	}
	return nil
}

// Inject makes the next n requests (of f.Route, or any) answer f.
func (s *service) Inject(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &pendingFault{Fault: f, left: n})
}

// Calls returns how many requests a route received, e.g. "POST /gdpr/deletions".
func (s *service) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// retryAfter writes a Retry-After header saying after.
func (s *service) retryAfter(w http.ResponseWriter, after time.Duration) {
	if s.httpDate {
		at := s.now().Add(after + time.Second - 1).UTC().Truncate(time.Second)
		w.Header().Set("Retry-After", at.Format(http.TimeFormat))
		return
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(after.Seconds())))))
}

func (s *service) tooMany(w http.ResponseWriter, after time.Duration, code string) {
	s.retryAfter(w, after)
	writeError(w, http.StatusTooManyRequests, code)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) //nolint:errcheck // the client is gone
}

// writeError answers {"error": {"code": code, "message": ...}}. The message repeats
// detail, which may be the subject's data, as some services do, so that a connector that
// repeats messages in its errors is caught.
func writeError(w http.ResponseWriter, status int, code string, detail ...string) {
	msg := "cannot process: " + code
	if len(detail) > 0 {
		msg += ": " + strings.Join(detail, " ")
	}
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// profilePatch is a PATCH body: fields set to a string or null, restricted, objections.
type profilePatch map[string]json.RawMessage

// apply applies p to the string fields fields (by name), restricted and objections; an
// unknown key is an error code.
func (p profilePatch) apply(strs map[string]**string, restricted *bool, objections *[]string) string {
	for k, raw := range p {
		switch {
		case strs[k] != nil:
			if string(raw) == "null" {
				*strs[k] = nil
				continue
			}
			var v string
			if json.Unmarshal(raw, &v) != nil {
				return "invalid_" + k
			}
			*strs[k] = &v
		case k == "restricted":
			if json.Unmarshal(raw, restricted) != nil {
				return "invalid_restricted"
			}
		case k == "objections":
			if json.Unmarshal(raw, objections) != nil {
				return "invalid_objections"
			}
		default:
			return "unknown_field"
		}
	}
	return ""
}

func str(s string) *string { return &s }
