// Package server assembles dsr's HTTP surface: the probes (/healthz, /readyz), Prometheus
// metrics (/metrics) and the customer admin API, with recovery and request logging that
// never records personal data (method, route pattern, status and duration only).
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"dsr/http/api"
)

// Check is one readiness condition; nil means ready.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Options build the handler.
type Options struct {
	API    *api.API
	Ready  []Check
	Log    *slog.Logger
	Metric *prometheus.Registry

	// Dashboard, when set, adds the DPO dashboard's routes (package dashboard).
	Dashboard interface{ Register(gin.IRouter) }
	// Subject, when set, adds the pages data subjects reach from their mail (package subject).
	Subject interface{ Register(gin.IRouter) }
	// OpenDSR, when set, adds the OpenDSR processor API (package opendsr).
	OpenDSR interface{ Register(gin.IRouter) }
	// MaxBody bounds every request's body; DefaultMaxBody when zero. Routes bound their
	// bodies further (the API's JSON at 64 KiB).
	MaxBody int64
	// TrustedProxies are the networks of the reverse proxies in front of dsr
	// (DSR_TRUSTED_PROXIES): a request from one of them is taken to come from the address
	// its X-Forwarded-For names; from anywhere else, from its own. None by default.
	TrustedProxies []netip.Prefix
	// Throttle limits calls per client address to the subject's pages; DefaultThrottle
	// when its Max is zero.
	Throttle Throttle
}

// DefaultMaxBody is the largest body any route reads: 1 MiB. Nothing dsr serves takes
// more; forms and JSON bodies are a few KiB.
const DefaultMaxBody = 1 << 20

// New returns the HTTP handler.
func New(o Options) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// The client's address, for limits: the peer's, unless the peer is a trusted proxy.
	r.ForwardedByClientIP = true
	r.RemoteIPHeaders = []string{"X-Forwarded-For"}
	proxies := make([]string, 0, len(o.TrustedProxies))
	for _, p := range o.TrustedProxies {
		proxies = append(proxies, p.String())
	}
	if err := r.SetTrustedProxies(proxies); err != nil {
		// Prefixes parsed already always set.
		panic(err)
	}
	if o.Metric == nil {
		o.Metric = prometheus.NewRegistry()
	}
	requests := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dsr_http_request_duration_seconds",
		Help:    "HTTP requests by route and status.",
		Buckets: prometheus.DefBuckets,
	}, []string{"method", "route", "status"})
	o.Metric.MustRegister(requests, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	r.Use(func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(status)).Observe(time.Since(start).Seconds())
		if route != "/healthz" && route != "/readyz" && route != "/metrics" {
			o.Log.Info("http", slog.String("method", c.Request.Method), slog.String("route", route),
				slog.Int("status", status), slog.Duration("duration", time.Since(start)))
		}
	})
	r.Use(gin.CustomRecovery(func(c *gin.Context, err any) {
		o.Log.Error("handler panicked", slog.String("route", c.FullPath()), slog.Any("panic", err))
		api.Fail(c, o.Log, http.StatusInternalServerError, api.CodeInternal, "internal error", nil)
	}))

	r.Use(limitBodies(o.MaxBody, o.Log))
	if o.Throttle.Max == 0 {
		o.Throttle = DefaultThrottle
	}
	r.Use(o.Throttle.middleware(o.Metric, o.Log, func(c *gin.Context, status int, message string) {
		c.String(status, message)
	}))

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c, 5*time.Second)
		defer cancel()
		checks := gin.H{}
		ready := true
		for _, chk := range o.Ready {
			if err := chk.Fn(ctx); err != nil {
				checks[chk.Name] = err.Error()
				ready = false
			} else {
				checks[chk.Name] = "ok"
			}
		}
		status := http.StatusOK
		if !ready {
			status = http.StatusServiceUnavailable
		}
		c.JSON(status, gin.H{"ready": ready, "checks": checks})
	})
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(o.Metric, promhttp.HandlerOpts{})))
	if o.API != nil {
		o.API.Register(r)
	}
	if o.Dashboard != nil {
		o.Dashboard.Register(r)
	}
	if o.Subject != nil {
		o.Subject.Register(r)
	}
	if o.OpenDSR != nil {
		o.OpenDSR.Register(r)
	}
	r.NoRoute(func(c *gin.Context) {
		api.Fail(c, o.Log, http.StatusNotFound, api.CodeNotFound, "no such endpoint: "+c.Request.Method+" "+c.Request.URL.Path, nil)
	})
	r.NoMethod(func(c *gin.Context) {
		api.Fail(c, o.Log, http.StatusMethodNotAllowed, api.CodeMethodNotAllowed, c.Request.Method+" is not allowed on "+c.Request.URL.Path, nil)
	})
	return r
}

// limitBodies bounds every request's body to max before any handler parses it: a body
// announced larger is refused at once with 413, unread; any body is read through
// http.MaxBytesReader; and a form (urlencoded or multipart, as the dashboard's) is parsed
// here, within the bound, so that one sent in chunks past it is 413 too rather than a
// half-read form.
func limitBodies(max int64, log *slog.Logger) gin.HandlerFunc {
	if max <= 0 {
		max = DefaultMaxBody
	}
	tooLarge := fmt.Sprintf("the body is larger than %d KiB", max>>10)
	return func(c *gin.Context) {
		if c.Request.ContentLength > max {
			c.Header("Connection", "close")
			api.Fail(c, log, http.StatusRequestEntityTooLarge, api.CodeTooLarge, tooLarge, nil)
			c.Abort()
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		if c.Request.Method != http.MethodPost {
			c.Next()
			return
		}
		var err error
		switch ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); ct {
		case "multipart/form-data":
			// Parts beyond memory would go to temporary files: with the body bounded,
			// max of memory holds them all.
			err = c.Request.ParseMultipartForm(max)
		case "application/x-www-form-urlencoded":
			err = c.Request.ParseForm()
		}
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			api.Fail(c, log, http.StatusRequestEntityTooLarge, api.CodeTooLarge, tooLarge, nil)
			c.Abort()
			return
		case err != nil:
			api.Fail(c, log, http.StatusBadRequest, api.CodeBadRequest, "the form could not be read", nil)
			c.Abort()
			return
		}
		c.Next()
	}
}
