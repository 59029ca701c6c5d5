package caldav_test

import (
	"fmt"
	"testing"

	"almanac/caldav"
)

// secondlyEvent costs a walk over all of time its whole work budget, in
// rrule-go's time as well as in units: one second a day as SECONDLY
// steps 86,400 times per occurrence.
func secondlyEvent(i int) string {
	return calendar([]string{"BEGIN:VEVENT", fmt.Sprintf("UID:secondly-%d", i), "DTSTAMP:20260101T000000Z",
		"DTSTART:20260101T090000Z", "DTEND:20260101T091500Z", "RRULE:FREQ=SECONDLY;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "END:VEVENT"})
}

// benchReport runs one report per iteration over n objects made by data.
func benchReport(b *testing.B, n int, data func(int) string, body func(e *env, names []string) string) {
	e := newEnv(b, caldav.Options{})
	name := func(i int) string { return fmt.Sprintf("obj-%04d.ics", i) }
	fillWith(b, e, "default", n, name, data)
	var hrefs []string
	for i := range n {
		hrefs = append(hrefs, e.obj("default", name(i)))
	}
	q := body(e, hrefs)
	b.ResetTimer()
	for b.Loop() {
		if rec := e.report(e.cal("default"), q, "1"); rec.Code != 207 && rec.Code != 200 {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// What one report over n objects that each cost a walk's whole budget
// costs: n walks before requests had a budget of their own, at most
// RequestWork's worth (16 walks) after, whatever n.
func BenchmarkReport_CostlyMultigetExpand(b *testing.B) {
	for _, n := range []int{50, 200} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			benchReport(b, n, secondlyEvent, func(e *env, hrefs []string) string {
				return multiget(`<C:calendar-data><C:expand start="19000101T000000Z" end="99991231T235959Z"/></C:calendar-data>`, hrefs...)
			})
		})
	}
}

func BenchmarkReport_CostlyFreeBusy(b *testing.B) {
	for _, n := range []int{50, 200} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			benchReport(b, n, secondlyEvent, func(*env, []string) string {
				return freeBusyQuery(`<C:time-range start="19000101T000000Z" end="99991231T235959Z"/>`)
			})
		})
	}
}

// An ordinary calendar of 3,000 recurring events expanded over a month:
// the request's budget costs nothing noticeable.
func BenchmarkReport_OrdinaryQueryExpandMonth(b *testing.B) {
	benchReport(b, 3000, ordinaryEvent, func(*env, []string) string {
		return `<C:calendar-query ` + nsDecl + `><D:prop><C:calendar-data><C:expand start="20260301T000000Z" end="20260401T000000Z"/>` +
			`</C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` +
			`<C:time-range start="20260301T000000Z" end="20260401T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
	})
}
