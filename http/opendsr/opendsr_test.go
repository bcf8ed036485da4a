package opendsr_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/http/api"
	"dsr/internal/app"
	"dsr/internal/demo"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/testkit/oapitest"
	"dsr/internal/testkit/testenv"
)

const processorDomain = "dsr.test"

// openAPICheck validates the controller's calls and the status callbacks against the
// OpenAPI document.
var openAPICheck = oapitest.MustNew(api.OpenAPI())

// TestMain prints, once the tests ran, how many responses and callbacks were validated
// against the OpenAPI document.
func TestMain(m *testing.M) { openAPICheck.Main(m) }

// pki is a test CA and the processor's key and certificate chain issued by it (through an
// intermediate), as PEM.
type pki struct {
	roots            *x509.CertPool
	keyPEM, chainPEM []byte
}

func newPKI(t *testing.T) pki {
	t.Helper()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Root CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	intKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	intTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Test Issuing CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	intDER, err := x509.CreateCertificate(rand.Reader, intTmpl, ca, intKey.Public(), caKey)
	require.NoError(t, err)
	inter, err := x509.ParseCertificate(intDER)
	require.NoError(t, err)

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: processorDomain},
		DNSNames: []string{processorDomain}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, inter, key.Public(), intKey)
	require.NoError(t, err)

	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	var chain bytes.Buffer
	for _, der := range [][]byte{leafDER, intDER} {
		require.NoError(t, pem.Encode(&chain, &pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return pki{roots: roots, keyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), chainPEM: chain.Bytes()}
}

// controller is an OpenDSR controller's client: its calls are validated against the
// OpenAPI document, and it checks every response's signature against the processor's
// certificate, fetched through discovery and verified against the test CA.
type controller struct {
	t    *testing.T
	base string
	key  string
	leaf *x509.Certificate
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

func (c *controller) raw(method, path, body string) response {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := openAPICheck.Client(c.t).Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// do sends a request and checks the response's signature under the dialect's headers
// ("OpenDSR" or "OpenGDPR").
func (c *controller) do(dialect, method, path, body string) response {
	c.t.Helper()
	r := c.raw(method, path, body)
	c.verify(dialect, r.Header, r.Body)
	return r
}

func (c *controller) verify(dialect string, h http.Header, body []byte) {
	c.t.Helper()
	require.Equal(c.t, processorDomain, h.Get("X-"+dialect+"-Processor-Domain"), "body %s", body)
	sig, err := base64.StdEncoding.DecodeString(h.Get("X-" + dialect + "-Signature"))
	require.NoError(c.t, err)
	sum := sha256.Sum256(body)
	require.NoError(c.t, rsa.VerifyPKCS1v15(c.leaf.PublicKey.(*rsa.PublicKey), crypto.SHA256, sum[:], sig), "signature of %s", body)
}

// callbackEndpoint is the controller's status callback endpoint: a real HTTPS server on
// loopback that refuses the first callback it gets (503) and accepts the rest (202),
// keeping every one. Each is validated against the OpenAPI document's webhook as it comes.
type callbackEndpoint struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []callback
}

type callback struct {
	answer int
	header http.Header
	body   []byte
}

func newCallbackEndpoint(t *testing.T) *callbackEndpoint {
	e := &callbackEndpoint{}
	e.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		openAPICheck.CheckWebhook(t, string(domain.OpenDSRStatusCallback), r.Header, body)
		e.mu.Lock()
		answer := http.StatusAccepted
		if len(e.got) == 0 {
			answer = http.StatusServiceUnavailable
		}
		e.got = append(e.got, callback{answer: answer, header: r.Header.Clone(), body: body})
		e.mu.Unlock()
		w.WriteHeader(answer)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *callbackEndpoint) url() string { return e.srv.URL + "/opendsr/callbacks" }

func (e *callbackEndpoint) callbacks() []callback {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]callback(nil), e.got...)
}

// accepted returns the statuses accepted for a subject_request_id, in the order they came.
func (e *callbackEndpoint) accepted(t *testing.T, id string) []string {
	var out []string
	for _, cb := range e.callbacks() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(cb.body, &m))
		if m["subject_request_id"] == id && cb.answer == http.StatusAccepted {
			out = append(out, m["request_status"].(string))
		}
	}
	return out
}

// trust writes the endpoint's certificate to a PEM file for DSR_WEBHOOK_CA_FILE.
func (e *callbackEndpoint) trust(t *testing.T) string {
	f := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.srv.Certificate().Raw}), 0o600))
	return f
}

