package storagetest

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/storage"
)

var grantTests = []test{
	{"CreateRoundTrip", testCreateGrant},
	{"UpdateKeepsMountAndProps", testUpdateGrant},
	{"NotFound", testGrantNotFound},
	{"SelfShareRefused", testSelfShare},
	{"MountCollision", testMountCollision},
	{"CreateCollectionOverMount", testCreateCollectionOverMount},
	{"GrantByMount", testGrantByMount},
	{"GrantsOf", testGrantsOf},
	{"GrantsTo", testGrantsTo},
	{"Delete", testDeleteGrant},
	{"PatchProps", testPatchGrantProps},
	{"DeleteCollectionRemovesGrants", testDeleteCollectionGrants},
	{"DeleteAccountAsOwner", testDeleteAccountOwnerGrants},
	{"DeleteAccountAsSharee", testDeleteAccountShareeGrants},
	{"ConcurrentUpdatesAndPatches", testConcurrentGrantWrites},
}

// newGrant creates a read grant and fails on error.
func newGrant(t *testing.T, s storage.Store, owner, coll, sharee, mount string) *storage.Grant {
	t.Helper()
	g := &storage.Grant{Owner: owner, Collection: coll, Sharee: sharee, Access: storage.AccessRead, Mount: mount}
	if err := s.PutGrant(t.Context(), g); err != nil {
		t.Fatalf("PutGrant %s/%s to %s as %s: %v", owner, coll, sharee, mount, err)
	}
	return g
}

func getGrant(t *testing.T, s storage.Store, owner, coll, sharee string) *storage.Grant {
	t.Helper()
	g, err := s.Grant(t.Context(), owner, coll, sharee)
	if err != nil {
		t.Fatalf("Grant %s/%s to %s: %v", owner, coll, sharee, err)
	}
	return g
}

func wantNoGrant(t *testing.T, s storage.Store, owner, coll, sharee string) {
	t.Helper()
	if g, err := s.Grant(t.Context(), owner, coll, sharee); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Grant %s/%s to %s = %+v, %v; want ErrNotFound", owner, coll, sharee, g, err)
	}
}

func wantNoMount(t *testing.T, s storage.Store, sharee, mount string) {
	t.Helper()
	if g, err := s.GrantByMount(t.Context(), sharee, mount); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GrantByMount %s/%s = %+v, %v; want ErrNotFound", sharee, mount, g, err)
	}
}

// sameGrant compares every field, timestamps by instant; nil and empty
// Props are the same.
func sameGrant(a, b storage.Grant) bool {
	return a.Owner == b.Owner && a.Collection == b.Collection && a.Sharee == b.Sharee &&
		a.Access == b.Access && a.ShowPrivate == b.ShowPrivate && a.Mount == b.Mount &&
		maps.Equal(a.Props, b.Props) && a.Created.Equal(b.Created) && a.Updated.Equal(b.Updated)
}

// wantGrant checks want against both lookups.
func wantGrant(t *testing.T, s storage.Store, want *storage.Grant) {
	t.Helper()
	got := getGrant(t, s, want.Owner, want.Collection, want.Sharee)
	if !sameGrant(*got, *want) {
		t.Fatalf("Grant %s/%s to %s = %+v\nwant %+v", want.Owner, want.Collection, want.Sharee, got, want)
	}
	got, err := s.GrantByMount(t.Context(), want.Sharee, want.Mount)
	if err != nil {
		t.Fatalf("GrantByMount %s/%s: %v", want.Sharee, want.Mount, err)
	}
	if !sameGrant(*got, *want) {
		t.Fatalf("GrantByMount %s/%s = %+v\nwant %+v", want.Sharee, want.Mount, got, want)
	}
}

// shareesOf lists the grants of owner/coll and returns their sharees in
// listed order.
func shareesOf(t *testing.T, s storage.Store, owner, coll string) []string {
	t.Helper()
	gs, err := s.GrantsOf(t.Context(), owner, coll)
	if err != nil {
		t.Fatalf("GrantsOf %s/%s: %v", owner, coll, err)
	}
	out := []string{}
	for _, g := range gs {
		if g.Owner != owner || g.Collection != coll {
			t.Fatalf("GrantsOf %s/%s returned %+v", owner, coll, g)
		}
		out = append(out, g.Sharee)
	}
	return out
}

// mountsOf lists the grants to sharee and returns their mounts in listed
// order.
func mountsOf(t *testing.T, s storage.Store, sharee string) []string {
	t.Helper()
	gs, err := s.GrantsTo(t.Context(), sharee)
	if err != nil {
		t.Fatalf("GrantsTo %s: %v", sharee, err)
	}
	out := []string{}
	for _, g := range gs {
		if g.Sharee != sharee {
			t.Fatalf("GrantsTo %s returned %+v", sharee, g)
		}
		out = append(out, g.Mount)
	}
	return out
}

