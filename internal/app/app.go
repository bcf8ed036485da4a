package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"

	"dsr/activities"
	"dsr/connectors"
	"dsr/connectors/backups"
	"dsr/connectors/chatstore"
	"dsr/http/opendsr"
	"dsr/internal/auth"
	"dsr/internal/demo"
	"dsr/internal/domain"
	"dsr/internal/mail/ingest"
	"dsr/internal/mail/smtp"
	"dsr/internal/platform/objectstore"
	"dsr/internal/platform/postgres"
	"dsr/internal/platform/seal"
	"dsr/internal/platform/signing"
	"dsr/internal/store"
	"dsr/internal/temporal/dispatch"
	"dsr/internal/temporal/engine"
	"dsr/internal/temporal/workers"
	"dsr/internal/webhooks"
	"dsr/schema"
)

// Option changes how New and Open build the application, for the tests and the bench.
type Option func(*options)

type options struct {
	log          *slog.Logger
	orch, chat   *sqlx.DB
	connectors   func(*store.Store) []connectors.Connector
	engineLog    string
	interceptors []interceptor.ClientInterceptor
}

// WithLogger logs to log instead of standard error at the configured level.
func WithLogger(log *slog.Logger) Option { return func(o *options) { o.log = log } }

// WithDatabases uses databases that are open and migrated already (a test's schemas); the
// application does not close them.
func WithDatabases(orch, chat *sqlx.DB) Option {
	return func(o *options) { o.orch, o.chat = orch, chat }
}

// WithConnectors adds connectors (sub-processors) after the chat store and backups.
func WithConnectors(add func(*store.Store) []connectors.Connector) Option {
	return func(o *options) { o.connectors = add }
}

// WithEngineLogLevel sets the embedded Temporal server's own log level (default warn).
func WithEngineLogLevel(level string) Option { return func(o *options) { o.engineLog = level } }

// WithClientInterceptors adds interceptors to the Temporal client.
func WithClientInterceptors(is ...interceptor.ClientInterceptor) Option {
	return func(o *options) { o.interceptors = append(o.interceptors, is...) }
}

func collect(opts []Option) options {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	return o
}

// NewLogger is dsr's logger: JSON on standard error at level.
func NewLogger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// Base is what every command working on dsr's databases needs: the databases, open and
// migrated, the orchestrator's record and the chat store's connector.
type Base struct {
	Config Config
	Log    *slog.Logger
	Store  *store.Store
	// ChatStore is the chat store's connector; nil for OpenRecord.
	ChatStore *chatstore.Connector
	// Objects holds the attachment files; nil for OpenRecord.
	Objects objectstore.Store
	orch    *sqlx.DB
	closers []func()
}

// Open opens and migrates both databases and the attachments' object store.
func Open(ctx context.Context, cfg Config, opts ...Option) (*Base, error) {
	return open(ctx, cfg, collect(opts), true)
}

// OpenRecord opens and migrates the orchestrator database alone.
func OpenRecord(ctx context.Context, cfg Config, opts ...Option) (*Base, error) {
	return open(ctx, cfg, collect(opts), false)
}

func open(ctx context.Context, cfg Config, o options, withChat bool) (*Base, error) {
	b := &Base{Config: cfg, Log: o.log}
	if b.Log == nil {
		b.Log = NewLogger(cfg.LogLevel)
	}
	var err error
	if b.orch, err = b.database(ctx, o.orch, cfg.DatabaseURL, schema.Orchestrator); err != nil {
		return nil, fmt.Errorf("orchestrator database: %w", err)
	}
	b.Store = store.New(b.orch)
	if !withChat {
		return b, nil
	}
	// Attachment files: a full erasure deletes them from here too.
	if b.Objects, err = objectstore.Open(cfg.ObjectStoreURL); err != nil {
		b.Close()
		return nil, fmt.Errorf("OBJECT_STORE_URL: %w", err)
	}
	if o.chat != nil {
		b.ChatStore = chatstore.New(o.chat, chatstore.WithObjects(b.Objects))
		return b, nil
	}
	if b.ChatStore, err = chatstore.Open(ctx, cfg.ChatStoreURL, chatstore.WithObjects(b.Objects)); err != nil {
		b.Close()
		return nil, fmt.Errorf("chat store: %w", err)
	}
	b.closers = append(b.closers, func() { b.ChatStore.Close() })
	return b, nil
}

// database opens and migrates a database, unless given one open already.
func (b *Base) database(ctx context.Context, given *sqlx.DB, url string, set schema.Set) (*sqlx.DB, error) {
	if given != nil {
		return given, nil
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	b.closers = append(b.closers, func() { db.Close() })
	if _, err := schema.Migrate(ctx, db, set); err != nil {
		return nil, err
	}
	return db, nil
}

// Close closes what Open opened, last first.
func (b *Base) Close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
	b.closers = nil
}

// Migrated checks that both databases answer and have every migration.
func (b *Base) Migrated(ctx context.Context) error {
	n, err := schema.Pending(ctx, b.orch, schema.Orchestrator)
	if err == nil && n == 0 && b.ChatStore != nil {
		n, err = b.ChatStore.Pending(ctx)
		if err == nil && n > 0 {
			return fmt.Errorf("%s: %d migrations pending", schema.ChatStore, n)
		}
	}
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%s: %d migrations pending", schema.Orchestrator, n)
	}
	return nil
}

