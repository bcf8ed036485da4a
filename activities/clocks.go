package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"dsr/activities/contract"
	"dsr/internal/deadline"
	"dsr/internal/domain"
	"dsr/internal/mail/letters"
	"dsr/internal/mail/smtp"
	"dsr/internal/store"
)

// Clock reads a request's clocks from the record.
func (a *Activities) Clock(ctx context.Context, requestID string) (contract.ClockInfo, error) {
	r, t, err := a.requestAndTenant(ctx, requestID)
	if err != nil {
		return contract.ClockInfo{}, err
	}
	loc, err := time.LoadLocation(t.TZ)
	if err != nil {
		return contract.ClockInfo{}, temporal.NewNonRetryableApplicationError("tenant time zone "+t.TZ+": "+err.Error(), contract.ErrTypeInvalidRequest, err)
	}
	if r.ClockStartedAt == nil || r.TargetDue == nil || r.LegalDue == nil || r.ExtendedDue == nil {
		// Identity is being verified: no clock yet.
		return contract.ClockInfo{Start: r.ReceivedAt}, nil
	}
	endOf := func(d time.Time) time.Time {
		return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
	}
	c := contract.ClockInfo{
		Started:       true,
		Start:         *r.ClockStartedAt,
		TargetDue:     r.TargetDue.Format(time.DateOnly),
		LegalDue:      r.LegalDue.Format(time.DateOnly),
		Extended:      r.ExtendedAt != nil,
		Paused:        r.PausedAt != nil,
		TargetEnd:     endOf(*r.TargetDue),
		LegalEnd:      endOf(*r.LegalDue),
		FirstMonthEnd: endOf(*r.LegalDue),
	}
	if c.Extended {
		c.LegalDue = r.ExtendedDue.Format(time.DateOnly)
		c.LegalEnd = endOf(*r.ExtendedDue)
	}
	c.AtRisk = c.Start.Add(time.Duration(float64(c.TargetEnd.Sub(c.Start)) * domain.AtRiskShare))
	return c, nil
}

func (a *Activities) requestAndTenant(ctx context.Context, id string) (store.Request, store.Tenant, error) {
	r, err := a.Store.GetRequest(ctx, "", id)
	if errors.Is(err, store.ErrNotFound) {
		return r, store.Tenant{}, temporal.NewNonRetryableApplicationError("request "+id+" is not in the record", contract.ErrTypeInvalidRequest, err)
	}
	if err != nil {
		return r, store.Tenant{}, err
	}
	t, err := a.Store.GetTenant(ctx, r.TenantID)
	if err != nil {
		return r, t, fmt.Errorf("tenant of request %s: %w", id, err)
	}
	return r, t, nil
}

// NotifyDPO mails the DPO about an alarm, once: a retry after the mail went out finds its
// event and sends nothing. Without DSR_DPO_EMAIL or SMTP_URL it records that no mail was
// sent.
func (a *Activities) NotifyDPO(ctx context.Context, in contract.NotifyInput) error {
	key := "mail:dpo:" + string(in.Kind) + ":" + in.Due
	if a.Mailer == nil || a.DPOEmail == "" {
		_, err := a.record(ctx, domain.Change{RequestID: in.RequestID, DedupeKey: key, Kind: domain.EventMailSkipped, Actor: domain.ActorSystem,
			Message: "no DPO mail for " + string(in.Kind) + ": DSR_DPO_EMAIL or SMTP_URL is not set"})
		return err
	}
	sent, err := a.Store.HasEvent(ctx, in.RequestID, key)
	if err != nil || sent {
		return err
	}
	r, t, err := a.requestAndTenant(ctx, in.RequestID)
	if err != nil {
		return err
	}
	subject, body, err := renderAlarm(in, r, t)
	if err != nil {
		return err
	}
	if err := a.Mailer.Send(ctx, smtp.Message{To: a.DPOEmail, Subject: subject, Body: body, ID: "dsr-" + in.RequestID + "-" + string(in.Kind) + "-" + in.Due}); err != nil {
		return err
	}
	_, err = a.record(ctx, domain.Change{RequestID: in.RequestID, DedupeKey: key, Kind: domain.EventMailSent, Actor: domain.ActorSystem,
		Message: "DPO told: " + subject})
	return err
}

func renderAlarm(in contract.NotifyInput, r store.Request, t store.Tenant) (string, string, error) {
	if !in.Kind.Alarm() {
		return "", "", temporal.NewNonRetryableApplicationError("unknown alarm "+string(in.Kind), contract.ErrTypeInvalidRequest, nil)
	}
	reason := ""
	if r.StatusReason != nil {
		reason = *r.StatusReason
	}
	m, err := letters.Operator(letters.DPOAlarm, map[string]any{
		"Kind": in.Kind, "Request": r, "Ref": r.Ref(), "Tenant": t, "Due": in.Due, "Reason": reason,
		"Target": dateOrEmpty(r.TargetDue), "Legal": dateOrEmpty(r.LegalDue), "Extended": dateOrEmpty(r.ExtendedDue),
	})
	if err != nil {
		return "", "", fmt.Errorf("render alarm mail: %w", err)
	}
	return m.Subject, m.Body, nil
}

