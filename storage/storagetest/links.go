package storagetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/storage"
)

var linkTests = []test{
	{"CreateRoundTrip", testCreateLink},
	{"CreateNotFound", testCreateLinkNotFound},
	{"CreateDuplicateID", testCreateLinkDuplicate},
	{"List", testListLinks},
	{"Update", testUpdateLink},
	{"Replace", testReplaceLink},
	{"ReplaceRefused", testReplaceLinkRefused},
	{"Delete", testDeleteLink},
	{"AddFetches", testAddFetches},
	{"DeleteCollectionRemovesLinks", testDeleteCollectionLinks},
	{"DeleteAccountRemovesLinks", testDeleteAccountLinks},
	{"ConcurrentFetchesAndUpdates", testConcurrentLinkWrites},
}

func intp(v int) *int { return &v }

// newLink creates a link with default settings and fails on error.
func newLink(t *testing.T, s storage.Store, owner, coll, id string) *storage.Link {
	t.Helper()
	l := &storage.Link{ID: id, Owner: owner, Collection: coll, Label: id, Tier: "full"}
	if err := s.CreateLink(t.Context(), l); err != nil {
		t.Fatalf("CreateLink %s: %v", id, err)
	}
	return l
}

func getLink(t *testing.T, s storage.Store, id string) *storage.Link {
	t.Helper()
	l, err := s.Link(t.Context(), id)
	if err != nil {
		t.Fatalf("Link %s: %v", id, err)
	}
	return l
}

func wantNoLink(t *testing.T, s storage.Store, id string) {
	t.Helper()
	if _, err := s.Link(t.Context(), id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Link %s: err = %v, want ErrNotFound", id, err)
	}
}

// linkIDs lists owner's links and returns their IDs in listed order.
func linkIDs(t *testing.T, s storage.Store, owner string) []string {
	t.Helper()
	ls, err := s.ListLinks(t.Context(), owner)
	if err != nil {
		t.Fatalf("ListLinks %s: %v", owner, err)
	}
	ids := []string{}
	for _, l := range ls {
		if l.Owner != owner {
			t.Fatalf("ListLinks %s returned %+v", owner, l)
		}
		ids = append(ids, l.ID)
	}
	return ids
}

func sameIntPtr(a, b *int) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// sameLinkSettings compares what the caller chooses; an empty component
// list means all, like nil.
func sameLinkSettings(a, b storage.Link) bool {
	return a.Label == b.Label && a.Tier == b.Tier &&
		slices.Equal(a.Components, b.Components) &&
		sameIntPtr(a.PastDays, b.PastDays) && sameIntPtr(a.FutureDays, b.FutureDays) &&
		a.Expires.Equal(b.Expires)
}

// sameLink compares every field, timestamps by instant.
func sameLink(a, b storage.Link) bool {
	return a.ID == b.ID && a.Owner == b.Owner && a.Collection == b.Collection &&
		sameLinkSettings(a, b) &&
		a.Created.Equal(b.Created) && a.Updated.Equal(b.Updated) && a.Version == b.Version &&
		a.Fetches == b.Fetches && a.LastFetched.Equal(b.LastFetched) && a.LastUserAgent == b.LastUserAgent
}

func wantLink(t *testing.T, s storage.Store, want *storage.Link) {
	t.Helper()
	got := getLink(t, s, want.ID)
	if !sameLink(*got, *want) {
		t.Fatalf("Link %s = %+v\nwant %+v", want.ID, got, want)
	}
}

