// Package workflows orchestrates data-subject requests. One DSR workflow runs per request
// (workflow id "dsr-<request id>"): it waits for identity and approval, waits out blockers,
// applies the request through every connector on the tenant's region task queue, and
// records every step through activities. It only orchestrates: all I/O is in activities.
package workflows

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"dsr/activities/contract"
	"dsr/internal/domain"
)

// TaskQueue is where DSR workflows and their bookkeeping activities run.
const TaskQueue = "dsr"

// RegionQueue is the task queue of the connector activities for a region's data.
func RegionQueue(region domain.Region) string { return "dsr-" + string(region) }

// WorkflowID is the id of a request's workflow; starting it twice is a no-op.
func WorkflowID(requestID string) string { return "dsr-" + requestID }

// Update and query names.
const (
	UpdateVerify   = "verify"
	UpdateApprove  = "approve"
	UpdateDeny     = "deny"
	UpdateCancel   = "cancel"
	UpdateOverride = "override"
	QueryState     = "state"
)

// DefaultRecheck is how often a blocked request looks again.
const DefaultRecheck = time.Hour

// DefaultMaxRechecks is how many looks at blockers one run makes before it continues as a
// new run, keeping its history far below Temporal's limits however long a request waits.
const DefaultMaxRechecks = 200

// Input starts a DSR workflow. It carries ids only: the subject's email and any new values
// stay in the orchestrator database, which activities read, so Temporal's history holds no
// personal data.
type Input struct {
	RequestID string             `json:"request_id"`
	TenantID  string             `json:"tenant_id"`
	Region    domain.Region      `json:"region"`
	Type      domain.RequestType `json:"type"`
	// Verified is set when identity needs no check here (the controller submitted it).
	Verified bool `json:"verified"`
	// Approved is set when the controller already approved (it submitted the request).
	Approved bool `json:"approved"`
	// Actor is who submitted the request, for the record.
	Actor domain.Actor `json:"actor"`
	// RecheckEvery is how often blockers are looked at again; DefaultRecheck when zero.
	RecheckEvery time.Duration `json:"recheck_every,omitempty"`
	// MaxRechecks bounds the looks at blockers per run; DefaultMaxRechecks when zero.
	MaxRechecks int `json:"max_rechecks,omitempty"`
	// Carry is set when a run continues an earlier one that was waiting on blockers.
	Carry *Carry `json:"carry,omitempty"`
}

// Carry is what a waiting request hands to the run that continues it.
type Carry struct {
	Seq    int           `json:"seq"`
	Status domain.Status `json:"status"`
	Reason string        `json:"reason,omitempty"`
	// Fired are the clock alarms already raised.
	Fired []string `json:"fired,omitempty"`
	// Pauses and Resumes count the clock actions so far.
	Pauses  int `json:"pauses,omitempty"`
	Resumes int `json:"resumes,omitempty"`
}

// Decision is the argument of every update: who decided, and why.
type Decision struct {
	Actor  domain.Actor `json:"actor"`
	Reason string       `json:"reason,omitempty"`
}

// State is what the state query returns.
type State struct {
	Status   domain.Status    `json:"status"`
	Reason   string           `json:"reason,omitempty"`
	Blockers []domain.Blocker `json:"blockers,omitempty"`
	Applying bool             `json:"applying"`
}

// Result is the workflow's result, also stored as the request's result.
type Result struct {
	Status     domain.Status       `json:"status"`
	Reason     string              `json:"reason,omitempty"`
	Connectors []domain.Outcome    `json:"connectors,omitempty"`
	Exceptions []domain.Exception  `json:"exceptions,omitempty"`
	Package    *domain.PackageInfo `json:"package,omitempty"`
	Suppressed []domain.Purpose    `json:"suppressed,omitempty"`
	// Recipients is the Art. 19 ledger: each recipient told of the change, and how it went.
	Recipients []domain.Recipient `json:"recipients,omitempty"`
}

