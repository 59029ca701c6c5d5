package storagetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"almanac/storage"
)

var concurrencyTests = []test{
	{"ParallelPuts", testParallelPuts},
	{"RacingUID", testRacingUID},
	{"RacingCreate", testRacingCreate},
	{"MixedWriters", testMixedWriters},
}

const writers = 8

// run starts n goroutines running fn(i) and waits for them.
func run(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { fn(i) })
	}
	wg.Wait()
}

func testParallelPuts(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	const each = 20
	metas := make([][]*storage.ObjectMeta, writers)
	errs := make([]error, writers)
	run(writers, func(w int) {
		for i := range each {
			uid := fmt.Sprintf("uid-%d-%d", w, i)
			m, created, err := s.Put(t.Context(), storage.PutObject{
				Owner: f.owner, Collection: f.cal, Name: uid + ".ics", UID: uid,
				Component: "VEVENT", ContentType: "text/calendar", Data: ics(uid, "parallel"),
			})
			if err == nil && !created {
				err = fmt.Errorf("%s: created = false", uid)
			}
			if err != nil {
				errs[w] = err
				return
			}
			metas[w] = append(metas[w], m)
		}
	})
	ok(t, errors.Join(errs...))

	const total = writers * each
	var seqs []uint64
	for _, ms := range metas {
		for _, m := range ms {
			seqs = append(seqs, m.Seq)
		}
	}
	slices.Sort(seqs)
	for i, seq := range seqs {
		if seq != uint64(i+1) {
			t.Fatalf("sorted Seqs %v: position %d holds %d; want 1..%d without gaps or repeats", seqs, i, seq, total)
		}
	}
	if got := f.seq(t, f.cal); got != total {
		t.Fatalf("collection Seq %d, want %d", got, total)
	}
	if n := len(f.names(t, f.cal)); n != total {
		t.Fatalf("List has %d objects, want %d", n, total)
	}
	ch, _, _ := f.changes(t, f.cal, 1, 0)
	if len(ch) != total-1 {
		t.Fatalf("change log after 1 has %d entries, want %d", len(ch), total-1)
	}
	for w, ms := range metas {
		for _, m := range ms {
			o, err := s.Get(t.Context(), f.owner, f.cal, m.Name)
			ok(t, err)
			if !sameMeta(o.ObjectMeta, *m) {
				t.Fatalf("writer %d: stored %+v, Put returned %+v", w, o.ObjectMeta, *m)
			}
		}
	}
}

func testRacingUID(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	errs := make([]error, writers)
	run(writers, func(w int) {
		_, _, errs[w] = s.Put(t.Context(), storage.PutObject{
			Owner: f.owner, Collection: f.cal, Name: fmt.Sprint(w, ".ics"), UID: "shared",
			Data: ics("shared", fmt.Sprint(w)),
		})
	})
	winner := -1
	for w, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Fatalf("writers %d and %d both stored UID shared", winner, w)
			}
			winner = w
		}
	}
	if winner < 0 {
		t.Fatalf("no writer succeeded: %v", errs)
	}
	for w, err := range errs {
		var conflict *storage.UIDConflictError
		if w != winner && (!errors.As(err, &conflict) || conflict.Name != fmt.Sprint(winner, ".ics")) {
			t.Fatalf("writer %d: err = %v, want conflict with %d.ics", w, err, winner)
		}
	}
	if names := f.names(t, f.cal); !slices.Equal(names, []string{fmt.Sprint(winner, ".ics")}) {
		t.Fatalf("List = %v", names)
	}
	if got := f.seq(t, f.cal); got != 1 {
		t.Fatalf("Seq %d, want 1", got)
	}
}

func testRacingCreate(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	errs := make([]error, writers)
	run(writers, func(w int) {
		_, _, errs[w] = s.Put(t.Context(), storage.PutObject{
			Owner: f.owner, Collection: f.cal, Name: "same.ics", UID: "uid-same",
			Data: ics("uid-same", fmt.Sprint(w)), If: ifNoneMatchAny,
		})
	})
	winner := -1
	for w, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both created same.ics", winner, w)
		case err == nil:
			winner = w
		case !errors.Is(err, storage.ErrPreconditionFailed):
			t.Fatalf("writer %d: %v", w, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer created same.ics")
	}
	f.wantData(t, f.cal, "same.ics", ics("uid-same", fmt.Sprint(winner)))
	if got := f.seq(t, f.cal); got != 1 {
		t.Fatalf("Seq %d, want 1", got)
	}
}

// testMixedWriters runs puts, deletes and transfers over two collections
// at once and checks the logs agree with the final state.
func testMixedWriters(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "other", storage.KindCalendar)
	for w := range writers {
		f.put(t, f.cal, fmt.Sprint("seed", w, ".ics"), fmt.Sprint("seed-", w), ics(fmt.Sprint("seed-", w), "seed"))
	}
	start := f.seq(t, f.cal)
	errs := make([]error, writers)
	run(writers, func(w int) {
		ctx := t.Context()
		name := fmt.Sprint("seed", w, ".ics")
		uid := fmt.Sprint("seed-", w)
		steps := []func() error{
			func() error {
				_, _, err := s.Put(ctx, storage.PutObject{Owner: f.owner, Collection: f.cal, Name: name, UID: uid, Data: ics(uid, "edited")})
				return err
			},
			func() error {
				_, err := s.Transfer(ctx, storage.Transfer{FromOwner: f.owner, FromCollection: f.cal, FromName: name, ToOwner: f.owner, ToCollection: "other", ToName: name})
				return err
			},
			func() error {
				_, err := s.Transfer(ctx, storage.Transfer{FromOwner: f.owner, FromCollection: "other", FromName: name, ToOwner: f.owner, ToCollection: f.cal, ToName: "back" + name})
				return err
			},
		}
		if w%2 == 0 {
			steps = append(steps, func() error { return s.Delete(ctx, f.owner, f.cal, "back"+name, nil) })
		}
		for _, step := range steps {
			if err := step(); err != nil {
				errs[w] = err
				return
			}
		}
	})
	ok(t, errors.Join(errs...))

	var want []string
	for w := range writers {
		if w%2 == 1 {
			want = append(want, fmt.Sprint("backseed", w, ".ics"))
		}
	}
	slices.Sort(want)
	if names := f.names(t, f.cal); !slices.Equal(names, want) {
		t.Fatalf("List = %v, want %v", names, want)
	}
	if names := f.names(t, "other"); len(names) != 0 {
		t.Fatalf("other lists %v", names)
	}
	// Per writer: put, move out, move back in, and for half a delete.
	if got, want := f.seq(t, f.cal), start+writers*3+writers/2; got != want {
		t.Fatalf("Seq %d, want %d", got, want)
	}
	if got, want := f.seq(t, "other"), uint64(writers*2); got != want {
		t.Fatalf("other Seq %d, want %d", got, want)
	}
	// The log keeps one record per name: seedN (moved away) and backseedN.
	ch, _, _ := f.changes(t, f.cal, start, 0)
	live := 0
	for _, c := range ch {
		if !c.Deleted {
			live++
			if !slices.Contains(want, c.Name) {
				t.Fatalf("live change for %s, which is gone", c.Name)
			}
		}
	}
	if live != len(want) || len(ch) != 2*writers {
		t.Fatalf("log after %d: %s", start, fmtChanges(ch))
	}
}
