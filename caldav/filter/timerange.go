package filter

import (
	"math"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	aical "almanac/internal/ical"
)

// Stand-ins for an unbounded side of a time-range, beyond any date
// iCalendar can write.
var (
	farPast   = time.Date(-100000, 1, 1, 0, 0, 0, 0, time.UTC)
	farFuture = time.Date(100000, 1, 1, 0, 0, 0, 0, time.UTC)
)

func bounds(tr *TimeRange) (rs, re time.Time) {
	rs, re = tr.Start, tr.End
	if rs.IsZero() {
		rs = farPast
	}
	if re.IsZero() {
		re = farFuture
	}
	return rs, re
}

// overlaps is RFC 4791 9.9's test of a period [s, e) against [rs, re):
// rs < e AND re > s; for a period of no length, rs <= s AND re > s, so that
// an instant at the start of the range is in it and one at its end is not.
func overlaps(s, e, rs, re time.Time) bool {
	if e.After(s) {
		return rs.Before(e) && re.After(s)
	}
	return !rs.After(s) && re.After(s)
}

func (m *matcher) compInRange(c *ical.Component, siblings []*ical.Component, tr *TimeRange) bool {
	rs, re := bounds(tr)
	switch strings.ToUpper(c.Name) {
	case aical.CompEvent, aical.CompToDo, aical.CompJournal:
		return m.recurringInRange(c, siblings, rs, re)
	case aical.CompFreeBusy:
		return m.freeBusyInRange(c, rs, re)
	default:
		return m.otherInRange(c, rs, re)
	}
}

// facts are the parsed date properties of one VEVENT, VTODO or VJOURNAL.
type facts struct {
	kind                  string
	start, end, due       time.Time
	completed, created    time.Time
	dur                   string
	hasStart, allDay      bool
	hasEnd, hasDue        bool
	hasDur                bool
	hasCompleted, hasCrtd bool
	// bad: a property the test needs does not parse; the component then
	// matches, see doc.go.
	bad bool
}

func (m *matcher) facts(c *ical.Component) *facts {
	f := &facts{kind: strings.ToUpper(c.Name)}
	parse := func(name string) (t time.Time, allDay, ok bool) {
		p := c.Props.Get(name)
		if p == nil {
			return time.Time{}, false, false
		}
		t, allDay, err := aical.DateTime(p, m.loc)
		if err != nil {
			f.bad = true
			return time.Time{}, false, false
		}
		return t, allDay, true
	}
	f.start, f.allDay, f.hasStart = parse(ical.PropDateTimeStart)
	if !f.hasStart && !f.bad {
		// An override without DTSTART starts where it was scheduled.
		f.start, f.allDay, f.hasStart = parse(ical.PropRecurrenceID)
	}
	f.end, _, f.hasEnd = parse(ical.PropDateTimeEnd)
	f.due, _, f.hasDue = parse(ical.PropDue)
	f.completed, _, f.hasCompleted = parse(ical.PropCompleted)
	f.created, _, f.hasCrtd = parse(ical.PropCreated)
	if p := c.Props.Get(ical.PropDuration); p != nil {
		if _, err := aical.ParseDuration(p.Value); err != nil {
			f.bad = true
		} else {
			f.dur, f.hasDur = p.Value, true
		}
	}
	if f.kind == aical.CompEvent && !f.hasStart {
		f.bad = true // RFC 5545 requires it; we cannot place the event
	}
	return f
}

// lead is how far before an instance's start its earliest relevant time can
// lie (a DUE before DTSTART, a negative DURATION); expansion stops once
// instance starts pass the range end by more than this.
func (f *facts) lead() time.Duration {
	var d time.Duration
	if f.hasDue && f.due.Before(f.start) {
		d = f.start.Sub(f.due)
	}
	if f.hasDur {
		if e, err := aical.AddDuration(f.start, f.dur); err == nil && e.Before(f.start) {
			d = max(d, f.start.Sub(e))
		}
	}
	return d
}

// shift moves t, a property of the master, to the instance starting at s:
// by whole calendar days for all-day series (so an instance keeps its
// dates across DST), by the exact offset otherwise (RFC 5545 3.8.5.3).
func (f *facts) shift(t, s time.Time) time.Time {
	if s.Equal(f.start) {
		return t
	}
	if f.allDay {
		days := int(math.Round(s.Sub(f.start).Hours() / 24))
		return t.AddDate(0, 0, days)
	}
	return t.Add(s.Sub(f.start))
}

// inRange applies the RFC 4791 9.9 table of the component's kind to the
// instance starting at s; end is an RDATE PERIOD's own end, or zero.
func (f *facts) inRange(s, end, rs, re time.Time) bool {
	if f.bad {
		return true
	}
	switch f.kind {
	case aical.CompEvent:
		e := s
		switch {
		case !end.IsZero():
			e = end
		case f.hasEnd:
			e = f.shift(f.end, s)
		case f.hasDur:
			e, _ = aical.AddDuration(s, f.dur)
		case f.allDay:
			e = s.AddDate(0, 0, 1)
		}
		return overlaps(s, e, rs, re)
	case aical.CompToDo:
		return f.todoInRange(s, rs, re)
	default: // VJOURNAL
		if !f.hasStart {
			return false
		}
		if f.allDay {
			return overlaps(s, s.AddDate(0, 0, 1), rs, re)
		}
		return overlaps(s, s, rs, re)
	}
}

