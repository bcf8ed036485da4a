package ingest

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"dsr/connectors/subprocessor"
	"dsr/internal/domain"
	"dsr/internal/mail/classify"
	"dsr/internal/mail/letters"
	"dsr/internal/store"
	"dsr/workflows"
)

// route makes one request per tenant holding the subject's data and per right asked for,
// each waiting for the subject's identity and then its controller's approval, and starts
// their workflows. Requests are made with idempotency keys, so routing again makes none
// twice. A case no tenant holds data for has no request: after verification its subject
// is told that no data is held.
func (r *Room) route(ctx context.Context, c store.Case) error {
	held, err := r.Holders(ctx, []string{c.SubjectEmail})
	if err != nil {
		return fmt.Errorf("route case %s: look the subject up: %w", c.Reference, err)
	}
	tenants, err := r.tenants(ctx, held)
	if err != nil {
		return err
	}
	for _, n := range r.requestsFor(c, held[c.SubjectEmail], tenants) {
		req, _, err := r.Store.CreateRequest(ctx, n)
		if err != nil {
			return fmt.Errorf("route case %s: %w", c.Reference, err)
		}
		if err := r.Store.LinkCaseRequest(ctx, c.ID, req.ID); err != nil {
			return err
		}
		if err := r.Start(ctx, tenants[req.TenantID], req); err != nil {
			return err
		}
	}
	return r.Store.CaseRouted(ctx, c.ID)
}

// tenants reads the tenants of the chat-store accounts found holding subjects' data.
func (r *Room) tenants(ctx context.Context, held map[string][]string) (map[string]store.Tenant, error) {
	out := map[string]store.Tenant{}
	for _, ids := range held {
		for _, id := range ids {
			if _, ok := out[id]; ok {
				continue
			}
			t, err := r.Store.GetTenant(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				// Chat-store data of an account dsr does not manage: nobody to route to.
				r.log().Warn("chat-store account without a tenant", "account_id", id)
				continue
			}
			if err != nil {
				return nil, err
			}
			out[id] = t
		}
	}
	return out, nil
}

// requestsFor lists the requests a case makes: one per tenant holding the subject's data
// (accounts) and per right.
func (r *Room) requestsFor(c store.Case, accounts []string, tenants map[string]store.Tenant) []store.NewRequest {
	var out []store.NewRequest
	for _, id := range accounts {
		t, ok := tenants[id]
		if !ok {
			continue
		}
		for _, typ := range c.Types {
			params := store.Params{}
			switch typ {
			case domain.Erasure:
				params.ErasureScope = domain.ScopeFull
			case domain.Objection:
				params.ObjectionPurposes = domain.Purposes
			}
			out = append(out, store.NewRequest{
				TenantID: t.ID, Type: typ, Source: domain.SourceMail, SubjectEmail: c.SubjectEmail, Params: params,
				Reference: c.Reference, IdempotencyKey: "mail:" + c.ID + ":" + string(typ), RequestHash: "mail:" + c.ID,
				ReceivedAt: c.ReceivedAt,
			})
		}
	}
	return out
}

// codeRe finds candidate codes in a reply.
var codeRe = regexp.MustCompile(`\b\d{6}\b`)

