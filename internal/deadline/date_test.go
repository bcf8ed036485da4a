package deadline

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func d(s string) Date {
	v, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Date
		wantErr bool
	}{
		{name: "plain", in: "2026-03-15", want: Date{2026, time.March, 15}},
		{name: "leap day", in: "2028-02-29", want: Date{2028, time.February, 29}},
		{name: "no leap day", in: "2027-02-29", wantErr: true},
		{name: "day 31 in a 30-day month", in: "2026-04-31", wantErr: true},
		{name: "timestamp", in: "2026-03-15T10:00:00Z", wantErr: true},
		{name: "short", in: "2026-3-5", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDate(tc.in)
			if tc.wantErr {
				require.Error(t, err)
				require.Contains(t, err.Error(), "deadline: parse date")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.in, got.String())
		})
	}
}

func TestDateAddMonths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		from   string
		months int
		want   string
	}{
		{name: "same day", from: "2026-03-15", months: 1, want: "2026-04-15"},
		{name: "jan 31 to end of feb", from: "2026-01-31", months: 1, want: "2026-02-28"},
		{name: "jan 31 to leap feb 29", from: "2028-01-31", months: 1, want: "2028-02-29"},
		{name: "jan 29 to leap feb 29", from: "2028-01-29", months: 1, want: "2028-02-29"},
		{name: "jan 29 non-leap", from: "2027-01-29", months: 1, want: "2027-02-28"},
		{name: "mar 31 to apr 30", from: "2026-03-31", months: 1, want: "2026-04-30"},
		{name: "year wrap", from: "2026-12-31", months: 1, want: "2027-01-31"},
		{name: "three months nov 30 to feb", from: "2026-11-30", months: 3, want: "2027-02-28"},
		{name: "three months to leap feb", from: "2027-11-30", months: 3, want: "2028-02-29"},
		{name: "leap day plus twelve", from: "2028-02-29", months: 12, want: "2029-02-28"},
		{name: "negative", from: "2026-03-31", months: -1, want: "2026-02-28"},
		{name: "zero", from: "2026-03-31", months: 0, want: "2026-03-31"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, d(tc.from).AddMonths(tc.months).String())
		})
	}
}

func TestDateArithmetic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  any
		want any
	}{
		{name: "add days across month", got: d("2026-01-30").AddDays(3), want: d("2026-02-02")},
		{name: "add days negative across year", got: d("2026-01-01").AddDays(-1), want: d("2025-12-31")},
		{name: "add days across DST", got: d("2026-03-28").AddDays(2), want: d("2026-03-30")},
		{name: "NewDate normalizes", got: NewDate(2026, time.January, 32), want: d("2026-02-01")},
		{name: "days until", got: d("2026-03-01").DaysUntil(d("2026-04-01")), want: 31},
		{name: "days until leap february", got: d("2028-02-01").DaysUntil(d("2028-03-01")), want: 29},
		{name: "days until negative", got: d("2026-03-05").DaysUntil(d("2026-03-01")), want: -4},
		{name: "weekday", got: d("2026-07-04").Weekday(), want: time.Saturday},
		{name: "compare before", got: d("2026-03-05").Compare(d("2026-04-01")), want: -1},
		{name: "compare after", got: d("2027-01-01").Compare(d("2026-12-31")), want: 1},
		{name: "compare equal", got: d("2026-03-05").Compare(d("2026-03-05")), want: 0},
		{name: "before", got: d("2026-03-05").Before(d("2026-03-06")), want: true},
		{name: "after", got: d("2026-03-05").After(d("2026-03-06")), want: false},
		{name: "zero", got: Date{}.IsZero(), want: true},
		{name: "DateOf uses the instant's zone",
			got:  DateOf(time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC).In(mustZone("Europe/Helsinki"))),
			want: d("2026-03-02")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, tc.got)
		})
	}
}

func TestDateJSON(t *testing.T) {
	t.Parallel()
	type wrap struct {
		D Date  `json:"d"`
		P *Date `json:"p,omitempty"`
	}
	tests := []struct {
		name string
		in   wrap
		json string
	}{
		{name: "date", in: wrap{D: d("2026-02-05")}, json: `{"d":"2026-02-05"}`},
		{name: "zero is empty string", in: wrap{}, json: `{"d":""}`},
		{name: "pointer", in: wrap{D: d("2028-02-29"), P: &Date{2030, time.December, 1}},
			json: `{"d":"2028-02-29","p":"2030-12-01"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tc.in)
			require.NoError(t, err)
			require.JSONEq(t, tc.json, string(b))
			var back wrap
			require.NoError(t, json.Unmarshal(b, &back))
			require.Equal(t, tc.in, back)
		})
	}

	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		var w wrap
		require.Error(t, json.Unmarshal([]byte(`{"d":"2026-02-30"}`), &w))
		require.Error(t, json.Unmarshal([]byte(`{"d":20260205}`), &w))
		_, err := json.Marshal(wrap{D: Date{Year: 10000, Month: 1, Day: 1}})
		require.Error(t, err)
	})
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}
