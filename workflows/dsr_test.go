package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"dsr/activities/contract"
	"dsr/internal/domain"
)

// recorder keeps what the Record activity was asked to write.
type recorder struct {
	mu      sync.Mutex
	changes []domain.Change
	// moves checks the statuses recorded; nil checks nothing.
	moves *moves
}

func (r *recorder) record(_ context.Context, c domain.Change) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, c)
	if r.moves != nil {
		r.moves.see(c)
	}
	return nil
}

func (r *recorder) statuses() []domain.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []domain.Status
	for _, c := range r.changes {
		if c.Status != "" {
			out = append(out, c.Status)
		}
	}
	return out
}

func (r *recorder) kinds() []domain.EventKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []domain.EventKind
	for _, c := range r.changes {
		out = append(out, c.Kind)
	}
	return out
}

type setup struct {
	env *testsuite.TestWorkflowEnvironment
	rec *recorder
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(DSR)
	registerContract(env)
	rec := &recorder{moves: newMoves(t, domain.StatusReceived)}
	env.OnActivity(contract.Record.Name, mock.Anything, mock.Anything).Return(rec.record)
	env.OnActivity(contract.ConnectorNames.Name, mock.Anything).Return([]string{"chatstore"}, nil)
	// Clocks far away, so that only the clock tests see alarms.
	env.OnActivity(contract.Clock.Name, mock.Anything, mock.Anything).Return(clockAt(env.Now(), 400*24*time.Hour), nil).Maybe()
	env.OnActivity(contract.NotifyDPO.Name, mock.Anything, mock.Anything).Return(nil).Maybe()
	return &setup{env: env, rec: rec}
}

// clockAt is a clock whose target ends after `target` from start; the legal deadline ends
// 30 days after the target's end.
func clockAt(start time.Time, target time.Duration) contract.ClockInfo {
	end := start.Add(target)
	legal := end.Add(30 * 24 * time.Hour)
	return contract.ClockInfo{
		Started: true, Start: start, TargetDue: end.Add(-time.Hour).Format(time.DateOnly), LegalDue: legal.Add(-time.Hour).Format(time.DateOnly),
		AtRisk: start.Add(time.Duration(float64(target) * domain.AtRiskShare)), TargetEnd: end, LegalEnd: legal, FirstMonthEnd: legal,
	}
}

func input(typ domain.RequestType) Input {
	return Input{
		RequestID:    "r1",
		TenantID:     "t1",
		Region:       "eu",
		Type:         typ,
		Verified:     true,
		Approved:     true,
		Actor:        "tenant:t1",
		RecheckEvery: time.Hour,
	}
}

func outcome(action domain.RequestType) domain.Outcome {
	return domain.Outcome{Connector: "chatstore", Action: action, Rows: map[string]int64{"end_users": 1}}
}

func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) Result {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res Result
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

// updateCallbacks captures the outcome of one update.
type updateCallbacks struct {
	rejected error
	accepted bool
	state    State
	err      error
	done     bool
}

func (u *updateCallbacks) Accept()          { u.accepted = true }
func (u *updateCallbacks) Reject(err error) { u.rejected = err }
func (u *updateCallbacks) Complete(v any, err error) {
	u.done = true
	u.err = err
	if s, ok := v.(State); ok {
		u.state = s
	}
}

func TestErasureCompletes(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).Return(nil, nil).Once()
	s.env.OnActivity(contract.Apply.Name, mock.Anything, mock.MatchedBy(func(in contract.ConnectorInput) bool {
		return in.Connector == "chatstore" && in.RequestID == "r1" && !in.Override
	})).Return(outcome("erasure"), nil).Once()

	s.env.ExecuteWorkflow(DSR, input(domain.Erasure))

	res := result(t, s.env)
	require.Equal(t, domain.StatusCompleted, res.Status)
	require.Len(t, res.Connectors, 1)
	require.Equal(t, int64(1), res.Connectors[0].Rows["end_users"])
	require.Equal(t, []domain.Status{domain.StatusInProgress, domain.StatusCompleted}, s.rec.statuses())
	require.Equal(t, []domain.EventKind{domain.EventWorkflowStarted, domain.EventIdentityVerified, domain.EventApproved, domain.EventStatusChanged, domain.EventConnectorApplied, domain.EventCompleted}, s.rec.kinds())
	// Every record has its own dedupe key, so a retried Record activity writes once.
	seen := map[string]bool{}
	for _, c := range s.rec.changes {
		require.False(t, seen[c.DedupeKey], "dedupe key %s used twice", c.DedupeKey)
		seen[c.DedupeKey] = true
		require.Equal(t, "r1", c.RequestID)
	}
	s.env.AssertExpectations(t)
}

