package mailbox

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/internal/fault"
	"almanac/internal/sieve"
	"almanac/storage"
)

func TestParseWallClock(t *testing.T) {
	for _, tc := range []struct {
		in   string
		end  bool
		want string
	}{
		{"2026-07-01T09:30:15", false, "2026-07-01T09:30:15"},
		{" 2026-07-01T09:30 ", false, "2026-07-01T09:30:00"},
		{"2026-07-01", false, "2026-07-01T00:00:00"},
		{"2026-07-01", true, "2026-07-02T00:00:00"},
		{"2026-12-31", true, "2027-01-01T00:00:00"},
		{"2026-07-01T09:30", true, "2026-07-01T09:30:00"},
		{"2026-02-30", false, ""},
		{"2026-07-01T25:00", false, ""},
		{"2026-07-01T09:30:00+02:00", false, ""},
		{"01/07/2026", false, ""},
		{"", false, ""},
	} {
		got, err := parseWallClock(tc.in, tc.end)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("parseWallClock(%q, %v) = %q, %v; want %q", tc.in, tc.end, got, err, tc.want)
		}
	}
}

func TestCheckExclusion(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"boss@domain.xyz", true},
		{"@partner.xyz", true},
		{"@sub.partner.xyz", true},
		{"partner.xyz", false},
		{"@", false},
		{"@localhost", false},
		{"boss@", false},
		{"@@partner.xyz", false},
		{"bo ss@domain.xyz", false},
		{"boss@domain.xyz\r\n", false},
		{"*@domain.xyz", true}, // '*' is atext: a literal address, not a pattern
		{"\"quoted\"@domain.xyz", false},
	} {
		err := checkExclusion(tc.in)
		var fe *fault.Error
		if (err == nil) != tc.ok || err != nil && (!errors.As(err, &fe) || fe.Field != "exclusions") {
			t.Errorf("checkExclusion(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}

func str(s string) *string { return &s }

// TestApplyInput: every rule of a responder's fields, and the field each
// refusal names.
func TestApplyInput(t *testing.T) {
	good := func() settingsInput {
		return settingsInput{Name: str("Holidays"), Message: str("Away."), TimeZone: str("Europe/Paris"),
			Start: str("2026-07-01"), End: str("2026-07-15"), Weekdays: &[]string{"Saturday", "sun", "SAT"},
			From: str("Anna@Domain.xyz"), Exclusions: &[]string{"Boss@domain.xyz", "@Partner.xyz", "boss@domain.xyz"}}
	}
	var s storage.ResponderSettings
	if err := applyInput(&s, good(), false); err != nil {
		t.Fatal(err)
	}
	if s.Start != "2026-07-01T00:00:00" || s.End != "2026-07-16T00:00:00" || !slices.Equal(s.Weekdays, []time.Weekday{time.Sunday, time.Saturday}) ||
		s.From != "anna@domain.xyz" || !slices.Equal(s.Exclusions, []string{"boss@domain.xyz", "@partner.xyz"}) {
		t.Errorf("applied %+v", s)
	}
	for _, tc := range []struct {
		name, field string
		edit        func(*settingsInput)
	}{
		{"no name", "name", func(in *settingsInput) { in.Name = str("  ") }},
		{"long name", "name", func(in *settingsInput) { in.Name = str(strings.Repeat("é", 101)) }},
		{"two-line subject", "subject", func(in *settingsInput) { in.Subject = str("Away\r\nBcc: x@y.zz") }},
		{"long subject", "subject", func(in *settingsInput) { in.Subject = str(strings.Repeat("x", 201)) }},
		{"no message", "message", func(in *settingsInput) { in.Message = str(" \n ") }},
		{"message over 64 KiB", "message", func(in *settingsInput) { in.Message = str(strings.Repeat("x", MaxMessage+1)) }},
		{"html over 64 KiB", "html", func(in *settingsInput) { in.HTML = str(strings.Repeat("x", MaxMessage+1)) }},
		{"message with NUL", "message", func(in *settingsInput) { in.Message = str("a\x00b") }},
		{"message not UTF-8", "message", func(in *settingsInput) { in.Message = str("a\xffb") }},
		{"unknown zone", "time_zone", func(in *settingsInput) { in.TimeZone = str("Mars/Olympus") }},
		{"the server's zone", "time_zone", func(in *settingsInput) { in.TimeZone = str("Local") }},
		{"bad start", "start", func(in *settingsInput) { in.Start = str("next monday") }},
		{"end before start", "end", func(in *settingsInput) { in.End = str("2026-06-30") }},
		{"end at start", "end", func(in *settingsInput) { in.Start, in.End = str("2026-07-01T10:00"), str("2026-07-01T10:00") }},
		{"unknown weekday", "weekdays", func(in *settingsInput) { in.Weekdays = &[]string{"saturday", "caturday"} }},
		{"bad from", "from", func(in *settingsInput) { in.From = str("Anna <anna@domain.xyz>") }},
		{"from placeholder outside templates", "from", func(in *settingsInput) { in.From = str("{address}") }},
		{"bad exclusion", "exclusions", func(in *settingsInput) { in.Exclusions = &[]string{"partner.xyz"} }},
		{"too many exclusions", "exclusions", func(in *settingsInput) {
			ex := make([]string, MaxExclusions+1)
			for i := range ex {
				ex[i] = "@d" + strings.Repeat("x", i%50) + ".xyz"
			}
			in.Exclusions = &ex
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := good()
			tc.edit(&in)
			var s storage.ResponderSettings
			err := applyInput(&s, in, false)
			var fe *fault.Error
			if !errors.As(err, &fe) || fe.Kind != fault.Invalid || fe.Field != tc.field {
				t.Errorf("applyInput = %v, want an invalid %s", err, tc.field)
			}
		})
	}
	// Clearing: "" removes a start or an end; templates may send from
	// each mailbox's own address.
	s = storage.ResponderSettings{}
	if err := applyInput(&s, good(), false); err != nil {
		t.Fatal(err)
	}
	if err := applyInput(&s, settingsInput{Start: str(""), End: str(" ")}, false); err != nil || s.Start != "" || s.End != "" {
		t.Errorf("clearing the dates: %v, %+v", err, s)
	}
	if err := applyInput(&s, settingsInput{From: str("{address}")}, true); err != nil || s.From != "{address}" {
		t.Errorf("template from: %v %q", err, s.From)
	}
}

func TestAnswering(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	// Saturday 2026-07-04 12:00 in Paris.
	sat := time.Date(2026, 7, 4, 12, 0, 0, 0, paris)
	r := &storage.Responder{Active: true, ResponderSettings: storage.ResponderSettings{TimeZone: "Europe/Paris",
		Start: "2026-07-01T00:00:00", End: "2026-07-16T00:00:00", Weekdays: []time.Weekday{time.Saturday, time.Sunday}}}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{sat, true},
		{sat.AddDate(0, 0, 1), true},   // Sunday
		{sat.AddDate(0, 0, 2), false},  // Monday
		{sat.AddDate(0, 0, -7), false}, // Saturday before the start
		{sat.AddDate(0, 0, 14), false}, // Saturday after the end
		{time.Date(2026, 7, 15, 23, 59, 59, 0, paris), false},
		// Saturday 00:30 in Paris is still Friday in UTC: the day is
		// the zone's.
		{time.Date(2026, 7, 4, 0, 30, 0, 0, paris), true},
		{time.Date(2026, 7, 3, 23, 30, 0, 0, paris), false},
	} {
		if got := Answering(r, tc.at); got != tc.want {
			t.Errorf("Answering at %v = %v, want %v", tc.at, got, tc.want)
		}
	}
	r.Active = false
	if Answering(r, sat) {
		t.Error("an inactive responder answers")
	}
	open := &storage.Responder{Active: true, ResponderSettings: storage.ResponderSettings{TimeZone: "UTC"}}
	if !Answering(open, sat) {
		t.Error("a responder without dates or weekdays does not answer")
	}
}

// TestWindows: the weekdays of a Paris responder are read at +0100 in
// winter and +0200 in summer, with the windows cut at the changes.
func TestWindows(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	s := storage.ResponderSettings{TimeZone: "Europe/Paris", Start: "2026-03-01T00:00:00", End: "2026-12-01T00:00:00",
		Weekdays: []time.Weekday{time.Saturday}}
	sc := scheduleOf(&s)
	ws := sc.windows(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	spring := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)
	autumn := time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC)
	want := []sieve.Window{
		{Start: time.Date(2026, 3, 1, 0, 0, 0, 0, paris), End: spring, Offset: 3600},
		{Start: spring, End: autumn, Offset: 7200},
		{Start: autumn, End: time.Date(2026, 12, 1, 0, 0, 0, 0, paris), Offset: 3600},
	}
	if len(ws) != len(want) {
		t.Fatalf("windows %+v", ws)
	}
	for i := range want {
		if !ws[i].Start.Equal(want[i].Start) || !ws[i].End.Equal(want[i].End) || ws[i].Offset != want[i].Offset ||
			!slices.Equal(ws[i].Weekdays, []time.Weekday{time.Saturday}) {
			t.Errorf("window %d = %+v, want %+v", i, ws[i], want[i])
		}
	}
	// Open on both sides: ten years of changes from the anchor, the last
	// window open.
	s = storage.ResponderSettings{TimeZone: "Europe/Paris", Weekdays: []time.Weekday{time.Sunday}}
	ws = scheduleOf(&s).windows(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	if len(ws) < 20 || !ws[0].Start.IsZero() || !ws[len(ws)-1].End.IsZero() {
		t.Errorf("%d windows, first %+v, last %+v", len(ws), ws[0], ws[len(ws)-1])
	}
	// A zone without changes, or no weekdays: one window.
	s = storage.ResponderSettings{TimeZone: "Asia/Tokyo", Weekdays: []time.Weekday{time.Sunday}}
	if ws := scheduleOf(&s).windows(time.Now()); len(ws) != 1 || ws[0].Offset != 9*3600 {
		t.Errorf("Tokyo windows %+v", ws)
	}
	s = storage.ResponderSettings{TimeZone: "Europe/Paris", Start: "2026-07-01T00:00:00"}
	if ws := scheduleOf(&s).windows(time.Now()); len(ws) != 1 || !ws[0].End.IsZero() || ws[0].Weekdays != nil {
		t.Errorf("windows without weekdays %+v", ws)
	}
	s = storage.ResponderSettings{TimeZone: "Europe/Paris"}
	if ws := scheduleOf(&s).windows(time.Now()); ws != nil {
		t.Errorf("windows of an always-on responder %+v", ws)
	}
}

func TestFill(t *testing.T) {
	s := fill(storage.ResponderSettings{Name: "For {name}", Subject: "{name} is away", Text: "Write to {address}, {name}. {other}",
		HTML: "<p>{name}</p>", From: "{address}"}, "Tom & <Jerry>", "tom@domain.xyz")
	if s.Name != "For Tom & <Jerry>" || s.Subject != "Tom & <Jerry> is away" || s.Text != "Write to tom@domain.xyz, Tom & <Jerry>. {other}" ||
		s.HTML != "<p>Tom &amp; &lt;Jerry&gt;</p>" || s.From != "tom@domain.xyz" {
		t.Errorf("filled %+v", s)
	}
}

// FuzzApplyInput: whatever a request says, applyInput either refuses it
// naming a field, or the responder it accepts makes a script (the Sieve
// writer is stricter than nothing applyInput lets through).
func FuzzApplyInput(f *testing.F) {
	f.Add("Holidays", "Away", "Back soon.", "<p>x</p>", "Europe/Paris", "2026-07-01", "2026-07-15", "saturday", "anna@domain.xyz", "@partner.xyz")
	f.Add("x", "", "\x00", "", "", "2026-07-01T10:00", "2026-07-01T09:00", "funday", "<a@b.c>", "partner.xyz")
	f.Add("\"", "\r\n", "\"; keep;", "", "UTC", "", "", "sun", "", "a@b.cc")
	f.Fuzz(func(t *testing.T, name, subject, message, html, zone, start, end, day, from, exclusion string) {
		in := settingsInput{Name: &name, Subject: &subject, Message: &message, HTML: &html, TimeZone: &zone,
			Start: &start, End: &end, Weekdays: &[]string{day}, From: &from, Exclusions: &[]string{exclusion}}
		var s storage.ResponderSettings
		if err := applyInput(&s, in, false); err != nil {
			var fe *fault.Error
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("refusal %v names no field", err)
			}
			return
		}
		svc := &storage.MailService{Domain: "domain.xyz", AliasDomains: []string{"alias.xyz"}}
		m := &storage.Mailbox{LocalPart: "anna", Aliases: []string{"a"}}
		r := &storage.Responder{ResponderSettings: s, ID: "r1", Handle: "h", Active: true, Updated: time.Now()}
		if _, err := Script(svc, m, r, 0); err != nil {
			t.Fatalf("accepted settings %+v make no script: %v", s, err)
		}
	})
}
