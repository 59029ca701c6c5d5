package storagetest

import (
	"maps"
	"slices"
	"testing"
	"time"

	"almanac/storage"
)

var collectionTests = []test{
	{"CreateFillsFields", testCreateCollection},
	{"CreateWithoutOwner", testCreateCollectionNoOwner},
	{"NameTakenAcrossKinds", testCollectionNameTaken},
	{"NamesPerOwner", testCollectionNamesPerOwner},
	{"List", testListCollections},
	{"Patch", testPatchCollection},
	{"ReturnsCopies", testCollectionCopies},
	{"DeleteAndRecreate", testDeleteCollection},
}

func testCreateCollection(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "alice@example.org")
	before := time.Now()
	c := &storage.Collection{
		Owner: a.ID, Name: "work", Kind: storage.KindCalendar,
		Components: []string{"VEVENT", "VTODO"},
		Props:      map[string]string{"{DAV:}displayname": "Work", "{urn:x}color": "<x:c xmlns:x=\"urn:x\">#ff0000</x:c>"},
	}
	ok(t, s.CreateCollection(ctx, c))
	if c.Incarnation == "" {
		t.Fatal("CreateCollection left Incarnation empty")
	}
	if c.Seq != 0 || c.Pruned != 0 {
		t.Fatalf("new collection Seq %d Pruned %d, want 0 0", c.Seq, c.Pruned)
	}
	notBefore(t, "Created", c.Created, before)
	notBefore(t, "Modified", c.Modified, before)

	got, err := s.Collection(ctx, a.ID, "work")
	ok(t, err)
	if got.Owner != a.ID || got.Name != "work" || got.Kind != storage.KindCalendar ||
		got.Incarnation != c.Incarnation || got.Seq != 0 || got.Pruned != 0 ||
		!slices.Equal(got.Components, c.Components) || !maps.Equal(got.Props, c.Props) ||
		!got.Created.Equal(c.Created) || !got.Modified.Equal(c.Modified) {
		t.Fatalf("Collection = %+v\nwant %+v", got, c)
	}

	// A collection created without Props reads back with none.
	book := newCollection(t, s, a.ID, "contacts", storage.KindAddressBook)
	got, err = s.Collection(ctx, a.ID, "contacts")
	ok(t, err)
	if got.Kind != storage.KindAddressBook || len(got.Props) != 0 || len(got.Components) != 0 {
		t.Fatalf("Collection = %+v", got)
	}
	if book.Incarnation == c.Incarnation {
		t.Fatal("two collections share an incarnation")
	}
	// A fresh collection's sync position is valid and empty.
	ch, reached, truncated, err := s.Changes(ctx, a.ID, "contacts", book.Incarnation, 0, 0)
	ok(t, err)
	if len(ch) != 0 || reached != 0 || truncated {
		t.Fatalf("Changes on a new collection = %v, %d, %v", ch, reached, truncated)
	}
}

func testCreateCollectionNoOwner(t *testing.T, s storage.Store) {
	ctx := t.Context()
	err := s.CreateCollection(ctx, &storage.Collection{Owner: "nobody", Name: "cal", Kind: storage.KindCalendar})
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.Collection(ctx, "nobody", "cal")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.ListCollections(ctx, "nobody")
	wantErr(t, err, storage.ErrNotFound)
}

func testCollectionNameTaken(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "alice@example.org")
	first := newCollection(t, s, a.ID, "family", storage.KindCalendar)
	for _, kind := range []storage.Kind{storage.KindCalendar, storage.KindAddressBook} {
		err := s.CreateCollection(ctx, &storage.Collection{Owner: a.ID, Name: "family", Kind: kind})
		wantErr(t, err, storage.ErrExists)
	}
	got, err := s.Collection(ctx, a.ID, "family")
	ok(t, err)
	if got.Incarnation != first.Incarnation || got.Kind != storage.KindCalendar {
		t.Fatalf("refused create replaced the collection: %+v", got)
	}
}

func testCollectionNamesPerOwner(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "alice@example.org")
	b := newAccount(t, s, "bob@example.org")
	ca := newCollection(t, s, a.ID, "cal", storage.KindCalendar)
	cb := newCollection(t, s, b.ID, "cal", storage.KindCalendar)
	f := &fixture{s: s, owner: a.ID, cal: "cal"}
	f.put(t, "cal", "x.ics", "uid-x", ics("uid-x", "x"))

	got, err := s.Collection(ctx, b.ID, "cal")
	ok(t, err)
	if got.Seq != 0 || got.Incarnation != cb.Incarnation || got.Incarnation == ca.Incarnation {
		t.Fatalf("bob's collection = %+v, want untouched by alice's write", got)
	}
	_, err = s.Get(ctx, b.ID, "cal", "x.ics")
	wantErr(t, err, storage.ErrNotFound)
}

