package caldav_test

import (
	"fmt"
	"strings"
	"testing"

	"almanac/caldav"
	"almanac/internal/davtest"
	"almanac/internal/davtree"
)

// A time-range query with calendar-data reads the candidates it parses
// a batch at a time: every match is answered once with its data, and
// none outside the range, when they span several batches and some were
// deleted or fall outside the range.
func TestQueryWithDataReadsInBatches(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	n := 2*davtree.ReadBatch + 7
	for i := range n {
		day := 10 // in the range
		if i%5 == 0 {
			day = 20 // outside it
		}
		ev := strings.Replace(event(fmt.Sprintf("uid-%d", i), fmt.Sprintf("event %d", i)), "20260310T", fmt.Sprintf("202603%02dT", day), 2)
		if rec := e.do(put(e.obj("default", fmt.Sprintf("e%03d.ics", i)), ev)); rec.Code != 201 {
			t.Fatalf("PUT %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	body := `<C:calendar-query ` + nsDecl + `><D:prop><D:getetag/><C:calendar-data/></D:prop>` +
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` +
		`<C:time-range start="20260309T000000Z" end="20260312T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
	m := davtest.ParseMS(t, e.report(e.cal("default"), body, "1"))
	seen := map[string]bool{}
	for _, r := range m.Responses {
		if seen[r.Href] {
			t.Errorf("%s answered twice", r.Href)
		}
		seen[r.Href] = true
	}
	for i := range n {
		h := e.obj("default", fmt.Sprintf("e%03d.ics", i))
		data, _, ok := m.Prop(h, "calendar-data")
		if want := i%5 != 0; ok != want || seen[h] != want {
			t.Errorf("%s: answered %v with data %v, want %v", h, seen[h], ok, want)
			continue
		}
		if ok && !strings.Contains(data, fmt.Sprintf("SUMMARY:event %d\r\n", i)) {
			t.Errorf("%s: data %q", h, data)
		}
	}
	if want := n - (n+4)/5; len(m.Responses) != want {
		t.Errorf("%d answers, want %d", len(m.Responses), want)
	}
}

// A free-busy-query reads its candidates a batch at a time too: every
// event of a range longer than a batch is in the answer.
func TestFreeBusyReadsInBatches(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	n := 2*davtree.ReadBatch + 3
	for i := range n {
		// Each on its own hour, none touching another.
		start := fmt.Sprintf("202603%02dT%02d0000Z", 1+i/12, 2*(i%12))
		end := fmt.Sprintf("202603%02dT%02d3000Z", 1+i/12, 2*(i%12))
		ev := strings.Replace(strings.Replace(event(fmt.Sprintf("uid-%d", i), "busy"), "DTSTART:20260310T100000Z", "DTSTART:"+start, 1),
			"DTEND:20260310T110000Z", "DTEND:"+end, 1)
		if rec := e.do(put(e.obj("default", fmt.Sprintf("e%03d.ics", i)), ev)); rec.Code != 201 {
			t.Fatalf("PUT %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	rec := e.report(e.cal("default"), `<C:free-busy-query `+nsDecl+`><C:time-range start="20260301T000000Z" end="20260401T000000Z"/></C:free-busy-query>`, "1")
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	periods := 0
	for _, line := range strings.Split(strings.ReplaceAll(rec.Body.String(), "\r\n ", ""), "\r\n") {
		if v, ok := strings.CutPrefix(line, "FREEBUSY"); ok {
			_, v, _ = strings.Cut(v, ":")
			periods += len(strings.Split(v, ","))
		}
	}
	if periods != n {
		t.Errorf("%d busy periods, want %d:\n%s", periods, n, rec.Body)
	}
}
