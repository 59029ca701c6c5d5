package ical

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// yeardayRule is FREQ=HOURLY with a BYYEARDAY list of n days drawn from
// r: a rule whose day filters every PUT and query must evaluate, and
// which the 400-year rrule-go probe took longest on.
func yeardayRule(r *rand.Rand, n int) string {
	var days []string
	for _, d := range r.Perm(366)[:n] {
		days = append(days, fmt.Sprint(d+1))
	}
	return "FREQ=HOURLY;BYYEARDAY=" + strings.Join(days, ",")
}

// yeardayObject is one master and comps-1 overrides with rules yearday
// rules of days days each, all different (seeded by seed): no cache of
// day filters could have seen them.
func yeardayObject(seed int64, comps, rules, days int) []byte {
	r := rand.New(rand.NewSource(seed))
	lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"}
	for c := range comps {
		lines = append(lines, "BEGIN:VEVENT", "UID:yearday", "DTSTAMP:20260101T000000Z", "DTSTART:20260101T000000Z")
		if c > 0 {
			rid := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(c) * time.Hour)
			lines = append(lines, "RECURRENCE-ID:"+rid.Format("20060102T150405Z"))
		}
		for range rules {
			lines = append(lines, "RRULE:"+yeardayRule(r, days))
		}
		lines = append(lines, "END:VEVENT")
	}
	lines = append(lines, "END:VCALENDAR")
	return ics(lines...)
}

// vtimezone is a VTIMEZONE named tzid whose one observance starts every
// year with rule.
func vtimezone(tzid, rule string) []string {
	return []string{"BEGIN:VTIMEZONE", "TZID:" + tzid, "BEGIN:STANDARD", "DTSTART:19700101T000000",
		"TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "TZNAME:XST", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "RRULE:" + rule,
		"TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:XDT", "END:DAYLIGHT", "END:VTIMEZONE"}
}

// costlyOnsets is an onset rule within the work limits whose walk to
// 2100 costs a whole WalkWork (88,206 candidate times a year for one
// onset), while rrule-go spends little time on it.
var costlyOnsets = strings.TrimPrefix(strings.Replace(yearlyCostly, ";UNTIL=20351231T235959Z", "", 1), "RRULE:")

// zonedObject is an event with one VTIMEZONE per tzid, each named by a
// property of the event, so that checking it builds them all.
func zonedObject(rule string, tzids []string) []byte {
	lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"}
	for _, id := range tzids {
		lines = append(lines, vtimezone(id, rule)...)
	}
	lines = append(lines, "BEGIN:VEVENT", "UID:zoned", "DTSTAMP:20260101T000000Z", "DTSTART:20260101T000000Z")
	for _, id := range tzids {
		lines = append(lines, "X-ZONE;TZID="+id+":x")
	}
	lines = append(lines, "END:VEVENT", "END:VCALENDAR")
	return ics(lines...)
}

func freshTZIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("Custom Zone %d", fresh())
	}
	return ids
}

// TestValidateObject_ManyCostlyVTimezones: building a VTIMEZONE walks its
// onsets, up to a walk's budget (WalkWork); a PUT had no budget of its
// own, so an object with many VTIMEZONEs, each named by a TZID, cost one
// PUT as many walks. The PUT's checks now run under one budget (a
// request's worth): an object whose zones cost more is refused, saying
// why; one with as many VTIMEZONEs of the usual kind is stored.
func TestValidateObject_ManyCostlyVTimezones(t *testing.T) {
	// What one costly zone costs to build, alone.
	one := NewBudget(RequestWork)
	id := freshTZIDs(1)[0]
	cal, err := Parse(zonedObject(costlyOnsets, []string{id}))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ZonesWithin(cal, one).Lookup(id); !ok || one.Used() < WalkWork/2 {
		t.Fatalf("one costly VTIMEZONE: resolved %v, cost %d; the test wants one that costs a walk", ok, one.Used())
	}
	n := int(RequestWork/one.Used()) + 2

	_, err = ValidateObject(zonedObject(costlyOnsets, freshTZIDs(n)))
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Kind != InvalidData || !strings.Contains(ve.Reason, "too costly to check") {
		t.Fatalf("%d costly VTIMEZONEs: err = %v; want InvalidData, too costly to check", n, err)
	}
	if _, err := ValidateObject(zonedObject("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", freshTZIDs(n))); err != nil {
		t.Fatalf("%d ordinary VTIMEZONEs: %v", n, err)
	}
}

// TestInstances_RuleReadingCharged: at query time, reading a stored
// object's rules, each with day filters to evaluate (the 400-year probe
// that estimating a rule's cost takes), was not charged to the request's
// budget, so a report over objects whose walks cost little but whose
// rules cost much to read was never cut. Now reading is charged: with a
// budget smaller than what reading 16 such rules takes, the walk is cut
// and says so.
func TestInstances_RuleReadingCharged(t *testing.T) {
	cal, err := Parse(yeardayObject(int64(fresh()), 1, 16, 20))
	if err != nil {
		t.Fatal(err)
	}
	opts := InstanceOptions{From: utc(t, "20260601T000000Z"), To: utc(t, "20260601T010000Z")}
	opts.Budget = NewBudget(RequestWork)
	if truncated, err := Instances(cal, opts, func(Instance) bool { return true }); err != nil || truncated {
		t.Fatalf("with a request's budget: truncated %v, err %v", truncated, err)
	}
	opts.Budget = NewBudget(5_000)
	truncated, err := Instances(cal, opts, func(Instance) bool { return true })
	if err != nil || !truncated {
		t.Fatalf("with 5,000 units: truncated %v, err %v; want truncated: reading 16 rules costs more", truncated, err)
	}
}

// TestZones_FoldedTZID: a TZID that names an object's VTIMEZONE in
// another case or with spaces around resolves to it, and when two
// VTIMEZONEs fold alike, to the first in the object, every time (it was
// whichever a map iteration met first).
func TestZones_FoldedTZID(t *testing.T) {
	plus1 := []string{"BEGIN:VTIMEZONE", "TZID:My Zone", "BEGIN:STANDARD", "DTSTART:19700101T000000",
		"TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE"}
	plus3 := []string{"BEGIN:VTIMEZONE", "TZID:MY ZONE", "BEGIN:STANDARD", "DTSTART:19700101T000000",
		"TZOFFSETFROM:+0300", "TZOFFSETTO:+0300", "END:STANDARD", "END:VTIMEZONE"}
	body := []string{"BEGIN:VCALENDAR"}
	body = append(append(body, plus1...), plus3...)
	cal, err := Parse(ics(append(body, "END:VCALENDAR")...))
	if err != nil {
		t.Fatal(err)
	}
	offset := func(tzid string) int {
		loc, ok := ZonesOf(cal).Lookup(tzid)
		if !ok {
			t.Fatalf("%q does not resolve", tzid)
		}
		_, off := utc(t, "20260101T000000Z").In(loc).Zone()
		return off / 3600
	}
	for range 20 {
		for _, tt := range []struct {
			tzid string
			want int
		}{{"My Zone", 1}, {"MY ZONE", 3}, {"my zone", 1}, {" My zone ", 1}, {"MY ZONE ", 1}} {
			if got := offset(tt.tzid); got != tt.want {
				t.Fatalf("%q: UTC%+d, want UTC%+d", tt.tzid, got, tt.want)
			}
		}
	}
}
