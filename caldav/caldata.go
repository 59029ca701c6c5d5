package caldav

import (
	"context"
	"encoding/xml"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"almanac/internal/dav"
	"almanac/internal/davtree"
	aical "almanac/internal/ical"
	"almanac/storage"
)

// The time range a calendar collection supports (RFC 4791 5.2.6, 5.2.7),
// for stored objects (PUT, COPY, MOVE) and for the times of REPORTs
// alike: what iCalendar's four-digit years (and rrule-go) reach, from the
// first day of year 1 to the last second of 9999. The start is not the
// RFC example's 1900: real calendars hold earlier dates (Apple's
// birthdays without a year fall in 1604, genealogy and history
// calendars further back), and a server that advertises 1900 must refuse
// them (RFC 4791 5.3.2.1).
const (
	minDateTime = "00010101T000000Z"
	maxDateTime = "99991231T235959Z"
)

var (
	minTime, _ = time.Parse(utcLayout, minDateTime)
	maxTime, _ = time.Parse(utcLayout, maxDateTime)
)

var (
	condMinDateTime = dav.Name(dav.NSCalDAV, "min-date-time")
	condMaxDateTime = dav.Name(dav.NSCalDAV, "max-date-time")
)

// maxCompNesting bounds CALDAV:comp nesting in a request (real requests
// nest three deep: VCALENDAR > VEVENT > VALARM).
const maxCompNesting = 16

// CalendarDataRequest is a parsed CALDAV:calendar-data element of a
// calendaring REPORT's DAV:prop (RFC 4791 9.6): which parts of each
// calendar object to return, and how. The zero value asks for the stored
// object as it is.
type CalendarDataRequest struct {
	// Comp selects components and properties (9.6.1-9.6.4); nil selects
	// everything.
	Comp *CompSelect
	// Expand asks for every recurrence instance in its range as a
	// component of its own, in UTC (9.6.5).
	Expand *TimeRange
	// LimitRecurrenceSet keeps the master and the overrides that impact
	// its range (9.6.6). Never set together with Expand.
	LimitRecurrenceSet *TimeRange
	// LimitFreeBusySet keeps the FREEBUSY values of VFREEBUSY components
	// that overlap its range (9.6.7).
	LimitFreeBusySet *TimeRange
	// Floating is where floating DATE-TIMEs and DATEs are read when
	// expanding: the query's CALDAV:timezone, else the calendar's
	// calendar-timezone, else UTC (nil).
	Floating *time.Location
	// MaxInstances caps expansion (0: internal/ical's default).
	MaxInstances int
	// Budget is the request's recurrence work budget, shared by every
	// object the request renders and, in a calendar-query, by its filter
	// (requestBudget); nil: each expansion has only its own.
	Budget *aical.Budget

	// coll is the calendar Floating was read for; zoneOf reads another
	// one's, nil when the request names its own zone (For).
	coll   *storage.Collection
	zoneOf func(t *davtree.Target) *time.Location
}

// For returns the request as it renders members of t's calendar: with
// floating times read in that calendar's calendar-timezone, unless the
// request names a zone, and the same Budget, so that a report over the
// calendars of a home spends one (davtree.ScopedRenderer).
func (cd *CalendarDataRequest) For(t *davtree.Target) davtree.Renderer {
	if cd.zoneOf == nil || t.Coll == cd.coll {
		return cd
	}
	c := *cd
	c.coll, c.Floating = t.Coll, cd.zoneOf(t)
	if c.Floating == nil {
		c.Floating = time.UTC
	}
	return &c
}

// TimeRange is [Start, End) in UTC.
type TimeRange struct{ Start, End time.Time }

// CompSelect is a CALDAV:comp element (RFC 4791 9.6.1).
type CompSelect struct {
	Name    string // upper case
	AllProp bool
	Props   []PropSelect
	AllComp bool
	Comps   []*CompSelect
}

// PropSelect is a CALDAV:prop element (RFC 4791 9.6.4).
type PropSelect struct {
	Name    string // upper case
	NoValue bool
}

// whole reports whether the element has no children. RFC 4791's own
// examples (7.8.1: <C:comp name="VTIMEZONE"/>) return such a component
// complete, and so do we; strictly by the DTD it would have neither
// properties nor subcomponents, which no client wants.
func (c *CompSelect) whole() bool {
	return !c.AllProp && len(c.Props) == 0 && !c.AllComp && len(c.Comps) == 0
}

