package subprocessor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"dsr/connectors"
	"dsr/internal/deadline"
	"dsr/internal/domain"
	"dsr/internal/mail/letters"
	"dsr/internal/mail/smtp"
	"dsr/internal/store"
)

// Manual defaults.
const (
	// DefaultCheckEvery is how often a waiting request looks whether the vendor is done.
	DefaultCheckEvery = time.Hour
	// RemindEveryWorkdays is how many business days pass between reminders.
	RemindEveryWorkdays = 3
	// DefaultTurnaround is the vendor's turnaround in business days when the registry
	// gives none.
	DefaultTurnaround = 5
)

// Manual reaches a sub-processor without an API by mail to its privacy contact: the
// change becomes a task that waits for the vendor's reply (a mail carrying the request's
// reference from the contact's address) or a DPO's "done", with a reminder every few
// business days, and a mail to the DPO when the vendor's turnaround would overrun the
// request's legal deadline.
type Manual struct {
	Entry  Entry
	Store  *store.Store
	Mailer *smtp.Mailer
	// DPOEmail receives escalations; empty for none.
	DPOEmail string
	// CheckEvery is how often the task is looked at; DefaultCheckEvery when zero.
	CheckEvery time.Duration
	Now        func() time.Time
}

var (
	_ connectors.Connector  = (*Manual)(nil)
	_ connectors.JobChecker = (*Manual)(nil)
)

// Name is the sub-processor's name.
func (m *Manual) Name() string { return m.Entry.Name }

// Kind is a sub-processor.
func (m *Manual) Kind() string { return connectors.KindSubprocessor }

// Find cannot ask the vendor; it finds nothing.
func (m *Manual) Find(context.Context, connectors.Subject) (connectors.Match, error) {
	return connectors.Match{}, nil
}

// Blockers never block.
func (m *Manual) Blockers(context.Context, connectors.Request) ([]domain.Blocker, error) {
	return nil, nil
}

// Export exports nothing: an access request is answered from the systems dsr reads; the
// vendor is listed among the recipients.
func (m *Manual) Export(context.Context, connectors.Request, connectors.ExportScope, connectors.Sink) error {
	return nil
}

func (m *Manual) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

func (m *Manual) every() time.Duration {
	if m.CheckEvery > 0 {
		return m.CheckEvery
	}
	return DefaultCheckEvery
}

// Rectify asks the vendor to rectify.
func (m *Manual) Rectify(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	if err := connectors.CheckRectification(req.Rectification); err != nil {
		return domain.Outcome{}, err
	}
	return m.start(ctx, req)
}

// Erase asks the vendor to erase.
func (m *Manual) Erase(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	if _, err := connectors.CheckScope(req.ErasureScope); err != nil {
		return domain.Outcome{}, fmt.Errorf("erase for request %s at %s: %w", req.ID, m.Name(), err)
	}
	return m.start(ctx, req)
}

// Restrict asks the vendor to restrict.
func (m *Manual) Restrict(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	return m.start(ctx, req)
}

// Object asks the vendor to stop the processing objected to.
func (m *Manual) Object(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	if _, err := connectors.CheckPurposes(req.ObjectionPurposes); err != nil {
		return domain.Outcome{}, err
	}
	return m.start(ctx, req)
}

// start opens the task and mails the vendor, once.
func (m *Manual) start(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	t, err := m.Store.OpenTask(ctx, req.ID, m.Entry.Name, req.Type)
	if err != nil {
		return domain.Outcome{}, err
	}
	if t.DoneAt == nil && t.SentAt == nil {
		if err := m.mail(ctx, req, false); err != nil {
			return domain.Outcome{}, err
		}
		if err := m.Store.TaskMailed(ctx, req.ID, m.Entry.Name, false, m.now()); err != nil {
			return domain.Outcome{}, err
		}
	}
	return m.CheckJob(ctx, req, domain.Job{ID: "task:" + m.Entry.Name, Started: t.CreatedAt})
}

