package filter

import (
	"strconv"
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

func (m *matcher) compInRange(c *ical.Component, siblings []*ical.Component, up *scope, tr *TimeRange) bool {
	rs, re := bounds(tr)
	switch strings.ToUpper(c.Name) {
	case "VALARM":
		return m.alarmInRange(c, up, tr, rs, re)
	case aical.CompEvent, aical.CompJournal:
		return m.instanceInRange(c, siblings, tr.Start, tr.End, func(aical.Instance) bool { return true })
	case aical.CompToDo:
		return m.todoInRange(c, siblings, tr, rs, re)
	case aical.CompFreeBusy:
		return m.freeBusyInRange(c, rs, re)
	default:
		return m.otherInRange(c, rs, re)
	}
}

// instanceInRange walks the instances c defines among its siblings (the
// master's that no override replaces, an override's own, and those a
// RANGE=THISANDFUTURE override governs) that overlap [from, to) by
// RFC 4791 9.9's rule, and reports whether test holds for one. When the
// data cannot answer (a date that does not parse, an RRULE we cannot
// expand, the instance cap) it reports true: see doc.go.
func (m *matcher) instanceInRange(c *ical.Component, siblings []*ical.Component, from, to time.Time, test func(aical.Instance) bool) bool {
	cal := &ical.Calendar{Component: &ical.Component{Name: ical.CompCalendar, Children: siblings}}
	matched := false
	truncated, err := aical.Instances(cal, aical.InstanceOptions{
		Floating: m.loc, From: from, To: to, Max: m.max, Zones: m.zones, Only: c, Budget: m.budget,
	}, func(in aical.Instance) bool {
		matched = test(in)
		return !matched
	})
	if truncated && !matched && err == nil {
		m.cut = true
	}
	return matched || truncated || err != nil
}

// todoInRange is the VTODO table of RFC 4791 9.9, row by row, applied to
// each instance (DTSTART and DUE or DURATION move with the instance).
func (m *matcher) todoInRange(c *ical.Component, siblings []*ical.Component, tr *TimeRange, rs, re time.Time) bool {
	le := func(a, b time.Time) bool { return !a.After(b) }
	has := func(name string) bool { return c.Props.Get(name) != nil }
	hasStart := has(ical.PropDateTimeStart) || has(ical.PropRecurrenceID)
	hasDue, hasDur := has(ical.PropDue), has(ical.PropDuration)
	if hasStart || hasDue {
		// The table's <= and >= reach one second past the overlap rule
		// that Instances applies; iCalendar times are whole seconds.
		from, to := tr.Start, tr.End
		if !from.IsZero() {
			from = from.Add(-time.Second)
		}
		if !to.IsZero() {
			to = to.Add(time.Second)
		}
		return m.instanceInRange(c, siblings, from, to, func(in aical.Instance) bool {
			s, e := in.Start, in.End
			switch {
			case hasStart && hasDur:
				return le(rs, e) && (re.After(s) || le(e, re))
			case hasStart && hasDue:
				return (rs.Before(e) || le(rs, s)) && (re.After(s) || le(e, re))
			case hasStart:
				return le(rs, s) && re.After(s)
			default: // DUE only
				return rs.Before(e) && le(e, re)
			}
		})
	}
	date := func(name string) (time.Time, bool, bool) {
		p := c.Props.Get(name)
		if p == nil {
			return time.Time{}, false, true
		}
		t, _, err := m.zones.DateTime(p, m.loc)
		return t, err == nil, err == nil
	}
	completed, hasCompleted, ok1 := date(ical.PropCompleted)
	created, hasCreated, ok2 := date(ical.PropCreated)
	switch {
	case !ok1 || !ok2:
		return true // a date that does not parse: see doc.go
	case hasCompleted && hasCreated:
		return (le(rs, created) || le(rs, completed)) && (le(created, re) || le(completed, re))
	case hasCompleted:
		return le(rs, completed) && le(completed, re)
	case hasCreated:
		return re.After(created)
	}
	return true
}

// freeBusyInRange is RFC 4791 9.9's VFREEBUSY table: DTSTART and DTEND if
// both are there, else any FREEBUSY period, else no match.
func (m *matcher) freeBusyInRange(c *ical.Component, rs, re time.Time) bool {
	sp, ep := c.Props.Get(ical.PropDateTimeStart), c.Props.Get(ical.PropDateTimeEnd)
	if sp != nil && ep != nil {
		s, _, err1 := m.zones.DateTime(sp, m.loc)
		e, _, err2 := m.zones.DateTime(ep, m.loc)
		if err1 != nil || err2 != nil {
			return true
		}
		return !rs.After(e) && re.After(s)
	}
	for i := range c.Props[ical.PropFreeBusy] {
		periods, err := m.zones.DateList(&c.Props[ical.PropFreeBusy][i], m.loc)
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

// alarmInRange is RFC 4791 9.9's VALARM rule: (start <= trigger-time) AND
// (end > trigger-time) for some trigger time of the alarm, its REPEAT
// repetitions DURATION apart included, in some instance of the component
// the alarm belongs to (up.parent). A TRIGGER relative to START or END
// (RFC 5545 3.8.6.3; nominal days) moves with each instance's start or
// end; an absolute one (VALUE=DATE-TIME) fires once.
func (m *matcher) alarmInRange(alarm *ical.Component, up *scope, tr *TimeRange, rs, re time.Time) bool {
	trig := alarm.Props.Get(ical.PropTrigger)
	if trig == nil {
		return true // no trigger to test: see doc.go
	}
	repeat, every := 0, time.Duration(0)
	if p := alarm.Props.Get(ical.PropRepeat); p != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(p.Value)); err == nil && n > 0 {
			repeat = n
		}
	}
	if p := alarm.Props.Get(ical.PropDuration); p != nil && repeat > 0 {
		if d, err := aical.ParseDuration(p.Value); err == nil && d > 0 {
			every = d
		}
	}
	if every == 0 {
		repeat = 0
	}
	fires := func(t0 time.Time) bool {
		if !rs.After(t0) && re.After(t0) {
			return true
		}
		if repeat == 0 || !t0.Before(re) {
			return false
		}
		// The first repetition at or after rs, if it is among the REPEAT
		// ones and before re.
		k := int64(1)
		if gap := rs.Sub(t0); gap > 0 {
			k = max(1, int64((gap+every-1)/every))
		}
		if k > int64(repeat) || float64(k)*float64(every) > float64(re.Sub(t0))+float64(every) {
			return false
		}
		t := t0.Add(time.Duration(k) * every)
		return !rs.After(t) && re.After(t)
	}
	if strings.EqualFold(trig.Params.Get(ical.ParamValue), string(ical.ValueDateTime)) {
		t0, _, err := m.zones.DateTime(trig, m.loc)
		if err != nil {
			return true
		}
		return fires(t0)
	}
	off, err := aical.ParseDuration(trig.Value)
	if err != nil {
		return true
	}
	if up == nil || up.parent == nil {
		return true // a relative trigger with nothing to be relative to
	}
	related := strings.EqualFold(trig.Params.Get(ical.ParamRelated), "END")
	// Instances whose trigger times can reach [rs, re): those overlapping
	// the range moved back by the offsets, with slack for nominal days
	// across DST.
	const slack = 2 * time.Hour
	from, to := tr.Start, tr.End
	if !from.IsZero() {
		last := off // the latest trigger offset
		if reach := float64(repeat) * float64(every); reach < float64(1<<62)-float64(off) {
			last = off + time.Duration(repeat)*every
		} else {
			last = 1 << 62
		}
		from = from.Add(-last - slack)
	}
	if !to.IsZero() {
		to = to.Add(-off + slack)
	}
	return m.instanceInRange(up.parent, up.siblings, from, to, func(in aical.Instance) bool {
		base := in.Start
		if related {
			base = in.End
		}
		t0, err := aical.AddDuration(base, trig.Value)
		if err != nil {
			return true
		}
		return fires(t0)
	})
}

// otherInRange covers components RFC 4791 9.9 has no table for here
// (VAVAILABILITY, AVAILABLE, x-components): DTSTART..DTEND (or
// DTSTART+DURATION) must overlap; without both, they match.
func (m *matcher) otherInRange(c *ical.Component, rs, re time.Time) bool {
	sp := c.Props.Get(ical.PropDateTimeStart)
	if sp == nil {
		return true
	}
	s, _, err := m.zones.DateTime(sp, m.loc)
	if err != nil {
		return true
	}
	var e time.Time
	if ep := c.Props.Get(ical.PropDateTimeEnd); ep != nil {
		if e, _, err = m.zones.DateTime(ep, m.loc); err != nil {
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
