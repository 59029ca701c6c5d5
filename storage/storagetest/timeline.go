package storagetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"almanac/storage"
)

var timelineTests = []test{
	{"RoundTrip", testTimelineRoundTrip},
	{"BetweenAgreesWithPeriods", testBetweenAgreesWithPeriods},
	{"WritesKeepIndex", testTimelineWrites},
	{"Bounded", testTimelineBounded},
	{"SetTimelines", testSetTimelines},
	{"DueTimelines", testDueTimelines},
}

func (f *fixture) putTimeline(t *testing.T, coll, name string, tl storage.Timeline) *storage.ObjectMeta {
	t.Helper()
	m, _, err := f.s.Put(t.Context(), storage.PutObject{
		Owner: f.owner, Collection: coll, Name: name, UID: "uid-" + name,
		Component: "VEVENT", ContentType: "text/calendar", Timeline: tl, Data: ics("uid-"+name, name),
	})
	if err != nil {
		t.Fatalf("Put %s/%s: %v", coll, name, err)
	}
	return m
}

func sameTimeline(a, b storage.Timeline) bool {
	return a.Known == b.Known && a.Tag == b.Tag && a.Renew == b.Renew && a.From.Equal(b.From) && a.Until.Equal(b.Until) &&
		slices.EqualFunc(a.Periods, b.Periods, func(x, y storage.Period) bool { return x.Start.Equal(y.Start) && x.End.Equal(y.End) })
}

func (f *fixture) wantTimeline(t *testing.T, coll, name string, want storage.Timeline) {
	t.Helper()
	got, err := f.s.Timeline(t.Context(), f.owner, coll, name)
	ok(t, err)
	if !sameTimeline(got, want) {
		t.Fatalf("timeline of %s/%s: %+v, want %+v", coll, name, got, want)
	}
}

// offer is one call of TimeQuery.Want.
type offer struct {
	p          storage.Period
	tag        uint8
	incomplete bool
}

// between runs Between over [from, to) and returns what it offered of
// each member and which members it reported how often. It runs it six
// times: with a Want that takes nothing, to see every offer (and
// requires that nothing is reported); then taking each member at its
// first offer with TakeRead, with TakeMatch, and, asking for ETags alone
// of matches (TimeQuery.ETags), with TakeMatch, TakeRead, and one or the
// other by name, and requires each time that every member offered is
// reported once, with that answer and the ETag Stat gives it (a member
// reported to fn with the metadata Stat gives), and offered no more than
// once; and that ETags sees only plain members (storage.PlainMember).
func (f *fixture) between(t *testing.T, coll string, from, to time.Time) (map[string][]offer, map[string]int) {
	t.Helper()
	offered := map[string][]offer{}
	q := storage.TimeQuery{From: from, To: to, Want: func(name []byte, p storage.Period, tag uint8, incomplete bool) storage.Take {
		offered[string(name)] = append(offered[string(name)], offer{p, tag, incomplete})
		return storage.TakeNo
	}}
	ok(t, f.s.Between(t.Context(), f.owner, coll, q, func(m *storage.ObjectMeta, _ storage.Take) error {
		t.Fatalf("Between reported %s, which Want did not take", m.Name)
		return nil
	}))
	var reported map[string]int
	const byName storage.Take = 100 // TakeRead for names of even length, else TakeMatch
	takeOf := func(take storage.Take, name string) storage.Take {
		if take != byName {
			return take
		}
		if len(name)%2 == 0 {
			return storage.TakeRead
		}
		return storage.TakeMatch
	}
	for _, c := range []struct {
		take     storage.Take
		etagOnly bool
	}{{storage.TakeRead, false}, {storage.TakeMatch, false}, {storage.TakeMatch, true}, {storage.TakeRead, true}, {byName, true}} {
		again := map[string]int{}
		q := storage.TimeQuery{From: from, To: to, Want: func(name []byte, _ storage.Period, _ uint8, _ bool) storage.Take {
			again[string(name)]++
			return takeOf(c.take, string(name))
		}}
		rep := map[string]int{}
		type got struct {
			name, etag string
			take       storage.Take
		}
		var gots []got
		if c.etagOnly {
			q.ETags = func(name, etag []byte) error {
				if !storage.PlainMember(name, etag) {
					t.Fatalf("Between handed %q with ETag %q to ETags: not plain (storage.PlainMember)", name, etag)
				}
				rep[string(name)]++
				gots = append(gots, got{string(name), string(etag), storage.TakeMatch})
				return nil
			}
		}
		var metas []*storage.ObjectMeta
		ok(t, f.s.Between(t.Context(), f.owner, coll, q, func(m *storage.ObjectMeta, take storage.Take) error {
			rep[m.Name]++
			gots = append(gots, got{m.Name, m.ETag, take})
			metas = append(metas, m)
			return nil
		}))
		for _, m := range metas {
			st, err := f.s.Stat(t.Context(), f.owner, coll, m.Name)
			ok(t, err)
			if m.UID != st.UID || m.Size != st.Size || m.ContentType != st.ContentType || m.Seq != st.Seq || m.Component != st.Component || !m.Modified.Equal(st.Modified) {
				t.Fatalf("Between (taking with %d, ETags only: %v) reported %s with %+v; Stat gives %+v", c.take, c.etagOnly, m.Name, *m, *st)
			}
		}
		for _, g := range gots {
			st, err := f.s.Stat(t.Context(), f.owner, coll, g.name)
			ok(t, err)
			if g.name == "" || g.etag != st.ETag || g.take != takeOf(c.take, g.name) {
				t.Fatalf("Between (taking with %d, ETags only: %v) reported %s, %d, with ETag %q; Stat gives %q", c.take, c.etagOnly, g.name, g.take, g.etag, st.ETag)
			}
		}
		for name, n := range rep {
			if n != 1 {
				t.Fatalf("Between reported %s %d times", name, n)
			}
		}
		for name, n := range again {
			if n != 1 || len(offered[name]) == 0 {
				t.Fatalf("taking at the first offer (%d, ETags only: %v): %s offered %d times, first offered %d times", c.take, c.etagOnly, name, n, len(offered[name]))
			}
		}
		if len(again) != len(offered) || len(rep) != len(offered) {
			t.Fatalf("taking at the first offer (%d, ETags only: %v): %d offered, %d reported; with no member taken %d offered", c.take, c.etagOnly, len(again), len(rep), len(offered))
		}
		reported = rep
	}
	return offered, reported
}

