package caldav_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"almanac/internal/davtest"
	"almanac/server/servertest"
	"almanac/sharing"
)

// MOVE of a calendar within the owner's home renames it (RFC 4918 9.9)
// and what users set up around it follows, as Nextcloud keeps a
// calendar's shares on rename: the sharee's mount keeps its name and
// shows the calendar, the public link keeps its URL, and the JSON API
// names the calendar by its new name. Raw HTTP through the whole server.
func TestMoveCalendar_SharesAndLinksFollow(t *testing.T) {
	env := servertest.New(t)
	alice, bob := env.Account("alice@example.com"), env.Account("bob@example.com")
	cal := func(name string) string { return "/dav/calendars/" + alice.ID + "/" + name + "/" }
	if rec := env.Do("PUT", cal("default")+"e.ics", alice.Login, event("E", "Planning"), "Content-Type", "text/calendar"); rec.Code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	rec := env.Do("POST", sharing.SharesPath, alice.Login, `{"collection":"default","login":"bob@example.com","access":"read-write"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("share: %d %s", rec.Code, rec.Body)
	}
	var share sharing.ShareJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &share); err != nil {
		t.Fatal(err)
	}
	rec = env.Do("POST", sharing.LinksPath, alice.Login, `{"collection":"default","label":"site"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("link: %d %s", rec.Code, rec.Body)
	}
	var link sharing.LinkJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &link); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	feed := u.Path

	rec = env.Do("MOVE", cal("default"), alice.Login, "", "Destination", cal("work"))
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != cal("work") {
		t.Fatalf("MOVE: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}

	if got := env.Do("GET", cal("work")+"e.ics", alice.Login, "").Body.String(); got != event("E", "Planning") {
		t.Errorf("the event after the move: %q", got)
	}
	mount := "/dav/calendars/" + bob.ID + "/" + share.Mount + "/"
	m := davtest.ParseMS(t, env.Do("PROPFIND", mount, bob.Login, "", "Depth", "1"))
	if !slices.Contains(m.Hrefs(), mount+"e.ics") {
		t.Errorf("bob's mount %s lists %v", mount, m.Hrefs())
	}
	if rec := env.Do("GET", feed, "", ""); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "SUMMARY:Planning") {
		t.Errorf("the public link after the move: %d %s", rec.Code, rec.Body)
	}
	rec = env.Do("GET", sharing.SharesPath, alice.Login, "")
	if !strings.Contains(rec.Body.String(), `"collection":"work"`) || strings.Contains(rec.Body.String(), `"collection":"default"`) {
		t.Errorf("shares after the move: %s", rec.Body)
	}
	rec = env.Do("GET", sharing.LinksPath, alice.Login, "")
	if !strings.Contains(rec.Body.String(), `"collection":"work"`) || !strings.Contains(rec.Body.String(), link.URL) {
		t.Errorf("links after the move: %s", rec.Body)
	}

	// RFC 4791 5.3.2.1 calendar-collection-location-ok: not into another
	// calendar, nor into the address-book home; COPY of a whole calendar
	// is refused.
	for _, dest := range []string{cal("other") + "inner/", cal("work") + "inner/", "/dav/addressbooks/" + alice.ID + "/work2/", "/dav/calendars/" + bob.ID + "/mine/"} {
		davtest.WantError(t, env.Do("MOVE", cal("work"), alice.Login, "", "Destination", dest), http.StatusForbidden, "calendar-collection-location-ok")
	}
	davtest.WantError(t, env.Do("COPY", cal("work"), alice.Login, "", "Destination", cal("copy")), http.StatusForbidden, "")
}