func collNames(t *testing.T, s storage.Store, owner string) []string {
	t.Helper()
	cs, err := s.ListCollections(t.Context(), owner)
	if err != nil {
		t.Fatalf("ListCollections %s: %v", owner, err)
	}
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

const (
	propName  = "{DAV:}displayname"
	propColor = "{http://apple.com/ns/ical/}calendar-color"
	propOrder = "{http://apple.com/ns/ical/}calendar-order"
)

func testCreateGrant(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	bob := newAccount(t, s, "bob@example.org")
	before := time.Now()
	old := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	g := &storage.Grant{
		Owner: f.owner, Collection: f.cal, Sharee: bob.ID,
		Access: storage.AccessRead, ShowPrivate: true, Mount: "alice-cal",
		Props: map[string]string{propName: "Alice"},
		// Store-owned fields the caller cannot set.
		Created: old, Updated: old,
	}
	ok(t, s.PutGrant(ctx, g))
	notBefore(t, "Created", g.Created, before)
	if !g.Updated.Equal(g.Created) {
		t.Fatalf("Updated %v, want Created %v", g.Updated, g.Created)
	}
	want := storage.Grant{
		Owner: f.owner, Collection: f.cal, Sharee: bob.ID,
		Access: storage.AccessRead, ShowPrivate: true, Mount: "alice-cal",
		Props:   map[string]string{propName: "Alice"},
		Created: g.Created, Updated: g.Created,
	}
	if !sameGrant(*g, want) {
		t.Fatalf("PutGrant wrote back %+v\nwant %+v", g, want)
	}
	wantGrant(t, s, &want)

	// The stored props are a copy of the caller's map, and so is what
	// Grant returns.
	g.Props[propName] = "changed by caller"
	wantGrant(t, s, &want)
	got := getGrant(t, s, f.owner, f.cal, bob.ID)
	got.Props[propColor] = "#ff0000"
	wantGrant(t, s, &want)

	// A grant without props reads back with none; read-write is stored
	// as given.
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	rw := &storage.Grant{Owner: f.owner, Collection: "work", Sharee: bob.ID, Access: storage.AccessReadWrite, Mount: "work"}
	ok(t, s.PutGrant(ctx, rw))
	got = getGrant(t, s, f.owner, "work", bob.ID)
	if len(got.Props) != 0 || got.Access != storage.AccessReadWrite || got.ShowPrivate || got.Mount != "work" {
		t.Fatalf("bare grant = %+v", got)
	}

	// The owner's collection is not touched.
	if c := f.coll(t, f.cal); len(c.Props) != 0 {
		t.Fatalf("owner's collection props = %v", c.Props)
	}
}

func testUpdateGrant(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	bob := newAccount(t, s, "bob@example.org")
	orig := &storage.Grant{
		Owner: f.owner, Collection: f.cal, Sharee: bob.ID, Access: storage.AccessRead,
		Mount: "shared", Props: map[string]string{propName: "Alice's"},
	}
	ok(t, s.PutGrant(ctx, orig))
	_, err := s.PatchGrantProps(ctx, bob.ID, "shared", map[string]string{propColor: "#00ff00"}, nil)
	ok(t, err)

	before := time.Now()
	upd := &storage.Grant{
		Owner: f.owner, Collection: f.cal, Sharee: bob.ID,
		Access: storage.AccessReadWrite, ShowPrivate: true,
		// Not changed by an update: ignored.
		Mount: "renamed", Props: map[string]string{propName: "forged"},
		Created: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	ok(t, s.PutGrant(ctx, upd))
	want := storage.Grant{
		Owner: f.owner, Collection: f.cal, Sharee: bob.ID,
		Access: storage.AccessReadWrite, ShowPrivate: true, Mount: "shared",
		Props:   map[string]string{propName: "Alice's", propColor: "#00ff00"},
		Created: orig.Created, Updated: upd.Updated,
	}
	if !sameGrant(*upd, want) {
		t.Fatalf("PutGrant update wrote back %+v\nwant %+v", upd, want)
	}
	notBefore(t, "Updated", upd.Updated, before)
	notBefore(t, "Updated", upd.Updated, orig.Updated)
	wantGrant(t, s, &want)
	wantNoMount(t, s, bob.ID, "renamed")
	if m := mountsOf(t, s, bob.ID); !slices.Equal(m, []string{"shared"}) {
		t.Fatalf("GrantsTo after update = %v, want [shared]", m)
	}

	// Back to read without private events; an update may name the mount
	// of another grant or be empty, since it is ignored.
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	newGrant(t, s, f.owner, "work", bob.ID, "work")
	for _, mount := range []string{"work", ""} {
		upd = &storage.Grant{Owner: f.owner, Collection: f.cal, Sharee: bob.ID, Access: storage.AccessRead, Mount: mount}
		ok(t, s.PutGrant(ctx, upd))
		want.Access, want.ShowPrivate, want.Updated = storage.AccessRead, false, upd.Updated
		wantGrant(t, s, &want)
	}
	if m := mountsOf(t, s, bob.ID); !slices.Equal(m, []string{"shared", "work"}) {
		t.Fatalf("GrantsTo after updates = %v, want [shared work]", m)
	}
}

func testGrantNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	bob := newAccount(t, s, "bob@example.org")
	carol := newAccount(t, s, "carol@example.org")
	newCollection(t, s, carol.ID, "carolcal", storage.KindCalendar)
	for _, g := range []storage.Grant{
		{Owner: f.owner, Collection: "missing", Sharee: bob.ID, Access: storage.AccessRead, Mount: "m1"},
		{Owner: f.owner, Collection: "carolcal", Sharee: bob.ID, Access: storage.AccessRead, Mount: "m2"}, // carol's, not alice's
		{Owner: "nobody", Collection: f.cal, Sharee: bob.ID, Access: storage.AccessRead, Mount: "m3"},
		{Owner: f.owner, Collection: f.cal, Sharee: "nobody", Access: storage.AccessRead, Mount: "m4"},
	} {
		wantErr(t, s.PutGrant(ctx, &g), storage.ErrNotFound)
		wantNoGrant(t, s, g.Owner, g.Collection, g.Sharee)
		wantNoMount(t, s, g.Sharee, g.Mount)
	}
	if m := mountsOf(t, s, bob.ID); len(m) != 0 {
		t.Fatalf("GrantsTo bob after refused grants = %v", m)
	}
	if sh := shareesOf(t, s, f.owner, f.cal); len(sh) != 0 {
		t.Fatalf("GrantsOf after refused grants = %v", sh)
	}

	wantNoGrant(t, s, f.owner, f.cal, bob.ID)
	wantNoMount(t, s, bob.ID, "anything")
	wantErr(t, s.DeleteGrant(ctx, f.owner, f.cal, bob.ID), storage.ErrNotFound)
	_, err := s.PatchGrantProps(ctx, bob.ID, "anything", map[string]string{propName: "x"}, nil)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.GrantsOf(ctx, f.owner, "missing")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.GrantsOf(ctx, "nobody", f.cal)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.GrantsTo(ctx, "nobody")
	wantErr(t, err, storage.ErrNotFound)

	// Lookups are by the exact triple and mount.
	newGrant(t, s, f.owner, f.cal, bob.ID, "shared")
	wantNoGrant(t, s, f.owner, f.cal, carol.ID)
	wantNoGrant(t, s, carol.ID, f.cal, bob.ID)
	wantNoMount(t, s, carol.ID, "shared")
	wantNoMount(t, s, f.owner, "shared")
	wantErr(t, s.DeleteGrant(ctx, f.owner, f.cal, carol.ID), storage.ErrNotFound)
	_, err = s.PatchGrantProps(ctx, carol.ID, "shared", map[string]string{propName: "x"}, nil)
	wantErr(t, err, storage.ErrNotFound)
}

func testSelfShare(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	g := &storage.Grant{Owner: f.owner, Collection: f.cal, Sharee: f.owner, Access: storage.AccessReadWrite, Mount: "mine"}
	if err := s.PutGrant(ctx, g); err == nil {
		t.Fatal("PutGrant of a collection to its owner succeeded")
	}
	wantNoGrant(t, s, f.owner, f.cal, f.owner)
	wantNoMount(t, s, f.owner, "mine")
	if sh := shareesOf(t, s, f.owner, f.cal); len(sh) != 0 {
		t.Fatalf("GrantsOf after a refused self-share = %v", sh)
	}
	if m := mountsOf(t, s, f.owner); len(m) != 0 {
		t.Fatalf("GrantsTo the owner after a refused self-share = %v", m)
	}
	newCollection(t, s, f.owner, "mine", storage.KindCalendar)
}

func testMountCollision(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	bob := newAccount(t, s, "bob@example.org")
	carol := newAccount(t, s, "carol@example.org")
	newCollection(t, s, bob.ID, "cal", storage.KindCalendar)
	newCollection(t, s, carol.ID, "team", storage.KindCalendar)
	carols := newGrant(t, s, carol.ID, "team", bob.ID, "shared")

	for _, g := range []storage.Grant{
		{Owner: f.owner, Collection: f.cal, Sharee: bob.ID, Access: storage.AccessRead, Mount: "cal"},       // bob's own calendar
		{Owner: f.owner, Collection: f.cal, Sharee: bob.ID, Access: storage.AccessRead, Mount: "shared"},    // carol's grant
		{Owner: f.owner, Collection: "work", Sharee: bob.ID, Access: storage.AccessRead, Mount: "shared"},   // ditto, another collection
		{Owner: f.owner, Collection: "work", Sharee: bob.ID, Access: storage.AccessReadWrite, Mount: "cal"}, // ditto
	} {
		wantErr(t, s.PutGrant(ctx, &g), storage.ErrExists)
		wantNoGrant(t, s, g.Owner, g.Collection, g.Sharee)
	}
	if sh := shareesOf(t, s, f.owner, f.cal); len(sh) != 0 {
		t.Fatalf("GrantsOf after refused grants = %v", sh)
	}
	if m := mountsOf(t, s, bob.ID); !slices.Equal(m, []string{"shared"}) {
		t.Fatalf("GrantsTo bob = %v, want [shared]", m)
	}
	wantGrant(t, s, carols)
	if cs := collNames(t, s, bob.ID); !slices.Equal(cs, []string{"cal"}) {
		t.Fatalf("bob's collections = %v, want [cal]", cs)
	}

	// Mount names are per sharee: the same name in another home is free,
	// and it may equal the owner's collection name.
	newGrant(t, s, f.owner, f.cal, carol.ID, "shared")
	newGrant(t, s, f.owner, "work", carol.ID, "cal")
	if m := mountsOf(t, s, carol.ID); !slices.Equal(m, []string{"cal", "shared"}) {
		t.Fatalf("GrantsTo carol = %v, want [cal shared]", m)
	}
	// After the refusals bob can still get alice's calendar under a free
	// name.
	newGrant(t, s, f.owner, f.cal, bob.ID, "alice")
	if m := mountsOf(t, s, bob.ID); !slices.Equal(m, []string{"alice", "shared"}) {
		t.Fatalf("GrantsTo bob = %v, want [alice shared]", m)
	}
}

func testCreateCollectionOverMount(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	bob := newAccount(t, s, "bob@example.org")
	carol := newAccount(t, s, "carol@example.org")
	g := newGrant(t, s, f.owner, f.cal, bob.ID, "team")

	for _, kind := range []storage.Kind{storage.KindCalendar, storage.KindAddressBook} {
		c := &storage.Collection{Owner: bob.ID, Name: "team", Kind: kind}
		wantErr(t, s.CreateCollection(ctx, c), storage.ErrExists)
	}
	_, err := s.Collection(ctx, bob.ID, "team")
	wantErr(t, err, storage.ErrNotFound)
	if cs := collNames(t, s, bob.ID); len(cs) != 0 {
		t.Fatalf("bob's collections after a refused create = %v", cs)
	}
	wantGrant(t, s, g)

	// The name is only taken in bob's home.
	newCollection(t, s, carol.ID, "team", storage.KindCalendar)
	newCollection(t, s, f.owner, "team", storage.KindCalendar)
	newCollection(t, s, bob.ID, "other", storage.KindCalendar)
	wantGrant(t, s, g)
}

func testGrantByMount(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	bob := newAccount(t, s, "bob@example.org")
	carol := newAccount(t, s, "carol@example.org")
	a := newGrant(t, s, f.owner, f.cal, bob.ID, "a")
	b := newGrant(t, s, f.owner, "work", bob.ID, "b")
	c := newGrant(t, s, f.owner, f.cal, carol.ID, "a")
	wantGrant(t, s, a)
	wantGrant(t, s, b)
	wantGrant(t, s, c)
	for _, m := range []struct{ sharee, mount string }{
		{bob.ID, "c"},
		{bob.ID, f.cal}, // the owner's name is not the mount
		{carol.ID, "b"},
		{f.owner, "a"},
		{"nobody", "a"},
	} {
		wantNoMount(t, s, m.sharee, m.mount)
	}
}

func testGrantsOf(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	other := newAccount(t, s, "other@example.org")
	newCollection(t, s, other.ID, f.cal, storage.KindCalendar)

	if sh := shareesOf(t, s, f.owner, f.cal); len(sh) != 0 {
		t.Fatalf("GrantsOf a collection without grants = %v", sh)
	}
	// Sharee IDs out of alphabetical order, so a list in ID order fails
	// unless creation times tie.
	var mine []*storage.Grant
	for i, id := range []string{"m-sharee", "z-sharee", "a-sharee", "k-sharee"} {
		ok(t, s.CreateAccount(ctx, &storage.Account{ID: id, Login: id + "@example.org"}))
		mine = append(mine, newGrant(t, s, f.owner, f.cal, id, "alice"))
		newGrant(t, s, f.owner, "work", id, "alice-work")
		if i%2 == 0 {
			newGrant(t, s, other.ID, f.cal, id, "other")
		}
	}
	slices.SortFunc(mine, func(a, b *storage.Grant) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.Sharee, b.Sharee))
	})
	var want []string
	for _, g := range mine {
		want = append(want, g.Sharee)
	}
	if sh := shareesOf(t, s, f.owner, f.cal); !slices.Equal(sh, want) {
		t.Fatalf("GrantsOf = %v, want %v (by Created, then Sharee)", sh, want)
	}
	gs, err := s.GrantsOf(ctx, f.owner, f.cal)
	ok(t, err)
	for i, g := range gs {
		if !sameGrant(g, *mine[i]) {
			t.Fatalf("listed %+v\nwant %+v", g, mine[i])
		}
	}
	if sh := shareesOf(t, s, f.owner, "work"); len(sh) != 4 {
		t.Fatalf("GrantsOf work = %v", sh)
	}
	if sh := shareesOf(t, s, other.ID, f.cal); len(sh) != 2 {
		t.Fatalf("GrantsOf other's cal = %v", sh)
	}
}

