package deadline

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// zonesFor gives each supported country its main zones, plus zones far from
// UTC so that the local date often differs from the UTC date.
var zonesFor = map[string][]string{
	"AR": {"America/Argentina/Buenos_Aires"}, "AT": {"Europe/Vienna"},
	"AU": {"Australia/Sydney", "Australia/Perth", "Australia/Lord_Howe"},
	"BE": {"Europe/Brussels"}, "BG": {"Europe/Sofia"}, "BR": {"America/Sao_Paulo"},
	"CA": {"America/Toronto", "America/St_Johns", "America/Vancouver"},
	"CH": {"Europe/Zurich"}, "CZ": {"Europe/Prague"}, "DE": {"Europe/Berlin"},
	"DK": {"Europe/Copenhagen"}, "ES": {"Europe/Madrid", "Atlantic/Canary"},
	"FR": {"Europe/Paris", "Pacific/Tahiti"}, "GB": {"Europe/London"},
	"GR": {"Europe/Athens"}, "HR": {"Europe/Zagreb"}, "IE": {"Europe/Dublin"},
	"IT": {"Europe/Rome"}, "JP": {"Asia/Tokyo"}, "LT": {"Europe/Vilnius"},
	"LV": {"Europe/Riga"}, "MW": {"Africa/Blantyre"}, "NC": {"Pacific/Noumea"},
	"NL": {"Europe/Amsterdam"}, "NO": {"Europe/Oslo"},
	"NZ": {"Pacific/Auckland", "Pacific/Chatham"}, "PL": {"Europe/Warsaw"},
	"RO": {"Europe/Bucharest"}, "RU": {"Europe/Moscow", "Asia/Vladivostok"},
	"SE": {"Europe/Stockholm"}, "SI": {"Europe/Ljubljana"}, "SK": {"Europe/Bratislava"},
	"UA": {"Europe/Kyiv"}, "US": {"America/New_York", "America/Los_Angeles", "Pacific/Honolulu"},
	"ZA": {"Africa/Johannesburg"}, "EE": {"Europe/Tallinn"}, "FI": {"Europe/Helsinki"},
	"HU": {"Europe/Budapest"}, "IN": {"Asia/Kolkata"}, "IS": {"Atlantic/Reykjavik"},
	"LU": {"Europe/Luxembourg"}, "MT": {"Europe/Malta"},
	"PT": {"Europe/Lisbon", "Atlantic/Azores", "Atlantic/Madeira"},
}

var extremeZones = []string{"Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC", "Asia/Kathmandu"}

func TestEveryCountryHasPropertyZones(t *testing.T) {
	t.Parallel()
	for _, code := range Countries() {
		require.NotEmpty(t, zonesFor[code], "add zones for %s to zonesFor", code)
	}
}

