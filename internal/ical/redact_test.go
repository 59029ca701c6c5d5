package ical_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goical "github.com/emersion/go-ical"

	"almanac/internal/contentline"
	"almanac/internal/ical"
)

// crlf joins physical lines with CRLF line ends.
func crlf(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// folded writes logical lines as Redact writes them: folded at 75 octets.
func folded(lines ...string) []byte {
	var b []byte
	for _, l := range lines {
		b = contentline.AppendFolded(b, l)
	}
	return b
}

// vcal wraps components in a VCALENDAR.
func vcal(parts ...[]string) []string {
	return append(concat(append([][]string{{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"}}, parts...)...), "END:VCALENDAR")
}

var redactTZ = []string{
	"BEGIN:VTIMEZONE", "TZID:Europe/Zurich",
	"BEGIN:STANDARD", "DTSTART:19701025T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
	"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
	"BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
	"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
	"END:VTIMEZONE",
}

func vevent(props ...string) []string {
	return append(append([]string{"BEGIN:VEVENT"}, props...), "END:VEVENT")
}

func concat(parts ...[]string) []string {
	var all []string
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

var longText = strings.Repeat("Quarterly numbers, salaries and the merger — strictly between us. ", 4)

// fold cuts a logical line into physical lines of 40 octets, as a client
// might (not at 75, so that re-folding shows).
func fold(line string) []string {
	var out []string
	for len(line) > 40 {
		out = append(out, line[:40])
		line = " " + line[40:]
	}
	return append(out, line)
}

func TestRedact(t *testing.T) {
	confidentialEvent := concat(vcal(concat(redactTZ, vevent(
		"UID:c1",
		"DTSTAMP:20240101T000000Z",
		"CREATED:20231201T000000Z",
		"SUMMARY:Salary talk",
		"DTSTART;TZID=Europe/Zurich:20240105T100000",
		"DTEND;TZID=Europe/Zurich:20240105T110000",
		"LOCATION:Room 3",
		"DESCRIPTION:Bring the numbers",
		"ORGANIZER;CN=Boss:mailto:boss@example.com",
		"ATTENDEE;CN=Me;PARTSTAT=ACCEPTED:mailto:me@example.com",
		"RRULE:FREQ=WEEKLY;COUNT=4",
		"EXDATE;TZID=Europe/Zurich:20240112T100000",
		"CLASS:CONFIDENTIAL",
		"X-APPLE-STRUCTURED-LOCATION;VALUE=URI:geo:47.1,8.5",
		"TRANSP:OPAQUE",
		"STATUS:CONFIRMED",
		"SEQUENCE:2",
		"BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Salary talk", "TRIGGER:-PT15M", "END:VALARM",
		"LAST-MODIFIED:20240101T000000Z",
	))))
	confidentialBusy := concat(vcal(concat(redactTZ, vevent(
		"UID:c1",
		"DTSTAMP:20240101T000000Z",
		"CREATED:20231201T000000Z",
		"DTSTART;TZID=Europe/Zurich:20240105T100000",
		"DTEND;TZID=Europe/Zurich:20240105T110000",
		"RRULE:FREQ=WEEKLY;COUNT=4",
		"EXDATE;TZID=Europe/Zurich:20240112T100000",
		"CLASS:CONFIDENTIAL",
		"TRANSP:OPAQUE",
		"STATUS:CONFIRMED",
		"SEQUENCE:2",
		"LAST-MODIFIED:20240101T000000Z",
		"SUMMARY:Busy",
	))))

	master := func(extra ...string) []string {
		return vevent(append([]string{"UID:r1", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T100000Z",
			"DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=10", "SUMMARY:Standup"}, extra...)...)
	}
	override := func(extra ...string) []string {
		return vevent(append([]string{"UID:r1", "DTSTAMP:20240101T000000Z", "RECURRENCE-ID:20240103T100000Z",
			"DTSTART:20240103T120000Z", "DURATION:PT1H", "SUMMARY:Standup (moved)"}, extra...)...)
	}

	tests := []struct {
		name    string
		in      []byte
		want    []byte // nil: unchanged, or invisible when invisible is set
		hidden  bool
		noParse bool // the input is not a valid object, on purpose
	}{
		{name: "no CLASS", in: crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "SUMMARY:Lunch"))...)},
		{name: "CLASS:PUBLIC", in: crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "CLASS:PUBLIC"))...)},
		{name: "CLASS public, lower case, blanks, params, folded", in: crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z",
			`cla`, ` ss;X-P="a:b": pub`, ` lic `))...)},
		{name: "PRIVATE", in: crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "SUMMARY:Doctor", "CLASS:PRIVATE"))...), hidden: true},
		{name: "lower-case class:private", in: crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "class:private"))...), hidden: true},
		{name: "CLASS name folded", in: crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "CL", " ASS:PRI", "\tVATE"))...), hidden: true},
		{name: "x-name class is private", in: crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "CLASS:X-SECRET"))...), hidden: true},
		{name: "unknown iana class is private", in: crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "CLASS:INTERNAL"))...), hidden: true},
		{name: "empty class is private", in: crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "CLASS:"))...), hidden: true},
		{name: "most restrictive CLASS wins", in: crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "CLASS:PUBLIC", "CLASS:PRIVATE"))...), hidden: true},
		{name: "CLASS in VALARM ignored", in: crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z",
			"BEGIN:VALARM", "ACTION:DISPLAY", "CLASS:PRIVATE", "TRIGGER:-PT5M", "END:VALARM"))...)},
		{name: "CLASS at calendar level ignored", in: crlf(vcal(concat([]string{"CLASS:PRIVATE"},
			vevent("UID:1", "DTSTART:20240101T100000Z")))...)},
		{name: "CLASS in VTIMEZONE ignored", in: crlf(vcal(concat([]string{"BEGIN:VTIMEZONE", "TZID:X", "CLASS:PRIVATE",
			"BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE"},
			vevent("UID:1", "DTSTART;TZID=X:20240101T100000")))...)},
		{name: "CLASSIFICATION is not CLASS", in: crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "X-CLASS:PRIVATE", "CLASSX:PRIVATE"))...)},
		{
			name: "PRIVATE master takes its public override along",
			in:   crlf(vcal(concat(master("CLASS:PRIVATE"), override()))...), hidden: true,
		},
		{
			name: "PRIVATE override of a public master",
			in:   crlf(vcal(concat(master(), override("CLASS:PRIVATE")))...),
			want: folded(vcal(master())...),
		},
		{
			name: "CONFIDENTIAL master makes its override busy",
			in:   crlf(vcal(concat(master("CLASS:CONFIDENTIAL"), override("LOCATION:Cafe")))...),
			want: folded(vcal(concat(
				vevent("UID:r1", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T100000Z", "DURATION:PT1H",
					"RRULE:FREQ=DAILY;COUNT=10", "CLASS:CONFIDENTIAL", "SUMMARY:Busy"),
				vevent("UID:r1", "DTSTAMP:20240101T000000Z", "RECURRENCE-ID:20240103T100000Z",
					"DTSTART:20240103T120000Z", "DURATION:PT1H", "SUMMARY:Busy"),
			))...),
		},
		{
			name: "PRIVATE override of a CONFIDENTIAL master",
			in:   crlf(vcal(concat(master("CLASS:CONFIDENTIAL"), override("CLASS:PRIVATE")))...),
			want: folded(vcal(vevent("UID:r1", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T100000Z", "DURATION:PT1H",
				"RRULE:FREQ=DAILY;COUNT=10", "CLASS:CONFIDENTIAL", "SUMMARY:Busy"))...),
		},
		{name: "CONFIDENTIAL busy form", in: crlf(confidentialEvent...), want: folded(confidentialBusy...)},
		{
			name: "CONFIDENTIAL VTODO",
			in: crlf(vcal(concat([]string{"BEGIN:VTODO"}, []string{
				"UID:t1", "DTSTAMP:20240101T000000Z", "DTSTART;VALUE=DATE:20240101", "DUE;VALUE=DATE:20240110",
				"SUMMARY:Prepare layoffs", "PERCENT-COMPLETE:40", "PRIORITY:1", "STATUS:IN-PROCESS",
				"CLASS:Confidential", "CATEGORIES:HR", "END:VTODO"}))...),
			want: folded(vcal(concat([]string{"BEGIN:VTODO"}, []string{
				"UID:t1", "DTSTAMP:20240101T000000Z", "DTSTART;VALUE=DATE:20240101", "DUE;VALUE=DATE:20240110",
				"STATUS:IN-PROCESS", "CLASS:Confidential", "SUMMARY:Busy", "END:VTODO"}))...),
		},
		{
			name: "CONFIDENTIAL VFREEBUSY gets no SUMMARY",
			in: crlf(vcal([]string{"BEGIN:VFREEBUSY", "UID:f1", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T000000Z",
				"DTEND:20240102T000000Z", "FREEBUSY:20240101T100000Z/PT1H", "CONTACT:Me", "CLASS:CONFIDENTIAL", "END:VFREEBUSY"})...),
			want: folded(vcal([]string{"BEGIN:VFREEBUSY", "UID:f1", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T000000Z",
				"DTEND:20240102T000000Z", "FREEBUSY:20240101T100000Z/PT1H", "CLASS:CONFIDENTIAL", "END:VFREEBUSY"})...),
		},
		{
			name: "folded long lines: dropped and re-folded",
			in: crlf(concat(vcal(concat(
				vevent(concat([]string{"UID:r1", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T100000Z",
					"RRULE:FREQ=DAILY;COUNT=10", "CLASS:CONFIDENTIAL"}, fold("DESCRIPTION:"+longText), fold("X-ALT-DESC;FMTTYPE=text/html:<p>"+longText+"</p>"))...),
				vevent(concat([]string{"UID:r1", "RECURRENCE-ID:20240103T100000Z", "DTSTART:20240103T100000Z", "CLASS:PRIVATE"},
					fold("DESCRIPTION:"+longText))...),
				vevent(concat([]string{"UID:r1", "RECURRENCE-ID:20240104T100000Z", "DTSTART:20240104T100000Z", "CLASS:CONFIDENTIAL"},
					fold("COMMENT:"+longText))...),
			)))...),
			want: folded(vcal(concat(
				vevent("UID:r1", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=10", "CLASS:CONFIDENTIAL", "SUMMARY:Busy"),
				vevent("UID:r1", "RECURRENCE-ID:20240104T100000Z", "DTSTART:20240104T100000Z", "CLASS:CONFIDENTIAL", "SUMMARY:Busy"),
			))...),
		},
		{
			name: "public component keeps long lines, re-folded at 75",
			in: crlf(vcal(concat(
				vevent(concat([]string{"UID:r1", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=10"},
					fold("DESCRIPTION:"+longText))...),
				vevent("UID:r1", "RECURRENCE-ID:20240103T100000Z", "DTSTART:20240103T100000Z", "CLASS:PRIVATE"),
			))...),
			want: folded(vcal(vevent("UID:r1", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=10",
				"DESCRIPTION:"+longText))...),
		},
		{
			name: "LF line ends",
			in:   []byte(strings.Join(vcal(concat(master(), override("CLASS:PRIVATE"))), "\n") + "\n"),
			want: folded(vcal(master())...),
		},
		{
			name: "not line-parseable: returned as is", noParse: true,
			in: crlf("BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:1", "CLASS:PRIVATE", "END:VTODO", "END:VCALENDAR"),
		},
		{
			name: "not line-parseable: unterminated", noParse: true,
			in: crlf("BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:1", "CLASS:PRIVATE", "END:VEVENT"),
		},
		{
			name: "not line-parseable: data after the calendar", noParse: true,
			in: crlf(append(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "CLASS:PRIVATE")), "X:y")...),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.noParse {
				if _, err := ical.ValidateObject(tt.in); err != nil {
					t.Fatalf("test input is not a valid object: %v", err)
				}
			}
			out, visible, changed := ical.Redact(tt.in)
			switch {
			case tt.hidden:
				if visible || !changed || out != nil {
					t.Fatalf("got visible=%v changed=%v out=%q, want hidden", visible, changed, out)
				}
				return
			case tt.want == nil:
				if !visible || changed || len(out) != len(tt.in) || &out[0] != &tt.in[0] {
					t.Fatalf("got visible=%v changed=%v out=%q, want the input itself", visible, changed, out)
				}
				return
			}
			if !visible || !changed {
				t.Fatalf("visible=%v changed=%v, want both", visible, changed)
			}
			if !bytes.Equal(out, tt.want) {
				t.Fatalf("got\n%s\nwant\n%s", out, tt.want)
			}
			checkRedacted(t, out)
			if _, err := ical.ValidateObject(out); err != nil {
				t.Fatalf("output does not validate: %v\n%s", err, out)
			}
			// Redacting again changes nothing.
			if again, visible, changed := ical.Redact(out); !visible || changed || &again[0] != &out[0] {
				t.Fatalf("second Redact: visible=%v changed=%v", visible, changed)
			}
		})
	}
}

