package schedule

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"almanac/internal/contentline"
	aical "almanac/internal/ical"
)

// Property and parameter names scheduling reads and writes (RFC 5545,
// RFC 6638 7).
const (
	propOrganizer    = "ORGANIZER"
	propAttendee     = "ATTENDEE"
	propUID          = "UID"
	propRecurrenceID = "RECURRENCE-ID"
	propDTStamp      = "DTSTAMP"
	propDTStart      = "DTSTART"
	propDTEnd        = "DTEND"
	propDuration     = "DURATION"
	propSequence     = "SEQUENCE"
	propStatus       = "STATUS"
	propSummary      = "SUMMARY"
	propLocation     = "LOCATION"
	propExDate       = "EXDATE"
	propMethod       = "METHOD"
	propTransp       = "TRANSP"

	paramPartStat      = "PARTSTAT"
	paramRSVP          = "RSVP"
	paramCN            = "CN"
	paramScheduleAgent = "SCHEDULE-AGENT"
	paramScheduleStat  = "SCHEDULE-STATUS"
	paramForceSend     = "SCHEDULE-FORCE-SEND"
	paramRange         = "RANGE"
	paramTZID          = "TZID"

	compAlarm = "VALARM"
)

// Participation states (RFC 5545 3.2.12) the server writes.
const (
	partNeedsAction = "NEEDS-ACTION"
	partDeclined    = "DECLINED"
)

// SCHEDULE-AGENT values (RFC 6638 7.1).
const (
	agentServer = "SERVER"
	agentClient = "CLIENT"
	agentNone   = "NONE"
)

// object is a calendar object resource, or an iTIP message, read for
// scheduling: its lines as written (aical.Node), so that what the server
// writes back keeps the client's order and spelling, and its scheduling
// components with their RECURRENCE-ID keys.
type object struct {
	root   *aical.Node
	zones  *aical.Zones
	comps  []*comp // VEVENT, VTODO and VJOURNAL, in document order
	uid    string
	kind   string // the components' name
	method string // METHOD, upper case; "" for a stored object
}

// comp is one component of an object: the master (rid "") or an
// override.
type comp struct {
	node *aical.Node
	rid  string
}

var errNotObject = errors.New("not a calendar object with scheduling components")

// parseObject reads data, which passed the calendar's validation (a
// stored object) or is an iTIP message checked by the caller.
func parseObject(data []byte) (*object, error) {
	cal, root, err := aical.ParseTree(data)
	if err != nil {
		return nil, err
	}
	if root.Name != "VCALENDAR" {
		return nil, errNotObject
	}
	o := &object{root: root, zones: aical.ZonesOf(cal)}
	if i := lineIndex(root, propMethod); i >= 0 {
		o.method = strings.ToUpper(strings.TrimSpace(root.Lines[i].Prop.Value))
	}
	for _, n := range root.Children {
		switch n.Name {
		case aical.CompEvent, aical.CompToDo, aical.CompJournal:
		default:
			continue
		}
		c := &comp{node: n}
		if i := lineIndex(n, propRecurrenceID); i >= 0 {
			c.rid = o.instant(&n.Lines[i].Prop)
		}
		if o.uid == "" {
			if i := lineIndex(n, propUID); i >= 0 {
				o.uid = n.Lines[i].Prop.Value
			}
			o.kind = n.Name
		}
		o.comps = append(o.comps, c)
	}
	if len(o.comps) == 0 || o.uid == "" {
		return nil, errNotObject
	}
	return o, nil
}

// instant is the key of a DATE or DATE-TIME value: the UTC instant, or
// the date of a DATE. Floating values are read as UTC; the organizer's
// and the attendees' copies spell an instance alike, so the keys agree.
// A value that does not parse is keyed by its text.
func (o *object) instant(p *ical.Prop) string {
	t, allDay, err := o.zones.DateTime(p, time.UTC)
	if err != nil {
		return "raw:" + p.Value
	}
	if allDay {
		return t.Format("20060102")
	}
	return t.UTC().Format("20060102T150405Z")
}

// master returns the component without RECURRENCE-ID, nil when there is
// none (an iTIP message about some instances).
func (o *object) master() *comp {
	for _, c := range o.comps {
		if c.rid == "" {
			return c
		}
	}
	return nil
}

// byRID returns the component of instance rid ("" the master).
func (o *object) byRID(rid string) *comp {
	for _, c := range o.comps {
		if c.rid == rid {
			return c
		}
	}
	return nil
}

// exdates returns the keys of the master's EXDATE values, with the
// content line that names each (one value per line, RANGE dropped), so
// that a key can be written back as a RECURRENCE-ID or an EXDATE.
func (o *object) exdates(c *comp) map[string]ical.Prop {
	out := map[string]ical.Prop{}
	if c == nil {
		return out
	}
	for _, l := range c.node.Lines {
		if l.Prop.Name != propExDate {
			continue
		}
		for _, v := range strings.Split(l.Prop.Value, ",") {
			p := ical.Prop{Name: propRecurrenceID, Params: cloneParams(l.Prop.Params), Value: strings.TrimSpace(v)}
			if p.Value == "" {
				continue
			}
			out[o.instant(&p)] = p
		}
	}
	return out
}