func TestErasureWaitsForOpenConversations(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	open := []domain.Blocker{{Code: domain.BlockerOpenConversations, Message: "1 open conversation", Count: 1}}
	// Open for the first two looks (now and an hour later), closed at the third.
	s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).Return(open, nil).Twice()
	s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).Return(nil, nil).Once()
	s.env.OnActivity(contract.Apply.Name, mock.Anything, mock.Anything).Return(outcome("erasure"), nil).Once()

	var midState State
	s.env.RegisterDelayedCallback(func() {
		v, err := s.env.QueryWorkflow(QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&midState))
	}, 30*time.Minute)

	start := s.env.Now()
	s.env.ExecuteWorkflow(DSR, input(domain.Erasure))

	res := result(t, s.env)
	require.Equal(t, domain.StatusCompleted, res.Status)
	require.Equal(t, domain.StatusWaiting, midState.Status)
	require.Len(t, midState.Blockers, 1)
	// One waiting record, however many times it looked; then back to in progress.
	require.Equal(t, []domain.Status{domain.StatusInProgress, domain.StatusWaiting, domain.StatusInProgress, domain.StatusCompleted}, s.rec.statuses())
	require.GreaterOrEqual(t, s.env.Now().Sub(start), 2*time.Hour, "rechecks are durable timers, an hour apart")
	s.env.AssertExpectations(t)
}

func TestErasureOverride(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	open := []domain.Blocker{{Code: domain.BlockerOpenConversations, Message: "2 open conversations", Count: 2}}
	s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).Return(open, nil)
	s.env.OnActivity(contract.Apply.Name, mock.Anything, mock.MatchedBy(func(in contract.ConnectorInput) bool {
		return in.Override
	})).Return(outcome("erasure"), nil).Once()

	noReason := &updateCallbacks{}
	override := &updateCallbacks{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(UpdateOverride, "", noReason, Decision{Actor: "dpo:alice"})
	}, 10*time.Minute)
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(UpdateOverride, "", override, Decision{Actor: "dpo:alice", Reason: "conversations abandoned"})
	}, 20*time.Minute)

	s.env.ExecuteWorkflow(DSR, input(domain.Erasure))

	res := result(t, s.env)
	require.Equal(t, domain.StatusCompleted, res.Status)
	require.ErrorContains(t, noReason.rejected, "needs a reason")
	require.Nil(t, override.rejected)
	require.True(t, override.done)
	require.NoError(t, override.err)
	var overrideEvent *domain.Change
	for i, c := range s.rec.changes {
		if c.Kind == "override" {
			overrideEvent = &s.rec.changes[i]
		}
	}
	require.NotNil(t, overrideEvent)
	require.Equal(t, domain.Actor("dpo:alice"), overrideEvent.Actor)
	require.Contains(t, overrideEvent.Message, "conversations abandoned")
	s.env.AssertExpectations(t)
}

// TestCancelWhileBlocked: a cancel is taken while an erasure waits on its blockers, and
// also while a look at them (or the record of its outcome) is under way, whether the look
// finds some or not; nothing is applied.
func TestCancelWhileBlocked(t *testing.T) {
	t.Parallel()
	open := []domain.Blocker{{Code: domain.BlockerOpenConversations, Message: "1 open conversation", Count: 1}}
	for _, tc := range []struct {
		name     string
		found    []domain.Blocker
		lookTime time.Duration
		cancelAt time.Duration
	}{
		{"while waiting", open, 0, 3 * time.Hour},
		{"during a look that finds blockers", open, time.Minute, 30 * time.Second},
		{"during a look that finds none", nil, time.Minute, 30 * time.Second},
	} {
		s := newSetup(t)
		s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).After(tc.lookTime).Return(tc.found, nil)
		cancel := &updateCallbacks{}
		s.env.RegisterDelayedCallback(func() {
			s.env.UpdateWorkflow(UpdateCancel, "", cancel, Decision{Actor: "tenant:t1", Reason: "subject withdrew"})
		}, tc.cancelAt)

		s.env.ExecuteWorkflow(DSR, input(domain.Erasure))

		res := result(t, s.env)
		require.NoError(t, cancel.rejected, tc.name)
		require.True(t, cancel.accepted, tc.name)
		require.Equal(t, domain.StatusCanceled, res.Status, tc.name)
		require.Equal(t, "subject withdrew", res.Reason)
		require.Equal(t, domain.StatusCanceled, cancel.state.Status)
		s.env.AssertNotCalled(t, "Apply", mock.Anything, mock.Anything)
	}
}

