package caldav

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-ical"

	"almanac/caldav/filter"
	"almanac/internal/dav"
	"almanac/internal/davtree"
	aical "almanac/internal/ical"
	"almanac/storage"
)

// query serves calendar-query (RFC 4791 7.8) on a calendar, one of its
// members, or the calendar home, where it searches every calendar in it
// (davtree.Target.QueryScope) and answers with the members' own URLs.
//
// When every way the filter can match needs a component in a time range
// (queryWindow), the calendar's time index is searched (timePlan): a
// member whose stored periods answer is reported from its metadata, and
// only the others whose periods or span may overlap that window are
// read, parsed and matched; the rest cannot match. Otherwise every
// member is read.
func (h *Calendars) query(w http.ResponseWriter, r *http.Request, t *davtree.Target, body []byte) error {
	// Without a Depth header the query is about the members: RFC 4918
	// would default to 0, but scripts and some clients omit the header
	// and mean the calendar's contents, as Radicale answers them.
	depth, err := dav.ParseDepth(r.Header.Get("Depth"), dav.DepthOne)
	if err != nil {
		return err
	}
	pf, err := davtree.ReportProps(body)
	if err != nil {
		return err
	}
	// The whole request is read before anything is streamed; what
	// depends on the calendar (its time zone) cannot fail.
	cd, err := h.calendarDataRequest(r.Context(), t, body)
	if err != nil {
		return err
	}
	q, err := parseCalendarQuery(body)
	if err != nil {
		return err
	}
	qloc, given, err := requestLocation(q)
	if err != nil {
		return err
	}
	f0 := *q.filter
	f0.MaxInstances = h.maxInstances
	// One recurrence work budget for the filter and the calendar-data of
	// every member, in every calendar searched (requestBudget).
	if cd != nil && cd.Budget != nil {
		f0.Budget = cd.Budget
	} else {
		f0.Budget = h.requestBudget()
	}
	ctx := r.Context()
	var scope []*davtree.Target
	if t.Type != davtree.Member {
		if scope, err = t.QueryScope(ctx, depth); err != nil {
			return err
		}
	}
	ms := dav.NewMultistatus(w, r)
	data := davtree.WantsData(h, pf)
	rs, re, windowed := queryWindow(q.filter)
	// Members whose answer an expansion cut short: matched only because
	// a time-range test was, or whose calendar-data was.
	var cut []string
	search := func(ct *davtree.Target, only string) error {
		loc := qloc
		if !given {
			loc = h.calendarLocation(ctx, ct)
		}
		f := f0
		f.Location = loc
		var render davtree.Renderer
		if cd != nil {
			render = cd.For(ct)
		}
		src := davtree.NewMemberSource(ct, render)
		// One collection href for every member answered.
		collHref := ct.CollectionHref()
		href := func(name string) string { return collHref + dav.EscapePath(name) }
		var matchedCut []string
		visit := func(obj *storage.Object) error {
			if hook := queryParseHook.Load(); hook != nil {
				(*hook)(h, obj.Name)
			}
			cal, err := aical.Parse(obj.Data)
			if err != nil {
				// Stored objects were validated on PUT; one that no
				// longer parses (a stricter parser after an upgrade)
				// cannot match.
				h.logger.WarnContext(ctx, "stored object does not parse", "collection", ct.CollName, "object", obj.Name, "err", err)
				return nil
			}
			ok, limited, err := f.MatchCut(cal)
			if err != nil || !ok {
				return err
			}
			if limited {
				matchedCut = append(matchedCut, obj.Name)
			}
			src.Meta = &obj.ObjectMeta
			src.Data = nil
			if data {
				src.Data = obj.Data
			}
			return ms.Propfind(href(obj.Name), pf, src)
		}
		var err error
		switch {
		case only != "":
			var obj *storage.Object
			if obj, err = ct.Get(ctx, only); err == nil {
				err = visit(obj)
			}
		case !windowed:
			err = ct.Walk(ctx, visit)
		default:
			// Between runs its callback outside any read transaction,
			// so a candidate can be read right there.
			pl := newTimePlan(&f, rs, re, loc, !data)
			var etags func(name, etag []byte) error
			if !data && dav.ETagOnly(pf) {
				etags = func(name, etag []byte) error { return ms.ETagResponse(collHref, name, etag, true, pf) }
			}
			// The candidates to parse are read a batch at a time, one
			// read each instead of one per candidate (a round trip
			// each on PostgreSQL); matches answered from the index go
			// out meanwhile, so the answer's order is not the walk's.
			var pending []string
			readPending := func() error {
				err := ct.EachMember(ctx, pending, visit)
				pending = pending[:0]
				return err
			}
			err = ct.Between(ctx, pl.query(etags), func(m *storage.ObjectMeta, take storage.Take) error {
				if take == storage.TakeMatch {
					src.Meta, src.Data = m, nil
					return ms.Propfind(href(m.Name), pf, src)
				}
				if !m.Span.Overlaps(rs, re) {
					return nil
				}
				if pending = append(pending, m.Name); len(pending) == davtree.ReadBatch {
					return readPending()
				}
				return nil
			})
			if err == nil {
				err = readPending()
			}
		}
		cut = appendCut(cut, ct, matchedCut, src.Cut)
		return err
	}
	if t.Type == davtree.Member {
		err = search(t, t.ObjName)
	}
	for _, ct := range scope {
		if err = search(ct, ""); err != nil {
			break
		}
	}
	if err != nil {
		return davtree.Abort(h.logger, ms, queryError(err))
	}
	// One 507 response names the members concerned (davtree.ReportCut).
	if err := davtree.ReportCutHrefs(ms, t.Href(), cut); err != nil {
		return davtree.Abort(h.logger, ms, err)
	}
	return ms.Close("")
}

