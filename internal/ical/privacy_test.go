package ical_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goical "github.com/emersion/go-ical"

	"almanac/internal/ical"
)

func TestParseClass(t *testing.T) {
	for value, want := range map[string]ical.Class{
		"PUBLIC":        ical.ClassPublic,
		" public\t":     ical.ClassPublic,
		"Confidential":  ical.ClassConfidential,
		"PRIVATE":       ical.ClassPrivate,
		"X-SECRET":      ical.ClassPrivate, // RFC 5545 3.8.1.3: unknown x-name as PRIVATE
		"INTERNAL":      ical.ClassPrivate, // ... and unknown iana-token
		"":              ical.ClassPrivate,
		"PUBLIC,X":      ical.ClassPrivate,
		"publiс":        ical.ClassPrivate, // Cyrillic es: not PUBLIC
		"CONFIDENTIAL ": ical.ClassConfidential,
	} {
		if got := ical.ParseClass(value); got != want {
			t.Errorf("ParseClass(%q) = %d, want %d", value, got, want)
		}
	}
}

// TestViewerSees is the policy, written out: who sees what of which
// class.
func TestViewerSees(t *testing.T) {
	const (
		full, limited, busy, hidden = ical.VisFull, ical.VisLimited, ical.VisBusy, ical.VisHidden
	)
	var zero ical.Viewer
	tests := []struct {
		name   string
		viewer ical.Viewer
		want   [3]ical.Visibility // PUBLIC, CONFIDENTIAL, PRIVATE
	}{
		{"owner, read-write sharee, show_private", ical.ViewerAll, [3]ical.Visibility{full, full, full}},
		{"read-only sharee", ical.ViewerSharee, [3]ical.Visibility{full, busy, hidden}},
		{"full link", ical.ViewerFeedFull, [3]ical.Visibility{full, busy, hidden}},
		{"limited link", ical.ViewerFeedLimited, [3]ical.Visibility{limited, busy, hidden}},
		{"busy link", ical.ViewerFeedBusy, [3]ical.Visibility{busy, busy, hidden}},
		{"zero viewer fails closed", zero, [3]ical.Visibility{hidden, hidden, hidden}},
		{"unknown viewer fails closed", ical.Viewer(200), [3]ical.Visibility{hidden, hidden, hidden}},
	}
	for _, tt := range tests {
		for i, class := range []ical.Class{ical.ClassPublic, ical.ClassConfidential, ical.ClassPrivate} {
			if got := tt.viewer.Sees(class); got != tt.want[i] {
				t.Errorf("%s sees class %d as %d, want %d", tt.name, class, got, tt.want[i])
			}
		}
		if got := tt.viewer.Sees(ical.Class(7)); got != hidden {
			t.Errorf("%s sees an unknown class as %d", tt.name, got)
		}
	}
}

// outlined describes ReadOutline's components as "NAME UID master|override
// class" for comparison.
func outlined(o *ical.Outline) []string {
	var out []string
	for _, c := range o.Components {
		kind := "override"
		if c.Master {
			kind = "master"
		}
		out = append(out, fmt.Sprintf("%s %s %s %s", c.Name, c.UID, kind, className(c.Class)))
	}
	return out
}

func className(c ical.Class) string {
	switch c {
	case ical.ClassPublic:
		return "PUBLIC"
	case ical.ClassConfidential:
		return "CONFIDENTIAL"
	case ical.ClassPrivate:
		return "PRIVATE"
	}
	return fmt.Sprint(int(c))
}

