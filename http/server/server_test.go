package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
