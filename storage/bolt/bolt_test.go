package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"almanac/storage"
	"almanac/storage/storagetest"

	"go.etcd.io/bbolt"
)

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "almanac.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db, path
}

// problemsOf runs Check on db and returns what it reports.
func problemsOf(t *testing.T, db *DB) []string {
	t.Helper()
	var problems []string
	_, err := db.Check(t.Context(), func(p storage.Problem) { problems = append(problems, p.String()) })
	must(t, err)
	return problems
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		db, _ := openTemp(t)
		return db
	})
}

func TestOpenLocked(t *testing.T) {
	db, path := openTemp(t)
	defer db.Close()

	// bbolt takes flock on its own descriptor, and flock conflicts between
	// descriptors even within one process, so this stands in for a second
	// almanac process.
	const timeout = 300 * time.Millisecond
	start := time.Now()
	second, err := Open(path, Options{Timeout: timeout})
	elapsed := time.Since(start)
	if err == nil {
		second.Close()
		t.Fatal("second Open of a held database succeeded")
	}
	if !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	if elapsed < timeout/2 || elapsed > timeout+time.Second {
		t.Fatalf("second Open failed after %v, want about %v", elapsed, timeout)
	}

	// The default timeout keeps a CLI within its two-second budget.
	start = time.Now()
	_, err = Open(path, Options{})
	if !errors.Is(err, storage.ErrLocked) || time.Since(start) > 2*time.Second {
		t.Fatalf("default timeout: err %v after %v", err, time.Since(start))
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	third, err := Open(path, Options{Timeout: timeout})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	third.Close()
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "almanac")
	path := filepath.Join(dir, "almanac.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Fatalf("%s mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "almanac.db")
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket(bucketSchema)
		if err != nil {
			return err
		}
		return b.Put(keyVersion, []byte("99"))
	})
	if err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	if db, err := Open(path, Options{}); err == nil {
		db.Close()
		t.Fatal("Open accepted a file from a newer schema")
	}
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	db, path := openTemp(t)
	a := &storage.Account{Login: "Alice@example.org", PasswordHash: "h"}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	c := &storage.Collection{Owner: a.ID, Name: "cal", Kind: storage.KindCalendar, Props: map[string]string{"{DAV:}displayname": "Cal"}}
	if err := db.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	data := []byte("BEGIN:VCALENDAR\r\nSUMMARY:caf\xe9\r\nEND:VCALENDAR\r\n")
	for _, n := range []string{"a.ics", "b.ics", "c.ics"} {
		if _, _, err := db.Put(ctx, storage.PutObject{Owner: a.ID, Collection: "cal", Name: n, UID: "uid-" + n, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Delete(ctx, a.ID, "cal", "b.ics", nil); err != nil {
		t.Fatal(err)
	}
	if err := pruneColl(db, a.ID, "cal", 1); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.AccountByLogin(ctx, "alice@EXAMPLE.org")
	if err != nil || got.ID != a.ID || got.PasswordHash != "h" {
		t.Fatalf("account after reopen: %+v, %v", got, err)
	}
	gc, err := db.Collection(ctx, a.ID, "cal")
	if err != nil {
		t.Fatal(err)
	}
	if gc.Incarnation != c.Incarnation || gc.Seq != 4 || gc.Pruned != 1 || gc.Props["{DAV:}displayname"] != "Cal" {
		t.Fatalf("collection after reopen: %+v", gc)
	}
	o, err := db.Get(ctx, a.ID, "cal", "c.ics")
	if err != nil || string(o.Data) != string(data) {
		t.Fatalf("object after reopen: %v %v", o, err)
	}
	ch, reached, _, err := db.Changes(ctx, a.ID, "cal", c.Incarnation, 1, 0)
	if err != nil || reached != 4 || len(ch) != 2 || ch[0].Name != "c.ics" || !ch[1].Deleted {
		t.Fatalf("changes after reopen: %+v %d %v", ch, reached, err)
	}
	// The UID index survived too.
	_, _, err = db.Put(ctx, storage.PutObject{Owner: a.ID, Collection: "cal", Name: "x.ics", UID: "uid-a.ics", Data: data})
	var conflict *storage.UIDConflictError
	if !errors.As(err, &conflict) || conflict.Name != "a.ics" {
		t.Fatalf("err = %v, want uid conflict with a.ics", err)
	}
}

// setChunks shrinks the List/Walk chunk sizes so a small collection spans
// several read transactions.
func setChunks(t *testing.T, n, bytes int) {
	oldN, oldB := listChunk, walkChunkBytes
	listChunk, walkChunkBytes = n, bytes
	t.Cleanup(func() { listChunk, walkChunkBytes = oldN, oldB })
}

type chunkFixture struct {
	db    *DB
	owner string
}

func newChunkFixture(t *testing.T, names ...string) *chunkFixture {
	t.Helper()
	ctx := t.Context()
	db, _ := openTemp(t)
	t.Cleanup(func() { db.Close() })
	a := &storage.Account{Login: "a@example.org"}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCollection(ctx, &storage.Collection{Owner: a.ID, Name: "cal", Kind: storage.KindCalendar}); err != nil {
		t.Fatal(err)
	}
	f := &chunkFixture{db: db, owner: a.ID}
	for _, n := range names {
		f.put(t, n)
	}
	return f
}

func (f *chunkFixture) put(t *testing.T, name string) {
	t.Helper()
	_, _, err := f.db.Put(t.Context(), storage.PutObject{Owner: f.owner, Collection: "cal", Name: name, UID: "uid-" + name, Data: []byte("data of " + name)})
	if err != nil {
		t.Fatal(err)
	}
}

func TestListWalkAcrossChunks(t *testing.T) {
	setChunks(t, 3, 40)
	var names []string
	for i := range 10 {
		names = append(names, fmt.Sprintf("%02d.ics", i))
	}
	f := newChunkFixture(t, names...)
	ctx := t.Context()

	var listed, walked []string
	err := f.db.List(ctx, f.owner, "cal", func(m *storage.ObjectMeta) error {
		listed = append(listed, m.Name)
		return nil
	})
	if err != nil || !slices.Equal(listed, names) {
		t.Fatalf("List = %v, %v; want %v", listed, err, names)
	}
	err = f.db.Walk(ctx, f.owner, "cal", func(o *storage.Object) error {
		if string(o.Data) != "data of "+o.Name {
			return fmt.Errorf("%s: data %q", o.Name, o.Data)
		}
		walked = append(walked, o.Name)
		return nil
	})
	if err != nil || !slices.Equal(walked, names) {
		t.Fatalf("Walk = %v, %v; want %v", walked, err, names)
	}
}

func TestListDuringWrites(t *testing.T) {
	setChunks(t, 2, 1<<20)
	f := newChunkFixture(t, "b.ics", "d.ics", "f.ics", "h.ics", "j.ics")
	ctx := t.Context()
	var seen []string
	err := f.db.List(ctx, f.owner, "cal", func(m *storage.ObjectMeta) error {
		seen = append(seen, m.Name)
		if len(seen) == 1 {
			// Before the next chunk: a member behind the cursor, one
			// ahead, the removal of one ahead, and the removal of the
			// resume point (d.ics, already copied out).
			f.put(t, "a.ics")
			f.put(t, "i.ics")
			for _, name := range []string{"h.ics", "d.ics"} {
				if err := f.db.Delete(ctx, f.owner, "cal", name, nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Objects present throughout appear once, in order; a.ics is behind
	// the resume point, i.ics ahead of it, h.ics gone before its chunk.
	if want := []string{"b.ics", "d.ics", "f.ics", "i.ics", "j.ics"}; !slices.Equal(seen, want) {
		t.Fatalf("List saw %v, want %v", seen, want)
	}
}

func TestWalkCollectionReplaced(t *testing.T) {
	setChunks(t, 1, 1<<20)
	f := newChunkFixture(t, "a.ics", "b.ics")
	ctx := t.Context()
	calls := 0
	err := f.db.Walk(ctx, f.owner, "cal", func(*storage.Object) error {
		calls++
		if err := f.db.DeleteCollection(ctx, f.owner, "cal"); err != nil {
			return err
		}
		// Same name, new incarnation: not the collection being walked.
		c := &storage.Collection{Owner: f.owner, Name: "cal", Kind: storage.KindCalendar}
		if err := f.db.CreateCollection(ctx, c); err != nil {
			return err
		}
		f.put(t, "z.ics")
		return nil
	})
	if !errors.Is(err, storage.ErrNotFound) || calls != 1 {
		t.Fatalf("Walk over a replaced collection: %v after %d calls, want ErrNotFound after 1", err, calls)
	}
}

func TestWalkDataStableDuringCall(t *testing.T) {
	// Data points into a reused buffer; an append by the callback must not
	// overwrite the next object in the same chunk.
	f := newChunkFixture(t, "a.ics", "b.ics")
	err := f.db.Walk(t.Context(), f.owner, "cal", func(o *storage.Object) error {
		if string(o.Data) != "data of "+o.Name {
			return fmt.Errorf("%s: %q", o.Name, o.Data)
		}
		_ = append(o.Data, "XXXXXXXXXXXXXXXX"...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEncodingRoundTrip(t *testing.T) {
	m := &storage.ObjectMeta{
		Name: "a b.ics", UID: "uid\x00with nul", Component: "VTODO", ContentType: "text/calendar",
		ETag: storage.ETagOf([]byte("x")), Size: 1 << 40, Modified: time.Unix(1700000000, 123456789).UTC(), Seq: 1<<63 + 5,
	}
	got, err := decodeMeta([]byte(m.Name), encodeMeta(m))
	if err != nil || *got != *m {
		t.Fatalf("meta round trip: %+v, %v", got, err)
	}
	empty := &storage.ObjectMeta{Name: "e", Modified: time.Unix(0, 0).UTC()}
	if got, err := decodeMeta([]byte("e"), encodeMeta(empty)); err != nil || *got != *empty {
		t.Fatalf("empty meta round trip: %+v, %v", got, err)
	}
	enc := encodeMeta(m)
	for _, bad := range [][]byte{nil, {}, {2}, enc[:len(enc)-1], append(enc[:len(enc):len(enc)], 0)} {
		if _, err := decodeMeta([]byte("x"), bad); !errors.Is(err, errCorrupt) {
			t.Fatalf("decodeMeta(%q) err = %v, want errCorrupt", bad, err)
		}
	}

	spans := []storage.Span{
		{},
		{Known: true, Start: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)},
		{Known: true, Start: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), Open: true},
		{Known: true, Start: time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{Known: true, Start: time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC), End: time.Date(2026, 1, 1, 0, 0, 0, 999999999, time.UTC)},
		{Known: true, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Known: true, Start: time.Date(1969, 12, 31, 23, 59, 59, 500, time.UTC), End: time.Date(1969, 12, 31, 23, 59, 59, 600, time.UTC)},
	}
	for _, sp := range spans {
		ms := *m
		ms.Span = sp
		enc := encodeMeta(&ms)
		got, err := decodeMeta([]byte(ms.Name), enc)
		if err != nil || *got != ms {
			t.Fatalf("span round trip %+v: %+v, %v", sp, got, err)
		}
		if _, err := decodeMeta([]byte("x"), enc[:len(enc)-1]); !errors.Is(err, errCorrupt) {
			t.Fatalf("span %+v: truncated record err = %v, want errCorrupt", sp, err)
		}
	}
	for _, bad := range [][]byte{{8}, {2}, {spanKnown | spanNanos, 0, 0, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0}} {
		rec := append(enc[:len(enc)-1:len(enc)-1], bad...)
		if _, err := decodeMeta([]byte("x"), rec); !errors.Is(err, errCorrupt) {
			t.Fatalf("span bytes %x: err = %v, want errCorrupt", bad, err)
		}
	}

	s := state{seq: 42, pruned: 7, modified: time.Unix(1700000000, 1).UTC(), incarnation: "abcdefghijklmnop"}
	gs, err := decodeState(s.encode())
	if err != nil || gs != s {
		t.Fatalf("state round trip: %+v, %v", gs, err)
	}
	if _, err := decodeState(nil); !errors.Is(err, errCorrupt) {
		t.Fatalf("decodeState(nil) err = %v", err)
	}

	when := time.Unix(1700000000, 9).UTC()
	ch, err := decodeChange(encodeChange("x.ics", true, when))
	if err != nil || ch != (change{name: "x.ics", deleted: true, when: when}) {
		t.Fatalf("change round trip: %+v %v", ch, err)
	}
}

// TestDecodeMetaV1 reads a record in the layout written before spans
// existed: it decodes with an unknown span.
func TestDecodeMetaV1(t *testing.T) {
	etag := storage.ETagOf([]byte("x"))
	v1 := []byte{metaFormatV1}
	v1 = binary.AppendUvarint(v1, 7)
	v1 = binary.AppendVarint(v1, 1234)
	v1 = binary.AppendVarint(v1, time.Unix(1700000000, 5).UnixNano())
	for _, s := range []string{"uid-1", "VEVENT", "text/calendar", etag} {
		v1 = binary.AppendUvarint(v1, uint64(len(s)))
		v1 = append(v1, s...)
	}
	got, err := decodeMeta([]byte("old.ics"), v1)
	if err != nil {
		t.Fatal(err)
	}
	want := storage.ObjectMeta{Name: "old.ics", UID: "uid-1", Component: "VEVENT", ContentType: "text/calendar",
		ETag: etag, Size: 1234, Modified: time.Unix(1700000000, 5).UTC(), Seq: 7}
	if *got != want {
		t.Fatalf("v1 meta = %+v, want %+v", *got, want)
	}
	// A v1 record with span bytes after it is corrupt, not a v2 record.
	if _, err := decodeMeta([]byte("x"), append(v1, 0)); !errors.Is(err, errCorrupt) {
		t.Fatalf("v1 with trailing byte: err = %v", err)
	}
}

// TestDomainErrorsDoNotRetryBatch checks that a write failing its
// precondition inside a shared batch does not roll the batch back: a
// rollback would re-run every other writer's function, which shows as a
// second evaluation of its precondition.
func TestDomainErrorsDoNotRetryBatch(t *testing.T) {
	f := newChunkFixture(t, "taken.ics")
	ctx := t.Context()
	const n = 8
	var calls [n]atomic.Int32
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprint(i, ".ics")
			if i%3 == 0 {
				name = "taken.ics"
			}
			_, _, errs[i] = f.db.Put(ctx, storage.PutObject{
				Owner: f.owner, Collection: "cal", Name: name, Data: []byte(name),
				If: func(exists bool, _ string) bool { calls[i].Add(1); return !exists },
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if wantFail := i%3 == 0; wantFail != errors.Is(err, storage.ErrPreconditionFailed) || (!wantFail && err != nil) {
			t.Fatalf("writer %d: err = %v", i, err)
		}
		if c := calls[i].Load(); c != 1 {
			t.Fatalf("writer %d: precondition evaluated %d times, want 1", i, c)
		}
	}
}
