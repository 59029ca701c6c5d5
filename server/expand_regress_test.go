package server_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"almanac/internal/davtest"
	"almanac/server/servertest"
	"almanac/storage"
)

// The DAV:expand-property REPORT (RFC 3253 3.8), which RFC 4791 7.1 and
// RFC 6352 8.1 require of CalDAV and CardDAV servers, over raw HTTP
// through the whole server.

const (
	nsCalDAV  = "urn:ietf:params:xml:ns:caldav"
	nsCardDAV = "urn:ietf:params:xml:ns:carddav"
	nsCS      = "http://calendarserver.org/ns/"
)

func dName(local string) xml.Name { return xml.Name{Space: "DAV:", Local: local} }

// kids returns the child elements of e named n.
func (e *elem) kids(n xml.Name) []*elem {
	var out []*elem
	for _, k := range e.Kids {
		if ke, ok := k.(*elem); ok && ke.Name == n {
			out = append(out, ke)
		}
	}
	return out
}

// text is e's character data.
func (e *elem) text() string {
	var sb strings.Builder
	for _, k := range e.Kids {
		if s, ok := k.(string); ok {
			sb.WriteString(s)
		}
	}
	return strings.TrimSpace(sb.String())
}

// davResponse is a DAV:response, at the top of a multistatus or nested
// in a property value.
type davResponse struct {
	t *testing.T
	e *elem
}

func (r davResponse) href() string { return r.e.kids(dName("href"))[0].text() }

// status is the response's own status line, "" when it has propstats.
func (r davResponse) status() string {
	if s := r.e.kids(dName("status")); len(s) == 1 {
		return s[0].text()
	}
	return ""
}

// prop returns property n from the propstat with status code, nil when
// there is none.
func (r davResponse) prop(code int, n xml.Name) *elem {
	for _, ps := range r.e.kids(dName("propstat")) {
		if !strings.Contains(ps.kids(dName("status"))[0].text(), " "+strconv.Itoa(code)+" ") {
			continue
		}
		if p := ps.kids(dName("prop"))[0].kids(n); len(p) == 1 {
			return p[0]
		}
	}
	return nil
}

// must is prop that fails the test when the property is not there.
func (r davResponse) must(code int, n xml.Name) *elem {
	r.t.Helper()
	p := r.prop(code, n)
	if p == nil {
		r.t.Fatalf("response %s has no %s with %d", r.href(), n.Local, code)
	}
	return p
}

// responses returns the DAV:response children of e.
func responses(t *testing.T, e *elem) []davResponse {
	var out []davResponse
	for _, k := range e.kids(dName("response")) {
		out = append(out, davResponse{t, k})
	}
	return out
}

// expand sends an expand-property REPORT and returns the answer's
// responses.
func expand(t *testing.T, env *servertest.Env, login, path, inner string, hdr ...string) []davResponse {
	t.Helper()
	rec := env.Do("REPORT", path, login, `<D:expand-property xmlns:D="DAV:">`+inner+`</D:expand-property>`,
		append([]string{"Content-Type", "application/xml"}, hdr...)...)
	if rec.Code != http.StatusMultiStatus {
		t.Fatalf("REPORT %s: %d, want 207\n%s", path, rec.Code, rec.Body)
	}
	return responses(t, parseElem(t, rec.Body.Bytes()))
}

// only returns the one response of rs.
func only(t *testing.T, rs []davResponse) davResponse {
	t.Helper()
	if len(rs) != 1 {
		t.Fatalf("%d responses, want 1", len(rs))
	}
	return rs[0]
}

func hrefsOf(e *elem) []string {
	var out []string
	for _, h := range e.kids(dName("href")) {
		out = append(out, h.text())
	}
	return out
}

// putEvent stores an event; extra holds more content lines.
func putEvent(t *testing.T, env *servertest.Env, login, path, uid, summary, extra string) {
	t.Helper()
	body := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nSUMMARY:" + summary + "\r\n" + extra + "END:VEVENT\r\nEND:VCALENDAR\r\n"
	if rec := env.Do("PUT", path, login, body, "Content-Type", "text/calendar"); rec.Code != http.StatusCreated {
		t.Fatalf("PUT %s: %d %s", path, rec.Code, rec.Body)
	}
}

