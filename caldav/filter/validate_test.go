package filter

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"almanac/internal/dav"
)

// Filters RFC 4791 forbids, or that name what the server cannot query,
// are refused; what real clients send is not. Each case cites the rule.

func vcalXML(inner string) string {
	return wrap(`<C:comp-filter name="VCALENDAR">` + inner + `</C:comp-filter>`)
}

func compXML(name, inner string) string {
	return `<C:comp-filter name="` + name + `">` + inner + `</C:comp-filter>`
}

func propRange(name string) string {
	return `<C:prop-filter name="` + name + `"><C:time-range start="20240101T000000Z" end="20240201T000000Z"/></C:prop-filter>`
}

const someRange = `<C:time-range start="20240101T000000Z" end="20240201T000000Z"/>`

func TestValidate_InvalidFilters(t *testing.T) {
	tests := []struct {
		name, rule, xml, reason string
	}{
		{"VEVENT in VEVENT", "RFC 4791 7.8 valid-filter; RFC 5545 3.6.1",
			vcalXML(compXML("VEVENT", compXML("VEVENT", ""))), "a VEVENT cannot contain a VEVENT"},
		{"VEVENT in VTODO", "RFC 4791 7.8 valid-filter (its own example)",
			vcalXML(compXML("VTODO", compXML("VEVENT", ""))), "a VTODO cannot contain a VEVENT"},
		{"VALARM at the top", "RFC 5545 3.6.6: VALARM only in VEVENT and VTODO",
			vcalXML(compXML("VALARM", "")), "a VCALENDAR cannot contain a VALARM"},
		{"VALARM in VJOURNAL", "RFC 5545 3.6.3: journalc has no alarmc",
			vcalXML(compXML("VJOURNAL", compXML("VALARM", ""))), "a VJOURNAL cannot contain a VALARM"},
		{"STANDARD in VEVENT", "RFC 5545 3.6.5: STANDARD and DAYLIGHT only in VTIMEZONE",
			vcalXML(compXML("VEVENT", compXML("STANDARD", ""))), "a VEVENT cannot contain a STANDARD"},
		{"DAYLIGHT at the top", "RFC 5545 3.6.5",
			vcalXML(compXML("DAYLIGHT", "")), "a VCALENDAR cannot contain a DAYLIGHT"},
		{"VCALENDAR in VCALENDAR", "RFC 5545 3.4: VCALENDAR is the outermost object",
			vcalXML(compXML("VCALENDAR", "")), "a VCALENDAR cannot contain a VCALENDAR"},
		{"VCALENDAR in VEVENT", "RFC 5545 3.4",
			vcalXML(compXML("VEVENT", compXML("vcalendar", ""))), "a VEVENT cannot contain a VCALENDAR"},
		{"AVAILABLE at the top", "RFC 7953 3.1: AVAILABLE only in VAVAILABILITY",
			vcalXML(compXML("AVAILABLE", "")), "a VCALENDAR cannot contain a AVAILABLE"},
		{"VEVENT in an x-component", "RFC 5545 3.6: VEVENT only in VCALENDAR",
			vcalXML(compXML("X-GROUP", compXML("VEVENT", ""))), "a X-GROUP cannot contain a VEVENT"},
		{"time-range on SUMMARY", "RFC 4791 7.8 valid-filter (its own example), 9.9",
			vcalXML(compXML("VEVENT", propRange("SUMMARY"))), "SUMMARY is not a date"},
		{"time-range on DURATION", "RFC 4791 9.9: DURATION is no date-time",
			vcalXML(compXML("VEVENT", propRange("duration"))), "DURATION is not a date"},
		{"time-range on ATTENDEE", "RFC 4791 9.9",
			vcalXML(compXML("VEVENT", propRange("ATTENDEE"))), "ATTENDEE is not a date"},
		{"time-range on RRULE", "RFC 4791 9.9",
			vcalXML(compXML("VEVENT", propRange("RRULE"))), "RRULE is not a date"},
		{"time-range on COLOR", "RFC 4791 9.9, RFC 7986 5.9",
			vcalXML(propRange("COLOR")), "COLOR is not a date"},
		{"time-range on VCALENDAR", "RFC 4791 9.9: defined for VEVENT, VTODO, VJOURNAL, VFREEBUSY, VALARM only",
			wrap(compXML("VCALENDAR", someRange)), "no time-range for VCALENDAR"},
		{"time-range on VTIMEZONE", "RFC 4791 9.9",
			vcalXML(compXML("VTIMEZONE", someRange)), "no time-range for VTIMEZONE"},
		{"time-range on STANDARD", "RFC 4791 9.9",
			vcalXML(compXML("VTIMEZONE", compXML("STANDARD", someRange))), "no time-range for STANDARD"},
		{"time-range and text-match in one prop-filter", "RFC 4791 9.7.2: (time-range | text-match)?",
			vcalXML(compXML("VTODO", `<C:prop-filter name="DUE">`+someRange+`<C:text-match>2024</C:text-match></C:prop-filter>`)), "both a time-range and a text-match"},
		{"comp-filter name with a space", "RFC 5545 3.1: iana-token / x-name",
			vcalXML(compXML("V EVENT", "")), "not an iCalendar name"},
		{"prop-filter name with a colon", "RFC 5545 3.1",
			vcalXML(compXML("VEVENT", `<C:prop-filter name="SUM:MARY"/>`)), "not an iCalendar name"},
		{"param-filter name with a semicolon", "RFC 5545 3.1; 9.7.3",
			vcalXML(compXML("VEVENT", `<C:prop-filter name="ATTENDEE"><C:param-filter name="PART;STAT"/></C:prop-filter>`)), "not an iCalendar name"},
		{"param-filter directly in a comp-filter", "RFC 4791 9.7.1: comp-filter holds no param-filter",
			vcalXML(compXML("VEVENT", `<C:param-filter name="PARTSTAT"/>`)), "unexpected CALDAV:param-filter in comp-filter"},
		{"param-filter in the filter", "RFC 4791 9.7: filter holds one comp-filter",
			wrap(`<C:param-filter name="PARTSTAT"/>`), "unexpected CALDAV:param-filter in filter"},
		{"param-filter in a param-filter", "RFC 4791 9.7.3: (is-not-defined | text-match?)",
			vcalXML(compXML("VEVENT", `<C:prop-filter name="ATTENDEE"><C:param-filter name="CN"><C:param-filter name="X"/></C:param-filter></C:prop-filter>`)), "unexpected CALDAV:param-filter in param-filter"},
		{"invalid wins over unsupported", "RFC 4791 7.8: an invalid filter is not evaluated at all",
			vcalXML(compXML("X-FOO", someRange) + compXML("VEVENT", compXML("VEVENT", ""))), "a VEVENT cannot contain a VEVENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(tt.xml)
			if !errors.Is(err, ErrInvalidFilter) {
				t.Fatalf("%s: error = %v, want ErrInvalidFilter", tt.rule, err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("%s: error %q, want it to say %q", tt.rule, err, tt.reason)
			}
		})
	}
}

