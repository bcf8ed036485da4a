// Package deadline computes the deadlines of a GDPR data-subject request.
//
// The rules (ARCHITECTURE.md, "Deadlines"):
//
//   - Target: the Nth working day after the local date of receipt (the
//     receipt day itself is not counted); N is configurable per tenant and
//     defaults to [DefaultTargetDays].
//   - Legal deadline: the same day of the month one month after the local
//     date of receipt, or the last day of that month when it has no such day;
//     when that day is not a working day, the next working day.
//   - Extended deadline: the same rule with three months.
//   - A working day is Monday to Friday and not a public holiday of the
//     tenant's country, as observed (substitute days included): the
//     official national list, from github.com/rickar/cal/v2 where it has
//     it, else built here from its primitives (national.go). Countries with
//     regional holidays (DE, CH, AU, ...) use the nationwide holidays only;
//     see [CalendarFor]. Holidays that follow lunar or astronomical
//     calendars (JP's equinoxes, NZ's Matariki) are listed per year, and
//     deadlines outside the listed years are refused ([ErrYearNotCovered]).
//   - The local date is the start instant converted into the tenant's IANA
//     time zone: 23:30 UTC is already the next day in Europe/Helsinki.
//   - While identity is being verified the clock has not started: pass the
//     instant verification completed to [Compute]. A clarification pause
//     moves the deadlines by the calendar days paused; see [Due.Pause].
//
// Everything here is a pure function of its arguments (plus the time zone
// database and the holiday tables compiled into the binary): no clock, no
// goroutines, no mutable package state that can change a result. The
// functions are therefore safe to call from Temporal workflow code. The
// package embeds the IANA time zone database (time/tzdata) as a fallback so
// that zone lookups also work on hosts without one.
package deadline
