package storagetest

import (
	"errors"
	"testing"

	"almanac/storage"
)

var transferTests = []test{
	{"MoveAcrossCollections", testMoveAcross},
	{"CopyAcrossCollections", testCopyAcross},
	{"CopyToOtherOwner", testCopyOtherOwner},
	{"NoOverwrite", testTransferNoOverwrite},
	{"Overwrite", testTransferOverwrite},
	{"SourcePrecondition", testTransferPrecondition},
	{"NotFound", testTransferNotFound},
	{"UIDConflict", testTransferUIDConflict},
	{"UIDCannotChange", testTransferUIDChange},
	{"MoveWithinCollection", testMoveWithin},
	{"CopyWithinCollection", testCopyWithin},
	{"OntoItself", testTransferOntoItself},
}

// transferFixture has a calendar "src" holding a.ics and an empty
// calendar "dst".
type transferFixture struct {
	*fixture
	data []byte
	meta *storage.ObjectMeta
}

func newTransferFixture(t *testing.T, s storage.Store) *transferFixture {
	t.Helper()
	f := newFixture(t, s)
	f.cal = "src"
	newCollection(t, s, f.owner, "src", storage.KindCalendar)
	newCollection(t, s, f.owner, "dst", storage.KindCalendar)
	data := ics("uid-a", "moving")
	return &transferFixture{fixture: f, data: data, meta: f.put(t, "src", "a.ics", "uid-a", data)}
}

func (f *transferFixture) transfer(t *testing.T, tr storage.Transfer) (bool, error) {
	t.Helper()
	if tr.FromOwner == "" {
		tr.FromOwner = f.owner
	}
	if tr.ToOwner == "" {
		tr.ToOwner = f.owner
	}
	return f.s.Transfer(t.Context(), tr)
}

// unchanged checks that a failed transfer left both collections as they
// were.
func (f *transferFixture) unchanged(t *testing.T, seqs map[string]uint64) {
	t.Helper()
	for coll, seq := range seqs {
		if got := f.seq(t, coll); got != seq {
			t.Fatalf("failed transfer moved %s Seq %d -> %d", coll, seq, got)
		}
	}
	f.wantData(t, "src", "a.ics", f.data)
}

func (f *transferFixture) seqs(t *testing.T) map[string]uint64 {
	t.Helper()
	return map[string]uint64{"src": f.seq(t, "src"), "dst": f.seq(t, "dst")}
}

func testMoveAcross(t *testing.T, s storage.Store) {
	f := newTransferFixture(t, s)
	before := f.seqs(t)
	created, err := f.transfer(t, storage.Transfer{FromCollection: "src", FromName: "a.ics", ToCollection: "dst", ToName: "b.ics"})
	ok(t, err)
	if !created {
		t.Fatal("move to a new name: created = false")
	}
	f.wantData(t, "src", "a.ics", nil)
	f.wantData(t, "dst", "b.ics", f.data)
	m, err := s.Stat(t.Context(), f.owner, "dst", "b.ics")
	ok(t, err)
	if m.ETag != f.meta.ETag || m.UID != "uid-a" || m.Component != "VEVENT" || m.ContentType != "text/calendar" || m.Size != f.meta.Size {
		t.Fatalf("moved meta = %+v, want the source's %+v", m, f.meta)
	}
	after := f.seqs(t)
	if after["src"] != before["src"]+1 || after["dst"] != before["dst"]+1 || m.Seq != after["dst"] {
		t.Fatalf("Seqs %v -> %v (meta Seq %d), want one bump each", before, after, m.Seq)
	}
	ch, _, _ := f.changes(t, "src", before["src"], 0)
	if fmtChanges(ch) != "a.ics@2-" {
		t.Fatalf("source log %q, want a deletion of a.ics", fmtChanges(ch))
	}
	ch, _, _ = f.changes(t, "dst", before["dst"], 0)
	if fmtChanges(ch) != "b.ics@1" || ch[0].ETag != f.meta.ETag {
		t.Fatalf("destination log %+v, want b.ics with the ETag", ch)
	}
	// The UID left the source collection.
	f.put(t, "src", "again.ics", "uid-a", ics("uid-a", "again"))
}

