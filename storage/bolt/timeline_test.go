package bolt

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// TestUpgradeIndexesCalendars opens a file as schema 2 left it (no time
// index): read-only it reads as it is, every calendar member reported
// incomplete; the first read-write Open adds the index with every
// member unknown and due for renewal, in calendars only, and the file
// checks clean.
func TestUpgradeIndexesCalendars(t *testing.T) {
	ctx := t.Context()
	db, path := openTemp(t)
	a := &storage.Account{Login: "u@example.org"}
	must(t, db.CreateAccount(ctx, a))
	for _, c := range []*storage.Collection{{Owner: a.ID, Name: "cal", Kind: storage.KindCalendar}, {Owner: a.ID, Name: "book", Kind: storage.KindAddressBook}} {
		must(t, db.CreateCollection(ctx, c))
	}
	day := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	for i, name := range []string{"a.ics", "b.ics", "c.ics"} {
		_, _, err := db.Put(ctx, storage.PutObject{Owner: a.ID, Collection: "cal", Name: name, UID: name, Data: []byte(name),
			Timeline: storage.Timeline{Known: true, Periods: []storage.Period{{Start: day.AddDate(0, 0, i), End: day.AddDate(0, 0, i)}}}})
		must(t, err)
	}
	_, _, err := db.Put(ctx, storage.PutObject{Owner: a.ID, Collection: "book", Name: "x.vcf", UID: "x", Data: []byte("x")})
	must(t, err)
	// What a schema 2 binary wrote: the same, without the index.
	must(t, db.bdb.Update(func(tx *bbolt.Tx) error {
		b := collBucket(tx, a.ID, "cal")
		for _, n := range [][]byte{bucketWhen, bucketTimelines, bucketLoose, bucketBounds} {
			if err := b.DeleteBucket(n); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketSchema).Put(keyVersion, []byte("2"))
	}))
	must(t, db.Close())

	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open of a schema 2 file: %v", err)
	}
	var incomplete []string
	must(t, ro.Between(ctx, a.ID, "cal", storage.TimeQuery{From: day, To: day.Add(time.Hour), Want: func(name []byte, _ storage.Period, _ uint8, inc bool) storage.Take {
		if inc {
			incomplete = append(incomplete, string(name))
		}
		return storage.TakeRead
	}}, func(*storage.ObjectMeta, storage.Take) error { return nil }))
	if strings.Join(incomplete, " ") != "a.ics b.ics c.ics" {
		t.Errorf("not yet indexed: incomplete %v, want every member", incomplete)
	}
	must(t, ro.Close())

	db, err = Open(path, Options{})
	must(t, err)
	var version string
	db.bdb.View(func(tx *bbolt.Tx) error { version = string(tx.Bucket(bucketSchema).Get(keyVersion)); return nil })
	if version != schemaVersion {
		t.Fatalf("schema after the upgrade: %q", version)
	}
	for _, name := range []string{"a.ics", "b.ics", "c.ics"} {
		tl, err := db.Timeline(ctx, a.ID, "cal", name)
		must(t, err)
		if tl.Known || !tl.Renew {
			t.Errorf("%s after the upgrade: %+v, want unknown and to be renewed", name, tl)
		}
	}
	var due []string
	must(t, db.DueTimelines(ctx, day, func(d storage.TimelineDue) error {
		due = append(due, d.Collection+"/"+d.Name)
		return nil
	}))
	if strings.Join(due, " ") != "cal/a.ics cal/b.ics cal/c.ics" {
		t.Errorf("due after the upgrade: %v", due)
	}
	if problems := problemsOf(t, db); len(problems) > 0 {
		t.Errorf("upgraded file: %v", problems)
	}
	// Opening again changes nothing.
	must(t, db.Close())
	db, err = Open(path, Options{})
	must(t, err)
	tl, err := db.Timeline(ctx, a.ID, "cal", "a.ics")
	must(t, err)
	if tl.Known || !tl.Renew {
		t.Errorf("after a second open: %+v", tl)
	}
	must(t, db.Close())
}

