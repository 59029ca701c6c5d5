package filter

import (
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// decodeXML decodes the root element of doc as a filter.
func decodeXML(t *testing.T, doc string) (*Filter, error) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("no start element: %v", err)
		}
		if s, ok := tok.(xml.StartElement); ok {
			return Decode(d, s)
		}
	}
}

func wrap(inner string) string {
	return `<C:filter xmlns:C="urn:ietf:params:xml:ns:carddav" xmlns:D="DAV:">` + inner + `</C:filter>`
}

func TestDecode_RFCExample(t *testing.T) {
	// RFC 6352 8.6.4, the whole request body.
	doc := `<?xml version="1.0" encoding="utf-8" ?>
<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop>
    <D:getetag/>
    <C:address-data><C:prop name="VERSION"/><C:prop name="UID"/></C:address-data>
  </D:prop>
  <C:filter test="anyof">
    <C:prop-filter name="FN">
      <C:text-match collation="i;unicode-casemap" match-type="contains">daboo</C:text-match>
    </C:prop-filter>
    <C:prop-filter name="EMAIL">
      <C:text-match collation="i;unicode-casemap" match-type="contains">daboo</C:text-match>
    </C:prop-filter>
  </C:filter>
  <C:limit><C:nresults>2</C:nresults></C:limit>
</C:addressbook-query>`
	d := xml.NewDecoder(strings.NewReader(doc))
	var f *Filter
	limit := -1
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		s, ok := tok.(xml.StartElement)
		if !ok || s.Name.Space != NS {
			continue
		}
		switch s.Name.Local {
		case "filter":
			if f, err = Decode(d, s); err != nil {
				t.Fatal(err)
			}
		case "limit":
			if limit, err = DecodeLimit(d, s); err != nil {
				t.Fatal(err)
			}
		case "address-data":
			d.Skip()
		}
	}
	want := &Filter{Test: TestAnyOf, Props: []PropFilter{
		{Name: "FN", Test: TestAnyOf, TextMatches: []TextMatch{{Value: "daboo", Collation: CollationUnicodeCasemap, MatchType: MatchContains}}},
		{Name: "EMAIL", Test: TestAnyOf, TextMatches: []TextMatch{{Value: "daboo", Collation: CollationUnicodeCasemap, MatchType: MatchContains}}},
	}}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("got %+v\nwant %+v", f, want)
	}
	if limit != 2 {
		t.Errorf("limit %d", limit)
	}
}

