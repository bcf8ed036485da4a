package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSecureCookies: DSR_SECURE_COOKIES wins; unset, an https public URL makes cookies
// Secure and an http one does not.
func TestSecureCookies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url, env string
		want     bool
	}{
		{"https://dsr.example.com", "", true},
		{"HTTPS://dsr.example.com", "", true},
		{"http://127.0.0.1:8080", "", false},
		{"http://127.0.0.1:8080", "true", true},
		{"https://dsr.example.com", "false", false},
	} {
		got, err := secureCookies(tc.url, tc.env)
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "%s with %q", tc.url, tc.env)
	}
	_, err := secureCookies("https://dsr.example.com", "yes please")
	require.ErrorContains(t, err, "DSR_SECURE_COOKIES")
}
