package activities

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"dsr/internal/mail/ingest"
)

// ErrTypeNoMailbox is the error type of a mailroom activity on a worker without a mailbox.
const ErrTypeNoMailbox = "NoMailbox"

func (a *Activities) room() (*ingest.Room, error) {
	if a.Mailroom == nil {
		return nil, temporal.NewNonRetryableApplicationError("this worker has no mailbox (IMAP_URL is not set)", ErrTypeNoMailbox, nil)
	}
	return a.Mailroom, nil
}

// PollMailbox takes up to limit mails from the privacy mailbox and files them, reporting
// its progress as heartbeats.
func (a *Activities) PollMailbox(ctx context.Context, limit int) (ingest.PollResult, error) {
	r, err := a.room()
	if err != nil {
		return ingest.PollResult{}, err
	}
	defer keepAlive(ctx)()
	return r.Poll(ctx, limit, func(p ingest.PollResult) { activity.RecordHeartbeat(ctx, p.Taken) })
}

// SweepCases finishes what a crash left undone and keeps the verification clock
// (reminders, expiry).
func (a *Activities) SweepCases(ctx context.Context) error {
	r, err := a.room()
	if err != nil {
		return err
	}
	defer keepAlive(ctx)()
	return r.Sweep(ctx)
}

// SendMail sends up to limit queued mails to subjects and returns how many went out.
func (a *Activities) SendMail(ctx context.Context, limit int) (int, error) {
	r, err := a.room()
	if err != nil {
		return 0, err
	}
	defer keepAlive(ctx)()
	return r.Send(ctx, limit)
}