func testGrantsTo(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	bob := newAccount(t, s, "bob@example.org")
	carol := newAccount(t, s, "carol@example.org")
	dave := newAccount(t, s, "dave@example.org")
	newCollection(t, s, carol.ID, "cal", storage.KindCalendar)

	if m := mountsOf(t, s, bob.ID); len(m) != 0 {
		t.Fatalf("GrantsTo an account without grants = %v", m)
	}
	// Mounts out of creation order.
	byMount := map[string]*storage.Grant{
		"z": newGrant(t, s, f.owner, f.cal, bob.ID, "z"),
		"a": newGrant(t, s, f.owner, "work", bob.ID, "a"),
		"m": newGrant(t, s, carol.ID, "cal", bob.ID, "m"),
	}
	newGrant(t, s, f.owner, f.cal, dave.ID, "b")
	newGrant(t, s, carol.ID, "cal", dave.ID, "c")
	if m := mountsOf(t, s, bob.ID); !slices.Equal(m, []string{"a", "m", "z"}) {
		t.Fatalf("GrantsTo bob = %v, want [a m z]", m)
	}
	gs, err := s.GrantsTo(t.Context(), bob.ID)
	ok(t, err)
	for _, g := range gs {
		if !sameGrant(g, *byMount[g.Mount]) {
			t.Fatalf("listed %+v\nwant %+v", g, byMount[g.Mount])
		}
	}
	if m := mountsOf(t, s, dave.ID); !slices.Equal(m, []string{"b", "c"}) {
		t.Fatalf("GrantsTo dave = %v, want [b c]", m)
	}
	// Owners see nothing of their own grants here.
	if m := mountsOf(t, s, f.owner); len(m) != 0 {
		t.Fatalf("GrantsTo the owner = %v", m)
	}
}

