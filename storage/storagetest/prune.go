package storagetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"almanac/storage"
)

var pruneTests = []test{
	{"ByAge", testPruneByAge},
	{"Boundary", testPruneBoundary},
	{"RecentTokensStay", testPruneRecentTokens},
	{"SupersededBoundary", testPruneSuperseded},
	{"EveryCollection", testPruneEveryCollection},
	{"WritesAfterPrune", testPruneThenWrite},
	{"InitialSyncPaging", testInitialPagingAfterPrune},
	{"Canceled", testPruneCanceled},
}

// mark returns an instant after every change written so far and before
// every change written after it returns, as a store dates them to the
// microsecond or finer: a cutoff that falls exactly between two writes.
// It waits for the clock rather than sleeping, a few microseconds.
func mark() time.Time {
	t0 := time.Now()
	for !time.Now().After(t0) {
	}
	m := time.Now()
	for time.Now().Before(m.Add(time.Microsecond)) {
	}
	return m
}

func (f *fixture) prune(t *testing.T, cutoff time.Time) storage.PruneStats {
	t.Helper()
	st, err := f.s.PruneChanges(t.Context(), cutoff)
	if err != nil {
		t.Fatalf("PruneChanges(%v): %v", cutoff, err)
	}
	return st
}

func (f *fixture) wantPruned(t *testing.T, coll string, want uint64) {
	t.Helper()
	if got := f.coll(t, coll).Pruned; got != want {
		t.Fatalf("%s: Pruned %d, want %d", coll, got, want)
	}
}

// wantInvalid checks that positions fail with ErrInvalidSyncToken.
func (f *fixture) wantInvalid(t *testing.T, coll string, since ...uint64) {
	t.Helper()
	c := f.coll(t, coll)
	for _, s := range since {
		_, _, _, err := f.s.Changes(t.Context(), f.owner, coll, c.Incarnation, s, 0)
		if !errors.Is(err, storage.ErrInvalidSyncToken) {
			t.Fatalf("%s since %d (Pruned %d): err = %v, want ErrInvalidSyncToken", coll, s, c.Pruned, err)
		}
	}
}

// wantChanges checks the complete answer from each position.
func (f *fixture) wantChanges(t *testing.T, coll string, want map[uint64]string) {
	t.Helper()
	for since, w := range want {
		ch, reached, truncated := f.changes(t, coll, since, 0)
		if got := fmtChanges(ch); got != w || truncated || reached != f.seq(t, coll) {
			t.Fatalf("%s since %d: %q reached %d truncated %v; want %q", coll, since, got, reached, truncated, w)
		}
	}
}

func testPruneByAge(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	beforeAll := mark()
	f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "1")) // 1
	f.put(t, f.cal, "b.ics", "uid-b", ics("uid-b", "1")) // 2
	f.del(t, f.cal, "b.ics")                             // 3
	afterB := mark()
	f.put(t, f.cal, "c.ics", "uid-c", ics("uid-c", "1")) // 4
	f.del(t, f.cal, "c.ics")                             // 5
	f.put(t, f.cal, "d.ics", "uid-d", ics("uid-d", "1")) // 6
	c := f.coll(t, f.cal)

	if st := f.prune(t, beforeAll); st != (storage.PruneStats{}) {
		t.Fatalf("pruning before the first write: %+v", st)
	}
	f.wantPruned(t, f.cal, 0)

	if st := f.prune(t, afterB); st != (storage.PruneStats{Collections: 1, Tombstones: 1}) {
		t.Fatalf("pruning after b's deletion: %+v, want one collection, one tombstone", st)
	}
	after := f.coll(t, f.cal)
	if after.Pruned != 3 || after.Seq != c.Seq || after.Incarnation != c.Incarnation {
		t.Fatalf("after pruning up to b's deletion: %+v", after)
	}
	f.wantInvalid(t, f.cal, 1, 2)
	f.wantChanges(t, f.cal, map[uint64]string{
		0: "a.ics@1 d.ics@6", // the initial sync is unaffected
		3: "c.ics@5- d.ics@6",
		5: "d.ics@6",
		6: "",
	})
	f.wantData(t, f.cal, "a.ics", ics("uid-a", "1"))

	// The same cutoff again, or an earlier one, changes nothing.
	for _, cutoff := range []time.Time{afterB, beforeAll} {
		if st := f.prune(t, cutoff); st != (storage.PruneStats{}) {
			t.Fatalf("pruning again at %v: %+v", cutoff, st)
		}
		f.wantPruned(t, f.cal, 3)
	}

	// A cutoff after everything forgets all history: only the current
	// position and the initial sync remain.
	if st := f.prune(t, mark()); st != (storage.PruneStats{Collections: 1, Tombstones: 1}) {
		t.Fatalf("pruning everything: %+v", st)
	}
	f.wantPruned(t, f.cal, 6)
	f.wantInvalid(t, f.cal, 3, 5)
	f.wantChanges(t, f.cal, map[uint64]string{0: "a.ics@1 d.ics@6", 6: ""})
}

