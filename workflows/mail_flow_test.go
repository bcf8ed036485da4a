package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"dsr/activities/contract"
	"dsr/internal/domain"
)

// mailInput is a request a subject made by mail: neither verified nor approved yet.
func mailInput(typ domain.RequestType) Input {
	in := input(typ)
	in.Verified, in.Approved, in.Actor = false, false, domain.ActorSubject
	return in
}

// TestMailRequestVerifiedThenApproved takes a request by mail through both waits:
// verifying, then awaiting approval, then applied.
func TestMailRequestVerifiedThenApproved(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.env.OnActivity(contract.StartClock.Name, mock.Anything, mock.Anything).Return(nil).Once()
	s.env.OnActivity(contract.Apply.Name, mock.Anything, mock.Anything).Return(outcome(domain.Restriction), nil).Once()
	verify, approve := &updateCallbacks{}, &updateCallbacks{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(UpdateVerify, "", verify, Decision{Actor: domain.ActorSubjectByLink})
	}, time.Hour)
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(UpdateApprove, "", approve, Decision{Actor: "dpo:bob"})
	}, 2*time.Hour)

	s.env.ExecuteWorkflow(DSR, mailInput(domain.Restriction))

	res := result(t, s.env)
	require.Equal(t, domain.StatusCompleted, res.Status)
	require.Nil(t, verify.rejected)
	require.Nil(t, approve.rejected)
	require.Equal(t, []domain.Status{domain.StatusVerifying, domain.StatusAwaitingApproval, domain.StatusInProgress, domain.StatusCompleted},
		s.rec.statuses())
	s.env.AssertExpectations(t)
}

// TestMailRequestCanceledBeforeVerification cancels a request whose subject never
// verified (a case that expired).
func TestMailRequestCanceledBeforeVerification(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	cancel := &updateCallbacks{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(UpdateCancel, "", cancel, Decision{Actor: domain.ActorSystem, Reason: "not verified in 7 days"})
	}, time.Hour)

	s.env.ExecuteWorkflow(DSR, mailInput(domain.Erasure))

	res := result(t, s.env)
	require.Equal(t, domain.StatusCanceled, res.Status)
	require.Nil(t, cancel.rejected)
	require.Equal(t, []domain.Status{domain.StatusVerifying, domain.StatusCanceled}, s.rec.statuses())
}

// TestClockStartFailureFails ends a verified request as failed when its legal clock cannot
// be started: no request runs without its deadlines.
func TestClockStartFailureFails(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.env.OnActivity(contract.StartClock.Name, mock.Anything, mock.Anything).
		Return(temporal.NewNonRetryableApplicationError("tenant time zone Mars/Olympus", contract.ErrTypeInvalidRequest, nil))
	verify := &updateCallbacks{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(UpdateVerify, "", verify, Decision{Actor: domain.ActorSubjectByReply})
	}, time.Hour)

	s.env.ExecuteWorkflow(DSR, mailInput(domain.Access))

	res := result(t, s.env)
	require.Equal(t, domain.StatusFailed, res.Status)
	require.Contains(t, res.Reason, "start the clock")
	require.Equal(t, []domain.Status{domain.StatusVerifying, domain.StatusFailed}, s.rec.statuses())
}

// TestCanceledOnSubmission cancels a controller's request before its workflow has taken
// it in: it ends canceled without being applied.
func TestCanceledOnSubmission(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	cancel := &updateCallbacks{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(UpdateCancel, "", cancel, Decision{Actor: "tenant:t1", Reason: "sent by mistake"})
	}, 0)

	s.env.ExecuteWorkflow(DSR, input(domain.Erasure))

	res := result(t, s.env)
	require.Equal(t, domain.StatusCanceled, res.Status)
	require.Nil(t, cancel.rejected)
	require.Equal(t, []domain.Status{domain.StatusCanceled}, s.rec.statuses())
	s.env.AssertNotCalled(t, contract.Apply.Name, mock.Anything, mock.Anything)
}

