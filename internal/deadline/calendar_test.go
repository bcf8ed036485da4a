package deadline

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mustCalendar(t *testing.T, country string) *Calendar {
	t.Helper()
	c, err := CalendarFor(country)
	require.NoError(t, err)
	return c
}

func TestCountries(t *testing.T) {
	t.Parallel()
	got := Countries()
	require.True(t, slices.IsSorted(got))
	// Every EU and EEA country, GB, CH and the us/apac countries a tenant
	// may pick, except CY, LI and SG, whose official dates are not
	// confirmed here (see calendars).
	required := []string{
		"AT", "BE", "BG", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR",
		"HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE",
		"SI", "SK", "IS", "NO", "GB", "CH", "US", "CA", "AU", "NZ", "JP", "IN", "BR",
	}
	for _, code := range required {
		require.Contains(t, got, code)
	}
	got[0] = "mutated"
	require.NotEqual(t, "mutated", Countries()[0], "Countries must return a copy")
}

func TestCalendarForErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		country string
		wantErr string
	}{
		{name: "unknown", country: "XX", wantErr: `deadline: unknown country "XX"`},
		{name: "empty", country: "", wantErr: `deadline: unknown country ""`},
		{name: "not alpha-2", country: "FRA", wantErr: `deadline: unknown country "FRA"`},
		{name: "not confirmed", country: "CY", wantErr: `deadline: unknown country "CY"`},
		{name: "lunar dates not confirmed", country: "SG", wantErr: `deadline: unknown country "SG"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := CalendarFor(tc.country)
			require.Nil(t, c)
			require.ErrorIs(t, err, ErrUnknownCountry)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestCalendarForNormalizesCase(t *testing.T) {
	t.Parallel()
	c, err := CalendarFor(" gb ")
	require.NoError(t, err)
	require.Equal(t, "GB", c.Country())
	require.Same(t, mustCalendar(t, "GB"), c)
}

func TestIsWorkday(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		country string
		date    string
		want    bool
	}{
		{name: "plain weekday", country: "FR", date: "2026-03-11", want: true},
		{name: "saturday", country: "FR", date: "2026-03-14", want: false},
		{name: "sunday", country: "FR", date: "2026-03-15", want: false},
		{name: "FR bastille day", country: "FR", date: "2026-07-14", want: false},
		{name: "FR whit monday", country: "FR", date: "2026-05-25", want: false},

		// Observed substitutes.
		{name: "US july 4 on saturday observed friday", country: "US", date: "2026-07-03", want: false},
		{name: "US monday after july 4 saturday is a workday", country: "US", date: "2026-07-06", want: true},
		{name: "US july 4 2027 sunday observed monday", country: "US", date: "2027-07-05", want: false},
		{name: "US new year 2028 saturday observed fri 31 dec 2027", country: "US", date: "2027-12-31", want: false},
		{name: "GB christmas 2027 saturday observed monday", country: "GB", date: "2027-12-27", want: false},
		{name: "GB boxing day 2027 sunday observed tuesday", country: "GB", date: "2027-12-28", want: false},
		{name: "GB after substitutes", country: "GB", date: "2027-12-29", want: true},
		{name: "GB christmas 2022 sunday observed tuesday", country: "GB", date: "2022-12-27", want: false},
		{name: "GB new year 2028 saturday observed monday", country: "GB", date: "2028-01-03", want: false},
		{name: "GB summer bank holiday england", country: "GB", date: "2026-08-31", want: false},
		// rickar/cal v2.1.13 lists no weekend substitutes for Ireland.
		{name: "IE christmas 2027 saturday: no substitute in rickar", country: "IE", date: "2027-12-27", want: true},
		{name: "IE st patricks", country: "IE", date: "2026-03-17", want: false},
		{name: "AU boxing day 2026 saturday observed monday", country: "AU", date: "2026-12-28", want: false},
		{name: "NL kings day", country: "NL", date: "2026-04-27", want: false},
		{name: "NL liberation day", country: "NL", date: "2026-05-05", want: false},

		// Nationwide only.
		{name: "DE epiphany is regional", country: "DE", date: "2026-01-06", want: true},
		{name: "DE corpus christi is regional", country: "DE", date: "2026-06-04", want: true},
		{name: "DE reformation day is regional", country: "DE", date: "2025-10-31", want: true},
		{name: "DE unity day", country: "DE", date: "2025-10-03", want: false},
		{name: "ES epiphany is national", country: "ES", date: "2026-01-06", want: false},
		{name: "CH august 1", country: "CH", date: "2025-08-01", want: false},
		{name: "CH ascension", country: "CH", date: "2026-05-14", want: false},
		{name: "CH josefstag is cantonal", country: "CH", date: "2026-03-19", want: true},
		{name: "CH corpus christi is cantonal", country: "CH", date: "2026-06-04", want: true},
		{name: "AU australia day", country: "AU", date: "2026-01-26", want: false},
		{name: "AU anzac day on a friday in every state", country: "AU", date: "2025-04-25", want: false},
		{name: "AU melbourne cup is victorian", country: "AU", date: "2025-11-04", want: true},
		{name: "AU kings birthday differs by state", country: "AU", date: "2026-06-08", want: true},

		// Outside the precomputed table.
		{name: "far future christmas", country: "FR", date: "2199-12-25", want: false},
		{name: "far future weekday", country: "FR", date: "2199-12-24", want: true},
		{name: "far past US new year observed", country: "US", date: "1982-12-31", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, mustCalendar(t, tc.country).IsWorkday(d(tc.date)))
		})
	}
}

func TestHolidayName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		country  string
		date     string
		wantName string
		wantOK   bool
	}{
		{name: "US observed independence day", country: "US", date: "2026-07-03", wantName: "Independence Day", wantOK: true},
		{name: "US actual saturday is not the observed day", country: "US", date: "2026-07-04"},
		{name: "DE", country: "DE", date: "2026-10-03", wantName: "Tag der Deutschen Einheit", wantOK: true},
		{name: "plain day", country: "DE", date: "2026-10-05"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name, ok := mustCalendar(t, tc.country).Holiday(d(tc.date))
			require.Equal(t, tc.wantOK, ok)
			require.Equal(t, tc.wantName, name)
		})
	}
}

func TestAddWorkdays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		country string
		from    string
		n       int
		want    string
	}{
		{name: "zero", country: "FR", from: "2026-03-14", n: 0, want: "2026-03-14"},
		{name: "within week", country: "FR", from: "2026-03-09", n: 4, want: "2026-03-13"},
		{name: "over weekend", country: "FR", from: "2026-03-12", n: 4, want: "2026-03-18"},
		{name: "from saturday", country: "FR", from: "2026-03-14", n: 1, want: "2026-03-16"},
		{name: "over easter", country: "DE", from: "2026-04-02", n: 1, want: "2026-04-07"},
		{name: "over christmas and new year", country: "DE", from: "2026-12-24", n: 4, want: "2026-12-31"},
		{name: "backwards", country: "FR", from: "2026-03-16", n: -1, want: "2026-03-13"},
		{name: "backwards over holiday", country: "DE", from: "2026-04-07", n: -1, want: "2026-04-02"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := mustCalendar(t, tc.country)
			got := c.AddWorkdays(d(tc.from), tc.n)
			require.Equal(t, tc.want, got.String())
			require.Equal(t, tc.n, c.WorkdaysBetween(d(tc.from), got))
		})
	}
}

func TestRollForward(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		country string
		from    string
		want    string
	}{
		{name: "workday stays", country: "GB", from: "2026-03-11", want: "2026-03-11"},
		{name: "saturday", country: "GB", from: "2026-03-14", want: "2026-03-16"},
		{name: "christmas 2027 substitutes", country: "GB", from: "2027-12-25", want: "2027-12-29"},
		{name: "good friday to tuesday", country: "GB", from: "2026-04-03", want: "2026-04-07"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, mustCalendar(t, tc.country).RollForward(d(tc.from)).String())
		})
	}
}

func TestWorkdaysBetween(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		from, to string
		want     int
	}{
		{name: "same day", from: "2026-03-11", to: "2026-03-11", want: 0},
		{name: "one week", from: "2026-03-09", to: "2026-03-16", want: 5},
		{name: "reversed", from: "2026-03-16", to: "2026-03-09", want: -5},
		{name: "easter week", from: "2026-03-30", to: "2026-04-06", want: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, mustCalendar(t, "DE").WorkdaysBetween(d(tc.from), d(tc.to)))
		})
	}
}

// rickar computes in cal.DefaultLoc; where midnight does not exist (DST
// starting at 00:00) Go yields 23:00 the day before. nearestDay undoes it.
func TestNearestDay(t *testing.T) {
	t.Parallel()
	sp := mustZone("America/Sao_Paulo")
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{name: "missing midnight", in: time.Date(2018, 11, 4, 0, 0, 0, 0, sp), want: "2018-11-04"},
		{name: "normal midnight", in: time.Date(2018, 11, 5, 0, 0, 0, 0, sp), want: "2018-11-05"},
		{name: "utc midnight", in: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), want: "2026-01-01"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, nearestDay(tc.in).String())
		})
	}
}

// Calendars are shared; concurrent first use (table build) and concurrent
// lookups must be safe (run with -race). JP's rickar definitions write to
// their argument, which observedDate must isolate.
func TestCalendarConcurrentUse(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	results := make([][]bool, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := CalendarFor("JP")
			if err != nil {
				return
			}
			// 2026 is in the precomputed table, 2199 is computed per call.
			for _, year := range []int{2026, 2199} {
				for day := NewDate(year, time.January, 1); day.Year == year; day = day.AddDays(1) {
					results[i] = append(results[i], c.IsWorkday(day))
				}
			}
		}()
	}
	wg.Wait()
	for i := range results {
		require.Equal(t, results[0], results[i])
	}
	require.Len(t, results[0], 365+365)
}
