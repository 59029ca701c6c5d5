package interop

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// googleExport is an iCalendar export as Google Calendar writes one:
// METHOD, X-WR properties, a VTIMEZONE, a weekly event whose moved
// instance comes first, and an event without UID. stamp is every
// DTSTAMP (the time of the export), standup the series' SUMMARY.
func googleExport(stamp, standup string) string {
	return strings.ReplaceAll(`BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:Work
X-WR-TIMEZONE:Europe/Zurich
BEGIN:VTIMEZONE
TZID:Europe/Zurich
X-LIC-LOCATION:Europe/Zurich
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
BEGIN:VEVENT
DTSTART;TZID=Europe/Zurich:20270111T110000
DTEND;TZID=Europe/Zurich:20270111T113000
DTSTAMP:`+stamp+`
UID:standup@google.com
RECURRENCE-ID;TZID=Europe/Zurich:20270111T093000
SUMMARY:Standup (late)
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Zurich:20270104T093000
DTEND;TZID=Europe/Zurich:20270104T100000
RRULE:FREQ=WEEKLY;COUNT=10
DTSTAMP:`+stamp+`
UID:standup@google.com
SUMMARY:`+standup+`
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20270215
DTEND;VALUE=DATE:20270216
DTSTAMP:`+stamp+`
SUMMARY:Team offsite
END:VEVENT
END:VCALENDAR
`, "\n", "\r\n")
}

// TestImportThenVdirsyncer imports an export through the API and syncs
// the calendar with vdirsyncer: the client gets one item per UID, with
// its time zone, nothing when the same export comes again, and the
// change when an event changed, in the item it has.
func TestImportThenVdirsyncer(t *testing.T) {
	e := startServer(t)
	v, local, status := newVdirsyncer(t)
	v.writeConfig(t, e, local, status, "b wins")
	type counts struct{ Created, Updated, Skipped, Refused, Duplicates int }
	importFile := func(data string, want counts) {
		t.Helper()
		resp, body := e.do(t, http.MethodPost, "/api/v1/calendars/default/import", map[string]string{"Content-Type": "text/calendar"}, data)
		var rep struct{ Counts counts }
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &rep) != nil || rep.Counts != want {
			t.Fatalf("import: %d %s, want counts %+v", resp.StatusCode, body, want)
		}
	}

	importFile(googleExport("20261201T090000Z", "Standup"), counts{Created: 2})
	v.run(t, "discover")
	out := v.run(t, "sync")
	items := localItems(t, local)
	if len(items) != 2 {
		t.Fatalf("vdirsyncer got %d items, want 2:\n%s", len(items), out)
	}
	standup := items["standup@google.com"].data
	if strings.Count(standup, "BEGIN:VEVENT") != 2 || strings.Count(standup, "BEGIN:VTIMEZONE") != 1 || strings.Contains(standup, "METHOD") {
		t.Fatalf("the recurring event as vdirsyncer has it:\n%s", standup)
	}
	var offsite string
	for uid, it := range items {
		if uid != "standup@google.com" {
			offsite = uid
			if strings.Contains(it.data, "VTIMEZONE") || icalValue(it.data, "SUMMARY") != "Team offsite" {
				t.Fatalf("the offsite as vdirsyncer has it:\n%s", it.data)
			}
		}
	}

	// The next export: only DTSTAMP moved. Nothing changes for clients.
	importFile(googleExport("20261215T090000Z", "Standup"), counts{Skipped: 2})
	out = v.run(t, "sync")
	if again := localItems(t, local); !slices.Equal(uids(again), uids(items)) || again["standup@google.com"].data != standup {
		t.Fatalf("after a second import of the same events, vdirsyncer has %v:\n%s", uids(again), out)
	}

	// The series changed: vdirsyncer updates its item, where it is.
	importFile(googleExport("20261220T090000Z", "Standup (room 4)"), counts{Updated: 1, Skipped: 1})
	out = v.run(t, "sync")
	after := localItems(t, local)
	if !slices.Equal(uids(after), uids(items)) || after["standup@google.com"].where != items["standup@google.com"].where ||
		!strings.Contains(after["standup@google.com"].data, "SUMMARY:Standup (room 4)") || after[offsite].data != items[offsite].data {
		t.Fatalf("after an import of a changed export, vdirsyncer has %v:\n%s", uids(after), out)
	}
}
