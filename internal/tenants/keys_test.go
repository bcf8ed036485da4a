package tenants_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/tenants"
)

func TestParseOverlap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{in: "", want: 24 * time.Hour},
		{in: "0", want: 0},
		{in: "90m", want: 90 * time.Minute},
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "168h", want: 7 * 24 * time.Hour},
		{in: "8d", err: "between 0"},
		{in: "169h", err: "between 0"},
		{in: "-1s", err: "between 0"},
		{in: "-1d", err: "between 0"},
		{in: "99999999999999d", err: "between 0"},
		{in: "soon", err: `"soon"`},
		{in: "d", err: `"d"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := tenants.ParseOverlap(tt.in)
			if tt.err != "" {
				var invalid *tenants.InvalidError
				require.ErrorAs(t, err, &invalid)
				require.Contains(t, invalid.Reason, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestNewKeyValidate(t *testing.T) {
	t.Parallel()
	k := tenants.NewKey{Name: "  CRM  ", Scopes: []domain.KeyScope{domain.KeyScopeAdmin, domain.KeyScopeRequests}}
	require.NoError(t, k.Validate())
	require.Equal(t, "CRM", k.Name)
	require.Equal(t, []domain.KeyScope{domain.KeyScopeRequests, domain.KeyScopeAdmin}, k.Scopes)
	for name, bad := range map[string]tenants.NewKey{
		"no name":  {Name: " ", Scopes: domain.KeyScopes},
		"long":     {Name: strings.Repeat("é", 101), Scopes: domain.KeyScopes},
		"bidi":     {Name: "a\u202eb", Scopes: domain.KeyScopes},
		"no scope": {Name: "a"},
		"unknown":  {Name: "a", Scopes: []domain.KeyScope{"root"}},
	} {
		require.Error(t, bad.Validate(), name)
	}
	require.NoError(t, (&tenants.NewKey{Name: strings.Repeat("é", 100), Scopes: domain.KeyScopes}).Validate(), "100 characters, not bytes")
}
