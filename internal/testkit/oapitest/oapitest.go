// Package oapitest holds HTTP traffic in tests to an OpenAPI 3.1 document: a client whose
// transport validates every request and every response against the document (with
// github.com/pb33f/libopenapi-validator) and fails the test on any mismatch, and counts of
// what it validated, for the package's TestMain to print.
//
// The rules: every response must be one the document describes for its operation (status,
// content type, body, headers). A request the document rejects (a missing API key, a bad
// parameter or body) must be refused by the server with a 4xx, which is then validated like
// any other response; a request the document rejects that the server accepts is a mismatch.
// A call to a path or method the document does not have is a mismatch, unless the test
// marks it as one on purpose (OffDocument), and then it must be answered 404 or 405 with
// the document's error shape.
//
// Enums lists a document's enums and consts, for the tests that hold them to the lists
// they mirror.
package oapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/content"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// Checker validates traffic against one document and counts what it saw. It is safe for
// concurrent use.
type Checker struct {
	mu        sync.Mutex
	validator validator.Validator
	errSchema *base.Schema
	schemas   schema_validation.SchemaValidator
	// webhooks are the document's webhooks (OpenAPI 3.1), by event name.
	webhooks map[string]*v3.Operation
	counts   Counts
}

// Counts are the responses a Checker validated.
type Counts struct {
	// ByClass counts validated responses by status class: "2xx", "3xx", "4xx", "5xx".
	ByClass map[string]int
	// Refused counts requests the document rejects that the server refused with a 4xx.
	Refused int
	// OffDocument counts calls marked OffDocument, answered with the error shape.
	OffDocument int
	// Webhooks counts webhook deliveries validated against the document's webhooks.
	Webhooks int
	// Mismatches counts every mismatch reported to a test.
	Mismatches int
}

// String is the one-line summary TestMain prints.
func (c Counts) String() string {
	total := 0
	for _, n := range c.ByClass {
		total += n
	}
	return fmt.Sprintf("openapi: %d responses validated against the document: 2xx=%d 3xx=%d 4xx=%d 5xx=%d; requests the document rejects, refused with a 4xx: %d; calls off the document on purpose: %d; webhook deliveries: %d; mismatches: %d",
		total, c.ByClass["2xx"], c.ByClass["3xx"], c.ByClass["4xx"], c.ByClass["5xx"], c.Refused, c.OffDocument, c.Webhooks, c.Mismatches)
}

// pdfDecoder accepts a body that is a PDF file and hands it on as a string.
var pdfDecoder = content.DecoderFunc(func(in *content.DecodeInput) (any, error) {
	b, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		return nil, errors.New("the body is not a PDF file (no %PDF- header)")
	}
	return string(b), nil
})

// pemDecoder accepts a body of PEM blocks (a certificate chain) and hands it on as a string.
var pemDecoder = content.DecoderFunc(func(in *content.DecodeInput) (any, error) {
	b, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	rest := bytes.TrimSpace(b)
	if len(rest) == 0 {
		return nil, errors.New("the body holds no PEM block")
	}
	for len(rest) > 0 {
		var block *pem.Block
		if bytes.HasPrefix(rest, []byte("-----BEGIN ")) {
			block, rest = pem.Decode(rest)
		}
		if block == nil {
			return nil, errors.New("the body holds data that is not a PEM block")
		}
		rest = bytes.TrimSpace(rest)
	}
	return string(b), nil
})

// New parses doc (an OpenAPI 3.1 document) and makes a Checker for it. Bodies are decoded
// by their media type: JSON, CSV and text as usual, zip archives are opened (bounded), PDF
// must start with a PDF header and PEM must be PEM blocks only; a declared media type with
// no decoder is a mismatch.
func New(doc []byte) (*Checker, error) {
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("parse the OpenAPI document: %w", err)
	}
	model, err := d.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("build the OpenAPI model: %w", err)
	}
	v, errs := validator.NewValidator(d,
		config.WithFormatAssertions(),
		config.WithStandardBodyDecoders(),
		config.WithZipBodyDecoder(content.ZipLimits{CompressedSize: 256 << 20, ExpandedSize: 1 << 30, Entries: 100000, ExpansionRatio: 1000}),
		config.WithBodyDecoder("application/pdf", pdfDecoder),
		config.WithBodyDecoder("application/x-pem-file", pemDecoder),
		config.WithBodyDecoder("multipart/byteranges", content.BinaryDecoder()),
		config.WithRejectUnsupportedBodyContent(),
		config.WithRejectUndeclaredRequestBody(),
	)
	if len(errs) > 0 {
		return nil, fmt.Errorf("make the OpenAPI validator: %w", errors.Join(errs...))
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		return nil, fmt.Errorf("the OpenAPI document is not valid: %s", describe(verrs))
	}
	if model.Model.Components == nil || model.Model.Components.Schemas.GetOrZero("Error") == nil {
		return nil, errors.New("the OpenAPI document has no components.schemas.Error, the error shape")
	}
	errSchema := model.Model.Components.Schemas.GetOrZero("Error")
	hooks := map[string]*v3.Operation{}
	if model.Model.Webhooks != nil {
		for name, item := range model.Model.Webhooks.FromOldest() {
			if item.Post == nil {
				return nil, fmt.Errorf("the OpenAPI document's webhook %s has no post operation", name)
			}
			hooks[name] = item.Post
		}
	}
	return &Checker{
		validator: v, errSchema: errSchema.Schema(), schemas: schema_validation.NewSchemaValidator(),
		webhooks: hooks, counts: Counts{ByClass: map[string]int{}},
	}, nil
}

