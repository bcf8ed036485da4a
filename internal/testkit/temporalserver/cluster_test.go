package temporalserver_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"

	"dsr/internal/app"
	"dsr/internal/demo"
	"dsr/internal/domain"
	"dsr/internal/temporal/dispatch"
	"dsr/internal/testkit/pgtest"
	"dsr/internal/testkit/temporalserver"
	"dsr/internal/testkit/testenv"
	"dsr/schema"
)

// TestExternalCluster runs dsr against the official Temporal server on PostgreSQL with
// mutual TLS on its frontend: a client without the CA or without a certificate is refused
// with a clear error; `dsr temporal setup` creates the namespace with its retention and
// search attributes, and a second run changes nothing; then a request runs end to end
// through dsr's workers on that cluster.
func TestExternalCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts temporal-server; skipped in -short mode")
	}
	t.Parallel()
	ctx := context.Background()
	certs := temporalserver.NewCerts(t, t.TempDir())
	srv := temporalserver.Start(t, temporalserver.Options{Certs: &certs})
	log := slog.New(slog.DiscardHandler)
	secured := app.TemporalTLS{CAFile: certs.CAFile, CertFile: certs.ClientCertFile, KeyFile: certs.ClientKey}

	for _, tc := range []struct {
		name string
		tls  app.TemporalTLS
		want string
	}{
		{name: "plain", tls: app.TemporalTLS{}, want: "(plain, no TLS)"},
		{name: "system CAs", tls: app.TemporalTLS{TLS: "on", CertFile: certs.ClientCertFile, KeyFile: certs.ClientKey}, want: "certificate signed by unknown authority"},
		{name: "another CA", tls: app.TemporalTLS{CAFile: certs.OtherCAFile, CertFile: certs.ClientCertFile, KeyFile: certs.ClientKey}, want: "certificate signed by unknown authority"},
		{name: "no client certificate", tls: app.TemporalTLS{CAFile: certs.CAFile}, want: "no client certificate"},
	} {
		cfg := config(srv.Address, tc.tls)
		c, err := app.Dial(cfg, srv.Address, log)
		if err == nil {
			c.Close()
		}
		require.Error(t, err, tc.name)
		require.ErrorContains(t, err, "connect to temporal at "+srv.Address, tc.name)
		require.ErrorContains(t, err, tc.want, tc.name)
	}

	cfg := config(srv.Address, secured)
	cfg.TemporalRetention = 72 * time.Hour
	res, err := app.SetupTemporal(ctx, cfg, log)
	require.NoError(t, err)
	require.Equal(t, "created", res.Action)
	require.Equal(t, "72h", res.Retention)
	require.Equal(t, []string{"DsrTenant", "DsrType"}, res.SearchAttributesAdded)
	c, err := app.Dial(cfg, srv.Address, log)
	require.NoError(t, err)
	defer c.Close()
	desc, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "dsr"})
	require.NoError(t, err)
	require.Equal(t, 72*time.Hour, desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())
	attrs, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "dsr"})
	require.NoError(t, err)
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, attrs.GetCustomAttributes()["DsrTenant"])
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, attrs.GetCustomAttributes()["DsrType"])

	res, err = app.SetupTemporal(ctx, cfg, log)
	require.NoError(t, err)
	out, err := json.Marshal(res)
	require.NoError(t, err)
	require.JSONEq(t, `{"namespace":"dsr","namespace_action":"unchanged","retention":"72h","search_attributes_added":[],
		"search_attributes":["DsrTenant","DsrType"],"changed":false}`, string(out))

	// dsr as `dsr serve` runs it against the cluster: its start sets the retention it is
	// configured with (720h by default), its workers run a request.
	env := testenv.New(t, testenv.Options{TemporalAddress: srv.Address, TemporalTLS: secured})
	desc, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "dsr"})
	require.NoError(t, err)
	require.Equal(t, app.DefaultTemporalRetention, desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())

	tn, key := env.Tenant(t, "Cluster Co")
	_, err = demo.Seed(ctx, env.Chat.DB, demo.Options{TenantID: tn.ID, TenantName: tn.Name, EndUsers: 10, Messages: 60})
	require.NoError(t, err)
	req, err := http.NewRequest("POST", env.Server.URL+"/v1/requests", strings.NewReader(`{"type":"restriction","subject":{"email":"visitor2@example.com"}}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var created struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&created))
	env.WaitStatus(t, created.ID, domain.StatusCompleted)
}

// config is dsr's configuration for the cluster at address, reached with tls.
func config(address string, tls app.TemporalTLS) app.Config {
	cfg := app.Defaults()
	cfg.TemporalAddress, cfg.TemporalTLS = address, tls
	return cfg
}

// TestSetupNotPermitted runs against a cluster whose authorizer lets dsr's API key work in
// its namespace but not administer the cluster, as on Temporal Cloud: `dsr temporal setup`
// and the start of a worker say what is missing and name `dsr temporal setup` and the
// namespace; once an administrator set it up, a retention the key may not change is
// reported while the rest of the set-up is done.
func TestSetupNotPermitted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts temporal-server; skipped in -short mode")
	}
	t.Parallel()
	ctx := context.Background()
	certs := temporalserver.NewCerts(t, t.TempDir())
	issuer := temporalserver.NewIssuer(t)
	srv := temporalserver.Start(t, temporalserver.Options{Certs: &certs, Issuer: issuer})
	log := slog.New(slog.DiscardHandler)
	secured := func(token string) app.TemporalTLS {
		return app.TemporalTLS{CAFile: certs.CAFile, CertFile: certs.ClientCertFile, KeyFile: certs.ClientKey, APIKey: token}
	}
	writer := config(srv.Address, secured(issuer.Token(t, "dsr:write")))

	_, err := app.SetupTemporal(ctx, writer, log)
	var np *dispatch.NotPermittedError
	require.ErrorAs(t, err, &np)
	require.Equal(t, "create", np.Step)
	require.ErrorContains(t, err, `temporal namespace "dsr" does not exist`)
	require.ErrorContains(t, err, "run `dsr temporal setup` with credentials allowed to register namespaces")

	// A worker does not start, and says why.
	dir := t.TempDir()
	wcfg := writer
	wcfg.Mode, wcfg.Regions, wcfg.DataDir = app.ModeWorker, []domain.Region{domain.RegionEU}, dir
	wcfg.SecretKey = testenv.SecretKey
	wcfg.ObjectStoreURL = "file://" + filepath.ToSlash(filepath.Join(dir, "objects"))
	wcfg.PublicURL = "http://127.0.0.1:8080"
	_, err = app.New(ctx, wcfg, app.WithLogger(log), app.WithDatabases(pgtest.New(t, schema.Orchestrator).DB, pgtest.New(t, schema.ChatStore).DB))
	require.ErrorContains(t, err, `temporal namespace "dsr" does not exist`)
	require.ErrorContains(t, err, "dsr temporal setup")
	t.Logf("dsr worker: %v", err)

	admin := config(srv.Address, secured(issuer.Token(t, "temporal-system:admin")))
	res, err := app.SetupTemporal(ctx, admin, log)
	require.NoError(t, err)
	require.Equal(t, "created", res.Action)

	writer.TemporalRetention = 96 * time.Hour
	res, err = app.SetupTemporal(ctx, writer, log)
	require.ErrorAs(t, err, &np)
	require.Equal(t, "update retention", np.Step)
	require.ErrorContains(t, err, "set DSR_TEMPORAL_RETENTION to the namespace's")
	require.Equal(t, "720h", res.Retention, "the namespace's retention, unchanged")
	require.Equal(t, []string{"DsrTenant", "DsrType"}, res.SearchAttributes)
}
