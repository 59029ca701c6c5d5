package bolt

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// pruneColl moves one collection's Pruned to horizon (clamped to Seq) in
// as many bounded transactions as it takes: the model test's way to prune
// at any sequence rather than by time.
func pruneColl(db *DB, owner, coll string, horizon uint64) error {
	for {
		done := false
		err := db.bdb.Update(func(tx *bbolt.Tx) error {
			c, err := loadColl(tx, owner, coll)
			if err != nil {
				return err
			}
			if c == nil {
				return notFoundColl(owner, coll)
			}
			_, _, done, err = c.pruneTo(horizon, pruneTxRecords)
			return err
		})
		if err != nil || done {
			return err
		}
	}
}

func setPruneLimits(t *testing.T, colls, records int) {
	oldC, oldR := pruneScanColls, pruneTxRecords
	pruneScanColls, pruneTxRecords = colls, records
	t.Cleanup(func() { pruneScanColls, pruneTxRecords = oldC, oldR })
}

// instant returns a time after every write so far and before every later
// one (the clock is read, not slept on).
func instant() time.Time {
	t0 := time.Now()
	for !time.Now().After(t0) {
	}
	m := time.Now()
	for !time.Now().After(m) {
	}
	return m
}

type pruneFixture struct {
	t  *testing.T
	db *DB
}

func newPruneFixture(t *testing.T) *pruneFixture {
	db, _ := openTemp(t)
	t.Cleanup(func() { db.Close() })
	return &pruneFixture{t, db}
}

func (f *pruneFixture) account(id string, colls ...string) string {
	f.t.Helper()
	a := &storage.Account{ID: id, Login: id + "@example.org"}
	if err := f.db.CreateAccount(f.t.Context(), a); err != nil {
		f.t.Fatal(err)
	}
	for _, c := range colls {
		if err := f.db.CreateCollection(f.t.Context(), &storage.Collection{Owner: a.ID, Name: c, Kind: storage.KindCalendar}); err != nil {
			f.t.Fatal(err)
		}
	}
	return a.ID
}