// RFC 4791 7.1: "CalDAV servers MUST support the DAV:expand-property
// REPORT". Apple Calendar asks a principal for its proxies and for its
// current-user-principal's names and addresses in one report.
func TestExpandPropertyPrincipal_RFC4791_7_1(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("alice@example.com", func(a *storage.Account) { a.DisplayName = "Alice" })
	principal := "/dav/principals/" + acc.ID + "/"
	r := only(t, expand(t, env, acc.Login, principal, `
  <D:property name="calendar-proxy-write-for" namespace="http://calendarserver.org/ns/">
    <D:property name="displayname"/><D:property name="principal-URL"/>
    <D:property name="calendar-user-address-set" namespace="urn:ietf:params:xml:ns:caldav"/>
  </D:property>
  <D:property name="calendar-proxy-read-for" namespace="http://calendarserver.org/ns/">
    <D:property name="displayname"/>
  </D:property>
  <D:property name="current-user-principal">
    <D:property name="displayname"/><D:property name="principal-URL"/>
    <D:property name="calendar-home-set" namespace="urn:ietf:params:xml:ns:caldav"/>
    <D:property name="calendar-user-address-set" namespace="urn:ietf:params:xml:ns:caldav"/>
  </D:property>
  <D:property name="displayname"/>`))
	if r.href() != principal {
		t.Errorf("href %s, want %s", r.href(), principal)
	}
	// The server has no proxies (CalendarServer's delegation): the
	// properties are not defined, so there is nothing to expand.
	for _, n := range []string{"calendar-proxy-write-for", "calendar-proxy-read-for"} {
		if r.prop(404, xml.Name{Space: nsCS, Local: n}) == nil {
			t.Errorf("%s is not 404", n)
		}
	}
	if got := r.must(200, dName("displayname")).text(); got != "Alice" {
		t.Errorf("displayname %q", got)
	}
	cup := r.must(200, dName("current-user-principal"))
	if h := hrefsOf(cup); len(h) != 0 {
		t.Errorf("current-user-principal keeps hrefs %v", h)
	}
	me := only(t, responses(t, cup))
	if me.href() != principal {
		t.Errorf("expanded href %s", me.href())
	}
	if got := me.must(200, dName("displayname")).text(); got != "Alice" {
		t.Errorf("expanded displayname %q", got)
	}
	if got := hrefsOf(me.must(200, dName("principal-URL"))); len(got) != 1 || got[0] != principal {
		t.Errorf("expanded principal-URL %v", got)
	}
	if got := hrefsOf(me.must(200, xml.Name{Space: nsCalDAV, Local: "calendar-home-set"})); len(got) != 1 || got[0] != "/dav/calendars/"+acc.ID+"/" {
		t.Errorf("expanded calendar-home-set %v", got)
	}
	// Not expanded further: the addresses stay hrefs.
	if got := hrefsOf(me.must(200, xml.Name{Space: nsCalDAV, Local: "calendar-user-address-set"})); len(got) != 2 || got[0] != "mailto:alice@example.com" {
		t.Errorf("calendar-user-address-set %v", got)
	}
}

