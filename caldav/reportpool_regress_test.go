package caldav_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"almanac/auth"
	"almanac/caldav"
	"almanac/internal/davtree"
)

// TestReportPoolKeepsCheapRequests: with every query slot taken and the
// queue full, another query is answered at once with 503 and
// Retry-After, while GET, PROPFIND and multiget are served as usual;
// once the running query ends, the queued one runs and answers 207.
func TestReportPoolKeepsCheapRequests(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	outcomes := make(chan string, 16)
	pool := davtree.NewReportPool(davtree.ReportPoolOptions{Slots: 1, Queue: 1, Wait: time.Hour,
		Observe: func(o string) { outcomes <- o }})
	e.h = davtree.New(e.store, davtree.Options{Principal: auth.AccountFrom, Reports: pool}, e.kind)
	if rec := e.do(req{method: "PUT", path: e.obj("default", "a.ics"), body: event("a", "x")}); rec.Code != http.StatusCreated {
		t.Fatalf("PUT: %d", rec.Code)
	}
	// The first query holds its slot while it reads a.ics.
	entered, hold := make(chan struct{}), make(chan struct{})
	restore := caldav.SetQueryParseHook(func(h *caldav.Calendars, name string) {
		if h == e.kind {
			close(entered)
			<-hold
		}
	})
	defer restore()
	query := strings.Replace(monthQuery(""), "<D:getetag/>", "<D:getetag/><C:calendar-data/>", 1)
	first, second := make(chan int), make(chan int)
	go func() {
		first <- e.do(req{method: "REPORT", path: e.cal("default"), body: query, hdr: map[string]string{"Depth": "1"}}).Code
	}()
	<-entered
	if o := <-outcomes; o != "run" {
		t.Fatalf("first query: %s, want run", o)
	}
	restore() // the queued query must not block
	go func() {
		second <- e.do(req{method: "REPORT", path: e.cal("default"), body: monthQuery(""), hdr: map[string]string{"Depth": "1"}}).Code
	}()
	if o := <-outcomes; o != "queued" {
		t.Fatalf("second query: %s, want queued", o)
	}

	rec := e.do(req{method: "REPORT", path: e.cal("default"), body: monthQuery(""), hdr: map[string]string{"Depth": "1"}})
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "3600" {
		t.Fatalf("third query: %d, Retry-After %q; want 503 with 3600", rec.Code, rec.Header().Get("Retry-After"))
	}
	if o := <-outcomes; o != "full" {
		t.Fatalf("third query: %s, want full", o)
	}
	for _, r := range []req{
		{method: "GET", path: e.obj("default", "a.ics")},
		{method: "PROPFIND", path: e.cal("default"), hdr: map[string]string{"Depth": "1"}},
		{method: "REPORT", path: e.cal("default"), hdr: map[string]string{"Depth": "1"}, body: `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><D:href>` + e.obj("default", "a.ics") + `</D:href></C:calendar-multiget>`},
	} {
		if rec := e.do(r); rec.Code >= 300 {
			t.Fatalf("%s %s while the queries wait: %d", r.method, r.path, rec.Code)
		}
	}
	close(hold)
	if c := <-first; c != http.StatusMultiStatus {
		t.Fatalf("first query: %d", c)
	}
	if c := <-second; c != http.StatusMultiStatus {
		t.Fatalf("second query: %d", c)
	}
}

// TestReportPoolTimeout: a query that waits longer than the pool's
// Wait is answered 503 with Retry-After, and one whose client goes
// away while it waits leaves the queue.
func TestReportPoolTimeout(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	pool := davtree.NewReportPool(davtree.ReportPoolOptions{Slots: 1, Queue: 4, Wait: time.Millisecond})
	e.h = davtree.New(e.store, davtree.Options{Principal: auth.AccountFrom, Reports: pool}, e.kind)
	if rec := e.do(req{method: "PUT", path: e.obj("default", "a.ics"), body: event("a", "x")}); rec.Code != http.StatusCreated {
		t.Fatalf("PUT: %d", rec.Code)
	}
	entered, hold := make(chan struct{}), make(chan struct{})
	restore := caldav.SetQueryParseHook(func(h *caldav.Calendars, name string) {
		if h == e.kind {
			close(entered)
			<-hold
		}
	})
	query := strings.Replace(monthQuery(""), "<D:getetag/>", "<D:getetag/><C:calendar-data/>", 1)
	done := make(chan int)
	go func() {
		done <- e.do(req{method: "REPORT", path: e.cal("default"), body: query, hdr: map[string]string{"Depth": "1"}}).Code
	}()
	<-entered
	restore()
	rec := e.do(req{method: "REPORT", path: e.cal("default"), body: monthQuery(""), hdr: map[string]string{"Depth": "1"}})
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("waiting query: %d, Retry-After %q; want 503 with 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	if strings.Contains(rec.Body.String(), "context") {
		t.Fatalf("internal text in the answer: %s", rec.Body)
	}
	close(hold)
	if c := <-done; c != http.StatusMultiStatus {
		t.Fatalf("first query: %d", c)
	}
	// A slot is free again.
	if rec := e.do(req{method: "REPORT", path: e.cal("default"), body: monthQuery(""), hdr: map[string]string{"Depth": "1"}}); rec.Code != http.StatusMultiStatus {
		t.Fatalf("query after the slot came free: %d", rec.Code)
	}
}