// MustNew is New for package variables; it panics on an error.
func MustNew(doc []byte) *Checker {
	c, err := New(doc)
	if err != nil {
		panic(err)
	}
	return c
}

// Counts returns a copy of the counts so far.
func (c *Checker) Counts() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.counts
	out.ByClass = make(map[string]int, len(c.counts.ByClass))
	for k, v := range c.counts.ByClass {
		out.ByClass[k] = v
	}
	return out
}

// Main runs a package's tests (call it from TestMain), then prints the counts and exits.
func (c *Checker) Main(m *testing.M) {
	code := m.Run()
	fmt.Println(c.Counts())
	os.Exit(code)
}

type offDocumentKey struct{}

// OffDocument marks a request's context as a call to a path or method the document does not
// describe, made on purpose (to test the answer to it).
func OffDocument(ctx context.Context) context.Context {
	return context.WithValue(ctx, offDocumentKey{}, true)
}

// Client returns an HTTP client whose calls are validated, reporting mismatches to t.
func (c *Checker) Client(t testing.TB) *http.Client {
	return &http.Client{Transport: c.Transport(t, nil)}
}

// Transport returns a RoundTripper that sends through next (http.DefaultTransport when nil)
// and validates each exchange, reporting mismatches to t with t.Errorf (it may be used from
// several goroutines).
func (c *Checker) Transport(t testing.TB, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{c: c, t: t, next: next}
}

type transport struct {
	c    *Checker
	t    testing.TB
	next http.RoundTripper
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read the request body to validate it: %w", err)
		}
		reqBody = b
	}
	send := req.Clone(req.Context())
	send.Body = body(reqBody)
	resp, err := tr.next.RoundTrip(send)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read the response body to validate it: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))

	// The validator reads the bodies: give it copies of the exchange.
	vreq := req.Clone(req.Context())
	vreq.Body = body(reqBody)
	vresp := *resp
	vresp.Header = resp.Header.Clone()
	vresp.Body = io.NopCloser(bytes.NewReader(respBody))
	vresp.Request = vreq
	if problem := tr.c.check(vreq, &vresp, respBody); problem != "" {
		tr.t.Errorf("OpenAPI mismatch: %s %s -> %d: %s\nresponse body: %.600s", req.Method, req.URL.RequestURI(), resp.StatusCode, problem, respBody)
	}
	return resp, nil
}

func body(b []byte) io.ReadCloser {
	if b == nil {
		return http.NoBody
	}
	return io.NopCloser(bytes.NewReader(b))
}

// check validates one exchange and counts it; it returns what is wrong, or "".
func (c *Checker) check(req *http.Request, resp *http.Response, respBody []byte) (problem string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() {
		if problem != "" {
			c.counts.Mismatches++
		}
	}()
	reqOK, reqErrs := c.validator.ValidateHttpRequest(req)
	if !reqOK && unrouted(reqErrs) {
		if req.Context().Value(offDocumentKey{}) == nil {
			return "the document has no such operation: " + describe(reqErrs)
		}
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			return "a call off the document must be answered 404 or 405"
		}
		if ok, errs := c.schemas.ValidateSchemaBytes(c.errSchema, respBody); !ok {
			return "the answer is not the document's error shape: " + describe(errs)
		}
		c.counts.OffDocument++
		return ""
	}
	if req.Context().Value(offDocumentKey{}) != nil {
		return "the call was marked off the document, but the document describes it"
	}
	if !reqOK && resp.StatusCode < 400 {
		return fmt.Sprintf("the server accepted (%d) a request the document rejects: %s", resp.StatusCode, describe(reqErrs))
	}
	if ok, errs := c.validator.ValidateHttpResponse(req, resp); !ok {
		return "the response does not match the document: " + describe(errs)
	}
	if !reqOK {
		if resp.StatusCode >= 500 {
			return fmt.Sprintf("a request the document rejects got a server error: %s", describe(reqErrs))
		}
		c.counts.Refused++
	}
	c.counts.ByClass[fmt.Sprintf("%dxx", resp.StatusCode/100)]++
	return ""
}

