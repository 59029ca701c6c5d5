package caldav

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"almanac/internal/dav"
	aical "almanac/internal/ical"
)

func lines(ls ...string) string { return strings.Join(ls, "\r\n") + "\r\n" }

func utc(s string) time.Time {
	t, ok := parseUTC(s)
	if !ok {
		panic(s)
	}
	return t
}

func rng(start, end string) *TimeRange { return &TimeRange{Start: utc(start), End: utc(end)} }

// calDataBody wraps a calendar-data element into a multiget body.
func calDataBody(inner string) []byte {
	return []byte(`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>` +
		inner + `</D:prop><D:href>/x</D:href></C:calendar-multiget>`)
}

func TestParseCalendarDataRequest(t *testing.T) {
	tests := []struct {
		name  string
		inner string
		want  func(*testing.T, *CalendarDataRequest)
	}{
		{"absent", `<D:getlastmodified/>`, func(t *testing.T, cd *CalendarDataRequest) {
			if cd != nil {
				t.Fatalf("got %+v", cd)
			}
		}},
		{"empty", `<C:calendar-data/>`, func(t *testing.T, cd *CalendarDataRequest) {
			if cd == nil || !cd.plain() {
				t.Fatalf("got %+v", cd)
			}
		}},
		{"explicit media type", `<C:calendar-data content-type="text/calendar; charset=utf-8" version="2.0"/>`, func(t *testing.T, cd *CalendarDataRequest) {
			if cd == nil || !cd.plain() {
				t.Fatalf("got %+v", cd)
			}
		}},
		{"comp tree", `<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/>` +
			`<C:comp name="vevent"><C:prop name="summary"/><C:prop name="ATTENDEE" novalue="yes"/><C:allcomp/></C:comp>` +
			`<C:comp name="VTIMEZONE"/></C:comp></C:calendar-data>`, func(t *testing.T, cd *CalendarDataRequest) {
			c := cd.Comp
			if c.Name != "VCALENDAR" || len(c.Props) != 1 || len(c.Comps) != 2 {
				t.Fatalf("got %+v", c)
			}
			ev := c.comp("VEVENT")
			if ev == nil || !ev.AllComp || len(ev.Props) != 2 || ev.Props[0] != (PropSelect{Name: "SUMMARY"}) ||
				ev.Props[1] != (PropSelect{Name: "ATTENDEE", NoValue: true}) {
				t.Fatalf("VEVENT %+v", ev)
			}
			if tz := c.comp("VTIMEZONE"); tz == nil || !tz.whole() {
				t.Fatalf("VTIMEZONE %+v", tz)
			}
		}},
		{"expand", `<C:calendar-data><C:expand start="20260301T000000Z" end="20260401T000000Z"/></C:calendar-data>`, func(t *testing.T, cd *CalendarDataRequest) {
			if cd.Expand == nil || !cd.Expand.Start.Equal(utc("20260301T000000Z")) || !cd.Expand.End.Equal(utc("20260401T000000Z")) {
				t.Fatalf("got %+v", cd.Expand)
			}
		}},
		{"limits", `<C:calendar-data><C:limit-recurrence-set start="20260301T000000Z" end="20260401T000000Z"/>` +
			`<C:limit-freebusy-set start="20260301T000000Z" end="20260302T000000Z"/></C:calendar-data>`, func(t *testing.T, cd *CalendarDataRequest) {
			if cd.LimitRecurrenceSet == nil || cd.LimitFreeBusySet == nil || cd.Expand != nil {
				t.Fatalf("got %+v", cd)
			}
		}},
		{"other namespaces ignored", `<C:calendar-data xmlns:X="urn:x"><X:comp name="VEVENT"/></C:calendar-data>`, func(t *testing.T, cd *CalendarDataRequest) {
			if cd == nil || cd.Comp != nil {
				t.Fatalf("got %+v", cd)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cd, err := ParseCalendarDataRequest(calDataBody(tt.inner))
			if err != nil {
				t.Fatal(err)
			}
			tt.want(t, cd)
		})
	}
}

func TestParseCalendarDataRequest_Errors(t *testing.T) {
	tests := []struct {
		name   string
		inner  string
		status int
		cond   string
	}{
		{"jCal", `<C:calendar-data content-type="application/calendar+json"/>`, 403, "supported-calendar-data"},
		{"version 1.0", `<C:calendar-data version="1.0"/>`, 403, "supported-calendar-data"},
		{"bad media type", `<C:calendar-data content-type="text"/>`, 403, "supported-calendar-data"},
		{"expand without end", `<C:calendar-data><C:expand start="20260301T000000Z"/></C:calendar-data>`, 400, ""},
		{"expand without attributes", `<C:calendar-data><C:expand/></C:calendar-data>`, 400, ""},
		{"expand date only", `<C:calendar-data><C:expand start="20260301" end="20260401"/></C:calendar-data>`, 400, ""},
		{"expand local time", `<C:calendar-data><C:expand start="20260301T000000" end="20260401T000000Z"/></C:calendar-data>`, 400, ""},
		{"expand end before start", `<C:calendar-data><C:expand start="20260401T000000Z" end="20260301T000000Z"/></C:calendar-data>`, 400, ""},
		{"expand empty range", `<C:calendar-data><C:expand start="20260401T000000Z" end="20260401T000000Z"/></C:calendar-data>`, 400, ""},
		{"expand before min-date-time", `<C:calendar-data><C:expand start="00001231T000000Z" end="20260401T000000Z"/></C:calendar-data>`, 403, "min-date-time"},
		{"limit without start", `<C:calendar-data><C:limit-recurrence-set end="20260401T000000Z"/></C:calendar-data>`, 400, ""},
		{"freebusy limit bad", `<C:calendar-data><C:limit-freebusy-set start="x" end="y"/></C:calendar-data>`, 400, ""},
		{"expand and limit", `<C:calendar-data><C:expand start="20260301T000000Z" end="20260401T000000Z"/>` +
			`<C:limit-recurrence-set start="20260301T000000Z" end="20260401T000000Z"/></C:calendar-data>`, 400, ""},
		{"top comp not VCALENDAR", `<C:calendar-data><C:comp name="VEVENT"/></C:calendar-data>`, 400, ""},
		{"comp without name", `<C:calendar-data><C:comp name="VCALENDAR"><C:comp/></C:comp></C:calendar-data>`, 400, ""},
		{"prop without name", `<C:calendar-data><C:comp name="VCALENDAR"><C:prop/></C:comp></C:calendar-data>`, 400, ""},
		{"novalue maybe", `<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="X" novalue="maybe"/></C:comp></C:calendar-data>`, 400, ""},
		{"two comps", `<C:calendar-data><C:comp name="VCALENDAR"/><C:comp name="VCALENDAR"/></C:calendar-data>`, 400, ""},
		{"too deep", `<C:calendar-data>` + strings.Repeat(`<C:comp name="VCALENDAR">`, 17) + strings.Repeat(`</C:comp>`, 17) + `</C:calendar-data>`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCalendarDataRequest(calDataBody(tt.inner))
			var de *dav.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a dav.Error", err)
			}
			if de.Status != tt.status || de.Condition.Local != tt.cond {
				t.Fatalf("got %d %q, want %d %q", de.Status, de.Condition.Local, tt.status, tt.cond)
			}
		})
	}
}

