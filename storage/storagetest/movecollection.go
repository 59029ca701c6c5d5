package storagetest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"almanac/storage"
)

var moveCollectionTests = []test{
	{"KeepsEverything", testMoveCollectionKeeps},
	{"GrantsAndLinksFollow", testMoveCollectionSharing},
	{"Refused", testMoveCollectionRefused},
	{"ReplacesCollection", testMoveCollectionReplace},
	{"ReplacesMount", testMoveCollectionReplaceMount},
	{"ContextCanceled", testMoveCollectionCanceled},
}

// moveFixture has a calendar "src" with members, a deletion in its log
// and properties, seen before the move.
type moveFixture struct {
	*fixture
	before *storage.Collection
	metas  map[string]*storage.ObjectMeta
	// initial is the initial sync's answer (live members), since1 the log
	// after position 1, tombstone included.
	initial, since1 []storage.Change
}

func newMoveFixture(t *testing.T, s storage.Store) *moveFixture {
	t.Helper()
	f := newFixture(t, s)
	c := &storage.Collection{Owner: f.owner, Name: "src", Kind: storage.KindCalendar,
		Components: []string{"VEVENT"}, Props: map[string]string{"{DAV:}displayname": "Work"}}
	ok(t, s.CreateCollection(t.Context(), c))
	m := &moveFixture{fixture: f, metas: map[string]*storage.ObjectMeta{}}
	for _, n := range []string{"a", "b", "gone"} {
		m.metas[n+".ics"] = f.put(t, "src", n+".ics", "uid-"+n, ics("uid-"+n, n))
	}
	f.del(t, "src", "gone.ics")
	delete(m.metas, "gone.ics")
	m.before = f.coll(t, "src")
	m.initial, _, _ = f.changes(t, "src", 0, 0)
	m.since1, _, _ = f.changes(t, "src", 1, 0)
	if fmtChanges(m.since1) != "b.ics@2 gone.ics@4-" {
		t.Fatalf("log since 1 = %q", fmtChanges(m.since1))
	}
	return m
}

func (m *moveFixture) move(t *testing.T, from, to string, replace bool) (bool, error) {
	t.Helper()
	return m.s.MoveCollection(t.Context(), m.owner, from, to, replace)
}

// wantMoved checks that the collection now named to is src as it was.
func (m *moveFixture) wantMoved(t *testing.T, to string) {
	t.Helper()
	_, err := m.s.Collection(t.Context(), m.owner, "src")
	wantErr(t, err, storage.ErrNotFound)
	c := m.coll(t, to)
	b := m.before
	if c.Name != to || c.Kind != b.Kind || c.Incarnation != b.Incarnation || c.Seq != b.Seq || c.Pruned != b.Pruned ||
		!slices.Equal(c.Components, b.Components) || !maps.Equal(c.Props, b.Props) ||
		!c.Created.Equal(b.Created) || !c.Modified.Equal(b.Modified) {
		t.Fatalf("moved collection %+v\nwant %+v under %s", c, b, to)
	}
	for name, want := range m.metas {
		got, err := m.s.Stat(t.Context(), m.owner, to, name)
		ok(t, err)
		if !sameMeta(*got, *want) {
			t.Fatalf("moved %s: %+v, want %+v", name, got, want)
		}
		n := name[:len(name)-len(".ics")]
		m.wantData(t, to, name, ics("uid-"+n, n))
	}
	if names := m.names(t, to); !slices.Equal(names, []string{"a.ics", "b.ics"}) {
		t.Fatalf("List %s = %v", to, names)
	}
	// The change log, tombstone included, answers the old positions:
	// tokens handed out before the move stay valid.
	if log, _, _ := m.changes(t, to, 0, 0); fmtChanges(log) != fmtChanges(m.initial) {
		t.Fatalf("initial sync after the move %q, want %q", fmtChanges(log), fmtChanges(m.initial))
	}
	if log, _, _ := m.changes(t, to, 1, 0); fmtChanges(log) != fmtChanges(m.since1) {
		t.Fatalf("log since 1 after the move %q, want %q", fmtChanges(log), fmtChanges(m.since1))
	}
}

