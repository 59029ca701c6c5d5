package ical

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	goical "github.com/emersion/go-ical"

	"almanac/internal/contentline"
)

// checkFolded verifies the RFC 5545 3.1 shape of written data: CRLF line
// ends only, physical lines of at most 75 octets, every one valid UTF-8
// on its own (no sequence split by a fold).
func checkFolded(t *testing.T, out []byte) {
	t.Helper()
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		t.Fatalf("output does not end in CRLF: %q", out)
	}
	for i, l := range strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n") {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Fatalf("line %d is %d octets: %q", i+1, len(l), l)
		}
		if utf8.Valid(out) && !utf8.ValidString(l) {
			t.Fatalf("line %d splits a UTF-8 sequence: %q", i+1, l)
		}
	}
}

func TestFolding_Folding(t *testing.T) {
	a74 := strings.Repeat("a", 74)
	tests := []struct {
		name string
		line string
		want string
	}{
		{"short", "SUMMARY:x", "SUMMARY:x\r\n"},
		{"exactly 75", strings.Repeat("a", 75), strings.Repeat("a", 75) + "\r\n"},
		{"76", strings.Repeat("a", 76), strings.Repeat("a", 75) + "\r\n a\r\n"},
		// Continuation lines hold 74 octets after their space.
		{"three lines", strings.Repeat("a", 75+74+1), strings.Repeat("a", 75) + "\r\n " + a74 + "\r\n a\r\n"},
		// "é" is 2 octets starting at offset 74: it does not fit, so
		// the first line has 74 octets.
		{"two-byte at the boundary", a74 + "é" + "b", a74 + "\r\n éb\r\n"},
		// "€" is 3 octets at 73..75: cut before it.
		{"three-byte across the boundary", strings.Repeat("a", 73) + "€b", strings.Repeat("a", 73) + "\r\n €b\r\n"},
		// "😀" is 4 octets at 72..75: fits exactly.
		{"four-byte ending at 75", strings.Repeat("a", 71) + "😀" + "b", strings.Repeat("a", 71) + "😀\r\n b\r\n"},
		{"four-byte across", strings.Repeat("a", 72) + "😀", strings.Repeat("a", 72) + "\r\n 😀\r\n"},
		// A value that starts with a space keeps it: unfolding removes
		// only the one space the fold added.
		{"space after fold", strings.Repeat("a", 75) + " x", strings.Repeat("a", 75) + "\r\n  x\r\n"},
		{"empty", "", "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(contentline.AppendFolded(nil, tt.line))
			if got != tt.want {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
			checkFolded(t, []byte(got))
			// Unfolding gives the line back.
			if un := strings.ReplaceAll(strings.TrimSuffix(got, "\r\n"), "\r\n ", ""); un != tt.line {
				t.Fatalf("unfolds to %q", un)
			}
		})
	}
}

func TestFolding_MultiByteRuns(t *testing.T) {
	// Every offset of every width across the fold points.
	for _, r := range []string{"é", "€", "😀"} {
		for pad := 0; pad < 8; pad++ {
			line := "X-T:" + strings.Repeat("a", pad) + strings.Repeat(r, 120)
			out := contentline.AppendFolded(nil, line)
			checkFolded(t, out)
			if un := strings.ReplaceAll(strings.TrimSuffix(string(out), "\r\n"), "\r\n ", ""); un != line {
				t.Fatalf("%s pad %d: unfolds to %q", r, pad, un)
			}
		}
	}
}

