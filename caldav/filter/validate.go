package filter

import (
	"almanac/internal/contentline"
	"errors"
	"slices"
	"strings"
)

// ErrUnsupportedFilter marks a valid filter that names something the
// server cannot query; the handler answers 403 with CALDAV:supported-filter
// (RFC 4791 7.7, 7.8), listing the elements concerned (UnsupportedError).
var ErrUnsupportedFilter = errors.New("unsupported filter")

// Unsupported names one filter element the server cannot evaluate.
type Unsupported struct {
	Element string // "comp-filter", "prop-filter" or "param-filter"
	Name    string // its name attribute, upper case
}

// maxUnsupported bounds the elements an UnsupportedError lists, so that
// the error body stays small whatever the filter repeats.
const maxUnsupported = 16

// UnsupportedError is ErrUnsupportedFilter with the elements RFC 4791 7.8
// asks the server to report inside CALDAV:supported-filter.
type UnsupportedError struct {
	Elements []Unsupported // each once, in document order
	Reason   string
}

func (e *UnsupportedError) Error() string { return ErrUnsupportedFilter.Error() + ": " + e.Reason }
func (e *UnsupportedError) Unwrap() error { return ErrUnsupportedFilter }

func (e *UnsupportedError) add(u Unsupported, reason string) {
	if e.Reason == "" {
		e.Reason = reason
	}
	for _, x := range e.Elements {
		if x == u {
			return
		}
	}
	if len(e.Elements) < maxUnsupported {
		e.Elements = append(e.Elements, u)
	}
}

// parents lists where each component RFC 5545 (3.4, 3.6) and RFC 7953
// (3.1) define may appear; "" is the filter itself. A comp-filter naming
// one of them elsewhere can never match and is what RFC 4791 7.8 calls
// an invalid filter ("cannot nest a VEVENT in a VTODO"). Components not
// listed (x-comp, iana-comp, e.g. RFC 9073's VLOCATION) may appear in any
// component: their containment cannot be known.
var parents = map[string][]string{
	"VCALENDAR":     {""},
	"VEVENT":        {"VCALENDAR"},
	"VTODO":         {"VCALENDAR"},
	"VJOURNAL":      {"VCALENDAR"},
	"VFREEBUSY":     {"VCALENDAR"},
	"VTIMEZONE":     {"VCALENDAR"},
	"VAVAILABILITY": {"VCALENDAR"},
	"VALARM":        {"VEVENT", "VTODO"},
	"STANDARD":      {"VTIMEZONE"},
	"DAYLIGHT":      {"VTIMEZONE"},
	"AVAILABLE":     {"VAVAILABILITY"},
}

// timedComps are the components whose time-range RFC 4791 9.9 defines,
// with VAVAILABILITY and AVAILABLE, which RFC 7953 adds. On the other
// components RFC 5545 defines the time-range has no meaning ("not defined
// for any other calendar components"): an invalid filter. On components
// it does not define the meaning cannot be known: unsupported (7.7).
var timedComps = map[string]bool{
	"VEVENT": true, "VTODO": true, "VJOURNAL": true, "VFREEBUSY": true, "VALARM": true,
	"VAVAILABILITY": true, "AVAILABLE": true,
}

// untimedProps are the properties of RFC 5545 (3.7, 3.8), RFC 7986 and
// RFC 7953 whose value is never a DATE, DATE-TIME or PERIOD: a time-range
// on them is RFC 4791 7.8's own example of an invalid filter (SUMMARY).
// Other properties, x-names and unknown iana-tokens included, are tested
// value by value: the data says whether a value is a date (VALUE=), and
// one that is not never matches.
var untimedProps = map[string]bool{
	"CALSCALE": true, "METHOD": true, "PRODID": true, "VERSION": true,
	"ATTACH": true, "CATEGORIES": true, "CLASS": true, "COMMENT": true, "DESCRIPTION": true,
	"GEO": true, "LOCATION": true, "PERCENT-COMPLETE": true, "PRIORITY": true,
	"RESOURCES": true, "STATUS": true, "SUMMARY": true, "DURATION": true, "TRANSP": true,
	"TZID": true, "TZNAME": true, "TZOFFSETFROM": true, "TZOFFSETTO": true, "TZURL": true,
	"ATTENDEE": true, "CONTACT": true, "ORGANIZER": true, "RELATED-TO": true, "URL": true,
	"UID": true, "RRULE": true, "EXRULE": true, "ACTION": true, "REPEAT": true,
	"SEQUENCE": true, "REQUEST-STATUS": true,
	"NAME": true, "REFRESH-INTERVAL": true, "SOURCE": true, "COLOR": true, "IMAGE": true, "CONFERENCE": true,
	"BUSYTYPE": true,
}

