package storagetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/storage"
)

var objectTests = []test{
	{"ExactBytes", testExactBytes},
	{"StrongETag", testStrongETag},
	{"CreateThenOverwrite", testCreateThenOverwrite},
	{"CallerBuffersNotRetained", testCallerBuffers},
	{"Preconditions", testPutPreconditions},
	{"PreconditionArguments", testPreconditionArguments},
	{"UIDConflict", testUIDConflict},
	{"UIDCannotChange", testUIDChange},
	{"EmptyUIDNotIndexed", testEmptyUID},
	{"MissingCollection", testPutMissingCollection},
	{"NotFound", testObjectNotFound},
	{"GetMany", testGetMany},
	{"Delete", testDelete},
	{"ListAndWalkOrder", testListWalkOrder},
	{"ListWalkStopOnError", testListWalkStop},
	{"SeqBumps", testSeqBumps},
	{"ContextCanceled", testContextCanceled},
}

func testExactBytes(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	big := bytes.Repeat([]byte("DESCRIPTION:lorem ipsum dolor sit amet\r\n "), 5000)
	cases := []byteCase{
		{"crlf", ics("crlf", "CRLF line ends")},
		{"lf", []byte("BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n")},
		{"mixed-line-ends", []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\nEND:VCALENDAR\r")},
		{"not-utf8", []byte("BEGIN:VCALENDAR\r\nSUMMARY:caf\xe9 \xff\xfe\r\nEND:VCALENDAR\r\n")},
		{"bom", []byte("\xef\xbb\xbfBEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nEND:VCARD\r\n")},
		{"trailing-whitespace", []byte("BEGIN:VCALENDAR\r\nSUMMARY:x  \t\r\nEND:VCALENDAR\r\n\r\n  \t")},
		{"folded", []byte("BEGIN:VCALENDAR\r\nDESCRIPTION:a long\r\n  folded\r\n\tline\r\nEND:VCALENDAR\r\n")},
		{"nul", []byte("BEGIN:VCALENDAR\x00\r\nEND:VCALENDAR\r\n")},
		{"empty", []byte{}},
		{"large", big},
	}
	for _, tc := range cases {
		name := tc.name + ".ics"
		m, created, err := s.Put(ctx, storage.PutObject{
			Owner: f.owner, Collection: f.cal, Name: name, UID: "uid-" + tc.name,
			Component: "VEVENT", ContentType: "text/calendar", Data: tc.data,
		})
		if err != nil {
			t.Fatalf("%s: Put: %v", tc.name, err)
		}
		if !created || m.Name != name || m.UID != "uid-"+tc.name || m.Component != "VEVENT" ||
			m.ContentType != "text/calendar" || m.ETag != storage.ETagOf(tc.data) || m.Size != int64(len(tc.data)) {
			t.Fatalf("%s: Put meta = %+v, created %v", tc.name, m, created)
		}
		o, err := s.Get(ctx, f.owner, f.cal, name)
		if err != nil {
			t.Fatalf("%s: Get: %v", tc.name, err)
		}
		if !bytes.Equal(o.Data, tc.data) {
			t.Fatalf("%s: Get data differs: got %q want %q", tc.name, o.Data, tc.data)
		}
		if !sameMeta(o.ObjectMeta, *m) {
			t.Fatalf("%s: Get meta = %+v, want %+v", tc.name, o.ObjectMeta, *m)
		}
		st, err := s.Stat(ctx, f.owner, f.cal, name)
		if err != nil {
			t.Fatalf("%s: Stat: %v", tc.name, err)
		}
		if !sameMeta(*st, *m) {
			t.Fatalf("%s: Stat = %+v, want %+v", tc.name, st, m)
		}
	}
	seen := 0
	ok(t, s.Walk(ctx, f.owner, f.cal, func(o *storage.Object) error {
		i := slices.IndexFunc(cases, func(c byteCase) bool { return c.name+".ics" == o.Name })
		if i < 0 {
			t.Fatalf("Walk reports unknown %q", o.Name)
		}
		if !bytes.Equal(o.Data, cases[i].data) || o.ETag != storage.ETagOf(cases[i].data) {
			t.Fatalf("Walk %s: data or ETag differs", o.Name)
		}
		seen++
		return nil
	}))
	if seen != len(cases) {
		t.Fatalf("Walk saw %d objects, want %d", seen, len(cases))
	}
}

type byteCase struct {
	name string
	data []byte
}

func testStrongETag(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	data := ics("uid-a", "same")
	a := f.put(t, f.cal, "a.ics", "uid-a", data)
	if !strings.HasPrefix(a.ETag, `"`) || !strings.HasSuffix(a.ETag, `"`) || len(a.ETag) < 3 {
		t.Fatalf("ETag %s is not a strong quoted entity tag", a.ETag)
	}
	newCollection(t, s, f.owner, "other", storage.KindCalendar)
	b := f.put(t, "other", "b.ics", "uid-a", data)
	if a.ETag != b.ETag {
		t.Fatalf("same bytes, different ETags %s %s", a.ETag, b.ETag)
	}
	c := f.put(t, f.cal, "a.ics", "uid-a", append(bytes.Clone(data), ' '))
	if c.ETag == a.ETag {
		t.Fatal("one trailing byte more left the ETag unchanged")
	}
}

func testCreateThenOverwrite(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	put := func(data []byte) (*storage.ObjectMeta, bool) {
		m, created, err := s.Put(ctx, storage.PutObject{Owner: f.owner, Collection: f.cal, Name: "a.ics", UID: "uid-a", Component: "VEVENT", ContentType: "text/calendar", Data: data})
		ok(t, err)
		return m, created
	}
	v1, v2 := ics("uid-a", "one"), ics("uid-a", "two")
	m1, created := put(v1)
	if !created {
		t.Fatal("first Put: created = false")
	}
	m2, created := put(v2)
	if created {
		t.Fatal("overwrite: created = true")
	}
	if m2.ETag == m1.ETag || m2.ETag != storage.ETagOf(v2) || m2.Seq != m1.Seq+1 {
		t.Fatalf("overwrite meta = %+v after %+v", m2, m1)
	}
	notBefore(t, "Modified", m2.Modified, m1.Modified)
	f.wantData(t, f.cal, "a.ics", v2)
	if names := f.names(t, f.cal); !slices.Equal(names, []string{"a.ics"}) {
		t.Fatalf("List = %v", names)
	}
}

func testCallerBuffers(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	want := ics("uid-a", "original")
	buf := bytes.Clone(want)
	f.put(t, f.cal, "a.ics", "uid-a", buf)
	for i := range buf {
		buf[i] = 'X'
	}
	f.wantData(t, f.cal, "a.ics", want)

	o, err := s.Get(ctx, f.owner, f.cal, "a.ics")
	ok(t, err)
	for i := range o.Data {
		o.Data[i] = 'Y'
	}
	f.wantData(t, f.cal, "a.ics", want)
}

func testPutPreconditions(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	cases := []struct {
		name   string
		exists bool
		// cond builds the precondition from the stored object's ETag
		// ("" when there is none).
		cond func(etag string) storage.Precondition
		ok   bool
	}{
		{"if-none-match-new", false, func(string) storage.Precondition { return ifNoneMatchAny }, true},
		{"if-none-match-existing", true, func(string) storage.Precondition { return ifNoneMatchAny }, false},
		{"if-match-current", true, ifMatch, true},
		{"if-match-stale", true, func(string) storage.Precondition { return ifMatch(storage.ETagOf([]byte("stale"))) }, false},
		{"if-match-missing", false, func(string) storage.Precondition { return ifMatch(storage.ETagOf([]byte("stale"))) }, false},
		{"none-existing", true, func(string) storage.Precondition { return nil }, true},
		{"none-new", false, func(string) storage.Precondition { return nil }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name, uid := tc.name+".ics", "uid-"+tc.name
			v1, v2 := ics(uid, "one"), ics(uid, "two")
			var etag string
			if tc.exists {
				etag = f.put(t, f.cal, name, uid, v1).ETag
			}
			seq := f.seq(t, f.cal)
			m, created, err := s.Put(ctx, storage.PutObject{
				Owner: f.owner, Collection: f.cal, Name: name, UID: uid,
				Component: "VEVENT", ContentType: "text/calendar", Data: v2, If: tc.cond(etag),
			})
			if !tc.ok {
				wantErr(t, err, storage.ErrPreconditionFailed)
				if m != nil || created {
					t.Fatalf("failed Put returned meta %+v, created %v", m, created)
				}
				var want []byte
				if tc.exists {
					want = v1
				}
				f.wantData(t, f.cal, name, want)
				if got := f.seq(t, f.cal); got != seq {
					t.Fatalf("failed Put moved Seq %d -> %d", seq, got)
				}
				if ch, _, _ := f.changes(t, f.cal, seq, 0); len(ch) != 0 {
					t.Fatalf("failed Put left changes %s", fmtChanges(ch))
				}
				return
			}
			ok(t, err)
			if created == tc.exists {
				t.Fatalf("created = %v for existing = %v", created, tc.exists)
			}
			f.wantData(t, f.cal, name, v2)
			if got := f.seq(t, f.cal); got != seq+1 || m.Seq != got {
				t.Fatalf("Seq %d -> %d, meta Seq %d; want one bump", seq, got, m.Seq)
			}
		})
	}
}

