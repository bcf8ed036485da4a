package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"dsr/internal/deadline"
	"dsr/internal/documents/sla"
)

// reportSLA writes the SLA report of a period: dsr report sla --from DATE --to DATE
// [--format pdf|csv] [-o FILE] [--tenant ID].
func reportSLA(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("report sla", flag.ContinueOnError)
	fromFlag := fs.String("from", "", "first day of the period, YYYY-MM-DD (UTC)")
	toFlag := fs.String("to", "", "last day of the period (included), YYYY-MM-DD (UTC)")
	format := fs.String("format", "", "pdf or csv (default: from the -o file's extension, else pdf)")
	file := fs.String("o", "", "file to write (default: standard output)")
	tenantID := idFlag(fs, "tenant", "tenant id (default: every tenant)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *fromFlag == "" || *toFlag == "" {
		return usageError{msg: "report sla: --from and --to are required"}
	}
	from, err := deadline.ParseDate(*fromFlag)
	if err != nil {
		return usageError{msg: fmt.Sprintf("report sla: --from %q is not a date YYYY-MM-DD", *fromFlag)}
	}
	to, err := deadline.ParseDate(*toFlag)
	if err != nil {
		return usageError{msg: fmt.Sprintf("report sla: --to %q is not a date YYYY-MM-DD", *toFlag)}
	}
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(*file), "."))
	switch {
	case *format == "" && (ext == "pdf" || ext == "csv"):
		*format = ext
	case *format == "":
		*format = "pdf"
	case *format != "pdf" && *format != "csv":
		return usageError{msg: fmt.Sprintf("report sla: --format %q must be pdf or csv", *format)}
	case (ext == "pdf" || ext == "csv") && ext != *format:
		return usageError{msg: fmt.Sprintf("report sla: -o %s names a .%s file but --format is %s", *file, ext, *format)}
	}
	if *file == "" && *format == "pdf" && isTerminal(out) {
		return usageError{msg: "report sla: a PDF is not written to a terminal: give -o FILE.pdf, or redirect standard output"}
	}
	o := sla.Options{From: from, To: to, TenantID: *tenantID, Now: time.Now()}
	if err := o.Validate(); err != nil {
		return usageError{msg: "report sla: " + err.Error()}
	}

	b, err := openBase(ctx, true)
	if err != nil {
		return err
	}
	defer b.Close()
	rep, err := sla.SLA(ctx, b.Store, o)
	if err != nil {
		return err
	}
	// Rendered in full first: a failure leaves no half-written file.
	var buf bytes.Buffer
	if *format == "csv" {
		err = rep.CSV(&buf)
	} else {
		err = rep.PDF(&buf)
	}
	if err != nil {
		return err
	}
	if *file == "" {
		_, err = out.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(*file, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("report sla: write %s: %w", *file, err)
	}
	_, err = fmt.Fprintf(out, "wrote %s (%d bytes)\n", *file, buf.Len())
	return err
}

// isTerminal reports whether w is a terminal, where binary output would only garble the
// screen.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
