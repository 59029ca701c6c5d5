package interop

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav"
	gocaldav "github.com/emersion/go-webdav/caldav"

	aical "almanac/internal/ical"
)

// The calendar engine seen by real clients: time ranges on a recurring
// event with an EXDATE and a moved instance, an all-day event and an event
// across the end of DST in Europe/Zurich; server-side expand
// (RFC 4791 9.6.5) and free-busy-query (RFC 4791 7.10). The same objects
// and expectations are in testdata/caldav_engine.py, for python3-caldav.
//
// All of March-April and October 2026:
//
//	weekly    Mondays 09:00-10:00 Europe/Zurich from 2 March, COUNT=8: 2, 9,
//	          16 (EXDATE), 23 (moved to Tuesday 24 March 15:00), 30 March
//	          (CEST from 29 March: 07:00Z instead of 08:00Z), 6, 13, 20 April.
//	allday    Friday 10 April (DATE), read in UTC (no calendar-timezone).
//	dst       Europe/Zurich 24 October 22:00 CEST to 25 October 06:00 CET:
//	          20:00Z to 05:00Z, nine hours across the end of DST.
//	transp    5 March 12:00Z-13:00Z, TRANSP:TRANSPARENT (not busy).
//	tentative 6 March 10:00Z-11:00Z, STATUS:TENTATIVE (BUSY-TENTATIVE).
const engineZurich = `BEGIN:VTIMEZONE
TZID:Europe/Zurich
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
`

const engineHead = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//almanac//interop go-webdav engine//EN\n"

var engineObjects = map[string]string{
	"weekly": engineHead + engineZurich + `BEGIN:VEVENT
UID:go-engine-weekly@interop
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Zurich:20260302T090000
DTEND;TZID=Europe/Zurich:20260302T100000
RRULE:FREQ=WEEKLY;COUNT=8
EXDATE;TZID=Europe/Zurich:20260316T090000
SUMMARY:Weekly
END:VEVENT
BEGIN:VEVENT
UID:go-engine-weekly@interop
DTSTAMP:20260101T000000Z
RECURRENCE-ID;TZID=Europe/Zurich:20260323T090000
DTSTART;TZID=Europe/Zurich:20260324T150000
DTEND;TZID=Europe/Zurich:20260324T160000
SUMMARY:Weekly (moved)
END:VEVENT
END:VCALENDAR
`,
	"allday": engineHead + `BEGIN:VEVENT
UID:go-engine-allday@interop
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20260410
DTEND;VALUE=DATE:20260411
SUMMARY:All day
TRANSP:TRANSPARENT
END:VEVENT
END:VCALENDAR
`,
	"dst": engineHead + engineZurich + `BEGIN:VEVENT
UID:go-engine-dst@interop
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Zurich:20261024T220000
DTEND;TZID=Europe/Zurich:20261025T060000
SUMMARY:Night shift across the end of DST
END:VEVENT
END:VCALENDAR
`,
	"transp": engineHead + `BEGIN:VEVENT
UID:go-engine-transp@interop
DTSTAMP:20260101T000000Z
DTSTART:20260305T120000Z
DTEND:20260305T130000Z
TRANSP:TRANSPARENT
SUMMARY:Free time
END:VEVENT
END:VCALENDAR
`,
	"tentative": engineHead + `BEGIN:VEVENT
UID:go-engine-tentative@interop
DTSTAMP:20260101T000000Z
DTSTART:20260306T100000Z
DTEND:20260306T110000Z
STATUS:TENTATIVE
SUMMARY:Maybe
END:VEVENT
END:VCALENDAR
`,
}

