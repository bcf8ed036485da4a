package deadline

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func instant(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Lawyer edge cases. Each row states why the expected dates are what they are.
func TestComputeEdgeCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                    string
		start                   string
		policy                  Policy
		local                   string
		target, legal, extended string
	}{
		{
			name:  "received on the 31st: jan 31 to end of feb",
			start: "2025-01-31T10:00:00Z", policy: Policy{Country: "FR", TZ: "Europe/Paris"},
			local:  "2025-01-31",
			target: "2025-02-06", legal: "2025-02-28", extended: "2025-04-30",
		},
		{
			name:  "received on the 31st: mar 31 to apr 30",
			start: "2025-03-31T10:00:00Z", policy: Policy{Country: "FR", TZ: "Europe/Paris"},
			local:  "2025-03-31",
			target: "2025-04-04", legal: "2025-04-30", extended: "2025-06-30",
		},
		{
			name:  "jan 31 with feb 28 on a saturday rolls to monday",
			start: "2026-01-31T10:00:00Z", policy: Policy{Country: "FR", TZ: "Europe/Paris"},
			local:  "2026-01-31",
			target: "2026-02-05", legal: "2026-03-02", extended: "2026-04-30",
		},
		{
			// 14 July is a holiday: the count starts on the next days anyway.
			name:  "received on a holiday",
			start: "2026-07-14T10:00:00Z", policy: Policy{Country: "FR", TZ: "Europe/Paris"},
			local:  "2026-07-14",
			target: "2026-07-20", legal: "2026-08-14", extended: "2026-10-14",
		},
		{
			// Saturday: Mon-Thu are working days 1-4; 14 June is a Sunday.
			name:  "received on a weekend",
			start: "2026-03-14T10:00:00Z", policy: Policy{Country: "DE", TZ: "Europe/Berlin"},
			local:  "2026-03-14",
			target: "2026-03-19", legal: "2026-04-14", extended: "2026-06-15",
		},
		{
			// 23:30Z is 01:30 on Thursday 15 January in Helsinki.
			name:  "late evening utc already tomorrow in helsinki",
			start: "2026-01-14T23:30:00Z", policy: Policy{Country: "SE", TZ: "Europe/Helsinki"},
			local:  "2026-01-15",
			target: "2026-01-21", legal: "2026-02-16", extended: "2026-04-15",
		},
		{
			name:  "same instant read in utc is still wednesday",
			start: "2026-01-14T23:30:00Z", policy: Policy{Country: "SE", TZ: "UTC"},
			local:  "2026-01-14",
			target: "2026-01-20", legal: "2026-02-16", extended: "2026-04-14",
		},
		{
			// 03:00Z is 22:00 on Sunday 1 March in New York.
			name:  "early utc still the previous day in new york",
			start: "2026-03-02T03:00:00Z", policy: Policy{Country: "US", TZ: "America/New_York"},
			local:  "2026-03-01",
			target: "2026-03-05", legal: "2026-04-01", extended: "2026-06-01",
		},
		{
			// 4 July 2026 is a Saturday, observed Friday 3 July.
			name:  "US july 4 on saturday observed friday",
			start: "2026-06-03T15:00:00Z", policy: Policy{Country: "US", TZ: "America/Chicago"},
			local:  "2026-06-03",
			target: "2026-06-09", legal: "2026-07-06", extended: "2026-09-03",
		},
		{
			// Christmas 2027 Saturday -> Monday 27, Boxing Day Sunday -> Tuesday 28.
			name:  "GB christmas on a weekend: substitute days",
			start: "2027-11-27T10:00:00Z", policy: Policy{Country: "GB", TZ: "Europe/London"},
			local:  "2027-11-27",
			target: "2027-12-02", legal: "2027-12-29", extended: "2028-02-28",
		},
		{
			// rickar/cal v2.1.13 lists no substitute days for IE: Monday 27
			// December 2027 is a working day there.
			name:  "IE christmas on a weekend: rickar has no substitute",
			start: "2027-11-27T10:00:00Z", policy: Policy{Country: "IE", TZ: "Europe/Dublin"},
			local:  "2027-11-27",
			target: "2027-12-02", legal: "2027-12-27", extended: "2028-02-28",
		},
		{
			// Extended: 29 April 2028 is a Saturday, 1 May a holiday.
			name:  "leap year jan 29 to feb 29",
			start: "2028-01-29T10:00:00Z", policy: Policy{Country: "FR", TZ: "Europe/Paris"},
			local:  "2028-01-29",
			target: "2028-02-03", legal: "2028-02-29", extended: "2028-05-02",
		},
		{
			// Extended: 30 April 2028 is a Sunday, 1 May a holiday.
			name:  "leap year jan 30 to feb 29",
			start: "2028-01-30T10:00:00Z", policy: Policy{Country: "FR", TZ: "Europe/Paris"},
			local:  "2028-01-30",
			target: "2028-02-03", legal: "2028-02-29", extended: "2028-05-02",
		},
		{
			// Extended: 30 April 2028 is a Sunday, 1 May a holiday.
			name:  "leap year jan 31 to feb 29",
			start: "2028-01-31T10:00:00Z", policy: Policy{Country: "FR", TZ: "Europe/Paris"},
			local:  "2028-01-31",
			target: "2028-02-04", legal: "2028-02-29", extended: "2028-05-02",
		},
		{
			name:  "leap day receipt",
			start: "2028-02-29T10:00:00Z", policy: Policy{Country: "FR", TZ: "Europe/Paris"},
			local:  "2028-02-29",
			target: "2028-03-06", legal: "2028-03-29", extended: "2028-05-29",
		},
		{
			name:  "nov 30 extended to leap feb 29",
			start: "2027-11-30T10:00:00Z", policy: Policy{Country: "FR", TZ: "Europe/Paris"},
			local:  "2027-11-30",
			target: "2027-12-06", legal: "2027-12-30", extended: "2028-02-29",
		},
		{
			name:  "custom target days",
			start: "2026-03-09T10:00:00Z", policy: Policy{Country: "FR", TZ: "Europe/Paris", TargetDays: 10},
			local:  "2026-03-09",
			target: "2026-03-23", legal: "2026-04-09", extended: "2026-06-09",
		},
		{
			name:  "target capped at the legal deadline",
			start: "2026-03-09T10:00:00Z", policy: Policy{Country: "FR", TZ: "Europe/Paris", TargetDays: 40},
			local:  "2026-03-09",
			target: "2026-04-09", legal: "2026-04-09", extended: "2026-06-09",
		},
		{
			name:  "lower-case country",
			start: "2026-03-09T10:00:00Z", policy: Policy{Country: "fr", TZ: "Europe/Paris"},
			local:  "2026-03-09",
			target: "2026-03-13", legal: "2026-04-09", extended: "2026-06-09",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			due, err := Compute(instant(tc.start), tc.policy)
			require.NoError(t, err)
			require.Equal(t, tc.local, due.LocalDate.String(), "local date")
			require.Equal(t, tc.target, due.Target.String(), "target")
			require.Equal(t, tc.legal, due.Legal.String(), "legal")
			require.Equal(t, tc.extended, due.Extended.String(), "extended")
		})
	}
}

