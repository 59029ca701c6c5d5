package caldav_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"almanac/auth"
	"almanac/caldav"
	"almanac/internal/davtest"
	"almanac/internal/davtree"
	"almanac/server/servertest"
	"almanac/storage"
	"almanac/storage/bolt"
)

// env is one server with two accounts; alice makes the requests.
type env struct {
	t     testing.TB
	store *bolt.DB
	h     http.Handler
	kind  *caldav.Calendars
	alice *storage.Account
	bob   *storage.Account
}

func newEnv(t testing.TB, opts caldav.Options) *env {
	t.Helper()
	db := servertest.Store(t)
	cal := caldav.New(db, opts)
	e := &env{t: t, store: db, kind: cal, h: davtree.New(db, davtree.Options{Principal: auth.AccountFrom}, cal)}
	e.alice, e.bob = servertest.Account(t, db, "alice@example.com"), servertest.Account(t, db, "bob@example.com")
	return e
}

func (e *env) cal(name string) string   { return "/dav/calendars/" + e.alice.ID + "/" + name + "/" }
func (e *env) obj(cal, n string) string { return e.cal(cal) + n }

type req struct {
	method, path string
	body         string
	hdr          map[string]string
}

func (e *env) do(r req) *httptest.ResponseRecorder {
	e.t.Helper()
	hr := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	for k, v := range r.hdr {
		hr.Header.Set(k, v)
	}
	hr = hr.WithContext(auth.WithAccount(hr.Context(), e.alice))
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, hr)
	return rec
}

func (e *env) seq(cal string) uint64 {
	c, err := e.store.Collection(context.Background(), e.alice.ID, cal)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Seq
}

