package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestGoals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		row      Row
		ratio    float64
		goal     string
		met      bool
		ratioNaN bool
	}{
		{name: "cost under the limit", row: Row{DSR: 12, Baseline: 10}.ratioAtMost(1.5), ratio: 1.2, goal: "<= 1.50x", met: true},
		{name: "cost on the limit", row: Row{DSR: 15, Baseline: 10}.ratioAtMost(1.5), ratio: 1.5, goal: "<= 1.50x", met: true},
		{name: "cost over the limit", row: Row{DSR: 25.5, Baseline: 10}.ratioAtMost(2), ratio: 2.55, goal: "<= 2.00x", met: false},
		{name: "rate above the floor", row: Row{DSR: 8, Baseline: 10}.ratioAtLeast(0.7), ratio: 0.8, goal: ">= 0.70x", met: true},
		{name: "rate below the floor", row: Row{DSR: 6, Baseline: 10}.ratioAtLeast(0.7), ratio: 0.6, goal: ">= 0.70x", met: false},
		{name: "no baseline is no ratio and no goal met", row: Row{DSR: 6, Baseline: 0}.ratioAtLeast(0.7), ratioNaN: true, goal: ">= 0.70x", met: false},
		{name: "absolute limit met", row: Row{Unit: "MB", DSR: 34.2, Baseline: 20}.below(64), ratio: 1.71, goal: "< 64 MB", met: true},
		{name: "absolute limit missed, whatever the ratio", row: Row{Unit: "MB", DSR: 150, Baseline: 140}.below(64), ratio: 150.0 / 140, goal: "< 64 MB", met: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.ratioNaN {
				require.True(t, math.IsNaN(tc.row.Ratio))
			} else {
				require.InDelta(t, tc.ratio, tc.row.Ratio, 1e-9)
			}
			require.Equal(t, tc.goal, tc.row.Goal)
			require.Equal(t, tc.met, tc.row.Met)
		})
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	xs := []float64{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	require.Equal(t, 5.0, median(xs))
	require.Equal(t, 10.0, percentile(xs, 99))
	require.Equal(t, 1.0, percentile(xs, 0))
	require.Equal(t, []float64{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}, xs, "the input is left as it was")
	require.True(t, math.IsNaN(median(nil)))
}

func TestFormatNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{1234.56: "1235", 12.34: "12.3", 1.234: "1.23", 0.01234: "0.012", 7: "7", math.NaN(): "n/a"} {
		require.Equal(t, want, formatNumber(in), "%v", in)
	}
}

// TestAddRun checks that runs go under the marker, newest first, and that a file without the
// marker keeps its text.
func TestAddRun(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	require.NoError(t, os.WriteFile(path, []byte("# Benchmarks\n\nHow to read the table.\n"), 0o644))
	require.NoError(t, addRun(path, "### first run\n"))
	require.NoError(t, addRun(path, "### second run\n"))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	text := string(b)
	require.True(t, strings.HasPrefix(text, "# Benchmarks\n\nHow to read the table.\n"))
	require.Equal(t, 1, strings.Count(text, runsMarker))
	marker, second, first := strings.Index(text, runsMarker), strings.Index(text, "### second run"), strings.Index(text, "### first run")
	require.True(t, marker < second && second < first, "newest run first, under the marker:\n%s", text)
}

func TestRenderRun(t *testing.T) {
	t.Parallel()
	m := &machine{cores: 2, memory: "23.5 GiB", goVersion: "go1.26.8", pgVersion: "15.20", started: time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC),
		loadStart: "0.50 0.40 0.30", loadEnd: "1.00 0.90 0.80", elapsed: 11 * time.Minute}
	out := renderRun(m, options{}, []outcome{
		{name: "erasure", rows: []Row{Row{Name: "erasure | 1M", Unit: "ms", DSR: 7, Baseline: 5, BaselineName: "raw SQL", Detail: "two\nlines"}.ratioAtMost(1.5)}},
		{name: "export", err: os.ErrNotExist},
	})
	require.Contains(t, out, "### 2026-11-30 14:00 UTC (full run: erasure, export)")
	require.Contains(t, out, "Machine: 2 cores, 23.5 GiB memory, Go 1.26.8, PostgreSQL 15.20, load average 0.50 0.40 0.30 at start, 1.00 0.90 0.80 at end; the run took 11m0s.")
	require.Contains(t, out, `| erasure \| 1M | 7 ms | 5 ms (raw SQL) | 1.40x | <= 1.50x | yes | two lines |`)
	require.Contains(t, out, "Section export failed: file does not exist")
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	o, err := parseFlags([]string{"-quick", "-only", "export, erasure"})
	require.NoError(t, err)
	require.True(t, o.quick)
	require.False(t, o.write, "a quick run writes nothing unless asked")
	require.Equal(t, []string{"export", "erasure"}, o.only)

	o, err = parseFlags(nil)
	require.NoError(t, err)
	require.True(t, o.write, "a full run adds its table")

	_, err = parseFlags([]string{"-only", "nonsense"})
	require.ErrorContains(t, err, `no section "nonsense"`)
}