func testDeleteGrant(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	bob := newAccount(t, s, "bob@example.org")
	carol := newAccount(t, s, "carol@example.org")
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	newGrant(t, s, f.owner, f.cal, bob.ID, "gone")
	keep := newGrant(t, s, f.owner, "work", bob.ID, "keep")
	other := newGrant(t, s, f.owner, f.cal, carol.ID, "gone")

	ok(t, s.DeleteGrant(ctx, f.owner, f.cal, bob.ID))
	wantNoGrant(t, s, f.owner, f.cal, bob.ID)
	wantNoMount(t, s, bob.ID, "gone")
	wantErr(t, s.DeleteGrant(ctx, f.owner, f.cal, bob.ID), storage.ErrNotFound)
	wantGrant(t, s, keep)
	wantGrant(t, s, other)
	if m := mountsOf(t, s, bob.ID); !slices.Equal(m, []string{"keep"}) {
		t.Fatalf("GrantsTo bob after delete = %v, want [keep]", m)
	}
	if sh := shareesOf(t, s, f.owner, f.cal); !slices.Equal(sh, []string{carol.ID}) {
		t.Fatalf("GrantsOf after delete = %v, want [carol]", sh)
	}

	// A grant made again starts afresh, under any free mount.
	again := &storage.Grant{Owner: f.owner, Collection: f.cal, Sharee: bob.ID, Access: storage.AccessReadWrite, Mount: "again"}
	ok(t, s.PutGrant(ctx, again))
	if len(again.Props) != 0 || again.Mount != "again" {
		t.Fatalf("recreated grant = %+v", again)
	}
	ok(t, s.DeleteGrant(ctx, f.owner, f.cal, bob.ID))

	// The mount name is free for a collection of the sharee's own.
	newCollection(t, s, bob.ID, "gone", storage.KindCalendar)
	ok(t, s.DeleteGrant(ctx, f.owner, "work", bob.ID))
	ok(t, s.DeleteGrant(ctx, f.owner, f.cal, carol.ID))
	if m := mountsOf(t, s, bob.ID); len(m) != 0 {
		t.Fatalf("GrantsTo bob after deleting all = %v", m)
	}
	if sh := shareesOf(t, s, f.owner, f.cal); len(sh) != 0 {
		t.Fatalf("GrantsOf after deleting all = %v", sh)
	}
}