// RFC 6352 8.1: CardDAV servers MUST support expand-property too.
// Clients read the owner's address book home from an address book.
func TestExpandPropertyAddressBook_RFC6352_8_1(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("alice@example.com")
	book := "/dav/addressbooks/" + acc.ID + "/contacts/"
	r := only(t, expand(t, env, acc.Login, book, `<D:property name="owner">
  <D:property name="addressbook-home-set" namespace="urn:ietf:params:xml:ns:carddav">
    <D:property name="resourcetype"/><D:property name="supported-report-set"/>
  </D:property></D:property>`))
	owner := only(t, responses(t, r.must(200, dName("owner"))))
	if owner.href() != "/dav/principals/"+acc.ID+"/" {
		t.Errorf("owner %s", owner.href())
	}
	home := only(t, responses(t, owner.must(200, xml.Name{Space: nsCardDAV, Local: "addressbook-home-set"})))
	if home.href() != "/dav/addressbooks/"+acc.ID+"/" {
		t.Errorf("home %s", home.href())
	}
	if rt := home.must(200, dName("resourcetype")); len(rt.kids(dName("collection"))) != 1 {
		t.Errorf("home resourcetype %s", rt.infoset())
	}
	// The home serves expand-property and says so (RFC 3253 3.1.5).
	if s := home.must(200, dName("supported-report-set")).infoset(); !strings.Contains(s, "{DAV:}expand-property") {
		t.Errorf("home supported-report-set %s", s)
	}
}

// RFC 3253 3.1.5 DAV:supported-report-set names the report wherever it
// is served, which is on every resource that serves REPORT; Allow names
// REPORT there (RFC 9110 10.2.1).
func TestExpandPropertyAdvertised_RFC3253_3_1_5(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("alice@example.com")
	for _, path := range []string{
		"/dav/",
		"/dav/principals/",
		"/dav/principals/" + acc.ID + "/",
		"/dav/calendars/",
		"/dav/calendars/" + acc.ID + "/",
		"/dav/calendars/" + acc.ID + "/default/",
		"/dav/addressbooks/" + acc.ID + "/",
		"/dav/addressbooks/" + acc.ID + "/contacts/",
	} {
		rec := propfind(env, path, acc.Login, "<D:supported-report-set/>")
		if s := propOf(t, rec, dName("supported-report-set")).infoset(); !strings.Contains(s, "<{DAV:}report lang=><{DAV:}expand-property lang=></></>") {
			t.Errorf("%s: supported-report-set %s", path, s)
		}
		if allow := env.Do("OPTIONS", path, acc.Login, "").Header().Get("Allow"); !strings.Contains(allow, "REPORT") {
			t.Errorf("%s: Allow %q", path, allow)
		}
		expand(t, env, acc.Login, path, `<D:property name="resourcetype"/>`)
	}
}

// RFC 3253 3.6: without a Depth header a REPORT applies to the
// request-URI (Depth: 0); with Depth: 1 separately to it and to each of
// its members.
func TestExpandPropertyDepth_RFC3253_3_6(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("alice@example.com")
	cal := "/dav/calendars/" + acc.ID + "/default/"
	putEvent(t, env, acc.Login, cal+"a.ics", "a", "A", "")
	putEvent(t, env, acc.Login, cal+"b.ics", "b", "B", "")
	owner := `<D:property name="owner"><D:property name="displayname"/></D:property><D:property name="getetag"/>`
	for _, depth := range []string{"", "0"} {
		var hdr []string
		if depth != "" {
			hdr = []string{"Depth", depth}
		}
		r := only(t, expand(t, env, acc.Login, cal, owner, hdr...))
		if r.href() != cal {
			t.Errorf("Depth %q: href %s", depth, r.href())
		}
	}
	rs := expand(t, env, acc.Login, cal, owner, "Depth", "1")
	var hrefs []string
	for _, r := range rs {
		hrefs = append(hrefs, r.href())
		o := only(t, responses(t, r.must(200, dName("owner"))))
		if o.must(200, dName("displayname")).text() != acc.Login {
			t.Errorf("%s: owner's name", r.href())
		}
	}
	if strings.Join(hrefs, " ") != cal+" "+cal+"a.ics "+cal+"b.ics" {
		t.Errorf("Depth 1 answers %v", hrefs)
	}
	if rs[1].prop(200, dName("getetag")) == nil || rs[0].prop(404, dName("getetag")) == nil {
		t.Error("getetag: members have it, the calendar not")
	}
	// A member alone, and the home with its collections.
	if r := only(t, expand(t, env, acc.Login, cal+"a.ics", owner)); r.href() != cal+"a.ics" {
		t.Errorf("member: %s", r.href())
	}
	home := "/dav/calendars/" + acc.ID + "/"
	if rs := expand(t, env, acc.Login, home, owner, "Depth", "1"); len(rs) != 2 || rs[1].href() != cal {
		t.Errorf("home Depth 1: %d responses", len(rs))
	}
	// Infinity is refused as for PROPFIND (RFC 4918 9.1); a Depth off
	// the grammar is 400 (RFC 4918 10.2).
	body := `<D:expand-property xmlns:D="DAV:">` + owner + `</D:expand-property>`
	davtest.WantError(t, env.Do("REPORT", cal, acc.Login, body, "Depth", "infinity"), http.StatusForbidden, "propfind-finite-depth")
	davtest.WantError(t, env.Do("REPORT", cal, acc.Login, body, "Depth", "2"), http.StatusBadRequest, "")
	// What does not exist is 404, as for PROPFIND.
	davtest.WantError(t, env.Do("REPORT", cal+"none.ics", acc.Login, body), http.StatusNotFound, "")
	davtest.WantError(t, env.Do("REPORT", "/dav/calendars/"+acc.ID+"/none/", acc.Login, body), http.StatusNotFound, "")
}