// CheckJob ends the task when the vendor or a DPO said it is done; otherwise it reminds
// the vendor every few business days, escalates once to the DPO when the vendor's
// turnaround would overrun the legal deadline, and asks to be checked again.
func (m *Manual) CheckJob(ctx context.Context, req connectors.Request, job domain.Job) (domain.Outcome, error) {
	t, err := m.Store.Task(ctx, req.ID, m.Entry.Name)
	if err != nil {
		return domain.Outcome{}, err
	}
	out := domain.Outcome{Connector: m.Entry.Name, Action: t.Action, Rows: map[string]int64{}, AppliedAt: m.now(),
		Recipient: &domain.Recipient{Name: m.Entry.Name, Kind: domain.ReachMail, Status: domain.RecipientNotified}}
	if t.DoneAt != nil {
		out.Recipient.Status = domain.RecipientConfirmed
		var by domain.Actor
		if t.DoneBy != nil {
			by = *t.DoneBy
		}
		out.Notes = []string{"confirmed by " + string(by)}
		out.AppliedAt = *t.DoneAt
		return out, nil
	}
	r, err := m.Store.GetRequest(ctx, "", req.ID)
	if err != nil {
		return domain.Outcome{}, err
	}
	tn, err := m.Store.GetTenant(ctx, r.TenantID)
	if err != nil {
		return domain.Outcome{}, err
	}
	cal, err := deadline.CalendarFor(tn.Country)
	if err != nil {
		return domain.Outcome{}, err
	}
	policy := deadline.Policy{Country: tn.Country, TZ: tn.TZ, TargetDays: tn.TargetDays}
	today, err := policy.LocalDate(m.now())
	if err != nil {
		return domain.Outcome{}, err
	}
	last := t.CreatedAt
	if t.RemindedAt != nil {
		last = *t.RemindedAt
	} else if t.SentAt != nil {
		last = *t.SentAt
	}
	lastDay, err := policy.LocalDate(last)
	if err != nil {
		return domain.Outcome{}, err
	}
	if cal.WorkdaysBetween(lastDay, today) >= RemindEveryWorkdays {
		if err := m.mail(ctx, req, true); err != nil {
			return domain.Outcome{}, err
		}
		if err := m.Store.TaskMailed(ctx, req.ID, m.Entry.Name, true, m.now()); err != nil {
			return domain.Outcome{}, err
		}
	}
	turnaround := m.Entry.Connector.TurnaroundDays
	if turnaround <= 0 {
		turnaround = DefaultTurnaround
	}
	sent := t.CreatedAt
	if t.SentAt != nil {
		sent = *t.SentAt
	}
	sentDay, err := policy.LocalDate(sent)
	if err != nil {
		return domain.Outcome{}, err
	}
	expected := cal.AddWorkdays(sentDay, turnaround)
	legal := r.LegalDue
	if r.ExtendedAt != nil {
		legal = r.ExtendedDue
	}
	if legal != nil && expected.After(deadline.DateOf(*legal)) && m.DPOEmail != "" && m.Mailer != nil {
		first, err := m.Store.TaskEscalated(ctx, req.ID, m.Entry.Name)
		if err != nil {
			return domain.Outcome{}, err
		}
		if first {
			mail, err := letters.Operator(letters.DPOEscalation, map[string]any{"Ref": domain.Ref(req.ID), "Type": req.Type,
				"Vendor": m.Entry.Name, "Turnaround": turnaround, "Expected": expected, "Legal": legal.Format(time.DateOnly),
				"Contact": m.Entry.Connector.Contact, "RequestID": req.ID})
			if err != nil {
				return domain.Outcome{}, err
			}
			if err := m.Mailer.Send(ctx, smtp.Message{To: m.DPOEmail, Subject: mail.Subject, Body: mail.Body,
				ID: letters.MessageID(domain.Ref(req.ID), "escalate."+slug(m.Entry.Name))}); err != nil {
				return domain.Outcome{}, err
			}
		}
	}
	job.CheckAfter = m.every()
	job.Checks++
	job.Reason = fmt.Sprintf("waiting for %s to confirm by mail (%s)", m.Entry.Name, m.Entry.Connector.Contact)
	if job.Started.IsZero() {
		job.Started = t.CreatedAt
	}
	out.Job = &job
	return out, nil
}

// mail writes to the vendor's privacy contact. The mail names the request by its
// reference and the subject by their email: the vendor needs it to find the data.
func (m *Manual) mail(ctx context.Context, req connectors.Request, reminder bool) error {
	if m.Mailer == nil {
		return errors.New("the vendor is reached by mail, but SMTP_URL is not set")
	}
	ref := domain.Ref(req.ID)
	type newValue struct{ Field, Value string }
	var values []newValue
	for _, k := range slices.Sorted(maps.Keys(req.Rectification)) {
		values = append(values, newValue{k, req.Rectification[k]})
	}
	mail, err := letters.Operator(letters.VendorTask, map[string]any{"Reminder": reminder, "Ref": ref, "Type": req.Type,
		"Purposes": domain.JoinNames(req.ObjectionPurposes), "Purpose": m.Entry.Purpose, "Email": req.Subject.Email,
		"DPADate": m.Entry.DPADate, "NewValues": values})
	if err != nil {
		return err
	}
	id := letters.MessageID(ref, "task."+slug(m.Entry.Name))
	if reminder {
		id += fmt.Sprintf(".r%d", time.Now().Unix())
	}
	return m.Mailer.Send(ctx, smtp.Message{To: m.Entry.Connector.Contact, Subject: mail.Subject, Body: mail.Body, ID: id})
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// ConfirmByDPO closes a vendor's task on a request on a DPO's word that the vendor
// confirmed by other means, with its event, in one transaction; the event is recorded
// whenever this DPO closed the task (now, or in an earlier run its key keeps once). It
// reports whether this call closed the task; store.ErrNotFound when there is no task.
func ConfirmByDPO(ctx context.Context, st *store.Store, requestID, vendor, dpo string) (bool, error) {
	if _, err := st.Task(ctx, requestID, vendor); err != nil {
		return false, err
	}
	by := domain.DPOActor(dpo)
	return st.CloseTask(ctx, requestID, vendor, by, func(_ bool, doneBy domain.Actor) *domain.Change {
		if doneBy != by {
			return nil
		}
		return &domain.Change{RequestID: requestID, DedupeKey: "task-done:" + vendor, Kind: domain.EventRecipientConfirmed,
			Actor: by, Message: vendor + " marked done by a DPO"}
	})
}

// ConfirmByReply closes a vendor's task on a request when the vendor replies by mail, and
// records the reply on the request, in one transaction; the event's key, made from the
// mail's key, keeps it once however often the mail is taken. It reports whether the reply
// closed the task.
func ConfirmByReply(ctx context.Context, st *store.Store, requestID, vendor, mailKey string) (bool, error) {
	sum := sha256.Sum256([]byte(mailKey))
	return st.CloseTask(ctx, requestID, vendor, domain.ActorVendorReply, func(closed bool, _ domain.Actor) *domain.Change {
		msg := vendor + " replied by mail"
		if closed {
			msg += ": its task is confirmed"
		}
		return &domain.Change{RequestID: requestID, DedupeKey: "vendor-mail:" + hex.EncodeToString(sum[:16]),
			Kind: domain.EventRecipientReplied, Actor: domain.VendorActor(vendor), Message: msg}
	})
}
