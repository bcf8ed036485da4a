package activities

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"dsr/activities/contract"
	"dsr/internal/store"
)

// Minimise applies data minimisation to dsr's own record once the retention period
// (Retention) is over: the subjects of requests final before in.At less Retention, of
// their mail cases and of the mails sent to them are replaced by SubjectHash, and the
// mail kept is deleted (store.Minimise). It heartbeats after each batch; a retry goes on
// where the last attempt stopped, as minimised rows are not picked again.
func (a *Activities) Minimise(ctx context.Context, in contract.RetentionInput) (contract.RetentionResult, error) {
	if a.Retention <= 0 {
		return contract.RetentionResult{}, temporal.NewNonRetryableApplicationError("minimise: no retention period configured",
			contract.ErrTypeInvalidRequest, nil)
	}
	before := in.At.Add(-a.Retention)
	defer keepAlive(ctx)()
	m, err := a.Store.Minimise(ctx, store.MinimiseOptions{Before: before, Hash: Hasher(a.SecretKey),
		Progress: func(m store.Minimisation) { activity.RecordHeartbeat(ctx, m) }})
	res := contract.RetentionResult{FinalBefore: before, Requests: m.Requests, Cases: m.Cases, Outbox: m.Outbox, Mails: m.Mails}
	if err != nil {
		return res, err
	}
	activity.GetLogger(ctx).Info("retention run", "final_before", before, "requests", m.Requests, "mail_cases", m.Cases,
		"mail_outbox", m.Outbox, "mail_messages", m.Mails)
	return res, nil
}

// Hasher is SubjectHash under key, as the store hashes subjects with it.
func Hasher(key []byte) store.SubjectHasher {
	return func(tenantID, email string) string { return SubjectHash(key, tenantID, email) }
}
