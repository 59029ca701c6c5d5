package caldav_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"almanac/caldav"
	"almanac/internal/davtest"
	"almanac/storage"
)

// Regression tests for request amplification: one request naming the
// same property or href thousands of times, or naming more than any
// client needs.

// propCount counts the elements named local in every propstat of the
// response for href, whatever their status.
func propCount(m *davtest.Multistatus, href, local string) int {
	n := 0
	for _, r := range m.Responses {
		if r.Href != href {
			continue
		}
		for _, ps := range r.Propstats {
			for _, p := range ps.Prop.Any {
				if p.XMLName.Local == local {
					n++
				}
			}
		}
	}
	return n
}

func responsesFor(m *davtest.Multistatus, href string) int {
	n := 0
	for _, h := range m.Hrefs() {
		if h == href {
			n++
		}
	}
	return n
}

func TestPropfind_RepeatedPropAnsweredOnce(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	e.do(put(e.obj("default", "a.ics"), event("a", "x")))
	body := `<D:propfind xmlns:D="DAV:" xmlns:X="urn:x"><D:prop>` +
		strings.Repeat(`<D:getetag/><D:displayname/><X:nope/>`, 10000) + `</D:prop></D:propfind>`
	m := davtest.ParseMS(t, e.do(req{method: "PROPFIND", path: e.cal("default"), body: body, hdr: map[string]string{"Depth": "1"}}))
	for _, href := range []string{e.cal("default"), e.obj("default", "a.ics")} {
		for _, p := range []string{"getetag", "displayname", "nope"} {
			if n := propCount(m, href, p); n != 1 {
				t.Errorf("%s: %s answered %d times, want once", href, p, n)
			}
		}
	}
}

func TestPropfind_TooManyDistinctProps(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	var sb strings.Builder
	sb.WriteString(`<propfind xmlns="DAV:"><prop>`)
	for i := range 100000 {
		fmt.Fprintf(&sb, "<p%d/>", i)
	}
	sb.WriteString(`</prop></propfind>`)
	for _, depth := range []string{"0", "1"} {
		davtest.WantError(t, e.do(req{method: "PROPFIND", path: e.cal("default"), body: sb.String(), hdr: map[string]string{"Depth": depth}}), 413, "too-many-properties")
	}
	// allprop's include list is capped the same way.
	include := strings.Replace(strings.Replace(sb.String(), "<prop>", "<allprop/><include>", 1), "</prop>", "</include>", 1)
	davtest.WantError(t, e.do(req{method: "PROPFIND", path: e.cal("default"), body: include, hdr: map[string]string{"Depth": "0"}}), 413, "too-many-properties")

	// What a real client asks for (Apple's home listing names about
	// fifty properties) stays well inside the cap.
	sb.Reset()
	sb.WriteString(`<propfind xmlns="DAV:"><prop>`)
	for i := range 200 {
		fmt.Fprintf(&sb, "<p%d/>", i)
	}
	sb.WriteString(`</prop></propfind>`)
	m := davtest.ParseMS(t, e.do(req{method: "PROPFIND", path: e.cal("default"), body: sb.String(), hdr: map[string]string{"Depth": "0"}}))
	if n := propCount(m, e.cal("default"), "p199"); n != 1 {
		t.Errorf("200 properties: p199 answered %d times", n)
	}
}

// One very long property name asked of every member would be echoed in
// every member's 404 propstat.
func TestPropfind_OversizedPropNames(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	long := "p" + strings.Repeat("x", 64<<10)
	body := `<D:propfind xmlns:D="DAV:"><D:prop><D:` + long + `/></D:prop></D:propfind>`
	davtest.WantError(t, e.do(req{method: "PROPFIND", path: e.cal("default"), body: body, hdr: map[string]string{"Depth": "1"}}), 413, "too-many-properties")
}