// testPruneBoundary pins the cutoff down: a change written at the cutoff
// is not before it and stays.
func testPruneBoundary(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "1")) // 1
	afterA := mark()
	b := f.put(t, f.cal, "b.ics", "uid-b", ics("uid-b", "1")) // 2
	afterB := mark()
	f.put(t, f.cal, "x.ics", "uid-x", ics("uid-x", "1")) // 3
	f.del(t, f.cal, "x.ics")                             // 4
	xGone := f.coll(t, f.cal).Modified
	afterX := mark()
	f.put(t, f.cal, "c.ics", "uid-c", ics("uid-c", "1")) // 5

	f.prune(t, afterA)
	f.wantPruned(t, f.cal, 1)
	f.prune(t, b.Modified)
	f.wantPruned(t, f.cal, 1)
	f.wantChanges(t, f.cal, map[uint64]string{1: "b.ics@2 x.ics@4- c.ics@5"})
	f.prune(t, b.Modified.Add(time.Nanosecond))
	f.wantPruned(t, f.cal, 2)
	f.wantInvalid(t, f.cal, 1)

	// x's write at 3 was before afterB but is superseded by its deletion,
	// which is not: nothing moves.
	f.prune(t, afterB)
	f.wantPruned(t, f.cal, 2)
	// A deletion is dated by the Modified it gives the collection.
	if st := f.prune(t, xGone); st.Tombstones != 0 {
		t.Fatalf("pruning at the deletion's time dropped its tombstone: %+v", st)
	}
	f.wantPruned(t, f.cal, 2)
	f.wantChanges(t, f.cal, map[uint64]string{2: "x.ics@4- c.ics@5"})
	if st := f.prune(t, xGone.Add(time.Nanosecond)); st != (storage.PruneStats{Collections: 1, Tombstones: 1}) {
		t.Fatalf("pruning just after the deletion: %+v", st)
	}
	f.wantPruned(t, f.cal, 4)
	f.wantInvalid(t, f.cal, 2, 3)
	f.wantChanges(t, f.cal, map[uint64]string{4: "c.ics@5"})
	f.prune(t, afterX)
	f.wantPruned(t, f.cal, 4)
}

// testPruneRecentTokens follows a client: a position handed out at or
// after the cutoff stays valid and gets exactly what changed since.
func testPruneRecentTokens(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	for i := range 3 {
		name := fmt.Sprint(i, ".ics")
		f.put(t, f.cal, name, "uid-"+name, ics("uid-"+name, "x")) // 1..3
	}
	f.del(t, f.cal, "0.ics") // 4
	_, token, _ := f.changes(t, f.cal, 0, 0)
	handedOut := mark()
	f.put(t, f.cal, "1.ics", "uid-1.ics", ics("uid-1.ics", "y")) // 5
	f.del(t, f.cal, "2.ics")                                     // 6
	f.put(t, f.cal, "3.ics", "uid-3.ics", ics("uid-3.ics", "x")) // 7

	f.prune(t, handedOut)
	if p := f.coll(t, f.cal).Pruned; p > token {
		t.Fatalf("pruning at the time a position was handed out moved Pruned to %d, past the position %d", p, token)
	}
	f.wantChanges(t, f.cal, map[uint64]string{token: "1.ics@5 2.ics@6- 3.ics@7"})

	// Once the later changes age too, the position is gone; the one the
	// client got from its last sync is not.
	_, latest, _ := f.changes(t, f.cal, token, 0)
	f.prune(t, mark())
	f.wantInvalid(t, f.cal, token)
	f.wantChanges(t, f.cal, map[uint64]string{latest: ""})
}

// testPruneSuperseded prunes at a cutoff that falls between a change and
// the rewrite of the same name: the first change is no longer in the log
// (one entry per name), so a store may stop below it, never after it.
func testPruneSuperseded(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "1")) // 1
	f.put(t, f.cal, "b.ics", "uid-b", ics("uid-b", "1")) // 2
	cutoff := mark()
	f.put(t, f.cal, "b.ics", "uid-b", ics("uid-b", "2")) // 3, supersedes 2

	f.prune(t, cutoff)
	p := f.coll(t, f.cal).Pruned
	if p < 1 || p > 2 {
		t.Fatalf("Pruned %d, want 1 (a's change, the newest in the log before the cutoff) or 2", p)
	}
	f.wantChanges(t, f.cal, map[uint64]string{p: "b.ics@3", 3: ""})
}

