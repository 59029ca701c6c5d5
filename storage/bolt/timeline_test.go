package bolt

import (
	"fmt"
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
		for _, n := range [][]byte{bucketWhen, bucketTimelines, bucketLoose} {
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
	must(t, ro.Between(ctx, a.ID, "cal", storage.TimeQuery{From: day, To: day.Add(time.Hour), Want: func(name string, _ storage.Period, _ uint8, inc bool) bool {
		if inc {
			incomplete = append(incomplete, name)
		}
		return true
	}}, func(*storage.ObjectMeta) error { return nil }))
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
	var problems []string
	_, err = db.Check(ctx, func(p storage.Problem) { problems = append(problems, p.String()) })
	must(t, err)
	if len(problems) > 0 {
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
		seen := map[string]bool{}
		want := func(name string, _ storage.Period, _ uint8, _ bool) bool {
			if seen[name] {
				return false
			}
			seen[name] = true
			return true
		}
		must(t, db.Between(ctx, a.ID, "b", storage.TimeQuery{From: day.AddDate(0, 0, 3), To: day.AddDate(0, 0, 30), Want: want},
			func(m *storage.ObjectMeta) error { between = append(between, m.Name); return nil }))
		must(t, db.DueTimelines(ctx, day.AddDate(0, 1, 0), func(d storage.TimelineDue) error {
			due = append(due, d.Collection+"/"+d.Name)
			return nil
		}))
		slices.Sort(between)
		return between, due
	}
	wantBetween, wantDue := run()
	if len(wantBetween) < 20 || len(wantDue) != 3*15 {
		t.Fatalf("one pass: %d members between, %d due; the test needs more", len(wantBetween), len(wantDue))
	}
	oldChunk, oldKeys := betweenChunk, betweenKeys
	t.Cleanup(func() { betweenChunk, betweenKeys = oldChunk, oldKeys })
	for _, c := range [][2]int{{1, 1}, {2, 3}, {3, 1000}, {1000, 2}} {
		betweenChunk, betweenKeys = c[0], c[1]
		gotBetween, gotDue := run()
		if !slices.Equal(gotBetween, wantBetween) || !slices.Equal(gotDue, wantDue) {
			t.Errorf("chunks %v: between %v, due %v; want %v, %v", c, gotBetween, gotDue, wantBetween, wantDue)
		}
	}
}
