package caldav

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-ical"

	"almanac/caldav/filter"
	"almanac/internal/dav"
	aical "almanac/internal/ical"
	"almanac/storage"
)

var (
	rMultiget = dav.Name(dav.NSCalDAV, "calendar-multiget")
	rQuery    = dav.Name(dav.NSCalDAV, "calendar-query")
	rSync     = dav.Name(dav.NSDAV, "sync-collection")
	rFreeBusy = dav.Name(dav.NSCalDAV, "free-busy-query")
)

func (h *Handler) report(w http.ResponseWriter, r *http.Request, t *target) error {
	body, err := dav.ReadXML(r, dav.MaxXMLBody)
	if err != nil {
		return err
	}
	if body == nil {
		return dav.BadRequest("REPORT needs a request body")
	}
	root, err := dav.RootName(body)
	if err != nil {
		return err
	}
	if root != rMultiget && root != rQuery && root != rSync && root != rFreeBusy {
		return dav.Precondition(http.StatusForbidden, dav.CondSupportedReport, "unsupported report "+root.Local)
	}
	if t.kind != kCalendar && t.kind != kObject {
		return dav.Precondition(http.StatusForbidden, dav.CondSupportedReport, root.Local+" is only supported on calendar collections")
	}
	if t.coll == nil {
		return dav.ErrNotFound
	}
	if root == rFreeBusy {
		return h.freeBusy(w, r, t, body)
	}
	if r, err = h.withCalendarData(r, t, body); err != nil {
		return err
	}
	switch root {
	case rMultiget:
		return h.multiget(w, r, t, body)
	case rQuery:
		return h.query(w, r, t, body)
	}
	if t.kind != kCalendar {
		return dav.Precondition(http.StatusForbidden, dav.CondSupportedReport, "sync-collection is only supported on calendar collections")
	}
	return h.syncCollection(w, r, t, body)
}

// reportProps reads the DAV:prop (or allprop/propname) of a REPORT body.
func reportProps(body []byte) (*dav.Propfind, error) {
	pf := &dav.Propfind{Kind: dav.FindProp}
	err := dav.EachChild(body, func(d *xml.Decoder, t xml.StartElement) error {
		switch t.Name {
		case dav.Name(dav.NSDAV, "allprop"):
			pf.Kind = dav.FindAllProp
		case dav.Name(dav.NSDAV, "propname"):
			pf.Kind = dav.FindPropName
		case dav.Name(dav.NSDAV, "prop"):
			var inner struct {
				Any []struct{ XMLName xml.Name } `xml:",any"`
			}
			if err := d.DecodeElement(&inner, &t); err != nil {
				return dav.BadRequest("malformed DAV:prop")
			}
			for _, a := range inner.Any {
				pf.Props = append(pf.Props, a.XMLName)
			}
			return nil
		}
		return d.Skip()
	})
	return pf, err
}

func wantsData(pf *dav.Propfind) bool {
	for _, n := range pf.Props {
		if n == pCalendarData {
			return true
		}
	}
	return false
}

// multiget serves calendar-multiget (RFC 4791 7.9). Every href must name
// a member of the request collection: others get 403 whether or not they
// exist elsewhere, so the report cannot probe other collections.
func (h *Handler) multiget(w http.ResponseWriter, r *http.Request, t *target, body []byte) error {
	pf, err := reportProps(body)
	if err != nil {
		return err
	}
	hrefs := dav.Hrefs(body)
	if len(hrefs) == 0 {
		return dav.BadRequest("calendar-multiget needs at least one DAV:href")
	}
	ctx := r.Context()
	base := calendarHref(t.account.ID, t.collName)
	data := wantsData(pf)
	ms := dav.NewMultistatus(w, r)
	for _, href := range hrefs {
		name, ok := memberName(href, base)
		if !ok {
			if err := ms.StatusResponse(href, http.StatusForbidden); err != nil {
				return h.afterStart(ms, err)
			}
			continue
		}
		if t.kind == kObject && name != t.objName {
			ms.StatusResponse(href, http.StatusForbidden)
			continue
		}
		src := newObjectSource(r, t)
		if data {
			obj, err := h.store.Get(ctx, t.account.ID, t.collName, name)
			if err == nil {
				src.meta, src.data = &obj.ObjectMeta, obj.Data
			} else if !errors.Is(err, storage.ErrNotFound) {
				return h.afterStart(ms, err)
			}
		} else {
			meta, err := h.store.Stat(ctx, t.account.ID, t.collName, name)
			if err == nil {
				src.meta = meta
			} else if !errors.Is(err, storage.ErrNotFound) {
				return h.afterStart(ms, err)
			}
		}
		if src.meta == nil {
			if err := ms.StatusResponse(href, http.StatusNotFound); err != nil {
				return h.afterStart(ms, err)
			}
			continue
		}
		if err := ms.Propfind(objectHref(t.account.ID, t.collName, name), pf, src); err != nil {
			return h.afterStart(ms, err)
		}
	}
	return ms.Close("")
}

