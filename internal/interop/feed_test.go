package interop

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"almanac/sharing"
)

// feedEvents are objects with what a public feed must handle: a Windows
// zone, a weekly rule with an exception, an all-day event, a confidential
// and a private event.
var feedEvents = map[string]string{
	"zoned.ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:zoned\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART;TZID=W. Europe Standard Time:20260310T100000\r\nDTEND;TZID=W. Europe Standard Time:20260310T110000\r\n" +
		"SUMMARY:Standup\r\nDESCRIPTION:private notes\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nDESCRIPTION:x\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"weekly.ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART;TZID=America/New_York:20260302T090000\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE;TZID=America/New_York:20260309T090000\r\n" +
		"SUMMARY:Review\r\nLOCATION:Room 4\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"allday.ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:allday\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART;VALUE=DATE:20260320\r\nDTEND;VALUE=DATE:20260321\r\nSUMMARY:Holiday\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"conf.ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:conf\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260311T140000Z\r\nDTEND:20260311T150000Z\r\nSUMMARY:Doctor\r\nCLASS:CONFIDENTIAL\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"priv.ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:priv\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260312T140000Z\r\nDTEND:20260312T150000Z\r\nSUMMARY:Secret\r\nCLASS:PRIVATE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
}

// publishFeed stores feedEvents and creates a link of tier; it returns
// the feed URL.
func publishFeed(t *testing.T, e *env, tier string) string {
	t.Helper()
	for name, data := range feedEvents {
		e.put(t, e.Calendar+name, data, nil)
	}
	resp, body := e.do(t, http.MethodPost, sharing.LinksPath, map[string]string{"Content-Type": "application/json"},
		`{"collection":"default","tier":"`+tier+`"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create link: %d %s", resp.StatusCode, body)
	}
	var l sharing.LinkJSON
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	return l.URL
}

// feedCheck is testdata/feed_check.py: it parses a feed with Debian's
// python3-icalendar and prints one line per event: UID, SUMMARY, the
// first start in UTC (or the date), the number of VALARMs.
const feedCheck = `
import sys, urllib.request, icalendar
from datetime import datetime, timezone
data = urllib.request.urlopen(sys.argv[1]).read()
cal = icalendar.Calendar.from_ical(data)
zones = [str(z['TZID']) for z in cal.walk('VTIMEZONE')]
print('ZONES ' + ' '.join(sorted(zones)))
print('NAME ' + str(cal.get('X-WR-CALNAME')) + ' TTL ' + cal.get('X-PUBLISHED-TTL').to_ical().decode())
for ev in cal.walk('VEVENT'):
    start = ev.decoded('DTSTART')
    if isinstance(start, datetime):
        start = start.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%SZ')
    else:
        start = start.strftime('%Y%m%d')
    print('EVENT %s|%s|%s|%d' % (ev['UID'], ev.get('SUMMARY'), start, len(ev.walk('VALARM'))))
`

// TestFeedPythonIcalendar reads each tier's feed with python3-icalendar:
// every zone resolves (W. Europe Standard Time as Europe/Berlin with a
// VTIMEZONE from the tz database), instants are right, no alarm and no
// private event is published, the confidential one is busy.
func TestFeedPythonIcalendar(t *testing.T) {
	py := requireTool(t, systemPython)
	env := systemPythonEnv()
	if out, err := runEnv(env, "", "", py, "-c", "import icalendar"); err != nil {
		t.Logf("import icalendar: %v\n%s", err, out)
		missing(t, "python3-icalendar", "python3-icalendar")
	}
	e := startServer(t)
	url := publishFeed(t, e, sharing.TierFull)
	script := filepath.Join(t.TempDir(), "feed_check.py")
	if err := os.WriteFile(script, []byte(feedCheck), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(url string) (zones, header string, events []string) {
		out, err := runEnv(env, "", "", py, script, url)
		if err != nil {
			t.Fatalf("feed_check.py: %v\n%s", err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			switch {
			case strings.HasPrefix(line, "ZONES "):
				zones = strings.TrimPrefix(line, "ZONES ")
			case strings.HasPrefix(line, "NAME "):
				header = strings.TrimPrefix(line, "NAME ")
			case strings.HasPrefix(line, "EVENT "):
				events = append(events, strings.TrimPrefix(line, "EVENT "))
			}
		}
		slices.Sort(events)
		return zones, header, events
	}
	zones, header, events := check(url)
	if zones != "America/New_York Europe/Berlin" || header != "Calendar TTL PT1H" {
		t.Errorf("zones %q, header %q", zones, header)
	}
	want := []string{
		"allday|Holiday|20260320|0",
		"conf|Busy|20260311T140000Z|0",
		"weekly|Review|20260302T140000Z|0",
		"zoned|Standup|20260310T090000Z|0",
	}
	if !slices.Equal(events, want) {
		t.Errorf("events (full tier):\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}

	resp, body := e.do(t, http.MethodPatch, sharing.LinksPath+"/"+linkID(t, e), map[string]string{"Content-Type": "application/json"}, `{"tier":"busy"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %d %s", resp.StatusCode, body)
	}
	_, _, events = check(url)
	for _, ev := range events {
		if strings.Split(ev, "|")[1] != "Busy" {
			t.Errorf("busy tier shows %s", ev)
		}
	}
	if len(events) != 4 {
		t.Errorf("busy tier: %d events", len(events))
	}
}

func linkID(t *testing.T, e *env) string {
	t.Helper()
	_, body := e.do(t, http.MethodGet, sharing.LinksPath, nil, "")
	var list struct{ Links []sharing.LinkJSON }
	if err := json.Unmarshal(body, &list); err != nil || len(list.Links) != 1 {
		t.Fatalf("links: %s", body)
	}
	return list.Links[0].ID
}

// TestFeedVdirsyncerHTTP subscribes with vdirsyncer's read-only "http"
// storage, a real subscriber: the feed becomes one file per event, and
// an event added on the server arrives with the next sync.
func TestFeedVdirsyncerHTTP(t *testing.T) {
	v, local, status := newVdirsyncer(t)
	e := startServer(t)
	url := publishFeed(t, e, sharing.TierLimited)
	conf := fmt.Sprintf(`[general]
status_path = %q

[pair feed]
a = "subscribed"
b = "local"
collections = null

[storage subscribed]
type = "http"
url = %q

[storage local]
type = "filesystem"
path = %q
fileext = ".ics"
`, status, url, local)
	if err := os.WriteFile(v.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	v.run(t, "discover", "feed")
	v.run(t, "sync", "feed")
	summaries := func() []string {
		var out []string
		files, _ := filepath.Glob(filepath.Join(local, "*.ics"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s := string(data)
			if strings.Contains(s, "DESCRIPTION") || strings.Contains(s, "VALARM") {
				t.Errorf("%s carries what the limited tier hides:\n%s", f, s)
			}
			// vdirsyncer gives items of an http storage its own UIDs,
			// so events are told apart by their summaries.
			i := strings.Index(s, "\nSUMMARY:")
			if i < 0 {
				t.Fatalf("%s has no SUMMARY:\n%s", f, s)
			}
			out = append(out, strings.TrimSpace(strings.SplitN(s[i+9:], "\n", 2)[0]))
		}
		slices.Sort(out)
		return out
	}
	if got := summaries(); !slices.Equal(got, []string{"Busy", "Holiday", "Review", "Standup"}) {
		t.Fatalf("subscribed events %v", got)
	}
	late := strings.ReplaceAll(feedEvents["allday.ics"], "UID:allday", "UID:late")
	e.put(t, e.Calendar+"late.ics", strings.ReplaceAll(late, "SUMMARY:Holiday", "SUMMARY:Late"), nil)
	v.run(t, "sync", "feed")
	if got := summaries(); !slices.Equal(got, []string{"Busy", "Holiday", "Late", "Review", "Standup"}) {
		t.Errorf("after adding an event: %v", got)
	}
}
