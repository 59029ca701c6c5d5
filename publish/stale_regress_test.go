package publish_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestFeedFollowsCollectionProperties: renaming a calendar changes its
// feed (X-WR-CALNAME) although no member changed, so the old copy's ETag
// no longer validates.
func TestFeedFollowsCollectionProperties(t *testing.T) {
	e := newEnv(t)
	e.putEvent("a.ics", ics("a", "Planning"))
	l := e.createLink(e.jane.Login, `{"collection":"default"}`)
	resp, body := e.call("GET", l.URL, "", "")
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "X-WR-CALNAME:Calendar\r\n") {
		t.Fatalf("feed: %d\n%s", resp.StatusCode, body)
	}
	rename := `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>` +
		`<D:displayname>Team events</D:displayname></D:prop></D:set></D:propertyupdate>`
	if r, b := e.call("PROPPATCH", "/dav/calendars/"+e.jane.ID+"/default/", e.jane.Login, rename, "Content-Type", "application/xml"); r.StatusCode != http.StatusMultiStatus {
		t.Fatalf("PROPPATCH: %d %s", r.StatusCode, b)
	}
	resp, body = e.call("GET", l.URL, "", "", "If-None-Match", etag)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "X-WR-CALNAME:Team events\r\n") || resp.Header.Get("ETag") == etag {
		t.Errorf("after renaming the calendar: %d ETag %q (was %q)\n%s", resp.StatusCode, resp.Header.Get("ETag"), etag, body)
	}
}
