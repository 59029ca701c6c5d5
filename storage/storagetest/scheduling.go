package storagetest

import (
	"errors"
	"testing"

	"almanac/storage"
)

// Scheduling: WriteBatch is all or nothing, FindUID searches every
// collection of an account, schedule tags are kept and carried along,
// and a scheduling inbox is a collection like the others whose members
// carry no UID.
var schedulingTests = []test{
	{"ScheduleTagRoundTrip", testScheduleTagRoundTrip},
	{"ScheduleTagTransfer", testScheduleTagTransfer},
	{"BatchWritesAcrossAccounts", testBatchAcrossAccounts},
	{"BatchAllOrNothing", testBatchAllOrNothing},
	{"BatchSeesEarlierOps", testBatchSeesEarlierOps},
	{"BatchErrors", testBatchErrors},
	{"FindUID", testFindUID},
	{"ScheduleInbox", testScheduleInbox},
}

func (f *fixture) putTagged(t *testing.T, coll, name, uid, tag string, data []byte) *storage.ObjectMeta {
	t.Helper()
	m, _, err := f.s.Put(t.Context(), storage.PutObject{
		Owner: f.owner, Collection: coll, Name: name, UID: uid, ScheduleTag: tag,
		Component: "VEVENT", ContentType: "text/calendar", Data: data,
	})
	if err != nil {
		t.Fatalf("Put %s/%s: %v", coll, name, err)
	}
	return m
}

func testScheduleTagRoundTrip(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	m := f.putTagged(t, f.cal, "a.ics", "uid-a", `"tag-1"`, ics("uid-a", "a"))
	if m.ScheduleTag != `"tag-1"` {
		t.Fatalf("Put returned tag %q", m.ScheduleTag)
	}
	st, err := s.Stat(ctx, f.owner, f.cal, "a.ics")
	ok(t, err)
	o, err := s.Get(ctx, f.owner, f.cal, "a.ics")
	ok(t, err)
	if !sameMeta(*st, *m) || !sameMeta(o.ObjectMeta, *m) {
		t.Fatalf("Stat %+v, Get %+v; want %+v", st, o.ObjectMeta, m)
	}
	var listed []string
	ok(t, s.List(ctx, f.owner, f.cal, func(m *storage.ObjectMeta) error {
		listed = append(listed, m.ScheduleTag)
		return nil
	}))
	if len(listed) != 1 || listed[0] != `"tag-1"` {
		t.Fatalf("List tags %q", listed)
	}
	// A write without a tag leaves none: the tag is the writer's.
	f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "a again"))
	st, err = s.Stat(ctx, f.owner, f.cal, "a.ics")
	ok(t, err)
	if st.ScheduleTag != "" {
		t.Fatalf("tag after an untagged write: %q", st.ScheduleTag)
	}
}

func testScheduleTagTransfer(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	newCollection(t, s, f.owner, "other", storage.KindCalendar)
	f.putTagged(t, f.cal, "a.ics", "uid-a", `"t"`, ics("uid-a", "a"))
	_, err := s.Transfer(ctx, storage.Transfer{FromOwner: f.owner, FromCollection: f.cal, FromName: "a.ics",
		ToOwner: f.owner, ToCollection: "other", ToName: "moved.ics"})
	ok(t, err)
	_, err = s.Transfer(ctx, storage.Transfer{FromOwner: f.owner, FromCollection: "other", FromName: "moved.ics",
		ToOwner: f.owner, ToCollection: f.cal, ToName: "copy.ics", Copy: true})
	ok(t, err)
	for _, at := range [][2]string{{"other", "moved.ics"}, {f.cal, "copy.ics"}} {
		m, err := s.Stat(ctx, f.owner, at[0], at[1])
		ok(t, err)
		if m.ScheduleTag != `"t"` {
			t.Errorf("%s/%s tag %q, want the source's", at[0], at[1], m.ScheduleTag)
		}
	}
}

// twoCalendars is two accounts with a calendar each, the shape of an
// organizer and a local attendee.
func twoCalendars(t *testing.T, s storage.Store) (alice, bob string) {
	t.Helper()
	a := newAccount(t, s, "alice@example.org")
	b := newAccount(t, s, "bob@example.org")
	newCollection(t, s, a.ID, "cal", storage.KindCalendar)
	newCollection(t, s, b.ID, "cal", storage.KindCalendar)
	return a.ID, b.ID
}

func batchPut(owner, coll, name, uid string, data []byte, cond storage.Precondition) storage.BatchOp {
	return storage.BatchOp{Put: &storage.PutObject{Owner: owner, Collection: coll, Name: name, UID: uid,
		Component: "VEVENT", ContentType: "text/calendar", Data: data, If: cond}}
}

func batchDelete(owner, coll, name string, cond storage.Precondition) storage.BatchOp {
	return storage.BatchOp{Delete: &storage.DeleteObject{Owner: owner, Collection: coll, Name: name, If: cond}}
}

