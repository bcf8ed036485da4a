package activities

import (
	"bytes"
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"dsr/activities/contract"
	"dsr/internal/deadline"
	"dsr/internal/documents/sla"
	"dsr/internal/mail/letters"
	"dsr/internal/mail/smtp"
)

// MailSLAReport mails the DPO the SLA report (PDF) of the period over every tenant. It
// does nothing when DSR_DPO_EMAIL or SMTP_URL is not set.
func (a *Activities) MailSLAReport(ctx context.Context, in contract.ReportInput) error {
	if a.Mailer == nil || a.DPOEmail == "" {
		return nil
	}
	from, err := deadline.ParseDate(in.From)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeInvalidRequest, err)
	}
	to, err := deadline.ParseDate(in.To)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeInvalidRequest, err)
	}
	rep, err := sla.SLA(ctx, a.Store, sla.Options{From: from, To: to})
	if err != nil {
		return fmt.Errorf("weekly SLA report: %w", err)
	}
	var pdf bytes.Buffer
	if err := rep.PDF(&pdf); err != nil {
		return fmt.Errorf("weekly SLA report: %w", err)
	}
	m, err := letters.Operator(letters.DPOSLAReport, map[string]any{"From": in.From, "To": in.To,
		"Received": rep.Total.Received, "Closed": rep.Total.Closed, "Breaches": len(rep.Breaches), "AtRisk": rep.AtRisk})
	if err != nil {
		return err
	}
	return a.Mailer.Send(ctx, smtp.Message{
		To: a.DPOEmail, Subject: m.Subject, Body: m.Body,
		ID:          "dsr-sla-" + in.From + "-" + in.To,
		Attachments: []smtp.Attachment{{Name: "sla-" + in.From + "-" + in.To + ".pdf", ContentType: "application/pdf", Data: pdf.Bytes()}},
	})
}
