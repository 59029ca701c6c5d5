package schedule

import (
	"strings"
	"testing"
	"time"

	aical "almanac/internal/ical"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// cal joins lines into a calendar object with CRLF line ends.
func cal(lines ...string) []byte {
	return []byte(strings.Join(append(append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"}, lines...), "END:VCALENDAR"), "\r\n") + "\r\n")
}

func mustObject(t *testing.T, data []byte) *object {
	t.Helper()
	o, err := parseObject(data)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, data)
	}
	return o
}

const (
	orgLine = "ORGANIZER;CN=Alice:mailto:alice@example.com"
	bobLine = "ATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com"
	carLine = "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:carol@example.com"
)

// meeting is a weekly meeting in Zurich time with Bob and Carol.
func meeting(extra ...string) []string {
	return append([]string{"BEGIN:VEVENT", "UID:m1", "DTSTAMP:20260101T000000Z", "SEQUENCE:0",
		"DTSTART;TZID=Europe/Zurich:20260310T100000", "DTEND;TZID=Europe/Zurich:20260310T110000",
		"RRULE:FREQ=WEEKLY;COUNT=10", "SUMMARY:Sync", orgLine, bobLine, carLine}, extra...)
}

func vevent(lines ...string) []string { return append(lines, "END:VEVENT") }

// render writes the components of a message as a calendar for checks,
// its lines unfolded.
func render(m message) string { return unfold(calendar(m.method, nil, m.comps)) }

func unfold(b []byte) string { return strings.ReplaceAll(string(b), "\r\n ", "") }

func methods(ms []message) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.method)
	}
	return strings.Join(out, ",")
}