func TestValidate_UnsupportedFilters(t *testing.T) {
	tests := []struct {
		name, rule, xml string
		want            []Unsupported
	}{
		{"time-range on an x-component", "RFC 4791 7.7: non-standard names the server cannot query; 9.9 defines no time for it",
			vcalXML(compXML("X-FOO", someRange)), []Unsupported{{"comp-filter", "X-FOO"}}},
		{"time-range on an unknown iana component", "RFC 4791 7.7, 9.9",
			vcalXML(compXML("vpoll", someRange)), []Unsupported{{"comp-filter", "VPOLL"}}},
		{"each element listed once, in order", "RFC 4791 7.8: supported-filter (comp-filter*, ...)",
			vcalXML(compXML("X-B", someRange) + compXML("X-A", someRange) + compXML("X-B", someRange) + compXML("VEVENT", compXML("X-C", someRange))),
			[]Unsupported{{"comp-filter", "X-B"}, {"comp-filter", "X-A"}, {"comp-filter", "X-C"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(tt.xml)
			var ue *UnsupportedError
			if !errors.As(err, &ue) || !errors.Is(err, ErrUnsupportedFilter) || errors.Is(err, ErrInvalidFilter) {
				t.Fatalf("%s: error = %v, want *UnsupportedError", tt.rule, err)
			}
			if !reflect.DeepEqual(ue.Elements, tt.want) {
				t.Errorf("%s: elements %v, want %v", tt.rule, ue.Elements, tt.want)
			}
		})
	}
	var many strings.Builder
	for i := range 3 * maxUnsupported {
		many.WriteString(compXML("X-N"+strings.Repeat("A", i+1), someRange))
	}
	_, err := decode(vcalXML(many.String()))
	var ue *UnsupportedError
	if !errors.As(err, &ue) || len(ue.Elements) != maxUnsupported {
		t.Errorf("many unsupported elements: %v", err)
	}
}

// TestValidate_Accepted: what RFC 4791 allows, and what real clients
// send, passes Decode and evaluates.
func TestValidate_Accepted(t *testing.T) {
	tests := []struct{ name, xml string }{
		{"Thunderbird, DAVx5, Evolution: events in a range", vcalXML(compXML("VEVENT", someRange))},
		{"Thunderbird: all tasks", vcalXML(compXML("VTODO", ""))},
		{"Apple: open tasks", vcalXML(compXML("VTODO", `<C:prop-filter name="COMPLETED"><C:is-not-defined/></C:prop-filter>`+
			`<C:prop-filter name="STATUS"><C:text-match negate-condition="yes">CANCELLED</C:text-match></C:prop-filter>`))},
		{"python-caldav: pending tasks", vcalXML(compXML("VTODO", `<C:prop-filter name="STATUS"><C:text-match negate-condition="yes">COMPLETED</C:text-match></C:prop-filter>`))},
		{"RFC 4791 7.8.5: alarms of tasks", vcalXML(compXML("VTODO", compXML("VALARM", someRange)))},
		{"RFC 4791 7.8.6: by UID", vcalXML(compXML("VEVENT", `<C:prop-filter name="UID"><C:text-match collation="i;octet">DC6C50A017428C5216A2F1CD@example.com</C:text-match></C:prop-filter>`))},
		{"RFC 4791 7.8.7: by attendee PARTSTAT", vcalXML(compXML("VEVENT", `<C:prop-filter name="ATTENDEE"><C:text-match collation="i;ascii-casemap">mailto:lisa@example.com</C:text-match>`+
			`<C:param-filter name="PARTSTAT"><C:text-match collation="i;ascii-casemap">NEEDS-ACTION</C:text-match></C:param-filter></C:prop-filter>`))},
		{"RFC 4791 7.8.9: VJOURNAL without time-range", vcalXML(compXML("VJOURNAL", ""))},
		{"RFC 4791 9.9: date properties", vcalXML(compXML("VTODO", propRange("DTSTART")+propRange("DUE")+propRange("COMPLETED")+
			propRange("CREATED")+propRange("LAST-MODIFIED")+propRange("DTSTAMP")) + compXML("VEVENT", propRange("DTEND")))},
		{"date lists, RECURRENCE-ID, absolute TRIGGER, FREEBUSY", vcalXML(compXML("VEVENT", propRange("RECURRENCE-ID")+propRange("EXDATE")+propRange("RDATE")+
			compXML("VALARM", propRange("TRIGGER"))) + compXML("VFREEBUSY", propRange("FREEBUSY")))},
		{"x-property and unknown iana property with a time-range", vcalXML(compXML("VEVENT", propRange("X-MOZ-LASTACK")+compXML("VALARM", propRange("ACKNOWLEDGED"))))},
		{"RFC 7953: VAVAILABILITY and AVAILABLE", vcalXML(compXML("VAVAILABILITY", someRange+compXML("AVAILABLE", someRange)))},
		{"RFC 5545 3.6.5: time zone parts", vcalXML(compXML("VTIMEZONE", compXML("STANDARD", `<C:prop-filter name="TZOFFSETTO"><C:text-match>+0100</C:text-match></C:prop-filter>`)+compXML("DAYLIGHT", "")))},
		{"x-components anywhere, without time-range", vcalXML(compXML("X-GROUP", compXML("X-ITEM", "")) + compXML("VEVENT", compXML("X-NOTE", "")+compXML("VLOCATION", "")))},
		{"lower-case names", vcalXML(compXML("vtodo", compXML("valarm", "")))},
		{"RFC 4791 7.5: the default collation", vcalXML(compXML("VEVENT", `<C:prop-filter name="SUMMARY"><C:text-match collation="default">x</C:text-match></C:prop-filter>`))},
		{"underscore in an x-name", vcalXML(compXML("VEVENT", `<C:prop-filter name="X-MY_FIELD"><C:param-filter name="X_P"/></C:prop-filter>`))},
	}
	cals := sampleCals(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := decode(tt.xml)
			if err != nil {
				t.Fatal(err)
			}
			for _, cal := range cals {
				if _, err := f.Match(cal); err != nil {
					t.Fatalf("match: %v", err)
				}
			}
		})
	}
}

