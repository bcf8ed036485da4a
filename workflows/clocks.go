package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"dsr/activities/contract"
	"dsr/internal/domain"
)

// Clock updates.
const (
	UpdateExtend = "extend"
	UpdatePause  = "pause"
	UpdateResume = "resume"
)

// clockState is the clock goroutine's part of a run.
type clockState struct {
	info     *contract.ClockInfo
	dirty    bool
	busy     bool
	fired    map[string]bool
	paused   bool
	extended bool

	pendingExtend, pendingPause, pendingResume *Decision
	extendDone, pauseDone, resumeDone          bool
	actionErr                                  error
	pauses, resumes                            int
}

type alarm struct {
	kind domain.EventKind
	at   time.Time
	due  string
}

func (c *clockState) alarms() []alarm {
	i := c.info
	return []alarm{
		{domain.EventAtRisk, i.AtRisk, i.TargetDue},
		{domain.EventTargetBreached, i.TargetEnd, i.TargetDue},
		{domain.EventLegalWarning7d, i.LegalEnd.Add(-7 * 24 * time.Hour), i.LegalDue},
		{domain.EventLegalWarning1d, i.LegalEnd.Add(-24 * time.Hour), i.LegalDue},
		{domain.EventLegalBreached, i.LegalEnd, i.LegalDue},
	}
}

func alarmKey(a alarm) string { return string(a.kind) + ":" + a.due }

// clocks runs beside the request until it is final: it raises each alarm once when its
// time comes (an event and a mail to the DPO), and carries out extensions and clarification
// pauses. Timers are durable; a paused request raises nothing.
func (r *run) clocks(ctx workflow.Context) {
	c := &r.clock
	actx := workflow.WithActivityOptions(ctx, clockOptions)
	final := func() bool { return r.state.Status.Final() }
	// The record starts with the request's own first event; the clocks come after it.
	_ = workflow.Await(ctx, func() bool { return r.started || final() })
	for !final() {
		c.busy = true
		if c.info == nil || c.dirty {
			info, err := call(actx, contract.Clock, r.in.RequestID)
			if err != nil {
				workflow.GetLogger(ctx).Error("clock unavailable", "request_id", r.in.RequestID, "error", err)
				c.busy = false
				// Try again later rather than give up the clocks.
				_, _ = workflow.AwaitWithTimeout(ctx, time.Hour, final)
				continue
			}
			c.info, c.dirty, c.paused, c.extended = &info, false, info.Paused, info.Extended
		}
		if d := c.pendingExtend; d != nil {
			c.actionErr = r.canExtend(ctx)
			if c.actionErr == nil {
				c.actionErr = r.clockAction(ctx, contract.Extend, *d, 1)
			}
			c.extended = c.actionErr == nil
			c.pendingExtend, c.extendDone, c.dirty = nil, true, true
			continue
		}
		if d := c.pendingPause; d != nil {
			c.pauses++
			c.actionErr = r.clockAction(ctx, contract.Pause, *d, c.pauses)
			c.pendingPause, c.pauseDone, c.dirty = nil, true, true
			continue
		}
		if d := c.pendingResume; d != nil {
			c.resumes++
			c.actionErr = r.clockAction(ctx, contract.Resume, *d, c.resumes)
			c.pendingResume, c.resumeDone, c.dirty = nil, true, true
			continue
		}

		var next *alarm
		if !c.paused && c.info.Started {
			for _, al := range c.alarms() {
				if !c.fired[alarmKey(al)] {
					next = &al
					break
				}
			}
		}
		now := workflow.Now(ctx)
		if next != nil && !next.at.After(now) {
			r.raise(ctx, *next)
			continue
		}
		c.busy = false
		wake := func() bool {
			return final() || c.dirty || c.pendingExtend != nil || c.pendingPause != nil || c.pendingResume != nil
		}
		if next == nil {
			_ = workflow.Await(ctx, wake)
		} else {
			_, _ = workflow.AwaitWithTimeout(ctx, next.at.Sub(now), wake)
		}
	}
	c.busy = false
}

// raise records an alarm and mails the DPO; a failure is logged and the alarm counts as
// raised, so that a broken mail server does not stop the other clocks.
func (r *run) raise(ctx workflow.Context, al alarm) {
	c := &r.clock
	c.fired[alarmKey(al)] = true
	change := domain.ClockChange{}
	reason := r.state.Reason
	message := ""
	switch al.kind {
	case domain.EventAtRisk:
		change.AtRisk = true
		message = "at risk: 75% of the time to the target (" + al.due + ") has passed"
	case domain.EventTargetBreached:
		change.TargetBreached, change.BreachReason = true, breachReason(r.state)
		message = "target missed: the target was " + al.due
	case domain.EventLegalWarning7d:
		message = "7 days to the legal deadline (" + al.due + ")"
	case domain.EventLegalWarning1d:
		message = "1 day to the legal deadline (" + al.due + ")"
	case domain.EventLegalBreached:
		change.LegalBreached, change.BreachReason = true, breachReason(r.state)
		message = "legal deadline missed: it was " + al.due
	}
	if reason != "" {
		message += "; status " + string(r.state.Status) + ": " + reason
	}
	err := r.recordKeyed(ctx, "clock:"+alarmKey(al), al.kind, domain.ActorSystem, message, &change)
	if err == nil {
		_, err = call(workflow.WithActivityOptions(ctx, clockOptions), contract.NotifyDPO,
			contract.NotifyInput{RequestID: r.in.RequestID, Kind: al.kind, Due: al.due})
	}
	if err != nil {
		workflow.GetLogger(ctx).Error("clock alarm not fully raised", "request_id", r.in.RequestID, "alarm", al.kind, "error", err)
	}
}