// TestBetweenChunks: with chunks of a few members and keys, Between and
// DueTimelines report what one pass over everything reports, each member
// once, across slots, the loose bucket and collections.
func TestBetweenChunks(t *testing.T) {
	ctx := t.Context()
	db, _ := openTemp(t)
	defer db.Close()
	a := &storage.Account{Login: "u@example.org"}
	must(t, db.CreateAccount(ctx, a))
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, coll := range []string{"a", "b", "c"} {
		must(t, db.CreateCollection(ctx, &storage.Collection{Owner: a.ID, Name: coll, Kind: storage.KindCalendar}))
		for i := range 23 {
			tl := storage.Timeline{Known: true, Renew: true}
			for w := range i % 5 {
				s := day.AddDate(0, 0, 7*w+i%7)
				tl.Periods = append(tl.Periods, storage.Period{Start: s, End: s.Add(time.Hour)})
			}
			switch i % 3 {
			case 1:
				tl.Until = day.AddDate(0, 0, 14)
			case 2:
				tl = storage.Timeline{Renew: true}
			}
			_, _, err := db.Put(ctx, storage.PutObject{Owner: a.ID, Collection: coll, Name: fmt.Sprintf("m%02d", i), UID: fmt.Sprint(i), Data: []byte{byte(i)}, Timeline: tl})
			must(t, err)
		}
	}
	run := func() (between, due []string) {
		// Passing over some periods: the member is offered on.
		want := func(_ []byte, p storage.Period, _ uint8, incomplete bool) storage.Take {
			if incomplete || p.Start.Day()%3 == 0 {
				return storage.TakeRead
			}
			return storage.TakeNo
		}
		must(t, db.Between(ctx, a.ID, "b", storage.TimeQuery{From: day.AddDate(0, 0, 3), To: day.AddDate(0, 0, 30), Want: want},
			func(m *storage.ObjectMeta, _ storage.Take) error { between = append(between, m.Name); return nil }))
		must(t, db.DueTimelines(ctx, day.AddDate(0, 1, 0), func(d storage.TimelineDue) error {
			due = append(due, d.Collection+"/"+d.Name)
			return nil
		}))
		slices.Sort(between)
		return between, due
	}
	wantBetween, wantDue := run()
	if len(wantBetween) < 15 || len(wantDue) != 3*15 {
		t.Fatalf("one pass: %d members between, %d due; the test needs more", len(wantBetween), len(wantDue))
	}
	oldChunk, oldKeys, oldScan := betweenChunk, betweenKeys, mergeScan
	t.Cleanup(func() { betweenChunk, betweenKeys, mergeScan = oldChunk, oldKeys, oldScan })
	for _, c := range [][3]int{{1, 1, 8}, {2, 3, 8}, {3, 1000, 8}, {1000, 2, 8}, {1, 1, 0}, {2, 3, 0}, {1000, 1000, 0}} {
		// mergeScan 0: the runs go through the heap.
		betweenChunk, betweenKeys, mergeScan = c[0], c[1], c[2]
		gotBetween, gotDue := run()
		if !slices.Equal(gotBetween, wantBetween) || !slices.Equal(gotDue, wantDue) {
			t.Errorf("chunks %v: between %v, due %v; want %v, %v", c, gotBetween, gotDue, wantBetween, wantDue)
		}
	}
}

// TestSecondRangeIsOverlaps: the walk's test of a period in whole seconds
// against a range is Period.Overlaps, at and around every boundary, with
// and without nanoseconds, bounded or open on either side.
func TestSecondRangeIsOverlaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	at := func() time.Time {
		if rng.IntN(6) == 0 {
			return time.Time{}
		}
		ns := 0
		if rng.IntN(2) == 0 {
			ns = rng.IntN(1e9)
		}
		return time.Unix(base+int64(rng.IntN(20))-10, int64(ns))
	}
	for range 200000 {
		from, to := at(), at()
		s := base + int64(rng.IntN(20)) - 10
		e := s + int64(rng.IntN(3))
		p := storage.Period{Start: time.Unix(s, 0).UTC(), End: time.Unix(e, 0).UTC()}
		r := newSecondRange(from, to)
		if got, want := r.overlaps(s, e), p.Overlaps(from, to); got != want {
			t.Fatalf("[%v, %v) against %v: %v, Overlaps %v", from, to, p, got, want)
		}
	}
}
