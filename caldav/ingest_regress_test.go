package caldav_test

import (
	"strings"
	"testing"

	"almanac/caldav"
	"almanac/internal/davtest"
)

// Regression tests, over raw HTTP, for real-world defects the server
// accepts and stores as sent (internal/ical doc.go "Parse"): a UTF-8 byte
// order mark, DURATION with a final "T", bare LF line ends and RFC 6868
// parameter encoding.

// vevent is a calendar object with one VEVENT of the given lines, ended by
// eol.
func vevent(eol string, lines ...string) string {
	all := append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VEVENT", "DTSTAMP:20260101T000000Z"}, lines...)
	all = append(all, "END:VEVENT", "END:VCALENDAR")
	return strings.Join(all, eol) + eol
}

func (e *env) query(cal, filter, prop string) *davtest.Multistatus {
	e.t.Helper()
	body := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>` + prop +
		`</D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` + filter +
		`</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
	return davtest.ParseMS(e.t, e.do(req{method: "REPORT", path: e.cal(cal), body: body, hdr: map[string]string{"Depth": "1"}}))
}

func (e *env) multiget(cal string, prop string, hrefs ...string) *davtest.Multistatus {
	e.t.Helper()
	body := `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>` + prop + `</D:prop>`
	for _, h := range hrefs {
		body += "<D:href>" + h + "</D:href>"
	}
	body += "</C:calendar-multiget>"
	return davtest.ParseMS(e.t, e.do(req{method: "REPORT", path: e.cal(cal), body: body, hdr: map[string]string{"Depth": "1"}}))
}

// TestPut_ByteOrderMark: RFC 5545 3.1.4 makes calendar data UTF-8 and says
// nothing of a BOM, RFC 3629 6 reads a leading U+FEFF as a signature;
// Outlook's and Android's exports carry one and sabre/vobject accepts it.
// The object is stored and served by GET byte for byte; calendar-data in
// a multistatus (RFC 4791 9.6) leaves the BOM out, as text inside XML it
// would be a ZERO WIDTH NO-BREAK SPACE before BEGIN:VCALENDAR, which
// python-vobject and python-icalendar refuse.
func TestPut_ByteOrderMark(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	plain := vevent("\r\n", "UID:bom", "DTSTART:20260310T100000Z", "DTEND:20260310T110000Z", "SUMMARY:Exported")
	body := "\uFEFF" + plain
	p := e.obj("default", "bom.ics")
	rec := e.do(put(p, body))
	if rec.Code != 201 {
		t.Fatalf("PUT with a BOM: %d %s", rec.Code, rec.Body)
	}
	etag := rec.Header().Get("ETag")
	get := e.do(req{method: "GET", path: p})
	if get.Body.String() != body || get.Header().Get("ETag") != etag {
		t.Errorf("GET = %q (ETag %s), want the stored bytes (ETag %s)", get.Body, get.Header().Get("ETag"), etag)
	}
	m := e.multiget("default", "<C:calendar-data/>", p)
	if text, _, ok := m.Prop(p, "calendar-data"); !ok || text != plain {
		t.Errorf("multiget calendar-data = %q, want %q", text, plain)
	}
	if got, _, _ := m.Prop(p, "getetag"); got != etag {
		t.Errorf("multiget getetag = %s, want %s", got, etag)
	}
	// Queries read it like any other object; partial retrieval too.
	m = e.query("default", `<C:time-range start="20260310T103000Z" end="20260310T104500Z"/>`,
		`<C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:prop name="SUMMARY"/></C:comp></C:comp></C:calendar-data>`)
	if text, _, ok := m.Prop(p, "calendar-data"); !ok || !strings.HasPrefix(text, "BEGIN:VCALENDAR\r\n") || !strings.Contains(text, "SUMMARY:Exported\r\n") {
		t.Errorf("calendar-query partial calendar-data = %q, %v", text, ok)
	}
	// Only a leading BOM is a signature.
	davtest.WantError(t, e.do(put(e.obj("default", "two.ics"), "\uFEFF\uFEFF"+strings.ReplaceAll(plain, "UID:bom", "UID:two"))), 403, "valid-calendar-data")
}