// TestValidate_DefaultCollation: RFC 4791 7.5 (RFC 4790 3.1): the
// collation "default" is i;ascii-casemap.
func TestValidate_DefaultCollation(t *testing.T) {
	f, err := decode(vcalXML(compXML("VEVENT", `<C:prop-filter name="SUMMARY"><C:text-match collation="default">TEAM, WEEKLY</C:text-match></C:prop-filter>`)))
	if err != nil {
		t.Fatal(err)
	}
	if tm := f.Comp.Comps[0].Props[0].TextMatch; tm.Collation != CollationASCIICasemap {
		t.Errorf("collation %q", tm.Collation)
	}
	if ok, err := f.Match(sampleCals(t)[0]); !ok || err != nil {
		t.Errorf("match %v %v", ok, err)
	}
	hand := vcal(CompFilter{Name: "VEVENT", Props: []PropFilter{{Name: "SUMMARY", TextMatch: &TextMatch{Value: "team", Collation: "default"}}}})
	if ok, err := hand.Match(sampleCals(t)[0]); !ok || err != nil {
		t.Errorf("hand-built: %v %v", ok, err)
	}
}

// TestDecode_MalformedXML: XML that does not parse is no filter at all:
// a *dav.XMLError, which the handler answers 400 (RFC 4918 8.2).
func TestDecode_MalformedXML(t *testing.T) {
	for _, s := range []string{
		`<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp-filter name="VCALENDAR">`,
		`<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp-filter name="VCALENDAR"></C:prop-filter></C:filter>`,
		vcalXML(compXML("VEVENT", `<C:prop-filter name="SUMMARY"><C:text-match>x</C:prop-filter>`)),
	} {
		_, err := decode(s)
		var xe *dav.XMLError
		if !errors.As(err, &xe) || errors.Is(err, ErrInvalidFilter) {
			t.Errorf("%s: error = %v, want *dav.XMLError", s, err)
		}
	}
}

