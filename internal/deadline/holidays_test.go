package deadline

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// officialHolidays are the official national public holidays of 2026 and
// 2027 per country, as "MM-DD" on their observed dates (substitutes where
// the country's law moves a weekend holiday), written out from each
// country's official list (the source is named above each). Sundays are
// left out: no country works them, and the lists differ only on whether
// they name Sunday feasts (Easter Sunday, Whit Sunday).
//
// Easter Sunday is 5 April 2026 and 28 March 2027 (Orthodox: 12 April 2026,
// 2 May 2027).
//
// Not here: GR (Labour Day 2027 falls on Orthodox Holy Saturday and its
// moved date is not yet decreed), SK (whether 17 November stays a day off
// after the 2025 consolidation package is not confirmed), and AR, MW, NC,
// RU, UA, ZA (kept from rickar/cal, outside the regions dsr serves).
var officialHolidays = map[string]map[int][]string{
	// Feiertagsruhegesetz / ARG § 7: 13 holidays, none moved.
	"AT": {
		2026: {"01-01", "01-06", "04-06", "05-01", "05-14", "05-25", "06-04", "08-15", "10-26", "12-08", "12-25", "12-26"},
		2027: {"01-01", "01-06", "03-29", "05-01", "05-06", "05-17", "05-27", "10-26", "11-01", "12-08", "12-25"},
	},
	// Holidays in every state and territory (fairwork.gov.au lists): New Year,
	// Australia Day, Good Friday, Easter Monday, Christmas, Boxing Day (2026: 26
	// Dec a Saturday, Monday 28 in every state; 2027: Christmas Saturday and
	// Boxing Day Sunday, Monday 27 and Tuesday 28). Anzac Day 2026/2027 falls on
	// a weekend and only some states add a Monday.
	"AU": {
		2026: {"01-01", "01-26", "04-03", "04-06", "12-25", "12-28"},
		2027: {"01-01", "01-26", "03-26", "03-29", "12-27", "12-28"},
	},
	// Loi du 4 janvier 1974: 10 holidays, none moved.
	"BE": {
		2026: {"01-01", "04-06", "05-01", "05-14", "05-25", "07-21", "08-15", "11-11", "12-25"},
		2027: {"01-01", "03-29", "05-01", "05-06", "05-17", "07-21", "11-01", "11-11", "12-25"},
	},
	// Кодекс на труда чл. 154: a holiday on a Saturday or Sunday moves to the
	// next working day (2026: 24 May to 25 May, 6 Sep to 7 Sep, 26 Dec to 28
	// Dec; 2027: 1 May to 4 May (3 May is Easter Monday), 25/26 Dec to 27/28
	// Dec); Orthodox Easter 12 April 2026, 2 May 2027.
	"BG": {
		2026: {"01-01", "03-03", "04-10", "04-13", "05-01", "05-06", "05-25", "09-07", "09-22", "12-24", "12-25", "12-28"},
		2027: {"01-01", "03-03", "04-30", "05-03", "05-04", "05-06", "05-24", "09-06", "09-22", "12-24", "12-27", "12-28"},
	},
	// Feriados nacionais of the federal portaria: Carnival and Corpus Christi
	// are pontos facultativos; 20 November national since 2024.
	"BR": {
		2026: {"01-01", "04-03", "04-21", "05-01", "09-07", "10-12", "11-02", "11-20", "12-25"},
		2027: {"01-01", "03-26", "04-21", "05-01", "09-07", "10-12", "11-02", "11-15", "11-20", "12-25"},
	},
	// Canada Labour Code s. 166 general holidays, federal observance (Boxing Day
	// 2026 Saturday to Monday 28; Christmas 2027 Saturday to Monday 27, Boxing
	// Day to Tuesday 28).
	"CA": {
		2026: {"01-01", "04-03", "05-18", "07-01", "09-07", "09-30", "10-12", "11-11", "12-25", "12-28"},
		2027: {"01-01", "03-26", "05-24", "07-01", "09-06", "09-30", "10-11", "11-11", "12-27", "12-28"},
	},
	// Holidays of every canton: New Year, Ascension, 1 August (a weekend day in
	// both years), Christmas.
	"CH": {
		2026: {"01-01", "05-14", "08-01", "12-25"},
		2027: {"01-01", "05-06", "12-25"},
	},
	// Zákon 245/2000 Sb.
	"CZ": {
		2026: {"01-01", "04-03", "04-06", "05-01", "05-08", "07-06", "09-28", "10-28", "11-17", "12-24", "12-25", "12-26"},
		2027: {"01-01", "03-26", "03-29", "05-01", "05-08", "07-05", "07-06", "09-28", "10-28", "11-17", "12-24", "12-25"},
	},
	// The nine holidays of every Land.
	"DE": {
		2026: {"01-01", "04-03", "04-06", "05-01", "05-14", "05-25", "10-03", "12-25", "12-26"},
		2027: {"01-01", "03-26", "03-29", "05-01", "05-06", "05-17", "12-25"},
	},
	// Helligdage (borger.dk); Grundlovsdag is not one.
	"DK": {
		2026: {"01-01", "04-02", "04-03", "04-06", "05-14", "05-25", "12-25", "12-26"},
		2027: {"01-01", "03-25", "03-26", "03-29", "05-06", "05-17", "12-25"},
	},
	// Pühade ja tähtpäevade seadus § 2.
	"EE": {
		2026: {"01-01", "02-24", "04-03", "05-01", "06-23", "06-24", "08-20", "12-24", "12-25", "12-26"},
		2027: {"01-01", "02-24", "03-26", "05-01", "06-23", "06-24", "08-20", "12-24", "12-25"},
	},
	// Holidays common to all communities (BOE): a community may move a Sunday
	// holiday to Monday, which is regional.
	"ES": {
		2026: {"01-01", "01-06", "04-03", "05-01", "08-15", "10-12", "12-08", "12-25"},
		2027: {"01-01", "01-06", "03-26", "05-01", "10-12", "11-01", "12-06", "12-08", "12-25"},
	},
	// Public holidays plus Midsummer Eve and Christmas Eve (Laki 150/1930 § 5).
	"FI": {
		2026: {"01-01", "01-06", "04-03", "04-06", "05-01", "05-14", "06-19", "06-20", "10-31", "12-24", "12-25", "12-26"},
		2027: {"01-01", "01-06", "03-26", "03-29", "05-01", "05-06", "06-25", "06-26", "11-06", "12-06", "12-24", "12-25"},
	},
	// Code du travail L3133-1.
	"FR": {
		2026: {"01-01", "04-06", "05-01", "05-08", "05-14", "05-25", "07-14", "08-15", "11-11", "12-25"},
		2027: {"01-01", "03-29", "05-01", "05-06", "05-08", "05-17", "07-14", "11-01", "11-11", "12-25"},
	},
	// England and Wales, gov.uk/bank-holidays.
	"GB": {
		2026: {"01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"},
		2027: {"01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"},
	},
	// Zakon o blagdanima (2019).
	"HR": {
		2026: {"01-01", "01-06", "04-06", "05-01", "05-30", "06-04", "06-22", "08-05", "08-15", "11-18", "12-25", "12-26"},
		2027: {"01-01", "01-06", "03-29", "05-01", "05-27", "06-22", "08-05", "11-01", "11-18", "12-25"},
	},
	// Mt. § 102 (1).
	"HU": {
		2026: {"01-01", "04-03", "04-06", "05-01", "05-25", "08-20", "10-23", "12-25", "12-26"},
		2027: {"01-01", "03-15", "03-26", "03-29", "05-01", "05-17", "08-20", "10-23", "11-01", "12-25"},
	},
	// Organisation of Working Time Act 1997, Sch. 2 (Saint Brigid's Day: first
	// Monday of February, or 1 February when a Friday); no weekend substitutes.
	"IE": {
		2026: {"01-01", "02-02", "03-17", "04-06", "05-04", "06-01", "08-03", "10-26", "12-25", "12-26"},
		2027: {"01-01", "02-01", "03-17", "03-29", "05-03", "06-07", "08-02", "10-25", "12-25"},
	},
	// The three national holidays.
	"IN": {
		2026: {"01-26", "08-15", "10-02"},
		2027: {"01-26", "10-02"},
	},
	// Act No. 88/1971; First Day of Summer 23 April 2026, 22 April 2027;
	// Commerce Day 3 August 2026, 2 August 2027.
	"IS": {
		2026: {"01-01", "04-02", "04-03", "04-06", "04-23", "05-01", "05-14", "05-25", "06-17", "08-03", "12-25", "12-26"},
		2027: {"01-01", "03-25", "03-26", "03-29", "04-22", "05-01", "05-06", "05-17", "06-17", "08-02", "12-25"},
	},
	// L. 260/1949 and the 2025 law restoring 4 October (a Sunday in 2026).
	"IT": {
		2026: {"01-01", "01-06", "04-06", "04-25", "05-01", "06-02", "08-15", "12-08", "12-25", "12-26"},
		2027: {"01-01", "01-06", "03-29", "05-01", "06-02", "10-04", "11-01", "12-08", "12-25"},
	},
	// Cabinet Office list: 2026 Constitution Day (3 May, Sunday) substitute 6
	// May, citizens' holiday 22 Sep; 2027 Vernal Equinox 21 March (Sunday)
	// substitute 22 March.
	"JP": {
		2026: {"01-01", "01-12", "02-11", "02-23", "03-20", "04-29", "05-04", "05-05", "05-06", "07-20", "08-11", "09-21", "09-22", "09-23", "10-12", "11-03", "11-23"},
		2027: {"01-01", "01-11", "02-11", "02-23", "03-22", "04-29", "05-03", "05-04", "05-05", "07-19", "08-11", "09-20", "09-23", "10-11", "11-03", "11-23"},
	},
	// Darbo kodeksas, 123 str.
	"LT": {
		2026: {"01-01", "02-16", "03-11", "04-06", "05-01", "06-24", "07-06", "08-15", "11-02", "12-24", "12-25", "12-26"},
		2027: {"01-01", "02-16", "03-11", "03-29", "05-01", "06-24", "07-06", "11-01", "11-02", "12-24", "12-25"},
	},
	// Code du travail L. 232-2.
	"LU": {
		2026: {"01-01", "04-06", "05-01", "05-09", "05-14", "05-25", "06-23", "08-15", "12-25", "12-26"},
		2027: {"01-01", "03-29", "05-01", "05-06", "05-17", "06-23", "11-01", "12-25"},
	},
	// Likums par svētku, atceres un atzīmējamām dienām.
	"LV": {
		2026: {"01-01", "04-03", "04-06", "05-01", "05-04", "06-23", "06-24", "11-18", "12-24", "12-25", "12-26", "12-31"},
		2027: {"01-01", "03-26", "03-29", "05-01", "05-04", "06-23", "06-24", "11-18", "12-24", "12-25", "12-31"},
	},
	// Cap. 252, 14 days, none moved.
	"MT": {
		2026: {"01-01", "02-10", "03-19", "03-31", "04-03", "05-01", "06-29", "08-15", "09-08", "09-21", "12-08", "12-25"},
		2027: {"01-01", "02-10", "03-19", "03-26", "03-31", "05-01", "06-07", "06-29", "09-08", "09-21", "12-08", "12-13", "12-25"},
	},
	// Algemene termijnenwet art. 3.
	"NL": {
		2026: {"01-01", "04-06", "04-27", "05-05", "05-14", "05-25", "12-25", "12-26"},
		2027: {"01-01", "03-29", "04-27", "05-05", "05-06", "05-17", "12-25"},
	},
	// Lov om helligdager og helligdagsfred, and 1 and 17 May (Whit Monday 2027 is 17 May).
	"NO": {
		2026: {"01-01", "04-02", "04-03", "04-06", "05-01", "05-14", "05-25", "12-25", "12-26"},
		2027: {"01-01", "03-25", "03-26", "03-29", "05-01", "05-06", "05-17", "12-25"},
	},
	// Holidays Act 2003 with Mondayisation, Matariki 10 July 2026 and 25 June
	// 2027; Waitangi 2027 (Saturday) on Monday 8 Feb, Anzac 2026 (Saturday) on
	// Monday 27 April, 2027 (Sunday) on Monday 26 April.
	"NZ": {
		2026: {"01-01", "01-02", "02-06", "04-03", "04-06", "04-27", "06-01", "07-10", "10-26", "12-25", "12-28"},
		2027: {"01-01", "01-04", "02-08", "03-26", "03-29", "04-26", "06-07", "06-25", "10-25", "12-27", "12-28"},
	},
	// Ustawa o dniach wolnych od pracy, with 24 December from 2025.
	"PL": {
		2026: {"01-01", "01-06", "04-06", "05-01", "06-04", "08-15", "11-11", "12-24", "12-25", "12-26"},
		2027: {"01-01", "01-06", "03-29", "05-01", "05-03", "05-27", "11-01", "11-11", "12-24", "12-25"},
	},
	// Código do Trabalho art. 234.
	"PT": {
		2026: {"01-01", "04-03", "04-25", "05-01", "06-04", "06-10", "08-15", "10-05", "12-01", "12-08", "12-25"},
		2027: {"01-01", "03-26", "05-01", "05-27", "06-10", "10-05", "11-01", "12-01", "12-08", "12-25"},
	},
	// Codul muncii art. 139, with 6 and 7 January from 2024; Orthodox Easter 12
	// April 2026, 2 May 2027.
	"RO": {
		2026: {"01-01", "01-02", "01-06", "01-07", "01-24", "04-10", "04-13", "05-01", "06-01", "08-15", "11-30", "12-01", "12-25", "12-26"},
		2027: {"01-01", "01-02", "01-06", "01-07", "04-30", "05-01", "05-03", "06-01", "06-21", "11-30", "12-01", "12-25"},
	},
	// Lag (1989:253) om allmänna helgdagar plus the eves of Lag (1930:173);
	// Midsummer Day 20 June 2026, 26 June 2027; All Saints' Day 31 Oct 2026, 6
	// Nov 2027.
	"SE": {
		2026: {"01-01", "01-06", "04-03", "04-06", "05-01", "05-14", "06-06", "06-19", "06-20", "10-31", "12-24", "12-25", "12-26", "12-31"},
		2027: {"01-01", "01-06", "03-26", "03-29", "05-01", "05-06", "06-25", "06-26", "11-06", "12-24", "12-25", "12-31"},
	},
	// Zakon o praznikih in dela prostih dnevih.
	"SI": {
		2026: {"01-01", "01-02", "04-06", "04-27", "05-01", "05-02", "06-25", "08-15", "10-31", "12-25", "12-26"},
		2027: {"01-01", "01-02", "02-08", "03-29", "04-27", "05-01", "06-25", "11-01", "12-25"},
	},
	// 5 U.S.C. 6103 with OPM observance (4 July 2026 Saturday to Friday 3; 2027:
	// 19 June Saturday to 18, 4 July Sunday to 5, Christmas Saturday to 24 Dec,
	// New Year 2028 Saturday to 31 Dec 2027).
	"US": {
		2026: {"01-01", "01-19", "02-16", "05-25", "06-19", "07-03", "09-07", "10-12", "11-11", "11-26", "12-25"},
		2027: {"01-01", "01-18", "02-15", "05-31", "06-18", "07-05", "09-06", "10-11", "11-11", "11-25", "12-24", "12-31"},
	},
}