func testPreconditionArguments(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	type call struct {
		exists bool
		etag   string
	}
	var got []call
	record := func(exists bool, etag string) bool {
		got = append(got, call{exists, etag})
		return true
	}
	put := func() *storage.ObjectMeta {
		got = nil
		m, _, err := s.Put(ctx, storage.PutObject{Owner: f.owner, Collection: f.cal, Name: "a.ics", UID: "uid-a", Data: ics("uid-a", time.Now().String()), If: record})
		ok(t, err)
		return m
	}
	wantCalls := func(want call) {
		t.Helper()
		// A backend may evaluate the condition more than once (retried
		// transactions); every evaluation must see the same state.
		if len(got) == 0 {
			t.Fatal("precondition not evaluated")
		}
		for _, c := range got {
			if c != want {
				t.Fatalf("precondition saw %+v, want %+v", c, want)
			}
		}
	}
	m := put()
	wantCalls(call{false, ""})
	put()
	wantCalls(call{true, m.ETag})

	got = nil
	cur, err := s.Stat(ctx, f.owner, f.cal, "a.ics")
	ok(t, err)
	ok(t, s.Delete(ctx, f.owner, f.cal, "a.ics", record))
	wantCalls(call{true, cur.ETag})
}

func testUIDConflict(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	a := ics("uid-1", "a")
	f.put(t, f.cal, "a.ics", "uid-1", a)
	seq := f.seq(t, f.cal)

	m, created, err := s.Put(ctx, storage.PutObject{Owner: f.owner, Collection: f.cal, Name: "b.ics", UID: "uid-1", Data: ics("uid-1", "b")})
	var conflict *storage.UIDConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("err = %v, want *UIDConflictError", err)
	}
	if conflict.UID != "uid-1" || conflict.Name != "a.ics" {
		t.Fatalf("conflict = %+v, want uid-1 held by a.ics", conflict)
	}
	if m != nil || created {
		t.Fatalf("conflicting Put returned %+v, %v", m, created)
	}
	f.wantData(t, f.cal, "b.ics", nil)
	f.wantData(t, f.cal, "a.ics", a)
	if got := f.seq(t, f.cal); got != seq {
		t.Fatalf("conflicting Put moved Seq %d -> %d", seq, got)
	}

	// Overwriting the holder keeps its UID; other collections are separate.
	f.put(t, f.cal, "a.ics", "uid-1", ics("uid-1", "a2"))
	newCollection(t, s, f.owner, "other", storage.KindCalendar)
	f.put(t, "other", "b.ics", "uid-1", ics("uid-1", "b"))
}

