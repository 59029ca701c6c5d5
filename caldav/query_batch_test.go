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