func TestBlockedRaceGoesBackToWaiting(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).Return(nil, nil)
	// A conversation opened between the check and the change: the connector refuses once.
	s.env.OnActivity(contract.Apply.Name, mock.Anything, mock.Anything).
		Return(domain.Outcome{}, temporal.NewNonRetryableApplicationError("blocked", contract.ErrTypeBlocked, nil)).Once()
	s.env.OnActivity(contract.Apply.Name, mock.Anything, mock.Anything).Return(outcome("erasure"), nil).Once()

	s.env.ExecuteWorkflow(DSR, input(domain.Erasure))

	res := result(t, s.env)
	require.Equal(t, domain.StatusCompleted, res.Status)
	require.Len(t, res.Connectors, 1, "the outcome is counted once")
	s.env.AssertExpectations(t)
}

func TestAccessBuildsPackage(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	info := domain.PackageInfo{File: "r1.zip", Bytes: 1234, SHA256: "abc", Rows: map[string]int64{"chatstore/messages": 10}}
	s.env.OnActivity(contract.BuildPackage.Name, mock.Anything, mock.MatchedBy(func(in contract.PackageInput) bool {
		return in.RequestID == "r1" && len(in.Connectors) == 1
	})).Return(info, nil).Once()

	s.env.ExecuteWorkflow(DSR, input(domain.Access))

	res := result(t, s.env)
	require.Equal(t, domain.StatusCompleted, res.Status)
	require.NotNil(t, res.Package)
	require.Equal(t, int64(1234), res.Package.Bytes)
	require.Contains(t, s.rec.kinds(), domain.EventPackageReady)
	s.env.AssertExpectations(t)
}

func TestObjectionSuppresses(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	in := input(domain.Objection)
	s.env.OnActivity(contract.Suppress.Name, mock.Anything, contract.SuppressInput{RequestID: "r1"}).Return([]domain.Purpose{domain.PurposeMarketing}, nil).Once()
	s.env.OnActivity(contract.Apply.Name, mock.Anything, mock.Anything).Return(outcome("objection"), nil).Once()

	s.env.ExecuteWorkflow(DSR, in)

	res := result(t, s.env)
	require.Equal(t, domain.StatusCompleted, res.Status)
	require.Equal(t, []domain.Purpose{domain.PurposeMarketing}, res.Suppressed)
	s.env.AssertExpectations(t)
}

func TestInvalidRequestFails(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.env.OnActivity(contract.Apply.Name, mock.Anything, mock.Anything).
		Return(domain.Outcome{}, temporal.NewNonRetryableApplicationError("field shoe_size cannot be rectified", contract.ErrTypeInvalidRequest, nil)).Once()

	s.env.ExecuteWorkflow(DSR, input(domain.Rectification))

	res := result(t, s.env)
	require.Equal(t, domain.StatusFailed, res.Status)
	require.Contains(t, res.Reason, "shoe_size")
}

func TestApprovalFlow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		update     string
		decision   Decision
		wantStatus domain.Status
		wantReject string
	}{
		{name: "approve", update: UpdateApprove, decision: Decision{Actor: "dpo:bob"}, wantStatus: domain.StatusCompleted},
		{name: "deny", update: UpdateDeny, decision: Decision{Actor: "dpo:bob", Reason: "manifestly unfounded"}, wantStatus: domain.StatusDenied},
		{name: "cancel", update: UpdateCancel, decision: Decision{Actor: "tenant:t1"}, wantStatus: domain.StatusCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSetup(t)
			s.env.OnActivity(contract.Apply.Name, mock.Anything, mock.Anything).Return(outcome("restriction"), nil).Maybe()
			in := input(domain.Restriction)
			in.Approved = false

			early := &updateCallbacks{}
			denyNoReason := &updateCallbacks{}
			cb := &updateCallbacks{}
			late := &updateCallbacks{}
			s.env.RegisterDelayedCallback(func() {
				s.env.UpdateWorkflow(UpdateDeny, "", denyNoReason, Decision{Actor: "dpo:bob"})
				s.env.UpdateWorkflow(tt.update, "", cb, tt.decision)
			}, 24*time.Hour)
			s.env.RegisterDelayedCallback(func() {
				s.env.UpdateWorkflow(UpdateApprove, "", late, Decision{Actor: "dpo:bob"})
			}, 48*time.Hour)
			s.env.RegisterDelayedCallback(func() {
				s.env.UpdateWorkflow(UpdateOverride, "", early, Decision{Actor: "dpo:bob", Reason: "x"})
			}, time.Hour)

			s.env.ExecuteWorkflow(DSR, in)

			res := result(t, s.env)
			require.Equal(t, tt.wantStatus, res.Status)
			require.ErrorContains(t, denyNoReason.rejected, "needs a reason")
			require.ErrorContains(t, early.rejected, "not blocked")
			require.Nil(t, cb.rejected)
			require.True(t, cb.done)
			require.Contains(t, s.rec.statuses(), domain.StatusAwaitingApproval)
			// The workflow may already have closed when the late update arrives; either
			// way it must not be accepted.
			require.False(t, late.accepted, "approve after the decision")
		})
	}
}