// testPruneEveryCollection prunes several accounts' calendars and address
// books in one call, leaving alone what is new.
func testPruneEveryCollection(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	bob := newAccount(t, s, "bob@example.org")
	g := &fixture{s: s, owner: bob.ID, cal: "cal"}
	newCollection(t, s, f.owner, "book", storage.KindAddressBook)
	newCollection(t, s, f.owner, "empty", storage.KindCalendar)
	newCollection(t, s, bob.ID, "cal", storage.KindCalendar)
	newCollection(t, s, bob.ID, "fresh", storage.KindCalendar)

	for _, x := range []struct {
		f    *fixture
		coll string
	}{{f, f.cal}, {f, "book"}, {g, "cal"}} {
		for i := range 3 {
			name := fmt.Sprint(i, ".obj")
			x.f.put(t, x.coll, name, "uid-"+name, ics("uid-"+name, "x"))
		}
		x.f.del(t, x.coll, "0.obj")
		x.f.del(t, x.coll, "1.obj") // Seq 5, two tombstones
	}
	cutoff := mark()
	g.put(t, "fresh", "new.obj", "uid-new", ics("uid-new", "x"))
	g.del(t, "fresh", "new.obj")

	st := f.prune(t, cutoff)
	if st != (storage.PruneStats{Collections: 3, Tombstones: 6}) {
		t.Fatalf("stats %+v, want 3 collections and 6 tombstones", st)
	}
	for _, x := range []struct {
		f      *fixture
		coll   string
		pruned uint64
	}{{f, f.cal, 5}, {f, "book", 5}, {f, "empty", 0}, {g, "cal", 5}, {g, "fresh", 0}} {
		x.f.wantPruned(t, x.coll, x.pruned)
		x.f.wantChanges(t, x.coll, map[uint64]string{x.pruned: ""})
	}
	f.wantInvalid(t, "book", 4)
	f.wantChanges(t, "book", map[uint64]string{0: "2.obj@3", 5: ""})
	g.wantChanges(t, "fresh", map[uint64]string{0: "", 1: "new.obj@2-"})
}

// testPruneThenWrite writes names whose history was forgotten: a member
// written before the horizon, and one whose tombstone was dropped.
func testPruneThenWrite(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "1")) // 1
	f.put(t, f.cal, "b.ics", "uid-b", ics("uid-b", "1")) // 2
	f.del(t, f.cal, "b.ics")                             // 3
	f.put(t, f.cal, "d.ics", "uid-d", ics("uid-d", "1")) // 4
	f.prune(t, mark())
	f.wantPruned(t, f.cal, 4)

	f.put(t, f.cal, "b.ics", "uid-b", ics("uid-b", "2")) // 5
	f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "2")) // 6
	f.del(t, f.cal, "d.ics")                             // 7
	f.wantChanges(t, f.cal, map[uint64]string{
		0: "b.ics@5 a.ics@6",
		4: "b.ics@5 a.ics@6 d.ics@7-",
		6: "d.ics@7-",
	})
	// The moved UID index and data survived too.
	_, _, err := s.Put(t.Context(), storage.PutObject{Owner: f.owner, Collection: f.cal, Name: "x.ics", UID: "uid-a", Data: ics("uid-a", "3")})
	var conflict *storage.UIDConflictError
	if !errors.As(err, &conflict) || conflict.Name != "a.ics" {
		t.Fatalf("err = %v, want a UID conflict with a.ics", err)
	}
	f.wantData(t, f.cal, "b.ics", ics("uid-b", "2"))

	f.prune(t, mark())
	f.wantPruned(t, f.cal, 7)
	f.wantChanges(t, f.cal, map[uint64]string{0: "b.ics@5 a.ics@6", 7: ""})
}

func testInitialPagingAfterPrune(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	want := map[string]string{}
	for i := range 6 {
		name := fmt.Sprint(i, ".ics")
		want[name] = f.put(t, f.cal, name, "uid-"+name, ics("uid-"+name, "x")).ETag
	}
	f.put(t, f.cal, "tmp.ics", "uid-tmp", ics("uid-tmp", "x"))
	f.del(t, f.cal, "tmp.ics")
	f.prune(t, mark())
	f.wantPruned(t, f.cal, 8)

	// Every position handed out must be usable even though all live
	// objects were written below the horizon.
	for _, limit := range []int{1, 2, 4} {
		got := map[string]string{}
		for _, c := range page(t, f, 0, limit) {
			if !c.Deleted {
				got[c.Name] = c.ETag
			}
		}
		if !maps.Equal(got, want) {
			t.Fatalf("limit %d: %v, want %v", limit, got, want)
		}
	}
}

func testPruneCanceled(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "1"))
	f.del(t, f.cal, "a.ics")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.PruneChanges(ctx, mark()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	f.wantPruned(t, f.cal, 0)
	f.wantChanges(t, f.cal, map[uint64]string{1: "a.ics@2-"})
}
