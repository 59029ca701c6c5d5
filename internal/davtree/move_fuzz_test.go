package davtree_test

import (
	"net/http"
	"testing"
)

// FuzzMoveCollection sends MOVE and COPY of alice's notebook with
// arbitrary Destination, Overwrite, Depth and If-Match headers. Whatever
// arrives, the answer is no server error (env.do also checks the body),
// bob's notebook is untouched, and alice's note is in exactly one of her
// collections: a rename may move it, a refused request must leave it, and
// nothing may lose or double it. The notebook it was in is looked up
// afresh each time, as earlier inputs may have renamed it.
func FuzzMoveCollection(f *testing.F) {
	e := newEnv(f)
	a, b := e.alice, e.bob
	e.mkbook(a, "work")
	e.mkbook(a, "spare")
	e.mustPut(a, note(a, "work", "w.txt"), "uid-w\n")
	e.mkbook(b, "diary")
	e.mustPut(b, note(b, "diary", "d.txt"), "uid-d\n")
	before := e.coll(b, "diary").Seq

	for _, seed := range []struct{ method, dest, overwrite, depth, ifMatch string }{
		{"MOVE", book(a, "renamed"), "", "", ""},
		{"MOVE", book(a, "spare"), "T", "infinity", ""},
		{"MOVE", book(a, "spare"), "F", "", ""},
		{"MOVE", book(b, "diary"), "T", "", ""},
		{"MOVE", "http://example.com" + book(a, "x"), "", "", `"x"`},
		{"MOVE", book(a, "default"), "T", "", ""},
		{"MOVE", book(a, "work") + "inner/", "", "0", ""},
		{"MOVE", "/dav/lists/" + a.ID + "/w/", "", "", ""},
		{"MOVE", home(a) + "a%2Fb/", "", "", ""},
		{"COPY", book(a, "copy"), "", "", ""},
	} {
		f.Add(seed.method, seed.dest, seed.overwrite, seed.depth, seed.ifMatch)
	}
	f.Fuzz(func(t *testing.T, method, dest, overwrite, depth, ifMatch string) {
		if method != "MOVE" && method != "COPY" {
			return
		}
		for _, h := range []string{dest, overwrite, depth, ifMatch} {
			if !validHeader(h) {
				return
			}
		}
		ee := *e
		ee.t = t
		src := ""
		colls, err := e.store.ListCollections(t.Context(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range colls {
			if ee.stored(a, c.Name, "w.txt") != "" {
				src = c.Name
			}
		}
		if src == "" {
			t.Fatal("alice's note is gone")
		}
		var h []string
		for _, kv := range [][2]string{{"Destination", dest}, {"Overwrite", overwrite}, {"Depth", depth}, {"If-Match", ifMatch}} {
			if kv[1] != "" {
				h = append(h, kv[0], kv[1])
			}
		}
		rec := ee.do(a, method, book(a, src), "", h...)
		// 502 is RFC 4918 9.9.4's answer to a Destination on another
		// server; any other 5xx is the server's fault.
		if rec.Code >= 500 && rec.Code != http.StatusBadGateway {
			t.Fatalf("%s %s %v: %d %s", method, src, h, rec.Code, rec.Body)
		}
		if seq := ee.coll(b, "diary").Seq; seq != before || ee.stored(b, "diary", "d.txt") != "uid-d\n" {
			t.Fatalf("%s %s %v changed bob's notebook", method, src, h)
		}
		colls, err = e.store.ListCollections(t.Context(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		holders := 0
		for _, c := range colls {
			if ee.stored(a, c.Name, "w.txt") == "uid-w\n" {
				holders++
			}
		}
		if holders != 1 {
			t.Fatalf("%s %s %v: alice's note is in %d collections", method, src, h, holders)
		}
		if rec.Code == http.StatusCreated || rec.Code == http.StatusNoContent {
			if ee.stored(a, src, "w.txt") != "" {
				t.Fatalf("%s %s %v: %d, but the notebook is still there", method, src, h, rec.Code)
			}
		}
	})
}
