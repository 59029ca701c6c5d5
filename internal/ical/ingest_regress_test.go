package ical

import (
	"reflect"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
)

// Regression tests for real-world defects the parser must tolerate while
// the client's bytes are stored as sent: a byte order mark, DURATION with
// a final "T", bare LF line ends, and RFC 6868 parameter encoding.

const bom = "\uFEFF"

// TestParse_ByteOrderMark: RFC 5545 3.1.4 makes the data UTF-8 and says
// nothing of a BOM; RFC 3629 6 reads a leading U+FEFF as a signature, not
// text. Calendar exports from Outlook and Android start with one, and
// sabre/vobject strips it. Every reader gives the same answer with it as
// without.
func TestParse_ByteOrderMark(t *testing.T) {
	plain := event("UID:bom", "DTSTART:20260310T100000Z", "DURATION:PT1H", "CLASS:PUBLIC")
	withBOM := append([]byte(bom), plain...)

	want, err := Parse(plain)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(withBOM)
	if err != nil {
		t.Fatalf("Parse with a BOM: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse with a BOM = %#v, want %#v", got.Component, want.Component)
	}
	info, err := ValidateObject(withBOM)
	if err != nil || info.UID != "bom" || info.Component != "VEVENT" {
		t.Fatalf("ValidateObject with a BOM = %+v, %v", info, err)
	}
	_, root, err := ParseTree(withBOM)
	if err != nil || string(root.Append(nil)) != string(plain) {
		t.Errorf("ParseTree with a BOM wrote %q, %v", root.Append(nil), err)
	}
	o, ok := ReadOutline(withBOM)
	if !ok || len(o.Components) != 1 || o.Components[0].UID != "bom" || o.Lines[0] != "BEGIN:VCALENDAR" {
		t.Errorf("ReadOutline with a BOM = %+v, %v", o, ok)
	}
	// A private event is still recognised as one, so the BOM cannot
	// smuggle it past the privacy policy.
	private := append([]byte(bom), event("UID:p", "DTSTART:20260310T100000Z", "CLASS:PRIVATE")...)
	if _, visible, _ := Redact(private); visible {
		t.Error("Redact shows a private event that starts with a BOM")
	}
}

func TestParse_ByteOrderMarkOnlyLeading(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"two BOMs", append([]byte(bom+bom), event("UID:a", "DTSTART:20260310T100000Z")...)},
		{"BOM before a later line", []byte("BEGIN:VCALENDAR\r\n" + bom + "VERSION:2.0\r\nEND:VCALENDAR\r\n")},
		{"only a BOM", []byte(bom)},
		{"UTF-16 BOM", append([]byte{0xFF, 0xFE}, event("UID:a", "DTSTART:20260310T100000Z")...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse(tc.data); err == nil {
				t.Error("accepted")
			} else if _, ok := err.(*ValidationError); !ok {
				t.Errorf("error of type %T: %v", err, err)
			}
		})
	}
}

// TestParseDuration_TrailingT: RFC 5545 3.3.6 requires a time part after
// "T" (dur-time = "T" (dur-hour / dur-minute / dur-second)); older
// libraries write "P1DT" for one day, and sabre/vobject, Apple's
// pycalendar and python-vobject read it so. "T" alone still says nothing.
func TestParseDuration_TrailingT(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"P1DT", 24 * time.Hour},
		{"p1dt", 24 * time.Hour},
		{"-P1DT", -24 * time.Hour},
		{"+P2DT", 48 * time.Hour},
		{"P2WT", 14 * 24 * time.Hour},
	} {
		if got, err := ParseDuration(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"PT", "-PT", "P1DTT", "P1DT1", "P1DTH", "P1DT1D", "PTD"} {
		if got, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", bad, got)
		}
	}
	// Days stay nominal: P1DT from midnight before a DST change ends at
	// the next midnight (RFC 5545 3.3.6), like P1D.
	zurich, _ := LoadLocation("Europe/Zurich")
	start := time.Date(2026, 3, 29, 0, 0, 0, 0, zurich)
	end, err := AddDuration(start, "P1DT")
	if err != nil || !end.Equal(time.Date(2026, 3, 30, 0, 0, 0, 0, zurich)) {
		t.Errorf("AddDuration(P1DT) = %v, %v", end, err)
	}
}

