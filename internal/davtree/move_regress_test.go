package davtree_test

import (
	"net/http"
	"slices"
	"testing"

	"almanac/internal/davtest"
	"almanac/storage"
)

// MOVE of a whole collection to another name in the user's home renames
// it (RFC 4918 9.9): 201 with the new Location, the old URL gone, the
// members, properties, ctag and sync token the same, so a token handed
// out before the move answers exact changes at the new URL. The sharee's
// mount keeps its name and leads to it, with the sharee's token valid.
func TestMoveCollectionRenames(t *testing.T) {
	e, mount := shareEnv(t, storage.AccessReadWrite)
	a, b := e.alice, e.bob
	from, to := book(a, "shared"), book(a, "renamed")
	ctag, token := e.state(from)
	bobToken, _, _ := e.propfind(b, mount, "0", "D:sync-token").Prop(mount, "sync-token")

	rec := e.do(a, "MOVE", from, "", "Destination", to)
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != to {
		t.Fatalf("MOVE: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if rec := e.do(a, "PROPFIND", from, propfindBody("D:displayname"), "Depth", "0"); rec.Code != http.StatusNotFound {
		t.Errorf("old URL: %d", rec.Code)
	}
	if c2, t2 := e.state(to); c2 != ctag || t2 != token {
		t.Errorf("getctag %s -> %s, sync-token %s -> %s: a rename changes no member", ctag, c2, token, t2)
	}
	if name, _, _ := e.propfind(a, to, "0", "D:displayname").Prop(to, "displayname"); name != "Alice's notes" {
		t.Errorf("displayname %q", name)
	}
	if got := e.do(a, "GET", note(a, "renamed", "pub.txt"), "").Body.String(); got != "uid-pub\nhello\n" {
		t.Errorf("member after the move: %q", got)
	}
	hrefs := e.propfind(a, home(a), "1", "D:resourcetype").Hrefs()
	if !slices.Contains(hrefs, to) || slices.Contains(hrefs, from) {
		t.Errorf("home lists %v", hrefs)
	}

	// The token from before the move, at the new URL: exact changes.
	e.mustPut(a, note(a, "renamed", "new.txt"), "uid-new\n")
	m := davtest.ParseMS(t, e.do(a, "REPORT", to, syncBody(token)))
	if got := m.Hrefs(); !slices.Equal(got, []string{note(a, "renamed", "new.txt")}) {
		t.Errorf("sync from the old token at the new URL: %v", got)
	}
	// The sharee's mount follows, under the same name; so does its token.
	m = davtest.ParseMS(t, e.do(b, "REPORT", mount, syncBody(bobToken)))
	if got := m.Hrefs(); !slices.Equal(got, []string{mount + "new.txt"}) {
		t.Errorf("bob's sync from his token: %v", got)
	}
	if rec := e.put(b, mount+"bob.txt", "uid-bob\n"); rec.Code != http.StatusCreated {
		t.Errorf("bob writes through his mount: %d %s", rec.Code, rec.Body)
	}
	if e.stored(a, "renamed", "bob.txt") != "uid-bob\n" {
		t.Error("bob's write did not land in the renamed notebook")
	}

	// A new collection under the old name is another incarnation: the
	// old token is refused there (RFC 6578 3.2), not answered wrongly.
	e.mkbook(a, "shared")
	davtest.WantError(t, e.do(a, "REPORT", from, syncBody(token)), http.StatusForbidden, "valid-sync-token")
}

// Overwrite (RFC 4918 9.9.3, 10.6): F refuses an existing destination
// with 412; T, the default, replaces it as a DELETE would, its members
// gone, and answers 204.
func TestMoveCollectionOverwrite(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	e.mkbook(a, "old")
	e.mustPut(a, note(a, "work", "w.txt"), "uid-w\n")
	e.mustPut(a, note(a, "old", "o.txt"), "uid-o\n")
	if rec := e.do(a, "MOVE", book(a, "work"), "", "Destination", book(a, "old"), "Overwrite", "F"); rec.Code != http.StatusPreconditionFailed {
		t.Fatalf("Overwrite F: %d %s", rec.Code, rec.Body)
	}
	if e.stored(a, "old", "o.txt") != "uid-o\n" || e.stored(a, "work", "w.txt") != "uid-w\n" {
		t.Fatal("a refused MOVE changed something")
	}
	if rec := e.do(a, "MOVE", book(a, "work"), "", "Destination", book(a, "old")); rec.Code != http.StatusNoContent {
		t.Fatalf("Overwrite T: %d %s", rec.Code, rec.Body)
	}
	if e.stored(a, "old", "o.txt") != "" || e.stored(a, "old", "w.txt") != "uid-w\n" {
		t.Error("the destination was not replaced")
	}
	if _, err := e.store.Collection(t.Context(), a.ID, "work"); err == nil {
		t.Error("the source is still there")
	}
}

// Where a collection cannot go, and what cannot be moved: a destination
// that is no name directly in the user's home of the kind is the kind's
// location-ok precondition (RFC 4791 5.3.2.1, RFC 6352 6.3.2.1), another
// account's home included whether or not it exists; nothing changes.
func TestMoveCollectionRefused(t *testing.T) {
	e, mount := shareEnv(t, storage.AccessReadWrite)
	a, b := e.alice, e.bob
	e.mkbook(a, "other")
	src := book(a, "shared")
	ctag, _ := e.state(src)
	for _, tc := range []struct {
		name   string
		who    *storage.Account
		method string
		path   string
		hdr    []string
		status int
		cond   string
	}{
		{"into another notebook", a, "MOVE", src, []string{"Destination", book(a, "other") + "inner/"}, 403, "notebook-location-ok"},
		{"into another kind's home", a, "MOVE", src, []string{"Destination", "/dav/lists/" + a.ID + "/x/"}, 403, "notebook-location-ok"},
		{"onto another kind's name", a, "MOVE", src, []string{"Destination", book(a, "default")}, 403, "notebook-location-ok"},
		{"onto the home", a, "MOVE", src, []string{"Destination", home(a)}, 403, "notebook-location-ok"},
		{"into another account's home", a, "MOVE", src, []string{"Destination", book(b, "x")}, 403, "notebook-location-ok"},
		{"into an account that does not exist", a, "MOVE", src, []string{"Destination", "/dav/notes/nobody/x/"}, 403, "notebook-location-ok"},
		{"out of the tree", a, "MOVE", src, []string{"Destination", "/elsewhere/x/"}, 403, "notebook-location-ok"},
		{"onto a principal", a, "MOVE", src, []string{"Destination", "/dav/principals/" + a.ID + "/"}, 403, "notebook-location-ok"},
		{"to another server", a, "MOVE", src, []string{"Destination", "http://elsewhere.example" + book(a, "x")}, 502, ""},
		{"onto itself", a, "MOVE", src, []string{"Destination", src}, 403, ""},
		{"no Destination", a, "MOVE", src, nil, 400, ""},
		{"bad Overwrite", a, "MOVE", src, []string{"Destination", book(a, "x"), "Overwrite", "maybe"}, 400, ""},
		{"Depth 0 (RFC 4918 9.9.2)", a, "MOVE", src, []string{"Destination", book(a, "x"), "Depth", "0"}, 400, ""},
		{"stale If-Match", a, "MOVE", src, []string{"Destination", book(a, "x"), "If-Match", `"stale"`}, 412, ""},
		{"a missing notebook", a, "MOVE", book(a, "nope"), []string{"Destination", book(a, "x")}, 404, ""},
		{"COPY of a whole notebook", a, "COPY", src, []string{"Destination", book(a, "x")}, 403, ""},
		{"the sharee's mount", b, "MOVE", mount, []string{"Destination", book(b, "mine")}, 403, ""},
		{"the home", a, "MOVE", home(a), []string{"Destination", "/dav/notes/" + a.ID + "x/"}, 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			davtest.WantError(t, e.do(tc.who, tc.method, tc.path, "", tc.hdr...), tc.status, tc.cond)
		})
	}
	if c, _ := e.state(src); c != ctag {
		t.Errorf("refused moves changed the notebook: ctag %s -> %s", ctag, c)
	}
	for _, n := range []string{"x", "inner", "mine"} {
		if _, err := e.store.Collection(t.Context(), a.ID, n); err == nil {
			t.Errorf("a refused move made %s", n)
		}
	}
	if g, err := e.store.GrantByMount(t.Context(), b.ID, "from-alice"); err != nil || g.Collection != "shared" {
		t.Errorf("bob's mount: %+v %v", g, err)
	}
	// Another account's home answers alike whether it exists or not.
	if x, y := e.do(a, "MOVE", src, "", "Destination", book(b, "x")), e.do(a, "MOVE", src, "", "Destination", "/dav/notes/nobody/x/"); x.Code != y.Code || x.Body.String() != y.Body.String() {
		t.Errorf("an existing and a missing account answer differently:\n%d %s\n%d %s", x.Code, x.Body, y.Code, y.Body)
	}
}
