package ical

import (
	"errors"
	"strings"
	"testing"
)

// splitSummary renders a part as "UID: CHILD CHILD ...", a VTIMEZONE as
// "VTIMEZONE(TZID)", an override as "VEVENT@RECURRENCE-ID", after the
// calendar properties' names in brackets; the part must parse.
func splitSummary(t *testing.T, p Part) string {
	t.Helper()
	cal, err := Parse(p.Data)
	if err != nil {
		t.Fatalf("part %s does not parse: %v\n%s", p.UID, err, p.Data)
	}
	var b strings.Builder
	b.WriteString(p.UID + ": [")
	var props []string
	for name := range cal.Props {
		props = append(props, name)
	}
	sortStrings(props)
	b.WriteString(strings.Join(props, " ") + "]")
	for _, c := range cal.Children {
		b.WriteString(" " + c.Name)
		switch {
		case c.Name == CompTimezone:
			b.WriteString("(" + c.Props.Get("TZID").Value + ")")
		case c.Props.Get("RECURRENCE-ID") != nil:
			b.WriteString("@" + c.Props.Get("RECURRENCE-ID").Value)
		}
	}
	return b.String()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Calendar files for the tables, one line per string.
var (
	splitBerlin = []string{"BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "BEGIN:STANDARD", "DTSTART:19701025T030000",
		"TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
		"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT", "END:VTIMEZONE"}
	splitCustom = []string{"BEGIN:VTIMEZONE", "TZID:Office Time", "BEGIN:STANDARD", "DTSTART:19700101T000000",
		"TZOFFSETFROM:+0300", "TZOFFSETTO:+0300", "END:STANDARD", "END:VTIMEZONE"}
	splitCustom2 = []string{"BEGIN:VTIMEZONE", "TZID:Office Time", "BEGIN:STANDARD", "DTSTART:19700101T000000",
		"TZOFFSETFROM:+0400", "TZOFFSETTO:+0400", "END:STANDARD", "END:VTIMEZONE"}
)

func vevent(lines ...string) []string {
	return append(append([]string{"BEGIN:VEVENT"}, lines...), "END:VEVENT")
}

func vcalendar(parts ...[]string) []string {
	out := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"}
	for _, p := range parts {
		out = append(out, p...)
	}
	return append(out, "END:VCALENDAR")
}

func file(cals ...[]string) []byte {
	var all []string
	for _, c := range cals {
		all = append(all, c...)
	}
	return ics(all...)
}

func TestSplit(t *testing.T) {
	start := "DTSTART:20260105T090000Z"
	tests := []struct {
		name  string
		data  []byte
		parts []string // splitSummary of each part
		dups  int
	}{
		{"one event", file(vcalendar(vevent("UID:a", start))),
			[]string{"a: [PRODID VERSION] VEVENT"}, 0},
		{"METHOD is left out, other calendar properties kept",
			file(vcalendar([]string{"METHOD:PUBLISH", "X-WR-CALNAME:Work", "CALSCALE:GREGORIAN"}, vevent("UID:a", start))),
			[]string{"a: [CALSCALE PRODID VERSION X-WR-CALNAME] VEVENT"}, 0},
		{"VERSION and PRODID are added when missing",
			file([]string{"BEGIN:VCALENDAR"}, vevent("UID:a", start), []string{"END:VCALENDAR"}),
			[]string{"a: [PRODID VERSION] VEVENT"}, 0},
		{"one object per UID, in order of first appearance",
			file(vcalendar(vevent("UID:b", start), vevent("UID:a", start), vevent("UID:c", start))),
			[]string{"b: [PRODID VERSION] VEVENT", "a: [PRODID VERSION] VEVENT", "c: [PRODID VERSION] VEVENT"}, 0},
		{"master and overrides together wherever they are",
			file(vcalendar(
				vevent("UID:r", "RECURRENCE-ID:20260112T090000Z", "DTSTART:20260112T100000Z"),
				vevent("UID:x", start),
				vevent("UID:r", start, "RRULE:FREQ=WEEKLY;COUNT=4"),
				vevent("UID:r", "RECURRENCE-ID:20260119T090000Z", "DTSTART:20260119T100000Z"))),
			[]string{"r: [PRODID VERSION] VEVENT@20260112T090000Z VEVENT VEVENT@20260119T090000Z", "x: [PRODID VERSION] VEVENT"}, 0},
		{"VTIMEZONEs go only where they are used, into each object that uses them",
			file(vcalendar(splitBerlin, splitCustom,
				vevent("UID:a", "DTSTART;TZID=Europe/Berlin:20260105T090000"),
				vevent("UID:b", start),
				vevent("UID:c", "DTSTART;TZID=Europe/Berlin:20260105T090000", "DTEND;TZID=Office Time:20260105T120000"))),
			[]string{"a: [PRODID VERSION] VTIMEZONE(Europe/Berlin) VEVENT", "b: [PRODID VERSION] VEVENT",
				"c: [PRODID VERSION] VTIMEZONE(Europe/Berlin) VTIMEZONE(Office Time) VEVENT"}, 0},
		{"a VTIMEZONE after its users, a TZID in an alarm, a TZID in another case",
			file(vcalendar(
				vevent("UID:a", start, "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER;VALUE=DATE-TIME;TZID=office time:20260105T080000", "END:VALARM"),
				splitCustom)),
			[]string{"a: [PRODID VERSION] VTIMEZONE(Office Time) VEVENT"}, 0},
		{"a TZID no VTIMEZONE defines is left for validation",
			file(vcalendar(vevent("UID:a", "DTSTART;TZID=America/New_York:20260105T090000"))),
			[]string{"a: [PRODID VERSION] VEVENT"}, 0},
		{"each VCALENDAR's VTIMEZONEs and properties serve its own components",
			file(vcalendar([]string{"X-WR-CALNAME:one"}, splitCustom, vevent("UID:a", "DTSTART;TZID=Office Time:20260105T090000")),
				vcalendar([]string{"X-WR-CALNAME:two"}, splitCustom2, vevent("UID:b", "DTSTART;TZID=Office Time:20260105T090000"))),
			[]string{"a: [PRODID VERSION X-WR-CALNAME] VTIMEZONE(Office Time) VEVENT",
				"b: [PRODID VERSION X-WR-CALNAME] VTIMEZONE(Office Time) VEVENT"}, 0},
		{"one VTIMEZONE defined alike in two VCALENDARs is copied once",
			file(vcalendar(splitCustom, vevent("UID:r", "DTSTART;TZID=Office Time:20260105T090000", "RRULE:FREQ=DAILY")),
				vcalendar(splitCustom, vevent("UID:r", "RECURRENCE-ID;TZID=Office Time:20260106T090000", "DTSTART;TZID=Office Time:20260106T100000"))),
			[]string{"r: [PRODID VERSION] VTIMEZONE(Office Time) VEVENT VEVENT@20260106T090000"}, 0},
		{"a component repeated line for line is dropped",
			file(vcalendar(vevent("UID:a", start, "SUMMARY:x"), vevent("UID:b", start), vevent("UID:a", start, "SUMMARY:x")),
				vcalendar(vevent("UID:a", start, "SUMMARY:x"))),
			[]string{"a: [PRODID VERSION] VEVENT", "b: [PRODID VERSION] VEVENT"}, 2},
		{"other component types, and components no calendar stores, are cut all the same",
			file(vcalendar([]string{"BEGIN:VTODO", "UID:t", "END:VTODO", "BEGIN:X-THING", "UID:x", "END:X-THING"})),
			[]string{"t: [PRODID VERSION] VTODO", "x: [PRODID VERSION] X-THING"}, 0},
		{"LF line ends, a byte order mark, blank lines between calendars, folded lines",
			[]byte("\uFEFFBEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20260105T090000Z\nSUMMARY:a long\n  summary\nEND:VEVENT\nEND:VCALENDAR\n\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n"),
			[]string{"a: [PRODID VERSION] VEVENT"}, 0},
		{"an empty calendar has nothing to import", file(vcalendar()), nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Split(tc.data)
			if err != nil {
				t.Fatalf("Split: %v", err)
			}
			if len(res.Refused) > 0 {
				t.Fatalf("refused %+v", res.Refused)
			}
			var got []string
			for _, p := range res.Parts {
				got = append(got, splitSummary(t, p))
				if p.UIDAssigned {
					t.Errorf("part %s: UID assigned", p.UID)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.parts, "\n") {
				t.Fatalf("parts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.parts, "\n"))
			}
			if res.Duplicates != tc.dups {
				t.Errorf("duplicates = %d, want %d", res.Duplicates, tc.dups)
			}
		})
	}
}

// Every part is a calendar object resource a PUT would accept: it
// passes ValidateObject.
func TestSplit_PartsValidate(t *testing.T) {
	data := file(vcalendar([]string{"METHOD:PUBLISH"}, splitBerlin, splitCustom,
		vevent("UID:a", "DTSTAMP:20260101T000000Z", "DTSTART;TZID=Europe/Berlin:20260105T090000", "RRULE:FREQ=WEEKLY"),
		vevent("UID:a", "DTSTAMP:20260101T000000Z", "RECURRENCE-ID;TZID=Europe/Berlin:20260112T090000", "DTSTART;TZID=Office Time:20260112T100000"),
		vevent("DTSTAMP:20260101T000000Z", "DTSTART:20260105T090000Z", "SUMMARY:no uid")))
	res, err := Split(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Parts) != 2 || len(res.Refused) != 0 {
		t.Fatalf("parts %d, refused %+v", len(res.Parts), res.Refused)
	}
	for _, p := range res.Parts {
		info, err := ValidateObject(p.Data)
		if err != nil {
			t.Fatalf("part %s: %v\n%s", p.UID, err, p.Data)
		}
		if info.UID != p.UID || info.Component != p.Component {
			t.Errorf("part %s %s validates as %s %s", p.UID, p.Component, info.UID, info.Component)
		}
	}
	if !strings.Contains(string(res.Parts[0].Data), "\r\n") || strings.Contains(strings.ReplaceAll(string(res.Parts[0].Data), "\r\n", ""), "\n") {
		t.Errorf("part lines do not end in CRLF:\n%q", res.Parts[0].Data)
	}
}

// A component without a UID gets one from its content: the same
// component in a later export (with a new DTSTAMP) gets the same UID,
// another component another.
func TestSplit_DerivedUID(t *testing.T) {
	one := func(stamp, summary string) Part {
		t.Helper()
		res, err := Split(file(vcalendar(vevent("DTSTAMP:"+stamp, "DTSTART:20260105T090000Z", "SUMMARY:"+summary))))
		if err != nil || len(res.Parts) != 1 {
			t.Fatalf("Split: %v, %+v", err, res)
		}
		p := res.Parts[0]
		if !p.UIDAssigned || !strings.HasPrefix(p.UID, "almanac-import-") {
			t.Fatalf("part %+v: no UID assigned", p)
		}
		info, err := ValidateObject(p.Data)
		if err != nil || info.UID != p.UID {
			t.Fatalf("part validates as %v, %v", info, err)
		}
		return p
	}
	a := one("20260101T000000Z", "lunch")
	if b := one("20260301T120000Z", "lunch"); b.UID != a.UID {
		t.Errorf("a new DTSTAMP changed the UID: %s, %s", a.UID, b.UID)
	}
	if c := one("20260101T000000Z", "dinner"); c.UID == a.UID {
		t.Errorf("two components got UID %s", a.UID)
	}
}

// A component with a line that does not parse is refused with its
// object, naming the line of the file; the other objects are cut.
func TestSplit_Refused(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want []Refusal
		ok   []string // UIDs of the parts
	}{
		{"a bad parameter refuses its object",
			file(vcalendar(vevent("UID:a", "DTSTART:20260105T090000Z"), vevent("UID:b", `SUMMARY;X="a"b:v`))),
			[]Refusal{{Line: 8, UID: "b", Component: "VEVENT", Reason: `line 10: property SUMMARY: parameter X: unexpected 'b' after a quoted value`}},
			[]string{"a"}},
		{"a bad override refuses its master",
			file(vcalendar(vevent("UID:r", "DTSTART:20260105T090000Z", "RRULE:FREQ=DAILY"),
				vevent("UID:r", "RECURRENCE-ID:20260106T090000Z", "BAD LINE"))),
			[]Refusal{{Line: 4, UID: "r", Component: "VEVENT", Reason: `line 12: content line "BAD LINE" has no colon (the VEVENT that begins on line 9)`}},
			nil},
		{"invalid UTF-8 in a component",
			file(vcalendar(vevent("UID:a", "SUMMARY:caf\xe9"))),
			[]Refusal{{Line: 4, UID: "a", Component: "VEVENT", Reason: "line 6: not valid UTF-8"}},
			nil},
		{"a control character in a component",
			file(vcalendar(vevent("UID:a", "SUMMARY:a\x01b"))),
			[]Refusal{{Line: 4, UID: "a", Component: "VEVENT", Reason: `line 6: control character '\x01' in content line`}},
			nil},
		{"a broken VTIMEZONE refuses the objects that use it",
			file(vcalendar([]string{"BEGIN:VTIMEZONE", "TZID:Office Time", "X-BAD;P=", "END:VTIMEZONE"},
				vevent("UID:a", "DTSTART;TZID=Office Time:20260105T090000"), vevent("UID:b", "DTSTART:20260105T090000Z"))),
			[]Refusal{{Line: 8, UID: "a", Component: "VEVENT", Reason: `VTIMEZONE "Office Time" (line 4): line 6: property X-BAD: line ends inside parameter P`}},
			[]string{"b"}},
		{"one object using two definitions of a TZID",
			file(vcalendar(splitCustom, vevent("UID:r", "DTSTART;TZID=Office Time:20260105T090000", "RRULE:FREQ=DAILY")),
				vcalendar(splitCustom2, vevent("UID:r", "RECURRENCE-ID;TZID=Office Time:20260106T090000", "DTSTART:20260106T100000Z"))),
			[]Refusal{{Line: 12, UID: "r", Component: "VEVENT", Reason: `TZID "Office Time" is defined by two different VTIMEZONEs of the file (lines 4 and 21)`}},
			nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Split(tc.data)
			if err != nil {
				t.Fatalf("Split: %v", err)
			}
			if len(res.Refused) != len(tc.want) {
				t.Fatalf("refused %+v, want %+v", res.Refused, tc.want)
			}
			for i, r := range res.Refused {
				if r != tc.want[i] {
					t.Errorf("refused %+v\n           want %+v", r, tc.want[i])
				}
			}
			var uids []string
			for _, p := range res.Parts {
				uids = append(uids, p.UID)
			}
			if strings.Join(uids, ",") != strings.Join(tc.ok, ",") {
				t.Errorf("parts %v, want %v", uids, tc.ok)
			}
		})
	}
}