// TestRedact_RealWorld runs real clients' objects: Thunderbird's private
// series disappears, CLASS:PUBLIC ones come back as stored.
func TestRedact_RealWorld(t *testing.T) {
	files, err := filepath.Glob("testdata/realworld/*.ics")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test data: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, visible, changed := ical.Redact(data)
		private := bytes.Contains(data, []byte("CLASS:PRIVATE"))
		if private {
			if visible || !changed || out != nil {
				t.Errorf("%s: visible=%v changed=%v, want hidden", f, visible, changed)
			}
			continue
		}
		if !visible || changed || &out[0] != &data[0] {
			t.Errorf("%s: visible=%v changed=%v, want unchanged", f, visible, changed)
		}
	}
}

// checkRedacted parses a Redact output and checks that every component
// left is public or in busy form, and that lines are CRLF-ended and
// folded at 75 octets.
func checkRedacted(t *testing.T, out []byte) {
	t.Helper()
	for _, l := range bytes.SplitAfter(out, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		if !bytes.HasSuffix(l, []byte("\r\n")) || len(l)-2 > contentline.MaxOctets {
			t.Fatalf("bad physical line %q", l)
		}
	}
	cal, err := ical.Parse(out)
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, out)
	}
	checkCalendar(t, cal)
}

var busyTestProps = map[string]bool{
	"UID": true, "DTSTAMP": true, "DTSTART": true, "DTEND": true, "DURATION": true, "DUE": true,
	"RRULE": true, "RDATE": true, "EXDATE": true, "RECURRENCE-ID": true, "SEQUENCE": true,
	"STATUS": true, "TRANSP": true, "CLASS": true, "CREATED": true, "LAST-MODIFIED": true,
	"FREEBUSY": true, "SUMMARY": true,
}

