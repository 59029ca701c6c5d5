package davtree_test

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"

	"almanac/internal/dav"
	"almanac/internal/davtest"
	"almanac/storage"
)

// A kind's element names written inside property values, its
// resourcetype and its reports, are in the kind's namespace even when the
// multistatus writer has no prefix for it: "<:notebook/>" is not
// namespace-well-formed XML, and strict parsers refuse the whole answer.
func TestKindNamespaceInValues(t *testing.T) {
	e := newEnv(t)
	e.mkbook(e.alice, "work")
	b := book(e.alice, "work")
	rec := e.do(e.alice, "PROPFIND", b, propfindBody("D:resourcetype", "D:supported-report-set"), "Depth", "0")
	davtest.ParseMS(t, rec)
	var rt []string
	for _, n := range resourceTypes(t, rec.Body.Bytes(), b) {
		rt = append(rt, dav.Clark(n))
	}
	if want := []string{"{DAV:}collection", "{" + nsNotes + "}notebook"}; !slices.Equal(rt, want) {
		t.Errorf("resourcetype %v, want %v", rt, want)
	}
	var doc struct {
		Reports []struct {
			Any struct{ XMLName xml.Name } `xml:",any"`
		} `xml:"response>propstat>prop>supported-report-set>supported-report>report"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var reports []string
	for _, r := range doc.Reports {
		reports = append(reports, dav.Clark(r.Any.XMLName))
	}
	if want := []string{"{" + nsNotes + "}notes-multiget", "{DAV:}sync-collection", "{" + nsNotes + "}note-index", "{DAV:}expand-property"}; !slices.Equal(reports, want) {
		t.Errorf("supported reports %v, want %v", reports, want)
	}
	// The refusal of a MKCOL without the kind's resourcetype names it
	// completely.
	rec = e.do(e.alice, "MKCOL", book(e.alice, "x"), mkcolBody("D:collection"))
	davtest.WantError(t, rec, http.StatusForbidden, "valid-resourcetype")
	if msg := errorMessage(t, rec); !strings.Contains(msg, "{"+nsNotes+"}notebook") {
		t.Errorf("message %q does not name the resourcetype", msg)
	}
}

// A kind's own creation method (Spec.MkcolMethod) creates its
// collections as MKCALENDAR does calendars (RFC 4791 5.3.1): with or
// without a body whose root is the method's element in the kind's
// namespace. OPTIONS advertises it, so it must not be 501.
func TestKindMkcolMethod(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	if rec := e.do(a, "MKNOTEBOOK", book(a, "plain"), ""); rec.Code != http.StatusCreated {
		t.Fatalf("MKNOTEBOOK without body: %d %s", rec.Code, rec.Body)
	}
	body := `<N:mknotebook` + xmlns + `><D:set><D:prop><D:displayname>Ideas</D:displayname></D:prop></D:set></N:mknotebook>`
	if rec := e.do(a, "MKNOTEBOOK", book(a, "ideas"), body); rec.Code != http.StatusCreated {
		t.Fatalf("MKNOTEBOOK: %d %s", rec.Code, rec.Body)
	}
	if got := e.coll(a, "ideas").Props[pDisplayName]; got != "Ideas" {
		t.Errorf("displayname %q", got)
	}
	// An existing resource is resource-must-be-null (RFC 4791 5.3.1), a
	// wrong root malformed, and the kind's collections are made only in
	// its home (its location-ok element).
	davtest.WantError(t, e.do(a, "MKNOTEBOOK", book(a, "ideas"), ""), http.StatusForbidden, "resource-must-be-null")
	davtest.WantError(t, e.do(a, "MKNOTEBOOK", book(a, "other"), mkcolBody("N:notebook")), http.StatusBadRequest, "")
	davtest.WantError(t, e.do(a, "MKNOTEBOOK", home(a), ""), http.StatusForbidden, "resource-must-be-null")
	davtest.WantError(t, e.do(a, "MKNOTEBOOK", "/dav/lists/"+a.ID+"/x/", ""), http.StatusForbidden, "notebook-location-ok")
	davtest.WantError(t, e.do(a, "MKNOTEBOOK", "/dav/", ""), http.StatusForbidden, "resource-must-be-null")
}

// CS:invite exists on a collection that is shared and on a mount, and
// nowhere else: propname lists only properties the resource has (RFC
// 4918 9.1), and allprop then answers no 404 propstat.
func TestInviteOnlyWhenShared(t *testing.T) {
	e := newEnv(t)
	a, b := e.alice, e.bob
	e.mkbook(a, "alone")
	e.mkbook(a, "shared")
	g := &storage.Grant{Owner: a.ID, Collection: "shared", Sharee: b.ID, Access: storage.AccessRead, Mount: "from-alice"}
	if err := e.store.PutGrant(t.Context(), g); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who    *storage.Account
		path   string
		invite bool
	}{
		{a, book(a, "alone"), false},
		{a, book(a, "shared"), true},
		{b, book(b, "from-alice"), true},
	} {
		for _, form := range []string{"propname", "allprop"} {
			m := davtest.ParseMS(t, e.do(tc.who, "PROPFIND", tc.path, `<D:propfind xmlns:D="DAV:"><D:`+form+`/></D:propfind>`, "Depth", "0"))
			listed := false
			for _, ps := range m.Responses[0].Propstats {
				if status(ps.Status) != 200 {
					t.Errorf("%s %s: propstat %s", form, tc.path, ps.Status)
				}
				for _, p := range ps.Prop.Any {
					listed = listed || p.XMLName == dav.Name(dav.NSCalendarServer, "invite")
				}
			}
			if listed != tc.invite {
				t.Errorf("%s %s: CS:invite listed %v, want %v", form, tc.path, listed, tc.invite)
			}
		}
	}
}

// The refusal to copy a read-only sharee's member names the kind's
// collection, not a calendar.
func TestReadOnlyTransferNamesKind(t *testing.T) {
	e := newEnv(t)
	a, b := e.alice, e.bob
	e.mkbook(a, "shared")
	e.mustPut(a, note(a, "shared", "n.txt"), "uid-n\n")
	g := &storage.Grant{Owner: a.ID, Collection: "shared", Sharee: b.ID, Access: storage.AccessRead, Mount: "from-alice"}
	if err := e.store.PutGrant(t.Context(), g); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"COPY", "MOVE"} {
		rec := e.do(b, method, note(b, "from-alice", "n.txt"), "", "Destination", note(b, "contacts", "n.txt"))
		davtest.WantError(t, rec, http.StatusForbidden, "need-privileges")
		if msg := errorMessage(t, rec); !strings.Contains(msg, "notebook") || strings.Contains(msg, "calendar") {
			t.Errorf("%s: message %q", method, msg)
		}
	}
}