func TestVerificationWait(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.env.OnActivity(contract.Apply.Name, mock.Anything, mock.Anything).Return(outcome("restriction"), nil).Once()
	in := input(domain.Restriction)
	in.Verified = false
	var startedAt time.Time
	s.env.OnActivity(contract.StartClock.Name, mock.Anything, mock.Anything).Return(func(_ context.Context, ci contract.ClockInput) error {
		startedAt = ci.At
		return nil
	}).Once()
	verify := &updateCallbacks{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(UpdateVerify, "", verify, Decision{Actor: "subject"})
	}, 2*24*time.Hour)

	start := s.env.Now()
	s.env.ExecuteWorkflow(DSR, in)

	res := result(t, s.env)
	require.Equal(t, domain.StatusCompleted, res.Status)
	require.Equal(t, domain.StatusVerifying, s.rec.statuses()[0])
	require.True(t, verify.done)
	require.Equal(t, 2*24*time.Hour, startedAt.Sub(start), "the clock starts when identity is verified")
}

func TestRecordFailureSurfaces(t *testing.T) {
	t.Parallel()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(DSR)
	registerContract(env)
	env.OnActivity(contract.Record.Name, mock.Anything, mock.Anything).Return(temporal.NewNonRetryableApplicationError("db gone", "Test", errors.New("db gone")))

	env.ExecuteWorkflow(DSR, input(domain.Erasure))

	require.True(t, env.IsWorkflowCompleted())
	require.ErrorContains(t, env.GetWorkflowError(), "record workflow_started")
}

func TestLongWaitContinuesAsNew(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	open := []domain.Blocker{{Code: domain.BlockerOpenConversations, Message: "1 open conversation", Count: 1}}
	s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).Return(open, nil)
	in := input(domain.Erasure)
	in.MaxRechecks = 3

	s.env.ExecuteWorkflow(DSR, in)

	require.True(t, s.env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, s.env.GetWorkflowError(), &can)
	var next Input
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.Carry)
	require.Equal(t, domain.StatusWaiting, next.Carry.Status)
	require.Equal(t, len(s.rec.changes), next.Carry.Seq, "the next run numbers its records after this one's")
	require.Equal(t, "r1", next.RequestID)
}

func TestContinuedRunCompletes(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).Return(nil, nil).Once()
	s.env.OnActivity(contract.Apply.Name, mock.Anything, mock.Anything).Return(outcome("erasure"), nil).Once()
	in := input(domain.Erasure)
	in.Carry = &Carry{Seq: 12, Status: domain.StatusWaiting, Reason: "1 open conversation"}

	s.env.ExecuteWorkflow(DSR, in)

	res := result(t, s.env)
	require.Equal(t, domain.StatusCompleted, res.Status)
	// No second intake; records go on from the carried sequence.
	require.Equal(t, []domain.EventKind{domain.EventStatusChanged, domain.EventConnectorApplied, domain.EventCompleted}, s.rec.kinds())
	require.Equal(t, "wf:0013:status_changed", s.rec.changes[0].DedupeKey)
}

func TestOverrideRecordedWhenBlockersClearAtOnce(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	open := []domain.Blocker{{Code: domain.BlockerOpenConversations, Message: "1 open conversation", Count: 1}}
	s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).Return(open, nil).Once()
	// The override arrives while the second look is running, and that look finds nothing.
	s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).After(time.Minute).Return(nil, nil).Once()
	s.env.OnActivity(contract.Apply.Name, mock.Anything, mock.MatchedBy(func(in contract.ConnectorInput) bool { return in.Override })).
		Return(outcome("erasure"), nil).Once()
	override := &updateCallbacks{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(UpdateOverride, "", override, Decision{Actor: "dpo:alice", Reason: "closing anyway"})
	}, time.Hour+30*time.Second)

	s.env.ExecuteWorkflow(DSR, input(domain.Erasure))

	res := result(t, s.env)
	require.Equal(t, domain.StatusCompleted, res.Status)
	require.True(t, override.done)
	require.Contains(t, s.rec.kinds(), domain.EventOverride)
	s.env.AssertExpectations(t)
}