// reply files an answer to one of dsr's mails with its case: a code in it verifies the
// sender, anything else is kept for the people handling the request.
func (r *Room) reply(ctx context.Context, m store.Mail, msg *classify.Message, cls classify.Classification) (store.Mail, error) {
	ref := replyRef(cls)
	if name := r.vendor(msg); name != "" {
		return r.vendorReply(ctx, m, ref, name)
	}
	c, err := r.Store.CaseOfMessageRef(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		m.Folder, m.Note = store.FolderTriage, unknownRefNote("")
		return r.record(ctx, m, nil, nil)
	}
	if err != nil {
		return store.Mail{}, err
	}
	m.Folder, m.Note = store.FolderProcessed, "reply to "+c.Reference
	m.CaseID = &c.ID
	got, created, err := r.Store.TakeMail(ctx, m, nil, nil)
	if err != nil || !created {
		return got, err
	}
	r.log().Info("mail taken", "mail_id", got.ID, "kind", got.Kind, "folder", got.Folder, "case", c.Reference)
	if err := r.noteOnRequests(ctx, c, "mail:"+got.ID, domain.EventSubjectReplied, "the subject replied by mail (kept sealed with the request)"); err != nil {
		return got, err
	}
	if c.VerifiedAt != nil || c.ClosedAt != nil {
		return got, nil
	}
	if !strings.EqualFold(msg.From.Email, c.SubjectEmail) {
		return got, r.noteOnRequests(ctx, c, "mail:"+got.ID+":other", domain.EventVerificationRefused,
			"a reply with a code came from another address than the subject's; not taken as verification")
	}
	if c.Attempts >= MaxAttempts {
		return got, nil
	}
	codes := codeRe.FindAllString(msg.Text, 20)
	for _, code := range codes {
		if subtle.ConstantTimeCompare(r.Keys.Hash(code), c.CodeHash) == 1 {
			return got, r.Verify(ctx, c, domain.ActorSubjectByReply)
		}
	}
	if len(codes) > 0 {
		n, err := r.Store.CountAttempt(ctx, c.ID)
		if err != nil {
			return got, err
		}
		return got, r.noteOnRequests(ctx, c, "mail:"+got.ID+":wrong", domain.EventVerificationFailed,
			fmt.Sprintf("a reply carried a wrong code (attempt %d of %d)", n, MaxAttempts))
	}
	return got, nil
}

// replyRef is the reference a reply names, as "DSR-xxxxxxxx".
func replyRef(cls classify.Classification) string {
	if !strings.HasPrefix(strings.ToUpper(cls.Reference), "DSR-") {
		return "DSR-" + cls.Reference
	}
	return cls.Reference
}

// vendor names the sub-processor a mail comes from, if it comes from one's privacy contact.
func (r *Room) vendor(msg *classify.Message) string {
	return r.Vendors[strings.ToLower(msg.From.Email)]
}

// unknownRefNote is the triage note of a reply (from a vendor, if named) to a reference
// dsr does not know.
func unknownRefNote(vendor string) string {
	if vendor != "" {
		return "a reply from " + vendor + " to a reference dsr does not know"
	}
	return "a reply to a reference dsr does not know"
}

// VerifyToken verifies the case whose link token is token.
func (r *Room) VerifyToken(ctx context.Context, token string) (store.Case, error) {
	c, err := r.Store.CaseByToken(ctx, r.Keys.Hash(token))
	if errors.Is(err, store.ErrNotFound) {
		return store.Case{}, ErrUnknownToken
	}
	if err != nil {
		return store.Case{}, err
	}
	if c.VerifiedAt != nil {
		// A second click: make sure the first one reached every request.
		return c, r.propagate(ctx, c)
	}
	if c.ClosedAt != nil {
		return c, ErrClosed
	}
	if !r.now().Before(c.ExpiresAt) {
		return c, ErrExpired
	}
	return c, r.Verify(ctx, c, domain.ActorSubjectByLink)
}

// ErrVerified is returned by DisownToken for a case verified already.
var ErrVerified = errors.New("the case is verified")