// appendCut adds to hrefs the members of ct that matched only because an
// expansion was cut short, then those whose rendering was, each once.
func appendCut(hrefs []string, ct *davtree.Target, matched, rendered []string) []string {
	seen := make(map[string]bool, len(matched))
	for _, n := range matched {
		seen[n] = true
		hrefs = append(hrefs, ct.MemberHref(n))
	}
	for _, n := range rendered {
		if !seen[n] {
			hrefs = append(hrefs, ct.MemberHref(n))
		}
	}
	return hrefs
}

// queryParseHook, when set, is called with every object calendar-query
// parses. Only tests set it (export_test.go), to prove the prefilter.
var queryParseHook atomic.Pointer[func(h *Calendars, name string)]

// spanComponents are the components whose time-range tests an object's
// stored span covers: the object types of RFC 4791 4.1 except
// VAVAILABILITY, which 9.9 matches at any time when it lacks DTSTART or
// DTEND (the span knows only its instances).
var spanComponents = []string{aical.CompEvent, aical.CompToDo, aical.CompJournal, aical.CompFreeBusy}

// queryWindow returns the window outside of which no object can match f,
// when there is one: every comp-filter directly under VCALENDAR names an
// object component type and carries a time-range; the window is the union
// of their ranges (a zero side is unbounded). A comp-filter without a
// time-range, with is-not-defined, or on another component (VTIMEZONE,
// x-components, which the span does not describe) means no window.
//
// RFC 4791 9.7.1 ANDs sibling comp-filters, so one time-ranged child
// would bound the answer already; requiring all of them keeps the rule
// right under either reading and costs only unusual queries a full scan.
func queryWindow(f *filter.Filter) (start, end time.Time, ok bool) {
	cal := &f.Comp
	if cal.IsNotDefined || len(cal.Comps) == 0 {
		return time.Time{}, time.Time{}, false
	}
	for i := range cal.Comps {
		cf := &cal.Comps[i]
		tr := cf.TimeRange
		if cf.IsNotDefined || tr == nil || (tr.Start.IsZero() && tr.End.IsZero()) ||
			!slices.ContainsFunc(spanComponents, func(c string) bool { return strings.EqualFold(c, cf.Name) }) {
			return time.Time{}, time.Time{}, false
		}
		if i == 0 {
			start, end = tr.Start, tr.End
			continue
		}
		if tr.Start.IsZero() || (!start.IsZero() && tr.Start.Before(start)) {
			start = tr.Start
		}
		if tr.End.IsZero() || (!end.IsZero() && tr.End.After(end)) {
			end = tr.End
		}
	}
	if !end.IsZero() {
		// Closed at the end: RFC 4791 9.9 lets a VTODO with only a DUE
		// match a range that ends at DUE (end >= DUE), and a span of one
		// instant at DUE starts at the window's end.
		end = end.Add(time.Nanosecond)
	}
	return start, end, true
}

