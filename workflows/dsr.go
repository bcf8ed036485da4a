// Package workflows orchestrates data-subject requests. One DSR workflow runs per request
// (workflow id "dsr-<request id>"): it waits for identity and approval, waits out blockers,
// applies the request through every connector on the tenant's region task queue, and
// records every step through activities. It only orchestrates: all I/O is in activities.
package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"dsr/activities"
	"dsr/bundle"
	"dsr/connectors"
	"dsr/store"
)

// TaskQueue is where DSR workflows and their bookkeeping activities run.
const TaskQueue = "dsr"

// RegionQueue is the task queue of the connector activities for a region's data.
func RegionQueue(region string) string { return "dsr-" + region }

// Regions are the regions a tenant can be in.
var Regions = []string{"eu", "us", "apac"}

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

// Input starts a DSR workflow.
type Input struct {
	TenantID string             `json:"tenant_id"`
	Region   string             `json:"region"`
	Request  connectors.Request `json:"request"`
	// Verified is set when identity needs no check here (the controller submitted it).
	Verified bool `json:"verified"`
	// Approved is set when the controller already approved (it submitted the request).
	Approved bool `json:"approved"`
	// Actor is who submitted the request, for the record.
	Actor string `json:"actor"`
	// RecheckEvery is how often blockers are looked at again; DefaultRecheck when zero.
	RecheckEvery time.Duration `json:"recheck_every,omitempty"`
}

// Decision is the argument of every update: who decided, and why.
type Decision struct {
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
}

// State is what the state query returns.
type State struct {
	Status   string               `json:"status"`
	Reason   string               `json:"reason,omitempty"`
	Blockers []connectors.Blocker `json:"blockers,omitempty"`
	Applying bool                 `json:"applying"`
}

// Result is the workflow's result, also stored as the request's result.
type Result struct {
	Status     string                 `json:"status"`
	Reason     string                 `json:"reason,omitempty"`
	Connectors []connectors.Outcome   `json:"connectors,omitempty"`
	Exceptions []connectors.Exception `json:"exceptions,omitempty"`
	Package    *bundle.Info           `json:"package,omitempty"`
	Suppressed []string               `json:"suppressed,omitempty"`
}

// Activity options.
var (
	recordOptions = workflow.ActivityOptions{
		TaskQueue:           TaskQueue,
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	}
	connectorOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    15 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, MaximumInterval: 2 * time.Minute, MaximumAttempts: 25,
			NonRetryableErrorTypes: []string{activities.ErrTypeBlocked, activities.ErrTypeInvalidRequest, activities.ErrTypeUnknownConnector},
		},
	}
	packageOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 6 * time.Hour,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 5 * time.Second, MaximumInterval: 5 * time.Minute, MaximumAttempts: 10,
			NonRetryableErrorTypes: []string{activities.ErrTypeUnknownConnector},
		},
	}
)

// a is the activities' nil receiver: workflows name activities through it.
var a *activities.Activities

// run is one workflow execution's state.
type run struct {
	in    Input
	state State
	seq   int // numbers the records, making their dedupe keys

	verified, approved, denied, canceled, override bool
	decision                                       Decision
	overrideSeen                                   bool
}

// DSR is the workflow of one data-subject request.
func DSR(ctx workflow.Context, in Input) (Result, error) {
	r := &run{in: in, state: State{Status: store.StatusReceived}}
	if err := r.register(ctx); err != nil {
		return Result{}, err
	}
	res, err := r.execute(ctx)
	// Let update handlers see the final state before the workflow closes.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return res, err
}

