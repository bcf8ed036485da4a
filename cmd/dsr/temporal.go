package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"

	"dsr/internal/app"
)

// temporalSetup makes the namespace of the external cluster at TEMPORAL_ADDRESS ready for
// dsr: registered (or its retention set to DSR_TEMPORAL_RETENTION), served, with dsr's
// search attributes. It prints JSON of what it found and did; a second run changes nothing
// ("namespace_action": "unchanged", "changed": false).
func temporalSetup(ctx context.Context, args []string, out io.Writer) error {
	if err := parse(flag.NewFlagSet("temporal setup", flag.ContinueOnError), args); err != nil {
		return err
	}
	cfg, err := loadConfig(app.ModeAll)
	if err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	res, err := app.SetupTemporal(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(res)
}
