package dav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func deepXML(n int) string {
	return strings.Repeat("<a>", n) + strings.Repeat("</a>", n)
}

var checkXMLCases = []struct {
	name string
	doc  string
	ok   bool
}{
	{"Simple", `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`, true},
	{"Declaration", `<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`, true},
	{"BOM", "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>", true},
	{"CommentsAndPI", `<!-- hi --><a><?pi x?><!-- in --></a><!-- after -->`, true},
	{"CDATA", `<a><![CDATA[<not-a-tag> & stuff]]></a>`, true},
	{"PredefinedEntities", `<a>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;</a>`, true},
	{"DefaultNamespace", `<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>`, true},
	{"MaxDepth", deepXML(MaxXMLDepth), true},
	{"LeadingWhitespace", "\n\t <a/>\n", true},

	{"DoctypeEntity", `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "boom">]><a>&x;</a>`, false},
	{"BillionLaughs", `<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>`, false},
	{"DoctypeSystem", `<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>`, false},
	{"DoctypeOnly", `<!DOCTYPE a>`, false},
	{"DoctypeAfterRoot", `<a/><!DOCTYPE a>`, false},
	{"UndefinedEntity", `<a>&x;</a>`, false},
	{"UndefinedEntityInAttr", `<a b="&x;"/>`, false},
	{"TooDeep", deepXML(MaxXMLDepth + 1), false},
	{"VeryDeep", deepXML(10000), false},
	{"TwoRoots", `<a/><b/>`, false},
	{"TwoRootsSameName", `<a></a><a></a>`, false},
	{"Truncated", `<D:propfind xmlns:D="DAV:"><D:prop>`, false},
	{"TruncatedTag", `<D:propfind xmlns:D="DAV:"`, false},
	{"TruncatedAttr", `<a b="`, false},
	{"MismatchedEnd", `<a></b>`, false},
	{"ExtraEnd", `<a></a></a>`, false},
	{"OnlyText", `hello`, false},
	{"OnlyComment", `<!-- nothing -->`, false},
	{"Empty", ``, false},
	{"ControlChar", "<a>\x01</a>", false},
	{"InvalidUTF8", "<a>\xff</a>", false},
	{"ForeignEncoding", `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, false},
	{"BadAttr", `<a b=c/>`, false},
	{"DuplicateAttr", `<a><b x="1" x="2"/></a>`, false},
	{"DuplicateNamespacedAttr", `<a xmlns:p="urn:u" xmlns:q="urn:u"><b p:x="1" q:x="2"/></a>`, false},
	{"DuplicateAttrMany", `<a ` + manyAttrs(40) + ` k3="dup"/>`, false},
	{"SameLocalOtherNamespaces", `<a xmlns:p="urn:u" xmlns:q="urn:v" p:x="1" q:x="2" x="3"/>`, true},
	{"ManyDistinctAttrs", `<a ` + manyAttrs(40) + `/>`, true},
	{"LocalNameStartsWithDigit", `<a xmlns:D="DAV:"><D:0/></a>`, false},
	{"LocalNameStartsWithDot", `<a xmlns:D="DAV:"><D:.x/></a>`, false},
	{"AttrLocalStartsWithDigit", `<a xmlns:D="DAV:" D:1x="v"/>`, false},
	{"LeadingColonName", `<:a/>`, false},
	{"TrailingColonName", `<a:/>`, false},
	{"TwoColons", `<a:b:c xmlns:a="u"/>`, false},
	{"NonASCIIName", `<D:élément xmlns:D="DAV:" D:ñ="1"/>`, true},
	{"ExtenderAfterPrefix", `<D:々 xmlns:D="DAV:"/>`, false},
	{"UnderscoreName", `<D:_x-1.2 xmlns:D="DAV:"/>`, true},
}

func manyAttrs(n int) string {
	var sb strings.Builder
	for i := range n {
		sb.WriteString(" k" + strconv.Itoa(i) + `="v"`)
	}
	return sb.String()
}

func TestCheckXML(t *testing.T) {
	for _, tt := range checkXMLCases {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckXML([]byte(tt.doc))
			if tt.ok {
				if err != nil {
					t.Fatalf("CheckXML(%.60q): %v", tt.doc, err)
				}
				return
			}
			e := wantError(t, err, http.StatusBadRequest, xmlNameZero)
			if e.Message == "" {
				t.Fatal("no message for the client")
			}
		})
	}
}

func TestCheckXML_DoctypeMessage(t *testing.T) {
	err := CheckXML([]byte(`<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`))
	e := wantError(t, err, http.StatusBadRequest, xmlNameZero)
	if !strings.Contains(e.Message, "DOCTYPE") {
		t.Fatalf("message %q does not say why", e.Message)
	}
}

func TestCheckXML_DeepNestingDoesNotRecurse(t *testing.T) {
	// 100,000 levels would overflow a recursive decoder long before the
	// size cap; the check must stay iterative and cheap.
	doc := []byte(deepXML(100000))
	allocs := testing.AllocsPerRun(3, func() {
		if err := CheckXML(doc); err == nil {
			t.Fatal("accepted")
		}
	})
	if allocs > 1000 {
		t.Fatalf("CheckXML allocated %v times on a rejected deep document; it should stop at depth %d", allocs, MaxXMLDepth)
	}
}

func bodyReq(body io.Reader) *http.Request {
	r := httptest.NewRequest("PROPFIND", "/dav/", body)
	return r
}

func TestReadXML(t *testing.T) {
	t.Run("Valid", func(t *testing.T) {
		doc := `<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`
		b, err := ReadXML(bodyReq(strings.NewReader(doc)), MaxXMLBody)
		if err != nil || string(b) != doc {
			t.Fatalf("got %q, %v", b, err)
		}
	})
	t.Run("EmptyBody", func(t *testing.T) {
		b, err := ReadXML(bodyReq(strings.NewReader("")), MaxXMLBody)
		if err != nil || b != nil {
			t.Fatalf("got %q, %v; want nil, nil", b, err)
		}
	})
	t.Run("WhitespaceBody", func(t *testing.T) {
		b, err := ReadXML(bodyReq(strings.NewReader(" \r\n\t ")), MaxXMLBody)
		if err != nil || b != nil {
			t.Fatalf("got %q, %v; want nil, nil", b, err)
		}
	})
	t.Run("NilBody", func(t *testing.T) {
		r := bodyReq(nil)
		r.Body = nil
		b, err := ReadXML(r, MaxXMLBody)
		if err != nil || b != nil {
			t.Fatalf("got %q, %v; want nil, nil", b, err)
		}
	})
	t.Run("ExactlyAtLimit", func(t *testing.T) {
		doc := "<a>" + strings.Repeat("x", 100-7) + "</a>"
		if len(doc) != 100 {
			t.Fatal(len(doc))
		}
		b, err := ReadXML(bodyReq(strings.NewReader(doc)), 100)
		if err != nil || len(b) != 100 {
			t.Fatalf("got %d bytes, %v", len(b), err)
		}
	})
	t.Run("OverLimit", func(t *testing.T) {
		doc := "<a>" + strings.Repeat("x", 101-7) + "</a>"
		_, err := ReadXML(bodyReq(strings.NewReader(doc)), 100)
		wantError(t, err, http.StatusRequestEntityTooLarge, xmlNameZero)
		if err != ErrTooLarge {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("OverMaxXMLBody", func(t *testing.T) {
		big := bytes.Repeat([]byte(" "), MaxXMLBody+1)
		_, err := ReadXML(bodyReq(bytes.NewReader(big)), MaxXMLBody)
		if err != ErrTooLarge {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("MaxBytesReader", func(t *testing.T) {
		// A server-wide http.MaxBytesReader smaller than our limit is
		// reported as 413 too, not 400.
		rec := httptest.NewRecorder()
		r := bodyReq(strings.NewReader("<a>" + strings.Repeat("x", 200) + "</a>"))
		r.Body = http.MaxBytesReader(rec, r.Body, 50)
		_, err := ReadXML(r, MaxXMLBody)
		if err != ErrTooLarge {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("ReadError", func(t *testing.T) {
		r := bodyReq(iotest.ErrReader(errors.New("connection reset by peer")))
		_, err := ReadXML(r, MaxXMLBody)
		e := wantError(t, err, http.StatusBadRequest, xmlNameZero)
		if strings.Contains(e.Message, "reset") {
			t.Fatalf("message %q leaks the cause", e.Message)
		}
	})
	t.Run("Doctype", func(t *testing.T) {
		_, err := ReadXML(bodyReq(strings.NewReader(`<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>`)), MaxXMLBody)
		wantError(t, err, http.StatusBadRequest, xmlNameZero)
	})
	t.Run("VeryDeep", func(t *testing.T) {
		_, err := ReadXML(bodyReq(strings.NewReader(deepXML(10000))), MaxXMLBody)
		wantError(t, err, http.StatusBadRequest, xmlNameZero)
	})
	t.Run("Truncated", func(t *testing.T) {
		_, err := ReadXML(bodyReq(strings.NewReader(`<D:propfind xmlns:D="DAV:"><D:prop>`)), MaxXMLBody)
		wantError(t, err, http.StatusBadRequest, xmlNameZero)
	})
}

func TestClark(t *testing.T) {
	tests := []struct {
		n xml.Name
		s string
	}{
		{Name(NSDAV, "displayname"), "{DAV:}displayname"},
		{Name(NSCalDAV, "calendar-data"), "{urn:ietf:params:xml:ns:caldav}calendar-data"},
		{Name("", "plain"), "{}plain"},
		{Name("http://example.com/ns/", "x-y.z"), "{http://example.com/ns/}x-y.z"},
		{Name("urn:odd}ns", "p"), "{urn:odd}ns}p"},
	}
	for _, tt := range tests {
		if got := Clark(tt.n); got != tt.s {
			t.Errorf("Clark(%v) = %q, want %q", tt.n, got, tt.s)
		}
		got, ok := ParseClark(tt.s)
		if !ok || got != tt.n {
			t.Errorf("ParseClark(%q) = %v, %v; want %v", tt.s, got, ok, tt.n)
		}
	}
	for _, bad := range []string{"", "displayname", "DAV:displayname", "{DAV:displayname", "}x"} {
		if n, ok := ParseClark(bad); ok {
			t.Errorf("ParseClark(%q) = %v, true; want false", bad, n)
		}
	}
}

func TestEscapeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"<&>", "&lt;&amp;&gt;"},
		{"a\r\nb", "a&#13;\nb"},
		{"tab\there", "tab\there"},
		{`"quotes' stay`, `"quotes' stay`},
		{"émoji ✓ 😀", "émoji ✓ 😀"},
		// Characters XML 1.0 cannot carry are replaced, never emitted raw.
		{"nul\x00x", "nul\uFFFDx"},
		{"esc\x1bx", "esc\uFFFDx"},
		{"ff\x0cx", "ff\uFFFDx"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"\uFFFE", "\uFFFD"},
	}
	for _, tt := range tests {
		if got := EscapeText(tt.in); got != tt.want {
			t.Errorf("EscapeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEscapeText_ParsesBack(t *testing.T) {
	for _, s := range []string{"<&>", "a\r\nb\r", "x]]>y", "\x00\x01\x02\x7f\u0085\xc3", "ok ✓"} {
		doc := "<a>" + EscapeText(s) + "</a>"
		root := parseTree(t, []byte(doc))
		want := strings.ToValidUTF8(s, "\uFFFD")
		want = strings.Map(func(r rune) rune {
			if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
				return '\uFFFD'
			}
			return r
		}, want)
		if root.Text != want {
			t.Errorf("EscapeText(%q) parsed back as %q, want %q", s, root.Text, want)
		}
	}
}

func unmarshalRaw(t testing.TB, doc string) RawXML {
	t.Helper()
	var r RawXML
	if err := xml.Unmarshal([]byte(doc), &r); err != nil {
		t.Fatalf("unmarshal %q: %v", doc, err)
	}
	return r
}

func TestRawXML_Text(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`<D:displayname xmlns:D="DAV:">Work</D:displayname>`, "Work"},
		{`<D:displayname xmlns:D="DAV:"/>`, ""},
		{`<D:displayname xmlns:D="DAV:">Tom &amp; Jerry &lt;3&gt;</D:displayname>`, "Tom & Jerry <3>"},
		{`<D:displayname xmlns:D="DAV:"><![CDATA[a<b]]></D:displayname>`, "a<b"},
		{`<D:displayname xmlns:D="DAV:">line1&#13;&#10;line2</D:displayname>`, "line1\r\nline2"},
		{`<I:calendar-color xmlns:I="http://apple.com/ns/ical/">#FF0000FF</I:calendar-color>`, "#FF0000FF"},
		{`<x:p xmlns:x="urn:x">a<x:b>b</x:b>c</x:p>`, "abc"},
		{`<x:p xmlns:x="urn:x">  spaced  </x:p>`, "  spaced  "},
		{`<x:p xmlns:x="urn:x">日本語</x:p>`, "日本語"},
	}
	for _, tt := range tests {
		r := unmarshalRaw(t, tt.doc)
		if got := r.Text(); got != tt.want {
			t.Errorf("Text of %q = %q, want %q (inner %q)", tt.doc, got, tt.want, r.Inner)
		}
	}
}

