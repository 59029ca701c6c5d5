package storagetest

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"almanac/storage"
)

var changeTests = []test{
	{"Log", testChangeLog},
	{"OneEntryPerName", testOneEntryPerName},
	{"Resurrect", testResurrect},
	{"LimitPaging", testChangesPaging},
	{"InitialSyncPaging", testInitialSyncPaging},
	{"InvalidTokens", testInvalidTokens},
}

func testChangeLog(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	a1 := f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "1")) // 1
	f.put(t, f.cal, "b.ics", "uid-b", ics("uid-b", "1"))       // 2
	a3 := f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "3")) // 3
	f.del(t, f.cal, "b.ics")                                   // 4
	c5 := f.put(t, f.cal, "c.ics", "uid-c", ics("uid-c", "5")) // 5
	if a1.Seq != 1 || c5.Seq != 5 {
		t.Fatalf("first write at %d, fifth at %d; want 1 and 5", a1.Seq, c5.Seq)
	}
	etags := map[string]string{"a.ics": a3.ETag, "c.ics": c5.ETag}

	cases := []struct {
		since uint64
		want  string
	}{
		{0, "a.ics@3 c.ics@5"}, // initial sync: live objects only
		{1, "a.ics@3 b.ics@4- c.ics@5"},
		{2, "a.ics@3 b.ics@4- c.ics@5"},
		{3, "b.ics@4- c.ics@5"},
		{4, "c.ics@5"},
		{5, ""},
	}
	for _, tc := range cases {
		ch, reached, truncated := f.changes(t, f.cal, tc.since, 0)
		if got := fmtChanges(ch); got != tc.want || reached != 5 || truncated {
			t.Fatalf("since %d: %q reached %d truncated %v; want %q reached 5", tc.since, got, reached, truncated, tc.want)
		}
		for _, c := range ch {
			if c.Deleted && c.ETag != "" {
				t.Fatalf("since %d: deleted %s carries ETag %s", tc.since, c.Name, c.ETag)
			}
			if !c.Deleted && c.ETag != etags[c.Name] {
				t.Fatalf("since %d: %s ETag %s, want %s", tc.since, c.Name, c.ETag, etags[c.Name])
			}
		}
	}
}

func testOneEntryPerName(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	f.put(t, f.cal, "b.ics", "uid-b", ics("uid-b", "b")) // 1
	var last *storage.ObjectMeta
	for i := range 10 {
		last = f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", fmt.Sprint(i))) // 2..11
	}
	f.del(t, f.cal, "b.ics")                             // 12
	f.put(t, f.cal, "b.ics", "uid-b", ics("uid-b", "b")) // 13
	f.del(t, f.cal, "b.ics")                             // 14

	for since, want := range map[uint64]string{
		0:  "a.ics@11",
		1:  "a.ics@11 b.ics@14-",
		5:  "a.ics@11 b.ics@14-",
		11: "b.ics@14-",
		12: "b.ics@14-",
	} {
		ch, _, _ := f.changes(t, f.cal, since, 0)
		if got := fmtChanges(ch); got != want {
			t.Fatalf("since %d: %q, want %q", since, got, want)
		}
	}
	if last.Seq != 11 {
		t.Fatalf("last write of a.ics at %d, want 11", last.Seq)
	}
}

func testResurrect(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "1")) // 1
	f.del(t, f.cal, "a.ics")                             // 2
	m := f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "3"))
	for _, since := range []uint64{0, 1, 2} {
		ch, _, _ := f.changes(t, f.cal, since, 0)
		if got := fmtChanges(ch); got != "a.ics@3" || ch[0].ETag != m.ETag {
			t.Fatalf("since %d: %q (%+v), want the live a.ics@3", since, got, ch)
		}
	}
}

// page follows a paged change log from since until it is complete,
// checking the paging contract on the way.
func page(t *testing.T, f *fixture, since uint64, limit int) []storage.Change {
	t.Helper()
	var all []storage.Change
	for range 1000 {
		ch, reached, truncated := f.changes(t, f.cal, since, limit)
		if len(ch) > 0 && reached < ch[len(ch)-1].Seq {
			t.Fatalf("reached %d before the last returned change %d", reached, ch[len(ch)-1].Seq)
		}
		if !slices.IsSortedFunc(ch, func(a, b storage.Change) int { return int(a.Seq) - int(b.Seq) }) {
			t.Fatalf("changes out of sequence order: %s", fmtChanges(ch))
		}
		all = append(all, ch...)
		if !truncated {
			if want := f.seq(t, f.cal); reached != want {
				t.Fatalf("complete answer reached %d, want Seq %d", reached, want)
			}
			return all
		}
		if reached == since {
			t.Fatalf("truncated answer made no progress from %d", since)
		}
		since = reached
	}
	t.Fatal("paging does not end")
	return nil
}