func TestDecode_Valid(t *testing.T) {
	tm := func(v, c, mt string, neg bool) TextMatch {
		return TextMatch{Value: v, Collation: c, MatchType: mt, Negate: neg}
	}
	tests := []struct {
		name, xml string
		want      *Filter
	}{
		{"empty filter", wrap(""), &Filter{Test: TestAnyOf}},
		{"allof", `<C:filter xmlns:C="urn:ietf:params:xml:ns:carddav" test="allof"/>`, &Filter{Test: TestAllOf}},
		{"defaults", wrap(`<C:prop-filter name="fn"><C:text-match>Doe</C:text-match></C:prop-filter>`),
			&Filter{Test: TestAnyOf, Props: []PropFilter{{Name: "FN", Test: TestAnyOf, TextMatches: []TextMatch{tm("Doe", CollationUnicodeCasemap, MatchContains, false)}}}}},
		{"all attributes", wrap(`<C:prop-filter name="EMAIL" test="allof"><C:text-match collation="i;octet" match-type="ends-with" negate-condition="yes">@example.com</C:text-match><C:text-match collation="i;ascii-casemap" match-type="starts-with" negate-condition="no">j</C:text-match><C:text-match collation="" match-type="equals">x</C:text-match></C:prop-filter>`),
			&Filter{Test: TestAnyOf, Props: []PropFilter{{Name: "EMAIL", Test: TestAllOf, TextMatches: []TextMatch{
				tm("@example.com", CollationOctet, MatchEndsWith, true),
				tm("j", CollationASCIICasemap, MatchStartsWith, false),
				tm("x", CollationUnicodeCasemap, MatchEquals, false),
			}}}}},
		{"param-filters", wrap(`<C:prop-filter name="TEL"><C:param-filter name="type"><C:text-match match-type="equals">cell</C:text-match></C:param-filter><C:param-filter name="PREF"><C:is-not-defined/></C:param-filter><C:param-filter name="X-A"/></C:prop-filter>`),
			&Filter{Test: TestAnyOf, Props: []PropFilter{{Name: "TEL", Test: TestAnyOf, Params: []ParamFilter{
				{Name: "TYPE", TextMatch: &TextMatch{Value: "cell", Collation: CollationUnicodeCasemap, MatchType: MatchEquals}},
				{Name: "PREF", IsNotDefined: true},
				{Name: "X-A"},
			}}}}},
		{"is-not-defined and empty", wrap(`<C:prop-filter name="PHOTO"><C:is-not-defined/></C:prop-filter><C:prop-filter name="EMAIL"/>`),
			&Filter{Test: TestAnyOf, Props: []PropFilter{{Name: "PHOTO", Test: TestAnyOf, IsNotDefined: true}, {Name: "EMAIL", Test: TestAnyOf}}}},
		{"group name", wrap(`<C:prop-filter name="item1.EMAIL"/>`), &Filter{Test: TestAnyOf, Props: []PropFilter{{Name: "ITEM1.EMAIL", Test: TestAnyOf}}}},
		{"text kept exactly", wrap(`<C:prop-filter name="FN"><C:text-match> a &amp; b<!-- c --><![CDATA[<d>]]> </C:text-match></C:prop-filter>`),
			&Filter{Test: TestAnyOf, Props: []PropFilter{{Name: "FN", Test: TestAnyOf, TextMatches: []TextMatch{tm(" a & b<d> ", CollationUnicodeCasemap, MatchContains, false)}}}}},
		{"foreign elements skipped", wrap(`<D:x><C:bogus/></D:x><C:prop-filter name="FN"><D:y/><C:text-match>a<D:z>zz</D:z>b</C:text-match></C:prop-filter>`),
			&Filter{Test: TestAnyOf, Props: []PropFilter{{Name: "FN", Test: TestAnyOf, TextMatches: []TextMatch{tm("ab", CollationUnicodeCasemap, MatchContains, false)}}}}},
		{"attribute in CardDAV namespace", `<C:filter xmlns:C="urn:ietf:params:xml:ns:carddav" C:test="allof"/>`, &Filter{Test: TestAllOf}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeXML(t, tt.xml)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestDecode_Errors(t *testing.T) {
	tests := []struct {
		name, xml string
		want      error
		precond   string
	}{
		{"wrong root", `<C:prop-filter xmlns:C="urn:ietf:params:xml:ns:carddav" name="FN"/>`, ErrInvalidFilter, "valid-filter"},
		{"CalDAV filter", `<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav"/>`, ErrInvalidFilter, "valid-filter"},
		{"bad test", `<C:filter xmlns:C="urn:ietf:params:xml:ns:carddav" test="oneof"/>`, ErrInvalidFilter, "valid-filter"},
		{"upper-case test", `<C:filter xmlns:C="urn:ietf:params:xml:ns:carddav" test="ALLOF"/>`, ErrInvalidFilter, "valid-filter"},
		{"comp-filter", wrap(`<C:comp-filter name="VCARD"/>`), ErrInvalidFilter, "valid-filter"},
		{"text-match at top", wrap(`<C:text-match>x</C:text-match>`), ErrInvalidFilter, "valid-filter"},
		{"no name", wrap(`<C:prop-filter/>`), ErrInvalidFilter, "valid-filter"},
		{"blank name", wrap(`<C:prop-filter name=" "/>`), ErrInvalidFilter, "valid-filter"},
		{"bad name", wrap(`<C:prop-filter name="E MAIL"/>`), ErrInvalidFilter, "valid-filter"},
		{"two groups", wrap(`<C:prop-filter name="a.b.EMAIL"/>`), ErrInvalidFilter, "valid-filter"},
		{"prop test", wrap(`<C:prop-filter name="FN" test="any"/>`), ErrInvalidFilter, "valid-filter"},
		{"is-not-defined with text-match", wrap(`<C:prop-filter name="FN"><C:is-not-defined/><C:text-match>x</C:text-match></C:prop-filter>`), ErrInvalidFilter, "valid-filter"},
		{"is-not-defined with param-filter", wrap(`<C:prop-filter name="FN"><C:param-filter name="X"/><C:is-not-defined/></C:prop-filter>`), ErrInvalidFilter, "valid-filter"},
		{"two is-not-defined", wrap(`<C:prop-filter name="FN"><C:is-not-defined/><C:is-not-defined/></C:prop-filter>`), ErrInvalidFilter, "valid-filter"},
		{"is-not-defined with child", wrap(`<C:prop-filter name="FN"><C:is-not-defined><C:text-match/></C:is-not-defined></C:prop-filter>`), ErrInvalidFilter, "valid-filter"},
		{"unknown element in prop-filter", wrap(`<C:prop-filter name="FN"><C:time-range start="20240101T000000Z"/></C:prop-filter>`), ErrInvalidFilter, "valid-filter"},
		{"param-filter without name", wrap(`<C:prop-filter name="FN"><C:param-filter/></C:prop-filter>`), ErrInvalidFilter, "valid-filter"},
		{"param-filter bad name", wrap(`<C:prop-filter name="FN"><C:param-filter name="a.b"/></C:prop-filter>`), ErrInvalidFilter, "valid-filter"},
		{"param-filter two tests", wrap(`<C:prop-filter name="FN"><C:param-filter name="TYPE"><C:text-match>a</C:text-match><C:text-match>b</C:text-match></C:param-filter></C:prop-filter>`), ErrInvalidFilter, "valid-filter"},
		{"param-filter both", wrap(`<C:prop-filter name="FN"><C:param-filter name="TYPE"><C:is-not-defined/><C:text-match>b</C:text-match></C:param-filter></C:prop-filter>`), ErrInvalidFilter, "valid-filter"},
		{"param-filter nested", wrap(`<C:prop-filter name="FN"><C:param-filter name="TYPE"><C:param-filter name="X"/></C:param-filter></C:prop-filter>`), ErrInvalidFilter, "valid-filter"},
		{"text-match child", wrap(`<C:prop-filter name="FN"><C:text-match>a<C:is-not-defined/></C:text-match></C:prop-filter>`), ErrInvalidFilter, "valid-filter"},
		{"negate true", wrap(`<C:prop-filter name="FN"><C:text-match negate-condition="true">a</C:text-match></C:prop-filter>`), ErrInvalidFilter, "valid-filter"},
		{"unknown collation", wrap(`<C:prop-filter name="FN"><C:text-match collation="i;basic">a</C:text-match></C:prop-filter>`), ErrUnsupportedCollation, "supported-collation"},
		{"collation case", wrap(`<C:prop-filter name="FN"><C:text-match collation="I;OCTET">a</C:text-match></C:prop-filter>`), ErrUnsupportedCollation, "supported-collation"},
		{"collation in param-filter", wrap(`<C:prop-filter name="FN"><C:param-filter name="TYPE"><C:text-match collation="x">a</C:text-match></C:param-filter></C:prop-filter>`), ErrUnsupportedCollation, "supported-collation"},
		{"unknown match-type", wrap(`<C:prop-filter name="FN"><C:text-match match-type="regex">a.*</C:text-match></C:prop-filter>`), ErrUnsupportedFilter, "supported-filter"},
		{"empty match-type", wrap(`<C:prop-filter name="FN"><C:text-match match-type="">a</C:text-match></C:prop-filter>`), ErrUnsupportedFilter, "supported-filter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := decodeXML(t, tt.xml)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, %v; want %v", f, err, tt.want)
			}
			if got := Precondition(err); got != tt.precond {
				t.Errorf("Precondition = %q, want %q", got, tt.precond)
			}
		})
	}
}