// todoInRange is the VTODO table of RFC 4791 9.9, row by row.
func (f *facts) todoInRange(s, rs, re time.Time) bool {
	le := func(a, b time.Time) bool { return !a.After(b) }
	switch {
	case f.hasStart && f.hasDur:
		e, _ := aical.AddDuration(s, f.dur)
		return le(rs, e) && (re.After(s) || le(e, re))
	case f.hasStart && f.hasDue:
		due := f.shift(f.due, s)
		return (rs.Before(due) || le(rs, s)) && (re.After(s) || le(due, re))
	case f.hasStart:
		return le(rs, s) && re.After(s)
	case f.hasDue:
		return rs.Before(f.due) && le(f.due, re)
	case f.hasCompleted && f.hasCrtd:
		return (le(rs, f.created) || le(rs, f.completed)) && (le(f.created, re) || le(f.completed, re))
	case f.hasCompleted:
		return le(rs, f.completed) && le(f.completed, re)
	case f.hasCrtd:
		return re.After(f.created)
	}
	return true
}

// recurringInRange tests a VEVENT, VTODO or VJOURNAL. An override (with
// RECURRENCE-ID) is one instance at its own time. A master is tested
// instance by instance, leaving out the instances its overrides among
// siblings replace: a moved instance is found at its new time only.
func (m *matcher) recurringInRange(c *ical.Component, siblings []*ical.Component, rs, re time.Time) bool {
	f := m.facts(c)
	if f.bad {
		return true
	}
	if c.Props.Get(ical.PropRecurrenceID) != nil || !f.hasStart {
		return f.inRange(f.start, time.Time{}, rs, re)
	}
	r, err := aical.NewRecurrence(c, m.loc)
	if err != nil {
		return true // an RRULE we cannot expand: see doc.go
	}
	replaced := m.overrides(c, siblings, f)
	lead := f.lead()
	n := 0
	matched, capped := false, false
	err = r.Each(func(o aical.Occurrence) bool {
		if n++; n > MaxInstances {
			capped = true
			return false
		}
		if o.Start.Add(-lead).After(re) {
			return false
		}
		if replaced.has(o.Start) {
			return true
		}
		if f.inRange(o.Start, o.End, rs, re) {
			matched = true
			return false
		}
		return true
	})
	return matched || capped || err != nil
}

// overrideSet holds the RECURRENCE-IDs of a master's overrides.
type overrideSet struct {
	at   map[int64]bool
	days map[[3]int]bool // DATE RECURRENCE-IDs of a DATE-TIME master
	loc  *time.Location
}

func (o *overrideSet) has(t time.Time) bool {
	if o.at[t.Unix()] {
		return true
	}
	if o.days != nil {
		y, m, d := t.In(o.loc).Date()
		return o.days[[3]int{y, int(m), d}]
	}
	return false
}

func (m *matcher) overrides(master *ical.Component, siblings []*ical.Component, f *facts) *overrideSet {
	set := &overrideSet{at: make(map[int64]bool), loc: f.start.Location()}
	uid := ""
	if p := master.Props.Get(ical.PropUID); p != nil {
		uid = p.Value
	}
	for _, s := range siblings {
		if s == master || !strings.EqualFold(s.Name, master.Name) {
			continue
		}
		if p := s.Props.Get(ical.PropUID); p == nil || p.Value != uid {
			continue
		}
		rid := s.Props.Get(ical.PropRecurrenceID)
		if rid == nil {
			continue
		}
		t, allDay, err := aical.DateTime(rid, m.loc)
		if err != nil {
			continue
		}
		if allDay && !f.allDay {
			if set.days == nil {
				set.days = make(map[[3]int]bool)
			}
			y, mo, d := t.Date()
			set.days[[3]int{y, int(mo), d}] = true
			continue
		}
		set.at[t.Unix()] = true
	}
	return set
}

// freeBusyInRange is RFC 4791 9.9's VFREEBUSY table: DTSTART and DTEND if
// both are there, else any FREEBUSY period, else no match.
func (m *matcher) freeBusyInRange(c *ical.Component, rs, re time.Time) bool {
	sp, ep := c.Props.Get(ical.PropDateTimeStart), c.Props.Get(ical.PropDateTimeEnd)
	if sp != nil && ep != nil {
		s, _, err1 := aical.DateTime(sp, m.loc)
		e, _, err2 := aical.DateTime(ep, m.loc)
		if err1 != nil || err2 != nil {
			return true
		}
		return !rs.After(e) && re.After(s)
	}
	for i := range c.Props[ical.PropFreeBusy] {
		periods, err := aical.DateList(&c.Props[ical.PropFreeBusy][i], m.loc)
		if err != nil {
			continue
		}
		for _, p := range periods {
			if !p.End.IsZero() && rs.Before(p.End) && re.After(p.Start) {
				return true
			}
		}
	}
	return false
}

// otherInRange covers components RFC 4791 9.9 has no table for here
// (VALARM, VAVAILABILITY, AVAILABLE, x-components): DTSTART..DTEND (or
// DTSTART+DURATION) must overlap; without both, they match.
func (m *matcher) otherInRange(c *ical.Component, rs, re time.Time) bool {
	sp := c.Props.Get(ical.PropDateTimeStart)
	if sp == nil {
		return true
	}
	s, _, err := aical.DateTime(sp, m.loc)
	if err != nil {
		return true
	}
	var e time.Time
	if ep := c.Props.Get(ical.PropDateTimeEnd); ep != nil {
		if e, _, err = aical.DateTime(ep, m.loc); err != nil {
			return true
		}
	} else if dp := c.Props.Get(ical.PropDuration); dp != nil {
		if e, err = aical.AddDuration(s, dp.Value); err != nil {
			return true
		}
	} else {
		return true
	}
	return overlaps(s, e, rs, re)
}