func testCreateLink(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	before := time.Now()
	expires := time.Date(2027, 6, 1, 12, 0, 0, 0, time.FixedZone("+0200", 2*3600))
	l := &storage.Link{
		ID: "link-full", Owner: f.owner, Collection: f.cal,
		Label: "Family", Tier: "limited", Components: []string{"VEVENT", "VTODO"},
		PastDays: intp(30), FutureDays: intp(0), Expires: expires,
		// Store-owned fields the caller cannot set.
		Created: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Updated: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		Version: 7, Fetches: 9, LastFetched: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), LastUserAgent: "x",
	}
	ok(t, s.CreateLink(ctx, l))
	if l.ID != "link-full" || l.Owner != f.owner || l.Collection != f.cal {
		t.Fatalf("CreateLink changed identity: %+v", l)
	}
	notBefore(t, "Created", l.Created, before)
	if !l.Updated.Equal(l.Created) {
		t.Fatalf("Updated %v, want Created %v", l.Updated, l.Created)
	}
	if l.Version != 1 || l.Fetches != 0 || !l.LastFetched.IsZero() || l.LastUserAgent != "" {
		t.Fatalf("CreateLink wrote back Version %d, stats %d %v %q; want 1 and none", l.Version, l.Fetches, l.LastFetched, l.LastUserAgent)
	}
	want := storage.Link{
		ID: "link-full", Owner: f.owner, Collection: f.cal,
		Label: "Family", Tier: "limited", Components: []string{"VEVENT", "VTODO"},
		PastDays: intp(30), FutureDays: intp(0), Expires: expires,
		Created: l.Created, Updated: l.Created, Version: 1,
	}
	if !sameLink(*l, want) {
		t.Fatalf("CreateLink wrote back %+v\nwant %+v", l, want)
	}
	wantLink(t, s, &want)

	// Unbounded windows, no expiry, all components.
	// An empty component list means all, like nil, and reads back as nil.
	bare := &storage.Link{ID: "link-bare", Owner: f.owner, Collection: f.cal, Tier: "busy", Components: []string{}}
	ok(t, s.CreateLink(ctx, bare))
	got := getLink(t, s, "link-bare")
	if got.PastDays != nil || got.FutureDays != nil || !got.Expires.IsZero() || got.Components != nil ||
		got.Tier != "busy" || got.Label != "" || got.Version != 1 {
		t.Fatalf("bare link = %+v", got)
	}

	// What Link returns is a copy.
	got = getLink(t, s, "link-full")
	got.Components[0] = "VJOURNAL"
	*got.PastDays = 1
	*got.FutureDays = 1
	wantLink(t, s, &want)
}

func testCreateLinkNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	bob := newAccount(t, s, "bob@example.org")
	newCollection(t, s, bob.ID, "bobcal", storage.KindCalendar)
	for _, l := range []storage.Link{
		{ID: "l1", Owner: f.owner, Collection: "missing", Tier: "full"},
		{ID: "l2", Owner: "nobody", Collection: f.cal, Tier: "full"},
		{ID: "l3", Owner: f.owner, Collection: "bobcal", Tier: "full"}, // bob's, not alice's
	} {
		wantErr(t, s.CreateLink(ctx, &l), storage.ErrNotFound)
		wantNoLink(t, s, l.ID)
	}
	wantNoLink(t, s, "never-created")
	if ids := linkIDs(t, s, f.owner); len(ids) != 0 {
		t.Fatalf("ListLinks after refused creates = %v", ids)
	}
}

func testCreateLinkDuplicate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	first := newLink(t, s, f.owner, f.cal, "dup")
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	bob := newAccount(t, s, "bob@example.org")
	newCollection(t, s, bob.ID, "cal", storage.KindCalendar)
	for _, l := range []storage.Link{
		{ID: "dup", Owner: f.owner, Collection: f.cal, Label: "again", Tier: "busy"},
		{ID: "dup", Owner: f.owner, Collection: "work", Label: "other collection", Tier: "busy"},
		{ID: "dup", Owner: bob.ID, Collection: "cal", Label: "other owner", Tier: "busy"},
	} {
		wantErr(t, s.CreateLink(ctx, &l), storage.ErrExists)
	}
	wantLink(t, s, first)
	if ids := linkIDs(t, s, bob.ID); len(ids) != 0 {
		t.Fatalf("bob's links after a refused create = %v", ids)
	}
	if ids := linkIDs(t, s, f.owner); !slices.Equal(ids, []string{"dup"}) {
		t.Fatalf("ListLinks = %v, want [dup]", ids)
	}
}