// CheckWebhook validates a webhook delivery the service sent, its headers and JSON body,
// against the document's webhook event (under the top-level webhooks): every header
// parameter it requires must be there and match its schema, and the body must match its
// JSON request body. It counts the delivery and reports a mismatch to t.
func (c *Checker) CheckWebhook(t testing.TB, event string, header http.Header, body []byte) {
	t.Helper()
	if problem := c.checkWebhook(event, header, body); problem != "" {
		t.Errorf("OpenAPI mismatch: webhook %s: %s\nbody: %.600s", event, problem, body)
	}
}

func (c *Checker) checkWebhook(event string, header http.Header, body []byte) (problem string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() {
		if problem != "" {
			c.counts.Mismatches++
		} else {
			c.counts.Webhooks++
		}
	}()
	op, ok := c.webhooks[event]
	if !ok {
		return "the document has no such webhook"
	}
	for _, p := range op.Parameters {
		if p.In != "header" {
			continue
		}
		v := header.Get(p.Name)
		if v == "" {
			if p.Required != nil && *p.Required {
				return "missing header " + p.Name
			}
			continue
		}
		quoted, err := json.Marshal(v)
		if err != nil {
			return err.Error()
		}
		if ok, errs := c.schemas.ValidateSchemaBytes(p.Schema.Schema(), quoted); !ok {
			return "header " + p.Name + ": " + describe(errs)
		}
	}
	if op.RequestBody == nil || op.RequestBody.Content.GetOrZero("application/json") == nil {
		return "the document's webhook has no JSON request body"
	}
	if ct := header.Get("Content-Type"); ct != "application/json" {
		return "Content-Type is " + ct + ", not application/json"
	}
	if ok, errs := c.schemas.ValidateSchemaBytes(op.RequestBody.Content.GetOrZero("application/json").Schema.Schema(), body); !ok {
		return "the body does not match the document: " + describe(errs)
	}
	return ""
}

// Enums returns the values of every enum and const of doc, an OpenAPI document in JSON, by
// the JSON pointer of the keyword (e.g. /components/schemas/Status/enum). A value that is
// not a string is an error.
func Enums(doc []byte) (map[string][]string, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, fmt.Errorf("parse the OpenAPI document: %w", err)
	}
	found := map[string][]string{}
	if err := walkEnums(v, "", found); err != nil {
		return nil, err
	}
	return found, nil
}

// pointerEscaper escapes a key for a JSON pointer (RFC 6901).
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func walkEnums(v any, at string, found map[string][]string) error {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := at + "/" + pointerEscaper.Replace(k)
			switch k {
			case "enum":
				values, ok := x.([]any)
				if !ok {
					return fmt.Errorf("%s is not a list", p)
				}
				for _, e := range values {
					s, ok := e.(string)
					if !ok {
						return fmt.Errorf("%s holds %v, not a string", p, e)
					}
					found[p] = append(found[p], s)
				}
			case "const":
				s, ok := x.(string)
				if !ok {
					return fmt.Errorf("%s is %v, not a string", p, x)
				}
				found[p] = []string{s}
			default:
				if err := walkEnums(x, p, found); err != nil {
					return err
				}
			}
		}
	case []any:
		for i, x := range v {
			if err := walkEnums(x, fmt.Sprintf("%s/%d", at, i), found); err != nil {
				return err
			}
		}
	}
	return nil
}

// unrouted reports whether errs say that the document has no operation for the request.
func unrouted(errs []*verrors.ValidationError) bool {
	for _, e := range errs {
		if e.IsPathMissingError() || e.IsOperationMissingError() {
			return true
		}
	}
	return false
}

func describe(errs []*verrors.ValidationError) string {
	parts := make([]string, 0, len(errs))
	for _, e := range errs {
		s := e.Message
		if e.Reason != "" {
			s += " (" + e.Reason + ")"
		}
		for _, f := range e.SchemaValidationErrors {
			s += "; " + f.Error()
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " | ")
}
