package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver
)

// Row is one line of the table.
type Row struct {
	// Name says what is measured, e.g. "erasure, 1M messages".
	Name string
	// Unit is what DSR and Baseline measure, e.g. "ms", "requests/s", "msgs/s", "MB".
	Unit         string
	DSR          float64
	Baseline     float64
	BaselineName string // e.g. "raw SQL, one transaction"
	// Ratio is DSR/Baseline.
	Ratio float64
	// Goal is e.g. "<= 1.5x", ">= 0.7x", "< 64 MB".
	Goal string
	Met  bool
	// Detail holds p50/p99, plan notes, etc.
	Detail string
}

// ratioOf is dsr/base, NaN when there is no baseline to divide by.
func ratioOf(dsr, base float64) float64 {
	if base == 0 || math.IsNaN(base) || math.IsNaN(dsr) {
		return math.NaN()
	}
	return dsr / base
}

// ratioAtMost sets the ratio and the goal that it be at most limit (a cost: lower is better).
func (r Row) ratioAtMost(limit float64) Row {
	r.Ratio = ratioOf(r.DSR, r.Baseline)
	r.Goal = "<= " + formatRatio(limit)
	r.Met = !math.IsNaN(r.Ratio) && r.Ratio <= limit
	return r
}

// ratioAtLeast sets the ratio and the goal that it be at least limit (a rate: higher is
// better).
func (r Row) ratioAtLeast(limit float64) Row {
	r.Ratio = ratioOf(r.DSR, r.Baseline)
	r.Goal = ">= " + formatRatio(limit)
	r.Met = !math.IsNaN(r.Ratio) && r.Ratio >= limit
	return r
}

// below sets the ratio and the goal that DSR itself stay under limit, in the row's unit.
func (r Row) below(limit float64) Row {
	r.Ratio = ratioOf(r.DSR, r.Baseline)
	r.Goal = "< " + formatNumber(limit) + " " + r.Unit
	r.Met = !math.IsNaN(r.DSR) && r.DSR < limit
	return r
}

func formatRatio(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(x, 'f', 2, 64) + "x"
}

// formatNumber prints three significant figures or so, without exponent.
func formatNumber(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "n/a"
	case a >= 100 || a == math.Trunc(a):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

// machine is what the figures were measured on.
type machine struct {
	cores     int
	memory    string
	goVersion string
	pgVersion string
	started   time.Time
	loadStart string
	loadEnd   string
	elapsed   time.Duration
}

func describeMachine(ctx context.Context, pgURL string) *machine {
	m := &machine{cores: runtime.NumCPU(), memory: memTotal(), goVersion: runtime.Version(), pgVersion: "unknown",
		started: time.Now().UTC(), loadStart: loadAvg()}
	if db, err := sqlx.Open("postgres", pgURL); err == nil {
		var v string
		if err := db.GetContext(ctx, &v, `SHOW server_version`); err == nil {
			m.pgVersion = strings.Fields(v)[0]
		}
		db.Close()
	}
	return m
}

func (m *machine) finish(started time.Time) {
	m.elapsed = time.Since(started)
	m.loadEnd = loadAvg()
}

func (m *machine) line() string {
	s := fmt.Sprintf("%d cores, %s memory, Go %s, PostgreSQL %s, load average %s at start",
		m.cores, m.memory, strings.TrimPrefix(m.goVersion, "go"), m.pgVersion, m.loadStart)
	if m.loadEnd != "" {
		s += fmt.Sprintf(", %s at end; the run took %s", m.loadEnd, m.elapsed.Round(time.Second))
	}
	return s
}

// memTotal reads the machine's memory from /proc/meminfo.
func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				break
			}
			return strconv.FormatFloat(kb/(1<<20), 'f', 1, 64) + " GiB"
		}
	}
	return "unknown"
}

// loadAvg is the 1, 5 and 15 minute load average, as uptime prints it.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// renderRun is the Markdown of one run: a dated heading, the machine, the table, and the
// errors of failed sections.
func renderRun(m *machine, o options, results []outcome) string {
	var b strings.Builder
	mode := "full"
	if o.quick {
		mode = "quick"
	}
	var names []string
	for _, r := range results {
		names = append(names, r.name)
	}
	fmt.Fprintf(&b, "### %s (%s run: %s)\n\n", m.started.Format("2006-01-02 15:04 MST"), mode, strings.Join(names, ", "))
	fmt.Fprintf(&b, "Machine: %s.\n\n", m.line())
	b.WriteString("| benchmark | dsr | baseline | ratio | goal | met | notes |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, res := range results {
		for _, r := range res.rows {
			met := "no"
			if r.Met {
				met = "yes"
			}
			fmt.Fprintf(&b, "| %s | %s %s | %s %s (%s) | %s | %s | %s | %s |\n",
				cell(r.Name), formatNumber(r.DSR), r.Unit, formatNumber(r.Baseline), r.Unit, cell(r.BaselineName),
				formatRatio(r.Ratio), cell(r.Goal), met, cell(r.Detail))
		}
	}
	b.WriteString("\n")
	for _, res := range results {
		if res.err != nil {
			fmt.Fprintf(&b, "Section %s failed: %s\n\n", res.name, cell(res.err.Error()))
		}
	}
	return b.String()
}

// cell keeps a value on one line of a Markdown table.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// runsMarker is the line of BENCHMARKS.md under which each run is inserted, newest first.
const runsMarker = "<!-- bench: runs are inserted below this line, newest first -->"

// addRun inserts a run's Markdown into the file under runsMarker, above earlier runs; a file
// without the marker gets the marker and the run at its end.
func addRun(path, run string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var out []byte
	if i := bytes.Index(old, []byte(runsMarker)); i >= 0 {
		at := i + len(runsMarker)
		out = append(out, old[:at]...)
		out = append(out, "\n\n"+run...)
		out = append(out, bytes.TrimLeft(old[at:], "\n")...)
	} else {
		out = append(out, old...)
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out, '\n')
		}
		out = append(out, "\n"+runsMarker+"\n\n"+run...)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