func testListLinks(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	bob := newAccount(t, s, "bob@example.org")
	newCollection(t, s, bob.ID, "cal", storage.KindCalendar)

	if ids := linkIDs(t, s, f.owner); len(ids) != 0 {
		t.Fatalf("ListLinks of an account without links = %v", ids)
	}
	_, err := s.ListLinks(ctx, "nobody")
	wantErr(t, err, storage.ErrNotFound)

	// IDs out of alphabetical order, so a list in ID order fails unless
	// creation times tie.
	var mine []*storage.Link
	for i, id := range []string{"m", "z", "a", "k"} {
		coll := f.cal
		if i%2 == 1 {
			coll = "work"
		}
		mine = append(mine, newLink(t, s, f.owner, coll, id))
		newLink(t, s, bob.ID, "cal", "bob-"+id)
	}
	slices.SortFunc(mine, func(a, b *storage.Link) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	var want []string
	for _, l := range mine {
		want = append(want, l.ID)
	}
	if ids := linkIDs(t, s, f.owner); !slices.Equal(ids, want) {
		t.Fatalf("ListLinks = %v, want %v (by Created, then ID)", ids, want)
	}
	ls, err := s.ListLinks(ctx, f.owner)
	ok(t, err)
	for i, l := range ls {
		if !sameLink(l, *mine[i]) {
			t.Fatalf("listed %+v\nwant %+v", l, mine[i])
		}
	}
	if ids := linkIDs(t, s, bob.ID); len(ids) != 4 || !slices.ContainsFunc(ids, func(id string) bool { return id == "bob-z" }) {
		t.Fatalf("bob's links = %v", ids)
	}
}

func testUpdateLink(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	orig := &storage.Link{
		ID: "upd", Owner: f.owner, Collection: f.cal, Label: "old", Tier: "full",
		Components: []string{"VEVENT"}, PastDays: intp(7), FutureDays: intp(90),
		Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	ok(t, s.CreateLink(ctx, orig))
	last := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	ok(t, s.AddFetches(ctx, []storage.FetchStat{{ID: "upd", Count: 4, Last: last, UserAgent: "cal/1"}}))

	before := time.Now()
	upd := &storage.Link{
		ID: "upd", Label: "new", Tier: "busy", FutureDays: intp(30),
		// Not settings: ignored.
		Owner: "someone", Collection: "work", Created: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		Version: 40, Fetches: 1000, LastUserAgent: "forged",
	}
	ok(t, s.UpdateLink(ctx, upd))
	want := storage.Link{
		ID: "upd", Owner: f.owner, Collection: f.cal, Label: "new", Tier: "busy", FutureDays: intp(30),
		Created: orig.Created, Updated: upd.Updated, Version: 2,
		Fetches: 4, LastFetched: last, LastUserAgent: "cal/1",
	}
	if !sameLink(*upd, want) {
		t.Fatalf("UpdateLink wrote back %+v\nwant %+v", upd, want)
	}
	notBefore(t, "Updated", upd.Updated, before)
	notBefore(t, "Updated", upd.Updated, orig.Updated)
	wantLink(t, s, &want)

	// Every update counts, even one that changes nothing.
	ok(t, s.UpdateLink(ctx, upd))
	if upd.Version != 3 {
		t.Fatalf("Version after second update = %d, want 3", upd.Version)
	}
	if got := getLink(t, s, "upd"); got.Version != 3 || got.Fetches != 4 || !got.Created.Equal(orig.Created) {
		t.Fatalf("after second update = %+v", got)
	}

	missing := &storage.Link{ID: "missing", Owner: f.owner, Collection: f.cal, Tier: "full"}
	wantErr(t, s.UpdateLink(ctx, missing), storage.ErrNotFound)
	wantNoLink(t, s, "missing")
}

func testReplaceLink(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	old := newLink(t, s, f.owner, f.cal, "old")
	other := newLink(t, s, f.owner, f.cal, "other")
	ok(t, s.AddFetches(ctx, []storage.FetchStat{{ID: "old", Count: 3, Last: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), UserAgent: "ua"}}))
	ok(t, s.UpdateLink(ctx, old))

	before := time.Now()
	l := &storage.Link{
		ID: "new", Owner: f.owner, Collection: f.cal, Label: "rotated", Tier: "limited",
		Components: []string{"VEVENT"}, PastDays: intp(1), Expires: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC),
		Version: 9, Fetches: 3, Created: old.Created,
	}
	ok(t, s.ReplaceLink(ctx, "old", l))
	notBefore(t, "Created", l.Created, before)
	want := storage.Link{
		ID: "new", Owner: f.owner, Collection: f.cal, Label: "rotated", Tier: "limited",
		Components: []string{"VEVENT"}, PastDays: intp(1), Expires: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC),
		Created: l.Created, Updated: l.Created, Version: 1,
	}
	if !sameLink(*l, want) {
		t.Fatalf("ReplaceLink wrote back %+v\nwant %+v", l, want)
	}
	wantLink(t, s, &want)
	wantNoLink(t, s, "old")
	wantLink(t, s, other)
	ids := linkIDs(t, s, f.owner)
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"new", "other"}) {
		t.Fatalf("ListLinks after replace = %v", ids)
	}
	wantErr(t, s.DeleteLink(ctx, "old"), storage.ErrNotFound)
	// The old ID is free again.
	newLink(t, s, f.owner, f.cal, "old")
}