// CheckKey makes sure key is the one the orchestrator database was set up with (the first
// process to start records its fingerprint): subjects are hashed with it.
func (b *Base) CheckKey(ctx context.Context, key []byte) error {
	fp := activities.KeyFingerprint(key)
	stored, err := b.Store.EnsureSetting(ctx, "secret_key_fingerprint", fp)
	if err != nil {
		return err
	}
	if stored != fp {
		return errors.New("DSR_SECRET_KEY is not the key this database was set up with: hashes of subjects (suppression list, backup tombstones) would not match; use the original key")
	}
	return nil
}

// InstallationKey returns DSR_SECRET_KEY, or the key an all-in-one install generated into
// its data directory, checked against the database; it never makes a new one (no
// tombstone would match it).
func (b *Base) InstallationKey(ctx context.Context) ([]byte, error) {
	key := b.Config.SecretKey
	if len(key) == 0 {
		kept, err := b.Config.KeptKey()
		if err != nil {
			return nil, err
		}
		if kept == nil {
			return nil, fmt.Errorf("DSR_SECRET_KEY (or DSR_SECRET_KEY_FILE) is required: tombstones name subjects by hashes keyed with it, and %s holds no key",
				filepath.Join(b.Config.DataDir, "secret.key"))
		}
		key = kept
	}
	return key, b.CheckKey(ctx, key)
}

// Backups is the backups connector, keyed with the installation's key.
func (b *Base) Backups(key []byte) *backups.Connector { return backups.New(b.Store, key) }

// App is a running dsr: Base, Temporal and everything that works through it.
type App struct {
	*Base
	// Temporal is the SDK's client; Dispatch says what dsr says to Temporal.
	Temporal   client.Client
	Dispatch   *dispatch.Client
	Connectors *connectors.Registry
	Activities *activities.Activities
	// Mailer sends mail; nil when SMTP_URL is not set.
	Mailer *smtp.Mailer
	// Room is the mailroom; nil when IMAP_URL is not set.
	Room *ingest.Room
	// Keys seal secrets at rest (the mail kept, webhook secrets) and sign links.
	Keys *seal.Keys
	// WebhookGuard decides which addresses webhooks may reach.
	WebhookGuard *webhooks.Guard
	// Handler is the HTTP surface (ModeAll only).
	Handler http.Handler
	// OIDC is the dashboard's single sign-on; nil when DSR_OIDC_ISSUER is not set.
	OIDC *auth.OIDC
	// OpenDSR is the OpenDSR processor API (ModeAll only).
	OpenDSR *opendsr.Handler
	// OpenDSRSigner signs OpenDSR responses and status callbacks.
	OpenDSRSigner *signing.Signer

	engine  *engine.Server
	workers *workers.Set
	opts    options
	// recipients describe the sub-processors (Art. 15(1)(c)); vendors maps the privacy
	// contacts of those reached by mail (lower case) to their names.
	recipients []string
	vendors    map[string]string
}