// Activity options.
var (
	recordOptions = workflow.ActivityOptions{
		TaskQueue:           TaskQueue,
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: []string{contract.ErrTypeInvalidRequest},
		},
	}
	// clockOptions are for the clock goroutine's activities: bounded, so that a broken
	// mail server or record cannot hold a request open.
	clockOptions = workflow.ActivityOptions{
		TaskQueue:           TaskQueue,
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, MaximumInterval: time.Minute, MaximumAttempts: 10,
			NonRetryableErrorTypes: []string{contract.ErrTypeInvalidRequest},
		},
	}
	connectorOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    15 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, MaximumInterval: 2 * time.Minute, MaximumAttempts: 25,
			NonRetryableErrorTypes: []string{contract.ErrTypeBlocked, contract.ErrTypeInvalidRequest, contract.ErrTypeUnknownConnector},
		},
	}
	packageOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 6 * time.Hour,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 5 * time.Second, MaximumInterval: 5 * time.Minute, MaximumAttempts: 10,
			NonRetryableErrorTypes: []string{contract.ErrTypeInvalidRequest, contract.ErrTypeUnknownConnector},
		},
	}
)

// run is one workflow execution's state.
type run struct {
	in    Input
	state State
	seq   int // numbers the records, making their dedupe keys

	verified, approved, denied, canceled, override bool
	// committed is set once the request is being applied: from then on it can only be
	// canceled while it waits on blockers.
	committed bool
	// blockerWait is set while an erasure looks at and waits out its blockers, before
	// anything is applied: a cancel is taken then, even while a look or the record of
	// its outcome is under way.
	blockerWait  bool
	overrideSeen bool
	decisions    map[string]Decision
	clock        clockState
	// started is set once the first event of the run is recorded.
	started bool
}

// decided reports whether an approval, a denial or a cancellation was accepted.
func (r *run) decided() bool { return r.approved || r.denied || r.canceled }

// DSR is the workflow of one data-subject request.
func DSR(ctx workflow.Context, in Input) (Result, error) {
	r := &run{in: in, state: State{Status: domain.StatusReceived}, decisions: map[string]Decision{}}
	r.clock.fired = map[string]bool{}
	if in.Carry != nil {
		r.seq = in.Carry.Seq
		r.state.Status = in.Carry.Status
		r.state.Reason = in.Carry.Reason
		r.committed = true
		for _, k := range in.Carry.Fired {
			r.clock.fired[k] = true
		}
		r.clock.pauses, r.clock.resumes = in.Carry.Pauses, in.Carry.Resumes
		r.started = true
	}
	if err := r.register(ctx); err != nil {
		return Result{}, err
	}
	workflow.Go(ctx, r.clocks)
	res, err := r.execute(ctx)
	// Let update handlers see the final state, and an alarm being raised finish, before
	// the workflow closes.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	_, _ = workflow.AwaitWithTimeout(ctx, time.Minute, func() bool { return !r.clock.busy })
	return res, err
}

func (r *run) execute(ctx workflow.Context) (Result, error) {
	if r.in.Carry == nil {
		if res, done, err := r.intake(ctx); done || err != nil {
			return res, err
		}
	}
	names, err := call(workflow.WithActivityOptions(ctx, recordOptions), contract.ConnectorNames, contract.None{})
	if err != nil {
		return r.fail(ctx, "list connectors", err, Result{})
	}
	if r.in.Type.Exports() {
		return r.export(ctx, names)
	}
	return r.apply(ctx, names)
}

