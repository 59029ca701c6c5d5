package carddav_test

import (
	"net/http"
	"strings"
	"testing"

	"almanac/internal/davtest"
	"almanac/server/servertest"
)

// RFC 6352 6.3.2.1 (CARDDAV:no-uid-conflict): an address object resource
// may not be overwritten "with one that has a different UID property
// value", by PUT, COPY or MOVE. Raw HTTP through the whole server.
func TestUIDCannotChange_HTTP(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("alice@example.com")
	login := acc.Login
	book := func(name string) string { return "/dav/addressbooks/" + acc.ID + "/" + name + "/" }
	vcf := "text/vcard; charset=utf-8"
	mkcol := `<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>`
	if rec := env.Do("MKCOL", book("work"), login, mkcol); rec.Code != http.StatusCreated {
		t.Fatalf("MKCOL: %d %s", rec.Code, rec.Body)
	}
	u, w := book("contacts")+"u.vcf", book("work")+"w.vcf"
	for path, uid := range map[string]string{u: "A", w: "W"} {
		if rec := env.Do("PUT", path, login, card3(uid, uid), "Content-Type", vcf); rec.Code != http.StatusCreated {
			t.Fatalf("PUT %s: %d %s", path, rec.Code, rec.Body)
		}
	}

	rec := env.Do("PUT", u, login, card3("B", "A"), "Content-Type", vcf)
	davtest.WantError(t, rec, http.StatusForbidden, "no-uid-conflict")
	if !strings.Contains(rec.Body.String(), "<D:href>"+u+"</D:href>") {
		t.Errorf("PUT: the conflict does not name %s: %s", u, rec.Body)
	}
	for _, method := range []string{"COPY", "MOVE"} {
		rec := env.Do(method, u, login, "", "Destination", w)
		davtest.WantError(t, rec, http.StatusForbidden, "no-uid-conflict")
		if !strings.Contains(rec.Body.String(), "<D:href>"+w+"</D:href>") {
			t.Errorf("%s: the conflict does not name %s: %s", method, w, rec.Body)
		}
	}
	for path, uid := range map[string]string{u: "A", w: "W"} {
		if got := env.Do("GET", path, login, "").Body.String(); got != card3(uid, uid) {
			t.Errorf("%s changed: %q", path, got)
		}
	}
}