func testReplaceLinkRefused(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	bob := newAccount(t, s, "bob@example.org")
	newCollection(t, s, bob.ID, "cal", storage.KindCalendar)
	old := newLink(t, s, f.owner, f.cal, "old")
	other := newLink(t, s, f.owner, f.cal, "other")
	unchanged := func(t *testing.T) {
		t.Helper()
		wantLink(t, s, old)
		wantLink(t, s, other)
		wantNoLink(t, s, "new")
		ids := linkIDs(t, s, f.owner)
		slices.Sort(ids)
		if !slices.Equal(ids, []string{"old", "other"}) {
			t.Fatalf("ListLinks = %v, want [old other]", ids)
		}
		if ids := linkIDs(t, s, bob.ID); len(ids) != 0 {
			t.Fatalf("bob's links = %v", ids)
		}
	}

	l := &storage.Link{ID: "new", Owner: f.owner, Collection: f.cal, Tier: "full"}
	wantErr(t, s.ReplaceLink(ctx, "missing", l), storage.ErrNotFound)
	unchanged(t)

	for _, l := range []storage.Link{
		{ID: "new", Owner: f.owner, Collection: "work", Tier: "full"},
		{ID: "new", Owner: bob.ID, Collection: "cal", Tier: "full"},
		{ID: "new", Owner: f.owner, Collection: "missing", Tier: "full"},
	} {
		if err := s.ReplaceLink(ctx, "old", &l); err == nil {
			t.Fatalf("ReplaceLink onto %s/%s succeeded; the old link is on %s/%s", l.Owner, l.Collection, f.owner, f.cal)
		}
		unchanged(t)
	}

	for _, id := range []string{"other", "old"} {
		l := &storage.Link{ID: id, Owner: f.owner, Collection: f.cal, Label: "taken", Tier: "busy"}
		wantErr(t, s.ReplaceLink(ctx, "old", l), storage.ErrExists)
		unchanged(t)
	}
}

func testDeleteLink(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	newLink(t, s, f.owner, f.cal, "gone")
	keep := newLink(t, s, f.owner, f.cal, "keep")
	ok(t, s.DeleteLink(ctx, "gone"))
	wantNoLink(t, s, "gone")
	wantErr(t, s.DeleteLink(ctx, "gone"), storage.ErrNotFound)
	wantErr(t, s.DeleteLink(ctx, "never"), storage.ErrNotFound)
	wantLink(t, s, keep)
	if ids := linkIDs(t, s, f.owner); !slices.Equal(ids, []string{"keep"}) {
		t.Fatalf("ListLinks after delete = %v", ids)
	}
	// A deleted ID may be used again and starts afresh.
	again := newLink(t, s, f.owner, f.cal, "gone")
	if again.Version != 1 || again.Fetches != 0 {
		t.Fatalf("recreated link = %+v", again)
	}
}

