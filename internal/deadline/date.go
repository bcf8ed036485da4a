package deadline

import (
	"fmt"
	"time"
)

// Date is a civil date (year, month, day) with no time of day and no zone.
// Its text and JSON form is "YYYY-MM-DD"; the zero Date encodes as "".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date y-m-d, normalized like time.Date (so
// NewDate(2026, time.January, 32) is 2026-02-01).
func NewDate(y int, m time.Month, d int) Date {
	return dateOf(time.Date(y, m, d, 12, 0, 0, 0, time.UTC))
}

// DateOf returns the date of t in t's own location. Convert t with
// t.In(loc) first to get the date in another zone.
func DateOf(t time.Time) Date {
	return dateOf(t)
}

func dateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate parses a date in the form "YYYY-MM-DD" and rejects impossible
// dates such as "2026-02-30".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("deadline: parse date %q: %w", s, err)
	}
	return dateOf(t), nil
}

// String returns the date as "YYYY-MM-DD".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool {
	return d == Date{}
}

// utc returns midnight UTC of d; UTC has no DST, so day arithmetic on it is
// exact.
func (d Date) utc() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return d.utc().Weekday()
}

// AddDays returns d plus n calendar days (n may be negative).
func (d Date) AddDays(n int) Date {
	return NewDate(d.Year, d.Month, d.Day+n)
}

// AddMonths returns the same day of the month n months after d, or the last
// day of that month when it has no such day (2026-01-31 plus one month is
// 2026-02-28). Unlike time.Time.AddDate it never overflows into the
// following month.
func (d Date) AddMonths(n int) Date {
	first := NewDate(d.Year, d.Month+time.Month(n), 1)
	last := NewDate(first.Year, first.Month+1, 0).Day
	day := d.Day
	if day > last {
		day = last
	}
	return Date{Year: first.Year, Month: first.Month, Day: day}
}

// DaysUntil returns the number of calendar days from d to o: positive when o
// is after d, negative when before, 0 when equal.
func (d Date) DaysUntil(o Date) int {
	return int((o.utc().Unix() - d.utc().Unix()) / 86400)
}

// Compare returns -1 if d is before o, +1 if after, 0 if equal.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmpInt(d.Year, o.Year)
	case d.Month != o.Month:
		return cmpInt(int(d.Month), int(o.Month))
	default:
		return cmpInt(d.Day, o.Day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	default:
		return 0
	}
}

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// MarshalText encodes d as "YYYY-MM-DD", or "" for the zero Date. It makes
// Date a JSON string.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	if d.Year < 0 || d.Year > 9999 {
		return nil, fmt.Errorf("deadline: marshal date: year %d outside 0000-9999", d.Year)
	}
	return []byte(d.String()), nil
}

// UnmarshalText decodes "YYYY-MM-DD" (or "" as the zero Date).
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Time returns the date's midnight in UTC, the form PostgreSQL date columns take.
func (d Date) Time() time.Time { return d.utc() }
