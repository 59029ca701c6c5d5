package filter

import (
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-ical"

	aical "almanac/internal/ical"
)

func parseCal(t *testing.T, lines ...string) *ical.Calendar {
	t.Helper()
	all := append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//almanac//test//EN"}, lines...)
	all = append(all, "END:VCALENDAR")
	cal, err := aical.Parse([]byte(strings.Join(all, "\r\n") + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func vcal(comps ...CompFilter) *Filter {
	return &Filter{Comp: CompFilter{Name: "VCALENDAR", Comps: comps}}
}

func mustMatch(t *testing.T, f *Filter, cal *ical.Calendar) bool {
	t.Helper()
	ok, err := f.Match(cal)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestTextMatch_Collations(t *testing.T) {
	tests := []struct {
		collation, value, needle string
		negate, want             bool
	}{
		{"", "Team Meeting", "meeting", false, true},
		{CollationASCIICasemap, "Team Meeting", "MEET", false, true},
		{CollationASCIICasemap, "Team Meeting", "lunch", false, false},
		{CollationASCIICasemap, "Élan", "élan", false, false}, // only A-Z fold
		{CollationASCIICasemap, "Élan", "LAN", false, true},
		{CollationASCIICasemap, "anything", "", false, true},
		{CollationOctet, "Team Meeting", "Meeting", false, true},
		{CollationOctet, "Team Meeting", "meeting", false, false},
		{CollationUnicodeCasemap, "Élan", "élan", false, true},
		{CollationUnicodeCasemap, "STRASSE Ǆ", "strasse ǆ", false, true},
		{CollationUnicodeCasemap, "Σίσυφος", "ΣΊΣΥΦΟΣ", false, true},
		{CollationUnicodeCasemap, "Kelvin K", "k", false, true}, // U+212A KELVIN SIGN folds with k
		{CollationUnicodeCasemap, "Zoë", "zoe", false, false},   // no decomposition
		{"", "Team Meeting", "lunch", true, true},
		{"", "Team Meeting", "MEETING", true, false},
		{CollationOctet, "Team Meeting", "meeting", true, true},
	}
	for _, tt := range tests {
		tm := &TextMatch{Value: tt.needle, Collation: tt.collation, NegateCondition: tt.negate}
		got, err := tm.Contains(tt.value)
		if err != nil || got != tt.want {
			t.Errorf("%q %s %q negate=%v: %v, %v; want %v", tt.value, tt.collation, tt.needle, tt.negate, got, err, tt.want)
		}
	}
	if _, err := (&TextMatch{Collation: "i;basic"}).Contains("x"); !errors.Is(err, ErrUnsupportedCollation) {
		t.Errorf("unknown collation: %v", err)
	}
}

func TestMatch_Structure(t *testing.T) {
	cal := parseCal(t,
		"BEGIN:VEVENT",
		"UID:1",
		"DTSTART:20240101T100000Z",
		`SUMMARY:Team Meeting\, weekly`,
		`DESCRIPTION:Line1\nLine2`,
		`ATTENDEE;PARTSTAT=NEEDS-ACTION;CN="Zoë":mailto:zoe@example.com`,
		"ATTENDEE;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:bob@example.com",
		"BEGIN:VALARM",
		"ACTION:DISPLAY",
		"TRIGGER:-PT15M",
		"END:VALARM",
		"END:VEVENT",
	)
	text := func(v string) *TextMatch { return &TextMatch{Value: v} }
	ev := func(props ...PropFilter) *Filter { return vcal(CompFilter{Name: "VEVENT", Props: props}) }
	tests := []struct {
		name string
		f    *Filter
		want bool
	}{
		{"root only", vcal(), true},
		{"root is-not-defined", &Filter{Comp: CompFilter{Name: "VCALENDAR", IsNotDefined: true}}, false},
		{"has VEVENT", vcal(CompFilter{Name: "VEVENT"}), true},
		{"lower-case name", vcal(CompFilter{Name: "vevent"}), true},
		{"has no VTODO", vcal(CompFilter{Name: "VTODO"}), false},
		{"VTODO is-not-defined", vcal(CompFilter{Name: "VTODO", IsNotDefined: true}), true},
		{"VEVENT is-not-defined", vcal(CompFilter{Name: "VEVENT", IsNotDefined: true}), false},
		{"calendar property", &Filter{Comp: CompFilter{Name: "VCALENDAR", Props: []PropFilter{{Name: "PRODID", TextMatch: text("almanac")}}}}, true},
		{"prop defined", ev(PropFilter{Name: "SUMMARY"}), true},
		{"prop not there", ev(PropFilter{Name: "LOCATION"}), false},
		{"prop is-not-defined, absent", ev(PropFilter{Name: "LOCATION", IsNotDefined: true}), true},
		{"prop is-not-defined, present", ev(PropFilter{Name: "SUMMARY", IsNotDefined: true}), false},
		{"text-match casemap", ev(PropFilter{Name: "SUMMARY", TextMatch: text("team meeting")}), true},
		{"text-match sees unescaped text", ev(PropFilter{Name: "SUMMARY", TextMatch: text("meeting, weekly")}), true},
		{"text-match newline", ev(PropFilter{Name: "DESCRIPTION", TextMatch: text("Line1\nLine2")}), true},
		{"text-match octet miss", ev(PropFilter{Name: "SUMMARY", TextMatch: &TextMatch{Value: "team", Collation: CollationOctet}}), false},
		{"text-match octet hit", ev(PropFilter{Name: "SUMMARY", TextMatch: &TextMatch{Value: "Team", Collation: CollationOctet}}), true},
		{"negate miss is match", ev(PropFilter{Name: "SUMMARY", TextMatch: &TextMatch{Value: "Lunch", NegateCondition: true}}), true},
		{"negate hit is no match", ev(PropFilter{Name: "SUMMARY", TextMatch: &TextMatch{Value: "meeting", NegateCondition: true}}), false},
		{"negate on absent property", ev(PropFilter{Name: "LOCATION", TextMatch: &TextMatch{Value: "x", NegateCondition: true}}), false},
		{"second property instance", ev(PropFilter{Name: "ATTENDEE", TextMatch: text("BOB@")}), true},
		{"negate, one instance passes", ev(PropFilter{Name: "ATTENDEE", TextMatch: &TextMatch{Value: "bob", NegateCondition: true}}), true},
		{"param text", ev(PropFilter{Name: "ATTENDEE", Params: []ParamFilter{{Name: "PARTSTAT", TextMatch: text("needs-action")}}}), true},
		{"param text miss", ev(PropFilter{Name: "ATTENDEE", Params: []ParamFilter{{Name: "PARTSTAT", TextMatch: text("DECLINED")}}}), false},
		{"param defined", ev(PropFilter{Name: "ATTENDEE", Params: []ParamFilter{{Name: "ROLE"}}}), true},
		{"param not there", ev(PropFilter{Name: "SUMMARY", Params: []ParamFilter{{Name: "LANGUAGE"}}}), false},
		{"param is-not-defined", ev(PropFilter{Name: "ATTENDEE", Params: []ParamFilter{{Name: "RSVP", IsNotDefined: true}}}), true},
		{"param is-not-defined on every instance fails", ev(PropFilter{Name: "ATTENDEE", Params: []ParamFilter{{Name: "PARTSTAT", IsNotDefined: true}}}), false},
		{"param negate", ev(PropFilter{Name: "ATTENDEE", Params: []ParamFilter{{Name: "PARTSTAT", TextMatch: &TextMatch{Value: "ACCEPTED", NegateCondition: true}}}}), true},
		{"param unicode casemap", ev(PropFilter{Name: "ATTENDEE", Params: []ParamFilter{{Name: "CN", TextMatch: &TextMatch{Value: "ZOË", Collation: CollationUnicodeCasemap}}}}), true},
		{"param ascii casemap keeps ë", ev(PropFilter{Name: "ATTENDEE", Params: []ParamFilter{{Name: "CN", TextMatch: text("ZOË")}}}), false},
		{"text and param on the same instance", ev(PropFilter{Name: "ATTENDEE", TextMatch: text("zoe"), Params: []ParamFilter{{Name: "PARTSTAT", TextMatch: text("NEEDS-ACTION")}}}), true},
		{"text and param on different instances", ev(PropFilter{Name: "ATTENDEE", TextMatch: text("bob"), Params: []ParamFilter{{Name: "PARTSTAT", TextMatch: text("NEEDS-ACTION")}}}), false},
		{"all prop-filters must pass", ev(PropFilter{Name: "SUMMARY"}, PropFilter{Name: "LOCATION"}), false},
		{"nested VALARM", vcal(CompFilter{Name: "VEVENT", Comps: []CompFilter{{Name: "VALARM"}}}), true},
		{"nested VALARM prop", vcal(CompFilter{Name: "VEVENT", Comps: []CompFilter{{Name: "VALARM", Props: []PropFilter{{Name: "ACTION", TextMatch: text("AUDIO")}}}}}), false},
		{"nested VALARM is-not-defined", vcal(CompFilter{Name: "VEVENT", Comps: []CompFilter{{Name: "VALARM", IsNotDefined: true}}}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustMatch(t, tt.f, cal); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatch_InvalidFilter(t *testing.T) {
	cal := parseCal(t, "BEGIN:VTODO", "UID:1", "SUMMARY:x", "END:VTODO")
	tests := []struct {
		name string
		f    *Filter
		want error
	}{
		{"root not VCALENDAR", &Filter{Comp: CompFilter{Name: "VTODO"}}, ErrInvalidFilter},
		{"empty time-range", vcal(CompFilter{Name: "VTODO", TimeRange: &TimeRange{}}), ErrInvalidFilter},
		{"empty prop time-range", vcal(CompFilter{Name: "VTODO", Props: []PropFilter{{Name: "DUE", TimeRange: &TimeRange{}}}}), ErrInvalidFilter},
		{"unknown collation", vcal(CompFilter{Name: "VTODO", Props: []PropFilter{{Name: "SUMMARY", TextMatch: &TextMatch{Value: "x", Collation: "i;basic"}}}}), ErrUnsupportedCollation},
		{"unknown param collation", vcal(CompFilter{Name: "VTODO", Props: []PropFilter{{Name: "SUMMARY", Params: []ParamFilter{{Name: "X", TextMatch: &TextMatch{Collation: "x"}}}}}}), ErrUnsupportedCollation},
	}
	for _, tt := range tests {
		if _, err := tt.f.Match(cal); !errors.Is(err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.want)
		}
	}
	if ok, err := vcal().Match(nil); ok || err != nil {
		t.Errorf("nil calendar: %v %v", ok, err)
	}
}
