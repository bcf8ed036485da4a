package tenants_test

import (
	"testing"

	"dsr/internal/deadline"
	"dsr/internal/domain"
	"dsr/internal/tenants"

	"github.com/stretchr/testify/require"
)

// A tenant can be created for every country deadline supports (the one
// list), in any case; others are refused with the list.
func TestValidateCountries(t *testing.T) {
	t.Parallel()
	for _, code := range append(deadline.Countries(), "pt", " fi ") {
		tn := tenants.Tenant{Name: "Acme", Region: domain.Regions[0], Country: code, TZ: "UTC"}
		require.NoError(t, tn.Validate(), code)
	}
	tn := tenants.Tenant{Name: "Acme", Region: domain.Regions[0], Country: "XX", TZ: "UTC"}
	err := tn.Validate()
	var invalid *tenants.InvalidError
	require.ErrorAs(t, err, &invalid)
	require.ErrorContains(t, err, `unknown country "XX"`)
}
