package workflows

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestReplaySavedHistories replays histories recorded from real runs (see
// testenv.TestHistoriesReplay) against the current code: a change to the workflow that
// would break requests already running fails here.
func TestReplaySavedHistories(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "dsr_*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "saved histories are missing from testdata")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(DSR)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