func testAddFetches(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	a := newLink(t, s, f.owner, f.cal, "a")
	b := newLink(t, s, f.owner, f.cal, "b")
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	t2 := t0.Add(2 * time.Hour)

	ok(t, s.AddFetches(ctx, nil))
	ok(t, s.AddFetches(ctx, []storage.FetchStat{
		{ID: "a", Count: 3, Last: t1, UserAgent: "ua-1"},
		{ID: "revoked", Count: 5, Last: t2, UserAgent: "ua-x"},
		{ID: "b", Count: 1, Last: t0.In(time.FixedZone("-0700", -7*3600)), UserAgent: "ua-b"},
	}))
	// An older batch adds its count but does not move LastFetched back.
	ok(t, s.AddFetches(ctx, []storage.FetchStat{{ID: "a", Count: 2, Last: t0, UserAgent: "ua-0"}}))
	ga, gb := getLink(t, s, "a"), getLink(t, s, "b")
	if ga.Fetches != 5 || !ga.LastFetched.Equal(t1) || ga.LastUserAgent != "ua-1" {
		t.Fatalf("a: %d fetches, last %v by %q; want 5, %v, ua-1", ga.Fetches, ga.LastFetched, ga.LastUserAgent, t1)
	}
	if gb.Fetches != 1 || !gb.LastFetched.Equal(t0) || gb.LastUserAgent != "ua-b" {
		t.Fatalf("b: %d fetches, last %v by %q; want 1, %v, ua-b", gb.Fetches, gb.LastFetched, gb.LastUserAgent, t0)
	}
	wantNoLink(t, s, "revoked")

	// Two stats for one link in one batch both count; the newer one wins.
	ok(t, s.AddFetches(ctx, []storage.FetchStat{
		{ID: "a", Count: 1, Last: t2, UserAgent: "ua-2"},
		{ID: "a", Count: 1, Last: t1, UserAgent: "ua-late"},
	}))
	ga = getLink(t, s, "a")
	if ga.Fetches != 7 || !ga.LastFetched.Equal(t2) || ga.LastUserAgent != "ua-2" {
		t.Fatalf("a: %d fetches, last %v by %q; want 7, %v, ua-2", ga.Fetches, ga.LastFetched, ga.LastUserAgent, t2)
	}
	// Fetches are not changes of the link.
	for _, c := range []struct{ got, was *storage.Link }{{ga, a}, {getLink(t, s, "b"), b}} {
		if c.got.Version != 1 || !c.got.Updated.Equal(c.was.Updated) || !sameLinkSettings(*c.got, *c.was) {
			t.Fatalf("AddFetches changed link %s: %+v, was %+v", c.was.ID, c.got, c.was)
		}
	}
	if ids := linkIDs(t, s, f.owner); len(ids) != 2 {
		t.Fatalf("ListLinks = %v", ids)
	}
}

func testDeleteCollectionLinks(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	bob := newAccount(t, s, "bob@example.org")
	newCollection(t, s, bob.ID, "cal", storage.KindCalendar)
	newLink(t, s, f.owner, f.cal, "cal-1")
	newLink(t, s, f.owner, f.cal, "cal-2")
	work := newLink(t, s, f.owner, "work", "work-1")
	bobs := newLink(t, s, bob.ID, "cal", "bob-1")

	ok(t, s.DeleteCollection(ctx, f.owner, f.cal))
	wantNoLink(t, s, "cal-1")
	wantNoLink(t, s, "cal-2")
	wantLink(t, s, work)
	wantLink(t, s, bobs)
	if ids := linkIDs(t, s, f.owner); !slices.Equal(ids, []string{"work-1"}) {
		t.Fatalf("ListLinks after DeleteCollection = %v, want [work-1]", ids)
	}
	// A collection created again under the name has no links.
	newCollection(t, s, f.owner, f.cal, storage.KindCalendar)
	if ids := linkIDs(t, s, f.owner); !slices.Equal(ids, []string{"work-1"}) {
		t.Fatalf("ListLinks after recreating the collection = %v, want [work-1]", ids)
	}

	ok(t, s.DeleteCollection(ctx, f.owner, "work"))
	if ids := linkIDs(t, s, f.owner); len(ids) != 0 {
		t.Fatalf("ListLinks after deleting every linked collection = %v", ids)
	}
	wantLink(t, s, bobs)
}