func TestPlanOrganizer(t *testing.T) {
	base := cal(vevent(meeting()...)...)
	for _, tc := range []struct {
		name     string
		old, new []byte
		who      string
		want     string   // methods
		contains []string // in the last message
		lacks    []string
	}{
		{name: "create", new: base, who: "bob@example.com", want: "REQUEST",
			contains: []string{"METHOD:REQUEST", "DTSTAMP:20260301T120000Z", "RRULE:FREQ=WEEKLY", "mailto:carol@example.com"}},
		{name: "create, not invited", new: base, who: "dave@example.com", want: ""},
		{name: "another's reply is inconsequential", old: base,
			new: cal(vevent(append(append([]string{"BEGIN:VEVENT", "UID:m1", "DTSTAMP:20260202T000000Z"}, meeting()[3:10]...), "ATTENDEE;PARTSTAT=ACCEPTED;SCHEDULE-STATUS=2.0:mailto:carol@example.com")...)...),
			who: "bob@example.com", want: ""},
		{name: "alarm of the organizer is inconsequential", old: base,
			new: cal(append(meeting(), "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT5M", "END:VALARM", "END:VEVENT")...),
			who: "bob@example.com", want: ""},
		{name: "summary change", old: base, new: cal(vevent(append(meeting(), "LOCATION:Room 1")...)...),
			who: "bob@example.com", want: "REQUEST", contains: []string{"LOCATION:Room 1"}},
		{name: "force send", old: base,
			new: cal(vevent(append(meeting()[:9], "ATTENDEE;SCHEDULE-FORCE-SEND=REQUEST:mailto:bob@example.com", carLine)...)...),
			who: "bob@example.com", want: "REQUEST", lacks: []string{"SCHEDULE-FORCE-SEND"}},
		{name: "removed", old: base, new: cal(vevent(append(meeting()[:9], carLine)...)...),
			who: "bob@example.com", want: "CANCEL", contains: []string{"STATUS:CANCELLED", "SEQUENCE:1", "RRULE"}},
		{name: "deleted", old: base, who: "carol@example.com", want: "CANCEL", contains: []string{"METHOD:CANCEL", "SEQUENCE:1"}},
		{name: "agent client", new: cal(vevent(append(meeting()[:9], "ATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:bob@example.com")...)...),
			who: "bob@example.com", want: ""},
		{name: "server to client cancels", old: base,
			new: cal(vevent(append(meeting()[:9], "ATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:bob@example.com", carLine)...)...),
			who: "bob@example.com", want: "CANCEL"},
		{name: "instance excluded", old: base,
			new: cal(vevent(append(meeting(), "EXDATE;TZID=Europe/Zurich:20260317T100000")...)...),
			who: "bob@example.com", want: "CANCEL",
			contains: []string{"RECURRENCE-ID;TZID=Europe/Zurich:20260317T100000", "DTSTART;TZID=Europe/Zurich:20260317T100000", "STATUS:CANCELLED", "SEQUENCE:0"},
			lacks:    []string{"RRULE", "DTEND", "EXDATE"}},
		{name: "instance moved", old: base,
			new: cal(append(vevent(meeting()...), vevent("BEGIN:VEVENT", "UID:m1", "DTSTAMP:20260101T000000Z",
				"RECURRENCE-ID;TZID=Europe/Zurich:20260324T100000", "DTSTART;TZID=Europe/Zurich:20260324T140000",
				"DTEND;TZID=Europe/Zurich:20260324T150000", "SUMMARY:Sync", orgLine, bobLine, carLine)...)...),
			who: "bob@example.com", want: "REQUEST", contains: []string{"RRULE", "RECURRENCE-ID;TZID=Europe/Zurich:20260324T100000"}},
		{name: "dropped from one instance", old: base,
			new: cal(append(vevent(meeting()...), vevent("BEGIN:VEVENT", "UID:m1", "DTSTAMP:20260101T000000Z",
				"RECURRENCE-ID;TZID=Europe/Zurich:20260324T100000", "DTSTART;TZID=Europe/Zurich:20260324T100000",
				"DTEND;TZID=Europe/Zurich:20260324T110000", "SUMMARY:Sync", orgLine, carLine)...)...),
			who: "bob@example.com", want: "CANCEL", contains: []string{"RECURRENCE-ID;TZID=Europe/Zurich:20260324T100000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var old, new *object
			if tc.old != nil {
				old = mustObject(t, tc.old)
			}
			if tc.new != nil {
				new = mustObject(t, tc.new)
			}
			ms := planOrganizer(old, new, is(tc.who), now)
			if got := methods(ms); got != tc.want {
				t.Fatalf("methods %q, want %q", got, tc.want)
			}
			if len(ms) == 0 {
				return
			}
			out := render(ms[len(ms)-1])
			for _, s := range tc.contains {
				if !strings.Contains(out, s) {
					t.Errorf("message lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(out, s) {
					t.Errorf("message has %q:\n%s", s, out)
				}
			}
			for _, s := range []string{"SCHEDULE-STATUS", "SCHEDULE-AGENT", "BEGIN:VALARM"} {
				if strings.Contains(out, s) {
					t.Errorf("message carries %s:\n%s", s, out)
				}
			}
			if _, err := aical.ValidateObject([]byte(strings.Replace(out, "METHOD:"+ms[len(ms)-1].method+"\r\n", "", 1))); err != nil && ms[len(ms)-1].method == MethodRequest {
				t.Errorf("a REQUEST's calendar is not a valid object without METHOD: %v\n%s", err, out)
			}
		})
	}
}

// TestPlanOrganizerAdd: an attendee invited to single instances only
// gets ADD for a new one, and the existing ones are not resent.
func TestPlanOrganizerAdd(t *testing.T) {
	inst := func(day string) []string {
		return vevent("BEGIN:VEVENT", "UID:m1", "DTSTAMP:20260101T000000Z",
			"RECURRENCE-ID;TZID=Europe/Zurich:202603"+day+"T100000", "DTSTART;TZID=Europe/Zurich:202603"+day+"T100000",
			"DTEND;TZID=Europe/Zurich:202603"+day+"T110000", "SUMMARY:Sync", orgLine, carLine, "ATTENDEE:mailto:dave@example.com")
	}
	master := vevent(meeting()...)
	old := mustObject(t, cal(append(master, inst("17")...)...))
	new := mustObject(t, cal(append(append(master, inst("17")...), inst("24")...)...))
	ms := planOrganizer(old, new, is("dave@example.com"), now)
	if methods(ms) != "ADD" {
		t.Fatalf("methods %q, want ADD", methods(ms))
	}
	out := render(ms[0])
	if !strings.Contains(out, "20260324T100000") || strings.Contains(out, "20260317T100000") || strings.Contains(out, "RRULE") {
		t.Errorf("ADD holds other than the new instance:\n%s", out)
	}
}

func TestPlanReply(t *testing.T) {
	me := is("bob@example.com")
	accepted := strings.Replace(bobLine, "NEEDS-ACTION", "ACCEPTED", 1)
	base := cal(vevent(meeting()...)...)
	withBob := func(line string) []byte { return cal(vevent(append(meeting()[:9], line, carLine)...)...) }
	for _, tc := range []struct {
		name     string
		old, new []byte
		n        int
		contains []string
		lacks    []string
	}{
		{name: "accept", old: base, new: withBob(accepted), n: 1,
			contains: []string{"ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.com", "ORGANIZER;CN=Alice:mailto:alice@example.com", "UID:m1", "SEQUENCE:0"},
			lacks:    []string{"carol", "RSVP", "RRULE"}},
		{name: "nothing changed", old: base, new: base},
		{name: "alarm only", old: base, new: cal(append(meeting(), "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT5M", "END:VALARM", "END:VEVENT")...)},
		{name: "new copy accepted", new: withBob(accepted), n: 1},
		{name: "new copy undecided", new: base},
		{name: "one instance", old: base,
			new: cal(append(vevent(meeting()...), vevent("BEGIN:VEVENT", "UID:m1", "DTSTAMP:20260101T000000Z",
				"RECURRENCE-ID;TZID=Europe/Zurich:20260317T100000", "DTSTART;TZID=Europe/Zurich:20260317T100000",
				"DTEND;TZID=Europe/Zurich:20260317T110000", orgLine, "ATTENDEE;PARTSTAT=TENTATIVE:mailto:bob@example.com")...)...),
			n: 1, contains: []string{"RECURRENCE-ID;TZID=Europe/Zurich:20260317T100000", "PARTSTAT=TENTATIVE"}},
		{name: "instance excluded", old: base, new: cal(vevent(append(meeting(), "EXDATE;TZID=Europe/Zurich:20260324T100000")...)...),
			n: 1, contains: []string{"RECURRENCE-ID;TZID=Europe/Zurich:20260324T100000", "PARTSTAT=DECLINED"}, lacks: []string{"EXDATE", "RRULE"}},
		{name: "deleted", old: base, n: 1, contains: []string{"PARTSTAT=DECLINED"}},
		{name: "deleted when declined", old: withBob(strings.Replace(bobLine, "NEEDS-ACTION", "DECLINED", 1))},
		{name: "deleted when cancelled", old: cal(vevent(append(meeting(), "STATUS:CANCELLED")...)...)},
		{name: "organizer agent client", old: base,
			new: cal(vevent(append(meeting()[:8], "ORGANIZER;SCHEDULE-AGENT=CLIENT:mailto:alice@example.com", accepted, carLine)...)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var old, new *object
			if tc.old != nil {
				old = mustObject(t, tc.old)
			}
			if tc.new != nil {
				new = mustObject(t, tc.new)
			}
			comps := planReply(old, new, me, now)
			if len(comps) != tc.n {
				t.Fatalf("%d reply components, want %d", len(comps), tc.n)
			}
			if tc.n == 0 {
				return
			}
			out := unfold(calendar(MethodReply, nil, comps))
			for _, s := range tc.contains {
				if !strings.Contains(out, s) {
					t.Errorf("reply lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(out, s) {
					t.Errorf("reply has %q:\n%s", s, out)
				}
			}
		})
	}
}

func TestApplyRequestKeepsTheAttendeesOwn(t *testing.T) {
	msg := mustObject(t, cal(append([]string{"METHOD:REQUEST"}, vevent(append(meeting(), "LOCATION:Room 2")...)...)...))
	// A new copy: the message without METHOD.
	fresh := unfold(applyRequest(nil, msg))
	if strings.Contains(fresh, "METHOD") || !strings.Contains(fresh, "LOCATION:Room 2") {
		t.Fatalf("new copy:\n%s", fresh)
	}
	if _, err := aical.ValidateObject([]byte(fresh)); err != nil {
		t.Fatalf("new copy does not validate: %v", err)
	}
	copy := mustObject(t, cal(append(meeting(), "TRANSP:TRANSPARENT", "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "END:VALARM", "END:VEVENT")...))
	got := unfold(applyRequest(copy, msg))
	for _, s := range []string{"LOCATION:Room 2", "TRANSP:TRANSPARENT", "TRIGGER:-PT15M"} {
		if !strings.Contains(got, s) {
			t.Errorf("updated copy lacks %q:\n%s", s, got)
		}
	}

	// An instance-only message replaces that instance, the rest stays.
	inst := mustObject(t, cal("METHOD:REQUEST", "BEGIN:VEVENT", "UID:m1", "DTSTAMP:20260101T000000Z",
		"RECURRENCE-ID;TZID=Europe/Zurich:20260317T100000", "DTSTART;TZID=Europe/Zurich:20260317T160000",
		"DTEND;TZID=Europe/Zurich:20260317T170000", orgLine, bobLine, "END:VEVENT"))
	got = unfold(applyRequest(mustObject(t, []byte(got)), inst))
	if !strings.Contains(got, "RRULE") || !strings.Contains(got, "DTSTART;TZID=Europe/Zurich:20260317T160000") {
		t.Errorf("instance update:\n%s", got)
	}
	if _, err := aical.ValidateObject([]byte(got)); err != nil {
		t.Errorf("updated copy does not validate: %v\n%s", err, got)
	}
}

func TestApplyCancel(t *testing.T) {
	copy := cal(append(vevent(meeting()...), vevent("BEGIN:VEVENT", "UID:m1", "DTSTAMP:20260101T000000Z",
		"RECURRENCE-ID;TZID=Europe/Zurich:20260317T100000", "DTSTART;TZID=Europe/Zurich:20260317T120000",
		"DTEND;TZID=Europe/Zurich:20260317T130000", orgLine, bobLine)...)...)
	whole := mustObject(t, cal("METHOD:CANCEL", "BEGIN:VEVENT", "UID:m1", "DTSTAMP:20260101T000000Z", "SEQUENCE:3", orgLine, bobLine, "STATUS:CANCELLED", "END:VEVENT"))
	got := unfold(applyCancel(mustObject(t, copy), whole))
	if strings.Count(got, "STATUS:CANCELLED") != 2 || !strings.Contains(got, "SEQUENCE:3") {
		t.Errorf("whole cancel:\n%s", got)
	}
	inst := mustObject(t, cal("METHOD:CANCEL", "BEGIN:VEVENT", "UID:m1", "DTSTAMP:20260101T000000Z",
		"RECURRENCE-ID;TZID=Europe/Zurich:20260317T100000", "DTSTART;TZID=Europe/Zurich:20260317T100000", orgLine, bobLine, "STATUS:CANCELLED", "END:VEVENT"))
	got = unfold(applyCancel(mustObject(t, copy), inst))
	if !strings.Contains(got, "EXDATE;TZID=Europe/Zurich:20260317T100000") || strings.Contains(got, "RECURRENCE-ID") || strings.Contains(got, "CANCELLED") {
		t.Errorf("instance cancel:\n%s", got)
	}
	if _, err := aical.ValidateObject([]byte(got)); err != nil {
		t.Errorf("copy after an instance cancel does not validate: %v", err)
	}
}

func TestApplyReply(t *testing.T) {
	bob := is("bob@example.com")
	org := mustObject(t, cal(vevent(meeting()...)...))
	reply := mustObject(t, cal("METHOD:REPLY", "BEGIN:VEVENT", "UID:m1", "DTSTAMP:20260301T000000Z", orgLine,
		"ATTENDEE;PARTSTAT=ACCEPTED:mailto:BOB@example.com", "END:VEVENT"))
	if n := applyReply(org, reply, bob); n != 1 {
		t.Fatalf("applied %d", n)
	}
	got := unfold(org.encode())
	if !strings.Contains(got, "ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED;RSVP=TRUE;SCHEDULE-STATUS=2.0:mailto:bob@example.com") {
		t.Errorf("organizer copy after the reply:\n%s", got)
	}
	if !strings.Contains(got, carLine) {
		t.Errorf("other lines were rewritten:\n%s", got)
	}

	// A reply to one instance makes an override of it.
	one := mustObject(t, cal("METHOD:REPLY", "BEGIN:VEVENT", "UID:m1", "DTSTAMP:20260301T000000Z",
		"RECURRENCE-ID;TZID=Europe/Zurich:20260317T100000", orgLine, "ATTENDEE;PARTSTAT=DECLINED:mailto:bob@example.com", "END:VEVENT"))
	if n := applyReply(org, one, bob); n != 1 {
		t.Fatalf("instance reply applied %d", n)
	}
	got = unfold(org.encode())
	for _, s := range []string{"RECURRENCE-ID;TZID=Europe/Zurich:20260317T100000", "DTSTART;TZID=Europe/Zurich:20260317T100000", "DURATION:PT1H", "PARTSTAT=DECLINED"} {
		if !strings.Contains(got, s) {
			t.Errorf("override lacks %q:\n%s", s, got)
		}
	}
	if _, err := aical.ValidateObject([]byte(got)); err != nil {
		t.Fatalf("organizer copy does not validate: %v\n%s", err, got)
	}

	// A party crasher changes nothing.
	crash := mustObject(t, cal("METHOD:REPLY", "BEGIN:VEVENT", "UID:m1", "DTSTAMP:20260301T000000Z", orgLine,
		"ATTENDEE;PARTSTAT=ACCEPTED:mailto:mallory@example.com", "END:VEVENT"))
	if n := applyReply(org, crash, is("mallory@example.com")); n != 0 {
		t.Errorf("a reply of someone not invited applied %d", n)
	}
}

func TestKeepReplies(t *testing.T) {
	stored := mustObject(t, cal(vevent(append(meeting()[:9], "ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED;SCHEDULE-STATUS=2.0:mailto:bob@example.com", carLine)...)...))
	// The organizer's client, stale, edits the summary.
	stale := mustObject(t, cal(vevent(append(meeting(), "LOCATION:new")...)...))
	keepReplies(stale, stored, is("alice@example.com"))
	if got := unfold(stale.encode()); !strings.Contains(got, "PARTSTAT=ACCEPTED;RSVP=TRUE;SCHEDULE-STATUS=2.0:mailto:bob@example.com") {
		t.Errorf("the merged reply was lost:\n%s", got)
	}
	// A reschedule keeps the writer's states.
	moved := mustObject(t, cal(vevent(append(meeting()[:4], "DTSTART;TZID=Europe/Zurich:20260310T140000", "DTEND;TZID=Europe/Zurich:20260310T150000",
		"RRULE:FREQ=WEEKLY;COUNT=10", "SUMMARY:Sync", orgLine, bobLine, carLine)...)...))
	keepReplies(moved, stored, is("alice@example.com"))
	if got := unfold(moved.encode()); !strings.Contains(got, bobLine) {
		t.Errorf("a reschedule lost the writer's PARTSTAT:\n%s", got)
	}
}

func TestNormAddr(t *testing.T) {
	for in, want := range map[string]string{
		"mailto:Bob@Example.COM":     "mailto:bob@example.com",
		"MAILTO: bob@example.com ":   "mailto:bob@example.com",
		"bob@example.com":            "mailto:bob@example.com",
		"/dav/principals/x/":         "/dav/principals/x/",
		"urn:uuid:ABC":               "urn:uuid:ABC",
		"https://h/dav/principals/x": "https://h/dav/principals/x",
	} {
		if got := normAddr(in); got != want {
			t.Errorf("normAddr(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"mailto:bob@example.com": "bob@example.com",
		"mailto:a@b@c":           "",
		"mailto:a b@c":           "",
		"urn:uuid:x":             "",
		"mailto:":                "",
	} {
		if got := mailAddress(in); got != want {
			t.Errorf("mailAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour: "PT1H", 90 * time.Minute: "PT1H30M", 24 * time.Hour: "P1D", 0: "PT0S", -time.Minute: "-PT1M", 61 * time.Second: "PT1M1S",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
