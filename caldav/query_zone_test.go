package caldav_test

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"almanac/caldav"
	"almanac/internal/davtest"
)

// VTIMEZONE definitions as clients send them in CALDAV:timezone and
// calendar-timezone (RFC 4791 9.8, 5.2.2).
const (
	tzLosAngeles = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTIMEZONE\r\nTZID:America/Los_Angeles\r\n" +
		"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0800\r\nTZOFFSETTO:-0700\r\nTZNAME:PDT\r\nDTSTART:20070311T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\n" +
		"BEGIN:STANDARD\r\nTZOFFSETFROM:-0700\r\nTZOFFSETTO:-0800\r\nTZNAME:PST\r\nDTSTART:20071104T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\n" +
		"END:VTIMEZONE\r\nEND:VCALENDAR\r\n"
	tzZurich = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Zurich\r\n" +
		"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19810329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" +
		"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19961027T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n" +
		"END:VTIMEZONE\r\nEND:VCALENDAR\r\n"
)

func vcal(uid, lines string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\n" + lines + "SUMMARY:" + uid + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// zoneQuery is a calendar-query for VEVENTs in [start, end) with extra
// elements (CALDAV:timezone, timezone-id) after the filter.
func zoneQuery(start, end, extra string) string {
	return `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>` +
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="` + start + `" end="` + end + `"/>` +
		`</C:comp-filter></C:comp-filter></C:filter>` + extra + `</C:calendar-query>`
}

func tzElem(vcal string) string {
	return `<C:timezone><![CDATA[` + vcal + `]]></C:timezone>`
}

func setCalendarTimezone(t *testing.T, e *env, cal, vcal string) {
	t.Helper()
	body := `<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-timezone>` +
		strings.NewReplacer("&", "&amp;", "<", "&lt;").Replace(vcal) + `</C:calendar-timezone></D:prop></D:set></D:propertyupdate>`
	m := davtest.ParseMS(t, e.do(req{method: "PROPPATCH", path: e.cal(cal), body: body}))
	if _, _, ok := m.Prop(e.cal(cal), "calendar-timezone"); !ok {
		t.Fatalf("PROPPATCH calendar-timezone failed: %+v", m)
	}
}

// queryNames runs a calendar-query and returns the member names found,
// sorted and space-separated.
func queryNames(t *testing.T, e *env, cal, body string) string {
	t.Helper()
	m := davtest.ParseMS(t, e.do(req{method: "REPORT", path: e.cal(cal), body: body, hdr: map[string]string{"Depth": "1"}}))
	var names []string
	for _, h := range m.Hrefs() {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(h, e.cal(cal)), ".ics"))
	}
	slices.Sort(names)
	return strings.Join(names, " ")
}

// TestQueryTimezone checks that floating and all-day values are read in
// the query's CALDAV:timezone, else the calendar's calendar-timezone, else
// UTC (RFC 4791 9.9). On 10 March 2026 Zurich is UTC+1 and Los Angeles
// UTC-7 (PDT began on 8 March).
func TestQueryTimezone(t *testing.T) {
	objects := map[string]string{
		// 10 March, all day.
		"allday": vcal("allday", "DTSTART;VALUE=DATE:20260310\r\n"),
		// 09:00-10:00 wherever the reader is.
		"floating": vcal("floating", "DTSTART:20260310T090000\r\nDTEND:20260310T100000\r\n"),
		// Fixed instant, the same in every zone.
		"fixed": vcal("fixed", "DTSTART:20260310T090000Z\r\nDTEND:20260310T091500Z\r\n"),
	}
	ranges := []struct{ name, start, end string }{
		{"A", "20260309T233000Z", "20260310T003000Z"},
		{"B", "20260310T231500Z", "20260310T234500Z"},
		{"C", "20260310T083000Z", "20260310T093000Z"},
		{"D", "20260310T160000Z", "20260310T163000Z"},
	}
	// What each range finds, read in UTC, Zurich and Los Angeles.
	want := map[string][3]string{
		"A": {"allday", "allday", ""},
		"B": {"allday", "", "allday"},
		"C": {"allday fixed floating", "allday fixed floating", "allday fixed"},
		"D": {"allday", "allday", "allday floating"},
	}
	const utc, zrh, la = 0, 1, 2

	e := newEnv(t, caldav.Options{})
	for _, c := range []string{"utc", "zurich", "pacific"} {
		wantStatus(t, e.do(req{method: "MKCALENDAR", path: e.cal(c)}), 201)
		for name, data := range objects {
			wantStatus(t, e.do(put(e.obj(c, name+".ics"), data)), 201)
		}
	}
	setCalendarTimezone(t, e, "zurich", tzZurich)
	setCalendarTimezone(t, e, "pacific", tzLosAngeles)

	cases := []struct {
		name, cal, extra string
		zone             int
	}{
		{"no zone", "utc", "", utc},
		{"query timezone Zurich", "utc", tzElem(tzZurich), zrh},
		{"query timezone Los Angeles", "utc", tzElem(tzLosAngeles), la},
		{"query timezone-id Zurich", "utc", `<C:timezone-id>Europe/Zurich</C:timezone-id>`, zrh},
		{"query timezone-id Los Angeles", "utc", `<C:timezone-id>America/Los_Angeles</C:timezone-id>`, la},
		{"calendar-timezone Zurich", "zurich", "", zrh},
		{"calendar-timezone Los Angeles", "pacific", "", la},
		{"query timezone over calendar-timezone", "zurich", tzElem(tzLosAngeles), la},
		{"query timezone-id over calendar-timezone", "pacific", `<C:timezone-id>Europe/Zurich</C:timezone-id>`, zrh},
		{"query UTC over calendar-timezone", "pacific", `<C:timezone-id>UTC</C:timezone-id>`, utc},
	}
	for _, tc := range cases {
		for _, r := range ranges {
			got := queryNames(t, e, tc.cal, zoneQuery(r.start, r.end, tc.extra))
			if w := want[r.name][tc.zone]; got != w {
				t.Errorf("%s, range %s [%s, %s): found %q, want %q", tc.name, r.name, r.start, r.end, got, w)
			}
		}
	}
}

func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, code int) {
	t.Helper()
	if rec.Code != code {
		t.Fatalf("status %d, want %d; body %s", rec.Code, code, rec.Body)
	}
}

// TestQueryTimezoneErrors: a CALDAV:timezone that is not one VTIMEZONE
// is 403 CALDAV:valid-calendar-data (RFC 4791 7.8); an unknown
// timezone-id is 403 CALDAV:valid-timezone (RFC 7809); both at once is
// 400.
func TestQueryTimezoneErrors(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	wantStatus(t, e.do(put(e.obj("default", "a.ics"), event("a", "x"))), 201)
	query := func(extra string) *httptest.ResponseRecorder {
		return e.do(req{method: "REPORT", path: e.cal("default"), hdr: map[string]string{"Depth": "1"},
			body: zoneQuery("20260301T000000Z", "20260401T000000Z", extra)})
	}
	twoZones := strings.Replace(tzZurich, "END:VCALENDAR", tzLosAngeles[strings.Index(tzLosAngeles, "BEGIN:VTIMEZONE"):], 1)
	for name, extra := range map[string]string{
		"garbage":     `<C:timezone>garbage</C:timezone>`,
		"empty":       `<C:timezone/>`,
		"event":       tzElem(event("x", "not a zone")),
		"two zones":   tzElem(twoZones),
		"no TZID":     tzElem(strings.Replace(tzZurich, "TZID:Europe/Zurich\r\n", "", 1)),
		"broken ical": tzElem(strings.Replace(tzZurich, "END:VTIMEZONE", "END:VEVENT", 1)),
	} {
		t.Run(name, func(t *testing.T) { davtest.WantError(t, query(extra), 403, "valid-calendar-data") })
	}
	davtest.WantError(t, query(`<C:timezone-id>Mars/Olympus_Mons</C:timezone-id>`), 403, "valid-timezone")
	davtest.WantError(t, query(`<C:timezone-id></C:timezone-id>`), 403, "valid-timezone")
	davtest.WantError(t, query(tzElem(tzZurich)+`<C:timezone-id>Europe/Zurich</C:timezone-id>`), 400, "")
	// A good one for contrast.
	if got := queryNames(t, e, "default", zoneQuery("20260301T000000Z", "20260401T000000Z", tzElem(tzZurich))); got != "a" {
		t.Fatalf("query with a valid timezone found %q", got)
	}
}
