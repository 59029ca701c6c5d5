package davtree_test

import (
	"net/http"
	"strings"
	"testing"

	"almanac/internal/davtest"
)

// A resource's UID never changes: RFC 4791 5.3.2.1 and RFC 6352 6.3.2.1
// (no-uid-conflict) forbid overwriting a resource "with one that has a
// different UID property value", by PUT, COPY or MOVE. The answer is 403
// with the kind's no-uid-conflict element naming the member in the way,
// and nothing changes in either collection.
func TestUIDCannotChange(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	e.mkbook(a, "home")
	u := note(a, "work", "u.txt")
	e.mustPut(a, u, "uid-A\nfirst\n")
	e.mustPut(a, note(a, "work", "v.txt"), "uid-V\n")
	e.mustPut(a, note(a, "home", "w.txt"), "uid-W\n")
	e.mustPut(a, note(a, "home", "same.txt"), "uid-A\nthe same resource\n")
	seqs := map[string]uint64{"work": e.coll(a, "work").Seq, "home": e.coll(a, "home").Seq}

	for _, tc := range []struct {
		name, method, path, body string
		hdr                      []string
		inTheWay                 string // href the error names
	}{
		{"PUT with another UID", "PUT", u, "uid-B\nsecond\n", []string{"Content-Type", "text/plain"}, u},
		{"PUT with another UID, If-Match *", "PUT", u, "uid-B\nsecond\n", []string{"Content-Type", "text/plain", "If-Match", "*"}, u},
		{"COPY onto another UID", "COPY", u, "", []string{"Destination", note(a, "home", "w.txt")}, note(a, "home", "w.txt")},
		{"MOVE onto another UID", "MOVE", u, "", []string{"Destination", note(a, "home", "w.txt"), "Overwrite", "T"}, note(a, "home", "w.txt")},
		{"MOVE within the notebook onto another UID", "MOVE", u, "", []string{"Destination", note(a, "work", "v.txt")}, note(a, "work", "v.txt")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do(a, tc.method, tc.path, tc.body, tc.hdr...)
			davtest.WantError(t, rec, http.StatusForbidden, "no-uid-conflict")
			if !strings.Contains(rec.Body.String(), "<D:href>"+tc.inTheWay+"</D:href>") {
				t.Errorf("the conflict does not name %s: %s", tc.inTheWay, rec.Body)
			}
		})
	}
	for coll, seq := range seqs {
		if got := e.coll(a, coll).Seq; got != seq {
			t.Errorf("%s: seq %d -> %d after refused writes", coll, seq, got)
		}
	}
	for _, m := range []struct{ coll, name, want string }{
		{"work", "u.txt", "uid-A\nfirst\n"}, {"work", "v.txt", "uid-V\n"}, {"home", "w.txt", "uid-W\n"},
	} {
		if got := e.stored(a, m.coll, m.name); got != m.want {
			t.Errorf("%s/%s = %q, want %q", m.coll, m.name, got, m.want)
		}
	}

	// The same UID may be written over: an update, and a MOVE onto the
	// resource's copy in another notebook.
	if rec := e.put(a, u, "uid-A\nsecond\n"); rec.Code != http.StatusNoContent {
		t.Errorf("update with the same UID: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(a, "MOVE", u, "", "Destination", note(a, "home", "same.txt")); rec.Code != http.StatusNoContent {
		t.Errorf("MOVE onto the same UID: %d %s", rec.Code, rec.Body)
	}
	if got := e.stored(a, "home", "same.txt"); got != "uid-A\nsecond\n" {
		t.Errorf("moved member = %q", got)
	}
}
