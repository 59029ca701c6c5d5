package storage

import (
	"testing"
	"time"
)

func TestSpanOverlaps(t *testing.T) {
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	var zero time.Time
	// The span of most cases: 10 March 10:00-12:00.
	span := Span{Known: true, Start: at(10, 10), End: at(10, 12)}
	open := Span{Known: true, Start: at(10, 10), Open: true}
	instant := Span{Known: true, Start: at(10, 10), End: at(10, 10)}
	tests := []struct {
		name       string
		span       Span
		start, end time.Time
		want       bool
	}{
		{"before", span, at(10, 13), at(10, 14), false},
		{"after", span, at(10, 8), at(10, 9), false},
		{"inside", span, at(10, 10), at(10, 11), true},
		{"around", span, at(9, 0), at(11, 0), true},
		{"overlaps start", span, at(10, 9), at(10, 11), true},
		{"overlaps end", span, at(10, 11), at(10, 13), true},
		// Range end at the span start: [start, end) excludes it.
		{"touching range end", span, at(10, 8), at(10, 10), false},
		// Range start at the span end: kept, a prefilter may over-include
		// and a zero-length instance at the range start matches.
		{"touching range start", span, at(10, 12), at(10, 13), true},
		{"instant at range start", instant, at(10, 10), at(10, 11), true},
		{"instant at range end", instant, at(10, 9), at(10, 10), false},
		{"open, range later", open, at(20, 0), at(21, 0), true},
		{"open, range years later", open, time.Date(2090, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2090, 2, 1, 0, 0, 0, 0, time.UTC), true},
		{"open, range before", open, at(9, 0), at(10, 9), false},
		{"open, range end at start", open, at(9, 0), at(10, 10), false},
		{"unknown", Span{}, at(1, 0), at(2, 0), true},
		{"unknown with stray times", Span{Start: at(10, 10), End: at(10, 12)}, at(1, 0), at(2, 0), true},
		{"no start, end after span start", span, zero, at(10, 11), true},
		{"no start, end at span start", span, zero, at(10, 10), false},
		{"no end, start before span end", span, at(10, 11), zero, true},
		{"no end, start after span end", span, at(10, 13), zero, false},
		{"no end, open span", open, at(30, 0), zero, true},
		{"unbounded both", span, zero, zero, true},
	}
	for _, tc := range tests {
		if got := tc.span.Overlaps(tc.start, tc.end); got != tc.want {
			t.Errorf("%s: %+v.Overlaps(%v, %v) = %v, want %v", tc.name, tc.span, tc.start, tc.end, got, tc.want)
		}
	}
}