func testCopyAcross(t *testing.T, s storage.Store) {
	f := newTransferFixture(t, s)
	before := f.seqs(t)
	created, err := f.transfer(t, storage.Transfer{FromCollection: "src", FromName: "a.ics", ToCollection: "dst", ToName: "a.ics", Copy: true})
	ok(t, err)
	if !created {
		t.Fatal("copy to a new name: created = false")
	}
	f.wantData(t, "src", "a.ics", f.data)
	f.wantData(t, "dst", "a.ics", f.data)
	after := f.seqs(t)
	if after["src"] != before["src"] || after["dst"] != before["dst"]+1 {
		t.Fatalf("Seqs %v -> %v, want only the destination bumped", before, after)
	}
	if ch, _, _ := f.changes(t, "dst", 0, 0); fmtChanges(ch) != "a.ics@1" {
		t.Fatalf("destination log %q", fmtChanges(ch))
	}
	// Each copy is its own object.
	f.put(t, "dst", "a.ics", "uid-a", ics("uid-a", "edited copy"))
	f.wantData(t, "src", "a.ics", f.data)
}

func testCopyOtherOwner(t *testing.T, s storage.Store) {
	f := newTransferFixture(t, s)
	bob := newAccount(t, s, "bob@example.org")
	newCollection(t, s, bob.ID, "shared", storage.KindCalendar)
	_, err := f.transfer(t, storage.Transfer{FromCollection: "src", FromName: "a.ics", ToOwner: bob.ID, ToCollection: "shared", ToName: "a.ics", Copy: true})
	ok(t, err)
	o, err := s.Get(t.Context(), bob.ID, "shared", "a.ics")
	ok(t, err)
	if string(o.Data) != string(f.data) {
		t.Fatalf("copied data %q", o.Data)
	}
	f.wantData(t, "src", "a.ics", f.data)
}

func testTransferNoOverwrite(t *testing.T, s storage.Store) {
	f := newTransferFixture(t, s)
	existing := ics("uid-x", "existing")
	f.put(t, "dst", "x.ics", "uid-x", existing)
	before := f.seqs(t)
	for _, cp := range []bool{false, true} {
		_, err := f.transfer(t, storage.Transfer{FromCollection: "src", FromName: "a.ics", ToCollection: "dst", ToName: "x.ics", Copy: cp})
		wantErr(t, err, storage.ErrPreconditionFailed)
		f.unchanged(t, before)
		f.wantData(t, "dst", "x.ics", existing)
	}
}

func testTransferOverwrite(t *testing.T, s storage.Store) {
	f := newTransferFixture(t, s)
	// The destination is the same resource (its UID is the source's), as
	// when a client moves an event back onto its copy.
	f.put(t, "dst", "x.ics", "uid-a", ics("uid-a", "replaced"))
	before := f.seqs(t)
	created, err := f.transfer(t, storage.Transfer{FromCollection: "src", FromName: "a.ics", ToCollection: "dst", ToName: "x.ics", Overwrite: true})
	ok(t, err)
	if created {
		t.Fatal("overwriting move: created = true")
	}
	f.wantData(t, "dst", "x.ics", f.data)
	f.wantData(t, "src", "a.ics", nil)
	after := f.seqs(t)
	if after["src"] != before["src"]+1 || after["dst"] != before["dst"]+1 {
		t.Fatalf("Seqs %v -> %v", before, after)
	}
	if ch, _, _ := f.changes(t, "dst", 0, 0); fmtChanges(ch) != "x.ics@2" || ch[0].ETag != f.meta.ETag {
		t.Fatalf("destination log %+v, want one entry for x.ics", ch)
	}
	// The moved UID is held by x.ics in the destination and free in the
	// source.
	_, _, err = s.Put(t.Context(), storage.PutObject{Owner: f.owner, Collection: "dst", Name: "z.ics", UID: "uid-a", Data: f.data})
	var conflict *storage.UIDConflictError
	if !errors.As(err, &conflict) || conflict.Name != "x.ics" {
		t.Fatalf("err = %v, want uid-a held by x.ics", err)
	}
	f.put(t, "src", "again.ics", "uid-a", ics("uid-a", "again"))
}