func testTimelineRoundTrip(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ns := func(d, h, m, sec, nsec int) time.Time { return time.Date(2026, 3, d, h, m, sec, nsec, time.UTC) }
	f.putTimeline(t, f.cal, "a.ics", storage.Timeline{Known: true, Tag: 7, Renew: true,
		From:  ns(1, 0, 0, 0, 500),
		Until: time.Date(2026, 4, 1, 2, 0, 0, 0, time.FixedZone("+02", 7200)),
		Periods: []storage.Period{
			{Start: ns(20, 9, 0, 0, 0), End: ns(20, 10, 0, 0, 0)},
			{Start: ns(10, 9, 0, 0, 900), End: ns(10, 9, 30, 0, 1)},
			{Start: ns(15, 9, 0, 0, 0), End: ns(15, 8, 0, 0, 0)}, // end before start: an instant
		}})
	f.wantTimeline(t, f.cal, "a.ics", storage.Timeline{Known: true, Tag: 7, Renew: true,
		From: ns(1, 0, 0, 1, 0), Until: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		Periods: []storage.Period{
			{Start: ns(10, 9, 0, 0, 0), End: ns(10, 9, 30, 1, 0)},
			{Start: ns(15, 9, 0, 0, 0), End: ns(15, 9, 0, 0, 0)},
			{Start: ns(20, 9, 0, 0, 0), End: ns(20, 10, 0, 0, 0)},
		}})
	// Without one: unknown. An unknown one keeps only Renew.
	f.put(t, f.cal, "plain.ics", "uid-plain.ics", ics("uid-plain.ics", "plain"))
	f.wantTimeline(t, f.cal, "plain.ics", storage.Timeline{})
	f.putTimeline(t, f.cal, "u.ics", storage.Timeline{Renew: true, Tag: 3, Periods: []storage.Period{{Start: ns(1, 0, 0, 0, 0)}}})
	f.wantTimeline(t, f.cal, "u.ics", storage.Timeline{Renew: true})
	// Far dates keep their seconds.
	far := storage.Timeline{Known: true, Periods: []storage.Period{
		{Start: time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(1601, 1, 1, 1, 0, 0, 0, time.UTC)},
		{Start: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), End: time.Date(9999, 12, 31, 1, 0, 0, 0, time.UTC)},
	}}
	f.putTimeline(t, f.cal, "far.ics", far)
	f.wantTimeline(t, f.cal, "far.ics", far)
	_, err := s.Timeline(t.Context(), f.owner, f.cal, "missing.ics")
	wantErr(t, err, storage.ErrNotFound)
}

