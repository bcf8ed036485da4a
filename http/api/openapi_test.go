package api

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/testkit/oapitest"
)

// openAPICheck validates every call the package's tests make against openapi.json.
var openAPICheck = oapitest.MustNew(openAPIDocument)

// TestMain prints, once the tests ran, how many responses were validated against the
// OpenAPI document.
func TestMain(m *testing.M) { openAPICheck.Main(m) }

func TestServeOpenAPI(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	// No store: the document is served before any authentication.
	(&API{Log: slog.New(slog.DiscardHandler)}).Register(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	client := openAPICheck.Client(t)

	get := func(header ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/openapi.json", nil)
		require.NoError(t, err)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}
	resp := get()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.Equal(t, "public, max-age=300", resp.Header.Get("Cache-Control"))
	etag := resp.Header.Get("ETag")
	require.Regexp(t, `^"[0-9a-f]{24}"$`, etag)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, openAPIDocument, body)

	tests := []struct {
		name   string
		header string
		status int
	}{
		{name: "same etag", header: etag, status: http.StatusNotModified},
		{name: "weak and listed", header: `"other", W/` + etag, status: http.StatusNotModified},
		{name: "any", header: "*", status: http.StatusNotModified},
		{name: "changed", header: `"0000"`, status: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get("If-None-Match", tt.header)
			require.Equal(t, tt.status, resp.StatusCode)
			require.Equal(t, etag, resp.Header.Get("ETag"))
		})
	}
	// The copy handed out is the caller's.
	doc := OpenAPI()
	doc[0] = 'x'
	require.Equal(t, byte('{'), openAPIDocument[0])
}

// TestOpenAPIEnums checks every enum and const of the document against the one list it
// mirrors (the domain's, the error codes, the report formats): a value added to a list must
// be added to the document, and an enum added to the document must say what it mirrors here.
// The OpenDSR schemas' (named OpenDSR... and OpenGDPR...) mirror lists of http/opendsr,
// which imports this package: its TestOpenAPIEnums checks them.
func TestOpenAPIEnums(t *testing.T) {
	t.Parallel()
	found, err := oapitest.Enums(openAPIDocument)
	require.NoError(t, err)
	for at := range found {
		if strings.HasPrefix(at, "/components/schemas/OpenDSR") || strings.HasPrefix(at, "/components/schemas/OpenGDPR") {
			delete(found, at)
		}
	}

	errorCode := func(schema string) string {
		return "/components/schemas/" + schema + "/properties/error/properties/code/const"
	}
	ifType := func(i int) string {
		return fmt.Sprintf("/components/schemas/CreateRequest/allOf/%d/if/properties/type/const", i)
	}
	// Each webhook's payload names its event type.
	webhookType := func(e domain.WebhookEvent) string {
		return "/webhooks/" + string(e) + "/post/requestBody/content/application~1json/schema/properties/type/const"
	}
	want := map[string][]string{
		"/components/schemas/RequestType/enum":                                               domain.Strings(domain.RequestTypes),
		"/components/schemas/Status/enum":                                                    domain.Strings(domain.Statuses),
		"/components/schemas/ErasureScope/enum":                                              domain.Strings(domain.ErasureScopes),
		"/components/schemas/Purpose/enum":                                                   domain.Strings(domain.Purposes),
		"/components/schemas/RectifiableField/enum":                                          domain.RectifiableFields,
		"/components/schemas/EventKind/enum":                                                 domain.Strings(domain.EventKinds),
		"/components/schemas/Recipient/properties/kind/enum":                                 domain.Reaches,
		"/components/schemas/Recipient/properties/status/enum":                               domain.Strings(domain.RecipientStatuses),
		"/components/schemas/ErrorCode/enum":                                                 ErrorCodes,
		"/components/schemas/ReportFormat/enum":                                              slices.Sorted(maps.Keys(reportFormats)),
		"/components/schemas/UnprocessableCreateError/properties/error/properties/code/enum": {CodeInvalid, CodeIdempotency},
		"/components/schemas/KeyScope/enum":                                                  domain.Strings(domain.KeyScopes),
		"/components/schemas/WebhookEventType/enum":                                          domain.Strings(domain.WebhookEvents),
		"/components/schemas/DeliveryStatus/enum":                                            domain.Strings(domain.DeliveryStatuses),
		"/components/schemas/AttemptError/enum":                                              domain.Strings(domain.AttemptErrors),
		"/components/schemas/DuplicateError/properties/error/properties/code/const":          {CodeDuplicate},
		errorCode("ForbiddenError"):                                                          {CodeForbidden},
		errorCode("TooLargeError"):                                                           {CodeTooLarge},
		webhookType(domain.WebhookStatusChanged):                                             {string(domain.WebhookStatusChanged)},
		webhookType(domain.WebhookPackageReady):                                              {string(domain.WebhookPackageReady)},
		errorCode("BadRequestError"):                                                         {CodeBadRequest},
		errorCode("UnauthorizedError"):                                                       {CodeUnauthorized},
		errorCode("NotFoundError"):                                                           {CodeNotFound},
		errorCode("ConflictError"):                                                           {CodeConflict},
		errorCode("InvalidError"):                                                            {CodeInvalid},
		errorCode("UnavailableError"):                                                        {CodeUnavailable},
		errorCode("InternalError"):                                                           {CodeInternal},
		ifType(0):                                                                            {string(domain.Rectification)},
		ifType(1):                                                                            {string(domain.Erasure)},
		ifType(2):                                                                            {string(domain.Objection)},
		// Values of one handler each, not lists of the domain.
		"/components/headers/IdempotentReplayed/schema/enum":                                          {"true"},
		"/components/headers/NoStore/schema/enum":                                                     {"no-store"},
		"/paths/~1healthz/get/responses/200/content/application~1json/schema/properties/status/const": {"ok"},
	}
	require.ElementsMatch(t, slices.Collect(maps.Keys(want)), slices.Collect(maps.Keys(found)),
		"every enum and const of the document is checked here")
	for at, values := range want {
		got := found[at]
		if strings.HasSuffix(at, "/ReportFormat/enum") {
			slices.Sort(got)
		}
		require.Equal(t, values, got, at)
	}
}
