package ical

import (
	"testing"
	"time"
)

func benchInstances(b *testing.B, lines []string, from, to time.Time) {
	cal, err := Parse(object(lines...))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if _, err := Instances(cal, InstanceOptions{From: from, To: to}, func(Instance) bool { n++; return true }); err != nil {
			b.Fatal(err)
		}
	}
}

var month2026 = [2]time.Time{time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}

// A daily series since 2000 queried for one month 26 years on: skipping
// ahead keeps this independent of the series' age.
func BenchmarkInstances_DailySince2000(b *testing.B) {
	benchInstances(b, vev("DTSTART;TZID=Europe/Berlin:20000103T090000", "DURATION:PT30M", "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"),
		month2026[0], month2026[1])
}

// The same with a COUNT, which must be walked from its start.
func BenchmarkInstances_DailyCountSince2000(b *testing.B) {
	benchInstances(b, vev("DTSTART;TZID=Europe/Berlin:20000103T090000", "DURATION:PT30M", "RRULE:FREQ=DAILY;COUNT=20000"),
		month2026[0], month2026[1])
}

// An Outlook-style object: Windows TZID defined by its own VTIMEZONE
// (resolved by name), weekly with overrides.
func BenchmarkInstances_OutlookWeekly(b *testing.B) {
	benchInstances(b, join(vtz("Customized Time Zone",
		"BEGIN:STANDARD", "DTSTART:16011028T030000", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
		"TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:16010325T020000", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
		"TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT"),
		vev("DTSTART;TZID=Customized Time Zone:20200106T100000", "DTEND;TZID=Customized Time Zone:20200106T110000", "RRULE:FREQ=WEEKLY;BYDAY=MO"),
		vev("RECURRENCE-ID;TZID=Customized Time Zone:20260309T100000", "DTSTART;TZID=Customized Time Zone:20260310T150000",
			"DTEND;TZID=Customized Time Zone:20260310T160000"),
	), month2026[0], month2026[1])
}

// Building a location from a VTIMEZONE (uncached).
func BenchmarkVTimezoneBuild(b *testing.B) {
	cal, err := Parse(object(vtz("X", euRules...)...))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, _ := buildVTimezone("X", cal.Children[0], nil); !ok {
			b.Fatal("not built")
		}
	}
}

func BenchmarkSpan(b *testing.B) {
	cal, err := Parse(object(vev("DTSTART;TZID=Europe/Berlin:20240103T090000", "DURATION:PT30M", "RRULE:FREQ=WEEKLY;COUNT=500")...))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Span(cal)
	}
}
