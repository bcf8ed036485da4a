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
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"dsr/workflows"
)

// requestOverride lets a DPO send a blocked erasure ahead.
func requestOverride(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("request override", flag.ContinueOnError)
	id := fs.String("id", "", "request id")
	reason := fs.String("reason", "", "why the blockers may be ignored (kept in the record)")
	actor := fs.String("actor", "", "who decides (default dpo:<login name>)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || strings.TrimSpace(*reason) == "" {
		return usageError{"request override: --id and --reason are required"}
	}
	if *actor == "" {
		*actor = "dpo:" + env("USER", "cli")
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	hostPort := cfg.TemporalAddress
	if hostPort == "" {
		hostPort = net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.TemporalPort))
	}
	c, err := client.Dial(client.Options{HostPort: hostPort, Namespace: cfg.TemporalNamespace,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))})
	if err != nil {
		return fmt.Errorf("connect to temporal at %s (is dsr serve running?): %w", hostPort, err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.WorkflowID(*id),
		UpdateName:   workflows.UpdateOverride,
		Args:         []any{workflows.Decision{Actor: *actor, Reason: *reason}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var state workflows.State
	if err == nil {
		err = h.Get(ctx, &state)
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return fmt.Errorf("request %s: %s", *id, appErr.Message())
	}
	if err != nil {
		return fmt.Errorf("override request %s: %w", *id, err)
	}
	_, err = fmt.Fprintf(out, "request %s: blockers overridden, now %s\n", *id, state.Status)
	return err
}
