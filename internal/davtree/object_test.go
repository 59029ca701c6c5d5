package davtree_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"almanac/auth"
	"almanac/internal/davtest"
)

func TestPutGet(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	n := note(a, "work", "n.txt")
	body := "uid-n\r\nbytes as sent: \x01 tab\t é\n"

	rec := e.put(a, n, body)
	etag := rec.Header().Get("ETag")
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != n || !strings.HasPrefix(etag, `"`) || rec.Header().Get("Last-Modified") == "" {
		t.Fatalf("create: %d %v", rec.Code, rec.Header())
	}
	for _, method := range []string{"GET", "HEAD"} {
		get := e.do(a, method, n, "")
		h := get.Header()
		if get.Code != http.StatusOK || h.Get("ETag") != etag || h.Get("Content-Type") != "text/plain; charset=utf-8" ||
			h.Get("Content-Length") != strconv.Itoa(len(body)) || h.Get("Last-Modified") == "" || h.Get("Cache-Control") != "private, no-cache" || h.Get("Vary") != "" {
			t.Errorf("%s: %d %v", method, get.Code, h)
		}
		if want := map[string]string{"GET": body, "HEAD": ""}[method]; get.Body.String() != want {
			t.Errorf("%s body %q, want %q", method, get.Body, want)
		}
	}
	// The PROPFIND ETag is the GET's.
	if got, _, _ := e.propfind(a, n, "0", "D:getetag").Prop(n, "getetag"); got != etag {
		t.Errorf("getetag %q, want %q", got, etag)
	}

	// Update: 204 and a new ETag.
	rec = e.put(a, n, "uid-n\nsecond\n")
	if rec.Code != http.StatusNoContent || rec.Header().Get("ETag") == etag || rec.Header().Get("Location") != "" {
		t.Fatalf("update: %d %v", rec.Code, rec.Header())
	}
	etag2 := rec.Header().Get("ETag")

	// Conditional GET.
	for _, tc := range []struct {
		hdr    []string
		status int
	}{
		{[]string{"If-None-Match", etag2}, 304},
		{[]string{"If-None-Match", "W/" + etag2}, 304},
		{[]string{"If-None-Match", etag}, 200},
		{[]string{"If-None-Match", "*"}, 304},
		{[]string{"If-Match", etag2}, 200},
		{[]string{"If-Match", etag}, 412},
		{[]string{"If-Match", "W/" + etag2}, 412},
		{[]string{"If-Match", "nonsense"}, 400},
		{[]string{"If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"}, 200},
		{[]string{"If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT"}, 304},
		{[]string{"If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"}, 412},
	} {
		rec := e.do(a, "GET", n, "", tc.hdr...)
		if rec.Code != tc.status {
			t.Errorf("GET %v = %d, want %d", tc.hdr, rec.Code, tc.status)
		}
		if rec.Code == 304 && (rec.Header().Get("ETag") != etag2 || rec.Body.Len() != 0) {
			t.Errorf("304 %v: ETag %q, %d bytes", tc.hdr, rec.Header().Get("ETag"), rec.Body.Len())
		}
	}

	// GET of what is not a member.
	for path, status := range map[string]int{
		book(a, "work"): 405, home(a): 405, "/dav/": 405,
		note(a, "work", "missing.txt"): 404, note(a, "nope", "n.txt"): 404,
	} {
		if rec := e.do(a, "GET", path, ""); rec.Code != status {
			t.Errorf("GET %s = %d, want %d", path, rec.Code, status)
		}
	}
}

// A kind that negotiates GET says so to caches, and sends no validators
// with a refusal.
func TestGetNegotiated(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	if rec := e.do(a, "MKCOL", "/dav/lists/"+a.ID+"/shopping/", mkcolBody("N:list")); rec.Code != http.StatusCreated {
		t.Fatalf("MKCOL: %d", rec.Code)
	}
	p := "/dav/lists/" + a.ID + "/shopping/l.txt"
	e.mustPut(a, p, "uid-l\n- [ ] milk\n")
	if rec := e.do(a, "GET", p, ""); rec.Code != 200 || rec.Header().Get("Vary") != "Accept" {
		t.Errorf("GET: %d Vary %q", rec.Code, rec.Header().Get("Vary"))
	}
	rec := e.do(a, "GET", p, "", "Accept", "application/json")
	if rec.Code != http.StatusNotAcceptable || rec.Header().Get("ETag") != "" || rec.Header().Get("Last-Modified") != "" {
		t.Errorf("refused GET: %d %v", rec.Code, rec.Header())
	}
}