func testBatchAcrossAccounts(t *testing.T, s storage.Store) {
	alice, bob := twoCalendars(t, s)
	ctx := t.Context()
	fa, fb := &fixture{s: s, owner: alice, cal: "cal"}, &fixture{s: s, owner: bob, cal: "cal"}
	old := fb.put(t, "cal", "gone.ics", "uid-gone", ics("uid-gone", "gone"))
	res, err := s.WriteBatch(ctx, []storage.BatchOp{
		batchPut(alice, "cal", "m.ics", "uid-m", ics("uid-m", "meeting"), ifNoneMatchAny),
		batchPut(bob, "cal", "m.ics", "uid-m", ics("uid-m", "meeting, Bob's"), nil),
		batchDelete(bob, "cal", "gone.ics", ifMatch(old.ETag)),
	})
	ok(t, err)
	if len(res) != 3 || res[0].Meta == nil || !res[0].Created || res[1].Meta == nil || !res[1].Created || res[2].Meta != nil {
		t.Fatalf("results %+v", res)
	}
	if res[0].Meta.ETag != storage.ETagOf(ics("uid-m", "meeting")) || res[0].Meta.Name != "m.ics" {
		t.Errorf("result meta %+v", res[0].Meta)
	}
	fa.wantData(t, "cal", "m.ics", ics("uid-m", "meeting"))
	fb.wantData(t, "cal", "m.ics", ics("uid-m", "meeting, Bob's"))
	fb.wantData(t, "cal", "gone.ics", nil)
	if got := fmtChanges(mustChanges(t, fb, "cal")); got != "m.ics@2 gone.ics@3-" {
		t.Errorf("bob's changes %s", got)
	}
}

func mustChanges(t *testing.T, f *fixture, coll string) []storage.Change {
	t.Helper()
	c := f.coll(t, coll)
	ch, _, _, err := f.s.Changes(t.Context(), f.owner, coll, c.Incarnation, 1, 0)
	ok(t, err)
	return ch
}

// A failing op anywhere leaves every collection as it was: no bytes, no
// sequence bump, no change record.
func testBatchAllOrNothing(t *testing.T, s storage.Store) {
	alice, bob := twoCalendars(t, s)
	ctx := t.Context()
	fa, fb := &fixture{s: s, owner: alice, cal: "cal"}, &fixture{s: s, owner: bob, cal: "cal"}
	keep := fb.put(t, "cal", "keep.ics", "uid-keep", ics("uid-keep", "keep"))
	seqA, seqB := fa.seq(t, "cal"), fb.seq(t, "cal")
	_, err := s.WriteBatch(ctx, []storage.BatchOp{
		batchPut(alice, "cal", "m.ics", "uid-m", ics("uid-m", "meeting"), nil),
		batchDelete(bob, "cal", "keep.ics", nil),
		batchPut(bob, "cal", "m.ics", "uid-m", ics("uid-m", "copy"), ifMatch(`"not-it"`)),
	})
	var be *storage.BatchError
	if !errors.As(err, &be) || be.Index != 2 || !errors.Is(err, storage.ErrPreconditionFailed) {
		t.Fatalf("err = %v, want a BatchError for op 2 wrapping ErrPreconditionFailed", err)
	}
	fa.wantData(t, "cal", "m.ics", nil)
	fb.wantData(t, "cal", "keep.ics", ics("uid-keep", "keep"))
	fb.wantData(t, "cal", "m.ics", nil)
	if fa.seq(t, "cal") != seqA || fb.seq(t, "cal") != seqB {
		t.Errorf("sequences moved: %d->%d, %d->%d", seqA, fa.seq(t, "cal"), seqB, fb.seq(t, "cal"))
	}
	if m, err := s.Stat(ctx, bob, "cal", "keep.ics"); err != nil || m.ETag != keep.ETag {
		t.Errorf("keep.ics after the failed batch: %+v, %v", m, err)
	}
}

func testBatchSeesEarlierOps(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	created := storage.ETagOf(ics("uid-x", "x"))
	res, err := s.WriteBatch(ctx, []storage.BatchOp{
		batchPut(f.owner, f.cal, "x.ics", "uid-x", ics("uid-x", "x"), ifNoneMatchAny),
		batchPut(f.owner, f.cal, "x.ics", "uid-x", ics("uid-x", "x2"), ifMatch(created)),
		batchDelete(f.owner, f.cal, "x.ics", ifMatch(storage.ETagOf(ics("uid-x", "x2")))),
		batchPut(f.owner, f.cal, "y.ics", "uid-x", ics("uid-x", "y"), ifNoneMatchAny),
	})
	ok(t, err)
	if !res[0].Created || res[1].Created || !res[3].Created {
		t.Errorf("created flags %v %v %v", res[0].Created, res[1].Created, res[3].Created)
	}
	f.wantData(t, f.cal, "x.ics", nil)
	f.wantData(t, f.cal, "y.ics", ics("uid-x", "y"))
	if got := f.seq(t, f.cal); got != 4 {
		t.Errorf("seq %d, want 4 (one per op)", got)
	}

	// The UID index inside the batch: a second name for a UID is a
	// conflict naming the first.
	_, err = s.WriteBatch(ctx, []storage.BatchOp{
		batchPut(f.owner, f.cal, "z.ics", "uid-z", ics("uid-z", "z"), nil),
		batchPut(f.owner, f.cal, "z2.ics", "uid-z", ics("uid-z", "z2"), nil),
	})
	var uc *storage.UIDConflictError
	var be *storage.BatchError
	if !errors.As(err, &be) || be.Index != 1 || !errors.As(err, &uc) || uc.Name != "z.ics" {
		t.Fatalf("err = %v, want op 1's UID conflict with z.ics", err)
	}
	f.wantData(t, f.cal, "z.ics", nil)
}