// An href in a property value is expanded as a request for it by the same
// user would be answered: what they may not see is 404 in its response,
// the same whether it exists or not, and nothing of another account
// reaches the answer (DESIGN.md 4; RFC 3744 and RFC 4918 leave hiding
// resources to the server).
func TestExpandPropertyHidesOtherAccounts(t *testing.T) {
	env := servertest.New(t)
	alice := env.Account("alice@example.com", func(a *storage.Account) { a.DisplayName = "Alice" })
	bob := env.Account("bob@example.com", func(a *storage.Account) { a.DisplayName = "Bobby Secret" })
	carol := env.Account("carol@example.com", func(a *storage.Account) { a.DisplayName = "Carol Sharer" })
	bobCal := "/dav/calendars/" + bob.ID + "/default/"
	putEvent(t, env, bob.Login, bobCal+"x.ics", "x", "Bob's secret meeting", "")
	carolCal := "/dav/calendars/" + carol.ID + "/default/"
	putEvent(t, env, carol.Login, carolCal+"open.ics", "open", "Open", "")
	putEvent(t, env, carol.Login, carolCal+"private.ics", "private", "Carol's private dentist", "CLASS:PRIVATE\r\n")
	// Carol shares her calendar with Alice, read-only: Alice sees Carol's
	// principal (who shares with her) and the calendar at her mount,
	// with private events hidden.
	if err := env.Store.PutGrant(context.Background(), &storage.Grant{Owner: carol.ID, Collection: "default", Sharee: alice.ID, Access: storage.AccessRead, Mount: "carols"}); err != nil {
		t.Fatal(err)
	}
	mount := "/dav/calendars/" + alice.ID + "/carols/"
	links := []string{
		"/dav/principals/" + bob.ID + "/",
		"/dav/principals/nobody/",
		"http://other.example/dav/principals/" + bob.ID + "/",
		"/dav/calendars/" + bob.ID + "/",
		bobCal,
		bobCal + "x.ics",
		"/dav/calendars/" + bob.ID + "/none/",
		"/dav/addressbooks/" + bob.ID + "/contacts/",
		"/dav/notifications/" + bob.ID + "/",
		carolCal,
		carolCal + "open.ics",
		mount + "private.ics",
		"/dav/principals/" + carol.ID + "/",
		mount + "open.ics",
		"http://localhost/dav/principals/" + alice.ID + "/",
		"mailto:bob@example.com",
		"urn:uuid:1234",
		"%zz",
	}
	var value strings.Builder
	for _, l := range links {
		value.WriteString("<D:href>" + xmlEscape(l) + "</D:href>")
	}
	cal := "/dav/calendars/" + alice.ID + "/default/"
	proppatch(t, env, cal, alice.Login, `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://example.com/ns"><D:set><D:prop><Z:links>`+value.String()+`</Z:links></D:prop></D:set></D:propertyupdate>`)

	rec := env.Do("REPORT", cal, alice.Login, `<D:expand-property xmlns:D="DAV:"><D:property name="links" namespace="http://example.com/ns">
  <D:property name="displayname"/><D:property name="getetag"/><D:property name="owner"/>
  <D:property name="calendar-home-set" namespace="urn:ietf:params:xml:ns:caldav"/>
  <D:property name="calendar-data" namespace="urn:ietf:params:xml:ns:caldav"/>
</D:property></D:expand-property>`)
	if rec.Code != http.StatusMultiStatus {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	for _, secret := range []string{"Bobby", "bob@example.com</D:displayname>", "secret meeting", "dentist"} {
		if strings.Contains(rec.Body.String(), secret) {
			t.Errorf("the answer holds %q:\n%s", secret, rec.Body)
		}
	}
	r := only(t, responses(t, parseElem(t, rec.Body.Bytes())))
	got := responses(t, r.must(200, xml.Name{Space: "http://example.com/ns", Local: "links"}))
	if len(got) != len(links) {
		t.Fatalf("%d responses for %d hrefs:\n%s", len(got), len(links), rec.Body)
	}
	hidden := len(links) - 6
	for i, g := range got[:hidden] {
		if g.href() != links[i] {
			t.Errorf("response %d for %s, want %s", i, g.href(), links[i])
		}
		// 404 and nothing else: no propstat says what exists.
		if !strings.Contains(g.status(), " 404 ") || len(g.e.Kids) != 2 {
			t.Errorf("%s: %s", links[i], g.e.infoset())
		}
	}
	// Carol's principal: her name, not her home.
	cp := got[hidden]
	if cp.must(200, dName("displayname")).text() != "Carol Sharer" || cp.prop(404, xml.Name{Space: nsCalDAV, Local: "calendar-home-set"}) == nil {
		t.Errorf("sharer's principal: %s", cp.e.infoset())
	}
	// The shared calendar's visible event, through the mount; no data
	// outside a calendar report (RFC 4791 9.6).
	open := got[hidden+1]
	if open.prop(200, dName("getetag")) == nil || open.prop(404, xml.Name{Space: nsCalDAV, Local: "calendar-data"}) == nil {
		t.Errorf("shared event: %s", open.e.infoset())
	}
	if hrefsOf(open.must(200, dName("owner")))[0] != "/dav/principals/"+carol.ID+"/" {
		t.Errorf("shared event's owner: %s", open.e.infoset())
	}
	// Alice's own principal by absolute URL; not addresses or other
	// schemes.
	if got[hidden+2].must(200, dName("displayname")).text() != "Alice" {
		t.Errorf("absolute URL: %s", got[hidden+2].e.infoset())
	}
	for _, g := range got[hidden+3:] {
		if !strings.Contains(g.status(), " 404 ") {
			t.Errorf("%s: %s", g.href(), g.e.infoset())
		}
	}
}

// The notification collection of CalendarServer sharing, named by the
// principal's CS:notification-URL, expands like any resource.
func TestExpandPropertyNotificationURL(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("alice@example.com")
	r := only(t, expand(t, env, acc.Login, "/dav/principals/"+acc.ID+"/",
		`<D:property name="notification-URL" namespace="http://calendarserver.org/ns/"><D:property name="resourcetype"/><D:property name="getctag" namespace="http://calendarserver.org/ns/"/></D:property>`))
	n := only(t, responses(t, r.must(200, xml.Name{Space: nsCS, Local: "notification-URL"})))
	if n.href() != "/dav/notifications/"+acc.ID+"/" || len(n.must(200, dName("resourcetype")).kids(xml.Name{Space: nsCS, Local: "notification"})) != 1 || n.prop(200, xml.Name{Space: nsCS, Local: "getctag"}) == nil {
		t.Errorf("notification collection: %s", n.e.infoset())
	}
}

// RFC 8144 2.1: Prefer: return=minimal drops 404 propstats, the nested
// responses' too.
func TestExpandPropertyPreferMinimal_RFC8144_2_1(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("alice@example.com")
	rec := env.Do("REPORT", "/dav/calendars/"+acc.ID+"/default/", acc.Login,
		`<D:expand-property xmlns:D="DAV:"><D:property name="owner"><D:property name="displayname"/><D:property name="getetag"/></D:property><D:property name="getetag"/></D:expand-property>`,
		"Prefer", "return=minimal")
	if rec.Code != http.StatusMultiStatus || strings.Contains(rec.Body.String(), "404") || !strings.Contains(rec.Body.String(), "<displayname>") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}

// Requests off RFC 3253 3.8's grammar or over the server's limits are
// precise 4xx answers before anything is read.
func TestExpandPropertyBadRequests(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("alice@example.com")
	cal := "/dav/calendars/" + acc.ID + "/default/"
	nest := func(n int) string {
		return strings.Repeat(`<D:property name="owner">`, n) + strings.Repeat(`</D:property>`, n)
	}
	var many strings.Builder
	for i := range 257 {
		many.WriteString(`<D:property name="p` + strconv.Itoa(i) + `"/>`)
	}
	for _, tc := range []struct {
		name, inner string
		status      int
		cond        string
	}{
		{"no name", `<D:property namespace="DAV:"/>`, 400, ""},
		{"not an XML name", `<D:property name="D:owner"/>`, 400, ""},
		{"a reserved namespace", `<D:property name="lang" namespace="http://www.w3.org/XML/1998/namespace"/>`, 400, ""},
		{"nested too deep", nest(5), 403, "expand-property-depth"},
		{"too many properties", many.String(), 413, "too-many-properties"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := env.Do("REPORT", cal, acc.Login, `<D:expand-property xmlns:D="DAV:">`+tc.inner+`</D:expand-property>`)
			davtest.WantError(t, rec, tc.status, tc.cond)
		})
	}
	// Four levels are served.
	expand(t, env, acc.Login, cal, nest(4))
	// The body is still checked as every request body is.
	davtest.WantError(t, env.Do("REPORT", cal, acc.Login, `<D:expand-property xmlns:D="DAV:"><D:property name="owner">`), http.StatusBadRequest, "")
}

