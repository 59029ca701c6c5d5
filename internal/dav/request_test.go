package dav

import (
	"encoding/xml"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var propfindCases = []struct {
	name    string
	body    string
	kind    PropfindKind
	props   []xml.Name
	include []xml.Name
	bad     bool
}{
	{
		name:  "Prop",
		body:  `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/><D:displayname>ignored</D:displayname></D:prop></D:propfind>`,
		kind:  FindProp,
		props: []xml.Name{dGetETag, cCalData, dDisplayName},
	},
	{
		name:  "PropDefaultNamespace",
		body:  `<propfind xmlns="DAV:"><prop><resourcetype/><getctag xmlns="http://calendarserver.org/ns/"/><x:foo xmlns:x="urn:x"/></prop></propfind>`,
		kind:  FindProp,
		props: []xml.Name{dResType, csGetCTag, Name("urn:x", "foo")},
	},
	{
		name: "PropEmpty",
		body: `<D:propfind xmlns:D="DAV:"><D:prop/></D:propfind>`,
		kind: FindProp,
	},
	{
		name: "AllProp",
		body: `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`,
		kind: FindAllProp,
	},
	{
		name:    "AllPropInclude",
		body:    `<D:propfind xmlns:D="DAV:"><D:allprop/><D:include><C:calendar-data xmlns:C="urn:ietf:params:xml:ns:caldav"/><D:getetag/></D:include></D:propfind>`,
		kind:    FindAllProp,
		include: []xml.Name{cCalData, dGetETag},
	},
	{
		name: "PropName",
		body: `<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`,
		kind: FindPropName,
	},
	{
		name:  "UnknownElementsIgnored",
		body:  `<D:propfind xmlns:D="DAV:" xmlns:X="urn:x"><X:extension/><D:prop><D:getetag/></D:prop><X:more>text</X:more></D:propfind>`,
		kind:  FindProp,
		props: []xml.Name{dGetETag},
	},
	{name: "EmptyPropfind", body: `<D:propfind xmlns:D="DAV:"/>`, bad: true},
	{name: "PropAndAllProp", body: `<D:propfind xmlns:D="DAV:"><D:allprop/><D:prop><D:getetag/></D:prop></D:propfind>`, bad: true},
	{name: "PropNameAndAllProp", body: `<D:propfind xmlns:D="DAV:"><D:allprop/><D:propname/></D:propfind>`, bad: true},
	{name: "AllThree", body: `<D:propfind xmlns:D="DAV:"><D:allprop/><D:propname/><D:prop/></D:propfind>`, bad: true},
	{name: "WrongRoot", body: `<D:propertyupdate xmlns:D="DAV:"><D:allprop/></D:propertyupdate>`, bad: true},
	{name: "WrongRootNamespace", body: `<propfind><allprop/></propfind>`, bad: true},
	{name: "PropInWrongNamespace", body: `<D:propfind xmlns:D="DAV:" xmlns:X="urn:x"><X:prop><D:getetag/></X:prop></D:propfind>`, bad: true},
	{name: "NotXML", body: `propfind`, bad: true},
	{name: "EmptyNonNil", body: ``, bad: true},
}

func TestParsePropfind(t *testing.T) {
	for _, tt := range propfindCases {
		t.Run(tt.name, func(t *testing.T) {
			pf, err := ParsePropfind([]byte(tt.body))
			if tt.bad {
				wantError(t, err, http.StatusBadRequest, xmlNameZero)
				if pf != nil {
					t.Fatalf("returned %+v with an error", pf)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pf.Kind != tt.kind || !namesEqual(pf.Props, tt.props) || !namesEqual(pf.Include, tt.include) {
				t.Fatalf("got %+v, want kind %d props %v include %v", pf, tt.kind, tt.props, tt.include)
			}
		})
	}
}

func TestParsePropfind_NilBodyIsAllProp(t *testing.T) {
	pf, err := ParsePropfind(nil)
	if err != nil || pf.Kind != FindAllProp || pf.Props != nil || pf.Include != nil {
		t.Fatalf("got %+v, %v", pf, err)
	}
}

func TestParseProppatch_Order(t *testing.T) {
	body := `<?xml version="1.0"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/" xmlns:Z="urn:z">
  <D:set><D:prop><D:displayname>Work &amp; Play</D:displayname><I:calendar-color>#00FF00</I:calendar-color></D:prop></D:set>
  <D:remove><D:prop><Z:gone/></D:prop></D:remove>
  <D:set><D:prop><Z:again>1</Z:again></D:prop></D:set>
  <D:remove><D:prop><D:displayname/></D:prop></D:remove>
</D:propertyupdate>`
	ops, err := ParseProppatch([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		remove bool
		name   xml.Name
		text   string
	}{
		{false, dDisplayName, "Work & Play"},
		{false, Name(NSAppleICal, "calendar-color"), "#00FF00"},
		{true, Name("urn:z", "gone"), ""},
		{false, Name("urn:z", "again"), "1"},
		{true, dDisplayName, ""},
	}
	if len(ops) != len(want) {
		t.Fatalf("got %d ops: %+v", len(ops), ops)
	}
	for i, w := range want {
		if ops[i].Remove != w.remove || ops[i].Prop.Name != w.name || ops[i].Prop.Text() != w.text {
			t.Errorf("op %d = {remove %v %v %q}, want %+v", i, ops[i].Remove, ops[i].Prop.Name, ops[i].Prop.Text(), w)
		}
	}
}

func TestParseProppatch_ComplexValueSurvives(t *testing.T) {
	// A dead property with nested elements in foreign namespaces and a
	// default namespace must be storable as Inner and re-parse to the
	// same tree.
	body := `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>` +
		`<A:meta xmlns:A="urn:a" xmlns="urn:dflt" xmlns:B="urn:b">` +
		`<entry B:kind="x" plain="y"><B:k>key</B:k><v>value &lt;1&gt;</v></entry>` +
		`<B:empty/>tail&#13;</A:meta>` +
		`</D:prop></D:set></D:propertyupdate>`
	ops, err := ParseProppatch([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || ops[0].Remove || ops[0].Prop.Name != Name("urn:a", "meta") {
		t.Fatalf("ops = %+v", ops)
	}
	// Replay it the way a PROPFIND would and parse that.
	rec := newRecorderMultistatus(t, "PROPFIND", func(m *Multistatus) {
		m.Response("/p", []Prop{XMLProp(ops[0].Prop.Name, ops[0].Prop.Inner)}, nil)
	})
	resps, _ := parseMultistatus(t, rec.Body.Bytes())
	meta := resps[0].propstat(t, "200").prop(t, Name("urn:a", "meta"))
	if got := meta.kidNames(); !namesEqual(got, []xml.Name{Name("urn:dflt", "entry"), Name("urn:b", "empty")}) {
		t.Fatalf("children %v (inner %q)", got, ops[0].Prop.Inner)
	}
	if meta.Text != "tail\r" {
		t.Fatalf("text %q", meta.Text)
	}
	entry := meta.Kids[0]
	if v, _ := entry.attr("", "plain"); v != "y" {
		t.Fatalf("attrs %v", entry.Attr)
	}
	if v, _ := entry.attr("urn:b", "kind"); v != "x" {
		t.Fatalf("namespaced attr lost: %v", entry.Attr)
	}
	if got := entry.kidNames(); !namesEqual(got, []xml.Name{Name("urn:b", "k"), Name("urn:dflt", "v")}) {
		t.Fatalf("entry children %v", got)
	}
	if entry.Kids[0].Text != "key" || entry.Kids[1].Text != "value <1>" {
		t.Fatalf("values %q %q", entry.Kids[0].Text, entry.Kids[1].Text)
	}
	// And the stored Inner re-parses on its own as a RawXML again.
	again := unmarshalRaw(t, "<R:meta xmlns:R=\"urn:a\">"+ops[0].Prop.Inner+"</R:meta>")
	if again.Inner != ops[0].Prop.Inner {
		t.Fatalf("Inner is not stable:\n%q\n%q", ops[0].Prop.Inner, again.Inner)
	}
}

func TestParseProppatch_Errors(t *testing.T) {
	tests := []struct{ name, body string }{
		{"Nil", ""},
		{"Empty", `<D:propertyupdate xmlns:D="DAV:"/>`},
		{"EmptySet", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop/></D:set></D:propertyupdate>`},
		{"WrongRoot", `<D:propfind xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propfind>`},
		{"WrongRootNamespace", `<propertyupdate><set><prop><displayname>x</displayname></prop></set></propertyupdate>`},
		{"UnknownInstruction", `<D:propertyupdate xmlns:D="DAV:"><D:delete><D:prop><D:displayname/></D:prop></D:delete></D:propertyupdate>`},
		{"NotXML", `hello`},
		{"Truncated", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set><D:remove><D:prop><D:other`},
		{"TruncatedValue", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			ops, err := ParseProppatch(body)
			wantError(t, err, http.StatusBadRequest, xmlNameZero)
			if ops != nil {
				t.Fatalf("ops returned with error: %+v", ops)
			}
		})
	}
}

func TestParseProppatch_OnlyPropChildrenAreProperties(t *testing.T) {
	// Children of an unknown element inside DAV:set are not properties.
	body := `<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:x"><D:set>` +
		`<X:ext><X:notaprop>no</X:notaprop></X:ext>` +
		`<D:prop><D:displayname>yes</D:displayname></D:prop>` +
		`</D:set></D:propertyupdate>`
	ops, err := ParseProppatch([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || ops[0].Prop.Name != dDisplayName || ops[0].Prop.Text() != "yes" {
		t.Fatalf("ops = %+v", ops)
	}
}

func TestParseSetProps(t *testing.T) {
	t.Run("MKCALENDAR", func(t *testing.T) {
		body := `<?xml version="1.0" encoding="utf-8" ?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set>
    <D:prop>
      <D:displayname>Lisa's Events</D:displayname>
      <C:calendar-description xml:lang="en">Calendar restricted to events.</C:calendar-description>
      <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
      <C:calendar-timezone><![CDATA[BEGIN:VCALENDAR
END:VCALENDAR
]]></C:calendar-timezone>
    </D:prop>
  </D:set>
</C:mkcalendar>`
		root, ops, err := ParseSetProps([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if root != Name(NSCalDAV, "mkcalendar") {
			t.Fatalf("root %v", root)
		}
		var names []xml.Name
		for _, op := range ops {
			if op.Remove {
				t.Fatalf("remove op in %+v", op)
			}
			names = append(names, op.Prop.Name)
		}
		want := []xml.Name{dDisplayName, Name(NSCalDAV, "calendar-description"), Name(NSCalDAV, "supported-calendar-component-set"), Name(NSCalDAV, "calendar-timezone")}
		if !namesEqual(names, want) {
			t.Fatalf("names %v", names)
		}
		if ops[0].Prop.Text() != "Lisa's Events" {
			t.Fatalf("displayname %q", ops[0].Prop.Text())
		}
		if ops[3].Prop.Text() != "BEGIN:VCALENDAR\nEND:VCALENDAR\n" {
			t.Fatalf("timezone %q", ops[3].Prop.Text())
		}
		comps := ops[2].Prop.Children()
		if len(comps) != 1 || comps[0] != Name(NSCalDAV, "comp") {
			t.Fatalf("comps %v", comps)
		}
		tree := parseTree(t, []byte("<w>"+ops[2].Prop.Inner+"</w>"))
		if v, _ := tree.Kids[0].attr("", "name"); v != "VEVENT" {
			t.Fatalf("comp attrs %v", tree.Kids[0].Attr)
		}
	})
	t.Run("ExtendedMKCOL", func(t *testing.T) {
		body := `<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>` +
			`<D:resourcetype><D:collection/><C:calendar/></D:resourcetype><D:displayname>Cal</D:displayname>` +
			`</D:prop></D:set></D:mkcol>`
		root, ops, err := ParseSetProps([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if root != Name(NSDAV, "mkcol") || len(ops) != 2 {
			t.Fatalf("root %v ops %+v", root, ops)
		}
		if got := ops[0].Prop.Children(); !namesEqual(got, []xml.Name{Name(NSDAV, "collection"), Name(NSCalDAV, "calendar")}) {
			t.Fatalf("resourcetype children %v", got)
		}
	})
	t.Run("NoSet", func(t *testing.T) {
		root, ops, err := ParseSetProps([]byte(`<C:mkcalendar xmlns:C="urn:ietf:params:xml:ns:caldav"/>`))
		if err != nil || root != Name(NSCalDAV, "mkcalendar") || len(ops) != 0 {
			t.Fatalf("got %v %+v %v", root, ops, err)
		}
	})
	t.Run("RemoveRefused", func(t *testing.T) {
		_, ops, err := ParseSetProps([]byte(`<D:mkcol xmlns:D="DAV:"><D:remove><D:prop><D:displayname/></D:prop></D:remove></D:mkcol>`))
		wantError(t, err, http.StatusBadRequest, xmlNameZero)
		if ops != nil {
			t.Fatalf("ops %+v", ops)
		}
	})
	t.Run("RemoveAfterSetRefused", func(t *testing.T) {
		_, _, err := ParseSetProps([]byte(`<D:mkcol xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set><D:remove><D:prop><D:displayname/></D:prop></D:remove></D:mkcol>`))
		wantError(t, err, http.StatusBadRequest, xmlNameZero)
	})
	t.Run("UnknownChild", func(t *testing.T) {
		_, _, err := ParseSetProps([]byte(`<D:mkcol xmlns:D="DAV:"><D:bogus/></D:mkcol>`))
		wantError(t, err, http.StatusBadRequest, xmlNameZero)
	})
	t.Run("NotXML", func(t *testing.T) {
		_, _, err := ParseSetProps([]byte(`not xml`))
		wantError(t, err, http.StatusBadRequest, xmlNameZero)
	})
}

var syncCases = []struct {
	name   string
	body   string
	want   *SyncCollection
	status int
	cond   xml.Name
}{
	{
		name: "Initial",
		body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`,
		want: &SyncCollection{Props: []xml.Name{dGetETag}},
	},
	{
		name: "WithToken",
		body: `<D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:sync-token>
    urn:almanac:sync:abc:42
  </D:sync-token>
  <D:sync-level> 1 </D:sync-level>
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
</D:sync-collection>`,
		want: &SyncCollection{Token: "urn:almanac:sync:abc:42", Props: []xml.Name{dGetETag, cCalData}},
	},
	{
		name: "Limit",
		body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token>t</D:sync-token><D:sync-level>1</D:sync-level><D:limit><D:nresults> 100 </D:nresults></D:limit><D:prop/></D:sync-collection>`,
		want: &SyncCollection{Token: "t", Limit: 100},
	},
	{
		name: "NoProp",
		body: `<sync-collection xmlns="DAV:"><sync-token></sync-token><sync-level>1</sync-level></sync-collection>`,
		want: &SyncCollection{},
	},
	{name: "Infinite", body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>infinite</D:sync-level><D:prop/></D:sync-collection>`, status: 403, cond: Name(NSDAV, "supported-sync-level")},
	// RFC 6578 6.1 requires sync-level, but older iOS leaves it out.
	{name: "LevelMissing", body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token>t</D:sync-token><D:prop><D:getetag/></D:prop></D:sync-collection>`, want: &SyncCollection{Token: "t", Props: []xml.Name{dGetETag}}},
	{name: "LevelEmpty", body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level/><D:prop/></D:sync-collection>`, status: 400},
	{name: "LevelTwo", body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>2</D:sync-level></D:sync-collection>`, status: 400},
	{name: "TokenMissing", body: `<D:sync-collection xmlns:D="DAV:"><D:sync-level>1</D:sync-level><D:prop/></D:sync-collection>`, status: 400},
	{name: "LimitZero", body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:limit><D:nresults>0</D:nresults></D:limit></D:sync-collection>`, status: 400},
	{name: "LimitNegative", body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:limit><D:nresults>-5</D:nresults></D:limit></D:sync-collection>`, status: 400},
	{name: "LimitText", body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:limit><D:nresults>ten</D:nresults></D:limit></D:sync-collection>`, status: 400},
	{name: "LimitOverflow", body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:limit><D:nresults>99999999999999999999999</D:nresults></D:limit></D:sync-collection>`, status: 400},
	{name: "LimitEmpty", body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:limit/></D:sync-collection>`, status: 400},
	{name: "WrongRoot", body: `<D:propfind xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level></D:propfind>`, status: 400},
	{name: "WrongNamespace", body: `<sync-collection><sync-token/><sync-level>1</sync-level></sync-collection>`, status: 400},
	{name: "Empty", body: ``, status: 400},
	{name: "NotXML", body: `sync`, status: 400},
}

func TestParseSyncCollection(t *testing.T) {
	for _, tt := range syncCases {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := ParseSyncCollection([]byte(tt.body))
			if tt.status != 0 {
				wantError(t, err, tt.status, tt.cond)
				if sc != nil {
					t.Fatalf("returned %+v with error", sc)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sc.Token != tt.want.Token || sc.Limit != tt.want.Limit || !namesEqual(sc.Props, tt.want.Props) {
				t.Fatalf("got %+v, want %+v", sc, tt.want)
			}
		})
	}
}

func TestSyncToken_RoundTrip(t *testing.T) {
	for _, tt := range []struct {
		inc string
		seq uint64
	}{
		{"a1b2c3", 0},
		{"a1b2c3", 1},
		{"0123456789abcdef", math.MaxUint64},
		{"with:colons:inside", 7},
		{"uuid-4f3c", 123456789},
	} {
		tok := SyncToken(tt.inc, tt.seq)
		if !strings.HasPrefix(tok, "urn:") || strings.ContainsAny(tok, " <>&\"") {
			t.Errorf("token %q is not a plain URI", tok)
		}
		inc, seq, err := ParseSyncToken(tok)
		if err != nil || inc != tt.inc || seq != tt.seq {
			t.Errorf("ParseSyncToken(%q) = %q, %d, %v; want %q, %d", tok, inc, seq, err, tt.inc, tt.seq)
		}
	}
}

func TestParseSyncToken_Foreign(t *testing.T) {
	for _, tok := range []string{
		"",
		"http://other.example/sync/1",
		"urn:almanac:sync:",
		"urn:almanac:sync:abc",
		"urn:almanac:sync:abc:",
		"urn:almanac:sync::5",
		"urn:almanac:sync:abc:-1",
		"urn:almanac:sync:abc:1.5",
		"urn:almanac:sync:abc:18446744073709551616",
		"urn:almanac:sync:abc: 5",
		"URN:ALMANAC:SYNC:abc:5",
		"data:,urn:almanac:sync:abc:5",
	} {
		_, _, err := ParseSyncToken(tok)
		e := wantError(t, err, http.StatusForbidden, CondValidSyncToken)
		if e.Message == "" {
			t.Errorf("no message for %q", tok)
		}
	}
}

func TestHrefs(t *testing.T) {
	body := `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><D:href>/not/top-level</D:href></D:prop>
  <D:href>/dav/calendars/a/c/1.ics</D:href>
  <D:href>
     /dav/calendars/a/c/2%20x.ics
  </D:href>
  <X:href xmlns:X="urn:x">/wrong/ns</X:href>
  <href>/no/ns</href>
  <D:href>/a&amp;b</D:href>
  <D:href></D:href>
</C:calendar-multiget>`
	got, err := Hrefs([]byte(body))
	want := []string{"/dav/calendars/a/c/1.ics", "/dav/calendars/a/c/2%20x.ics", "/a&b", ""}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Hrefs = %q, %v, want %q", got, err, want)
	}
	if got, err := Hrefs([]byte(`<D:x xmlns:D="DAV:"/>`)); len(got) != 0 || err != nil {
		t.Fatalf("Hrefs of empty = %q, %v", got, err)
	}
	if got, err := Hrefs(nil); len(got) != 0 || err != nil {
		t.Fatalf("Hrefs(nil) = %q, %v", got, err)
	}
}

func TestHrefs_Many(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>`)
	for i := range 1000 {
		sb.WriteString("<D:href>/c/" + strconv.Itoa(i) + ".ics</D:href>")
	}
	sb.WriteString("</C:calendar-multiget>")
	got, err := Hrefs([]byte(sb.String()))
	if err != nil || len(got) != 1000 || got[0] != "/c/0.ics" || got[999] != "/c/999.ics" {
		t.Fatalf("got %d hrefs: first %q", len(got), got[:min(1, len(got))])
	}
}

func TestEachChildOf(t *testing.T) {
	doc := `<r xmlns:a="urn:a" xmlns:b="urn:b"><a:one>1</a:one>text<b:two><a:inner/></b:two><a:three/></r><after/>`
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Token() // <r>
	var got []string
	err := EachChildOf(d, "urn:a", func(se xml.StartElement) error {
		got = append(got, se.Name.Local)
		return d.Skip()
	})
	if err != nil || strings.Join(got, ",") != "one,three" {
		t.Fatalf("got %v, %v", got, err)
	}
	// The walk stops at </r>: the next token is <after/>.
	if tok, _ := d.Token(); tok.(xml.StartElement).Name.Local != "after" {
		t.Errorf("next token %v", tok)
	}
	// Callback errors come back as they are; decoder errors as *XMLError.
	stop := errors.New("stop")
	d = xml.NewDecoder(strings.NewReader(`<r><x/></r>`))
	d.Token()
	if err := EachChildOf(d, "", func(xml.StartElement) error { return stop }); err != stop {
		t.Errorf("callback error: %v", err)
	}
	d = xml.NewDecoder(strings.NewReader(`<r><x/>`))
	d.Token()
	var xe *XMLError
	if err := EachChildOf(d, "", func(xml.StartElement) error { return d.Skip() }); !errors.As(err, &xe) {
		t.Errorf("truncated document: %v", err)
	}
}
