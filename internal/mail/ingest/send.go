package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"dsr/internal/domain"
	"dsr/internal/mail/letters"
	"dsr/internal/mail/smtp"
	"dsr/internal/store"
)

// sendLease is how long a claimed mail is left to one sender.
const sendLease = 2 * time.Minute

// Send sends up to limit queued mails that are due and returns how many went out. A mail
// that cannot be sent is tried again later, with backoff up to an hour, for as long as it
// takes: none is dropped. Without a mailer nothing is sent and the queue keeps the mail.
// Only a failure to read or write the queue is an error.
func (r *Room) Send(ctx context.Context, limit int) (int, error) {
	if r.Mailer == nil {
		return 0, nil
	}
	out, err := r.Store.ClaimMail(ctx, r.now(), sendLease, limit)
	if err != nil {
		return 0, err
	}
	sent := 0
	var errs []error
	held := map[string]bool{} // cases and requests with a mail that failed: the later ones wait
	for _, o := range out {
		keys := threadKeys(o)
		if slices.ContainsFunc(keys, func(k string) bool { return held[k] }) {
			continue // leased: it comes back after the lease, behind the one that failed
		}
		if err := r.sendOne(ctx, o); err != nil {
			next := r.now().Add(backoff(o.Attempts))
			r.log().Warn("mail not sent", "mail", o.ID, "kind", o.Kind, "attempt", o.Attempts+1, "retry_at", next, "error", scrub(err.Error()))
			errs = append(errs, r.Store.MailFailed(ctx, o.ID, scrub(err.Error()), next))
			for _, k := range keys {
				held[k] = true
			}
			continue
		}
		sent++
	}
	return sent, errors.Join(errs...)
}

// threadKeys are the case and the request a mail is about: mails about one go in order.
func threadKeys(o store.Outgoing) []string {
	var keys []string
	if o.CaseID != nil {
		keys = append(keys, "case:"+*o.CaseID)
	}
	if o.RequestID != nil {
		keys = append(keys, "request:"+*o.RequestID)
	}
	return keys
}

func backoff(attempts int) time.Duration {
	d := 30 * time.Second << min(attempts, 7)
	return min(d, time.Hour)
}

var addressRe = regexp.MustCompile(`[^\s<>"']+@[^\s<>"']+`)

