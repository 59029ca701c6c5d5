package caldav_test

import (
	"net/http"
	"testing"

	"almanac/caldav"
)

// TestTimeIndexFollowsWrites: through PUT, MOVE, COPY, an edit and
// DELETE over HTTP, a metadata-only month query answers from the index
// (parses nothing) and always finds exactly the objects in the month
// under their current names.
func TestTimeIndexFollowsWrites(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	parsed := countParses(t, e.kind)
	put := func(name, body string, want int) {
		t.Helper()
		if rec := e.do(req{method: "PUT", path: e.obj("default", name), body: body}); rec.Code != want {
			t.Fatalf("PUT %s: %d %s", name, rec.Code, rec.Body)
		}
	}
	check := func(step, want string) {
		t.Helper()
		if got := queryNames(t, e, "default", monthQuery("")); got != want {
			t.Fatalf("%s: query finds %q, want %q", step, got, want)
		}
		if seen := parsed.take(); len(seen) != 0 {
			t.Fatalf("%s: the query parsed %v, want nothing", step, seen)
		}
	}
	march := vcal("a", "DTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\n")
	put("a.ics", march, http.StatusCreated)
	put("b.ics", vcal("b", "DTSTART;TZID=Europe/Zurich:20260201T100000\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n"), http.StatusCreated)
	check("after PUT", "a")
	if rec := e.do(req{method: "MOVE", path: e.obj("default", "a.ics"), hdr: map[string]string{"Destination": e.obj("default", "moved.ics")}}); rec.Code != http.StatusCreated {
		t.Fatalf("MOVE: %d %s", rec.Code, rec.Body)
	}
	check("after MOVE", "moved")
	// The weekly series reaches into March once it has five instances.
	put("b.ics", vcal("b", "DTSTART;TZID=Europe/Zurich:20260201T100000\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\n"), http.StatusNoContent)
	check("after the edit", "b moved")
	if rec := e.do(req{method: "MKCALENDAR", path: e.cal("other")}); rec.Code != http.StatusCreated {
		t.Fatalf("MKCALENDAR: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(req{method: "COPY", path: e.obj("default", "b.ics"), hdr: map[string]string{"Destination": e.obj("other", "c.ics")}}); rec.Code != http.StatusCreated {
		t.Fatalf("COPY: %d %s", rec.Code, rec.Body)
	}
	if got := queryNames(t, e, "other", monthQuery("")); got != "c" {
		t.Fatalf("after COPY: the other calendar finds %q, want c", got)
	}
	if seen := parsed.take(); len(seen) != 0 {
		t.Fatalf("after COPY: the query parsed %v, want nothing", seen)
	}
	check("after COPY", "b moved")
	if rec := e.do(req{method: "DELETE", path: e.obj("default", "moved.ics")}); rec.Code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", rec.Code)
	}
	check("after DELETE", "b")
}
