package caldav_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/caldav"
	"almanac/caldav/filter"
	"almanac/internal/davtest"
	aical "almanac/internal/ical"
	"almanac/storage"
)

// parseCounter records the objects calendar-query parses for one handler.
type parseCounter struct {
	mu    sync.Mutex
	names map[string]int
}

func countParses(t testing.TB, h *caldav.Calendars) *parseCounter {
	c := &parseCounter{names: map[string]int{}}
	restore := caldav.SetQueryParseHook(func(hh *caldav.Calendars, name string) {
		if hh != h {
			return
		}
		c.mu.Lock()
		c.names[name]++
		c.mu.Unlock()
	})
	t.Cleanup(restore)
	return c
}

// take returns the names parsed since the last call and forgets them.
func (c *parseCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.names
	c.names = map[string]int{}
	return n
}

func monthQuery(extraComps string) string {
	return `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>` +
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` +
		`<C:time-range start="20260301T000000Z" end="20260401T000000Z"/></C:comp-filter>` + extraComps +
		`</C:comp-filter></C:filter></C:calendar-query>`
}

// TestCalendarQueryPrefilter: a one-month query on 10,000 events parses
// exactly the objects whose stored span overlaps the month, far fewer than
// all, and answers what a full scan answers.
func TestCalendarQueryPrefilter(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 10,000 objects")
	}
	const n = 10000
	e := newEnv(t, caldav.Options{})
	fillCorpus(t, e, "default", n)
	parsed := countParses(t, e.kind)
	monthStart := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	monthEnd := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

	// Asking for ETags only, the time index answers: nothing is parsed.
	got := queryNames(t, e, "default", monthQuery(""))
	if seen := parsed.take(); len(seen) != 0 {
		t.Fatalf("a metadata-only month query parsed %d objects, want none", len(seen))
	}
	// Asking for calendar-data, only objects whose stored periods and
	// span reach into the month are read, each once, and the answer is
	// the same. The query's window is closed at its end (see queryWindow).
	withData := queryNames(t, e, "default", strings.Replace(monthQuery(""), "<D:getetag/>", "<D:getetag/><C:calendar-data/>", 1))
	seen := parsed.take()
	cands := spanCandidates(t, e, "default", monthStart, monthEnd.Add(time.Nanosecond))
	for name, k := range seen {
		if k != 1 || !cands[name] {
			t.Fatalf("%s parsed %d times, span candidate %v", name, k, cands[name])
		}
	}
	if len(seen) == 0 || len(seen) > n/10 {
		t.Fatalf("%d objects parsed of %d for one month of 18; the prefilter is not doing its job", len(seen), n)
	}
	if withData != got {
		t.Fatalf("the answer with calendar-data differs from the metadata-only one")
	}
	t.Logf("one month of %d objects: %d span candidates, %d parsed with calendar-data, %d match", n, len(cands), len(seen), len(strings.Fields(got)))

	// The same query with a second comp-filter that carries no time-range
	// (all objects have a VEVENT, so the answer cannot change) reads every
	// object: the full scan.
	full := queryNames(t, e, "default", monthQuery(`<C:comp-filter name="VEVENT"/>`))
	if seen := parsed.take(); len(seen) != n {
		t.Fatalf("full scan parsed %d objects, want %d", len(seen), n)
	}
	if got != full {
		t.Fatalf("prefiltered answer differs from the full scan:\nprefiltered %d: %s\nfull %d: %s",
			len(strings.Fields(got)), got, len(strings.Fields(full)), full)
	}

	// And the matcher run directly over every stored object agrees.
	f := &filter.Filter{Comp: filter.CompFilter{Name: "VCALENDAR", Comps: []filter.CompFilter{
		{Name: "VEVENT", TimeRange: &filter.TimeRange{Start: monthStart, End: monthEnd}},
	}}}
	var direct []string
	err := e.store.Walk(context.Background(), e.alice.ID, "default", func(o *storage.Object) error {
		cal, err := aical.Parse(o.Data)
		if err != nil {
			return err
		}
		ok, err := f.Match(cal)
		if ok {
			direct = append(direct, strings.TrimSuffix(o.Name, ".ics"))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(direct)
	if d := strings.Join(direct, " "); d != got {
		t.Fatalf("direct match over all objects finds %d, the query %d", len(direct), len(strings.Fields(got)))
	}
	// The open-ended series run through March 2026.
	for i := 500; i < n; i += 1000 {
		if name := strings.TrimSuffix(corpusName(i), ".ics"); !slices.Contains(strings.Fields(got), name) {
			t.Errorf("open weekly series %s not found", name)
		}
	}
}

// TestPutStoresSpan: PUT stores the span internal/ical computes, in UTC;
// MOVE and COPY keep it, and a query finds the object at its new name.
func TestPutStoresSpan(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	ctx := context.Background()
	utc := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, time.UTC) }
	objects := []struct {
		name, data string
		want       storage.Span
	}{
		{"fixed", vcal("fixed", "DTSTART:20260310T090000Z\r\nDTEND:20260310T091500Z\r\n"),
			storage.Span{Known: true, Start: utc(10, 9, 0), End: utc(10, 9, 15)}},
		{"zurich", vcal("zurich", "DTSTART;TZID=Europe/Zurich:20260310T100000\r\nDTEND;TZID=Europe/Zurich:20260310T110000\r\n"),
			storage.Span{Known: true, Start: utc(10, 9, 0), End: utc(10, 10, 0)}},
		{"open", vcal("open", "DTSTART:20260302T080000Z\r\nDTEND:20260302T083000Z\r\nRRULE:FREQ=WEEKLY\r\n"),
			storage.Span{Known: true, Start: utc(2, 8, 0), Open: true}},
	}
	for _, o := range objects {
		wantStatus(t, e.do(put(e.obj("default", o.name+".ics"), o.data)), 201)
		m, err := e.store.Stat(ctx, e.alice.ID, "default", o.name+".ics")
		if err != nil {
			t.Fatal(err)
		}
		if m.Span != o.want {
			t.Errorf("%s: stored span %+v, want %+v", o.name, m.Span, o.want)
		}
	}
	// All day: the span covers the day in every zone a query may pick.
	wantStatus(t, e.do(put(e.obj("default", "allday.ics"), vcal("allday", "DTSTART;VALUE=DATE:20260310\r\n"))), 201)
	m, err := e.store.Stat(ctx, e.alice.ID, "default", "allday.ics")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Span.Known || m.Span.Start.After(utc(9, 10, 0)) || m.Span.End.Before(utc(11, 12, 0)) {
		t.Errorf("all-day span %+v does not cover 10 March from UTC+14 to UTC-12", m.Span)
	}

	wantStatus(t, e.do(req{method: "MKCALENDAR", path: e.cal("other")}), 201)
	wantStatus(t, e.do(req{method: "MOVE", path: e.obj("default", "open.ics"), hdr: map[string]string{"Destination": e.obj("other", "moved.ics")}}), 201)
	wantStatus(t, e.do(req{method: "COPY", path: e.obj("default", "zurich.ics"), hdr: map[string]string{"Destination": e.obj("other", "copied.ics")}}), 201)
	for name, want := range map[string]storage.Span{"moved.ics": objects[2].want, "copied.ics": objects[1].want} {
		m, err := e.store.Stat(ctx, e.alice.ID, "other", name)
		if err != nil {
			t.Fatal(err)
		}
		if m.Span != want {
			t.Errorf("%s: span after transfer %+v, want %+v", name, m.Span, want)
		}
	}
	if got := queryNames(t, e, "other", zoneQuery("20260309T000000Z", "20260311T000000Z", "")); got != "copied moved" {
		t.Errorf("query after MOVE and COPY found %q", got)
	}
}

// TestQueryUsesStoredSpan: the prefilter trusts the stored span and
// nothing else, and an object without one is always read.
func TestQueryUsesStoredSpan(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	ctx := context.Background()
	data := []byte(vcal("x", "DTSTART:20260310T090000Z\r\nDTEND:20260310T100000Z\r\n"))
	far := storage.Span{Known: true, Start: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)}
	for name, span := range map[string]storage.Span{"nospan.ics": {}, "wrongspan.ics": far} {
		_, _, err := e.store.Put(ctx, storage.PutObject{Owner: e.alice.ID, Collection: "default", Name: name,
			UID: name, Component: "VEVENT", ContentType: "text/calendar", Span: span, Data: data})
		if err != nil {
			t.Fatal(err)
		}
	}
	parsed := countParses(t, e.kind)
	// Prefiltered: the object whose span lies in 2030 is not read.
	if got := queryNames(t, e, "default", monthQuery("")); got != "nospan" {
		t.Errorf("prefiltered query found %q, want nospan", got)
	}
	if seen := parsed.take(); len(seen) != 1 || seen["nospan.ics"] != 1 {
		t.Errorf("prefiltered query parsed %v", seen)
	}
	// Without a window both are read and match.
	if got := queryNames(t, e, "default", monthQuery(`<C:comp-filter name="VEVENT"/>`)); got != "nospan wrongspan" {
		t.Errorf("full scan found %q", got)
	}
	// A query on one object ignores spans.
	rec := e.do(req{method: "REPORT", path: e.obj("default", "wrongspan.ics"), body: monthQuery(""), hdr: map[string]string{"Depth": "0"}})
	if m := davtest.ParseMS(t, rec); len(m.Responses) != 1 {
		t.Errorf("query on the object itself: %d responses", len(m.Responses))
	}
}