// CaseForToken returns the case whose link carries token, changing nothing: what the
// verification page shows before the subject answers. It fails as VerifyToken does, but a
// verified case is returned without error.
func (r *Room) CaseForToken(ctx context.Context, token string) (store.Case, error) {
	c, err := r.Store.CaseByToken(ctx, r.Keys.Hash(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Case{}, ErrUnknownToken
	case err != nil:
		return store.Case{}, err
	case c.VerifiedAt != nil:
		return c, nil
	case c.ClosedAt != nil:
		return c, ErrClosed
	case !r.now().Before(c.ExpiresAt):
		return c, ErrExpired
	}
	return c, nil
}

// DisownToken ends the case whose link carries token as not made by the owner of the
// address, who said so on the verification page: its open requests are cancelled (each
// cancellation recorded with the subject as actor) and the case is closed as disowned. A
// case verified already is not (ErrVerified); one closed already stays as it is.
func (r *Room) DisownToken(ctx context.Context, token string) (store.Case, error) {
	c, err := r.CaseForToken(ctx, token)
	if err != nil {
		return c, err
	}
	if c.VerifiedAt != nil {
		return c, ErrVerified
	}
	ids, err := r.Store.CaseRequests(ctx, c.ID)
	if err != nil {
		return c, err
	}
	for _, id := range ids {
		req, err := r.Store.GetRequest(ctx, "", id)
		if err != nil {
			return c, err
		}
		if req.Status.Final() {
			continue
		}
		if err := r.Decide(ctx, id, workflows.UpdateCancel, domain.ActorSubjectByLink,
			"the owner of the address said they did not make this request"); err != nil {
			return c, fmt.Errorf("cancel request %s: %w", id, err)
		}
	}
	if _, err := r.Store.CloseCase(ctx, c.ID, store.CaseDisowned, nil); err != nil {
		return c, err
	}
	r.log().Info("case disowned on the verification page", "case", c.Reference)
	return c, nil
}

// Verify marks the case verified, tells its requests' workflows (whose legal clocks start
// now), answers a case without requests with "no data held", and cuts the identity
// documents out of the kept mail.
func (r *Room) Verify(ctx context.Context, c store.Case, by domain.Actor) error {
	ok, err := r.Store.VerifyCase(ctx, c.ID, by, r.now(), nil)
	if err != nil {
		return err
	}
	if !ok {
		if c, err = r.Store.GetCase(ctx, c.ID); err != nil {
			return err
		}
		if c.VerifiedAt == nil {
			return ErrExpired
		}
	}
	if c, err = r.Store.GetCase(ctx, c.ID); err != nil {
		return err
	}
	if err := r.redact(ctx, c); err != nil {
		// The case is verified; the documents go at the next sweep.
		r.log().Warn("cut identity documents", "case", c.Reference, "error", err)
	}
	return r.propagate(ctx, c)
}

// propagate sends a verified case's verification to each of its requests still waiting
// for it, then tells the subject: the dates, or that no data is held.
func (r *Room) propagate(ctx context.Context, c store.Case) error {
	if c.RoutedAt == nil {
		if err := r.route(ctx, c); err != nil {
			return err
		}
		var err error
		if c, err = r.Store.GetCase(ctx, c.ID); err != nil {
			return err
		}
	}
	ids, err := r.Store.CaseRequests(ctx, c.ID)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		_, err := r.Store.CloseCase(ctx, c.ID, store.CaseNoData, []store.Outgoing{{
			DedupeKey: "case:" + c.ID + ":no_data", CaseID: &c.ID, Kind: letters.KindNoData,
			Language: c.Language, Recipient: c.SubjectEmail,
		}})
		return err
	}
	var errs []error
	for _, id := range ids {
		req, err := r.Store.GetRequest(ctx, "", id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if req.Status != domain.StatusVerifying && req.Status != domain.StatusReceived {
			continue
		}
		if req.Status == domain.StatusReceived {
			// Its workflow may not run yet: its start follows the poll that made it.
			if err := r.startNow(ctx, req); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		by := domain.ActorSubject
		if c.VerifiedBy != nil {
			by = *c.VerifiedBy
		}
		if err := r.Decide(ctx, id, workflows.UpdateVerify, by, "identity verified by mail"); err != nil {
			errs = append(errs, fmt.Errorf("verify request %s: %w", id, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return r.Store.Enqueue(ctx, store.Outgoing{
		DedupeKey: "case:" + c.ID + ":verified", CaseID: &c.ID, Kind: letters.KindVerified,
		Language: c.Language, Recipient: c.SubjectEmail,
	})
}

// startNow starts a request's workflow unless it runs already.
func (r *Room) startNow(ctx context.Context, req store.Request) error {
	t, err := r.Store.GetTenant(ctx, req.TenantID)
	if err != nil {
		return err
	}
	return r.Start(ctx, t, req)
}

// noteOnRequests records an event on every request of a case.
func (r *Room) noteOnRequests(ctx context.Context, c store.Case, key string, kind domain.EventKind, message string) error {
	ids, err := r.Store.CaseRequests(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := r.Store.Record(ctx, domain.Change{RequestID: id, DedupeKey: key, Kind: kind, Actor: domain.ActorSubject, Message: message}); err != nil {
			return err
		}
	}
	return nil
}

// Sweep finishes what a crash left undone and keeps the verification clock: it routes
// unrouted cases, propagates verifications, sends the one reminder, and closes cases
// whose verification expired (canceling their requests).
func (r *Room) Sweep(ctx context.Context) error {
	var errs []error
	unrouted, err := r.Store.UnroutedCases(ctx)
	errs = append(errs, err)
	for _, c := range unrouted {
		errs = append(errs, r.route(ctx, c))
	}
	waiting, err := r.Store.VerifiedCasesWaiting(ctx)
	errs = append(errs, err)
	for _, c := range waiting {
		errs = append(errs, r.propagate(ctx, c))
	}
	unanswered, err := r.Store.VerifiedCasesUnanswered(ctx)
	errs = append(errs, err)
	for _, c := range unanswered {
		errs = append(errs, r.propagate(ctx, c))
	}
	now := r.now()
	remind, err := r.Store.CasesToRemind(ctx, now.Add(-RemindAfter))
	errs = append(errs, err)
	for _, c := range remind {
		if !now.Before(c.ExpiresAt) {
			continue
		}
		errs = append(errs, r.remind(ctx, c))
	}
	expired, err := r.Store.ExpiredCases(ctx, now)
	errs = append(errs, err)
	for _, c := range expired {
		errs = append(errs, r.expire(ctx, c))
	}
	return errors.Join(errs...)
}

func (r *Room) remind(ctx context.Context, c store.Case) error {
	out, err := r.Store.Outbox(ctx, c.ID, "")
	if err != nil {
		return err
	}
	var sealed []byte
	for _, o := range out {
		if o.Kind == letters.KindVerify {
			sealed = o.SecretsSealed
		}
	}
	if sealed == nil {
		return fmt.Errorf("remind case %s: its verification mail is missing", c.Reference)
	}
	_, err = r.Store.RemindCase(ctx, c.ID, store.Outgoing{
		DedupeKey: "case:" + c.ID + ":reminder", CaseID: &c.ID, Kind: letters.KindReminder,
		Language: c.Language, Recipient: c.SubjectEmail, SecretsSealed: sealed,
	})
	return err
}

func (r *Room) expire(ctx context.Context, c store.Case) error {
	ids, err := r.Store.CaseRequests(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		req, err := r.Store.GetRequest(ctx, "", id)
		if err != nil {
			return err
		}
		if req.Status.Final() {
			continue
		}
		if err := r.Decide(ctx, id, workflows.UpdateCancel, domain.ActorSystem,
			fmt.Sprintf("identity not verified within %d days", int(VerifyFor/(24*time.Hour)))); err != nil {
			return fmt.Errorf("cancel request %s: %w", id, err)
		}
	}
	_, err = r.Store.CloseCase(ctx, c.ID, store.CaseExpired, []store.Outgoing{{
		DedupeKey: "case:" + c.ID + ":expired", CaseID: &c.ID, Kind: letters.KindExpired,
		Language: c.Language, Recipient: c.SubjectEmail,
	}})
	return err
}

// redact cuts the attachments out of the case's kept mail, keeping their digests.
func (r *Room) redact(ctx context.Context, c store.Case) error {
	m, err := r.Store.GetMail(ctx, c.MessageID)
	if err != nil || m.RedactedAt != nil || m.RawSealed == nil {
		return err
	}
	raw, err := r.Keys.Open(m.RawSealed, []byte(m.ID))
	if err != nil {
		return err
	}
	cut, digests, err := classify.Redact(raw, r.maxSize())
	if err != nil {
		return err
	}
	if digests == nil {
		digests = []classify.Digest{}
	}
	sealed, err := r.Keys.Seal(cut, []byte(m.ID))
	if err != nil {
		return err
	}
	return r.Store.RedactMail(ctx, m.ID, sealed, digests)
}

// vendorReply files a sub-processor's answer to dsr's mail about a request: it confirms
// the vendor's task, which the request's workflow sees at its next look.
func (r *Room) vendorReply(ctx context.Context, m store.Mail, ref, vendor string) (store.Mail, error) {
	req, err := r.Store.RequestByRef(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		m.Folder, m.Note = store.FolderTriage, unknownRefNote(vendor)
		return r.record(ctx, m, nil, nil)
	}
	if err != nil {
		return store.Mail{}, err
	}
	// The task and its event first, together, the mail last: a take cut short in between
	// is taken again in full, and the event's key keeps it once.
	if _, err := subprocessor.ConfirmByReply(ctx, r.Store, req.ID, vendor, m.MessageKey); err != nil {
		return store.Mail{}, err
	}
	m.Folder, m.Note = store.FolderProcessed, "reply from "+vendor+" about "+ref
	got, _, err := r.Store.TakeMail(ctx, m, nil, nil)
	return got, err
}
