package ical

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// Recurrence is the recurrence set of a master component
// (RFC 5545 3.8.5): DTSTART, the instances of each RRULE and every RDATE,
// minus every EXDATE.
type Recurrence struct {
	start   time.Time
	allDay  bool
	rules   []*rrule.RRule
	rdates  []Period // sorted by Start
	exAt    map[int64]bool
	exOnDay map[[3]int]bool // DATE EXDATEs of a DATE-TIME DTSTART
}

// maxInterval refuses INTERVAL values large enough to overflow rrule-go's
// day and second arithmetic; no calendar means a step of 100,000 periods.
const maxInterval = 100000

// NewRecurrence reads the recurrence set of master. DTSTART must parse and
// every RRULE must be one rrule-go can expand safely; RDATE and EXDATE
// values that do not parse are skipped, as a client would skip them.
// floating is the location of floating and DATE values (nil: UTC).
func NewRecurrence(master *ical.Component, floating *time.Location) (*Recurrence, error) {
	start, allDay, err := DateTime(master.Props.Get(ical.PropDateTimeStart), floating)
	if err != nil {
		return nil, err
	}
	r := &Recurrence{start: start, allDay: allDay, exAt: make(map[int64]bool)}
	for _, p := range master.Props[ical.PropRecurrenceRule] {
		rule, err := parseRule(p.Value, start, allDay)
		if err != nil {
			return nil, fmt.Errorf("RRULE %s: %w", quote(p.Value), err)
		}
		if rule != nil {
			r.rules = append(r.rules, rule)
		}
	}
	// DTSTART is always the first instance (RFC 5545 3.8.5.3), even when
	// the rule does not produce it; rrule-go would leave it out.
	r.rdates = append(r.rdates, Period{Start: start, AllDay: allDay})
	for _, p := range master.Props[ical.PropRecurrenceDates] {
		if ps, err := DateList(&p, floating); err == nil {
			r.rdates = append(r.rdates, ps...)
		}
	}
	sort.SliceStable(r.rdates, func(i, j int) bool { return r.rdates[i].Start.Before(r.rdates[j].Start) })
	for _, p := range master.Props[ical.PropExceptionDates] {
		ps, err := DateList(&p, floating)
		if err != nil {
			continue
		}
		for _, ex := range ps {
			if ex.AllDay && !allDay {
				// A DATE EXDATE on a DATE-TIME series is invalid
				// (RFC 5545 3.8.5.1 wants matching types); clients mean
				// "not on that day", so that is what it does.
				if r.exOnDay == nil {
					r.exOnDay = make(map[[3]int]bool)
				}
				y, m, d := ex.Start.Date()
				r.exOnDay[[3]int{y, int(m), d}] = true
				continue
			}
			r.exAt[ex.Start.Unix()] = true
		}
	}
	return r, nil
}

// Start returns the parsed DTSTART and whether it is a DATE.
func (r *Recurrence) Start() (time.Time, bool) { return r.start, r.allDay }

// IsRecurring reports whether the set can hold more than DTSTART.
func (r *Recurrence) IsRecurring() bool { return len(r.rules) > 0 || len(r.rdates) > 1 }

// Occurrence is one instance of a recurrence set. End is set only for an
// RDATE PERIOD, which carries its own end; other instances last as long as
// the master does.
type Occurrence struct {
	Start, End time.Time
}

// Each calls yield with the instances in ascending order of start, without
// duplicates, until yield returns false or the set is exhausted. Sets with
// an unbounded RRULE never end: the caller decides when it has seen enough.
func (r *Recurrence) Each(yield func(Occurrence) bool) (err error) {
	defer func() {
		// rrule-go is a port of python-dateutil with index arithmetic we
		// have not audited line by line; a panic there must not take the
		// server down.
		if p := recover(); p != nil {
			err = fmt.Errorf("expanding RRULE: %v", p)
		}
	}()
	type source struct {
		next    rrule.Next
		pending time.Time
		ok      bool
	}
	srcs := make([]*source, 0, len(r.rules))
	for _, rule := range r.rules {
		s := &source{next: rule.Iterator()}
		s.pending, s.ok = s.next()
		srcs = append(srcs, s)
	}
	ri := 0
	var last time.Time
	first := true
	for {
		var occ Occurrence
		var from *source
		if ri < len(r.rdates) {
			occ = Occurrence{Start: r.rdates[ri].Start, End: r.rdates[ri].End}
		}
		for _, s := range srcs {
			if s.ok && (from == nil && ri >= len(r.rdates) || s.pending.Before(occ.Start)) {
				occ, from = Occurrence{Start: s.pending}, s
			}
		}
		if from != nil {
			from.pending, from.ok = from.next()
		} else if ri < len(r.rdates) {
			ri++
		} else {
			return nil
		}
		if !first && occ.Start.Equal(last) {
			continue
		}
		first, last = false, occ.Start
		if r.excluded(occ.Start) {
			continue
		}
		if !yield(occ) {
			return nil
		}
	}
}