func event(uid, summary string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:" + summary +
		"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

func todo(uid string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:task\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
}

func put(path, body string, hdr ...string) req {
	h := map[string]string{"Content-Type": "text/calendar; charset=utf-8"}
	for i := 0; i+1 < len(hdr); i += 2 {
		h[hdr[i]] = hdr[i+1]
	}
	return req{method: "PUT", path: path, body: body, hdr: h}
}

func TestOptions(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	rec := e.do(req{method: "OPTIONS", path: e.cal("default")})
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	dav := rec.Header().Get("DAV")
	for _, c := range []string{"1", "3", "extended-mkcol", "access-control", "calendar-access"} {
		if !strings.Contains(dav, c) {
			t.Errorf("DAV header %q lacks %s", dav, c)
		}
	}
	if !strings.Contains(rec.Header().Get("Allow"), "REPORT") || strings.Contains(rec.Header().Get("Allow"), "MKCALENDAR") {
		t.Errorf("Allow %q", rec.Header().Get("Allow"))
	}
}

func TestPropfindPrincipal(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	p := "/dav/principals/" + e.alice.ID + "/"
	rec := e.do(req{method: "PROPFIND", path: p, hdr: map[string]string{"Depth": "0"}, body: `<?xml version="1.0"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop>
<d:current-user-principal/><c:calendar-home-set/><c:calendar-user-address-set/><d:displayname/><d:unknown-thing/>
</d:prop></d:propfind>`})
	m := davtest.ParseMS(t, rec)
	if _, inner, ok := m.Prop(p, "calendar-home-set"); !ok || !strings.Contains(inner, "/dav/calendars/"+e.alice.ID+"/") {
		t.Errorf("calendar-home-set = %q", inner)
	}
	if _, inner, ok := m.Prop(p, "calendar-user-address-set"); !ok || !strings.Contains(inner, "mailto:alice@example.com") {
		t.Errorf("calendar-user-address-set = %q", inner)
	}
	if _, _, ok := m.Prop(p, "unknown-thing"); ok {
		t.Error("unknown property reported as found")
	}
	if !strings.Contains(rec.Body.String(), "404 Not Found") {
		t.Error("missing property not reported as 404")
	}
	// return=minimal drops the 404 propstat.
	rec = e.do(req{method: "PROPFIND", path: p, hdr: map[string]string{"Depth": "0", "Prefer": "return=minimal"},
		body: `<d:propfind xmlns:d="DAV:"><d:prop><d:displayname/><d:nope/></d:prop></d:propfind>`})
	if strings.Contains(rec.Body.String(), "404") || rec.Header().Get("Preference-Applied") != "return=minimal" {
		t.Errorf("minimal: %s", rec.Body)
	}
}

func TestPropfindDepth(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	for _, d := range []string{"infinity", ""} {
		rec := e.do(req{method: "PROPFIND", path: e.cal("default"), hdr: map[string]string{"Depth": d}})
		davtest.WantError(t, rec, 403, "propfind-finite-depth")
	}
	rec := e.do(req{method: "PROPFIND", path: e.cal("default"), hdr: map[string]string{"Depth": "2"}})
	davtest.WantError(t, rec, 400, "")
}

func TestPropfindHomeListsCalendars(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	home := "/dav/calendars/" + e.alice.ID + "/"
	rec := e.do(req{method: "PROPFIND", path: home, hdr: map[string]string{"Depth": "1"}})
	m := davtest.ParseMS(t, rec)
	if got := m.Hrefs(); len(got) != 2 || got[1] != e.cal("default") {
		t.Fatalf("hrefs %v", got)
	}
	if _, inner, _ := m.Prop(e.cal("default"), "resourcetype"); !strings.Contains(inner, "calendar") {
		t.Errorf("resourcetype %q", inner)
	}
	if txt, _, _ := m.Prop(e.cal("default"), "displayname"); txt != "Calendar" {
		t.Errorf("displayname %q", txt)
	}
}

func TestOtherUsersTreeIsNotFound(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	for _, p := range []string{
		"/dav/calendars/" + e.bob.ID + "/",
		"/dav/calendars/" + e.bob.ID + "/default/",
		"/dav/calendars/" + e.bob.ID + "/default/x.ics",
		"/dav/principals/" + e.bob.ID + "/",
		"/dav/calendars/nobody/",
	} {
		for _, m := range []string{"PROPFIND", "GET", "PUT", "DELETE", "MKCALENDAR", "PROPPATCH", "REPORT"} {
			rec := e.do(req{method: m, path: p, hdr: map[string]string{"Depth": "0"}, body: ""})
			if rec.Code != 404 {
				t.Errorf("%s %s = %d, want 404", m, p, rec.Code)
			}
		}
	}
}

func TestPathTricks(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	id := e.alice.ID
	for _, p := range []string{
		"/dav/calendars/" + id + "/%2e%2e/",
		"/dav/calendars/" + id + "/default/..",
		"/dav/calendars/" + id + "/default/a%2Fb.ics",
		"/dav/calendars/" + id + "/default/a%00.ics",
		"/dav/calendars/" + id + "//default/",
	} {
		rec := e.do(put(p, event("trick", "x")))
		if rec.Code != 400 {
			t.Errorf("PUT %s = %d, want 400", p, rec.Code)
		}
	}
	if e.seq("default") != 0 {
		t.Error("something was stored")
	}
}

func TestPutGetRoundTrip(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	body := event("u1", "Lunch")
	rec := e.do(put(e.obj("default", "u1.ics"), body))
	if rec.Code != 201 || rec.Header().Get("ETag") == "" {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	etag := rec.Header().Get("ETag")
	get := e.do(req{method: "GET", path: e.obj("default", "u1.ics")})
	if get.Code != 200 || get.Body.String() != body || get.Header().Get("ETag") != etag {
		t.Fatalf("get: %d etag %s body %q", get.Code, get.Header().Get("ETag"), get.Body)
	}
	if ct := get.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Errorf("content-type %q", ct)
	}
	if rec := e.do(req{method: "GET", path: e.obj("default", "u1.ics"), hdr: map[string]string{"If-None-Match": etag}}); rec.Code != 304 {
		t.Errorf("conditional GET = %d, want 304", rec.Code)
	}
	if rec := e.do(req{method: "HEAD", path: e.obj("default", "u1.ics")}); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD = %d with %d bytes", rec.Code, rec.Body.Len())
	}
	// Overwrite: 204, new etag.
	rec = e.do(put(e.obj("default", "u1.ics"), event("u1", "Dinner"), "If-Match", etag))
	if rec.Code != 204 || rec.Header().Get("ETag") == etag {
		t.Fatalf("overwrite: %d %s", rec.Code, rec.Header().Get("ETag"))
	}
	if rec := e.do(req{method: "GET", path: e.obj("default", "missing.ics")}); rec.Code != 404 {
		t.Errorf("missing GET = %d", rec.Code)
	}
}