// randomTimeline makes timelines of the shapes calendars have: single
// events, instants, all-day runs of days, weekly series, long stretches
// crossing many weeks, some bounded by From or Until, some unknown.
func randomTimeline(r *rand.Rand, base time.Time) storage.Timeline {
	at := func() time.Time { return base.Add(time.Duration(r.IntN(120*24*3600)) * time.Second) }
	tl := storage.Timeline{Known: r.IntN(12) != 0, Tag: uint8(r.IntN(4)), Renew: r.IntN(2) == 0}
	if !tl.Known {
		return tl
	}
	switch r.IntN(6) {
	case 0: // instant
		s := at()
		tl.Periods = []storage.Period{{Start: s, End: s}}
	case 1: // hours
		s := at()
		tl.Periods = []storage.Period{{Start: s, End: s.Add(time.Duration(1+r.IntN(600)) * time.Minute)}}
	case 2: // days, starting at midnight
		s := at().Truncate(24 * time.Hour)
		tl.Periods = []storage.Period{{Start: s, End: s.AddDate(0, 0, 1+r.IntN(3))}}
	case 3: // weekly
		s := at()
		for i := range 1 + r.IntN(12) {
			st := s.AddDate(0, 0, 7*i)
			tl.Periods = append(tl.Periods, storage.Period{Start: st, End: st.Add(time.Hour)})
		}
	case 4: // weeks long
		s := at()
		tl.Periods = []storage.Period{{Start: s, End: s.Add(time.Duration(r.IntN(60*24)) * time.Hour)}}
	case 5: // nothing at all in the data
	}
	if r.IntN(5) == 0 {
		tl.From = at().Truncate(time.Second)
	}
	if r.IntN(5) == 0 {
		tl.Until = at().Truncate(time.Second)
	}
	// Keep only what the bounds claim, as a writer would.
	var kept []storage.Period
	for _, p := range tl.Periods {
		if (tl.Until.IsZero() || p.Start.Before(tl.Until)) && (tl.From.IsZero() || p.Overlaps(tl.From, time.Time{})) {
			kept = append(kept, p)
		}
	}
	tl.Periods = kept
	return tl
}

// testBetweenAgreesWithPeriods checks Between against the timelines it
// was given, over random members and ranges: every offer is (part of) a
// stored period and overlaps the range; for any range inside the query's,
// a member's stored periods overlap it exactly when an offer does; the
// members offered as incomplete are exactly those whose timelines do not
// answer for the range, once each; every member Want takes is reported.
func testBetweenAgreesWithPeriods(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	r := rand.New(rand.NewPCG(19, 2026))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	stored := map[string]storage.Timeline{}
	for i := range 80 {
		name := fmt.Sprintf("m%02d.ics", i)
		if i%5 == 0 {
			name = fmt.Sprintf("m%02d & ü.ics", i) // not plain: never handed to TimeQuery.ETags
		}
		tl := randomTimeline(r, base)
		f.putTimeline(t, f.cal, name, tl)
		got, err := s.Timeline(t.Context(), f.owner, f.cal, name)
		ok(t, err)
		stored[name] = got
	}
	at := func() time.Time { return base.Add(time.Duration(r.IntN(130*24*3600)-5*24*3600) * time.Second) }
	for range 150 {
		from, to := at(), time.Time{}
		switch r.IntN(5) {
		case 0:
			from = time.Time{}
			to = at()
		case 1: // open end
		default:
			to = from.Add(time.Duration(1+r.IntN(40*24*3600)) * time.Second)
		}
		offers, reported := f.between(t, f.cal, from, to)
		for name, tl := range stored {
			incomplete := !tl.Known || !tl.From.IsZero() && (from.IsZero() || from.Before(tl.From)) ||
				!tl.Until.IsZero() && (to.IsZero() || to.After(tl.Until))
			n := 0
			var parts []storage.Period
			for _, o := range offers[name] {
				if o.incomplete {
					n++
					continue
				}
				if o.tag != tl.Tag {
					t.Fatalf("%s offered with tag %d, stored %d", name, o.tag, tl.Tag)
				}
				if !o.p.Overlaps(from, to) || !slices.ContainsFunc(tl.Periods, func(p storage.Period) bool { return within(o.p, p) }) {
					t.Fatalf("[%v, %v): %s offered %v, not within a stored period overlapping the range: %v", from, to, name, o.p, tl.Periods)
				}
				parts = append(parts, o.p)
			}
			if want := map[bool]int{true: 1, false: 0}[incomplete]; n != want {
				t.Fatalf("[%v, %v): %s offered as incomplete %d times, want %d (timeline %+v)", from, to, name, n, want, tl)
			}
			if len(offers[name]) > 0 && reported[name] != 1 {
				t.Fatalf("%s taken but reported %d times", name, reported[name])
			}
			for range 8 {
				a, b := from, to
				if r.IntN(4) != 0 {
					a = at()
				}
				if r.IntN(4) != 0 {
					b = a.Add(time.Duration(1+r.IntN(10*24*3600)) * time.Second)
				}
				if !a.IsZero() && !from.IsZero() && a.Before(from) || !to.IsZero() && (b.IsZero() || b.After(to)) || !a.IsZero() && !b.IsZero() && !b.After(a) {
					continue // not inside the query's range
				}
				overlaps := func(p storage.Period) bool { return p.Overlaps(a, b) }
				if want, got := slices.ContainsFunc(tl.Periods, overlaps), slices.ContainsFunc(parts, overlaps); want != got {
					t.Fatalf("query [%v, %v), sub-range [%v, %v): %s's periods %v overlap: %v; its offers %v: %v", from, to, a, b, name, tl.Periods, want, parts, got)
				}
			}
		}
		for name := range reported {
			if len(offers[name]) == 0 {
				t.Fatalf("%s reported without an offer", name)
			}
		}
	}
}

