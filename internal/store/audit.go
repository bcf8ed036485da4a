package store

import (
	"bytes"
	"context"
	"fmt"
)

// Break is the first place where the audit chains do not hold.
type Break struct {
	EventID   int64  `json:"event_id"`
	RequestID string `json:"request_id"`
	// Chain is "request" or "global".
	Chain  string `json:"chain"`
	Reason string `json:"reason"`
}

func (b *Break) Error() string {
	return fmt.Sprintf("event %d of request %s breaks the %s chain: %s", b.EventID, b.RequestID, b.Chain, b.Reason)
}

// AuditSummary is what a verification went through.
type AuditSummary struct {
	Events   int64 `json:"events"`
	Requests int   `json:"requests"`
	// Head is the hex of the last global hash: publish or store it elsewhere to detect a
	// removed tail later.
	Head string `json:"head"`
}

// VerifyAudit recomputes both hash chains over every event, in order, streaming. It
// returns a *Break for the first event whose stored hashes do not match what its
// predecessors and its content give.
func (s *Store) VerifyAudit(ctx context.Context) (AuditSummary, error) {
	var sum AuditSummary
	rows, err := s.db.QueryxContext(ctx, `SELECT id, request_id, at, kind, status, actor, message, detail, dedupe_key,
		chain_hash, global_hash FROM request_events ORDER BY id`)
	if err != nil {
		return sum, fmt.Errorf("verify audit chain: %w", err)
	}
	defer rows.Close()
	last := map[string][]byte{}
	var global []byte
	for rows.Next() {
		var e Event
		if err := rows.StructScan(&e); err != nil {
			return sum, fmt.Errorf("verify audit chain: read event: %w", err)
		}
		sum.Events++
		content := e.Canonical()
		if e.ChainHash == nil || e.GlobalHash == nil {
			return sum, &Break{EventID: e.ID, RequestID: e.RequestID, Chain: "request", Reason: "the event has no hash"}
		}
		if want := ChainHash(last[e.RequestID], content); !bytes.Equal(want, e.ChainHash) {
			return sum, &Break{EventID: e.ID, RequestID: e.RequestID, Chain: "request",
				Reason: "its content or its predecessor in the request was changed, removed or inserted"}
		}
		if want := ChainHash(global, content); !bytes.Equal(want, e.GlobalHash) {
			return sum, &Break{EventID: e.ID, RequestID: e.RequestID, Chain: "global",
				Reason: "an event before it (of any request) was changed, removed or inserted"}
		}
		last[e.RequestID] = e.ChainHash
		global = e.GlobalHash
	}
	if err := rows.Err(); err != nil {
		return sum, fmt.Errorf("verify audit chain: %w", err)
	}
	sum.Requests = len(last)
	sum.Head = fmt.Sprintf("%x", global)
	return sum, nil
}
