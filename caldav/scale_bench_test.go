package caldav_test

// Calendars of 10,000 and 100,000 events (the corpus of corpus_test.go:
// a year and a half of single, all-day, floating, Zurich and recurring
// events, every thousandth a weekly series without end), for the
// figures of issue "speed at 100,000 events":
//
//	go test ./caldav -run XXX -bench Scale -benchtime 5x -benchmem
//
// Each size is filled once for its benchmarks (about a minute for
// 100,000 events). heap-MB is the Go heap in use right after the timed
// loop, before any collection; parsed/op counts the objects a request
// parsed (queryParseHook).

import (
	"almanac/auth"
	"almanac/caldav"
	"almanac/internal/davtree"
	"almanac/internal/pgtest"
	"almanac/storage/migrate"
	"almanac/storage/postgres"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// scaleCases are the requests BenchmarkScale times.
func scaleCases(coll string) []struct{ name, method, body string } {
	// A multiget of 100 members spread over the first 10,000, with
	// their data: what a client asks after a sync.
	multiget := `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>`
	for i := range 100 {
		multiget += `<D:href>` + coll + corpusName(i*97) + `</D:href>`
	}
	multiget += `</C:calendar-multiget>`
	week := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>` +
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` +
		`<C:time-range start="20260309T000000Z" end="20260316T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
	return []struct{ name, method, body string }{
		{"query-month", "REPORT", monthQuery("")},
		{"query-week", "REPORT", week},
		{"query-month-data", "REPORT", strings.Replace(monthQuery(""), "<D:getetag/>", "<D:getetag/><C:calendar-data/>", 1)},
		{"propfind-depth1", "PROPFIND", `<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontenttype/></D:prop></D:propfind>`},
		{"multiget-100", "REPORT", multiget},
		{"sync-initial", "REPORT", `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`},
		// Apple's clients ask for the content type too, so their first
		// sync needs each member's metadata, not the change log's ETag.
		{"sync-initial-ctype", "REPORT", `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/><D:getcontenttype/></D:prop></D:sync-collection>`},
	}
}

func BenchmarkScale(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			e := newBenchEnv(b)
			fillCorpus(b, e, "default", n)
			runScale(b, e)
		})
	}
}

// runScale times scaleCases on the calendar "default" of e.
func runScale(b *testing.B, e *env) {
	for _, c := range scaleCases(e.cal("default")) {
		b.Run(c.name, func(b *testing.B) {
			parsed := countParses(b, e.kind)
			hdr := map[string]string{"Depth": "1"}
			rec := serve(e, c.method, e.cal("default"), c.body, hdr)
			if rec.Code != http.StatusMultiStatus {
				b.Fatalf("%d %.500s", rec.Code, rec.Body)
			}
			responses := strings.Count(rec.Body.String(), "<response>")
			parsed.take()
			for b.Loop() {
				if rec := serve(e, c.method, e.cal("default"), c.body, hdr); rec.Code != http.StatusMultiStatus {
					b.Fatal(rec.Code)
				}
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
			b.ReportMetric(float64(responses), "responses")
			total := 0
			for _, k := range parsed.take() {
				total += k
			}
			b.ReportMetric(float64(total)/float64(b.N), "parsed/op")
		})
	}
}

// BenchmarkScalePostgres times the same requests on the same calendars
// moved into PostgreSQL (storage/migrate: far quicker than 100,000 PUTs
// through the database), for the figures of the issue on PostgreSQL:
//
//	go test ./caldav -run XXX -bench ScalePostgres -benchtime 5x -benchmem
//
// It needs PostgreSQL (internal/pgtest) and skips without it.
func BenchmarkScalePostgres(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			e := newBenchEnv(b)
			fillCorpus(b, e, "default", n)
			ctx := context.Background()
			pg, err := postgres.Open(ctx, pgtest.URL(b), postgres.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer pg.Close()
			if _, err := migrate.Copy(ctx, e.store, pg, "benchmark"); err != nil {
				b.Fatal(err)
			}
			cal := caldav.New(pg, caldav.Options{})
			runScale(b, &env{t: b, kind: cal, h: davtree.New(pg, davtree.Options{Principal: auth.AccountFrom}, cal), alice: e.alice, bob: e.bob})
		})
	}
}
