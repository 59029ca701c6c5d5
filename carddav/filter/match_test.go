package filter

import (
	"strings"
	"testing"

	"almanac/internal/vcard"
)

var card4 = strings.Join([]string{
	"BEGIN:VCARD",
	"VERSION:4.0",
	"UID:u1",
	"FN:Dr. Jürgen Müller",
	"N:Müller;Jürgen;;Dr.;",
	"ORG:Example GmbH;R&D",
	"item1.EMAIL;TYPE=work;PREF=1:juergen@example.com",
	"item2.EMAIL;TYPE=home:jm@privat.example.org",
	`TEL;TYPE="cell,voice":+49 170 1234567`,
	"TEL;TYPE=home:+49 30 1234567",
	"ADR;TYPE=home:;;Hauptstraße 5;Berlin;;10115;Deutschland",
	`NOTE:Met at FOSDEM\, Brussels`,
	"X-CUSTOM;X-PARAM=Alpha:value",
	"END:VCARD",
}, "\r\n") + "\r\n"

var card3 = strings.Join([]string{
	"BEGIN:VCARD",
	"VERSION:3.0",
	"UID:u3",
	"FN:Σίσυφος Παπαδόπουλος",
	"N:Παπαδόπουλος;Σίσυφος;;;",
	"item1.EMAIL;type=INTERNET;type=pref:sisyphos@example.gr",
	"TEL;CELL:+30 69 1234",
	"END:VCARD",
}, "\r\n") + "\r\n"

