package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"

	"dsr/internal/app"
	"dsr/internal/domain"
	"dsr/internal/temporal/dispatch"
	"dsr/workflows"
)

// requestOverride lets a DPO send a blocked erasure ahead.
func requestOverride(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("request override", flag.ContinueOnError)
	id := idFlag(fs, "id", "request id")
	reason := fs.String("reason", "", "why the blockers may be ignored (kept in the record)")
	actor := fs.String("actor", "", "who decides (default dpo:<login name>)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || strings.TrimSpace(*reason) == "" {
		return usageError{msg: "request override: --id and --reason are required"}
	}
	if *actor == "" {
		*actor = "dpo:" + env("USER", "cli")
	}
	cfg, err := loadConfig(app.ModeAll)
	if err != nil {
		return err
	}
	hostPort := cfg.TemporalAddress
	if hostPort == "" {
		hostPort = net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.TemporalPort))
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	c, err := app.Dial(cfg, hostPort, quiet)
	if err != nil {
		return fmt.Errorf("%w (is dsr serve running?)", err)
	}
	defer c.Close()
	d := &dispatch.Client{Temporal: c, Log: quiet}
	state, err := d.Decide(ctx, *id, workflows.UpdateOverride, workflows.Decision{Actor: domain.Actor(*actor), Reason: *reason})
	var rej *dispatch.Rejection
	if errors.As(err, &rej) {
		return fmt.Errorf("request %s: %s", *id, rej.Message)
	}
	if err != nil {
		return fmt.Errorf("override request %s: %w", *id, err)
	}
	_, err = fmt.Fprintf(out, "request %s: blockers overridden, now %s\n", *id, state.Status)
	return err
}
