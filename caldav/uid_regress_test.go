package caldav_test

import (
	"net/http"
	"strings"
	"testing"

	"almanac/internal/davtest"
	"almanac/server/servertest"
)

// RFC 4791 5.3.2.1 (CALDAV:no-uid-conflict): a calendar object resource
// may not be overwritten "with one that has a different UID property
// value", by PUT, COPY or MOVE. Raw HTTP through the whole server.
func TestUIDCannotChange_HTTP(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("alice@example.com")
	login := acc.Login
	cal := func(name string) string { return "/dav/calendars/" + acc.ID + "/" + name + "/" }
	ics := "text/calendar; charset=utf-8"
	if rec := env.Do("MKCALENDAR", cal("work"), login, ""); rec.Code != http.StatusCreated {
		t.Fatalf("MKCALENDAR: %d %s", rec.Code, rec.Body)
	}
	for path, uid := range map[string]string{cal("default") + "u.ics": "A", cal("work") + "w.ics": "W"} {
		if rec := env.Do("PUT", path, login, event(uid, "x"), "Content-Type", ics); rec.Code != http.StatusCreated {
			t.Fatalf("PUT %s: %d %s", path, rec.Code, rec.Body)
		}
	}
	u, w := cal("default")+"u.ics", cal("work")+"w.ics"

	rec := env.Do("PUT", u, login, event("B", "x"), "Content-Type", ics)
	davtest.WantError(t, rec, http.StatusForbidden, "no-uid-conflict")
	if !strings.Contains(rec.Body.String(), "<D:href>"+u+"</D:href>") {
		t.Errorf("PUT: the conflict does not name %s: %s", u, rec.Body)
	}
	for _, method := range []string{"COPY", "MOVE"} {
		rec := env.Do(method, u, login, "", "Destination", w)
		davtest.WantError(t, rec, http.StatusForbidden, "no-uid-conflict")
		if !strings.Contains(rec.Body.String(), "<D:href>"+w+"</D:href>") {
			t.Errorf("%s: the conflict does not name %s: %s", method, w, rec.Body)
		}
	}
	for path, uid := range map[string]string{u: "A", w: "W"} {
		if got := env.Do("GET", path, login, "").Body.String(); got != event(uid, "x") {
			t.Errorf("%s changed: %q", path, got)
		}
	}
}