// A member's UID never changes (RFC 4791 5.3.2.1, RFC 6352 6.3.2.1
// no-uid-conflict): a Put replacing it with another UID fails, naming the
// member and both UIDs, and changes nothing. The member keeps its UID,
// and deleting it frees the UID.
func testUIDChange(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	a := ics("uid-1", "a")
	f.put(t, f.cal, "a.ics", "uid-1", a)
	seq := f.seq(t, f.cal)
	for _, cond := range []storage.Precondition{nil, ifMatch(storage.ETagOf(a))} {
		m, created, err := s.Put(ctx, storage.PutObject{Owner: f.owner, Collection: f.cal, Name: "a.ics", UID: "uid-2", Data: ics("uid-2", "a"), If: cond})
		var conflict *storage.UIDConflictError
		if !errors.As(err, &conflict) || *conflict != (storage.UIDConflictError{UID: "uid-2", Name: "a.ics", Held: "uid-1"}) {
			t.Fatalf("err = %v, want a.ics holding uid-1, not uid-2", err)
		}
		if m != nil || created {
			t.Fatalf("refused Put returned %+v, %v", m, created)
		}
	}
	f.wantData(t, f.cal, "a.ics", a)
	if got := f.seq(t, f.cal); got != seq {
		t.Fatalf("refused Put moved Seq %d -> %d", seq, got)
	}
	// The refused UID was not taken; the member's own still is.
	f.put(t, f.cal, "b.ics", "uid-2", ics("uid-2", "b"))
	_, _, err := s.Put(ctx, storage.PutObject{Owner: f.owner, Collection: f.cal, Name: "c.ics", UID: "uid-1", Data: ics("uid-1", "c")})
	var conflict *storage.UIDConflictError
	if !errors.As(err, &conflict) || conflict.Name != "a.ics" || conflict.Held != "" {
		t.Fatalf("err = %v, want uid-1 held by a.ics", err)
	}
	// Deleting the holder frees its UID.
	f.del(t, f.cal, "a.ics")
	f.put(t, f.cal, "c.ics", "uid-1", ics("uid-1", "c"))
}