func testChangesPaging(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	for i := range 10 {
		f.put(t, f.cal, fmt.Sprintf("%02d.ics", i), fmt.Sprint("uid-", i), ics(fmt.Sprint("uid-", i), "x")) // 1..10
	}
	f.del(t, f.cal, "03.ics")                                   // 11
	f.put(t, f.cal, "05.ics", "uid-5", ics("uid-5", "changed")) // 12
	full, _, _ := f.changes(t, f.cal, 1, 0)
	if got, want := fmtChanges(full), "01.ics@2 02.ics@3 04.ics@5 06.ics@7 07.ics@8 08.ics@9 09.ics@10 03.ics@11- 05.ics@12"; got != want {
		t.Fatalf("full log %q, want %q", got, want)
	}

	ch, reached, truncated := f.changes(t, f.cal, 1, 3)
	if fmtChanges(ch) != "01.ics@2 02.ics@3 04.ics@5" || reached != 5 || !truncated {
		t.Fatalf("first page %q reached %d truncated %v", fmtChanges(ch), reached, truncated)
	}
	for _, limit := range []int{1, 2, 3, 4, 9} {
		if got := fmtChanges(page(t, f, 1, limit)); got != fmtChanges(full) {
			t.Fatalf("limit %d pages to %q, want %q", limit, got, fmtChanges(full))
		}
	}
	// A limit that exactly fits is not a truncation.
	ch, reached, truncated = f.changes(t, f.cal, 1, len(full))
	if len(ch) != len(full) || truncated || reached != 12 {
		t.Fatalf("exact limit: %d changes reached %d truncated %v", len(ch), reached, truncated)
	}
}

func testInitialSyncPaging(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	want := map[string]string{}
	for i := range 7 {
		name := fmt.Sprintf("%02d.ics", 6-i) // name order differs from write order
		want[name] = f.put(t, f.cal, name, "uid-"+name, ics("uid-"+name, "x")).ETag
	}
	f.del(t, f.cal, "03.ics")
	delete(want, "03.ics")
	f.put(t, f.cal, "06.ics", "uid-06.ics", ics("uid-06.ics", "y"))
	want["06.ics"] = storage.ETagOf(ics("uid-06.ics", "y"))

	for _, limit := range []int{0, 1, 2, 5, 6, 100} {
		got := map[string]string{}
		for _, c := range page(t, f, 0, limit) {
			if c.Deleted {
				// Later pages may report deletions after the initial
				// position; a client drops what it never had.
				delete(got, c.Name)
				continue
			}
			got[c.Name] = c.ETag
		}
		if !maps.Equal(got, want) {
			t.Fatalf("initial sync with limit %d = %v, want %v", limit, got, want)
		}
	}
}

func testInvalidTokens(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	for i := range 3 {
		f.put(t, f.cal, fmt.Sprint(i, ".ics"), fmt.Sprint("uid-", i), ics(fmt.Sprint("uid-", i), "x"))
	}
	c := f.coll(t, f.cal)
	cases := []struct {
		name        string
		incarnation string
		since       uint64
	}{
		{"wrong-incarnation-initial", c.Incarnation + "x", 0},
		{"wrong-incarnation", c.Incarnation + "x", 2},
		{"empty-incarnation", "", 1},
		{"from-the-future", c.Incarnation, c.Seq + 1},
		{"far-future", c.Incarnation, 1 << 62},
	}
	for _, tc := range cases {
		_, _, _, err := s.Changes(ctx, f.owner, f.cal, tc.incarnation, tc.since, 0)
		if err == nil {
			t.Fatalf("%s: no error", tc.name)
		}
		wantErr(t, err, storage.ErrInvalidSyncToken)
	}
	ch, reached, _ := f.changes(t, f.cal, c.Seq, 0)
	if len(ch) != 0 || reached != c.Seq {
		t.Fatalf("since Seq: %q reached %d", fmtChanges(ch), reached)
	}
}
