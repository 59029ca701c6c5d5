package caldav

import (
	"context"
	"errors"
	"strings"
	"time"

	"almanac/internal/dav"
	aical "almanac/internal/ical"
	"almanac/storage"
)

// pScheduleTransp is RFC 6638 9.1's schedule-calendar-transp: whether a
// calendar's events count as busy time for scheduling. It is written by
// PROPPATCH like a dead property; without it a calendar is opaque.
var pScheduleTransp = dav.Name(dav.NSCalDAV, "schedule-calendar-transp")

// BusyPeriod is one stretch of a user's busy time, with its FBTYPE.
type BusyPeriod struct {
	Start, End time.Time
	Type       string
}

// ScheduleBusy returns owner's busy time in [start, end) for a
// scheduling free-busy request (RFC 6638 5): the events of each of
// owner's calendars but those marked transparent, read as the
// free-busy-query REPORT reads them (TRANSP, STATUS:CANCELLED; CLASS
// hides details, never time, and only times are returned). Floating
// times are read in UTC. incomplete reports an expansion cut short.
func (h *Calendars) ScheduleBusy(ctx context.Context, owner string, start, end time.Time) (periods []BusyPeriod, incomplete bool, err error) {
	colls, err := h.store.ListCollections(ctx, owner)
	if err != nil {
		return nil, false, err
	}
	tr := TimeRange{Start: start, End: end}
	budget := h.requestBudget()
	var busy []busyPeriod
	for _, c := range colls {
		if c.Kind != storage.KindCalendar || transparent(&c) {
			continue
		}
		var names []string
		err := h.store.List(ctx, owner, c.Name, func(m *storage.ObjectMeta) error {
			switch strings.ToUpper(m.Component) {
			case "", aical.CompEvent, aical.CompFreeBusy:
				if m.Span.Overlaps(start, end) {
					names = append(names, m.Name)
				}
			}
			return nil
		})
		if err != nil {
			return nil, false, err
		}
		for _, name := range names {
			obj, err := h.store.Get(ctx, owner, c.Name, name)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, false, err
			}
			cal, err := aical.Parse(obj.Data)
			if err != nil {
				continue
			}
			var cut bool
			busy, cut, _ = busyTimes(busy, cal, tr, time.UTC, h.maxInstances, budget)
			incomplete = incomplete || cut
		}
	}
	for _, p := range mergeBusy(busy) {
		periods = append(periods, BusyPeriod{Start: p.start, End: p.end, Type: p.typ})
	}
	return periods, incomplete, nil
}

// transparent reports a calendar whose schedule-calendar-transp is
// transparent.
func transparent(c *storage.Collection) bool {
	v, ok := c.Props[dav.Clark(pScheduleTransp)]
	return ok && strings.Contains(v, "transparent")
}