func testPatchGrantProps(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	bob := newAccount(t, s, "bob@example.org")
	carol := newAccount(t, s, "carol@example.org")
	_, err := s.PatchCollection(ctx, f.owner, f.cal, map[string]string{propName: "Alice's calendar", propColor: "#111111"}, nil)
	ok(t, err)
	ownerBefore := f.coll(t, f.cal)
	g := &storage.Grant{
		Owner: f.owner, Collection: f.cal, Sharee: bob.ID, Access: storage.AccessRead, Mount: "alice",
		Props: map[string]string{propName: "From Alice", propOrder: "3"},
	}
	ok(t, s.PutGrant(ctx, g))
	carols := newGrant(t, s, f.owner, f.cal, carol.ID, "alice")

	got, err := s.PatchGrantProps(ctx, bob.ID, "alice",
		map[string]string{propColor: "#ff0000", propName: "Work (Alice)"},
		[]string{propOrder, "{DAV:}never-set"})
	ok(t, err)
	want := *g
	want.Props = map[string]string{propName: "Work (Alice)", propColor: "#ff0000"}
	if !sameGrant(*got, want) {
		t.Fatalf("PatchGrantProps returned %+v\nwant %+v", got, want)
	}
	wantGrant(t, s, &want)

	// A property both removed and set ends up set, as in PatchCollection.
	got, err = s.PatchGrantProps(ctx, bob.ID, "alice", map[string]string{propOrder: "1"}, []string{propOrder, propName})
	ok(t, err)
	want.Props = map[string]string{propColor: "#ff0000", propOrder: "1"}
	if !sameGrant(*got, want) {
		t.Fatalf("PatchGrantProps returned %+v\nwant %+v", got, want)
	}
	wantGrant(t, s, &want)

	// Removing everything leaves no props.
	got, err = s.PatchGrantProps(ctx, bob.ID, "alice", nil, []string{propColor, propOrder})
	ok(t, err)
	if len(got.Props) != 0 {
		t.Fatalf("props after removing all = %v", got.Props)
	}
	want.Props = nil
	wantGrant(t, s, &want)

	// Neither the owner's collection nor another sharee's view changed.
	c := f.coll(t, f.cal)
	if !maps.Equal(c.Props, ownerBefore.Props) || !c.Modified.Equal(ownerBefore.Modified) || c.Seq != ownerBefore.Seq {
		t.Fatalf("owner's collection after patches = %+v, was %+v", c, ownerBefore)
	}
	wantGrant(t, s, carols)

	// The returned map is a copy.
	got, err = s.PatchGrantProps(ctx, bob.ID, "alice", map[string]string{propName: "x"}, nil)
	ok(t, err)
	got.Props[propName] = "y"
	want.Props = map[string]string{propName: "x"}
	wantGrant(t, s, &want)
}

