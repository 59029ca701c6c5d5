package filter

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"almanac/internal/dav"
	"almanac/internal/vcard"
)

// FuzzDecode: Decode never panics, fails only with the errors the handler
// maps, and what it accepts passes Validate and evaluates on real cards.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		wrap(`<C:prop-filter name="FN"><C:text-match collation="i;unicode-casemap" match-type="contains">daboo</C:text-match></C:prop-filter><C:prop-filter name="EMAIL"><C:text-match negate-condition="yes" match-type="ends-with">@example.com</C:text-match></C:prop-filter>`),
		`<C:filter xmlns:C="urn:ietf:params:xml:ns:carddav" test="allof"><C:prop-filter name="item1.TEL" test="allof"><C:param-filter name="TYPE"><C:text-match collation="i;octet" match-type="equals">cell</C:text-match></C:param-filter><C:param-filter name="PREF"><C:is-not-defined/></C:param-filter></C:prop-filter></C:filter>`,
		wrap(`<C:prop-filter name="PHOTO"><C:is-not-defined/></C:prop-filter><C:prop-filter name="N"/><D:x><C:y/></D:x>`),
		wrap(`<C:prop-filter name="FN"><C:text-match collation="i;basic">a</C:text-match></C:prop-filter>`),
		wrap(`<C:prop-filter name="FN"><C:text-match match-type="regex">a</C:text-match></C:prop-filter>`),
		wrap(`<C:prop-filter name="TEL"><C:param-filter name="TYPE"><C:text-match match-type="like">c</C:text-match></C:param-filter><C:text-match collation="default" match-type="sounds-like">x</C:text-match></C:prop-filter>`),
		`<C:limit xmlns:C="urn:ietf:params:xml:ns:carddav"><C:nresults>5</C:nresults></C:limit>`,
	} {
		f.Add([]byte(s))
	}
	var cards []*vcard.Card
	f.Fuzz(func(t *testing.T, data []byte) {
		if cards == nil {
			cards = []*vcard.Card{parse(t, card4), parse(t, card3)}
		}
		d := xml.NewDecoder(strings.NewReader(string(data)))
		var start xml.StartElement
		for {
			tok, err := d.Token()
			if err != nil {
				return
			}
			if s, ok := tok.(xml.StartElement); ok {
				start = s
				break
			}
		}
		if start.Name.Local == "limit" {
			n, err := DecodeLimit(d, start)
			if err != nil && !errors.Is(err, ErrInvalidLimit) || err == nil && n < 0 {
				t.Fatalf("DecodeLimit: %d, %v", n, err)
			}
			return
		}
		flt, err := Decode(d, start)
		if err != nil {
			var xe *dav.XMLError
			var ue *UnsupportedError
			switch {
			case errors.Is(err, ErrInvalidFilter), errors.Is(err, ErrUnsupportedCollation), errors.As(err, &xe):
			case errors.As(err, &ue):
				if len(ue.Elements) == 0 || len(ue.Elements) > maxUnsupported {
					t.Fatalf("unsupported filter lists %d elements", len(ue.Elements))
				}
			default:
				t.Fatalf("unmappable error: %v", err)
			}
			return
		}
		if err := flt.Validate(); err != nil {
			t.Fatalf("decoded filter does not validate: %v", err)
		}
		for _, c := range cards {
			flt.Match(c)
		}
	})
}

// FuzzMatch: stored cards are untrusted too; matching any card that
// parses never panics.
func FuzzMatch(f *testing.F) {
	f.Add([]byte(card4))
	f.Add([]byte(card3))
	filters := []*Filter{
		{Props: []PropFilter{text("FN", "ü", "", "", false), text("EMAIL", "example", "", MatchEndsWith, true)}},
		{Test: TestAllOf, Props: []PropFilter{{Name: "ITEM1.EMAIL", Test: TestAllOf, TextMatches: []TextMatch{{Value: "a"}}, Params: []ParamFilter{{Name: "TYPE", TextMatch: &TextMatch{Value: "x", Collation: CollationASCIICasemap, MatchType: MatchEquals}}, {Name: "PREF", IsNotDefined: true}}}}},
		{Props: []PropFilter{{Name: "N", TextMatches: []TextMatch{{Value: ";", Collation: CollationOctet, MatchType: MatchStartsWith}}}, {Name: "PHOTO", IsNotDefined: true}}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := vcard.Parse(data)
		if err != nil {
			return
		}
		for _, flt := range filters {
			flt.Match(c)
		}
	})
}