func testListCollections(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "alice@example.org")
	b := newAccount(t, s, "bob@example.org")
	colls, err := s.ListCollections(ctx, a.ID)
	ok(t, err)
	if len(colls) != 0 {
		t.Fatalf("ListCollections of a new account = %+v", colls)
	}
	want := map[string]storage.Kind{"work": storage.KindCalendar, "home": storage.KindCalendar, "contacts": storage.KindAddressBook}
	for name, kind := range want {
		newCollection(t, s, a.ID, name, kind)
	}
	newCollection(t, s, b.ID, "bobs", storage.KindCalendar)

	colls, err = s.ListCollections(ctx, a.ID)
	ok(t, err)
	got := map[string]storage.Kind{}
	for _, c := range colls {
		if c.Owner != a.ID || c.Incarnation == "" {
			t.Fatalf("listed collection %+v", c)
		}
		got[c.Name] = c.Kind
	}
	if len(colls) != len(want) || !maps.Equal(got, want) {
		t.Fatalf("ListCollections = %v, want %v", got, want)
	}
}

func testPatchCollection(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	_, err := s.PatchCollection(ctx, f.owner, f.cal, map[string]string{"{DAV:}displayname": "Cal", "{urn:x}a": "1", "{urn:x}b": "2"}, nil)
	ok(t, err)
	f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "a"))
	before := f.coll(t, f.cal)

	got, err := s.PatchCollection(ctx, f.owner, f.cal,
		map[string]string{"{DAV:}displayname": "Calendar", "{urn:x}c": "3"},
		[]string{"{urn:x}a", "{urn:x}never-set"})
	ok(t, err)
	want := map[string]string{"{DAV:}displayname": "Calendar", "{urn:x}b": "2", "{urn:x}c": "3"}
	if !maps.Equal(got.Props, want) {
		t.Fatalf("PatchCollection Props = %v, want %v", got.Props, want)
	}
	stored := f.coll(t, f.cal)
	if !maps.Equal(stored.Props, want) {
		t.Fatalf("stored Props = %v, want %v", stored.Props, want)
	}
	if stored.Seq != before.Seq || got.Seq != before.Seq {
		t.Fatalf("PatchCollection moved Seq %d -> %d; property changes are not member changes", before.Seq, stored.Seq)
	}
	if stored.Incarnation != before.Incarnation {
		t.Fatal("PatchCollection changed the incarnation")
	}
	notBefore(t, "Modified", stored.Modified, before.Modified)

	_, err = s.PatchCollection(ctx, f.owner, "missing", map[string]string{"{DAV:}displayname": "x"}, nil)
	wantErr(t, err, storage.ErrNotFound)
	if _, err := s.Collection(ctx, f.owner, "missing"); err == nil {
		t.Fatal("PatchCollection created a missing collection")
	}
}

func testCollectionCopies(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	_, err := s.PatchCollection(ctx, f.owner, f.cal, map[string]string{"{DAV:}displayname": "Cal"}, nil)
	ok(t, err)
	c := f.coll(t, f.cal)
	c.Props["{DAV:}displayname"] = "scribbled"
	c.Props["{urn:x}new"] = "x"
	if got := f.coll(t, f.cal).Props; len(got) != 1 || got["{DAV:}displayname"] != "Cal" {
		t.Fatalf("mutating a returned Collection changed the store: %v", got)
	}
}

func testDeleteCollection(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "a"))
	f.put(t, f.cal, "b.ics", "uid-b", ics("uid-b", "b"))
	old := f.coll(t, f.cal)

	ok(t, s.DeleteCollection(ctx, f.owner, f.cal))
	_, err := s.Collection(ctx, f.owner, f.cal)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.Get(ctx, f.owner, f.cal, "a.ics")
	wantErr(t, err, storage.ErrNotFound)
	wantErr(t, s.DeleteCollection(ctx, f.owner, f.cal), storage.ErrNotFound)
	colls, err := s.ListCollections(ctx, f.owner)
	ok(t, err)
	if len(colls) != 0 {
		t.Fatalf("ListCollections after delete = %+v", colls)
	}

	// The same name again is a new collection: new incarnation, empty,
	// counter from zero, and the old one's sync tokens do not validate.
	fresh := newCollection(t, s, f.owner, f.cal, storage.KindCalendar)
	if fresh.Incarnation == old.Incarnation {
		t.Fatal("recreated collection reuses the incarnation")
	}
	if got := f.coll(t, f.cal); got.Seq != 0 {
		t.Fatalf("recreated collection Seq = %d, want 0", got.Seq)
	}
	if names := f.names(t, f.cal); len(names) != 0 {
		t.Fatalf("recreated collection lists %v", names)
	}
	for _, since := range []uint64{0, 1, old.Seq} {
		_, _, _, err := s.Changes(ctx, f.owner, f.cal, old.Incarnation, since, 0)
		wantErr(t, err, storage.ErrInvalidSyncToken)
	}
	// UIDs of the deleted collection are free.
	f.put(t, f.cal, "other.ics", "uid-a", ics("uid-a", "a again"))
}
