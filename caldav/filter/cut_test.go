package filter

import "testing"

// TestMatchCut: a time-range test that matches only because the
// expansion was cut short says so; a real match, a non-match and a
// match the other conditions reject do not.
func TestMatchCut(t *testing.T) {
	// A COUNT this large is walked from DTSTART: with max-instances 3,
	// 30 occurrences are walked, not enough to reach 2027.
	daily := parseCal(t, vevent("DTSTART:20260101T090000Z", "DTEND:20260101T100000Z", "RRULE:FREQ=DAILY;COUNT=300000", "SUMMARY:standup")...)
	tests := []struct {
		name       string
		f          *Filter
		max        int
		match, cut bool
	}{
		{"instance found", vcal(CompFilter{Name: "VEVENT", TimeRange: rng(t, "20260102T000000Z", "20260103T000000Z")}), 3, true, false},
		{"cap before the range", vcal(CompFilter{Name: "VEVENT", TimeRange: rng(t, "20270301T083000Z", "20270301T084500Z")}), 3, true, true},
		{"complete: no instance", vcal(CompFilter{Name: "VEVENT", TimeRange: rng(t, "20270301T083000Z", "20270301T084500Z")}), 0, false, false},
		{"cut, but another test fails", vcal(CompFilter{Name: "VEVENT", TimeRange: rng(t, "20270301T083000Z", "20270301T084500Z"),
			Props: []PropFilter{{Name: "SUMMARY", TextMatch: &TextMatch{Value: "retro"}}}}), 3, false, false},
	}
	for _, tt := range tests {
		tt.f.MaxInstances = tt.max
		match, cut, err := tt.f.MatchCut(daily)
		if err != nil || match != tt.match || cut != tt.cut {
			t.Errorf("%s: match %v cut %v err %v, want %v %v", tt.name, match, cut, err, tt.match, tt.cut)
		}
	}
}