// Expansion is bounded per request (dav.MaxExpandResponses, 10,000):
// past it hrefs stay hrefs, and the resource's own response says its
// answer was cut short, with DAV:number-of-matches-within-limits as RFC
// 5323 5.6 reports truncated results, rather than a second response for
// the same href.
func TestExpandPropertyLimit(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("alice@example.com")
	cal := "/dav/calendars/" + acc.ID + "/default/"
	const n = 10001
	proppatch(t, env, cal, acc.Login, `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://example.com/ns"><D:set><D:prop><Z:links>`+
		strings.Repeat("<D:href>/dav/principals/"+acc.ID+"/</D:href>", n)+`</Z:links></D:prop></D:set></D:propertyupdate>`)
	rec := env.Do("REPORT", cal, acc.Login, `<D:expand-property xmlns:D="DAV:"><D:property name="links" namespace="http://example.com/ns"><D:property name="displayname"/></D:property></D:expand-property>`)
	if rec.Code != http.StatusMultiStatus {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	r := only(t, responses(t, parseElem(t, rec.Body.Bytes())))
	links := r.must(200, xml.Name{Space: "http://example.com/ns", Local: "links"})
	if got, left := len(responses(t, links)), len(hrefsOf(links)); got != n-1 || left != 1 {
		t.Errorf("%d hrefs expanded, %d left; want %d and 1", got, left, n-1)
	}
	e := r.e.kids(dName("error"))
	if len(e) != 1 || len(e[0].kids(dName("number-of-matches-within-limits"))) != 1 || len(r.e.kids(dName("responsedescription"))) != 1 {
		t.Errorf("no DAV:error in the cut response: %d errors", len(e))
	}
}
