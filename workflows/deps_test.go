package workflows

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportsNoIO keeps the workflows free of I/O: their deterministic code may import
// Temporal's SDK, the domain vocabulary and the activities' contract, and nothing that
// reaches a database, a mailbox, a mail server or a PDF writer, even indirectly.
func TestImportsNoIO(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "the go command lists the dependencies; it is on PATH wherever go test runs")
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	require.NoError(t, err, "go list -deps")
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "go.temporal.io/sdk/workflow", "the list is of this package's dependencies")

	// Standard packages that do I/O, and modules whose every package does. The SDK's uuid
	// package brings database/sql/driver, interfaces only, which is not among them.
	forbiddenStd := []string{"database/sql", "net/smtp"}
	forbiddenModules := []string{
		"github.com/lib/pq", "github.com/jmoiron/sqlx", "github.com/jackc", "modernc.org/sqlite",
		"github.com/emersion/go-imap", "github.com/emersion/go-smtp", "github.com/emersion/go-message",
		"github.com/go-pdf/fpdf", "github.com/minio",
	}
	allowed := map[string]bool{"dsr/workflows": true, "dsr/internal/domain": true, "dsr/activities/contract": true}
	for _, d := range deps {
		require.NotContains(t, forbiddenStd, d, "the workflows depend on %s, which does I/O", d)
		for _, m := range forbiddenModules {
			require.False(t, d == m || strings.HasPrefix(d, m+"/"), "the workflows depend on %s, which does I/O", d)
		}
		if strings.HasPrefix(d, "dsr/") {
			require.True(t, allowed[d], "the workflows depend on %s; they may use only the domain and the activities' contract", d)
		}
	}
}