func (f *pruneFixture) put(owner, coll, name string) *storage.ObjectMeta {
	f.t.Helper()
	m, _, err := f.db.Put(f.t.Context(), storage.PutObject{Owner: owner, Collection: coll, Name: name, UID: "uid-" + name, Data: []byte("data of " + name)})
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

func (f *pruneFixture) del(owner, coll, name string) {
	f.t.Helper()
	if err := f.db.Delete(f.t.Context(), owner, coll, name, nil); err != nil {
		f.t.Fatal(err)
	}
}

func (f *pruneFixture) coll(owner, name string) *storage.Collection {
	f.t.Helper()
	c, err := f.db.Collection(f.t.Context(), owner, name)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *pruneFixture) prune(cutoff time.Time, want storage.PruneStats) {
	f.t.Helper()
	st, err := f.db.PruneChanges(f.t.Context(), cutoff)
	if err != nil || st != want {
		f.t.Fatalf("PruneChanges: %+v, %v; want %+v", st, err, want)
	}
}

// check verifies Pruned and the bucket invariants, and that the log
// answers from Pruned with exactly want.
func (f *pruneFixture) check(owner, coll string, pruned uint64, want string) {
	f.t.Helper()
	c := f.coll(owner, coll)
	if c.Pruned != pruned {
		f.t.Fatalf("%s: Pruned %d, want %d", coll, c.Pruned, pruned)
	}
	if err := checkInvariants(f.db, owner, coll); err != nil {
		f.t.Fatalf("%s: %v", coll, err)
	}
	if pruned == 0 {
		return
	}
	ch, _, _, err := f.db.Changes(f.t.Context(), owner, coll, c.Incarnation, pruned, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	var got string
	for i, x := range ch {
		if i > 0 {
			got += " "
		}
		got += fmt.Sprintf("%s@%d", x.Name, x.Seq)
		if x.Deleted {
			got += "-"
		}
	}
	if got != want {
		f.t.Fatalf("%s since %d: %q, want %q", coll, pruned, got, want)
	}
	if _, _, _, err := f.db.Changes(f.t.Context(), owner, coll, c.Incarnation, pruned-1, 0); !errors.Is(err, storage.ErrInvalidSyncToken) {
		f.t.Fatalf("%s since %d (below Pruned): err = %v", coll, pruned-1, err)
	}
}

// TestPruneBoundedTransactions prunes with tiny limits: a read
// transaction sees two collections, a write transaction examines three
// records. One write transaction stops part-way through a long history
// at a position that stays exact, and the whole pass still reaches every
// collection, across owners.
func TestPruneBoundedTransactions(t *testing.T) {
	setPruneLimits(t, 2, 3)
	f := newPruneFixture(t)
	a := f.account("a", "big", "c1", "c2")
	b := f.account("b", "c3", "c4")
	for i := range 10 {
		f.put(a, "big", fmt.Sprint(i, ".ics")) // 1..10
	}
	for i := range 10 {
		f.del(a, "big", fmt.Sprint(i, ".ics")) // 11..20
	}
	for _, x := range [][2]string{{a, "c1"}, {a, "c2"}, {b, "c3"}, {b, "c4"}} {
		f.put(x[0], x[1], "x.ics") // 1
		f.del(x[0], x[1], "x.ics") // 2
	}
	cutoff := instant()

	var todo []pruneTarget
	var next *collRef
	err := f.db.bdb.View(func(tx *bbolt.Tx) error {
		var err error
		todo, next, err = pruneScan(tx, nil, cutoff)
		return err
	})
	if err != nil || len(todo) != 2 || todo[0].name != "big" || todo[0].horizon != 20 || next == nil || *next != (collRef{a, "c1"}) {
		t.Fatalf("first scan: %+v next %+v, %v", todo, next, err)
	}
	var st storage.PruneStats
	left, err := f.db.pruneApply(todo, &st)
	if err != nil || len(left) != 2 || st != (storage.PruneStats{Tombstones: 3}) {
		t.Fatalf("first write transaction: left %+v, stats %+v, %v", left, st, err)
	}
	f.check(a, "big", 13, "3.ics@14- 4.ics@15- 5.ics@16- 6.ics@17- 7.ics@18- 8.ics@19- 9.ics@20-")

	f.prune(cutoff, storage.PruneStats{Collections: 5, Tombstones: 11})
	f.check(a, "big", 20, "")
	for _, x := range [][2]string{{a, "c1"}, {a, "c2"}, {b, "c3"}, {b, "c4"}} {
		f.check(x[0], x[1], 2, "")
	}
	f.prune(cutoff, storage.PruneStats{})
}

// TestPruneUntimedRecords prunes a log written before change records
// carried their time: a live member's record is dated by its Modified,
// a tombstone by the next dated change or the collection's Modified.
func TestPruneUntimedRecords(t *testing.T) {
	f := newPruneFixture(t)
	o := f.account("a", "cal", "trail", "patched")
	f.put(o, "cal", "a.ics") // 1
	f.del(o, "cal", "a.ics") // 2
	m1 := instant()
	f.put(o, "cal", "b.ics") // 3
	m2 := instant()
	f.untime(o, "cal")
	f.put(o, "cal", "c.ics") // 4, dated
	f.put(o, "trail", "x.ics")
	mT := instant()
	f.del(o, "trail", "x.ics")
	f.untime(o, "trail")
	f.put(o, "patched", "y.ics")
	f.del(o, "patched", "y.ics")
	f.untime(o, "patched")
	mP := instant()
	if _, err := f.db.PatchCollection(t.Context(), o, "patched", map[string]string{"{DAV:}displayname": "P"}, nil); err != nil {
		t.Fatal(err)
	}
	m3 := instant()

	// a's tombstone is no later than b's write, which is after m1.
	f.prune(m1, storage.PruneStats{})
	f.check(o, "cal", 0, "")
	// b's write is before m2, so a's tombstone is too.
	f.prune(m2, storage.PruneStats{Collections: 1, Tombstones: 1})
	f.check(o, "cal", 3, "c.ics@4")
	// x's tombstone ends its log: the collection's Modified dates it.
	f.prune(mT, storage.PruneStats{Collections: 1})
	f.check(o, "cal", 4, "")
	f.check(o, "trail", 0, "")
	// A property change after the deletion dates it later still.
	f.prune(mP, storage.PruneStats{Collections: 1, Tombstones: 1})
	f.check(o, "trail", 2, "")
	f.check(o, "patched", 0, "")
	f.prune(m3, storage.PruneStats{Collections: 1, Tombstones: 1})
	f.check(o, "patched", 2, "")
}

// untime rewrites the collection's change records in the format written
// before records carried their time.
func (f *pruneFixture) untime(owner, coll string) {
	f.t.Helper()
	err := f.db.bdb.Update(func(tx *bbolt.Tx) error {
		c, err := loadColl(tx, owner, coll)
		if err != nil {
			return err
		}
		old := map[string][]byte{}
		err = c.changes.ForEach(func(k, v []byte) error {
			rec, err := decodeChange(v)
			if err != nil {
				return err
			}
			flag := byte(0)
			if rec.deleted {
				flag = 1
			}
			old[string(k)] = append([]byte{flag}, rec.name...)
			return nil
		})
		if err != nil {
			return err
		}
		for k, v := range old {
			if err := c.changes.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// TestPruneCollectionReplaced deletes and re-creates a collection between
// the scan and the write: the horizon found for the old one must not
// prune the new one.
func TestPruneCollectionReplaced(t *testing.T) {
	f := newPruneFixture(t)
	o := f.account("a", "cal")
	f.put(o, "cal", "x.ics")
	f.del(o, "cal", "x.ics")
	var todo []pruneTarget
	err := f.db.bdb.View(func(tx *bbolt.Tx) error {
		var err error
		todo, _, err = pruneScan(tx, nil, instant())
		return err
	})
	if err != nil || len(todo) != 1 || todo[0].horizon != 2 {
		t.Fatalf("scan: %+v, %v", todo, err)
	}
	if err := f.db.DeleteCollection(t.Context(), o, "cal"); err != nil {
		t.Fatal(err)
	}
	if err := f.db.CreateCollection(t.Context(), &storage.Collection{Owner: o, Name: "cal", Kind: storage.KindCalendar}); err != nil {
		t.Fatal(err)
	}
	f.put(o, "cal", "y.ics")
	f.del(o, "cal", "y.ics")
	var st storage.PruneStats
	if left, err := f.db.pruneApply(todo, &st); err != nil || len(left) != 0 || st != (storage.PruneStats{}) {
		t.Fatalf("apply: left %+v, stats %+v, %v", left, st, err)
	}
	c := f.coll(o, "cal")
	ch, _, _, err := f.db.Changes(t.Context(), o, "cal", c.Incarnation, 1, 0)
	if err != nil || c.Pruned != 0 || len(ch) != 1 || ch[0].Name != "y.ics" || !ch[0].Deleted {
		t.Fatalf("new collection: Pruned %d, changes since 1 %+v, %v", c.Pruned, ch, err)
	}
}

func TestDecodeChange(t *testing.T) {
	when := time.Date(2026, 5, 1, 12, 0, 0, 123, time.UTC)
	cases := []struct {
		name string
		in   []byte
		want change
		bad  bool
	}{
		{"dated write", encodeChange("a.ics", false, when), change{name: "a.ics", when: when}, false},
		{"dated deletion", encodeChange("a b.ics", true, when), change{name: "a b.ics", deleted: true, when: when}, false},
		{"before 1970", encodeChange("x", true, time.Unix(-5, 0).UTC()), change{name: "x", deleted: true, when: time.Unix(-5, 0).UTC()}, false},
		{"untimed write", []byte("\x00a.ics"), change{name: "a.ics"}, false},
		{"untimed deletion", []byte("\x01a.ics"), change{name: "a.ics", deleted: true}, false},
		{"nil", nil, change{}, true},
		{"empty", []byte{}, change{}, true},
		{"no name", []byte{0}, change{}, true},
		{"deletion without name", []byte{1}, change{}, true},
		{"dated without name", encodeChange("", false, when), change{}, true},
		{"dated without time", []byte{changeTimed}, change{}, true},
		{"truncated time", []byte{changeTimed, 0x80}, change{}, true},
		{"unknown flag", []byte{4, 'a'}, change{}, true},
		{"high flag", []byte{0x80, 'a'}, change{}, true},
	}
	for _, tc := range cases {
		got, err := decodeChange(tc.in)
		if tc.bad {
			if !errors.Is(err, errCorrupt) {
				t.Errorf("%s: %+v, %v; want errCorrupt", tc.name, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

func FuzzDecodeChange(f *testing.F) {
	f.Add(encodeChange("a.ics", true, time.Unix(1700000000, 1)))
	f.Add([]byte("\x00a.ics"))
	f.Add([]byte{changeTimed, 0x80})
	f.Fuzz(func(t *testing.T, v []byte) {
		rec, err := decodeChange(v)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error %v is not errCorrupt", err)
			}
			return
		}
		if rec.name == "" {
			t.Fatalf("%q decoded without a name", v)
		}
		if rec.when.IsZero() {
			return
		}
		again, err := decodeChange(encodeChange(rec.name, rec.deleted, rec.when))
		if err != nil || again != rec {
			t.Fatalf("%q: %+v re-encodes to %+v, %v", v, rec, again, err)
		}
	})
}

// tombstones writes n members and deletes them again in one transaction,
// leaving n tombstones dated an hour ago.
func tombstones(b *testing.B, db *DB, owner, coll string, n int) {
	b.Helper()
	then := time.Now().Add(-time.Hour).UTC()
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		c, err := loadColl(tx, owner, coll)
		if err != nil {
			return err
		}
		for i := range n {
			m := &storage.ObjectMeta{Name: fmt.Sprintf("%08d.ics", i), UID: fmt.Sprint(i), ETag: `"x"`}
			if err := c.put(m, []byte("x"), nil, then); err != nil {
				return err
			}
			if err := c.remove(m, then); err != nil {
				return err
			}
		}
		return c.save()
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPrune10kTombstones forgets 10,000 deletions in one collection
// and reports the mean write transaction of the pass, the time a writer
// may wait behind one (a PUT's own commit is in BenchmarkPut).
func BenchmarkPrune10kTombstones(b *testing.B) {
	const n = 10_000
	e := openBench(b)
	var (
		writing time.Duration
		txs     int
	)
	for b.Loop() {
		b.StopTimer()
		tombstones(b, e.db, e.owner, "cal", n)
		cutoff := time.Now()
		b.StartTimer()
		var todo []pruneTarget
		if err := e.db.bdb.View(func(tx *bbolt.Tx) error {
			var err error
			todo, _, err = pruneScan(tx, nil, cutoff)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		var st storage.PruneStats
		for len(todo) > 0 {
			start := time.Now()
			var err error
			if todo, err = e.db.pruneApply(todo, &st); err != nil {
				b.Fatal(err)
			}
			writing += time.Since(start)
			txs++
		}
		if st.Tombstones != n {
			b.Fatalf("dropped %d tombstones, want %d", st.Tombstones, n)
		}
	}
	b.ReportMetric(float64(writing.Microseconds())/1000/float64(txs), "ms/write-tx")
	b.ReportMetric(float64(txs)/float64(b.N), "write-txs/op")
}

// BenchmarkPruneIdle1000 is the hourly pass over 1,000 collections of 100
// members each with nothing new to prune: the steady state.
func BenchmarkPruneIdle1000(b *testing.B) {
	e := openBench(b)
	ctx := b.Context()
	for i := range 1000 {
		name := fmt.Sprint("c", i)
		if err := e.db.CreateCollection(ctx, &storage.Collection{Owner: e.owner, Name: name, Kind: storage.KindCalendar}); err != nil {
			b.Fatal(err)
		}
		err := e.db.bdb.Update(func(tx *bbolt.Tx) error {
			c, err := loadColl(tx, e.owner, name)
			if err != nil {
				return err
			}
			for j := range 100 {
				m := &storage.ObjectMeta{Name: fmt.Sprint(j, ".ics"), UID: fmt.Sprint(j), ETag: `"x"`}
				if err := c.put(m, []byte("x"), nil, time.Now().UTC()); err != nil {
					return err
				}
			}
			return c.save()
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if _, err := e.db.PruneChanges(ctx, time.Now()); err != nil {
		b.Fatal(err)
	}
	cutoff := time.Now()
	for b.Loop() {
		if st, err := e.db.PruneChanges(ctx, cutoff); err != nil || st != (storage.PruneStats{}) {
			b.Fatalf("idle pass: %+v, %v", st, err)
		}
	}
}

// TestOpenUpgradesSchema1 opens a file of schema 1, whose change records
// carry no time: Open stamps it 2, which a version 1 binary then refuses
// rather than misreading the new records, and its log keeps working and
// is pruned.
func TestOpenUpgradesSchema1(t *testing.T) {
	ctx := t.Context()
	db, path := openTemp(t)
	f := &pruneFixture{t, db}
	o := f.account("a", "cal")
	f.put(o, "cal", "a.ics") // 1
	f.del(o, "cal", "a.ics") // 2
	f.put(o, "cal", "b.ics") // 3
	f.untime(o, "cal")
	if err := db.bdb.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketSchema).Put(keyVersion, []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open of a schema 1 file: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	var version string
	db.bdb.View(func(tx *bbolt.Tx) error {
		version = string(tx.Bucket(bucketSchema).Get(keyVersion))
		return nil
	})
	if version != schemaVersion {
		t.Fatalf("schema version after Open: %q, want %q", version, schemaVersion)
	}
	c := f.coll(o, "cal")
	if ch, _, _, err := db.Changes(ctx, o, "cal", c.Incarnation, 1, 0); err != nil || len(ch) != 2 || ch[0].Name != "a.ics" || !ch[0].Deleted || ch[1].Name != "b.ics" {
		t.Fatalf("changes of the upgraded file: %+v, %v", ch, err)
	}
	f.prune(instant(), storage.PruneStats{Collections: 1, Tombstones: 1})
	f.check(o, "cal", 3, "")
}
