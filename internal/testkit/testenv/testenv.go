// Package testenv runs a complete dsr in a test, wired by package app as `dsr serve` is: the
// embedded Temporal server (its own SQLite file and free ports), the workers with the real
// activities and connectors, the HTTP surface on a test server, and both databases as
// private PostgreSQL schemas. Nothing is mocked.
package testenv

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"dsr/connectors"
	"dsr/internal/app"
	"dsr/internal/domain"
	"dsr/internal/mail/ingest"
	"dsr/internal/platform/seal"
	"dsr/internal/store"
	"dsr/internal/temporal/dispatch"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

// Env is one running dsr.
type Env struct {
	// App is the application, wired as `dsr serve` wires it.
	App        *app.App
	Store      *store.Store
	Orch, Chat *pgtest.Schema
	Temporal   client.Client
	Dispatch   *dispatch.Client
	// Server serves the HTTP API (and the dashboard, and the subjects' pages with a
	// mailbox).
	Server     *httptest.Server
	PackageDir string
	// Room is the mailroom, when Options.IMAPURL is set; Keys its keys.
	Room *ingest.Room
	Keys *seal.Keys
}

// Options tune the environment.
type Options struct {
	// RecheckEvery is how often blocked requests look again (default one second).
	RecheckEvery time.Duration
	// SMTPURL, when set, is where mail goes; DPOEmail receives the clock alarms.
	SMTPURL  string
	DPOEmail string
	// Connectors, when set, adds connectors (sub-processors) after the chat store and
	// backups.
	Connectors func(*store.Store) []connectors.Connector
	// IMAPURL, when set, is the privacy mailbox: Env.Room takes it in (the tests call its
	// Poll, Sweep and Send, or start the mailroom workflow themselves).
	IMAPURL string
	// OpenDSRKey, OpenDSRCert and OpenDSRDomain configure the OpenDSR signing identity
	// (PEM); without them the install generates an ephemeral one.
	OpenDSRKey, OpenDSRCert []byte
	OpenDSRDomain           string
	// Webhooks, when set, changes the webhook configuration (by default receivers on
	// loopback are allowed, 127.0.0.0/8 and ::1/128).
	Webhooks func(*app.WebhookConfig)
	// DuplicatesOff turns the API's refusal of duplicates off (DSR_DUPLICATES=off).
	DuplicatesOff bool
	// TemporalAddress, when set, is an external Temporal cluster used instead of the
	// embedded server (TEMPORAL_ADDRESS), reached with TemporalTLS; its namespace is set up
	// at start as dsr serve does it.
	TemporalAddress string
	TemporalTLS     app.TemporalTLS
}

// SecretKey is the environment's DSR_SECRET_KEY.
var SecretKey = []byte("0123456789abcdef0123456789abcdef")

// New starts everything and stops it when the test ends.
func New(t *testing.T, o Options) *Env {
	t.Helper()
	if o.RecheckEvery == 0 {
		o.RecheckEvery = time.Second
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dir := t.TempDir()
	orch := pgtest.New(t, schema.Orchestrator)
	chat := pgtest.New(t, schema.ChatStore)

	// The server's address is known before the application is built: the mailroom puts it
	// in the links of its mail.
	var handler atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*handler.Load()).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)

	cfg := app.Defaults()
	cfg.TemporalPort = 0
	cfg.DataDir = dir
	cfg.ObjectStoreURL = "file://" + filepath.ToSlash(filepath.Join(dir, "objects"))
	cfg.PublicURL = srv.URL
	cfg.SecretKey = SecretKey
	cfg.BlockerRecheck = o.RecheckEvery
	cfg.Duplicates = !o.DuplicatesOff
	cfg.SMTPURL, cfg.DPOEmail, cfg.MailFrom, cfg.IMAPURL = o.SMTPURL, o.DPOEmail, "privacy@dsr.example", o.IMAPURL
	cfg.OpenDSRKey, cfg.OpenDSRCert, cfg.OpenDSRDomain = o.OpenDSRKey, o.OpenDSRCert, o.OpenDSRDomain
	cfg.OpenDSRLoopbackCallbacks = true
	cfg.Webhooks.AllowNets = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	if o.Webhooks != nil {
		o.Webhooks(&cfg.Webhooks)
	}
	if o.TemporalAddress != "" {
		cfg.TemporalAddress, cfg.TemporalTLS = o.TemporalAddress, o.TemporalTLS
		cfg.Regions = domain.Regions
	}
	cfg.SubprocessorsFile = filepath.Join(dir, "subprocessors.json")
	require.NoError(t, os.WriteFile(cfg.SubprocessorsFile, []byte("[]"), 0o600), "no sub-processor but those the test adds")
	opts := []app.Option{app.WithLogger(log), app.WithDatabases(orch.DB, chat.DB), app.WithEngineLogLevel("error")}
	if o.Connectors != nil {
		opts = append(opts, app.WithConnectors(o.Connectors))
	}
	a, err := app.New(ctx, cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(a.Close)
	require.NoError(t, a.Start())
	handler.Store(&a.Handler)
	return &Env{App: a, Store: a.Store, Orch: orch, Chat: chat, Temporal: a.Temporal, Dispatch: a.Dispatch,
		Server: srv, PackageDir: filepath.Join(dir, "packages"), Room: a.Room, Keys: a.Keys}
}

// Tenant creates a tenant (and its chat-store account) and returns it with an API key.
func (e *Env) Tenant(t *testing.T, name string) (store.Tenant, string) {
	t.Helper()
	ctx := context.Background()
	tn, err := e.Store.CreateTenant(ctx, store.Tenant{Name: name, Region: domain.RegionEU, Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)
	require.NoError(t, e.App.ChatStore.EnsureAccount(ctx, tn.ID, name))
	key, err := e.Store.CreateAPIKey(ctx, tn.ID)
	require.NoError(t, err)
	return tn, key
}

// WaitStatus polls the record until the request reaches one of the statuses.
func (e *Env) WaitStatus(t *testing.T, requestID string, statuses ...domain.Status) store.Request {
	t.Helper()
	var last store.Request
	var lastErr error
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r, err := e.Store.GetRequest(context.Background(), "", requestID)
		lastErr = err
		if err == nil {
			last = r
			for _, s := range statuses {
				if r.Status == s {
					return r
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	events, _ := e.Store.Events(context.Background(), requestID)
	var kinds []string
	for _, ev := range events {
		kinds = append(kinds, string(ev.Kind)+":"+ev.Message)
	}
	t.Fatalf("request %s never reached %v: last status %q, error %v, events %q", requestID, statuses, last.Status, lastErr, kinds)
	return last
}
