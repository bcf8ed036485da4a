package domain_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
)

func TestKeyScopes(t *testing.T) {
	t.Parallel()
	require.True(t, domain.KeyScopeRequests.GrantedBy([]domain.KeyScope{domain.KeyScopeAdmin}), "admin grants every scope")
	require.True(t, domain.KeyScopeRequests.GrantedBy([]domain.KeyScope{domain.KeyScopeRequests}))
	require.False(t, domain.KeyScopeAdmin.GrantedBy([]domain.KeyScope{domain.KeyScopeRequests}))
	require.False(t, domain.KeyScopeAdmin.GrantedBy(nil))
	require.False(t, domain.KeyScope("root").Grants(domain.KeyScope("root")), "an unknown scope grants nothing")

	tests := []struct {
		name, in string
		want     []domain.KeyScope
		err      string
	}{
		{name: "one", in: "requests", want: []domain.KeyScope{domain.KeyScopeRequests}},
		{name: "ordered without repeats", in: " admin,requests,admin ", want: []domain.KeyScope{domain.KeyScopeRequests, domain.KeyScopeAdmin}},
		{name: "empty", in: " , ", err: "at least one of requests, admin"},
		{name: "unknown", in: "requests,root", err: `"root"`},
		{name: "case matters", in: "Admin", err: `"Admin"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseKeyScopes(tt.in)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