func TestPutConditions(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	n := note(a, "work", "n.txt")
	seq := func() uint64 { return e.coll(a, "work").Seq }

	// If-Match on a missing member fails; If-None-Match: * creates.
	if rec := e.put(a, n, "uid-n\n", "If-Match", `"x"`); rec.Code != http.StatusPreconditionFailed {
		t.Errorf("If-Match on missing: %d", rec.Code)
	}
	if rec := e.put(a, n, "uid-n\n", "If-Match", "*"); rec.Code != http.StatusPreconditionFailed {
		t.Errorf("If-Match * on missing: %d", rec.Code)
	}
	rec := e.put(a, n, "uid-n\nv1\n", "If-None-Match", "*")
	if rec.Code != http.StatusCreated {
		t.Fatalf("If-None-Match * create: %d", rec.Code)
	}
	etag := rec.Header().Get("ETag")
	s := seq()
	for _, hdr := range [][]string{
		{"If-None-Match", "*"},
		{"If-None-Match", etag},
		{"If-Match", `"stale"`},
		{"If-Match", "W/" + etag}, // strong comparison
		{"If-Match", `"stale", "older"`},
	} {
		if rec := e.put(a, n, "uid-n\nlost update\n", hdr...); rec.Code != http.StatusPreconditionFailed {
			t.Errorf("PUT %v = %d, want 412", hdr, rec.Code)
		}
	}
	for _, hdr := range [][]string{{"If-Match", `"unterminated`}, {"If-None-Match", "abc"}, {"If-Match", `"a" "b"`}} {
		davtest.WantError(t, e.put(a, n, "uid-n\nlost update\n", hdr...), http.StatusBadRequest, "")
	}
	if got := e.stored(a, "work", "n.txt"); got != "uid-n\nv1\n" || seq() != s {
		t.Errorf("refused writes changed the note to %q (seq %d → %d)", got, s, seq())
	}
	if rec := e.put(a, n, "uid-n\nv2\n", "If-Match", `"stale", `+etag); rec.Code != http.StatusNoContent {
		t.Errorf("If-Match list with the current ETag: %d", rec.Code)
	}
}