// TestValidateObject_DurationTrailingT: an event with DURATION:P1DT is
// accepted and lasts a day in queries, expansion and the stored span.
func TestValidateObject_DurationTrailingT(t *testing.T) {
	data := event("UID:d", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T100000Z", "DURATION:P1DT", "RRULE:FREQ=WEEKLY;COUNT=2")
	info, err := ValidateObject(data)
	if err != nil {
		t.Fatalf("ValidateObject: %v", err)
	}
	var ends []time.Time
	if _, err := Instances(info.Calendar, InstanceOptions{}, func(in Instance) bool {
		ends = append(ends, in.End)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{time.Date(2026, 3, 11, 10, 0, 0, 0, time.UTC), time.Date(2026, 3, 18, 10, 0, 0, 0, time.UTC)}
	if len(ends) != 2 || !ends[0].Equal(want[0]) || !ends[1].Equal(want[1]) {
		t.Errorf("instance ends %v, want %v", ends, want)
	}
	_, end, open, ok := Span(info.Calendar)
	if !ok || open || end.Before(want[1]) {
		t.Errorf("Span end %v open %v ok %v, want at or after %v", end, open, ok, want[1])
	}
	for _, bad := range []string{"PT", "P1DT1"} {
		if _, err := ValidateObject(event("UID:d", "DTSTART:20260310T100000Z", "DURATION:"+bad)); err == nil {
			t.Errorf("DURATION:%s accepted", bad)
		}
	}
}

// TestParse_BareLF: RFC 5545 3.1 ends lines with CRLF; a bare LF, which
// scripts and Unix tools write, is read the same way (folds too), as by
// every parser we know.
func TestParse_BareLF(t *testing.T) {
	crlf := event("UID:lf", "DTSTART:20260310T100000Z", "DESCRIPTION:a long", "  folded line", "SUMMARY;CN=\"x:y\":z")
	lf := []byte(strings.ReplaceAll(string(crlf), "\r\n", "\n"))
	want, err := Parse(crlf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(lf)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse of LF data = %v, %v", got, err)
	}
	_, wantRoot, _ := ParseTree(crlf)
	if _, root, err := ParseTree(lf); err != nil || string(root.Append(nil)) != string(wantRoot.Append(nil)) {
		t.Errorf("ParseTree of LF data writes %q, %v; want CRLF lines", root.Append(nil), err)
	}
}

// TestParse_RFC6868: parameter values are decoded (RFC 6868 3) in the
// model every reader uses, and written back encoded.
func TestParse_RFC6868(t *testing.T) {
	data := event("UID:c", "DTSTART:20260310T100000Z",
		`ATTENDEE;CN=George Herman ^'Babe^' Ruth;X-ADDR="Main St.^nSpringfield, ^^1 ^x":mailto:babe@example.com`)
	cal, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	p := cal.Children[0].Props.Get(goical.PropAttendee)
	if got := p.Params.Get(goical.ParamCommonName); got != `George Herman "Babe" Ruth` {
		t.Errorf("CN = %q", got)
	}
	if got := p.Params.Get("X-ADDR"); got != "Main St.\nSpringfield, ^1 ^x" {
		t.Errorf("X-ADDR = %q", got)
	}
	line := FormatProp(p)
	if want := `ATTENDEE;CN=George Herman ^'Babe^' Ruth;X-ADDR="Main St.^nSpringfield, ^^1 ^^x":mailto:babe@example.com`; line != want {
		t.Errorf("FormatProp = %q, want %q", line, want)
	}
	// The written line reads back to the same values.
	again, err := Parse(event("UID:c", "DTSTART:20260310T100000Z", line))
	if err != nil || !reflect.DeepEqual(again.Children[0].Props.Get(goical.PropAttendee).Params, p.Params) {
		t.Errorf("written line reads back as %v, %v", again, err)
	}
	// ParseTree keeps the line as the client wrote it.
	_, root, err := ParseTree(data)
	if err != nil || !strings.Contains(string(root.Append(nil)), "CN=George Herman ^'Babe^' Ruth;") {
		t.Errorf("ParseTree lost the stored spelling: %q, %v", root.Append(nil), err)
	}
}

// TestValidateObject_RFC6868TZID: a TZID parameter names its VTIMEZONE by
// the decoded value (RFC 6868 3, RFC 5545 3.2.19), so an escaped double
// quote or caret in a zone's name resolves.
func TestValidateObject_RFC6868TZID(t *testing.T) {
	zone := []string{"BEGIN:VTIMEZONE", `TZID:Office "HQ" ^1`,
		"BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0200", "END:STANDARD",
		"END:VTIMEZONE"}
	data := object(join(zone, vev("DTSTAMP:20260101T000000Z", "DTSTART;TZID=Office ^'HQ^' ^^1:20260310T100000", "DURATION:PT1H"))...)
	info, err := ValidateObject(data)
	if err != nil {
		t.Fatalf("ValidateObject: %v", err)
	}
	start, _, err := ZonesOf(info.Calendar).DateTime(info.Calendar.Children[1].Props.Get("DTSTART"), nil)
	if err != nil || !start.Equal(time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("DTSTART = %v, %v; want 08:00Z (the VTIMEZONE's +02:00)", start, err)
	}
}

// FuzzParseDuration: ParseDuration never panics, and a final "T" changes
// nothing: a value ending in T is accepted exactly when it is a day or
// week duration without the T, with the same length.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"P1DT", "-P2WT", "PT", "P1DT1H", "P1D", "p1dt", "P1DTT", "PT1H"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, err := ParseDuration(v)
		if !strings.HasSuffix(v, "T") && !strings.HasSuffix(v, "t") {
			if err == nil && (strings.HasSuffix(v, "D") || strings.HasSuffix(v, "W")) {
				if d2, err := ParseDuration(v + "T"); err != nil || d2 != d {
					t.Fatalf("ParseDuration(%q) = %v, but %q = %v, %v", v, d, v+"T", d2, err)
				}
			}
			return
		}
		d2, err2 := ParseDuration(v[:len(v)-1])
		if err == nil && (err2 != nil || d2 != d) {
			t.Fatalf("ParseDuration(%q) = %v, but without the T: %v, %v", v, d, d2, err2)
		}
		if err != nil && err2 == nil && (strings.HasSuffix(v[:len(v)-1], "D") || strings.HasSuffix(v[:len(v)-1], "W")) {
			t.Fatalf("ParseDuration(%q) refused, but %q = %v", v, v[:len(v)-1], d2)
		}
	})
}