// testClass classifies a CLASS value independently of the package.
func testClass(c *goical.Component) string {
	class := "PUBLIC"
	for _, p := range c.Props["CLASS"] {
		switch v := strings.TrimSpace(p.Value); {
		case asciiFold(v, "PUBLIC"):
		case asciiFold(v, "CONFIDENTIAL"):
			if class == "PUBLIC" {
				class = "CONFIDENTIAL"
			}
		default:
			class = "PRIVATE"
		}
	}
	return class
}

func asciiFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		a, b := s[i], t[i]
		if 'a' <= a && a <= 'z' {
			a -= 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// checkCalendar checks what a sharee is shown: no private component, no
// override of a private or confidential master shown in full, confidential
// ones only in busy form.
func checkCalendar(t *testing.T, cal *goical.Calendar) {
	t.Helper()
	masters := map[string]string{}
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone && c.Props.Get("RECURRENCE-ID") == nil {
			uid := ""
			if p := c.Props.Get("UID"); p != nil {
				uid = p.Value
			}
			masters[uid] = testClass(c)
		}
	}
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			continue
		}
		class := testClass(c)
		uid := ""
		if p := c.Props.Get("UID"); p != nil {
			uid = p.Value
		}
		if m := masters[uid]; c.Props.Get("RECURRENCE-ID") != nil && m != "PUBLIC" && m != "" {
			if m == "PRIVATE" {
				t.Fatalf("override of a private master shown")
			}
			class = m
		}
		switch class {
		case "PRIVATE":
			t.Fatalf("private %s shown", c.Name)
		case "CONFIDENTIAL":
			if len(c.Children) > 0 {
				t.Fatalf("confidential %s keeps subcomponents", c.Name)
			}
			for name, ps := range c.Props {
				if !busyTestProps[name] {
					t.Fatalf("confidential %s keeps %s", c.Name, name)
				}
				if name == "SUMMARY" && (len(ps) != 1 || ps[0].Value != "Busy") {
					t.Fatalf("confidential %s has SUMMARY %v", c.Name, ps)
				}
			}
		}
	}
}

