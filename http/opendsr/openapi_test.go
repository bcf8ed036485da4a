package opendsr

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/http/api"
	"dsr/internal/domain"
	"dsr/internal/testkit/oapitest"
)

// TestOpenAPIEnums checks the enums and consts of the OpenAPI document's OpenDSR schemas
// (those named OpenDSR... and OpenGDPR...; http/api's TestOpenAPIEnums checks the others)
// against the lists they mirror, the domain's and this package's, and the digests' patterns
// against their lengths.
func TestOpenAPIEnums(t *testing.T) {
	t.Parallel()
	found, err := oapitest.Enums(api.OpenAPI())
	require.NoError(t, err)
	got := map[string][]string{}
	for at, values := range found {
		if strings.HasPrefix(at, "/components/schemas/OpenDSR") || strings.HasPrefix(at, "/components/schemas/OpenGDPR") {
			got[at] = values
		}
	}
	var versions []string
	for _, d := range dialects {
		versions = append(versions, d.versions...)
	}
	// The identity's value is checked by its format, for each digest.
	var digests []domain.IdentityFormat
	for _, f := range domain.IdentityFormats {
		if f != domain.IdentityRaw {
			digests = append(digests, f)
		}
	}
	ifFormat := func(i int) string {
		return fmt.Sprintf("/components/schemas/OpenDSRIdentity/allOf/%d/if/properties/identity_format/const", i)
	}
	want := map[string][]string{
		"/components/schemas/OpenDSRRequestType/enum":                        domain.Strings(domain.OpenDSRTypes),
		"/components/schemas/OpenDSRStatus/enum":                             domain.Strings(domain.OpenDSRStatuses),
		"/components/schemas/OpenDSRIdentityFormat/enum":                     domain.Strings(domain.IdentityFormats),
		"/components/schemas/OpenDSRIdentityType/const":                      {identityEmail},
		"/components/schemas/OpenDSRRegulation/enum":                         regulations,
		"/components/schemas/OpenDSRAPIVersion/enum":                         versions,
		"/components/schemas/OpenDSRSubmission/properties/api_version/enum":  openDSR.versions,
		"/components/schemas/OpenGDPRSubmission/properties/api_version/enum": openGDPR.versions,
		"/components/schemas/OpenDSRDiscovery/properties/api_version/const":  {APIVersion},
	}
	for i, f := range digests {
		want[ifFormat(i)] = []string{string(f)}
	}
	require.Equal(t, want, got, "the document's OpenDSR enums (right) and the lists they mirror (left)")

	var doc struct {
		Components struct {
			Schemas struct {
				Identity struct {
					AllOf []struct {
						Then struct {
							Properties struct {
								Value struct {
									Pattern string `json:"pattern"`
								} `json:"identity_value"`
							} `json:"properties"`
						} `json:"then"`
					} `json:"allOf"`
				} `json:"OpenDSRIdentity"`
			} `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(api.OpenAPI(), &doc))
	require.Len(t, doc.Components.Schemas.Identity.AllOf, len(digests))
	for i, f := range digests {
		require.Equal(t, fmt.Sprintf("^[0-9a-fA-F]{%d}$", f.HexLen()), doc.Components.Schemas.Identity.AllOf[i].Then.Properties.Value.Pattern, f)
	}
}
