package dav

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// RFC 3253 3.8: the DAV:expand-property REPORT, which RFC 4791 7.1 and
// RFC 6352 8.1 require of CalDAV and CardDAV servers.

// renderExpand writes a parsed tree compactly: names in Clark notation,
// children in parentheses.
func renderExpand(props []*ExpandProp) string {
	var b strings.Builder
	for i, p := range props {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Clark(p.Name))
		if len(p.Expand) > 0 {
			b.WriteString("(" + renderExpand(p.Expand) + ")")
		}
	}
	return b.String()
}

// nestedProperties is n levels of DAV:property, each named p<level>.
func nestedProperties(n int) string {
	var open, close strings.Builder
	for i := 1; i <= n; i++ {
		open.WriteString(`<D:property name="p` + strconv.Itoa(i) + `">`)
		close.WriteString("</D:property>")
	}
	return open.String() + close.String()
}

func expandBody(inner string) string {
	return `<D:expand-property xmlns:D="DAV:">` + inner + `</D:expand-property>`
}

// manyProperties is n sibling DAV:property elements with distinct names.
func manyProperties(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(`<D:property name="p` + strconv.Itoa(i) + `" namespace="urn:x"/>`)
	}
	return b.String()
}

var expandCases = []struct {
	name   string
	body   string
	want   string   // rendered tree when accepted
	status int      // 0: accepted
	cond   xml.Name // with status
}{
	// RFC 3253 3.8.1's request.
	{name: "RFC 3253 3.8.1", body: `<?xml version="1.0" encoding="utf-8" ?>
<D:expand-property xmlns:D="DAV:">
  <D:property name="version-history">
    <D:property name="version-set">
      <D:property name="creator-displayname"/>
      <D:property name="activity-set"/>
    </D:property>
  </D:property>
</D:expand-property>`, want: "{DAV:}version-history({DAV:}version-set({DAV:}creator-displayname {DAV:}activity-set))"},
	// What Apple Calendar asks of a principal.
	{name: "Apple proxies", body: `<A:expand-property xmlns:A="DAV:"><A:property name="calendar-proxy-write-for" namespace="http://calendarserver.org/ns/"><A:property name="displayname"/><A:property name="principal-URL"/><A:property name="calendar-user-address-set" namespace="urn:ietf:params:xml:ns:caldav"/></A:property><A:property name="calendar-proxy-read-for" namespace="http://calendarserver.org/ns/"><A:property name="displayname"/></A:property></A:expand-property>`,
		want: "{http://calendarserver.org/ns/}calendar-proxy-write-for({DAV:}displayname {DAV:}principal-URL {urn:ietf:params:xml:ns:caldav}calendar-user-address-set) {http://calendarserver.org/ns/}calendar-proxy-read-for({DAV:}displayname)"},
	{name: "namespace defaults to DAV:", body: expandBody(`<D:property name="owner"/>`), want: "{DAV:}owner"},
	{name: "empty namespace is no namespace", body: expandBody(`<D:property name="plain" namespace=""/>`), want: "{}plain"},
	{name: "attribute values are trimmed", body: expandBody(`<D:property name=" owner " namespace=" urn:x "/>`), want: "{urn:x}owner"},
	{name: "non-ASCII name", body: expandBody(`<D:property name="größe" namespace="urn:x"/>`), want: "{urn:x}größe"},
	{name: "no properties", body: expandBody(""), want: ""},
	{name: "unknown elements and text are ignored (RFC 4918 17)", body: expandBody(`text<X:y xmlns:X="urn:x"><D:property name="no"/></X:y><D:prop><D:getetag/></D:prop><D:property name="owner">more<X:z xmlns:X="urn:x"/></D:property>`), want: "{DAV:}owner"},
	{name: "namespaced attributes are not name or namespace", body: expandBody(`<D:property xmlns:X="urn:x" X:name="no" name="owner" X:namespace="urn:no"/>`), want: "{DAV:}owner"},
	{name: "repeats merge", body: expandBody(`<D:property name="owner"/><D:property name="owner"><D:property name="displayname"/></D:property><D:property name="owner"><D:property name="displayname"><D:property name="x"/></D:property><D:property name="principal-URL"/></D:property>`),
		want: "{DAV:}owner({DAV:}displayname({DAV:}x) {DAV:}principal-URL)"},
	{name: "same local name, other namespace", body: expandBody(`<D:property name="owner"/><D:property name="owner" namespace="urn:x"/>`), want: "{DAV:}owner {urn:x}owner"},
	{name: "nesting at the limit", body: expandBody(nestedProperties(MaxExpandDepth)), want: "{DAV:}p1({DAV:}p2({DAV:}p3({DAV:}p4)))"},
	{name: "nesting over the limit", body: expandBody(nestedProperties(MaxExpandDepth + 1)), status: http.StatusForbidden, cond: CondExpandDepth},
	{name: "distinct properties at the limit", body: expandBody(manyProperties(MaxRequestProps) + manyProperties(MaxRequestProps))},
	{name: "distinct properties over the limit", body: expandBody(manyProperties(MaxRequestProps + 1)), status: http.StatusRequestEntityTooLarge, cond: CondTooManyProps},
	{name: "nested properties count too", body: expandBody(`<D:property name="owner">` + manyProperties(MaxRequestProps) + `</D:property>`), status: http.StatusRequestEntityTooLarge, cond: CondTooManyProps},
	{name: "name bytes over the limit", body: expandBody(`<D:property name="a" namespace="` + strings.Repeat("u", MaxRequestPropBytes/2) + `"/><D:property name="b" namespace="` + strings.Repeat("v", MaxRequestPropBytes/2) + `"/>`), status: http.StatusRequestEntityTooLarge, cond: CondTooManyProps},
	{name: "another root", body: `<D:propfind xmlns:D="DAV:"><D:prop><D:owner/></D:prop></D:propfind>`, status: http.StatusBadRequest},
	{name: "root in another namespace", body: `<X:expand-property xmlns:X="urn:x"/>`, status: http.StatusBadRequest},
	{name: "no name", body: expandBody(`<D:property namespace="urn:x"/>`), status: http.StatusBadRequest},
	{name: "empty name", body: expandBody(`<D:property name=""/>`), status: http.StatusBadRequest},
	{name: "prefixed name", body: expandBody(`<D:property name="D:owner"/>`), status: http.StatusBadRequest},
	{name: "name starting with a digit", body: expandBody(`<D:property name="1owner"/>`), status: http.StatusBadRequest},
	{name: "name with a space", body: expandBody(`<D:property name="a b"/>`), status: http.StatusBadRequest},
	{name: "name with markup", body: expandBody(`<D:property name="a&gt;&lt;b"/>`), status: http.StatusBadRequest},
	{name: "name starting with a combining mark", body: expandBody(`<D:property name="&#x301;a"/>`), status: http.StatusBadRequest},
	{name: "the xml namespace", body: expandBody(`<D:property name="lang" namespace="http://www.w3.org/XML/1998/namespace"/>`), status: http.StatusBadRequest},
	{name: "the xmlns namespace", body: expandBody(`<D:property name="x" namespace="http://www.w3.org/2000/xmlns/"/>`), status: http.StatusBadRequest},
	{name: "bad name nested", body: expandBody(`<D:property name="owner"><D:property name="-x"/></D:property>`), status: http.StatusBadRequest},
}

