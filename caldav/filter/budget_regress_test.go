package filter

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-ical"

	aical "almanac/internal/ical"
)

var zoneRun atomic.Int64

// TestMatchCut_RequestBudgetSpent: once the request's budget is spent, an
// object whose answer needs a recurrence walk, or a time zone not built
// yet, is undecided: it matches and says it was cut, never dropped
// silently. What needs no walk is still decided, and not marked.
func TestMatchCut_RequestBudgetSpent(t *testing.T) {
	// A VTIMEZONE no earlier run has built (its TZNAME differs).
	zone := []string{"BEGIN:VTIMEZONE", "TZID:Filter Budget Time",
		"BEGIN:STANDARD", "DTSTART:16011028T030000", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
		"TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", fmt.Sprintf("TZNAME:FBT%d", zoneRun.Add(1)), "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:16010325T020000", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
		"TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT", "END:VTIMEZONE"}
	daily := parseCal(t, vevent("DTSTART:20260101T090000Z", "DTEND:20260101T100000Z", "RRULE:FREQ=DAILY", "SUMMARY:standup")...)
	inRange := parseCal(t, vevent("DTSTART:20260310T090000Z", "DTEND:20260310T100000Z")...)
	outOfRange := parseCal(t, vevent("DTSTART:20270310T090000Z", "DTEND:20270310T100000Z")...)
	zoned := parseCal(t, append(zone, vevent("DTSTART;TZID=Filter Budget Time:20260310T100000", "DURATION:PT1H")...)...)
	march := rng(t, "20260301T000000Z", "20260401T000000Z")
	tests := []struct {
		name       string
		cal        *ical.Calendar
		f          *Filter
		match, cut bool
	}{
		{"recurring", daily, vcal(CompFilter{Name: "VEVENT", TimeRange: march}), true, true},
		{"recurring, text decides first", daily, vcal(CompFilter{Name: "VEVENT", TimeRange: march,
			Props: []PropFilter{{Name: "SUMMARY", TextMatch: &TextMatch{Value: "retro"}}}}), false, false},
		{"single, in range", inRange, vcal(CompFilter{Name: "VEVENT", TimeRange: march}), true, false},
		{"single, out of range", outOfRange, vcal(CompFilter{Name: "VEVENT", TimeRange: march}), false, false},
		{"zone not built", zoned, vcal(CompFilter{Name: "VEVENT", TimeRange: rng(t, "20270301T000000Z", "20270401T000000Z")}), true, true},
	}
	for _, tt := range tests {
		tt.f.Budget = aical.NewBudget(0) // spent
		match, cut, err := tt.f.MatchCut(tt.cal)
		if err != nil || match != tt.match || cut != tt.cut {
			t.Errorf("%s: match %v cut %v err %v, want %v %v", tt.name, match, cut, err, tt.match, tt.cut)
		}
	}
	// With budget to spare, each is decided.
	f := vcal(CompFilter{Name: "VEVENT", TimeRange: rng(t, "20270301T000000Z", "20270401T000000Z")})
	f.Budget = aical.NewBudget(aical.RequestWork)
	for name, cal := range map[string]*ical.Calendar{"recurring": daily, "zoned": zoned} {
		match, cut, err := f.MatchCut(cal)
		if err != nil || match != (name == "recurring") || cut {
			t.Errorf("%s with budget: match %v cut %v err %v", name, match, cut, err)
		}
	}
}