func testTransferPrecondition(t *testing.T, s storage.Store) {
	f := newTransferFixture(t, s)
	before := f.seqs(t)
	var sawExists bool
	var sawETag string
	cond := func(exists bool, etag string) bool {
		sawExists, sawETag = exists, etag
		return etag == storage.ETagOf([]byte("stale"))
	}
	_, err := f.transfer(t, storage.Transfer{FromCollection: "src", FromName: "a.ics", ToCollection: "dst", ToName: "b.ics", If: cond})
	wantErr(t, err, storage.ErrPreconditionFailed)
	if !sawExists || sawETag != f.meta.ETag {
		t.Fatalf("precondition saw (%v, %s), want the source (true, %s)", sawExists, sawETag, f.meta.ETag)
	}
	f.unchanged(t, before)
	f.wantData(t, "dst", "b.ics", nil)

	_, err = f.transfer(t, storage.Transfer{FromCollection: "src", FromName: "a.ics", ToCollection: "dst", ToName: "b.ics", If: ifMatch(f.meta.ETag)})
	ok(t, err)
	f.wantData(t, "dst", "b.ics", f.data)
}

func testTransferNotFound(t *testing.T, s storage.Store) {
	f := newTransferFixture(t, s)
	before := f.seqs(t)
	for _, tr := range []storage.Transfer{
		{FromCollection: "src", FromName: "missing.ics", ToCollection: "dst", ToName: "b.ics"},
		{FromCollection: "src", FromName: "missing.ics", ToCollection: "dst", ToName: "b.ics", If: func(bool, string) bool { return false }},
		{FromCollection: "nope", FromName: "a.ics", ToCollection: "dst", ToName: "b.ics"},
		{FromCollection: "src", FromName: "a.ics", ToCollection: "nope", ToName: "b.ics"},
		{FromCollection: "src", FromName: "a.ics", ToOwner: "nobody", ToCollection: "dst", ToName: "b.ics"},
	} {
		_, err := f.transfer(t, tr)
		wantErr(t, err, storage.ErrNotFound)
		f.unchanged(t, before)
		_, err = s.Collection(t.Context(), f.owner, "nope")
		wantErr(t, err, storage.ErrNotFound)
	}
}

func testTransferUIDConflict(t *testing.T, s storage.Store) {
	f := newTransferFixture(t, s)
	f.put(t, "dst", "holder.ics", "uid-a", ics("uid-a", "holder"))
	before := f.seqs(t)
	for _, cp := range []bool{false, true} {
		_, err := f.transfer(t, storage.Transfer{FromCollection: "src", FromName: "a.ics", ToCollection: "dst", ToName: "b.ics", Copy: cp})
		var conflict *storage.UIDConflictError
		if !errors.As(err, &conflict) || conflict.UID != "uid-a" || conflict.Name != "holder.ics" {
			t.Fatalf("copy %v: err = %v, want uid-a held by holder.ics", cp, err)
		}
		f.unchanged(t, before)
		f.wantData(t, "dst", "b.ics", nil)
	}
	// Replacing the holder itself is not a conflict.
	created, err := f.transfer(t, storage.Transfer{FromCollection: "src", FromName: "a.ics", ToCollection: "dst", ToName: "holder.ics", Overwrite: true})
	ok(t, err)
	if created {
		t.Fatal("created = true when replacing holder.ics")
	}
	f.wantData(t, "dst", "holder.ics", f.data)
}

