package carddav_test

import (
	"context"
	"net/http"
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

// Every precondition RFC 6352 defines for PUT, COPY and MOVE (6.3.2.1),
// for creating an address book by extended MKCOL (6.3.1 with RFC 5689)
// and for GET (5.1.1.1) answers with its element; the PUT, COPY, MOVE and
// MKCOL ones with 403 like RFC 4791's (RFC 4918 16: "if the request
// should not be repeated because it will always fail"). Raw HTTP through
// the whole server; nothing refused is stored.
func TestCardDAVPreconditions(t *testing.T) {
	const limit = 4096
	env := servertest.New(t, func(c *server.Config) { c.MaxResourceSize = limit })
	alice, bob := env.Account("alice@example.com"), env.Account("bob@example.com")
	login := alice.Login
	book := func(name string) string { return "/dav/addressbooks/" + alice.ID + "/" + name + "/" }
	vcf := []string{"Content-Type", "text/vcard; charset=utf-8"}
	mkcol := func(rt string) string {
		return `<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype>` + rt + `</D:resourcetype></D:prop></D:set></D:mkcol>`
	}
	ab := mkcol(`<D:collection/><CR:addressbook/>`)
	mustDo := func(method, path, body string, want int, hdr ...string) {
		t.Helper()
		if rec := env.Do(method, path, login, body, hdr...); rec.Code != want {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
	}
	mustDo("MKCOL", book("work"), ab, http.StatusCreated)
	mustDo("PUT", book("contacts")+"a.vcf", card3("A", "A"), http.StatusCreated, vcf...)
	mustDo("PUT", book("work")+"a.vcf", card3("A", "A"), http.StatusCreated, vcf...)
	mustDo("PUT", book("work")+"w.vcf", card3("W", "W"), http.StatusCreated, vcf...)
	event := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:ev\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	ics := "/dav/calendars/" + alice.ID + "/default/ev.ics"
	mustDo("PUT", ics, event, http.StatusCreated, "Content-Type", "text/calendar")
	if err := env.Store.PutGrant(context.Background(), &storage.Grant{Owner: bob.ID, Collection: "contacts", Sharee: alice.ID, Access: storage.AccessRead, Mount: "bobs"}); err != nil {
		t.Fatal(err)
	}
	big := card3("big", "Big", "NOTE:"+strings.Repeat("x", limit))

	cases := []preconditionCase{
		// RFC 6352 6.3.2.1, PUT.
		{"6.3.2.1", "supported-address-data: an iCalendar media type", "PUT", book("contacts") + "n.vcf", card3("N", "N"), []string{"Content-Type", "text/calendar"}, 403, "supported-address-data", ""},
		{"6.3.2.1", "supported-address-data: vCard 2.1", "PUT", book("contacts") + "n.vcf", "BEGIN:VCARD\r\nVERSION:2.1\r\nUID:N\r\nN:N;;;;\r\nFN:N\r\nEND:VCARD\r\n", vcf, 403, "supported-address-data", ""},
		{"6.3.2.1", "valid-address-data", "PUT", book("contacts") + "n.vcf", "BEGIN:VCARD\r\nthis is not a vCard\r\n", vcf, 403, "valid-address-data", ""},
		{"6.3.2.1", "valid-address-data: no UID (5.1)", "PUT", book("contacts") + "n.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:N\r\nN:N;;;;\r\nEND:VCARD\r\n", vcf, 403, "valid-address-data", ""},
		{"6.3.2.1", "no-uid-conflict: the UID is in use", "PUT", book("contacts") + "n.vcf", card3("A", "again"), vcf, 403, "no-uid-conflict", book("contacts") + "a.vcf"},
		{"6.3.2.1", "no-uid-conflict: a resource's UID cannot change", "PUT", book("contacts") + "a.vcf", card3("B", "A"), vcf, 403, "no-uid-conflict", book("contacts") + "a.vcf"},
		{"6.3.2.1", "max-resource-size", "PUT", book("contacts") + "n.vcf", big, vcf, 403, "max-resource-size", ""},
		// RFC 6352 6.3.2.1, COPY and MOVE of an address object resource.
		{"6.3.2.1", "supported-address-data: COPY of a calendar object", "COPY", ics, "", []string{"Destination", book("contacts") + "ev.vcf"}, 403, "supported-address-data", ""},
		{"6.3.2.1", "no-uid-conflict: COPY of a UID in use", "COPY", book("contacts") + "a.vcf", "", []string{"Destination", book("work") + "other.vcf"}, 403, "no-uid-conflict", book("work") + "a.vcf"},
		{"6.3.2.1", "no-uid-conflict: MOVE onto another UID", "MOVE", book("contacts") + "a.vcf", "", []string{"Destination", book("work") + "w.vcf"}, 403, "no-uid-conflict", book("work") + "w.vcf"},
		// RFC 6352 6.3.2.1, COPY and MOVE of an address book.
		{"6.3.2.1", "addressbook-collection-location-ok: MOVE of an address book into an address book", "MOVE", book("work"), "", []string{"Destination", book("contacts") + "work/"}, 403, "addressbook-collection-location-ok", ""},
		{"6.3.2.1", "addressbook-collection-location-ok: MOVE of an address book into the calendar home", "MOVE", book("work"), "", []string{"Destination", "/dav/calendars/" + alice.ID + "/work/"}, 403, "addressbook-collection-location-ok", ""},
		{"6.3.2.1", "addressbook-collection-location-ok: COPY of an address book into another account", "COPY", book("work"), "", []string{"Destination", "/dav/addressbooks/" + bob.ID + "/work/"}, 403, "addressbook-collection-location-ok", ""},
		// RFC 6352 6.3.1: extended MKCOL (RFC 5689).
		{"6.3.1", "RFC 5689 valid-resourcetype", "MKCOL", book("plain"), mkcol(`<D:collection/>`), nil, 403, "valid-resourcetype", ""},
		{"6.3.1", "addressbook-collection-location-ok: inside an address book (5.2)", "MKCOL", book("work") + "inner/", ab, nil, 403, "addressbook-collection-location-ok", ""},
		{"6.3.1", "addressbook-collection-location-ok: a calendar's name", "MKCOL", book("default"), ab, nil, 403, "addressbook-collection-location-ok", ""},
		{"6.3.1", "RFC 3744 7.1.1 need-privileges: in an address book shared read-only", "MKCOL", book("bobs") + "inner/", ab, nil, 403, "need-privileges", ""},
		{"6.3.1", "RFC 4918 9.3.1: MKCOL on an existing collection is 405", "MKCOL", book("work"), ab, nil, 405, "", ""},
		// RFC 6352 5.1.1.1, GET.
		{"5.1.1.1", "supported-address-data-conversion", "GET", book("contacts") + "a.vcf", "", []string{"Accept", "text/html"}, 406, "supported-address-data-conversion", ""},
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
	for _, path := range []string{book("contacts") + "a.vcf", book("work") + "a.vcf"} {
		if got := env.Do("GET", path, login, "").Body.String(); got != card3("A", "A") {
			t.Errorf("%s changed: %q", path, got)
		}
	}

	t.Run("6.3.2.1 max-resource-size: COPY after the limit was lowered", func(t *testing.T) {
		roomy := servertest.New(t, func(c *server.Config) { c.Store = env.Store })
		if rec := roomy.Do("PUT", book("contacts")+"big.vcf", login, big, vcf...); rec.Code != http.StatusCreated {
			t.Fatalf("PUT under the default limit: %d %s", rec.Code, rec.Body)
		}
		for _, m := range []string{"COPY", "MOVE"} {
			checkPrecondition(t, env, login, preconditionCase{method: m, path: book("contacts") + "big.vcf", hdr: []string{"Destination", book("work") + "big.vcf"}, status: 403, cond: "max-resource-size"})
		}
		if rec := env.Do("GET", book("work")+"big.vcf", login, ""); rec.Code != http.StatusNotFound {
			t.Errorf("refused COPY stored the member: %d", rec.Code)
		}
	})
}
