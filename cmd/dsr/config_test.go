package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/app"
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

// TestOIDCConfig: single sign-on is off without an issuer; with one, the client id and a
// role mapping are required, and every error names its variable; local passwords can be
// turned off only with single sign-on.
func TestOIDCConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		// errs are what the error says; none: no error.
		errs []string
	}{
		{name: "off by default", env: map[string]string{}},
		{name: "complete", env: map[string]string{"DSR_OIDC_ISSUER": "https://idp.example.com/realms/vendor",
			"DSR_OIDC_CLIENT_ID": "dsr", "DSR_OIDC_ROLES": "dsr-admins=admin, dsr-dpo=dpo", "DSR_LOCAL_PASSWORDS": "off"}},
		{name: "loopback http", env: map[string]string{"DSR_OIDC_ISSUER": "http://127.0.0.1:5556/dex",
			"DSR_OIDC_CLIENT_ID": "dsr", "DSR_OIDC_ROLES": "staff=viewer"}},
		{name: "incomplete", env: map[string]string{"DSR_OIDC_ISSUER": "http://idp.example.com", "DSR_OIDC_SCOPES": "email profile",
			"DSR_OIDC_ROLES": "dsr-admins=root"},
			errs: []string{"DSR_OIDC_ISSUER", "must be https", "DSR_OIDC_CLIENT_ID is required", "DSR_OIDC_SCOPES must include openid", "DSR_OIDC_ROLES", "one of viewer, dpo, admin"}},
		{name: "no roles", env: map[string]string{"DSR_OIDC_ISSUER": "https://idp.example.com", "DSR_OIDC_CLIENT_ID": "dsr"},
			errs: []string{"DSR_OIDC_ROLES", "no group is mapped"}},
		{name: "passwords off without sso", env: map[string]string{"DSR_LOCAL_PASSWORDS": "off"},
			errs: []string{"DSR_LOCAL_PASSWORDS: off needs single sign-on"}},
		{name: "passwords neither", env: map[string]string{"DSR_LOCAL_PASSWORDS": "no"},
			errs: []string{"DSR_LOCAL_PASSWORDS", "neither on nor off"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, name := range []string{"DSR_OIDC_ISSUER", "DSR_OIDC_CLIENT_ID", "DSR_OIDC_CLIENT_SECRET", "DSR_OIDC_SCOPES",
				"DSR_OIDC_ROLE_CLAIM", "DSR_OIDC_ROLES", "DSR_OIDC_NAME", "DSR_LOCAL_PASSWORDS"} {
				t.Setenv(name, tc.env[name])
			}
			c, err := loadConfig(app.ModeAll)
			if len(tc.errs) == 0 {
				require.NoError(t, err)
				require.Equal(t, tc.env["DSR_OIDC_ISSUER"] != "", c.OIDC.Enabled())
				require.Equal(t, tc.env["DSR_LOCAL_PASSWORDS"] != "off", c.LocalPasswords)
				return
			}
			require.Error(t, err)
			for _, want := range tc.errs {
				require.ErrorContains(t, err, want)
			}
		})
	}
}
