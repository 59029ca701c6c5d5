package davtree_test

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"

	"almanac/auth"
	"almanac/internal/dav"
	"almanac/internal/davtest"
	"almanac/internal/davtree"
	"almanac/storage"
)

// REPORTs on a home search the collections in it (RFC 4791 7.2, RFC 6352
// 8.2), shared ones included and seen as at their own URLs.

// homeMultigetBody names hrefs in a notes multiget asking for the data.
func homeMultigetBody(hrefs ...string) string {
	b := `<N:notes-multiget` + xmlns + `><D:prop><D:getetag/><N:note-data/></D:prop>`
	for _, h := range hrefs {
		b += "<D:href>" + h + "</D:href>"
	}
	return b + "</N:notes-multiget>"
}

func TestHomeMultiget_Notes(t *testing.T) {
	e, mount := shareEnv(t, storage.AccessRead)
	a, b := e.alice, e.bob
	e.mustPut(b, note(b, "contacts", "mine.txt"), "uid-mine\n")
	rec := e.do(b, "REPORT", home(b), homeMultigetBody(
		note(b, "contacts", "mine.txt"),
		mount+"pub.txt",
		mount+"sec.txt",
		mount+"priv.txt",             // hidden from the read-only sharee
		mount+"pub%2Etxt",            // pub.txt again, spelled otherwise
		note(b, "nope", "x.txt"),     // no such notebook
		note(a, "shared", "pub.txt"), // the owner's URL: another namespace
		book(b, "contacts"),          // a collection, not a member
		home(b)+"contacts/deeper/x.txt",
	))
	m := davtest.ParseMS(t, rec)
	want := map[string]int{
		note(b, "contacts", "mine.txt"): 200, mount + "pub.txt": 200, mount + "sec.txt": 200,
		mount + "priv.txt": 404, note(b, "nope", "x.txt"): 404,
		note(a, "shared", "pub.txt"): 403, book(b, "contacts"): 403, home(b) + "contacts/deeper/x.txt": 403,
	}
	got := statuses(m)
	if len(m.Responses) != len(want) {
		t.Errorf("%d responses, want %d: %v", len(m.Responses), len(want), m.Hrefs())
	}
	for h, st := range want {
		if got[h] != st {
			t.Errorf("%s: %d, want %d", h, got[h], st)
		}
	}
	if data, _, _ := m.Prop(mount+"sec.txt", "note-data"); data != "uid-sec\nsecret: ***\nrest\n" {
		t.Errorf("shared note not redacted: %q", data)
	}
	// The ETag is the sharee's view's, as at the mount's own URL.
	direct := davtest.ParseMS(t, e.do(b, "REPORT", mount, homeMultigetBody(mount+"sec.txt")))
	x, _, _ := direct.Prop(mount+"sec.txt", "getetag")
	y, _, _ := m.Prop(mount+"sec.txt", "getetag")
	if x == "" || x != y {
		t.Errorf("ETag %q on the home, %q on the mount", y, x)
	}
	// Sync stays per collection.
	davtest.WantError(t, e.do(b, "REPORT", home(b), syncBody("")), http.StatusForbidden, "supported-report")
}

// homeNotes is the notes kind serving note-index on its home too, the
// way caldav and carddav serve their queries: through QueryScope.
type homeNotes struct {
	*noteKind
	spec davtree.Spec
}

func (k *homeNotes) Spec() *davtree.Spec { return &k.spec }

func (k *homeNotes) Report(w http.ResponseWriter, r *http.Request, t *davtree.Target, root xml.Name, body []byte) error {
	if t.Type == davtree.Member {
		return k.noteKind.Report(w, r, t, root, body)
	}
	depth, err := dav.ParseDepth(r.Header.Get("Depth"), dav.DepthOne)
	if err != nil {
		return err
	}
	pf, err := davtree.ReportProps(body)
	if err != nil {
		return err
	}
	scope, err := t.QueryScope(r.Context(), depth)
	if err != nil {
		return err
	}
	ms := dav.NewMultistatus(w, r)
	for _, ct := range scope {
		src := davtree.NewMemberSource(ct, nil)
		err := ct.List(r.Context(), func(m *storage.ObjectMeta) error {
			src.Meta = m
			return ms.Propfind(ct.MemberHref(m.Name), pf, src)
		})
		if err != nil {
			return err
		}
	}
	return ms.Close("")
}

func TestQueryScope(t *testing.T) {
	e, mount := shareEnv(t, storage.AccessRead)
	a, b := e.alice, e.bob
	e.mustPut(b, note(b, "contacts", "mine.txt"), "uid-mine\n")
	hk := &homeNotes{noteKind: e.notes, spec: *e.notes.Spec()}
	hk.spec.HomeReports = []xml.Name{rNoteIndex}
	e.tree = davtree.New(e.store, davtree.Options{Principal: auth.AccountFrom}, hk)
	index := `<N:note-index` + xmlns + `><D:prop><D:getetag/></D:prop></N:note-index>`

	got := davtest.ParseMS(t, e.do(b, "REPORT", home(b), index, "Depth", "1")).Hrefs()
	if want := []string{note(b, "contacts", "mine.txt"), mount + "pub.txt", mount + "sec.txt"}; !slices.Equal(got, want) {
		t.Errorf("Depth 1 on bob's home: %v, want %v (own collections, then mounts; private hidden)", got, want)
	}
	if got := davtest.ParseMS(t, e.do(b, "REPORT", home(b), index, "Depth", "0")).Hrefs(); len(got) != 0 {
		t.Errorf("Depth 0 on the home: %v", got)
	}
	if got := davtest.ParseMS(t, e.do(b, "REPORT", mount, index, "Depth", "0")).Hrefs(); len(got) != 0 {
		t.Errorf("Depth 0 on a collection: %v", got)
	}
	got = davtest.ParseMS(t, e.do(a, "REPORT", home(a), index, "Depth", "1")).Hrefs()
	for _, h := range []string{note(a, "shared", "priv.txt"), note(a, "shared", "pub.txt")} {
		if !slices.Contains(got, h) {
			t.Errorf("the owner's home lacks %s: %v", h, got)
		}
	}
	for _, h := range got {
		if !strings.HasPrefix(h, home(a)) {
			t.Errorf("alice's home answers %s", h)
		}
	}
	// A kind's report not in HomeReports is refused on the home.
	e.tree = davtree.New(e.store, davtree.Options{Principal: auth.AccountFrom}, e.notes)
	davtest.WantError(t, e.do(b, "REPORT", home(b), index, "Depth", "1"), http.StatusForbidden, "supported-report")
}