func TestPutConditions(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	p := e.obj("default", "c.ics")
	etag := e.do(put(p, event("c", "one"))).Header().Get("ETag")
	before := e.seq("default")
	for _, tc := range []struct {
		name string
		hdr  []string
		want int
	}{
		{"if-none-match star on existing", []string{"If-None-Match", "*"}, 412},
		{"if-match other", []string{"If-Match", `"nope"`}, 412},
		{"if-match weak", []string{"If-Match", "W/" + etag}, 412},
		{"if-none-match current", []string{"If-None-Match", etag}, 412},
		{"malformed if-match", []string{"If-Match", "nope"}, 400},
	} {
		rec := e.do(put(p, event("c", "two"), tc.hdr...))
		if rec.Code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, rec.Code, tc.want)
		}
	}
	if e.seq("default") != before {
		t.Error("a failed conditional PUT changed the collection")
	}
	if rec := e.do(put(e.obj("default", "new.ics"), event("new", "x"), "If-Match", "*")); rec.Code != 412 {
		t.Errorf("If-Match * on missing = %d", rec.Code)
	}
	if rec := e.do(put(p, event("c", "three"), "If-Match", `"x", `+etag)); rec.Code != 204 {
		t.Errorf("If-Match list = %d", rec.Code)
	}
}

func TestPutBadInput(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	e.h = davtree.New(e.store, davtree.Options{MaxResourceSize: 4096, Principal: auth.AccountFrom}, e.kind)
	two := strings.Replace(event("a", "x"), "END:VCALENDAR", "BEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR", 1)
	e.do(put(e.obj("default", "taken.ics"), event("taken", "x")))
	before := e.seq("default")
	for _, tc := range []struct {
		name   string
		r      req
		status int
		cond   string
	}{
		{"garbage", put(e.obj("default", "g.ics"), "hello"), 403, "valid-calendar-data"},
		{"wrong content type", req{method: "PUT", path: e.obj("default", "w.ics"), body: event("w", "x"), hdr: map[string]string{"Content-Type": "application/json"}}, 403, "supported-calendar-data"},
		{"too large", put(e.obj("default", "l.ics"), event("l", strings.Repeat("x", 5000))), 403, "max-resource-size"},
		{"two uids", put(e.obj("default", "t.ics"), two), 403, ""},
		{"duplicate uid", put(e.obj("default", "dup.ics"), event("taken", "y")), 403, "no-uid-conflict"},
		{"component not allowed", put(e.obj("default", "j.ics"), strings.ReplaceAll(todo("j"), "VTODO", "VJOURNAL")), 403, "supported-calendar-component"},
		{"put on collection", put(e.cal("default"), event("col", "x")), 405, ""},
		{"missing calendar", put(e.obj("nope", "x.ics"), event("m", "x")), 409, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			davtest.WantError(t, e.do(tc.r), tc.status, tc.cond)
		})
	}
	if e.seq("default") != before {
		t.Error("bad input changed the collection")
	}
	if _, err := e.store.Collection(context.Background(), e.alice.ID, "nope"); err == nil {
		t.Error("PUT into a missing calendar created it")
	}
	rec := e.do(put(e.obj("default", "dup.ics"), event("taken", "y")))
	if !strings.Contains(rec.Body.String(), e.obj("default", "taken.ics")) {
		t.Errorf("no-uid-conflict lacks the other href: %s", rec.Body)
	}
}

func TestMkcalendar(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	body := `<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/">
<D:set><D:prop><D:displayname>Work &amp; play</D:displayname><A:calendar-color>#FF0000FF</A:calendar-color>
<C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`
	rec := e.do(req{method: "MKCALENDAR", path: e.cal("work"), body: body})
	if rec.Code != 201 {
		t.Fatalf("MKCALENDAR = %d %s", rec.Code, rec.Body)
	}
	m := davtest.ParseMS(t, e.do(req{method: "PROPFIND", path: e.cal("work"), hdr: map[string]string{"Depth": "0"}}))
	if txt, _, _ := m.Prop(e.cal("work"), "displayname"); txt != "Work & play" {
		t.Errorf("displayname %q", txt)
	}
	if txt, _, _ := m.Prop(e.cal("work"), "calendar-color"); txt != "#FF0000FF" {
		t.Errorf("color %q", txt)
	}
	if _, inner, _ := m.Prop(e.cal("work"), "supported-calendar-component-set"); !strings.Contains(inner, "VTODO") || strings.Contains(inner, "VEVENT") {
		t.Errorf("components %q", inner)
	}
	davtest.WantError(t, e.do(put(e.obj("work", "e.ics"), event("e", "x"))), 403, "supported-calendar-component")
	if rec := e.do(put(e.obj("work", "t.ics"), todo("t"))); rec.Code != 201 {
		t.Errorf("todo PUT = %d", rec.Code)
	}

	davtest.WantError(t, e.do(req{method: "MKCALENDAR", path: e.cal("work")}), 403, "resource-must-be-null")
	davtest.WantError(t, e.do(req{method: "MKCALENDAR", path: e.cal("missing") + "sub/"}), 409, "")
	davtest.WantError(t, e.do(req{method: "MKCALENDAR", path: e.cal("bad"), body: `<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:getetag>x</D:getetag></D:prop></D:set></C:mkcalendar>`}), 403, "cannot-modify-protected-property")
	davtest.WantError(t, e.do(req{method: "MKCALENDAR", path: e.cal("bad2"), body: `<D:propfind xmlns:D="DAV:"/>`}), 400, "")
	for _, n := range []string{"bad", "bad2", "missing"} {
		if _, err := e.store.Collection(context.Background(), e.alice.ID, n); err == nil {
			t.Errorf("failed MKCALENDAR left collection %s", n)
		}
	}
}

