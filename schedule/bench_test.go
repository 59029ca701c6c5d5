package schedule_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"almanac/server/servertest"
)

// BenchmarkOrganizerPut: one organizer PUT of a meeting with ten local
// attendees (each a lookup, a copy and an inbox item in the one batch),
// alternating two summaries so that every PUT sends a REQUEST.
func BenchmarkOrganizerPut(b *testing.B) { benchPut(b, true) }

// BenchmarkPlainPut is the same event without ORGANIZER: the write
// every non-meeting PUT makes, for comparison.
func BenchmarkPlainPut(b *testing.B) { benchPut(b, false) }

func benchPut(b *testing.B, meeting bool) {
	env := servertest.New(b)
	org := env.Account("org@example.com")
	lines := []string{"BEGIN:VEVENT", "UID:bench-1", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z",
		"RRULE:FREQ=WEEKLY;COUNT=10", "SUMMARY:%s", "ORGANIZER:mailto:org@example.com"}
	for i := range 10 {
		login := "a" + strconv.Itoa(i) + "@example.com"
		env.Account(login)
		lines = append(lines, "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:"+login)
	}
	if !meeting {
		lines = lines[:7]
	}
	body := ics(append(lines, "END:VEVENT")...)
	path := "/dav/calendars/" + org.ID + "/default/bench.ics"
	b.ResetTimer()
	for i := range b.N {
		rec := env.Do("PUT", path, org.Login, strings.Replace(body, "%s", "Sync "+strconv.Itoa(i%2), 1), "Content-Type", "text/calendar")
		if rec.Code != http.StatusCreated && rec.Code != http.StatusNoContent {
			b.Fatalf("PUT: %d %s", rec.Code, rec.Body)
		}
	}
}