func TestOfficialHolidays(t *testing.T) {
	t.Parallel()
	for country, years := range officialHolidays {
		for year, want := range years {
			t.Run(fmt.Sprintf("%s/%d", country, year), func(t *testing.T) {
				t.Parallel()
				c := mustCalendar(t, country)
				var got []string
				for d := NewDate(year, time.January, 1); d.Year == year; d = d.AddDays(1) {
					if _, ok := c.Holiday(d); ok && d.Weekday() != time.Sunday {
						got = append(got, fmt.Sprintf("%02d-%02d", d.Month, d.Day))
					}
				}
				require.True(t, slices.IsSorted(want), "expected list must be sorted")
				require.Equal(t, want, got)
			})
		}
	}
}

// rickar computes the JP equinoxes with a formula; they must be the
// official dates of jpEquinoxes in every covered year.
func TestJPEquinoxesMatchTable(t *testing.T) {
	t.Parallel()
	c := mustCalendar(t, "JP")
	first, last, bounded := c.Years()
	require.True(t, bounded)
	require.Equal(t, [2]int{first, last}, jpYears)
	for year := first; year <= last; year++ {
		for _, md := range jpEquinoxes[year] {
			d := NewDate(year, md.month, md.day)
			name, ok := c.Holiday(d)
			if d.Weekday() == time.Sunday { // observed on the Monday
				name, ok = c.Holiday(d.AddDays(1))
			}
			require.True(t, ok, "%s", d)
			require.Contains(t, name, "Equinox", "%s", d)
		}
	}
}

