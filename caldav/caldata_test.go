package caldav_test

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"almanac/caldav"
	"almanac/internal/davtest"
)

func ics(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

const nsDecl = `xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"`

// zurich is the VTIMEZONE clients send with Europe/Zurich events.
var zurich = []string{
	"BEGIN:VTIMEZONE", "TZID:Europe/Zurich",
	"BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
	"BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
	"END:VTIMEZONE",
}

func calendar(body ...[]string) string {
	all := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"}
	for _, b := range body {
		all = append(all, b...)
	}
	return ics(append(all, "END:VCALENDAR")...)
}

// standup: Mondays 10:00-11:00 in Zurich from 2 March 2026, six times;
// 16 March excluded, 23 March moved to 24 March 14:00.
var standup = calendar(zurich, []string{
	"BEGIN:VEVENT", "UID:standup", "DTSTAMP:20260101T000000Z",
	"DTSTART;TZID=Europe/Zurich:20260302T100000", "DTEND;TZID=Europe/Zurich:20260302T110000",
	"RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE;TZID=Europe/Zurich:20260316T100000",
	"SUMMARY:Standup", "ATTENDEE;CN=\"Doe, Jane\":mailto:jane@example.com", "END:VEVENT",
	"BEGIN:VEVENT", "UID:standup", "DTSTAMP:20260101T000000Z", "RECURRENCE-ID;TZID=Europe/Zurich:20260323T100000",
	"DTSTART;TZID=Europe/Zurich:20260324T140000", "DTEND;TZID=Europe/Zurich:20260324T150000",
	"SUMMARY:Standup (moved)", "END:VEVENT",
})

func (e *env) report(path, body string, depth string) *httptest.ResponseRecorder {
	e.t.Helper()
	hdr := map[string]string{}
	if depth != "" {
		hdr["Depth"] = depth
	}
	return e.do(req{method: "REPORT", path: path, body: body, hdr: hdr})
}

func multiget(calData string, hrefs ...string) string {
	b := `<C:calendar-multiget ` + nsDecl + `><D:prop><D:getetag/>` + calData + `</D:prop>`
	for _, h := range hrefs {
		b += `<D:href>` + h + `</D:href>`
	}
	return b + `</C:calendar-multiget>`
}

func TestReportCalendarData_PartialMultiget(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	p := e.obj("default", "standup.ics")
	if rec := e.do(put(p, standup)); rec.Code != 201 {
		t.Fatalf("PUT %d %s", rec.Code, rec.Body)
	}
	sel := `<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT">` +
		`<C:prop name="UID"/><C:prop name="RECURRENCE-ID"/><C:prop name="SUMMARY"/><C:prop name="ATTENDEE" novalue="yes"/>` +
		`</C:comp></C:comp></C:calendar-data>`
	m := davtest.ParseMS(t, e.report(e.cal("default"), multiget(sel, p), ""))
	got, _, ok := m.Prop(p, "calendar-data")
	want := ics("BEGIN:VCALENDAR", "VERSION:2.0",
		"BEGIN:VEVENT", "UID:standup", "SUMMARY:Standup", `ATTENDEE;CN="Doe, Jane":`, "END:VEVENT",
		"BEGIN:VEVENT", "UID:standup", "RECURRENCE-ID;TZID=Europe/Zurich:20260323T100000", "SUMMARY:Standup (moved)", "END:VEVENT",
		"END:VCALENDAR")
	if !ok || got != want {
		t.Fatalf("calendar-data\n%s\nwant\n%s", got, want)
	}
	// No children: the stored bytes, exactly.
	m = davtest.ParseMS(t, e.report(e.cal("default"), multiget(`<C:calendar-data/>`, p), ""))
	if got, _, _ := m.Prop(p, "calendar-data"); got != standup {
		t.Fatalf("plain calendar-data changed:\n%q", got)
	}
}

func TestReportCalendarData_ExpandQuery(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	p := e.obj("default", "standup.ics")
	e.do(put(p, standup))
	body := `<C:calendar-query ` + nsDecl + `><D:prop><C:calendar-data><C:expand start="20260320T000000Z" end="20260401T000000Z"/></C:calendar-data></D:prop>` +
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260320T000000Z" end="20260401T000000Z"/>` +
		`</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
	m := davtest.ParseMS(t, e.report(e.cal("default"), body, "1"))
	got, _, ok := m.Prop(p, "calendar-data")
	want := calendar(
		[]string{"BEGIN:VEVENT", "UID:standup", "DTSTAMP:20260101T000000Z", "RECURRENCE-ID:20260323T090000Z",
			"DTSTART:20260324T130000Z", "DTEND:20260324T140000Z", "SUMMARY:Standup (moved)", "END:VEVENT"},
		[]string{"BEGIN:VEVENT", "UID:standup", "DTSTAMP:20260101T000000Z", "DTSTART:20260330T080000Z", "RECURRENCE-ID:20260330T080000Z",
			"DTEND:20260330T090000Z", "SUMMARY:Standup", `ATTENDEE;CN="Doe, Jane":mailto:jane@example.com`, "END:VEVENT"},
	)
	if !ok || got != want {
		t.Fatalf("calendar-data\n%s\nwant\n%s", got, want)
	}
}

func TestReportCalendarData_FloatingInCalendarTimezone(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	tz := ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//x//EN", "BEGIN:VTIMEZONE", "TZID:America/New_York",
		"BEGIN:STANDARD", "DTSTART:19701101T020000", "TZOFFSETFROM:-0400", "TZOFFSETTO:-0500", "END:STANDARD", "END:VTIMEZONE", "END:VCALENDAR")
	mk := `<C:mkcalendar ` + nsDecl + `><D:set><D:prop><C:calendar-timezone>` + tz + `</C:calendar-timezone></D:prop></D:set></C:mkcalendar>`
	if rec := e.do(req{method: "MKCALENDAR", path: e.cal("ny"), body: mk}); rec.Code != 201 {
		t.Fatalf("MKCALENDAR %d %s", rec.Code, rec.Body)
	}
	p := e.obj("ny", "f.ics")
	e.do(put(p, calendar([]string{"BEGIN:VEVENT", "UID:f", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T100000", "DTEND:20260310T110000", "END:VEVENT"})))
	m := davtest.ParseMS(t, e.report(e.cal("ny"), multiget(`<C:calendar-data><C:expand start="20260301T000000Z" end="20260401T000000Z"/></C:calendar-data>`, p), ""))
	got, _, _ := m.Prop(p, "calendar-data")
	want := calendar([]string{"BEGIN:VEVENT", "UID:f", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T140000Z", "DTEND:20260310T150000Z", "END:VEVENT"})
	if got != want {
		t.Fatalf("calendar-data\n%s\nwant\n%s", got, want)
	}
}

func TestReportCalendarData_SyncCollection(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	p := e.obj("default", "a.ics")
	e.do(put(p, event("a", "Lunch")))
	body := `<D:sync-collection ` + nsDecl + `><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/>` +
		`<C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:prop name="SUMMARY"/></C:comp></C:comp></C:calendar-data>` +
		`</D:prop></D:sync-collection>`
	m := davtest.ParseMS(t, e.report(e.cal("default"), body, "0"))
	got, _, _ := m.Prop(p, "calendar-data")
	if want := ics("BEGIN:VCALENDAR", "BEGIN:VEVENT", "SUMMARY:Lunch", "END:VEVENT", "END:VCALENDAR"); got != want {
		t.Fatalf("calendar-data\n%s\nwant\n%s", got, want)
	}
}

func TestReportCalendarData_Errors(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	p := e.obj("default", "a.ics")
	e.do(put(p, event("a", "x")))
	query := func(calData string) string {
		return `<C:calendar-query ` + nsDecl + `><D:prop>` + calData + `</D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>`
	}
	sync := func(calData string) string {
		return `<D:sync-collection ` + nsDecl + `><D:sync-token/><D:sync-level>1</D:sync-level><D:prop>` + calData + `</D:prop></D:sync-collection>`
	}
	tests := []struct {
		name, body string
		status     int
		cond       string
	}{
		{"multiget jCal", multiget(`<C:calendar-data content-type="application/calendar+json"/>`, p), 403, "supported-calendar-data"},
		{"query version 1.0", query(`<C:calendar-data content-type="text/calendar" version="1.0"/>`), 403, "supported-calendar-data"},
		{"sync xCal", sync(`<C:calendar-data content-type="application/calendar+xml"/>`), 403, "supported-calendar-data"},
		{"expand without end", multiget(`<C:calendar-data><C:expand start="20260301T000000Z"/></C:calendar-data>`, p), 400, ""},
		{"expand not UTC", query(`<C:calendar-data><C:expand start="20260301T000000" end="20260401T000000"/></C:calendar-data>`), 400, ""},
		{"expand reversed", multiget(`<C:calendar-data><C:expand start="20260401T000000Z" end="20260301T000000Z"/></C:calendar-data>`, p), 400, ""},
		{"expand before min-date-time", multiget(`<C:calendar-data><C:expand start="00001231T000000Z" end="20260301T000000Z"/></C:calendar-data>`, p), 403, "min-date-time"},
		{"top comp VEVENT", multiget(`<C:calendar-data><C:comp name="VEVENT"/></C:calendar-data>`, p), 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			davtest.WantError(t, e.report(e.cal("default"), tt.body, "1"), tt.status, tt.cond)
		})
	}
}

func TestCalendarDateLimitProperties(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	p := e.cal("default")
	body := `<D:propfind ` + nsDecl + `><D:prop><C:min-date-time/><C:max-date-time/><C:max-instances/><D:supported-report-set/></D:prop></D:propfind>`
	m := davtest.ParseMS(t, e.do(req{method: "PROPFIND", path: p, body: body, hdr: map[string]string{"Depth": "0"}}))
	for prop, want := range map[string]string{"min-date-time": "00010101T000000Z", "max-date-time": "99991231T235959Z", "max-instances": "10000"} {
		if got, _, ok := m.Prop(p, prop); !ok || got != want {
			t.Errorf("%s = %q, want %q", prop, got, want)
		}
	}
	if _, inner, _ := m.Prop(p, "supported-report-set"); !strings.Contains(inner, "free-busy-query") {
		t.Errorf("supported-report-set lacks free-busy-query: %s", inner)
	}
	// allprop lists them; they are protected.
	m = davtest.ParseMS(t, e.do(req{method: "PROPFIND", path: p, body: `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`, hdr: map[string]string{"Depth": "0"}}))
	if _, _, ok := m.Prop(p, "max-instances"); !ok {
		t.Error("allprop lacks max-instances")
	}
	rec := e.do(req{method: "PROPPATCH", path: p, body: `<D:propertyupdate ` + nsDecl + `><D:set><D:prop><C:max-date-time>20300101T000000Z</C:max-date-time></D:prop></D:set></D:propertyupdate>`})
	if !strings.Contains(rec.Body.String(), "403") || !strings.Contains(rec.Body.String(), "cannot-modify-protected-property") {
		t.Errorf("PROPPATCH max-date-time: %s", rec.Body)
	}
}

func freeBusyQuery(timeRange string) string {
	return `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">` + timeRange + `</C:free-busy-query>`
}

var dtstamp = regexp.MustCompile(`DTSTAMP:\d{8}T\d{6}Z\r\n`)

func TestFreeBusyQuery(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	ev := func(uid string, props ...string) string {
		return calendar(append(append([]string{"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20260101T000000Z"}, props...), "END:VEVENT"))
	}
	objects := map[string]string{
		"busy":      ev("busy", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z"),
		"overlap":   ev("overlap", "DTSTART:20260310T093000Z", "DTEND:20260310T110000Z"),
		"adjacent":  ev("adjacent", "DTSTART:20260310T110000Z", "DTEND:20260310T113000Z"),
		"transp":    ev("transp", "DTSTART:20260310T120000Z", "DTEND:20260310T130000Z", "TRANSP:TRANSPARENT"),
		"cancelled": ev("cancelled", "DTSTART:20260310T130000Z", "DTEND:20260310T140000Z", "STATUS:CANCELLED"),
		"tentative": ev("tentative", "DTSTART:20260310T103000Z", "DTEND:20260310T123000Z", "STATUS:TENTATIVE"),
		"early":     ev("early", "DTSTART:20260309T230000Z", "DTEND:20260310T010000Z"),
		"allday":    ev("allday", "DTSTART;VALUE=DATE:20260312"),
		"outside":   ev("outside", "DTSTART:20260401T090000Z", "DTEND:20260401T100000Z"),
		// Zurich 10:00 is 09:00Z in March: daily, the 11 March one
		// cancelled by its override.
		"daily": calendar(zurich, []string{"BEGIN:VEVENT", "UID:daily", "DTSTAMP:20260101T000000Z",
			"DTSTART;TZID=Europe/Zurich:20260301T080000", "DTEND;TZID=Europe/Zurich:20260301T090000", "RRULE:FREQ=DAILY", "END:VEVENT",
			"BEGIN:VEVENT", "UID:daily", "DTSTAMP:20260101T000000Z", "RECURRENCE-ID;TZID=Europe/Zurich:20260311T080000",
			"DTSTART;TZID=Europe/Zurich:20260311T080000", "DTEND;TZID=Europe/Zurich:20260311T090000", "STATUS:CANCELLED", "END:VEVENT"}),
		"fb": calendar([]string{"BEGIN:VFREEBUSY", "UID:fb", "DTSTAMP:20260101T000000Z",
			"FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260311T150000Z/20260311T160000Z", "FREEBUSY;FBTYPE=FREE:20260311T000000Z/PT8H", "END:VFREEBUSY"}),
		"todo": calendar([]string{"BEGIN:VTODO", "UID:todo", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T150000Z", "DUE:20260310T160000Z", "END:VTODO"}),
	}
	// A calendar created without a component set takes VFREEBUSY too.
	if rec := e.do(req{method: "MKCALENDAR", path: e.cal("all")}); rec.Code != 201 {
		t.Fatalf("MKCALENDAR %d", rec.Code)
	}
	for name, data := range objects {
		if rec := e.do(put(e.obj("all", name+".ics"), data)); rec.Code != 201 {
			t.Fatalf("PUT %s: %d %s", name, rec.Code, rec.Body)
		}
	}
	rec := e.report(e.cal("all"), freeBusyQuery(`<C:time-range start="20260310T000000Z" end="20260312T120000Z"/>`), "1")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/calendar") {
		t.Fatalf("free-busy-query: %d %s\n%s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	if !dtstamp.MatchString(rec.Body.String()) {
		t.Fatalf("no DTSTAMP:\n%s", rec.Body)
	}
	got := dtstamp.ReplaceAllString(rec.Body.String(), "")
	want := ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//almanac//free-busy-query//EN", "BEGIN:VFREEBUSY",
		"DTSTART:20260310T000000Z", "DTEND:20260312T120000Z",
		"FREEBUSY;FBTYPE=BUSY:20260310T000000Z/20260310T010000Z",
		"FREEBUSY;FBTYPE=BUSY:20260310T070000Z/20260310T080000Z",
		"FREEBUSY;FBTYPE=BUSY:20260310T090000Z/20260310T113000Z",
		"FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260310T103000Z/20260310T123000Z",
		"FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260311T150000Z/20260311T160000Z",
		"FREEBUSY;FBTYPE=BUSY:20260312T000000Z/20260312T120000Z",
		"END:VFREEBUSY", "END:VCALENDAR")
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// Without a Depth header (RFC 4791 says 0) the calendar's objects
	// are still what counts. A year later only the daily series is
	// there (08:00 CET is 07:00Z), in another calendar nothing at all.
	rec = e.report(e.cal("all"), freeBusyQuery(`<C:time-range start="20270101T000000Z" end="20270102T000000Z"/>`), "")
	got = dtstamp.ReplaceAllString(rec.Body.String(), "")
	want = ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//almanac//free-busy-query//EN", "BEGIN:VFREEBUSY",
		"DTSTART:20270101T000000Z", "DTEND:20270102T000000Z", "FREEBUSY;FBTYPE=BUSY:20270101T070000Z/20270101T080000Z",
		"END:VFREEBUSY", "END:VCALENDAR")
	if rec.Code != 200 || got != want {
		t.Fatalf("a year later: %d\n%s", rec.Code, got)
	}
	rec = e.report(e.cal("default"), freeBusyQuery(`<C:time-range start="20260310T000000Z" end="20260312T000000Z"/>`), "1")
	got = dtstamp.ReplaceAllString(rec.Body.String(), "")
	want = ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//almanac//free-busy-query//EN", "BEGIN:VFREEBUSY",
		"DTSTART:20260310T000000Z", "DTEND:20260312T000000Z", "END:VFREEBUSY", "END:VCALENDAR")
	if rec.Code != 200 || got != want {
		t.Fatalf("empty calendar: %d\n%s", rec.Code, got)
	}
}

func TestFreeBusyQuery_Errors(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	e.do(put(e.obj("default", "a.ics"), event("a", "x")))
	tr := `<C:time-range start="20260310T000000Z" end="20260311T000000Z"/>`
	davtest.WantError(t, e.report(e.cal("default"), freeBusyQuery(""), "1"), 400, "")
	davtest.WantError(t, e.report(e.cal("default"), freeBusyQuery(`<C:time-range start="20260310" end="20260311"/>`), "1"), 400, "")
	davtest.WantError(t, e.report(e.cal("default"), freeBusyQuery(`<C:time-range/>`), "1"), 400, "")
	// RFC 4791 7.10: only collections; an object URL is 403.
	davtest.WantError(t, e.report(e.obj("default", "a.ics"), freeBusyQuery(tr), "0"), 403, "")
	// The calendar home is not a calendar.
	davtest.WantError(t, e.report("/dav/calendars/"+e.alice.ID+"/", freeBusyQuery(tr), "1"), 403, "supported-report")
	// Another user's calendar: 404, as for every request there.
	davtest.WantError(t, e.report("/dav/calendars/"+e.bob.ID+"/default/", freeBusyQuery(tr), "1"), 404, "")
	davtest.WantError(t, e.report(e.cal("missing"), freeBusyQuery(tr), "1"), 404, "")
}
