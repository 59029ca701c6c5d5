package ical

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	goical "github.com/emersion/go-ical"
)

// ics joins lines with CRLF, as RFC 5545 3.1 writes them.
func ics(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// event wraps VEVENT body lines into a minimal calendar object.
func event(body ...string) []byte {
	lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VEVENT"}
	lines = append(lines, body...)
	lines = append(lines, "END:VEVENT", "END:VCALENDAR")
	return ics(lines...)
}

// goicalDecode runs go-ical's own decoder, turning its panics into errors.
func goicalDecode(data []byte) (cal *goical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, errors.New("panic")
		}
	}()
	return goical.NewDecoder(bytes.NewReader(data)).Decode()
}

func TestParse_Valid(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"crlf", event("UID:1", "DTSTART:20240101T100000Z")},
		{"lf only", []byte("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nEND:VEVENT\nEND:VCALENDAR\n")},
		{"no final newline", []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR")},
		{"final CR without LF", []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r")},
		{"trailing blank lines", []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n\r\n  \r\n\t\n")},
		{"empty lines inside", []byte("BEGIN:VCALENDAR\r\n\r\nX-A:b\r\n\r\nEND:VCALENDAR\r\n")},
		{"lower-case names", []byte("begin:vcalendar\r\nx-a;tzid=x:b\r\nend:VCALENDAR\r\n")},
		{"folded with space and tab", ics("BEGIN:VCALENDAR", "X-LONG:abc", " def", "\tghi", "END:VCALENDAR")},
		{"quoted params", ics("BEGIN:VCALENDAR", `X-A;P="a:b;c,d";Q=x,"y",z:value:with:colons`, "END:VCALENDAR")},
		{"empty param value", ics("BEGIN:VCALENDAR", "X-A;P=:v", "END:VCALENDAR")},
		{"repeated param", ics("BEGIN:VCALENDAR", "X-A;P=a;P=b:v", "END:VCALENDAR")},
		{"non-ascii", ics("BEGIN:VCALENDAR", "X-A;CN=Zoë:Grüße 🎉", "END:VCALENDAR")},
		{"BOM inside a value", ics("BEGIN:VCALENDAR", "X-A:\uFEFFx", "END:VCALENDAR")},
		{"nesting", ics("BEGIN:VCALENDAR", "BEGIN:VEVENT", "BEGIN:VALARM", "ACTION:DISPLAY", "END:VALARM", "END:VEVENT", "END:VCALENDAR")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal, err := Parse(tt.data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if cal.Name != "VCALENDAR" {
				t.Fatalf("root %q", cal.Name)
			}
			// Where go-ical decodes the same bytes, we must agree with it.
			if want, err := goicalDecode(tt.data); err == nil && !reflect.DeepEqual(cal, want) {
				t.Errorf("differs from go-ical:\n got %#v\nwant %#v", cal.Component, want.Component)
			}
		})
	}
}

func TestParse_Model(t *testing.T) {
	cal, err := Parse(ics("BEGIN:VCALENDAR", `X-A;P="a:b;c,d";Q=x,"y",z:value:with:colons`, "X-LONG:abc", " def", "BEGIN:VEVENT", "END:VEVENT", "END:VCALENDAR"))
	if err != nil {
		t.Fatal(err)
	}
	p := cal.Props.Get("X-A")
	if p.Value != "value:with:colons" {
		t.Errorf("value %q", p.Value)
	}
	if got := p.Params["P"]; !reflect.DeepEqual(got, []string{"a:b;c,d"}) {
		t.Errorf("P = %q", got)
	}
	if got := p.Params["Q"]; !reflect.DeepEqual(got, []string{"x", "y", "z"}) {
		t.Errorf("Q = %q", got)
	}
	if got := cal.Props.Get("X-LONG").Value; got != "abcdef" {
		t.Errorf("unfolded %q", got)
	}
	if len(cal.Children) != 1 || cal.Children[0].Name != "VEVENT" {
		t.Errorf("children %v", cal.Children)
	}
}

func TestParse_Invalid(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		reason string // substring of the reason
	}{
		{"invalid utf-8", ics("BEGIN:VCALENDAR", "X-A:\xff\xfe", "END:VCALENDAR"), "line 2: calendar data is not valid UTF-8"},
		{"empty", nil, "empty"},
		{"only whitespace", []byte(" \r\n\r\n"), "empty"},
		{"not a calendar", ics("BEGIN:VCARD", "END:VCARD"), "must start with BEGIN:VCALENDAR"},
		{"property before BEGIN", ics("VERSION:2.0", "BEGIN:VCALENDAR", "END:VCALENDAR"), "must start with BEGIN:VCALENDAR"},
		{"two calendars", ics("BEGIN:VCALENDAR", "END:VCALENDAR", "BEGIN:VCALENDAR", "END:VCALENDAR"), "line 3: data after END:VCALENDAR"},
		{"junk after end", ics("BEGIN:VCALENDAR", "END:VCALENDAR", "", "x"), "line 4: data after END:VCALENDAR"},
		{"missing end", ics("BEGIN:VCALENDAR", "BEGIN:VEVENT", "END:VEVENT"), "ends before END:VCALENDAR"},
		{"mismatched end", ics("BEGIN:VCALENDAR", "BEGIN:VEVENT", "END:VTODO", "END:VCALENDAR"), `line 3: END:"VTODO" does not close BEGIN:VEVENT`},
		{"no colon", ics("BEGIN:VCALENDAR", "SUMMARY hello", "END:VCALENDAR"), "line 2: content line \"SUMMARY hello\" has no colon"},
		{"empty name", ics("BEGIN:VCALENDAR", ":x", "END:VCALENDAR"), "invalid property name"},
		{"space in name", ics("BEGIN:VCALENDAR", "DTSTART :x", "END:VCALENDAR"), "invalid property name"},
		{"bad component name", ics("BEGIN:VCALENDAR", "BEGIN:V EVENT", "END:V EVENT", "END:VCALENDAR"), "invalid component name"},
		{"params on BEGIN", ics("BEGIN:VCALENDAR", "BEGIN;X=y:VEVENT", "END:VEVENT", "END:VCALENDAR"), "BEGIN must not have parameters"},
		{"control char", ics("BEGIN:VCALENDAR", "X-A:a\x00b", "END:VCALENDAR"), "control character"},
		{"lone CR", ics("BEGIN:VCALENDAR", "X-A:a\rb", "END:VCALENDAR"), "control character"},
		{"param without equals", ics("BEGIN:VCALENDAR", "X-A;P:v", "END:VCALENDAR"), `parameter without "="`},
		{"param empty name", ics("BEGIN:VCALENDAR", "X-A;=a:v", "END:VCALENDAR"), "invalid parameter name"},
		{"unterminated quote", ics("BEGIN:VCALENDAR", `X-A;P="abc:v`, "END:VCALENDAR"), "unterminated quoted string"},
		{"quote inside unquoted", ics("BEGIN:VCALENDAR", `X-A;P=a"b":v`, "END:VCALENDAR"), "double quote inside an unquoted value"},
		// The next five lines make go-ical's decoder panic.
		{"go-ical panic: line ends after P=", ics("BEGIN:VCALENDAR", "X-A;P=", "END:VCALENDAR"), "line 2: property X-A: line ends inside parameter P"},
		{"go-ical panic: line ends after value", ics("BEGIN:VCALENDAR", "0;0=", "END:VCALENDAR"), "line ends inside parameter 0"},
		{"go-ical panic: line ends after comma", ics("BEGIN:VCALENDAR", "X-A;P=a,", "END:VCALENDAR"), "line ends inside parameter P"},
		{"go-ical panic: line ends after quote", ics("BEGIN:VCALENDAR", `X-A;P="a"`, "END:VCALENDAR"), "line ends inside parameter P"},
		{"go-ical panic: text after quote", ics("BEGIN:VCALENDAR", `X-A;P="a"b:v`, "END:VCALENDAR"), `unexpected 'b' after a quoted value`},
		{"too deep", ics(append(append([]string{"BEGIN:VCALENDAR"}, repeat("BEGIN:X", 20)...), "END:VCALENDAR")...), "nest more than 16 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.data)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse error = %v, want *ValidationError", err)
			}
			if ve.Kind != InvalidData {
				t.Errorf("kind %v", ve.Kind)
			}
			if !strings.Contains(ve.Reason, tt.reason) {
				t.Errorf("reason %q, want it to contain %q", ve.Reason, tt.reason)
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestParse_MaxSize(t *testing.T) {
	defer func(old int) { MaxSize = old }(MaxSize)
	data := event("UID:1", "DTSTART:20240101T100000Z")
	MaxSize = len(data) - 1
	_, err := Parse(data)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Kind != TooLarge || ve.Kind.Precondition() != "max-resource-size" {
		t.Fatalf("err = %v", err)
	}
	MaxSize = len(data)
	if _, err := Parse(data); err != nil {
		t.Fatal(err)
	}
	MaxSize = 0
	if _, err := Parse(data); err != nil {
		t.Fatal(err)
	}
}

// TestParse_LongParameter checks a parameter go-ical decodes in
// quadratic time (~20 s for this line); BenchmarkParse_LongParameter
// measures ours.
func TestParse_LongParameter(t *testing.T) {
	data := ics("BEGIN:VCALENDAR", "X-A;P="+strings.Repeat("a", 300000)+":v", "END:VCALENDAR")
	cal, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cal.Props.Get("X-A").Params.Get("P")); n != 300000 {
		t.Errorf("param length %d", n)
	}
}

func TestParse_ReasonQuotesSafely(t *testing.T) {
	_, err := Parse(ics("BEGIN:VCALENDAR", "BEGIN:VEVENT", "END:"+strings.Repeat("x", 500), "END:VCALENDAR"))
	if err == nil || len(err.Error()) > 200 {
		t.Fatalf("reason not cut short: %v", err)
	}
}

func BenchmarkParse_LongParameter(b *testing.B) {
	data := ics("BEGIN:VCALENDAR", "X-A;P="+strings.Repeat("a", 300000)+":v", "END:VCALENDAR")
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
