package ical

import (
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// Component names a calendar object resource may be made of. VAVAILABILITY
// (RFC 7953) is here so that collections that advertise it can hold it; the
// handler still checks the collection's supported-calendar-component-set.
const (
	CompEvent        = "VEVENT"
	CompToDo         = "VTODO"
	CompJournal      = "VJOURNAL"
	CompFreeBusy     = "VFREEBUSY"
	CompAvailability = "VAVAILABILITY"
	CompTimezone     = "VTIMEZONE"
)

var objectComponents = map[string]bool{
	CompEvent: true, CompToDo: true, CompJournal: true, CompFreeBusy: true, CompAvailability: true,
}

// ObjectInfo is what the CalDAV PUT handler needs to know about a valid
// calendar object resource.
type ObjectInfo struct {
	UID       string
	Component string // VEVENT, VTODO, VJOURNAL, VFREEBUSY or VAVAILABILITY
	Calendar  *ical.Calendar
	// Span is Span(Calendar), computed under the checks' budget.
	Span ObjectSpan

	zones *Zones // the checks', for Timeline
}

// ObjectSpan is what Span returns: a conservative [Start, End) around
// every instance, End zero when Open; Known false when nothing could be
// computed.
type ObjectSpan struct {
	Start, End  time.Time
	Open, Known bool
}

// singular lists the properties RFC 5545 3.6.1-3.6.3 say "MUST NOT occur
// more than once" and that we read one value of: with two DTSTARTs no
// time-range answer would be right.
var singular = []string{
	ical.PropUID, ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDue,
	ical.PropDuration, ical.PropRecurrenceID,
}

// ValidateObject checks data as a calendar object resource (RFC 4791 4.1,
// 5.3.2.1) and returns its facts, its Span included. The rules and their
// reasons are listed in doc.go; every error is a *ValidationError. It is
// ValidateObjectWithin with a budget of its own.
func ValidateObject(data []byte) (*ObjectInfo, error) { return ValidateObjectWithin(data, nil) }

// ValidateObjectWithin is ValidateObject under b, the PUT's Budget (nil: a
// new one of ObjectWork): reading the rules, resolving the TZIDs,
// building the VTIMEZONEs and walking the master for its Span are all
// charged to it. An object whose checks b cannot pay for is refused
// (InvalidData): nothing is stored yet, and one that costs more to check
// than a request may spend would cost every request that reads it about
// as much (doc.go, "Cost at PUT").
func ValidateObjectWithin(data []byte, b *Budget) (*ObjectInfo, error) {
	if b == nil {
		b = NewBudget(ObjectWork)
	}
	cal, err := Parse(data)
	if err != nil {
		return nil, err
	}
	for _, p := range cal.Props[ical.PropVersion] {
		if strings.TrimSpace(p.Value) != "2.0" {
			return nil, dataErr("VERSION must be 2.0, not %s", quote(p.Value))
		}
	}
	if len(cal.Props[ical.PropMethod]) > 0 {
		return nil, objectErr("a calendar object resource must not have a METHOD property (RFC 4791 section 4.1)")
	}
	zones := ZonesWithin(cal, b)
	if err := checkTree(cal.Component, zones); err != nil {
		return nil, err
	}
	info := &ObjectInfo{Calendar: cal, zones: zones}
	masters := 0
	rids := make(map[string]bool)
	for _, c := range cal.Children {
		if c.Name == CompTimezone {
			continue
		}
		if !objectComponents[c.Name] {
			return nil, objectErr("component %s cannot be stored in a calendar collection", quote(c.Name))
		}
		if info.Component == "" {
			info.Component = c.Name
		} else if c.Name != info.Component {
			return nil, objectErr("a calendar object resource holds components of one type, not both %s and %s", info.Component, c.Name)
		}
		if err := checkComponent(c, zones); err != nil {
			return nil, err
		}
		uid := c.Props.Get(ical.PropUID)
		if uid == nil || strings.TrimSpace(uid.Value) == "" {
			return nil, objectErr("%s has no UID", c.Name)
		}
		if info.UID == "" {
			info.UID = uid.Value
		} else if uid.Value != info.UID {
			return nil, objectErr("all components must have the same UID, found %s and %s", quote(info.UID), quote(uid.Value))
		}
		rid := c.Props.Get(ical.PropRecurrenceID)
		if rid == nil {
			if masters++; masters > 1 {
				return nil, objectErr("more than one %s without RECURRENCE-ID for UID %s", c.Name, quote(info.UID))
			}
			continue
		}
		t, allDay, err := zones.DateTime(rid, nil)
		if err != nil {
			return nil, dataErr("%s: %s", c.Name, err)
		}
		key := fmt.Sprint(t.Unix(), allDay)
		if rids[key] {
			return nil, objectErr("two %s components have RECURRENCE-ID %s", c.Name, quote(rid.Value))
		}
		rids[key] = true
	}
	if info.Component == "" {
		return nil, objectErr("a calendar object resource needs a VEVENT, VTODO, VJOURNAL, VFREEBUSY or VAVAILABILITY component")
	}
	info.Span = spanWithin(cal, zones)
	if b.Spent() || zones.Cut() {
		// The span of a walk the budget stopped is not the object's.
		return nil, tooCostly()
	}
	return info, nil
}

// tooCostly is the refusal of an object whose checks ran out of budget.
func tooCostly() *ValidationError {
	return dataErr("the recurrence rules and time zones of this object are too costly to check (more than %d units of work)", ObjectWork)
}

// maxRules bounds the RRULEs of one component. RFC 5545 3.6.1 says RRULE
// "SHOULD NOT occur more than once"; each one is parsed, restarted and
// merged on every expansion.
const maxRules = 16

// checkTree applies, to c and every component inside it, the rules that
// hold wherever a property occurs: recurrence properties (RFC 5545
// 3.3.10, 3.8.5) and TZID parameters (3.2.19).
func checkTree(c *ical.Component, zones *Zones) error {
	if zones.within().Spent() {
		return tooCostly()
	}
	for name, props := range c.Props {
		for i := range props {
			p := &props[i]
			tzid := p.Params.Get(ical.PropTimezoneID)
			if tzid == "" {
				continue
			}
			// RFC 5545 3.2.19 wants a VTIMEZONE for every TZID; clients
			// rely on servers knowing zone names, so a name we resolve
			// will do. One that is neither would be read as UTC.
			if _, ok := zones.Lookup(tzid); !ok {
				return dataErr("%s: %s: TZID %s names no VTIMEZONE in the object and no time zone this server knows", c.Name, name, quote(tzid))
			}
			if zones.Cut() {
				return tooCostly()
			}
		}
	}
	if err := checkRecurrence(c, zones); err != nil {
		return err
	}
	for _, sub := range c.Children {
		if err := checkTree(sub, zones); err != nil {
			return err
		}
	}
	return nil
}

// checkRecurrence checks c's RRULE and EXRULE values (RFC 5545 3.3.10;
// EXRULE is RFC 2445's), RDATE and EXDATE values (3.8.5.1, 3.8.5.2), and
// that expanding the RRULEs stays within the work limits (doc.go,
// "Cost"), so that no stored object can make a query expensive.
func checkRecurrence(c *ical.Component, zones *Zones) error {
	rules := c.Props[ical.PropRecurrenceRule]
	if len(rules) > maxRules {
		return dataErr("%s: %d RRULE properties; at most %d are allowed", c.Name, len(rules), maxRules)
	}
	for _, name := range []string{ical.PropRecurrenceRule, "EXRULE"} {
		for _, p := range c.Props[name] {
			if err := checkRecur(p.Value); err != nil {
				return dataErr("%s: %s %s: %s", c.Name, name, quote(p.Value), err)
			}
		}
	}
	for _, name := range []string{ical.PropRecurrenceDates, ical.PropExceptionDates} {
		for i := range c.Props[name] {
			p := &c.Props[name][i]
			if name == ical.PropExceptionDates {
				// RFC 5545 3.8.5.1: DATE or DATE-TIME, no PERIOD.
				if vt := p.Params.Get(ical.ParamValue); strings.EqualFold(vt, string(ical.ValuePeriod)) || strings.Contains(p.Value, "/") {
					return dataErr("%s: EXDATE takes DATE or DATE-TIME values, not PERIOD", c.Name)
				}
			}
			if _, err := zones.DateList(p, nil); err != nil {
				return dataErr("%s: %s", c.Name, err)
			}
		}
	}
	if len(rules) == 0 || c.Props.Get(ical.PropDateTimeStart) == nil {
		return nil
	}
	rec, err := zones.Recurrence(c, nil)
	if err != nil {
		// A DTSTART that does not parse is reported by checkComponent; a
		// rule rrule-go cannot expand (RFC 7529 RSCALE) is accepted and
		// makes time-range queries return the object.
		return nil
	}
	if cut := rec.Cut(); cut != nil {
		return dataErr("%s: %s", c.Name, cut)
	}
	return nil
}

// checkComponent applies the RFC 5545 rules for one component's dates,
// reading their TZIDs through zones (resolved once per object, and
// charged to its budget).
func checkComponent(c *ical.Component, zones *Zones) error {
	for _, name := range singular {
		if len(c.Props[name]) > 1 {
			return dataErr("%s: %s must not occur more than once", c.Name, name)
		}
	}
	for _, name := range []string{ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDue} {
		if p := c.Props.Get(name); p != nil {
			if _, _, err := zones.DateTime(p, nil); err != nil {
				return dataErr("%s: %s", c.Name, err)
			}
		}
	}
	if p := c.Props.Get(ical.PropDuration); p != nil {
		if _, err := ParseDuration(p.Value); err != nil {
			return dataErr("%s: DURATION: %s", c.Name, err)
		}
	}
	has := func(name string) bool { return c.Props.Get(name) != nil }
	switch c.Name {
	case CompEvent:
		// RFC 5545 3.6.1: DTSTART is required when there is no METHOD,
		// and a calendar object resource never has one.
		if !has(ical.PropDateTimeStart) {
			return dataErr("VEVENT has no DTSTART")
		}
		if has(ical.PropDateTimeEnd) && has(ical.PropDuration) {
			return dataErr("VEVENT has both DTEND and DURATION")
		}
	case CompToDo:
		// RFC 5545 3.6.2.
		if has(ical.PropDue) && has(ical.PropDuration) {
			return dataErr("VTODO has both DUE and DURATION")
		}
		if has(ical.PropDuration) && !has(ical.PropDateTimeStart) {
			return dataErr("VTODO has DURATION but no DTSTART")
		}
	}
	return nil
}