// What is not an iCalendar file as a whole is an error naming the line.
func TestSplit_NotICalendar(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "the file holds no VCALENDAR (BEGIN:VCALENDAR)"},
		{"blank", " \r\n\r\n", "the file holds no VCALENDAR (BEGIN:VCALENDAR)"},
		{"text", "hello\r\n", `line 1: content line "hello" has no colon`},
		{"a vCard", "BEGIN:VCARD\r\nVERSION:4.0\r\nEND:VCARD\r\n", `line 1: an iCalendar file holds VCALENDAR objects (BEGIN:VCALENDAR), not "BEGIN:VCARD"`},
		{"HTML", "<html><body>Not found</body></html>\n", `line 1: content line "<html><body>Not found</body></html>" has no colon`},
		{"cut short", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\n", "line 3: the file ends before END:VEVENT"},
		{"calendar cut short", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", "line 2: the file ends before END:VCALENDAR"},
		{"mismatched END", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n", `line 3: END:"VTODO" does not close BEGIN:VEVENT`},
		{"a broken calendar property", "BEGIN:VCALENDAR\r\nX-A;P\r\nEND:VCALENDAR\r\n", `line 2: property X-A: parameter without "="`},
		{"text after a calendar", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\ntrailing:junk\r\n", `line 3: an iCalendar file holds VCALENDAR objects (BEGIN:VCALENDAR), not "trailing:junk"`},
		{"too deep", "BEGIN:VCALENDAR\r\n" + strings.Repeat("BEGIN:X\r\n", 16), "line 17: components nest more than 16 levels deep"},
		{"UTF-16", "\xff\xfeB\x00E\x00", "line 1: not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Split([]byte(tc.data))
			ve, ok := err.(*ValidationError)
			if !ok {
				t.Fatalf("Split = %+v, %v; want a *ValidationError", res, err)
			}
			if ve.Reason != tc.want {
				t.Errorf("reason %q\n  want %q", ve.Reason, tc.want)
			}
		})
	}
}

// FuzzSplit: Split never panics; every part it cuts parses, has no
// METHOD, holds components of its UID only, and no two parts share a
// UID.
func FuzzSplit(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add(file(vcalendar(splitBerlin, vevent("UID:a", "DTSTART;TZID=Europe/Berlin:20260105T090000")),
		vcalendar([]string{"METHOD:REQUEST"}, vevent("UID:a", "RECURRENCE-ID:20260106T090000Z"), vevent("DTSTART:20260105T090000Z"))))
	f.Add([]byte("BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nTZID:x\nEND:VTIMEZONE\nBEGIN:VTODO\nDUE;TZID=X:20260101\nEND:VTODO\nEND:VCALENDAR\nBEGIN:VCALENDAR\nEND:VCALENDAR"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Limits as an import sets them: without, copies of zones
		// multiply an input beyond what a fuzz worker can hold.
		lim := SplitLimits{MaxObjects: 1000, MaxBytes: 4*int64(len(data)) + 4096}
		res, err := SplitWithin(data, lim)
		var le *SplitLimitError
		if errors.As(err, &le) {
			return
		}
		if err != nil {
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, p := range res.Parts {
			if p.UID != "" && seen[p.UID] {
				t.Fatalf("two parts of UID %q", p.UID)
			}
			seen[p.UID] = true
			cal, err := Parse(p.Data)
			if err != nil {
				if len(p.Data) > MaxSize {
					continue
				}
				t.Fatalf("part %q does not parse: %v\n%q", p.UID, err, p.Data)
			}
			if len(cal.Props["METHOD"]) > 0 {
				t.Fatalf("part %q has a METHOD", p.UID)
			}
			for _, c := range cal.Children {
				if c.Name == CompTimezone {
					continue
				}
				if uid := c.Props.Get("UID"); uid == nil && p.UID != "" || uid != nil && uid.Value != p.UID {
					t.Fatalf("part %q holds a %s of another UID", p.UID, c.Name)
				}
			}
		}
	})
}
