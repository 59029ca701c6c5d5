package carddav_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"almanac/internal/davtest"
	"almanac/internal/davtree"
	"almanac/storage"
)

// REPORTs on the address-book home (RFC 6352 8.2: "Servers MAY support
// the reports defined in this document on ordinary collections"; 8.7:
// multiget hrefs are "members (not necessarily internal members)").

func (e *env) home() string { return "/dav/addressbooks/" + e.alice.ID + "/" }

// bookHomeEnv: alice's "contacts" and "work", and bob's "contacts"
// shared with her as "from-bob".
func bookHomeEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, davtree.Options{})
	mk := `<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>`
	if rec := e.do("MKCOL", e.book("work"), mk); rec.Code != 201 {
		t.Fatalf("MKCOL %d %s", rec.Code, rec.Body)
	}
	e.mustPut(e.card("contacts", "anna.vcf"), card3("anna", "Anna Daboo", "EMAIL:anna@example.com"))
	e.mustPut(e.card("contacts", "max.vcf"), card4("max", "Max Muster"))
	e.mustPut(e.card("work", "cyrus.vcf"), card4("cyrus", "Cyrus Daboo", "EMAIL:cyrus@example.com"))
	ctx := context.Background()
	if _, _, err := e.store.Put(ctx, storage.PutObject{Owner: e.bob.ID, Collection: "contacts", Name: "oliver.vcf",
		UID: "oliver", Component: "VCARD", ContentType: "text/vcard", Data: []byte(card4("oliver", "Oliver Daboo"))}); err != nil {
		t.Fatal(err)
	}
	g := &storage.Grant{Owner: e.bob.ID, Collection: "contacts", Sharee: e.alice.ID, Access: storage.AccessRead, Mount: "from-bob"}
	if err := e.store.PutGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	return e
}

func bookQuery(filter, limit string) string {
	return `<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><CR:address-data/></D:prop>` +
		filter + limit + `</CR:addressbook-query>`
}

const dabooFilter = `<CR:filter><CR:prop-filter name="FN"><CR:text-match>daboo</CR:text-match></CR:prop-filter></CR:filter>`

func TestHomeQuery_SearchesEveryAddressBook(t *testing.T) {
	e := bookHomeEnv(t)
	want := []string{e.card("contacts", "anna.vcf"), e.card("from-bob", "oliver.vcf"), e.card("work", "cyrus.vcf")}
	for _, d := range []string{"1", "infinity", ""} {
		m := davtest.ParseMS(t, e.do("REPORT", e.home(), bookQuery(dabooFilter, ""), "Depth", d))
		got := m.Hrefs()
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("Depth %q: %v, want %v", d, got, want)
		}
		if data, _, _ := m.Prop(e.card("from-bob", "oliver.vcf"), "address-data"); !strings.Contains(data, "FN:Oliver Daboo") {
			t.Errorf("shared card data %q", data)
		}
	}
	m := davtest.ParseMS(t, e.do("REPORT", e.home(), bookQuery(dabooFilter, ""), "Depth", "0"))
	if len(m.Responses) != 0 {
		t.Errorf("Depth 0 on the home: %v", m.Hrefs())
	}
	davtest.WantError(t, e.do("REPORT", e.home(), bookQuery(`<CR:filter><CR:comp-filter name="VCARD"/></CR:filter>`, ""), "Depth", "1"), 403, "valid-filter")
}

// TestHomeQuery_LimitOverTheHome: CARDDAV:limit counts matches over the
// whole home, not per address book (RFC 6352 8.6.1, 8.6.2).
func TestHomeQuery_LimitOverTheHome(t *testing.T) {
	e := bookHomeEnv(t)
	rec := e.do("REPORT", e.home(), bookQuery(dabooFilter, `<CR:limit><CR:nresults>2</CR:nresults></CR:limit>`), "Depth", "1")
	m := davtest.ParseMS(t, rec)
	members, truncated := 0, false
	for _, r := range m.Responses {
		switch {
		case r.Href == e.home() && strings.Contains(r.Status, "507"):
			truncated = true
		case strings.HasPrefix(r.Href, e.home()) && r.Href != e.home():
			members++
		default:
			t.Errorf("response %+v", r)
		}
	}
	if members != 2 || !truncated {
		t.Errorf("%d members, 507 %v; want 2 and a 507 for the home:\n%s", members, truncated, rec.Body)
	}
}

func TestHomeMultiget_AddressBooks(t *testing.T) {
	e := bookHomeEnv(t)
	body := `<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><CR:address-data/></D:prop>` +
		`<D:href>` + e.card("contacts", "anna.vcf") + `</D:href><D:href>` + e.card("work", "cyrus.vcf") + `</D:href>` +
		`<D:href>` + e.card("from-bob", "oliver.vcf") + `</D:href><D:href>` + e.card("nope", "x.vcf") + `</D:href>` +
		`<D:href>/dav/calendars/` + e.alice.ID + `/default/x.ics</D:href></CR:addressbook-multiget>`
	m := davtest.ParseMS(t, e.do("REPORT", e.home(), body, "Depth", "0"))
	for href, want := range map[string]string{
		e.card("contacts", "anna.vcf"): "FN:Anna Daboo", e.card("work", "cyrus.vcf"): "FN:Cyrus Daboo", e.card("from-bob", "oliver.vcf"): "FN:Oliver Daboo",
	} {
		if data, _, _ := m.Prop(href, "address-data"); !strings.Contains(data, want) {
			t.Errorf("%s: address-data %q", href, data)
		}
	}
	for _, r := range m.Responses {
		switch r.Href {
		case e.card("nope", "x.vcf"):
			if !strings.Contains(r.Status, "404") {
				t.Errorf("missing address book: %s", r.Status)
			}
		case "/dav/calendars/" + e.alice.ID + "/default/x.ics":
			if !strings.Contains(r.Status, "403") {
				t.Errorf("href outside the home: %s", r.Status)
			}
		}
	}
	if len(m.Responses) != 5 {
		t.Errorf("responses %v", m.Hrefs())
	}
}
