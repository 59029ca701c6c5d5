package carddav_test

// Address books of 10,000 and 100,000 cards (cbNewCard), for the
// figures of issue "speed at 100,000 events":
//
//	go test ./carddav -run XXX -bench Scale -benchtime 5x -benchmem
//
// Each size is built once for its three benchmarks (about a minute for
// 100,000 cards). heap-MB is the Go heap in use right after the timed loop,
// before any collection: what the requests left live or not yet swept.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"almanac/auth"
	"almanac/carddav"
	"almanac/internal/davtree"
	"almanac/storage"
	"almanac/storage/bolt"
)

type scaleBook struct {
	db  *bolt.DB
	h   http.Handler
	acc *storage.Account
}

// scaleBookOf builds the address book of n cards; it lives as long as
// the benchmark b, which runs its sub-benchmarks over it.
func scaleBookOf(b *testing.B, n int) *scaleBook {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "almanac.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ctx := context.Background()
	acc := &storage.Account{Login: "bench@example.com", PasswordHash: "x"}
	if err := db.CreateAccount(ctx, acc); err != nil {
		b.Fatal(err)
	}
	if err := carddav.Provision(ctx, db, acc); err != nil {
		b.Fatal(err)
	}
	coll, err := db.Collection(ctx, acc.ID, carddav.DefaultAddressBook)
	if err != nil {
		b.Fatal(err)
	}
	ab := carddav.New(db, carddav.Options{})
	const workers = 32
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				c := cbNewCard(i)
				put, err := ab.Ingest(coll, c.data)
				if err == nil {
					put.Owner, put.Collection, put.Name, put.Data = acc.ID, coll.Name, c.name, c.data
					_, _, err = db.Put(ctx, put)
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", c.name, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return &scaleBook{db: db, acc: acc, h: davtree.New(db, davtree.Options{Principal: auth.AccountFrom}, ab)}
}

func BenchmarkScale(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			sb := scaleBookOf(b, n)
			book := "/dav/addressbooks/" + sb.acc.ID + "/" + carddav.DefaultAddressBook + "/"
			run := func(b *testing.B, method, body string) {
				serve := func() *httptest.ResponseRecorder {
					r := httptest.NewRequest(method, book, strings.NewReader(body))
					r.Header.Set("Depth", "1")
					r = r.WithContext(auth.WithAccount(r.Context(), sb.acc))
					rec := httptest.NewRecorder()
					sb.h.ServeHTTP(rec, r)
					return rec
				}
				rec := serve()
				if rec.Code != http.StatusMultiStatus {
					b.Fatalf("%s: %d %.500s", method, rec.Code, rec.Body)
				}
				responses := strings.Count(rec.Body.String(), "<response>")
				for b.Loop() {
					if rec := serve(); rec.Code != http.StatusMultiStatus {
						b.Fatal(rec.Code)
					}
				}
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
				b.ReportMetric(float64(responses), "responses")
			}
			b.Run("query-email", func(b *testing.B) {
				run(b, "REPORT", `<C:addressbook-query `+cbNS+`><D:prop><D:getetag/></D:prop><C:filter><C:prop-filter name="EMAIL"><C:text-match match-type="contains">@`+cbEmailDomain+`</C:text-match></C:prop-filter></C:filter></C:addressbook-query>`)
			})
			b.Run("query-fn", func(b *testing.B) {
				run(b, "REPORT", `<C:addressbook-query `+cbNS+`><D:prop><D:getetag/><C:address-data/></D:prop><C:filter><C:prop-filter name="FN"><C:text-match collation="i;unicode-casemap" match-type="contains">`+cbFNQuery+`</C:text-match></C:prop-filter></C:filter></C:addressbook-query>`)
			})
			b.Run("propfind-depth1", func(b *testing.B) {
				run(b, "PROPFIND", `<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontenttype/></D:prop></D:propfind>`)
			})
		})
	}
}
