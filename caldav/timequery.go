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

// verdict is what a time plan decided for one member.
type verdict uint8

const (
	verdictNone  verdict = iota
	verdictMatch         // matches: answered from metadata alone
	verdictRead          // may match: read, parse and match it
)

// timePlan answers a windowed calendar-query (queryWindow) on one
// calendar from the stored timelines (doc.go, "Time-range queries
// without reading"). Between reports the members it wants; verdict tells
// how each is answered.
//
// A member is answered from its metadata (verdictMatch) only when the
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
	// comps are the object types the filter's comp-filters name: an
	// object of another type (its timeline's tag) cannot match.
	comps map[string]bool
	// from, to: the window widened by floatSlack, what Between searches.
	from, to time.Time
	// definitive: members may be answered from their periods, tested
	// against [exactFrom, exactTo); floatExact: floating ones too.
	definitive, floatExact bool
	exactFrom, exactTo     time.Time
	seen                   map[string]verdict
}

// newTimePlan plans f's query over window [ws, we) (queryWindow) read
// in loc; metadata tells whether only metadata is asked for.
func newTimePlan(f *filter.Filter, ws, we time.Time, loc *time.Location, metadata bool) *timePlan {
	pl := &timePlan{comps: map[string]bool{}, seen: map[string]verdict{}}
	for _, cf := range f.Comp.Comps {
		pl.comps[strings.ToUpper(cf.Name)] = true
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
	return pl
}

// query is what Between is asked. etagOnly: the answer shows no
// property of a member but its ETag, so a member answered from its
// periods needs nothing else (storage.TimeQuery.NameAndETag).
func (pl *timePlan) query(etagOnly bool) storage.TimeQuery {
	q := storage.TimeQuery{From: pl.from, To: pl.to, Want: pl.want}
	if etagOnly {
		q.NameAndETag = func(name string) bool { return pl.seen[name] == verdictMatch }
	}
	return q
}

// want is storage.TimeQuery.Want: each member is reported once, with
// the first verdict that is not "cannot match".
func (pl *timePlan) want(name string, p storage.Period, tag uint8, incomplete bool) bool {
	if pl.seen[name] != verdictNone {
		return false
	}
	if incomplete {
		pl.seen[name] = verdictRead
		return true
	}
	comp, floating := timelineTag(tag)
	if !pl.comps[comp] {
		return false
	}
	if pl.definitive && (!floating || pl.floatExact) {
		if !p.Overlaps(pl.exactFrom, pl.exactTo) {
			return false
		}
		pl.seen[name] = verdictMatch
		return true
	}
	pl.seen[name] = verdictRead
	return true
}

// verdict is what was decided for a member Between reported.
func (pl *timePlan) verdict(name string) verdict { return pl.seen[name] }