func TestDecodeLimit(t *testing.T) {
	tests := []struct {
		xml  string
		want int
		ok   bool
	}{
		{`<C:limit xmlns:C="urn:ietf:params:xml:ns:carddav"><C:nresults>10</C:nresults></C:limit>`, 10, true},
		{`<C:limit xmlns:C="urn:ietf:params:xml:ns:carddav"><C:nresults> 7 </C:nresults><D:x xmlns:D="DAV:"/></C:limit>`, 7, true},
		{`<C:limit xmlns:C="urn:ietf:params:xml:ns:carddav"><C:nresults>0</C:nresults></C:limit>`, 0, true},
		{`<C:limit xmlns:C="urn:ietf:params:xml:ns:carddav"/>`, 0, false},
		{`<C:limit xmlns:C="urn:ietf:params:xml:ns:carddav"><C:nresults>1</C:nresults><C:nresults>2</C:nresults></C:limit>`, 0, false},
		{`<C:limit xmlns:C="urn:ietf:params:xml:ns:carddav"><C:nresults>-1</C:nresults></C:limit>`, 0, false},
		{`<C:limit xmlns:C="urn:ietf:params:xml:ns:carddav"><C:nresults>+1</C:nresults></C:limit>`, 0, false},
		{`<C:limit xmlns:C="urn:ietf:params:xml:ns:carddav"><C:nresults>ten</C:nresults></C:limit>`, 0, false},
		{`<C:limit xmlns:C="urn:ietf:params:xml:ns:carddav"><C:nresults>99999999999999999999</C:nresults></C:limit>`, 0, false},
		{`<C:limit xmlns:C="urn:ietf:params:xml:ns:carddav"><C:nresults></C:nresults></C:limit>`, 0, false},
		{`<C:limit xmlns:C="urn:ietf:params:xml:ns:carddav"><C:nresults>1<C:x/></C:nresults></C:limit>`, 0, false},
		{`<C:limit xmlns:C="urn:ietf:params:xml:ns:carddav"><C:count>1</C:count></C:limit>`, 0, false},
		{`<C:limit xmlns:C="urn:ietf:params:xml:ns:carddav"><C:nresults>1`, 0, false},
		{`<C:nresults xmlns:C="urn:ietf:params:xml:ns:carddav">1</C:nresults>`, 0, false},
	}
	for _, tt := range tests {
		d := xml.NewDecoder(strings.NewReader(tt.xml))
		tok, _ := d.Token()
		n, err := DecodeLimit(d, tok.(xml.StartElement))
		if tt.ok && (err != nil || n != tt.want) {
			t.Errorf("%s: %d, %v; want %d", tt.xml, n, err, tt.want)
		}
		if !tt.ok && !errors.Is(err, ErrInvalidLimit) {
			t.Errorf("%s: %d, %v; want ErrInvalidLimit", tt.xml, n, err)
		}
		if !tt.ok && Precondition(err) != "" {
			t.Errorf("%s: precondition %q", tt.xml, Precondition(err))
		}
	}
}