func parse(t *testing.T, s string) *vcard.Card {
	t.Helper()
	c, err := vcard.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// one is a filter of a single prop-filter.
func one(pf PropFilter) *Filter { return &Filter{Props: []PropFilter{pf}} }

// text is a prop-filter with one text-match.
func text(name, value, collation, matchType string, negate bool) PropFilter {
	return PropFilter{Name: name, TextMatches: []TextMatch{{Value: value, Collation: collation, MatchType: matchType, Negate: negate}}}
}

// TestMatch_MatchTypesAndCollations: every match-type under every
// collation, on FN:Dr. Jürgen Müller.
func TestMatch_MatchTypesAndCollations(t *testing.T) {
	c := parse(t, card4)
	const (
		uni   = CollationUnicodeCasemap
		ascii = CollationASCIICasemap
		oct   = CollationOctet
	)
	tests := []struct {
		collation, matchType, value string
		want                        bool
	}{
		{uni, MatchEquals, "dr. jürgen müller", true},
		{uni, MatchEquals, "DR. JÜRGEN MÜLLER", true},
		{uni, MatchEquals, "Dr. Jürgen", false},
		{uni, MatchContains, "JÜRGEN", true},
		{uni, MatchContains, "juergen", false},
		{uni, MatchStartsWith, "DR. J", true},
		{uni, MatchStartsWith, "Jürgen", false},
		{uni, MatchEndsWith, "MÜLLER", true},
		{uni, MatchEndsWith, "Dr.", false},

		{ascii, MatchEquals, "dr. jürgen müller", true},
		{ascii, MatchEquals, "DR. JÜRGEN MÜLLER", false}, // Ü is not A-Z
		{ascii, MatchContains, "JüRGEN", true},
		{ascii, MatchContains, "JÜRGEN", false},
		{ascii, MatchStartsWith, "DR.", true},
		{ascii, MatchStartsWith, "Müller", false},
		{ascii, MatchEndsWith, "MüLLER", true},
		{ascii, MatchEndsWith, "MÜLLER", false},

		{oct, MatchEquals, "Dr. Jürgen Müller", true},
		{oct, MatchEquals, "dr. jürgen müller", false},
		{oct, MatchContains, "Jürgen", true},
		{oct, MatchContains, "jürgen", false},
		{oct, MatchStartsWith, "Dr.", true},
		{oct, MatchStartsWith, "dr.", false},
		{oct, MatchEndsWith, "Müller", true},
		{oct, MatchEndsWith, "müller", false},

		// Defaults: i;unicode-casemap (RFC 6352 8.3) and contains.
		{"", "", "MÜLLER", true},
		{"", MatchEquals, "DR. JÜRGEN MÜLLER", true},
	}
	for _, tt := range tests {
		f := one(text("FN", tt.value, tt.collation, tt.matchType, false))
		if got := f.Match(c); got != tt.want {
			t.Errorf("%s %s %q: %v, want %v", tt.collation, tt.matchType, tt.value, got, tt.want)
		}
		f = one(text("FN", tt.value, tt.collation, tt.matchType, true))
		if got := f.Match(c); got != !tt.want {
			t.Errorf("negated %s %s %q: %v, want %v", tt.collation, tt.matchType, tt.value, got, !tt.want)
		}
	}
}

func TestMatch_Rules(t *testing.T) {
	c4, c3 := parse(t, card4), parse(t, card3)
	uni := CollationUnicodeCasemap
	tests := []struct {
		name string
		card *vcard.Card
		f    *Filter
		want bool
	}{
		// Filter level.
		{"empty filter matches all", c4, &Filter{}, true},
		{"empty allof matches all", c4, &Filter{Test: TestAllOf}, true},
		{"anyof: one of two", c4, &Filter{Props: []PropFilter{text("FN", "jürgen", "", "", false), text("TEL", "999", "", "", false)}}, true},
		{"allof: one of two", c4, &Filter{Test: TestAllOf, Props: []PropFilter{text("FN", "jürgen", "", "", false), text("TEL", "999", "", "", false)}}, false},
		{"allof: both", c4, &Filter{Test: TestAllOf, Props: []PropFilter{text("FN", "jürgen", "", "", false), text("TEL", "1234567", "", "", false)}}, true},
		{"anyof: none", c4, &Filter{Test: TestAnyOf, Props: []PropFilter{text("FN", "hans", "", "", false), text("TEL", "999", "", "", false)}}, false},

		// Prop-filter level: tests combine on one instance.
		{"prop anyof", c4, one(PropFilter{Name: "EMAIL", TextMatches: []TextMatch{{Value: "example.com"}}, Params: []ParamFilter{{Name: "TYPE", TextMatch: &TextMatch{Value: "home", MatchType: MatchEquals}}}}), true},
		{"prop allof on different instances", c4, one(PropFilter{Name: "EMAIL", Test: TestAllOf, TextMatches: []TextMatch{{Value: "example.com"}}, Params: []ParamFilter{{Name: "TYPE", TextMatch: &TextMatch{Value: "home", MatchType: MatchEquals}}}}), false},
		{"prop allof on one instance", c4, one(PropFilter{Name: "EMAIL", Test: TestAllOf, TextMatches: []TextMatch{{Value: "privat"}}, Params: []ParamFilter{{Name: "TYPE", TextMatch: &TextMatch{Value: "home", MatchType: MatchEquals}}}}), true},
		{"two text-matches allof", c4, one(PropFilter{Name: "FN", Test: TestAllOf, TextMatches: []TextMatch{{Value: "Dr."}, {Value: "müller", MatchType: MatchEndsWith}}}), true},
		{"two text-matches allof, one fails", c4, one(PropFilter{Name: "FN", Test: TestAllOf, TextMatches: []TextMatch{{Value: "Dr."}, {Value: "Hans"}}}), false},
		{"two text-matches anyof, one fails", c4, one(PropFilter{Name: "FN", TextMatches: []TextMatch{{Value: "Dr."}, {Value: "Hans"}}}), true},
		{"prop allof: text and two params", c4, one(PropFilter{Name: "EMAIL", Test: TestAllOf, TextMatches: []TextMatch{{Value: "juergen"}}, Params: []ParamFilter{{Name: "PREF"}, {Name: "TYPE", TextMatch: &TextMatch{Value: "WORK", MatchType: MatchEquals}}}}), true},

		// Existence.
		{"empty prop-filter, present", c4, one(PropFilter{Name: "EMAIL"}), true},
		{"empty prop-filter, absent", c4, one(PropFilter{Name: "PHOTO"}), false},
		{"is-not-defined, absent", c4, one(PropFilter{Name: "PHOTO", IsNotDefined: true}), true},
		{"is-not-defined, present", c4, one(PropFilter{Name: "EMAIL", IsNotDefined: true}), false},
		{"empty prop-filter allof", c4, one(PropFilter{Name: "EMAIL", Test: TestAllOf}), true},

		// Negation is per instance (RFC 6352 10.5.1: "a property ... is
		// said to match"): a card with one EMAIL outside example.com
		// passes "EMAIL does not contain example.com".
		{"negate, some instance", c4, one(text("EMAIL", "example.com", "", "", true)), true},
		{"negate, every instance", c4, one(text("EMAIL", "example", "", "", true)), false},
		{"negate, absent property", c4, one(text("PHOTO", "x", "", "", true)), false},

		// Param-filters.
		{"param is-not-defined on every instance", c4, one(PropFilter{Name: "EMAIL", Params: []ParamFilter{{Name: "TYPE", IsNotDefined: true}}}), false},
		{"param is-not-defined on one instance", c4, one(PropFilter{Name: "EMAIL", Params: []ParamFilter{{Name: "PREF", IsNotDefined: true}}}), true},
		{"param defined", c4, one(PropFilter{Name: "EMAIL", Params: []ParamFilter{{Name: "pref"}}}), true},
		{"param defined, absent", c4, one(PropFilter{Name: "TEL", Params: []ParamFilter{{Name: "PREF"}}}), false},
		{"quoted TYPE list split", c4, one(PropFilter{Name: "TEL", Params: []ParamFilter{{Name: "TYPE", TextMatch: &TextMatch{Value: "voice", MatchType: MatchEquals}}}}), true},
		{"quoted TYPE list not whole", c4, one(PropFilter{Name: "TEL", Params: []ParamFilter{{Name: "TYPE", TextMatch: &TextMatch{Value: "cell,voice", MatchType: MatchEquals}}}}), false},
		{"param collation unicode", c4, one(PropFilter{Name: "X-CUSTOM", Params: []ParamFilter{{Name: "X-PARAM", TextMatch: &TextMatch{Value: "ALPHA", MatchType: MatchEquals}}}}), true},
		{"param collation octet", c4, one(PropFilter{Name: "X-CUSTOM", Params: []ParamFilter{{Name: "X-PARAM", TextMatch: &TextMatch{Value: "ALPHA", Collation: CollationOctet, MatchType: MatchEquals}}}}), false},
		{"param negate", c4, one(PropFilter{Name: "TEL", Params: []ParamFilter{{Name: "TYPE", TextMatch: &TextMatch{Value: "home", MatchType: MatchEquals, Negate: true}}}}), true},
		{"param negate, every value", c4, one(PropFilter{Name: "ADR", Params: []ParamFilter{{Name: "TYPE", TextMatch: &TextMatch{Value: "home", Negate: true}}}}), false},
		{"param negate, absent param", c4, one(PropFilter{Name: "TEL", Params: []ParamFilter{{Name: "PREF", TextMatch: &TextMatch{Value: "1", Negate: true}}}}), false},
		{"param text on absent param", c4, one(PropFilter{Name: "TEL", Params: []ParamFilter{{Name: "PREF", TextMatch: &TextMatch{Value: ""}}}}), false},
		{"bare 3.0 type", c3, one(PropFilter{Name: "TEL", Params: []ParamFilter{{Name: "TYPE", TextMatch: &TextMatch{Value: "cell", MatchType: MatchEquals}}}}), true},
		{"repeated 3.0 type", c3, one(PropFilter{Name: "EMAIL", Params: []ParamFilter{{Name: "TYPE", TextMatch: &TextMatch{Value: "pref", MatchType: MatchEquals}}}}), true},

		// Names and groups.
		{"name case-insensitive", c4, one(text("email", "privat", uni, MatchContains, false)), true},
		{"group ignored", c3, one(text("EMAIL", "sisyphos", "", "", false)), true},
		{"group named", c4, one(text("ITEM2.EMAIL", "privat", "", "", false)), true},
		{"group named, other group", c4, one(text("item1.EMAIL", "privat", "", "", false)), false},
		{"group named, is-not-defined", c4, one(PropFilter{Name: "ITEM3.EMAIL", IsNotDefined: true}), true},
		{"ungrouped property, group named", c4, one(PropFilter{Name: "ITEM1.FN"}), false},

		// Values.
		{"structured N raw", c4, one(text("N", "Müller;Jürgen", "", "", false)), true},
		{"structured N equals raw", c4, one(text("N", "müller;jürgen;;dr.;", "", MatchEquals, false)), true},
		{"structured ADR raw", c4, one(text("ADR", "Hauptstraße 5;Berlin", "", "", false)), true},
		{"structured ORG raw", c4, one(text("ORG", "GmbH;R&D", "", "", false)), true},
		{"text unescaped", c4, one(text("NOTE", "FOSDEM, Brussels", "", "", false)), true},
		{"escape not in text", c4, one(text("NOTE", `\,`, "", "", false)), false},
		{"equals unescaped", c4, one(text("NOTE", "met at fosdem, brussels", "", MatchEquals, false)), true},

		// Unicode simple case folding.
		{"ß is not ss", c4, one(text("ADR", "HAUPTSTRASSE", uni, "", false)), false},
		{"ẞ folds to ß", c4, one(text("ADR", "HAUPTSTRAẞE", uni, "", false)), true},
		{"Greek with final sigma", c3, one(text("FN", "ΣΊΣΥΦΟΣ", uni, MatchStartsWith, false)), true},
		{"Greek, ascii-casemap", c3, one(text("FN", "ΣΊΣΥΦΟΣ", CollationASCIICasemap, MatchStartsWith, false)), false},

		// Hand-built filters Decode would refuse match nothing.
		{"unknown collation", c4, one(text("FN", "a", "i;x", "", false)), false},
		{"unknown collation negated", c4, one(text("FN", "a", "i;x", "", true)), false},
		{"unknown match type", c4, one(text("FN", "a", "", "like", true)), false},
		{"unknown collation in param", c4, one(PropFilter{Name: "TEL", Params: []ParamFilter{{Name: "TYPE", TextMatch: &TextMatch{Value: "a", Collation: "i;x", Negate: true}}}}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Match(tt.card); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestMatch_Decoded runs a decoded RFC-style query end to end.
func TestMatch_Decoded(t *testing.T) {
	f, err := decodeXML(t, wrap(`<C:prop-filter name="FN"><C:text-match match-type="starts-with">dr. j</C:text-match></C:prop-filter><C:prop-filter name="EMAIL"><C:text-match>nobody</C:text-match></C:prop-filter>`))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Match(parse(t, card4)) || f.Match(parse(t, card3)) {
		t.Error("wrong cards matched")
	}
	f.Test = TestAllOf
	if f.Match(parse(t, card4)) {
		t.Error("allof matched")
	}
}

func TestTextMatch_Matches(t *testing.T) {
	ok, err := (&TextMatch{Value: "b", MatchType: MatchEquals, Negate: true}).Matches("a")
	if !ok || err != nil {
		t.Errorf("%v, %v", ok, err)
	}
	if _, err := (&TextMatch{Collation: "x"}).Matches("a"); Precondition(err) != "supported-collation" {
		t.Errorf("collation: %v", err)
	}
	if _, err := (&TextMatch{MatchType: "x"}).Matches("a"); Precondition(err) != "supported-filter" {
		t.Errorf("match type: %v", err)
	}
}
