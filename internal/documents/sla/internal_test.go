package sla

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/deadline"
)

func TestPercentiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		sorted []int
		median float64
		p90    int
	}{
		{name: "none", sorted: nil, median: 0, p90: 0},
		{name: "one", sorted: []int{4}, median: 4, p90: 4},
		{name: "two", sorted: []int{1, 4}, median: 2.5, p90: 4},
		{name: "odd", sorted: []int{1, 2, 3, 4, 100}, median: 3, p90: 100},
		{name: "ten: p90 is the ninth", sorted: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, median: 5.5, p90: 9},
		{name: "eleven: p90 is the tenth", sorted: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, median: 6, p90: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.median, median(tt.sorted))
			require.Equal(t, tt.p90, nearestRank(tt.sorted, 90))
		})
	}
}

func TestRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		part, whole int
		want        float64
	}{
		{name: "nothing measured", part: 0, whole: 0, want: 0},
		{name: "all", part: 3, whole: 3, want: 100},
		{name: "two thirds", part: 2, whole: 3, want: 66.7},
		{name: "one third", part: 1, whole: 3, want: 33.3},
		{name: "one in eight", part: 1, whole: 8, want: 12.5},
		{name: "rounds half up", part: 1, whole: 16, want: 6.3}, // 6.25
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, rate(tt.part, tt.whole))
		})
	}
}

func TestMonday(t *testing.T) {
	t.Parallel()
	for day := 1; day <= 14; day++ {
		d := deadline.NewDate(2026, time.April, day)
		m := monday(d)
		require.Equal(t, time.Monday, m.Weekday(), d.String())
		require.True(t, !m.After(d) && m.DaysUntil(d) < 7, d.String())
	}
}

func TestNiceStep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		max  int
		want int
	}{
		{name: "empty", max: 0, want: 1},
		{name: "five", max: 5, want: 1},
		{name: "six", max: 6, want: 2},
		{name: "twenty-six", max: 26, want: 10},
		{name: "thousand", max: 1000, want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, niceStep(tt.max))
		})
	}
}
