package caldav_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"almanac/auth"
	"almanac/caldav"
	"almanac/storage"
)

// benchEvent is about the size of davbench's average event (1.9 KB).
func benchEvent(i int) string {
	desc := strings.Repeat("Agenda item and notes for the weekly review. ", 28)
	return fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:bench-%d\r\n"+
		"DTSTAMP:20260101T000000Z\r\nDTSTART:20260%d1%dT100000Z\r\nDTEND:20260%d1%dT110000Z\r\nSUMMARY:Event %d\r\n"+
		"LOCATION:Room %d\r\nDESCRIPTION:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", i, 1+i%9, i%10, 1+i%9, i%10, i, i%50, desc[:1200])
}

// fill stores n events directly through the store (untimed setup).
func fill(b *testing.B, e *env, n int) {
	b.Helper()
	ctx := context.Background()
	for i := range n {
		data := []byte(benchEvent(i))
		_, _, err := e.store.Put(ctx, storage.PutObject{Owner: e.alice.ID, Collection: "default",
			Name: fmt.Sprintf("bench-%d.ics", i), UID: fmt.Sprintf("bench-%d", i), Component: "VEVENT",
			ContentType: "text/calendar", Data: data})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func newBenchEnv(b *testing.B) *env { return newEnv(b, caldav.Options{}) }

func serve(e *env, method, path, body string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	r = r.WithContext(auth.WithAccount(r.Context(), e.alice))
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	return rec
}

func BenchmarkPut(b *testing.B) {
	e := newBenchEnv(b)
	fill(b, e, 10000)
	b.ResetTimer()
	i := 10000
	for b.Loop() {
		i++
		rec := serve(e, "PUT", e.obj("default", fmt.Sprintf("bench-%d.ics", i)), benchEvent(i), map[string]string{"Content-Type": "text/calendar", "If-None-Match": "*"})
		if rec.Code != 201 {
			b.Fatalf("PUT %d: %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkPutParallel8(b *testing.B) {
	e := newBenchEnv(b)
	fill(b, e, 10000)
	var next atomic.Int64
	next.Store(10000)
	b.SetParallelism(4) // 2 cores × 4 = 8 writers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1))
			rec := serve(e, "PUT", e.obj("default", fmt.Sprintf("bench-%d.ics", i)), benchEvent(i), map[string]string{"Content-Type": "text/calendar"})
			if rec.Code != 201 {
				b.Errorf("PUT %d", rec.Code)
				return
			}
		}
	})
}

func BenchmarkGet(b *testing.B) {
	e := newBenchEnv(b)
	fill(b, e, 10000)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		i = (i + 7919) % 10000
		if rec := serve(e, "GET", e.obj("default", fmt.Sprintf("bench-%d.ics", i)), "", nil); rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

func BenchmarkGet304(b *testing.B) {
	e := newBenchEnv(b)
	fill(b, e, 10000)
	etag := serve(e, "GET", e.obj("default", "bench-5.ics"), "", nil).Header().Get("ETag")
	b.ResetTimer()
	for b.Loop() {
		if rec := serve(e, "GET", e.obj("default", "bench-5.ics"), "", map[string]string{"If-None-Match": etag}); rec.Code != 304 {
			b.Fatal(rec.Code)
		}
	}
}

func BenchmarkPropfindDepth1_10k(b *testing.B) {
	e := newBenchEnv(b)
	fill(b, e, 10000)
	body := `<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontenttype/></D:prop></D:propfind>`
	b.ResetTimer()
	for b.Loop() {
		rec := serve(e, "PROPFIND", e.cal("default"), body, map[string]string{"Depth": "1"})
		if rec.Code != 207 {
			b.Fatal(rec.Code)
		}
	}
}

func BenchmarkSyncIncremental10_10k(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			e := newBenchEnv(b)
			fill(b, e, n)
			c, _ := e.store.Collection(context.Background(), e.alice.ID, "default")
			tok := fmt.Sprintf("urn:almanac:sync:%s:%d", c.Incarnation, c.Seq)
			for i := range 10 {
				serve(e, "PUT", e.obj("default", fmt.Sprintf("bench-%d.ics", i*97)), strings.Replace(benchEvent(i*97), "Event", "Changed", 1), map[string]string{"Content-Type": "text/calendar"})
			}
			body := `<D:sync-collection xmlns:D="DAV:"><D:sync-token>` + tok + `</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
			b.ResetTimer()
			for b.Loop() {
				rec := serve(e, "REPORT", e.cal("default"), body, map[string]string{"Depth": "0"})
				if rec.Code != 207 || strings.Count(rec.Body.String(), "<response>") != 10 {
					b.Fatalf("%d %d responses", rec.Code, strings.Count(rec.Body.String(), "<response>"))
				}
			}
		})
	}
}

// benchQueryMonth runs a one-month calendar-query with getetag on the
// 10,000-object corpus (corpus_test.go: single, all-day, floating and
// Europe/Zurich events, weekly series with COUNT and EXDATE, moved
// instances, open weekly series, spread over 18 months) and reports how
// many objects each query parses and how many it returns.
func benchQueryMonth(b *testing.B, body string) {
	e := newBenchEnv(b)
	fillCorpus(b, e, "default", 10000)
	parsed := countParses(b, e.kind)
	rec := serve(e, "REPORT", e.cal("default"), body, map[string]string{"Depth": "1"})
	if rec.Code != 207 {
		b.Fatalf("REPORT %d: %s", rec.Code, rec.Body)
	}
	matches := strings.Count(rec.Body.String(), "<response>")
	candidates := len(parsed.take())
	for b.Loop() {
		rec := serve(e, "REPORT", e.cal("default"), body, map[string]string{"Depth": "1"})
		if rec.Code != 207 || strings.Count(rec.Body.String(), "<response>") != matches {
			b.Fatalf("REPORT %d", rec.Code)
		}
	}
	b.ReportMetric(float64(candidates), "parsed/op")
	b.ReportMetric(float64(matches), "matches/op")
}

func BenchmarkCalendarQueryMonth10k(b *testing.B) {
	benchQueryMonth(b, monthQuery(""))
}

// BenchmarkCalendarQueryMonth10kFullScan is the same query with a second
// comp-filter without time-range, which rules the prefilter out: the cost
// of reading and parsing every object.
func BenchmarkCalendarQueryMonth10kFullScan(b *testing.B) {
	benchQueryMonth(b, monthQuery(`<C:comp-filter name="VEVENT"/>`))
}