func dateOrEmpty(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

// Extend moves the legal deadline to three months (Art. 12(3)), records why, and tells the
// subject by mail when SMTP is configured (a subject who wrote to the privacy mailbox gets
// the mailroom's mail instead).
func (a *Activities) Extend(ctx context.Context, in contract.ClockInput) error {
	r, _, err := a.requestAndTenant(ctx, in.RequestID)
	if err != nil {
		return err
	}
	due := dateOrEmpty(r.ExtendedDue)
	_, err = a.record(ctx, domain.Change{RequestID: in.RequestID, DedupeKey: "clock:extended", Kind: domain.EventExtended, Actor: in.Actor,
		Message: "legal deadline extended to " + due + ": " + in.Reason,
		Clock:   &domain.ClockChange{Extended: true, ExtensionReason: in.Reason}})
	if err != nil {
		return err
	}
	if r.Source == domain.SourceMail {
		// The mailroom tells a subject who wrote in, in their language: the extension
		// queued its mail with the change.
		return nil
	}
	key := "mail:subject:extended"
	if a.Mailer == nil {
		_, err := a.record(ctx, domain.Change{RequestID: in.RequestID, DedupeKey: key, Kind: domain.EventMailSkipped, Actor: domain.ActorSystem,
			Message: "the subject was not told of the extension by mail: SMTP_URL is not set; tell them by other means"})
		return err
	}
	sent, err := a.Store.HasEvent(ctx, in.RequestID, key)
	if err != nil || sent {
		return err
	}
	m, err := letters.Operator(letters.SubjectExtended, map[string]any{"Type": r.Type, "Ref": r.Ref(), "Due": due, "Reason": in.Reason})
	if err != nil {
		return err
	}
	if err := a.Mailer.Send(ctx, smtp.Message{To: r.SubjectEmail, Subject: m.Subject, Body: m.Body,
		ID: "dsr-" + r.ID + "-extended"}); err != nil {
		return err
	}
	_, err = a.record(ctx, domain.Change{RequestID: in.RequestID, DedupeKey: key, Kind: domain.EventMailSent, Actor: domain.ActorSystem,
		Message: "subject told of the extension"})
	return err
}

// Pause stops the clocks for a clarification.
func (a *Activities) Pause(ctx context.Context, in contract.ClockInput) error {
	_, err := a.record(ctx, domain.Change{RequestID: in.RequestID, DedupeKey: fmt.Sprintf("clock:paused:%d", in.N), Kind: domain.EventPaused,
		Actor: in.Actor, Message: "clock paused for clarification: " + in.Reason, Clock: &domain.ClockChange{Pause: domain.PauseStart}})
	return err
}

// Resume restarts the clocks and moves every deadline by the calendar days paused.
func (a *Activities) Resume(ctx context.Context, in contract.ClockInput) error {
	r, t, err := a.requestAndTenant(ctx, in.RequestID)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("clock:resumed:%d", in.N)
	if r.PausedAt == nil {
		// Already resumed by an earlier attempt of this activity.
		return nil
	}
	policy := deadline.Policy{Country: t.Country, TZ: t.TZ, TargetDays: t.TargetDays}
	from, err := policy.LocalDate(*r.PausedAt)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeInvalidRequest, err)
	}
	to, err := policy.LocalDate(in.At)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeInvalidRequest, err)
	}
	days := max(from.DaysUntil(to), 0)
	start := r.ReceivedAt
	if r.ClockStartedAt != nil {
		start = *r.ClockStartedAt
	}
	due, err := deadline.Compute(start, policy)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeInvalidRequest, err)
	}
	if due, err = due.Shift(r.PausedDays + days); err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeInvalidRequest, err)
	}
	target, legal, extended := due.Target.Time(), due.Legal.Time(), due.Extended.Time()
	_, err = a.record(ctx, domain.Change{RequestID: in.RequestID, DedupeKey: key, Kind: domain.EventResumed, Actor: in.Actor,
		Message: fmt.Sprintf("clock resumed after %d day(s): target %s, legal deadline %s (extended %s): %s",
			days, due.Target, due.Legal, due.Extended, in.Reason),
		Clock: &domain.ClockChange{Pause: domain.PauseEnd, AddPausedDays: days, TargetDue: &target, LegalDue: &legal, ExtendedDue: &extended}})
	return err
}

// StartClock starts the clock of a request whose subject just verified their identity:
// the deadlines count from in.At. A clock that runs already is left alone.
func (a *Activities) StartClock(ctx context.Context, in contract.ClockInput) error {
	r, t, err := a.requestAndTenant(ctx, in.RequestID)
	if err != nil || r.ClockStartedAt != nil {
		return err
	}
	due, err := deadline.Compute(in.At, deadline.Policy{Country: t.Country, TZ: t.TZ, TargetDays: t.TargetDays})
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeInvalidRequest, err)
	}
	target, legal, extended := due.Target.Time(), due.Legal.Time(), due.Extended.Time()
	_, err = a.record(ctx, domain.Change{RequestID: in.RequestID, DedupeKey: "clock:started", Kind: domain.EventClockStarted, Actor: in.Actor,
		Message: fmt.Sprintf("clock started on identity verification: target %s, legal deadline %s", due.Target, due.Legal),
		Clock:   &domain.ClockChange{ClockStartedAt: &in.At, TargetDue: &target, LegalDue: &legal, ExtendedDue: &extended}})
	return err
}
