package deadline

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/ar"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/bg"
	"github.com/rickar/cal/v2/ch"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/gr"
	"github.com/rickar/cal/v2/hr"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/jp"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/lv"
	"github.com/rickar/cal/v2/mw"
	"github.com/rickar/cal/v2/nc"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/nz"
	"github.com/rickar/cal/v2/ru"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/si"
	"github.com/rickar/cal/v2/ua"
	"github.com/rickar/cal/v2/us"
	"github.com/rickar/cal/v2/za"
)

// ErrUnknownCountry is wrapped by errors for a country code that has no
// holiday calendar here.
var ErrUnknownCountry = errors.New("unknown country")

// ErrYearNotCovered is wrapped by errors for a date in a year whose
// holidays a calendar does not know: some holidays follow lunar or
// astronomical calendars and are listed per year, and dates outside the
// list are refused rather than guessed.
var ErrYearNotCovered = errors.New("year not covered by the holiday calendar")

// Holiday tables are precomputed for these years when a country is first
// used; dates outside are computed on each call (same result, slower).
const (
	tableFirstYear = 1990
	tableLastYear  = 2130
)

// Calendar is the working-day calendar of one country: Monday to Friday,
// minus the observed dates of its nationwide public holidays. A Calendar is
// immutable once built and safe for concurrent use.
type Calendar struct {
	code string
	// regions are holiday lists; a date is a holiday when it is an observed
	// holiday in every list (one list for countries with a national list).
	regions [][]*cal.Holiday

	// years, when set, is the first and last year whose holidays are known
	// (lunar or astronomical holidays listed per year); see Covers.
	years [2]int

	once  sync.Once
	table map[Date]string // observed holidays of tableFirstYear..tableLastYear
}

// calendars is built at package initialization and only read afterwards.
//
// Only nationwide public holidays count, as observed (with the country's
// weekend substitution rule where its law has one). Sources:
//
//   - rickar/cal's list (the package variable Holidays, its "standard
//     national holidays") where it matches the official national list:
//     AT, BE, BG, CZ, DE (the nine holidays of every Land), ES, FR, GB
//     (England and Wales, as gov.uk/bank-holidays lists them), GR, HR, IE,
//     LT, LV, NO, SE (with Midsummer, Christmas and New Year's Eve, which
//     the Swedish Lag (1930:173) om beräkning av lagstadgad tid treats as
//     holidays), SI, US (federal holidays, 5 U.S.C. 6103, with OPM's
//     Friday/Monday observance), JP; and AR, MW, NC, RU, UA, ZA (kept, not
//     checked here).
//   - rickar's list corrected to the official one (national.go): BR, CA,
//     DK, IT, NL, PL, RO, SK, and NZ (plus Matariki).
//   - lists built from rickar's primitives (national.go): EE, FI, HU, IN,
//     IS, LU, MT, PT.
//   - AU has no national list, only one per state and territory, and CH's
//     Holidays is the union of the cantonal holidays: for both, the
//     nationwide holidays are the dates that are an observed holiday in
//     every region list (AU: 8 states and territories; CH: 26 cantons,
//     which leaves New Year, Ascension, 1 August and Christmas).
//
// JP and NZ have holidays that follow astronomical or lunar calendars (the
// equinoxes, Matariki): their calendars cover only the years for which the
// official dates are listed here, and deadlines outside are refused with
// [ErrYearNotCovered].
//
// Not supported yet, because their official dates could not be confirmed
// for 2026 and 2027: CY, LI, SG.
var calendars = func() map[string]*Calendar {
	national := map[string][]*cal.Holiday{
		"AR": ar.Holidays, "AT": at.Holidays, "BE": be.Holidays, "BG": bg.Holidays,
		"BR": brHolidays, "CA": caHolidays, "CZ": cz.Holidays,
		"DE": de.Holidays, "DK": dkHolidays, "EE": eeHolidays, "ES": es.Holidays,
		"FI": fiHolidays, "FR": fr.Holidays, "GB": gb.Holidays, "GR": gr.Holidays,
		"HR": hr.Holidays, "HU": huHolidays, "IE": ie.Holidays, "IN": inHolidays,
		"IS": isHolidays, "IT": itHolidays, "LT": lt.Holidays, "LU": luHolidays,
		"LV": lv.Holidays, "MT": mtHolidays, "MW": mw.Holidays, "NC": nc.Holidays,
		"NL": nlHolidays, "NO": no.Holidays, "PL": plHolidays, "PT": ptHolidays,
		"RO": roHolidays, "RU": ru.Holidays, "SE": se.Holidays, "SI": si.Holidays,
		"SK": skHolidays, "UA": ua.Holidays, "US": us.Holidays, "ZA": za.Holidays,
	}
	m := make(map[string]*Calendar, len(national)+4)
	for code, list := range national {
		m[code] = &Calendar{code: code, regions: [][]*cal.Holiday{list}}
	}
	m["JP"] = &Calendar{code: "JP", regions: [][]*cal.Holiday{jp.Holidays}, years: jpYears}
	m["NZ"] = &Calendar{code: "NZ", regions: [][]*cal.Holiday{append(without(nz.Holidays, nz.QueensBirthday), named(nz.QueensBirthday, "King's Birthday"), matariki)}, years: matarikiYears}
	m["AU"] = &Calendar{code: "AU", regions: [][]*cal.Holiday{
		au.HolidaysACT, au.HolidaysNSW, au.HolidaysNT, au.HolidaysQLD,
		au.HolidaysSA, au.HolidaysTAS, au.HolidaysVIC, au.HolidaysWA,
	}}
	m["CH"] = &Calendar{code: "CH", regions: [][]*cal.Holiday{
		ch.HolidaysAG, ch.HolidaysAI, ch.HolidaysAR, ch.HolidaysBE, ch.HolidaysBL,
		ch.HolidaysBS, ch.HolidaysFR, ch.HolidaysGE, ch.HolidaysGL, ch.HolidaysGR,
		ch.HolidaysJU, ch.HolidaysLU, ch.HolidaysNE, ch.HolidaysNW, ch.HolidaysOW,
		ch.HolidaysSG, ch.HolidaysSH, ch.HolidaysSO, ch.HolidaysSZ, ch.HolidaysTG,
		ch.HolidaysTI, ch.HolidaysUR, ch.HolidaysVD, ch.HolidaysVS, ch.HolidaysZG,
		ch.HolidaysZH,
	}}
	return m
}()