func TestParseExpandProperty(t *testing.T) {
	for _, tc := range expandCases {
		t.Run(tc.name, func(t *testing.T) {
			props, err := ParseExpandProperty([]byte(tc.body))
			if tc.status != 0 {
				wantError(t, err, tc.status, tc.cond)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != "" || len(props) == 0 {
				if got := renderExpand(props); got != tc.want {
					t.Errorf("tree %s, want %s", got, tc.want)
				}
			} else if len(props) != MaxRequestProps {
				t.Errorf("%d properties, want %d", len(props), MaxRequestProps)
			}
		})
	}
	if _, err := ParseExpandProperty(nil); err == nil {
		t.Error("an empty body was accepted")
	} else {
		wantError(t, err, http.StatusBadRequest, xmlNameZero)
	}
}

func FuzzParseExpandProperty(f *testing.F) {
	for _, tc := range expandCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if CheckXML(body) != nil {
			return // ReadXML refuses it before the parser sees it
		}
		props, err := ParseExpandProperty(body)
		if err != nil {
			mustDavError(t, err)
			return
		}
		count, size := 0, 0
		var check func(props []*ExpandProp, level int)
		check = func(props []*ExpandProp, level int) {
			if level > MaxExpandDepth && len(props) > 0 {
				t.Fatalf("accepted nesting %d", level)
			}
			seen := map[xml.Name]bool{}
			for _, p := range props {
				if seen[p.Name] {
					t.Fatalf("%s twice at one level", Clark(p.Name))
				}
				seen[p.Name] = true
				count++
				size += len(p.Name.Space) + len(p.Name.Local)
				// Every accepted name can be written as an element
				// and reads back as itself.
				doc := valueHead + EmptyElement(p.Name) + "</v>"
				root, err := parseTreeErr([]byte(doc))
				if err != nil || len(root.Kids) != 1 || root.Kids[0].Name != p.Name {
					t.Fatalf("name %q in %q does not round-trip: %s (%v)", p.Name.Local, p.Name.Space, doc, err)
				}
				check(p.Expand, level+1)
			}
		}
		check(props, 1)
		if count > MaxRequestProps || size > MaxRequestPropBytes {
			t.Fatalf("accepted %d properties of %d bytes", count, size)
		}
	})
}