func TestRawXML_Children(t *testing.T) {
	r := unmarshalRaw(t, `<D:resourcetype xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:collection/><C:calendar><D:deep/></C:calendar>text<plain/></D:resourcetype>`)
	if r.Name != dResType {
		t.Fatalf("name = %v", r.Name)
	}
	want := []xml.Name{Name(NSDAV, "collection"), Name(NSCalDAV, "calendar"), Name("", "plain")}
	if got := r.Children(); !namesEqual(got, want) {
		t.Fatalf("Children = %v, want %v", got, want)
	}
	empty := unmarshalRaw(t, `<D:resourcetype xmlns:D="DAV:"/>`)
	if got := empty.Children(); len(got) != 0 {
		t.Fatalf("Children of empty = %v", got)
	}
}

func TestRawXML_InnerIsSelfContained(t *testing.T) {
	// The inner XML is re-parsed later without the request's namespace
	// declarations: every element must carry its own.
	doc := `<D:prop xmlns:D="DAV:" xmlns:F="urn:foo" xmlns="urn:default">` +
		`<F:a F:attr="1" plain="2" xml:lang="en"><b>text &amp; more</b><F:c/></F:a>` +
		`<D:href>/x</D:href><n xmlns="">no ns</n>` +
		`</D:prop>`
	r := unmarshalRaw(t, doc)
	root := parseTree(t, []byte("<wrap>"+r.Inner+"</wrap>"))
	if len(root.Kids) != 3 {
		t.Fatalf("kids = %v (inner %q)", root.kidNames(), r.Inner)
	}
	a := root.Kids[0]
	if a.Name != Name("urn:foo", "a") {
		t.Fatalf("first child %v", a.Name)
	}
	if v, ok := a.attr("", "plain"); !ok || v != "2" {
		t.Fatalf("plain attribute lost: %v", a.Attr)
	}
	if v, ok := a.attr("urn:foo", "attr"); !ok || v != "1" {
		t.Fatalf("namespaced attribute lost: %v (inner %q)", a.Attr, r.Inner)
	}
	if v, ok := a.attr("http://www.w3.org/XML/1998/namespace", "lang"); !ok || v != "en" {
		t.Fatalf("xml:lang lost: %v (inner %q)", a.Attr, r.Inner)
	}
	if got := a.kidNames(); !namesEqual(got, []xml.Name{Name("urn:default", "b"), Name("urn:foo", "c")}) {
		t.Fatalf("grandchildren %v", got)
	}
	if a.Kids[0].Text != "text & more" {
		t.Fatalf("text %q", a.Kids[0].Text)
	}
	if root.Kids[1].Name != dHref || root.Kids[1].Text != "/x" {
		t.Fatalf("href %v %q", root.Kids[1].Name, root.Kids[1].Text)
	}
	if root.Kids[2].Name != Name("", "n") || root.Kids[2].Text != "no ns" {
		t.Fatalf("unqualified child %v %q", root.Kids[2].Name, root.Kids[2].Text)
	}
}

