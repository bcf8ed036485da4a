// Package testenv runs a complete dsr in a test: the embedded Temporal server (its own
// SQLite file and free ports), a worker with the real activities and chat-store connector,
// and both databases as private PostgreSQL schemas. Nothing is mocked.
package testenv

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"dsr/activities"
	"dsr/connectors"
	"dsr/connectors/backups"
	"dsr/connectors/chatstore"
	"dsr/http/api"
	"dsr/http/server"
	"dsr/http/subject"
	"dsr/internal/domain"
	"dsr/internal/mail/ingest"
	"dsr/internal/mail/smtp"
	"dsr/internal/platform/seal"
	"dsr/internal/store"
	"dsr/internal/temporal/dispatch"
	"dsr/internal/temporal/engine"
	"dsr/internal/temporal/workers"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

// Env is one running dsr.
type Env struct {
	Store      *store.Store
	Orch, Chat *pgtest.Schema
	Temporal   client.Client
	Intake     *dispatch.Intake
	// Server serves the HTTP API.
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
}

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

	eng, err := engine.Start(ctx, engine.Options{
		DataDir:          filepath.Join(dir, "temporal"),
		Namespace:        "dsr",
		SearchAttributes: dispatch.SearchAttributes,
		LogLevel:         "error",
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, eng.Stop()) })

	c, err := client.Dial(client.Options{HostPort: eng.HostPort(), Namespace: "dsr",
		Logger: sdklog.NewStructuredLogger(log)})
	require.NoError(t, err)
	t.Cleanup(c.Close)

	st := store.New(orch.DB)
	secret := []byte("0123456789abcdef0123456789abcdef")
	all := []connectors.Connector{chatstore.New(chat.DB), backups.New(st, secret)}
	if o.Connectors != nil {
		all = append(all, o.Connectors(st)...)
	}
	reg, err := connectors.NewRegistry(all...)
	require.NoError(t, err)
	acts := &activities.Activities{Store: st, Connectors: reg, PackageDir: filepath.Join(dir, "packages"),
		SecretKey: secret, DPOEmail: o.DPOEmail}
	if o.SMTPURL != "" {
		acts.Mailer, err = smtp.New(o.SMTPURL, "privacy@dsr.example")
		require.NoError(t, err)
	}
	in := &dispatch.Intake{Temporal: c, Store: st, RecheckEvery: o.RecheckEvery, Log: log}
	env := &Env{Store: st, Orch: orch, Chat: chat, Temporal: c, Intake: in, PackageDir: acts.PackageDir}
	opts := server.Options{
		API: &api.API{Store: st, Temporal: c, Intake: in, PackageDir: acts.PackageDir, Log: log},
		Log: log,
	}
	if o.IMAPURL != "" {
		env.Keys, err = seal.New(acts.SecretKey)
		require.NoError(t, err)
		env.Room = in.Mailroom(dispatch.RoomConfig{Keys: env.Keys, Chat: chat.DB, MailboxURL: o.IMAPURL,
			From: "privacy@dsr.example", Mailer: acts.Mailer})
		acts.Mailroom = env.Room
		opts.Subject = &subject.Pages{Room: env.Room, Keys: env.Keys, PackageDir: acts.PackageDir, Log: log,
			Poke: func(ctx context.Context) { workers.Poke(ctx, c) }}
	}
	ws, err := workers.Start(c, acts, domain.Regions)
	require.NoError(t, err)
	t.Cleanup(ws.Stop)
	env.Server = httptest.NewServer(server.New(opts))
	t.Cleanup(env.Server.Close)
	if env.Room != nil {
		env.Room.PublicURL = env.Server.URL
	}
	return env
}

// Tenant creates a tenant (and its chat-store account) and returns it with an API key.
func (e *Env) Tenant(t *testing.T, name string) (store.Tenant, string) {
	t.Helper()
	ctx := context.Background()
	tn, err := e.Store.CreateTenant(ctx, store.Tenant{Name: name, Region: "eu", Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)
	_, err = e.Chat.DB.ExecContext(ctx, `INSERT INTO accounts (id, name) VALUES ($1, $2)`, tn.ID, name)
	require.NoError(t, err)
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