// mapSource is a resource with fixed properties.
type mapSource map[xml.Name]Prop

func (s mapSource) PropNames(bool) []xml.Name {
	var out []xml.Name
	for n := range s {
		out = append(out, n)
	}
	return out
}

func (s mapSource) Prop(n xml.Name) (Prop, bool, error) {
	p, ok := s[n]
	return p, ok, nil
}

var (
	dOwner        = Name(NSDAV, "owner")
	dPrincipalURL = Name(NSDAV, "principal-URL")
	xLinks        = Name("urn:x", "links")
)

// expandWorld is a set of resources by href, and a counter of lookups.
type expandWorld struct {
	res     map[string]mapSource
	lookups map[string]int
}

func newExpandWorld() *expandWorld {
	w := &expandWorld{res: map[string]mapSource{}, lookups: map[string]int{}}
	w.res["/p/alice/"] = mapSource{
		dDisplayName:  TextProp(dDisplayName, "Alice & Co"),
		dPrincipalURL: HrefProp(dPrincipalURL, "/p/alice/"),
		dOwner:        HrefProp(dOwner, "/p/alice/"),
	}
	w.res["/cal/a&b/"] = mapSource{
		dDisplayName: TextProp(dDisplayName, "A and B"),
		dOwner:       HrefProp(dOwner, "/p/alice/"),
	}
	return w
}

func (w *expandWorld) resolve(href string) (PropSource, error) {
	w.lookups[href]++
	if href == "/broken/" {
		return nil, errors.New("storage is down")
	}
	if s, ok := w.res[href]; ok {
		return s, nil
	}
	return nil, nil
}

