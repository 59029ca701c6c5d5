package twoservers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"almanac/server/servertest"
	"almanac/sharing"
)

func event(uid, summary string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:" + summary +
		"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

func (p *pair) put(i int, name, body string) {
	p.t.Helper()
	rec := p.do(i, "PUT", "/dav/calendars/"+p.jane.ID+"/default/"+name, body,
		append(basic(p.jane.Login, servertest.Password), "Content-Type", "text/calendar")...)
	if rec.Code != http.StatusCreated && rec.Code != http.StatusNoContent {
		p.t.Fatalf("PUT %s on server %d: %d %s", name, i, rec.Code, rec.Body)
	}
}

// settle waits until the second of the last change is over. A feed
// served within the second of a change carries the second before it as
// Last-Modified (publish/doc.go: a date never validates a copy its
// second could hold two versions of), and the second after it from
// then on, on every server; the servers agree once it is over.
func settle() {
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
}

// link creates a public link to jane's calendar through server i and
// returns it with the path of its feed.
func (p *pair) link(i int) (*sharing.LinkJSON, string) {
	p.t.Helper()
	rec := p.do(i, "POST", sharing.LinksPath, `{"collection":"default"}`, basic(p.jane.Login, servertest.Password)...)
	p.want(rec, http.StatusCreated, "create link")
	var l sharing.LinkJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
		p.t.Fatal(err)
	}
	u, err := url.Parse(l.URL)
	if err != nil {
		p.t.Fatal(err)
	}
	return &l, u.Path
}

// A subscriber whose polls alternate between the servers gets one ETag
// and one Last-Modified for one state, so a poll through the other
// server is a 304; a change through either is seen through both; and a
// link revoked through one is 404 through the other at once, though
// that one had the feed rendered in its cache.
func TestFeed(t *testing.T) {
	p := newPair(t)
	p.put(0, "a.ics", event("a", "Planning"))
	_, feed := p.link(0)
	settle()

	type answer struct{ etag, lastModified string }
	get := func(i int, hdr ...string) answer {
		t.Helper()
		rec := p.do(i, "GET", feed, "", hdr...)
		p.want(rec, http.StatusOK, "feed")
		return answer{rec.Header().Get("ETag"), rec.Header().Get("Last-Modified")}
	}
	for _, variant := range [][]string{nil, {"Accept-Encoding", "gzip"}, {"Accept", "application/calendar+json"}} {
		a0, a1 := get(0, variant...), get(1, variant...)
		if a0 != a1 || a0.etag == "" || a0.lastModified == "" {
			t.Errorf("%v: server 0 answers %+v, server 1 %+v", variant, a0, a1)
		}
		for i := range 2 {
			p.want(p.do(i, "GET", feed, "", append([]string{"If-None-Match", a0.etag}, variant...)...), http.StatusNotModified,
				"a poll with the other server's ETag")
			p.want(p.do(i, "GET", feed, "", append([]string{"If-Modified-Since", a0.lastModified}, variant...)...), http.StatusNotModified,
				"a poll with the other server's Last-Modified")
		}
	}

	before := get(0)
	p.put(1, "a.ics", event("a", "Planning, moved"))
	settle()
	after0, after1 := get(0, "If-None-Match", before.etag), get(1, "If-None-Match", before.etag)
	if after0.etag == before.etag || after0.lastModified == before.lastModified || after0 != after1 {
		t.Errorf("after a change through server 1: server 0 answers %+v, server 1 %+v (before: %+v)", after0, after1, before)
	}

	rec := p.do(0, "GET", sharing.LinksPath, "", basic(p.jane.Login, servertest.Password)...)
	p.want(rec, http.StatusOK, "list links")
	var list struct{ Links []sharing.LinkJSON }
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list.Links) != 1 {
		t.Fatalf("links %s: %v", rec.Body, err)
	}
	p.want(p.do(0, "DELETE", sharing.LinksPath+"/"+list.Links[0].ID, "", basic(p.jane.Login, servertest.Password)...), http.StatusNoContent, "revoke")
	for i := range 2 {
		p.want(p.do(i, "GET", feed, ""), http.StatusNotFound, "the revoked link")
	}
}

// Each server counts the fetches it serves in memory and adds them to
// the stored counts when it flushes: nothing counted on one is lost or
// counted twice by the other.
func TestFetchStatistics(t *testing.T) {
	p := newPair(t)
	l, feed := p.link(0)
	for i := range 5 {
		p.want(p.do(i%2, "GET", feed, "", "User-Agent", "poller"), http.StatusOK, "feed")
	}
	for i := range 2 {
		// Run flushes once more when its context is done.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		p.srv[i].Run(ctx)
	}
	stored, err := p.stores[1].Link(context.Background(), l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Fetches != 5 || stored.LastUserAgent != "poller" {
		t.Errorf("stored statistics: %d fetches, last by %q; want 5 by poller", stored.Fetches, stored.LastUserAgent)
	}
}
