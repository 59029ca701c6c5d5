package filter

import (
	"errors"
	"reflect"
	"testing"

	"almanac/internal/dav"
)

// RFC 6352 10.5 filters: invalid ones are ErrInvalidFilter, which the
// handler answers 403 CARDDAV:valid-filter; what cannot be evaluated is
// an *UnsupportedError naming every element (8.6 supported-filter).

func TestDecode_ValidFilterPrecondition(t *testing.T) {
	tests := []struct{ name, rule, xml string }{
		{"comp-filter", "RFC 6352 10.5: filter (prop-filter*)", wrap(`<C:comp-filter name="VCARD"/>`)},
		{"time-range", "RFC 6352 10.5.1: no time-range in CardDAV", wrap(`<C:prop-filter name="BDAY"><C:time-range start="20240101T000000Z"/></C:prop-filter>`)},
		{"is-not-defined with a text-match", "RFC 6352 10.5.1: is-not-defined | (text-match*, param-filter*)",
			wrap(`<C:prop-filter name="FN"><C:is-not-defined/><C:text-match>x</C:text-match></C:prop-filter>`)},
		{"is-not-defined with an unsupported text-match", "RFC 6352 10.5.1: invalid before unsupported",
			wrap(`<C:prop-filter name="FN"><C:is-not-defined/><C:text-match match-type="regex">x</C:text-match></C:prop-filter>`)},
		{"param-filter with two tests", "RFC 6352 10.5.2: (is-not-defined | text-match)?",
			wrap(`<C:prop-filter name="TEL"><C:param-filter name="TYPE"><C:text-match match-type="regex">a</C:text-match><C:is-not-defined/></C:param-filter></C:prop-filter>`)},
		{"bad test", "RFC 6352 10.5: test (anyof | allof)", `<C:filter xmlns:C="urn:ietf:params:xml:ns:carddav" test="any"/>`},
		{"bad property name", "RFC 6350 3.3", wrap(`<C:prop-filter name="E:MAIL"/>`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeXML(t, tt.xml)
			if !errors.Is(err, ErrInvalidFilter) || Precondition(err) != "valid-filter" {
				t.Errorf("%s: %v (precondition %q), want valid-filter", tt.rule, err, Precondition(err))
			}
		})
	}
}

func TestDecode_SupportedFilterNamesElements(t *testing.T) {
	_, err := decodeXML(t, wrap(`<C:prop-filter name="FN"><C:text-match match-type="regex">a</C:text-match></C:prop-filter>`+
		`<C:prop-filter name="TEL"><C:param-filter name="type"><C:text-match match-type="sounds-like">cell</C:text-match></C:param-filter>`+
		`<C:text-match match-type="">1</C:text-match></C:prop-filter>`+
		`<C:prop-filter name="fn"><C:text-match match-type="like">b</C:text-match></C:prop-filter>`))
	var ue *UnsupportedError
	if !errors.As(err, &ue) || Precondition(err) != "supported-filter" {
		t.Fatalf("error %v", err)
	}
	want := []Unsupported{{"prop-filter", "FN"}, {"param-filter", "TYPE"}, {"prop-filter", "TEL"}}
	if !reflect.DeepEqual(ue.Elements, want) {
		t.Errorf("elements %v, want %v (RFC 6352 8.6: each prop-filter or param-filter not supported)", ue.Elements, want)
	}
	f := &Filter{Props: []PropFilter{{Name: "email", TextMatches: []TextMatch{{MatchType: "x"}}, Params: []ParamFilter{{Name: "TYPE", TextMatch: &TextMatch{MatchType: "y"}}}}}}
	if err := f.Validate(); !errors.As(err, &ue) || !reflect.DeepEqual(ue.Elements, []Unsupported{{"prop-filter", "EMAIL"}, {"param-filter", "TYPE"}}) {
		t.Errorf("Validate: %v", err)
	}
}

// TestDecode_DefaultCollationName: RFC 6352 8.3 (RFC 4790 3.1): the
// collation "default" is i;unicode-casemap.
func TestDecode_DefaultCollationName(t *testing.T) {
	f, err := decodeXML(t, wrap(`<C:prop-filter name="FN"><C:text-match collation="default">STRASSE</C:text-match></C:prop-filter>`))
	if err != nil {
		t.Fatal(err)
	}
	if c := f.Props[0].TextMatches[0].Collation; c != CollationUnicodeCasemap {
		t.Errorf("collation %q", c)
	}
	if ok, err := (&TextMatch{Value: "ü", Collation: "default"}).Matches("Ü"); !ok || err != nil {
		t.Errorf("hand-built default collation: %v %v", ok, err)
	}
}

// TestDecode_MalformedXMLIsNoFilterError: XML that does not parse is a
// *dav.XMLError, answered 400 (RFC 4918 8.2), not valid-filter.
func TestDecode_MalformedXMLIsNoFilterError(t *testing.T) {
	for _, s := range []string{
		`<C:filter xmlns:C="urn:ietf:params:xml:ns:carddav"><C:prop-filter name="FN">`,
		wrap(`<C:prop-filter name="FN"></C:param-filter>`),
		wrap(`<C:prop-filter name="FN"><C:text-match>a</C:prop-filter>`),
	} {
		_, err := decodeXML(t, s)
		var xe *dav.XMLError
		if !errors.As(err, &xe) || Precondition(err) != "" {
			t.Errorf("%s: %v, want *dav.XMLError", s, err)
		}
	}
}
