package bolt

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// logSink records what Export hands over of accounts and collections.
type logSink struct {
	storage.Sink // the other kinds: this test stores none
	accounts     []string
	colls        []storage.Collection
	objects      []storage.Object
	timelines    []storage.Timeline
	changes      []storage.LoggedChange
}

func (s *logSink) Account(a *storage.Account) error {
	s.accounts = append(s.accounts, a.ID)
	return nil
}

func (s *logSink) Collection(c *storage.Collection) error {
	s.colls = append(s.colls, *c)
	return nil
}

func (s *logSink) Object(o *storage.Object, tl storage.Timeline) error {
	s.objects = append(s.objects, *o)
	s.timelines = append(s.timelines, tl)
	return nil
}

func (s *logSink) Change(c storage.LoggedChange) error {
	s.changes = append(s.changes, c)
	return nil
}

// Change records written before they carried their time are dated as
// PruneChanges dates them: a live member's by its Modified, a tombstone
// by the next dated record, or the collection's Modified at the end of
// the log. Dated records keep their time.
func TestExportDatesOldChangeRecords(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	ctx := t.Context()
	janeCalendar(t, db)
	put := func(name string) {
		t.Helper()
		if _, _, err := db.Put(ctx, storage.PutObject{Owner: "jane", Collection: "cal", Name: name, Data: []byte(name),
			Timeline: storage.Timeline{Known: true, Periods: []storage.Period{{Start: time.Unix(1e9, 0).UTC(), End: time.Unix(1e9+3600, 0).UTC()}}}}); err != nil {
			t.Fatal(err)
		}
	}
	del := func(name string) {
		t.Helper()
		if err := db.Delete(ctx, "jane", "cal", name, nil); err != nil {
			t.Fatal(err)
		}
	}
	// seq 1 a (live), 3 b deleted, 4 c (live, dated), 6 d deleted at the end.
	put("a.ics")
	put("b.ics")
	del("b.ics")
	put("c.ics")
	put("d.ics")
	del("d.ics")
	// Strip the time from every record but c's, as an old file has them.
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		cb := collBucket(tx, "jane", "cal").Bucket(bucketChanges)
		for _, seq := range []uint64{1, 3, 6} {
			rec, err := decodeChange(cb.Get(seqKey(seq)))
			if err != nil {
				return err
			}
			flags := byte(0)
			if rec.deleted {
				flags = changeDeleted
			}
			if err := cb.Put(seqKey(seq), append([]byte{flags}, rec.name...)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var cWritten time.Time
	err = db.bdb.View(func(tx *bbolt.Tx) error {
		rec, err := decodeChange(collBucket(tx, "jane", "cal").Bucket(bucketChanges).Get(seqKey(4)))
		cWritten = rec.when
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	var s logSink
	if err := db.Export(ctx, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.accounts) != 1 || len(s.colls) != 1 || len(s.objects) != 2 {
		t.Fatalf("exported %v, %d collections, %d objects", s.accounts, len(s.colls), len(s.objects))
	}
	coll, err := db.Collection(ctx, "jane", "cal")
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.Stat(ctx, "jane", "cal", "a.ics")
	if err != nil {
		t.Fatal(err)
	}
	want := []storage.LoggedChange{
		{Name: "a.ics", Seq: 1, Written: a.Modified},
		{Name: "b.ics", Seq: 3, Deleted: true, Written: cWritten},
		{Name: "c.ics", Seq: 4, Written: cWritten},
		{Name: "d.ics", Seq: 6, Deleted: true, Written: coll.Modified},
	}
	if len(s.changes) != len(want) {
		t.Fatalf("changes %+v, want %+v", s.changes, want)
	}
	for i, c := range s.changes {
		if c.Name != want[i].Name || c.Seq != want[i].Seq || c.Deleted != want[i].Deleted || !c.Written.Equal(want[i].Written) {
			t.Errorf("change %d: %+v, want %+v", i, c, want[i])
		}
	}
	if !s.timelines[0].Known || len(s.timelines[0].Periods) != 1 {
		t.Errorf("timeline of a.ics: %+v", s.timelines[0])
	}
}

// A calendar of a file from before the time index (schema 1 or 2, which
// a read-only Open leaves as it is) has no timelines: its members go out
// with unknown timelines to be renewed, as the first read-write Open
// would mark them.
func TestExportCalendarWithoutTimelines(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	ctx := t.Context()
	if err := db.CreateAccount(ctx, &storage.Account{ID: "jane", Login: "jane@example.org"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []storage.Collection{{Owner: "jane", Name: "cal", Kind: storage.KindCalendar}, {Owner: "jane", Name: "book", Kind: storage.KindAddressBook}} {
		if err := db.CreateCollection(ctx, &c); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.Put(ctx, storage.PutObject{Owner: "jane", Collection: c.Name, Name: "x", Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		b := collBucket(tx, "jane", "cal")
		for _, name := range [][]byte{bucketWhen, bucketTimelines, bucketLoose} {
			if err := b.DeleteBucket(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var s logSink
	if err := db.Export(ctx, &s); err != nil {
		t.Fatal(err)
	}
	// Collections go in name order: book, then cal.
	if len(s.timelines) != 2 || s.timelines[0].Known || s.timelines[0].Renew || s.timelines[1].Known || !s.timelines[1].Renew {
		t.Errorf("timelines %+v", s.timelines)
	}
}

// derivedBuckets are the top-level buckets Export leaves out: the schema
// version and the indexes, each derived from the records.
var derivedBuckets = [][]byte{bucketSchema, bucketLogins, bucketLinkOwners, bucketMounts, bucketAppPasswordOwners,
	bucketSessionAccounts, bucketTokenAccounts, bucketAccountOrgs, bucketOrgServices, bucketMailDomains, bucketMailAliases,
	bucketAccountMailboxLinks, bucketAccountImportJobs}

// collectionBuckets are the buckets of a collection Export reads (true)
// or leaves out (false): the UID index, the deletions (the change log
// holds them) and the time index (the timelines hold it).
var collectionBuckets = map[string]bool{"meta": true, "data": true, "changes": true, "timelines": true,
	"uids": false, "tombs": false, "when": false, "loose": false, "bounds": false}

// Every bucket of the file is either read by Export or derived from what
// it reads: a bucket added later fails here until Export says which.
func TestExportReadsEveryBucket(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	janeCalendar(t, db)
	known := map[string]bool{}
	for _, s := range exportSteps {
		known[string(s.bucket)] = true
	}
	for _, b := range derivedBuckets {
		known[string(b)] = true
	}
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		if err := tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
			if !known[string(name)] {
				t.Errorf("top-level bucket %q is neither exported nor derived", name)
			}
			return nil
		}); err != nil {
			return err
		}
		return collBucket(tx, "jane", "cal").ForEachBucket(func(name []byte) error {
			if _, ok := collectionBuckets[string(name)]; !ok {
				t.Errorf("collection bucket %q is neither exported nor derived", name)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A damaged record stops Export with an error naming it, and nothing
// past it is handed over (almanac migrate then commits nothing).
func TestExportDamage(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		damage     func(tx *bbolt.Tx) error
	}{
		{"account", "accounts/jane", func(tx *bbolt.Tx) error { return tx.Bucket(bucketAccounts).Put([]byte("jane"), []byte("{")) }},
		{"meta", `object meta "a.ics"`, func(tx *bbolt.Tx) error {
			return collBucket(tx, "jane", "cal").Bucket(bucketMeta).Put([]byte("a.ics"), []byte{9})
		}},
		{"data", `object "a.ics" has no data`, func(tx *bbolt.Tx) error {
			return collBucket(tx, "jane", "cal").Bucket(bucketData).Delete([]byte("a.ics"))
		}},
		{"timeline", `timeline "a.ics"`, func(tx *bbolt.Tx) error {
			return collBucket(tx, "jane", "cal").Bucket(bucketTimelines).Put([]byte("a.ics"), []byte{0xff})
		}},
		{"change", "change 1", func(tx *bbolt.Tx) error {
			return collBucket(tx, "jane", "cal").Bucket(bucketChanges).Put(seqKey(1), []byte{0x80})
		}},
		{"change key", "change key", func(tx *bbolt.Tx) error {
			return collBucket(tx, "jane", "cal").Bucket(bucketChanges).Put([]byte("short"), []byte{0})
		}},
		{"state", "collection state", func(tx *bbolt.Tx) error { return collBucket(tx, "jane", "cal").Put(keyState, []byte{7}) }},
		{"record where a bucket belongs", "grants/jane", func(tx *bbolt.Tx) error { return tx.Bucket(bucketGrants).Put([]byte("jane"), []byte("{}")) }},
		{"grant of another key", "key and record differ", func(tx *bbolt.Tx) error {
			b, err := tx.Bucket(bucketGrants).CreateBucketIfNotExists([]byte("jane"))
			if err == nil {
				b, err = b.CreateBucketIfNotExists([]byte("cal"))
			}
			if err != nil {
				return err
			}
			return b.Put([]byte("bob"), []byte(`{"owner":"jane","collection":"cal","sharee":"carol"}`))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openTemp(t)
			defer db.Close()
			ctx := t.Context()
			janeCalendar(t, db)
			if _, _, err := db.Put(ctx, storage.PutObject{Owner: "jane", Collection: "cal", Name: "a.ics", Data: []byte("x")}); err != nil {
				t.Fatal(err)
			}
			if err := db.bdb.Update(tc.damage); err != nil {
				t.Fatal(err)
			}
			var s logSink
			err := db.Export(ctx, &s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Export: %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

// FuzzExport writes arbitrary bytes where a collection's state, an
// object's metadata, its timeline and a change record belong: Export
// hands over what decodes and fails with an error on the rest, never
// panicking (the file is checked page by page first, not record by
// record).
func FuzzExport(f *testing.F) {
	db, err := Open(filepath.Join(f.TempDir(), "almanac.db"), Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.CreateAccount(ctx, &storage.Account{ID: "jane", Login: "jane@example.org"}); err != nil {
		f.Fatal(err)
	}
	if err := db.CreateCollection(ctx, &storage.Collection{Owner: "jane", Name: "cal", Kind: storage.KindCalendar}); err != nil {
		f.Fatal(err)
	}
	if _, _, err := db.Put(ctx, storage.PutObject{Owner: "jane", Collection: "cal", Name: "a.ics", Data: []byte("x"),
		Span:     storage.Span{Known: true, Start: time.Unix(1e9, 5), Open: true},
		Timeline: storage.Timeline{Known: true, Periods: []storage.Period{{Start: time.Unix(1e9, 0), End: time.Unix(1e9+60, 0)}}}}); err != nil {
		f.Fatal(err)
	}
	var seed [4][]byte
	err = db.bdb.View(func(tx *bbolt.Tx) error {
		b := collBucket(tx, "jane", "cal")
		seed = [4][]byte{slices.Clone(b.Get(keyState)), slices.Clone(b.Bucket(bucketMeta).Get([]byte("a.ics"))),
			slices.Clone(b.Bucket(bucketTimelines).Get([]byte("a.ics"))), slices.Clone(b.Bucket(bucketChanges).Get(seqKey(1)))}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed[0], seed[1], seed[2], seed[3])
	f.Add([]byte{1}, []byte{3, 1, 1, 1}, []byte{1, 0}, []byte{2})
	f.Fuzz(func(t *testing.T, state, meta, timeline, change []byte) {
		if len(state) == 0 || len(meta) == 0 || len(timeline) == 0 || len(change) == 0 {
			return // bbolt stores no empty value apart from an empty record
		}
		err := db.bdb.Update(func(tx *bbolt.Tx) error {
			b := collBucket(tx, "jane", "cal")
			return errors.Join(b.Put(keyState, state), b.Bucket(bucketMeta).Put([]byte("a.ics"), meta),
				b.Bucket(bucketTimelines).Put([]byte("a.ics"), timeline), b.Bucket(bucketChanges).Put(seqKey(1), change))
		})
		if err != nil {
			t.Fatal(err)
		}
		var s logSink
		if err := db.Export(ctx, &s); err == nil && (len(s.colls) != 1 || len(s.objects) != 1 || len(s.changes) != 1) {
			t.Fatalf("Export succeeded with %d collections, %d objects, %d changes", len(s.colls), len(s.objects), len(s.changes))
		}
	})
}

// janeCalendar gives db the account jane with the calendar cal.
func janeCalendar(t *testing.T, db *DB) {
	t.Helper()
	ctx := t.Context()
	if err := db.CreateAccount(ctx, &storage.Account{ID: "jane", Login: "jane@example.org"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCollection(ctx, &storage.Collection{Owner: "jane", Name: "cal", Kind: storage.KindCalendar}); err != nil {
		t.Fatal(err)
	}
}