// Countries returns the supported country codes (ISO 3166-1 alpha-2,
// upper case), sorted.
func Countries() []string {
	out := make([]string, 0, len(calendars))
	for code := range calendars {
		out = append(out, code)
	}
	slices.Sort(out)
	return out
}

// CalendarFor returns the working-day calendar of a country given as an
// ISO 3166-1 alpha-2 code (case-insensitive, e.g. "FR", "gb"). An unknown
// code is an error wrapping [ErrUnknownCountry]; it is never guessed.
//
// The holidays are the country's nationwide public holidays, from
// rickar/cal's list where it is the official one, else from lists built
// here with its primitives; the variable calendars documents each source.
// AU has no national list and CH's is the union of the cantonal holidays,
// so for those two a date is a holiday only when every state/territory (AU)
// or canton (CH) observes it. JP and NZ know the years of their listed
// astronomical/lunar holidays only; see [Calendar.Covers].
func CalendarFor(country string) (*Calendar, error) {
	code := strings.ToUpper(strings.TrimSpace(country))
	c, ok := calendars[code]
	if !ok {
		return nil, fmt.Errorf("deadline: %w %q (supported: %s)",
			ErrUnknownCountry, country, strings.Join(Countries(), ", "))
	}
	return c, nil
}

// Country returns the calendar's country code.
func (c *Calendar) Country() string { return c.code }

// Years returns the first and last year whose holidays the calendar knows,
// and false when it knows every year (all its holidays follow rules).
func (c *Calendar) Years() (first, last int, bounded bool) {
	return c.years[0], c.years[1], c.years != [2]int{}
}

// Covers returns nil when the calendar knows the holidays of every date
// from..to, else an error wrapping [ErrYearNotCovered]. Holiday, IsWorkday
// and the other methods do not check it: outside the covered years they
// miss the listed (lunar or astronomical) holidays, so callers that compute
// deadlines check Covers first ([Compute] does).
func (c *Calendar) Covers(from, to Date) error {
	first, last, bounded := c.Years()
	if !bounded || (from.Year >= first && to.Year <= last) {
		return nil
	}
	return fmt.Errorf("deadline: %w: %s has the official holiday dates of %d-%d only, not of %s to %s",
		ErrYearNotCovered, c.code, first, last, from, to)
}

