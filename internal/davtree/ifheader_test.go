package davtree_test

import (
	"net/http"
	"testing"
)

// The If header (RFC 4918 10.4) with the states this server has: a
// member's ETag and a collection's sync token (RFC 6578 5); there are no
// locks, so a lock token never matches and (Not <DAV:no-lock>) always
// holds.
func TestIfHeader(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	w, n := book(a, "work"), note(a, "work", "n.txt")
	_, stale := e.state(w) // a token of the collection that no longer holds
	etag := e.mustPut(a, n, "uid-n\nfirst\n")
	_, token := e.state(w)

	for _, tc := range []struct {
		name string
		h    func() string // built when the case runs, from the state the cases before left
		want int           // of a PUT updating n
	}{
		{"the member's ETag", func() string { return "([" + etag + "])" }, http.StatusNoContent},
		{"another ETag", func() string { return `(["other"])` }, http.StatusPreconditionFailed},
		{"Not the member's ETag", func() string { return "(Not [" + etag + "])" }, http.StatusPreconditionFailed},
		{"a weak ETag never matches (10.4.4)", func() string { return "([W/" + etag + "])" }, http.StatusPreconditionFailed},
		{"the collection's sync token, tagged (RFC 6578 5.1)", func() string { return "<" + w + "> (<" + token + ">)" }, http.StatusNoContent},
		{"an absolute tag", func() string { return "<http://example.com" + w + "> (<" + token + ">)" }, http.StatusNoContent},
		{"a stale sync token (RFC 6578 5.2)", func() string { return "<" + w + "> (<" + stale + ">)" }, http.StatusPreconditionFailed},
		{"the sync token on the member, which has none", func() string { return "(<" + token + ">)" }, http.StatusPreconditionFailed},
		{"a lock token: no locks here", func() string { return "(<opaquelocktoken:x>)" }, http.StatusPreconditionFailed},
		{"Not no-lock (10.4.8)", func() string { return "(Not <DAV:no-lock>)" }, http.StatusNoContent},
		{"a second list that holds", func() string { return "(<opaquelocktoken:x>) (Not <DAV:no-lock>)" }, http.StatusNoContent},
		{"a list holds only when all its conditions do", func() string { return "([" + etag + "] <opaquelocktoken:x>)" }, http.StatusPreconditionFailed},
		{"a tag naming nothing", func() string { return "<" + note(a, "work", "none.txt") + "> ([" + etag + "])" }, http.StatusPreconditionFailed},
		{"Not on a tag naming nothing", func() string { return "<" + note(a, "work", "none.txt") + "> (Not [" + etag + "])" }, http.StatusNoContent},
		{"malformed", func() string { return "(<opaquelocktoken:x>" }, http.StatusBadRequest},
		{"outside /dav/", func() string { return "</elsewhere/> (Not <DAV:no-lock>)" }, http.StatusNoContent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, h := e.stored(a, "work", "n.txt"), tc.h()
			rec := e.put(a, n, "uid-n\nchanged by "+tc.name+"\n", "If", h)
			if rec.Code != tc.want {
				t.Fatalf("PUT with If: %s: %d, want %d: %s", h, rec.Code, tc.want, rec.Body)
			}
			after := e.stored(a, "work", "n.txt")
			if changed := after != before; changed != (tc.want == http.StatusNoContent) {
				t.Errorf("stored note changed: %v, want %v", changed, tc.want == http.StatusNoContent)
			}
			if rec.Code == http.StatusNoContent {
				// The next case starts from what this one stored.
				etag, stale = rec.Header().Get("ETag"), token
				_, token = e.state(w)
			}
		})
	}
}

// The header applies to every method: a DELETE or a MKCOL it does not
// allow changes nothing, and a GET it does not allow is 412 as well.
func TestIfHeader_EveryMethod(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	w, n := book(a, "work"), note(a, "work", "n.txt")
	e.mustPut(a, n, "uid-n\nfirst\n")
	_, token := e.state(w)
	e.mustPut(a, note(a, "work", "m.txt"), "uid-m\nsecond\n") // token is stale now
	stale := "<" + w + "> (<" + token + ">)"

	if rec := e.do(a, "DELETE", n, "", "If", stale); rec.Code != http.StatusPreconditionFailed {
		t.Errorf("DELETE: %d, want 412", rec.Code)
	}
	if e.stored(a, "work", "n.txt") == "" {
		t.Error("DELETE refused by If deleted the note")
	}
	if rec := e.do(a, "MKCOL", book(a, "other"), mkcolBody("N:notebook"), "If", stale); rec.Code != http.StatusPreconditionFailed {
		t.Errorf("MKCOL: %d, want 412", rec.Code)
	}
	if rec := e.do(a, "PROPFIND", book(a, "other"), propfindBody("D:resourcetype"), "Depth", "0"); rec.Code != http.StatusNotFound {
		t.Errorf("MKCOL refused by If made a notebook: PROPFIND %d", rec.Code)
	}
	if rec := e.do(a, "GET", n, "", "If", stale); rec.Code != http.StatusPreconditionFailed {
		t.Errorf("GET: %d, want 412", rec.Code)
	}
	_, current := e.state(w)
	if rec := e.do(a, "DELETE", n, "", "If", "<"+w+"> (<"+current+">)"); rec.Code != http.StatusNoContent {
		t.Errorf("DELETE with the current token: %d, want 204", rec.Code)
	}
}

// A tag naming another user's collection has no state for this user,
// even with that collection's real token: the header reveals nothing.
func TestIfHeader_OtherUsersResource(t *testing.T) {
	e := newEnv(t)
	a, b := e.alice, e.bob
	e.mkbook(a, "work")
	e.mkbook(b, "private")
	bobs, _, _ := e.propfind(b, book(b, "private"), "0", "D:sync-token").Prop(book(b, "private"), "sync-token")
	if bobs == "" {
		t.Fatal("bob's notebook has no sync-token")
	}
	n := note(a, "work", "n.txt")
	if rec := e.put(a, n, "uid-n\n", "If", "<"+book(b, "private")+"> (<"+bobs+">)"); rec.Code != http.StatusPreconditionFailed {
		t.Errorf("PUT tagged with bob's collection and its token: %d, want 412", rec.Code)
	}
	if rec := e.put(a, n, "uid-n\n", "If", "<"+book(b, "nothing")+"> (Not <"+bobs+">)"); rec.Code != http.StatusCreated {
		t.Errorf("PUT tagged with a collection bob does not have, Not: %d, want 201", rec.Code)
	}
}