// scrub removes addresses from an error before it is logged or stored.
func scrub(s string) string {
	s = addressRe.ReplaceAllString(s, "<address>")
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

func (r *Room) sendOne(ctx context.Context, o store.Outgoing) error {
	mail, ref, requests, err := r.render(ctx, o)
	if err != nil {
		return err
	}
	id := letters.MessageID(ref, strings.ReplaceAll(o.ID, "-", ""))
	if err := r.Mailer.Send(ctx, smtp.Message{To: o.Recipient, Subject: mail.Subject, Body: mail.Body, ID: id}); err != nil {
		return err
	}
	if err := r.Store.MailSent(ctx, o.ID, id); err != nil {
		return err
	}
	for _, rid := range requests {
		_, err := r.Store.Record(ctx, domain.Change{RequestID: rid, DedupeKey: "mail:" + o.ID, Kind: domain.EventMailSent, Actor: domain.ActorSystem,
			Message: fmt.Sprintf("%s mail sent to the subject (%s)", strings.ReplaceAll(o.Kind, "_", " "), mail.Language),
			Detail:  map[string]string{"kind": o.Kind, "language": mail.Language, "outbox_id": o.ID}})
		if err != nil {
			return err
		}
	}
	return nil
}

// render fills a queued mail's template from the record as it is now; it returns the mail,
// the reference it carries and the requests it is about.
func (r *Room) render(ctx context.Context, o store.Outgoing) (letters.Mail, string, []string, error) {
	var d letters.Data
	if len(o.Data) > 0 {
		if err := json.Unmarshal(o.Data, &d); err != nil {
			return letters.Mail{}, "", nil, fmt.Errorf("decode mail data: %w", err)
		}
	}
	var requests []string
	switch {
	case o.RequestID != nil:
		req, err := r.Store.GetRequest(ctx, "", *o.RequestID)
		if err != nil {
			return letters.Mail{}, "", nil, err
		}
		t, err := r.Store.GetTenant(ctx, req.TenantID)
		if err != nil {
			return letters.Mail{}, "", nil, err
		}
		requests = []string{req.ID}
		d.Reference = req.Ref()
		d.Types = []domain.RequestType{req.Type}
		d.ReceivedAt = req.ReceivedAt
		d.Controllers = []string{t.Name}
		setDates(&d, req)
		switch o.Kind {
		case letters.KindCompleted:
			if err := r.packageLink(&d, req); err != nil {
				return letters.Mail{}, "", nil, err
			}
			d.LastBackupExpires = retainedUntil(req)
		case letters.KindDenied:
			d.Reason = reasonOf(req)
		case letters.KindExtended:
			if req.ExtensionReason != nil {
				d.Reason = *req.ExtensionReason
			}
		}
	case o.CaseID != nil:
		c, err := r.Store.GetCase(ctx, *o.CaseID)
		if err != nil {
			return letters.Mail{}, "", nil, err
		}
		if requests, err = r.Store.CaseRequests(ctx, c.ID); err != nil {
			return letters.Mail{}, "", nil, err
		}
		d.Reference, d.Types = c.Reference, c.Types
		if d.ReceivedAt.IsZero() {
			d.ReceivedAt = c.ReceivedAt
		}
		switch o.Kind {
		case letters.KindVerify, letters.KindReminder:
			s, err := r.openSecrets(c.ID, o.SecretsSealed)
			if err != nil {
				return letters.Mail{}, "", nil, err
			}
			d.Code = s.Code
			d.VerifyURL = r.PublicURL + "/verify/" + url.PathEscape(s.Token)
			d.ExpiresAt = c.ExpiresAt
		case letters.KindVerified:
			for _, id := range requests {
				req, err := r.Store.GetRequest(ctx, "", id)
				if err != nil {
					return letters.Mail{}, "", nil, err
				}
				if t, err := r.Store.GetTenant(ctx, req.TenantID); err == nil && !contains(d.Controllers, t.Name) {
					d.Controllers = append(d.Controllers, t.Name)
				}
				setDates(&d, req)
			}
		case letters.KindNoData:
			d.SearchedEmail = c.SubjectEmail
		}
	default:
		return letters.Mail{}, "", nil, errors.New("queued mail belongs to no case and no request")
	}
	m, err := letters.Render(o.Kind, o.Language, d)
	if err != nil {
		return letters.Mail{}, "", nil, err
	}
	return m, d.Reference, requests, nil
}

// setDates keeps the earliest target and the latest legal date seen.
func setDates(d *letters.Data, req store.Request) {
	if req.TargetDue != nil && (d.TargetDue.IsZero() || req.TargetDue.Before(d.TargetDue)) {
		d.TargetDue = *req.TargetDue
	}
	if req.LegalDue != nil && req.LegalDue.After(d.LegalDue) {
		d.LegalDue = *req.LegalDue
	}
	if req.ExtendedAt != nil && req.ExtendedDue != nil {
		d.ExtendedDue = *req.ExtendedDue
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func reasonOf(req store.Request) string {
	if req.StatusReason != nil && *req.StatusReason != "" {
		return *req.StatusReason
	}
	var res struct {
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(req.Result, &res)
	return res.Reason
}

// packageLink puts a signed, expiring download link in a completion mail when the request
// has a package.
func (r *Room) packageLink(d *letters.Data, req store.Request) error {
	var res struct {
		Package *json.RawMessage `json:"package"`
	}
	if len(req.Result) > 0 {
		if err := json.Unmarshal(req.Result, &res); err != nil {
			return fmt.Errorf("read result of request %s: %w", req.ID, err)
		}
	}
	if res.Package == nil {
		return nil
	}
	expires := r.now().Add(PackageLinkFor).Truncate(time.Second)
	d.PackageURL = r.PackageURL(req.ID, expires)
	d.PackageExpires = expires
	return nil
}

// PackageURL is the signed link to a request's package, valid until expires.
func (r *Room) PackageURL(requestID string, expires time.Time) string {
	sig := r.Keys.Sign(PackagePurpose, requestID, expires)
	return fmt.Sprintf("%s/download/%s?expires=%s&sig=%s", r.PublicURL, url.PathEscape(requestID),
		strconv.FormatInt(expires.Unix(), 10), url.QueryEscape(sig))
}

// PackagePurpose is what package links are signed for.
const PackagePurpose = "package"

// retainedUntil is the latest date until which backups keep copies of the subject's data,
// from the connectors' outcomes in the request's result; zero when none said.
func retainedUntil(req store.Request) time.Time {
	var res struct {
		Connectors []struct {
			RetainedUntil *time.Time `json:"retained_until"`
		} `json:"connectors"`
	}
	var last time.Time
	if len(req.Result) == 0 || json.Unmarshal(req.Result, &res) != nil {
		return last
	}
	for _, c := range res.Connectors {
		if c.RetainedUntil != nil && c.RetainedUntil.After(last) {
			last = *c.RetainedUntil
		}
	}
	return last
}
