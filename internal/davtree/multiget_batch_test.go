package davtree_test

import (
	"context"
	"fmt"
	"testing"

	"almanac/auth"
	"almanac/internal/davtest"
	"almanac/internal/davtree"
	"almanac/storage"
)

// countingStore counts the member reads a request makes and can spend
// GetMany's byte budget at the first member, as if every one were large.
type countingStore struct {
	storage.Store
	gets, getManys int
	stats, lists   int
	oneAtATime     bool
}

func (s *countingStore) Stat(ctx context.Context, owner, coll, name string) (*storage.ObjectMeta, error) {
	s.stats++
	return s.Store.Stat(ctx, owner, coll, name)
}

func (s *countingStore) List(ctx context.Context, owner, coll string, fn func(*storage.ObjectMeta) error) error {
	s.lists++
	return s.Store.List(ctx, owner, coll, fn)
}

func (s *countingStore) Get(ctx context.Context, owner, coll, name string) (*storage.Object, error) {
	s.gets++
	return s.Store.Get(ctx, owner, coll, name)
}

func (s *countingStore) GetMany(ctx context.Context, owner, coll string, names []string, maxBytes int64) ([]*storage.Object, int, error) {
	s.getManys++
	if s.oneAtATime {
		maxBytes = 1
	}
	return s.Store.GetMany(ctx, owner, coll, names, maxBytes)
}

// A multiget reads its members' data a batch at a time, one read per
// batch rather than one per member, and answers every href in the order
// asked whatever the batches: missing members, hrefs it refuses and
// repeated members where they were named, and members a read left for
// the next one.
func TestMultigetReadsInBatches(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	w := book(a, "work")
	var hrefs []string
	for i := range 150 {
		name := fmt.Sprintf("n%03d.txt", i)
		e.mustPut(a, note(a, "work", name), fmt.Sprintf("uid-%d\n", i))
		hrefs = append(hrefs, note(a, "work", name))
	}
	missing, refused := note(a, "work", "missing.txt"), note(e.bob, "work", "x.txt")
	hrefs = append(hrefs[:70], append([]string{missing, refused, hrefs[3]}, hrefs[70:]...)...)

	cs := &countingStore{Store: e.store}
	e.tree = davtree.New(cs, davtree.Options{MaxResourceSize: testMaxSize, Principal: auth.AccountFrom}, e.notes, e.lists)
	m := davtest.ParseMS(t, e.do(a, "REPORT", w, multigetBody("<D:getetag/><N:note-data/>", hrefs...)))
	var order []string
	for _, r := range m.Responses {
		order = append(order, r.Href)
	}
	want := append(append([]string{}, hrefs[:72]...), hrefs[73:]...) // the repeat answered once
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("answers in the order\n%v\nwant\n%v", order, want)
	}
	got := statuses(m)
	for _, h := range want {
		st := 200
		switch h {
		case missing:
			st = 404
		case refused:
			st = 403
		}
		if got[h] != st {
			t.Errorf("%s: %d, want %d", h, got[h], st)
		}
	}
	for _, i := range []int{0, 63, 64, 127, 128, 149} {
		h := note(a, "work", fmt.Sprintf("n%03d.txt", i))
		if data, _, _ := m.Prop(h, "note-data"); data != fmt.Sprintf("uid-%d\n", i) {
			t.Errorf("%s: note-data %q", h, data)
		}
	}
	// 151 members to read (the missing one too): batches of 64, 64, 23.
	if cs.gets != 0 || cs.getManys != 3 {
		t.Errorf("%d reads of one member and %d of many, want 0 and 3", cs.gets, cs.getManys)
	}

	// When a read stops at its byte budget the rest is read next.
	cs.gets, cs.getManys, cs.oneAtATime = 0, 0, true
	m = davtest.ParseMS(t, e.do(a, "REPORT", w, multigetBody("<N:note-data/>", hrefs[:5]...)))
	for i, h := range hrefs[:5] {
		if data, _, _ := m.Prop(h, "note-data"); data != fmt.Sprintf("uid-%d\n", i) || len(m.Responses) != 5 {
			t.Errorf("%s: note-data %q of %d answers", h, data, len(m.Responses))
		}
	}
	if cs.getManys != 5 {
		t.Errorf("%d reads of five members one at a time", cs.getManys)
	}
}

// syncMembers is how many members syncFixture writes.
const syncMembers = 150