var redactSeeds = [][]byte{
	crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "CLASS:PRIVATE"))...),
	crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "CLASS:CONFIDENTIAL", "SUMMARY:x",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT5M", "END:VALARM"))...),
	crlf(vcal(concat(
		vevent("UID:1", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY", "CLASS:PUBLIC"),
		vevent("UID:1", "RECURRENCE-ID:20240102T100000Z", "DTSTART:20240102T100000Z", "CLASS:PRIVATE"),
	))...),
	crlf(vcal(concat(
		vevent("UID:1", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY", "CLASS:CONFIDENTIAL"),
		vevent("UID:1", "RECURRENCE-ID:20240102T100000Z", "DTSTART:20240102T100000Z", "LOCATION:x"),
	))...),
	crlf(vcal(concat(redactTZ, vevent("UID:1", "DTSTART;TZID=Europe/Zurich:20240101T100000", "cl", " ass;X=\"a:b\":con", " fidential")))...),
	crlf(vcal([]string{"BEGIN:VTODO", "UID:1", "CLASS:X-SECRET", "END:VTODO"})...),
	crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "BEGIN:VALARM", "CLASS:PRIVATE", "END:VALARM"))...),
	[]byte("BEGIN:VCALENDAR\nBEGIN:VEVENT\nCLASS:PRIVATE\nEND:VEVENT\nEND:VCALENDAR\r"),
	crlf("BEGIN:VCALENDAR", "CLASS:PRIVATE", "END:VCALENDAR"),
}

