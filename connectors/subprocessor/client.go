package subprocessor

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"

	"dsr/connectors"
)

// maxBody bounds what is read of an answer.
const maxBody = 8 << 20

// defaultRetryAfter is the wait after a 429 that does not say how long.
const defaultRetryAfter = time.Minute

// client makes the HTTP calls to one sub-processor: authentication, the token bucket, the
// per-call timeout, and the mapping of answers to errors. Errors name the operation and the
// sub-processor, never the URL (its query holds the subject's email) nor the answer's body.
type client struct {
	name    string
	base    *url.URL
	auth    Auth
	hc      *http.Client
	timeout time.Duration
	now     func() time.Time
	limit   *bucket
	maxWait time.Duration
}

// call is one HTTP call.
type call struct {
	// op says what is attempted, in errors: "look up users".
	op     string
	method string
	// path is below BaseURL, each segment already escaped.
	path  string
	query url.Values
	body  any
	// key is sent as Idempotency-Key when set.
	key string
	// accept lists the statuses handed back to the caller; any other is an error.
	accept []int
}

// response is an answer the caller accepted.
type response struct {
	status int
	header http.Header
	body   []byte
}

// decode reads the answer's JSON body into v.
func (r response) decode(op, name string, v any) error {
	if err := json.Unmarshal(r.body, v); err != nil {
		return fmt.Errorf("%s at %s: answer %d is not the JSON expected: %w", op, name, r.status, err)
	}
	return nil
}

func (c *client) do(ctx context.Context, cl call) (response, error) {
	if err := c.limit.take(ctx, c.maxWait, c.name+" rate limit (dsr's token bucket) before: "+cl.op); err != nil {
		return response{}, err
	}
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			return response{}, fmt.Errorf("%s at %s: encode body: %w", cl.op, c.name, err)
		}
	}
	u := c.base.JoinPath(cl.path)
	u.RawQuery = cl.query.Encode()

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), bytes.NewReader(payload))
	if err != nil {
		return response{}, fmt.Errorf("%s at %s: build request: %w", cl.op, c.name, scrub(err))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "dsr-subprocessor/1")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.key != "" {
		req.Header.Set("Idempotency-Key", cl.key)
	}
	c.authenticate(req, payload)

	resp, err := c.hc.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s at %s: %w", cl.op, c.name, scrub(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return response{}, fmt.Errorf("%s at %s: read answer %d: %w", cl.op, c.name, resp.StatusCode, scrub(err))
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: body}
	if slices.Contains(cl.accept, r.status) {
		return r, nil
	}
	return response{}, c.statusError(cl.op, r)
}

// authenticate adds the credentials to req; payload is its body.
func (c *client) authenticate(req *http.Request, payload []byte) {
	switch c.auth.Type {
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+c.auth.Token)
	case AuthBasic:
		req.SetBasicAuth(c.auth.User, c.auth.Password)
	case AuthHMAC:
		ts := strconv.FormatInt(c.now().Unix(), 10)
		req.Header.Set("X-Timestamp", ts)
		req.Header.Set("X-Signature", signature(c.auth.Secret, req.Method, req.URL.RequestURI(), ts, payload))
	}
}

// signature is the X-Signature of a request (see Auth).
func signature(secret, method, requestURI, timestamp string, body []byte) string {
	sum := sha256.Sum256(body)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(method + "\n" + requestURI + "\n" + timestamp + "\n" + hex.EncodeToString(sum[:])))
	return hex.EncodeToString(mac.Sum(nil))
}

// statusError turns an answer the caller did not accept into an error:
//   - 429, or 503 with Retry-After: *connectors.RetryAfterError (and the bucket pauses);
//   - other 5xx: a plain error, which the activity's retry policy retries;
//   - 3xx and other 4xx: wrapped connectors.ErrInvalid, which no retry can fix.
func (c *client) statusError(op string, r response) error {
	code := errorCode(r.body)
	switch {
	case r.status == http.StatusTooManyRequests || (r.status == http.StatusServiceUnavailable && r.header.Get("Retry-After") != ""):
		after, ok := retryAfter(r.header.Get("Retry-After"), c.now())
		if !ok {
			after = defaultRetryAfter
		}
		c.limit.pause(after)
		return &connectors.RetryAfterError{After: after, Reason: fmt.Sprintf("%s answered %d to %s%s", c.name, r.status, op, code)}
	case r.status >= 500:
		return fmt.Errorf("%s at %s: server error %d%s", op, c.name, r.status, code)
	case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
		return fmt.Errorf("%s at %s: credentials rejected (%d%s): %w", op, c.name, r.status, code, connectors.ErrInvalid)
	case r.status >= 300 && r.status < 400:
		return fmt.Errorf("%s at %s: unexpected redirect %d: %w", op, c.name, r.status, connectors.ErrInvalid)
	default:
		return fmt.Errorf("%s at %s: answered %d%s: %w", op, c.name, r.status, code, connectors.ErrInvalid)
	}
}

// codePattern is what an error code must look like to be repeated in an error: a short
// token, which cannot carry personal data.
var codePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// errorCode returns ", code X" for an answer {"error": {"code": "X"}} or {"error": "X"}.
func errorCode(body []byte) string {
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil || len(v.Error) == 0 {
		return ""
	}
	var code string
	if json.Unmarshal(v.Error, &code) != nil {
		var obj struct {
			Code string `json:"code"`
		}
		if json.Unmarshal(v.Error, &obj) != nil {
			return ""
		}
		code = obj.Code
	}
	if !codePattern.MatchString(code) {
		return ""
	}
	return ", code " + code
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, int64(365*24*3600))) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// scrub removes the URL from a transport error: its query holds the subject's email.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
