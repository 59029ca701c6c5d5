package caldav_test

import (
	"encoding/xml"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/caldav"
	"almanac/internal/davtest"
)

// TestSyncCollectionAfterPrune follows a client through the pruning of
// the change log: a token at or above the pruned horizon still gets
// exactly what changed, an older one gets 403 DAV:valid-sync-token (RFC
// 6578 3.2) and nothing else, and the client recovers by starting over
// with an empty token.
func TestSyncCollectionAfterPrune(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	ctx := t.Context()
	sync := func(token string) *httptest.ResponseRecorder {
		t.Helper()
		return e.do(req{method: "REPORT", path: e.cal("default"), hdr: map[string]string{"Depth": "0"},
			body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token>` + token + `</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`})
	}
	hrefs := func(m *davtest.Multistatus) []string {
		var out []string
		for _, r := range m.Responses {
			out = append(out, r.Href+" "+r.Status)
		}
		slices.Sort(out)
		return out
	}
	wantExpired := func(token string) {
		t.Helper()
		rec := sync(token)
		davtest.WantError(t, rec, 403, "valid-sync-token")
		var doc struct {
			XMLName xml.Name
			Conds   []struct{ XMLName xml.Name } `xml:",any"`
		}
		var conds []string
		if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		for _, c := range doc.Conds {
			if c.XMLName.Space == "DAV:" {
				conds = append(conds, c.XMLName.Local)
			}
		}
		if !slices.Equal(conds, []string{"valid-sync-token"}) {
			t.Fatalf("error body %s, want the one condition DAV:valid-sync-token", rec.Body)
		}
		if strings.Contains(rec.Body.String(), "storage") {
			t.Fatalf("error body leaks internals: %s", rec.Body)
		}
	}
	ctag := func() string {
		t.Helper()
		m := davtest.ParseMS(t, e.do(req{method: "PROPFIND", path: e.cal("default"), hdr: map[string]string{"Depth": "0"},
			body: `<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:sync-token/><CS:getctag/></D:prop></D:propfind>`}))
		tok, _, _ := m.Prop(e.cal("default"), "sync-token")
		tag, _, _ := m.Prop(e.cal("default"), "getctag")
		return tok + " " + tag
	}

	for _, n := range []string{"a", "b", "c"} {
		e.do(put(e.obj("default", n+".ics"), event(n, "x"))) // 1..3
	}
	tok3 := davtest.ParseMS(t, sync("")).SyncToken
	e.do(req{method: "DELETE", path: e.obj("default", "b.ics")}) // 4
	e.do(put(e.obj("default", "d.ics"), event("d", "x")))        // 5
	tok5 := davtest.ParseMS(t, sync(tok3)).SyncToken
	c, err := e.store.Collection(ctx, e.alice.ID, "default")
	if err != nil || c.Seq != 5 {
		t.Fatalf("collection %+v, %v", c, err)
	}
	cutoff := c.Modified.Add(time.Nanosecond) // just after d's write
	for !time.Now().After(cutoff) {
	}
	e.do(put(e.obj("default", "e.ics"), event("e", "x"))) // 6
	before := ctag()

	if _, err := e.store.PruneChanges(ctx, cutoff); err != nil {
		t.Fatal(err)
	}
	if got := ctag(); got != before {
		t.Fatalf("pruning changed sync-token and getctag: %s, was %s", got, before)
	}
	wantExpired(tok3)
	m := davtest.ParseMS(t, sync(tok5))
	if got, want := hrefs(m), []string{e.obj("default", "e.ics") + " "}; !slices.Equal(got, want) {
		t.Fatalf("sync from the horizon: %q, want only e.ics", got)
	}
	tok6 := m.SyncToken

	// Starting over lists what is there, b's deletion not among it.
	m = davtest.ParseMS(t, sync(""))
	var names []string
	for _, r := range m.Responses {
		names = append(names, r.Href[strings.LastIndex(r.Href, "/")+1:])
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"a.ics", "c.ics", "d.ics", "e.ics"}) || m.SyncToken != tok6 {
		t.Fatalf("full resync: %v token %s, want a c d e and %s", names, m.SyncToken, tok6)
	}

	// Pruning everything leaves the current token, and only it, valid.
	if _, err := e.store.PruneChanges(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantExpired(tok5)
	if m := davtest.ParseMS(t, sync(tok6)); len(m.Responses) != 0 || m.SyncToken != tok6 {
		t.Fatalf("sync from the current token: %d responses, token %s", len(m.Responses), m.SyncToken)
	}
}