func TestComputeNormalizesPolicy(t *testing.T) {
	t.Parallel()
	due, err := Compute(instant("2026-03-09T10:00:00Z"), Policy{Country: "fr", TZ: "Europe/Paris"})
	require.NoError(t, err)
	require.Equal(t, Policy{Country: "FR", TZ: "Europe/Paris", TargetDays: DefaultTargetDays}, due.Policy)
	require.Equal(t, instant("2026-03-09T10:00:00Z"), due.Start)
	require.Zero(t, due.PausedDays)
}

// The clock starts when identity verification completes: the dates are
// those of a request received at the verification instant.
func TestClockStartsAtVerification(t *testing.T) {
	t.Parallel()
	p := Policy{Country: "FR", TZ: "Europe/Paris"}
	received, err := Compute(instant("2026-03-02T09:00:00Z"), p)
	require.NoError(t, err)
	verified, err := Compute(instant("2026-03-10T15:00:00Z"), p)
	require.NoError(t, err)

	require.Equal(t, "2026-03-06", received.Target.String())
	require.Equal(t, "2026-03-10", verified.LocalDate.String())
	require.Equal(t, Dates{Target: d("2026-03-16"), Legal: d("2026-04-10"), Extended: d("2026-06-10")}, verified.Dates)
}

func TestPause(t *testing.T) {
	t.Parallel()
	p := Policy{Country: "FR", TZ: "Europe/Paris"}
	base, err := Compute(instant("2026-03-10T15:00:00Z"), p)
	require.NoError(t, err)
	require.Equal(t, Dates{Target: d("2026-03-16"), Legal: d("2026-04-10"), Extended: d("2026-06-10")}, base.Dates)

	tests := []struct {
		name            string
		paused, resumed string
		wantDays        int
		want            Dates
	}{
		{
			// Target 16 Mar + 5 = Saturday 21 -> Monday 23; legal 10 Apr + 5 =
			// Wednesday 15; extended 10 Jun + 5 = Monday 15.
			name: "five days", paused: "2026-03-12T10:00:00Z", resumed: "2026-03-17T08:00:00Z",
			wantDays: 5,
			want:     Dates{Target: d("2026-03-23"), Legal: d("2026-04-15"), Extended: d("2026-06-15")},
		},
		{
			name: "same local day is zero days", paused: "2026-03-12T06:00:00Z", resumed: "2026-03-12T20:00:00Z",
			wantDays: 0,
			want:     base.Dates,
		},
		{
			// 22:30Z and 23:30Z are 23:30 on the 12th and 00:30 on the 13th in Paris.
			name: "local midnight crossing is one day", paused: "2026-03-12T22:30:00Z", resumed: "2026-03-12T23:30:00Z",
			wantDays: 1,
			want:     Dates{Target: d("2026-03-17"), Legal: d("2026-04-13"), Extended: d("2026-06-11")},
		},
		{
			// Legal 10 Apr + 3 = Monday 13; target 16 Mar + 3 = Thursday 19.
			name: "three days", paused: "2026-03-11T10:00:00Z", resumed: "2026-03-14T10:00:00Z",
			wantDays: 3,
			want:     Dates{Target: d("2026-03-19"), Legal: d("2026-04-13"), Extended: d("2026-06-15")},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := base.Pause(instant(tc.paused), instant(tc.resumed))
			require.NoError(t, err)
			require.Equal(t, tc.wantDays, got.PausedDays)
			require.Equal(t, tc.want, got.Dates)
			require.Equal(t, base.LocalDate, got.LocalDate, "the start does not move")

			shifted, err := base.Shift(tc.wantDays)
			require.NoError(t, err)
			require.Equal(t, got, shifted, "Pause is Shift by the local days paused")
		})
	}

	t.Run("pauses accumulate", func(t *testing.T) {
		t.Parallel()
		once, err := base.Shift(2)
		require.NoError(t, err)
		twice, err := once.Shift(3)
		require.NoError(t, err)
		five, err := base.Shift(5)
		require.NoError(t, err)
		// After 2 days the legal deadline is Sunday 12 April rolled to
		// Monday 13; the next 3 days count from the unpaused 10 April.
		require.Equal(t, "2026-04-13", once.Legal.String())
		require.Equal(t, 5, twice.PausedDays)
		require.Equal(t, five, twice)
		require.Equal(t, "2026-04-15", twice.Legal.String())
	})
}

