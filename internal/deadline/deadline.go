package deadline

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // zone lookups must not depend on the host having a tz database
)

// DefaultTargetDays is the target in working days when a Policy leaves
// TargetDays at 0.
const DefaultTargetDays = 4

// ErrUnknownTimeZone is wrapped by errors for a time zone name that is
// empty, "Local" or not in the IANA database.
var ErrUnknownTimeZone = errors.New("unknown time zone")

// ErrInvalid is wrapped by errors for other invalid arguments: a negative
// TargetDays, a zero start instant, a negative pause.
var ErrInvalid = errors.New("invalid argument")

// Policy is a tenant's deadline configuration.
type Policy struct {
	// Country is the ISO 3166-1 alpha-2 code whose public holidays apply
	// (case-insensitive); see Countries.
	Country string `json:"country"`
	// TZ is the IANA time zone that defines the local date, e.g.
	// "Europe/Paris". "" and "Local" are rejected: the result must not
	// depend on the host.
	TZ string `json:"tz"`
	// TargetDays is the target in working days; 0 means DefaultTargetDays.
	TargetDays int `json:"target_days,omitempty"`
}

// Validate reports whether p can be used: known country, known time zone,
// TargetDays >= 0.
func (p Policy) Validate() error {
	_, _, _, err := p.resolve()
	return err
}

// resolve validates p and returns it normalized (upper-case country,
// TargetDays filled in) with its calendar and location.
func (p Policy) resolve() (Policy, *Calendar, *time.Location, error) {
	if p.TargetDays < 0 {
		return p, nil, nil, fmt.Errorf("deadline: %w: target days %d is negative", ErrInvalid, p.TargetDays)
	}
	c, err := CalendarFor(p.Country)
	if err != nil {
		return p, nil, nil, err
	}
	loc, err := loadLocation(p.TZ)
	if err != nil {
		return p, nil, nil, err
	}
	p.Country = c.Country()
	if p.TargetDays == 0 {
		p.TargetDays = DefaultTargetDays
	}
	return p, c, loc, nil
}

// locations keeps the zones loaded: time.LoadLocation reads the zone file each time.
var locations sync.Map // name -> *time.Location

func loadLocation(name string) (*time.Location, error) {
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), nil
	}
	if strings.TrimSpace(name) == "" || name == "Local" {
		return nil, fmt.Errorf("deadline: %w %q: an IANA zone name such as \"Europe/Paris\" is required",
			ErrUnknownTimeZone, name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("deadline: %w %q: %w", ErrUnknownTimeZone, name, err)
	}
	locations.Store(name, loc)
	return loc, nil
}

// LocalDate returns the date of instant t in the policy's time zone.
func (p Policy) LocalDate(t time.Time) (Date, error) {
	loc, err := loadLocation(p.TZ)
	if err != nil {
		return Date{}, err
	}
	return DateOf(t.In(loc)), nil
}

// Dates are the three due dates. Their JSON form is exactly what
// `dsr sla due` prints: {"target_due","legal_due","extended_due"}.
type Dates struct {
	Target   Date `json:"target_due"`   // internal target (service level)
	Legal    Date `json:"legal_due"`    // Art. 12(3) GDPR: one month
	Extended Date `json:"extended_due"` // with the Art. 12(3) extension: three months
}

// Due is the deadline state of one request. It is a plain value (JSON
// round-trips) and can be kept in workflow state.
type Due struct {
	// Policy is the normalized policy the dates were computed with.
	Policy Policy `json:"policy"`
	// Start is the instant the clock started: receipt, or the completion of
	// identity verification.
	Start time.Time `json:"start"`
	// LocalDate is Start's date in Policy.TZ; it is not counted.
	LocalDate Date `json:"local_date"`
	// PausedDays is the total of calendar days the dates were moved by
	// clarification pauses.
	PausedDays int `json:"paused_days"`
	Dates
}

