package server

import (
	"crypto/sha256"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// Throttle limits how often one client address may call the routes under Prefixes: at most
// Max calls per Window; more are answered 429 with Retry-After. The subject's pages are
// reached without an account, so their links are the only secrets: this bounds guessing.
// The count is per process (each replica counts its own), kept in memory by a hash of the
// address, never the address itself.
type Throttle struct {
	Prefixes []string
	Max      int
	Window   time.Duration
}

// DefaultThrottle: the verification and download links, 60 calls a minute per address.
var DefaultThrottle = Throttle{Prefixes: []string{"/verify/", "/download/"}, Max: 60, Window: time.Minute}

type window struct {
	start time.Time
	n     int
}

// limiter counts calls per key in fixed windows.
type limiter struct {
	mu   sync.Mutex
	max  int
	per  time.Duration
	seen map[[32]byte]*window
}

// allow counts a call for key at now and returns the calls in its window so far, and when
// the window ends.
func (l *limiter) allow(key string, now time.Time) (int, time.Time) {
	h := sha256.Sum256([]byte(key))
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) > 100_000 {
		// Forget the windows that ended; under a flood of addresses, all of them.
		for k, w := range l.seen {
			if now.Sub(w.start) >= l.per || len(l.seen) > 200_000 {
				delete(l.seen, k)
			}
		}
	}
	w := l.seen[h]
	if w == nil || now.Sub(w.start) >= l.per {
		w = &window{start: now}
		l.seen[h] = w
	}
	w.n++
	return w.n, w.start.Add(l.per)
}

// throttled is the middleware of t; denials are counted in the registry by route.
func (t Throttle) middleware(reg *prometheus.Registry, log *slog.Logger, fail func(c *gin.Context, status int, message string)) gin.HandlerFunc {
	denied := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dsr_http_throttled_total",
		Help: "Calls refused with 429 because their client address called a throttled route too often.",
	}, []string{"route"})
	reg.MustRegister(denied)
	l := &limiter{max: t.Max, per: t.Window, seen: map[[32]byte]*window{}}
	return func(c *gin.Context) {
		p := c.Request.URL.Path
		hit := false
		for _, prefix := range t.Prefixes {
			hit = hit || strings.HasPrefix(p, prefix)
		}
		if !hit {
			c.Next()
			return
		}
		now := time.Now()
		n, until := l.allow(c.ClientIP(), now)
		if n <= t.Max {
			c.Next()
			return
		}
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		denied.WithLabelValues(route).Inc()
		if n == t.Max+1 {
			// Once per address and window, as the limit is passed; never the address.
			log.Warn("throttled: too many calls from one address", slog.String("route", route))
		}
		c.Header("Retry-After", strconv.Itoa(int(until.Sub(now).Seconds())+1))
		fail(c, http.StatusTooManyRequests, "too many requests from this address; try again in a minute")
		c.Abort()
	}
}