func TestValidate_HandBuilt(t *testing.T) {
	tests := []struct {
		f    Filter
		want error
	}{
		{Filter{}, nil},
		{Filter{Test: "none"}, ErrInvalidFilter},
		{Filter{Props: []PropFilter{{Name: ""}}}, ErrInvalidFilter},
		{Filter{Props: []PropFilter{{Name: "FN", Test: "x"}}}, ErrInvalidFilter},
		{Filter{Props: []PropFilter{{Name: "FN", IsNotDefined: true, TextMatches: []TextMatch{{Value: "a"}}}}}, ErrInvalidFilter},
		{Filter{Props: []PropFilter{{Name: "FN", Params: []ParamFilter{{Name: "X", IsNotDefined: true, TextMatch: &TextMatch{}}}}}}, ErrInvalidFilter},
		{Filter{Props: []PropFilter{{Name: "FN", Params: []ParamFilter{{Name: "X;Y"}}}}}, ErrInvalidFilter},
		{Filter{Props: []PropFilter{{Name: "FN", TextMatches: []TextMatch{{Collation: "i;x"}}}}}, ErrUnsupportedCollation},
		{Filter{Props: []PropFilter{{Name: "FN", TextMatches: []TextMatch{{MatchType: "like"}}}}}, ErrUnsupportedFilter},
		{Filter{Props: []PropFilter{{Name: "FN", Params: []ParamFilter{{Name: "X", TextMatch: &TextMatch{Collation: "i;x"}}}}}}, ErrUnsupportedCollation},
		{Filter{Props: []PropFilter{{Name: "item1.EMAIL", TextMatches: []TextMatch{{}}}}}, nil},
	}
	for i, tt := range tests {
		err := tt.f.Validate()
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%d: %v, want %v", i, err, tt.want)
		}
	}
}
