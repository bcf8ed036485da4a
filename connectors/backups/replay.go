package backups

import (
	"context"
	"fmt"
	"time"

	"dsr/connectors"
	"dsr/connectors/chatstore"
	"dsr/internal/domain"
	"dsr/internal/store"
)

// ReplayResult counts what a replay did with the tombstones it read.
type ReplayResult struct {
	// Tombstones is how many tombstones were recorded after the instant.
	Tombstones int `json:"tombstones"`
	// Reapplied counts the erasures and restrictions applied to the chat store again.
	Reapplied int `json:"reapplied"`
	// AlreadyApplied counts those the chat store has a receipt for (nothing was done).
	AlreadyApplied int `json:"already_applied"`
	// NotFound counts those whose subject the chat store does not hold (nothing to do).
	NotFound int `json:"not_found"`
}

// Replay applies again, to the chat store as it is now (after a restore), every
// erasure and restriction whose tombstone was recorded after since, in the order they were
// recorded. With regions, only tombstones of tenants in those regions are read (the chat
// store of a region holds only its tenants).
//
// Subjects are found by hashing the chat store's emails, streamed for the tenants of the
// tombstones. Each found subject goes through the chat-store connector under the
// tombstone's request id, with Override set (the request went ahead when it was first
// applied): a chat store that still has the request's receipt does nothing, so a second
// replay re-applies nothing. Each re-application is recorded as an event on its request
// (counts only) with the dedupe key "replay:" and the instant of the run.
func (c *Connector) Replay(ctx context.Context, target *chatstore.Connector, since time.Time, regions []domain.Region) (ReplayResult, error) {
	run := time.Now().UTC()
	tombs, err := c.st.TombstonesSince(ctx, since, regions)
	if err != nil {
		return ReplayResult{}, fmt.Errorf("replay tombstones: %w", err)
	}
	res := ReplayResult{Tombstones: len(tombs)}
	if len(tombs) == 0 {
		return res, nil
	}
	emails, err := c.match(ctx, target, tombs)
	if err != nil {
		return res, err
	}
	for _, ts := range tombs {
		email, ok := emails[subjectKey(ts.TenantID, ts.SubjectHash)]
		if !ok {
			res.NotFound++
			continue
		}
		subj := connectors.Subject{TenantID: ts.TenantID, Email: email}
		// An earlier tombstone of this replay may have erased the subject since the scan.
		m, err := target.Find(ctx, subj)
		if err != nil {
			return res, fmt.Errorf("replay tombstone %d of request %s: %w", ts.ID, ts.RequestID, err)
		}
		if !m.Found {
			res.NotFound++
			continue
		}
		req := connectors.Request{ID: ts.RequestID, Type: ts.Action, Subject: subj, ErasureScope: ts.ErasureScope, Override: true}
		var out domain.Outcome
		switch ts.Action {
		case domain.Erasure:
			out, err = target.Erase(ctx, req)
		case domain.Restriction:
			out, err = target.Restrict(ctx, req)
		default:
			err = fmt.Errorf("unknown action %q", ts.Action)
		}
		if err != nil {
			return res, fmt.Errorf("replay tombstone %d of request %s: %w", ts.ID, ts.RequestID, err)
		}
		if out.Replayed {
			res.AlreadyApplied++
			continue
		}
		res.Reapplied++
		if ts.RequestKnown {
			if err := c.recordReplay(ctx, run, since, ts, out); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// match streams the candidate emails of the tombstones' tenants and returns, for each
// tombstone subject the chat store holds, one of its emails (the chat-store connector finds
// every row of the subject from it). Only the tombstones' keys and the matched emails are
// held in memory.
func (c *Connector) match(ctx context.Context, target *chatstore.Connector, tombs []store.Tombstone) (map[string]string, error) {
	wanted := make(map[string]bool, len(tombs))
	seen := map[string]bool{}
	tenants := []string{}
	for _, ts := range tombs {
		wanted[subjectKey(ts.TenantID, ts.SubjectHash)] = true
		if !seen[ts.TenantID] {
			seen[ts.TenantID] = true
			tenants = append(tenants, ts.TenantID)
		}
	}
	h := newHasher(c.key)
	found := map[string]string{}
	err := target.EachEmail(ctx, tenants, func(account, email string) {
		k := subjectKey(account, h.sum(account, email))
		if _, dup := found[k]; wanted[k] && !dup {
			found[k] = email
		}
	})
	if err != nil {
		return nil, fmt.Errorf("replay tombstones: %w", err)
	}
	return found, nil
}

func subjectKey(tenantID string, hash []byte) string { return tenantID + "\x00" + string(hash) }

// recordReplay records on the request that its action was applied again after a restore.
func (c *Connector) recordReplay(ctx context.Context, run, since time.Time, ts store.Tombstone, out domain.Outcome) error {
	var rows int64
	for _, n := range out.Rows {
		rows += n
	}
	_, err := c.st.Record(ctx, domain.Change{
		RequestID: ts.RequestID,
		DedupeKey: "replay:" + run.Format(time.RFC3339Nano),
		Kind:      domain.EventBackupReplayed,
		Actor:     domain.ActorSystem,
		Message: fmt.Sprintf("%s applied again to the chat store after a restore from backup (tombstone %d): %d rows",
			ts.Action, ts.ID, rows),
		Detail: map[string]any{
			"tombstone_id": ts.ID,
			"recorded_at":  ts.RecordedAt,
			"since":        since.UTC(),
			"outcome":      out,
		},
	})
	if err != nil {
		return fmt.Errorf("replay tombstone %d: record the event on request %s: %w", ts.ID, ts.RequestID, err)
	}
	return nil
}
