package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/jmoiron/sqlx"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"dsr/activities"
	"dsr/connectors"
	"dsr/connectors/backups"
	"dsr/connectors/chatstore"
	"dsr/http/api"
	"dsr/http/dashboard"
	"dsr/http/server"
	"dsr/http/subject"
	"dsr/internal/auth"
	"dsr/internal/domain"
	"dsr/internal/mail/smtp"
	"dsr/internal/platform/objectstore"
	"dsr/internal/platform/seal"
	"dsr/internal/store"
	"dsr/internal/temporal/dispatch"
	"dsr/internal/temporal/engine"
	"dsr/internal/temporal/workers"
	"dsr/schema"
	"dsr/workflows"
)

// serve runs the worker, and with all set also the embedded Temporal server (unless
// TEMPORAL_ADDRESS is set) and the HTTP server, until SIGINT or SIGTERM.
func serve(ctx context.Context, args []string, all bool) error {
	name := "worker"
	if all {
		name = "serve"
	}
	if err := parse(flag.NewFlagSet(name, flag.ContinueOnError), args); err != nil {
		return err
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	started := time.Now()
	allInOne := all && cfg.TemporalAddress == ""
	if err := cfg.ensureSecretKey(log, allInOne); err != nil {
		return err
	}
	regions := cfg.Regions
	if len(regions) == 0 {
		if !allInOne {
			return errors.New("DSR_REGIONS is required when TEMPORAL_ADDRESS is set or for dsr worker: name the regions (eu, us, apac) whose data CHATSTORE_URL holds")
		}
		regions = domain.Regions
	}
	orch, chat, err := databases(ctx, cfg)
	if err != nil {
		return err
	}
	defer orch.Close()
	defer chat.Close()

	hostPort := cfg.TemporalAddress
	if hostPort == "" {
		if !all {
			return errors.New("dsr worker needs TEMPORAL_ADDRESS (dsr serve embeds a server instead)")
		}
		eng, err := engine.Start(ctx, engine.Options{
			DataDir:          filepath.Join(cfg.DataDir, "temporal"),
			Port:             cfg.TemporalPort,
			Namespace:        cfg.TemporalNamespace,
			SearchAttributes: dispatch.SearchAttributes,
		})
		if err != nil {
			return err
		}
		defer func() {
			if err := eng.Stop(); err != nil {
				log.Error("stop embedded temporal", slog.Any("error", err))
			}
		}()
		hostPort = eng.HostPort()
		log.Info("embedded temporal started", slog.String("address", hostPort))
	}
	c, err := client.Dial(client.Options{
		HostPort:  hostPort,
		Namespace: cfg.TemporalNamespace,
		Logger:    sdklog.NewStructuredLogger(log.With(slog.String("component", "temporal-client"))),
	})
	if err != nil {
		return fmt.Errorf("connect to temporal at %s: %w", hostPort, err)
	}
	defer c.Close()
	if cfg.TemporalAddress != "" {
		if err := engine.EnsureSearchAttributes(ctx, c, cfg.TemporalNamespace, dispatch.SearchAttributes); err != nil {
			log.Warn("could not add search attributes; add DsrTenant and DsrType (keyword) to the namespace", slog.Any("error", err))
		}
	}

	st := store.New(orch)
	if err := checkKey(ctx, st, cfg.SecretKey); err != nil {
		return err
	}
	// Attachment files: a full erasure deletes them from here too.
	objs, err := objectstore.Open(cfg.ObjectStoreURL)
	if err != nil {
		return fmt.Errorf("OBJECT_STORE_URL: %w", err)
	}
	log.Info("attachment object store", slog.String("store", fmt.Sprint(objs)))
	var mail *smtp.Mailer
	if cfg.SMTPURL != "" {
		if mail, err = smtp.New(cfg.SMTPURL, cfg.MailFrom); err != nil {
			return err
		}
	} else {
		log.Warn("SMTP_URL is not set: no mail goes out (DPO alarms, notices to subjects); the record says so for each")
	}
	subs, err := loadSubprocessors(st, mail, cfg.DPOEmail)
	if err != nil {
		return err
	}
	registry, err := connectors.NewRegistry(append([]connectors.Connector{
		chatstore.New(chat, chatstore.WithObjects(objs)), backups.New(st, cfg.SecretKey)}, subs.connectors...)...)
	if err != nil {
		return err
	}
	acts := &activities.Activities{
		Store:      st,
		Connectors: registry,
		PackageDir: filepath.Join(cfg.DataDir, "packages"),
		SecretKey:  cfg.SecretKey,
		DPOEmail:   cfg.DPOEmail,
		Mailer:     mail,
		Recipients: subs.recipients,
	}
	in := &dispatch.Intake{Temporal: c, Store: st, RecheckEvery: cfg.BlockerRecheck, Log: log}
	var subjectPages *subject.Pages
	if cfg.IMAPURL != "" {
		keys, err := seal.New(cfg.SecretKey)
		if err != nil {
			return err
		}
		room := in.Mailroom(dispatch.RoomConfig{Keys: keys, Chat: chat, MailboxURL: cfg.IMAPURL, From: cfg.MailFrom,
			PublicURL: cfg.PublicURL, Mailer: acts.Mailer})
		room.Vendors = subs.vendors
		acts.Mailroom = room
		subjectPages = &subject.Pages{Room: room, Keys: keys, PackageDir: acts.PackageDir, Log: log,
			Poke: func(ctx context.Context) { workers.Poke(ctx, c) }}
	}
	ws, err := workers.Start(c, acts, regions)
	if err != nil {
		return err
	}
	defer ws.Stop()
	if err := workers.EnsureWeeklyReport(ctx, c, cfg.DPOEmail != "" && acts.Mailer != nil); err != nil {
		log.Warn("weekly SLA report schedule", slog.Any("error", err))
	}

	if cfg.IMAPURL != "" {
		if err := workers.EnsureMailroom(ctx, c, workflows.MailroomInput{Every: cfg.MailEvery}); err != nil {
			return err
		}
		log.Info("privacy mailbox polled", slog.Duration("every", cfg.MailEvery))
	}
	// Start the workflow of any open request that has none (a crash between recording a
	// request and starting it, or a start that failed); workflows that exist carry on by
	// themselves.
	go in.KeepResuming(ctx, time.Minute)

	if !all {
		log.Info("worker running", slog.Any("queues", ws.Queues))
		<-ctx.Done()
		log.Info("stopping")
		return nil
	}

	dash, err := dashboard.New(dashboard.Config{Store: st, Users: auth.New(st), Temporal: c, Accounts: chatstore.New(chat, chatstore.WithObjects(objs)),
		PackageDir: acts.PackageDir, Log: log, MailboxConfigured: cfg.IMAPURL != ""})
	if err != nil {
		return err
	}
	opts := server.Options{
		API: &api.API{Store: st, Temporal: c, Intake: in, PackageDir: acts.PackageDir, Log: log},
		Log: log,
		Ready: []server.Check{
			{Name: "database", Fn: func(ctx context.Context) error { return migrated(ctx, orch, chat) }},
			{Name: "temporal", Fn: func(ctx context.Context) error {
				_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
				return err
			}},
			{Name: "worker", Fn: func(ctx context.Context) error { return polling(ctx, c, cfg.TemporalNamespace) }},
		},
		Dashboard: dash,
	}
	if subjectPages != nil {
		opts.Subject = subjectPages
	}
	handler := server.New(opts)
	srv := &http.Server{Addr: cfg.HTTPAddr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("dsr serving", slog.String("http", "http://"+ln.Addr().String()), slog.Duration("startup", time.Since(started)))

	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	}
	log.Info("stopping: draining HTTP, then workers")
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Warn("http shutdown", slog.Any("error", err))
	}
	return nil
}

// migrated checks that both databases answer and have every migration.
func migrated(ctx context.Context, orch, chat *sqlx.DB) error {
	for _, db := range []struct {
		db  *sqlx.DB
		set schema.Set
	}{{orch, schema.Orchestrator}, {chat, schema.ChatStore}} {
		n, err := schema.Pending(ctx, db.db, db.set)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%s: %d migrations pending", db.set, n)
		}
	}
	return nil
}

// polling checks that a worker polls the workflow task queue.
func polling(ctx context.Context, c client.Client, namespace string) error {
	resp, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace:     namespace,
		TaskQueue:     &taskqueuepb.TaskQueue{Name: workflows.TaskQueue},
		TaskQueueType: enumspb.TASK_QUEUE_TYPE_WORKFLOW,
	})
	if err != nil {
		return err
	}
	if len(resp.GetPollers()) == 0 {
		return errors.New("no worker polls " + workflows.TaskQueue)
	}
	return nil
}
