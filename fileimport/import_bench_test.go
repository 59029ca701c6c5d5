package fileimport_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"almanac/fileimport"
	"almanac/server/servertest"
	"almanac/storage"
)

// benchCalendar is an export of n events in a VTIMEZONE, every tenth
// recurring with one moved instance.
func benchCalendar(n int) string {
	var b strings.Builder
	b.WriteString(lines("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN", "METHOD:PUBLISH",
		"BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "BEGIN:STANDARD", "DTSTART:19701025T030000",
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
		"TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT", "END:VTIMEZONE"))
	for i := range n {
		day := fmt.Sprintf("2026%02d%02d", 1+i%12, 1+i%28)
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:event-%d@example.com\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:%sT090000\r\nDURATION:PT1H\r\nSUMMARY:Event %d\r\n", i, day, i)
		if i%10 == 0 {
			b.WriteString("RRULE:FREQ=WEEKLY;COUNT=20\r\nEND:VEVENT\r\n")
			fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:event-%d@example.com\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:%sT090000\r\nDTSTART;TZID=Europe/Berlin:%sT110000\r\nDURATION:PT1H\r\nSUMMARY:Event %d (moved)\r\nEND:VEVENT\r\n", i, day, day, i)
			continue
		}
		b.WriteString("END:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

// BenchmarkImportCalendar imports a 1,000-event export into an empty
// calendar (split, a PUT's checks per object, one batch write) and
// reports objects per second; /dry_run checks and plans only.
func BenchmarkImportCalendar(b *testing.B) {
	const n = 1000
	file := benchCalendar(n)
	for _, dry := range []bool{false, true} {
		name := "write"
		if dry {
			name = "dry_run"
		}
		b.Run(name, func(b *testing.B) {
			env := servertest.New(b)
			jane := env.Account("jane@example.com")
			b.SetBytes(int64(len(file)))
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				coll := fmt.Sprintf("bench%d", i)
				if err := env.Store.CreateCollection(b.Context(), &storage.Collection{Owner: jane.ID, Name: coll, Kind: storage.KindCalendar}); err != nil {
					b.Fatal(err)
				}
				path := fileimport.CalendarsPath + "/" + coll + "/import"
				if dry {
					path += "?dry_run=true"
				}
				b.StartTimer()
				rec := env.Do(http.MethodPost, path, jane.Login, file, "Content-Type", "text/calendar")
				if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), fmt.Sprintf(`"created":%d,`, n)) {
					b.Fatalf("import: %d %.300s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}