func TestCovers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		country  string
		from, to string
		wantErr  bool
	}{
		{name: "rule-based country, any year", country: "FR", from: "2199-01-01", to: "2199-12-31"},
		{name: "JP inside", country: "JP", from: "2025-01-01", to: "2030-12-31"},
		{name: "JP after", country: "JP", from: "2030-11-01", to: "2031-02-01", wantErr: true},
		{name: "JP before", country: "JP", from: "2024-12-31", to: "2025-01-31", wantErr: true},
		{name: "NZ inside", country: "NZ", from: "2022-01-01", to: "2030-12-31"},
		{name: "NZ after", country: "NZ", from: "2031-01-01", to: "2031-04-01", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := mustCalendar(t, tc.country).Covers(d(tc.from), d(tc.to))
			if !tc.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrYearNotCovered)
			require.ErrorContains(t, err, tc.country)
		})
	}
}

func TestComputeRefusesUncoveredYears(t *testing.T) {
	t.Parallel()
	// Received in November 2030: the extended deadline is in 2031, whose
	// equinox dates are not listed.
	_, err := Compute(time.Date(2030, 11, 4, 3, 0, 0, 0, time.UTC), Policy{Country: "JP", TZ: "Asia/Tokyo"})
	require.ErrorIs(t, err, ErrYearNotCovered)
	due, err := Compute(time.Date(2030, 9, 2, 3, 0, 0, 0, time.UTC), Policy{Country: "JP", TZ: "Asia/Tokyo"})
	require.NoError(t, err)
	// A pause that pushes the extended deadline into 2031 is refused too.
	_, err = due.Shift(40)
	require.ErrorIs(t, err, ErrYearNotCovered)
}

