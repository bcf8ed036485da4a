package domain_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
)

func TestFinal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status domain.Status
		final  bool
	}{
		{name: "received", status: domain.StatusReceived},
		{name: "verifying", status: domain.StatusVerifying},
		{name: "awaiting approval", status: domain.StatusAwaitingApproval},
		{name: "in progress", status: domain.StatusInProgress},
		{name: "waiting", status: domain.StatusWaiting},
		{name: "completed", status: domain.StatusCompleted, final: true},
		{name: "denied", status: domain.StatusDenied, final: true},
		{name: "canceled", status: domain.StatusCanceled, final: true},
		{name: "failed", status: domain.StatusFailed, final: true},
		{name: "empty", status: ""},
		{name: "unknown", status: "done"},
		{name: "other case", status: "COMPLETED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.final, tc.status.Final())
		})
	}
}