// syncFixture is alice's notebook "work" with syncMembers members
// n000.txt… holding "uid-i", n007.txt then deleted, served through a
// countingStore.
func syncFixture(t *testing.T) (*env, *countingStore) {
	t.Helper()
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	for i := range syncMembers {
		e.mustPut(a, note(a, "work", fmt.Sprintf("n%03d.txt", i)), fmt.Sprintf("uid-%d\n", i))
	}
	if rec := e.do(a, "DELETE", note(a, "work", "n007.txt"), ""); rec.Code != 204 {
		t.Fatalf("DELETE %d", rec.Code)
	}
	cs := &countingStore{Store: e.store}
	e.tree = davtree.New(cs, davtree.Options{MaxResourceSize: testMaxSize, Principal: auth.AccountFrom}, e.notes, e.lists)
	return e, cs
}

// sync-collection with data reads the changed members a batch at a time,
// and answers each change once with its data, a deleted one with 404.
func TestSyncWithDataReadsInBatches(t *testing.T) {
	e, cs := syncFixture(t)
	a, w, n, gone := e.alice, book(e.alice, "work"), syncMembers, note(e.alice, "work", "n007.txt")
	m := davtest.ParseMS(t, e.do(a, "REPORT", w, syncBody("", "<N:note-data/>")))
	got := statuses(m)
	for i := range n {
		h := note(a, "work", fmt.Sprintf("n%03d.txt", i))
		data, _, _ := m.Prop(h, "note-data")
		switch {
		case h == gone:
			if st, ok := got[h]; ok && st != 404 {
				t.Errorf("deleted %s: %d", h, st)
			}
		case got[h] != 200 || data != fmt.Sprintf("uid-%d\n", i):
			t.Errorf("%s: %d %q", h, got[h], data)
		}
	}
	if cs.gets != 0 || cs.getManys != 3 {
		t.Errorf("%d reads of one member and %d of many, want 0 and 3", cs.gets, cs.getManys)
	}
}

// An initial sync asking for more than ETags answers every member from
// one listing of the collection, with each member's own properties and
// none deleted; a later sync reads its few changes one by one.
func TestInitialSyncWithPropertiesListsOnce(t *testing.T) {
	e, cs := syncFixture(t)
	a, w, n, gone := e.alice, book(e.alice, "work"), syncMembers, note(e.alice, "work", "n007.txt")
	m := davtest.ParseMS(t, e.do(a, "REPORT", w, syncBody("", "<D:getetag/><D:getcontenttype/>")))
	if len(m.Responses) != n-1 {
		t.Fatalf("%d answers, want %d", len(m.Responses), n-1)
	}
	for i := range n {
		h := note(a, "work", fmt.Sprintf("n%03d.txt", i))
		etag, _, _ := m.Prop(h, "getetag")
		ctype, _, _ := m.Prop(h, "getcontenttype")
		if h == gone {
			if etag != "" {
				t.Errorf("deleted %s answered", h)
			}
			continue
		}
		st, err := e.store.Stat(t.Context(), a.ID, "work", fmt.Sprintf("n%03d.txt", i))
		if err != nil {
			t.Fatal(err)
		}
		if etag != st.ETag || ctype == "" {
			t.Errorf("%s: getetag %q (stored %q), getcontenttype %q", h, etag, st.ETag, ctype)
		}
	}
	if cs.stats != 0 || cs.lists != 1 {
		t.Errorf("%d reads of one member's metadata and %d listings, want 0 and 1", cs.stats, cs.lists)
	}

	token := m.SyncToken
	e.mustPut(a, note(a, "work", "n001.txt"), "uid-1\nchanged\n")
	e.mustPut(a, note(a, "work", "new.txt"), "uid-new\n")
	if rec := e.do(a, "DELETE", note(a, "work", "n002.txt"), ""); rec.Code != 204 {
		t.Fatalf("DELETE %d", rec.Code)
	}
	cs.stats, cs.lists = 0, 0
	m = davtest.ParseMS(t, e.do(a, "REPORT", w, syncBody(token, "<D:getetag/><D:getcontenttype/>")))
	got := statuses(m)
	if len(m.Responses) != 3 || got[note(a, "work", "n001.txt")] != 200 || got[note(a, "work", "new.txt")] != 200 ||
		got[note(a, "work", "n002.txt")] != 404 {
		t.Errorf("incremental answers %v", got)
	}
	if cs.stats != 2 || cs.lists != 0 {
		t.Errorf("%d reads of one member's metadata and %d listings, want 2 and 0", cs.stats, cs.lists)
	}
}