// Working-day deadlines across holidays of the calendars built here.
func TestNationalDeadlines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		country  string
		tz       string
		received time.Time
		target   string
		legal    string
		extended string
	}{
		// Thu 2 Apr 2026; Good Friday 3, Easter Monday 6: 7, 8, 9, 10.
		{name: "HU easter", country: "HU", tz: "Europe/Budapest",
			received: time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC),
			target:   "2026-04-10", legal: "2026-05-04", extended: "2026-07-02"},
		// Wed 3 Jun 2026; Corpus Christi Thu 4, Dia de Portugal Wed 10:
		// 5, 8, 9, 11. 3 Jul Fri, 3 Sep Thu.
		{name: "PT corpus christi and 10 june", country: "PT", tz: "Europe/Lisbon",
			received: time.Date(2026, 6, 3, 10, 0, 0, 0, time.UTC),
			target:   "2026-06-11", legal: "2026-07-03", extended: "2026-09-03"},
		// Thu 18 Jun 2026; Midsummer Eve Fri 19: 22, 23, 24, 25. 18 Jul is
		// a Saturday: Monday 20 Jul.
		{name: "FI midsummer eve", country: "FI", tz: "Europe/Helsinki",
			received: time.Date(2026, 6, 18, 10, 0, 0, 0, time.UTC),
			target:   "2026-06-25", legal: "2026-07-20", extended: "2026-09-18"},
		// Mon 22 Jun 2026; Victory Day 23, Midsummer 24: 25, 26, 29, 30.
		{name: "EE midsummer", country: "EE", tz: "Europe/Tallinn",
			received: time.Date(2026, 6, 22, 10, 0, 0, 0, time.UTC),
			target:   "2026-06-30", legal: "2026-07-22", extended: "2026-09-22"},
		// Mon 22 Jun 2026; National Day Tue 23: 24, 25, 26, 29.
		{name: "LU national day", country: "LU", tz: "Europe/Luxembourg",
			received: time.Date(2026, 6, 22, 10, 0, 0, 0, time.UTC),
			target:   "2026-06-29", legal: "2026-07-22", extended: "2026-09-22"},
		// Mon 16 Mar 2026; St Joseph Thu 19: 17, 18, 20, 23. 16 Apr Thu;
		// 16 Jun Tue.
		{name: "MT st joseph", country: "MT", tz: "Europe/Malta",
			received: time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC),
			target:   "2026-03-23", legal: "2026-04-16", extended: "2026-06-16"},
		// Tue 21 Apr 2026; First Day of Summer Thu 23: 22, 24, 27, 28.
		{name: "IS first day of summer", country: "IS", tz: "Atlantic/Reykjavik",
			received: time.Date(2026, 4, 21, 10, 0, 0, 0, time.UTC),
			target:   "2026-04-28", legal: "2026-05-21", extended: "2026-07-21"},
		// Thu 1 Oct 2026; Gandhi Jayanti Fri 2: 5, 6, 7, 8. 1 Nov is a
		// Sunday: Monday 2 Nov.
		{name: "IN gandhi jayanti", country: "IN", tz: "Asia/Kolkata",
			received: time.Date(2026, 10, 1, 5, 0, 0, 0, time.UTC),
			target:   "2026-10-08", legal: "2026-11-02", extended: "2027-01-01"},
		// Thu 9 Jul 2026 (NZST); Matariki Fri 10: 13, 14, 15, 16. 9 Aug
		// is a Sunday: Monday 10 Aug.
		{name: "NZ matariki", country: "NZ", tz: "Pacific/Auckland",
			received: time.Date(2026, 7, 8, 22, 0, 0, 0, time.UTC),
			target:   "2026-07-16", legal: "2026-08-10", extended: "2026-10-09"},
		// Thu 19 Nov 2026; Consciência Negra Fri 20: 23, 24, 25, 26.
		{name: "BR consciencia negra", country: "BR", tz: "America/Sao_Paulo",
			received: time.Date(2026, 11, 19, 15, 0, 0, 0, time.UTC),
			target:   "2026-11-26", legal: "2026-12-21", extended: "2027-02-19"},
		// Fri 1 Oct 2027; San Francesco Mon 4: 5, 6, 7, 8.
		{name: "IT san francesco", country: "IT", tz: "Europe/Rome",
			received: time.Date(2027, 10, 1, 10, 0, 0, 0, time.UTC),
			target:   "2027-10-08", legal: "2027-11-02", extended: "2028-01-03"},
		// Wed 23 Dec 2026; Wigilia 24, Christmas 25: 28, 29, 30, 31.
		{name: "PL wigilia", country: "PL", tz: "Europe/Warsaw",
			received: time.Date(2026, 12, 23, 10, 0, 0, 0, time.UTC),
			target:   "2026-12-31", legal: "2027-01-25", extended: "2027-03-23"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			due, err := Compute(tc.received, Policy{Country: tc.country, TZ: tc.tz})
			require.NoError(t, err)
			require.Equal(t, tc.target, due.Target.String(), "target")
			require.Equal(t, tc.legal, due.Legal.String(), "legal")
			require.Equal(t, tc.extended, due.Extended.String(), "extended")
		})
	}
}