func (r *run) execute(ctx workflow.Context) (Result, error) {
	req := r.in.Request
	if err := r.record(ctx, "workflow_started", "", r.in.Actor, "request accepted for processing", nil, nil); err != nil {
		return Result{}, err
	}

	// Identity.
	if r.in.Verified {
		if err := r.record(ctx, "identity_verified", "", r.in.Actor, "submitted by the controller, who vouches for the subject's identity", nil, nil); err != nil {
			return Result{}, err
		}
	} else {
		if err := r.setStatus(ctx, store.StatusVerifying, "", "system", "waiting for the subject to verify their identity"); err != nil {
			return Result{}, err
		}
		if err := workflow.Await(ctx, func() bool { return r.verified || r.canceled }); err != nil {
			return Result{}, err
		}
		if r.canceled {
			return r.finish(ctx, store.StatusCanceled, r.decision, "canceled before identity was verified", Result{})
		}
		if err := r.record(ctx, "identity_verified", "", r.decision.Actor, "identity verified", nil, nil); err != nil {
			return Result{}, err
		}
	}

	// Approval.
	if r.in.Approved {
		if err := r.record(ctx, "approved", "", r.in.Actor, "approved by the controller on submission", nil, nil); err != nil {
			return Result{}, err
		}
	} else {
		if err := r.setStatus(ctx, store.StatusAwaitingApproval, "", "system", "waiting for the controller's or the DPO's approval"); err != nil {
			return Result{}, err
		}
		if err := workflow.Await(ctx, func() bool { return r.approved || r.denied || r.canceled }); err != nil {
			return Result{}, err
		}
		switch {
		case r.canceled:
			return r.finish(ctx, store.StatusCanceled, r.decision, "canceled", Result{})
		case r.denied:
			return r.finish(ctx, store.StatusDenied, r.decision, "denied", Result{})
		}
		if err := r.record(ctx, "approved", "", r.decision.Actor, "approved", nil, nil); err != nil {
			return Result{}, err
		}
	}
	if r.canceled {
		return r.finish(ctx, store.StatusCanceled, r.decision, "canceled", Result{})
	}

	if err := r.setStatus(ctx, store.StatusInProgress, "", "system", "applying the request"); err != nil {
		return Result{}, err
	}
	var names []string
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, recordOptions), a.ConnectorNames).Get(ctx, &names); err != nil {
		return r.fail(ctx, "list connectors", err)
	}

	switch req.Type {
	case connectors.TypeAccess, connectors.TypePortability:
		return r.export(ctx, names)
	default:
		return r.apply(ctx, names)
	}
}

// export builds the access or portability package.
func (r *run) export(ctx workflow.Context, names []string) (Result, error) {
	r.state.Applying = true
	actx := workflow.WithActivityOptions(ctx, packageOptions)
	actx = workflow.WithTaskQueue(actx, RegionQueue(r.in.Region))
	var info bundle.Info
	err := workflow.ExecuteActivity(actx, a.BuildPackage, activities.PackageInput{
		TenantID: r.in.TenantID, Request: r.in.Request, Connectors: names,
	}).Get(ctx, &info)
	if err != nil {
		return r.fail(ctx, "build the package", err)
	}
	if err := r.record(ctx, "package_ready", "", "system", fmt.Sprintf("package ready: %d bytes", info.Bytes), info, nil); err != nil {
		return Result{}, err
	}
	return r.finish(ctx, store.StatusCompleted, Decision{Actor: "system"}, "package delivered for download", Result{Package: &info})
}

// apply carries out a rectification, erasure, restriction or objection everywhere, waiting
// out blockers first.
func (r *run) apply(ctx workflow.Context, names []string) (Result, error) {
	cctx := workflow.WithActivityOptions(ctx, connectorOptions)
	cctx = workflow.WithTaskQueue(cctx, RegionQueue(r.in.Region))
	req := r.in.Request
	res := Result{}

	if req.Type == connectors.TypeObjection {
		err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, recordOptions), a.Suppress, activities.SuppressInput{
			TenantID: r.in.TenantID, RequestID: req.ID, Email: req.Subject.Email, Purposes: req.ObjectionPurposes,
		}).Get(ctx, nil)
		if err != nil {
			return r.fail(ctx, "add to the suppression list", err)
		}
		res.Suppressed = req.ObjectionPurposes
		if err := r.record(ctx, "suppressed", "", "system", "added to the suppression list (hashed): "+strings.Join(req.ObjectionPurposes, ", "), nil, nil); err != nil {
			return Result{}, err
		}
	}

	done := map[string]bool{}
	for {
		if req.Type == connectors.TypeErasure {
			proceed, err := r.waitForBlockers(ctx, cctx, names)
			if err != nil {
				return Result{}, err
			}
			if !proceed {
				return r.finish(ctx, store.StatusCanceled, r.decision, "canceled while blocked", Result{})
			}
			req.Override = r.override
		}
		r.state.Applying = true

		futures := make([]workflow.Future, len(names))
		for i, name := range names {
			if done[name] {
				continue
			}
			futures[i] = workflow.ExecuteActivity(cctx, a.Apply, activities.ConnectorInput{Connector: name, Request: req})
		}
		blocked := false
		for i, name := range names {
			if futures[i] == nil {
				continue
			}
			var out connectors.Outcome
			err := futures[i].Get(ctx, &out)
			var appErr *temporal.ApplicationError
			switch {
			case errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeBlocked:
				// Something opened between the check and the change; wait again.
				blocked = true
				continue
			case err != nil:
				return r.fail(ctx, "apply at "+name, err)
			}
			done[name] = true
			res.Connectors = append(res.Connectors, out)
			res.Exceptions = append(res.Exceptions, out.Exceptions...)
			if err := r.record(ctx, "connector_applied", "", "system", summarize(out), out, nil); err != nil {
				return Result{}, err
			}
		}
		if !blocked {
			break
		}
		r.state.Applying = false
	}
	return r.finish(ctx, store.StatusCompleted, Decision{Actor: "system"}, "request applied", res)
}

