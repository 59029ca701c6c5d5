package sharing_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// When every name Mount tries is taken in the sharee's home, sharing over
// CalendarServer's CS:share is refused with 409 Conflict, and the JSON API
// with its 409 name_taken: the same domain refusal in each protocol, never
// an API error leaking into the DAV path as a 500.
func TestMountWithoutFreeNameIsAConflict(t *testing.T) {
	w := newWorld(t)
	names := []string{"private", w.alice.ID + "-private"}
	for i := 2; i <= 9; i++ {
		names = append(names, w.alice.ID+"-private-"+strconv.Itoa(i))
	}
	for _, n := range names {
		if rec := w.do(w.bob, "MKCALENDAR", "/dav/calendars/"+w.bob.ID+"/"+n+"/", ""); rec.Code != http.StatusCreated {
			t.Fatalf("MKCALENDAR %s: %d %s", n, rec.Code, rec.Body)
		}
	}
	share := `<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:set><D:href>mailto:bob@example.com</D:href><CS:read/></CS:set></CS:share>`
	rec := w.do(w.alice, "POST", "/dav/calendars/"+w.alice.ID+"/private/", share, "Content-Type", "application/xml")
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "no free name") {
		t.Fatalf("CS:share without a free name: %d %s", rec.Code, rec.Body)
	}
	rec = w.do(w.alice, "POST", "/api/v1/shares", `{"collection":"private","login":"bob@example.com"}`, "Content-Type", "application/json")
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), `"code":"name_taken"`) {
		t.Fatalf("API share without a free name: %d %s", rec.Code, rec.Body)
	}
}