func breachReason(s State) string {
	if s.Reason != "" {
		return string(s.Status) + ": " + s.Reason
	}
	return "still " + string(s.Status)
}

func (r *run) clockAction(ctx workflow.Context, act contract.Activity[contract.ClockInput, contract.None], d Decision, n int) error {
	_, err := call(workflow.WithActivityOptions(ctx, clockOptions), act, contract.ClockInput{
		RequestID: r.in.RequestID, Actor: d.Actor, Reason: d.Reason, N: n, At: workflow.Now(ctx),
	})
	if err != nil {
		workflow.GetLogger(ctx).Error("clock action failed", "request_id", r.in.RequestID, "error", err)
	}
	return err
}

// recordKeyed writes an event with a key of its own (not the run's sequence), for records
// that must stay unique across continued runs.
func (r *run) recordKeyed(ctx workflow.Context, key string, kind domain.EventKind, actor domain.Actor, message string, clock *domain.ClockChange) error {
	c := domain.Change{RequestID: r.in.RequestID, DedupeKey: key, Kind: kind, Actor: actor, Message: message, Clock: clock}
	_, err := call(workflow.WithActivityOptions(ctx, clockOptions), contract.Record, c)
	return err
}

// canExtend says why the legal deadline cannot be extended now, by the clocks as loaded;
// nil when it can: within the first month of a started clock (Art. 12(3)).
func (r *run) canExtend(ctx workflow.Context) error {
	c := &r.clock
	if !c.info.Started {
		return notAllowed("the legal clock has not started: the subject's identity is not verified yet")
	}
	if !workflow.Now(ctx).Before(c.info.FirstMonthEnd) {
		return notAllowed("the first month ended on %s: an extension must be decided within it (Art. 12(3))", c.info.LegalDue)
	}
	return nil
}

// clockUpdates are the updates that act on the clocks: extend, pause and resume.
func (r *run) clockUpdates() []update {
	c := &r.clock
	final := func() bool { return r.state.Status.Final() }
	needReason := func(d Decision, what string) error {
		if strings.TrimSpace(d.Reason) == "" {
			return notAllowed("%s needs a reason: it is kept in the record", what)
		}
		return nil
	}
	ready := func() error {
		switch {
		case final():
			return notAllowed("the request is %s", r.state.Status)
		case c.info == nil:
			return notAllowed("the request's clocks are not loaded yet; try again in a moment")
		case c.pendingExtend != nil || c.pendingPause != nil || c.pendingResume != nil:
			return notAllowed("another clock change is being made")
		}
		return nil
	}
	actionErr := func() error {
		switch {
		case c.actionErr == nil:
			return nil
		case errors.Is(c.actionErr, ErrNotAllowed):
			return c.actionErr
		}
		return fmt.Errorf("the change could not be recorded: %w", c.actionErr)
	}
	return []update{
		{
			name: UpdateExtend,
			validate: func(ctx workflow.Context, d Decision) error {
				if err := ready(); err != nil {
					return err
				}
				if c.extended {
					return notAllowed("the deadline was extended already")
				}
				// Clocks being reloaded (identity was just verified) are checked once they
				// are, before the extension is made.
				if !c.dirty {
					if err := r.canExtend(ctx); err != nil {
						return err
					}
				}
				return needReason(d, "an extension")
			},
			apply: func(d Decision) { c.pendingExtend, c.extendDone, c.actionErr = &d, false, nil },
			done:  func() bool { return c.extendDone || final() },
			err:   actionErr,
		},
		{
			name: UpdatePause,
			validate: func(_ workflow.Context, d Decision) error {
				if err := ready(); err != nil {
					return err
				}
				if c.paused {
					return notAllowed("the clock is paused already")
				}
				return needReason(d, "a pause")
			},
			apply: func(d Decision) { c.pendingPause, c.pauseDone, c.actionErr, c.paused = &d, false, nil, true },
			done:  func() bool { return c.pauseDone || final() },
			err:   actionErr,
		},
		{
			name: UpdateResume,
			validate: func(_ workflow.Context, d Decision) error {
				if err := ready(); err != nil {
					return err
				}
				if !c.paused {
					return notAllowed("the clock is not paused")
				}
				return needReason(d, "resuming")
			},
			apply: func(d Decision) { c.pendingResume, c.resumeDone, c.actionErr, c.paused = &d, false, nil, false },
			done:  func() bool { return c.resumeDone || final() },
			err:   actionErr,
		},
	}
}
