package interop

import (
	"sort"
	"strings"
	"testing"
)

// ingestScript reads the default calendar with python3-caldav's search()
// (a calendar-query with calendar-data) and parses every object with both
// python-icalendar and python-vobject, as clients built on them do. It
// prints "UID <uid> <duration-seconds>" per object.
const ingestScript = `
import sys
from datetime import datetime, timezone
import caldav
url, user, password, path = sys.argv[1:5]
client = caldav.DAVClient(url=url, username=user, password=password)
cal = caldav.Calendar(client=client, url=url.rstrip("/").rsplit("/dav", 1)[0] + path)
found = cal.search(event=True, start=datetime(2026, 3, 9, tzinfo=timezone.utc), end=datetime(2026, 3, 12, tzinfo=timezone.utc))
for ev in found:
    comp = ev.icalendar_instance.walk("VEVENT")[0]
    ev.vobject_instance.vevent.uid.value
    if "DURATION" in comp:
        secs = int(comp.decoded("DURATION").total_seconds())
    else:
        secs = int((comp.decoded("DTEND") - comp.decoded("DTSTART")).total_seconds())
    print("UID %s %d" % (comp["UID"], secs))
print("DONE")
`

// TestPythonCaldav_RealWorldIngest: objects with the real-world defects
// the server accepts (a UTF-8 BOM, DURATION:P1DT, bare LF, RFC 6868
// parameters; internal/ical doc.go) are stored as sent and still read by
// python3-caldav and the two Python parsers behind it. python-icalendar
// and python-vobject both refuse a BOM, so calendar-data must not carry
// it.
func TestPythonCaldav_RealWorldIngest(t *testing.T) {
	py, env := requirePythonCaldav(t)
	e := startServer(t)
	ev := func(eol string, lines ...string) string {
		all := append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//almanac//interop ingest//EN", "BEGIN:VEVENT", "DTSTAMP:20260101T000000Z"}, lines...)
		return strings.Join(append(all, "END:VEVENT", "END:VCALENDAR"), eol) + eol
	}
	objects := map[string]string{
		"bom.ics":   "\uFEFF" + ev("\r\n", "UID:bom", "DTSTART:20260310T100000Z", "DTEND:20260310T110000Z", "SUMMARY:Exported"),
		"p1dt.ics":  ev("\r\n", "UID:p1dt", "DTSTART:20260310T100000Z", "DURATION:P1DT", "SUMMARY:Offsite"),
		"lf.ics":    ev("\n", "UID:lf", "DTSTART:20260310T120000Z", "DTEND:20260310T123000Z", "SUMMARY:Script"),
		"caret.ics": ev("\r\n", "UID:caret", "DTSTART:20260311T090000Z", "DTEND:20260311T100000Z", `ATTENDEE;CN=George Herman ^'Babe^' Ruth:mailto:babe@example.com`),
	}
	for name, data := range objects {
		e.put(t, e.Calendar+name, data, nil, 201)
		if _, body := e.do(t, "GET", e.Calendar+name, nil, ""); string(body) != data {
			t.Errorf("GET %s = %q, want the stored bytes", name, body)
		}
	}
	out, err := runEnv(env, "", ingestScript, py, "-", e.URL+"/dav/", e.Login, e.Password, e.Calendar)
	t.Logf("script output:\n%s", out)
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var got []string
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "UID "); ok {
			got = append(got, rest)
		}
	}
	sort.Strings(got)
	want := []string{"bom 3600", "caret 3600", "lf 1800", "p1dt 86400"}
	if strings.Join(got, ",") != strings.Join(want, ",") || !strings.Contains(out, "DONE") {
		t.Errorf("python read %v, want %v", got, want)
	}
}