func TestConnectorFailureWaitsForTheOthers(t *testing.T) {
	t.Parallel()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(DSR)
	registerContract(env)
	rec := &recorder{moves: newMoves(t, domain.StatusReceived)}
	env.OnActivity(contract.Record.Name, mock.Anything, mock.Anything).Return(rec.record)
	env.OnActivity(contract.ConnectorNames.Name, mock.Anything).Return([]string{"broken", "chatstore"}, nil)
	env.OnActivity(contract.Apply.Name, mock.Anything, contract.ConnectorInput{Connector: "broken", RequestID: "r1"}).
		Return(domain.Outcome{}, temporal.NewNonRetryableApplicationError("bad", contract.ErrTypeInvalidRequest, nil))
	env.OnActivity(contract.Apply.Name, mock.Anything, contract.ConnectorInput{Connector: "chatstore", RequestID: "r1"}).
		After(time.Minute).Return(outcome("restriction"), nil).Once()

	env.ExecuteWorkflow(DSR, input(domain.Restriction))

	res := result(t, env)
	require.Equal(t, domain.StatusFailed, res.Status)
	require.Contains(t, res.Reason, "broken")
	require.Len(t, res.Connectors, 1, "the connector that did its part is in the result")
	require.Contains(t, rec.kinds(), domain.EventConnectorApplied)
}

func TestBlockerCheckFailureFails(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).
		Return(nil, temporal.NewNonRetryableApplicationError("subject tenant is not a uuid", contract.ErrTypeInvalidRequest, nil))

	s.env.ExecuteWorkflow(DSR, input(domain.Erasure))

	res := result(t, s.env)
	require.Equal(t, domain.StatusFailed, res.Status)
	require.Equal(t, domain.StatusFailed, s.rec.statuses()[len(s.rec.statuses())-1])
}

func TestConflictingDecisions(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.env.OnActivity(contract.Apply.Name, mock.Anything, mock.Anything).Return(outcome("restriction"), nil).Maybe()
	in := input(domain.Restriction)
	in.Approved = false
	deny, approve, cancel := &updateCallbacks{}, &updateCallbacks{}, &updateCallbacks{}
	s.env.RegisterDelayedCallback(func() {
		// The denial is accepted first; the approval and the cancel that follow in the
		// same instant must not be.
		s.env.UpdateWorkflow(UpdateDeny, "", deny, Decision{Actor: "dpo:a", Reason: "not a customer of ours"})
		s.env.UpdateWorkflow(UpdateApprove, "", approve, Decision{Actor: "dpo:b"})
		s.env.UpdateWorkflow(UpdateCancel, "", cancel, Decision{Actor: "tenant:t1"})
	}, time.Hour)

	s.env.ExecuteWorkflow(DSR, in)

	res := result(t, s.env)
	require.Equal(t, domain.StatusDenied, res.Status)
	require.Equal(t, "not a customer of ours", res.Reason)
	require.Nil(t, deny.rejected)
	require.ErrorContains(t, approve.rejected, "being denied")
	require.ErrorContains(t, cancel.rejected, "being denied")
	last := s.rec.changes[len(s.rec.changes)-1]
	require.Equal(t, domain.Actor("dpo:a"), last.Actor)
}

func TestCancelAfterApprovalRefused(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.env.OnActivity(contract.Apply.Name, mock.Anything, mock.Anything).Return(outcome("restriction"), nil).Once()
	in := input(domain.Restriction)
	in.Approved = false
	approve, cancel := &updateCallbacks{}, &updateCallbacks{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(UpdateApprove, "", approve, Decision{Actor: "dpo:b"})
		s.env.UpdateWorkflow(UpdateCancel, "", cancel, Decision{Actor: "tenant:t1"})
	}, time.Hour)

	s.env.ExecuteWorkflow(DSR, in)

	res := result(t, s.env)
	require.Equal(t, domain.StatusCompleted, res.Status)
	require.Nil(t, approve.rejected)
	require.ErrorContains(t, cancel.rejected, "approved")
}