func (c *CompSelect) prop(name string) (PropSelect, bool) {
	for _, p := range c.Props {
		if p.Name == name {
			return p, true
		}
	}
	return PropSelect{}, false
}

func (c *CompSelect) comp(name string) *CompSelect {
	for _, s := range c.Comps {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// plain reports whether the request asks for the stored bytes.
func (cd *CalendarDataRequest) plain() bool {
	return cd == nil || (cd.Comp == nil || cd.Comp.whole()) &&
		cd.Expand == nil && cd.LimitRecurrenceSet == nil && cd.LimitFreeBusySet == nil
}

// ParseCalendarDataRequest finds the CALDAV:calendar-data element in the
// DAV:prop of a calendar-query, calendar-multiget or sync-collection body
// and parses it. It returns nil when the body asks for no calendar-data.
//
// Errors: a media type other than text/calendar version 2.0 is 403
// CALDAV:supported-calendar-data (RFC 4791 7.8, 7.9 preconditions); a
// time range before min-date-time or after max-date-time is 403
// CALDAV:min-date-time or CALDAV:max-date-time (same sections); anything
// the 9.6 DTD does not allow — comp without name, a top comp other than
// VCALENDAR, expand or a limit without start and end, values that are
// not UTC date-times, end not after start, expand together with
// limit-recurrence-set — is 400: the body is malformed and no
// precondition names it.
func ParseCalendarDataRequest(body []byte) (*CalendarDataRequest, error) {
	var cd *CalendarDataRequest
	err := dav.EachChild(body, func(d *xml.Decoder, se xml.StartElement) error {
		if se.Name != dav.Name(dav.NSDAV, "prop") {
			return d.Skip()
		}
		return children(d, func(se xml.StartElement) error {
			if se.Name != pCalendarData || cd != nil {
				return d.Skip()
			}
			var err error
			cd, err = decodeCalendarData(d, se)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return cd, nil
}

// children calls fn for each child element of the element whose start
// tag d has just read; fn must consume the child.
func children(d *xml.Decoder, fn func(xml.StartElement) error) error {
	err := dav.EachChildOf(d, "", fn)
	if xe := (*dav.XMLError)(nil); errors.As(err, &xe) {
		return dav.BadRequest("malformed XML")
	}
	return err
}

func attrValue(se xml.StartElement, name string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func decodeCalendarData(d *xml.Decoder, se xml.StartElement) (*CalendarDataRequest, error) {
	ct, ok := attrValue(se, "content-type")
	if !ok {
		ct = "text/calendar"
	}
	ver, ok := attrValue(se, "version")
	if !ok {
		ver = "2.0"
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/calendar" || strings.TrimSpace(ver) != "2.0" {
		return nil, dav.Precondition(http.StatusForbidden, condSupportedData,
			"calendar-data is only available as text/calendar version 2.0")
	}
	cd := &CalendarDataRequest{}
	err := children(d, func(c xml.StartElement) error {
		if c.Name.Space != dav.NSCalDAV {
			return d.Skip()
		}
		var err error
		switch c.Name.Local {
		case "comp":
			if cd.Comp != nil {
				return dav.BadRequest("calendar-data has more than one comp element")
			}
			if cd.Comp, err = decodeComp(d, c, 1); err != nil {
				return err
			}
			if cd.Comp.Name != "VCALENDAR" {
				return dav.BadRequest("the outermost comp of calendar-data must name VCALENDAR")
			}
			if cd.Comp.size() > dav.MaxRequestProps {
				return errTooManySelections
			}
			return nil
		case "expand":
			cd.Expand, err = decodeRange(d, c)
		case "limit-recurrence-set":
			cd.LimitRecurrenceSet, err = decodeRange(d, c)
		case "limit-freebusy-set":
			cd.LimitFreeBusySet, err = decodeRange(d, c)
		default:
			return d.Skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if cd.Expand != nil && cd.LimitRecurrenceSet != nil {
		return nil, dav.BadRequest("calendar-data takes expand or limit-recurrence-set, not both")
	}
	return cd, nil
}

func decodeComp(d *xml.Decoder, se xml.StartElement, depth int) (*CompSelect, error) {
	if depth > maxCompNesting {
		return nil, dav.BadRequest("calendar-data comp elements nest too deep")
	}
	name, _ := attrValue(se, "name")
	if strings.TrimSpace(name) == "" {
		return nil, dav.BadRequest("calendar-data comp needs a name attribute")
	}
	cs := &CompSelect{Name: strings.ToUpper(strings.TrimSpace(name))}
	err := children(d, func(c xml.StartElement) error {
		if c.Name.Space != dav.NSCalDAV {
			return d.Skip()
		}
		switch c.Name.Local {
		case "allprop":
			cs.AllProp = true
		case "allcomp":
			cs.AllComp = true
		case "prop":
			n, _ := attrValue(c, "name")
			if strings.TrimSpace(n) == "" {
				return dav.BadRequest("calendar-data prop needs a name attribute")
			}
			ps := PropSelect{Name: strings.ToUpper(strings.TrimSpace(n))}
			switch nv, _ := attrValue(c, "novalue"); nv {
			case "", "no":
			case "yes":
				ps.NoValue = true
			default:
				return dav.BadRequest("calendar-data prop novalue must be yes or no")
			}
			if _, dup := cs.prop(ps.Name); !dup {
				if err := cs.room(); err != nil {
					return err
				}
				cs.Props = append(cs.Props, ps)
			}
		case "comp":
			sub, err := decodeComp(d, c, depth+1)
			if err != nil {
				return err
			}
			if cs.comp(sub.Name) == nil {
				if err := cs.room(); err != nil {
					return err
				}
				cs.Comps = append(cs.Comps, sub)
			}
			return nil
		}
		return d.Skip()
	})
	if err != nil {
		return nil, err
	}
	return cs, nil
}

// errTooManySelections refuses a calendar-data element selecting more
// than dav.MaxRequestProps components and properties: the selection is
// searched for every component of every object rendered.
var errTooManySelections = dav.TooMany(dav.CondTooManyProps, dav.MaxRequestProps, "calendar-data comp and prop selections")

// room checks that c can take one more distinct selection; the linear
// duplicate checks stay cheap because of it.
func (c *CompSelect) room() error {
	if len(c.Props)+len(c.Comps) >= dav.MaxRequestProps {
		return errTooManySelections
	}
	return nil
}

// size counts the selections in c and below.
func (c *CompSelect) size() int {
	n := len(c.Props)
	for _, s := range c.Comps {
		n += 1 + s.size()
	}
	return n
}

const utcLayout = "20060102T150405Z"

// parseUTC reads exactly an iCalendar "date with UTC time"
// (YYYYMMDDTHHMMSSZ), as RFC 4791 9.6.5-9.6.7 and 9.9 require.
func parseUTC(v string) (time.Time, bool) {
	if len(v) != len(utcLayout) {
		return time.Time{}, false
	}
	for i := 0; i < len(v); i++ {
		switch want := utcLayout[i]; want {
		case 'T', 'Z':
			if v[i] != want {
				return time.Time{}, false
			}
		default:
			if v[i] < '0' || v[i] > '9' {
				return time.Time{}, false
			}
		}
	}
	t, err := time.Parse(utcLayout, v)
	return t, err == nil
}

// decodeRange reads the start and end of expand, limit-recurrence-set or
// limit-freebusy-set, both required (RFC 4791 9.6.5-9.6.7).
func decodeRange(d *xml.Decoder, se xml.StartElement) (*TimeRange, error) {
	el := se.Name.Local
	sv, ok1 := attrValue(se, "start")
	ev, ok2 := attrValue(se, "end")
	if !ok1 || !ok2 {
		return nil, dav.BadRequest(el + " needs both a start and an end attribute")
	}
	start, ok1 := parseUTC(sv)
	end, ok2 := parseUTC(ev)
	if !ok1 || !ok2 {
		return nil, dav.BadRequest(el + " start and end must be UTC date-times (YYYYMMDDTHHMMSSZ)")
	}
	if !end.After(start) {
		return nil, dav.BadRequest(el + " end must be after its start")
	}
	if err := checkDateLimits(start, end); err != nil {
		return nil, err
	}
	return &TimeRange{Start: start, End: end}, d.Skip()
}

// checkDateLimits applies the CALDAV:min-date-time and max-date-time
// preconditions (RFC 4791 7.8, 7.9).
func checkDateLimits(start, end time.Time) error {
	if start.Before(minTime) || end.Before(minTime) {
		return dav.Precondition(http.StatusForbidden, condMinDateTime, "times before "+minDateTime+" are not supported")
	}
	if start.After(maxTime) || end.After(maxTime) {
		return dav.Precondition(http.StatusForbidden, condMaxDateTime, "times after "+maxDateTime+" are not supported")
	}
	return nil
}

// DataRequest parses the calendar-data request of a REPORT body, with
// the zone floating times are read in when it expands or limits.
func (h *Calendars) DataRequest(r *http.Request, t *davtree.Target, body []byte) (davtree.Renderer, error) {
	cd, err := h.calendarDataRequest(r.Context(), t, body)
	if err != nil || cd == nil {
		return nil, err
	}
	return cd, nil
}

func (h *Calendars) calendarDataRequest(ctx context.Context, t *davtree.Target, body []byte) (*CalendarDataRequest, error) {
	cd, err := ParseCalendarDataRequest(body)
	if err != nil || cd == nil {
		return nil, err
	}
	if !cd.plain() {
		q, err := parseQueryZone(body)
		if err != nil {
			return nil, err
		}
		loc, given, err := requestLocation(q)
		if err != nil {
			return nil, err
		}
		if !given {
			zoneOf := func(t *davtree.Target) *time.Location { return h.calendarLocation(ctx, t) }
			loc, cd.coll, cd.zoneOf = zoneOf(t), t.Coll, zoneOf
		}
		cd.Floating = loc
		if cd.Floating == nil {
			cd.Floating = time.UTC
		}
		cd.MaxInstances = h.maxInstances
		cd.Budget = h.requestBudget()
	}
	return cd, nil
}

// Render returns the calendar data to send for an object stored as data.
// With nothing to select, expand or limit, that is data itself, byte for
// byte; so it is when the request changes nothing in this object (a
// limit-recurrence-set on an event without overrides). Otherwise the
// result is written by internal/ical's writer: CRLF, lines folded at 75
// octets, the source's property order. An object the engine cannot
// read or expand (it was accepted by an older, more lenient version) is
// returned as stored: more than asked for, rather than nothing.
func (cd *CalendarDataRequest) Render(data []byte) []byte {
	out, _ := cd.RenderLimited(data)
	return out
}

// RenderLimited is Render, also reporting whether an expansion was cut
// short: by max-instances, by internal/ical's work budget or the
// request's, or because a recurrence rule exceeds its limits
// (davtree.LimitedRenderer). The instances found up to there are
// returned.
func (cd *CalendarDataRequest) RenderLimited(data []byte) (out []byte, cut bool) {
	if cd.plain() {
		return data, false
	}
	cal, root, err := aical.ParseTree(data)
	if err != nil {
		return data, false
	}
	zones := aical.ZonesWithin(cal, cd.Budget)
	changed := false
	switch {
	case cd.Expand != nil:
		if root, cut, err = expandTree(cal, root, *cd.Expand, cd.Floating, cd.MaxInstances, zones, cd.Budget); err != nil {
			return data, false
		}
		changed = true
	case cd.LimitRecurrenceSet != nil:
		root, changed, cut = limitRecurrence(cal, root, *cd.LimitRecurrenceSet, cd.Floating, zones, cd.Budget)
	}
	if cd.LimitFreeBusySet != nil {
		var c bool
		root, c = limitFreeBusy(root, *cd.LimitFreeBusySet, zones)
		changed = changed || c
	}
	// A time zone the request's budget left unread was read as UTC.
	cut = cut || zones.Cut()
	if cd.Comp != nil && !cd.Comp.whole() {
		root = selectNode(root, cd.Comp)
		changed = true
	}
	if !changed {
		return data, cut
	}
	return root.Append(make([]byte, 0, len(data))), cut
}

// selectNode applies a CALDAV:comp to n (RFC 4791 9.6.1-9.6.4): the
// properties it names (all with allprop, in the order the object has
// them; without value for novalue="yes"), and the subcomponents it names
// (all with allcomp, each with its own selection). A comp without
// children selects its component whole.
func selectNode(n *aical.Node, sel *CompSelect) *aical.Node {
	if sel.whole() {
		return n
	}
	out := &aical.Node{Name: n.Name, Comp: n.Comp}
	if sel.AllProp {
		out.Lines = n.Lines
	} else {
		for _, l := range n.Lines {
			ps, ok := sel.prop(l.Prop.Name)
			if !ok {
				continue
			}
			if ps.NoValue {
				l.Raw, l.Prop.Value = l.NoValue(), ""
			}
			out.Lines = append(out.Lines, l)
		}
	}
	for _, c := range n.Children {
		if sel.AllComp {
			out.Children = append(out.Children, c)
		} else if cs := sel.comp(c.Name); cs != nil {
			out.Children = append(out.Children, selectNode(c, cs))
		}
	}
	return out
}

// overlaps is RFC 4791 9.9's test of [s, e) against [rs, re): rs < e AND
// re > s, and for a period of no length rs <= s AND re > s.
func overlaps(s, e, rs, re time.Time) bool {
	if e.After(s) {
		return rs.Before(e) && re.After(s)
	}
	return !rs.After(s) && re.After(s)
}

const dateLayout = "20060102"

// isRecurringKind reports whether expand turns components of this name
// into instances.
func isRecurringKind(name string) bool {
	switch name {
	case aical.CompEvent, aical.CompToDo, aical.CompJournal:
		return true
	}
	return false
}

// expandTree is CALDAV:expand (RFC 4791 9.6.5): every instance of the
// object's VEVENTs, VTODOs and VJOURNALs that overlaps tr becomes a
// component of its own, in order of start, where the first of them stood
// in the object. Each instance is its master's or override's lines with
// RRULE, RDATE, EXDATE and EXRULE removed, DTSTART/DTEND/DUE set to the
// instance's times and RECURRENCE-ID to its original start (instances of
// a recurring set only; RANGE dropped). DATE-TIMEs become UTC: zoned ones
// by their zone, floating ones read in floating; DATE values stay DATEs
// (all-day instances keep DATE DTSTART, DTEND and RECURRENCE-ID, as
// sabre/dav does; a UTC midnight would move the day for every client
// west of Greenwich). Any other property with a
// TZID is rewritten in UTC too, VTIMEZONEs are dropped, and components
// of other kinds (VFREEBUSY, VAVAILABILITY) pass through in UTC. A
// VTODO or VJOURNAL without the dates to place it passes through as it
// is: RFC 4791 9.9 says it overlaps every range. truncated reports an
// expansion cut short (aical.Instances) by max, the walk's work budget or
// b, the request's; the instances found are kept. zones resolves cal's
// TZIDs.
func expandTree(cal *ical.Calendar, root *aical.Node, tr TimeRange, floating *time.Location, max int, zones *aical.Zones, b *aical.Budget) (out *aical.Node, truncated bool, err error) {
	if floating == nil {
		floating = time.UTC
	}
	var insts []aical.Instance
	truncated, err = aical.Instances(cal, aical.InstanceOptions{Floating: floating, From: tr.Start, To: tr.End, Zones: zones, Max: max, Budget: b},
		func(inst aical.Instance) bool {
			if isRecurringKind(strings.ToUpper(inst.Component.Name)) {
				insts = append(insts, inst)
			}
			return true
		})
	if err != nil {
		return nil, false, err
	}
	// Truncation keeps what was found: a bounded answer, which the
	// report marks as incomplete.
	byComp := make(map[*ical.Component]*aical.Node, len(root.Children))
	for _, c := range root.Children {
		byComp[c.Comp] = c
	}
	x := &expander{zones: zones, floating: floating}
	out = &aical.Node{Name: root.Name, Comp: root.Comp, Lines: x.utcLines(root.Lines)}
	placed := false
	for _, c := range root.Children {
		switch {
		case c.Name == aical.CompTimezone:
		case isRecurringKind(c.Name) && placeable(c.Comp):
			if placed {
				continue
			}
			placed = true
			for _, inst := range insts {
				if src := byComp[inst.Component]; src != nil {
					out.Children = append(out.Children, x.instance(src, inst))
				}
			}
		default:
			out.Children = append(out.Children, x.utcNode(c))
		}
	}
	return out, truncated, nil
}

// placeable mirrors ical.Instances: a VTODO needs DTSTART or DUE, a
// VJOURNAL DTSTART; VEVENTs always have a place (or an error).
func placeable(c *ical.Component) bool {
	switch strings.ToUpper(c.Name) {
	case aical.CompToDo:
		return c.Props.Get(ical.PropDateTimeStart) != nil || c.Props.Get(ical.PropDue) != nil ||
			c.Props.Get(ical.PropRecurrenceID) != nil
	case aical.CompJournal:
		return c.Props.Get(ical.PropDateTimeStart) != nil || c.Props.Get(ical.PropRecurrenceID) != nil
	}
	return true
}

type expander struct {
	zones    *aical.Zones
	floating *time.Location
}

// instance builds the component of one instance from src, the node of
// inst.Component.
func (x *expander) instance(src *aical.Node, inst aical.Instance) *aical.Node {
	out := &aical.Node{Name: src.Name}
	hasStart := false
	for _, l := range src.Lines {
		if l.Prop.Name == ical.PropDateTimeStart {
			hasStart = true
		}
	}
	rid := !inst.RecurrenceID.IsZero()
	ridAllDay := inst.AllDay
	if p := src.Comp.Props.Get(ical.PropRecurrenceID); p != nil {
		ridAllDay = isDateValue(p)
	}
	ridLine := func() aical.Line {
		return dateLine(ical.Prop{Name: ical.PropRecurrenceID, Params: ical.Params{}}, inst.RecurrenceID, ridAllDay)
	}
	ridDone := false
	for _, l := range src.Lines {
		switch l.Prop.Name {
		case ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates, "EXRULE":
			continue
		case ical.PropDateTimeStart:
			out.Lines = append(out.Lines, dateLine(l.Prop, inst.Start, inst.AllDay))
			if rid && !ridDone && src.Comp.Props.Get(ical.PropRecurrenceID) == nil {
				out.Lines = append(out.Lines, ridLine())
				ridDone = true
			}
		case ical.PropDateTimeEnd:
			out.Lines = append(out.Lines, dateLine(l.Prop, inst.End, isDateValue(&l.Prop)))
		case ical.PropDue:
			at := inst.Start
			if hasStart {
				at = inst.End
			}
			out.Lines = append(out.Lines, dateLine(l.Prop, at, isDateValue(&l.Prop)))
		case ical.PropDuration:
			if inst.AllDay {
				out.Lines = append(out.Lines, l)
				break
			}
			// The duration is nominal (RFC 5545 3.3.6): from a UTC start,
			// "P1D" is 24 hours, from a zoned one it may be 23 or 25.
			// When the two differ, the instance's end is written instead.
			if e, err := aical.AddDuration(inst.Start.UTC(), l.Prop.Value); err == nil && e.Equal(inst.End) {
				out.Lines = append(out.Lines, l)
				break
			}
			name := ical.PropDateTimeEnd
			if src.Name == aical.CompToDo {
				name = ical.PropDue
			}
			out.Lines = append(out.Lines, dateLine(ical.Prop{Name: name, Params: ical.Params{}}, inst.End, false))
		case ical.PropRecurrenceID:
			if !hasStart {
				// An override without DTSTART starts at its
				// RECURRENCE-ID; the instance states it.
				out.Lines = append(out.Lines, dateLine(ical.Prop{Name: ical.PropDateTimeStart, Params: ical.Params{}}, inst.Start, inst.AllDay))
			}
			if rid && !ridDone {
				out.Lines = append(out.Lines, ridLine())
				ridDone = true
			}
		default:
			out.Lines = append(out.Lines, x.utcLine(l))
		}
	}
	if rid && !ridDone {
		out.Lines = append(out.Lines, ridLine())
	}
	for _, c := range src.Children {
		out.Children = append(out.Children, x.utcNode(c))
	}
	return out
}

// isDateValue reports whether p holds a DATE (VALUE=DATE, or the shape
// of one), as ical.DateTime decides.
func isDateValue(p *ical.Prop) bool {
	if v := p.Params.Get(ical.ParamValue); v != "" {
		return strings.EqualFold(v, string(ical.ValueDate))
	}
	return len(p.Value) == len(dateLayout)
}

// dateLine rewrites a DATE or DATE-TIME property to t: a DATE, or a UTC
// DATE-TIME; TZID and VALUE are replaced, other parameters kept.
func dateLine(p ical.Prop, t time.Time, allDay bool) aical.Line {
	params := make(ical.Params, len(p.Params))
	for k, v := range p.Params {
		switch k {
		case ical.PropTimezoneID, ical.ParamValue, ical.ParamRange:
		default:
			params[k] = v
		}
	}
	q := ical.Prop{Name: p.Name, Params: params}
	if allDay {
		params.Set(ical.ParamValue, string(ical.ValueDate))
		q.Value = t.Format(dateLayout)
	} else {
		q.Value = t.UTC().Format(utcLayout)
	}
	return aical.NewLine(q)
}

// utcLine rewrites a property with a TZID as UTC DATE-TIMEs (lists and
// PERIODs included). A value that does not read as dates is left alone.
func (x *expander) utcLine(l aical.Line) aical.Line {
	if l.Prop.Params.Get(ical.PropTimezoneID) == "" {
		return l
	}
	periods, err := x.zones.DateList(&l.Prop, x.floating)
	if err != nil {
		return l
	}
	vals := make([]string, len(periods))
	for i, p := range periods {
		switch {
		case p.AllDay:
			vals[i] = p.Start.Format(dateLayout)
		case !p.End.IsZero():
			vals[i] = p.Start.UTC().Format(utcLayout) + "/" + p.End.UTC().Format(utcLayout)
		default:
			vals[i] = p.Start.UTC().Format(utcLayout)
		}
	}
	params := make(ical.Params, len(l.Prop.Params))
	for k, v := range l.Prop.Params {
		if k != ical.PropTimezoneID {
			params[k] = v
		}
	}
	return aical.NewLine(ical.Prop{Name: l.Prop.Name, Params: params, Value: strings.Join(vals, ",")})
}

func (x *expander) utcLines(lines []aical.Line) []aical.Line {
	out := make([]aical.Line, len(lines))
	for i, l := range lines {
		out[i] = x.utcLine(l)
	}
	return out
}

func (x *expander) utcNode(n *aical.Node) *aical.Node {
	out := &aical.Node{Name: n.Name, Comp: n.Comp, Lines: x.utcLines(n.Lines)}
	for _, c := range n.Children {
		out.Children = append(out.Children, x.utcNode(c))
	}
	return out
}

// limitRecurrence is CALDAV:limit-recurrence-set (RFC 4791 9.6.6): every
// component without RECURRENCE-ID stays; an override stays when it
// impacts tr: its own time overlaps, or the time the instance had before
// it was overridden, or (RANGE=THISANDFUTURE) one of the later instances
// it governs does, which is taken to be the case when its RECURRENCE-ID
// is before the range end. An override whose dates cannot be read stays,
// and so does one whose walk b, the request's work budget, cut short:
// cut reports it. zones resolves cal's TZIDs.
func limitRecurrence(cal *ical.Calendar, root *aical.Node, tr TimeRange, floating *time.Location, zones *aical.Zones, b *aical.Budget) (out *aical.Node, changed, cut bool) {
	if floating == nil {
		floating = time.UTC
	}
	out = &aical.Node{Name: root.Name, Comp: root.Comp, Lines: root.Lines}
	for _, c := range root.Children {
		if c.Comp.Props.Get(ical.PropRecurrenceID) == nil {
			out.Children = append(out.Children, c)
			continue
		}
		keep, truncated := impacts(cal, c.Comp, zones, floating, tr, b)
		cut = cut || truncated
		if keep {
			out.Children = append(out.Children, c)
			continue
		}
		changed = true
	}
	return out, changed, cut
}

// impacts reports whether override o impacts tr; truncated, that b, the
// request's budget, ran out before the walk to find out was done, so
// that o is kept.
func impacts(cal *ical.Calendar, o *ical.Component, zones *aical.Zones, floating *time.Location, tr TimeRange, b *aical.Budget) (keep, truncated bool) {
	ridProp := o.Props.Get(ical.PropRecurrenceID)
	rid, ridAllDay, err := zones.DateTime(ridProp, floating)
	if err != nil {
		return true, false
	}
	if strings.EqualFold(ridProp.Params.Get(ical.ParamRange), "THISANDFUTURE") && rid.Before(tr.End) {
		return true, false
	}
	// Its current time.
	found := false
	truncated, err = aical.Instances(cal, aical.InstanceOptions{Floating: floating, From: tr.Start, To: tr.End, Zones: zones, Only: o, Max: 1, Budget: b},
		func(aical.Instance) bool { found = true; return false })
	if err != nil || found {
		return true, false
	}
	if truncated && b.Spent() {
		return true, true
	}
	// Its original time: the master's length from the RECURRENCE-ID.
	end := rid
	if m := masterOf(cal, o); m != nil {
		end = originalEnd(m, rid, ridAllDay, zones, floating)
	} else if ridAllDay {
		end = rid.AddDate(0, 0, 1)
	}
	return overlaps(rid, end, tr.Start, tr.End), false
}

// masterOf finds the component o overrides: same name and UID, no
// RECURRENCE-ID.
func masterOf(cal *ical.Calendar, o *ical.Component) *ical.Component {
	uid := ""
	if p := o.Props.Get(ical.PropUID); p != nil {
		uid = p.Value
	}
	for _, c := range cal.Children {
		if c == o || !strings.EqualFold(c.Name, o.Name) || c.Props.Get(ical.PropRecurrenceID) != nil {
			continue
		}
		if p := c.Props.Get(ical.PropUID); p != nil && p.Value == uid {
			return c
		}
	}
	return nil
}

// originalEnd is where the master's instance starting at rid ends
// (RFC 5545 3.6.1 defaults; whole days for all-day masters).
func originalEnd(m *ical.Component, rid time.Time, ridAllDay bool, zones *aical.Zones, floating *time.Location) time.Time {
	start, allDay, err := zones.DateTime(m.Props.Get(ical.PropDateTimeStart), floating)
	if err != nil {
		return rid
	}
	endName := ical.PropDateTimeEnd
	if strings.EqualFold(m.Name, aical.CompToDo) {
		endName = ical.PropDue
	}
	if p := m.Props.Get(endName); p != nil {
		if e, _, err := zones.DateTime(p, floating); err == nil && e.After(start) {
			if allDay {
				days := int(e.Sub(start).Round(24*time.Hour) / (24 * time.Hour))
				return rid.AddDate(0, 0, days)
			}
			return rid.Add(e.Sub(start))
		}
		return rid
	}
	if p := m.Props.Get(ical.PropDuration); p != nil {
		if e, err := aical.AddDuration(rid, p.Value); err == nil && e.After(rid) {
			return e
		}
		return rid
	}
	if allDay || ridAllDay {
		return rid.AddDate(0, 0, 1)
	}
	return rid
}

// limitFreeBusy is CALDAV:limit-freebusy-set (RFC 4791 9.6.7): in
// VFREEBUSY components, only the FREEBUSY periods that overlap tr stay,
// written as the client wrote them; a FREEBUSY property left without
// periods goes. Values that do not parse stay. zones resolves the
// object's TZIDs.
func limitFreeBusy(root *aical.Node, tr TimeRange, zones *aical.Zones) (*aical.Node, bool) {
	out := &aical.Node{Name: root.Name, Comp: root.Comp, Lines: root.Lines}
	changed := false
	for _, c := range root.Children {
		if c.Name != aical.CompFreeBusy {
			out.Children = append(out.Children, c)
			continue
		}
		nc := &aical.Node{Name: c.Name, Comp: c.Comp, Children: c.Children}
		for _, l := range c.Lines {
			if l.Prop.Name != ical.PropFreeBusy {
				nc.Lines = append(nc.Lines, l)
				continue
			}
			parts := strings.Split(l.Prop.Value, ",")
			var kept []string
			for _, part := range parts {
				one := ical.Prop{Name: l.Prop.Name, Params: l.Prop.Params, Value: part}
				ps, err := zones.DateList(&one, time.UTC)
				if err != nil || len(ps) != 1 || ps[0].End.IsZero() || overlaps(ps[0].Start, ps[0].End, tr.Start, tr.End) {
					kept = append(kept, part)
				}
			}
			switch {
			case len(kept) == len(parts):
				nc.Lines = append(nc.Lines, l)
			case len(kept) > 0:
				l.Raw = l.NoValue() + strings.Join(kept, ",")
				l.Prop.Value = strings.Join(kept, ",")
				nc.Lines = append(nc.Lines, l)
				changed = true
			default:
				changed = true
			}
		}
		out.Children = append(out.Children, nc)
	}
	return out, changed
}

// Collection properties of RFC 4791 5.2.6-5.2.8.
var (
	pMinDateTime  = dav.Name(dav.NSCalDAV, "min-date-time")
	pMaxDateTime  = dav.Name(dav.NSCalDAV, "max-date-time")
	pMaxInstances = dav.Name(dav.NSCalDAV, "max-instances")
)