// TestProperties checks the invariants of Compute and Shift over
// deterministic pseudo-random instants in 2020-2035 (for a calendar that
// covers fewer years, instants whose deadlines stay inside them), for every
// supported country and several zones each.
func TestProperties(t *testing.T) {
	t.Parallel()
	const perCountry = 400
	lo := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

	for _, code := range Countries() {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(20260101, uint64(len(code))<<8|uint64(code[0])<<16|uint64(code[1])))
			zones := append(append([]string{}, zonesFor[code]...), extremeZones...)
			c := mustCalendar(t, code)
			lo, hi := lo, hi
			if first, last, bounded := c.Years(); bounded {
				// Local dates from 2 January of the first year; extended
				// deadlines plus pauses of up to 20 days before its end.
				lo = time.Date(first, 1, 2, 12, 0, 0, 0, time.UTC).Unix()
				hi = time.Date(last, 8, 1, 0, 0, 0, 0, time.UTC).Unix()
			}
			for i := range perCountry {
				start := time.Unix(lo+rng.Int64N(hi-lo), 0).UTC()
				tz := zones[i%len(zones)]
				targetDays := 0 // default 4
				if i%4 == 3 {
					targetDays = 1 + rng.IntN(15)
				}
				p := Policy{Country: code, TZ: tz, TargetDays: targetDays}
				where := fmt.Sprintf("start %s tz %s target days %d", start.Format(time.RFC3339), tz, targetDays)

				due, err := Compute(start, p)
				require.NoError(t, err, where)
				again, err := Compute(start, p)
				require.NoError(t, err, where)
				require.Equal(t, due, again, where)

				local := DateOf(start.In(mustZone(tz)))
				require.Equal(t, local, due.LocalDate, where)

				// Every due date is a working day.
				for _, dd := range []Date{due.Target, due.Legal, due.Extended} {
					require.True(t, c.IsWorkday(dd), "%s is not a working day (%s)", dd, where)
				}
				// Order and distances.
				require.True(t, due.Target.After(local), where)
				require.False(t, due.Target.After(due.Legal), where)
				require.False(t, due.Extended.Before(due.Legal), where)
				require.GreaterOrEqual(t, local.DaysUntil(due.Legal), 28, where)
				require.GreaterOrEqual(t, local.DaysUntil(due.Extended), 89, where)
				if targetDays == 0 {
					// The default target never needs the cap.
					require.Equal(t, c.AddWorkdays(local, DefaultTargetDays), due.Target, where)
					require.Equal(t, DefaultTargetDays, c.WorkdaysBetween(local, due.Target), where)
				}
				// Legal and extended are the first working day on or after
				// the month anniversary.
				for _, pair := range [][2]Date{{local.AddMonths(1), due.Legal}, {local.AddMonths(3), due.Extended}} {
					raw, got := pair[0], pair[1]
					require.False(t, got.Before(raw), where)
					for x := raw; x.Before(got); x = x.AddDays(1) {
						require.False(t, c.IsWorkday(x), where)
					}
				}

				// Pauses: dates move by at least the days paused, stay working
				// days and keep their order; pauses add up.
				k := 1 + rng.IntN(20)
				shifted, err := due.Shift(k)
				require.NoError(t, err, where)
				require.Equal(t, k, shifted.PausedDays, where)
				for _, pair := range [][2]Date{{due.Target, shifted.Target}, {due.Legal, shifted.Legal}, {due.Extended, shifted.Extended}} {
					require.GreaterOrEqual(t, pair[0].DaysUntil(pair[1]), k, where)
					require.True(t, c.IsWorkday(pair[1]), where)
				}
				require.False(t, shifted.Target.After(shifted.Legal), where)
				require.False(t, shifted.Extended.Before(shifted.Legal), where)
				j := rng.IntN(k + 1)
				first, err := due.Shift(j)
				require.NoError(t, err, where)
				second, err := first.Shift(k - j)
				require.NoError(t, err, where)
				require.Equal(t, shifted, second, where)
			}
		})
	}
}

// TestWorkdayProperties walks every day of 2020-2035 for every country:
// weekends are never working days, RollForward lands on the first working
// day, AddWorkdays and WorkdaysBetween agree, and every year has a sane
// number of working days.
func TestWorkdayProperties(t *testing.T) {
	t.Parallel()
	for _, code := range Countries() {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			c := mustCalendar(t, code)
			for year := 2020; year <= 2035; year++ {
				n := 0
				for x := NewDate(year, time.January, 1); x.Year == year; x = x.AddDays(1) {
					wd := c.IsWorkday(x)
					if wd {
						n++
					}
					if w := x.Weekday(); w == time.Saturday || w == time.Sunday {
						require.False(t, wd, "%s %s", code, x)
					}
					r := c.RollForward(x)
					require.True(t, c.IsWorkday(r))
					require.Equal(t, wd, r == x)
					next := c.AddWorkdays(x, 1)
					require.Equal(t, c.RollForward(x.AddDays(1)), next)
					require.Equal(t, 1, c.WorkdaysBetween(x, next))
				}
				require.Greater(t, n, 230, "%s %d: only %d working days", code, year, n)
				require.LessOrEqual(t, n, 262, "%s %d", code, year)
			}
		})
	}
}
