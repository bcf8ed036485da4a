package subprocessor

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/connectors"
)

type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

func TestBucket(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := newBucket(300, 10*time.Minute, 2, clk.now) // one token every 2 seconds

	for range 2 {
		wait, ok := b.reserve(0)
		require.True(t, ok)
		require.Zero(t, wait)
	}
	wait, ok := b.reserve(time.Second)
	require.False(t, ok, "longer than the limit: nothing taken")
	require.Equal(t, 2*time.Second, wait)
	wait, ok = b.reserve(30 * time.Second)
	require.True(t, ok)
	require.Equal(t, 2*time.Second, wait)
	wait, ok = b.reserve(30 * time.Second)
	require.True(t, ok)
	require.Equal(t, 4*time.Second, wait, "reserved tokens queue up")

	clk.t = clk.t.Add(time.Hour)
	wait, ok = b.reserve(0)
	require.True(t, ok, "refilled")
	require.Zero(t, wait)

	b.pause(time.Minute)
	wait, ok = b.reserve(30 * time.Second)
	require.False(t, ok)
	require.Equal(t, time.Minute, wait)

	err := b.take(context.Background(), 30*time.Second, "Helpdesk limit")
	var later *connectors.RetryAfterError
	require.True(t, errors.As(err, &later))
	require.Equal(t, time.Minute, later.After)
	require.Equal(t, "Helpdesk limit", later.Reason)
}

func TestBucketWaitsRespectingContext(t *testing.T) {
	t.Parallel()
	b := newBucket(1, time.Hour, 1, time.Now)
	require.NoError(t, b.take(context.Background(), time.Hour, "x"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := b.take(ctx, 2*time.Hour, "x")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), time.Second)

	fast := newBucket(50, time.Second, 1, time.Now) // one token every 20ms
	require.NoError(t, fast.take(context.Background(), time.Second, "x"))
	start = time.Now()
	require.NoError(t, fast.take(context.Background(), time.Second, "x"))
	require.GreaterOrEqual(t, time.Since(start), 10*time.Millisecond, "the second call waited for its token")
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{"0", 0, true},
		{"-5", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"Monday, 02-Mar-26 09:05:00 GMT", 5 * time.Minute, true}, // RFC 850
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	} {
		got, ok := retryAfter(tt.in, now)
		require.Equal(t, tt.ok, ok, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	c := &Connector{cfg: Config{PollInitial: time.Minute, PollMax: 6 * time.Hour}}
	var got []time.Duration
	for i := range 12 {
		got = append(got, c.backoff(i))
	}
	require.Equal(t, []time.Duration{
		time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute,
		64 * time.Minute, 128 * time.Minute, 256 * time.Minute, 6 * time.Hour, 6 * time.Hour, 6 * time.Hour,
	}, got)
	require.Equal(t, 6*time.Hour, c.backoff(1000), "no overflow")
}

// The signature follows the documented recipe; the vector was computed with openssl:
//
//	printf 'POST\n/v1/gdpr/deletions?x=1\n1767225600\n%s' "$(printf '{"a":1}' | sha256sum | cut -d' ' -f1)" |
//	  openssl dgst -sha256 -hmac key
func TestSignature(t *testing.T) {
	t.Parallel()
	got := signature("key", "POST", "/v1/gdpr/deletions?x=1", "1767225600", []byte(`{"a":1}`))
	require.Equal(t, signatureVector, got)
}

func TestErrorCode(t *testing.T) {
	t.Parallel()
	require.Equal(t, ", code rate_limited", errorCode([]byte(`{"error": {"code": "rate_limited", "message": "ada@example.com"}}`)))
	require.Equal(t, ", code bad_request", errorCode([]byte(`{"error": "bad_request"}`)))
	require.Empty(t, errorCode([]byte(`{"error": "ada@example.com is unknown"}`)))
	require.Empty(t, errorCode([]byte(`not json`)))
}

const signatureVector = "cde28cf77bb3118040ef0f68400f90fc0bf76b5be2cec85a86823787de8fb1b1"
