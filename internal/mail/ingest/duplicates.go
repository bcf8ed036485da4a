package ingest

import (
	"context"
	"slices"
	"strings"

	"dsr/internal/domain"
	"dsr/internal/mail/classify"
	"dsr/internal/store"
)

// joining is what a request mail does with its sender's open case for the same rights.
type joining struct {
	// Case is the open case; Types are the mail's rights open in it.
	Case  store.OpenCase
	Types []domain.RequestType
}

// joinOpen lets each request mail of a batch whose sender has a case open for the same
// rights, received within DuplicateWindow, join that case instead of opening another: the
// mail is recorded and linked to the case, and no second request, acknowledgement or
// verification mail is made (the subject has the case's reference, link and code, and its
// reminder). A mail that also asks for rights the open case lacks opens a case for those
// only. Mail of the batch joins a case an earlier mail of the batch opens. One query looks
// the senders up for the whole batch.
func (r *Room) joinOpen(ctx context.Context, preps []prepared) error {
	if r.DuplicateWindow <= 0 {
		return nil
	}
	var emails []string
	for _, p := range preps {
		if p.c != nil {
			emails = append(emails, p.c.SubjectEmail)
		}
	}
	if len(emails) == 0 {
		return nil
	}
	now := r.now()
	open, err := r.Store.OpenCasesOf(ctx, emails, now.Add(-r.DuplicateWindow), now)
	if err != nil {
		return err
	}
	bySender := map[string][]store.OpenCase{}
	for _, c := range open {
		bySender[c.Email] = append(bySender[c.Email], c)
	}
	for i := range preps {
		p := &preps[i]
		if p.c == nil {
			continue
		}
		sender := strings.ToLower(strings.TrimSpace(p.c.SubjectEmail))
		if err := r.join(p, bySender[sender]); err != nil {
			return err
		}
		if p.c != nil {
			bySender[sender] = append(bySender[sender], store.OpenCase{ID: p.c.ID, Reference: p.c.Reference, Email: sender,
				ReceivedAt: p.c.ReceivedAt, Types: p.c.Types})
		}
	}
	return nil
}

// join makes the prepared request mail p join the first of the sender's open cases that
// asks for one of its rights: all of them open there, the mail is linked to that case and
// opens none; some, it opens a case for the others only.
func (r *Room) join(p *prepared, open []store.OpenCase) error {
	var target *store.OpenCase
	var covered, rest []domain.RequestType
	for _, typ := range p.c.Types {
		i := slices.IndexFunc(open, func(c store.OpenCase) bool { return slices.Contains(c.Types, typ) })
		if i < 0 {
			rest = append(rest, typ)
			continue
		}
		if target == nil {
			target = &open[i]
		}
		if open[i].ID == target.ID {
			covered = append(covered, typ)
		}
	}
	if target == nil {
		return nil
	}
	p.joined = &joining{Case: *target, Types: covered}
	if len(rest) == 0 {
		p.c, p.out = nil, nil
		p.m.CaseID = &target.ID
		p.m.Note = "asks again for what the open case " + target.Reference + " asks: joined it"
		return nil
	}
	cls := p.cls
	cls.Types = rest
	c, out, err := r.openCase(p.m, cls)
	if err != nil {
		return err
	}
	p.c, p.out = c, out
	p.m.Note = "asks again for part of what the open case " + target.Reference + " asks: a case for the rest"
	return nil
}

// noteJoined records, on each open request of the joined case for the mail's rights, that
// the mail (recorded as mailID) asked again; once per mail.
func (r *Room) noteJoined(ctx context.Context, mailID string, j joining) error {
	ids, err := r.Store.OpenCaseRequests(ctx, j.Case.ID, j.Types)
	if err != nil {
		return err
	}
	for _, id := range ids {
		_, err := r.Store.Record(ctx, domain.Change{
			RequestID: id, DedupeKey: "duplicate_joined:mail:" + mailID, Kind: domain.EventDuplicateJoined, Actor: domain.ActorSubject,
			Message: "the subject asked again by mail for this right; the mail joined the open case " + j.Case.Reference,
			Detail:  map[string]any{"mail_id": mailID, "case_id": j.Case.ID},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// joinedEarlier is the joining of a request mail recorded before that was linked to a case
// it did not open; nil for any other mail.
func joinedEarlier(m store.Mail, c store.Case) *joining {
	if m.Kind != classify.KindRequest || c.MessageID == m.ID {
		return nil
	}
	return &joining{Case: store.OpenCase{ID: c.ID, Reference: c.Reference}, Types: m.Types}
}