func TestFormatProp_Quoting(t *testing.T) {
	tests := []struct {
		name string
		prop goical.Prop
		want string
	}{
		{"plain", goical.Prop{Name: "SUMMARY", Params: goical.Params{}, Value: "Lunch"}, "SUMMARY:Lunch"},
		{"params sorted", goical.Prop{Name: "ATTENDEE", Params: goical.Params{"ROLE": {"CHAIR"}, "CN": {"Ann"}}, Value: "mailto:a@x"},
			"ATTENDEE;CN=Ann;ROLE=CHAIR:mailto:a@x"},
		{"colon quoted", goical.Prop{Name: "X", Params: goical.Params{"ALTREP": {"cid:x@y"}}, Value: "v"}, `X;ALTREP="cid:x@y":v`},
		{"semicolon and comma quoted", goical.Prop{Name: "X", Params: goical.Params{"CN": {"Doe; John", "a,b"}}, Value: "v"},
			`X;CN="Doe; John","a,b":v`},
		{"list unquoted", goical.Prop{Name: "X", Params: goical.Params{"MEMBER": {"a", "b"}}, Value: "v"}, "X;MEMBER=a,b:v"},
		{"empty param", goical.Prop{Name: "X", Params: goical.Params{"P": {""}}, Value: "v"}, "X;P=:v"},
		{"dquote caret-escaped", goical.Prop{Name: "X", Params: goical.Params{"CN": {`The "Boss"`}}, Value: "v"}, "X;CN=The ^'Boss^':v"},
		{"newline in param", goical.Prop{Name: "X", Params: goical.Params{"CN": {"a\nb"}}, Value: "v"}, "X;CN=a^nb:v"},
		{"newline in value", goical.Prop{Name: "DESCRIPTION", Params: goical.Params{}, Value: "a\r\nb\nc"}, `DESCRIPTION:a\nb\nc`},
		{"controls dropped", goical.Prop{Name: "X", Params: goical.Params{}, Value: "a\x00b\x7Fc\td"}, "X:abc\td"},
		{"empty value", goical.Prop{Name: "X", Params: goical.Params{}, Value: ""}, "X:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatProp(&tt.prop); got != tt.want {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestEncode_RoundTrip(t *testing.T) {
	long := strings.Repeat("Grüße aus Zürich, ", 20)
	data := ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN",
		"BEGIN:VEVENT", "UID:1", "DTSTART;TZID=Europe/Zurich:20260310T100000",
		"SUMMARY:"+long,
		`ATTENDEE;CN="Doe, Jane";PARTSTAT=ACCEPTED:mailto:jane@example.com`,
		`X-P;A="x:y";B=1,"2;3":v`,
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT5M", "END:VALARM",
		"END:VEVENT", "END:VCALENDAR")
	cal, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	out := Encode(cal)
	checkFolded(t, out)
	back, err := Parse(out)
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(cal, back) {
		t.Fatalf("round trip differs:\n%s", out)
	}
}

func TestParseTree(t *testing.T) {
	data := ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN",
		"BEGIN:VTIMEZONE", "TZID:X", "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE",
		"begin:vevent", "uid:1", "SUMMARY:a long", " folded line", "DTSTART;TZID=X:20260310T100000", "ATTENDEE;CN=\"A, B\":mailto:a@x", "END:VEVENT",
		"END:VCALENDAR")
	cal, root, err := ParseTree(data)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Parse(data)
	if !reflect.DeepEqual(cal, want) {
		t.Fatal("calendar differs from Parse")
	}
	if root.Comp != cal.Component || len(root.Children) != 2 {
		t.Fatalf("root %+v", root)
	}
	tz, ev := root.Children[0], root.Children[1]
	if tz.Comp != cal.Children[0] || ev.Comp != cal.Children[1] || tz.Children[0].Comp != cal.Children[0].Children[0] {
		t.Fatal("nodes not paired with their components")
	}
	var names, raws []string
	for _, l := range ev.Lines {
		names = append(names, l.Prop.Name)
		raws = append(raws, l.Raw)
	}
	if got := strings.Join(names, ","); got != "UID,SUMMARY,DTSTART,ATTENDEE" {
		t.Fatalf("order %s", got)
	}
	if raws[0] != "uid:1" || raws[1] != "SUMMARY:a longfolded line" || raws[3] != `ATTENDEE;CN="A, B":mailto:a@x` {
		t.Fatalf("raw lines %q", raws)
	}
	if nv := ev.Lines[3].NoValue(); nv != `ATTENDEE;CN="A, B":` {
		t.Fatalf("NoValue %q", nv)
	}
	out := root.Append(nil)
	wantOut := ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN",
		"BEGIN:VTIMEZONE", "TZID:X", "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE",
		"BEGIN:VEVENT", "uid:1", "SUMMARY:a longfolded line", "DTSTART;TZID=X:20260310T100000", "ATTENDEE;CN=\"A, B\":mailto:a@x", "END:VEVENT",
		"END:VCALENDAR")
	if !bytes.Equal(out, wantOut) {
		t.Fatalf("Append:\n%s\nwant\n%s", out, wantOut)
	}
	if _, _, err := ParseTree([]byte("BEGIN:VCALENDAR\r\n")); err == nil {
		t.Fatal("ParseTree accepted a truncated calendar")
	}
}

// FuzzWrite: whatever Parse accepts, Encode writes in RFC 5545 form (CRLF,
// folded at 75 octets on character boundaries) and Parse reads back to
// the same calendar; so does a Node tree written with Append.
func FuzzWrite(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add(ics("BEGIN:VCALENDAR", "X-L:"+strings.Repeat("ü", 100), `X-Q;P="a""b":v`, "END:VCALENDAR"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cal, root, err := ParseTree(data)
		if err != nil {
			return
		}
		for _, out := range [][]byte{Encode(cal), root.Append(nil)} {
			checkFolded(t, out)
			back, err := Parse(out)
			if err != nil {
				t.Fatalf("written calendar does not parse: %v\n%q", err, out)
			}
			if !reflect.DeepEqual(cal, back) {
				t.Fatalf("round trip differs:\n got %#v\nwant %#v\n%q", back.Component, cal.Component, out)
			}
		}
	})
}
