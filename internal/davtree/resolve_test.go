package davtree_test

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"almanac/internal/davtest"
)

func TestResolve(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	e.mustPut(a, note(a, "work", "n.txt"), "uid-n\nhello\n")
	e.mustPut(a, note(a, "work", "my%20note%C3%A9.txt"), "uid-spaced\n")
	principal := "/dav/principals/" + a.ID + "/"
	for _, tc := range []struct {
		path     string
		status   int
		href     string   // of the first response
		resource []string // local names in its resourcetype
	}{
		{"/", 207, "/", []string{"collection"}},
		{"/dav/", 207, "/dav/", []string{"collection"}},
		{"/dav", 207, "/dav/", []string{"collection"}},
		{"/dav/principals/", 207, "/dav/principals/", []string{"collection"}},
		{principal, 207, principal, []string{"principal"}},
		{"/dav/notes/", 207, "/dav/notes/", []string{"collection"}},
		{home(a), 207, home(a), []string{"collection"}},
		{"/dav/notes/" + a.ID, 207, home(a), []string{"collection"}},
		{book(a, "work"), 207, book(a, "work"), []string{"collection", "notebook"}},
		{home(a) + "work", 207, book(a, "work"), []string{"collection", "notebook"}},
		{note(a, "work", "n.txt"), 207, note(a, "work", "n.txt"), nil},
		{note(a, "work", "my%20note%C3%A9.txt"), 207, note(a, "work", "my%20note%C3%A9.txt"), nil},
		{"/dav/lists/" + a.ID + "/default/", 207, "/dav/lists/" + a.ID + "/default/", []string{"collection", "list"}},
		{"/dav/notifications/" + a.ID + "/", 207, "/dav/notifications/" + a.ID + "/", []string{"collection", "notification"}},

		{"/dav/unknown/", 404, "", nil},
		{"/dav/calendars/" + a.ID + "/", 404, "", nil}, // no such kind registered
		{"/davx/", 404, "", nil},
		{"/other/", 404, "", nil},
		{"/dav/principals/" + a.ID + "/extra/", 404, "", nil},
		{"/dav/principals/nobody/", 404, "", nil},
		{book(a, "missing"), 404, "", nil},
		{note(a, "work", "missing.txt"), 404, "", nil},
		{note(a, "missing", "n.txt"), 404, "", nil},
		{note(a, "work", "n.txt") + "/deeper", 404, "", nil},
		{book(a, "default"), 404, "", nil},              // a list, not a notebook
		{"/dav/lists/" + a.ID + "/work/", 404, "", nil}, // a notebook, not a list
		{"/dav/notifications/" + a.ID + "/x/y", 404, "", nil},
		{"/dav/notifications/" + a.ID + "/nothing.xml", 404, "", nil},

		{home(a) + "%2e%2e/", 400, "", nil},
		{home(a) + "work/..", 400, "", nil},
		{home(a) + "./work/", 400, "", nil},
		{home(a) + "work/a%2Fb.txt", 400, "", nil},
		{home(a) + "work/a%5Cb.txt", 400, "", nil},
		{home(a) + "work/a%00.txt", 400, "", nil},
		{home(a) + "work/a%ff.txt", 400, "", nil},
		{home(a) + "/work/", 400, "", nil},
		{"/dav/notes/" + a.ID + "/../" + e.bob.ID + "/", 400, "", nil},
	} {
		rec := e.do(a, "PROPFIND", tc.path, propfindBody("D:resourcetype"), "Depth", "0")
		if rec.Code != tc.status {
			t.Errorf("PROPFIND %s = %d, want %d: %s", tc.path, rec.Code, tc.status, rec.Body)
			continue
		}
		if tc.status != 207 {
			continue
		}
		m := davtest.ParseMS(t, rec)
		if len(m.Responses) != 1 || m.Responses[0].Href != tc.href {
			t.Errorf("PROPFIND %s: hrefs %v, want [%s]", tc.path, m.Hrefs(), tc.href)
			continue
		}
		var got []string
		for _, n := range resourceTypes(t, rec.Body.Bytes(), tc.href) {
			got = append(got, n.Local)
		}
		if !slices.Equal(got, tc.resource) {
			t.Errorf("PROPFIND %s: resourcetype %v, want %v", tc.path, got, tc.resource)
		}
	}
}

