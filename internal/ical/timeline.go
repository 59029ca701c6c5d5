package ical

import (
	"time"

	"github.com/emersion/go-ical"
)

// TimelineOptions bound what Timeline records.
type TimelineOptions struct {
	// From, when not zero, leaves out the instances over before it (a
	// series that began long ago is recorded from there).
	From time.Time
	// Horizon, when not zero, stops the record at the first instance
	// that starts at or after it (a series without end is recorded up
	// to there).
	Horizon time.Time
	// Max caps the periods recorded; 0 means DefaultMaxInstances.
	Max int
	// Budget is charged with the walk (a PUT's, or the renewal's); nil:
	// the walk has only its own WalkWork.
	Budget *Budget
}

// Timeline is the instances of one calendar object as periods, for the
// storage index that lets a time-range query pass over an object without
// reading it (doc.go, "Timeline").
type Timeline struct {
	// Known is false when the instances cannot be listed: a date or rule
	// that does not parse, a rule left out for its cost, a time zone the
	// budget left unread, or a walk the budget stopped before its first
	// instance. The object must then be read by every time-range query.
	Known bool
	// Periods are the instances overlapping [From, Until), [Start, End)
	// in UTC, in order of start; End equals Start for an instant.
	Periods []Interval
	// From and Until bound what Periods holds: every instance that
	// starts before Until and is not over before From (ends after it, or
	// starts at or after it when of no length) is there. A zero From
	// means since the first instance, a zero Until until the last.
	From, Until time.Time
	// Capped is set when Max or the walk's budget, not the Horizon, set
	// Until: recording it again later would stop at the same place.
	Capped bool
	// Floating is set when some value is floating or a DATE: the periods
	// were read in UTC, and a query in another zone reads them up to 14
	// hours earlier or later (RFC 4791 9.9).
	Floating bool
	// Unplaced is set when a component has no time at all (a VTODO with
	// neither DTSTART nor DUE): it has no instance, yet RFC 4791 9.9
	// matches such a VTODO by COMPLETED and CREATED, or always.
	Unplaced bool
}

// Interval is one instance's [Start, End).
type Interval struct{ Start, End time.Time }

// Timeline lists the instances of the object info describes, reading its
// TZIDs through the zones its checks resolved (so nothing is resolved
// twice) and charging opts.Budget.
func (info *ObjectInfo) Timeline(opts TimelineOptions) Timeline {
	zones := info.zones
	if zones == nil || zones.within() != opts.Budget {
		zones = ZonesWithin(info.Calendar, opts.Budget)
	}
	return timelineWithin(info.Calendar, zones, opts)
}

// TimelineOf is Timeline for a parsed object: its TZIDs are resolved
// through ZonesWithin(cal, opts.Budget).
func TimelineOf(cal *ical.Calendar, opts TimelineOptions) Timeline {
	return timelineWithin(cal, ZonesWithin(cal, opts.Budget), opts)
}

// timelineWithin walks the instances in order of start, as Instances
// does for a query, so that the periods are exactly what the query's
// time-range tests would meet: the walk is the same code.
func timelineWithin(cal *ical.Calendar, zones *Zones, opts TimelineOptions) Timeline {
	if cal == nil || cal.Component == nil {
		return Timeline{}
	}
	if opts.Max <= 0 {
		opts.Max = DefaultMaxInstances
	}
	if opts.Budget.Spent() && anyRecurs(cal) {
		return Timeline{}
	}
	ex, err := newExpansion(cal, zones, time.UTC, nil)
	if err != nil {
		return Timeline{}
	}
	for _, s := range ex.series {
		if s.rec.cut != nil {
			// A rule left out: queries match the object whatever the
			// range (caldav/filter doc.go), which no list of periods says.
			return Timeline{}
		}
	}
	tl := Timeline{Known: true, From: opts.From, Floating: ex.floating, Unplaced: unplaced(cal, zones)}
	// One more than Max, so that the first one left out dates Until.
	walk := InstanceOptions{From: opts.From, Max: opts.Max + 1, Budget: opts.Budget}
	var stoppedAt time.Time
	stopped := false
	truncated, err := ex.run(walk, func(in Instance) bool {
		if !opts.Horizon.IsZero() && !in.Start.Before(opts.Horizon) {
			stoppedAt, stopped = in.Start, true
			return false
		}
		if len(tl.Periods) == opts.Max {
			stoppedAt, stopped, tl.Capped = in.Start, true, true
			return false
		}
		end := in.End
		if end.Before(in.Start) {
			end = in.Start
		}
		tl.Periods = append(tl.Periods, Interval{Start: in.Start.UTC(), End: end.UTC()})
		return true
	})
	switch {
	case err != nil || zones.Cut():
		return Timeline{}
	case stopped:
		tl.Until = stoppedAt.UTC()
	case truncated:
		// The walk's budget ran out: what was yielded is complete up to
		// the last start (an instance at the same start may be missing).
		if len(tl.Periods) == 0 {
			return Timeline{}
		}
		tl.Until, tl.Capped = tl.Periods[len(tl.Periods)-1].Start, true
	}
	return tl
}

// unplaced reports whether some component of cal, other than a
// VTIMEZONE, has no time to place it by.
func unplaced(cal *ical.Calendar, zones *Zones) bool {
	for _, c := range cal.Children {
		if c.Name == CompTimezone {
			continue
		}
		t, err := readTiming(c, zones, time.UTC)
		if err != nil || !t.placeable() {
			return true
		}
	}
	return false
}
