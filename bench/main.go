// Command bench measures dsr against baselines run in the same process, on the same data and
// the same machine, and prints one table of ratios: erasure through the chat-store connector
// against raw SQL, an access package against COPY, DSR workflows against a no-op workflow on
// the same embedded Temporal server (and whatever other sections register themselves). A full
// run appends the table to BENCHMARKS.md with the machine it ran on.
//
//	go run ./bench                 every section, full size (make bench)
//	go run ./bench -quick          smaller stores and fewer requests, for development
//	go run ./bench -only erasure   some sections (comma separated)
//
// A section that fails prints its error and the run goes on; the exit status is non-zero
// when a section failed, not when a goal was missed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// section is one part of the run.
type section struct {
	name string
	run  func(ctx context.Context, e *Env) ([]Row, error)
}

// sections run in this order; other files add theirs in init.
var sections = []section{
	{name: "erasure", run: benchErasure},
	{name: "export", run: benchExport},
	{name: "workflow", run: benchWorkflow},
}

// options are the command line's.
type options struct {
	quick   bool
	only    []string
	md      string
	write   bool
	profile string
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		if err := runChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		return
	}
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	failed, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	var only string
	fs.BoolVar(&o.quick, "quick", false, "small stores (100k and 1M messages) and 200 requests, for development")
	fs.StringVar(&only, "only", "", "run only these sections, comma separated: "+strings.Join(sectionNames(), ", "))
	fs.StringVar(&o.md, "md", "BENCHMARKS.md", "file the table is added to (a full run; -quick only with -write)")
	fs.BoolVar(&o.write, "write", false, "add the table to -md even in quick mode")
	fs.StringVar(&o.profile, "profile", "", "directory to keep CPU profiles of the dsr side of each section in (runtime/pprof)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if !o.quick {
		o.write = true
	}
	for _, name := range strings.Split(only, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(sectionNames(), name) {
			return o, fmt.Errorf("-only: no section %q (there are: %s)", name, strings.Join(sectionNames(), ", "))
		}
		o.only = append(o.only, name)
	}
	return o, nil
}

func sectionNames() []string {
	names := make([]string, len(sections))
	for i, s := range sections {
		names[i] = s.name
	}
	return names
}

// outcome is what one section gave.
type outcome struct {
	name    string
	rows    []Row
	err     error
	elapsed time.Duration
}

// run runs the chosen sections, prints the table to out and adds it to the Markdown file. It
// reports whether a section failed; err is for what stops the whole run.
func run(ctx context.Context, o options, out io.Writer) (failed bool, err error) {
	started := time.Now()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	env, err := newEnv(o, log)
	if err != nil {
		return false, err
	}
	defer env.close(context.WithoutCancel(ctx))
	m := describeMachine(ctx, env.PGURL)
	log.Info("bench starting", slog.Bool("quick", o.quick), slog.String("machine", m.line()))

	var results []outcome
	for _, s := range sections {
		if len(o.only) > 0 && !slices.Contains(o.only, s.name) {
			continue
		}
		if ctx.Err() != nil {
			results = append(results, outcome{name: s.name, err: ctx.Err()})
			continue
		}
		log.Info("section starting", slog.String("section", s.name))
		t0 := time.Now()
		rows, err := runSection(ctx, s, env)
		res := outcome{name: s.name, rows: rows, err: err, elapsed: time.Since(t0)}
		if err != nil {
			failed = true
			log.Error("section failed", slog.String("section", s.name), slog.Any("error", err))
			fmt.Fprintf(os.Stderr, "section %s failed: %v\n", s.name, err)
		} else {
			log.Info("section done", slog.String("section", s.name), slog.Duration("elapsed", res.elapsed.Round(time.Second)))
		}
		results = append(results, res)
	}
	m.finish(started)

	report := renderRun(m, o, results)
	fmt.Fprint(out, report)
	if o.write {
		if err := addRun(o.md, report); err != nil {
			return true, err
		}
		log.Info("table added", slog.String("file", o.md))
	}
	return failed, nil
}

// runSection runs one section, turning a panic into its error so the others still run.
func runSection(ctx context.Context, s section, e *Env) (rows []Row, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	rows, err = s.run(ctx, e)
	if err == nil && len(rows) == 0 {
		err = errors.New("section returned no rows")
	}
	return rows, err
}