// Another user's home, collections and members answer exactly like those
// of a handle nobody has: same status, headers and body, for every
// method; and nothing of theirs changes.
func TestOtherAccountIsLikeNoAccount(t *testing.T) {
	e := newEnv(t)
	b := e.bob
	e.mkbook(b, "diary")
	e.mustPut(b, note(b, "diary", "d.txt"), "uid-d\ndear diary\n")
	e.mkbook(e.alice, "mine")
	e.mustPut(e.alice, note(e.alice, "mine", "m.txt"), "uid-m\n")
	before := e.coll(b, "diary")

	const ghost = "nobody0000"
	multiget := `<N:notes-multiget` + xmlns + `><D:prop><D:getetag/></D:prop><D:href>` + note(b, "diary", "d.txt") + `</D:href></N:notes-multiget>`
	proppatch := `<D:propertyupdate` + xmlns + `><D:set><D:prop><D:displayname>mine now</D:displayname></D:prop></D:set></D:propertyupdate>`
	for _, path := range []string{
		"/dav/notes/" + b.ID + "/",
		"/dav/notes/" + b.ID + "/diary/",
		"/dav/notes/" + b.ID + "/diary/d.txt",
		"/dav/notes/" + b.ID + "/diary/new.txt",
		"/dav/notes/" + b.ID + "/newbook/",
		"/dav/lists/" + b.ID + "/default/",
		"/dav/principals/" + b.ID + "/",
		"/dav/notifications/" + b.ID + "/",
	} {
		missing := strings.Replace(path, b.ID, ghost, 1)
		for _, r := range []struct{ method, body string }{
			{"OPTIONS", ""}, {"PROPFIND", propfindBody("D:getetag", "D:displayname")}, {"PROPPATCH", proppatch},
			{"GET", ""}, {"HEAD", ""}, {"PUT", "uid-x\n"}, {"DELETE", ""}, {"MKCOL", mkcolBody("N:notebook")},
			{"MKNOTEBOOK", ""}, {"REPORT", multiget}, {"POST", `<CS:share` + xmlns + `/>`},
			{"COPY", ""}, {"MOVE", ""},
		} {
			hdr := []string{"Depth", "0", "Content-Type", "text/plain", "Destination", note(e.alice, "mine", "stolen.txt")}
			theirs := e.do(e.alice, r.method, path, r.body, hdr...)
			nobodys := e.do(e.alice, r.method, missing, r.body, hdr...)
			if theirs.Code != http.StatusNotFound {
				t.Errorf("%s %s = %d, want 404", r.method, path, theirs.Code)
			}
			if theirs.Code != nobodys.Code || theirs.Body.String() != nobodys.Body.String() || !sameHeader(theirs.Header(), nobodys.Header()) {
				t.Errorf("%s %s differs from a missing account's:\n%d %v %s\n%d %v %s", r.method, path,
					theirs.Code, theirs.Header(), theirs.Body, nobodys.Code, nobodys.Header(), nobodys.Body)
			}
		}
	}
	// As a Destination, their collection is a collection that does not
	// exist.
	for _, dest := range []string{note(b, "diary", "x.txt"), "/dav/notes/" + ghost + "/diary/x.txt"} {
		for _, m := range []string{"COPY", "MOVE"} {
			rec := e.do(e.alice, m, note(e.alice, "mine", "m.txt"), "", "Destination", dest)
			davtest.WantError(t, rec, http.StatusConflict, "")
		}
	}
	after := e.coll(b, "diary")
	if after.Seq != before.Seq || !maps.Equal(after.Props, before.Props) {
		t.Errorf("bob's notebook changed: seq %d → %d, props %v → %v", before.Seq, after.Seq, before.Props, after.Props)
	}
	if got := e.stored(b, "diary", "d.txt"); got != "uid-d\ndear diary\n" {
		t.Errorf("bob's note is now %q", got)
	}
	if _, err := e.store.Collection(t.Context(), b.ID, "newbook"); err == nil {
		t.Error("a notebook was created in bob's home")
	}
	if got := e.stored(e.alice, "mine", "stolen.txt"); got != "" {
		t.Errorf("bob's note was copied to alice: %q", got)
	}
}

func sameHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// A request without an authenticated account is a server error: the
// tree must sit behind authentication, and says so without detail.
func TestNoAccountIsRefused(t *testing.T) {
	e := newEnv(t)
	rec := httptest.NewRecorder()
	e.tree.ServeHTTP(rec, httptest.NewRequest("PROPFIND", "/dav/", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "davtree") {
		t.Errorf("no account: %d %s", rec.Code, rec.Body)
	}
}

func TestOptions(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	e.mustPut(a, note(a, "work", "n.txt"), "uid-n\n")
	for _, tc := range []struct {
		path, allow string
	}{
		{"/dav/", "OPTIONS, PROPFIND, REPORT"},
		{home(a), "OPTIONS, PROPFIND, REPORT, POST"},
		{book(a, "work"), "OPTIONS, PROPFIND, PROPPATCH, REPORT, DELETE, MOVE, POST"},
		{book(a, "new"), "OPTIONS, MKNOTEBOOK, MKCOL"},
		{"/dav/lists/" + a.ID + "/new/", "OPTIONS, MKCOL"},
		{note(a, "work", "n.txt"), "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, REPORT, COPY, MOVE"},
		{note(a, "work", "new.txt"), "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, REPORT, COPY, MOVE"},
		{note(a, "nope", "new.txt"), "OPTIONS"},
	} {
		rec := e.do(a, "OPTIONS", tc.path, "")
		if rec.Code != http.StatusOK || rec.Header().Get("Allow") != tc.allow {
			t.Errorf("OPTIONS %s = %d, Allow %q, want %q", tc.path, rec.Code, rec.Header().Get("Allow"), tc.allow)
		}
		classes := strings.Split(rec.Header().Get("DAV"), ", ")
		for _, c := range []string{"1", "3", "extended-mkcol", "access-control", "calendarserver-sharing", "notes-access", "lists-access"} {
			if !slices.Contains(classes, c) {
				t.Errorf("OPTIONS %s: DAV %q lacks %s", tc.path, rec.Header().Get("DAV"), c)
			}
		}
	}
	// A 405 names what the resource allows (RFC 9110 15.5.6).
	rec := e.do(a, "GET", book(a, "work"), "")
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "OPTIONS, PROPFIND, PROPPATCH, REPORT, DELETE, MOVE, POST" {
		t.Errorf("GET collection = %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	if rec := e.do(a, "LOCK", book(a, "work"), ""); rec.Code != http.StatusNotImplemented {
		t.Errorf("LOCK = %d, want 501", rec.Code)
	}
}

func TestPrincipal(t *testing.T) {
	e := newEnv(t)
	p := "/dav/principals/" + e.alice.ID + "/"
	m := e.propfind(e.alice, p, "0", "D:displayname", "D:current-user-principal", "D:principal-URL",
		"N:notes-home-set", "N:lists-home-set", "CS:notification-URL", "D:principal-collection-set")
	for local, want := range map[string]string{
		"displayname":              "Alice",
		"current-user-principal":   p,
		"principal-URL":            p,
		"notes-home-set":           home(e.alice),
		"lists-home-set":           "/dav/lists/" + e.alice.ID + "/",
		"notification-URL":         "/dav/notifications/" + e.alice.ID + "/",
		"principal-collection-set": "/dav/principals/",
	} {
		text, inner, ok := m.Prop(p, local)
		if !ok || (text != want && !strings.Contains(inner, ">"+want+"<")) {
			t.Errorf("%s = %q %q, want %s", local, text, inner, want)
		}
	}
	// Depth 1 lists only the user's own: no other account is
	// discoverable.
	for path, want := range map[string][]string{
		"/dav/":            {"/dav/", "/dav/principals/", "/dav/notes/", "/dav/lists/"},
		"/dav/principals/": {"/dav/principals/", p},
		"/dav/notes/":      {"/dav/notes/", home(e.alice)},
	} {
		if got := e.propfind(e.alice, path, "1", "D:resourcetype").Hrefs(); !slices.Equal(got, want) {
			t.Errorf("PROPFIND %s Depth 1: %v, want %v", path, got, want)
		}
	}
}