// Validate checks a filter against RFC 4791 9.7 and 9.9 beyond what the
// XML grammar says; Decode calls it, and Match for filters built in code.
// Errors are ErrInvalidFilter (403 CALDAV:valid-filter), *UnsupportedError
// (403 CALDAV:supported-filter) or ErrUnsupportedCollation; an invalid
// filter is reported before an unsupported one. See doc.go.
func (f *Filter) Validate() error {
	if !strings.EqualFold(f.Comp.Name, "VCALENDAR") {
		return invalidf("the outermost comp-filter must name VCALENDAR, not %q", f.Comp.Name)
	}
	v := &validator{}
	if err := v.comp(&f.Comp, "", 1); err != nil {
		return err
	}
	if v.unsupported != nil {
		return v.unsupported
	}
	return nil
}

type validator struct {
	unsupported *UnsupportedError
}

func (v *validator) comp(cf *CompFilter, parent string, depth int) error {
	if depth > maxNesting {
		return invalidf("comp-filters nest more than %d deep", maxNesting)
	}
	name := strings.ToUpper(cf.Name)
	if !contentline.ValidName(name) {
		return invalidf("comp-filter name %q is not an iCalendar name", cf.Name)
	}
	if where, known := parents[name]; known && !slices.Contains(where, parent) {
		if parent == "" {
			return invalidf("the outermost comp-filter must name VCALENDAR, not %q", name)
		}
		return invalidf("a %s cannot contain a %s (RFC 5545)", parent, name)
	}
	if cf.IsNotDefined && (cf.TimeRange != nil || len(cf.Props) > 0 || len(cf.Comps) > 0) {
		return invalidf("comp-filter %s combines is-not-defined with other tests", name)
	}
	if cf.TimeRange != nil {
		if err := checkRange(cf.TimeRange); err != nil {
			return err
		}
		switch {
		case timedComps[name]:
		case parents[name] != nil:
			return invalidf("RFC 4791 9.9 defines no time-range for %s", name)
		default:
			v.addUnsupported(Unsupported{"comp-filter", name}, "the server cannot tell when a "+name+" takes place")
		}
	}
	for i := range cf.Props {
		if err := v.prop(&cf.Props[i]); err != nil {
			return err
		}
	}
	for i := range cf.Comps {
		if err := v.comp(&cf.Comps[i], name, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) addUnsupported(u Unsupported, reason string) {
	if v.unsupported == nil {
		v.unsupported = &UnsupportedError{}
	}
	v.unsupported.add(u, reason)
}

func (v *validator) prop(pf *PropFilter) error {
	name := strings.ToUpper(pf.Name)
	if !contentline.ValidName(name) {
		return invalidf("prop-filter name %q is not an iCalendar name", pf.Name)
	}
	if pf.IsNotDefined && (pf.TimeRange != nil || pf.TextMatch != nil || len(pf.Params) > 0) {
		return invalidf("prop-filter %s combines is-not-defined with other tests", name)
	}
	if pf.TimeRange != nil && pf.TextMatch != nil {
		// RFC 4791 9.7.2: (time-range | text-match)?
		return invalidf("prop-filter %s has both a time-range and a text-match", name)
	}
	if pf.TimeRange != nil {
		if err := checkRange(pf.TimeRange); err != nil {
			return err
		}
		if untimedProps[name] {
			return invalidf("%s is not a date or date-time property: it cannot have a time-range (RFC 4791 9.9)", name)
		}
	}
	if err := checkText(pf.TextMatch); err != nil {
		return err
	}
	for i := range pf.Params {
		pa := &pf.Params[i]
		if !contentline.ValidName(strings.ToUpper(pa.Name)) {
			return invalidf("param-filter name %q is not an iCalendar name", pa.Name)
		}
		if pa.IsNotDefined && pa.TextMatch != nil {
			return invalidf("param-filter %s combines is-not-defined with text-match", pa.Name)
		}
		if err := checkText(pa.TextMatch); err != nil {
			return err
		}
	}
	return nil
}

func checkRange(tr *TimeRange) error {
	if tr.Start.IsZero() && tr.End.IsZero() {
		return invalidf("time-range needs a start or an end")
	}
	if !tr.Start.IsZero() && !tr.End.IsZero() && !tr.End.After(tr.Start) {
		return invalidf("time-range end must be after its start")
	}
	return nil
}

func checkText(tm *TextMatch) error {
	if tm != nil && !supportedCollation(tm.Collation) {
		_, err := tm.Contains("")
		return err
	}
	return nil
}
