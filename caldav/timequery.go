package caldav

import (
	"strings"
	"time"

	"almanac/caldav/filter"
	"almanac/storage"
)

// floatSlack is how far a floating time or a DATE read in UTC (as the
// stored timelines read them) can be from the same value read in the
// query's zone: offsets run from UTC-12 to UTC+14, and a wall time in a
// DST gap moves one hour more. 15 hours covers both.
const floatSlack = 15 * time.Hour

// timePlan answers a windowed calendar-query (queryWindow) on one
// calendar from the stored timelines (doc.go, "Time-range queries
// without reading"). Between reports the members it takes, each with
// how it is answered.
//
// A member is answered from its metadata (storage.TakeMatch) only when the
// whole filter is one comp-filter on VEVENT or VJOURNAL with nothing but
// a time-range, no calendar-data is asked for, and one of its stored
// periods overlaps the range exactly as RFC 4791 9.9 tests an instance
// (storage.Period.Overlaps) — which is sound because the periods are the
// instances the matcher itself walks (internal/ical Timeline), complete
// within the bounds Between checks. Periods of floating times and DATEs
// were read in UTC, so they answer exactly only for a query read in UTC;
// in another zone they only make the member a candidate. Every other
// member that may match (a VTODO, whose 9.9 table is not one overlap
// test; a filter with more in it; a timeline unknown or not covering the
// range) is read as before.
type timePlan struct {
	// rules are want for a stored period of each tag, decided ahead
	// (storage.TimeQuery.Rules): an object of a type the filter's
	// comp-filters do not name cannot match.
	rules [256]storage.Rule
	// from, to: the window widened by floatSlack, what Between searches.
	from, to time.Time
	// definitive: members may be answered from their periods, tested
	// against [exactFrom, exactTo); floatExact: floating ones too.
	definitive, floatExact bool
	exactFrom, exactTo     time.Time
}

// newTimePlan plans f's query over window [ws, we) (queryWindow) read
// in loc; metadata tells whether only metadata is asked for.
func newTimePlan(f *filter.Filter, ws, we time.Time, loc *time.Location, metadata bool) *timePlan {
	pl := &timePlan{}
	comps := map[string]bool{}
	for _, cf := range f.Comp.Comps {
		comps[strings.ToUpper(cf.Name)] = true
	}
	if !ws.IsZero() {
		pl.from = ws.Add(-floatSlack)
	}
	if !we.IsZero() {
		pl.to = we.Add(floatSlack)
	}
	cal := &f.Comp
	if metadata && len(cal.Props) == 0 && cal.TimeRange == nil && len(cal.Comps) == 1 {
		cf := &cal.Comps[0]
		name := strings.ToUpper(cf.Name)
		if (name == "VEVENT" || name == "VJOURNAL") && cf.TimeRange != nil && !cf.IsNotDefined &&
			len(cf.Props) == 0 && len(cf.Comps) == 0 {
			pl.definitive = true
			pl.exactFrom, pl.exactTo = cf.TimeRange.Start, cf.TimeRange.End
			pl.floatExact = loc == nil || loc == time.UTC
		}
	}
	for tag := range pl.rules {
		comp, floating := timelineTag(uint8(tag))
		switch {
		case !comps[comp]:
			pl.rules[tag] = storage.RuleNo
		case pl.definitive && (!floating || pl.floatExact):
			pl.rules[tag] = storage.RuleExact
		default:
			pl.rules[tag] = storage.RuleRead
		}
	}
	return pl
}

// query is what Between is asked. etags, when not nil, answers a member
// answered from its periods from its name and ETag alone (the answer
// shows no other property: storage.TimeQuery.ETags).
func (pl *timePlan) query(etags func(name, etag []byte) error) storage.TimeQuery {
	return storage.TimeQuery{From: pl.from, To: pl.to, Want: pl.want, ETags: etags,
		Rules: &pl.rules, Exact: storage.Period{Start: pl.exactFrom, End: pl.exactTo}}
}

// want is storage.TimeQuery.Want, by the rules.
func (pl *timePlan) want(_ []byte, p storage.Period, tag uint8, incomplete bool) storage.Take {
	if incomplete {
		return storage.TakeRead
	}
	switch pl.rules[tag] {
	case storage.RuleNo:
		return storage.TakeNo
	case storage.RuleExact:
		if !p.Overlaps(pl.exactFrom, pl.exactTo) {
			return storage.TakeNo
		}
		return storage.TakeMatch
	}
	return storage.TakeRead
}