// engineSearches are time-range calendar-queries and the objects each
// must find.
var engineSearches = []struct {
	name, start, end string
	want             []string
}{
	{"week with an instance", "20260309T000000Z", "20260316T000000Z", []string{"weekly"}},
	{"week of the EXDATE", "20260316T000000Z", "20260323T000000Z", nil},
	{"day the override moved away from", "20260323T000000Z", "20260324T000000Z", nil},
	{"day the override moved to", "20260324T000000Z", "20260325T000000Z", []string{"weekly"}},
	{"first instance exactly at the range start", "20260302T080000Z", "20260302T083000Z", []string{"weekly"}},
	{"instance after the DST change", "20260330T063000Z", "20260330T073000Z", []string{"weekly"}},
	{"winter time of that instance", "20260330T080000Z", "20260330T083000Z", nil},
	{"last instance (COUNT=8)", "20260420T000000Z", "20260427T000000Z", []string{"weekly"}},
	{"after the last instance", "20260427T000000Z", "20260601T000000Z", nil},
	{"inside the all-day event", "20260410T120000Z", "20260410T130000Z", []string{"allday"}},
	{"day after the all-day event", "20260411T000000Z", "20260412T000000Z", nil},
	{"day before the all-day event", "20260409T000000Z", "20260410T000000Z", nil},
	{"start of the DST-crossing event", "20261024T200000Z", "20261024T203000Z", []string{"dst"}},
	{"hour before it", "20261024T190000Z", "20261024T200000Z", nil},
	{"its last hour, in CET", "20261025T043000Z", "20261025T044500Z", []string{"dst"}},
	{"after its end", "20261025T050000Z", "20261025T060000Z", nil},
}

const engineFrom, engineTo = "20260301T000000Z", "20260401T000000Z"

// engineExpand is what expand over March gives for the weekly event:
// RECURRENCE-ID, DTSTART and DTEND in UTC.
var engineExpand = []string{
	"RECURRENCE-ID:20260302T080000Z DTSTART:20260302T080000Z DTEND:20260302T090000Z",
	"RECURRENCE-ID:20260309T080000Z DTSTART:20260309T080000Z DTEND:20260309T090000Z",
	"RECURRENCE-ID:20260323T080000Z DTSTART:20260324T140000Z DTEND:20260324T150000Z",
	"RECURRENCE-ID:20260330T070000Z DTSTART:20260330T070000Z DTEND:20260330T080000Z",
}

// engineFreeBusy is the busy time in March: the weekly instances and the
// tentative event, not the transparent one.
var engineFreeBusy = []string{
	"BUSY 20260302T080000Z/20260302T090000Z",
	"BUSY 20260309T080000Z/20260309T090000Z",
	"BUSY 20260324T140000Z/20260324T150000Z",
	"BUSY 20260330T070000Z/20260330T080000Z",
	"BUSY-TENTATIVE 20260306T100000Z/20260306T110000Z",
}

func engineTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse("20060102T150405Z", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestGoWebDAVClient_CalendarEngine stores the objects with go-webdav's
// client and searches them with its QueryCalendar. go-webdav v0.6.0 has no
// way to ask for expand or free-busy (its elements.go leaves them TODO),
// so those REPORTs are written by hand and their answers read with go-ical.
func TestGoWebDAVClient_CalendarEngine(t *testing.T) {
	e := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client, err := gocaldav.NewClient(webdav.HTTPClientWithBasicAuth(http.DefaultClient, e.Login, e.Password), e.URL+"/dav/")
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{}
	names := map[string]string{}
	for name, data := range engineObjects {
		cal, err := ical.NewDecoder(strings.NewReader(data)).Decode()
		if err != nil {
			t.Fatalf("decode %s: %v", name, err)
		}
		p := e.Calendar + "engine-" + name + ".ics"
		if _, err := client.PutCalendarObject(ctx, p, cal); err != nil {
			t.Fatalf("PutCalendarObject %s: %v", name, err)
		}
		paths[name], names[p] = p, name
	}

	for _, s := range engineSearches {
		objs, err := client.QueryCalendar(ctx, e.Calendar, &gocaldav.CalendarQuery{
			CompRequest: gocaldav.CalendarCompRequest{Name: "VCALENDAR", AllProps: true, AllComps: true},
			CompFilter: gocaldav.CompFilter{Name: "VCALENDAR", Comps: []gocaldav.CompFilter{{
				Name: "VEVENT", Start: engineTime(t, s.start), End: engineTime(t, s.end),
			}}},
		})
		if err != nil {
			t.Errorf("%s: QueryCalendar [%s, %s): %v", s.name, s.start, s.end, err)
			continue
		}
		var got []string
		for _, o := range objs {
			got = append(got, names[o.Path])
		}
		sort.Strings(got)
		if !slices.Equal(got, s.want) {
			t.Errorf("%s: time-range [%s, %s) found %q, want %q", s.name, s.start, s.end, got, s.want)
		}
	}

	t.Run("expand", func(t *testing.T) {
		body := fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data><C:expand start="%[1]s" end="%[2]s"/></C:calendar-data></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="%[1]s" end="%[2]s"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`, engineFrom, engineTo)
		ms := e.report(t, e.Calendar, "1", body)
		want := []string{paths["tentative"], paths["transp"], paths["weekly"]}
		sort.Strings(want)
		if got := ms.hrefs(); !slices.Equal(got, want) {
			t.Fatalf("REPORT with C:expand over March answered for %v, want %v", got, want)
		}
		for _, r := range ms.Responses {
			ps, ok := r.ok()
			if !ok {
				t.Errorf("%s: no 200 propstat", r.Href)
				continue
			}
			cal, err := ical.NewDecoder(strings.NewReader(ps.Prop.CalendarData)).Decode()
			if err != nil {
				t.Errorf("%s: expanded calendar-data does not parse: %v\n%s", r.Href, err, ps.Prop.CalendarData)
				continue
			}
			var got []string
			for _, c := range cal.Children {
				if c.Name == ical.CompTimezone {
					t.Errorf("%s: expanded calendar-data has a VTIMEZONE (RFC 4791 9.6.5)", r.Href)
					continue
				}
				for _, name := range []string{ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates} {
					if c.Props.Get(name) != nil {
						t.Errorf("%s: expanded component has %s (RFC 4791 9.6.5)", r.Href, name)
					}
				}
				var parts []string
				for _, name := range []string{ical.PropRecurrenceID, ical.PropDateTimeStart, ical.PropDateTimeEnd} {
					p := c.Props.Get(name)
					if p == nil {
						continue
					}
					if tz := p.Params.Get(ical.PropTimezoneID); tz != "" {
						t.Errorf("%s: expanded %s has TZID=%s, want UTC (RFC 4791 9.6.5)", r.Href, name, tz)
					}
					parts = append(parts, name+":"+p.Value)
				}
				got = append(got, strings.Join(parts, " "))
			}
			sort.Strings(got)
			var exp []string
			switch names[r.Href] {
			case "weekly":
				exp = engineExpand
			case "transp":
				exp = []string{"DTSTART:20260305T120000Z DTEND:20260305T130000Z"}
			case "tentative":
				exp = []string{"DTSTART:20260306T100000Z DTEND:20260306T110000Z"}
			}
			if !slices.Equal(got, exp) {
				t.Errorf("%s (%s): expanded components\n got %q\nwant %q\ncalendar-data:\n%s", r.Href, names[r.Href], got, exp, ps.Prop.CalendarData)
			}
		}
	})

	t.Run("free-busy", func(t *testing.T) {
		body := fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
  <C:time-range start="%s" end="%s"/>
</C:free-busy-query>`, engineFrom, engineTo)
		resp, b := e.do(t, "REPORT", e.Calendar, map[string]string{"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}, body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("free-busy-query: status %d, want 200 (RFC 4791 7.10); body:\n%s", resp.StatusCode, b)
		}
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/calendar" {
			t.Errorf("free-busy-query: Content-Type %q, want text/calendar", resp.Header.Get("Content-Type"))
		}
		got, err := freeBusyPeriods(b)
		if err != nil {
			t.Fatalf("free-busy-query answer: %v\n%s", err, b)
		}
		if !slices.Equal(got, engineFreeBusy) {
			t.Errorf("FREEBUSY in March\n got %q\nwant %q\nanswer:\n%s", got, engineFreeBusy, b)
		}
	})
}