// TestValidate_HandBuilt: Match refuses what Decode refuses.
func TestValidate_HandBuilt(t *testing.T) {
	cal := sampleCals(t)[0]
	sampleStart := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &TimeRange{Start: sampleStart}
	tests := []struct {
		name string
		f    *Filter
		want error
	}{
		{"VEVENT in VEVENT", vcal(CompFilter{Name: "VEVENT", Comps: []CompFilter{{Name: "vevent"}}}), ErrInvalidFilter},
		{"SUMMARY time-range", vcal(CompFilter{Name: "VEVENT", Props: []PropFilter{{Name: "summary", TimeRange: r}}}), ErrInvalidFilter},
		{"time-range and text-match", vcal(CompFilter{Name: "VEVENT", Props: []PropFilter{{Name: "DTSTART", TimeRange: r, TextMatch: &TextMatch{Value: "x"}}}}), ErrInvalidFilter},
		{"time-range end before start", vcal(CompFilter{Name: "VEVENT", TimeRange: &TimeRange{Start: sampleStart, End: sampleStart}}), ErrInvalidFilter},
		{"bad param name", vcal(CompFilter{Name: "VEVENT", Props: []PropFilter{{Name: "ATTENDEE", Params: []ParamFilter{{Name: ""}}}}}), ErrInvalidFilter},
		{"x-components nest", vcal(CompFilter{Name: "X-A", Comps: []CompFilter{{Name: "X-A", Comps: []CompFilter{{Name: "X-A"}}}}}), nil},
		{"x-component time-range", vcal(CompFilter{Name: "X-A", TimeRange: r}), ErrUnsupportedFilter},
	}
	for _, tt := range tests {
		_, err := tt.f.Match(cal)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}