// TestBlockerCheckFailureWhileWaiting fails a request waiting on blockers whose next look
// cannot be made.
func TestBlockerCheckFailureWhileWaiting(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	open := []domain.Blocker{{Code: domain.BlockerOpenConversations, Message: "1 open conversation", Count: 1}}
	s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).Return(open, nil).Once()
	s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).
		Return(nil, temporal.NewNonRetryableApplicationError("chat store gone", contract.ErrTypeInvalidRequest, nil)).Once()

	s.env.ExecuteWorkflow(DSR, input(domain.Erasure))

	res := result(t, s.env)
	require.Equal(t, domain.StatusFailed, res.Status)
	require.Equal(t, []domain.Status{domain.StatusInProgress, domain.StatusWaiting, domain.StatusFailed}, s.rec.statuses())
}

// TestCancelAcceptedAsBlockersClear cancels a blocked erasure in the instant its blockers
// clear: the cancel was accepted while it waited, so it is canceled, not applied.
func TestCancelAcceptedAsBlockersClear(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	open := []domain.Blocker{{Code: domain.BlockerOpenConversations, Message: "1 open conversation", Count: 1}}
	s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).Return(open, nil).Once()
	// The second look finds nothing; it takes a minute, in which the cancel comes.
	s.env.OnActivity(contract.Blockers.Name, mock.Anything, mock.Anything).After(time.Minute).Return(nil, nil).Once()
	cancel := &updateCallbacks{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(UpdateCancel, "", cancel, Decision{Actor: "tenant:t1", Reason: "subject withdrew"})
	}, time.Hour+30*time.Second)

	s.env.ExecuteWorkflow(DSR, input(domain.Erasure))

	res := result(t, s.env)
	require.Nil(t, cancel.rejected)
	require.Equal(t, domain.StatusCanceled, res.Status)
	s.env.AssertNotCalled(t, contract.Apply.Name, mock.Anything, mock.Anything)
}

// TestExtendRightAfterVerification extends a request whose clocks are being reloaded after
// its subject verified: the extension waits for them, rather than being refused on the
// clock that had not started.
func TestExtendRightAfterVerification(t *testing.T) {
	t.Parallel()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(DSR)
	registerContract(env)
	rec := &recorder{moves: newMoves(t, domain.StatusReceived)}
	env.OnActivity(contract.Record.Name, mock.Anything, mock.Anything).Return(rec.record)
	env.OnActivity(contract.ConnectorNames.Name, mock.Anything).Return([]string{"chatstore"}, nil).Maybe()
	env.OnActivity(contract.NotifyDPO.Name, mock.Anything, mock.Anything).Return(nil).Maybe()
	env.OnActivity(contract.StartClock.Name, mock.Anything, mock.Anything).Return(nil).Once()
	// Not started until verified; the reload after verification takes a minute.
	env.OnActivity(contract.Clock.Name, mock.Anything, mock.Anything).Return(contract.ClockInfo{Start: env.Now()}, nil).Once()
	env.OnActivity(contract.Clock.Name, mock.Anything, mock.Anything).After(time.Minute).Return(clockAt(env.Now(), 400*24*time.Hour), nil)
	env.OnActivity(contract.Extend.Name, mock.Anything, mock.Anything).Return(nil).Once()

	early, verify, extend := &updateCallbacks{}, &updateCallbacks{}, &updateCallbacks{}
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateExtend, "", early, Decision{Actor: "dpo:ann", Reason: "too early"})
	}, 30*time.Minute)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateVerify, "", verify, Decision{Actor: domain.ActorSubjectByReply})
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateExtend, "", extend, Decision{Actor: "dpo:ann", Reason: "several years of conversations"})
	}, time.Hour+30*time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateCancel, "", &updateCallbacks{}, Decision{Actor: "tenant:t1"})
	}, 2*time.Hour)

	env.ExecuteWorkflow(DSR, mailInput(domain.Restriction))

	require.ErrorContains(t, early.rejected, "has not started", "before verification there is no deadline to extend")
	require.Nil(t, verify.rejected)
	require.Nil(t, extend.rejected, "accepted while the clocks reload")
	require.True(t, extend.done)
	require.NoError(t, extend.err)
	env.AssertExpectations(t)
}