// intake takes the request through identity and approval to in_progress; done means it
// ended there (denied or canceled).
func (r *run) intake(ctx workflow.Context) (Result, bool, error) {
	if err := r.record(ctx, domain.EventWorkflowStarted, "", r.in.Actor, "request accepted for processing", nil, nil); err != nil {
		return Result{}, true, err
	}
	r.started = true

	// Identity.
	if r.in.Verified {
		if err := r.record(ctx, domain.EventIdentityVerified, "", r.in.Actor, "submitted by the controller, who vouches for the subject's identity", nil, nil); err != nil {
			return Result{}, true, err
		}
	} else {
		if err := r.setStatus(ctx, domain.StatusVerifying, "", domain.ActorSystem, "waiting for the subject to verify their identity"); err != nil {
			return Result{}, true, err
		}
		if err := workflow.Await(ctx, func() bool { return r.verified || r.canceled }); err != nil {
			return Result{}, true, err
		}
		if r.canceled {
			res, err := r.finish(ctx, domain.StatusCanceled, r.decisions[UpdateCancel], "canceled before identity was verified", Result{})
			return res, true, err
		}
		if err := r.record(ctx, domain.EventIdentityVerified, "", r.decisions[UpdateVerify].Actor, "identity verified", nil, nil); err != nil {
			return Result{}, true, err
		}
		// The legal clock starts now.
		if err := r.clockAction(ctx, contract.StartClock, r.decisions[UpdateVerify], 1); err != nil {
			res, err := r.fail(ctx, "start the clock", err, Result{})
			return res, true, err
		}
		r.clock.dirty = true
	}

	// Approval.
	if r.in.Approved {
		if err := r.record(ctx, domain.EventApproved, "", r.in.Actor, "approved by the controller on submission", nil, nil); err != nil {
			return Result{}, true, err
		}
	} else {
		if err := r.setStatus(ctx, domain.StatusAwaitingApproval, "", domain.ActorSystem, "waiting for the controller's or the DPO's approval"); err != nil {
			return Result{}, true, err
		}
		if err := workflow.Await(ctx, r.decided); err != nil {
			return Result{}, true, err
		}
		switch {
		case r.canceled:
			res, err := r.finish(ctx, domain.StatusCanceled, r.decisions[UpdateCancel], "canceled", Result{})
			return res, true, err
		case r.denied:
			res, err := r.finish(ctx, domain.StatusDenied, r.decisions[UpdateDeny], "denied", Result{})
			return res, true, err
		}
		if err := r.record(ctx, domain.EventApproved, "", r.decisions[UpdateApprove].Actor, "approved", nil, nil); err != nil {
			return Result{}, true, err
		}
	}
	// A cancel accepted while the last record was written still counts; after this
	// point (no await in between) the request is committed.
	if r.canceled {
		res, err := r.finish(ctx, domain.StatusCanceled, r.decisions[UpdateCancel], "canceled", Result{})
		return res, true, err
	}
	r.committed = true
	if err := r.setStatus(ctx, domain.StatusInProgress, "", domain.ActorSystem, "applying the request"); err != nil {
		return Result{}, true, err
	}
	return Result{}, false, nil
}

// export builds the access or portability package.
func (r *run) export(ctx workflow.Context, names []string) (Result, error) {
	r.state.Applying = true
	actx := workflow.WithActivityOptions(ctx, packageOptions)
	actx = workflow.WithTaskQueue(actx, RegionQueue(r.in.Region))
	info, err := call(actx, contract.BuildPackage, contract.PackageInput{RequestID: r.in.RequestID, Connectors: names})
	if err != nil {
		return r.fail(ctx, "build the package", err, Result{})
	}
	if err := r.record(ctx, domain.EventPackageReady, "", domain.ActorSystem, fmt.Sprintf("package ready: %d bytes", info.Bytes), info, nil); err != nil {
		return Result{}, err
	}
	return r.finish(ctx, domain.StatusCompleted, Decision{Actor: domain.ActorSystem}, "package delivered for download", Result{Package: &info})
}

// apply carries out a rectification, erasure, restriction or objection everywhere, waiting
// out blockers first.
func (r *run) apply(ctx workflow.Context, names []string) (Result, error) {
	cctx := workflow.WithActivityOptions(ctx, connectorOptions)
	cctx = workflow.WithTaskQueue(cctx, RegionQueue(r.in.Region))
	res := Result{}
	if r.in.Type == domain.Objection && r.in.Carry == nil {
		purposes, err := call(workflow.WithActivityOptions(ctx, recordOptions), contract.Suppress, contract.SuppressInput{RequestID: r.in.RequestID})
		if err != nil {
			return r.fail(ctx, "add to the suppression list", err, res)
		}
		res.Suppressed = purposes
		if err := r.record(ctx, domain.EventSuppressed, "", domain.ActorSystem, "added to the suppression list (hashed): "+domain.JoinNames(purposes), nil, nil); err != nil {
			return Result{}, err
		}
	}
	p := &pass{done: map[string]bool{}}
	for {
		if ended, final, err := r.readyToApply(ctx, cctx, names, res); ended || err != nil {
			return final, err
		}
		r.state.Applying = true
		if err := r.applyPass(ctx, cctx, names, p, &res); err != nil {
			return Result{}, err
		}
		if p.failed != nil {
			return r.fail(ctx, "apply at "+p.failedAt, p.failed, res)
		}
		if !p.blocked {
			break
		}
		r.state.Applying = false
	}
	if len(p.jobs) > 0 {
		if err := r.awaitJobs(ctx, cctx, p.jobs, &res); err != nil {
			return r.fail(ctx, "finish at a recipient", err, res)
		}
	}
	return r.finish(ctx, domain.StatusCompleted, Decision{Actor: domain.ActorSystem}, "request applied", res)
}