// A move keeps the collection whole: members and their metadata, the
// change log with its tombstones, the properties, the incarnation and
// the sequence. It is the same collection under another name: UIDs stay
// taken, writes go on from the same sequence, and the old name is free.
func testMoveCollectionKeeps(t *testing.T, s storage.Store) {
	m := newMoveFixture(t, s)
	replaced, err := m.move(t, "src", "renamed", false)
	ok(t, err)
	if replaced {
		t.Fatal("move to a free name: replaced = true")
	}
	m.wantMoved(t, "renamed")
	_, _, err = s.Put(t.Context(), storage.PutObject{Owner: m.owner, Collection: "renamed", Name: "c.ics", UID: "uid-a", Data: ics("uid-a", "c")})
	var conflict *storage.UIDConflictError
	if !errors.As(err, &conflict) || conflict.Name != "a.ics" {
		t.Fatalf("err = %v, want uid-a held by a.ics", err)
	}
	m.put(t, "renamed", "c.ics", "uid-c", ics("uid-c", "c"))
	if got := m.seq(t, "renamed"); got != m.before.Seq+1 {
		t.Fatalf("Seq after a write %d, want %d", got, m.before.Seq+1)
	}
	m.del(t, "renamed", "a.ics")
	if log, _, _ := m.changes(t, "renamed", m.before.Seq, 0); fmtChanges(log) != "c.ics@5 a.ics@6-" {
		t.Fatalf("log since the move %q", fmtChanges(log))
	}
	// The old name is free; a collection made there is another one.
	again := newCollection(t, s, m.owner, "src", storage.KindCalendar)
	if again.Incarnation == m.before.Incarnation || again.Seq != 0 {
		t.Fatalf("new collection under the old name: %+v", again)
	}
	if names := m.names(t, "src"); len(names) != 0 {
		t.Fatalf("new collection under the old name has members %v", names)
	}
	// And back: the name it came from is free again after a delete.
	ok(t, s.DeleteCollection(t.Context(), m.owner, "src"))
	_, err = m.move(t, "renamed", "src", false)
	ok(t, err)
	if names := m.names(t, "src"); !slices.Equal(names, []string{"b.ics", "c.ics"}) {
		t.Fatalf("List after moving back = %v", names)
	}
}

// Grants and links follow the collection: sharees keep their mounts
// under the same names, which now lead to it, and links keep their IDs,
// settings and Version.
func testMoveCollectionSharing(t *testing.T, s storage.Store) {
	m := newMoveFixture(t, s)
	bob := newAccount(t, s, "bob@example.org")
	newGrant(t, s, m.owner, "src", bob.ID, "from-alice")
	g, err := s.PatchGrantProps(t.Context(), bob.ID, "from-alice", map[string]string{"{DAV:}displayname": "Alice's"}, nil)
	ok(t, err)
	l := newLink(t, s, m.owner, "src", "link-1")
	other := newLink(t, s, m.owner, "cal", "link-2")

	_, err = m.move(t, "src", "renamed", false)
	ok(t, err)
	m.wantMoved(t, "renamed")
	g.Collection = "renamed"
	wantGrant(t, s, g)
	wantNoGrant(t, s, m.owner, "src", bob.ID)
	_, err = s.GrantsOf(t.Context(), m.owner, "src")
	wantErr(t, err, storage.ErrNotFound)
	if got := shareesOf(t, s, m.owner, "renamed"); !slices.Equal(got, []string{bob.ID}) {
		t.Fatalf("GrantsOf renamed = %v", got)
	}
	if got := mountsOf(t, s, bob.ID); !slices.Equal(got, []string{"from-alice"}) {
		t.Fatalf("GrantsTo bob = %v", got)
	}
	l.Collection = "renamed"
	wantLink(t, s, l)
	wantLink(t, s, other)
	if got := linkIDs(t, s, m.owner); !slices.Equal(got, []string{"link-1", "link-2"}) {
		t.Fatalf("ListLinks = %v", got)
	}
	// The indexes name the new collection: deleting it removes its grant
	// and link, and only those.
	ok(t, s.DeleteCollection(t.Context(), m.owner, "renamed"))
	wantNoMount(t, s, bob.ID, "from-alice")
	wantNoLink(t, s, "link-1")
	wantLink(t, s, other)
	if got := mountsOf(t, s, bob.ID); len(got) != 0 {
		t.Fatalf("GrantsTo bob after the delete = %v", got)
	}
}