// FuzzRedact: Redact never panics; unchanged output is the input itself;
// and for input Parse accepts, the output parses too, shows no private
// component and confidential ones only in busy form, and redacting it
// again changes nothing.
func FuzzRedact(f *testing.F) {
	for _, s := range redactSeeds {
		f.Add(s)
	}
	files, _ := filepath.Glob("testdata/realworld/*.ics")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, visible, changed := ical.Redact(data)
		switch {
		case !changed:
			if !visible || len(out) != len(data) || len(data) > 0 && &out[0] != &data[0] {
				t.Fatalf("unchanged but visible=%v, out is not data", visible)
			}
		case !visible:
			if out != nil {
				t.Fatalf("invisible with output %q", out)
			}
		case bytes.Equal(out, data):
			t.Fatalf("changed but equal")
		}
		cal, err := ical.Parse(data)
		if err != nil {
			return
		}
		if !visible {
			return
		}
		if changed {
			if cal, err = ical.Parse(out); err != nil {
				t.Fatalf("input parses, output does not: %v\n%q\n%q", err, data, out)
			}
		}
		checkCalendar(t, cal)
		if again, visible, changed := ical.Redact(out); !visible || changed || len(again) != len(out) {
			t.Fatalf("second Redact: visible=%v changed=%v\n%q\n%q", visible, changed, out, again)
		}
	})
}

func BenchmarkRedact(b *testing.B) {
	plain := crlf(vcal(concat(redactTZ, vevent(
		"UID:b1", "DTSTAMP:20240101T000000Z", "DTSTART;TZID=Europe/Zurich:20240105T100000",
		"DTEND;TZID=Europe/Zurich:20240105T110000", "SUMMARY:Team meeting", "LOCATION:Room 3",
		"DESCRIPTION:"+longText[:60], "ORGANIZER;CN=Boss:mailto:boss@example.com",
		"ATTENDEE;CN=Me;PARTSTAT=ACCEPTED:mailto:me@example.com",
		"ATTENDEE;CN=You;PARTSTAT=NEEDS-ACTION:mailto:you@example.com",
		"RRULE:FREQ=WEEKLY;COUNT=40", "SEQUENCE:2", "TRANSP:OPAQUE",
		"BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Reminder", "TRIGGER:-PT15M", "END:VALARM",
	)))...)
	withClass := func(class string) []byte {
		return bytes.Replace(plain, []byte("SEQUENCE:2\r\n"), []byte("SEQUENCE:2\r\nCLASS:"+class+"\r\n"), 1)
	}
	for _, bc := range []struct {
		name string
		data []byte
	}{
		{"NoClass", plain},
		{"Public", withClass("PUBLIC")},
		{"Confidential", withClass("CONFIDENTIAL")},
		{"Private", withClass("PRIVATE")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.data)))
			b.ReportAllocs()
			for b.Loop() {
				ical.Redact(bc.data)
			}
		})
	}
}