// New builds the application from cfg: it opens the databases, starts the embedded
// Temporal server or connects to TEMPORAL_ADDRESS, and wires every part. It starts no
// worker (Start) and serves nothing (Serve).
func New(ctx context.Context, cfg Config, opts ...Option) (_ *App, err error) {
	o := collect(opts)
	if o.log == nil {
		o.log = NewLogger(cfg.LogLevel)
	}
	if err := cfg.checkMode(); err != nil {
		return nil, err
	}
	if len(cfg.Regions) == 0 {
		// An all-in-one install holds every region's data.
		cfg.Regions = domain.Regions
	}
	if err := cfg.ensureSecretKey(o.log); err != nil {
		return nil, err
	}
	b, err := open(ctx, cfg, o, true)
	if err != nil {
		return nil, err
	}
	a := &App{Base: b, opts: o}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if err := a.CheckKey(ctx, cfg.SecretKey); err != nil {
		return nil, err
	}
	steps := []func(context.Context) error{a.connectTemporal, a.buildMailer, a.buildConnectors, a.buildActivities, a.buildWebhooks, a.buildMailroom}
	if cfg.Mode == ModeAll {
		steps = append(steps, a.buildHTTP)
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// connectTemporal starts the embedded server (unless TEMPORAL_ADDRESS is set) and connects
// to it; an external cluster's namespace is set up as `dsr temporal setup` does.
func (a *App) connectTemporal(ctx context.Context) error {
	cfg := a.Config
	hostPort := cfg.TemporalAddress
	if cfg.embedded() {
		eng, err := engine.Start(ctx, engine.Options{
			DataDir:          filepath.Join(cfg.DataDir, "temporal"),
			Port:             cfg.TemporalPort,
			Namespace:        cfg.TemporalNamespace,
			Retention:        cfg.TemporalRetention,
			SearchAttributes: dispatch.SearchAttributes,
			LogLevel:         a.opts.engineLog,
		})
		if err != nil {
			return err
		}
		a.engine = eng
		a.closers = append(a.closers, func() {
			if err := eng.Stop(); err != nil {
				a.Log.Error("stop embedded temporal", slog.Any("error", err))
			}
		})
		hostPort = eng.HostPort()
		a.Log.Info("embedded temporal started", slog.String("address", hostPort))
	}
	c, err := Dial(cfg, hostPort, a.Log, a.opts.interceptors...)
	if err != nil {
		return err
	}
	a.Temporal = c
	a.closers = append(a.closers, c.Close)
	if !cfg.embedded() {
		if err := a.setupNamespace(ctx, c); err != nil {
			return err
		}
	}
	a.Dispatch = &dispatch.Client{Temporal: c, Store: a.Store, RecheckEvery: cfg.BlockerRecheck, Log: a.Log}
	return nil
}

func (a *App) buildMailer(context.Context) error {
	if a.Config.SMTPURL == "" {
		a.Log.Warn("SMTP_URL is not set: no mail goes out (DPO alarms, notices to subjects); the record says so for each")
		return nil
	}
	m, err := smtp.New(a.Config.SMTPURL, a.Config.MailFrom)
	if err != nil {
		return err
	}
	a.Mailer = m
	return nil
}

// Start starts the Temporal workers: the workflows and bookkeeping, and the connector
// activities of the configured regions.
func (a *App) Start() error {
	ws, err := workers.Start(a.Temporal, a.Activities, a.Config.Regions)
	if err != nil {
		return err
	}
	a.workers = ws
	a.closers = append(a.closers, ws.Stop)
	a.Log.Info("workers running", slog.Any("queues", ws.Queues))
	return nil
}

// RunBackground keeps what runs beside the requests until ctx ends: the weekly report's
// and the daily retention's schedules, the mailroom workflow (with a mailbox), and the pass that starts the workflow
// of any open request that has none (a crash between recording a request and starting
// it, or a start that failed); workflows that exist carry on by themselves.
func (a *App) RunBackground(ctx context.Context) error {
	if err := a.Dispatch.EnsureWeeklyReport(ctx, a.Config.DPOEmail != "" && a.Mailer != nil); err != nil {
		a.Log.Warn("weekly SLA report schedule", slog.Any("error", err))
	}
	if err := a.Dispatch.EnsureRetention(ctx); err != nil {
		a.Log.Warn("retention schedule", slog.Any("error", err))
	}
	if a.Room != nil {
		if err := a.Dispatch.EnsureMailroom(ctx, mailroomInput(a.Config)); err != nil {
			return err
		}
		a.Log.Info("privacy mailbox polled", slog.Duration("every", a.Config.MailEvery))
	}
	go a.Dispatch.KeepResuming(ctx, time.Minute)
	go a.keepPurgingDeliveries(ctx, time.Hour)
	return nil
}

// keepPurgingDeliveries deletes, now and then every interval until ctx ends, the webhook
// deliveries and status callbacks that ended longer than DSR_WEBHOOK_LOG_RETENTION ago,
// in batches; failures are logged. Every replica may run it: a delete is a delete.
func (a *App) keepPurgingDeliveries(ctx context.Context, interval time.Duration) {
	for {
		before := time.Now().Add(-a.Config.Webhooks.LogRetention)
		for {
			n, err := a.Store.PurgeDeliveries(ctx, before, 5000)
			if err != nil {
				if ctx.Err() == nil {
					a.Log.Warn("purge the webhook delivery log", slog.Any("error", err))
				}
				break
			}
			if n > 0 {
				a.Log.Info("webhook delivery log purged", slog.Int("deliveries", n), slog.Duration("older_than", a.Config.Webhooks.LogRetention))
			}
			if n < 5000 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// Serve serves Handler on HTTP_ADDR until ctx ends, then drains for up to 15 seconds.
func (a *App) Serve(ctx context.Context) error {
	srv := &http.Server{Addr: a.Config.HTTPAddr, Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", a.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on HTTP_ADDR %s: %w", a.Config.HTTPAddr, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if a.OIDC != nil {
		// Discovered now when the provider answers; otherwise (logged) at a sign-in later.
		go func() { _ = a.OIDC.Discover(ctx) }()
	}
	a.Log.Info("dsr serving", slog.String("http", "http://"+ln.Addr().String()))
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	}
	a.Log.Info("stopping: draining HTTP, then workers")
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		a.Log.Warn("http shutdown", slog.Any("error", err))
	}
	return nil
}

// SeedDemo fills the chat store with synthetic data for a tenant (see package demo).
func (b *Base) SeedDemo(ctx context.Context, tenantID string, endUsers, messages int, progress func(table string, rows int64)) (demo.Stats, error) {
	t, err := b.Store.GetTenant(ctx, tenantID)
	if err != nil {
		return demo.Stats{}, err
	}
	start := time.Now()
	stats, err := b.ChatStore.SeedDemo(ctx, demo.Options{TenantID: t.ID, TenantName: t.Name, EndUsers: endUsers, Messages: messages,
		Progress: progress})
	stats.Duration = time.Since(start)
	return stats, err
}