func TestReadOutline(t *testing.T) {
	master := func(extra ...string) []string {
		return vevent(append([]string{"UID:r1", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=10"}, extra...)...)
	}
	override := func(day string, extra ...string) []string {
		return vevent(append([]string{"UID:r1", "RECURRENCE-ID:202401" + day + "T100000Z", "DTSTART:202401" + day + "T120000Z"}, extra...)...)
	}
	tests := []struct {
		name string
		in   []byte
		want []string // nil: not line-parseable
	}{
		{"no CLASS", crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z"))...),
			[]string{"VEVENT 1 master PUBLIC"}},
		{"x-name class", crlf(vcal(vevent("UID:1", "DTSTART:20240101T100000Z", "CLASS:X-SECRET"))...),
			[]string{"VEVENT 1 master PRIVATE"}},
		{"several CLASS: the most restrictive", crlf(vcal(vevent("UID:1", "CLASS:CONFIDENTIAL", "CLASS:PUBLIC"))...),
			[]string{"VEVENT 1 master CONFIDENTIAL"}},
		{"folded CLASS with parameters", crlf(vcal(vevent("UID:1", `cl`, ` ass;X-P="a:b":con`, ` fidential`))...),
			[]string{"VEVENT 1 master CONFIDENTIAL"}},
		{"override without CLASS of a confidential master", crlf(vcal(concat(master("CLASS:CONFIDENTIAL"), override("03")))...),
			[]string{"VEVENT r1 master CONFIDENTIAL", "VEVENT r1 override CONFIDENTIAL"}},
		{"override before its master", crlf(vcal(concat(override("03", "CLASS:PUBLIC"), master("CLASS:CONFIDENTIAL")))...),
			[]string{"VEVENT r1 override CONFIDENTIAL", "VEVENT r1 master CONFIDENTIAL"}},
		{"CLASS:PUBLIC override of a confidential master", crlf(vcal(concat(master("CLASS:CONFIDENTIAL"), override("03", "CLASS:PUBLIC")))...),
			[]string{"VEVENT r1 master CONFIDENTIAL", "VEVENT r1 override CONFIDENTIAL"}},
		{"override of a private master", crlf(vcal(concat(master("CLASS:PRIVATE"), override("03", "CLASS:CONFIDENTIAL")))...),
			[]string{"VEVENT r1 master PRIVATE", "VEVENT r1 override PRIVATE"}},
		{"x-name override of a confidential master", crlf(vcal(concat(master("CLASS:CONFIDENTIAL"), override("03", "CLASS:X-MINE")))...),
			[]string{"VEVENT r1 master CONFIDENTIAL", "VEVENT r1 override PRIVATE"}},
		{"private override leaves the master public", crlf(vcal(concat(master(), override("03", "CLASS:PRIVATE"), override("04")))...),
			[]string{"VEVENT r1 master PUBLIC", "VEVENT r1 override PRIVATE", "VEVENT r1 override PUBLIC"}},
		{"override without a master", crlf(vcal(override("03", "CLASS:CONFIDENTIAL"))...),
			[]string{"VEVENT r1 override CONFIDENTIAL"}},
		{"VTIMEZONE, VALARM and calendar CLASS do not count", crlf(vcal(concat([]string{"CLASS:PRIVATE", "BEGIN:VTIMEZONE", "TZID:X", "CLASS:PRIVATE",
			"BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE"},
			vevent("UID:1", "DTSTART;TZID=X:20240101T100000", "BEGIN:VALARM", "ACTION:DISPLAY", "CLASS:PRIVATE", "TRIGGER:-PT5M", "END:VALARM")))...),
			[]string{"VTIMEZONE  master PUBLIC", "VEVENT 1 master PUBLIC"}},
		{"lower-case names", crlf("begin:vcalendar", "begin:vtodo", "uid:t", "class:confidential", "end:vtodo", "end:vcalendar"),
			[]string{"VTODO t master CONFIDENTIAL"}},
		{"END does not close BEGIN", crlf("BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:1", "END:VTODO", "END:VCALENDAR"), nil},
		{"unterminated", crlf("BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:1", "END:VEVENT"), nil},
		{"data after the calendar", crlf(append(vcal(vevent("UID:1")), "X:y")...), nil},
		{"not a calendar", crlf("BEGIN:VCARD", "END:VCARD"), nil},
		{"property before BEGIN", crlf(append([]string{"X:y"}, vcal(vevent("UID:1"))...)...), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, ok := ical.ReadOutline(tt.in)
			if tt.want == nil {
				if ok || o != nil {
					t.Fatalf("ok=%v, want not line-parseable", ok)
				}
				return
			}
			if !ok {
				t.Fatal("not line-parseable")
			}
			if got := outlined(o); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			checkOutlineLines(t, o)
		})
	}
}

// checkOutlineLines checks that each component's range runs from its
// BEGIN to its END.
func checkOutlineLines(t *testing.T, o *ical.Outline) {
	t.Helper()
	for _, c := range o.Components {
		if c.From < 0 || c.To >= len(o.Lines) || c.From >= c.To {
			t.Fatalf("%s: range %d..%d of %d lines", c.Name, c.From, c.To, len(o.Lines))
		}
		if b, e := strings.ToUpper(o.Lines[c.From]), strings.ToUpper(o.Lines[c.To]); b != "BEGIN:"+c.Name || !strings.HasPrefix(e, "END:") {
			t.Fatalf("%s: lines %q .. %q", c.Name, o.Lines[c.From], o.Lines[c.To])
		}
	}
}

// FuzzReadOutline: ReadOutline never panics; for data Parse accepts it
// succeeds, finds Parse's top-level components in order, and gives each
// the class an independent reading of CLASS and the series rule gives.
func FuzzReadOutline(f *testing.F) {
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
		o, ok := ical.ReadOutline(data)
		if ok {
			checkOutlineLines(t, o)
		} else if o != nil {
			t.Fatal("not ok with an outline")
		}
		cal, err := ical.Parse(data)
		if err != nil {
			return
		}
		if !ok {
			t.Fatalf("Parse accepts what ReadOutline does not:\n%q", data)
		}
		if len(o.Components) != len(cal.Children) {
			t.Fatalf("%d components, Parse has %d", len(o.Components), len(cal.Children))
		}
		want := seriesClasses(cal.Children)
		for i, c := range o.Components {
			if c.Name != strings.ToUpper(cal.Children[i].Name) {
				t.Fatalf("component %d: %s, Parse has %s", i, c.Name, cal.Children[i].Name)
			}
			if got := className(c.Class); got != want[i] {
				t.Fatalf("component %d (%s): class %s, want %s\n%q", i, c.Name, got, want[i], data)
			}
		}
	})
}

// seriesClasses classifies components independently of the package:
// testClass of each, an override capped by its master's, VTIMEZONE public.
func seriesClasses(comps []*goical.Component) []string {
	rank := map[string]int{"PUBLIC": 0, "CONFIDENTIAL": 1, "PRIVATE": 2}
	uid := func(c *goical.Component) string {
		if p := c.Props.Get("UID"); p != nil {
			return p.Value
		}
		return ""
	}
	masters := map[string]string{}
	for _, c := range comps {
		if c.Name != ical.CompTimezone && c.Props.Get("RECURRENCE-ID") == nil {
			if cl := testClass(c); rank[cl] > rank[masters[uid(c)]] {
				masters[uid(c)] = cl
			}
		}
	}
	out := make([]string, len(comps))
	for i, c := range comps {
		switch {
		case c.Name == ical.CompTimezone:
			out[i] = "PUBLIC"
		case c.Props.Get("RECURRENCE-ID") == nil:
			out[i] = testClass(c)
		default:
			out[i] = testClass(c)
			if m := masters[uid(c)]; rank[m] > rank[out[i]] {
				out[i] = m
			}
		}
	}
	return out
}