// waitForBlockers returns once no connector reports a blocker or a DPO overrode them;
// false means the request was canceled meanwhile.
func (r *run) waitForBlockers(ctx, cctx workflow.Context, names []string) (bool, error) {
	every := r.in.RecheckEvery
	if every <= 0 {
		every = DefaultRecheck
	}
	for {
		if r.canceled {
			return false, nil
		}
		if r.override {
			r.overrideSeen = true
			if r.state.Status == store.StatusWaiting {
				if err := r.record(ctx, "override", store.StatusInProgress, r.decision.Actor, "blockers overridden: "+r.decision.Reason, nil, nil); err != nil {
					return false, err
				}
				r.state.Status = store.StatusInProgress
				r.state.Blockers = nil
			}
			return true, nil
		}
		var all []connectors.Blocker
		for _, name := range names {
			var bs []connectors.Blocker
			if err := workflow.ExecuteActivity(cctx, a.Blockers, activities.ConnectorInput{Connector: name, Request: r.in.Request}).Get(ctx, &bs); err != nil {
				return false, fmt.Errorf("check blockers at %s: %w", name, err)
			}
			all = append(all, bs...)
		}
		if len(all) == 0 {
			if r.state.Status == store.StatusWaiting {
				if err := r.setStatus(ctx, store.StatusInProgress, "", "system", "blockers cleared"); err != nil {
					return false, err
				}
			}
			r.state.Blockers = nil
			return true, nil
		}
		reason := describe(all)
		if r.state.Status != store.StatusWaiting || reason != r.state.Reason {
			if err := r.setStatusDetail(ctx, store.StatusWaiting, reason, "system", "blocked: "+reason, all); err != nil {
				return false, err
			}
		}
		r.state.Blockers = all
		if _, err := workflow.AwaitWithTimeout(ctx, every, func() bool { return r.override || r.canceled }); err != nil {
			return false, err
		}
	}
}

func describe(bs []connectors.Blocker) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = b.Message
	}
	return strings.Join(parts, "; ")
}

func summarize(o connectors.Outcome) string {
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

// fail ends the request as failed with the cause.
func (r *run) fail(ctx workflow.Context, what string, cause error) (Result, error) {
	workflow.GetLogger(ctx).Error("request failed", "request_id", r.in.Request.ID, "step", what, "error", cause)
	reason := "could not " + what
	var appErr *temporal.ApplicationError
	if errors.As(cause, &appErr) && appErr.Type() == activities.ErrTypeInvalidRequest {
		reason += ": " + appErr.Message()
	}
	return r.finish(ctx, store.StatusFailed, Decision{Actor: "system"}, reason, Result{})
}

// finish records a final status with the result.
func (r *run) finish(ctx workflow.Context, status string, d Decision, message string, res Result) (Result, error) {
	res.Status = status
	if d.Reason != "" {
		res.Reason = d.Reason
	} else if status != store.StatusCompleted {
		res.Reason = message
	}
	if d.Reason != "" {
		message += ": " + d.Reason
	}
	if err := r.record(ctx, status, status, d.Actor, message, nil, &res); err != nil {
		return Result{}, err
	}
	r.state.Status = status
	r.state.Reason = res.Reason
	return res, nil
}

func (r *run) setStatus(ctx workflow.Context, status, reason, actor, message string) error {
	return r.setStatusDetail(ctx, status, reason, actor, message, nil)
}

func (r *run) setStatusDetail(ctx workflow.Context, status, reason, actor, message string, detail any) error {
	if err := r.recordReason(ctx, "status_changed", status, reason, actor, message, detail, nil); err != nil {
		return err
	}
	r.state.Status = status
	r.state.Reason = reason
	return nil
}

func (r *run) record(ctx workflow.Context, kind, status, actor, message string, detail any, result *Result) error {
	return r.recordReason(ctx, kind, status, "", actor, message, detail, result)
}

// recordReason writes one event (and status) through the Record activity; the sequence
// number makes the dedupe key, so a retried activity records once.
func (r *run) recordReason(ctx workflow.Context, kind, status, reason, actor, message string, detail any, result *Result) error {
	r.seq++
	c := store.Change{
		RequestID:    r.in.Request.ID,
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
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, recordOptions), a.Record, c).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("record %s: %w", kind, err)
	}
	return nil
}
