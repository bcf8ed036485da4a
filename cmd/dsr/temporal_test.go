package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/testkit/temporalserver"
)

// TestTemporalSetupCommand runs `dsr temporal setup` and `dsr worker` against the official
// Temporal server with mutual TLS and authorization on. With an API key that may work in
// the namespace but not administer the cluster, both exit 1 saying what to do; with an
// administrator's key the command creates the namespace and prints what it did, and a
// second run changes nothing.
func TestTemporalSetupCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts temporal-server; skipped in -short mode")
	}
	t.Parallel()
	certs := temporalserver.NewCerts(t, t.TempDir())
	issuer := temporalserver.NewIssuer(t)
	srv := temporalserver.Start(t, temporalserver.Options{Certs: &certs, Issuer: issuer})
	in := newInstall(t)
	keyFile := filepath.Join(t.TempDir(), "temporal-api-key")
	require.NoError(t, os.WriteFile(keyFile, []byte(issuer.Token(t, "dsr-cli:write")+"\n"), 0o600))
	in.env = append(in.env, "TEMPORAL_ADDRESS="+srv.Address, "DSR_TEMPORAL_NAMESPACE=dsr-cli", "DSR_REGIONS=eu",
		"DSR_TEMPORAL_CA_FILE="+certs.CAFile, "DSR_TEMPORAL_CERT_FILE="+certs.ClientCertFile, "DSR_TEMPORAL_KEY_FILE="+certs.ClientKey,
		"DSR_TEMPORAL_API_KEY_FILE="+keyFile, "DSR_TEMPORAL_RETENTION=48h")

	for _, args := range [][]string{{"temporal", "setup"}, {"worker"}} {
		out, code := in.runFail(args...)
		require.Equal(t, 1, code, out)
		require.Contains(t, out, `temporal namespace "dsr-cli" does not exist`)
		require.Contains(t, out, "run `dsr temporal setup` with credentials allowed to register namespaces")
		require.NotContains(t, out, "Namespace dsr-cli is not found")
	}

	require.NoError(t, os.WriteFile(keyFile, []byte(issuer.Token(t, "temporal-system:admin")), 0o600))
	var res struct {
		Namespace, Retention string
		Action               string   `json:"namespace_action"`
		Added                []string `json:"search_attributes_added"`
		Changed              bool
	}
	require.NoError(t, json.Unmarshal(in.run("temporal", "setup"), &res))
	require.Equal(t, "dsr-cli", res.Namespace)
	require.Equal(t, "created", res.Action)
	require.Equal(t, "48h", res.Retention)
	require.Equal(t, []string{"DsrTenant", "DsrType"}, res.Added)
	require.True(t, res.Changed)
	out := in.run("temporal", "setup")
	require.JSONEq(t, `{"namespace":"dsr-cli","namespace_action":"unchanged","retention":"48h","search_attributes_added":[],
		"search_attributes":["DsrTenant","DsrType"],"changed":false}`, string(out))
}
