// Package mailroom turns the privacy mailbox into requests and answers their senders. It
// takes each mail once (per Message-ID), keeps it sealed as evidence, files it in the
// mailbox (dsr/processed, dsr/triage or dsr/quarantine; nothing is deleted), opens a case
// for a data-subject request, verifies the sender's identity (a code and a link), routes
// the case to one request per controller that holds the subject's data, and sends the mail
// that tells the subject what happens, from a queue that retries until it is delivered.
//
// Every step is idempotent, so a poll cut short by a dropped connection or a killed
// process is simply run again.
package ingest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"dsr/internal/domain"
	"dsr/internal/mail/classify"
	"dsr/internal/mail/smtp"
	"dsr/internal/platform/seal"
	"dsr/internal/store"
)

// Folders are where mail is filed, under FolderPrefix in the mailbox.
const FolderPrefix = "dsr/"

// Defaults.
const (
	// DefaultMaxSize is the largest mail read; a larger one is quarantined unread.
	DefaultMaxSize = 25 << 20
	// VerifyFor is how long a verification code and link stay valid.
	VerifyFor = 7 * 24 * time.Hour
	// RemindAfter is when the one reminder goes to a subject who has not verified.
	RemindAfter = 3 * 24 * time.Hour
	// MaxAttempts is how many wrong codes a case takes before codes stop counting; the
	// link, a 256-bit secret, still works.
	MaxAttempts = 5
	// PackageLinkFor is how long a package download link stays valid.
	PackageLinkFor = 14 * 24 * time.Hour
	// DefaultCountry and DefaultTZ date the acknowledgement of a mail that no controller
	// has yet: the vendor's own calendar.
	DefaultCountry = "IE"
	DefaultTZ      = "Europe/Dublin"
)

// Errors of verification.
var (
	ErrUnknownToken = errors.New("this verification link is not known")
	ErrExpired      = errors.New("this verification link has expired")
	ErrClosed       = errors.New("this request is closed")
)

// Room is the mailroom: what it needs to take mail in and send mail out.
type Room struct {
	Store *store.Store
	Keys  *seal.Keys
	// Classifier knows the mailbox's own addresses.
	Classifier *classify.Classifier
	// MailboxURL is IMAP_URL.
	MailboxURL string
	// Holders maps each email to the tenants whose chat store holds it.
	Holders func(ctx context.Context, emails []string) (map[string][]string, error)
	// Start starts the workflow of a recorded request (idempotent).
	Start func(ctx context.Context, t store.Tenant, r store.Request) error
	// Decide sends an update (workflows.UpdateVerify, UpdateCancel) with who decided and why to a
	// request's workflow.
	Decide func(ctx context.Context, requestID, update string, actor domain.Actor, reason string) error
	// Vendors maps the privacy contacts of sub-processors reached by mail (lower case) to
	// their names: a reply from one, naming a request, confirms that vendor's task.
	Vendors map[string]string
	// Mailer sends mail; nil keeps it queued.
	Mailer *smtp.Mailer
	// PublicURL is where subjects reach dsr (links in mail), without a trailing slash.
	PublicURL string
	// MaxSize is the largest mail read; DefaultMaxSize when zero.
	MaxSize int64
	// Country and TZ date acknowledgements; DefaultCountry and DefaultTZ when empty.
	Country, TZ string
	// DuplicateWindow is how far back a request mail joins its sender's open case for the
	// same rights instead of opening another; zero turns joining off.
	DuplicateWindow time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	Log *slog.Logger

	// toStart are the workflow starts waiting for the poll to end; starting counts those
	// in flight, startSlots bounds them.
	startMu    sync.Mutex
	toStart    []queuedStart
	starting   sync.WaitGroup
	startOnce  sync.Once
	startSlots chan struct{}
}

func (r *Room) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Room) maxSize() int64 {
	if r.MaxSize > 0 {
		return r.MaxSize
	}
	return DefaultMaxSize
}

func (r *Room) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}
