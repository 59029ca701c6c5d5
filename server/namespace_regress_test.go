package server_test

import (
	"net/http"
	"strings"
	"testing"

	"almanac/server/servertest"
)

// Namespaces in XML 1.0 (third edition) section 5, "No Prefix
// Undeclaring" (only XML 1.1 may bind a prefix to "") and "Prefix
// Declared": such a body is not namespace-well-formed, so it is
// 400 and nothing of it is stored. encoding/xml would have taken bar:x
// for a property without namespace, and undecl:x for one in the
// namespace "undecl".
func TestNamespaceNotWellFormed_400(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("jane@example.com")
	cal := "/dav/calendars/" + acc.ID + "/default/"
	for _, tc := range []struct{ name, method, body string }{
		{"PrefixUndeclared", "PROPPATCH", `<D:propertyupdate xmlns:D="DAV:" xmlns:bar=""><D:set><D:prop><bar:x>x</bar:x></D:prop></D:set></D:propertyupdate>`},
		{"PrefixUndeclaredOnProperty", "PROPPATCH", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><bar:x xmlns:bar="">x</bar:x></D:prop></D:set></D:propertyupdate>`},
		{"PrefixUndeclaredInValue", "PROPPATCH", `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:y><bar:v xmlns:bar="urn:b"><bar:w xmlns:bar=""/></bar:v></Z:y></D:prop></D:set></D:propertyupdate>`},
		{"PrefixNeverDeclared", "PROPPATCH", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><undecl:x>x</undecl:x></D:prop></D:set></D:propertyupdate>`},
		{"AttributePrefixNeverDeclared", "PROPPATCH", `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:y q:a="1">x</Z:y></D:prop></D:set></D:propertyupdate>`},
		{"XMLPrefixRebound", "PROPPATCH", `<D:propertyupdate xmlns:D="DAV:" xmlns:xml="urn:x"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>`},
		{"MKCALENDAR", "MKCALENDAR", `<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:bar=""><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></C:mkcalendar>`},
		{"PROPFIND", "PROPFIND", `<D:propfind xmlns:D="DAV:" xmlns:bar=""><D:prop><D:getetag/></D:prop></D:propfind>`},
		{"REPORT", "REPORT", `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><undecl:getetag/></D:prop></D:sync-collection>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := cal
			if tc.method == "MKCALENDAR" {
				path = "/dav/calendars/" + acc.ID + "/new/"
			}
			rec := env.Do(tc.method, path, acc.Login, tc.body, "Content-Type", "application/xml", "Depth", "0")
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("%s: %d, want 400\n%s", tc.method, rec.Code, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), "malformed XML") || strings.Contains(rec.Body.String(), "xml: ") {
				t.Errorf("answer does not say what is wrong, or leaks the decoder's text: %s", rec.Body)
			}
		})
	}
	// Nothing was stored: the collection has the properties it was
	// provisioned with, and no calendar was made.
	rec := env.Do("PROPFIND", cal, acc.Login, `<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`, "Depth", "0")
	for _, n := range []string{`<x xmlns=""`, `"undecl"`, `"urn:z"`} {
		if strings.Contains(rec.Body.String(), n) {
			t.Errorf("a refused property was stored (%s):\n%s", n, rec.Body)
		}
	}
	if rec := env.Do("PROPFIND", "/dav/calendars/"+acc.ID+"/new/", acc.Login, "", "Depth", "0"); rec.Code != http.StatusNotFound {
		t.Errorf("refused MKCALENDAR made a calendar: %d", rec.Code)
	}
}
