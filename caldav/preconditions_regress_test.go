package caldav_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"almanac/internal/davtest"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"
)

// preconditionCase is one request that violates a precondition, and what
// the answer must be: the status, the element inside DAV:error, and the
// href the element must carry ("" for none).
type preconditionCase struct {
	section, name string
	method, path  string
	body          string
	hdr           []string
	status        int
	cond          string
	href          string
}

// checkPrecondition plays c and checks the answer.
func checkPrecondition(t *testing.T, env *servertest.Env, login string, c preconditionCase) {
	t.Helper()
	rec := env.Do(c.method, c.path, login, c.body, c.hdr...)
	davtest.WantError(t, rec, c.status, c.cond)
	if c.href != "" && !strings.Contains(rec.Body.String(), "<D:href>"+c.href+"</D:href>") {
		t.Errorf("the %s element does not name %s: %s", c.cond, c.href, rec.Body)
	}
	for _, leak := range []string{"storage:", "bolt", "davtree:"} {
		if strings.Contains(rec.Body.String(), leak) {
			t.Errorf("the answer leaks %q: %s", leak, rec.Body)
		}
	}
}

// collectionState is every collection of the account with its sequence,
// to show that refused requests stored nothing.
func collectionState(t *testing.T, store storage.Store, owner string) map[string]uint64 {
	t.Helper()
	colls, err := store.ListCollections(context.Background(), owner)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, c := range colls {
		out[c.Name] = c.Seq
	}
	return out
}

