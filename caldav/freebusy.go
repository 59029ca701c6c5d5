package caldav

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"almanac/internal/contentline"
	"almanac/internal/dav"
	"almanac/internal/davtree"
	aical "almanac/internal/ical"
	"almanac/storage"
)

// Free-busy types (RFC 5545 3.2.9).
const (
	fbBusy          = "BUSY"
	fbBusyTentative = "BUSY-TENTATIVE"
	fbFree          = "FREE"
)

// busyPeriod is one stretch of busy time of one FBTYPE.
type busyPeriod struct {
	start, end time.Time
	typ        string
}

// freeBusy serves the CALDAV:free-busy-query REPORT (RFC 4791 7.10) on a
// calendar collection: one VFREEBUSY for the calendar's objects in the
// requested time range. See doc.go for the rules.
func (h *Calendars) freeBusy(w http.ResponseWriter, r *http.Request, t *davtree.Target, body []byte) error {
	if t.Type != davtree.Collection {
		return dav.NewError(http.StatusForbidden, "free-busy-query runs on a calendar collection, not on a calendar object")
	}
	tr, err := parseFreeBusyQuery(body)
	if err != nil {
		return err
	}
	floating, err := h.queryLocation(r.Context(), &calendarQuery{}, t)
	if err != nil {
		return err
	}
	if floating == nil {
		floating = time.UTC
	}
	ctx := r.Context()
	// Members are listed without their bytes; only those whose stored
	// span may overlap the range, and that hold events or free-busy
	// information, are read. The list is taken first, so that no read
	// happens inside the listing.
	var names []string
	err = t.List(ctx, func(m *storage.ObjectMeta) error {
		switch strings.ToUpper(m.Component) {
		case "", aical.CompEvent, aical.CompFreeBusy:
		default:
			return nil
		}
		if m.Span.Overlaps(tr.Start, tr.End) {
			names = append(names, m.Name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var periods []busyPeriod
	cut := 0
	budget := h.requestBudget()
	// The candidates are read a batch at a time; one deleted since the
	// listing is skipped.
	err = t.EachMember(ctx, names, func(obj *storage.Object) error {
		cal, err := aical.Parse(obj.Data)
		if err != nil {
			h.logger.WarnContext(ctx, "stored object does not parse", "collection", t.CollName, "object", obj.Name, "err", err)
			return nil
		}
		var truncated bool
		if periods, truncated, err = busyTimes(periods, cal, tr, floating, h.maxInstances, budget); err != nil {
			h.logger.WarnContext(ctx, "free-busy: object cannot be expanded", "collection", t.CollName, "object", obj.Name, "err", err)
		}
		if truncated {
			cut++
		}
		return nil
	})
	if err != nil {
		return err
	}
	note := ""
	if cut > 0 {
		note = fmt.Sprintf("incomplete: the server's limits cut short the recurrence expansion of %d object(s)", cut)
	}
	out := freeBusyCalendar(mergeBusy(periods), tr, time.Now(), note)
	hd := w.Header()
	hd.Set("Content-Type", "text/calendar; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(len(out)))
	hd.Set("Cache-Control", "private, no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(out)
	return nil
}

// parseFreeBusyQuery reads the one CALDAV:time-range of a
// free-busy-query body (RFC 4791 9.11). The RFC names no precondition
// for a bad request here, so a missing, repeated or malformed time-range
// is 400. Either side may be left out (9.9); it then defaults to
// min-date-time or max-date-time.
func parseFreeBusyQuery(body []byte) (TimeRange, error) {
	var tr TimeRange
	n := 0
	err := dav.EachChild(body, func(d *xml.Decoder, se xml.StartElement) error {
		if se.Name != dav.Name(dav.NSCalDAV, "time-range") {
			return d.Skip()
		}
		n++
		sv, okS := attrValue(se, "start")
		ev, okE := attrValue(se, "end")
		if !okS && !okE {
			return dav.BadRequest("time-range needs a start or an end attribute")
		}
		tr = TimeRange{Start: minTime, End: maxTime}
		var ok bool
		if okS {
			if tr.Start, ok = parseUTC(sv); !ok {
				return dav.BadRequest("time-range start must be a UTC date-time (YYYYMMDDTHHMMSSZ)")
			}
		}
		if okE {
			if tr.End, ok = parseUTC(ev); !ok {
				return dav.BadRequest("time-range end must be a UTC date-time (YYYYMMDDTHHMMSSZ)")
			}
		}
		if !tr.End.After(tr.Start) {
			return dav.BadRequest("time-range end must be after its start")
		}
		return d.Skip()
	})
	if err != nil {
		return TimeRange{}, err
	}
	if n != 1 {
		return TimeRange{}, dav.BadRequest("free-busy-query needs exactly one CALDAV:time-range")
	}
	return tr, nil
}

// busyTimes appends the busy time cal contributes to [tr.Start, tr.End),
// clipped to it (RFC 4791 7.10):
//
//   - each VEVENT instance, unless TRANSP:TRANSPARENT or
//     STATUS:CANCELLED (the override's own properties for overridden
//     instances): BUSY-TENTATIVE for STATUS:TENTATIVE, BUSY otherwise;
//     instances of no length are no busy time;
//   - each FREEBUSY period of a stored VFREEBUSY, with its FBTYPE
//     (default BUSY; FREE periods are left out).
//
// VTODO, VJOURNAL and VAVAILABILITY contribute nothing. truncated reports
// an expansion cut short by the limits (aical.Instances: max, the walk's
// work budget, b, the request's) or a time zone b left unread; the busy
// time found up to there is kept.
func busyTimes(out []busyPeriod, cal *ical.Calendar, tr TimeRange, floating *time.Location, max int, b *aical.Budget) ([]busyPeriod, bool, error) {
	zones := aical.ZonesWithin(cal, b)
	for _, c := range cal.Children {
		if !strings.EqualFold(c.Name, aical.CompFreeBusy) {
			continue
		}
		for i := range c.Props[ical.PropFreeBusy] {
			p := &c.Props[ical.PropFreeBusy][i]
			typ := strings.ToUpper(strings.TrimSpace(p.Params.Get(ical.ParamFreeBusyType)))
			if typ == "" {
				typ = fbBusy
			}
			if typ == fbFree {
				continue
			}
			ps, err := zones.DateList(p, floating)
			if err != nil {
				continue
			}
			for _, per := range ps {
				out = appendClipped(out, per.Start, per.End, typ, tr)
			}
		}
	}
	truncated, err := aical.Instances(cal, aical.InstanceOptions{Floating: floating, From: tr.Start, To: tr.End, Zones: zones, Max: max, Budget: b},
		func(inst aical.Instance) bool {
			c := inst.Component
			if !strings.EqualFold(c.Name, aical.CompEvent) || inst.Cancelled {
				return true
			}
			if p := c.Props.Get(ical.PropTransparency); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "TRANSPARENT") {
				return true
			}
			typ := fbBusy
			if p := c.Props.Get(ical.PropStatus); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "TENTATIVE") {
				typ = fbBusyTentative
			}
			out = appendClipped(out, inst.Start, inst.End, typ, tr)
			return true
		})
	return out, (truncated || zones.Cut()) && err == nil, err
}

func appendClipped(out []busyPeriod, s, e time.Time, typ string, tr TimeRange) []busyPeriod {
	if e.IsZero() || !e.After(s) {
		return out
	}
	if s.Before(tr.Start) {
		s = tr.Start
	}
	if e.After(tr.End) {
		e = tr.End
	}
	if !e.After(s) {
		return out
	}
	return append(out, busyPeriod{start: s.UTC(), end: e.UTC(), typ: typ})
}

// fbOrder sorts the types of one start time: BUSY first, then the
// RFC 5545 types, then x-names by name.
func fbOrder(typ string) int {
	switch typ {
	case fbBusy:
		return 0
	case "BUSY-UNAVAILABLE":
		return 1
	case fbBusyTentative:
		return 2
	}
	return 3
}

// mergeBusy coalesces overlapping and adjacent periods of the same type
// (RFC 4791 7.10 "SHOULD coalesce"); periods of different types may still
// overlap, as the RFC allows. The result is sorted by start, then type.
func mergeBusy(ps []busyPeriod) []busyPeriod {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].typ != ps[j].typ {
			oi, oj := fbOrder(ps[i].typ), fbOrder(ps[j].typ)
			if oi != oj {
				return oi < oj
			}
			return ps[i].typ < ps[j].typ
		}
		return ps[i].start.Before(ps[j].start)
	})
	var out []busyPeriod
	for _, p := range ps {
		if n := len(out); n > 0 && out[n-1].typ == p.typ && !p.start.After(out[n-1].end) {
			if p.end.After(out[n-1].end) {
				out[n-1].end = p.end
			}
			continue
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].start.Equal(out[j].start) {
			return out[i].start.Before(out[j].start)
		}
		return fbOrder(out[i].typ) < fbOrder(out[j].typ)
	})
	return out
}