// zurichTZ is a VTIMEZONE as clients send it; expand must drop it.
var zurichTZ = []string{
	"BEGIN:VTIMEZONE", "TZID:Europe/Zurich",
	"BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
	"BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
	"END:VTIMEZONE",
}

func cal(body ...string) string {
	all := append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"}, body...)
	return lines(append(all, "END:VCALENDAR")...)
}

func with(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var partialSource = cal(with(zurichTZ, []string{
	"BEGIN:VEVENT",
	"UID:p1",
	"DTSTAMP:20260101T000000Z",
	"DTSTART;TZID=Europe/Zurich:20260310T100000",
	"DTEND;TZID=Europe/Zurich:20260310T110000",
	"SUMMARY:Planning",
	`ATTENDEE;CN="Doe, Jane";PARTSTAT=ACCEPTED:mailto:jane@example.com`,
	"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT10M", "DESCRIPTION:Reminder", "END:VALARM",
	"END:VEVENT",
})...)

func TestRender_Partial(t *testing.T) {
	tests := []struct {
		name string
		src  string
		sel  string // calendar-data inner XML
		want string
	}{
		{
			// RFC 4791 7.8.1: an empty comp element (VTIMEZONE) is
			// returned whole; properties keep the object's order, not
			// the request's.
			"props and whole VTIMEZONE", partialSource,
			`<C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="UID"/>` +
				`<C:prop name="DTSTART"/></C:comp><C:comp name="VTIMEZONE"/></C:comp>`,
			lines(with([]string{"BEGIN:VCALENDAR", "VERSION:2.0"}, zurichTZ,
				[]string{"BEGIN:VEVENT", "UID:p1", "DTSTART;TZID=Europe/Zurich:20260310T100000", "SUMMARY:Planning", "END:VEVENT", "END:VCALENDAR"})...),
		},
		{
			"novalue", partialSource,
			`<C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:prop name="UID"/><C:prop name="ATTENDEE" novalue="yes"/></C:comp></C:comp>`,
			lines("BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:p1", `ATTENDEE;CN="Doe, Jane";PARTSTAT=ACCEPTED:`, "END:VEVENT", "END:VCALENDAR"),
		},
		{
			// Without comp children, no subcomponents: VTIMEZONE and
			// VALARM go.
			"allprop without comps", partialSource,
			`<C:comp name="VCALENDAR"><C:allprop/><C:comp name="VEVENT"><C:allprop/></C:comp></C:comp>`,
			cal("BEGIN:VEVENT", "UID:p1", "DTSTAMP:20260101T000000Z", "DTSTART;TZID=Europe/Zurich:20260310T100000",
				"DTEND;TZID=Europe/Zurich:20260310T110000", "SUMMARY:Planning",
				`ATTENDEE;CN="Doe, Jane";PARTSTAT=ACCEPTED:mailto:jane@example.com`, "END:VEVENT"),
		},
		{
			"nested VALARM selection, names case-insensitive", partialSource,
			`<C:comp name="vcalendar"><C:comp name="vevent"><C:prop name="uid"/><C:comp name="valarm"><C:prop name="action"/></C:comp></C:comp></C:comp>`,
			lines("BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:p1", "BEGIN:VALARM", "ACTION:DISPLAY", "END:VALARM", "END:VEVENT", "END:VCALENDAR"),
		},
		{
			// allprop/allcomp return everything, through the writer:
			// bare LF becomes CRLF and the long line is folded.
			"allprop allcomp rewrites", "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:x\nSUMMARY:" + strings.Repeat("ä", 40) + "\nEND:VEVENT\nEND:VCALENDAR\n",
			`<C:comp name="VCALENDAR"><C:allprop/><C:allcomp/></C:comp>`,
			lines("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:x", "SUMMARY:"+strings.Repeat("ä", 33)+"\r\n "+strings.Repeat("ä", 7), "END:VEVENT", "END:VCALENDAR"),
		},
		{
			// Canonical input (CRLF, short lines) comes back identical
			// through the writer, VTIMEZONE and VALARM included.
			"allcomp keeps VTIMEZONE", partialSource,
			`<C:comp name="VCALENDAR"><C:allprop/><C:allcomp/></C:comp>`,
			partialSource,
		},
		{
			"unknown component selects nothing", partialSource,
			`<C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VTODO"/></C:comp>`,
			lines("BEGIN:VCALENDAR", "VERSION:2.0", "END:VCALENDAR"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cd, err := ParseCalendarDataRequest(calDataBody(`<C:calendar-data>` + tt.sel + `</C:calendar-data>`))
			if err != nil {
				t.Fatal(err)
			}
			got := string(cd.Render([]byte(tt.src)))
			if got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
			if _, err := aical.Parse([]byte(got)); err != nil {
				t.Fatalf("result does not parse: %v", err)
			}
		})
	}
}

func TestRender_PlainIsByteExact(t *testing.T) {
	// Stored bytes with LF line ends and an unfolded long line: anything
	// that asks for the whole object gets exactly them.
	src := "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:x\nDTSTART:20260310T100000Z\nSUMMARY:" + strings.Repeat("x", 200) + "\nEND:VEVENT\nEND:VCALENDAR\n"
	for _, inner := range []string{
		`<C:calendar-data/>`,
		`<C:calendar-data><C:comp name="VCALENDAR"/></C:calendar-data>`,
		// Nothing to limit in an object without overrides or VFREEBUSY.
		`<C:calendar-data><C:limit-recurrence-set start="20260101T000000Z" end="20260102T000000Z"/></C:calendar-data>`,
		`<C:calendar-data><C:limit-freebusy-set start="20260101T000000Z" end="20260102T000000Z"/></C:calendar-data>`,
	} {
		cd, err := ParseCalendarDataRequest(calDataBody(inner))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(cd.Render([]byte(src))); got != src {
			t.Fatalf("%s: got\n%q", inner, got)
		}
	}
	var nilReq *CalendarDataRequest
	if got := string(nilReq.Render([]byte(src))); got != src {
		t.Fatal("nil request changed the data")
	}
}

// weeklyZurich: Mondays 10:00-11:00 Zurich time, six times from 2 March
// 2026 across the DST change of 29 March; 16 March excluded, 23 March
// moved to Tuesday 24 March 14:00-15:00.
var weeklyZurich = cal(with(zurichTZ, []string{
	"BEGIN:VEVENT",
	"UID:weekly",
	"DTSTAMP:20260101T000000Z",
	"DTSTART;TZID=Europe/Zurich:20260302T100000",
	"DTEND;TZID=Europe/Zurich:20260302T110000",
	"RRULE:FREQ=WEEKLY;COUNT=6",
	"EXDATE;TZID=Europe/Zurich:20260316T100000",
	"SUMMARY:Standup",
	"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT5M", "DESCRIPTION:Standup", "END:VALARM",
	"END:VEVENT",
	"BEGIN:VEVENT",
	"UID:weekly",
	"DTSTAMP:20260101T000000Z",
	"RECURRENCE-ID;TZID=Europe/Zurich:20260323T100000",
	"DTSTART;TZID=Europe/Zurich:20260324T140000",
	"DTEND;TZID=Europe/Zurich:20260324T150000",
	"SUMMARY:Standup (moved)",
	"END:VEVENT",
})...)

func instance(extra ...string) []string {
	return append(append([]string{"BEGIN:VEVENT"}, extra...), "END:VEVENT")
}

func TestRender_Expand(t *testing.T) {
	alarm := []string{"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT5M", "DESCRIPTION:Standup", "END:VALARM"}
	master := func(start, end string) []string {
		return instance(with([]string{"UID:weekly", "DTSTAMP:20260101T000000Z", "DTSTART:" + start, "RECURRENCE-ID:" + start,
			"DTEND:" + end, "SUMMARY:Standup"}, alarm)...)
	}
	tests := []struct {
		name     string
		src      string
		rng      *TimeRange
		floating *time.Location
		want     string
	}{
		{
			// CET is UTC+1 until 29 March, CEST UTC+2 after: the same
			// 10:00 local is 09:00Z, then 08:00Z. The exception is gone,
			// the override is at its own time with the original
			// RECURRENCE-ID in UTC, the 6 April instance is outside.
			"weekly Zurich across DST", weeklyZurich, rng("20260301T000000Z", "20260401T000000Z"), nil,
			cal(with(
				master("20260302T090000Z", "20260302T100000Z"),
				master("20260309T090000Z", "20260309T100000Z"),
				instance("UID:weekly", "DTSTAMP:20260101T000000Z", "RECURRENCE-ID:20260323T090000Z",
					"DTSTART:20260324T130000Z", "DTEND:20260324T140000Z", "SUMMARY:Standup (moved)"),
				master("20260330T080000Z", "20260330T090000Z"),
			)...),
		},
		{
			// The range start is exclusive of an instance that ends
			// exactly there; the end excludes one starting there.
			"range edges", weeklyZurich, rng("20260309T100000Z", "20260330T080000Z"), nil,
			cal(instance("UID:weekly", "DTSTAMP:20260101T000000Z", "RECURRENCE-ID:20260323T090000Z",
				"DTSTART:20260324T130000Z", "DTEND:20260324T140000Z", "SUMMARY:Standup (moved)")...),
		},
		{
			"nothing in range", weeklyZurich, rng("20270101T000000Z", "20270201T000000Z"), nil,
			cal(),
		},
		{
			// All-day instances keep DATE values, RECURRENCE-ID
			// included (see expandTree).
			"all-day series",
			cal("BEGIN:VEVENT", "UID:ad", "DTSTAMP:20260101T000000Z", "DTSTART;VALUE=DATE:20260301", "DTEND;VALUE=DATE:20260302",
				"RRULE:FREQ=DAILY;COUNT=3", "SUMMARY:Holiday", "END:VEVENT"),
			rng("20260302T000000Z", "20260304T000000Z"), nil,
			cal(with(
				instance("UID:ad", "DTSTAMP:20260101T000000Z", "DTSTART;VALUE=DATE:20260302", "RECURRENCE-ID;VALUE=DATE:20260302",
					"DTEND;VALUE=DATE:20260303", "SUMMARY:Holiday"),
				instance("UID:ad", "DTSTAMP:20260101T000000Z", "DTSTART;VALUE=DATE:20260303", "RECURRENCE-ID;VALUE=DATE:20260303",
					"DTEND;VALUE=DATE:20260304", "SUMMARY:Holiday"),
			)...),
		},
		{
			// A rule without end, a window of three days.
			"unbounded rule, bounded window",
			cal("BEGIN:VEVENT", "UID:u", "DTSTART:20200101T100000Z", "DURATION:PT30M", "RRULE:FREQ=DAILY", "END:VEVENT"),
			rng("20260310T000000Z", "20260313T000000Z"), nil,
			cal(with(
				instance("UID:u", "DTSTART:20260310T100000Z", "RECURRENCE-ID:20260310T100000Z", "DURATION:PT30M"),
				instance("UID:u", "DTSTART:20260311T100000Z", "RECURRENCE-ID:20260311T100000Z", "DURATION:PT30M"),
				instance("UID:u", "DTSTART:20260312T100000Z", "RECURRENCE-ID:20260312T100000Z", "DURATION:PT30M"),
			)...),
		},
		{
			// Floating times are read in the query's or calendar's zone:
			// New York is UTC-4 from 8 March 2026.
			"floating in calendar zone",
			cal("BEGIN:VEVENT", "UID:f", "DTSTART:20260310T100000", "DTEND:20260310T110000", "SUMMARY:Call", "END:VEVENT"),
			rng("20260301T000000Z", "20260401T000000Z"), mustZone("America/New_York"),
			cal(instance("UID:f", "DTSTART:20260310T140000Z", "DTEND:20260310T150000Z", "SUMMARY:Call")...),
		},
		{
			// A non-recurring event gets no RECURRENCE-ID; other zoned
			// properties become UTC too.
			"single zoned event", cal(with(zurichTZ, []string{"BEGIN:VEVENT", "UID:s", "DTSTART;TZID=Europe/Zurich:20260710T100000",
				"DTEND;TZID=Europe/Zurich:20260710T120000", "X-ORIG;TZID=Europe/Zurich:20260710T090000", "END:VEVENT"})...),
			rng("20260701T000000Z", "20260801T000000Z"), nil,
			cal(instance("UID:s", "DTSTART:20260710T080000Z", "DTEND:20260710T100000Z", "X-ORIG:20260710T070000Z")...),
		},
		{
			// P1D from a zoned start across the DST change is 23 hours;
			// from a UTC start it would be 24, so DTEND is written.
			"nominal duration across DST",
			cal(with(zurichTZ, []string{"BEGIN:VEVENT", "UID:d", "DTSTART;TZID=Europe/Zurich:20260328T120000", "DURATION:P1D",
				"RRULE:FREQ=DAILY;COUNT=2", "END:VEVENT"})...),
			rng("20260301T000000Z", "20260401T000000Z"), nil,
			cal(with(
				instance("UID:d", "DTSTART:20260328T110000Z", "RECURRENCE-ID:20260328T110000Z", "DTEND:20260329T100000Z"),
				instance("UID:d", "DTSTART:20260329T100000Z", "RECURRENCE-ID:20260329T100000Z", "DURATION:P1D"),
			)...),
		},
		{
			// A VTODO's DUE moves with its instance.
			"recurring todo",
			cal("BEGIN:VTODO", "UID:t2", "DTSTART:20260302T090000Z", "DUE:20260302T170000Z", "RRULE:FREQ=WEEKLY;COUNT=2", "SUMMARY:Report", "END:VTODO"),
			rng("20260301T000000Z", "20260401T000000Z"), nil,
			cal(
				"BEGIN:VTODO", "UID:t2", "DTSTART:20260302T090000Z", "RECURRENCE-ID:20260302T090000Z", "DUE:20260302T170000Z", "SUMMARY:Report", "END:VTODO",
				"BEGIN:VTODO", "UID:t2", "DTSTART:20260309T090000Z", "RECURRENCE-ID:20260309T090000Z", "DUE:20260309T170000Z", "SUMMARY:Report", "END:VTODO",
			),
		},
		{
			"todo without dates passes through",
			cal("BEGIN:VTODO", "UID:t", "SUMMARY:Someday", "END:VTODO"),
			rng("20260301T000000Z", "20260401T000000Z"), nil,
			cal("BEGIN:VTODO", "UID:t", "SUMMARY:Someday", "END:VTODO"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cd := &CalendarDataRequest{Expand: tt.rng, Floating: tt.floating}
			got := string(cd.Render([]byte(tt.src)))
			if got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
			if _, err := aical.Parse([]byte(got)); err != nil {
				t.Fatalf("result does not parse: %v", err)
			}
		})
	}
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func TestRender_ExpandCapped(t *testing.T) {
	// An hourly rule over a century: the answer stops at the instance
	// cap instead of failing or running away.
	src := cal("BEGIN:VEVENT", "UID:h", "DTSTART:20260101T000000Z", "RRULE:FREQ=HOURLY", "END:VEVENT")
	cd := &CalendarDataRequest{Expand: rng("20260101T000000Z", "21260101T000000Z")}
	got := string(cd.Render([]byte(src)))
	if n := strings.Count(got, "BEGIN:VEVENT"); n != aical.DefaultMaxInstances {
		t.Fatalf("%d instances, want the cap %d", n, aical.DefaultMaxInstances)
	}
	if strings.Contains(got, "RRULE") {
		t.Fatal("expanded data has an RRULE")
	}
}

func TestRender_ExpandWithSelection(t *testing.T) {
	cd, err := ParseCalendarDataRequest(calDataBody(`<C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT">` +
		`<C:prop name="SUMMARY"/><C:prop name="RECURRENCE-ID"/></C:comp></C:comp>` +
		`<C:expand start="20260320T000000Z" end="20260401T000000Z"/></C:calendar-data>`))
	if err != nil {
		t.Fatal(err)
	}
	got := string(cd.Render([]byte(weeklyZurich)))
	want := lines("BEGIN:VCALENDAR",
		"BEGIN:VEVENT", "RECURRENCE-ID:20260323T090000Z", "SUMMARY:Standup (moved)", "END:VEVENT",
		"BEGIN:VEVENT", "RECURRENCE-ID:20260330T080000Z", "SUMMARY:Standup", "END:VEVENT",
		"END:VCALENDAR")
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestRender_LimitRecurrenceSet(t *testing.T) {
	ov := func(rid, start string, extra ...string) []string {
		return with([]string{"BEGIN:VEVENT", "UID:d", "RECURRENCE-ID;TZID=Europe/Zurich:" + rid,
			"DTSTART;TZID=Europe/Zurich:" + start, "DTEND;TZID=Europe/Zurich:" + start[:9] + "235900"}, extra, []string{"END:VEVENT"})
	}
	masterLines := []string{"BEGIN:VEVENT", "UID:d", "DTSTART;TZID=Europe/Zurich:20260302T100000", "DTEND;TZID=Europe/Zurich:20260302T110000",
		"RRULE:FREQ=DAILY;COUNT=10", "END:VEVENT"}
	// Range: 3 March 00:00Z to 6 March 00:00Z.
	inNow := ov("20260304T100000", "20260304T140000")           // moved within the range
	outBoth := ov("20260306T100000", "20260306T140000")         // before and after: 6 March, outside
	inNowOnly := ov("20260308T100000", "20260303T140000")       // originally 8 March, now 3 March
	inBeforeOnly := ov("20260305T100000", "20260310T140000")    // originally 5 March, now 10 March
	future := ov("20260302T100000", "20260302T120000", "X-A:1") // THISANDFUTURE from before the range
	future[2] = "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Zurich:20260302T100000"
	futureLate := ov("20260309T100000", "20260309T120000")
	futureLate[2] = "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Zurich:20260309T100000"

	src := cal(with(zurichTZ, masterLines, inNow, outBoth, inNowOnly, inBeforeOnly, future, futureLate)...)
	want := cal(with(zurichTZ, masterLines, inNow, inNowOnly, inBeforeOnly, future)...)
	cd := &CalendarDataRequest{LimitRecurrenceSet: rng("20260303T000000Z", "20260306T000000Z")}
	got := string(cd.Render([]byte(src)))
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestRender_LimitFreeBusySet(t *testing.T) {
	src := cal("BEGIN:VFREEBUSY", "UID:fb", "DTSTART:20260301T000000Z", "DTEND:20260401T000000Z",
		"FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260302T100000Z/20260302T120000Z,20260305T100000Z/PT1H",
		"FREEBUSY:20260310T100000Z/20260310T110000Z",
		"FREEBUSY:20260302T230000Z/PT2H",
		"END:VFREEBUSY")
	want := cal("BEGIN:VFREEBUSY", "UID:fb", "DTSTART:20260301T000000Z", "DTEND:20260401T000000Z",
		"FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260302T100000Z/20260302T120000Z",
		"FREEBUSY:20260302T230000Z/PT2H",
		"END:VFREEBUSY")
	cd := &CalendarDataRequest{LimitFreeBusySet: rng("20260302T000000Z", "20260303T000000Z")}
	if got := string(cd.Render([]byte(src))); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestBusyTimesAndMerge(t *testing.T) {
	ev := func(extra ...string) string {
		return cal(with([]string{"BEGIN:VEVENT", "UID:x"}, extra, []string{"END:VEVENT"})...)
	}
	objects := []string{
		ev("DTSTART:20260310T090000Z", "DTEND:20260310T100000Z"),
		ev("DTSTART:20260310T093000Z", "DTEND:20260310T110000Z"),                       // overlaps: merged
		ev("DTSTART:20260310T110000Z", "DTEND:20260310T113000Z", "TRANSP:OPAQUE"),      // adjacent: merged
		ev("DTSTART:20260310T120000Z", "DTEND:20260310T130000Z", "TRANSP:TRANSPARENT"), // not busy
		ev("DTSTART:20260310T130000Z", "DTEND:20260310T140000Z", "STATUS:CANCELLED"),   // not busy
		ev("DTSTART:20260310T103000Z", "DTEND:20260310T123000Z", "STATUS:TENTATIVE"),   // own type
		ev("DTSTART:20260309T230000Z", "DTEND:20260310T010000Z"),                       // clipped at the start
		ev("DTSTART:20260311T100000Z", "DURATION:PT30M", "STATUS:X-MAYBE"),             // x-name: BUSY
		ev("DTSTART:20260311T120000Z"),                                                 // no length: nothing
		ev("DTSTART;VALUE=DATE:20260312"),                                              // all day, clipped at the end
		// Daily 07:00-08:00, the 11 March instance cancelled by its override.
		cal("BEGIN:VEVENT", "UID:r", "DTSTART:20260301T070000Z", "DTEND:20260301T080000Z", "RRULE:FREQ=DAILY", "END:VEVENT",
			"BEGIN:VEVENT", "UID:r", "RECURRENCE-ID:20260311T070000Z", "DTSTART:20260311T070000Z", "DTEND:20260311T080000Z", "STATUS:CANCELLED", "END:VEVENT"),
		cal("BEGIN:VFREEBUSY", "UID:fb", "FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260311T150000Z/20260311T160000Z",
			"FREEBUSY;FBTYPE=FREE:20260311T000000Z/20260312T000000Z", "FREEBUSY:20260309T000000Z/PT1H", "END:VFREEBUSY"),
		cal("BEGIN:VTODO", "UID:t", "DTSTART:20260310T150000Z", "DUE:20260310T160000Z", "END:VTODO"),
	}
	tr := TimeRange{Start: utc("20260310T000000Z"), End: utc("20260312T120000Z")}
	var ps []busyPeriod
	for _, o := range objects {
		c, err := aical.Parse([]byte(o))
		if err != nil {
			t.Fatal(err)
		}
		if ps, _, err = busyTimes(ps, c, tr, time.UTC, 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	got := string(freeBusyCalendar(mergeBusy(ps), tr, utc("20260101T000000Z"), ""))
	want := lines("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//almanac//free-busy-query//EN", "BEGIN:VFREEBUSY",
		"DTSTAMP:20260101T000000Z", "DTSTART:20260310T000000Z", "DTEND:20260312T120000Z",
		"FREEBUSY;FBTYPE=BUSY:20260310T000000Z/20260310T010000Z",
		"FREEBUSY;FBTYPE=BUSY:20260310T070000Z/20260310T080000Z",
		"FREEBUSY;FBTYPE=BUSY:20260310T090000Z/20260310T113000Z",
		"FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260310T103000Z/20260310T123000Z",
		"FREEBUSY;FBTYPE=BUSY:20260311T100000Z/20260311T103000Z",
		"FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260311T150000Z/20260311T160000Z",
		"FREEBUSY;FBTYPE=BUSY:20260312T000000Z/20260312T120000Z",
		"END:VFREEBUSY", "END:VCALENDAR")
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestParseFreeBusyQuery(t *testing.T) {
	body := func(inner string) []byte {
		return []byte(`<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">` + inner + `</C:free-busy-query>`)
	}
	tr, err := parseFreeBusyQuery(body(`<C:time-range start="20260310T000000Z" end="20260311T000000Z"/>`))
	if err != nil || !tr.Start.Equal(utc("20260310T000000Z")) || !tr.End.Equal(utc("20260311T000000Z")) {
		t.Fatalf("got %v %v", tr, err)
	}
	tr, err = parseFreeBusyQuery(body(`<C:time-range start="20260310T000000Z"/>`))
	if err != nil || !tr.End.Equal(maxTime) {
		t.Fatalf("open end: got %v %v", tr, err)
	}
	for _, bad := range []string{
		``,
		`<C:time-range/>`,
		`<C:time-range start="20260310" end="20260311T000000Z"/>`,
		`<C:time-range start="20260311T000000Z" end="20260310T000000Z"/>`,
		`<C:time-range start="20260310T000000Z" end="20260311T000000Z"/><C:time-range start="20260310T000000Z" end="20260311T000000Z"/>`,
	} {
		_, err := parseFreeBusyQuery(body(bad))
		var de *dav.Error
		if !errors.As(err, &de) || de.Status != http.StatusBadRequest {
			t.Errorf("%s: got %v, want 400", bad, err)
		}
	}
}

// FuzzRender: for any object the parser accepts, every kind of
// calendar-data request renders without panicking, and what it writes
// (when it rewrites) parses again.
func FuzzRender(f *testing.F) {
	for _, s := range []string{weeklyZurich, partialSource,
		cal("BEGIN:VFREEBUSY", "UID:fb", "FREEBUSY:20260302T100000Z/PT1H,20260305T100000Z/PT1H", "END:VFREEBUSY"),
		cal("BEGIN:VEVENT", "UID:ad", "DTSTART;VALUE=DATE:20260301", "RRULE:FREQ=DAILY", "END:VEVENT",
			"BEGIN:VEVENT", "UID:ad", "RECURRENCE-ID;RANGE=THISANDFUTURE;VALUE=DATE:20260303", "DTSTART;VALUE=DATE:20260304", "END:VEVENT"),
	} {
		f.Add([]byte(s), uint8(0))
	}
	r := rng("20260301T000000Z", "20260401T000000Z")
	sel := &CompSelect{Name: "VCALENDAR", Props: []PropSelect{{Name: "VERSION"}},
		Comps: []*CompSelect{{Name: "VEVENT", Props: []PropSelect{{Name: "UID"}, {Name: "DTSTART", NoValue: true}}, AllComp: true}}}
	reqs := []*CalendarDataRequest{
		{Expand: r},
		{Expand: r, Comp: sel},
		{LimitRecurrenceSet: r},
		{LimitFreeBusySet: r},
		{Comp: sel},
		{Comp: &CompSelect{Name: "VCALENDAR", AllProp: true, AllComp: true}},
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		if _, err := aical.Parse(data); err != nil {
			return
		}
		cd := reqs[int(which)%len(reqs)]
		out := cd.Render(data)
		if string(out) == string(data) {
			return
		}
		if _, err := aical.Parse(out); err != nil {
			t.Fatalf("rendered data does not parse: %v\n%q", err, out)
		}
	})
}