// readyToApply waits out what blocks an erasure; ended means the request ended meanwhile
// (canceled, failed), with its result, or continues as a new run (the error).
func (r *run) readyToApply(ctx, cctx workflow.Context, names []string, res Result) (bool, Result, error) {
	if r.in.Type == domain.Erasure {
		proceed, err := r.waitForBlockers(ctx, cctx, names)
		var can *workflow.ContinueAsNewError
		switch {
		case errors.As(err, &can):
			return true, Result{}, err
		case err != nil:
			final, err := r.fail(ctx, "check what blocks the erasure", err, res)
			return true, final, err
		case !proceed:
			final, err := r.finish(ctx, domain.StatusCanceled, r.decisions[UpdateCancel], "canceled while blocked", res)
			return true, final, err
		}
	}
	// A cancel accepted while the last record was written still counts; from here to the
	// end of the pass nothing awaits, so none can slip in.
	if r.canceled {
		final, err := r.finish(ctx, domain.StatusCanceled, r.decisions[UpdateCancel], "canceled", res)
		return true, final, err
	}
	return false, Result{}, nil
}

// pass is what the passes over the connectors have found so far.
type pass struct {
	// done are the connectors that applied the request (or started a job).
	done map[string]bool
	// jobs go on at recipients.
	jobs []pendingJob
	// blocked is set when a connector found a blocker that opened since the check.
	blocked bool
	// failed is the first failure, at failedAt.
	failed   error
	failedAt string
}

// applyPass applies the request at every connector not done yet, in parallel, and waits
// for every one, even after one failed: the others may have changed data, and their
// outcomes belong in the record. An error is one of recording.
func (r *run) applyPass(ctx, cctx workflow.Context, names []string, p *pass, res *Result) error {
	p.blocked = false
	futures := make([]future[domain.Outcome], len(names))
	for i, name := range names {
		if !p.done[name] {
			futures[i] = start(cctx, contract.Apply, contract.ConnectorInput{Connector: name, RequestID: r.in.RequestID, Override: r.override})
		}
	}
	for i, name := range names {
		if !futures[i].started() {
			continue
		}
		out, err := futures[i].get(ctx)
		var appErr *temporal.ApplicationError
		switch {
		case errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeBlocked:
			// Something opened between the check and the change; wait again.
			p.blocked = true
			continue
		case err != nil:
			if p.failed == nil {
				p.failed, p.failedAt = err, name
			}
			continue
		}
		p.done[name] = true
		if out.Job == nil {
			if err := r.applied(ctx, res, out); err != nil {
				return err
			}
			continue
		}
		// Goes on at the recipient: checked after the passes, with durable timers.
		p.jobs = append(p.jobs, pendingJob{connector: name, job: *out.Job})
		msg := fmt.Sprintf("%s at %s started: %s", out.Action, name, out.Job.Reason)
		if err := r.record(ctx, domain.EventConnectorStarted, "", domain.ActorSystem, msg, out, nil); err != nil {
			return err
		}
	}
	return nil
}

// applied records a connector's final outcome in the result and the record.
func (r *run) applied(ctx workflow.Context, res *Result, out domain.Outcome) error {
	res.Connectors = append(res.Connectors, out)
	res.Exceptions = append(res.Exceptions, out.Exceptions...)
	if out.Recipient != nil {
		res.Recipients = append(res.Recipients, *out.Recipient)
	}
	return r.record(ctx, domain.EventConnectorApplied, "", domain.ActorSystem, summarize(out), out, nil)
}

// pendingJob is an action going on at a recipient.
type pendingJob struct {
	connector string
	job       domain.Job
}

