package oapitest

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

const doc = `{
  "openapi": "3.1.0",
  "info": {"title": "things", "version": "1"},
  "paths": {
    "/things": {
      "post": {
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
        "responses": {
          "201": {"description": "made", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
          "400": {"description": "bad", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      }
    },
    "/things/{id}": {
      "get": {
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9]+$"}}],
        "responses": {
          "200": {"description": "a thing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
          "404": {"description": "none", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      }
    },
    "/cert.pem": {
      "get": {
        "responses": {
          "200": {"description": "a chain", "content": {"application/x-pem-file": {"schema": {"type": "string", "pattern": "^-----BEGIN CERTIFICATE-----"}}}}
        }
      }
    }
  },
  "components": {
    "schemas": {
      "Thing": {"type": "object", "required": ["name"], "additionalProperties": false, "properties": {"name": {"type": "string"}}},
      "Error": {"type": "object", "required": ["error"], "additionalProperties": false,
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"enum": ["not_found", "bad_request"]}, "message": {"type": "string"}}}}}
    }
  }
}`

// recorder is a test that records what the transport reports instead of failing.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestTransport(t *testing.T) {
	t.Parallel()
	// The server answers with the status and body the test asks for in the query.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		var status int
		_, _ = fmt.Sscan(r.URL.Query().Get("status"), &status)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, r.URL.Query().Get("body"))
	}))
	t.Cleanup(srv.Close)

	const thing, notFound = `{"name":"a"}`, `{"error":{"code":"not_found","message":"no"}}`
	tests := []struct {
		name     string
		method   string
		path     string
		body     string
		off      bool
		status   int
		answer   string
		mismatch string // what the report says, "" when the exchange matches
	}{
		{name: "documented", method: "GET", path: "/things/1", status: 200, answer: thing},
		{name: "documented error", method: "GET", path: "/things/1", status: 404, answer: notFound},
		{name: "wrong body", method: "GET", path: "/things/1", status: 200, answer: `{"name":1}`, mismatch: "does not match the document"},
		{name: "extra field", method: "GET", path: "/things/1", status: 200, answer: `{"name":"a","colour":"red"}`, mismatch: "does not match the document"},
		{name: "undocumented status", method: "GET", path: "/things/1", status: 418, answer: thing, mismatch: "does not match the document"},
		{name: "error code not in the enum", method: "GET", path: "/things/1", status: 404, answer: `{"error":{"code":"gone","message":"no"}}`, mismatch: "does not match the document"},
		{name: "bad parameter refused", method: "GET", path: "/things/x", status: 404, answer: notFound},
		{name: "bad parameter accepted", method: "GET", path: "/things/x", status: 200, answer: thing, mismatch: "accepted (200) a request the document rejects"},
		{name: "bad body refused", method: "POST", path: "/things", body: `{"name":2}`, status: 400, answer: `{"error":{"code":"bad_request","message":"no"}}`},
		{name: "bad body accepted", method: "POST", path: "/things", body: `{"name":2}`, status: 201, answer: thing, mismatch: "accepted (201)"},
		{name: "good body", method: "POST", path: "/things", body: thing, status: 201, answer: thing},
		{name: "no such path", method: "GET", path: "/other", status: 404, answer: notFound, mismatch: "no such operation"},
		{name: "no such method", method: "DELETE", path: "/things/1", status: 405, answer: notFound, mismatch: "no such operation"},
		{name: "off the document on purpose", method: "GET", path: "/other", off: true, status: 404, answer: notFound},
		{name: "off the document, answered", method: "GET", path: "/other", off: true, status: 200, answer: thing, mismatch: "must be answered 404 or 405"},
		{name: "off the document, not the error shape", method: "GET", path: "/other", off: true, status: 404, answer: `{"oops":1}`, mismatch: "not the document's error shape"},
		{name: "marked off but documented", method: "GET", path: "/things/1", off: true, status: 200, answer: thing, mismatch: "marked off the document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New([]byte(doc))
			require.NoError(t, err)
			rec := &recorder{TB: t}
			ctx := context.Background()
			if tt.off {
				ctx = OffDocument(ctx)
			}
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			q := fmt.Sprintf("?status=%d&body=%s", tt.status, tt.answer)
			req, err := http.NewRequestWithContext(ctx, tt.method, srv.URL+tt.path+strings.ReplaceAll(q, "#", "%23"), body)
			require.NoError(t, err)
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := c.Client(rec).Do(req)
			require.NoError(t, err)
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			require.Equal(t, tt.answer, string(got), "the caller reads the whole answer")
			require.Equal(t, tt.status, resp.StatusCode)

			counts := c.Counts()
			if tt.mismatch == "" {
				require.Empty(t, rec.errors)
				require.Zero(t, counts.Mismatches)
				return
			}
			require.Len(t, rec.errors, 1)
			require.Contains(t, rec.errors[0], tt.mismatch)
			require.Equal(t, 1, counts.Mismatches)
		})
	}
}

func TestCounts(t *testing.T) {
	t.Parallel()
	c, err := New([]byte(doc))
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/things/1" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"code":"not_found","message":"no"}}`)
			return
		}
		_, _ = io.WriteString(w, `{"name":"a"}`)
	}))
	t.Cleanup(srv.Close)
	client := c.Client(t)
	for _, p := range []string{"/things/1", "/things/1", "/things/x"} {
		resp, err := client.Get(srv.URL + p)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
	}
	req, err := http.NewRequestWithContext(OffDocument(context.Background()), "GET", srv.URL+"/elsewhere", nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())

	got := c.Counts()
	require.Equal(t, map[string]int{"2xx": 2, "4xx": 1}, got.ByClass)
	require.Equal(t, 1, got.Refused)
	require.Equal(t, 1, got.OffDocument)
	require.Zero(t, got.Mismatches)
	require.Contains(t, got.String(), "3 responses validated")
}