// within reports whether p lies inside q, an instant being inside itself.
func within(p, q storage.Period) bool {
	if q.End.Equal(q.Start) {
		return p.Start.Equal(q.Start) && p.End.Equal(q.End)
	}
	return !p.Start.Before(q.Start) && !p.End.After(q.End) && p.End.After(p.Start)
}

// testTimelineWrites: overwriting, deleting, copying, moving and renaming
// keep the index in step; an address book keeps none.
func testTimelineWrites(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	day := func(d int) time.Time { return time.Date(2026, 3, d, 9, 0, 0, 0, time.UTC) }
	one := func(d int) storage.Timeline {
		return storage.Timeline{Known: true, Tag: 1, Periods: []storage.Period{{Start: day(d), End: day(d).Add(time.Hour)}}}
	}
	found := func(coll string, d int) []string {
		_, rep := f.between(t, coll, day(d), day(d).Add(2*time.Hour))
		var names []string
		for n := range rep {
			names = append(names, n)
		}
		slices.Sort(names)
		return names
	}
	want := func(coll string, d int, names ...string) {
		t.Helper()
		if got := found(coll, d); !slices.Equal(got, names) {
			t.Fatalf("%s on day %d: %v, want %v", coll, d, got, names)
		}
	}
	f.putTimeline(t, f.cal, "a.ics", one(10))
	f.putTimeline(t, f.cal, "b.ics", one(11))
	want(f.cal, 10, "a.ics")
	f.putTimeline(t, f.cal, "a.ics", one(12)) // moved
	want(f.cal, 10)
	want(f.cal, 12, "a.ics")
	f.del(t, f.cal, "b.ics")
	want(f.cal, 11)

	newCollection(t, s, f.owner, "other", storage.KindCalendar)
	_, err := s.Transfer(ctx, storage.Transfer{FromOwner: f.owner, FromCollection: f.cal, FromName: "a.ics",
		ToOwner: f.owner, ToCollection: "other", ToName: "copy.ics", Copy: true})
	ok(t, err)
	want("other", 12, "copy.ics")
	want(f.cal, 12, "a.ics")
	_, err = s.Transfer(ctx, storage.Transfer{FromOwner: f.owner, FromCollection: f.cal, FromName: "a.ics",
		ToOwner: f.owner, ToCollection: f.cal, ToName: "renamed.ics"})
	ok(t, err)
	want(f.cal, 12, "renamed.ics")
	f.wantTimeline(t, f.cal, "renamed.ics", one(12))
	// Overwriting a destination replaces its timeline.
	newCollection(t, s, f.owner, "third", storage.KindCalendar)
	_, _, err = s.Put(ctx, storage.PutObject{Owner: f.owner, Collection: "third", Name: "x.ics", UID: "uid-a.ics",
		Component: "VEVENT", ContentType: "text/calendar", Timeline: one(20), Data: ics("uid-a.ics", "x")})
	ok(t, err)
	want("third", 20, "x.ics")
	_, err = s.Transfer(ctx, storage.Transfer{FromOwner: f.owner, FromCollection: f.cal, FromName: "renamed.ics",
		ToOwner: f.owner, ToCollection: "third", ToName: "x.ics", Overwrite: true})
	ok(t, err)
	want("third", 20)
	want("third", 12, "x.ics")
	want(f.cal, 12)
	_, err = s.MoveCollection(ctx, f.owner, "other", "renamed", false)
	ok(t, err)
	if got := found("renamed", 12); len(got) == 0 || got[0] != "copy.ics" {
		t.Fatalf("renamed collection on day 12: %v", got)
	}

	// A batch (an import) indexes what it writes, and replaces what an
	// overwritten member had.
	_, err = s.PutBatch(ctx, []storage.PutObject{
		{Owner: f.owner, Collection: f.cal, Name: "batch1.ics", UID: "uid-batch1", Component: "VEVENT",
			ContentType: "text/calendar", Timeline: one(25), Data: ics("uid-batch1", "b1")},
		{Owner: f.owner, Collection: "third", Name: "x.ics", UID: "uid-a.ics", Component: "VEVENT",
			ContentType: "text/calendar", Timeline: one(26), Data: ics("uid-a.ics", "b2")},
	})
	ok(t, err)
	want(f.cal, 25, "batch1.ics")
	want("third", 26, "x.ics")
	want("third", 12)

	// An address book has no timelines: every member is incomplete.
	newCollection(t, s, f.owner, "book", storage.KindAddressBook)
	_, _, err = s.Put(ctx, storage.PutObject{Owner: f.owner, Collection: "book", Name: "c.vcf", UID: "c",
		Component: "VCARD", ContentType: "text/vcard", Timeline: one(10), Data: []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:c\r\nUID:c\r\nEND:VCARD\r\n")})
	ok(t, err)
	offers, rep := f.between(t, "book", day(1), day(2))
	if len(offers["c.vcf"]) != 1 || !offers["c.vcf"][0].incomplete || rep["c.vcf"] != 1 {
		t.Fatalf("address book member offered %+v, reported %d", offers["c.vcf"], rep["c.vcf"])
	}
	f.wantTimelineIn(t, "book", "c.vcf", storage.Timeline{})
}

func (f *fixture) wantTimelineIn(t *testing.T, coll, name string, want storage.Timeline) {
	t.Helper()
	f.wantTimeline(t, coll, name, want)
}

// testTimelineBounded: a timeline of more periods than MaxTimelinePeriods
// is cut like a walk stopped there, and so may one covering years.
func testTimelineBounded(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	var ps []storage.Period
	for i := range storage.MaxTimelinePeriods + 500 {
		st := start.Add(time.Duration(i) * 6 * time.Hour)
		ps = append(ps, storage.Period{Start: st, End: st.Add(time.Hour)})
	}
	f.putTimeline(t, f.cal, "dense.ics", storage.Timeline{Known: true, Renew: true, Periods: ps})
	got, err := s.Timeline(t.Context(), f.owner, f.cal, "dense.ics")
	ok(t, err)
	n := len(got.Periods)
	if n == 0 || n > storage.MaxTimelinePeriods || !got.Until.Equal(ps[n].Start) || got.Renew ||
		!slices.EqualFunc(got.Periods, ps[:n], func(a, b storage.Period) bool { return a.Start.Equal(b.Start) && a.End.Equal(b.End) }) {
		t.Fatalf("dense timeline kept %d periods, until %v, renew %v; want a prefix up to %d, until the next start", n, got.Until, got.Renew, storage.MaxTimelinePeriods)
	}
	// Past the cut the member is incomplete, before it answered.
	offers, _ := f.between(t, f.cal, got.Until, got.Until.Add(time.Hour))
	if len(offers["dense.ics"]) != 1 || !offers["dense.ics"][0].incomplete {
		t.Fatalf("past the cut: %+v", offers["dense.ics"])
	}
	offers, _ = f.between(t, f.cal, start, start.Add(30*time.Minute))
	if len(offers["dense.ics"]) != 1 || offers["dense.ics"][0].incomplete {
		t.Fatalf("before the cut: %+v", offers["dense.ics"])
	}

	// Forty years in one period: a store may keep it or cut it, but a
	// query in it must find the member either way.
	long := storage.Period{Start: start, End: start.AddDate(40, 0, 0)}
	f.putTimeline(t, f.cal, "long.ics", storage.Timeline{Known: true, Periods: []storage.Period{long}})
	offers, _ = f.between(t, f.cal, start.AddDate(20, 0, 0), start.AddDate(20, 0, 1))
	if len(offers["long.ics"]) == 0 {
		t.Fatal("a period of forty years is not found in its middle")
	}
}

// testSetTimelines: replaced for unchanged members only, without touching
// the object or the collection's counter.
func testSetTimelines(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	day := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	tl := storage.Timeline{Known: true, Tag: 2, Periods: []storage.Period{{Start: day, End: day.Add(time.Hour)}}}
	a := f.putTimeline(t, f.cal, "a.ics", storage.Timeline{Renew: true})
	f.putTimeline(t, f.cal, "b.ics", storage.Timeline{Renew: true})
	before, err := s.Collection(ctx, f.owner, f.cal)
	ok(t, err)
	n, err := s.SetTimelines(ctx, f.owner, f.cal, []storage.TimelineSet{
		{Name: "a.ics", ETag: a.ETag, Timeline: tl},
		{Name: "b.ics", ETag: `"stale"`, Timeline: tl},
		{Name: "gone.ics", ETag: a.ETag, Timeline: tl},
	})
	ok(t, err)
	if n != 1 {
		t.Fatalf("SetTimelines replaced %d, want 1", n)
	}
	f.wantTimeline(t, f.cal, "a.ics", tl)
	f.wantTimeline(t, f.cal, "b.ics", storage.Timeline{Renew: true})
	after, err := s.Collection(ctx, f.owner, f.cal)
	ok(t, err)
	if after.Seq != before.Seq || !after.Modified.Equal(before.Modified) {
		t.Fatalf("SetTimelines moved the collection: seq %d -> %d, modified %v -> %v", before.Seq, after.Seq, before.Modified, after.Modified)
	}
	m, err := s.Stat(ctx, f.owner, f.cal, "a.ics")
	ok(t, err)
	if m.Seq != a.Seq || m.ETag != a.ETag || !m.Modified.Equal(a.Modified) {
		t.Fatalf("SetTimelines changed the object: %+v -> %+v", a, m)
	}
	_, rep := f.between(t, f.cal, day, day.Add(time.Minute))
	if rep["a.ics"] != 1 {
		t.Fatalf("the new timeline is not found: %v", rep)
	}
	_, err = s.SetTimelines(ctx, f.owner, "missing", nil)
	wantErr(t, err, storage.ErrNotFound)
}

// testDueTimelines: unknown timelines that ask for it, and renewable ones
// ending before the time asked about, in every calendar.
func testDueTimelines(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	ctx := t.Context()
	newCollection(t, s, f.owner, "work", storage.KindCalendar)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	p := []storage.Period{{Start: now, End: now.Add(time.Hour)}}
	cases := map[string]struct {
		tl  storage.Timeline
		due bool
	}{
		"unknown-renew.ics":   {storage.Timeline{Renew: true}, true},
		"unknown.ics":         {storage.Timeline{}, false},
		"horizon-passed.ics":  {storage.Timeline{Known: true, Renew: true, Periods: p, Until: now.AddDate(0, 6, 0)}, true},
		"horizon-ahead.ics":   {storage.Timeline{Known: true, Renew: true, Periods: p, Until: now.AddDate(2, 0, 0)}, false},
		"complete-renew.ics":  {storage.Timeline{Known: true, Renew: true, Periods: p}, false},
		"capped.ics":          {storage.Timeline{Known: true, Periods: p, Until: now.AddDate(0, 1, 0)}, false},
		"from-only-renew.ics": {storage.Timeline{Known: true, Renew: true, Periods: p, From: now}, false},
	}
	want := map[string]string{}
	for _, coll := range []string{f.cal, "work"} {
		for name, c := range cases {
			m := f.putTimeline(t, coll, name, c.tl)
			if c.due {
				want[coll+"/"+name] = m.ETag
			}
		}
	}
	got := map[string]string{}
	ok(t, s.DueTimelines(ctx, now.AddDate(1, 0, 0), func(d storage.TimelineDue) error {
		if d.Owner != f.owner {
			t.Errorf("due member of %q", d.Owner)
		}
		k := d.Collection + "/" + d.Name
		if _, dup := got[k]; dup {
			t.Errorf("%s due twice", k)
		}
		got[k] = d.ETag
		return nil
	}))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("due %v, want %v", got, want)
	}
}