// timezones returns the object's VTIMEZONE nodes.
func (o *object) timezones() []*aical.Node {
	var out []*aical.Node
	for _, n := range o.root.Children {
		if n.Name == aical.CompTimezone {
			out = append(out, n)
		}
	}
	return out
}

// encode writes the object back: its lines as read, changed lines as
// the server set them.
func (o *object) encode() []byte { return o.root.Append(nil) }

// lineIndex returns the index of the first line named name, -1 if none.
func lineIndex(n *aical.Node, name string) int {
	for i := range n.Lines {
		if n.Lines[i].Prop.Name == name {
			return i
		}
	}
	return -1
}

// value returns the value of the first line named name, "" if none.
func value(n *aical.Node, name string) string {
	if i := lineIndex(n, name); i >= 0 {
		return n.Lines[i].Prop.Value
	}
	return ""
}

// setLine replaces the first line named p.Name with p, or adds it after
// the UID line (at the end when there is none).
func setLine(n *aical.Node, p ical.Prop) {
	l := aical.NewLine(p)
	if i := lineIndex(n, p.Name); i >= 0 {
		n.Lines[i] = l
		return
	}
	at := len(n.Lines)
	if i := lineIndex(n, propUID); i >= 0 {
		at = i + 1
	}
	n.Lines = slices.Insert(n.Lines, at, l)
}

// dropLines removes every line whose name is in names.
func dropLines(n *aical.Node, names ...string) {
	n.Lines = slices.DeleteFunc(n.Lines, func(l aical.Line) bool { return slices.Contains(names, l.Prop.Name) })
}

// setParam sets parameter name of line i to v ("" removes it), keeping
// the line as written when nothing changes.
func setParam(n *aical.Node, i int, name, v string) {
	p := n.Lines[i].Prop
	cur := p.Params.Get(name)
	if cur == v && (v != "" || p.Params[name] == nil) {
		return
	}
	p.Params = cloneParams(p.Params)
	if v == "" {
		delete(p.Params, name)
	} else {
		p.Params[name] = []string{v}
	}
	n.Lines[i] = aical.NewLine(p)
}

func cloneParams(p ical.Params) ical.Params {
	out := make(ical.Params, len(p))
	for k, v := range p {
		out[k] = slices.Clone(v)
	}
	return out
}

// cloneNode copies n deeply, so that an edit of the copy leaves n alone.
func cloneNode(n *aical.Node) *aical.Node {
	c := &aical.Node{Name: n.Name, Comp: n.Comp, Lines: slices.Clone(n.Lines)}
	for i := range c.Lines {
		c.Lines[i].Prop.Params = cloneParams(c.Lines[i].Prop.Params)
	}
	for _, ch := range n.Children {
		c.Children = append(c.Children, cloneNode(ch))
	}
	return c
}

// party is an ORGANIZER or ATTENDEE line of a component.
type party struct {
	addr string // normalized (normAddr)
	line int    // index in the component's lines
}

// organizer returns the component's ORGANIZER, ok false when it has
// none.
func (c *comp) organizer() (party, bool) {
	if i := lineIndex(c.node, propOrganizer); i >= 0 {
		return party{addr: normAddr(c.node.Lines[i].Prop.Value), line: i}, true
	}
	return party{}, false
}

// attendees returns the component's ATTENDEE lines.
func (c *comp) attendees() []party {
	var out []party
	for i := range c.node.Lines {
		if c.node.Lines[i].Prop.Name == propAttendee {
			out = append(out, party{addr: normAddr(c.node.Lines[i].Prop.Value), line: i})
		}
	}
	return out
}

// find returns the first ATTENDEE line whose address match accepts.
func (c *comp) find(match func(string) bool) (party, bool) {
	for _, a := range c.attendees() {
		if match(a.addr) {
			return a, true
		}
	}
	return party{}, false
}

// param returns parameter name of line i, upper case.
func (c *comp) param(i int, name string) string {
	return strings.ToUpper(strings.TrimSpace(c.node.Lines[i].Prop.Params.Get(name)))
}

// partstat is the PARTSTAT of line i; NEEDS-ACTION when absent (RFC
// 5545 3.2.12's default).
func (c *comp) partstat(i int) string {
	if v := c.param(i, paramPartStat); v != "" {
		return v
	}
	return partNeedsAction
}

// agent is the SCHEDULE-AGENT of line i (RFC 6638 7.1): SERVER unless
// CLIENT or NONE; other values are SERVER too, as the RFC has unknown
// values read.
func (c *comp) agent(i int) string {
	switch v := c.param(i, paramScheduleAgent); v {
	case agentClient, agentNone:
		return v
	}
	return agentServer
}

func (c *comp) cancelled() bool {
	return strings.EqualFold(strings.TrimSpace(value(c.node, propStatus)), "CANCELLED")
}

func (c *comp) sequence() int {
	n, _ := strconv.Atoi(strings.TrimSpace(value(c.node, propSequence)))
	return n
}

