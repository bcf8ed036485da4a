package activities

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"dsr/activities/contract"
	"dsr/internal/mail/ingest"
)

func (a *Activities) room() (*ingest.Room, error) {
	if a.Mailroom == nil {
		return nil, temporal.NewNonRetryableApplicationError("this worker has no mailbox (IMAP_URL is not set)", contract.ErrTypeNoMailbox, nil)
	}
	return a.Mailroom, nil
}

// PollMailbox takes up to limit mails from the privacy mailbox and files them, reporting
// its progress as heartbeats.
func (a *Activities) PollMailbox(ctx context.Context, limit int) (contract.PollResult, error) {
	r, err := a.room()
	if err != nil {
		return contract.PollResult{}, err
	}
	defer keepAlive(ctx)()
	res, err := r.Poll(ctx, limit, func(p ingest.PollResult) { activity.RecordHeartbeat(ctx, p.Taken) })
	return contract.PollResult{Taken: res.Taken, Filed: res.Filed, ByFolder: res.ByFolder, More: res.More}, err
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