func TestProppatch_RepeatedPropAnsweredOnce(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	var sb strings.Builder
	sb.WriteString(`<D:propertyupdate xmlns:D="DAV:">`)
	for i := range 5000 {
		fmt.Fprintf(&sb, `<D:set><D:prop><D:displayname>n%d</D:displayname></D:prop></D:set>`, i)
	}
	sb.WriteString(`</D:propertyupdate>`)
	m := davtest.ParseMS(t, e.do(req{method: "PROPPATCH", path: e.cal("default"), body: sb.String()}))
	if n := propCount(m, e.cal("default"), "displayname"); n != 1 {
		t.Errorf("displayname answered %d times, want once", n)
	}
	// Instructions still apply in order: the last value wins.
	c, err := e.store.Collection(context.Background(), e.alice.ID, "default")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Props["{DAV:}displayname"]; got != "n4999" {
		t.Errorf("displayname %q, want the last one set", got)
	}

	// A protected property named many times fails once.
	body := `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>` + strings.Repeat(`<D:getetag>x</D:getetag>`, 1000) + `<D:displayname>y</D:displayname></D:prop></D:set></D:propertyupdate>`
	m = davtest.ParseMS(t, e.do(req{method: "PROPPATCH", path: e.cal("default"), body: body}))
	if n := propCount(m, e.cal("default"), "getetag"); n != 1 {
		t.Errorf("getetag answered %d times, want once", n)
	}
}

func TestProppatch_TooManyDistinctProps(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	before := e.seq("default")
	var sb strings.Builder
	for i := range 50000 {
		fmt.Fprintf(&sb, "<D:p%d/>", i)
	}
	set := `<D:set><D:prop>` + sb.String() + `</D:prop></D:set>`
	body := `<D:propertyupdate xmlns:D="DAV:">` + set + `</D:propertyupdate>`
	davtest.WantError(t, e.do(req{method: "PROPPATCH", path: e.cal("default"), body: body}), 413, "too-many-properties")
	c, err := e.store.Collection(context.Background(), e.alice.ID, "default")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Props["{DAV:}p0"]; ok || e.seq("default") != before {
		t.Error("a refused PROPPATCH stored properties")
	}
	body = `<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` + set + `</C:mkcalendar>`
	davtest.WantError(t, e.do(req{method: "MKCALENDAR", path: e.cal("many"), body: body}), 413, "too-many-properties")
	if _, err := e.store.Collection(context.Background(), e.alice.ID, "many"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("refused MKCALENDAR created the calendar: %v", err)
	}
}

func multigetBody(prop string, hrefs []string) string {
	var sb strings.Builder
	sb.WriteString(`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>` + prop + `</D:prop>`)
	for _, h := range hrefs {
		sb.WriteString("<D:href>" + h + "</D:href>")
	}
	sb.WriteString("</C:calendar-multiget>")
	return sb.String()
}

func TestMultiget_RepeatedHrefAnsweredOnce(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	e.do(put(e.obj("default", "0.ics"), event("0", "x")))
	e.do(put(e.obj("default", "1.ics"), event("1", "x")))
	var hrefs []string
	for range 5000 {
		hrefs = append(hrefs, e.obj("default", "0.ics"))
	}
	// Other spellings of the same member: absolute, percent-encoded.
	hrefs = append(hrefs, "http://example.com"+e.obj("default", "0.ics"), e.obj("default", "%30.ics"), e.obj("default", "%30%2Eics"),
		e.obj("default", "1.ics"), e.obj("default", "gone.ics"), e.obj("default", "gone.ics"))
	body := multigetBody(strings.Repeat(`<D:getetag/><C:calendar-data/>`, 100), hrefs)
	m := davtest.ParseMS(t, e.do(req{method: "REPORT", path: e.cal("default"), body: body, hdr: map[string]string{"Depth": "1"}}))
	if len(m.Responses) != 3 {
		t.Fatalf("%d responses, want 3 (0.ics, 1.ics, gone.ics)", len(m.Responses))
	}
	for _, h := range []string{e.obj("default", "0.ics"), e.obj("default", "1.ics"), e.obj("default", "gone.ics")} {
		if n := responsesFor(m, h); n != 1 {
			t.Errorf("%s answered %d times", h, n)
		}
	}
	if n := propCount(m, e.obj("default", "0.ics"), "calendar-data"); n != 1 {
		t.Errorf("calendar-data answered %d times", n)
	}
}

