package migrate

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"almanac/internal/pgtest"
	"almanac/storage"
	"almanac/storage/bolt"
	"almanac/storage/postgres"
)

// event is a calendar object of about 1 KB, a weekly meeting.
func event(uid string, i int) []byte {
	return fmt.Appendf(nil, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:%s\r\n"+
		"DTSTAMP:20260301T101500Z\r\nDTSTART:202603%02dT%02d0000Z\r\nDTEND:202603%02dT%02d3000Z\r\n"+
		"RRULE:FREQ=WEEKLY;COUNT=10\r\nSUMMARY:Project sync #%d - planning and review\r\nLOCATION:Room 4.12\r\n"+
		"DESCRIPTION:Agenda: status of the milestone\\, open issues\\, planning of the next iteration\\, any other business.\r\n"+
		"ORGANIZER;CN=Alice:mailto:alice@example.org\r\nATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org\r\n"+
		"ATTENDEE;CN=Carol;PARTSTAT=ACCEPTED:mailto:carol@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		uid, 1+i%28, 8+i%9, 1+i%28, 8+i%9, i)
}

// benchSource is a bbolt store of n events, each with a timeline of ten
// weekly periods, in one calendar: what one busy account holds.
func benchSource(b *testing.B, n int) *bolt.DB {
	b.Helper()
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "almanac.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.CreateAccount(ctx, &storage.Account{ID: "bench", Login: "bench@example.org"}); err != nil {
		b.Fatal(err)
	}
	if err := db.CreateCollection(ctx, &storage.Collection{Owner: "bench", Name: "cal", Kind: storage.KindCalendar}); err != nil {
		b.Fatal(err)
	}
	const batch = 1000
	for at := 0; at < n; at += batch {
		var puts []storage.PutObject
		for i := at; i < min(at+batch, n); i++ {
			uid := fmt.Sprintf("%08d-bench", i)
			start := time.Date(2026, 3, 1+i%28, 8+i%9, 0, 0, 0, time.UTC)
			tl := storage.Timeline{Known: true}
			for w := range 10 {
				s := start.AddDate(0, 0, 7*w)
				tl.Periods = append(tl.Periods, storage.Period{Start: s, End: s.Add(30 * time.Minute)})
			}
			puts = append(puts, storage.PutObject{Owner: "bench", Collection: "cal", Name: uid + ".ics", UID: uid,
				Component: "VEVENT", ContentType: "text/calendar", Data: event(uid, i), Timeline: tl,
				Span: storage.Span{Known: true, Start: start, End: start.AddDate(0, 0, 64)}})
		}
		if _, err := db.PutBatch(ctx, puts); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// BenchmarkMigrate100k measures almanac migrate's two phases on 100,000
// events: Copy (bbolt export, COPY into PostgreSQL, commit, ANALYZE) and
// Verify (both stores read back through the Store methods).
func BenchmarkMigrate100k(b *testing.B) {
	const n = 100_000
	src := benchSource(b, n)
	ctx := context.Background()
	open := func(b testing.TB) *postgres.Store {
		dst, err := postgres.Open(ctx, pgtest.URL(b), postgres.Options{MaxConns: 4})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { dst.Close() })
		return dst
	}
	// The last copy is verified; b.Run's cleanups would close it first.
	last := open(b)
	b.Run("copy", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			dst := last
			if i > 0 {
				b.StopTimer()
				dst = open(b)
				b.StartTimer()
			}
			stats, err := Copy(ctx, src, dst, "bench")
			if err != nil {
				b.Fatal(err)
			}
			if stats["objects"] != n {
				b.Fatalf("copied %d objects", stats["objects"])
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		if last == nil {
			b.Skip("no copy")
		}
		for b.Loop() {
			r, err := Verify(ctx, src, last)
			if err != nil {
				b.Fatal(err)
			}
			if bad := r.Mismatches(); len(bad) > 0 {
				b.Fatalf("mismatches %v", bad)
			}
		}
	})
}