// Replacing a member with an object of another UID changes the member's
// UID, which no-uid-conflict forbids (RFC 4791 5.3.2.1, RFC 6352 6.3.2.1)
// for COPY and MOVE as for PUT: the error names the destination member,
// and nothing changes.
func testTransferUIDChange(t *testing.T, s storage.Store) {
	f := newTransferFixture(t, s)
	x := ics("uid-x", "in the way")
	f.put(t, "dst", "x.ics", "uid-x", x)
	f.put(t, "src", "y.ics", "uid-y", ics("uid-y", "beside"))
	before := f.seqs(t)
	for _, tr := range []storage.Transfer{
		{FromCollection: "src", FromName: "a.ics", ToCollection: "dst", ToName: "x.ics", Overwrite: true},
		{FromCollection: "src", FromName: "a.ics", ToCollection: "dst", ToName: "x.ics", Overwrite: true, Copy: true},
		{FromCollection: "src", FromName: "a.ics", ToCollection: "src", ToName: "y.ics", Overwrite: true},
	} {
		_, err := f.transfer(t, tr)
		var conflict *storage.UIDConflictError
		if !errors.As(err, &conflict) || *conflict != (storage.UIDConflictError{UID: "uid-a", Name: tr.ToName, Held: "uid-" + tr.ToName[:1]}) {
			t.Fatalf("%+v: err = %v, want %s holding its own uid", tr, err, tr.ToName)
		}
		f.unchanged(t, before)
		f.wantData(t, "dst", "x.ics", x)
	}
}

func testMoveWithin(t *testing.T, s storage.Store) {
	f := newTransferFixture(t, s)
	seq := f.seq(t, "src")
	created, err := f.transfer(t, storage.Transfer{FromCollection: "src", FromName: "a.ics", ToCollection: "src", ToName: "renamed.ics"})
	ok(t, err)
	if !created {
		t.Fatal("rename: created = false")
	}
	f.wantData(t, "src", "a.ics", nil)
	f.wantData(t, "src", "renamed.ics", f.data)
	// Two member changes, two sequence steps.
	if got := f.seq(t, "src"); got != seq+2 {
		t.Fatalf("Seq %d -> %d, want +2", seq, got)
	}
	if ch, _, _ := f.changes(t, "src", seq, 0); fmtChanges(ch) != "a.ics@2- renamed.ics@3" {
		t.Fatalf("log %q", fmtChanges(ch))
	}
	_, _, err = s.Put(t.Context(), storage.PutObject{Owner: f.owner, Collection: "src", Name: "new.ics", UID: "uid-a", Data: f.data})
	var conflict *storage.UIDConflictError
	if !errors.As(err, &conflict) || conflict.Name != "renamed.ics" {
		t.Fatalf("err = %v, want uid-a held by renamed.ics", err)
	}
}

func testCopyWithin(t *testing.T, s storage.Store) {
	f := newTransferFixture(t, s)
	before := f.seqs(t)
	_, err := f.transfer(t, storage.Transfer{FromCollection: "src", FromName: "a.ics", ToCollection: "src", ToName: "copy.ics", Copy: true})
	var conflict *storage.UIDConflictError
	if !errors.As(err, &conflict) || conflict.Name != "a.ics" {
		t.Fatalf("err = %v, want uid-a held by a.ics", err)
	}
	f.unchanged(t, before)
	f.wantData(t, "src", "copy.ics", nil)
}

func testTransferOntoItself(t *testing.T, s storage.Store) {
	f := newTransferFixture(t, s)
	before := f.seqs(t)
	for _, tr := range []storage.Transfer{
		{FromCollection: "src", FromName: "a.ics", ToCollection: "src", ToName: "a.ics", Overwrite: true},
		{FromCollection: "src", FromName: "a.ics", ToCollection: "src", ToName: "a.ics", Overwrite: true, Copy: true},
		{FromCollection: "src", FromName: "a.ics", ToCollection: "src", ToName: "a.ics"},
	} {
		_, err := f.transfer(t, tr)
		wantErr(t, err, storage.ErrPreconditionFailed)
		f.unchanged(t, before)
	}
}
