package domain_test

import (
	"slices"
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

func TestEveryStatusHasAnOpenDSRStatus(t *testing.T) {
	t.Parallel()
	for _, s := range domain.Statuses {
		o := s.OpenDSR()
		if !slices.Contains(domain.OpenDSRStatuses, o) {
			t.Errorf("%s maps to %q, not an OpenDSR status", s, o)
		}
		if s.Final() != (o == domain.OpenDSRCompleted || o == domain.OpenDSRCancelled) {
			t.Errorf("%s (final %v) maps to %s", s, s.Final(), o)
		}
	}
	for _, ty := range domain.OpenDSRTypes {
		if !ty.Right().Valid() {
			t.Errorf("OpenDSR type %s has no right", ty)
		}
	}
}