func TestExtendedMkcol(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	rec := e.do(req{method: "MKCOL", path: e.cal("ext"), body: `<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
<D:resourcetype><D:collection/><C:calendar/></D:resourcetype><D:displayname>Ext</D:displayname></D:prop></D:set></D:mkcol>`})
	if rec.Code != 201 {
		t.Fatalf("MKCOL = %d %s", rec.Code, rec.Body)
	}
	davtest.WantError(t, e.do(req{method: "MKCOL", path: e.cal("plain")}), 403, "valid-resourcetype")
	davtest.WantError(t, e.do(req{method: "MKCOL", path: e.cal("ext")}), 405, "")
}

func TestProppatch(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	p := e.cal("default")
	rec := e.do(req{method: "PROPPATCH", path: p, body: `<D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/" xmlns:X="urn:example:x">
<D:set><D:prop><D:displayname>Home</D:displayname><A:calendar-order>3</A:calendar-order><X:custom><X:deep a="1">v</X:deep></X:custom></D:prop></D:set></D:propertyupdate>`})
	m := davtest.ParseMS(t, rec)
	if len(m.Responses) != 1 || !strings.Contains(m.Responses[0].Propstats[0].Status, "200") {
		t.Fatalf("proppatch: %s", rec.Body)
	}
	m = davtest.ParseMS(t, e.do(req{method: "PROPFIND", path: p, hdr: map[string]string{"Depth": "0"}, body: `<D:propfind xmlns:D="DAV:" xmlns:X="urn:example:x"><D:prop><D:displayname/><X:custom/></D:prop></D:propfind>`}))
	if txt, _, _ := m.Prop(p, "displayname"); txt != "Home" {
		t.Errorf("displayname %q", txt)
	}
	if _, inner, ok := m.Prop(p, "custom"); !ok || !strings.Contains(inner, "deep") {
		t.Errorf("dead property %q", inner)
	}
	// One protected property fails the whole request.
	rec = e.do(req{method: "PROPPATCH", path: p, body: `<D:propertyupdate xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">
<D:set><D:prop><D:displayname>Changed</D:displayname><D:getetag>x</D:getetag></D:prop></D:set></D:propertyupdate>`})
	body := rec.Body.String()
	if rec.Code != 207 || !strings.Contains(body, "403") || !strings.Contains(body, "424") {
		t.Fatalf("partial failure: %d %s", rec.Code, body)
	}
	m = davtest.ParseMS(t, e.do(req{method: "PROPFIND", path: p, hdr: map[string]string{"Depth": "0"}, body: `<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>`}))
	if txt, _, _ := m.Prop(p, "displayname"); txt != "Home" {
		t.Errorf("failed PROPPATCH changed displayname to %q", txt)
	}
	// Remove.
	e.do(req{method: "PROPPATCH", path: p, body: `<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:example:x"><D:remove><D:prop><X:custom/></D:prop></D:remove></D:propertyupdate>`})
	m = davtest.ParseMS(t, e.do(req{method: "PROPFIND", path: p, hdr: map[string]string{"Depth": "0"}, body: `<D:propfind xmlns:D="DAV:" xmlns:X="urn:example:x"><D:prop><X:custom/></D:prop></D:propfind>`}))
	if _, _, ok := m.Prop(p, "custom"); ok {
		t.Error("removed property still there")
	}
	davtest.WantError(t, e.do(req{method: "PROPPATCH", path: p, body: `<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-timezone>garbage</C:calendar-timezone></D:prop></D:set></D:propertyupdate>`}), 207, "")
	davtest.WantError(t, e.do(req{method: "PROPPATCH", path: p, body: `not xml`}), 400, "")
	davtest.WantError(t, e.do(req{method: "PROPPATCH", path: e.obj("default", "x.ics"), body: `<D:propertyupdate xmlns:D="DAV:"/>`}), 403, "cannot-modify-protected-property")
}