// memberName returns the member name an href designates when it is a
// direct member of the collection at base (an escaped path). Absolute
// URLs are reduced to their path.
func memberName(href, base string) (string, bool) {
	u, err := url.Parse(href)
	if err != nil {
		return "", false
	}
	segs, trailing, err := dav.SplitPath(u.EscapedPath(), strings.TrimSuffix(base, "/"))
	if err != nil || len(segs) != 1 || trailing {
		return "", false
	}
	return segs[0], true
}

// query serves calendar-query (RFC 4791 7.8).
//
// When every way the filter can match needs a component in a time range
// (queryWindow), the members are listed without their bytes and only
// those whose stored span may overlap that window are read, parsed and
// matched; the others cannot match. Otherwise every member is.
func (h *Handler) query(w http.ResponseWriter, r *http.Request, t *target, body []byte) error {
	// Without a Depth header the query is about the members: RFC 4918
	// would default to 0, but scripts and some clients omit the header
	// and mean the calendar's contents, as Radicale answers them.
	depth, err := dav.ParseDepth(r.Header.Get("Depth"), dav.DepthOne)
	if err != nil {
		return err
	}
	pf, err := reportProps(body)
	if err != nil {
		return err
	}
	q, err := parseCalendarQuery(body)
	if err != nil {
		return err
	}
	f := q.filter
	if f.Location, err = h.queryLocation(q, t); err != nil {
		return err
	}
	f.MaxInstances = h.maxInstances
	ctx := r.Context()
	ms := dav.NewMultistatus(w, r)
	data := wantsData(pf)
	src := newObjectSource(r, t)
	visit := func(obj *storage.Object) error {
		if hook := queryParseHook.Load(); hook != nil {
			(*hook)(h, obj.Name)
		}
		cal, err := aical.Parse(obj.Data)
		if err != nil {
			// Stored objects were validated on PUT; one that no longer
			// parses (a stricter parser after an upgrade) cannot match.
			h.logger.Warn("stored object does not parse", "collection", t.collName, "object", obj.Name, "err", err)
			return nil
		}
		ok, err := f.Match(cal)
		if err != nil || !ok {
			return err
		}
		src.meta = &obj.ObjectMeta
		src.data = nil
		if data {
			src.data = obj.Data
		}
		return ms.Propfind(objectHref(t.account.ID, t.collName, obj.Name), pf, src)
	}
	if t.kind == kObject {
		obj, err := h.store.Get(ctx, t.account.ID, t.collName, t.objName)
		if err != nil {
			return err
		}
		if err := visit(obj); err != nil {
			return h.afterStart(ms, queryError(err))
		}
		return ms.Close("")
	}
	if depth == dav.DepthZero {
		// Depth 0 on the collection asks about the collection itself,
		// which is not a calendar object: nothing matches.
		return ms.Close("")
	}
	rs, re, windowed := queryWindow(f)
	if !windowed {
		err = h.store.Walk(ctx, t.account.ID, t.collName, visit)
	} else {
		// List runs its callback outside any read transaction, so the
		// candidate can be read right there.
		err = h.store.List(ctx, t.account.ID, t.collName, func(m *storage.ObjectMeta) error {
			if !m.Span.Overlaps(rs, re) {
				return nil
			}
			obj, err := h.store.Get(ctx, t.account.ID, t.collName, m.Name)
			if errors.Is(err, storage.ErrNotFound) {
				return nil // deleted since the listing
			}
			if err != nil {
				return err
			}
			return visit(obj)
		})
	}
	if err != nil {
		return h.afterStart(ms, queryError(err))
	}
	return ms.Close("")
}

