package publish_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	aical "almanac/internal/ical"
	"almanac/sharing"
	"almanac/storage"
)

// Objects whose CLASS a feed must read as a read-only sharee's view does
// (RFC 5545 3.8.1.3): a confidential series whose overrides carry no
// CLASS or CLASS:PUBLIC, and an event of an x-name class.
var (
	confidentialSeries = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" +
		"BEGIN:VEVENT\r\nUID:therapy\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260302T160000Z\r\nDTEND:20260302T170000Z\r\n" +
		"RRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Therapy\r\nLOCATION:Clinic\r\nDESCRIPTION:session notes\r\nCLASS:CONFIDENTIAL\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:therapy\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260309T160000Z\r\n" +
		"DTSTART:20260309T180000Z\r\nDTEND:20260309T190000Z\r\nSUMMARY:Therapy (moved)\r\nLOCATION:Clinic annex\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:therapy\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260316T160000Z\r\n" +
		"DTSTART:20260316T160000Z\r\nDTEND:20260316T170000Z\r\nSUMMARY:Therapy (group)\r\nDESCRIPTION:more notes\r\nCLASS:PUBLIC\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	xNameClass = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" +
		"BEGIN:VEVENT\r\nUID:merger\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260311T090000Z\r\nDTEND:20260311T100000Z\r\n" +
		"SUMMARY:Merger talks\r\nCLASS:X-SECRET\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)

// privateWords are in the objects above and in no view of them.
var privateWords = []string{"Therapy", "Clinic", "notes", "Merger"}

// components lists a calendar's components other than VTIMEZONE as
// "UID RECURRENCE-ID SUMMARY", sorted.
func components(t *testing.T, data []byte) []string {
	t.Helper()
	cal, err := aical.Parse(data)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, data)
	}
	var out []string
	for _, c := range cal.Children {
		if c.Name == aical.CompTimezone {
			continue
		}
		v := func(name string) string {
			if p := c.Props.Get(name); p != nil {
				return p.Value
			}
			return "-"
		}
		out = append(out, v("UID")+" "+v("RECURRENCE-ID")+" "+v("SUMMARY"))
	}
	slices.Sort(out)
	return out
}

// TestFeedPrivacyMatchesSharee: in every tier, a feed publishes a
// confidential series and an x-name class as a read-only sharee sees
// them: every instance of the series, overrides included, as busy time,
// and the x-name class not at all.
func TestFeedPrivacyMatchesSharee(t *testing.T) {
	e := newEnv(t)
	e.putEvent("therapy.ics", confidentialSeries)
	e.putEvent("merger.ics", xNameClass)

	// What bob, a read-only sharee, sees of the two objects.
	ctx := context.Background()
	if err := e.store.PutGrant(ctx, &storage.Grant{Owner: e.jane.ID, Collection: "default", Sharee: e.bob.ID,
		Access: storage.AccessRead, Mount: "jane"}); err != nil {
		t.Fatal(err)
	}
	var sharee []string
	for _, name := range []string{"therapy.ics", "merger.ics"} {
		resp, body := e.call("GET", "/dav/calendars/"+e.bob.ID+"/jane/"+name, e.bob.Login, "")
		switch resp.StatusCode {
		case http.StatusOK:
			sharee = append(sharee, components(t, body)...)
		case http.StatusNotFound:
		default:
			t.Fatalf("sharee GET %s: %d %s", name, resp.StatusCode, body)
		}
	}
	slices.Sort(sharee)
	want := []string{
		"therapy - Busy",
		"therapy 20260309T160000Z Busy",
		"therapy 20260316T160000Z Busy",
	}
	if !slices.Equal(sharee, want) {
		t.Fatalf("the sharee sees %q, want %q", sharee, want)
	}

	for _, tier := range sharing.Tiers {
		t.Run(tier, func(t *testing.T) {
			l := e.createLink(e.jane.Login, `{"collection":"default","tier":"`+tier+`"}`)
			resp, body := e.call("GET", l.URL, "", "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("feed: %d", resp.StatusCode)
			}
			if got := components(t, body); !slices.Equal(got, sharee) {
				t.Errorf("feed publishes %q, the sharee sees %q\n%s", got, sharee, body)
			}
			_, jcal := e.call("GET", l.URL+".json", "", "")
			for _, w := range privateWords {
				if strings.Contains(string(body), w) {
					t.Errorf("feed reveals %q:\n%s", w, body)
				}
				if strings.Contains(string(jcal), w) {
					t.Errorf("jCal feed reveals %q:\n%s", w, jcal)
				}
			}
		})
	}
}