// expandAnswer runs the expander for src and props and writes the
// answer as a multistatus with one response for /r/.
func expandAnswer(t *testing.T, ex *Expander, src PropSource, props []*ExpandProp, hdr ...string) ([]msResponse, string, bool) {
	t.Helper()
	found, missing, cut, err := ex.Props(src, props)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	ms := NewMultistatus(rec, newReq("REPORT", hdr...))
	if cut {
		err = ms.CutResponse("/r/", found, missing, CondNumberOfMatches, "cut short")
	} else {
		err = ms.Response("/r/", found, missing)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := ms.Close(""); err != nil {
		t.Fatal(err)
	}
	resps, _ := parseMultistatus(t, rec.Body.Bytes())
	if len(resps) != 1 {
		t.Fatalf("%d responses", len(resps))
	}
	return resps, rec.Body.String(), cut
}

// nested parses the DAV:response elements inside a property value.
func nested(t *testing.T, prop *node) []msResponse {
	t.Helper()
	var out []msResponse
	for _, k := range prop.children(dResponse) {
		r := msResponse{Href: k.child(t, dHref).Text}
		if st := k.children(dStatus); len(st) == 1 {
			r.Status = st[0].Text
		}
		for _, ps := range k.children(dPropstat) {
			r.Propstats = append(r.Propstats, msPropstat{Status: ps.child(t, dStatus).Text, Props: ps.child(t, dProp).Kids})
		}
		if (r.Status == "") == (len(r.Propstats) == 0) {
			t.Fatalf("nested response %s must have either a status or propstats", r.Href)
		}
		out = append(out, r)
	}
	return out
}

func mustParseExpand(t *testing.T, inner string) []*ExpandProp {
	t.Helper()
	props, err := ParseExpandProperty([]byte(expandBody(inner)))
	if err != nil {
		t.Fatal(err)
	}
	return props
}

// RFC 3253 3.8: every DAV:href in the value of a property with nested
// DAV:property elements is replaced by a DAV:response with the nested
// properties, in turn expanded; other content stays as it is.
func TestExpanderReplacesHrefs(t *testing.T) {
	w := newExpandWorld()
	src := mapSource{
		dOwner: HrefProp(dOwner, "/p/alice/"),
		// A value with text and other elements around its hrefs, an
		// href in DAV: under another prefix (as dead properties are
		// stored), one in another namespace, an unknown one and an
		// escaped one.
		xLinks: XMLProp(xLinks, `a<X:w xmlns:X="urn:x">b<D:href>/p/alice/</D:href>c</X:w>`+
			`<x:href xmlns:x="DAV:"> /cal/a&amp;b/ </x:href><X:href xmlns:X="urn:x">/p/alice/</X:href>`+
			`<D:href>mailto:alice@example.com</D:href>d`),
		dDisplayName: TextProp(dDisplayName, "/p/alice/"),
	}
	props := mustParseExpand(t, `<D:property name="owner"><D:property name="displayname"/><D:property name="principal-URL"/><D:property name="getetag"/></D:property>`+
		`<D:property name="links" namespace="urn:x"><D:property name="displayname"/><D:property name="owner"><D:property name="displayname"/></D:property></D:property>`+
		`<D:property name="displayname"><D:property name="displayname"/></D:property>`+
		`<D:property name="getetag"><D:property name="displayname"/></D:property>`)
	ex := &Expander{Resolve: w.resolve}
	resps, body, cut := expandAnswer(t, ex, src, props)
	if cut {
		t.Error("cut without a limit reached")
	}
	ok := resps[0].propstat(t, "200")
	if got := resps[0].propstat(t, "404").names(); !namesEqual(got, []xml.Name{dGetETag}) {
		t.Errorf("missing %v, want getetag", got)
	}

	owner := nested(t, ok.prop(t, dOwner))
	if len(owner) != 1 || owner[0].Href != "/p/alice/" {
		t.Fatalf("owner expanded to %+v", owner)
	}
	o := owner[0]
	if got := o.propstat(t, "200").prop(t, dDisplayName).Text; got != "Alice & Co" {
		t.Errorf("nested displayname %q", got)
	}
	// A nested property without DAV:property children keeps its hrefs.
	if got := o.propstat(t, "200").prop(t, dPrincipalURL).child(t, dHref).Text; got != "/p/alice/" {
		t.Errorf("principal-URL %q", got)
	}
	if got := o.propstat(t, "404").names(); !namesEqual(got, []xml.Name{dGetETag}) {
		t.Errorf("nested missing %v", got)
	}

	links := ok.prop(t, xLinks)
	if links.Text != "ad" {
		t.Errorf("text around the hrefs %q, want \"ad\"", links.Text)
	}
	wrap := links.child(t, Name("urn:x", "w"))
	if wrap.Text != "bc" || len(wrap.children(dHref)) != 0 {
		t.Errorf("inner element: text %q, kids %v", wrap.Text, wrap.kidNames())
	}
	inner := nested(t, wrap)
	if len(inner) != 1 || inner[0].Href != "/p/alice/" {
		t.Fatalf("href inside an element expanded to %+v", inner)
	}
	if len(links.children(Name("urn:x", "href"))) != 1 {
		t.Errorf("an href outside DAV: was replaced: %v", links.kidNames())
	}
	if len(links.children(dHref)) != 0 {
		t.Errorf("DAV:href left in %v", links.kidNames())
	}
	top := nested(t, links)
	if len(top) != 2 {
		t.Fatalf("%d responses in links, want 2: %+v", len(top), top)
	}
	// The href is the value's text, trimmed and unescaped, escaped again.
	if top[0].Href != "/cal/a&b/" || top[0].propstat(t, "200").prop(t, dDisplayName).Text != "A and B" {
		t.Errorf("dead property href: %+v", top[0])
	}
	// Two levels: the calendar's owner is expanded in turn.
	calOwner := nested(t, top[0].propstat(t, "200").prop(t, dOwner))
	if len(calOwner) != 1 || calOwner[0].propstat(t, "200").prop(t, dDisplayName).Text != "Alice & Co" {
		t.Errorf("second level: %+v", calOwner)
	}
	// What names nothing the user may see is a 404 and nothing else.
	if top[1].Href != "mailto:alice@example.com" || !strings.Contains(top[1].Status, " 404 ") {
		t.Errorf("unknown href: %+v", top[1])
	}
	// A text value has no hrefs to expand.
	if got := ok.prop(t, dDisplayName).Text; got != "/p/alice/" {
		t.Errorf("text value %q", got)
	}
	if !strings.Contains(body, `<X:w xmlns:X="urn:x">b<response xmlns="DAV:">`) {
		t.Errorf("the value around the href was not kept byte for byte:\n%s", body)
	}
	// Each href is looked up once per property it is expanded for.
	if w.lookups["/p/alice/"] != 3 || w.lookups["/cal/a&b/"] != 1 {
		t.Errorf("lookups %v", w.lookups)
	}
}

// The same href asked for the same properties is read and rendered once
// however many resources name it: every member's DAV:owner is the same
// principal.
func TestExpanderReadsEachHrefOnce(t *testing.T) {
	w := newExpandWorld()
	props := mustParseExpand(t, `<D:property name="owner"><D:property name="displayname"/></D:property>`)
	ex := &Expander{Resolve: w.resolve}
	for range 100 {
		resps, _, _ := expandAnswer(t, ex, w.res["/cal/a&b/"], props)
		o := nested(t, resps[0].propstat(t, "200").prop(t, dOwner))
		if len(o) != 1 || o[0].propstat(t, "200").prop(t, dDisplayName).Text != "Alice & Co" {
			t.Fatalf("owner %+v", o)
		}
	}
	if w.lookups["/p/alice/"] != 1 {
		t.Errorf("%d lookups of the owner, want 1", w.lookups["/p/alice/"])
	}
}

// Once Limit responses are added, further hrefs stay hrefs and the
// resource's answer says it was cut short.
func TestExpanderLimit(t *testing.T) {
	w := newExpandWorld()
	src := mapSource{xLinks: XMLProp(xLinks, `<D:href>/p/alice/</D:href><D:href>/cal/a&amp;b/</D:href><D:href>/none/</D:href>`)}
	props := mustParseExpand(t, `<D:property name="links" namespace="urn:x"><D:property name="owner"><D:property name="displayname"/></D:property></D:property>`)
	// /p/alice/ and its owner (itself) are two responses; the
	// calendar would add two more.
	ex := &Expander{Resolve: w.resolve, Limit: 3}
	resps, body, cut := expandAnswer(t, ex, src, props)
	if !cut {
		t.Fatalf("not cut:\n%s", body)
	}
	links := resps[0].propstat(t, "200").prop(t, xLinks)
	var kinds []string
	for _, k := range links.Kids {
		kinds = append(kinds, k.Name.Local)
	}
	// The calendar gets its response but not its owner's (the third
	// and last); /none/ stays an href.
	if got := strings.Join(kinds, " "); got != "response response href" {
		t.Errorf("value holds %s:\n%s", got, body)
	}
	cal := nested(t, links)[1]
	if owner := cal.propstat(t, "200").prop(t, dOwner); len(owner.children(dHref)) != 1 {
		t.Errorf("calendar owner expanded beyond the limit:\n%s", body)
	}
	if !strings.Contains(body, "<error><number-of-matches-within-limits/></error><responsedescription>cut short</responsedescription></response>") {
		t.Errorf("no cut marker:\n%s", body)
	}
	// A rendered response whose size no longer fits stays an href too.
	resps, _, cut = expandAnswer(t, ex, w.res["/cal/a&b/"], props[0].Expand)
	if !cut || len(resps[0].propstat(t, "200").prop(t, dOwner).children(dHref)) != 1 {
		t.Errorf("cached response used beyond the limit (cut %v)", cut)
	}
}

func TestExpanderMinimalAndErrors(t *testing.T) {
	w := newExpandWorld()
	props := mustParseExpand(t, `<D:property name="owner"><D:property name="displayname"/><D:property name="getetag"/></D:property>`)
	ex := &Expander{Resolve: w.resolve, Minimal: true}
	resps, body, _ := expandAnswer(t, ex, w.res["/cal/a&b/"], props, "Prefer", "return=minimal")
	o := nested(t, resps[0].propstat(t, "200").prop(t, dOwner))
	if len(o) != 1 || len(o[0].Propstats) != 1 {
		t.Errorf("minimal nested response keeps its 404s:\n%s", body)
	}
	// A failing lookup fails the report.
	src := mapSource{dOwner: HrefProp(dOwner, "/broken/")}
	if _, _, _, err := (&Expander{Resolve: w.resolve}).Props(src, props); err == nil || !strings.Contains(err.Error(), "storage is down") {
		t.Errorf("lookup error: %v", err)
	}
	// A stored value that does not parse is answered as it is.
	bad := mapSource{xLinks: XMLProp(xLinks, `<D:href>/p/alice/</D:href><x:a xmlns:x="urn:x">`)}
	lp := mustParseExpand(t, `<D:property name="links" namespace="urn:x"><D:property name="displayname"/></D:property>`)
	found, _, _, err := (&Expander{Resolve: w.resolve}).Props(bad, lp)
	if err != nil || len(found) != 1 || found[0].XML != bad[xLinks].XML {
		t.Errorf("malformed value: %v %+v", err, found)
	}
}

// expandValueCases seed FuzzExpandValue: values as pre-rendered
// properties and stored dead properties hold them.
var expandValueCases = []string{
	`<D:href>/p/alice/</D:href>`,
	`<D:href>/p/alice/</D:href><D:href>mailto:a@example.com</D:href>`,
	`a<X:w xmlns:X="urn:x">b<D:href>/p/alice/</D:href>c</X:w>d`,
	`<x:href xmlns:x="DAV:">/cal/a&amp;b/</x:href>`,
	`<D:href/>`,
	`<D:href><D:href>/p/alice/</D:href></D:href>`,
	`<![CDATA[<D:href>/p/alice/</D:href>]]><D:href><![CDATA[/p/alice/]]></D:href>`,
	`<!-- <D:href>x</D:href> --><D:href>/p/alice/</D:href>`,
	`<D:href>/p/alice/</D:href><x:a xmlns:x="urn:x">`,
	`</D:href>`,
	`<D:href xmlns:D="urn:not-dav">/p/alice/</D:href>`,
	`text with href but no element`,
	`<CS:organizer><D:href>/p/alice/</D:href><CS:common-name>A</CS:common-name></CS:organizer>`,
}

// FuzzExpandValue checks the value scanner on arbitrary values: what
// parses stays well-formed with every DAV:href replaced, what does not
// parse is answered unchanged, and nothing panics.
func FuzzExpandValue(f *testing.F) {
	for _, v := range expandValueCases {
		f.Add(v)
	}
	props, err := ParseExpandProperty([]byte(expandBody(`<D:property name="links" namespace="urn:x"><D:property name="displayname"/><D:property name="owner"><D:property name="displayname"/></D:property></D:property>`)))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value string) {
		w := newExpandWorld()
		src := mapSource{xLinks: XMLProp(xLinks, value)}
		found, _, cut, err := (&Expander{Resolve: w.resolve}).Props(src, props)
		if err != nil {
			if !strings.Contains(value, "/broken/") {
				t.Fatalf("error %v", err)
			}
			return
		}
		if cut || len(found) != 1 {
			t.Fatalf("cut %v, found %d", cut, len(found))
		}
		out := found[0].XML
		in, inErr := parseTreeErr([]byte(valueHead + value + "</v>"))
		if inErr != nil {
			if out != value {
				t.Fatalf("a value that does not parse was changed: %q -> %q", value, out)
			}
			return
		}
		root, err := parseTreeErr([]byte(valueHead + out + "</v>"))
		if err != nil {
			t.Fatalf("expansion of %q is not well-formed: %v\n%s", value, err, out)
		}
		var hrefs func(n *node, inResponse bool) int
		hrefs = func(n *node, inResponse bool) int {
			c := 0
			for _, k := range n.Kids {
				if k.Name == dHref && !inResponse {
					c++
				}
				c += hrefs(k, inResponse || k.Name == dResponse)
			}
			return c
		}
		if n := hrefs(root, false); n != 0 {
			t.Fatalf("%d DAV:href left outside responses in %q -> %q", n, value, out)
		}
		if hrefs(in, false) == 0 && out != value {
			t.Fatalf("a value without DAV:href was changed: %q -> %q", value, out)
		}
	})
}

