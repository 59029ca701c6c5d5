package carddav_test

import (
	"net/http"
	"testing"

	"almanac/internal/davtest"
	"almanac/server/servertest"
)

// MOVE of an address book within the owner's home renames it (RFC 4918
// 9.9): 201, the cards and the sync token kept; where an address book
// cannot be created it is RFC 6352 6.3.2.1's
// addressbook-collection-location-ok. Raw HTTP through the whole server.
func TestMoveAddressBook(t *testing.T) {
	env := servertest.New(t)
	alice := env.Account("alice@example.com")
	book := func(name string) string { return "/dav/addressbooks/" + alice.ID + "/" + name + "/" }
	if rec := env.Do("PUT", book("contacts")+"a.vcf", alice.Login, card3("A", "A"), "Content-Type", "text/vcard"); rec.Code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	tokenOf := func(path string) string {
		t.Helper()
		m := davtest.ParseMS(t, env.Do("PROPFIND", path, alice.Login, `<D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>`, "Depth", "0"))
		tok, _, _ := m.Prop(path, "sync-token")
		return tok
	}
	token := tokenOf(book("contacts"))
	rec := env.Do("MOVE", book("contacts"), alice.Login, "", "Destination", book("people"))
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != book("people") {
		t.Fatalf("MOVE: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if got := env.Do("GET", book("people")+"a.vcf", alice.Login, "").Body.String(); got != card3("A", "A") {
		t.Errorf("the card after the move: %q", got)
	}
	if got := tokenOf(book("people")); got != token {
		t.Errorf("sync-token %s -> %s", token, got)
	}
	for _, dest := range []string{book("people") + "inner/", "/dav/calendars/" + alice.ID + "/people/", book("default")} {
		davtest.WantError(t, env.Do("MOVE", book("people"), alice.Login, "", "Destination", dest), http.StatusForbidden, "addressbook-collection-location-ok")
	}
}
