package ical

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/teambition/rrule-go"
)

// BenchmarkDaysOf: what evaluating one rule's day filters costs
// (probeWork), against the rrule-go probe over 401 years it replaces.
func BenchmarkDaysOf(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	long, err := rrule.StrToROption(yeardayRule(r, 200))
	if err != nil {
		b.Fatal(err)
	}
	weeks := &rrule.ROption{Byweekno: []int{1, 20, 52, 53}, Byweekday: byDay(rrule.MO, rrule.FR), Wkst: rrule.SU}
	for _, c := range []struct {
		name string
		o    *rrule.ROption
	}{{"yearday200", long}, {"weekno", weeks}} {
		normalize(c.o)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				daysOf(c.o)
			}
		})
		b.Run(c.name+"/rrule-go", func(b *testing.B) {
			for b.Loop() {
				rruleDays(b, c.o, 9198, 401)
			}
		})
	}
}

// BenchmarkParseRule: reading one rule (ruleWork; probeWork on top for
// day filters).
func BenchmarkParseRule(b *testing.B) {
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewSource(1))
	for _, rule := range []string{"FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20270101T000000Z", "FREQ=DAILY;BYHOUR=9", yeardayRule(r, 200)} {
		b.Run(rule[:min(len(rule), 30)], func(b *testing.B) {
			for b.Loop() {
				if _, _, err := parseRule(rule, start, false, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValidateObject_Yearday: a PUT of 20 components with 16
// distinct FREQ=HOURLY;BYYEARDAY rules each (250 KB). With the rrule-go
// probe and its cache of 4,096 filter sets, seconds each.
func BenchmarkValidateObject_Yearday(b *testing.B) {
	seed := time.Now().UnixNano() // new filters each run, as an attacker would send
	data := yeardayObject(seed, 20, 16, 200)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ValidateObject(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateObject_ManyRules: 10 MiB of components with 16 short
// rules each (320,000 rules), which took 6 to 7 s to check; now refused
// once the rules read have spent the PUT's budget.
func BenchmarkValidateObject_ManyRules(b *testing.B) {
	lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"}
	size := 0
	for c := 0; size < 10<<20-4096; c++ {
		l := []string{"BEGIN:VEVENT", "UID:many", "DTSTART:20260101T000000Z"}
		if c > 0 {
			rid := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(c) * time.Hour)
			l = append(l, "RECURRENCE-ID:"+rid.Format("20060102T150405Z"))
		}
		for k := range 16 {
			l = append(l, fmt.Sprintf("RRULE:FREQ=DAILY;BYHOUR=%d", k))
		}
		l = append(l, "END:VEVENT")
		for _, line := range l {
			size += len(line) + 2
		}
		lines = append(lines, l...)
	}
	data := ics(append(lines, "END:VCALENDAR")...)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ValidateObject(data); err == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkValidateObject_ManyZoneNames: a PUT naming 20,000 zones by
// vendor-prefixed names nobody looked up before (two zone file lookups
// each); refused once the lookups have spent the PUT's budget.
func BenchmarkValidateObject_ManyZoneNames(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		lines := []string{"UID:z", "DTSTART:20260101T000000Z"}
		for range 20000 {
			lines = append(lines, fmt.Sprintf("X-ZONE;TZID=/vendor%d/Europe/Berlin:x", fresh()))
		}
		data := event(lines...)
		b.StartTimer()
		if _, err := ValidateObject(data); err == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkWorkUnit measures what one unit of work costs in the walks
// the units were calibrated on, rules that step (doc.go, "Cost": 20 to
// 45 ns a unit on two busy cores), so that what reading costs
// (ruleWork, probeWork, zoneWork, loadWork) is set in the same units on
// the same machine: ns/unit.
func BenchmarkWorkUnit(b *testing.B) {
	for _, rule := range []string{
		"FREQ=SECONDLY;BYHOUR=12;BYMINUTE=0;BYSECOND=0",                    // one second a day
		"FREQ=MINUTELY;BYHOUR=9,10,11,12,13,14,15,16;BYDAY=MO,TU,WE,TH,FR", // office hours
	} {
		b.Run(rule[:20], func(b *testing.B) {
			cal, err := Parse(event("UID:unit", "DTSTART:20260101T120000Z", "RRULE:"+rule))
			if err != nil {
				b.Fatal(err)
			}
			opts := InstanceOptions{From: utc(b, "20260101T000000Z"), To: utc(b, "20360101T000000Z")}
			var units int64
			for b.Loop() {
				opts.Budget = NewBudget(RequestWork)
				if _, err := Instances(cal, opts, func(Instance) bool { return true }); err != nil {
					b.Fatal(err)
				}
				units += opts.Budget.Used()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(units), "ns/unit")
		})
	}
}

// BenchmarkLoadLocation_Miss: a zone name that is none, not cached
// (loadWork).
func BenchmarkLoadLocation_Miss(b *testing.B) {
	n := 0
	for b.Loop() {
		n++
		if _, ok := LoadLocation(fmt.Sprintf("Nowhere/Bench%d-%d", fresh(), n)); ok {
			b.Fatal("resolved")
		}
	}
}

// BenchmarkVTimezone_Fixed: building a VTIMEZONE without rules
// (zoneWork).
func BenchmarkVTimezone_Fixed(b *testing.B) {
	cal, err := Parse(ics("BEGIN:VCALENDAR", "BEGIN:VTIMEZONE", "TZID:Fixed", "BEGIN:STANDARD",
		"DTSTART:19700101T000000", "TZOFFSETFROM:+0130", "TZOFFSETTO:+0130", "TZNAME:FIX", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:19800101T000000", "TZOFFSETFROM:+0130", "TZOFFSETTO:+0230", "TZNAME:FIXD",
		"END:DAYLIGHT", "END:VTIMEZONE", "END:VCALENDAR"))
	if err != nil {
		b.Fatal(err)
	}
	vtz := cal.Children[0]
	for b.Loop() {
		if _, ok, _ := buildVTimezone("Fixed", vtz, nil); !ok {
			b.Fatal("no zone")
		}
	}
}

// BenchmarkReadingInUnits sets what reading costs against what walking
// costs on the same machine at the same moment: each iteration times a
// stepping walk (the kind of work the units were set on) and each kind
// of reading, interleaved so that the load of a shared machine weighs on
// both alike, and reports each reading's cost in units, to compare with
// ruleWork (+ a unit a byte), probeWork, zoneWork and loadWork.
func BenchmarkReadingInUnits(b *testing.B) {
	cal, err := Parse(event("UID:unit", "DTSTART:20260101T120000Z", "RRULE:FREQ=SECONDLY;BYHOUR=12;BYMINUTE=0;BYSECOND=0"))
	if err != nil {
		b.Fatal(err)
	}
	walkOpts := InstanceOptions{From: utc(b, "20260101T000000Z"), To: utc(b, "20260301T000000Z")}
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewSource(1))
	long := yeardayRule(r, 200)
	longOpt, err := rrule.StrToROption(long)
	if err != nil {
		b.Fatal(err)
	}
	normalize(longOpt)
	vtz, err := Parse(ics("BEGIN:VCALENDAR", "BEGIN:VTIMEZONE", "TZID:Fixed", "BEGIN:STANDARD",
		"DTSTART:19700101T000000", "TZOFFSETFROM:+0130", "TZOFFSETTO:+0130", "TZNAME:FIX", "END:STANDARD",
		"END:VTIMEZONE", "END:VCALENDAR"))
	if err != nil {
		b.Fatal(err)
	}
	reads := []struct {
		name string
		f    func(i int)
	}{
		{"rule", func(int) { parseRule("FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20270101T000000Z", start, false, nil) }},
		{"rule-yearday200", func(int) { parseRule(long, start, false, nil) }},
		{"daysOf-yearday200", func(int) { daysOf(longOpt) }},
		{"zone", func(int) { buildVTimezone("Fixed", vtz.Children[0], nil) }},
		{"load-miss", func(i int) { LoadLocation(fmt.Sprintf("Nowhere/Units%d-%d", fresh(), i)) }},
	}
	var walkNs, units int64
	readNs := make([]int64, len(reads))
	const reps = 20
	for i := 0; b.Loop(); i++ {
		t := time.Now()
		walkOpts.Budget = NewBudget(RequestWork)
		if _, err := Instances(cal, walkOpts, func(Instance) bool { return true }); err != nil {
			b.Fatal(err)
		}
		walkNs += time.Since(t).Nanoseconds()
		units += walkOpts.Budget.Used()
		for k, rd := range reads {
			t := time.Now()
			for j := range reps {
				rd.f(i*reps + j)
			}
			readNs[k] += time.Since(t).Nanoseconds()
		}
	}
	perUnit := float64(walkNs) / float64(units)
	b.ReportMetric(perUnit, "ns/unit")
	for k, rd := range reads {
		b.ReportMetric(float64(readNs[k])/reps/float64(b.N)/perUnit, rd.name+"-units")
	}
}
