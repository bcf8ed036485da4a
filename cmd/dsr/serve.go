package main

import (
	"context"
	"flag"

	"dsr/internal/app"
)

// serve runs dsr until SIGINT or SIGTERM: everything (ModeAll, `dsr serve`), or the
// workers alone (ModeWorker, `dsr worker`).
func serve(ctx context.Context, args []string, mode app.Mode) error {
	name := map[app.Mode]string{app.ModeAll: "serve", app.ModeWorker: "worker"}[mode]
	if err := parse(flag.NewFlagSet(name, flag.ContinueOnError), args); err != nil {
		return err
	}
	cfg, err := loadConfig(mode)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Start(); err != nil {
		return err
	}
	if err := a.RunBackground(ctx); err != nil {
		return err
	}
	if mode == app.ModeWorker {
		<-ctx.Done()
		a.Log.Info("stopping")
		return nil
	}
	return a.Serve(ctx)
}

// openBase loads the configuration and opens both databases, for a command that works on
// them; record opens the orchestrator's alone.
func openBase(ctx context.Context, record bool) (*app.Base, error) {
	cfg, err := loadConfig(app.ModeAll)
	if err != nil {
		return nil, err
	}
	if record {
		return app.OpenRecord(ctx, cfg)
	}
	return app.Open(ctx, cfg)
}