func TestPutRefused(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	e.mkbook(a, "plain", `<N:supported-note-types><N:type name="NOTE"/></N:supported-note-types>`)
	first := e.mustPut(a, note(a, "work", "a.txt"), "uid-a\n")
	big := "uid-big\n" + strings.Repeat("x", testMaxSize)
	for _, tc := range []struct {
		name, path, body string
		hdr              []string
		status           int
		cond             string
	}{
		{"UID of another member", note(a, "work", "b.txt"), "uid-a\nsame uid\n", nil, 403, "no-uid-conflict"},
		{"UID of another member, spaced", note(a, "work", "b.txt"), "  uid-a \r\nsame uid\n", nil, 403, "no-uid-conflict"},
		{"too large", note(a, "work", "big.txt"), big, nil, 403, "max-resource-size"},
		{"wrong media type", note(a, "work", "c.txt"), "uid-c\n", []string{"Content-Type", "text/calendar"}, 403, "supported-note-data"},
		{"malformed media type", note(a, "work", "c.txt"), "uid-c\n", []string{"Content-Type", "text/"}, 403, "supported-note-data"},
		{"not UTF-8", note(a, "work", "c.txt"), "uid-c\n\xff\n", nil, 403, "valid-note"},
		{"no UID", note(a, "work", "c.txt"), "\nno uid\n", nil, 403, "valid-note"},
		{"empty", note(a, "work", "c.txt"), "", nil, 403, "valid-note"},
		{"type the notebook refuses", note(a, "plain", "c.txt"), "uid-c\n- [ ] todo\n", nil, 403, "supported-note-type"},
		{"missing collection", note(a, "nope", "c.txt"), "uid-c\n", nil, 409, ""},
		{"another kind's collection", note(a, "default", "c.txt"), "uid-c\n", nil, 409, ""},
		{"on a collection", book(a, "work"), "uid-c\n", nil, 405, ""},
		{"on the home", home(a), "uid-c\n", nil, 405, ""},
		{"on the root", "/dav/", "uid-c\n", nil, 405, ""},
		{"on a principal", "/dav/principals/" + a.ID + "/", "uid-c\n", nil, 405, ""},
	} {
		hdr := tc.hdr
		if hdr == nil {
			hdr = []string{"Content-Type", "text/plain"}
		}
		rec := e.do(a, "PUT", tc.path, tc.body, hdr...)
		davtest.WantError(t, rec, tc.status, tc.cond)
		if tc.cond == "no-uid-conflict" && !strings.Contains(rec.Body.String(), "<D:href>"+note(a, "work", "a.txt")+"</D:href>") {
			t.Errorf("%s: the conflict does not name the member holding the UID: %s", tc.name, rec.Body)
		}
	}
	// Nothing stored, nothing counted.
	if c := e.coll(a, "work"); c.Seq != 1 {
		t.Errorf("work seq %d after refused PUTs", c.Seq)
	}
	if c := e.coll(a, "plain"); c.Seq != 0 {
		t.Errorf("plain seq %d after refused PUTs", c.Seq)
	}
	for _, name := range []string{"b.txt", "big.txt", "c.txt"} {
		if got := e.stored(a, "work", name); got != "" {
			t.Errorf("%s stored: %q", name, got)
		}
	}
	// A member keeps its own UID on update; an exact fit is accepted; a
	// missing Content-Type is taken as the kind's.
	if rec := e.put(a, note(a, "work", "a.txt"), "uid-a\nv2\n", "If-Match", first); rec.Code != http.StatusNoContent {
		t.Errorf("update with own UID: %d %s", rec.Code, rec.Body)
	}
	if rec := e.put(a, note(a, "work", "fit.txt"), big[:testMaxSize]); rec.Code != http.StatusCreated {
		t.Errorf("PUT of exactly the maximum size: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(a, "PUT", note(a, "work", "untyped.txt"), "uid-untyped\n"); rec.Code != http.StatusCreated {
		t.Errorf("PUT without Content-Type: %d %s", rec.Code, rec.Body)
	}
}

// A body without Content-Length is cut at the limit, not read whole.
func TestPutTooLargeUnknownLength(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	r := httptest.NewRequest("PUT", note(a, "work", "big.txt"), strings.NewReader("uid-big\n"+strings.Repeat("x", 10*testMaxSize)))
	r.ContentLength = -1
	r = r.WithContext(auth.WithAccount(r.Context(), a))
	rec := httptest.NewRecorder()
	e.tree.ServeHTTP(rec, r)
	davtest.WantError(t, rec, http.StatusForbidden, "max-resource-size")
	if got := e.stored(a, "work", "big.txt"); got != "" {
		t.Error("stored")
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	n := note(a, "work", "n.txt")
	etag := e.mustPut(a, n, "uid-n\n")

	if rec := e.do(a, "DELETE", n, "", "If-Match", `"stale"`); rec.Code != http.StatusPreconditionFailed {
		t.Errorf("DELETE with a stale If-Match: %d", rec.Code)
	}
	if rec := e.do(a, "DELETE", n, "", "If-Match", etag); rec.Code != http.StatusNoContent {
		t.Errorf("DELETE: %d", rec.Code)
	}
	if rec := e.do(a, "DELETE", n, ""); rec.Code != http.StatusNotFound {
		t.Errorf("second DELETE: %d", rec.Code)
	}
	// The UID is free again.
	e.mustPut(a, note(a, "work", "again.txt"), "uid-n\n")

	// A collection's entity tag for DELETE is its ctag.
	ctag, _, _ := e.propfind(a, book(a, "work"), "0", "CS:getctag").Prop(book(a, "work"), "getctag")
	if rec := e.do(a, "DELETE", book(a, "work"), "", "If-Match", `"stale"`); rec.Code != http.StatusPreconditionFailed {
		t.Errorf("DELETE collection with a stale If-Match: %d", rec.Code)
	}
	if rec := e.do(a, "DELETE", book(a, "work"), "", "If-Match", ctag); rec.Code != http.StatusNoContent {
		t.Errorf("DELETE collection: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(a, "GET", note(a, "work", "again.txt"), ""); rec.Code != http.StatusNotFound {
		t.Errorf("member of a deleted collection: %d", rec.Code)
	}
	for path, status := range map[string]int{
		book(a, "work"): 404, book(a, "default"): 404, note(a, "nope", "x.txt"): 404,
		home(a): 403, "/dav/": 403, "/dav/principals/" + a.ID + "/": 403,
	} {
		if rec := e.do(a, "DELETE", path, ""); rec.Code != status {
			t.Errorf("DELETE %s = %d, want %d", path, rec.Code, status)
		}
	}
	if _, err := e.store.Collection(t.Context(), a.ID, "default"); err != nil {
		t.Errorf("the other kind's collection was deleted: %v", err)
	}
}

func TestCopyMove(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	e.mkbook(a, "home")
	e.mkbook(a, "plain", `<N:supported-note-types><N:type name="NOTE"/></N:supported-note-types>`)
	src := note(a, "work", "n.txt")
	body := "uid-n\nkeep these bytes\r\n"
	etag := e.mustPut(a, src, body)
	e.mustPut(a, note(a, "work", "list.txt"), "uid-list\n- [ ] x\n")
	e.mustPut(a, note(a, "home", "taken.txt"), "uid-taken\n")

	// COPY to another notebook: same bytes, same ETag, source stays.
	rec := e.do(a, "COPY", src, "", "Destination", note(a, "home", "copy.txt"))
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != note(a, "home", "copy.txt") {
		t.Fatalf("COPY: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if got := e.do(a, "GET", note(a, "home", "copy.txt"), ""); got.Body.String() != body || got.Header().Get("ETag") != etag {
		t.Errorf("copy: %q %s", got.Body, got.Header().Get("ETag"))
	}
	if e.stored(a, "work", "n.txt") != body {
		t.Error("COPY removed the source")
	}
	// COPY within the notebook would duplicate the UID.
	rec = e.do(a, "COPY", src, "", "Destination", note(a, "work", "dup.txt"))
	davtest.WantError(t, rec, http.StatusForbidden, "no-uid-conflict")
	if !strings.Contains(rec.Body.String(), "<D:href>"+src+"</D:href>") {
		t.Errorf("conflict names no holder: %s", rec.Body)
	}
	// Overwrite: F refuses an existing destination, T (the default)
	// replaces it: here the copy in home, the same resource (UID).
	e.mustPut(a, note(a, "home", "copy.txt"), "uid-n\nedited copy\n")
	if rec := e.do(a, "COPY", src, "", "Destination", note(a, "home", "copy.txt"), "Overwrite", "F"); rec.Code != http.StatusPreconditionFailed {
		t.Errorf("Overwrite F: %d", rec.Code)
	}
	if e.stored(a, "home", "copy.txt") != "uid-n\nedited copy\n" {
		t.Error("Overwrite F replaced the destination")
	}
	if rec := e.do(a, "COPY", src, "", "Destination", note(a, "home", "copy.txt"), "Overwrite", "T"); rec.Code != http.StatusNoContent {
		t.Errorf("Overwrite T: %d %s", rec.Code, rec.Body)
	}
	if e.stored(a, "home", "copy.txt") != body {
		t.Error("Overwrite T did not replace the destination")
	}
	// Replacing a member of another UID would change its UID (RFC 4791
	// 5.3.2.1 no-uid-conflict), which names the member in the way.
	rec = e.do(a, "COPY", src, "", "Destination", note(a, "home", "taken.txt"), "Overwrite", "T")
	davtest.WantError(t, rec, http.StatusForbidden, "no-uid-conflict")
	if !strings.Contains(rec.Body.String(), "<D:href>"+note(a, "home", "taken.txt")+"</D:href>") || e.stored(a, "home", "taken.txt") != "uid-taken\n" {
		t.Errorf("COPY onto a member of another UID: %s", rec.Body)
	}
	if rec := e.do(a, "DELETE", note(a, "home", "copy.txt"), ""); rec.Code != http.StatusNoContent {
		t.Fatal(rec.Code)
	}

	// MOVE renames within a notebook and between notebooks.
	work := e.coll(a, "work").Seq
	if rec := e.do(a, "MOVE", src, "", "Destination", note(a, "work", "renamed.txt")); rec.Code != http.StatusCreated {
		t.Fatalf("MOVE rename: %d %s", rec.Code, rec.Body)
	}
	if e.stored(a, "work", "n.txt") != "" || e.stored(a, "work", "renamed.txt") != body {
		t.Error("rename did not move")
	}
	if got := e.coll(a, "work").Seq; got <= work {
		t.Errorf("rename left seq at %d", got)
	}
	// Absolute Destination on this host.
	if rec := e.do(a, "MOVE", note(a, "work", "renamed.txt"), "", "Destination", "http://example.com"+note(a, "plain", "moved.txt"), "If-Match", etag); rec.Code != http.StatusCreated {
		t.Fatalf("MOVE: %d %s", rec.Code, rec.Body)
	}
	if e.stored(a, "work", "renamed.txt") != "" || e.stored(a, "plain", "moved.txt") != body {
		t.Error("MOVE between notebooks did not move")
	}

	for _, tc := range []struct {
		name, method, from string
		hdr                []string
		status             int
		cond               string
	}{
		{"stale If-Match on the source", "MOVE", note(a, "plain", "moved.txt"), []string{"Destination", note(a, "work", "x.txt"), "If-Match", `"stale"`}, 412, ""},
		{"kind does not admit", "MOVE", note(a, "work", "list.txt"), []string{"Destination", note(a, "plain", "list.txt")}, 403, "supported-note-type"},
		{"kind does not admit a copy", "COPY", note(a, "work", "list.txt"), []string{"Destination", note(a, "plain", "list.txt")}, 403, "supported-note-type"},
		{"no Destination", "COPY", note(a, "work", "list.txt"), nil, 400, ""},
		{"bad Overwrite", "COPY", note(a, "work", "list.txt"), []string{"Destination", note(a, "home", "l.txt"), "Overwrite", "yes"}, 400, ""},
		{"malformed Destination", "COPY", note(a, "work", "list.txt"), []string{"Destination", "http://[::1"}, 400, ""},
		{"another host", "COPY", note(a, "work", "list.txt"), []string{"Destination", "http://elsewhere.example" + note(a, "home", "l.txt")}, 502, ""},
		{"outside the tree", "COPY", note(a, "work", "list.txt"), []string{"Destination", "/elsewhere/l.txt"}, 409, ""},
		{"missing collection", "COPY", note(a, "work", "list.txt"), []string{"Destination", note(a, "nope", "l.txt")}, 409, ""},
		{"dot segments", "COPY", note(a, "work", "list.txt"), []string{"Destination", home(a) + "home/../work/l.txt"}, 400, ""},
		{"encoded slash", "COPY", note(a, "work", "list.txt"), []string{"Destination", home(a) + "home/a%2Fb.txt"}, 400, ""},
		{"to a collection", "COPY", note(a, "work", "list.txt"), []string{"Destination", book(a, "home")}, 403, ""},
		{"to the home", "COPY", note(a, "work", "list.txt"), []string{"Destination", home(a)}, 403, ""},
		{"to another kind", "COPY", note(a, "work", "list.txt"), []string{"Destination", "/dav/lists/" + a.ID + "/default/l.txt"}, 403, ""},
		{"to itself", "MOVE", note(a, "work", "list.txt"), []string{"Destination", note(a, "work", "list.txt")}, 403, ""},
		{"missing source", "COPY", note(a, "work", "none.txt"), []string{"Destination", note(a, "home", "none.txt")}, 404, ""},
		{"a whole collection", "COPY", book(a, "work"), []string{"Destination", book(a, "copied")}, 403, ""},
		{"the home", "COPY", home(a), []string{"Destination", home(a)}, 403, ""},
		{"the root", "COPY", "/dav/", []string{"Destination", home(a)}, 405, ""},
	} {
		rec := e.do(a, tc.method, tc.from, "", tc.hdr...)
		if rec.Code != tc.status || (tc.cond != "" && !strings.Contains(rec.Body.String(), tc.cond)) {
			t.Errorf("%s: %s %s %v = %d %s, want %d %s", tc.name, tc.method, tc.from, tc.hdr, rec.Code, rec.Body, tc.status, tc.cond)
		}
	}
	if e.stored(a, "work", "list.txt") == "" || e.stored(a, "plain", "moved.txt") != body || e.stored(a, "home", "l.txt") != "" {
		t.Error("a refused COPY or MOVE changed something")
	}
}