func sameState(a, b map[string]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func eventWith(uid, lines string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\n" + lines + "SUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// Every precondition RFC 4791 defines for PUT, COPY and MOVE (5.3.2.1)
// and MKCALENDAR (5.3.1) answers 403 with its element (1.3: "the
// appropriate XML element MUST be returned as the child of a top-level
// DAV:error element"), or, where almanac cannot violate it, is shown to
// be unreachable. Raw HTTP through the whole server; nothing refused is
// stored.
func TestCalDAVPreconditions(t *testing.T) {
	const limit = 4096
	env := servertest.New(t, func(c *server.Config) { c.MaxResourceSize = limit })
	alice, bob := env.Account("alice@example.com"), env.Account("bob@example.com")
	login := alice.Login
	cal := func(name string) string { return "/dav/calendars/" + alice.ID + "/" + name + "/" }
	card := "/dav/addressbooks/" + alice.ID + "/contacts/c.vcf"
	ics := []string{"Content-Type", "text/calendar; charset=utf-8"}
	mustDo := func(method, path, body string, want int, hdr ...string) {
		t.Helper()
		if rec := env.Do(method, path, login, body, hdr...); rec.Code != want {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
	}
	mustDo("PUT", cal("default")+"a.ics", event("A", "a"), http.StatusCreated, ics...)
	mustDo("PUT", cal("default")+"t.ics", todo("T"), http.StatusCreated, ics...)
	mustDo("MKCALENDAR", cal("events"), `<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>`+
		`<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`, http.StatusCreated)
	mustDo("PUT", cal("events")+"e.ics", event("E", "e"), http.StatusCreated, ics...)
	mustDo("PUT", cal("events")+"a.ics", event("A", "a"), http.StatusCreated, ics...)
	mustDo("PUT", card, card3vcf("C"), http.StatusCreated, "Content-Type", "text/vcard")
	// Bob shares his calendar with alice read-only.
	if err := env.Store.PutGrant(context.Background(), &storage.Grant{Owner: bob.ID, Collection: "default", Sharee: alice.ID, Access: storage.AccessRead, Mount: "bobs"}); err != nil {
		t.Fatal(err)
	}
	big := eventWith("big", "DTSTART:20260310T100000Z\r\nDESCRIPTION:"+strings.Repeat("x", limit)+"\r\n")
	badTZ := `<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-timezone>BEGIN:VCALENDAR&#13;
VERSION:2.0&#13;
END:VCALENDAR&#13;
</C:calendar-timezone></D:prop></D:set></C:mkcalendar>`

	cases := []preconditionCase{
		// RFC 4791 5.3.2.1, PUT.
		{"5.3.2.1", "supported-calendar-data: a vCard media type", "PUT", cal("default") + "n.ics", event("N", "n"), []string{"Content-Type", "text/vcard"}, 403, "supported-calendar-data", ""},
		{"5.3.2.1", "supported-calendar-data: a malformed media type", "PUT", cal("default") + "n.ics", event("N", "n"), []string{"Content-Type", "text/"}, 403, "supported-calendar-data", ""},
		{"5.3.2.1", "valid-calendar-data", "PUT", cal("default") + "n.ics", "BEGIN:VCALENDAR\r\nthis is not iCalendar\r\n", ics, 403, "valid-calendar-data", ""},
		{"5.3.2.1", "valid-calendar-object-resource: METHOD (4.1)", "PUT", cal("default") + "n.ics", strings.Replace(event("N", "n"), "VERSION:2.0", "VERSION:2.0\r\nMETHOD:REQUEST", 1), ics, 403, "valid-calendar-object-resource", ""},
		{"5.3.2.1", "supported-calendar-component", "PUT", cal("events") + "n.ics", todo("N"), ics, 403, "supported-calendar-component", ""},
		{"5.3.2.1", "no-uid-conflict: the UID is in use", "PUT", cal("default") + "n.ics", event("A", "again"), ics, 403, "no-uid-conflict", cal("default") + "a.ics"},
		{"5.3.2.1", "no-uid-conflict: a resource's UID cannot change", "PUT", cal("default") + "a.ics", event("B", "a"), ics, 403, "no-uid-conflict", cal("default") + "a.ics"},
		{"5.3.2.1", "max-resource-size", "PUT", cal("default") + "n.ics", big, ics, 403, "max-resource-size", ""},
		{"5.3.2.1", "min-date-time", "PUT", cal("default") + "n.ics", eventWith("N", "DTSTART:00000101T100000Z\r\n"), ics, 403, "min-date-time", ""},
		{"5.3.2.1", "max-date-time", "PUT", cal("default") + "n.ics", eventWith("N", "DTSTART:99991231T230000Z\r\nDTEND:99991231T235959Z\r\n"), ics, 403, "max-date-time", ""},
		// RFC 4791 5.3.2.1, COPY and MOVE of a calendar object resource.
		{"5.3.2.1", "supported-calendar-data: COPY of a vCard", "COPY", card, "", []string{"Destination", cal("default") + "c.ics"}, 403, "supported-calendar-data", ""},
		{"5.3.2.1", "supported-calendar-component: MOVE of a VTODO", "MOVE", cal("default") + "t.ics", "", []string{"Destination", cal("events") + "t.ics"}, 403, "supported-calendar-component", ""},
		{"5.3.2.1", "no-uid-conflict: COPY of a UID in use", "COPY", cal("default") + "a.ics", "", []string{"Destination", cal("events") + "other.ics"}, 403, "no-uid-conflict", cal("events") + "a.ics"},
		{"5.3.2.1", "no-uid-conflict: MOVE onto another UID", "MOVE", cal("default") + "a.ics", "", []string{"Destination", cal("events") + "e.ics"}, 403, "no-uid-conflict", cal("events") + "e.ics"},
		// RFC 4791 5.3.2.1, COPY and MOVE of a calendar collection.
		{"5.3.2.1", "calendar-collection-location-ok: MOVE of a calendar into a calendar", "MOVE", cal("events"), "", []string{"Destination", cal("default") + "events/"}, 403, "calendar-collection-location-ok", ""},
		{"5.3.2.1", "calendar-collection-location-ok: MOVE of a calendar into the address-book home", "MOVE", cal("events"), "", []string{"Destination", "/dav/addressbooks/" + alice.ID + "/events/"}, 403, "calendar-collection-location-ok", ""},
		{"5.3.2.1", "calendar-collection-location-ok: COPY of a calendar into another account", "COPY", cal("events"), "", []string{"Destination", "/dav/calendars/" + bob.ID + "/events/"}, 403, "calendar-collection-location-ok", ""},
		// RFC 4791 5.3.1, MKCALENDAR.
		{"5.3.1", "resource-must-be-null: a calendar", "MKCALENDAR", cal("events"), "", nil, 403, "resource-must-be-null", ""},
		{"5.3.1", "resource-must-be-null: the home", "MKCALENDAR", "/dav/calendars/" + alice.ID + "/", "", nil, 403, "resource-must-be-null", ""},
		{"5.3.1", "calendar-collection-location-ok: inside a calendar", "MKCALENDAR", cal("default") + "inner/", "", nil, 403, "calendar-collection-location-ok", ""},
		{"5.3.1", "calendar-collection-location-ok: in the address-book home", "MKCALENDAR", "/dav/addressbooks/" + alice.ID + "/cal/", "", nil, 403, "calendar-collection-location-ok", ""},
		{"5.3.1", "calendar-collection-location-ok: an address book's name", "MKCALENDAR", cal("contacts"), "", nil, 403, "calendar-collection-location-ok", ""},
		{"5.3.1", "valid-calendar-data: calendar-timezone", "MKCALENDAR", cal("tz"), badTZ, nil, 403, "valid-calendar-data", ""},
		{"5.3.1", "needs-privilege (RFC 3744 7.1.1 need-privileges): in a calendar shared read-only", "MKCALENDAR", cal("bobs") + "inner/", "", nil, 403, "need-privileges", ""},
	}
	before := collectionState(t, env.Store, alice.ID)
	bobBefore := collectionState(t, env.Store, bob.ID)
	for _, c := range cases {
		t.Run(c.section+" "+c.name, func(t *testing.T) { checkPrecondition(t, env, login, c) })
	}
	if after := collectionState(t, env.Store, alice.ID); !sameState(before, after) {
		t.Errorf("refused requests changed alice's collections: %v -> %v", before, after)
	}
	if after := collectionState(t, env.Store, bob.ID); !sameState(bobBefore, after) {
		t.Errorf("refused requests changed bob's collections: %v -> %v", bobBefore, after)
	}
	for _, path := range []string{cal("default") + "a.ics", cal("events") + "a.ics"} {
		if got := env.Do("GET", path, login, "").Body.String(); got != event("A", "a") {
			t.Errorf("%s changed: %q", path, got)
		}
	}

	// max-resource-size holds for COPY and MOVE too: a member stored
	// under a higher limit is not copied once the limit is lower.
	t.Run("5.3.2.1 max-resource-size: COPY after the limit was lowered", func(t *testing.T) {
		roomy := servertest.New(t, func(c *server.Config) { c.Store = env.Store })
		if rec := roomy.Do("PUT", cal("default")+"big.ics", login, big, ics...); rec.Code != http.StatusCreated {
			t.Fatalf("PUT under the default limit: %d %s", rec.Code, rec.Body)
		}
		for _, m := range []string{"COPY", "MOVE"} {
			checkPrecondition(t, env, login, preconditionCase{method: m, path: cal("default") + "big.ics", hdr: []string{"Destination", cal("events") + "big.ics"}, status: 403, cond: "max-resource-size"})
		}
		if rec := env.Do("GET", cal("events")+"big.ics", login, ""); rec.Code != http.StatusNotFound {
			t.Errorf("refused COPY stored the member: %d", rec.Code)
		}
	})

	// What cannot be violated here, and so is never answered:
	//   - max-instances (5.2.8) is advertised as the expansion cap but is
	//     advisory: a bounded rule with more instances is stored (doc.go).
	//   - max-attendees-per-instance (5.2.9) is not advertised: there is
	//     no limit to violate.
	t.Run("5.3.2.1 max-instances and max-attendees-per-instance are not limits on PUT", func(t *testing.T) {
		many := eventWith("many", "DTSTART:20260101T090000Z\r\nRRULE:FREQ=DAILY;COUNT=20000\r\n")
		if rec := env.Do("PUT", cal("default")+"many.ics", login, many, ics...); rec.Code != http.StatusCreated {
			t.Errorf("20,000 instances: %d %s", rec.Code, rec.Body)
		}
		var attendees strings.Builder
		for i := range 100 {
			fmt.Fprintf(&attendees, "ATTENDEE:mailto:p%d@example.com\r\n", i)
		}
		crowd := eventWith("crowd", "DTSTART:20260101T090000Z\r\n"+attendees.String())
		if rec := env.Do("PUT", cal("default")+"crowd.ics", login, crowd, ics...); rec.Code != http.StatusCreated {
			t.Errorf("100 attendees: %d %s", rec.Code, rec.Body)
		}
		m := davtest.ParseMS(t, env.Do("PROPFIND", cal("default"), login,
			`<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:max-attendees-per-instance/><C:max-instances/></D:prop></D:propfind>`, "Depth", "0"))
		if _, _, ok := m.Prop(cal("default"), "max-attendees-per-instance"); ok {
			t.Error("max-attendees-per-instance is advertised")
		}
		if v, _, ok := m.Prop(cal("default"), "max-instances"); !ok || v != "10000" {
			t.Errorf("max-instances %q", v)
		}
	})

	// Real data keeps being accepted: dates before the RFC example's
	// min-date-time of 1900 (Apple's year-less birthdays in 1604, Outlook's
	// VTIMEZONE onsets in 1601).
	t.Run("5.2.6 min-date-time admits real calendars", func(t *testing.T) {
		birthday := eventWith("bday", "DTSTART;VALUE=DATE:16040315\r\nRRULE:FREQ=YEARLY\r\n")
		if rec := env.Do("PUT", cal("default")+"bday.ics", login, birthday, ics...); rec.Code != http.StatusCreated {
			t.Errorf("a birthday in 1604: %d %s", rec.Code, rec.Body)
		}
		m := davtest.ParseMS(t, env.Do("PROPFIND", cal("default"), login,
			`<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:min-date-time/></D:prop></D:propfind>`, "Depth", "0"))
		if v, _, _ := m.Prop(cal("default"), "min-date-time"); v != "00010101T000000Z" {
			t.Errorf("min-date-time %q", v)
		}
	})

	if names := env.Do("PROPFIND", "/dav/calendars/"+alice.ID+"/", login, "", "Depth", "1"); !slices.Contains(davtest.ParseMS(t, names).Hrefs(), cal("events")) {
		t.Errorf("home listing lost a calendar: %s", names.Body)
	}
}

func card3vcf(uid string) string {
	return "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + uid + "\r\nFN:" + uid + "\r\nN:" + uid + ";;;;\r\nEND:VCARD\r\n"
}
