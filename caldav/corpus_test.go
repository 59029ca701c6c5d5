package caldav_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/caldav"
	"almanac/storage"
)

// The corpus is a year and a half of a busy calendar, 2025-07-01 to
// 2026-12-31: single events in UTC and in Europe/Zurich, all-day events,
// floating ones, weekly series with COUNT and EXDATE, short daily series,
// series with a moved instance, and every thousandth object a weekly
// series without end. Deterministic, so tests can reason about it.
const (
	corpusDays = 549 // 2025-07-01 .. 2026-12-31
	corpusDesc = "Agenda: status of the open items, review of the last sprint, planning of the next steps, " +
		"questions from the team, any other business. Please read the notes beforehand. "
)

var corpusFirst = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

// zurichVTimezone is the VTIMEZONE block of tzZurich.
var zurichVTimezone = tzZurich[strings.Index(tzZurich, "BEGIN:VTIMEZONE"):strings.Index(tzZurich, "END:VCALENDAR")]

func corpusName(i int) string { return fmt.Sprintf("ev-%05d.ics", i) }

// corpusEvent returns object i of the corpus.
func corpusEvent(i int) string {
	day := corpusFirst.AddDate(0, 0, (i*7919)%corpusDays)
	hour := 7 + i%11
	at := func(d time.Time, h, m int) string {
		return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, time.UTC).Format("20060102T150405")
	}
	date := func(d time.Time) string { return d.Format("20060102") }
	uid := fmt.Sprintf("corpus-%05d@example.com", i)
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//almanac//corpus//EN\r\n")
	kind := i % 20
	if i%1000 == 500 {
		kind = -1
	}
	if kind == -1 || (kind >= 10 && kind <= 12) || kind == 15 || kind == 16 {
		b.WriteString(zurichVTimezone)
	}
	b.WriteString("BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20250601T120000Z\r\n")
	switch {
	case kind == -1: // weekly without end, started early
		start := corpusFirst.AddDate(0, 0, i%7)
		b.WriteString("DTSTART;TZID=Europe/Zurich:" + at(start, 9, 0) + "\r\nDTEND;TZID=Europe/Zurich:" + at(start, 9, 30) + "\r\n")
		b.WriteString("RRULE:FREQ=WEEKLY\r\nSUMMARY:Stand-up " + fmt.Sprint(i) + "\r\n")
	case kind < 10: // single, UTC
		b.WriteString("DTSTART:" + at(day, hour, 0) + "Z\r\nDTEND:" + at(day, hour, 30+30*(i%3)) + "Z\r\n")
		b.WriteString("SUMMARY:Meeting " + fmt.Sprint(i) + "\r\nLOCATION:Room " + fmt.Sprint(i%40) + "\r\n")
	case kind <= 12: // single, Zurich
		b.WriteString("DTSTART;TZID=Europe/Zurich:" + at(day, hour, 0) + "\r\nDTEND;TZID=Europe/Zurich:" + at(day, hour+1, 0) + "\r\n")
		b.WriteString("SUMMARY:Call " + fmt.Sprint(i) + "\r\n")
	case kind <= 14: // all day, one to three days
		b.WriteString("DTSTART;VALUE=DATE:" + date(day) + "\r\nDTEND;VALUE=DATE:" + date(day.AddDate(0, 0, 1+i%3)) + "\r\n")
		b.WriteString("SUMMARY:Away " + fmt.Sprint(i) + "\r\nTRANSP:TRANSPARENT\r\n")
	case kind <= 16: // weekly, COUNT, one EXDATE
		b.WriteString("DTSTART;TZID=Europe/Zurich:" + at(day, hour, 0) + "\r\nDTEND;TZID=Europe/Zurich:" + at(day, hour, 45) + "\r\n")
		b.WriteString(fmt.Sprintf("RRULE:FREQ=WEEKLY;COUNT=%d\r\n", 8+i%5))
		b.WriteString("EXDATE;TZID=Europe/Zurich:" + at(day.AddDate(0, 0, 14), hour, 0) + "\r\n")
		b.WriteString("SUMMARY:Series " + fmt.Sprint(i) + "\r\n")
	case kind == 17: // floating
		b.WriteString("DTSTART:" + at(day, hour, 0) + "\r\nDTEND:" + at(day, hour+1, 0) + "\r\n")
		b.WriteString("SUMMARY:Gym " + fmt.Sprint(i) + "\r\n")
	case kind == 18: // five days in a row
		b.WriteString("DTSTART:" + at(day, hour, 0) + "Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;UNTIL=" + at(day.AddDate(0, 0, 4), 23, 59) + "Z\r\n")
		b.WriteString("SUMMARY:Workshop " + fmt.Sprint(i) + "\r\n")
	default: // weekly with one instance moved by a day
		b.WriteString("DTSTART:" + at(day, hour, 0) + "Z\r\nDTEND:" + at(day, hour+1, 0) + "Z\r\nRRULE:FREQ=WEEKLY;COUNT=6\r\n")
		b.WriteString("SUMMARY:Review " + fmt.Sprint(i) + "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20250601T120000Z\r\n")
		moved := day.AddDate(0, 0, 14)
		b.WriteString("RECURRENCE-ID:" + at(moved, hour, 0) + "Z\r\nDTSTART:" + at(moved.AddDate(0, 0, 1), hour, 0) + "Z\r\nDTEND:" + at(moved.AddDate(0, 0, 1), hour+1, 0) + "Z\r\n")
		b.WriteString("SUMMARY:Review " + fmt.Sprint(i) + " (moved)\r\n")
	}
	b.WriteString("DESCRIPTION:" + corpusDesc[:60+i%(len(corpusDesc)-60)] + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	return b.String()
}

// fillCorpus stores objects 0..n-1 of the corpus in cal, each with the
// span a PUT computes, from a few writers so group commit shares fsyncs.
func fillCorpus(tb testing.TB, e *env, cal string, n int) {
	tb.Helper()
	ctx := context.Background()
	const writers = 16
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		fail error
	)
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				p, err := caldav.PutObjectOf(e.alice.ID, cal, corpusName(i), []byte(corpusEvent(i)))
				if err == nil {
					_, _, err = e.store.Put(ctx, p)
				}
				if err != nil {
					mu.Lock()
					fail = fmt.Errorf("object %d: %w", i, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if fail != nil {
		tb.Fatal(fail)
	}
}

// spanCandidates lists the members whose stored span overlaps [start, end).
func spanCandidates(tb testing.TB, e *env, cal string, start, end time.Time) map[string]bool {
	tb.Helper()
	out := map[string]bool{}
	err := e.store.List(context.Background(), e.alice.ID, cal, func(m *storage.ObjectMeta) error {
		if m.Span.Overlaps(start, end) {
			out[m.Name] = true
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
