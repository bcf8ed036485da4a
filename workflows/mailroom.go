package workflows

import (
	"time"

	"dsr/activities/contract"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// MailroomID is the id of the one workflow that polls the privacy mailbox.
const MailroomID = "dsr-mailroom"

// SignalPoke wakes the mailroom before its next poll is due (mail was queued).
const SignalPoke = "poke"

// Mailroom defaults.
const (
	DefaultMailEvery  = 30 * time.Second
	DefaultMailBatch  = 2000
	DefaultMailRounds = 200
	mailSendBatch     = 200
)

// MailroomInput configures the mailroom workflow.
type MailroomInput struct {
	// Every is the pause between polls when the mailbox is empty; DefaultMailEvery when zero.
	Every time.Duration `json:"every,omitempty"`
	// Batch is how many mails one poll takes at most; DefaultMailBatch when zero.
	Batch int `json:"batch,omitempty"`
	// Rounds is how many polls one run makes before it continues as a new run, keeping
	// its history small; DefaultMailRounds when zero.
	Rounds int `json:"rounds,omitempty"`
}

var (
	pollOptions = workflow.ActivityOptions{
		TaskQueue:           TaskQueue,
		StartToCloseTimeout: time.Hour,
		HeartbeatTimeout:    2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 5 * time.Second, MaximumInterval: time.Minute, MaximumAttempts: 3,
			NonRetryableErrorTypes: []string{contract.ErrTypeNoMailbox},
		},
	}
	roomOptions = workflow.ActivityOptions{
		TaskQueue:           TaskQueue,
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 5 * time.Second, MaximumInterval: time.Minute, MaximumAttempts: 3,
			NonRetryableErrorTypes: []string{contract.ErrTypeNoMailbox},
		},
	}
)

// Mailroom polls the privacy mailbox, keeps the verification clock of mailed requests and
// sends subjects their mail, round after round. A failing round (the mail server is down)
// is logged and the next one tries again; nothing is lost meanwhile, since mail stays in
// the mailbox and in the outgoing queue until it is handled.
func Mailroom(ctx workflow.Context, in MailroomInput) error {
	every, batch, rounds := in.Every, in.Batch, in.Rounds
	if every <= 0 {
		every = DefaultMailEvery
	}
	if batch <= 0 {
		batch = DefaultMailBatch
	}
	if rounds <= 0 {
		rounds = DefaultMailRounds
	}
	log := workflow.GetLogger(ctx)
	poke := workflow.GetSignalChannel(ctx, SignalPoke)
	pctx := workflow.WithActivityOptions(ctx, pollOptions)
	rctx := workflow.WithActivityOptions(ctx, roomOptions)
	for round := 0; round < rounds; round++ {
		polled, err := call(pctx, contract.PollMailbox, batch)
		if err != nil {
			log.Warn("mailbox poll failed", "error", err)
		}
		if _, err := call(rctx, contract.SweepCases, contract.None{}); err != nil {
			log.Warn("case sweep failed", "error", err)
		}
		sent, err := call(rctx, contract.SendMail, mailSendBatch)
		if err != nil {
			log.Warn("sending mail failed", "error", err)
		}
		if polled.More || sent == mailSendBatch {
			continue
		}
		wait, stop := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(workflow.NewTimer(wait, every), func(workflow.Future) {})
		sel.AddReceive(poke, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.Select(ctx)
		stop()
		for poke.ReceiveAsync(nil) {
		}
	}
	for poke.ReceiveAsync(nil) {
	}
	return workflow.NewContinueAsNewError(ctx, Mailroom, in)
}
