package publish_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"almanac/caldav"
	aical "almanac/internal/ical"
	"almanac/publish"
	"almanac/server/servertest"
	"almanac/sharing"
	"almanac/storage"
	"almanac/storage/bolt"
)

// feedBench is a 10,000-event calendar with one full link.
type feedBench struct {
	store *bolt.DB
	h     *publish.Handler
	link  *storage.Link
	url   string
}

func newFeedBench(b *testing.B) *feedBench {
	b.Helper()
	db := servertest.Store(b)
	ctx := context.Background()
	acc := servertest.Account(b, db, "bench@example.com")
	// Concurrent writers share fsyncs (group commit), so setup is quick.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < 10000; i += 16 {
				start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * 97 * time.Minute)
				data := fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:ev-%d\r\n"+
					"DTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Event %d\r\nDESCRIPTION:Agenda item %d\r\n"+
					"LOCATION:Room %d\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
					i, start.Format("20060102T150405Z"), start.Add(time.Hour).Format("20060102T150405Z"), i, i, i%40)
				cal, err := aical.Parse([]byte(data))
				if err != nil {
					errs <- err
					return
				}
				s, e, open, _ := aical.Span(cal)
				_, _, err = db.Put(ctx, storage.PutObject{Owner: acc.ID, Collection: caldav.DefaultCalendar, Name: fmt.Sprintf("ev-%d.ics", i),
					UID: fmt.Sprintf("ev-%d", i), Component: "VEVENT", ContentType: "text/calendar",
					Span: storage.Span{Known: true, Start: s, End: e, Open: open}, Data: []byte(data)})
				if err != nil {
					errs <- err
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
	keys, _ := sharing.NewKeyring(bytes.Repeat([]byte{3}, sharing.KeySize))
	link := &storage.Link{ID: sharing.NewLinkID(), Owner: acc.ID, Collection: caldav.DefaultCalendar, Tier: sharing.TierFull}
	if err := db.CreateLink(ctx, link); err != nil {
		b.Fatal(err)
	}
	return &feedBench{store: db, h: publish.NewHandler(db, keys, publish.Options{}), link: link, url: "/ics/" + keys.Token(link.ID)}
}

func (f *feedBench) get(b *testing.B, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", f.url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	return rec
}

// BenchmarkFeed measures a 10,000-event feed: rendered (the link's
// version changes before every request, so the cache never hits),
// served from the cache, gzipped from the cache, and answered 304.
func BenchmarkFeed(b *testing.B) {
	f := newFeedBench(b)
	first := f.get(b)
	if first.Code != 200 || bytes.Count(first.Body.Bytes(), []byte("BEGIN:VEVENT")) != 10000 {
		b.Fatalf("feed: %d with %d events", first.Code, bytes.Count(first.Body.Bytes(), []byte("BEGIN:VEVENT")))
	}
	etag := first.Header().Get("ETag")
	b.Run("render", func(b *testing.B) {
		ctx := context.Background()
		for b.Loop() {
			b.StopTimer()
			if err := f.store.UpdateLink(ctx, f.link); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if rec := f.get(b); rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
		b.SetBytes(int64(first.Body.Len()))
	})
	etag = f.get(b).Header().Get("ETag")
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if rec := f.get(b); rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	})
	b.Run("cached-gzip", func(b *testing.B) {
		for b.Loop() {
			if rec := f.get(b, "Accept-Encoding", "gzip"); rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	})
	b.Run("304", func(b *testing.B) {
		for b.Loop() {
			if rec := f.get(b, "If-None-Match", etag); rec.Code != http.StatusNotModified {
				b.Fatal(rec.Code)
			}
		}
	})
}