// freeBusyPeriods reads the FREEBUSY periods of a VFREEBUSY answer as
// "FBTYPE start/end" in UTC, sorted.
func freeBusyPeriods(data []byte) ([]string, error) {
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		return nil, err
	}
	var out []string
	n := 0
	for _, c := range cal.Children {
		if c.Name != ical.CompFreeBusy {
			continue
		}
		n++
		for _, p := range c.Props[ical.PropFreeBusy] {
			fbtype := strings.ToUpper(p.Params.Get(ical.ParamFreeBusyType))
			if fbtype == "" {
				fbtype = "BUSY"
			}
			for _, v := range strings.Split(p.Value, ",") {
				s, e, ok := strings.Cut(v, "/")
				if !ok {
					return nil, fmt.Errorf("FREEBUSY value %q is no PERIOD", v)
				}
				start, err := time.Parse("20060102T150405Z", s)
				if err != nil {
					return nil, fmt.Errorf("FREEBUSY start %q: %v", s, err)
				}
				var end time.Time
				if strings.HasPrefix(e, "P") || strings.HasPrefix(e, "+P") {
					d, err := aical.ParseDuration(e)
					if err != nil {
						return nil, err
					}
					end = start.Add(d)
				} else if end, err = time.Parse("20060102T150405Z", e); err != nil {
					return nil, fmt.Errorf("FREEBUSY end %q: %v", e, err)
				}
				out = append(out, fbtype+" "+start.Format("20060102T150405Z")+"/"+end.Format("20060102T150405Z"))
			}
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("%d VFREEBUSY components, want 1", n)
	}
	sort.Strings(out)
	return out, nil
}

// TestPythonCaldavEngine runs testdata/caldav_engine.py (python3-caldav
// 0.11): time-range searches on the same kinds of objects, expand through
// a raw REPORT (the library expands on the client when the server did not,
// which would hide the server's answer) and through search(expand=True),
// and freebusy_request. Each step reports on its own.
func TestPythonCaldavEngine(t *testing.T) {
	py, env := requirePythonCaldav(t)
	e := startServer(t)
	script, err := filepath.Abs(filepath.Join("testdata", "caldav_engine.py"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := runEnv(env, "", "", py, script, e.URL+"/dav/", e.Login, e.Password)
	t.Logf("caldav_engine.py output:\n%s", out)

	var passed []string
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "STEP "); ok {
			name, _, _ := strings.Cut(rest, ": ")
			passed = append(passed, name)
		}
		if rest, ok := strings.CutPrefix(line, "FAIL "); ok {
			name, detail, _ := strings.Cut(rest, ": ")
			t.Errorf("python3-caldav step %s failed: %s", name, detail)
		}
	}
	want := []string{"make_calendar", "save"}
	for _, s := range []string{
		"week-with-instance", "excluded-week", "moved-away-day", "moved-to-day", "first-instance-at-range-start",
		"instance-after-dst", "no-instance-at-winter-time", "last-instance", "after-count", "allday-midday",
		"allday-next-day", "allday-day-before", "dst-start", "dst-before-start", "dst-last-winter-hour", "dst-after-end",
	} {
		want = append(want, "search-"+s)
	}
	want = append(want, "expand-raw-report", "expand-library", "date-search-expand", "freebusy", "delete-calendar")
	if err == nil && !slices.Equal(passed, want) {
		t.Errorf("steps passed %v, want %v", passed, want)
	}
	if err != nil && !t.Failed() {
		t.Errorf("caldav_engine.py: %v (output above)", err)
	}
	for _, w := range want {
		if !slices.Contains(passed, w) && !strings.Contains(out, "FAIL "+w+":") {
			t.Errorf("step %s neither passed nor failed (the script stopped early?)", w)
		}
	}
}
