package server_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"almanac/server/servertest"
	"almanac/sharing"
)

// Dead properties and request XML as RFC 4918 and Namespaces in XML
// have them, over raw HTTP through the whole server.

const xmlNS = "http://www.w3.org/XML/1998/namespace"

// elem is an element as the XML Infoset sees it, with the xml:lang in
// scope on it (inherited or its own), so that where a response puts the
// attribute does not matter, only what it applies to (RFC 4918 4.3.1).
type elem struct {
	Name xml.Name
	Attr []xml.Attr // without namespace declarations and xml:lang
	Lang string
	Kids []any // *elem or string; adjacent text merged, comments dropped
}

// parseElem parses a document into elems.
func parseElem(t *testing.T, doc []byte) *elem {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var stack []*elem
	var root *elem
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("response is not XML: %v\n%s", err, doc)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			e := &elem{Name: tk.Name}
			if len(stack) > 0 {
				e.Lang = stack[len(stack)-1].Lang
			}
			for _, a := range tk.Attr {
				switch {
				case a.Name.Space == xmlNS && a.Name.Local == "lang":
					e.Lang = a.Value
				case a.Name.Space == "xmlns", a.Name.Space == "" && a.Name.Local == "xmlns":
				default:
					e.Attr = append(e.Attr, a)
				}
			}
			slices.SortFunc(e.Attr, func(a, b xml.Attr) int {
				return strings.Compare(a.Name.Space+" "+a.Name.Local, b.Name.Space+" "+b.Name.Local)
			})
			if len(stack) == 0 {
				root = e
			} else {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, e)
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			p := stack[len(stack)-1]
			if n := len(p.Kids); n > 0 {
				if s, ok := p.Kids[n-1].(string); ok {
					p.Kids[n-1] = s + string(tk)
					continue
				}
			}
			p.Kids = append(p.Kids, string(tk))
		}
	}
	return root
}

// find returns the first element named n at any depth.
func (e *elem) find(n xml.Name) *elem {
	if e.Name == n {
		return e
	}
	for _, k := range e.Kids {
		if ke, ok := k.(*elem); ok {
			if f := ke.find(n); f != nil {
				return f
			}
		}
	}
	return nil
}