func testEmptyUID(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	// vCard 3 makes UID optional; objects without one never conflict.
	f.put(t, f.cal, "a.vcf", "", []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\n"))
	f.put(t, f.cal, "b.vcf", "", []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:B\r\nEND:VCARD\r\n"))
	if names := f.names(t, f.cal); !slices.Equal(names, []string{"a.vcf", "b.vcf"}) {
		t.Fatalf("List = %v", names)
	}
	// A member without a UID has none to keep: it may be given one.
	f.put(t, f.cal, "a.vcf", "uid-a", []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:uid-a\r\nFN:A\r\nEND:VCARD\r\n"))
}

func testPutMissingCollection(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	before, err := s.ListCollections(ctx, f.owner)
	ok(t, err)
	for _, p := range []storage.PutObject{
		{Owner: f.owner, Collection: "nope", Name: "a.ics", UID: "uid-a", Data: ics("uid-a", "a")},
		{Owner: "nobody", Collection: "cal", Name: "a.ics", UID: "uid-a", Data: ics("uid-a", "a")},
	} {
		_, _, err := s.Put(ctx, p)
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.Collection(ctx, p.Owner, p.Collection)
		wantErr(t, err, storage.ErrNotFound)
	}
	after, err := s.ListCollections(ctx, f.owner)
	ok(t, err)
	if len(after) != len(before) {
		t.Fatalf("Put into a missing collection made a ghost: %+v", after)
	}
	_, err = s.ListCollections(ctx, "nobody")
	wantErr(t, err, storage.ErrNotFound)
}

func testObjectNotFound(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	for _, coll := range []string{f.cal, "nope"} {
		_, err := s.Get(ctx, f.owner, coll, "missing.ics")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.Stat(ctx, f.owner, coll, "missing.ics")
		wantErr(t, err, storage.ErrNotFound)
		wantErr(t, s.Delete(ctx, f.owner, coll, "missing.ics", nil), storage.ErrNotFound)
	}
	wantErr(t, s.List(ctx, f.owner, "nope", func(*storage.ObjectMeta) error { return nil }), storage.ErrNotFound)
	wantErr(t, s.Walk(ctx, f.owner, "nope", func(*storage.Object) error { return nil }), storage.ErrNotFound)
	_, _, _, err := s.Changes(ctx, f.owner, "nope", "x", 0, 0)
	wantErr(t, err, storage.ErrNotFound)
	if got := f.seq(t, f.cal); got != 0 {
		t.Fatalf("failed operations moved Seq to %d", got)
	}
}

// GetMany answers each name as Get does, in the order asked, with nil
// for a member that is not there, until its byte budget is spent; a
// missing collection is ErrNotFound however many names are asked.
func testGetMany(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	newCollection(t, s, f.owner, "other", storage.KindCalendar)
	f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "A"))
	f.put(t, f.cal, "b.ics", "uid-b", []byte{})
	f.put(t, f.cal, "d.ics", "uid-d", ics("uid-d", "D"))
	f.put(t, "other", "c.ics", "uid-c", ics("uid-c", "C"))
	names := []string{"b.ics", "missing.ics", "a.ics", "c.ics", "a.ics", "d.ics"}
	got, n, err := s.GetMany(ctx, f.owner, f.cal, names, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(names) || n != len(names) {
		t.Fatalf("%d answers, %d read, for %d names", len(got), n, len(names))
	}
	for i, name := range names {
		want, err := s.Get(ctx, f.owner, f.cal, name)
		if errors.Is(err, storage.ErrNotFound) {
			if got[i] != nil {
				t.Errorf("%s (in another collection or nowhere): %+v", name, got[i].ObjectMeta)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got[i] == nil || got[i].ObjectMeta != want.ObjectMeta || !bytes.Equal(got[i].Data, want.Data) || got[i].Data == nil {
			t.Errorf("%s: GetMany %+v, Get %+v", name, got[i], want)
		}
	}
	// Each answer is the caller's own: changing one changes neither the
	// store nor the other answer for a repeated name.
	got[2].Data[0] = 'X'
	if got[4].Data[0] == 'X' {
		t.Error("a repeated name's answers share their bytes")
	}
	if again, _ := s.Get(ctx, f.owner, f.cal, "a.ics"); again.Data[0] == 'X' {
		t.Error("the store kept the caller's change")
	}

	// The budget: a member is read while less than maxBytes came
	// before it, so the first one always is; an empty or missing member
	// costs nothing, and a missing one before the first member left
	// unread is answered.
	size := int64(len(ics("uid-a", "A")))
	for _, tc := range []struct {
		names    []string
		maxBytes int64
		n        int
	}{
		{[]string{"a.ics", "d.ics"}, 1, 1},
		{[]string{"a.ics", "d.ics"}, size, 1},
		{[]string{"a.ics", "d.ics"}, size + 1, 2},
		{[]string{"missing.ics", "b.ics", "a.ics", "d.ics"}, 1, 3},
		{[]string{"a.ics", "missing.ics", "d.ics"}, size, 2},
		{[]string{"d.ics", "a.ics", "a.ics"}, 2 * size, 2},
	} {
		got, n, err := s.GetMany(ctx, f.owner, f.cal, tc.names, tc.maxBytes)
		if err != nil || n != tc.n {
			t.Errorf("%v within %d bytes: %d read (%v), want %d", tc.names, tc.maxBytes, n, err, tc.n)
			continue
		}
		for i := range n {
			if want := tc.names[i] != "missing.ics"; (got[i] != nil) != want {
				t.Errorf("%v within %d bytes: %s answered %v", tc.names, tc.maxBytes, tc.names[i], got[i] != nil)
			}
		}
		for i := n; i < len(tc.names); i++ {
			if got[i] != nil {
				t.Errorf("%v within %d bytes: %s read past the budget", tc.names, tc.maxBytes, tc.names[i])
			}
		}
	}

	if got, n, err := s.GetMany(ctx, f.owner, f.cal, []string{"missing.ics"}, 1<<20); err != nil || n != 1 || got[0] != nil {
		t.Errorf("only a missing member: %v %d %v", got, n, err)
	}
	if got, n, err := s.GetMany(ctx, f.owner, f.cal, nil, 1<<20); err != nil || n != 0 || len(got) != 0 {
		t.Errorf("no names: %v %d %v", got, n, err)
	}
	for _, names := range [][]string{nil, {"a.ics"}} {
		_, _, err := s.GetMany(ctx, f.owner, "nope", names, 1<<20)
		wantErr(t, err, storage.ErrNotFound)
	}
}

func testDelete(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	data := ics("uid-a", "a")
	m := f.put(t, f.cal, "a.ics", "uid-a", data)
	seq := f.seq(t, f.cal)

	err := s.Delete(ctx, f.owner, f.cal, "a.ics", ifMatch(storage.ETagOf([]byte("stale"))))
	wantErr(t, err, storage.ErrPreconditionFailed)
	f.wantData(t, f.cal, "a.ics", data)
	if got := f.seq(t, f.cal); got != seq {
		t.Fatalf("failed Delete moved Seq %d -> %d", seq, got)
	}

	before := f.coll(t, f.cal).Modified
	ok(t, s.Delete(ctx, f.owner, f.cal, "a.ics", ifMatch(m.ETag)))
	f.wantData(t, f.cal, "a.ics", nil)
	c := f.coll(t, f.cal)
	if c.Seq != seq+1 {
		t.Fatalf("Delete: Seq %d -> %d, want one bump", seq, c.Seq)
	}
	notBefore(t, "Modified", c.Modified, before)
	if names := f.names(t, f.cal); len(names) != 0 {
		t.Fatalf("List after delete = %v", names)
	}
	wantErr(t, s.Delete(ctx, f.owner, f.cal, "a.ics", nil), storage.ErrNotFound)
	if got := f.seq(t, f.cal); got != seq+1 {
		t.Fatalf("Delete of a missing object moved Seq to %d", got)
	}
}

func testListWalkOrder(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	if names := f.names(t, f.cal); len(names) != 0 {
		t.Fatalf("empty collection lists %v", names)
	}
	want := map[string]*storage.ObjectMeta{}
	for _, n := range []string{"m.ics", "z.ics", "a.ics", "b b.ics", "A.ics"} {
		want[n] = f.put(t, f.cal, n, "uid-"+n, ics("uid-"+n, n))
	}
	sorted := []string{"A.ics", "a.ics", "b b.ics", "m.ics", "z.ics"}

	var listed []string
	ok(t, s.List(ctx, f.owner, f.cal, func(m *storage.ObjectMeta) error {
		listed = append(listed, m.Name)
		if !sameMeta(*m, *want[m.Name]) {
			t.Fatalf("List %s = %+v, want %+v", m.Name, m, want[m.Name])
		}
		return nil
	}))
	if !slices.Equal(listed, sorted) {
		t.Fatalf("List order %v, want %v", listed, sorted)
	}
	var walked []string
	ok(t, s.Walk(ctx, f.owner, f.cal, func(o *storage.Object) error {
		walked = append(walked, o.Name)
		if !sameMeta(o.ObjectMeta, *want[o.Name]) || !bytes.Equal(o.Data, ics("uid-"+o.Name, o.Name)) {
			t.Fatalf("Walk %s = %+v", o.Name, o.ObjectMeta)
		}
		return nil
	}))
	if !slices.Equal(walked, sorted) {
		t.Fatalf("Walk order %v, want %v", walked, sorted)
	}
}

func testListWalkStop(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	for _, n := range []string{"a.ics", "b.ics", "c.ics"} {
		f.put(t, f.cal, n, "uid-"+n, ics("uid-"+n, n))
	}
	stop := errors.New("stop")
	calls := 0
	err := s.List(ctx, f.owner, f.cal, func(*storage.ObjectMeta) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("List: err %v after %d calls, want the callback's error after 1", err, calls)
	}
	calls = 0
	err = s.Walk(ctx, f.owner, f.cal, func(*storage.Object) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("Walk: err %v after %d calls, want the callback's error after 1", err, calls)
	}
}

func testSeqBumps(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	put := func(name, uid string, cond storage.Precondition) func() error {
		return func() error { _, _, err := s.Put(ctx, pobj(f, name, uid, cond)); return err }
	}
	steps := []struct {
		name string
		do   func() error
		fail bool
		bump uint64
	}{
		{"create", put("a.ics", "uid-a", nil), false, 1},
		{"overwrite", put("a.ics", "uid-a", nil), false, 1},
		{"second", put("b.ics", "uid-b", nil), false, 1},
		{"failed-precondition", put("a.ics", "uid-a", ifNoneMatchAny), true, 0},
		{"uid-conflict", put("c.ics", "uid-a", nil), true, 0},
		{"patch", func() error {
			_, err := s.PatchCollection(ctx, f.owner, f.cal, map[string]string{"{DAV:}displayname": "x"}, nil)
			return err
		}, false, 0},
		{"delete", func() error { return s.Delete(ctx, f.owner, f.cal, "b.ics", nil) }, false, 1},
		{"delete-missing", func() error { return s.Delete(ctx, f.owner, f.cal, "b.ics", nil) }, true, 0},
		{"recreate", put("b.ics", "uid-b", nil), false, 1},
	}
	for _, st := range steps {
		before := f.coll(t, f.cal)
		if err := st.do(); (err != nil) != st.fail {
			t.Fatalf("%s: err = %v, want failure %v", st.name, err, st.fail)
		}
		after := f.coll(t, f.cal)
		if after.Seq != before.Seq+st.bump {
			t.Fatalf("%s: Seq %d -> %d, want +%d", st.name, before.Seq, after.Seq, st.bump)
		}
		if st.bump == 1 {
			notBefore(t, st.name+": Modified", after.Modified, before.Modified)
		}
	}
	// Each object carries the sequence of its last write.
	for name, want := range map[string]uint64{"a.ics": 2, "b.ics": 5} {
		m, err := s.Stat(ctx, f.owner, f.cal, name)
		ok(t, err)
		if m.Seq != want {
			t.Fatalf("%s: meta Seq %d, want %d", name, m.Seq, want)
		}
	}
}

// pobj is a Put of a fresh calendar object into the fixture's calendar.
func pobj(f *fixture, name, uid string, cond storage.Precondition) storage.PutObject {
	return storage.PutObject{
		Owner: f.owner, Collection: f.cal, Name: name, UID: uid,
		Component: "VEVENT", ContentType: "text/calendar",
		Data: ics(uid, time.Now().String()), If: cond,
	}
}

func testContextCanceled(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "a"))
	c := f.coll(t, f.cal)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	_, _, err := s.Put(ctx, pobj(f, "b.ics", "uid-b", nil))
	wantErr(t, err, context.Canceled)
	wantErr(t, s.Delete(ctx, f.owner, f.cal, "a.ics", nil), context.Canceled)
	_, err = s.Get(ctx, f.owner, f.cal, "a.ics")
	wantErr(t, err, context.Canceled)
	_, _, _, err = s.Changes(ctx, f.owner, f.cal, c.Incarnation, 0, 0)
	wantErr(t, err, context.Canceled)
	wantErr(t, s.List(ctx, f.owner, f.cal, func(*storage.ObjectMeta) error { return nil }), context.Canceled)
	wantErr(t, s.CreateAccount(ctx, &storage.Account{Login: "bob@example.org"}), context.Canceled)

	f.wantData(t, f.cal, "b.ics", nil)
	f.wantData(t, f.cal, "a.ics", ics("uid-a", "a"))
	if got := f.seq(t, f.cal); got != c.Seq {
		t.Fatalf("canceled writes moved Seq %d -> %d", c.Seq, got)
	}
}