func testDeleteCollectionGrants(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	bob := newAccount(t, s, "bob@example.org")
	carol := newAccount(t, s, "carol@example.org")
	newCollection(t, s, carol.ID, "cal", storage.KindCalendar)
	newGrant(t, s, f.owner, f.cal, bob.ID, "alice")
	newGrant(t, s, f.owner, f.cal, carol.ID, "alice")
	work := newGrant(t, s, f.owner, "work", bob.ID, "work")
	carols := newGrant(t, s, carol.ID, "cal", bob.ID, "carol")

	ok(t, s.DeleteCollection(ctx, f.owner, f.cal))
	wantNoGrant(t, s, f.owner, f.cal, bob.ID)
	wantNoGrant(t, s, f.owner, f.cal, carol.ID)
	wantNoMount(t, s, bob.ID, "alice")
	wantNoMount(t, s, carol.ID, "alice")
	_, err := s.GrantsOf(ctx, f.owner, f.cal)
	wantErr(t, err, storage.ErrNotFound)
	if m := mountsOf(t, s, bob.ID); !slices.Equal(m, []string{"carol", "work"}) {
		t.Fatalf("GrantsTo bob after DeleteCollection = %v, want [carol work]", m)
	}
	if m := mountsOf(t, s, carol.ID); len(m) != 0 {
		t.Fatalf("GrantsTo carol after DeleteCollection = %v", m)
	}
	wantGrant(t, s, work)
	wantGrant(t, s, carols)

	// The mount name is free again in the sharees' homes.
	newCollection(t, s, bob.ID, "alice", storage.KindCalendar)
	newGrant(t, s, f.owner, "work", carol.ID, "alice")

	// A collection created again under the name has no grants.
	newCollection(t, s, f.owner, f.cal, storage.KindCalendar)
	if sh := shareesOf(t, s, f.owner, f.cal); len(sh) != 0 {
		t.Fatalf("GrantsOf the recreated collection = %v", sh)
	}

	// Deleting a sharee's own collection leaves its mounts alone.
	ok(t, s.DeleteCollection(ctx, bob.ID, "alice"))
	if m := mountsOf(t, s, bob.ID); !slices.Equal(m, []string{"carol", "work"}) {
		t.Fatalf("GrantsTo bob after deleting its own collection = %v, want [carol work]", m)
	}
	ok(t, s.DeleteCollection(ctx, f.owner, "work"))
	if m := mountsOf(t, s, bob.ID); !slices.Equal(m, []string{"carol"}) {
		t.Fatalf("GrantsTo bob after deleting work = %v, want [carol]", m)
	}
	if m := mountsOf(t, s, carol.ID); len(m) != 0 {
		t.Fatalf("GrantsTo carol after deleting work = %v", m)
	}
}

