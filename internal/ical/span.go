package ical

import (
	"time"

	"github.com/emersion/go-ical"
)

// floatingSlack is how far a floating or DATE value can move when the
// query's time zone decides what it means: UTC offsets run from -12:00
// to +14:00.
const floatingSlack = 14 * time.Hour

// spanWalk bounds the occurrences Span walks to find the end of a rule
// with COUNT; past it the rule's UNTIL, if every rule has one, bounds the
// span, otherwise the span is open.
const spanWalk = DefaultMaxInstances * walkFactor

// Span returns a conservative [start, end) covering every instance of the
// calendar object cal: the masters' DTSTARTs, RRULE and RDATE instances
// with their lengths, overrides at their own (possibly moved) times, and
// the shifts of RANGE=THISANDFUTURE overrides. open is true when a rule has
// neither COUNT nor UNTIL (or its end could not be found within a bounded
// walk); end is then zero. ok is false when nothing can be computed: no
// component has a time, a date does not parse or an RRULE cannot be
// expanded; the object must then always be a candidate.
//
// Floating DATE-TIME and DATE values are read as UTC and, since a query
// may read them in any zone (RFC 4791 9.9), the whole span is widened by
// 14 hours on each side when any value is floating. Times are in UTC.
// Lengths get two hours of slack for nominal durations across DST, and
// THISANDFUTURE shifts three.
func Span(cal *ical.Calendar) (start, end time.Time, open, ok bool) {
	s := spanWithin(cal, ZonesOf(cal))
	return s.Start, s.End, s.Open, s.Known
}

// spanWithin is Span with TZIDs resolved through zones, whose Budget the
// work is charged to. A budget spent on the way leaves a span that does
// not hold; the caller checks.
func spanWithin(cal *ical.Calendar, zones *Zones) ObjectSpan {
	start, end, open, ok := span(cal, zones)
	return ObjectSpan{Start: start, End: end, Open: open, Known: ok}
}

func span(cal *ical.Calendar, zones *Zones) (start, end time.Time, open, ok bool) {
	if cal == nil || cal.Component == nil {
		return time.Time{}, time.Time{}, false, false
	}
	ex, err := newExpansion(cal, zones, time.UTC, nil)
	if err != nil {
		return time.Time{}, time.Time{}, false, false
	}
	first := true
	cover := func(s, e time.Time) {
		if e.Before(s) {
			e = s
		}
		if first || s.Before(start) {
			start = s
		}
		if first || e.After(end) {
			end = e
		}
		first = false
	}
	for _, inst := range ex.fixed {
		cover(inst.Start, inst.End)
	}
	for _, s := range ex.series {
		// A THISANDFUTURE shift moves the occurrences from its
		// RECURRENCE-ID on: earlier by at most lo, later by at most hi.
		firstOcc := s.rec.rdates[0].Start // DTSTART and RDATEs, sorted
		hi := time.Duration(0)
		for _, f := range s.futures {
			l, h := f.shift.approx()
			if e := f.t.rid.Add(l); e.Before(firstOcc) {
				firstOcc = e
			}
			hi = max(hi, h)
		}
		length := s.maxLength()
		if s.rec.cut != nil {
			// Rules were left out: nothing bounds the set.
			open = true
			cover(firstOcc, firstOcc)
			continue
		}
		last, bounded, err := s.rec.lastStart(zones.within())
		if err != nil {
			return time.Time{}, time.Time{}, false, false
		}
		if !bounded {
			open = true
			cover(firstOcc, firstOcc)
			continue
		}
		cover(firstOcc, last.Add(satAdd(hi, length)))
	}
	if first {
		return time.Time{}, time.Time{}, false, false
	}
	if ex.floating {
		start, end = start.Add(-floatingSlack), end.Add(floatingSlack)
	}
	if open {
		end = time.Time{}
	} else {
		end = end.UTC()
	}
	return start.UTC(), end, open, true
}

// lastStart returns the start of the set's last occurrence (or a bound on
// it), with bounded false when the set has no end we can find within
// spanWalk occurrences and WalkWork. The walk is charged to req too.
func (r *Recurrence) lastStart(req *Budget) (last time.Time, bounded bool, err error) {
	for _, rule := range r.rules {
		if o := rule.OrigOptions; o.Count == 0 && o.Until.IsZero() {
			return time.Time{}, false, nil
		}
	}
	last = r.rdates[len(r.rdates)-1].Start
	m := newMeter(WalkWork, req)
	c := r.window(time.Time{}, time.Time{}, m)
	for n := 0; n < spanWalk && !m.spent(); n++ {
		occ, ok, err := c.next()
		if err != nil {
			return time.Time{}, false, err
		}
		if !ok {
			return last, true, nil
		}
		m.took()
		if occ.Start.After(last) {
			last = occ.Start
		}
	}
	// Walk too long: UNTIL bounds the rules that have one; a long COUNT
	// rule without UNTIL we treat as open.
	for _, rule := range r.rules {
		if rule.OrigOptions.Until.IsZero() {
			return time.Time{}, false, nil
		}
		if rule.OrigOptions.Until.After(last) {
			last = rule.OrigOptions.Until
		}
	}
	return last, true, nil
}