// infoset renders what RFC 4918 4.3 has servers preserve of a property:
// names, attributes, the language in scope and the children, element and
// character.
func (e *elem) infoset() string {
	var sb strings.Builder
	var walk func(e *elem)
	walk = func(e *elem) {
		sb.WriteString("<{" + e.Name.Space + "}" + e.Name.Local + " lang=" + e.Lang)
		for _, a := range e.Attr {
			sb.WriteString(" {" + a.Name.Space + "}" + a.Name.Local + "=" + a.Value)
		}
		sb.WriteString(">")
		for _, k := range e.Kids {
			switch k := k.(type) {
			case string:
				sb.WriteString(xmlEscape(k))
			case *elem:
				walk(k)
			}
		}
		sb.WriteString("</>")
	}
	walk(e)
	return sb.String()
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// propOf returns property n of the only response of a 207, from its 200
// propstat.
func propOf(t *testing.T, rec *httptest.ResponseRecorder, n xml.Name) *elem {
	t.Helper()
	if rec.Code != http.StatusMultiStatus {
		t.Fatalf("status %d, want 207\n%s", rec.Code, rec.Body)
	}
	root := parseElem(t, rec.Body.Bytes())
	for _, k := range root.find(xml.Name{Space: "DAV:", Local: "response"}).Kids {
		ps, ok := k.(*elem)
		if !ok || ps.Name.Local != "propstat" {
			continue
		}
		if status := ps.find(xml.Name{Space: "DAV:", Local: "status"}); status == nil || !strings.Contains(status.Kids[0].(string), " 200 ") {
			continue
		}
		if p := ps.find(n); p != nil {
			return p
		}
	}
	t.Fatalf("no property %v with 200 in\n%s", n, rec.Body)
	return nil
}

func proppatch(t *testing.T, env *servertest.Env, path, login, body string) {
	t.Helper()
	rec := env.Do("PROPPATCH", path, login, body, "Content-Type", "application/xml")
	if rec.Code != http.StatusMultiStatus || strings.Contains(rec.Body.String(), " 403 ") || strings.Contains(rec.Body.String(), " 424 ") {
		t.Fatalf("PROPPATCH: %d\n%s", rec.Code, rec.Body)
	}
}

func propfind(env *servertest.Env, path, login, props string) *httptest.ResponseRecorder {
	return env.Do("PROPFIND", path, login, `<D:propfind xmlns:D="DAV:" xmlns:Z="http://example.com/ns"><D:prop>`+props+`</D:prop></D:propfind>`,
		"Depth", "0", "Content-Type", "application/xml")
}

// RFC 4918 14.26 (DAV:set): "Language tagging information appearing in
// the scope of the 'prop' element (in the 'xml:lang' attribute, if
// present) MUST be persistently stored along with the property, and MUST
// be subsequently retrievable using PROPFIND." 4.3 counts an xml:lang in
// scope, not only one on the property element.
func TestDeadPropertyKeepsLanguage_RFC4918_14_26(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("jane@example.com")
	cal := "/dav/calendars/" + acc.ID + "/default/"
	proppatch(t, env, cal, acc.Login, `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://example.com/ns">
  <D:set><D:prop><Z:own xml:lang="en">Details</Z:own></D:prop></D:set>
  <D:set xml:lang="de"><D:prop><Z:fromset>Einzelheiten</Z:fromset><D:displayname>Arbeit</D:displayname></D:prop></D:set>
  <D:set><D:prop xml:lang="fr-CA"><Z:fromprop>Détails</Z:fromprop><Z:overridden xml:lang="">n/a</Z:overridden></D:prop></D:set>
  <D:set><D:prop><Z:none><Z:inner xml:lang="it">dettagli</Z:inner></Z:none></D:prop></D:set>
</D:propertyupdate>`)

	want := map[string]string{"own": "en", "fromset": "de", "displayname": "de", "fromprop": "fr-CA", "overridden": "", "none": ""}
	for _, form := range []string{"prop", "allprop"} {
		body := `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`
		if form == "prop" {
			body = `<D:propfind xmlns:D="DAV:" xmlns:Z="http://example.com/ns"><D:prop><Z:own/><Z:fromset/><D:displayname/><Z:fromprop/><Z:overridden/><Z:none/></D:prop></D:propfind>`
		}
		rec := env.Do("PROPFIND", cal, acc.Login, body, "Depth", "0", "Content-Type", "application/xml")
		for local, lang := range want {
			ns := "http://example.com/ns"
			if local == "displayname" {
				ns = "DAV:"
			}
			if got := propOf(t, rec, xml.Name{Space: ns, Local: local}).Lang; got != lang {
				t.Errorf("%s: %s has xml:lang %q in scope, want %q\n%s", form, local, got, lang, rec.Body)
			}
		}
	}
	// A language inside the value stays on its element.
	none := propOf(t, propfind(env, cal, acc.Login, `<Z:none/>`), xml.Name{Space: "http://example.com/ns", Local: "none"})
	if inner := none.find(xml.Name{Space: "http://example.com/ns", Local: "inner"}); inner == nil || inner.Lang != "it" {
		t.Errorf("inner element's xml:lang lost: %s", none.infoset())
	}

	// Setting the property again replaces the value and its language.
	proppatch(t, env, cal, acc.Login, `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://example.com/ns"><D:set><D:prop><Z:own>Plain</Z:own></D:prop></D:set></D:propertyupdate>`)
	if got := propOf(t, propfind(env, cal, acc.Login, `<Z:own/>`), xml.Name{Space: "http://example.com/ns", Local: "own"}); got.Lang != "" || got.infoset() != "<{http://example.com/ns}own lang=>Plain</>" {
		t.Errorf("after a set without language: %s", got.infoset())
	}
}

// RFC 4791 5.2.1's example: a calendar-description in French, given at
// MKCALENDAR (5.3.1), comes back in French.
func TestCalendarDescriptionKeepsLanguage_RFC4791_5_2_1(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("jane@example.com")
	cal := "/dav/calendars/" + acc.ID + "/mathilde/"
	rec := env.Do("MKCALENDAR", cal, acc.Login, `<?xml version="1.0" encoding="utf-8" ?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname xml:lang="fr-CA">Mathilde</D:displayname>
    <C:calendar-description xml:lang="fr-CA">Calendrier de Mathilde Desruisseaux</C:calendar-description>
  </D:prop></D:set>
</C:mkcalendar>`, "Content-Type", "application/xml")
	if rec.Code != http.StatusCreated {
		t.Fatalf("MKCALENDAR: %d %s", rec.Code, rec.Body)
	}
	desc := propOf(t, env.Do("PROPFIND", cal, acc.Login, `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-description/></D:prop></D:propfind>`, "Depth", "0"),
		xml.Name{Space: "urn:ietf:params:xml:ns:caldav", Local: "calendar-description"})
	if got, want := desc.infoset(), "<{urn:ietf:params:xml:ns:caldav}calendar-description lang=fr-CA>Calendrier de Mathilde Desruisseaux</>"; got != want {
		t.Errorf("calendar-description\n got %s\nwant %s", got, want)
	}

	// What reads the name as text is not disturbed by its language: the
	// public feed's calendar name.
	rec = env.Do("POST", sharing.LinksPath, acc.Login, `{"collection":"mathilde"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create link: %d %s", rec.Code, rec.Body)
	}
	var link sharing.LinkJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &link); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	if rec := env.Do("GET", u.Path, "", ""); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "X-WR-CALNAME:Mathilde\r\n") {
		t.Errorf("feed: %d\n%s", rec.Code, rec.Body)
	}
}

// RFC 4918 4.3.1's example, sent as the RFC sends it: what 4.3 has
// servers preserve comes back (names, attributes, character children,
// the language in scope), and the namespaces the value uses are
// declared in the answer, which parses on its own.
func TestDeadPropertyMixedContent_RFC4918_4_3_1(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("jane@example.com")
	cal := "/dav/calendars/" + acc.ID + "/default/"
	const set = `<?xml version="1.0" encoding="utf-8" ?>
<D:propertyupdate xmlns:D="DAV:"><D:set>
<D:prop xml:lang="en" xmlns:D="DAV:">
  <x:author xmlns:x='http://example.com/ns'>
    <x:name>Jane Doe</x:name>
    <!-- Jane's contact info -->
    <x:uri type='email'
           added='2005-11-26'>mailto:jane.doe@example.com</x:uri>
    <x:uri type='web'
           added='2005-11-27'>http://www.example.com</x:uri>
    <x:notes xmlns:h='http://www.w3.org/1999/xhtml'>
      Jane has been working way <h:em>too</h:em> long on the
      long-awaited revision of <![CDATA[<RFC2518>]]>.
    </x:notes>
  </x:author>
</D:prop>
</D:set></D:propertyupdate>`
	proppatch(t, env, cal, acc.Login, set)
	want := parseElem(t, []byte(set)).find(xml.Name{Space: "http://example.com/ns", Local: "author"})
	if want.Lang != "en" {
		t.Fatalf("test parser: lang %q", want.Lang)
	}
	rec := env.Do("PROPFIND", cal, acc.Login, `<D:propfind xmlns:D="DAV:"><D:prop><x:author xmlns:x="http://example.com/ns"/></D:prop></D:propfind>`, "Depth", "0")
	got := propOf(t, rec, xml.Name{Space: "http://example.com/ns", Local: "author"})
	if got.infoset() != want.infoset() {
		t.Errorf("author\n got %s\nwant %s\n%s", got.infoset(), want.infoset(), rec.Body)
	}
	// The answer's value stands alone: cut out of the multistatus, with
	// none of its declarations, it still resolves every name.
	body := rec.Body.String()
	start := strings.Index(body, ":author ")
	start = strings.LastIndexByte(body[:start], '<')
	end := strings.Index(body, ":author>") + len(":author>")
	alone := parseElem(t, []byte(body[start:end]))
	if alone.infoset() != want.infoset() {
		t.Errorf("author out of context\n got %s\nwant %s", alone.infoset(), want.infoset())
	}
}
