package caldav_test

import (
	"context"
	"testing"
	"time"

	"almanac/caldav"
	"almanac/storage"
)

// TestRenewTimelines: objects stored without a timeline (as after a
// schema upgrade) are read by every month query until the renewal
// indexes them; then the same query reads none, with the same answer.
// A series without end, indexed up to two years after the write, is
// renewed once the clock comes within a year of that horizon, and
// the query past the old horizon is answered from the index again.
func TestRenewTimelines(t *testing.T) {
	clock := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	e := newEnv(t, caldav.Options{Now: func() time.Time { return clock }})
	ctx := context.Background()
	objs := map[string]string{
		"single": vcal("single", "DTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\n"),
		"open":   vcal("open", "DTSTART:20260302T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY\r\n"),
		"april":  vcal("april", "DTSTART:20260410T100000Z\r\nDTEND:20260410T110000Z\r\n"),
	}
	for name, data := range objs {
		p, err := caldav.PutObjectOf(e.alice.ID, "default", name+".ics", []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		p.Timeline = storage.Timeline{Renew: true} // unknown, as an upgrade leaves it
		if _, _, err := e.store.Put(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	parsed := countParses(t, e.kind)
	const want = "open single"
	if got := queryNames(t, e, "default", monthQuery("")); got != want {
		t.Fatalf("before renewal: %q, want %q", got, want)
	}
	if n := len(parsed.take()); n != 2 {
		t.Fatalf("before renewal the query parsed %d objects, want the 2 whose span meets March", n)
	}
	st, err := e.kind.RenewTimelines(ctx)
	if err != nil || st.Renewed != 3 {
		t.Fatalf("renewal: %+v, %v; want 3 renewed", st, err)
	}
	if got := queryNames(t, e, "default", monthQuery("")); got != want {
		t.Fatalf("after renewal: %q, want %q", got, want)
	}
	if seen := parsed.take(); len(seen) != 0 {
		t.Fatalf("after renewal the query parsed %v, want nothing", seen)
	}
	if st, err := e.kind.RenewTimelines(ctx); err != nil || st.Renewed != 0 {
		t.Fatalf("second renewal: %+v, %v; want nothing due", st, err)
	}

	// March 2028 lies past the open series' horizon (February 2028).
	late := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>` +
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` +
		`<C:time-range start="20280301T000000Z" end="20280401T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
	if got := queryNames(t, e, "default", late); got != "open" {
		t.Fatalf("March 2028: %q, want open", got)
	}
	if seen := parsed.take(); len(seen) != 1 || seen["open.ics"] != 1 {
		t.Fatalf("past the horizon the query parsed %v, want open.ics read", seen)
	}
	clock = clock.AddDate(1, 2, 0) // within a year of the horizon
	if st, err := e.kind.RenewTimelines(ctx); err != nil || st.Renewed != 1 {
		t.Fatalf("renewal a year on: %+v, %v; want the open series renewed", st, err)
	}
	if got := queryNames(t, e, "default", late); got != "open" {
		t.Fatalf("March 2028 after renewal: %q, want open", got)
	}
	if seen := parsed.take(); len(seen) != 0 {
		t.Fatalf("after the horizon moved the query parsed %v, want nothing", seen)
	}
}