func TestXMLAttacks(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&lol2;</D:displayname></D:prop></D:propfind>`
	deep := strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000)
	for name, body := range map[string]string{"entities": bomb, "deep": deep, "malformed": "<D:propfind xmlns:D='DAV:'><D:prop>", "undefined entity": `<D:propfind xmlns:D="DAV:">&x;</D:propfind>`} {
		for _, m := range []string{"PROPFIND", "PROPPATCH", "REPORT", "MKCALENDAR"} {
			path := e.cal("default")
			if m == "MKCALENDAR" {
				path = e.cal("new")
			}
			rec := e.do(req{method: m, path: path, body: body, hdr: map[string]string{"Depth": "0"}})
			if rec.Code != 400 {
				t.Errorf("%s %s: %d, want 400", name, m, rec.Code)
			}
		}
	}
	big := `<D:propfind xmlns:D="DAV:"><D:prop>` + strings.Repeat("<D:displayname/>", 100000) + `</D:prop></D:propfind>`
	if rec := e.do(req{method: "PROPFIND", path: e.cal("default"), body: big, hdr: map[string]string{"Depth": "0"}}); rec.Code != 413 {
		t.Errorf("oversized body: %d", rec.Code)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	p := e.obj("default", "d.ics")
	etag := e.do(put(p, event("d", "x"))).Header().Get("ETag")
	if rec := e.do(req{method: "DELETE", path: p, hdr: map[string]string{"If-Match": `"other"`}}); rec.Code != 412 {
		t.Errorf("DELETE wrong If-Match = %d", rec.Code)
	}
	if rec := e.do(req{method: "DELETE", path: p, hdr: map[string]string{"If-Match": etag}}); rec.Code != 204 {
		t.Errorf("DELETE = %d", rec.Code)
	}
	if rec := e.do(req{method: "DELETE", path: p}); rec.Code != 404 {
		t.Errorf("DELETE again = %d", rec.Code)
	}
	e.do(req{method: "MKCALENDAR", path: e.cal("gone")})
	if rec := e.do(req{method: "DELETE", path: e.cal("gone")}); rec.Code != 204 {
		t.Errorf("DELETE calendar = %d", rec.Code)
	}
	if rec := e.do(req{method: "PROPFIND", path: e.cal("gone"), hdr: map[string]string{"Depth": "0"}}); rec.Code != 404 {
		t.Errorf("deleted calendar PROPFIND = %d", rec.Code)
	}
	if rec := e.do(req{method: "DELETE", path: "/dav/calendars/" + e.alice.ID + "/"}); rec.Code != 403 {
		t.Errorf("DELETE home = %d", rec.Code)
	}
}

func TestMoveCopy(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	e.do(req{method: "MKCALENDAR", path: e.cal("other")})
	src := e.obj("default", "m.ics")
	body := event("m", "move me")
	e.do(put(src, body))
	dst := e.obj("other", "m2.ics")
	rec := e.do(req{method: "MOVE", path: src, hdr: map[string]string{"Destination": "http://example.com" + dst}})
	if rec.Code != 201 {
		t.Fatalf("MOVE = %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(req{method: "GET", path: src}); rec.Code != 404 {
		t.Errorf("source after MOVE = %d", rec.Code)
	}
	if rec := e.do(req{method: "GET", path: dst}); rec.Code != 200 || rec.Body.String() != body {
		t.Errorf("destination after MOVE = %d", rec.Code)
	}
	rec = e.do(req{method: "COPY", path: dst, hdr: map[string]string{"Destination": e.obj("other", "m3.ics")}})
	davtest.WantError(t, rec, 403, "no-uid-conflict") // same UID in the same calendar
	rec = e.do(req{method: "COPY", path: dst, hdr: map[string]string{"Destination": e.obj("default", "m.ics")}})
	if rec.Code != 201 {
		t.Errorf("COPY = %d %s", rec.Code, rec.Body)
	}
	rec = e.do(req{method: "MOVE", path: dst, hdr: map[string]string{"Destination": e.obj("default", "m.ics"), "Overwrite": "F"}})
	if rec.Code != 412 {
		t.Errorf("MOVE onto existing with Overwrite F = %d", rec.Code)
	}
	for _, tc := range []struct {
		dest string
		want int
	}{
		{"", 400},
		{"/dav/calendars/" + e.bob.ID + "/default/x.ics", 409},
		{e.obj("missing", "x.ics"), 409},
		{e.cal("default"), 403},
	} {
		h := map[string]string{}
		if tc.dest != "" {
			h["Destination"] = tc.dest
		}
		if rec := e.do(req{method: "MOVE", path: dst, hdr: h}); rec.Code != tc.want {
			t.Errorf("MOVE to %q = %d, want %d", tc.dest, rec.Code, tc.want)
		}
	}
}

func TestMultiget(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	for i := range 3 {
		e.do(put(e.obj("default", fmt.Sprintf("%d.ics", i)), event(fmt.Sprint(i), "x")))
	}
	e.do(req{method: "MKCALENDAR", path: e.cal("other")})
	e.do(put(e.obj("other", "o.ics"), event("o", "x")))
	body := `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>
<D:href>` + e.obj("default", "0.ics") + `</D:href><D:href>http://host` + e.obj("default", "1.ics") + `</D:href>
<D:href>` + e.obj("default", "nope.ics") + `</D:href><D:href>` + e.obj("other", "o.ics") + `</D:href>
<D:href>/dav/calendars/` + e.bob.ID + `/default/x.ics</D:href></C:calendar-multiget>`
	m := davtest.ParseMS(t, e.do(req{method: "REPORT", path: e.cal("default"), body: body, hdr: map[string]string{"Depth": "1"}}))
	if len(m.Responses) != 5 {
		t.Fatalf("%d responses", len(m.Responses))
	}
	if txt, _, ok := m.Prop(e.obj("default", "0.ics"), "calendar-data"); !ok || txt != event("0", "x") {
		t.Errorf("calendar-data %q", txt)
	}
	if _, _, ok := m.Prop(e.obj("default", "1.ics"), "getetag"); !ok {
		t.Error("absolute href not served")
	}
	want := map[string]string{e.obj("default", "nope.ics"): "404", e.obj("other", "o.ics"): "403", "/dav/calendars/" + e.bob.ID + "/default/x.ics": "403"}
	for _, r := range m.Responses {
		if w, ok := want[r.Href]; ok && !strings.Contains(r.Status, w) {
			t.Errorf("%s: status %q, want %s", r.Href, r.Status, w)
		}
	}
}

func TestCalendarQueryTextMatch(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	e.do(put(e.obj("default", "a.ics"), event("a", "Team meeting")))
	e.do(put(e.obj("default", "b.ics"), event("b", "Lunch")))
	e.do(put(e.obj("default", "t.ics"), todo("t")))
	q := func(filter string) []string {
		body := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter>` + filter + `</C:filter></C:calendar-query>`
		return davtest.ParseMS(t, e.do(req{method: "REPORT", path: e.cal("default"), body: body, hdr: map[string]string{"Depth": "1"}})).Hrefs()
	}
	if got := q(`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match>MEETING</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter>`); len(got) != 1 || got[0] != e.obj("default", "a.ics") {
		t.Errorf("text-match: %v", got)
	}
	if got := q(`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"/></C:comp-filter>`); len(got) != 1 {
		t.Errorf("VTODO: %v", got)
	}
	if got := q(`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260310T103000Z" end="20260310T104500Z"/></C:comp-filter></C:comp-filter>`); len(got) != 2 {
		t.Errorf("time-range: %v", got)
	}
	body := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match collation="i;klingon">x</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
	davtest.WantError(t, e.do(req{method: "REPORT", path: e.cal("default"), body: body, hdr: map[string]string{"Depth": "1"}}), 403, "supported-collation")
	davtest.WantError(t, e.do(req{method: "REPORT", path: e.cal("default"), body: `<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"/>`, hdr: map[string]string{"Depth": "1"}}), 403, "valid-filter")
	// RFC 4791 7.1: expand-property is served (RFC 3253 3.8), here
	// for no properties at all.
	if got := davtest.ParseMS(t, e.do(req{method: "REPORT", path: e.cal("default"), body: `<D:expand-property xmlns:D="DAV:"/>`})).Hrefs(); len(got) != 1 || got[0] != e.cal("default") {
		t.Errorf("expand-property answers %v", got)
	}
	davtest.WantError(t, e.do(req{method: "REPORT", path: e.cal("default"), body: `<D:version-tree xmlns:D="DAV:"/>`}), 403, "supported-report")
}