// Compute returns the due dates for a request whose clock starts at start,
// under policy p.
//
// start is the receipt instant; when the requester's identity had to be
// verified, the clock has not started until verification completed, and
// start is the instant verification completed. Only start's date in p.TZ
// matters.
//
// Target is AddWorkdays(local date, TargetDays), capped at Legal (a target
// after the legal deadline would be meaningless). Legal is the local date
// plus one month (clamped to the end of a shorter month) rolled forward to a
// working day; Extended the same with three months.
func Compute(start time.Time, p Policy) (Due, error) {
	due, _, err := compute(start, p)
	return due, err
}

func compute(start time.Time, p Policy) (Due, *Calendar, error) {
	if start.IsZero() {
		return Due{}, nil, fmt.Errorf("deadline: compute: %w: zero start instant", ErrInvalid)
	}
	p, c, loc, err := p.resolve()
	if err != nil {
		return Due{}, nil, err
	}
	local := DateOf(start.In(loc))
	legal := c.RollForward(local.AddMonths(1))
	target := c.AddWorkdays(local, p.TargetDays)
	if target.After(legal) {
		target = legal
	}
	extended := c.RollForward(local.AddMonths(3))
	if err := c.Covers(local, extended); err != nil {
		return Due{}, nil, err
	}
	return Due{
		Policy:    p,
		Start:     start,
		LocalDate: local,
		Dates: Dates{
			Target:   target,
			Legal:    legal,
			Extended: extended,
		},
	}, c, nil
}

// Shift returns d with a further clarification pause of days calendar days
// applied; days must not be negative (0 returns d unchanged).
//
// Each due date becomes the unpaused due date (as Compute gives it for
// d.Start and d.Policy) moved by the total days paused (PausedDays, which
// grows by days) and, when that is not a working day, rolled forward to the
// next working day. Because the total is applied to the unpaused dates,
// pauses add up: Shift(2) then Shift(3) is Shift(5).
//
// Choice: the days are added to the unpaused due dates after their
// roll-forward, not to the raw anniversaries. Shifting the raw date could
// let a short pause vanish into an existing roll-forward (a Saturday
// deadline rolled to Monday, paused one day: Sunday, still Monday); shifting
// the rolled date gives back every paused day. The target moves by the same
// calendar days (it is not recounted in working days), so the three dates
// keep their order.
func (d Due) Shift(days int) (Due, error) {
	if days < 0 {
		return Due{}, fmt.Errorf("deadline: shift: %w: %d days is negative", ErrInvalid, days)
	}
	if days == 0 {
		return d, nil
	}
	total := d.PausedDays + days
	out, c, err := compute(d.Start, d.Policy)
	if err != nil {
		return Due{}, err
	}
	out.PausedDays = total
	out.Target = c.RollForward(out.Target.AddDays(total))
	out.Legal = c.RollForward(out.Legal.AddDays(total))
	out.Extended = c.RollForward(out.Extended.AddDays(total))
	if err := c.Covers(out.LocalDate, out.Extended); err != nil {
		return Due{}, err
	}
	return out, nil
}

// Pause applies a clarification pause from pausedAt to resumedAt: the days
// paused are the calendar days between their local dates in d.Policy.TZ
// (paused Monday, resumed Wednesday: 2 days; resumed the same day: 0), and
// the dates move as described in Shift. resumedAt before pausedAt is an
// error.
func (d Due) Pause(pausedAt, resumedAt time.Time) (Due, error) {
	if resumedAt.Before(pausedAt) {
		return Due{}, fmt.Errorf("deadline: pause: %w: resumed %s before paused %s",
			ErrInvalid, resumedAt.Format(time.RFC3339), pausedAt.Format(time.RFC3339))
	}
	loc, err := loadLocation(d.Policy.TZ)
	if err != nil {
		return Due{}, err
	}
	days := DateOf(pausedAt.In(loc)).DaysUntil(DateOf(resumedAt.In(loc)))
	return d.Shift(days)
}

// JSON returns the output of `dsr sla due`:
// {"target_due":"YYYY-MM-DD","legal_due":"YYYY-MM-DD","extended_due":"YYYY-MM-DD"}.
func (d Due) JSON() ([]byte, error) {
	b, err := json.Marshal(d.Dates)
	if err != nil {
		return nil, fmt.Errorf("deadline: marshal due dates: %w", err)
	}
	return b, nil
}