func TestCutResponse(t *testing.T) {
	rec := httptest.NewRecorder()
	ms := NewMultistatus(rec, newReq("REPORT"))
	if err := ms.CutResponse("/r/", []Prop{TextProp(dDisplayName, "x")}, []xml.Name{dGetETag}, CondNumberOfMatches, "a < b"); err != nil {
		t.Fatal(err)
	}
	if err := ms.Close(""); err != nil {
		t.Fatal(err)
	}
	root := parseTree(t, rec.Body.Bytes())
	r := root.child(t, dResponse)
	want := []xml.Name{dHref, dPropstat, dPropstat, dError, Name(NSDAV, "responsedescription")}
	if got := r.kidNames(); !namesEqual(got, want) {
		t.Errorf("response holds %v, want %v", got, want)
	}
	if got := r.child(t, dError).kidNames(); !namesEqual(got, []xml.Name{CondNumberOfMatches}) {
		t.Errorf("error %v", got)
	}
	if got := r.child(t, Name(NSDAV, "responsedescription")).Text; got != "a < b" {
		t.Errorf("description %q", got)
	}
}

// BenchmarkExpandOwner10k is an expand-property at Depth: 1 of a
// collection of 10,000 members asking for each member's DAV:owner,
// expanded into its displayname: the owner's response is read and
// rendered once and reused for every member.
func BenchmarkExpandOwner10k(b *testing.B) {
	const members = 10000
	hrefs := make([]string, members)
	for i := range hrefs {
		hrefs[i] = "/dav/calendars/alice/work/" + strconv.Itoa(i) + "-4f9c2b1e-event.ics"
	}
	props, err := ParseExpandProperty([]byte(expandBody(`<D:property name="owner"><D:property name="displayname"/></D:property><D:property name="getetag"/>`)))
	if err != nil {
		b.Fatal(err)
	}
	src := mapSource{
		dOwner:   HrefProp(dOwner, "/p/alice/"),
		dGetETag: TextProp(dGetETag, `"3f2a9c0d8e7b6a5f4e3d2c1b0a998877"`),
	}
	world := newExpandWorld()
	req := newReq("REPORT", "Depth", "1")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.n = 0
		ex := &Expander{Resolve: world.resolve}
		m := NewMultistatus(w, req)
		for _, h := range hrefs {
			found, missing, cut, err := ex.Props(src, props)
			if err != nil || cut {
				b.Fatal(err, cut)
			}
			if err := m.Response(h, found, missing); err != nil {
				b.Fatal(err)
			}
		}
		if err := m.Close(""); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w.n), "bytes/doc")
}
