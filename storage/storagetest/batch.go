package storagetest

import (
	"errors"
	"testing"

	"almanac/storage"
)

var batchTests = []test{
	{"WritesAll", testBatchWritesAll},
	{"FailedPreconditionWritesNothing", testBatchPrecondition},
	{"UIDConflictWritesNothing", testBatchUIDConflict},
	{"UIDChangeWritesNothing", testBatchUIDChange},
	{"MissingCollectionWritesNothing", testBatchMissingCollection},
	{"RefusesDuplicates", testBatchDuplicates},
	{"Empty", testBatchEmpty},
}

func (f *fixture) putObject(coll, name, uid string, data []byte, cond storage.Precondition) storage.PutObject {
	return storage.PutObject{Owner: f.owner, Collection: coll, Name: name, UID: uid,
		Component: "VEVENT", ContentType: "text/calendar", Data: data, If: cond}
}

// A batch writes each put as Put would, in order: one sequence step and
// one change record each, created telling new from replaced.
func testBatchWritesAll(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	old := ics("uid-old", "before")
	f.put(t, f.cal, "old.ics", "uid-old", old)
	seq := f.seq(t, f.cal)
	a, b, old2 := ics("uid-a", "a"), ics("uid-b", "b"), ics("uid-old", "after")
	res, err := s.PutBatch(t.Context(), []storage.PutObject{
		f.putObject(f.cal, "a.ics", "uid-a", a, ifNoneMatchAny),
		f.putObject(f.cal, "old.ics", "uid-old", old2, ifMatch(storage.ETagOf(old))),
		f.putObject(f.cal, "b.ics", "uid-b", b, nil),
	})
	ok(t, err)
	if len(res) != 3 || !res[0].Created || res[1].Created || !res[2].Created {
		t.Fatalf("results = %+v, want created, replaced, created", res)
	}
	for i, want := range []struct {
		name string
		data []byte
	}{{"a.ics", a}, {"old.ics", old2}, {"b.ics", b}} {
		m := res[i].Meta
		if m.Name != want.name || m.ETag != storage.ETagOf(want.data) || m.Size != int64(len(want.data)) || m.Seq != seq+uint64(i)+1 {
			t.Errorf("result %d = %+v, want %s at seq %d", i, m, want.name, seq+uint64(i)+1)
		}
		f.wantData(t, f.cal, want.name, want.data)
		st, err := s.Stat(t.Context(), f.owner, f.cal, want.name)
		ok(t, err)
		if !sameMeta(*st, *m) {
			t.Errorf("Stat %s = %+v, want %+v", want.name, st, m)
		}
	}
	if got := f.seq(t, f.cal); got != seq+3 {
		t.Fatalf("Seq %d -> %d, want three steps", seq, got)
	}
	ch, _, _ := f.changes(t, f.cal, seq, 0)
	if got, want := fmtChanges(ch), fmtChanges([]storage.Change{{Name: "a.ics", Seq: seq + 1}, {Name: "old.ics", Seq: seq + 2}, {Name: "b.ics", Seq: seq + 3}}); got != want {
		t.Fatalf("changes = %s, want %s", got, want)
	}
	// The UID index follows the batch: a.ics holds uid-a.
	_, _, err = s.Put(t.Context(), f.putObject(f.cal, "other.ics", "uid-a", a, nil))
	var uc *storage.UIDConflictError
	if !errors.As(err, &uc) || uc.Name != "a.ics" {
		t.Fatalf("Put of uid-a elsewhere: err = %v, want a conflict with a.ics", err)
	}
	// Every index a Put keeps, the batch kept.
	if problems, _ := check(t, s); len(problems) != 0 {
		t.Fatalf("after a batch, Check finds %v", problems)
	}
}

// unchanged checks that a failed batch left the calendar as it was.
func (f *fixture) unchanged(t *testing.T, seq uint64, names []string) {
	t.Helper()
	if got := f.seq(t, f.cal); got != seq {
		t.Fatalf("a failed batch moved Seq %d -> %d", seq, got)
	}
	if got := f.names(t, f.cal); len(got) != len(names) {
		t.Fatalf("a failed batch left members %v, want %v", got, names)
	}
}