func testDeleteAccountLinks(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	bob := newAccount(t, s, "bob@example.org")
	newCollection(t, s, bob.ID, "cal", storage.KindCalendar)
	newLink(t, s, f.owner, f.cal, "alice-1")
	newLink(t, s, f.owner, "work", "alice-2")
	bobs := newLink(t, s, bob.ID, "cal", "bob-1")

	ok(t, s.DeleteAccount(ctx, f.owner))
	wantNoLink(t, s, "alice-1")
	wantNoLink(t, s, "alice-2")
	_, err := s.ListLinks(ctx, f.owner)
	wantErr(t, err, storage.ErrNotFound)
	wantLink(t, s, bobs)
	if ids := linkIDs(t, s, bob.ID); !slices.Equal(ids, []string{"bob-1"}) {
		t.Fatalf("bob's links = %v", ids)
	}

	// An account created again under the same ID starts without links,
	// and the IDs are free.
	ok(t, s.CreateAccount(ctx, &storage.Account{ID: f.owner, Login: "alice@example.org"}))
	if ids := linkIDs(t, s, f.owner); len(ids) != 0 {
		t.Fatalf("recreated account has links %v", ids)
	}
	newCollection(t, s, f.owner, f.cal, storage.KindCalendar)
	newLink(t, s, f.owner, f.cal, "alice-1")
}

// testConcurrentLinkWrites races fetch flushes against setting changes
// and rotations of other links: no count is lost and every update counts.
func testConcurrentLinkWrites(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	newLink(t, s, f.owner, f.cal, "hot")
	newLink(t, s, f.owner, f.cal, "spin-0")
	const (
		flushers = 4
		flushes  = 25
		updaters = 2
		updates  = 10
	)
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	errs := make([]error, flushers+updaters+1)
	run(flushers+updaters+1, func(w int) {
		ctx := t.Context()
		switch {
		case w < flushers:
			for i := range flushes {
				err := s.AddFetches(ctx, []storage.FetchStat{
					{ID: "hot", Count: 1, Last: base.Add(time.Duration(w*flushes+i) * time.Second), UserAgent: fmt.Sprint("ua-", w, "-", i)},
					{ID: "spin-0", Count: 1, Last: base},
				})
				if err != nil {
					errs[w] = err
					return
				}
			}
		case w < flushers+updaters:
			for i := range updates {
				l := &storage.Link{ID: "hot", Label: fmt.Sprint("label-", w, "-", i), Tier: "limited"}
				if err := s.UpdateLink(ctx, l); err != nil {
					errs[w] = err
					return
				}
			}
		default:
			// Rotation of another link: stats sent to an old ID are dropped.
			for i := range updates {
				l := &storage.Link{ID: fmt.Sprint("spin-", i+1), Owner: f.owner, Collection: f.cal, Tier: "busy"}
				if err := s.ReplaceLink(ctx, fmt.Sprint("spin-", i), l); err != nil {
					errs[w] = err
					return
				}
			}
		}
	})
	ok(t, errors.Join(errs...))

	hot := getLink(t, s, "hot")
	last := base.Add(time.Duration(flushers*flushes-1) * time.Second)
	if hot.Fetches != flushers*flushes || hot.Version != 1+updaters*updates ||
		!hot.LastFetched.Equal(last) || hot.LastUserAgent != fmt.Sprint("ua-", flushers-1, "-", flushes-1) {
		t.Fatalf("hot = %+v; want %d fetches, Version %d, last %v", hot, flushers*flushes, 1+updaters*updates, last)
	}
	spin := getLink(t, s, fmt.Sprint("spin-", updates))
	if spin.Fetches != 0 || spin.Version != 1 {
		t.Fatalf("rotated link = %+v", spin)
	}
	ids := linkIDs(t, s, f.owner)
	slices.Sort(ids)
	if want := []string{"hot", fmt.Sprint("spin-", updates)}; !slices.Equal(ids, want) {
		t.Fatalf("ListLinks = %v, want %v", ids, want)
	}
}