// calendarQuery is what calendar-query carries besides DAV:prop.
type calendarQuery struct {
	filter *filter.Filter
	// timezone is the text of CALDAV:timezone (RFC 4791 9.8), an
	// iCalendar object with one VTIMEZONE; timezoneID the text of
	// RFC 7809's CALDAV:timezone-id, a bare TZID.
	timezone, timezoneID *string
}

var (
	eFilter     = dav.Name(dav.NSCalDAV, "filter")
	eTimezone   = dav.Name(dav.NSCalDAV, "timezone")
	eTimezoneID = dav.Name(dav.NSCalDAV, "timezone-id")
	condValidTZ = dav.Name(dav.NSCalDAV, "valid-timezone")
)

func parseCalendarQuery(body []byte) (*calendarQuery, error) {
	q := &calendarQuery{}
	err := dav.EachChild(body, func(d *xml.Decoder, t xml.StartElement) error {
		if t.Name == eFilter && q.filter == nil {
			var err error
			if q.filter, err = filter.Decode(d, t); err != nil {
				return queryError(err)
			}
			return nil
		}
		return q.zoneElement(d, t)
	})
	if err != nil {
		return nil, err
	}
	if q.filter == nil {
		return nil, dav.Precondition(http.StatusForbidden, dav.Name(dav.NSCalDAV, "valid-filter"), "calendar-query needs a CALDAV:filter")
	}
	return q, q.checkZone()
}

// parseQueryZone reads only the time-zone elements of a REPORT body, for
// reports other than calendar-query whose calendar-data is expanded.
func parseQueryZone(body []byte) (*calendarQuery, error) {
	q := &calendarQuery{}
	if err := dav.EachChild(body, q.zoneElement); err != nil {
		return nil, err
	}
	return q, q.checkZone()
}

// zoneElement records CALDAV:timezone or CALDAV:timezone-id and skips
// any other element.
func (q *calendarQuery) zoneElement(d *xml.Decoder, t xml.StartElement) error {
	if !(t.Name == eTimezone && q.timezone == nil) && !(t.Name == eTimezoneID && q.timezoneID == nil) {
		return d.Skip()
	}
	var v struct {
		Text string `xml:",chardata"`
	}
	if err := d.DecodeElement(&v, &t); err != nil {
		return dav.BadRequest("malformed CALDAV:" + t.Name.Local)
	}
	if t.Name == eTimezone {
		q.timezone = &v.Text
	} else {
		q.timezoneID = &v.Text
	}
	return nil
}

func (q *calendarQuery) checkZone() error {
	if q.timezone != nil && q.timezoneID != nil {
		return dav.BadRequest("a report may carry CALDAV:timezone or CALDAV:timezone-id, not both")
	}
	return nil
}

// queryLocation decides the zone of floating and all-day values for a
// query (RFC 4791 9.9): the query's CALDAV:timezone (9.8) or RFC 7809
// CALDAV:timezone-id, else the calendar's CALDAV:calendar-timezone
// (5.2.2), else UTC (nil). A CALDAV:timezone that is not one VTIMEZONE
// is 403 CALDAV:valid-calendar-data, an unknown timezone-id 403
// CALDAV:valid-timezone. A stored calendar-timezone was checked when it
// was set; if it no longer reads, UTC it is.
func (h *Calendars) queryLocation(ctx context.Context, q *calendarQuery, t *davtree.Target) (*time.Location, error) {
	loc, given, err := requestLocation(q)
	if err != nil || given {
		return loc, err
	}
	return h.calendarLocation(ctx, t), nil
}