// Holiday reports whether d is the observed date of a nationwide public
// holiday, and its name. Weekends are not holidays by themselves.
func (c *Calendar) Holiday(d Date) (name string, ok bool) {
	if d.Year >= tableFirstYear && d.Year <= tableLastYear {
		c.once.Do(func() { c.table = c.observed(tableFirstYear, tableLastYear) })
		name, ok = c.table[d]
		return name, ok
	}
	name, ok = c.observed(d.Year, d.Year)[d]
	return name, ok
}

// IsWorkday reports whether d is a working day: Monday to Friday and not an
// observed public holiday.
func (c *Calendar) IsWorkday(d Date) bool {
	switch d.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	_, hol := c.Holiday(d)
	return !hol
}

// RollForward returns d when it is a working day, else the next working day.
func (c *Calendar) RollForward(d Date) Date {
	for !c.IsWorkday(d) {
		d = d.AddDays(1)
	}
	return d
}

// AddWorkdays returns the nth working day after d, not counting d itself
// (whether or not d is a working day). A negative n counts backwards (the
// |n|th working day before d); n == 0 returns d unchanged.
func (c *Calendar) AddWorkdays(d Date, n int) Date {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDays(step)
		if c.IsWorkday(d) {
			n--
		}
	}
	return d
}

// WorkdaysBetween returns the number of working days after from up to and
// including to (so AddWorkdays(from, n) is the first date for which it
// returns n). It is negative when to is before from.
func (c *Calendar) WorkdaysBetween(from, to Date) int {
	sign := 1
	if to.Before(from) {
		from, to, sign = to, from, -1
	}
	n := 0
	for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
		if c.IsWorkday(d) {
			n++
		}
	}
	return sign * n
}

// observed returns the observed holiday dates of the years first..last with
// their names. A date counts only when it is a holiday in every region.
func (c *Calendar) observed(first, last int) map[Date]string {
	var out map[Date]string
	for i, list := range c.regions {
		m := make(map[Date]string)
		// One year either side: observed dates can cross New Year
		// (1 January on a Saturday observed on Friday 31 December).
		for y := first - 1; y <= last+1; y++ {
			for _, h := range list {
				d, ok := observedDate(h, y)
				if !ok || d.Year < first || d.Year > last {
					continue
				}
				if _, dup := m[d]; !dup { // first holiday in list order names the date
					m[d] = h.Name
				}
			}
		}
		if i == 0 {
			out = m
			continue
		}
		for d := range out {
			if _, ok := m[d]; !ok {
				delete(out, d)
			}
		}
	}
	return out
}

// observedDate returns the observed date of h in year (after rickar's
// substitution rules, e.g. a Saturday holiday observed on Monday), or false
// when h does not occur that year.
//
// rickar computes in cal.DefaultLoc (time.Local unless changed): a host
// zone where midnight does not exist on some day (DST starting at 00:00)
// would move that holiday to 23:00 the day before. observedDate therefore
// works on a private copy of h whose Func rounds the result to the nearest
// midnight and re-expresses it in UTC before the substitution offsets are
// applied, so the result does not depend on the host's zone. The copy also
// shields the shared definition from Funcs that write to their argument.
func observedDate(h *cal.Holiday, year int) (Date, bool) {
	orig := h.Func
	if orig == nil {
		return Date{}, false
	}
	hc := *h
	hc.Func = func(p *cal.Holiday, y int) time.Time {
		t := orig(p, y)
		if t.IsZero() {
			return t
		}
		d := nearestDay(t)
		return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	}
	_, obs := hc.Calc(year)
	if obs.IsZero() {
		return Date{}, false
	}
	return dateOf(obs), true
}

// nearestDay returns the date whose midnight is nearest to t (in t's
// location): 23:00 belongs to the next day, 01:00 to the same day.
func nearestDay(t time.Time) Date {
	return dateOf(t.Add(12 * time.Hour))
}