func (r *Recurrence) excluded(t time.Time) bool {
	if r.exAt[t.Unix()] {
		return true
	}
	if r.exOnDay != nil {
		y, m, d := t.In(r.start.Location()).Date()
		return r.exOnDay[[3]int{y, int(m), d}]
	}
	return false
}

// parseRule builds an rrule-go rule anchored at start, or returns nil for a
// rule that provably has no instance. It refuses rules that would make
// rrule-go loop forever.
func parseRule(value string, start time.Time, allDay bool) (*rrule.RRule, error) {
	var parts []string
	var until string
	for _, part := range strings.Split(strings.ToUpper(strings.TrimSpace(value)), ";") {
		switch {
		case part == "":
			// "FREQ=DAILY;" is common and harmless.
		case strings.HasPrefix(part, "UNTIL="):
			until = part[len("UNTIL="):]
		default:
			parts = append(parts, part)
		}
	}
	opt, err := rrule.StrToROptionInLocation(strings.Join(parts, ";"), start.Location())
	if err != nil {
		return nil, err
	}
	if opt.Interval > maxInterval {
		return nil, fmt.Errorf("INTERVAL %d is too large", opt.Interval)
	}
	if until != "" {
		// A floating or DATE UNTIL is read in DTSTART's zone
		// (RFC 5545 3.3.10 wants them to match DTSTART anyway).
		u, untilIsDate, err := parseTime(until, "", start.Location(), start.Location())
		if err != nil {
			return nil, fmt.Errorf("UNTIL: %w", err)
		}
		if untilIsDate && !allDay {
			// A DATE UNTIL on a DATE-TIME series is invalid but common;
			// its producers mean "up to and including that day".
			u = u.AddDate(0, 0, 1).Add(-time.Second)
		}
		opt.Until = u
	}
	opt.Dtstart = start
	if !reachable(opt) {
		return nil, errors.New("BYHOUR, BYMINUTE or BYSECOND cannot be reached with this INTERVAL")
	}
	if !hasDays(opt) {
		return nil, nil
	}
	return rrule.NewRRule(*opt)
}

// reachable reports whether rrule-go's HOURLY, MINUTELY and SECONDLY
// stepping ever lands on a time of day the BYHOUR/BYMINUTE/BYSECOND lists
// allow. rrule-go steps INTERVAL units at a time until it does, so for
// FREQ=HOURLY;INTERVAL=2;BYHOUR=1 from an even hour it never returns.
func reachable(o *rrule.ROption) bool {
	var period, unit int
	switch o.Freq {
	case rrule.HOURLY:
		period, unit = 24, 3600
	case rrule.MINUTELY:
		period, unit = 1440, 60
	case rrule.SECONDLY:
		period, unit = 86400, 1
	default:
		return true
	}
	h, m, s := o.Dtstart.Clock()
	t0 := (h*3600 + m*60 + s) / unit
	interval := max(o.Interval, 1)
	g := gcd(interval%period+period, period)
	for k := 0; k < period/g; k++ {
		sec := ((t0 + k*g) % period) * unit
		if (len(o.Byhour) == 0 || contains(o.Byhour, sec/3600)) &&
			(o.Freq < rrule.MINUTELY || len(o.Byminute) == 0 || contains(o.Byminute, sec/60%60)) &&
			(o.Freq < rrule.SECONDLY || len(o.Bysecond) == 0 || contains(o.Bysecond, sec%60)) {
			return true
		}
	}
	return false
}

// hasDays reports whether any day at all satisfies the rule's day filters.
// rrule-go walks a DAILY-or-finer rule whose filters no day meets
// (BYMONTH=2;BYMONTHDAY=30) one day at a time up to year 9999, which takes
// a good fraction of a second. The filters are a function of the date
// alone, and the Gregorian calendar repeats every 400 years, so a YEARLY
// rule with the same filters walked over the last 400 years rrule-go knows
// answers the question in a few hundred steps. BYEASTER does not repeat
// that way; such rules are left to rrule-go.
func hasDays(o *rrule.ROption) bool {
	if o.Freq < rrule.DAILY || len(o.Byeaster) > 0 ||
		len(o.Bymonthday) == 0 && len(o.Byyearday) == 0 && len(o.Byweekno) == 0 && len(o.Byweekday) == 0 {
		return true
	}
	days := [...]rrule.Weekday{rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU}
	probe := rrule.ROption{
		Freq:       rrule.YEARLY,
		Dtstart:    time.Date(rrule.MAXYEAR-400, 1, 1, 0, 0, 0, 0, time.UTC),
		Wkst:       o.Wkst, // BYWEEKNO depends on it
		Bymonth:    o.Bymonth,
		Bymonthday: o.Bymonthday,
		Byyearday:  o.Byyearday,
		Byweekno:   o.Byweekno,
	}
	for _, wd := range o.Byweekday {
		// Finer than MONTHLY, BYDAY ignores ordinals; so must the probe.
		probe.Byweekday = append(probe.Byweekday, days[wd.Day()])
	}
	r, err := rrule.NewRRule(probe)
	if err != nil {
		return true // let the real rule report it
	}
	_, ok := r.Iterator()()
	return ok
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
