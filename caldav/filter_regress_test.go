package caldav_test

import (
	"strings"
	"testing"

	"almanac/caldav"
	"almanac/internal/davtest"
)

// calendar-query filters RFC 4791 forbids are refused with the
// precondition the RFC names, over raw HTTP; what real clients send is
// still answered.

func filterQuery(filter string) string {
	return `<C:calendar-query ` + nsDecl + `><D:prop><D:getetag/></D:prop><C:filter>` + filter + `</C:filter></C:calendar-query>`
}

func inVEvent(inner string) string {
	return `<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` + inner + `</C:comp-filter></C:comp-filter>`
}

func TestCalendarQuery_ValidFilter(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	e.do(put(e.obj("default", "a.ics"), event("a", "Team meeting")))
	tests := []struct{ name, rule, filter string }{
		{"VEVENT in VEVENT", "RFC 4791 7.8 CALDAV:valid-filter; RFC 5545 3.6.1",
			inVEvent(`<C:comp-filter name="VEVENT"/>`)},
		{"VEVENT in VTODO", "RFC 4791 7.8 (its example)",
			`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"><C:comp-filter name="VEVENT"/></C:comp-filter></C:comp-filter>`},
		{"VALARM at the top", "RFC 5545 3.6.6",
			`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VALARM"/></C:comp-filter>`},
		{"VCALENDAR nested", "RFC 5545 3.4",
			`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VCALENDAR"/></C:comp-filter>`},
		{"root not VCALENDAR", "RFC 4791 9.7.1",
			`<C:comp-filter name="VEVENT"/>`},
		{"time-range on SUMMARY", "RFC 4791 7.8 (its example), 9.9",
			inVEvent(`<C:prop-filter name="SUMMARY"><C:time-range start="20260101T000000Z"/></C:prop-filter>`)},
		{"time-range on VCALENDAR", "RFC 4791 9.9",
			`<C:comp-filter name="VCALENDAR"><C:time-range start="20260101T000000Z"/></C:comp-filter>`},
		{"time-range and text-match", "RFC 4791 9.7.2",
			inVEvent(`<C:prop-filter name="DTSTART"><C:time-range start="20260101T000000Z"/><C:text-match>2026</C:text-match></C:prop-filter>`)},
		{"param-filter in a comp-filter", "RFC 4791 9.7.1",
			inVEvent(`<C:param-filter name="PARTSTAT"/>`)},
		{"bad name", "RFC 5545 3.1",
			inVEvent(`<C:prop-filter name="SUM MARY"/>`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.report(e.cal("default"), filterQuery(tt.filter), "1")
			if rec.Code != 403 {
				t.Fatalf("%s: status %d, want 403; body %s", tt.rule, rec.Code, rec.Body)
			}
			davtest.WantError(t, rec, 403, "valid-filter")
		})
	}
}

// TestCalendarQuery_SupportedFilter: RFC 4791 7.7 and 7.8: a filter the
// server cannot evaluate is 403 CALDAV:supported-filter naming the
// elements concerned inside the precondition.
func TestCalendarQuery_SupportedFilter(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	filter := `<C:comp-filter name="VCALENDAR"><C:comp-filter name="X-TRIP"><C:time-range start="20260101T000000Z"/></C:comp-filter>` +
		`<C:comp-filter name="VPOLL"><C:time-range start="20260101T000000Z"/></C:comp-filter></C:comp-filter>`
	rec := e.report(e.cal("default"), filterQuery(filter), "1")
	davtest.WantError(t, rec, 403, "supported-filter")
	for _, want := range []string{`<C:supported-filter><C:comp-filter name="X-TRIP"/><C:comp-filter name="VPOLL"/></C:supported-filter>`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("body %s lacks %s", rec.Body, want)
		}
	}
}

// TestCalendarQuery_TolerantFilters: RFC 4791 7.5 names "default" as the
// default collation; x-components without a time-range, x-properties with
// one, and the filters clients send are answered.
func TestCalendarQuery_TolerantFilters(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	e.do(put(e.obj("default", "a.ics"), event("a", "Team meeting")))
	e.do(put(e.obj("default", "t.ics"), todo("t")))
	tests := []struct{ name, filter, want string }{
		{"default collation", inVEvent(`<C:prop-filter name="SUMMARY"><C:text-match collation="default">MEETING</C:text-match></C:prop-filter>`), "a.ics"},
		{"x-component is-not-defined", inVEvent(`<C:comp-filter name="X-NOTE"><C:is-not-defined/></C:comp-filter>`), "a.ics"},
		{"x-property time-range", inVEvent(`<C:prop-filter name="X-MOZ-LASTACK"><C:time-range start="20260101T000000Z"/></C:prop-filter>`), ""},
		{"DTSTAMP time-range", inVEvent(`<C:prop-filter name="DTSTAMP"><C:time-range start="20260101T000000Z" end="20260102T000000Z"/></C:prop-filter>`), "a.ics"},
		{"Apple: open tasks", `<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"><C:prop-filter name="COMPLETED"><C:is-not-defined/></C:prop-filter>` +
			`<C:prop-filter name="STATUS"><C:text-match negate-condition="yes">CANCELLED</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter>`, ""},
		{"tasks", `<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"><C:prop-filter name="COMPLETED"><C:is-not-defined/></C:prop-filter></C:comp-filter></C:comp-filter>`, "t.ics"},
	}
	for _, tt := range tests {
		rec := e.report(e.cal("default"), filterQuery(tt.filter), "1")
		if rec.Code != 207 {
			t.Errorf("%s: status %d %s", tt.name, rec.Code, rec.Body)
			continue
		}
		got := davtest.ParseMS(t, rec).Hrefs()
		if want := tt.want; (want == "") != (len(got) == 0) || want != "" && (len(got) != 1 || got[0] != e.obj("default", want)) {
			t.Errorf("%s: %v, want %q", tt.name, got, tt.want)
		}
	}
}

// TestCalendarQuery_MalformedFilterXML: a filter that is not well-formed
// XML is a 400 (RFC 4918 8.2), not a filter the server judged. (A guard:
// the DAV:prop pass over the body already answers 400 before the filter
// decoder sees it; filter.Decode reports such XML as *dav.XMLError too.)
func TestCalendarQuery_MalformedFilterXML(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	body := `<C:calendar-query ` + nsDecl + `><C:filter><C:comp-filter name="VCALENDAR"></C:prop-filter></C:filter></C:calendar-query>`
	davtest.WantError(t, e.report(e.cal("default"), body, "1"), 400, "")
}
