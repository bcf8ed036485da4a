package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"dsr/internal/testkit/oapitest"
)

// get calls path on a server of h through a client that validates the call against the
// OpenAPI document; a path the document does not describe is called on purpose.
func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx := context.Background()
	if path == "/nowhere" {
		ctx = oapitest.OffDocument(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
	require.NoError(t, err)
	resp, err := openAPICheck.Client(t).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close() //nolint:errcheck // read in full
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestProbesAndMetrics(t *testing.T) {
	t.Parallel()
	broken := errors.New("database: 2 migrations pending")
	ready := true
	h := New(Options{
		Log: slog.New(slog.DiscardHandler),
		Ready: []Check{
			{Name: "database", Fn: func(context.Context) error {
				if ready {
					return nil
				}
				return broken
			}},
			{Name: "temporal", Fn: func(context.Context) error { return nil }},
		},
	})

	code, body := get(t, h, "/healthz")
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"status":"ok"}`, body)

	code, body = get(t, h, "/readyz")
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"ready":true,"checks":{"database":"ok","temporal":"ok"}}`, body)

	ready = false
	code, body = get(t, h, "/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body, "migrations pending")

	code, body = get(t, h, "/nowhere")
	require.Equal(t, http.StatusNotFound, code)
	require.JSONEq(t, `{"error":{"code":"not_found","message":"no such endpoint: GET /nowhere"}}`, body)

	code, body = get(t, h, "/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `dsr_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1`)
	require.Contains(t, body, `route="/readyz",status="503"`)
	require.True(t, strings.Contains(body, "go_goroutines"))
}

// TestThrottleAndTrustedProxies: 600 guesses at verification links from one address get
// the limit's worth of answers and then 429s, counted in the metrics; a trusted proxy's
// X-Forwarded-For is believed (another client is not throttled), anyone else's is not.
func TestThrottleAndTrustedProxies(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	h := New(Options{Log: slog.New(slog.DiscardHandler), Metric: reg, Subject: notFoundLinks{},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		Throttle:       Throttle{Prefixes: []string{"/verify/"}, Max: 60, Window: time.Minute}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	call := func(path, forwarded string) int {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		if forwarded != "" {
			req.Header.Set("X-Forwarded-For", forwarded)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	counts := map[int]int{}
	for i := range 600 {
		counts[call("/verify/guess-"+strconv.Itoa(i), "203.0.113.7")]++
	}
	require.Equal(t, map[int]int{http.StatusNotFound: 60, http.StatusTooManyRequests: 540}, counts)
	require.Equal(t, http.StatusNotFound, call("/verify/mine", "198.51.100.20"), "another client behind the proxy")
	require.Equal(t, http.StatusNotFound, call("/download/x", "203.0.113.7"), "a route not throttled here")
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var denied float64
	for _, mf := range mfs {
		if mf.GetName() == "dsr_http_throttled_total" {
			for _, m := range mf.GetMetric() {
				denied += m.GetCounter().GetValue()
			}
		}
	}
	require.EqualValues(t, 540, denied)

	// Without trusted proxies, X-Forwarded-For is anyone's to send and is ignored: every
	// call counts against the peer's own address.
	h = New(Options{Log: slog.New(slog.DiscardHandler), Subject: notFoundLinks{},
		Throttle: Throttle{Prefixes: []string{"/verify/"}, Max: 3, Window: time.Minute}})
	srv2 := httptest.NewServer(h)
	defer srv2.Close()
	var last int
	for i := range 5 {
		req, _ := http.NewRequest(http.MethodGet, srv2.URL+"/verify/x", nil)
		req.Header.Set("X-Forwarded-For", "192.0.2."+strconv.Itoa(i))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		last = resp.StatusCode
	}
	require.Equal(t, http.StatusTooManyRequests, last)
}

// notFoundLinks registers link routes that know no token.
type notFoundLinks struct{}

func (notFoundLinks) Register(r gin.IRouter) {
	r.GET("/verify/:token", func(c *gin.Context) { c.String(http.StatusNotFound, "this link is not valid") })
	r.GET("/download/:id", func(c *gin.Context) { c.String(http.StatusNotFound, "no such package") })
}
