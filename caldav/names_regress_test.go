package caldav_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"almanac/auth"
	"almanac/caldav"
	"almanac/carddav"
	"almanac/internal/davtest"
	"almanac/internal/davtree"
	"almanac/server/servertest"
)

// Regression tests for names longer than the store can key: refused in
// URL resolution with a 4xx, nothing stored, nothing logged as a server
// error.

// withLog rebuilds e's handler with a logger writing every level to the
// returned buffer.
func (e *env) withLog() *servertest.Logs {
	lb := &servertest.Logs{}
	logger := slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.h = davtree.New(e.store, davtree.Options{Logger: logger, Principal: auth.AccountFrom}, e.kind)
	return lb
}

func TestLongNames_RefusedBeforeStorage(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	logs := e.withLog()
	long := strings.Repeat("n", 40<<10)
	e.do(put(e.obj("default", "src.ics"), event("src", "x")))
	before := e.seq("default")
	for _, tc := range []struct {
		name string
		r    req
		want int
	}{
		{"PUT", put(e.obj("default", long+".ics"), event("long", "x")), 414},
		{"PUT in a long calendar", put(e.obj(long, "a.ics"), event("long", "x")), 414},
		{"MKCALENDAR", req{method: "MKCALENDAR", path: e.cal(long)}, 414},
		{"MKCOL", req{method: "MKCOL", path: e.cal(long), body: `<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype></D:prop></D:set></D:mkcol>`}, 414},
		{"PROPPATCH", req{method: "PROPPATCH", path: e.cal(long), body: `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>`}, 414},
		{"PROPFIND", req{method: "PROPFIND", path: e.obj("default", long), hdr: map[string]string{"Depth": "0"}}, 414},
		{"GET", req{method: "GET", path: e.obj("default", long)}, 414},
		{"DELETE", req{method: "DELETE", path: e.obj("default", long)}, 414},
		{"COPY", req{method: "COPY", path: e.obj("default", "src.ics"), hdr: map[string]string{"Destination": e.obj("default", long)}}, 400},
		{"MOVE", req{method: "MOVE", path: e.obj("default", "src.ics"), hdr: map[string]string{"Destination": "http://example.com" + e.obj("default", long)}}, 400},
		{"MOVE into a long calendar", req{method: "MOVE", path: e.obj("default", "src.ics"), hdr: map[string]string{"Destination": e.obj(long, "a.ics")}}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do(tc.r)
			davtest.WantError(t, rec, tc.want, "")
			if !strings.Contains(rec.Body.String(), "1024 bytes") {
				t.Errorf("message does not name the limit: %q", rec.Body)
			}
		})
	}
	if e.seq("default") != before {
		t.Error("a refused request changed the calendar")
	}
	if rec := e.do(req{method: "GET", path: e.obj("default", "src.ics")}); rec.Code != 200 {
		t.Errorf("source of the refused MOVE: %d", rec.Code)
	}
	colls, err := e.store.ListCollections(context.Background(), e.alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range colls {
		if c.Name != caldav.DefaultCalendar && c.Name != carddav.DefaultAddressBook {
			t.Errorf("collection %.40q… made by a refused MKCALENDAR/MKCOL", c.Name)
		}
	}
	out := logs.String()
	if strings.Contains(out, "level=ERROR") {
		t.Errorf("refused names were logged as server errors:\n%.2000s", out)
	}
	if strings.Contains(out, long) {
		t.Error("a log line carries the whole 40 KiB name")
	}
}

// The limit is generous: names of 1024 bytes, percent-encoded in the URL
// to three times that, work in every method.
func TestLongNames_AtTheLimitWork(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	coll := strings.Repeat("c", 1024)
	name := strings.Repeat("é", 510) + ".ics" // 1024 bytes
	if rec := e.do(req{method: "MKCALENDAR", path: e.cal(coll)}); rec.Code != 201 {
		t.Fatalf("MKCALENDAR: %d %s", rec.Code, rec.Body)
	}
	p := e.obj(coll, strings.Repeat("%C3%A9", 510)+".ics")
	if rec := e.do(put(p, event("u", "x"))); rec.Code != 201 {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	if _, err := e.store.Stat(context.Background(), e.alice.ID, coll, name); err != nil {
		t.Fatalf("stored under another name: %v", err)
	}
	m := davtest.ParseMS(t, e.do(req{method: "REPORT", path: e.cal(coll), body: multigetBody(`<D:getetag/>`, []string{p}), hdr: map[string]string{"Depth": "1"}}))
	if len(m.Responses) != 1 || !strings.Contains(m.Responses[0].Propstats[0].Status, "200") {
		t.Errorf("multiget of a long name: %+v", m.Responses)
	}
	if rec := e.do(req{method: "MOVE", path: p, hdr: map[string]string{"Destination": e.obj("default", strings.Repeat("m", 1024))}}); rec.Code != 201 {
		t.Errorf("MOVE: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(req{method: "DELETE", path: e.obj("default", strings.Repeat("m", 1024))}); rec.Code != 204 {
		t.Errorf("DELETE: %d", rec.Code)
	}
}

func TestPut_LongUIDRefused(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	logs := e.withLog()
	before := e.seq("default")
	rec := e.do(put(e.obj("default", "u.ics"), event(strings.Repeat("u", 40<<10), "x")))
	davtest.WantError(t, rec, 403, "valid-calendar-data")
	if !strings.Contains(rec.Body.String(), "UID") {
		t.Errorf("message does not say what is wrong: %s", rec.Body)
	}
	if e.seq("default") != before {
		t.Error("refused PUT changed the calendar")
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("logged as a server error:\n%.2000s", logs.String())
	}
	davtest.WantError(t, e.do(put(e.obj("default", "u.ics"), event(strings.Repeat("u", davtree.MaxUIDBytes+1), "x"))), 403, "valid-calendar-data")
	if rec := e.do(put(e.obj("default", "u.ics"), event(strings.Repeat("u", davtree.MaxUIDBytes), "x"))); rec.Code != 201 {
		t.Errorf("UID at the limit: %d %s", rec.Code, rec.Body)
	}
}