// TestPut_DurationTrailingT: RFC 5545 3.3.6 requires a time after "T"
// (dur-time), older libraries write DURATION:P1DT for one day, and
// sabre/vobject, Apple's pycalendar and python-vobject read it as P1D. It
// is stored as sent and lasts a day in queries.
func TestPut_DurationTrailingT(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	body := vevent("\r\n", "UID:long", "DTSTART:20260310T100000Z", "DURATION:P1DT", "SUMMARY:Offsite")
	p := e.obj("default", "long.ics")
	if rec := e.do(put(p, body)); rec.Code != 201 {
		t.Fatalf("PUT DURATION:P1DT: %d %s", rec.Code, rec.Body)
	}
	if get := e.do(req{method: "GET", path: p}); get.Body.String() != body {
		t.Errorf("GET = %q", get.Body)
	}
	for _, tc := range []struct {
		name, start, end string
		match            bool
	}{
		{"evening of the first day", "20260310T200000Z", "20260310T210000Z", true},
		{"just before the end", "20260311T095900Z", "20260311T100000Z", true},
		{"at the end", "20260311T100000Z", "20260311T110000Z", false},
	} {
		m := e.query("default", `<C:time-range start="`+tc.start+`" end="`+tc.end+`"/>`, "")
		if got := len(m.Hrefs()) == 1; got != tc.match {
			t.Errorf("%s: matched %v, want %v", tc.name, m.Hrefs(), tc.match)
		}
	}
	for _, bad := range []string{"PT", "P1DT1"} {
		davtest.WantError(t, e.do(put(e.obj("default", "bad.ics"), vevent("\r\n", "UID:bad", "DTSTART:20260310T100000Z", "DURATION:"+bad))), 403, "valid-calendar-data")
	}
}

// TestPut_BareLF: RFC 5545 3.1 ends lines with CRLF; objects with bare LF
// (scripts, Unix tools) are accepted, stored and served as sent, and what
// the server writes from them has CRLF.
func TestPut_BareLF(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	body := vevent("\n", "UID:lf", "DTSTART:20260310T100000Z", "DTEND:20260310T110000Z", "DESCRIPTION:a long", "  folded text", "SUMMARY:Script")
	p := e.obj("default", "lf.ics")
	if rec := e.do(put(p, body)); rec.Code != 201 {
		t.Fatalf("PUT with LF: %d %s", rec.Code, rec.Body)
	}
	if get := e.do(req{method: "GET", path: p}); get.Body.String() != body {
		t.Errorf("GET = %q", get.Body)
	}
	if text, _, _ := e.multiget("default", "<C:calendar-data/>", p).Prop(p, "calendar-data"); text != body {
		t.Errorf("multiget calendar-data = %q, want the stored bytes", text)
	}
	m := e.query("default", `<C:prop-filter name="DESCRIPTION"><C:text-match>long folded</C:text-match></C:prop-filter>`,
		`<C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:prop name="DESCRIPTION"/></C:comp></C:comp></C:calendar-data>`)
	text, _, ok := m.Prop(p, "calendar-data")
	if !ok || !strings.Contains(text, "DESCRIPTION:a long folded text\r\n") || strings.Contains(strings.ReplaceAll(text, "\r\n", ""), "\n") {
		t.Errorf("partial calendar-data = %q, %v; want CRLF lines", text, ok)
	}
}

// TestQuery_ParamFilterRFC6868: a param-filter's text-match (RFC 4791
// 9.7.3) compares the parameter value the client meant, with RFC 6868 3
// caret escapes decoded (^' a double quote, ^n a line break, ^^ a caret).
func TestQuery_ParamFilterRFC6868(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	p := e.obj("default", "babe.ics")
	body := vevent("\r\n", "UID:babe", "DTSTART:20260310T100000Z",
		`ATTENDEE;CN=George Herman ^'Babe^' Ruth;X-ROOM="Floor 2^nRoom ^^4":mailto:babe@example.com`)
	if rec := e.do(put(p, body)); rec.Code != 201 {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	for _, tc := range []struct {
		name, param, text string
		match             bool
	}{
		{"double quote", "CN", `"Babe"`, true},
		{"escape is no text", "CN", "^'Babe", false},
		{"caret", "X-ROOM", "Room ^4", true},
		{"escaped caret is no text", "X-ROOM", "^^4", false},
		{"line break", "X-ROOM", "2\nRoom", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := e.query("default", `<C:prop-filter name="ATTENDEE"><C:param-filter name="`+tc.param+`"><C:text-match collation="i;octet">`+
				strings.NewReplacer("\n", "&#10;", `"`, "&quot;").Replace(tc.text)+`</C:text-match></C:param-filter></C:prop-filter>`, "")
			if got := len(m.Hrefs()) == 1; got != tc.match {
				t.Errorf("matched %v, want %v", m.Hrefs(), tc.match)
			}
		})
	}
	// The stored bytes keep the escapes.
	if get := e.do(req{method: "GET", path: p}); get.Body.String() != body {
		t.Errorf("GET = %q", get.Body)
	}
}