func testDeleteAccountOwnerGrants(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	bob := newAccount(t, s, "bob@example.org")
	carol := newAccount(t, s, "carol@example.org")
	newCollection(t, s, bob.ID, "bobcal", storage.KindCalendar)
	newGrant(t, s, f.owner, f.cal, bob.ID, "alice")
	newGrant(t, s, f.owner, "work", bob.ID, "alice-work")
	newGrant(t, s, f.owner, "work", carol.ID, "work")
	bobs := newGrant(t, s, bob.ID, "bobcal", carol.ID, "bob")

	ok(t, s.DeleteAccount(ctx, f.owner))
	wantNoGrant(t, s, f.owner, f.cal, bob.ID)
	wantNoGrant(t, s, f.owner, "work", bob.ID)
	wantNoGrant(t, s, f.owner, "work", carol.ID)
	wantNoMount(t, s, bob.ID, "alice")
	if m := mountsOf(t, s, bob.ID); len(m) != 0 {
		t.Fatalf("GrantsTo bob after the owner's deletion = %v", m)
	}
	if m := mountsOf(t, s, carol.ID); !slices.Equal(m, []string{"bob"}) {
		t.Fatalf("GrantsTo carol after alice's deletion = %v, want [bob]", m)
	}
	wantGrant(t, s, bobs)
	newCollection(t, s, bob.ID, "alice", storage.KindCalendar)
	newCollection(t, s, carol.ID, "work", storage.KindCalendar)

	// An account created again under the same ID has no grants.
	ok(t, s.CreateAccount(ctx, &storage.Account{ID: f.owner, Login: "alice@example.org"}))
	newCollection(t, s, f.owner, f.cal, storage.KindCalendar)
	if sh := shareesOf(t, s, f.owner, f.cal); len(sh) != 0 {
		t.Fatalf("GrantsOf the recreated collection = %v", sh)
	}
	newGrant(t, s, f.owner, f.cal, bob.ID, "alice-again")
}

func testDeleteAccountShareeGrants(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	bob := newAccount(t, s, "bob@example.org")
	carol := newAccount(t, s, "carol@example.org")
	newCollection(t, s, carol.ID, "cal", storage.KindCalendar)
	newGrant(t, s, f.owner, f.cal, bob.ID, "alice")
	newGrant(t, s, f.owner, "work", bob.ID, "work")
	newGrant(t, s, carol.ID, "cal", bob.ID, "carol")
	keep := newGrant(t, s, f.owner, f.cal, carol.ID, "alice")

	ok(t, s.DeleteAccount(ctx, bob.ID))
	wantNoGrant(t, s, f.owner, f.cal, bob.ID)
	wantNoGrant(t, s, f.owner, "work", bob.ID)
	wantNoGrant(t, s, carol.ID, "cal", bob.ID)
	_, err := s.GrantsTo(ctx, bob.ID)
	wantErr(t, err, storage.ErrNotFound)
	if sh := shareesOf(t, s, f.owner, f.cal); !slices.Equal(sh, []string{carol.ID}) {
		t.Fatalf("GrantsOf alice's cal = %v, want [carol]", sh)
	}
	if sh := shareesOf(t, s, f.owner, "work"); len(sh) != 0 {
		t.Fatalf("GrantsOf alice's work = %v", sh)
	}
	if sh := shareesOf(t, s, carol.ID, "cal"); len(sh) != 0 {
		t.Fatalf("GrantsOf carol's cal = %v", sh)
	}
	wantGrant(t, s, keep)

	// An account created again under the same ID has no mounts, and the
	// names are free.
	ok(t, s.CreateAccount(ctx, &storage.Account{ID: bob.ID, Login: "bob@example.org"}))
	if m := mountsOf(t, s, bob.ID); len(m) != 0 {
		t.Fatalf("recreated account has mounts %v", m)
	}
	wantNoMount(t, s, bob.ID, "alice")
	newCollection(t, s, bob.ID, "work", storage.KindCalendar)
	newGrant(t, s, f.owner, f.cal, bob.ID, "alice")
}