// requestLocation is the zone the query itself names, if it names one.
func requestLocation(q *calendarQuery) (loc *time.Location, given bool, err error) {
	switch {
	case q.timezone != nil:
		loc, err := timezoneLocation(*q.timezone)
		if err != nil {
			var ve *aical.ValidationError
			msg := "CALDAV:timezone must be an iCalendar object with one VTIMEZONE"
			if errors.As(err, &ve) {
				msg = "CALDAV:timezone: " + ve.Reason
			}
			return nil, true, &dav.Error{Status: http.StatusForbidden, Condition: condValidData, Message: msg, Err: err}
		}
		return loc, true, nil
	case q.timezoneID != nil:
		id := strings.TrimSpace(*q.timezoneID)
		loc, ok := aical.ZonesOf(nil).Lookup(id)
		if !ok {
			return nil, true, dav.Precondition(http.StatusForbidden, condValidTZ, "unknown time zone identifier "+strconv.Quote(id))
		}
		return loc, true, nil
	}
	return nil, false, nil
}

// calendarLocation is the CALDAV:calendar-timezone of t's calendar; nil
// (UTC) without one, or for a target that is no calendar (the home).
func (h *Calendars) calendarLocation(ctx context.Context, t *davtree.Target) *time.Location {
	if t.Coll == nil {
		return nil
	}
	v, ok := t.Coll.Props[dav.Clark(pCalendarTimezone)]
	if !ok {
		return nil
	}
	raw := dav.ParseStored(pCalendarTimezone, v)
	loc, err := timezoneLocation(raw.Text())
	if err != nil {
		h.logger.WarnContext(ctx, "calendar-timezone does not read; using UTC", "collection", t.CollName, "err", err)
		return nil
	}
	return loc
}

// timezoneLocation reads an iCalendar object holding one VTIMEZONE and
// resolves its TZID as any TZID is (internal/ical Zones: the zone names
// we know, then the VTIMEZONE's own rules). A definition nothing can read
// gives UTC rather than a refused query.
func timezoneLocation(text string) (*time.Location, error) {
	data := []byte(strings.TrimSpace(text))
	if err := aical.ValidateTimezone(data); err != nil {
		return nil, err
	}
	cal, err := aical.Parse(data)
	if err != nil {
		return nil, err
	}
	tzid := cal.Children[0].Props.Get(ical.PropTimezoneID).Value
	return aical.ZonesOf(cal).Location(tzid), nil
}

// queryError maps the errors of filter.Decode and Filter.Match to the
// preconditions of RFC 4791 7.8; XML that does not parse is a 400 (RFC
// 4918 8.2).
func queryError(err error) error {
	var ue *filter.UnsupportedError
	var xe *dav.XMLError
	switch {
	case errors.As(err, &xe):
		return &dav.Error{Status: http.StatusBadRequest, Message: "malformed XML in CALDAV:filter", Err: err}
	case errors.Is(err, filter.ErrUnsupportedCollation):
		return &dav.Error{Status: http.StatusForbidden, Condition: dav.Name(dav.NSCalDAV, "supported-collation"), Message: err.Error(), Err: err}
	case errors.Is(err, filter.ErrInvalidFilter):
		return &dav.Error{Status: http.StatusForbidden, Condition: dav.Name(dav.NSCalDAV, "valid-filter"), Message: err.Error(), Err: err}
	case errors.As(err, &ue):
		// RFC 4791 7.8: the server SHOULD report the comp-filter,
		// prop-filter or param-filter it does not support.
		var b strings.Builder
		for _, u := range ue.Elements {
			b.WriteString("<C:" + u.Element + ` name="` + dav.EscapeText(u.Name) + `"/>`)
		}
		return &dav.Error{Status: http.StatusForbidden, Condition: dav.Name(dav.NSCalDAV, "supported-filter"), ConditionXML: b.String(), Message: err.Error(), Err: err}
	}
	return err
}