// minJobWait keeps a recipient that asks to be checked at once from being polled in a
// tight loop.
const minJobWait = time.Second

// awaitJobs checks each job after the wait it asked for, with durable timers, until every
// one is done; meanwhile the request is waiting, with the jobs as the reason.
func (r *run) awaitJobs(ctx, cctx workflow.Context, jobs []pendingJob, res *Result) error {
	for len(jobs) > 0 {
		reasons := make([]string, len(jobs))
		for i, j := range jobs {
			reasons[i] = j.job.Reason
		}
		reason := strings.Join(reasons, "; ")
		if r.state.Status != domain.StatusWaiting || r.state.Reason != reason {
			if err := r.setStatus(ctx, domain.StatusWaiting, reason, domain.ActorSystem, "waiting for recipients: "+reason); err != nil {
				return err
			}
		}
		j := jobs[0]
		if err := workflow.Sleep(ctx, max(j.job.CheckAfter, minJobWait)); err != nil {
			return err
		}
		out, err := call(cctx, contract.CheckJob, contract.JobInput{Connector: j.connector, RequestID: r.in.RequestID, Job: j.job})
		if err != nil {
			return fmt.Errorf("check the job at %s: %w", j.connector, err)
		}
		jobs = jobs[1:]
		if out.Job != nil {
			jobs = append(jobs, pendingJob{connector: j.connector, job: *out.Job})
			continue
		}
		if err := r.applied(ctx, res, out); err != nil {
			return err
		}
	}
	return r.setStatus(ctx, domain.StatusInProgress, "", domain.ActorSystem, "every recipient answered")
}

// waitForBlockers returns once no connector reports a blocker or a DPO overrode them;
// false means the request was canceled meanwhile. After MaxRechecks looks it continues
// as a new run.
func (r *run) waitForBlockers(ctx, cctx workflow.Context, names []string) (bool, error) {
	r.blockerWait = true
	defer func() { r.blockerWait = false }()
	every := r.in.RecheckEvery
	if every <= 0 {
		every = DefaultRecheck
	}
	limit := r.in.MaxRechecks
	if limit <= 0 {
		limit = DefaultMaxRechecks
	}
	for rechecks := 0; ; rechecks++ {
		if r.canceled {
			return false, nil
		}
		if r.override {
			return true, r.useOverride(ctx)
		}
		if rechecks >= limit || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return false, err
			}
			if !r.override && !r.canceled {
				if err := workflow.Await(ctx, func() bool { return !r.clock.busy }); err != nil {
					return false, err
				}
				next := r.in
				next.Carry = &Carry{Seq: r.seq, Status: r.state.Status, Reason: r.state.Reason,
					Pauses: r.clock.pauses, Resumes: r.clock.resumes}
				// Sorted below, so the map's order does not matter.
				//workflowcheck:ignore
				for k := range r.clock.fired {
					next.Carry.Fired = append(next.Carry.Fired, k)
				}
				sort.Strings(next.Carry.Fired)
				return false, workflow.NewContinueAsNewError(ctx, DSR, next)
			}
			continue
		}
		var all []domain.Blocker
		for _, name := range names {
			bs, err := call(cctx, contract.Blockers, contract.ConnectorInput{Connector: name, RequestID: r.in.RequestID})
			if err != nil {
				return false, fmt.Errorf("check blockers at %s: %w", name, err)
			}
			all = append(all, bs...)
		}
		if len(all) == 0 {
			if r.override {
				return true, r.useOverride(ctx)
			}
			if r.state.Status == domain.StatusWaiting {
				if err := r.setStatus(ctx, domain.StatusInProgress, "", domain.ActorSystem, "blockers cleared"); err != nil {
					return false, err
				}
			}
			r.state.Blockers = nil
			return true, nil
		}
		reason := describe(all)
		if r.state.Status != domain.StatusWaiting || reason != r.state.Reason {
			if err := r.setStatusDetail(ctx, domain.StatusWaiting, reason, domain.ActorSystem, "blocked: "+reason, all); err != nil {
				return false, err
			}
		}
		r.state.Blockers = all
		if _, err := workflow.AwaitWithTimeout(ctx, every, func() bool { return r.override || r.canceled }); err != nil {
			return false, err
		}
	}
}

