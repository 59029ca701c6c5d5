package interop

import (
	"context"
	"encoding/xml"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almanac/caldav"
	"almanac/internal/pgtest"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/sharing"
	"almanac/storage/migrate"
	"almanac/storage/postgres"
)

// serveAt serves h at addr (host:port), which a server before it may
// have just left, until the returned stop.
func serveAt(t *testing.T, addr string, h http.Handler) (stop func()) {
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Close
}

// syncToken runs sync-collection on the calendar from token ("" for an
// initial sync) and returns the hrefs reported and the new token.
func (e *env) syncToken(t *testing.T, token string) ([]string, string) {
	t.Helper()
	resp, body := e.do(t, "REPORT", e.Calendar, map[string]string{"Content-Type": "application/xml; charset=utf-8", "Depth": "1"},
		`<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>`+token+
			`</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`)
	if resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("sync-collection from %q: %d\n%s", token, resp.StatusCode, body)
	}
	var ms cardMultistatus
	if err := xml.Unmarshal(body, &ms); err != nil {
		t.Fatal(err)
	}
	var hrefs []string
	for _, r := range ms.Responses {
		hrefs = append(hrefs, r.href())
	}
	return hrefs, ms.SyncToken
}

// fetch GETs a public URL and returns the status, ETag and body.
func fetch(t *testing.T, url string, hdr ...string) (int, string, string) {
	t.Helper()
	r := feedGet(t, url, hdr...)
	return r.status, r.etag, r.body
}

// TestMigrateVdirsyncer is the move issue 20 asks for: vdirsyncer syncs
// with a server on bbolt; its data moves to PostgreSQL (migrate.Copy,
// checked by migrate.Verify); a server on PostgreSQL takes the same
// address with the same link key; the next sync finds nothing to do,
// an incremental sync from the old token reports nothing, and the feed
// answers at the same URL with the same ETag.
func TestMigrateVdirsyncer(t *testing.T) {
	v, local, status := newVdirsyncer(t)
	url := pgtest.URL(t)
	ctx := context.Background()
	key := make([]byte, sharing.KeySize)
	for i := range key {
		key[i] = byte(i)
	}
	keys, err := sharing.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	withKeys := func(c *server.Config) { c.LinkKeys = keys }

	// The server on bbolt, at an address the one on PostgreSQL takes
	// over, as behind a load balancer.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	old := servertest.New(t, withKeys)
	stopOld := serveAt(t, addr, old.Server)
	acc := old.Account(testLogin)
	e := &env{URL: "http://" + addr, Login: acc.Login, Password: testPassword, User: acc.ID,
		Principal: "/dav/principals/" + acc.ID + "/", Home: "/dav/calendars/" + acc.ID + "/",
		Calendar: "/dav/calendars/" + acc.ID + "/" + caldav.DefaultCalendar + "/"}

	feed := publishFeed(t, e, "full")
	e.put(t, e.Calendar+"srv1.ics", icsEvent("srv1@interop", "server one", "20260301T100000Z"), nil)
	for i, name := range []string{"local1", "local2"} {
		data := icsEvent(name+"@interop", name, "2026030"+string(rune('3'+i))+"T100000Z")
		if err := os.WriteFile(filepath.Join(local, name+".ics"), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	v.writeConfig(t, e, local, status, "a wins")
	t.Logf("vdirsyncer discover:\n%s", v.run(t, "discover"))
	t.Logf("vdirsyncer sync on bbolt:\n%s", v.run(t, "sync"))
	// A deletion, so that the change log holds a tombstone.
	if resp, body := e.do(t, http.MethodDelete, e.Calendar+"conf.ics", nil, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", resp.StatusCode, body)
	}
	out := v.run(t, "sync")
	t.Logf("vdirsyncer sync on bbolt after a deletion:\n%s", out)
	before := localItems(t, local)
	if len(before) != 7 {
		t.Fatalf("local vdir holds %v, want 7 events", uids(before))
	}
	_, token := e.syncToken(t, "")
	feedStatus, feedETag, feedBody := fetch(t, feed)
	if feedStatus != http.StatusOK || feedETag == "" {
		t.Fatalf("feed on bbolt: %d, ETag %q", feedStatus, feedETag)
	}

	// The move, the bbolt server stopped.
	stopOld()
	dst, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dst.Close() })
	if _, err := migrate.Copy(ctx, old.Store, dst, "bbolt"); err != nil {
		t.Fatal(err)
	}
	report, err := migrate.Verify(ctx, old.Store, dst)
	if err != nil {
		t.Fatal(err)
	}
	if bad := report.Mismatches(); len(bad) > 0 {
		t.Fatalf("Verify: %v differ", bad)
	}

	// The server on PostgreSQL, at the same address with the same key.
	moved := servertest.New(t, withKeys, func(c *server.Config) { c.Store = dst })
	serveAt(t, addr, moved.Server)

	out = v.run(t, "sync")
	t.Logf("vdirsyncer sync on PostgreSQL:\n%s", out)
	for _, action := range []string{"Copying", "Deleting", "Updating"} {
		if strings.Contains(out, action) {
			t.Errorf("the first sync after the move did something (%s):\n%s", action, out)
		}
	}
	// vdirsyncer lists ETags with PROPFIND and fetches what changed with
	// calendar-multiget (REPORT) or GET: nothing is fetched.
	for _, line := range strings.Split(moved.Logs.String(), "\n") {
		if strings.Contains(line, "method=REPORT") || strings.Contains(line, "method=GET") {
			t.Errorf("the first sync after the move fetched: %s", line)
		}
	}
	after := localItems(t, local)
	if len(after) != len(before) {
		t.Errorf("local vdir: %v, before the move %v", uids(after), uids(before))
	}
	for uid, it := range before {
		if after[uid] != it {
			t.Errorf("local %s changed by the sync after the move", uid)
		}
	}
	if hrefs, again := e.syncToken(t, token); len(hrefs) != 0 || again != token {
		t.Errorf("sync-collection from the token of before the move: %v, token %q; want nothing and %q", hrefs, again, token)
	}
	if st, etag, body := fetch(t, feed); st != http.StatusOK || etag != feedETag || body != feedBody {
		t.Errorf("feed after the move: %d, ETag %q (was %q), same body %v", st, etag, feedETag, body == feedBody)
	}
	if st, _, _ := fetch(t, feed, "If-None-Match", feedETag); st != http.StatusNotModified {
		t.Errorf("feed after the move with the ETag of before: %d, want 304", st)
	}

	// And the calendar goes on from where it was: a change on the server
	// reaches the client, and only it.
	e.put(t, e.Calendar+"srv2.ics", icsEvent("srv2@interop", "after the move", "20260310T100000Z"), nil)
	out = v.run(t, "sync")
	if n := strings.Count(out, "Copying"); n != 1 {
		t.Errorf("sync after a change on PostgreSQL copied %d items, want 1:\n%s", n, out)
	}
	if hrefs, _ := e.syncToken(t, token); len(hrefs) != 1 || !strings.HasSuffix(hrefs[0], "/srv2.ics") {
		t.Errorf("sync-collection from the old token after one change: %v", hrefs)
	}
}
