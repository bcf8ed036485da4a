package main

import (
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"time"
)

// median of the values; NaN for none.
func median(xs []float64) float64 { return percentile(xs, 50) }

// percentile p (0-100) of the values by the nearest-rank method; NaN for none.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if p <= 0 {
		return s[0]
	}
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// spread prints the smallest and largest value, to show the noise around a median.
func spread(xs []float64) string {
	if len(xs) == 0 {
		return "no samples"
	}
	return formatNumber(slices.Min(xs)) + " to " + formatNumber(slices.Max(xs))
}

// profile starts a CPU profile of this process into the -profile directory under name and
// returns the function that stops it; without -profile it does nothing.
func (e *Env) profile(name string) (stop func()) {
	if e.profileDir == "" {
		return func() {}
	}
	path := filepath.Join(e.profileDir, name+".pprof")
	f, err := os.Create(path)
	if err != nil {
		e.Log.Warn("cpu profile", slog.Any("error", err))
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		e.Log.Warn("cpu profile", slog.Any("error", err))
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		e.Log.Info("cpu profile written", slog.String("file", path))
	}
}
