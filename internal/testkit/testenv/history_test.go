package testenv_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"dsr/internal/demo"
	"dsr/internal/domain"
	"dsr/internal/testkit"
	"dsr/internal/testkit/testenv"
	"dsr/workflows"
)

// TestHistoriesReplay runs real requests through the embedded server, then replays their
// histories against the current workflow code. With DSR_WRITE_HISTORY=1 it also saves them
// to workflows/testdata, where workflows' replay test keeps checking that later changes to
// the workflow stay compatible with requests already running.
func TestHistoriesReplay(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{RecheckEvery: 500 * time.Millisecond})
	tn, key := env.Tenant(t, "History Co")
	ctx := context.Background()
	_, err := demo.Seed(ctx, env.Chat.DB, demo.Options{TenantID: tn.ID, TenantName: tn.Name, EndUsers: 20, Messages: 300})
	require.NoError(t, err)

	post := func(body string) string {
		req, _ := http.NewRequest("POST", env.Server.URL+"/v1/requests", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var v struct {
			ID string `json:"id"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
		return v.ID
	}

	scenarios := map[string]string{}
	scenarios["access"] = post(`{"type":"access","subject":{"email":"visitor2@example.com"}}`)
	blocked := post(`{"type":"erasure","erasure_scope":"full","subject":{"email":"visitor1@example.com"}}`)
	scenarios["erasure_override"] = blocked
	env.WaitStatus(t, blocked, domain.StatusWaiting)
	time.Sleep(1200 * time.Millisecond) // let it look again at least once
	h, err := env.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(blocked), UpdateName: workflows.UpdateOverride,
		Args:         []any{workflows.Decision{Actor: "dpo:test", Reason: "abandoned"}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	require.NoError(t, err)
	require.NoError(t, h.Get(ctx, nil))
	scenarios["objection"] = post(`{"type":"objection","objection_purposes":["analytics"],"subject":{"email":"visitor3@example.com"}}`)

	for name, id := range scenarios {
		env.WaitStatus(t, id, domain.StatusCompleted)
		// The workflow closes right after recording completion.
		var hist *historypb.History
		require.Eventually(t, func() bool {
			hist = history(t, env.Temporal, workflows.WorkflowID(id))
			last := hist.Events[len(hist.Events)-1]
			return last.EventType == enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
		}, 10*time.Second, 50*time.Millisecond)

		replayer := worker.NewWorkflowReplayer()
		replayer.RegisterWorkflow(workflows.DSR)
		require.NoError(t, replayer.ReplayWorkflowHistory(nil, hist), "replay %s", name)

		if os.Getenv("DSR_WRITE_HISTORY") == "1" {
			b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(hist)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(testkit.Path(t, "workflows", "testdata", "dsr_"+name+".json"), b, 0o644))
		}
	}
}

func history(t *testing.T, c client.Client, workflowID string) *historypb.History {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, e)
	}
	require.NotEmpty(t, h.Events)
	return h
}
