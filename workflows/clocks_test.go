package workflows

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"dsr/activities/contract"
	"dsr/internal/domain"
)

// clockSetup is a DSR environment whose Record mock notes when each alarm was recorded,
// on the workflow's clock.
type clockSetup struct {
	env    *testsuite.TestWorkflowEnvironment
	mu     sync.Mutex
	alarms map[domain.EventKind][]time.Time
	kinds  []domain.EventKind
	start  time.Time
}

func newClockSetup(t *testing.T, clock func(calls int) contract.ClockInfo) *clockSetup {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(DSR)
	registerContract(env)
	cs := &clockSetup{env: env, alarms: map[domain.EventKind][]time.Time{}, start: env.Now()}
	mv := newMoves(t, domain.StatusReceived)
	env.OnActivity(contract.Record.Name, mock.Anything, mock.Anything).Return(func(_ context.Context, c domain.Change) error {
		mv.see(c)
		cs.mu.Lock()
		defer cs.mu.Unlock()
		cs.kinds = append(cs.kinds, c.Kind)
		switch c.Kind {
		case domain.EventAtRisk, domain.EventTargetBreached, domain.EventLegalWarning7d, domain.EventLegalWarning1d, domain.EventLegalBreached:
			cs.alarms[c.Kind] = append(cs.alarms[c.Kind], env.Now())
		}
		return nil
	})
	env.OnActivity(contract.ConnectorNames.Name, mock.Anything).Return([]string{"chatstore"}, nil)
	calls := 0
	env.OnActivity(contract.Clock.Name, mock.Anything, "r1").Return(func(context.Context, string) (contract.ClockInfo, error) {
		calls++
		return clock(calls), nil
	})
	return cs
}

func (cs *clockSetup) fired(kind domain.EventKind) []time.Duration {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var out []time.Duration
	for _, at := range cs.alarms[kind] {
		out = append(out, at.Sub(cs.start))
	}
	return out
}

const day = 24 * time.Hour

func TestAlarmsFireOnceEach(t *testing.T) {
	t.Parallel()
	var cs *clockSetup
	cs = newClockSetup(t, func(int) contract.ClockInfo { return clockAt(cs.start, 4*day) })
	notified := map[domain.EventKind]int{}
	var mu sync.Mutex
	cs.env.OnActivity(contract.NotifyDPO.Name, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.NotifyInput) error {
		mu.Lock()
		notified[in.Kind]++
		mu.Unlock()
		return nil
	})
	// The package takes 40 days: long enough for every alarm.
	cs.env.OnActivity(contract.BuildPackage.Name, mock.Anything, mock.Anything).After(40*day).Return(domain.PackageInfo{Bytes: 1}, nil)

	cs.env.ExecuteWorkflow(DSR, input(domain.Access))

	res := result(t, cs.env)
	require.Equal(t, domain.StatusCompleted, res.Status)
	want := map[domain.EventKind]time.Duration{
		domain.EventAtRisk:         3 * day, // 75% of 4 days
		domain.EventTargetBreached: 4 * day,
		domain.EventLegalWarning7d: 27 * day,
		domain.EventLegalWarning1d: 33 * day,
		domain.EventLegalBreached:  34 * day,
	}
	for kind, at := range want {
		got := cs.fired(kind)
		require.Len(t, got, 1, "%s fires once", kind)
		require.InDelta(t, at.Seconds(), got[0].Seconds(), 60, "%s fires on time", kind)
		require.Equal(t, 1, notified[kind], "the DPO hears of %s once", kind)
	}
}

func TestNoAlarmsAfterCompletion(t *testing.T) {
	t.Parallel()
	var cs *clockSetup
	cs = newClockSetup(t, func(int) contract.ClockInfo { return clockAt(cs.start, 4*day) })
	cs.env.OnActivity(contract.Apply.Name, mock.Anything, mock.Anything).After(2*day).Return(outcome("restriction"), nil)

	cs.env.ExecuteWorkflow(DSR, input(domain.Restriction))

	require.Equal(t, domain.StatusCompleted, result(t, cs.env).Status)
	require.Empty(t, cs.fired(domain.EventAtRisk))
	require.Empty(t, cs.fired(domain.EventTargetBreached))
}