func TestNewRefusesInvalidDocuments(t *testing.T) {
	t.Parallel()
	_, err := New([]byte(`{"openapi": "3.1.0", "paths": {}}`))
	require.Error(t, err, "no info")
	_, err = New([]byte(strings.Replace(doc, `"$ref": "#/components/schemas/Error"`, `"$ref": "#/components/schemas/Fault"`, 1)))
	require.ErrorContains(t, err, "Fault", "a reference to nothing")
	_, err = New([]byte(`{"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {}}`))
	require.ErrorContains(t, err, "components.schemas.Error")
}

const webhookDoc = `{
  "openapi": "3.1.0",
  "info": {"title": "things", "version": "1"},
  "paths": {},
  "webhooks": {
    "thing.made": {
      "post": {
        "parameters": [{"name": "Thing-Signature", "in": "header", "required": true, "schema": {"type": "string", "pattern": "^v1=[0-9a-f]+$"}}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
        "responses": {"2XX": {"description": "received"}}
      }
    }
  },
  "components": {
    "schemas": {
      "Thing": {"type": "object", "required": ["name"], "additionalProperties": false, "properties": {"name": {"type": "string"}}},
      "Error": {"type": "object"}
    }
  }
}`

func TestCheckWebhook(t *testing.T) {
	t.Parallel()
	c, err := New([]byte(webhookDoc))
	require.NoError(t, err)
	header := func(sig string) http.Header {
		h := http.Header{"Content-Type": {"application/json"}}
		if sig != "" {
			h.Set("Thing-Signature", sig)
		}
		return h
	}
	tests := []struct {
		name, event, sig, body, want string
	}{
		{name: "good", event: "thing.made", sig: "v1=ab12", body: `{"name":"a"}`},
		{name: "unknown event", event: "thing.lost", sig: "v1=ab12", body: `{"name":"a"}`, want: "no such webhook"},
		{name: "no signature", event: "thing.made", body: `{"name":"a"}`, want: "missing header Thing-Signature"},
		{name: "bad signature", event: "thing.made", sig: "sha1=zz", body: `{"name":"a"}`, want: "header Thing-Signature"},
		{name: "extra field", event: "thing.made", sig: "v1=ab12", body: `{"name":"a","secret":"x"}`, want: "does not match"},
	}
	for _, tt := range tests {
		rec := &recorder{TB: t}
		c.CheckWebhook(rec, tt.event, header(tt.sig), []byte(tt.body))
		if tt.want == "" {
			require.Empty(t, rec.errors, tt.name)
			continue
		}
		require.Len(t, rec.errors, 1, tt.name)
		require.Contains(t, rec.errors[0], tt.want, tt.name)
	}
	got := c.Counts()
	require.Equal(t, 1, got.Webhooks)
	require.Equal(t, 4, got.Mismatches)
}

func TestPEMBodies(t *testing.T) {
	t.Parallel()
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("der")}))
	key := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("der")}))
	tests := []struct {
		name, body string
		mismatch   string // what the report says, "" when the body matches
	}{
		{name: "a chain", body: cert + cert},
		{name: "empty", body: "", mismatch: "no PEM block"},
		{name: "text before", body: "chain:\n" + cert, mismatch: "not a PEM block"},
		{name: "text after", body: cert + "end\n", mismatch: "not a PEM block"},
		{name: "broken block", body: strings.Replace(cert, "-----END", "-----FIN", 1), mismatch: "not a PEM block"},
		{name: "PEM, not the schema's", body: key, mismatch: "does not match the document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-pem-file")
				_, _ = io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			c, err := New([]byte(doc))
			require.NoError(t, err)
			rec := &recorder{TB: t}
			resp, err := c.Client(rec).Get(srv.URL + "/cert.pem")
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			if tt.mismatch == "" {
				require.Empty(t, rec.errors)
				require.Equal(t, 1, c.Counts().ByClass["2xx"])
				return
			}
			require.Len(t, rec.errors, 1)
			require.Contains(t, rec.errors[0], tt.mismatch)
		})
	}
}

func TestEnums(t *testing.T) {
	t.Parallel()
	got, err := Enums([]byte(`{"components": {"schemas": {
		"A/B": {"enum": ["x", "y"]},
		"C": {"properties": {"k": {"const": "z"}}, "allOf": [{"if": {"properties": {"k": {"const": "w"}}}}]}}}}`))
	require.NoError(t, err)
	require.Equal(t, map[string][]string{
		"/components/schemas/A~1B/enum":                       {"x", "y"},
		"/components/schemas/C/properties/k/const":            {"z"},
		"/components/schemas/C/allOf/0/if/properties/k/const": {"w"},
	}, got)
	_, err = Enums([]byte(`{"properties": {"code": {"const": 404}}}`))
	require.ErrorContains(t, err, "/properties/code/const is 404, not a string")
	_, err = Enums([]byte(`{"enum": ["a", 1]}`))
	require.ErrorContains(t, err, "/enum holds 1, not a string")
}
