package subprocessor

import (
	"context"
	"sync"
	"time"

	"dsr/connectors"
)

// bucket is a token bucket: burst tokens, refilled at rate per second. A caller reserves a
// token and then waits until it is due; the bucket can also be paused when the service says
// to come back later (429 with Retry-After), so that other calls do not run into the same
// wall.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
	until  time.Time // no token is due before until
	now    func() time.Time
}

func newBucket(rate int, per time.Duration, burst int, now func() time.Time) *bucket {
	return &bucket{rate: float64(rate) / per.Seconds(), burst: float64(burst), tokens: float64(burst), now: now}
}

func (b *bucket) refill(now time.Time) {
	if b.last.IsZero() {
		b.last = now
		return
	}
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
}

// reserve takes a token and returns how long the caller must wait before using it. When
// that wait is longer than limit it takes nothing and returns the wait with ok false.
func (b *bucket) reserve(limit time.Duration) (wait time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.refill(now)
	if b.tokens < 1 {
		wait = time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
	}
	if p := b.until.Sub(now); p > wait {
		wait = p
	}
	if wait > limit {
		return wait, false
	}
	b.tokens--
	return wait, true
}

// pause makes the next token due no earlier than d from now.
func (b *bucket) pause(d time.Duration) {
	if b == nil || d <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if until := b.now().Add(d); until.After(b.until) {
		b.until = until
	}
}

// take waits for a token for at most limit (and while ctx lives); a longer wait is a
// *connectors.RetryAfterError whose reason is what.
func (b *bucket) take(ctx context.Context, limit time.Duration, what string) error {
	if b == nil {
		return nil
	}
	wait, ok := b.reserve(limit)
	if !ok {
		return &connectors.RetryAfterError{After: ceilSecond(wait), Reason: what}
	}
	return sleep(ctx, wait)
}
