package api

import (
	"net/http"
	"testing"
)

// OpenAPIClient is an HTTP client whose calls are validated against the OpenAPI document;
// mismatches fail t.
func OpenAPIClient(t testing.TB) *http.Client { return openAPICheck.Client(t) }

// CheckWebhook validates a webhook delivery (its headers and body) against the document's
// webhook event; mismatches fail t.
func CheckWebhook(t testing.TB, event string, header http.Header, body []byte) {
	openAPICheck.CheckWebhook(t, event, header, body)
}