// freeBusyCalendar writes the report's answer: one VCALENDAR with one
// VFREEBUSY whose DTSTART and DTEND are the requested range, with one
// FREEBUSY property per period, its FBTYPE always written, and note, if
// any, as a COMMENT (RFC 5545 3.8.1.4, allowed in VFREEBUSY).
func freeBusyCalendar(ps []busyPeriod, tr TimeRange, now time.Time, note string) []byte {
	var b []byte
	for _, l := range []string{
		"BEGIN:VCALENDAR",
		"VERSION:2.0",
		"PRODID:-//almanac//free-busy-query//EN",
		"BEGIN:VFREEBUSY",
		"DTSTAMP:" + now.UTC().Format(utcLayout),
		"DTSTART:" + tr.Start.UTC().Format(utcLayout),
		"DTEND:" + tr.End.UTC().Format(utcLayout),
	} {
		b = contentline.AppendFolded(b, l)
	}
	if note != "" {
		b = contentline.AppendFolded(b, aical.FormatProp(&ical.Prop{Name: ical.PropComment, Params: ical.Params{}, Value: note}))
	}
	for _, p := range ps {
		prop := ical.Prop{
			Name:   ical.PropFreeBusy,
			Params: ical.Params{ical.ParamFreeBusyType: {p.typ}},
			Value:  p.start.Format(utcLayout) + "/" + p.end.Format(utcLayout),
		}
		b = contentline.AppendFolded(b, aical.FormatProp(&prop))
	}
	b = contentline.AppendFolded(b, "END:VFREEBUSY")
	return contentline.AppendFolded(b, "END:VCALENDAR")
}
