package dispatch_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"dsr/internal/temporal/dispatch"
	"dsr/internal/temporal/engine"
)

// TestSetupNamespace sets up a namespace that does not exist on the embedded server, runs
// the set-up again (nothing changes), then with another retention (only that changes).
func TestSetupNamespace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eng, err := engine.Start(ctx, engine.Options{DataDir: t.TempDir(), Namespace: "dsr", LogLevel: "error"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Stop() })
	c, err := client.Dial(client.Options{HostPort: eng.HostPort(), Namespace: "fresh", Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	require.NoError(t, err)
	t.Cleanup(c.Close)

	res, err := dispatch.SetupNamespace(ctx, c, "fresh", 72*time.Hour, dispatch.SearchAttributes)
	require.NoError(t, err)
	require.Equal(t, "created", res.Action)
	require.Equal(t, "72h", res.Retention)
	require.Equal(t, []string{"DsrTenant", "DsrType"}, res.SearchAttributesAdded)
	require.True(t, res.Changed)
	desc, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "fresh"})
	require.NoError(t, err)
	require.Equal(t, 72*time.Hour, desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())
	attrs, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "fresh"})
	require.NoError(t, err)
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, attrs.GetCustomAttributes()["DsrTenant"])

	res, err = dispatch.SetupNamespace(ctx, c, "fresh", 72*time.Hour, dispatch.SearchAttributes)
	require.NoError(t, err)
	require.Equal(t, dispatch.NamespaceSetup{Namespace: "fresh", Action: "unchanged", Retention: "72h", SearchAttributesAdded: []string{},
		SearchAttributes: []string{"DsrTenant", "DsrType"}}, res)

	res, err = dispatch.SetupNamespace(ctx, c, "fresh", 720*time.Hour, dispatch.SearchAttributes)
	require.NoError(t, err)
	require.Equal(t, "updated", res.Action)
	require.Equal(t, "72h", res.PreviousRetention)
	require.Empty(t, res.SearchAttributesAdded)
	desc, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "fresh"})
	require.NoError(t, err)
	require.Equal(t, 720*time.Hour, desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())

	// A search attribute of dsr's name but another type is not taken for dsr's.
	_, err = dispatch.SetupNamespace(ctx, c, "fresh", 720*time.Hour, map[string]enumspb.IndexedValueType{"DsrTenant": enumspb.INDEXED_VALUE_TYPE_INT})
	require.ErrorContains(t, err, "search attribute DsrTenant is")
}
