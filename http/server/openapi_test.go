package server

import (
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"dsr/http/api"
	"dsr/http/opendsr"
	"dsr/internal/testkit/oapitest"
)

// openAPICheck validates the calls of this package's tests against the API's document.
var openAPICheck = oapitest.MustNew(api.OpenAPI())

// TestMain prints, once the tests ran, how many responses were validated against the
// OpenAPI document.
func TestMain(m *testing.M) { openAPICheck.Main(m) }

// TestOpenAPICoversRoutes checks that the routes the server registers for the API (its
// probes and metrics, the customer API v1 and the OpenDSR processor API) and the operations
// of the OpenAPI document are the same set: no route undocumented, no documented operation
// missing.
func TestOpenAPICoversRoutes(t *testing.T) {
	t.Parallel()
	// With webhooks, so that their routes are registered too. Registering the routes uses
	// none of the handlers' dependencies.
	h := New(Options{API: &api.API{Log: slog.New(slog.DiscardHandler), Webhooks: &api.Webhooks{}}, Log: slog.New(slog.DiscardHandler),
		OpenDSR: &opendsr.Handler{}})
	engine, ok := h.(*gin.Engine)
	require.True(t, ok, "the server's handler is a gin engine")
	var routes []string
	for _, r := range engine.Routes() {
		// gin writes a path parameter :id, OpenAPI {id}.
		parts := strings.Split(r.Path, "/")
		for i, p := range parts {
			if name, ok := strings.CutPrefix(p, ":"); ok {
				parts[i] = "{" + name + "}"
			}
		}
		routes = append(routes, r.Method+" "+strings.Join(parts, "/"))
	}
	require.Contains(t, routes, "POST /v1/requests/{id}/cancel", "the API's routes are registered")
	require.Contains(t, routes, "DELETE /opendsr/opengdpr_requests/{id}", "the OpenDSR routes are registered")

	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(api.OpenAPI(), &doc))
	var operations []string
	methods := []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	for path, item := range doc.Paths {
		for key := range item {
			if slices.Contains(methods, key) {
				operations = append(operations, strings.ToUpper(key)+" "+path)
			}
		}
	}
	slices.Sort(routes)
	slices.Sort(operations)
	require.Equal(t, routes, operations, "gin's routes (left) and the document's operations (right)")
}
