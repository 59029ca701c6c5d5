package sharing_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"almanac/server/servertest"
	"almanac/storage"
	"almanac/storage/bolt"
)

// world is alice, who owns and shares, and bob, who receives:
//
//	alice/team      shared with bob read-only (mount "team")
//	alice/proj      shared with bob read-write (mount "proj")
//	alice/old       was shared with bob, revoked
//	alice/private   never shared
//	bob/default     bob's own calendar; bob/inbox another one
//
// Every calendar holds ev.ics (SUMMARY:Secret plan).
type world struct {
	t          *testing.T
	h          http.Handler
	store      *bolt.DB
	alice, bob *storage.Account
}

func newWorld(t *testing.T) *world {
	t.Helper()
	srv := servertest.New(t)
	w := &world{t: t, store: srv.Store, h: srv.Server}
	w.alice, w.bob = srv.Account("alice@example.com"), srv.Account("bob@example.com")
	ctx := context.Background()
	db := srv.Store
	for _, c := range []struct {
		owner *storage.Account
		name  string
	}{
		{w.alice, "team"}, {w.alice, "proj"}, {w.alice, "old"}, {w.alice, "private"}, {w.bob, "inbox"},
	} {
		if err := db.CreateCollection(ctx, &storage.Collection{Owner: c.owner.ID, Name: c.name, Kind: storage.KindCalendar}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		owner *storage.Account
		name  string
	}{
		{w.alice, "team"}, {w.alice, "proj"}, {w.alice, "old"}, {w.alice, "private"}, {w.bob, "default"},
	} {
		w.expect(w.do(c.owner, "PUT", "/dav/calendars/"+c.owner.ID+"/"+c.name+"/ev.ics", event("ev-"+c.name), "Content-Type", "text/calendar"), 201)
	}
	for _, g := range []struct{ coll, access string }{{"team", "read"}, {"proj", "read-write"}, {"old", "read"}} {
		w.expect(w.do(w.alice, "POST", "/api/v1/shares", fmt.Sprintf(`{"collection":%q,"login":"bob@example.com","access":%q}`, g.coll, g.access),
			"Content-Type", "application/json"), 201)
	}
	w.expect(w.do(w.alice, "DELETE", "/api/v1/shares/old/"+w.bob.ID, ""), 204)
	return w
}

func event(uid string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:Secret plan\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

func (w *world) do(as *storage.Account, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if as != nil {
		r.Header.Set("Authorization", servertest.BasicAuth(as.Login, servertest.Password))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, r)
	return rec
}

func (w *world) expect(rec *httptest.ResponseRecorder, status int) {
	w.t.Helper()
	if rec.Code != status {
		w.t.Fatalf("setup: status %d, want %d: %s", rec.Code, status, rec.Body)
	}
}

// TestAuthorizationMatrix runs every DAV method and the sharing and link
// API endpoints as bob against each kind of resource, each cell in a
// fresh world. A cell states the status; besides, no answer other than a
// successful read may carry the calendar's data.
func TestAuthorizationMatrix(t *testing.T) {
	resources := []string{"own", "read", "read-write", "revoked", "never", "nonexistent"}
	// The collection each resource is, as bob addresses it.
	coll := func(w *world, res string) string {
		name := map[string]string{"own": "default", "read": "team", "read-write": "proj", "revoked": "old", "never": "private", "nonexistent": "nope"}[res]
		return "/dav/calendars/" + w.bob.ID + "/" + name + "/"
	}
	const propfind = `<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/><D:getetag/></D:prop></D:propfind>`
	multiget := func(c string) string {
		return `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><D:href>` + c + `ev.ics</D:href></C:calendar-multiget>`
	}
	const syncBody = `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
	const query = `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>`
	setName := `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Mine</D:displayname></D:prop></D:set></D:propertyupdate>`
	setDesc := `<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-description>x</C:calendar-description></D:prop></D:set></D:propertyupdate>`

	type cell map[string]int
	cases := []struct {
		name string
		req  func(w *world, c string) *httptest.ResponseRecorder
		want cell
	}{
		{"PROPFIND collection", func(w *world, c string) *httptest.ResponseRecorder {
			return w.do(w.bob, "PROPFIND", c, propfind, "Depth", "1")
		}, cell{"own": 207, "read": 207, "read-write": 207, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"GET member", func(w *world, c string) *httptest.ResponseRecorder { return w.do(w.bob, "GET", c+"ev.ics", "") },
			cell{"own": 200, "read": 200, "read-write": 200, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"PUT new member", func(w *world, c string) *httptest.ResponseRecorder {
			return w.do(w.bob, "PUT", c+"new.ics", event("new"), "Content-Type", "text/calendar")
		}, cell{"own": 201, "read": 403, "read-write": 201, "revoked": 409, "never": 409, "nonexistent": 409}},
		{"PUT existing member", func(w *world, c string) *httptest.ResponseRecorder {
			uid := "ev-" + strings.TrimSuffix(c[strings.LastIndex(strings.TrimSuffix(c, "/"), "/")+1:], "/")
			if strings.HasSuffix(c, "/default/") {
				uid = "ev-default"
			}
			return w.do(w.bob, "PUT", c+"ev.ics", strings.Replace(event(uid), "Secret plan", "Changed", 1), "Content-Type", "text/calendar")
		}, cell{"own": 204, "read": 403, "read-write": 204, "revoked": 409, "never": 409, "nonexistent": 409}},
		{"DELETE member", func(w *world, c string) *httptest.ResponseRecorder { return w.do(w.bob, "DELETE", c+"ev.ics", "") },
			cell{"own": 204, "read": 403, "read-write": 204, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"PROPPATCH displayname (own view)", func(w *world, c string) *httptest.ResponseRecorder { return w.do(w.bob, "PROPPATCH", c, setName) },
			cell{"own": 207, "read": 207, "read-write": 207, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"PROPPATCH shared property", func(w *world, c string) *httptest.ResponseRecorder { return w.do(w.bob, "PROPPATCH", c, setDesc) },
			cell{"own": 207, "read": 403, "read-write": 207, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"REPORT multiget", func(w *world, c string) *httptest.ResponseRecorder { return w.do(w.bob, "REPORT", c, multiget(c)) },
			cell{"own": 207, "read": 207, "read-write": 207, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"REPORT calendar-query", func(w *world, c string) *httptest.ResponseRecorder {
			return w.do(w.bob, "REPORT", c, query, "Depth", "1")
		}, cell{"own": 207, "read": 207, "read-write": 207, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"REPORT sync-collection", func(w *world, c string) *httptest.ResponseRecorder { return w.do(w.bob, "REPORT", c, syncBody) },
			cell{"own": 207, "read": 207, "read-write": 207, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"MKCALENDAR inside", func(w *world, c string) *httptest.ResponseRecorder { return w.do(w.bob, "MKCALENDAR", c+"sub/", "") },
			cell{"own": 403, "read": 403, "read-write": 403, "revoked": 409, "never": 409, "nonexistent": 409}},
		{"MOVE member out", func(w *world, c string) *httptest.ResponseRecorder {
			return w.do(w.bob, "MOVE", c+"ev.ics", "", "Destination", "/dav/calendars/"+w.bob.ID+"/inbox/moved.ics")
		}, cell{"own": 201, "read": 403, "read-write": 201, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"COPY member out", func(w *world, c string) *httptest.ResponseRecorder {
			return w.do(w.bob, "COPY", c+"ev.ics", "", "Destination", "/dav/calendars/"+w.bob.ID+"/inbox/copied.ics")
		}, cell{"own": 201, "read": 403, "read-write": 201, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"COPY into it", func(w *world, c string) *httptest.ResponseRecorder {
			return w.do(w.bob, "COPY", "/dav/calendars/"+w.bob.ID+"/default/ev.ics", "", "Destination", c+"in.ics")
		}, cell{"own": 403, "read": 403, "read-write": 201, "revoked": 409, "never": 409, "nonexistent": 409}},
		{"DELETE collection", func(w *world, c string) *httptest.ResponseRecorder { return w.do(w.bob, "DELETE", c, "") },
			cell{"own": 204, "read": 204, "read-write": 204, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"OPTIONS collection", func(w *world, c string) *httptest.ResponseRecorder { return w.do(w.bob, "OPTIONS", c, "") },
			cell{"own": 200, "read": 200, "read-write": 200, "revoked": 200, "never": 200, "nonexistent": 200}},
		{"HEAD member", func(w *world, c string) *httptest.ResponseRecorder { return w.do(w.bob, "HEAD", c+"ev.ics", "") },
			cell{"own": 200, "read": 200, "read-write": 200, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"POST CS:share onward", func(w *world, c string) *httptest.ResponseRecorder {
			return w.do(w.bob, "POST", c, `<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:set><D:href>mailto:alice@example.com</D:href><CS:read/></CS:set></CS:share>`)
		}, cell{"own": 200, "read": 403, "read-write": 403, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"PROPFIND alice's URL", func(w *world, c string) *httptest.ResponseRecorder {
			return w.do(w.bob, "PROPFIND", strings.Replace(c, w.bob.ID, w.alice.ID, 1), propfind, "Depth", "0")
		}, cell{"own": 404, "read": 404, "read-write": 404, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"API leave share", func(w *world, c string) *httptest.ResponseRecorder {
			name := strings.TrimSuffix(strings.TrimPrefix(c, "/dav/calendars/"+w.bob.ID+"/"), "/")
			return w.do(w.bob, "DELETE", "/api/v1/shares/received/"+w.alice.ID+"/"+name, "")
		}, cell{"own": 404, "read": 204, "read-write": 204, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"API change alice's grant", func(w *world, c string) *httptest.ResponseRecorder {
			coll := strings.TrimSuffix(strings.TrimPrefix(c, "/dav/calendars/"+w.bob.ID+"/"), "/")
			return w.do(w.bob, "PATCH", "/api/v1/shares/"+coll+"/"+w.bob.ID, `{"access":"read-write"}`, "Content-Type", "application/json")
		}, cell{"own": 404, "read": 404, "read-write": 404, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"API read alice's grant", func(w *world, c string) *httptest.ResponseRecorder {
			coll := strings.TrimSuffix(strings.TrimPrefix(c, "/dav/calendars/"+w.bob.ID+"/"), "/")
			return w.do(w.bob, "GET", "/api/v1/shares/"+coll+"/"+w.bob.ID, "")
		}, cell{"own": 404, "read": 404, "read-write": 404, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"API revoke alice's grant", func(w *world, c string) *httptest.ResponseRecorder {
			coll := strings.TrimSuffix(strings.TrimPrefix(c, "/dav/calendars/"+w.bob.ID+"/"), "/")
			return w.do(w.bob, "DELETE", "/api/v1/shares/"+coll+"/"+w.bob.ID, "")
		}, cell{"own": 404, "read": 404, "read-write": 404, "revoked": 404, "never": 404, "nonexistent": 404}},
		{"API list shares", func(w *world, c string) *httptest.ResponseRecorder { return w.do(w.bob, "GET", "/api/v1/shares", "") },
			cell{"own": 200, "read": 200, "read-write": 200, "revoked": 200, "never": 200, "nonexistent": 200}},
		{"API share it onward", func(w *world, c string) *httptest.ResponseRecorder {
			coll := strings.TrimSuffix(strings.TrimPrefix(c, "/dav/calendars/"+w.bob.ID+"/"), "/")
			return w.do(w.bob, "POST", "/api/v1/shares", `{"collection":"`+coll+`","login":"alice@example.com"}`, "Content-Type", "application/json")
		}, cell{"own": 201, "read": 400, "read-write": 400, "revoked": 400, "never": 400, "nonexistent": 400}},
		{"API publish it", func(w *world, c string) *httptest.ResponseRecorder {
			coll := strings.TrimSuffix(strings.TrimPrefix(c, "/dav/calendars/"+w.bob.ID+"/"), "/")
			return w.do(w.bob, "POST", "/api/v1/links", `{"collection":"`+coll+`"}`, "Content-Type", "application/json")
		}, cell{"own": 201, "read": 400, "read-write": 400, "revoked": 400, "never": 400, "nonexistent": 400}},
	}
	for _, tc := range cases {
		for _, res := range resources {
			t.Run(tc.name+"/"+res, func(t *testing.T) {
				w := newWorld(t)
				c := coll(w, res)
				rec := tc.req(w, c)
				if want := tc.want[res]; rec.Code != want {
					t.Errorf("status %d, want %d; body %.300s", rec.Code, want, rec.Body)
				}
				if tc.name == "API list shares" && (strings.Contains(rec.Body.String(), `"old"`) || strings.Contains(rec.Body.String(), `"private"`)) {
					t.Errorf("bob's share list names a collection he does not have: %s", rec.Body)
				}
				if rec.Code >= 300 && strings.Contains(rec.Body.String(), "Secret plan") {
					t.Errorf("a refusal carries the calendar's data: %s", rec.Body)
				}
				if rec.Code == 403 && (res == "read") && strings.HasPrefix(tc.name, "PUT") && !strings.Contains(rec.Body.String(), "need-privileges") {
					t.Errorf("403 without DAV:need-privileges: %s", rec.Body)
				}
			})
		}
	}
}

// TestSharerPrincipal: the principal of someone who shares with you is
// readable (name and addresses, no homes); anyone else's is 404, and so
// is the sharer's once nothing is shared any more.
func TestSharerPrincipal(t *testing.T) {
	w := newWorld(t)
	alice := "/dav/principals/" + w.alice.ID + "/"
	body := `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:displayname/><C:calendar-user-address-set/><C:calendar-home-set/><D:current-user-privilege-set/></D:prop></D:propfind>`
	rec := w.do(w.bob, "PROPFIND", alice, body, "Depth", "0")
	got := rec.Body.String()
	if rec.Code != 207 || !strings.Contains(got, "<displayname>alice@example.com</displayname>") ||
		!strings.Contains(got, "mailto:alice@example.com") || strings.Contains(got, "/dav/calendars/"+w.alice.ID+"/") ||
		strings.Contains(got, "<D:write") {
		t.Fatalf("sharer's principal: %d %s", rec.Code, got)
	}
	// Alice did not share with bob's principal the other way round.
	if rec := w.do(w.alice, "PROPFIND", "/dav/principals/"+w.bob.ID+"/", body, "Depth", "0"); rec.Code != 404 {
		t.Errorf("bob's principal for alice: %d", rec.Code)
	}
	if rec := w.do(w.bob, "PROPPATCH", alice, `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>`); rec.Code != 403 {
		t.Errorf("PROPPATCH on the sharer's principal: %d", rec.Code)
	}
	for _, coll := range []string{"team", "proj"} {
		if rec := w.do(w.alice, "DELETE", "/api/v1/shares/"+coll+"/"+w.bob.ID, ""); rec.Code != 204 {
			t.Fatalf("revoke %s: %d", coll, rec.Code)
		}
	}
	if rec := w.do(w.bob, "PROPFIND", alice, body, "Depth", "0"); rec.Code != 404 {
		t.Errorf("after every share is revoked: %d", rec.Code)
	}
}

// TestShareeViewProps: a sharee's displayname and color are their own;
// a read-write sharee's change of a shared property is the owner's too.
func TestShareeViewProps(t *testing.T) {
	w := newWorld(t)
	prop := func(as *storage.Account, path, local string) string {
		rec := w.do(as, "PROPFIND", path, `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:ICAL="http://apple.com/ns/ical/"><D:prop><D:displayname/><ICAL:calendar-color/><C:calendar-description/></D:prop></D:propfind>`, "Depth", "0")
		body := rec.Body.String()
		i := strings.Index(body, local+">")
		if i < 0 {
			return ""
		}
		rest := body[i+len(local)+1:]
		return rest[:strings.Index(rest, "<")]
	}
	mine := "/dav/calendars/" + w.bob.ID + "/proj/"
	owners := "/dav/calendars/" + w.alice.ID + "/proj/"
	set := `<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:ICAL="http://apple.com/ns/ical/"><D:set><D:prop>` +
		`<D:displayname>Bob's view</D:displayname><ICAL:calendar-color>#FF0000FF</ICAL:calendar-color><C:calendar-description>shared note</C:calendar-description></D:prop></D:set></D:propertyupdate>`
	if rec := w.do(w.bob, "PROPPATCH", mine, set); rec.Code != 207 || !strings.Contains(rec.Body.String(), "200 OK") {
		t.Fatalf("PROPPATCH: %d %s", rec.Code, rec.Body)
	}
	if got := prop(w.bob, mine, "displayname"); got != "Bob's view" {
		t.Errorf("bob's displayname %q", got)
	}
	if got := prop(w.bob, mine, "ICAL:calendar-color"); got != "#FF0000FF" {
		t.Errorf("bob's color %q", got)
	}
	if got := prop(w.alice, owners, "displayname"); got == "Bob's view" {
		t.Error("bob's displayname changed alice's calendar")
	}
	if got := prop(w.alice, owners, "ICAL:calendar-color"); got != "" {
		t.Errorf("bob's color reached alice: %q", got)
	}
	if got := prop(w.alice, owners, "C:calendar-description"); got != "shared note" {
		t.Errorf("a read-write sharee's description is not the owner's: %q", got)
	}
}