func TestDueJSON(t *testing.T) {
	t.Parallel()
	due, err := Compute(instant("2026-11-30T10:00:00Z"), Policy{Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)

	tests := []struct {
		name string
		got  func() ([]byte, error)
		want string
	}{
		{
			name: "cli output",
			got:  due.JSON,
			want: `{"target_due":"2026-12-04","legal_due":"2026-12-30","extended_due":"2027-03-01"}`,
		},
		{
			name: "full state",
			got:  func() ([]byte, error) { return json.Marshal(due) },
			want: `{"policy":{"country":"FR","tz":"Europe/Paris","target_days":4},` +
				`"start":"2026-11-30T10:00:00Z","local_date":"2026-11-30","paused_days":0,` +
				`"target_due":"2026-12-04","legal_due":"2026-12-30","extended_due":"2027-03-01"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := tc.got()
			require.NoError(t, err)
			require.Equal(t, tc.want, string(b))
		})
	}

	t.Run("round trip", func(t *testing.T) {
		t.Parallel()
		b, err := json.Marshal(due)
		require.NoError(t, err)
		var back Due
		require.NoError(t, json.Unmarshal(b, &back))
		require.True(t, due.Start.Equal(back.Start))
		back.Start = due.Start
		require.Equal(t, due, back)
	})
}

func TestErrors(t *testing.T) {
	t.Parallel()
	ok := Policy{Country: "FR", TZ: "Europe/Paris"}
	start := instant("2026-03-10T15:00:00Z")
	base, err := Compute(start, ok)
	require.NoError(t, err)

	tests := []struct {
		name    string
		run     func() error
		wantIs  error
		wantMsg string
	}{
		{
			name:   "unknown country",
			run:    func() error { _, err := Compute(start, Policy{Country: "XX", TZ: "Europe/Paris"}); return err },
			wantIs: ErrUnknownCountry, wantMsg: `deadline: unknown country "XX"`,
		},
		{
			name:   "unknown zone",
			run:    func() error { _, err := Compute(start, Policy{Country: "FR", TZ: "Europe/Atlantis"}); return err },
			wantIs: ErrUnknownTimeZone, wantMsg: `deadline: unknown time zone "Europe/Atlantis"`,
		},
		{
			name:   "empty zone is not UTC",
			run:    func() error { _, err := Compute(start, Policy{Country: "FR"}); return err },
			wantIs: ErrUnknownTimeZone, wantMsg: `deadline: unknown time zone ""`,
		},
		{
			name:   "host zone is not allowed",
			run:    func() error { _, err := Compute(start, Policy{Country: "FR", TZ: "Local"}); return err },
			wantIs: ErrUnknownTimeZone, wantMsg: `deadline: unknown time zone "Local"`,
		},
		{
			name: "negative target days",
			run: func() error {
				_, err := Compute(start, Policy{Country: "FR", TZ: "Europe/Paris", TargetDays: -1})
				return err
			},
			wantIs: ErrInvalid, wantMsg: "target days -1 is negative",
		},
		{
			name:   "validate negative target days",
			run:    func() error { return Policy{Country: "FR", TZ: "Europe/Paris", TargetDays: -3}.Validate() },
			wantIs: ErrInvalid, wantMsg: "target days -3 is negative",
		},
		{
			name:   "validate unknown country",
			run:    func() error { return Policy{Country: "ZZ", TZ: "UTC"}.Validate() },
			wantIs: ErrUnknownCountry, wantMsg: `unknown country "ZZ"`,
		},
		{
			name:   "zero start",
			run:    func() error { _, err := Compute(time.Time{}, ok); return err },
			wantIs: ErrInvalid, wantMsg: "zero start instant",
		},
		{
			name:   "negative shift",
			run:    func() error { _, err := base.Shift(-1); return err },
			wantIs: ErrInvalid, wantMsg: "-1 days is negative",
		},
		{
			name: "resume before pause",
			run: func() error {
				_, err := base.Pause(instant("2026-03-12T10:00:00Z"), instant("2026-03-11T10:00:00Z"))
				return err
			},
			wantIs: ErrInvalid, wantMsg: "resumed 2026-03-11T10:00:00Z before paused 2026-03-12T10:00:00Z",
		},
		{
			name:   "shift of a zero Due",
			run:    func() error { _, err := Due{}.Shift(1); return err },
			wantIs: ErrInvalid, wantMsg: "zero start instant",
		},
		{
			name: "shift with an unknown country",
			run: func() error {
				bad := base
				bad.Policy.Country = "QQ"
				_, err := bad.Shift(1)
				return err
			},
			wantIs: ErrUnknownCountry, wantMsg: `unknown country "QQ"`,
		},
		{
			name: "pause with an unknown zone",
			run: func() error {
				bad := base
				bad.Policy.TZ = "Mars/Olympus_Mons"
				_, err := bad.Pause(start, start)
				return err
			},
			wantIs: ErrUnknownTimeZone, wantMsg: `"Mars/Olympus_Mons"`,
		},
		{
			name:   "local date with unknown zone",
			run:    func() error { _, err := Policy{TZ: "Nowhere/Special"}.LocalDate(start); return err },
			wantIs: ErrUnknownTimeZone, wantMsg: `"Nowhere/Special"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.run()
			require.ErrorIs(t, err, tc.wantIs)
			require.ErrorContains(t, err, tc.wantMsg)
		})
	}

	require.NoError(t, ok.Validate())
	local, err := ok.LocalDate(instant("2026-03-10T23:30:00Z"))
	require.NoError(t, err)
	require.Equal(t, "2026-03-11", local.String())
}