// The last put's precondition fails: the first is not written either.
func testBatchPrecondition(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	x := ics("uid-x", "x")
	f.put(t, f.cal, "x.ics", "uid-x", x)
	seq := f.seq(t, f.cal)
	_, err := s.PutBatch(t.Context(), []storage.PutObject{
		f.putObject(f.cal, "a.ics", "uid-a", ics("uid-a", "a"), ifNoneMatchAny),
		f.putObject(f.cal, "x.ics", "uid-x", ics("uid-x", "x2"), ifMatch(`"stale"`)),
	})
	wantErr(t, err, storage.ErrPreconditionFailed)
	f.unchanged(t, seq, []string{"x.ics"})
	f.wantData(t, f.cal, "a.ics", nil)
	f.wantData(t, f.cal, "x.ics", x)
}

func testBatchUIDConflict(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	f.put(t, f.cal, "x.ics", "uid-x", ics("uid-x", "x"))
	seq := f.seq(t, f.cal)
	_, err := s.PutBatch(t.Context(), []storage.PutObject{
		f.putObject(f.cal, "a.ics", "uid-a", ics("uid-a", "a"), nil),
		f.putObject(f.cal, "y.ics", "uid-x", ics("uid-x", "y"), nil),
	})
	var uc *storage.UIDConflictError
	if !errors.As(err, &uc) || uc.UID != "uid-x" || uc.Name != "x.ics" {
		t.Fatalf("err = %v, want uid-x held by x.ics", err)
	}
	f.unchanged(t, seq, []string{"x.ics"})
	f.wantData(t, f.cal, "a.ics", nil)
}

func testBatchUIDChange(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	f.put(t, f.cal, "x.ics", "uid-x", ics("uid-x", "x"))
	seq := f.seq(t, f.cal)
	_, err := s.PutBatch(t.Context(), []storage.PutObject{
		f.putObject(f.cal, "a.ics", "uid-a", ics("uid-a", "a"), nil),
		f.putObject(f.cal, "x.ics", "uid-other", ics("uid-other", "x"), nil),
	})
	var uc *storage.UIDConflictError
	if !errors.As(err, &uc) || uc.Held != "uid-x" {
		t.Fatalf("err = %v, want a refused UID change of x.ics", err)
	}
	f.unchanged(t, seq, []string{"x.ics"})
}

func testBatchMissingCollection(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	seq := f.seq(t, f.cal)
	_, err := s.PutBatch(t.Context(), []storage.PutObject{
		f.putObject(f.cal, "a.ics", "uid-a", ics("uid-a", "a"), nil),
		f.putObject("missing", "b.ics", "uid-b", ics("uid-b", "b"), nil),
	})
	wantErr(t, err, storage.ErrNotFound)
	f.unchanged(t, seq, nil)
}

// Each put is checked against the state before the batch, so two that
// would see each other are refused.
func testBatchDuplicates(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "other", storage.KindCalendar)
	seq := f.seq(t, f.cal)
	for name, puts := range map[string][]storage.PutObject{
		"same name": {
			f.putObject(f.cal, "a.ics", "uid-a", ics("uid-a", "a"), nil),
			f.putObject(f.cal, "a.ics", "uid-a", ics("uid-a", "a2"), nil),
		},
		"same uid": {
			f.putObject(f.cal, "a.ics", "uid-a", ics("uid-a", "a"), nil),
			f.putObject(f.cal, "b.ics", "uid-a", ics("uid-a", "b"), nil),
		},
	} {
		if _, err := s.PutBatch(t.Context(), puts); err == nil {
			t.Errorf("%s: PutBatch succeeded", name)
		}
		f.unchanged(t, seq, nil)
	}
	// One UID in two collections is no conflict.
	_, err := s.PutBatch(t.Context(), []storage.PutObject{
		f.putObject(f.cal, "a.ics", "uid-a", ics("uid-a", "a"), nil),
		f.putObject("other", "a.ics", "uid-a", ics("uid-a", "a"), nil),
	})
	ok(t, err)
}

func testBatchEmpty(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	seq := f.seq(t, f.cal)
	res, err := s.PutBatch(t.Context(), nil)
	if err != nil || len(res) != 0 {
		t.Fatalf("PutBatch(nil) = %v, %v", res, err)
	}
	f.unchanged(t, seq, nil)
}