func TestPauseMovesDeadlines(t *testing.T) {
	t.Parallel()
	var cs *clockSetup
	paused := false
	cs = newClockSetup(t, func(int) contract.ClockInfo {
		if paused {
			c := clockAt(cs.start, 4*day)
			c.Paused = true
			return c
		}
		// After the resume the record holds deadlines moved by the 5 days paused.
		if cs.env.Now().Sub(cs.start) > 5*day {
			return clockAt(cs.start, 9*day)
		}
		return clockAt(cs.start, 4*day)
	})
	var actions []string
	cs.env.OnActivity(contract.Pause.Name, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.ClockInput) error {
		paused = true
		actions = append(actions, "pause:"+in.Reason)
		return nil
	}).Once()
	cs.env.OnActivity(contract.Resume.Name, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.ClockInput) error {
		paused = false
		actions = append(actions, "resume:"+in.Reason)
		return nil
	}).Once()
	cs.env.OnActivity(contract.NotifyDPO.Name, mock.Anything, mock.Anything).Return(nil)
	cs.env.OnActivity(contract.BuildPackage.Name, mock.Anything, mock.Anything).After(12*day).Return(domain.PackageInfo{Bytes: 1}, nil)

	pause, again, resumeNoReason, resume := &updateCallbacks{}, &updateCallbacks{}, &updateCallbacks{}, &updateCallbacks{}
	cs.env.RegisterDelayedCallback(func() {
		cs.env.UpdateWorkflow(UpdatePause, "", pause, Decision{Actor: "dpo:a", Reason: "which account?"})
	}, day)
	cs.env.RegisterDelayedCallback(func() {
		cs.env.UpdateWorkflow(UpdatePause, "", again, Decision{Actor: "dpo:a", Reason: "again"})
		cs.env.UpdateWorkflow(UpdateResume, "", resumeNoReason, Decision{Actor: "dpo:a"})
	}, 2*day)
	cs.env.RegisterDelayedCallback(func() {
		cs.env.UpdateWorkflow(UpdateResume, "", resume, Decision{Actor: "dpo:a", Reason: "subject answered"})
	}, 6*day)

	cs.env.ExecuteWorkflow(DSR, input(domain.Access))

	require.Equal(t, domain.StatusCompleted, result(t, cs.env).Status)
	require.Nil(t, pause.rejected)
	require.ErrorContains(t, again.rejected, "paused already")
	require.ErrorContains(t, resumeNoReason.rejected, "needs a reason")
	require.Nil(t, resume.rejected)
	require.Equal(t, []string{"pause:which account?", "resume:subject answered"}, actions)
	// Nothing fired while paused; afterwards the alarms follow the moved deadlines.
	atRisk := cs.fired(domain.EventAtRisk)
	require.Len(t, atRisk, 1)
	require.InDelta(t, (6*day + 18*time.Hour).Seconds(), atRisk[0].Seconds(), 60, "75% of the moved 9-day window")
	breach := cs.fired(domain.EventTargetBreached)
	require.Len(t, breach, 1)
	require.InDelta(t, (9 * day).Seconds(), breach[0].Seconds(), 60, "the target moved by the 5 days paused")
}

func TestExtendWithinFirstMonthOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		at         time.Duration
		wantReject string
	}{
		{name: "within the first month", at: 10 * day},
		{name: "after the first month", at: 40 * day, wantReject: "first month ended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var cs *clockSetup
			extended := false
			cs = newClockSetup(t, func(int) contract.ClockInfo {
				c := clockAt(cs.start, 4*day)
				if extended {
					c.Extended = true
					c.LegalEnd = cs.start.Add(92 * day)
					c.LegalDue = c.LegalEnd.Add(-time.Hour).Format(time.DateOnly)
				}
				return c
			})
			cs.env.OnActivity(contract.NotifyDPO.Name, mock.Anything, mock.Anything).Return(nil)
			cs.env.OnActivity(contract.Extend.Name, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.ClockInput) error {
				extended = true
				return nil
			}).Maybe()
			cs.env.OnActivity(contract.BuildPackage.Name, mock.Anything, mock.Anything).After(50*day).Return(domain.PackageInfo{Bytes: 1}, nil)
			first, second, noReason := &updateCallbacks{}, &updateCallbacks{}, &updateCallbacks{}
			cs.env.RegisterDelayedCallback(func() {
				cs.env.UpdateWorkflow(UpdateExtend, "", noReason, Decision{Actor: "dpo:a"})
				cs.env.UpdateWorkflow(UpdateExtend, "", first, Decision{Actor: "dpo:a", Reason: "many systems to search"})
			}, tt.at)
			cs.env.RegisterDelayedCallback(func() {
				cs.env.UpdateWorkflow(UpdateExtend, "", second, Decision{Actor: "dpo:a", Reason: "more"})
			}, tt.at+day)

			cs.env.ExecuteWorkflow(DSR, input(domain.Access))

			require.Equal(t, domain.StatusCompleted, result(t, cs.env).Status)
			if tt.wantReject != "" {
				require.ErrorContains(t, first.rejected, tt.wantReject)
				require.False(t, extended)
				require.NotEmpty(t, cs.fired(domain.EventLegalBreached), "the unextended deadline passed")
				return
			}
			require.Nil(t, first.rejected)
			require.ErrorContains(t, noReason.rejected, "needs a reason")
			require.True(t, extended)
			require.ErrorContains(t, second.rejected, "extended already")
			require.Empty(t, cs.fired(domain.EventLegalBreached), "the extended deadline is after the package is done")
			require.Len(t, cs.fired(domain.EventLegalWarning7d), 0)
		})
	}
}