func TestSyncCollection(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	for _, n := range []string{"a", "b", "c"} {
		e.do(put(e.obj("default", n+".ics"), event(n, "x")))
	}
	sync := func(token string, limit int) *httptest.ResponseRecorder {
		l := ""
		if limit > 0 {
			l = fmt.Sprintf("<D:limit><D:nresults>%d</D:nresults></D:limit>", limit)
		}
		return e.do(req{method: "REPORT", path: e.cal("default"), hdr: map[string]string{"Depth": "0"},
			body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token>` + token + `</D:sync-token><D:sync-level>1</D:sync-level>` + l + `<D:prop><D:getetag/></D:prop></D:sync-collection>`})
	}
	m := davtest.ParseMS(t, sync("", 0))
	if len(m.Responses) != 3 || m.SyncToken == "" {
		t.Fatalf("initial: %d responses, token %q", len(m.Responses), m.SyncToken)
	}
	tok := m.SyncToken
	e.do(put(e.obj("default", "a.ics"), event("a", "changed")))
	e.do(req{method: "DELETE", path: e.obj("default", "b.ics")})
	e.do(put(e.obj("default", "d.ics"), event("d", "x")))
	m = davtest.ParseMS(t, sync(tok, 0))
	got := map[string]string{}
	for _, r := range m.Responses {
		got[r.Href] = r.Status
	}
	if len(got) != 3 || !strings.Contains(got[e.obj("default", "b.ics")], "404") {
		t.Fatalf("incremental: %v", got)
	}
	if _, ok := got[e.obj("default", "c.ics")]; ok {
		t.Error("unchanged member reported")
	}
	// Truncation: 507 for the collection and a token that resumes.
	m = davtest.ParseMS(t, sync(tok, 2))
	n507 := 0
	for _, r := range m.Responses {
		if strings.Contains(r.Status, "507") {
			n507++
		}
	}
	if n507 != 1 || len(m.Responses) != 3 {
		t.Fatalf("limit: %d responses, %d 507s", len(m.Responses), n507)
	}
	rest := davtest.ParseMS(t, sync(m.SyncToken, 0))
	if len(rest.Responses) != 1 {
		t.Errorf("resume after truncation: %d responses", len(rest.Responses))
	}
	// Foreign, future and malformed tokens: 403 valid-sync-token.
	for _, bad := range []string{"http://example.com/sync/1", "urn:almanac:sync:xyz:1", tok + "99999"} {
		davtest.WantError(t, sync(bad, 0), 403, "valid-sync-token")
	}
	// python-caldav sends Depth: 1; it is answered like Depth: 0.
	if rec := e.do(req{method: "REPORT", path: e.cal("default"), hdr: map[string]string{"Depth": "1"},
		body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token>` + m.SyncToken + `</D:sync-token><D:sync-level>1</D:sync-level><D:prop/></D:sync-collection>`}); rec.Code != 207 {
		t.Errorf("Depth 1 sync = %d", rec.Code)
	}
}

func TestGetCollectionNotAllowed(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	if rec := e.do(req{method: "GET", path: e.cal("default")}); rec.Code != 405 {
		t.Errorf("GET collection = %d", rec.Code)
	}
}

func TestProppatchDeadPropertyInCalDAVNamespace(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	p := e.cal("default")
	// iOS sends schedule-calendar-transp with its other calendar settings.
	rec := e.do(req{method: "PROPPATCH", path: p, body: `<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><C:schedule-calendar-transp><C:transparent/></C:schedule-calendar-transp><D:displayname>Apple</D:displayname></D:prop></D:set></D:propertyupdate>`})
	if body := rec.Body.String(); rec.Code != 207 || strings.Contains(body, "403") || strings.Contains(body, "424") {
		t.Fatalf("PROPPATCH: %d %s", rec.Code, body)
	}
	m := davtest.ParseMS(t, e.do(req{method: "PROPFIND", path: p, hdr: map[string]string{"Depth": "0"}, body: `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:schedule-calendar-transp/></D:prop></D:propfind>`}))
	if _, inner, ok := m.Prop(p, "schedule-calendar-transp"); !ok || !strings.Contains(inner, "transparent") {
		t.Errorf("schedule-calendar-transp = %q", inner)
	}
	for _, prop := range []string{"<CS:getctag>1</CS:getctag>", "<D:sync-token>x</D:sync-token>", "<C:supported-calendar-component-set/>", "<D:resourcetype/>"} {
		rec := e.do(req{method: "PROPPATCH", path: p, body: `<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/"><D:set><D:prop>` + prop + `</D:prop></D:set></D:propertyupdate>`})
		if !strings.Contains(rec.Body.String(), "403") || !strings.Contains(rec.Body.String(), "cannot-modify-protected-property") {
			t.Errorf("%s: %s", prop, rec.Body)
		}
	}
}

func TestMkcalendarTimezone(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	tz := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Zurich\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n"
	body := `<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-timezone>` + tz + `</C:calendar-timezone></D:prop></D:set></C:mkcalendar>`
	if rec := e.do(req{method: "MKCALENDAR", path: e.cal("tz"), body: body}); rec.Code != 201 {
		t.Fatalf("MKCALENDAR: %d %s", rec.Code, rec.Body)
	}
	m := davtest.ParseMS(t, e.do(req{method: "PROPFIND", path: e.cal("tz"), hdr: map[string]string{"Depth": "0"}, body: `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-timezone/></D:prop></D:propfind>`}))
	if txt, _, _ := m.Prop(e.cal("tz"), "calendar-timezone"); !strings.Contains(txt, "TZID:Europe/Zurich") {
		t.Errorf("calendar-timezone %q", txt)
	}
	bad := strings.Replace(body, "BEGIN:VTIMEZONE", "BEGIN:VEVENT", 1)
	davtest.WantError(t, e.do(req{method: "MKCALENDAR", path: e.cal("tz2"), body: bad}), 403, "valid-calendar-data")
}

func TestDeleteCalendarIfMatch(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	if rec := e.do(req{method: "DELETE", path: e.cal("default"), hdr: map[string]string{"If-Match": `"stale"`}}); rec.Code != 412 {
		t.Errorf("DELETE calendar with stale If-Match = %d", rec.Code)
	}
	m := davtest.ParseMS(t, e.do(req{method: "PROPFIND", path: e.cal("default"), hdr: map[string]string{"Depth": "0"}, body: `<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><CS:getctag/></D:prop></D:propfind>`}))
	ctag, _, _ := m.Prop(e.cal("default"), "getctag")
	if rec := e.do(req{method: "DELETE", path: e.cal("default"), hdr: map[string]string{"If-Match": ctag}}); rec.Code != 204 {
		t.Errorf("DELETE calendar with current If-Match = %d", rec.Code)
	}
}

func TestPutParserTraps(t *testing.T) {
	// Lines that crash go-ical's decoder and a 10,000-deep nesting must be
	// refused with a precise answer, not a 500.
	e := newEnv(t, caldav.Options{})
	for i, line := range []string{"X;P=", "X;P=a", `X;P="a"b:v`, "X;P=a,"} {
		body := strings.Replace(event(fmt.Sprint("trap", i), "x"), "SUMMARY:x", line, 1)
		davtest.WantError(t, e.do(put(e.obj("default", fmt.Sprintf("trap%d.ics", i)), body)), 403, "valid-calendar-data")
	}
	deep := "BEGIN:VCALENDAR\r\n" + strings.Repeat("BEGIN:X\r\n", 10000) + strings.Repeat("END:X\r\n", 10000) + "END:VCALENDAR\r\n"
	if rec := e.do(put(e.obj("default", "deep.ics"), deep)); rec.Code != 403 && rec.Code != 413 {
		t.Errorf("deep nesting = %d", rec.Code)
	}
	if e.seq("default") != 0 {
		t.Error("a refused object was stored")
	}
}

func TestMaxInstancesOption(t *testing.T) {
	e := newEnv(t, caldav.Options{MaxInstances: 5})
	daily := strings.Replace(event("daily", "standup"), "DTEND:20260310T110000Z", "DTEND:20260310T110000Z\r\nRRULE:FREQ=DAILY", 1)
	if rec := e.do(put(e.obj("default", "daily.ics"), daily)); rec.Code != 201 {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	m := davtest.ParseMS(t, e.do(req{method: "PROPFIND", path: e.cal("default"), hdr: map[string]string{"Depth": "0"},
		body: `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:max-instances/></D:prop></D:propfind>`}))
	if txt, _, _ := m.Prop(e.cal("default"), "max-instances"); txt != "5" {
		t.Errorf("max-instances %q", txt)
	}
	body := `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data>
<C:expand start="20260301T000000Z" end="20270101T000000Z"/></C:calendar-data></D:prop><D:href>` + e.obj("default", "daily.ics") + `</D:href></C:calendar-multiget>`
	m = davtest.ParseMS(t, e.do(req{method: "REPORT", path: e.cal("default"), body: body}))
	data, _, _ := m.Prop(e.obj("default", "daily.ics"), "calendar-data")
	if n := strings.Count(data, "BEGIN:VEVENT"); n != 5 {
		t.Errorf("expanded %d instances with a cap of 5:\n%s", n, data)
	}
}