func TestMultiget_TooManyHrefs(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	hrefs := make([]string, 12000)
	for i := range hrefs {
		hrefs[i] = e.obj("default", fmt.Sprintf("%d.ics", i))
	}
	davtest.WantError(t, e.do(req{method: "REPORT", path: e.cal("default"), body: multigetBody(`<D:getetag/>`, hrefs), hdr: map[string]string{"Depth": "1"}}), 413, "too-many-hrefs")
	// vdirsyncer asks for every changed member of a collection in one
	// multiget: a few thousand are served.
	m := davtest.ParseMS(t, e.do(req{method: "REPORT", path: e.cal("default"), body: multigetBody(`<D:getetag/>`, hrefs[:5000]), hdr: map[string]string{"Depth": "1"}}))
	if len(m.Responses) != 5000 {
		t.Errorf("%d responses to 5000 hrefs", len(m.Responses))
	}
}

func TestReports_RepeatedPropAnsweredOnce(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	e.do(put(e.obj("default", "a.ics"), event("a", "x")))
	props := strings.Repeat(`<D:getetag/><C:calendar-data/>`, 5000)
	for name, body := range map[string]string{
		"calendar-query": `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>` + props +
			`</D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>`,
		"sync-collection": `<D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop>` +
			props + `</D:prop></D:sync-collection>`,
	} {
		m := davtest.ParseMS(t, e.do(req{method: "REPORT", path: e.cal("default"), body: body, hdr: map[string]string{"Depth": "1"}}))
		for _, p := range []string{"getetag", "calendar-data"} {
			if n := propCount(m, e.obj("default", "a.ics"), p); n != 1 {
				t.Errorf("%s: %s answered %d times", name, p, n)
			}
		}
	}
	var sb strings.Builder
	for i := range 50000 {
		fmt.Fprintf(&sb, "<D:p%d/>", i)
	}
	body := `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop>` + sb.String() + `</D:prop></D:sync-collection>`
	davtest.WantError(t, e.do(req{method: "REPORT", path: e.cal("default"), body: body}), 413, "too-many-properties")
	body = `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>` + sb.String() +
		`</D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>`
	davtest.WantError(t, e.do(req{method: "REPORT", path: e.cal("default"), body: body, hdr: map[string]string{"Depth": "1"}}), 413, "too-many-properties")
}

func TestCalendarData_TooManySelections(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	e.do(put(e.obj("default", "a.ics"), event("a", "x")))
	var sb strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&sb, `<C:prop name="X-%d"/>`, i)
	}
	body := `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT">` +
		sb.String() + `</C:comp></C:comp></C:calendar-data></D:prop><D:href>` + e.obj("default", "a.ics") + `</D:href></C:calendar-multiget>`
	davtest.WantError(t, e.do(req{method: "REPORT", path: e.cal("default"), body: body}), 413, "too-many-properties")
	// Repeating one selection is harmless: it counts once.
	body = `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT">` +
		strings.Repeat(`<C:prop name="SUMMARY"/>`, 20000) + `</C:comp></C:comp></C:calendar-data></D:prop><D:href>` + e.obj("default", "a.ics") + `</D:href></C:calendar-multiget>`
	m := davtest.ParseMS(t, e.do(req{method: "REPORT", path: e.cal("default"), body: body}))
	if txt, _, _ := m.Prop(e.obj("default", "a.ics"), "calendar-data"); !strings.Contains(txt, "SUMMARY:x") || strings.Contains(txt, "DTSTART") {
		t.Errorf("calendar-data %q", txt)
	}
}
