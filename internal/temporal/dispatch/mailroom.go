package dispatch

import (
	"context"
	"log/slog"
	"net/mail"
	"strings"

	"github.com/jmoiron/sqlx"

	"dsr/connectors/chatstore"
	"dsr/internal/domain"
	"dsr/internal/mail/classify"
	"dsr/internal/mail/ingest"
	"dsr/internal/mail/smtp"
	"dsr/internal/platform/seal"
	"dsr/workflows"
)

// RoomConfig is what a mailroom needs beside the intake.
type RoomConfig struct {
	Keys *seal.Keys
	// Chat is the chat store the subjects are looked up in.
	Chat *sqlx.DB
	// MailboxURL is IMAP_URL; From the address dsr's mail comes from.
	MailboxURL, From string
	// PublicURL prefixes the links in subjects' mail.
	PublicURL string
	// Mailer sends; nil keeps mail queued.
	Mailer *smtp.Mailer
}

// Mailroom builds the mailroom that feeds this intake from the privacy mailbox: it makes
// requests for the tenants whose chat store holds the subject and starts and decides their
// workflows through the intake.
func (in *Intake) Mailroom(cfg RoomConfig) *ingest.Room {
	cls := &classify.Classifier{}
	if a, err := mail.ParseAddress(cfg.From); err == nil {
		cls.OwnAddresses = append(cls.OwnAddresses, strings.ToLower(a.Address))
		if at := strings.LastIndexByte(a.Address, '@'); at > 0 {
			cls.OwnDomains = append(cls.OwnDomains, strings.ToLower(a.Address[at+1:]))
		}
	}
	log := in.Log
	if log == nil {
		log = slog.Default()
	}
	return &ingest.Room{
		Store:      in.Store,
		Keys:       cfg.Keys,
		Classifier: cls,
		MailboxURL: cfg.MailboxURL,
		Holders: func(ctx context.Context, emails []string) (map[string][]string, error) {
			return chatstore.New(cfg.Chat).HoldersOf(ctx, emails)
		},
		Start: in.Start,
		Decide: func(ctx context.Context, requestID, update string, actor domain.Actor, reason string) error {
			_, err := Decide(ctx, in.Temporal, requestID, update, workflows.Decision{Actor: actor, Reason: reason})
			return err
		},
		Mailer:    cfg.Mailer,
		PublicURL: cfg.PublicURL,
		Log:       log.With(slog.String("component", "mailroom")),
	}
}