// A move onto a taken name, onto itself or of what does not exist changes
// nothing.
func testMoveCollectionRefused(t *testing.T, s storage.Store) {
	m := newMoveFixture(t, s)
	bob := newAccount(t, s, "bob@example.org")
	newCollection(t, s, bob.ID, "bobs", storage.KindCalendar)
	newCollection(t, s, bob.ID, "bobs-book", storage.KindAddressBook)
	newGrant(t, s, bob.ID, "bobs", m.owner, "mounted")
	newGrant(t, s, bob.ID, "bobs-book", m.owner, "mounted-book")
	newCollection(t, s, m.owner, "book", storage.KindAddressBook)
	for _, tc := range []struct {
		from, to string
		replace  bool
		want     error
	}{
		{"missing", "x", false, storage.ErrNotFound},
		{"missing", "x", true, storage.ErrNotFound},
		{"src", "src", false, storage.ErrExists},
		{"src", "src", true, storage.ErrExists},
		{"src", "cal", false, storage.ErrExists},
		{"src", "mounted", false, storage.ErrExists},
		{"src", "book", true, storage.ErrExists},
		{"src", "mounted-book", true, storage.ErrExists},
	} {
		_, err := m.move(t, tc.from, tc.to, tc.replace)
		if !errors.Is(err, tc.want) {
			t.Fatalf("MoveCollection %s -> %s (replace %v): err = %v, want %v", tc.from, tc.to, tc.replace, err, tc.want)
		}
	}
	_, err := s.MoveCollection(t.Context(), "nobody", "src", "x", false)
	wantErr(t, err, storage.ErrNotFound)
	if _, err := m.move(t, "src", "", false); err == nil {
		t.Fatal("MoveCollection to an empty name succeeded")
	}
	if got := collNames(t, s, m.owner); !slices.Equal(got, []string{"book", "cal", "src"}) {
		t.Fatalf("collections after refused moves: %v", got)
	}
	if c := m.coll(t, "src"); c.Seq != m.before.Seq || c.Incarnation != m.before.Incarnation {
		t.Fatalf("refused moves changed src: %+v", c)
	}
	if got := mountsOf(t, s, m.owner); !slices.Equal(got, []string{"mounted", "mounted-book"}) {
		t.Fatalf("mounts after refused moves: %v", got)
	}
}

// With replace, a collection of the same kind at the destination goes
// first, as DeleteCollection would take it: members, grants and links.
func testMoveCollectionReplace(t *testing.T, s storage.Store) {
	m := newMoveFixture(t, s)
	bob := newAccount(t, s, "bob@example.org")
	newCollection(t, s, m.owner, "old", storage.KindCalendar)
	m.put(t, "old", "old.ics", "uid-a", ics("uid-a", "old"))
	newGrant(t, s, m.owner, "old", bob.ID, "old-mount")
	newLink(t, s, m.owner, "old", "old-link")
	_, err := m.move(t, "src", "old", false)
	wantErr(t, err, storage.ErrExists)
	m.wantData(t, "old", "old.ics", ics("uid-a", "old"))

	replaced, err := m.move(t, "src", "old", true)
	ok(t, err)
	if !replaced {
		t.Fatal("replacing move: replaced = false")
	}
	m.wantMoved(t, "old")
	m.wantData(t, "old", "old.ics", nil)
	wantNoMount(t, s, bob.ID, "old-mount")
	wantNoLink(t, s, "old-link")
	if got := collNames(t, s, m.owner); !slices.Equal(got, []string{"cal", "old"}) {
		t.Fatalf("collections = %v", got)
	}
}

// With replace, a mount at the destination goes as DeleteGrant would take
// it: the sharee leaves the share, the owner's collection stays.
func testMoveCollectionReplaceMount(t *testing.T, s storage.Store) {
	m := newMoveFixture(t, s)
	bob := newAccount(t, s, "bob@example.org")
	newCollection(t, s, bob.ID, "bobs", storage.KindCalendar)
	newGrant(t, s, bob.ID, "bobs", m.owner, "mounted")
	replaced, err := m.move(t, "src", "mounted", true)
	ok(t, err)
	if !replaced {
		t.Fatal("replacing a mount: replaced = false")
	}
	m.wantMoved(t, "mounted")
	wantNoGrant(t, s, bob.ID, "bobs", m.owner)
	if got := mountsOf(t, s, m.owner); len(got) != 0 {
		t.Fatalf("mounts = %v", got)
	}
	if got := collNames(t, s, bob.ID); !slices.Equal(got, []string{"bobs"}) {
		t.Fatalf("bob's collections = %v", got)
	}
}

func testMoveCollectionCanceled(t *testing.T, s storage.Store) {
	m := newMoveFixture(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.MoveCollection(ctx, m.owner, "src", "renamed", false)
	wantErr(t, err, context.Canceled)
	if c := m.coll(t, "src"); c.Seq != m.before.Seq {
		t.Fatalf("canceled move changed src: %+v", c)
	}
}
