package temporalserver_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
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
	"dsr/internal/testkit/temporalserver"
	"dsr/internal/testkit/testenv"
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