// useOverride records the DPO's override, which the connectors then receive.
func (r *run) useOverride(ctx workflow.Context) error {
	d := r.decisions[UpdateOverride]
	var status domain.Status
	if r.state.Status == domain.StatusWaiting {
		status = domain.StatusInProgress
	}
	if err := r.record(ctx, domain.EventOverride, status, d.Actor, "blockers overridden: "+d.Reason, nil, nil); err != nil {
		return err
	}
	if status != "" {
		r.state.Status = status
		r.state.Reason = ""
	}
	r.state.Blockers = nil
	r.overrideSeen = true
	return nil
}

func describe(bs []domain.Blocker) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = b.Message
	}
	return strings.Join(parts, "; ")
}

func summarize(o domain.Outcome) string {
	total := int64(0)
	// A sum does not depend on the order of the map.
	//workflowcheck:ignore
	for _, n := range o.Rows {
		total += n
	}
	msg := fmt.Sprintf("%s at %s: %d rows", o.Action, o.Connector, total)
	if o.Replayed {
		msg += " (receipt of an earlier run)"
	}
	if len(o.Exceptions) > 0 {
		msg += fmt.Sprintf(", %d exception(s) kept by law", len(o.Exceptions))
	}
	return msg
}

// fail ends the request as failed with the cause, keeping what was done before.
func (r *run) fail(ctx workflow.Context, what string, cause error, res Result) (Result, error) {
	workflow.GetLogger(ctx).Error("request failed", "request_id", r.in.RequestID, "step", what, "error", cause)
	reason := "could not " + what
	var appErr *temporal.ApplicationError
	if errors.As(cause, &appErr) && appErr.Type() == contract.ErrTypeInvalidRequest {
		reason += ": " + appErr.Message()
	}
	return r.finish(ctx, domain.StatusFailed, Decision{Actor: domain.ActorSystem}, reason, res)
}

// finish records a final status with the result.
func (r *run) finish(ctx workflow.Context, status domain.Status, d Decision, message string, res Result) (Result, error) {
	res.Status = status
	if d.Reason != "" {
		res.Reason = d.Reason
	} else if status != domain.StatusCompleted {
		res.Reason = message
	}
	if d.Reason != "" {
		message += ": " + d.Reason
	}
	if err := r.record(ctx, domain.EventKind(status), status, d.Actor, message, nil, &res); err != nil {
		return Result{}, err
	}
	r.state.Status = status
	r.state.Reason = res.Reason
	return res, nil
}

func (r *run) setStatus(ctx workflow.Context, status domain.Status, reason string, actor domain.Actor, message string) error {
	return r.setStatusDetail(ctx, status, reason, actor, message, nil)
}

func (r *run) setStatusDetail(ctx workflow.Context, status domain.Status, reason string, actor domain.Actor, message string, detail any) error {
	if err := r.recordReason(ctx, domain.EventStatusChanged, status, reason, actor, message, detail, nil); err != nil {
		return err
	}
	r.state.Status = status
	r.state.Reason = reason
	return nil
}

func (r *run) record(ctx workflow.Context, kind domain.EventKind, status domain.Status, actor domain.Actor, message string, detail any, result *Result) error {
	return r.recordReason(ctx, kind, status, "", actor, message, detail, result)
}

// recordReason writes one event (and status) through the Record activity; the sequence
// number makes the dedupe key, so a retried activity records once.
func (r *run) recordReason(ctx workflow.Context, kind domain.EventKind, status domain.Status, reason string, actor domain.Actor, message string, detail any, result *Result) error {
	r.seq++
	c := domain.Change{
		RequestID:    r.in.RequestID,
		DedupeKey:    fmt.Sprintf("wf:%04d:%s", r.seq, kind),
		Kind:         kind,
		Actor:        actor,
		Message:      message,
		Status:       status,
		StatusReason: reason,
	}
	if detail != nil {
		c.Detail = detail
	}
	if result != nil {
		c.Result = result
	}
	if _, err := call(workflow.WithActivityOptions(ctx, recordOptions), contract.Record, c); err != nil {
		return fmt.Errorf("record %s: %w", kind, err)
	}
	return nil
}