func TestRawXML_NamespacedAttributesNeverCollide(t *testing.T) {
	// Two attributes with the same local name in different namespaces
	// must not become a duplicate attribute, which strict XML parsers
	// (libxml2, NSXMLParser) reject.
	r := unmarshalRaw(t, `<x:p xmlns:x="urn:x" xmlns:a="urn:a" xmlns:b="urn:b"><x:v a:id="1" b:id="2" id="3"/></x:p>`)
	root := parseTree(t, []byte("<wrap>"+r.Inner+"</wrap>"))
	v := root.Kids[0]
	seen := map[string]bool{}
	for _, at := range v.Attr {
		if at.Name.Space == "xmlns" || (at.Name.Space == "" && at.Name.Local == "xmlns") {
			continue
		}
		if seen[Clark(at.Name)] {
			t.Fatalf("duplicate attribute %v in %q", at.Name, r.Inner)
		}
		seen[Clark(at.Name)] = true
	}
	for _, want := range []struct{ ns, v string }{{"urn:a", "1"}, {"urn:b", "2"}, {"", "3"}} {
		if got, ok := v.attr(want.ns, "id"); !ok || got != want.v {
			t.Fatalf("attribute {%s}id = %q, %v; want %q (inner %q)", want.ns, got, ok, want.v, r.Inner)
		}
	}
	// Attribute names must also be unique by qualified name in the text.
	if strings.Count(r.Inner, ` id="`) != 1 {
		t.Fatalf("raw inner has repeated id attributes: %q", r.Inner)
	}
}
