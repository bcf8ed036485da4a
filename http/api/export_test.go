package api

import (
	"net/http"
	"testing"
)

// OpenAPIClient is an HTTP client whose calls are validated against the OpenAPI document;
// mismatches fail t.
func OpenAPIClient(t testing.TB) *http.Client { return openAPICheck.Client(t) }
