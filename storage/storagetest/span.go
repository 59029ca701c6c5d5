package storagetest

import (
	"testing"
	"time"

	"almanac/storage"
)

var spanTests = []test{
	{"RoundTrip", testSpanRoundTrip},
	{"WithoutSpan", testSpanUnknown},
	{"OverwriteReplaces", testSpanOverwrite},
	{"TransferKeeps", testSpanTransfer},
}

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

// spanCases are the shapes the calendar engine writes: a bounded span,
// an open series, an instant, dates far from the Unix epoch, and times
// given in a zone other than UTC (stored as the same instants).
var spanCases = []struct {
	name string
	span storage.Span
}{
	{"bounded", storage.Span{Known: true, Start: utc(2026, 3, 10, 9, 0), End: utc(2026, 3, 10, 10, 0)}},
	{"open", storage.Span{Known: true, Start: utc(2025, 7, 1, 8, 30), Open: true}},
	{"instant", storage.Span{Known: true, Start: utc(2026, 1, 1, 0, 0), End: utc(2026, 1, 1, 0, 0)}},
	{"far", storage.Span{Known: true, Start: utc(1601, 1, 1, 0, 0), End: utc(9999, 12, 31, 23, 59)}},
	{"zoned", storage.Span{Known: true,
		Start: time.Date(2026, 3, 29, 1, 30, 0, 0, time.FixedZone("+0130", 90*60)),
		End:   time.Date(2026, 3, 29, 3, 0, 0, 0, time.FixedZone("-0500", -5*3600))}},
}

func (f *fixture) putSpan(t *testing.T, coll, name, uid string, span storage.Span) *storage.ObjectMeta {
	t.Helper()
	m, _, err := f.s.Put(t.Context(), storage.PutObject{
		Owner: f.owner, Collection: coll, Name: name, UID: uid,
		Component: "VEVENT", ContentType: "text/calendar", Span: span, Data: ics(uid, name),
	})
	if err != nil {
		t.Fatalf("Put %s/%s: %v", coll, name, err)
	}
	return m
}

// wantSpan checks the span Stat, Get, List and Walk report for name.
func (f *fixture) wantSpan(t *testing.T, coll, name string, want storage.Span) {
	t.Helper()
	ctx := t.Context()
	st, err := f.s.Stat(ctx, f.owner, coll, name)
	ok(t, err)
	if !sameSpan(st.Span, want) {
		t.Fatalf("Stat %s/%s: span %+v, want %+v", coll, name, st.Span, want)
	}
	o, err := f.s.Get(ctx, f.owner, coll, name)
	ok(t, err)
	if !sameSpan(o.Span, want) {
		t.Fatalf("Get %s/%s: span %+v, want %+v", coll, name, o.Span, want)
	}
	found := 0
	ok(t, f.s.List(ctx, f.owner, coll, func(m *storage.ObjectMeta) error {
		if m.Name == name {
			found++
			if !sameSpan(m.Span, want) {
				t.Fatalf("List %s/%s: span %+v, want %+v", coll, name, m.Span, want)
			}
		}
		return nil
	}))
	ok(t, f.s.Walk(ctx, f.owner, coll, func(o *storage.Object) error {
		if o.Name == name {
			found++
			if !sameSpan(o.Span, want) {
				t.Fatalf("Walk %s/%s: span %+v, want %+v", coll, name, o.Span, want)
			}
		}
		return nil
	}))
	if found != 2 {
		t.Fatalf("%s/%s reported %d times by List and Walk, want 2", coll, name, found)
	}
}

func testSpanRoundTrip(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	for _, tc := range spanCases {
		m := f.putSpan(t, f.cal, tc.name+".ics", "uid-"+tc.name, tc.span)
		if !sameSpan(m.Span, tc.span) {
			t.Fatalf("%s: Put returned span %+v, want %+v", tc.name, m.Span, tc.span)
		}
	}
	// Checked after all writes, so List sees several spans side by side.
	for _, tc := range spanCases {
		f.wantSpan(t, f.cal, tc.name+".ics", tc.span)
	}
}

func testSpanUnknown(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	m := f.put(t, f.cal, "plain.ics", "uid-plain", ics("uid-plain", "no span"))
	if m.Span != (storage.Span{}) {
		t.Fatalf("Put without span returned %+v", m.Span)
	}
	f.wantSpan(t, f.cal, "plain.ics", storage.Span{})
	// Times given with Known false are not stored: the span is unknown.
	f.putSpan(t, f.cal, "stray.ics", "uid-stray", storage.Span{Start: utc(2026, 1, 1, 0, 0), End: utc(2026, 2, 1, 0, 0)})
	st, err := s.Stat(t.Context(), f.owner, f.cal, "stray.ics")
	ok(t, err)
	if st.Span.Known {
		t.Fatalf("span written with Known false reads back %+v", st.Span)
	}
}

func testSpanOverwrite(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	a, b := spanCases[0].span, spanCases[1].span
	f.putSpan(t, f.cal, "x.ics", "uid-x", a)
	f.putSpan(t, f.cal, "x.ics", "uid-x", b)
	f.wantSpan(t, f.cal, "x.ics", b)
	f.putSpan(t, f.cal, "x.ics", "uid-x", storage.Span{})
	f.wantSpan(t, f.cal, "x.ics", storage.Span{})
}

func testSpanTransfer(t *testing.T, s storage.Store) {
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "dst", storage.KindCalendar)
	newCollection(t, s, f.owner, "copies", storage.KindCalendar)
	open, bounded := spanCases[1].span, spanCases[0].span
	f.putSpan(t, f.cal, "open.ics", "uid-open", open)
	f.putSpan(t, f.cal, "bounded.ics", "uid-bounded", bounded)
	for _, tr := range []storage.Transfer{
		{FromCollection: f.cal, FromName: "open.ics", ToCollection: "copies", ToName: "open.ics", Copy: true},
		{FromCollection: f.cal, FromName: "open.ics", ToCollection: "dst", ToName: "open.ics"},
		{FromCollection: f.cal, FromName: "bounded.ics", ToCollection: f.cal, ToName: "renamed.ics"},
	} {
		tr.FromOwner, tr.ToOwner = f.owner, f.owner
		_, err := s.Transfer(t.Context(), tr)
		ok(t, err)
	}
	f.wantSpan(t, "copies", "open.ics", open)
	f.wantSpan(t, "dst", "open.ics", open)
	f.wantSpan(t, f.cal, "renamed.ics", bounded)
}
