// Package server assembles dsr's HTTP surface: the probes (/healthz, /readyz), Prometheus
// metrics (/metrics) and the customer admin API, with recovery and request logging that
// never records personal data (method, route pattern, status and duration only).
package server

import (
	"context"
	"log/slog"
	"net/http"
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
}

// New returns the HTTP handler.
func New(o Options) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
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
