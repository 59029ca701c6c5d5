package bolt

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"almanac/storage"
)

// slotCacheState returns db's slot cache.
func slotCacheState(t *testing.T, db *DB) *slotCache {
	t.Helper()
	v, ok := slotCaches.Load(db.bdb)
	if !ok {
		t.Fatal("no slot cache registered")
	}
	return v.(*slotCache)
}

// betweenAnswer is what Between reports over [from, to) asking for
// ETags alone, sorted: name, how, ETag.
func betweenAnswer(t *testing.T, db *DB, owner, coll string, from, to time.Time) []string {
	t.Helper()
	var out []string
	q := storage.TimeQuery{From: from, To: to, Want: func(name []byte, p storage.Period, tag uint8, inc bool) storage.Take {
		if inc || tag%2 == 1 {
			return storage.TakeRead
		}
		return storage.TakeMatch
	}, ETags: func(name, etag []byte) error {
		out = append(out, fmt.Sprintf("%s light %s", name, etag))
		return nil
	}}
	must(t, db.Between(t.Context(), owner, coll, q, func(m *storage.ObjectMeta, take storage.Take) error {
		out = append(out, fmt.Sprintf("%s %d %s", m.Name, take, m.ETag))
		return nil
	}))
	slices.Sort(out)
	return out
}

// randomTimeline is a timeline of one to four periods in the 20 weeks
// from start, some of them instants, some days long, some crossing the
// weeks' bounds; a tenth are unknown.
func randomTimeline(rng *rand.Rand, start time.Time) storage.Timeline {
	if rng.IntN(10) == 0 {
		return storage.Timeline{}
	}
	tl := storage.Timeline{Known: true, Tag: uint8(rng.IntN(4))}
	at := start.Add(time.Duration(rng.IntN(20*7*24)) * time.Hour)
	for range 1 + rng.IntN(4) {
		d := time.Duration(rng.IntN(3)) * time.Duration(rng.IntN(60)) * time.Hour
		tl.Periods = append(tl.Periods, storage.Period{Start: at, End: at.Add(d)})
		at = at.Add(d + time.Duration(1+rng.IntN(9*24))*time.Hour)
	}
	return tl
}

// TestSlotCacheAnswersAsTheFile: writes of every kind (new members,
// rewrites that move their periods, deletions, a collection renamed,
// one deleted and created again under its name) between queries over
// random ranges: every answer with the slot cache equals the answer
// without it, and the cache is used.
func TestSlotCacheAnswersAsTheFile(t *testing.T) {
	ctx := t.Context()
	db, _ := openTemp(t)
	a := &storage.Account{Login: "u@example.org"}
	must(t, db.CreateAccount(ctx, a))
	coll := "cal"
	must(t, db.CreateCollection(ctx, &storage.Collection{Owner: a.ID, Name: coll, Kind: storage.KindCalendar}))
	rng := rand.New(rand.NewPCG(7, 8))
	start := time.Date(2026, 2, 26, 0, 0, 0, 0, time.UTC)
	put := func(name string) {
		_, _, err := db.Put(ctx, storage.PutObject{Owner: a.ID, Collection: coll, Name: name, UID: name,
			Data: fmt.Appendf(nil, "%s %d", name, rng.Int()), ContentType: "text/calendar", Timeline: randomTimeline(rng, start)})
		must(t, err)
	}
	for i := range 300 {
		put(fmt.Sprintf("m%03d.ics", i))
	}
	compare := func(step int) {
		from := start.Add(time.Duration(rng.IntN(20*7*24)-48) * time.Hour)
		to := from.Add(time.Duration(1+rng.IntN(3*7*24)) * time.Hour)
		slotCacheOff = true
		want := betweenAnswer(t, db, a.ID, coll, from, to)
		slotCacheOff = false
		got := betweenAnswer(t, db, a.ID, coll, from, to)
		if !slices.Equal(got, want) {
			t.Fatalf("step %d, [%s, %s): with the cache %d answers, without %d:\n%v\n%v", step, from, to, len(got), len(want), got, want)
		}
		// Twice: the second from the copies the first read.
		if again := betweenAnswer(t, db, a.ID, coll, from, to); !slices.Equal(again, want) {
			t.Fatalf("step %d: a second query with the cache differs", step)
		}
	}
	oldMarks := maxSlotMarks
	t.Cleanup(func() { maxSlotMarks = oldMarks })
	for step := range 400 {
		if step == 200 {
			maxSlotMarks = 30 // from here the marks are forgotten again and again
		}
		switch r := rng.IntN(20); {
		case r < 10:
			put(fmt.Sprintf("m%03d.ics", rng.IntN(400)))
		case r < 16:
			err := db.Delete(ctx, a.ID, coll, fmt.Sprintf("m%03d.ics", rng.IntN(400)), nil)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				t.Fatal(err)
			}
		case r == 16:
			next := fmt.Sprintf("cal%d", step)
			_, err := db.MoveCollection(ctx, a.ID, coll, next, false)
			must(t, err)
			coll = next
		case r == 17:
			must(t, db.DeleteCollection(ctx, a.ID, coll))
			must(t, db.CreateCollection(ctx, &storage.Collection{Owner: a.ID, Name: coll, Kind: storage.KindCalendar}))
			for i := range 100 {
				put(fmt.Sprintf("m%03d.ics", i))
			}
		}
		compare(step)
	}
	if sc := slotCacheState(t, db); sc.hits == 0 || sc.floor == 0 {
		t.Fatalf("copies used %d times, floor %d: the cache was never used, or its marks never forgotten", sc.hits, sc.floor)
	}
}

