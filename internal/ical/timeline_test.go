package ical

import (
	"testing"
	"time"
)

func TestTimeline(t *testing.T) {
	obj := func(body string) []byte {
		return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20260101T000000Z\r\n" +
			body + "END:VEVENT\r\nEND:VCALENDAR\r\n")
	}
	d := func(s string) time.Time {
		v, err := time.Parse("20060102T150405Z", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name     string
		body     string
		opts     TimelineOptions
		periods  int
		first    Interval
		until    time.Time
		capped   bool
		floating bool
	}{
		{"single", "DTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\n", TimelineOptions{},
			1, Interval{d("20260310T100000Z"), d("20260310T110000Z")}, time.Time{}, false, false},
		{"instant", "DTSTART:20260310T100000Z\r\n", TimelineOptions{},
			1, Interval{d("20260310T100000Z"), d("20260310T100000Z")}, time.Time{}, false, false},
		{"zurich across DST", "DTSTART;TZID=Europe/Zurich:20260328T100000\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=3\r\n", TimelineOptions{},
			3, Interval{d("20260328T090000Z"), d("20260328T100000Z")}, time.Time{}, false, false},
		{"open series up to the horizon", "DTSTART:20260302T100000Z\r\nRRULE:FREQ=WEEKLY\r\n", TimelineOptions{Horizon: d("20260401T000000Z")},
			5, Interval{d("20260302T100000Z"), d("20260302T100000Z")}, d("20260406T100000Z"), false, false},
		{"capped by Max", "DTSTART:20260302T100000Z\r\nRRULE:FREQ=DAILY\r\n", TimelineOptions{Max: 10},
			10, Interval{d("20260302T100000Z"), d("20260302T100000Z")}, d("20260312T100000Z"), true, false},
		{"from", "DTSTART:20260302T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=10\r\n", TimelineOptions{From: d("20260310T103000Z")},
			2, Interval{d("20260310T100000Z"), d("20260310T110000Z")}, time.Time{}, false, false},
		{"all-day floats", "DTSTART;VALUE=DATE:20260310\r\n", TimelineOptions{},
			1, Interval{d("20260310T000000Z"), d("20260311T000000Z")}, time.Time{}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := ValidateObject(obj(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			tl := info.Timeline(tc.opts)
			if !tl.Known || len(tl.Periods) != tc.periods || tl.Periods[0] != tc.first ||
				!tl.Until.Equal(tc.until) || tl.Capped != tc.capped || tl.Floating != tc.floating {
				t.Fatalf("got known %v, %d periods from %v, until %v, capped %v, floating %v",
					tl.Known, len(tl.Periods), tl.Periods, tl.Until, tl.Capped, tl.Floating)
			}
		})
	}
}

// A rule left out for its cost cannot be listed: the object must be read.
func TestTimelineUnknownWhenBudgetSpent(t *testing.T) {
	info, err := ValidateObject([]byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260302T100000Z\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	b := NewBudget(1)
	b.charge(10)
	if tl := info.Timeline(TimelineOptions{Budget: b}); tl.Known {
		t.Fatalf("a spent budget gave a known timeline: %+v", tl)
	}
}
