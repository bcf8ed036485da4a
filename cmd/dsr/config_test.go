package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/app"
	"dsr/internal/testkit/temporalserver"
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

// TestTemporalConfig: the connection to an external Temporal is plain by default; any CA,
// client certificate, server name or API key turns TLS on; the files are read and parsed at
// start, and every error names its variable.
func TestTemporalConfig(t *testing.T) {
	dir := t.TempDir()
	certs := temporalserver.NewCerts(t, dir)
	notPEM := filepath.Join(dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))
	keyFile := filepath.Join(dir, "api-key")
	require.NoError(t, os.WriteFile(keyFile, []byte("cloud-key-123\n"), 0o600))
	const addr = "temporal.example.com:7233"
	for _, tc := range []struct {
		name    string
		env     map[string]string
		tls     bool
		apiKey  string
		errs    []string
		checkFn func(t *testing.T, c app.Config)
	}{
		{name: "plain", env: map[string]string{"TEMPORAL_ADDRESS": addr}},
		{name: "embedded", env: map[string]string{}},
		{name: "tls on", env: map[string]string{"TEMPORAL_ADDRESS": addr, "DSR_TEMPORAL_TLS": "on"}, tls: true},
		{name: "ca implies tls", env: map[string]string{"TEMPORAL_ADDRESS": addr, "DSR_TEMPORAL_CA_FILE": certs.CAFile}, tls: true},
		{name: "mtls", env: map[string]string{"TEMPORAL_ADDRESS": addr, "DSR_TEMPORAL_CA_FILE": certs.CAFile,
			"DSR_TEMPORAL_CERT_FILE": certs.ClientCertFile, "DSR_TEMPORAL_KEY_FILE": certs.ClientKey, "DSR_TEMPORAL_SERVER_NAME": "localhost"}, tls: true},
		{name: "api key", env: map[string]string{"TEMPORAL_ADDRESS": addr, "DSR_TEMPORAL_API_KEY": "k1"}, tls: true, apiKey: "k1"},
		{name: "api key file", env: map[string]string{"TEMPORAL_ADDRESS": addr, "DSR_TEMPORAL_API_KEY_FILE": keyFile}, tls: true, apiKey: "cloud-key-123"},
		{name: "retention", env: map[string]string{"DSR_TEMPORAL_RETENTION": "72h"}, checkFn: func(t *testing.T, c app.Config) {
			require.Equal(t, 72*time.Hour, c.TemporalRetention)
		}},
		{name: "retention default", env: map[string]string{}, checkFn: func(t *testing.T, c app.Config) {
			require.Equal(t, app.DefaultTemporalRetention, c.TemporalRetention)
		}},
		{name: "retention short", env: map[string]string{"DSR_TEMPORAL_RETENTION": "2h"}, errs: []string{"DSR_TEMPORAL_RETENTION", "shorter than 24h"}},
		{name: "retention garbage", env: map[string]string{"DSR_TEMPORAL_RETENTION": "a month"}, errs: []string{"DSR_TEMPORAL_RETENTION", "not a duration"}},
		{name: "tls neither", env: map[string]string{"TEMPORAL_ADDRESS": addr, "DSR_TEMPORAL_TLS": "yes"}, errs: []string{"DSR_TEMPORAL_TLS", "neither on nor off"}},
		{name: "tls off with ca", env: map[string]string{"TEMPORAL_ADDRESS": addr, "DSR_TEMPORAL_TLS": "off", "DSR_TEMPORAL_CA_FILE": certs.CAFile},
			errs: []string{"DSR_TEMPORAL_TLS is off"}},
		{name: "tls without address", env: map[string]string{"DSR_TEMPORAL_API_KEY": "k1"}, errs: []string{"need TEMPORAL_ADDRESS"}},
		{name: "cert without key", env: map[string]string{"TEMPORAL_ADDRESS": addr, "DSR_TEMPORAL_CERT_FILE": certs.ClientCertFile},
			errs: []string{"DSR_TEMPORAL_CERT_FILE and DSR_TEMPORAL_KEY_FILE go together"}},
		{name: "ca not pem", env: map[string]string{"TEMPORAL_ADDRESS": addr, "DSR_TEMPORAL_CA_FILE": notPEM}, errs: []string{"DSR_TEMPORAL_CA_FILE", "holds no PEM certificate"}},
		{name: "ca missing", env: map[string]string{"TEMPORAL_ADDRESS": addr, "DSR_TEMPORAL_CA_FILE": filepath.Join(dir, "nope.pem")}, errs: []string{"DSR_TEMPORAL_CA_FILE", "no such file"}},
		{name: "key not matching", env: map[string]string{"TEMPORAL_ADDRESS": addr, "DSR_TEMPORAL_CERT_FILE": certs.ClientCertFile, "DSR_TEMPORAL_KEY_FILE": certs.ServerKey},
			errs: []string{"DSR_TEMPORAL_CERT_FILE/DSR_TEMPORAL_KEY_FILE", "does not match"}},
		{name: "key not pem", env: map[string]string{"TEMPORAL_ADDRESS": addr, "DSR_TEMPORAL_CERT_FILE": certs.ClientCertFile, "DSR_TEMPORAL_KEY_FILE": notPEM},
			errs: []string{"DSR_TEMPORAL_CERT_FILE/DSR_TEMPORAL_KEY_FILE"}},
		{name: "api key file missing", env: map[string]string{"TEMPORAL_ADDRESS": addr, "DSR_TEMPORAL_API_KEY_FILE": filepath.Join(dir, "nope")},
			errs: []string{"DSR_TEMPORAL_API_KEY_FILE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, name := range []string{"TEMPORAL_ADDRESS", "DSR_TEMPORAL_TLS", "DSR_TEMPORAL_CA_FILE", "DSR_TEMPORAL_CERT_FILE", "DSR_TEMPORAL_KEY_FILE",
				"DSR_TEMPORAL_SERVER_NAME", "DSR_TEMPORAL_API_KEY", "DSR_TEMPORAL_API_KEY_FILE", "DSR_TEMPORAL_RETENTION"} {
				t.Setenv(name, tc.env[name])
			}
			c, err := loadConfig(app.ModeAll)
			if len(tc.errs) > 0 {
				require.Error(t, err)
				for _, want := range tc.errs {
					require.ErrorContains(t, err, want)
				}
				require.NotContains(t, err.Error(), "cloud-key-123", "errors never repeat the API key")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.tls, c.TemporalTLS.On())
			o, err := c.TemporalClientOptions(addr, slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			require.Equal(t, addr, o.HostPort)
			require.Equal(t, "dsr", o.Namespace)
			require.Equal(t, tc.apiKey != "", o.Credentials != nil)
			if tc.tls {
				require.NotNil(t, o.ConnectionOptions.TLS)
				require.Equal(t, tc.env["DSR_TEMPORAL_SERVER_NAME"], o.ConnectionOptions.TLS.ServerName)
				require.Equal(t, tc.env["DSR_TEMPORAL_CA_FILE"] != "", o.ConnectionOptions.TLS.RootCAs != nil)
				require.Equal(t, tc.env["DSR_TEMPORAL_CERT_FILE"] != "", len(o.ConnectionOptions.TLS.Certificates) == 1)
			} else {
				require.Nil(t, o.ConnectionOptions.TLS)
			}
			if tc.checkFn != nil {
				tc.checkFn(t, c)
			}
		})
	}
}