// normAddr normalizes a calendar user address for comparison: mailto:
// addresses (the scheme in any case, or a bare address with "@") become
// "mailto:" and the lower-cased address; other URIs are kept as written,
// trimmed. Mailbox local parts are case-insensitive in practice, and
// every client compares them so.
func normAddr(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		return "mailto:" + strings.ToLower(strings.TrimSpace(v[7:]))
	}
	if !strings.Contains(v, ":") && strings.Contains(v, "@") {
		return "mailto:" + strings.ToLower(v)
	}
	return v
}

// is matches one calendar user address.
func is(addr string) func(string) bool {
	n := normAddr(addr)
	return func(a string) bool { return normAddr(a) == n }
}

// mailAddress returns the email address of a mailto: calendar user
// address, "" for any other.
func mailAddress(addr string) string {
	rest, ok := strings.CutPrefix(normAddr(addr), "mailto:")
	if !ok || rest == "" || strings.ContainsAny(rest, " \t\r\n<>,;:\"") || strings.Count(rest, "@") != 1 {
		return ""
	}
	return rest
}

// Significance (RFC 6638 3.2.10, RFC 5546 2.1.4): what an attendee
// needs to be told about. Changes to the rest are "inconsequential":
// other attendees' replies, stamps, the organizer's own alarms and
// transparency, client bookkeeping.
var (
	ignoredProps = map[string]bool{
		propDTStamp: true, "LAST-MODIFIED": true, "CREATED": true, propTransp: true,
	}
	ignoredPropPrefixes = []string{"X-MOZ-", "X-APPLE-", "X-LIC-", "X-CALENDARSERVER-", "X-WR-"}
	ignoredParams       = map[string]bool{
		paramPartStat: true, paramRSVP: true, paramScheduleStat: true, paramForceSend: true, "X-NUM-GUESTS": true,
	}
)

func ignoredProp(name string) bool {
	if ignoredProps[name] {
		return true
	}
	for _, p := range ignoredPropPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// signature is a canonical text of what in component n is significant to
// an attendee: its lines but the ignored ones, parameters sorted, in a
// sorted order, and its subcomponents but alarms. skip names further
// properties to leave out.
func signature(n *aical.Node, skip ...string) string {
	var lines []string
	for _, l := range n.Lines {
		name := l.Prop.Name
		if ignoredProp(name) || slices.Contains(skip, name) {
			continue
		}
		var b strings.Builder
		b.WriteString(name)
		keys := slices.Sorted(maps.Keys(l.Prop.Params))
		for _, k := range keys {
			if (name == propAttendee || name == propOrganizer) && ignoredParams[k] {
				continue
			}
			fmt.Fprintf(&b, ";%s=%s", k, strings.Join(l.Prop.Params[k], ","))
		}
		b.WriteString(":" + l.Prop.Value)
		lines = append(lines, b.String())
	}
	sort.Strings(lines)
	var b strings.Builder
	b.WriteString("BEGIN:" + n.Name + "\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	for _, ch := range n.Children {
		if ch.Name != compAlarm {
			b.WriteString(signature(ch))
		}
	}
	b.WriteString("END:" + n.Name + "\n")
	return b.String()
}

// timing is the part of a component that places it in time; a change
// there is a reschedule.
func timing(n *aical.Node) string {
	var out []string
	for _, l := range n.Lines {
		switch l.Prop.Name {
		case propDTStart, propDTEnd, propDuration, "DUE", "RRULE", "RDATE", propExDate:
			out = append(out, aical.FormatProp(&l.Prop))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// calendar writes a VCALENDAR around comps (with the timezones), with
// METHOD when method is set: an iTIP message or, without, an attendee's
// copy.
func calendar(method string, timezones, comps []*aical.Node) []byte {
	var b []byte
	b = contentline.AppendFolded(b, "BEGIN:VCALENDAR")
	b = contentline.AppendFolded(b, "VERSION:2.0")
	b = contentline.AppendFolded(b, "PRODID:-//almanac//scheduling//EN")
	if method != "" {
		b = contentline.AppendFolded(b, "METHOD:"+method)
	}
	for _, n := range timezones {
		b = n.Append(b)
	}
	for _, n := range comps {
		b = n.Append(b)
	}
	return contentline.AppendFolded(b, "END:VCALENDAR")
}

// stamp is an iCalendar UTC DATE-TIME.
func stamp(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// formatDuration writes d as an RFC 5545 3.3.6 duration: days when it
// is whole days (all-day events), else hours, minutes and seconds.
func formatDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	s := int64(d / time.Second)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteByte('P')
	if s%86400 == 0 && s > 0 {
		fmt.Fprintf(&b, "%dD", s/86400)
		return b.String()
	}
	b.WriteByte('T')
	h, m, sec := s/3600, s/60%60, s%60
	if h > 0 {
		fmt.Fprintf(&b, "%dH", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dM", m)
	}
	if sec > 0 || (h == 0 && m == 0) {
		fmt.Fprintf(&b, "%dS", sec)
	}
	return b.String()
}
