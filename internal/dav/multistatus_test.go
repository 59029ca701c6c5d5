package dav

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// fakeSource is a PropSource backed by a list of properties.
type fakeSource struct {
	props   []Prop
	allprop map[xml.Name]bool // listed by PropNames(true); nil: all
	failOn  xml.Name
	calls   int
}

func (s *fakeSource) PropNames(allprop bool) []xml.Name {
	var out []xml.Name
	for _, p := range s.props {
		if allprop && s.allprop != nil && !s.allprop[p.Name] {
			continue
		}
		out = append(out, p.Name)
	}
	return out
}

var errBackend = errors.New("backend exploded: /var/lib/almanac/secret.db")

func (s *fakeSource) Prop(n xml.Name) (Prop, bool, error) {
	s.calls++
	if n == s.failOn {
		return Prop{}, false, errBackend
	}
	for _, p := range s.props {
		if p.Name == n {
			p.Name = xml.Name{} // the engine must set the name itself
			return p, true, nil
		}
	}
	return Prop{}, false, nil
}

func objectSource() *fakeSource {
	return &fakeSource{
		props: []Prop{
			TextProp(dGetETag, `"abc"`),
			TextProp(dGetCT, "text/calendar; charset=utf-8; component=VEVENT"),
			XMLProp(dResType, ""),
			TextProp(cCalData, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
		},
		allprop: map[xml.Name]bool{dGetETag: true, dGetCT: true, dResType: true},
	}
}

func newRecorderMultistatus(t testing.TB, method string, f func(m *Multistatus), hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	m := NewMultistatus(rec, newReq(method, hdr...))
	f(m)
	if err := m.Close(""); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return rec
}

func checkMultistatusHeaders(t testing.TB, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != http.StatusMultiStatus {
		t.Fatalf("status %d, want 207", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") || !strings.Contains(ct, "utf-8") {
		t.Fatalf("Content-Type %q", ct)
	}
}

func TestMultistatus_PropfindFoundAndMissing(t *testing.T) {
	pf := &Propfind{Kind: FindProp, Props: []xml.Name{dGetETag, Name("urn:x", "nope"), cCalData, dDisplayName}}
	rec := newRecorderMultistatus(t, "PROPFIND", func(m *Multistatus) {
		if err := m.Propfind("/dav/calendars/a/c/1.ics", pf, objectSource()); err != nil {
			t.Fatal(err)
		}
	})
	checkMultistatusHeaders(t, rec)
	if rec.Header().Get("Preference-Applied") != "" {
		t.Fatal("Preference-Applied without Prefer")
	}
	resps, tok := parseMultistatus(t, rec.Body.Bytes())
	if tok != nil {
		t.Fatalf("unexpected sync-token %q", *tok)
	}
	if len(resps) != 1 || resps[0].Href != "/dav/calendars/a/c/1.ics" || len(resps[0].Propstats) != 2 {
		t.Fatalf("responses %+v", resps)
	}
	ok := resps[0].propstat(t, "200")
	if ok.Status != "HTTP/1.1 200 OK" {
		t.Fatalf("status %q", ok.Status)
	}
	if !namesEqual(ok.names(), []xml.Name{dGetETag, cCalData}) {
		t.Fatalf("found %v", ok.names())
	}
	if v := ok.prop(t, dGetETag).Text; v != `"abc"` {
		t.Fatalf("getetag %q", v)
	}
	if v := ok.prop(t, cCalData).Text; v != "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n" {
		t.Fatalf("calendar-data %q", v)
	}
	nf := resps[0].propstat(t, "404")
	if nf.Status != "HTTP/1.1 404 Not Found" {
		t.Fatalf("status %q", nf.Status)
	}
	if !namesEqual(nf.names(), []xml.Name{Name("urn:x", "nope"), dDisplayName}) {
		t.Fatalf("missing %v", nf.names())
	}
	for _, p := range nf.Props {
		if len(p.Kids) != 0 || strings.TrimSpace(p.Text) != "" {
			t.Fatalf("404 property %v is not empty", p.Name)
		}
	}
}

func TestMultistatus_PropfindOnlyMissing(t *testing.T) {
	pf := &Propfind{Kind: FindProp, Props: []xml.Name{Name("urn:x", "a")}}
	rec := newRecorderMultistatus(t, "PROPFIND", func(m *Multistatus) {
		m.Propfind("/r", pf, objectSource())
	})
	resps, _ := parseMultistatus(t, rec.Body.Bytes())
	if len(resps[0].Propstats) != 1 || !namesEqual(resps[0].propstat(t, "404").names(), []xml.Name{Name("urn:x", "a")}) {
		t.Fatalf("propstats %+v", resps[0].Propstats)
	}
}

func TestMultistatus_PropfindMinimal(t *testing.T) {
	for _, hdr := range [][]string{{"Prefer", "return=minimal"}, {"Brief", "t"}} {
		t.Run(hdr[0], func(t *testing.T) {
			pf := &Propfind{Kind: FindProp, Props: []xml.Name{dGetETag, Name("urn:x", "nope"), dDisplayName}}
			rec := newRecorderMultistatus(t, "PROPFIND", func(m *Multistatus) {
				m.Propfind("/a", pf, objectSource())
				// A resource with none of the properties still gets a
				// well-formed response.
				m.Propfind("/b", &Propfind{Kind: FindProp, Props: []xml.Name{dDisplayName}}, objectSource())
			}, hdr...)
			checkMultistatusHeaders(t, rec)
			if got := rec.Header().Get("Preference-Applied"); got != "return=minimal" {
				t.Fatalf("Preference-Applied %q", got)
			}
			resps, _ := parseMultistatus(t, rec.Body.Bytes())
			if len(resps) != 2 {
				t.Fatalf("%d responses", len(resps))
			}
			for _, r := range resps {
				for _, ps := range r.Propstats {
					if !strings.Contains(ps.Status, " 200 ") {
						t.Fatalf("minimal response %s has a %q propstat", r.Href, ps.Status)
					}
				}
			}
			if !namesEqual(resps[0].propstat(t, "200").names(), []xml.Name{dGetETag}) {
				t.Fatalf("found %v", resps[0].propstat(t, "200").names())
			}
		})
	}
}

func TestMultistatus_PropName(t *testing.T) {
	rec := newRecorderMultistatus(t, "PROPFIND", func(m *Multistatus) {
		m.Propfind("/o", &Propfind{Kind: FindPropName}, objectSource())
	})
	resps, _ := parseMultistatus(t, rec.Body.Bytes())
	ps := resps[0].propstat(t, "200")
	if len(resps[0].Propstats) != 1 {
		t.Fatalf("propstats %+v", resps[0].Propstats)
	}
	want := []xml.Name{dGetETag, dGetCT, dResType, cCalData}
	if !namesEqual(ps.names(), want) {
		t.Fatalf("names %v, want %v", ps.names(), want)
	}
	for _, p := range ps.Props {
		if len(p.Kids) != 0 || p.Text != "" {
			t.Fatalf("propname %v has a value %q", p.Name, p.Text)
		}
	}
}

func TestMultistatus_AllPropInclude(t *testing.T) {
	src := objectSource()
	pf := &Propfind{Kind: FindAllProp, Include: []xml.Name{cCalData, dGetETag, Name("urn:x", "absent")}}
	rec := newRecorderMultistatus(t, "PROPFIND", func(m *Multistatus) {
		if err := m.Propfind("/o", pf, src); err != nil {
			t.Fatal(err)
		}
	})
	resps, _ := parseMultistatus(t, rec.Body.Bytes())
	ok := resps[0].propstat(t, "200")
	// allprop members first, then included ones not already listed, each once.
	want := []xml.Name{dGetETag, dGetCT, dResType, cCalData}
	if !namesEqual(ok.names(), want) {
		t.Fatalf("found %v, want %v", ok.names(), want)
	}
	if rt := ok.prop(t, dResType); len(rt.Kids) != 0 {
		t.Fatalf("resourcetype %v", rt.kidNames())
	}
	if !namesEqual(resps[0].propstat(t, "404").names(), []xml.Name{Name("urn:x", "absent")}) {
		t.Fatal("absent include not reported 404")
	}

	// Without include, calendar-data is not part of allprop.
	rec = newRecorderMultistatus(t, "PROPFIND", func(m *Multistatus) {
		m.Propfind("/o", &Propfind{Kind: FindAllProp}, objectSource())
	})
	resps, _ = parseMultistatus(t, rec.Body.Bytes())
	if got := resps[0].propstat(t, "200").names(); !namesEqual(got, []xml.Name{dGetETag, dGetCT, dResType}) {
		t.Fatalf("allprop %v", got)
	}
	if len(resps[0].Propstats) != 1 {
		t.Fatal("allprop produced a 404 propstat")
	}
}

func TestMultistatus_PropfindSourceError(t *testing.T) {
	src := objectSource()
	src.failOn = dGetCT
	rec := httptest.NewRecorder()
	m := NewMultistatus(rec, newReq("PROPFIND"))
	err := m.Propfind("/o", &Propfind{Kind: FindProp, Props: []xml.Name{dGetETag, dGetCT}}, src)
	if !errors.Is(err, errBackend) {
		t.Fatalf("err = %v", err)
	}
	if m.Started() {
		t.Fatal("a failed first Propfind must leave the status unsent")
	}
	if rec.Body.Len() != 0 {
		t.Fatalf("wrote %q", rec.Body.String())
	}
}

func TestMultistatus_ReusedBuffersDoNotLeak(t *testing.T) {
	// Found/missing slices are reused between responses: the second
	// response must not contain the first one's properties.
	rec := newRecorderMultistatus(t, "PROPFIND", func(m *Multistatus) {
		m.Propfind("/1", &Propfind{Kind: FindProp, Props: []xml.Name{dGetETag, Name("urn:x", "m1")}}, objectSource())
		m.Propfind("/2", &Propfind{Kind: FindProp, Props: []xml.Name{dGetCT}}, objectSource())
	})
	resps, _ := parseMultistatus(t, rec.Body.Bytes())
	if len(resps) != 2 || len(resps[1].Propstats) != 1 || !namesEqual(resps[1].Propstats[0].names(), []xml.Name{dGetCT}) {
		t.Fatalf("second response %+v", resps[1])
	}
}

func TestMultistatus_StatusResponseAndSyncToken(t *testing.T) {
	rec := httptest.NewRecorder()
	m := NewMultistatus(rec, newReq("REPORT"))
	if m.Started() {
		t.Fatal("started before writing")
	}
	if err := m.Response("/dav/c/a.ics", []Prop{TextProp(dGetETag, `"1"`)}, nil); err != nil {
		t.Fatal(err)
	}
	if !m.Started() {
		t.Fatal("not started after a response")
	}
	if err := m.StatusResponse("/dav/c/gone.ics", http.StatusNotFound); err != nil {
		t.Fatal(err)
	}
	if err := m.StatusResponse("/dav/c/odd.ics", 418); err != nil {
		t.Fatal(err)
	}
	tok := SyncToken("inc", 9)
	if err := m.Close(tok); err != nil {
		t.Fatal(err)
	}
	checkMultistatusHeaders(t, rec)
	resps, got := parseMultistatus(t, rec.Body.Bytes())
	if got == nil || *got != tok {
		t.Fatalf("sync-token %v, want %q", got, tok)
	}
	if len(resps) != 3 {
		t.Fatalf("%d responses", len(resps))
	}
	if resps[1].Href != "/dav/c/gone.ics" || resps[1].Status != "HTTP/1.1 404 Not Found" || len(resps[1].Propstats) != 0 {
		t.Fatalf("status response %+v", resps[1])
	}
	if resps[2].Status != "HTTP/1.1 418 I'm a teapot" {
		t.Fatalf("status line %q", resps[2].Status)
	}
	// The sync-token is the last child of the multistatus (RFC 6578 6.4).
	root := parseTree(t, rec.Body.Bytes())
	if last := root.Kids[len(root.Kids)-1]; last.Name != dSyncToken {
		t.Fatalf("last child %v", last.Name)
	}
}

func TestMultistatus_EmptyClose(t *testing.T) {
	rec := httptest.NewRecorder()
	m := NewMultistatus(rec, newReq("REPORT"))
	if err := m.Close(""); err != nil {
		t.Fatal(err)
	}
	checkMultistatusHeaders(t, rec)
	resps, tok := parseMultistatus(t, rec.Body.Bytes())
	if len(resps) != 0 || tok != nil {
		t.Fatalf("got %v %v", resps, tok)
	}
}

func TestMultistatus_PropStatResponse(t *testing.T) {
	rec := newRecorderMultistatus(t, "PROPPATCH", func(m *Multistatus) {
		err := m.PropStatResponse("/dav/c/", []PropStat{
			{Status: http.StatusForbidden, Names: []xml.Name{Name(NSDAV, "getetag")}, Error: CondCannotModify},
			{Status: http.StatusFailedDependency, Names: []xml.Name{dDisplayName, Name("urn:x", "color")}},
			{Status: http.StatusConflict, Names: []xml.Name{Name("urn:x", "c")}, Error: Name("urn:x", "my-cond")},
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	resps, _ := parseMultistatus(t, rec.Body.Bytes())
	r := resps[0]
	if len(r.Propstats) != 3 {
		t.Fatalf("propstats %+v", r.Propstats)
	}
	forb := r.propstat(t, "403")
	if forb.Status != "HTTP/1.1 403 Forbidden" || !namesEqual(forb.names(), []xml.Name{dGetETag}) {
		t.Fatalf("403 propstat %+v", forb)
	}
	if forb.Error == nil || !namesEqual(forb.Error.kidNames(), []xml.Name{CondCannotModify}) {
		t.Fatalf("403 error %+v", forb.Error)
	}
	dep := r.propstat(t, "424")
	if dep.Status != "HTTP/1.1 424 Failed Dependency" || dep.Error != nil || !namesEqual(dep.names(), []xml.Name{dDisplayName, Name("urn:x", "color")}) {
		t.Fatalf("424 propstat %+v", dep)
	}
	conf := r.propstat(t, "409")
	if conf.Error == nil || !namesEqual(conf.Error.kidNames(), []xml.Name{Name("urn:x", "my-cond")}) {
		t.Fatalf("409 error %+v", conf.Error)
	}
}

func TestMultistatus_TextEscaping(t *testing.T) {
	val := "a <b> & c\r\nd ]]> \"q\" 'a' ✓"
	href := "/dav/c/a&b<c>.ics"
	rec := newRecorderMultistatus(t, "PROPFIND", func(m *Multistatus) {
		m.Response(href, []Prop{TextProp(dDisplayName, val), HrefProp(Name(NSDAV, "owner"), "/p/a&b/", "/p/<c>/")}, nil)
	})
	body := rec.Body.String()
	if !strings.Contains(body, "&#13;") {
		t.Fatalf("CR not written as a character reference: %q", body)
	}
	if strings.Contains(body, "\r") {
		t.Fatalf("raw CR in body: XML parsers normalize it away")
	}
	resps, _ := parseMultistatus(t, rec.Body.Bytes())
	if resps[0].Href != href {
		t.Fatalf("href %q", resps[0].Href)
	}
	ps := resps[0].propstat(t, "200")
	if got := ps.prop(t, dDisplayName).Text; got != val {
		t.Fatalf("displayname %q, want %q", got, val)
	}
	owner := ps.prop(t, Name(NSDAV, "owner"))
	if len(owner.Kids) != 2 || owner.Kids[0].Name != dHref || owner.Kids[0].Text != "/p/a&b/" || owner.Kids[1].Text != "/p/<c>/" {
		t.Fatalf("owner hrefs %+v", owner.Kids)
	}
}

func TestMultistatus_InvalidXMLCharactersInValues(t *testing.T) {
	// Stored data (calendar-data in particular) may hold characters XML
	// 1.0 cannot carry; one such object must not make the whole
	// multistatus unparseable for the client.
	data := "BEGIN:VCALENDAR\r\nX-BAD:\x00\x0b\x1b\xff\r\nEND:VCALENDAR\r\n"
	rec := newRecorderMultistatus(t, "REPORT", func(m *Multistatus) {
		m.Response("/bad\x01.ics", []Prop{TextProp(cCalData, data)}, nil)
		m.Response("/good.ics", []Prop{TextProp(cCalData, "ok")}, nil)
	})
	resps, _ := parseMultistatus(t, rec.Body.Bytes())
	if len(resps) != 2 {
		t.Fatalf("%d responses", len(resps))
	}
	got := resps[0].propstat(t, "200").prop(t, cCalData).Text
	if got != "BEGIN:VCALENDAR\r\nX-BAD:\uFFFD\uFFFD\uFFFD\uFFFD\r\nEND:VCALENDAR\r\n" {
		t.Fatalf("calendar-data %q", got)
	}
}

func TestMultistatus_Namespaces(t *testing.T) {
	props := []Prop{
		TextProp(Name("http://example.com/ns/unknown", "color"), "red"),
		TextProp(Name("urn:other", "color"), "blue"),
		TextProp(Name("", "nonamespace"), "plain"),
		TextProp(Name(NSCardDAV, "addressbook-description"), "book"),
		TextProp(Name(NSAppleICal, "calendar-order"), "3"),
		TextProp(Name(`urn:quote"and<amp&`, "odd"), "x"),
		XMLProp(Name(NSCalDAV, "supported-calendar-component-set"), `<C:comp name="VEVENT"/><Y:ext xmlns:Y="urn:y"/>`),
	}
	missing := []xml.Name{Name("urn:missing", "m"), Name("", "m2")}
	rec := newRecorderMultistatus(t, "PROPFIND", func(m *Multistatus) {
		m.Response("/n", props, missing)
	})
	resps, _ := parseMultistatus(t, rec.Body.Bytes())
	ok := resps[0].propstat(t, "200")
	for _, p := range props[:6] {
		if got := ok.prop(t, p.Name).Text; got != p.Text {
			t.Fatalf("%v = %q, want %q", p.Name, got, p.Text)
		}
	}
	comp := ok.prop(t, Name(NSCalDAV, "supported-calendar-component-set"))
	if !namesEqual(comp.kidNames(), []xml.Name{Name(NSCalDAV, "comp"), Name("urn:y", "ext")}) {
		t.Fatalf("comp set %v", comp.kidNames())
	}
	if !namesEqual(resps[0].propstat(t, "404").names(), missing) {
		t.Fatalf("missing %v", resps[0].propstat(t, "404").names())
	}
	// The unknown namespace is declared on the property itself, not by
	// an (unbound) prefix.
	root := parseTree(t, rec.Body.Bytes())
	for _, a := range root.Attr {
		if a.Value == "http://example.com/ns/unknown" {
			t.Fatal("unknown namespace declared on the root")
		}
	}
	if !strings.Contains(rec.Body.String(), `xmlns:X="http://example.com/ns/unknown"`) {
		t.Fatalf("no inline declaration: %s", rec.Body.String())
	}
}

func TestMultistatus_Head(t *testing.T) {
	rec := httptest.NewRecorder()
	m := NewMultistatus(rec, newReq(http.MethodHead))
	if err := m.Propfind("/o", &Propfind{Kind: FindAllProp}, objectSource()); err != nil {
		t.Fatal(err)
	}
	if err := m.StatusResponse("/x", 404); err != nil {
		t.Fatal(err)
	}
	if err := m.PropStatResponse("/y", []PropStat{{Status: 200, Names: []xml.Name{dGetETag}}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Close("tok"); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusMultiStatus {
		t.Fatalf("status %d", rec.Code)
	}
	if rec.Body.Len() != 0 {
		t.Fatalf("HEAD wrote a body: %q", rec.Body.String())
	}
}

// failWriter fails every write, like a client that went away.
type failWriter struct {
	h      http.Header
	code   int
	writes int
}

func (f *failWriter) Header() http.Header { return f.h }
func (f *failWriter) WriteHeader(c int)   { f.code = c }
func (f *failWriter) Write(p []byte) (int, error) {
	f.writes++
	return 0, errors.New("broken pipe")
}

func TestMultistatus_WriteErrorStopsWalk(t *testing.T) {
	fw := &failWriter{h: http.Header{}}
	m := NewMultistatus(fw, newReq("PROPFIND"))
	big := strings.Repeat("x", 4096)
	var err error
	n := 0
	for n = 0; n < 1000; n++ {
		if err = m.Response("/"+strconv.Itoa(n), []Prop{TextProp(dDisplayName, big)}, nil); err != nil {
			break
		}
	}
	if err == nil {
		t.Fatal("write errors never reported")
	}
	if n > 20 {
		t.Fatalf("error reported only after %d responses", n)
	}
	if m.Close("") == nil {
		t.Fatal("Close hid the write error")
	}
}

func TestEscapePathInHref(t *testing.T) {
	name := "a b&c.ics"
	rec := newRecorderMultistatus(t, "PROPFIND", func(m *Multistatus) {
		m.StatusResponse("/dav/c/"+EscapePath(name), 404)
	})
	resps, _ := parseMultistatus(t, rec.Body.Bytes())
	segs, _, err := SplitPath(resps[0].Href, "/dav/c")
	if err != nil || len(segs) != 1 || segs[0] != name {
		t.Fatalf("href %q -> %q, %v", resps[0].Href, segs, err)
	}
}

// discardWriter is an http.ResponseWriter that throws the body away.
type discardWriter struct {
	h http.Header
	n int64
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }

type benchSource struct{ etag, ct string }

var benchNames = []xml.Name{dGetETag, dGetCT}

func (s *benchSource) PropNames(bool) []xml.Name { return benchNames }
func (s *benchSource) Prop(n xml.Name) (Prop, bool, error) {
	switch n {
	case dGetETag:
		return Prop{Text: s.etag}, true, nil
	case dGetCT:
		return Prop{Text: s.ct}, true, nil
	}
	return Prop{}, false, nil
}

func BenchmarkMultistatusPropfind10k(b *testing.B) {
	const members = 10000
	hrefs := make([]string, members)
	for i := range hrefs {
		hrefs[i] = "/dav/calendars/alice/work/" + strconv.Itoa(i) + "-4f9c2b1e-event.ics"
	}
	src := &benchSource{etag: `"3f2a9c0d8e7b6a5f4e3d2c1b0a998877"`, ct: "text/calendar; charset=utf-8; component=VEVENT"}
	pf := &Propfind{Kind: FindProp, Props: []xml.Name{dGetETag, dGetCT}}
	req := newReq("PROPFIND", "Depth", "1")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w.n = 0
		m := NewMultistatus(w, req)
		for _, h := range hrefs {
			if err := m.Propfind(h, pf, src); err != nil {
				b.Fatal(err)
			}
		}
		if err := m.Close(""); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w.n), "bytes/doc")
}

func BenchmarkEscapeText(b *testing.B) {
	s := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:4f9c2b1e@example.com\r\nSUMMARY:Lunch with Zoë & co <team>\r\nDTSTART:20240501T120000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	var sb strings.Builder
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		sb.Reset()
		escapeText(&sb, s)
	}
}

// TestEscapePathPlain: the fast path for names without anything to
// escape answers what the segment-by-segment escape answers.
func TestEscapePathPlain(t *testing.T) {
	for _, p := range []string{"", "a", "ev-00001.ics", "a/b/c.ics", "A-Z_0.9~", "/lead/", "a b", "ü.ics", "a%2F", "a;b", "a,b", "a:b@c", "x?y", "#"} {
		segs := strings.Split(p, "/")
		for i, s := range segs {
			segs[i] = url.PathEscape(s)
		}
		if got, want := EscapePath(p), strings.Join(segs, "/"); got != want {
			t.Errorf("EscapePath(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestMultistatusAfterClose: Close hands the buffer on to the next
// response; what a handler would write after Close goes nowhere, and the
// next multistatus starts clean.
func TestMultistatusAfterClose(t *testing.T) {
	first := httptest.NewRecorder()
	m := NewMultistatus(first, newReq("PROPFIND"))
	if err := m.StatusResponse("/first-href", 200); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(""); err != nil {
		t.Fatal(err)
	}
	body := first.Body.String()
	if err := m.StatusResponse("/late-href", 200); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(""); err != nil {
		t.Fatal(err)
	}
	if first.Body.String() != body || strings.Contains(body, "/late-href") {
		t.Fatalf("written after Close: %s", first.Body.String())
	}
	second := httptest.NewRecorder()
	m2 := NewMultistatus(second, newReq("PROPFIND"))
	if err := m2.StatusResponse("/second-href", 404); err != nil {
		t.Fatal(err)
	}
	if err := m2.Close(""); err != nil {
		t.Fatal(err)
	}
	if got := second.Body.String(); strings.Contains(got, "/first-href") || strings.Contains(got, "/late-href") || !strings.Contains(got, "/second-href") {
		t.Fatalf("second multistatus: %s", got)
	}
}

// The multistatus declares DAV: as its default namespace. A captured
// (dead) property value was read without one: its unprefixed elements
// are in no namespace and must stay there, whatever the property's own
// namespace, with a language or without, and when expand-property puts
// DAV:response elements into it.
func TestMultistatus_StoredValuesKeepNoNamespace(t *testing.T) {
	stored := []struct {
		name  xml.Name
		value string // as the store keeps it (RawXML.Stored)
		kids  []xml.Name
	}{
		{Name(NSDAV, "dead"), `<c/><x:a xmlns:x="urn:a"><b/></x:a>`, []xml.Name{Name("", "c"), Name("urn:a", "a")}},
		{Name("urn:x", "p"), `<b>t</b>`, []xml.Name{Name("", "b")}},
		{Name(NSCalDAV, "q"), `<d/>`, []xml.Name{Name("", "d")}},
		{Name("", "nons"), `<e/>`, []xml.Name{Name("", "e")}},
		{Name(NSDAV, "texty"), `plain text`, nil},
	}
	tagged := RawXML{Name: Name(NSDAV, "tagged"), Inner: `<f/>`, Lang: "de"}
	stored = append(stored, struct {
		name  xml.Name
		value string
		kids  []xml.Name
	}{tagged.Name, tagged.Stored(), []xml.Name{Name("", "f")}})
	var props []Prop
	for _, s := range stored {
		props = append(props, StoredProp(s.name, s.value))
	}
	// A value we render ourselves uses the D prefix and means DAV:.
	props = append(props, XMLProp(Name(NSDAV, "resourcetype"), "<D:collection/>"))
	rec := newRecorderMultistatus(t, "PROPFIND", func(m *Multistatus) {
		m.Response("/n", props, nil)
	})
	resps, _ := parseMultistatus(t, rec.Body.Bytes())
	ok := resps[0].propstat(t, "200")
	for _, s := range stored {
		p := ok.prop(t, s.name)
		if !namesEqual(p.kidNames(), s.kids) {
			t.Errorf("%v holds %v, want %v:\n%s", s.name, p.kidNames(), s.kids, rec.Body)
		}
	}
	if got := ok.prop(t, Name(NSDAV, "texty")).Text; got != "plain text" {
		t.Errorf("text value %q", got)
	}
	if lang, _ := ok.prop(t, Name(NSDAV, "tagged")).attr(xmlNamespace, "lang"); lang != "de" {
		t.Errorf("xml:lang %q", lang)
	}
	if kids := ok.prop(t, Name(NSDAV, "resourcetype")).kidNames(); !namesEqual(kids, []xml.Name{Name(NSDAV, "collection")}) {
		t.Errorf("resourcetype holds %v", kids)
	}

	// expand-property replaces an href in a captured value by a response
	// in DAV:, beside the value's elements in no namespace.
	w := newExpandWorld()
	src := mapSource{xLinks: StoredProp(xLinks, `<g/><D:href xmlns:D="DAV:">/p/alice/</D:href>`)}
	resps, body, _ := expandAnswer(t, &Expander{Resolve: w.resolve}, src,
		mustParseExpand(t, `<D:property name="links" namespace="urn:x"><D:property name="displayname"/></D:property>`))
	links := resps[0].propstat(t, "200").prop(t, xLinks)
	if !namesEqual(links.kidNames(), []xml.Name{Name("", "g"), dResponse}) {
		t.Fatalf("expanded value holds %v:\n%s", links.kidNames(), body)
	}
	if n := nested(t, links); n[0].propstat(t, "200").prop(t, dDisplayName).Text != "Alice & Co" {
		t.Errorf("nested response %+v", n[0])
	}
}
