package domain_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
)

func TestAllows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		role, want domain.Role
		ok         bool
	}{
		{"viewer", "viewer", true}, {"viewer", "dpo", false}, {"viewer", "admin", false},
		{"dpo", "viewer", true}, {"dpo", "dpo", true}, {"dpo", "admin", false},
		{"admin", "viewer", true}, {"admin", "dpo", true}, {"admin", "admin", true},
		{"", "viewer", false}, {"root", "viewer", false}, {"admin", "root", false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.ok, tt.role.Allows(tt.want), "%s wants %s", tt.role, tt.want)
	}
}
