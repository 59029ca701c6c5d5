package schedule

import (
	"strings"
	"testing"
)

func counterICS(method string, lines ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:" + method + "\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCALENDAR\r\n"
}

// TestCounterMessage: the shape checks of a posted COUNTER or
// DECLINECOUNTER, each refusal naming its precondition.
func TestCounterMessage(t *testing.T) {
	ev := func(extra ...string) []string {
		return append(append([]string{"BEGIN:VEVENT", "UID:u1", "DTSTAMP:20260301T000000Z", "DTSTART:20260310T100000Z"}, extra...), "END:VEVENT")
	}
	org, att := "ORGANIZER:mailto:alice@example.com", "ATTENDEE:mailto:bob@example.com"
	two := append(ev(org, att), ev("RECURRENCE-ID:20260317T090000Z", org, att)...)
	for _, tc := range []struct {
		name, method, body, want string
	}{
		{"counter", MethodCounter, counterICS("COUNTER", ev(org, att)...), ""},
		{"decline counter", MethodDeclineCounter, counterICS("DECLINECOUNTER", ev(org, att)...), ""},
		{"an override too", MethodCounter, counterICS("COUNTER", two...), ""},
		{"lower-case method", MethodCounter, counterICS("counter", ev(org, att)...), ""},
		{"other method", MethodCounter, counterICS("REPLY", ev(org, att)...), "valid-scheduling-message"},
		{"not iCalendar", MethodCounter, "hello", "valid-scheduling-message"},
		{"no UID", MethodCounter, counterICS("COUNTER", "BEGIN:VEVENT", org, att, "END:VEVENT"), "valid-scheduling-message"},
		{"journal", MethodCounter, counterICS("COUNTER", "BEGIN:VJOURNAL", "UID:u1", org, att, "END:VJOURNAL"), "valid-scheduling-message"},
		{"mixed kinds", MethodCounter, counterICS("COUNTER", append(ev(org, att), "BEGIN:VTODO", "UID:u1", org, att, "END:VTODO")...), "valid-scheduling-message"},
		{"two UIDs", MethodCounter, counterICS("COUNTER", append(ev(org, att), "BEGIN:VEVENT", "UID:u2", org, att, "END:VEVENT")...), "valid-scheduling-message"},
		{"no organizer", MethodCounter, counterICS("COUNTER", ev(att)...), "same-organizer-in-all-components"},
		{"not mailto", MethodCounter, counterICS("COUNTER", ev("ORGANIZER:urn:x", att)...), "same-organizer-in-all-components"},
		{"two organizers", MethodCounter, counterICS("COUNTER", append(ev(org, att), ev("RECURRENCE-ID:20260317T090000Z", "ORGANIZER:mailto:carol@example.com", att)...)...), "same-organizer-in-all-components"},
		{"no attendee", MethodCounter, counterICS("COUNTER", ev(org)...), "valid-scheduling-message"},
		{"too many attendees", MethodCounter, counterICS("COUNTER", ev(org, att, "ATTENDEE:mailto:c@example.com", "ATTENDEE:mailto:d@example.com")...), "max-attendees-per-instance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, o, err := counterMessage([]byte(tc.body), tc.method, 2)
			if tc.want == "" {
				if err != nil || msg.uid != "u1" || o != "mailto:alice@example.com" {
					t.Fatalf("counterMessage: %v, %v, %q", msg, err, o)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "("+tc.want+")") {
				t.Fatalf("counterMessage: %v, want %s", err, tc.want)
			}
		})
	}
}

// FuzzCounterMessage: no body makes the COUNTER/DECLINECOUNTER checks
// panic, and what they accept keeps their limits.
func FuzzCounterMessage(f *testing.F) {
	f.Add(counterICS("COUNTER", "BEGIN:VEVENT", "UID:u1", "DTSTART:20260310T100000Z", "ORGANIZER:mailto:a@example.com", "ATTENDEE:mailto:b@example.com", "END:VEVENT"))
	f.Add(counterICS("DECLINECOUNTER", "BEGIN:VTODO", "UID:u1", "ORGANIZER:mailto:a@example.com", "ATTENDEE:mailto:b@example.com", "END:VTODO"))
	f.Fuzz(func(t *testing.T, body string) {
		for _, m := range []string{MethodCounter, MethodDeclineCounter} {
			msg, org, err := counterMessage([]byte(body), m, 3)
			if err != nil {
				continue
			}
			if msg.method != m || msg.uid == "" || mailAddress(org) == "" {
				t.Fatalf("accepted %q: method %s, uid %q, organizer %q", body, msg.method, msg.uid, org)
			}
			for _, c := range msg.comps {
				if n := len(c.attendees()); n == 0 || n > 3 {
					t.Fatalf("accepted %d attendees", n)
				}
			}
		}
	})
}