func testBatchErrors(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		ops  []storage.BatchOp
		idx  int
		want error
	}{
		{"missing collection", []storage.BatchOp{batchPut(f.owner, "nope", "a.ics", "u", ics("u", "a"), nil)}, 0, storage.ErrNotFound},
		{"missing object", []storage.BatchOp{batchPut(f.owner, f.cal, "a.ics", "u", ics("u", "a"), nil), batchDelete(f.owner, f.cal, "b.ics", nil)}, 1, storage.ErrNotFound},
		{"missing owner", []storage.BatchOp{batchDelete("nobody", f.cal, "b.ics", nil)}, 0, storage.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.WriteBatch(ctx, tc.ops)
			var be *storage.BatchError
			if !errors.As(err, &be) || be.Index != tc.idx || !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want op %d failing with %v", err, tc.idx, tc.want)
			}
			f.wantData(t, f.cal, "a.ics", nil)
		})
	}
	if _, err := s.WriteBatch(ctx, []storage.BatchOp{{}}); err == nil {
		t.Error("an op with neither put nor delete was accepted")
	}
	if res, err := s.WriteBatch(ctx, nil); err != nil || len(res) != 0 {
		t.Errorf("empty batch: %v, %v", res, err)
	}
}

func testFindUID(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	newCollection(t, s, f.owner, "book", storage.KindAddressBook)
	f.put(t, f.cal, "a.ics", "shared-uid", ics("shared-uid", "a"))
	f.put(t, "work", "b.ics", "shared-uid", ics("shared-uid", "b"))
	f.put(t, f.cal, "c.ics", "other", ics("other", "c"))
	got, err := s.FindUID(ctx, f.owner, "shared-uid")
	ok(t, err)
	if len(got) != 2 || got[0].Collection != f.cal || got[0].Meta.Name != "a.ics" || got[0].Kind != storage.KindCalendar ||
		got[1].Collection != "work" || got[1].Meta.Name != "b.ics" || got[1].Meta.ETag != storage.ETagOf(ics("shared-uid", "b")) {
		t.Fatalf("FindUID = %+v", got)
	}
	for _, uid := range []string{"", "none"} {
		if got, err := s.FindUID(ctx, f.owner, uid); err != nil || len(got) != 0 {
			t.Errorf("FindUID(%q) = %+v, %v; want nothing", uid, got, err)
		}
	}
	if _, err := s.FindUID(ctx, "nobody", "shared-uid"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("FindUID of a missing account: %v", err)
	}
	// Another account's objects are not found.
	bob := newAccount(t, s, "bob@example.org")
	if got, err := s.FindUID(ctx, bob.ID, "shared-uid"); err != nil || len(got) != 0 {
		t.Errorf("FindUID in another account = %+v, %v", got, err)
	}
}

func testScheduleInbox(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	in := &storage.Collection{Owner: f.owner, Name: "inbox", Kind: storage.KindScheduleInbox}
	ok(t, s.CreateCollection(ctx, in))
	// Two messages about one event: no UID, no conflict.
	_, err := s.WriteBatch(ctx, []storage.BatchOp{
		batchPut(f.owner, "inbox", "m1.ics", "", ics("uid-a", "request"), nil),
		batchPut(f.owner, "inbox", "m2.ics", "", ics("uid-a", "cancel"), nil),
	})
	ok(t, err)
	colls, err := s.ListCollections(ctx, f.owner)
	ok(t, err)
	kinds := map[string]storage.Kind{}
	for _, c := range colls {
		kinds[c.Name] = c.Kind
	}
	if kinds["inbox"] != storage.KindScheduleInbox || kinds[f.cal] != storage.KindCalendar {
		t.Fatalf("kinds %v", kinds)
	}
	if got := f.names(t, "inbox"); len(got) != 2 {
		t.Fatalf("inbox holds %v", got)
	}
	if got, err := s.FindUID(ctx, f.owner, "uid-a"); err != nil || len(got) != 0 {
		t.Errorf("inbox messages found by UID: %+v, %v", got, err)
	}
	f.putTagged(t, f.cal, "tagged.ics", "uid-t", `"tag"`, ics("uid-t", "t"))
	var problems []storage.Problem
	_, err = s.Check(ctx, func(p storage.Problem) { problems = append(problems, p) })
	ok(t, err)
	if len(problems) != 0 {
		t.Errorf("a store with an inbox and tagged objects checks with problems: %v", problems)
	}
}
