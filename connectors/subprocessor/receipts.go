package subprocessor

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"dsr/connectors"
	"dsr/internal/domain"
)

// Receipts stores the outcome of each mutating action per connector, request id and action,
// so that the same request asked again is replayed rather than done twice. Implementations
// must be safe for concurrent use; they hold outcomes, which hold counts and ids, never
// personal data.
type Receipts interface {
	// Receipt returns the stored outcome; ok is false when there is none.
	Receipt(ctx context.Context, connector, requestID, action string) (out domain.Outcome, ok bool, err error)
	// SaveReceipt stores out, replacing any earlier one.
	SaveReceipt(ctx context.Context, connector, requestID, action string, out domain.Outcome) error
}

// MemoryReceipts keeps receipts in memory: enough for the retries of one process. A
// restarted worker forgets them; the connector then finds from the sub-processor's own
// state that there is nothing left to do, and async_job submissions are keyed by request id
// at the sub-processor, so nothing is done twice, but the replayed outcome is lost.
type MemoryReceipts struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewMemoryReceipts returns an empty store.
func NewMemoryReceipts() *MemoryReceipts { return &MemoryReceipts{m: map[string][]byte{}} }

func receiptKey(connector, requestID, action string) string {
	return connector + "\x00" + requestID + "\x00" + action
}

// Receipt implements Receipts.
func (r *MemoryReceipts) Receipt(_ context.Context, connector, requestID, action string) (domain.Outcome, bool, error) {
	r.mu.Lock()
	b, ok := r.m[receiptKey(connector, requestID, action)]
	r.mu.Unlock()
	if !ok {
		return domain.Outcome{}, false, nil
	}
	var out domain.Outcome
	if err := json.Unmarshal(b, &out); err != nil {
		return domain.Outcome{}, false, fmt.Errorf("decode receipt of request %s: %w", requestID, err)
	}
	return out, true, nil
}

// SaveReceipt implements Receipts. It stores a copy.
func (r *MemoryReceipts) SaveReceipt(_ context.Context, connector, requestID, action string, out domain.Outcome) error {
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode receipt of request %s: %w", requestID, err)
	}
	r.mu.Lock()
	r.m[receiptKey(connector, requestID, action)] = b
	r.mu.Unlock()
	return nil
}

// keyLocks serialises calls per key (request id and action) within the process, so that of
// two concurrent calls for one request one acts and the other replays.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{}
	refs int
}

// lock waits for the key, or until ctx is done, and returns its unlock.
func (l *keyLocks) lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*keyLock{}
	}
	k, ok := l.m[key]
	if !ok {
		k = &keyLock{ch: make(chan struct{}, 1)}
		l.m[key] = k
	}
	k.refs++
	l.mu.Unlock()

	release := func() {
		l.mu.Lock()
		k.refs--
		if k.refs == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
	select {
	case k.ch <- struct{}{}:
		return func() { <-k.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

// apply runs one mutating action for req: it waits for any other call with the same request
// id and action, replays a stored receipt when there is one, and otherwise runs fn on a new
// outcome and stores that as the receipt. A failed fn stores nothing, so the retry acts.
func (c *Connector) apply(ctx context.Context, req connectors.Request, action domain.RequestType, fn func(ctx context.Context, out *domain.Outcome) error) (domain.Outcome, error) {
	if strings.TrimSpace(req.ID) == "" {
		return domain.Outcome{}, fmt.Errorf("%s at %s: request id is empty: %w", action, c.cfg.Name, connectors.ErrInvalid)
	}
	if err := connectors.CheckSubject(req.Subject); err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s: %w", action, req.ID, err)
	}
	unlock, err := c.locks.lock(ctx, string(action)+"\x00"+req.ID)
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s: %w", action, req.ID, err)
	}
	defer unlock()

	stored, ok, err := c.cfg.Receipts.Receipt(ctx, c.cfg.Name, req.ID, string(action))
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s: %w", action, req.ID, err)
	}
	if ok {
		stored.Replayed = true
		return stored, nil
	}
	out := domain.Outcome{Connector: c.cfg.Name, Action: action, Rows: map[string]int64{}, AppliedAt: c.now()}
	if err := fn(ctx, &out); err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s: %w", action, req.ID, err)
	}
	if err := c.cfg.Receipts.SaveReceipt(ctx, c.cfg.Name, req.ID, string(action), out); err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s: %w", action, req.ID, err)
	}
	return out, nil
}
