package backup_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"almanac/internal/backup"
	"almanac/storage"
	"almanac/storage/bolt"
)

// countingWriter counts what passes.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkWrite10k writes an archive of a store of 10,000 events of
// about 1 KB, plain and gzipped: the time a backup holds its snapshot
// and what it costs on disk.
func BenchmarkWrite10k(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "almanac.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := b.Context()
	acc := &storage.Account{Login: "bench@example.org"}
	if err := db.CreateAccount(ctx, acc); err != nil {
		b.Fatal(err)
	}
	if err := db.CreateCollection(ctx, &storage.Collection{Owner: acc.ID, Name: "cal", Kind: storage.KindCalendar}); err != nil {
		b.Fatal(err)
	}
	// Sixteen writers share fsyncs (group commit), so filling is quick.
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < 10_000; i += 16 {
				uid := fmt.Sprintf("event-%05d", i)
				data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
					"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:Meeting " + uid +
					"\r\nDESCRIPTION:" + strings.Repeat("Agenda item and notes. ", 35) + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
				if _, _, err := db.Put(ctx, storage.PutObject{Owner: acc.ID, Collection: "cal", Name: uid + ".ics", UID: uid, Data: []byte(data)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, gz := range []bool{false, true} {
		b.Run(map[bool]string{false: "tar", true: "tar.gz"}[gz], func(b *testing.B) {
			var size int64
			for b.Loop() {
				var c countingWriter
				m, err := backup.Write(ctx, &c, db, backup.Options{Gzip: gz, Almanac: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				size = c.n
				b.SetBytes(m.Database().Size)
			}
			b.ReportMetric(float64(size)/(1<<20), "archive-MiB")
		})
	}
}