// queryParseHook, when set, is called with every object calendar-query
// parses. Only tests set it (export_test.go), to prove the prefilter.
var queryParseHook atomic.Pointer[func(h *Handler, name string)]

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
func (h *Handler) queryLocation(q *calendarQuery, t *target) (*time.Location, error) {
	switch {
	case q.timezone != nil:
		loc, err := timezoneLocation(*q.timezone)
		if err != nil {
			var ve *aical.ValidationError
			msg := "CALDAV:timezone must be an iCalendar object with one VTIMEZONE"
			if errors.As(err, &ve) {
				msg = "CALDAV:timezone: " + ve.Reason
			}
			return nil, &dav.Error{Status: http.StatusForbidden, Condition: condValidData, Message: msg, Err: err}
		}
		return loc, nil
	case q.timezoneID != nil:
		id := strings.TrimSpace(*q.timezoneID)
		loc, ok := aical.ZonesOf(nil).Lookup(id)
		if !ok {
			return nil, dav.Precondition(http.StatusForbidden, condValidTZ, "unknown time zone identifier "+strconv.Quote(id))
		}
		return loc, nil
	}
	if t.coll == nil {
		return nil, nil
	}
	v, ok := t.coll.Props[dav.Clark(pCalendarTimezone)]
	if !ok {
		return nil, nil
	}
	raw := dav.RawXML{Name: pCalendarTimezone, Inner: v}
	loc, err := timezoneLocation(raw.Text())
	if err != nil {
		h.logger.Warn("calendar-timezone does not read; using UTC", "collection", t.collName, "err", err)
		return nil, nil
	}
	return loc, nil
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

func queryError(err error) error {
	switch {
	case errors.Is(err, filter.ErrUnsupportedCollation):
		return &dav.Error{Status: http.StatusForbidden, Condition: dav.Name(dav.NSCalDAV, "supported-collation"), Message: err.Error(), Err: err}
	case errors.Is(err, filter.ErrInvalidFilter):
		return &dav.Error{Status: http.StatusForbidden, Condition: dav.Name(dav.NSCalDAV, "valid-filter"), Message: err.Error(), Err: err}
	}
	return err
}

// syncCollection serves RFC 6578 sync-collection.
func (h *Handler) syncCollection(w http.ResponseWriter, r *http.Request, t *target, body []byte) error {
	// RFC 6578 3.2 asks for Depth: 0, but python-caldav and others send
	// Depth: 1; sync-level decides the scope, so Depth is ignored, as
	// Radicale and sabre/dav do.
	sc, err := dav.ParseSyncCollection(body)
	if err != nil {
		return err
	}
	inc, since := t.coll.Incarnation, uint64(0)
	if sc.Token != "" {
		if inc, since, err = dav.ParseSyncToken(sc.Token); err != nil {
			return err
		}
	}
	ctx := r.Context()
	changes, reached, truncated, err := h.store.Changes(ctx, t.account.ID, t.collName, inc, since, sc.Limit)
	if err != nil {
		return err
	}
	pf := &dav.Propfind{Kind: dav.FindProp, Props: sc.Props}
	data := wantsData(pf)
	needMeta := data
	for _, n := range pf.Props {
		if n != pGetETag {
			needMeta = true
		}
	}
	ms := dav.NewMultistatus(w, r)
	src := newObjectSource(r, t)
	for _, c := range changes {
		href := objectHref(t.account.ID, t.collName, c.Name)
		if c.Deleted {
			if err := ms.StatusResponse(href, http.StatusNotFound); err != nil {
				return h.afterStart(ms, err)
			}
			continue
		}
		src.data = nil
		switch {
		case data:
			obj, err := h.store.Get(ctx, t.account.ID, t.collName, c.Name)
			if errors.Is(err, storage.ErrNotFound) {
				continue // deleted after the change list was read; the next sync reports it
			}
			if err != nil {
				return h.afterStart(ms, err)
			}
			src.meta, src.data = &obj.ObjectMeta, obj.Data
		case needMeta:
			meta, err := h.store.Stat(ctx, t.account.ID, t.collName, c.Name)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return h.afterStart(ms, err)
			}
			src.meta = meta
		default:
			src.meta = &storage.ObjectMeta{Name: c.Name, ETag: c.ETag}
		}
		if err := ms.Propfind(href, pf, src); err != nil {
			return h.afterStart(ms, err)
		}
	}
	if truncated {
		// RFC 6578 3.6: a truncated answer carries a 507 for the
		// request-URI and a token that resumes where this one stopped.
		ms.StatusResponse(t.href(), http.StatusInsufficientStorage)
	}
	return ms.Close(dav.SyncToken(inc, reached))
}