// TestSlotCacheUnderConcurrentWrites: writers rewrite and delete
// members of a few slots while readers query them; every copy a reader
// uses is compared with the slot as its own transaction sees it
// (slotCacheVerify panics on a difference), with a cache small enough to
// evict.
func TestSlotCacheUnderConcurrentWrites(t *testing.T) {
	ctx := t.Context()
	db, _ := openTemp(t)
	a := &storage.Account{Login: "u@example.org"}
	must(t, db.CreateAccount(ctx, a))
	must(t, db.CreateCollection(ctx, &storage.Collection{Owner: a.ID, Name: "cal", Kind: storage.KindCalendar}))
	slotCacheVerify = true
	oldBytes, oldMarks := slotCacheBytes, maxSlotMarks
	slotCacheBytes, maxSlotMarks = 64<<10, 8
	t.Cleanup(func() { slotCacheVerify, slotCacheBytes, maxSlotMarks = false, oldBytes, oldMarks })
	start := time.Date(2026, 2, 26, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	stop := time.Now().Add(2 * time.Second)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for time.Now().Before(stop) {
				name := fmt.Sprintf("m%03d.ics", rng.IntN(200))
				if rng.IntN(4) == 0 {
					if err := db.Delete(ctx, a.ID, "cal", name, nil); err != nil && !errors.Is(err, storage.ErrNotFound) {
						t.Error(err)
						return
					}
					continue
				}
				tl := randomTimeline(rng, start)
				if _, _, err := db.Put(ctx, storage.PutObject{Owner: a.ID, Collection: "cal", Name: name, UID: name,
					Data: fmt.Appendf(nil, "%s %d", name, rng.Int()), ContentType: "text/calendar", Timeline: tl}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	queries := 0
	var mu sync.Mutex
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 2))
			for time.Now().Before(stop) {
				from := start.Add(time.Duration(rng.IntN(20*7*24)) * time.Hour)
				err := db.Between(ctx, a.ID, "cal", storage.TimeQuery{From: from, To: from.AddDate(0, 0, 7),
					Want:  func([]byte, storage.Period, uint8, bool) storage.Take { return storage.TakeMatch },
					ETags: func(_, _ []byte) error { return nil }}, func(*storage.ObjectMeta, storage.Take) error { return nil })
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				queries++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sc := slotCacheState(t, db)
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if queries == 0 || sc.hits == 0 {
		t.Fatalf("%d queries, %d copies used", queries, sc.hits)
	}
	if sc.bytes > slotCacheBytes || len(sc.marks) > maxSlotMarks || sc.floor == 0 {
		t.Fatalf("the cache holds %d bytes (at most %d), %d marks (at most %d), floor %d (forgetting none)", sc.bytes, slotCacheBytes, len(sc.marks), maxSlotMarks, sc.floor)
	}
	t.Logf("%d queries, %d copies used, %d held", queries, sc.hits, len(sc.copies))
}