// testConcurrentGrantWrites races owner updates of one grant against the
// sharee's property patches, and against grants made and revoked on the
// same collection: no patch is lost, and the mount and creation time
// survive every update.
func testConcurrentGrantWrites(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	bob := newAccount(t, s, "bob@example.org")
	carol := newAccount(t, s, "carol@example.org")
	orig := newGrant(t, s, f.owner, f.cal, bob.ID, "shared")
	const (
		updaters = 3
		patchers = 4
		rounds   = 20
	)
	errs := make([]error, updaters+patchers+1)
	run(updaters+patchers+1, func(w int) {
		switch {
		case w < updaters:
			for i := range rounds {
				g := &storage.Grant{
					Owner: f.owner, Collection: f.cal, Sharee: bob.ID,
					Access: storage.AccessReadWrite, ShowPrivate: i%2 == 0,
					Mount: fmt.Sprint("forged-", w), Props: map[string]string{propName: "forged"},
				}
				if i%2 == 1 {
					g.Access = storage.AccessRead
				}
				if err := s.PutGrant(ctx, g); err != nil {
					errs[w] = err
					return
				}
				if g.Mount != "shared" || !g.Created.Equal(orig.Created) {
					errs[w] = fmt.Errorf("update wrote back %+v", g)
					return
				}
			}
		case w < updaters+patchers:
			// Each patcher owns its keys: sets one per round, removes the
			// one of the round before.
			for i := range rounds {
				set := map[string]string{fmt.Sprintf("{x:}p%d-%d", w, i): fmt.Sprint(i)}
				var remove []string
				if i > 0 {
					remove = []string{fmt.Sprintf("{x:}p%d-%d", w, i-1)}
				}
				if _, err := s.PatchGrantProps(ctx, bob.ID, "shared", set, remove); err != nil {
					errs[w] = err
					return
				}
			}
		default:
			for range rounds {
				newG := &storage.Grant{Owner: f.owner, Collection: f.cal, Sharee: carol.ID, Access: storage.AccessRead, Mount: "shared"}
				if err := s.PutGrant(ctx, newG); err != nil {
					errs[w] = err
					return
				}
				if err := s.DeleteGrant(ctx, f.owner, f.cal, carol.ID); err != nil {
					errs[w] = err
					return
				}
			}
		}
	})
	ok(t, errors.Join(errs...))

	g := getGrant(t, s, f.owner, f.cal, bob.ID)
	wantProps := map[string]string{}
	for w := updaters; w < updaters+patchers; w++ {
		wantProps[fmt.Sprintf("{x:}p%d-%d", w, rounds-1)] = fmt.Sprint(rounds - 1)
	}
	if !maps.Equal(g.Props, wantProps) {
		t.Fatalf("props after concurrent patches = %v, want %v", g.Props, wantProps)
	}
	if g.Mount != "shared" || !g.Created.Equal(orig.Created) {
		t.Fatalf("grant after concurrent updates = %+v", g)
	}
	// Every updater's last round wrote read with ShowPrivate false.
	if g.Access != storage.AccessRead || g.ShowPrivate {
		t.Fatalf("access after concurrent updates = %q, ShowPrivate %v; want read, false", g.Access, g.ShowPrivate)
	}
	notBefore(t, "Updated", g.Updated, orig.Updated)
	wantGrant(t, s, g)
	if sh := shareesOf(t, s, f.owner, f.cal); !slices.Equal(sh, []string{bob.ID}) {
		t.Fatalf("GrantsOf after the race = %v, want [bob]", sh)
	}
	if m := mountsOf(t, s, carol.ID); len(m) != 0 {
		t.Fatalf("GrantsTo carol after the race = %v", m)
	}
	if m := mountsOf(t, s, bob.ID); !slices.Equal(m, []string{"shared"}) {
		t.Fatalf("GrantsTo bob after the race = %v", m)
	}
}