func hexDigest(f domain.IdentityFormat, email string) string {
	e := []byte(strings.ToLower(email))
	if f == domain.IdentityMD5 {
		s := md5.Sum(e)
		return hex.EncodeToString(s[:])
	}
	s := sha256.Sum256(e)
	return hex.EncodeToString(s[:])
}

// exampleCallback is the status callback URL of submissions that are refused before
// anything is called back.
const exampleCallback = "https://controller.example/opendsr/callbacks"

func submission(id, typ string, identities ...string) string {
	return fmt.Sprintf(`{"subject_request_id":%q,"regulation":"gdpr","subject_request_type":%q,"submitted_time":"2024-05-02T10:00:00Z",`+
		`"subject_identities":[%s],"api_version":"2.0","status_callback_urls":[%q]}`,
		id, typ, strings.Join(identities, ","), exampleCallback)
}

func ident(format domain.IdentityFormat, value string) string {
	return fmt.Sprintf(`{"identity_type":"email","identity_value":%q,"identity_format":%q}`, value, format)
}

func TestConformance(t *testing.T) {
	p := newPKI(t)
	endpoint := newCallbackEndpoint(t)
	env := testenv.New(t, testenv.Options{OpenDSRKey: p.keyPEM, OpenDSRCert: p.chainPEM, OpenDSRDomain: processorDomain,
		Webhooks: func(w *app.WebhookConfig) {
			w.CAFile = endpoint.trust(t)
			w.Timeout, w.RetryBase, w.RetryCap, w.RetryFor = 5*time.Second, 200*time.Millisecond, time.Second, time.Minute
		}})
	// The controller names its own endpoint; the bad submissions below keep an example one.
	withEndpoint := func(body string) string {
		return strings.Replace(body, exampleCallback, endpoint.url(), 1)
	}
	ctx := context.Background()
	tn, key := env.Tenant(t, "Controller")
	_, err := demo.Seed(ctx, env.Chat.DB, demo.Options{TenantID: tn.ID, TenantName: tn.Name, EndUsers: 20, Messages: 400})
	require.NoError(t, err)
	// Nothing blocks the subjects of the erasures but visitor1's open conversation.
	_, err = env.Chat.DB.Exec(`UPDATE conversations SET status = 'closed' WHERE requester_id IN
		(SELECT id FROM end_users WHERE email IN ('visitor3@example.com', 'visitor7@example.com'))`)
	require.NoError(t, err)

	// Discovery, unauthenticated, then the certificate it names, verified against the CA.
	c := &controller{t: t, base: env.Server.URL}
	disc := c.raw("GET", "/opendsr/discovery", "")
	require.Equal(t, http.StatusOK, disc.Status)
	d := disc.json(t)
	require.Equal(t, "2.0", d["api_version"])
	require.ElementsMatch(t, []any{"access", "portability", "erasure"}, d["supported_subject_request_types"])
	require.Len(t, d["supported_identities"], 3)
	certURL := d["processor_certificate"].(string)
	require.Equal(t, env.Server.URL+"/opendsr/cert.pem", certURL)
	resp, err := openAPICheck.Client(t).Get(certURL)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	chainPEM, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	var certs []*x509.Certificate
	for rest := chainPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		require.NoError(t, err)
		certs = append(certs, cert)
	}
	require.Len(t, certs, 2, "leaf and intermediate")
	inter := x509.NewCertPool()
	inter.AddCert(certs[1])
	_, err = certs[0].Verify(x509.VerifyOptions{Roots: p.roots, Intermediates: inter, DNSName: processorDomain})
	require.NoError(t, err, "the served chain verifies against the test CA")
	c.leaf = certs[0]
	c.verify("OpenDSR", disc.Header, disc.Body)
	c.verify("OpenGDPR", disc.Header, disc.Body)
	c.key = key

	// Each type, with a raw email and with both digests.
	type submitted struct{ id, typ string }
	var all []submitted
	cases := []struct {
		typ, email string
		format     domain.IdentityFormat
	}{
		{"access", "visitor2@example.com", domain.IdentityRaw},
		{"portability", "Visitor4@Example.com", domain.IdentitySHA256},
		{"erasure", "visitor3@example.com", domain.IdentityMD5},
		{"access", "visitor5@example.com", domain.IdentitySHA256},
	}
	for _, tc := range cases {
		value := tc.email
		if tc.format != domain.IdentityRaw {
			value = hexDigest(tc.format, tc.email)
		}
		id := uuid.NewString()
		body := withEndpoint(submission(id, tc.typ, ident(tc.format, value)))
		r := c.do("OpenDSR", "POST", "/opendsr/requests", body)
		require.Equal(t, http.StatusCreated, r.Status, "%s %s: %s", tc.typ, tc.format, r.Body)
		t.Logf("POST /opendsr/requests %s\n-> %d X-OpenDSR-Signature: %s\n   %s", body, r.Status, r.Header.Get("X-OpenDSR-Signature"), r.Body)
		m := r.json(t)
		require.Equal(t, id, m["subject_request_id"])
		require.Equal(t, tn.ID, m["controller_id"])
		require.Equal(t, "2.0", m["api_version"])
		enc, err := base64.StdEncoding.DecodeString(m["encoded_request"].(string))
		require.NoError(t, err)
		require.Equal(t, body, string(enc))
		_, err = time.Parse(time.RFC3339, m["expected_completion_time"].(string))
		require.NoError(t, err)
		// The same submission again is the same request.
		again := c.do("OpenDSR", "POST", "/opendsr/requests", body)
		require.Equal(t, http.StatusCreated, again.Status, "%s", again.Body)
		all = append(all, submitted{id, tc.typ})

		// The request runs under the resolved (lower-cased) email.
		link, err := env.Store.OpenDSRBySubjectRequest(ctx, tn.ID, id)
		require.NoError(t, err)
		req, err := env.Store.GetRequest(ctx, tn.ID, link.RequestID)
		require.NoError(t, err)
		require.Equal(t, strings.ToLower(tc.email), strings.ToLower(req.SubjectEmail))
		require.Equal(t, domain.OpenDSRType(tc.typ).Right(), req.Type)
	}

	// Status until completed; the exports name their package.
	for _, s := range all {
		var m map[string]any
		require.Eventually(t, func() bool {
			r := c.do("OpenDSR", "GET", "/opendsr/requests/"+s.id, "")
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			m = r.json(t)
			require.Contains(t, domain.OpenDSRStatuses, domain.OpenDSRStatus(m["request_status"].(string)))
			return m["request_status"] == "completed"
		}, 90*time.Second, 200*time.Millisecond, "request %s (%s) completes", s.id, s.typ)
		require.Greater(t, m["results_count"].(float64), float64(0), "%s finds data", s.typ)
		t.Logf("GET /opendsr/requests/%s -> %v", s.id, m)
		if s.typ == "erasure" {
			require.NotContains(t, m, "results_url")
			continue
		}
		pkg := c.raw("GET", strings.TrimPrefix(m["results_url"].(string), env.Server.URL), "")
		require.Equal(t, http.StatusOK, pkg.Status)
		require.Equal(t, "application/zip", pkg.Header.Get("Content-Type"))
	}

	// Status callbacks: each request's changes reach the controller's endpoint, signed with
	// the processor's key, at least once; the callback the endpoint refused (503) came again.
	for _, s := range all {
		require.Eventually(t, func() bool {
			got := endpoint.accepted(t, s.id)
			return len(got) > 0 && slices.Contains(got, "completed")
		}, 60*time.Second, 100*time.Millisecond, "the completion of %s is called back", s.id)
		got := endpoint.accepted(t, s.id)
		require.True(t, slices.ContainsFunc(got, func(st string) bool { return st == "pending" || st == "in_progress" }),
			"%s: a status before the completion is called back: %v", s.id, got)
		t.Logf("callbacks of %s (%s): %v", s.id, s.typ, got)
	}
	cbs := endpoint.callbacks()
	require.Equal(t, http.StatusServiceUnavailable, cbs[0].answer)
	retried := false
	for _, cb := range cbs {
		c.verify("OpenDSR", cb.header, cb.body)
		m := (response{Body: cb.body}).json(t)
		require.Equal(t, endpoint.url(), m["status_callback_url"])
		require.Equal(t, tn.ID, m["controller_id"])
		require.NotEmpty(t, m["expected_completion_time"])
		if m["request_status"] == "completed" && m["subject_request_id"] == all[0].id {
			require.NotEmpty(t, m["results_url"], "an access request's completion names its package")
			require.Greater(t, m["results_count"].(float64), float64(0))
		}
		retried = retried || (cb.answer == http.StatusAccepted && bytes.Equal(cb.body, cbs[0].body))
	}
	require.True(t, retried, "the refused callback was sent again: %s", cbs[0].body)
	t.Logf("POST %s (first try, answered 503, then again 202)\n   X-OpenDSR-Signature: %s\n   %s",
		endpoint.url(), cbs[0].header.Get("X-OpenDSR-Signature"), cbs[0].body)

	// Cancellation: a completed request cannot be; one blocked before anything was
	// applied (visitor1's open conversation) can, and reads cancelled afterwards.
	done := c.do("OpenDSR", "DELETE", "/opendsr/requests/"+all[0].id, "")
	require.Equal(t, http.StatusBadRequest, done.Status, "%s", done.Body)
	blockedID := uuid.NewString()
	r := c.do("OpenDSR", "POST", "/opendsr/requests", withEndpoint(submission(blockedID, "erasure", ident(domain.IdentityRaw, "visitor1@example.com"))))
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	bl, err := env.Store.OpenDSRBySubjectRequest(ctx, tn.ID, blockedID)
	require.NoError(t, err)
	// The workflow rechecks its blockers (in_progress for a moment, then waiting again), so
	// a cancel can land between two checks and be refused: try again while it is.
	var cancel response
	require.Eventually(t, func() bool {
		env.WaitStatus(t, bl.RequestID, domain.StatusWaiting)
		cancel = c.do("OpenDSR", "DELETE", "/opendsr/requests/"+blockedID, "")
		return cancel.Status == http.StatusAccepted
	}, 60*time.Second, 100*time.Millisecond, "the cancel is taken while the erasure waits")
	require.Equal(t, blockedID, cancel.json(t)["subject_request_id"])
	require.Equal(t, "cancelled", c.do("OpenDSR", "GET", "/opendsr/requests/"+blockedID, "").json(t)["request_status"])
	again := c.do("OpenDSR", "DELETE", "/opendsr/requests/"+blockedID, "")
	require.Equal(t, http.StatusAccepted, again.Status, "cancelling twice is a no-op")
	require.Eventually(t, func() bool { return slices.Contains(endpoint.accepted(t, blockedID), "cancelled") },
		60*time.Second, 100*time.Millisecond, "the cancellation is called back")

	// Legacy OpenGDPR: its resource, its headers, its api_version, no regulation.
	legacyID := uuid.NewString()
	legacy := fmt.Sprintf(`{"subject_request_id":%q,"subject_request_type":"access","submitted_time":"2024-05-02T10:00:00Z",`+
		`"subject_identities":[%s],"api_version":"1.0"}`, legacyID, ident(domain.IdentityRaw, "visitor6@example.com"))
	lr := c.do("OpenGDPR", "POST", "/opendsr/opengdpr_requests", legacy)
	require.Equal(t, http.StatusCreated, lr.Status, "%s", lr.Body)
	require.Empty(t, lr.Header.Get("X-OpenDSR-Signature"))
	ls := c.do("OpenGDPR", "GET", "/opendsr/opengdpr_requests/"+legacyID, "")
	require.Equal(t, http.StatusOK, ls.Status)
	require.Equal(t, "1.0", ls.json(t)["api_version"])
	wrongVersion := c.do("OpenDSR", "POST", "/opendsr/requests", strings.Replace(legacy, legacyID, uuid.NewString(), 1))
	require.Equal(t, http.StatusBadRequest, wrongVersion.Status, "OpenDSR needs a regulation and version 2.0")

	// Lookups that find nothing.
	for _, path := range []string{"/opendsr/requests/" + uuid.NewString(), "/opendsr/requests/not-a-uuid",
		"/opendsr/requests/" + strings.ToUpper(all[0].id), "/opendsr/opengdpr_requests/" + uuid.NewString()} {
		dialect := "OpenDSR"
		if strings.Contains(path, "opengdpr") {
			dialect = "OpenGDPR"
		}
		for _, method := range []string{"GET", "DELETE"} {
			r := c.do(dialect, method, path, "")
			require.Equal(t, http.StatusNotFound, r.Status, "%s %s", method, path)
			require.EqualValues(t, 404, r.json(t)["error"].(map[string]any)["code"])
		}
	}
	// Another controller does not see this one's requests.
	_, otherKey := env.Tenant(t, "Other controller")
	other := &controller{t: t, base: c.base, key: otherKey, leaf: c.leaf}
	require.Equal(t, http.StatusNotFound, other.do("OpenDSR", "GET", "/opendsr/requests/"+all[0].id, "").Status)
	anon := &controller{t: t, base: c.base, leaf: c.leaf}
	require.Equal(t, http.StatusUnauthorized, anon.do("OpenDSR", "POST", "/opendsr/requests", submission(uuid.NewString(), "access", ident(domain.IdentityRaw, "a@example.com"))).Status)

	// Bad submissions: each refused with the field named, signed, never a 5xx.
	id := uuid.NewString()
	good := ident(domain.IdentityRaw, "visitor8@example.com")
	bad := []struct {
		name, body, field string
		status            int
	}{
		{"not JSON", `{"subject_request_id":`, "JSON", 400},
		{"trailing data", submission(id, "access", good) + `{}`, "after the JSON", 400},
		{"unknown field", strings.Replace(submission(id, "access", good), `"regulation"`, `"regulations"`, 1), "regulations", 400},
		{"missing id", strings.Replace(submission(id, "access", good), `"subject_request_id":"`+id+`",`, "", 1), "subject_request_id", 400},
		{"id not v4", submission("0190b0a4-7f6e-7c3a-9b1d-2a3b4c5d6e7f", "access", good), "subject_request_id", 400},
		{"id upper case", submission(strings.ToUpper(id), "access", good), "subject_request_id", 400},
		{"rectification", submission(id, "rectification", good), "subject_request_type", 400},
		{"no regulation", strings.Replace(submission(id, "access", good), `"regulation":"gdpr",`, "", 1), "regulation", 400},
		{"lgpd", strings.Replace(submission(id, "access", good), `"gdpr"`, `"lgpd"`, 1), "regulation", 400},
		{"bad time", strings.Replace(submission(id, "access", good), "2024-05-02T10:00:00Z", "yesterday", 1), "submitted_time", 400},
		{"future time", strings.Replace(submission(id, "access", good), "2024-05-02", "2999-05-02", 1), "submitted_time", 400},
		{"version 1.0", strings.Replace(submission(id, "access", good), `"2.0"`, `"1.0"`, 1), "api_version", 400},
		{"no identities", submission(id, "access"), "subject_identities", 400},
		{"phone identity", submission(id, "access", `{"identity_type":"phone_number","identity_value":"+33100000000","identity_format":"raw"}`), "identity_type", 400},
		{"sha1", submission(id, "access", ident("sha1", strings.Repeat("a", 40))), "identity_format", 400},
		{"not an email", submission(id, "access", ident(domain.IdentityRaw, "not-an-email")), "identity_value", 400},
		{"short digest", submission(id, "access", ident(domain.IdentitySHA256, "abc")), "identity_value", 400},
		{"unknown digest", submission(id, "access", ident(domain.IdentitySHA256, hexDigest(domain.IdentitySHA256, "nobody@example.com"))), "subject_identities", 400},
		{"http callback", strings.Replace(submission(id, "access", good), "https://controller", "http://controller", 1), "status_callback_urls[0]", 400},
		{"callback credentials", strings.Replace(submission(id, "access", good), "https://controller", "https://u:p@controller", 1), "status_callback_urls[0]", 400},
		{"relative callback", strings.Replace(submission(id, "access", good), "https://controller.example", "", 1), "status_callback_urls[0]", 400},
		{"our extension", strings.Replace(submission(id, "access", good), `"api_version"`, `"extensions":{"dsr.test":{"x":1}},"api_version"`, 1), "extensions.dsr.test", 400},
		{"invalid UTF-8", strings.Replace(submission(id, "access", good), "gdpr", "gd\xffpr", 1), "UTF-8", 400},
		{"reused id, other body", submission(all[0].id, "erasure", ident(domain.IdentityRaw, "visitor2@example.com")), "subject_request_id", 400},
	}
	for _, tc := range bad {
		r := c.do("OpenDSR", "POST", "/opendsr/requests", tc.body)
		require.Equal(t, tc.status, r.Status, "%s: %s", tc.name, r.Body)
		e := r.json(t)["error"].(map[string]any)
		require.EqualValues(t, tc.status, e["code"], tc.name)
		require.Contains(t, e["message"], tc.field, tc.name)
		details := e["errors"].([]any)
		require.NotEmpty(t, details, tc.name)
		require.NotContains(t, string(r.Body), "visitor8", "%s: no identity in errors", tc.name)
	}
	t.Logf("bad submissions refused: %d", len(bad))
	_, err = env.Store.OpenDSRBySubjectRequest(ctx, tn.ID, id)
	require.ErrorIs(t, err, store.ErrNotFound, "nothing of a refused submission is recorded")
	// Extensions of other processors are theirs: accepted, ignored.
	ok := c.do("OpenDSR", "POST", "/opendsr/requests", strings.Replace(submission(id, "access", good), `"api_version"`,
		`"extensions":{"other.example":{"property_id":"1"},"dsr.test":{}},"api_version"`, 1))
	require.Equal(t, http.StatusCreated, ok.Status, "%s", ok.Body)
}
