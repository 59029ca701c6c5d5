package ical

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// realworldInstance formats an instance for the real-world tables:
// "start/end" in UTC, then " override" for an override's own instance and
// " cancelled" for STATUS:CANCELLED.
func realworldInstance(in Instance) string {
	s := in.Start.UTC().Format("20060102T150405Z") + "/" + in.End.UTC().Format("20060102T150405Z")
	if in.Override {
		s += " override"
	}
	if in.Cancelled {
		s += " cancelled"
	}
	return s
}

// realworldExpand checks that data is a calendar object resource and lists
// its instances in [from, to) with floating and DATE values read in zone
// ("" = UTC).
func realworldExpand(t *testing.T, data []byte, zone, from, to string) []string {
	t.Helper()
	info, err := ValidateObject(data)
	if err != nil {
		t.Fatalf("ValidateObject: %v", err)
	}
	if info.Component != CompEvent {
		t.Fatalf("component %q, want VEVENT", info.Component)
	}
	opts := InstanceOptions{Max: 1000}
	if zone != "" {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		opts.Floating = loc
	}
	for _, v := range []struct {
		s   string
		dst *time.Time
	}{{from, &opts.From}, {to, &opts.To}} {
		tm, err := time.Parse("20060102T150405Z", v.s)
		if err != nil {
			t.Fatal(err)
		}
		*v.dst = tm
	}
	var got []string
	truncated, err := Instances(info.Calendar, opts, func(in Instance) bool {
		got = append(got, realworldInstance(in))
		return true
	})
	if err != nil {
		t.Fatalf("Instances: %v", err)
	}
	if truncated {
		t.Fatalf("Instances truncated the answer at %d", opts.Max)
	}
	return got
}

// TestRealWorldExports expands calendar objects written the way Google
// Calendar, Outlook and Exchange, iCloud, Evolution and Thunderbird write
// them (testdata/realworld, CRLF, folded lines, vendor properties,
// VTIMEZONEs and TZIDs as each producer names them). The expected instances
// are worked out by hand from the producer's rule and the zone's DST dates;
// the comments show the work.
func TestRealWorldExports(t *testing.T) {
	tests := []struct {
		file     string
		zone     string // floating and DATE values; "" = UTC
		from, to string
		want     []string
	}{
		{
			// Tuesdays 10:00-11:00 Europe/Berlin from 5 March 2024; CEST
			// from 31 March (09:00Z -> 08:00Z). Google's UNTIL is the end of
			// the last day in UTC (25 June 23:59:59 CEST), so 25 June is
			// the last instance. EXDATE;TZID removes 7 May; the override
			// moves 16 April to Wednesday 17 April 14:00 CEST.
			file: "google-weekly.ics", from: "20240301T000000Z", to: "20240801T000000Z",
			want: []string{
				"20240305T090000Z/20240305T100000Z",
				"20240312T090000Z/20240312T100000Z",
				"20240319T090000Z/20240319T100000Z",
				"20240326T090000Z/20240326T100000Z",
				"20240402T080000Z/20240402T090000Z",
				"20240409T080000Z/20240409T090000Z",
				"20240417T120000Z/20240417T130000Z override",
				"20240423T080000Z/20240423T090000Z",
				"20240430T080000Z/20240430T090000Z",
				"20240514T080000Z/20240514T090000Z",
				"20240521T080000Z/20240521T090000Z",
				"20240528T080000Z/20240528T090000Z",
				"20240604T080000Z/20240604T090000Z",
				"20240611T080000Z/20240611T090000Z",
				"20240618T080000Z/20240618T090000Z",
				"20240625T080000Z/20240625T090000Z",
			},
		},
		{
			// A window inside the series: only what overlaps it.
			file: "google-weekly.ics", from: "20240416T000000Z", to: "20240515T000000Z",
			want: []string{
				"20240417T120000Z/20240417T130000Z override",
				"20240423T080000Z/20240423T090000Z",
				"20240430T080000Z/20240430T090000Z",
				"20240514T080000Z/20240514T090000Z",
			},
		},
		{
			// All-day Fridays 5-26 July 2024 (DATE UNTIL is inclusive),
			// 12 July excluded, 19 July moved to Thursday 18 July by a
			// RECURRENCE-ID;VALUE=DATE override; in UTC.
			file: "google-allday.ics", from: "20240701T000000Z", to: "20240801T000000Z",
			want: []string{
				"20240705T000000Z/20240706T000000Z",
				"20240718T000000Z/20240719T000000Z override",
				"20240726T000000Z/20240727T000000Z",
			},
		},
		{
			// The same days read in the query's zone (RFC 4791 9.9),
			// New York in summer: midnight EDT is 04:00Z.
			file: "google-allday.ics", zone: "America/New_York", from: "20240701T000000Z", to: "20240801T000000Z",
			want: []string{
				"20240705T040000Z/20240706T040000Z",
				"20240718T040000Z/20240719T040000Z override",
				"20240726T040000Z/20240727T040000Z",
			},
		},
		{
			// Outlook: "W. Europe Standard Time" (Europe/Berlin by CLDR
			// windowsZones), Tue/Thu 10:00-10:30 from 15 October 2024,
			// COUNT=10: 15 17 22 24 29 31 Oct, 5 7 12 14 Nov. CET from
			// 27 October (08:00Z -> 09:00Z). 22 October moved to 14:00
			// CEST, 7 November excluded.
			file: "outlook-weekly.ics", from: "20241001T000000Z", to: "20241201T000000Z",
			want: []string{
				"20241015T080000Z/20241015T083000Z",
				"20241017T080000Z/20241017T083000Z",
				"20241022T120000Z/20241022T123000Z override",
				"20241024T080000Z/20241024T083000Z",
				"20241029T090000Z/20241029T093000Z",
				"20241031T090000Z/20241031T093000Z",
				"20241105T090000Z/20241105T093000Z",
				"20241112T090000Z/20241112T093000Z",
				"20241114T090000Z/20241114T093000Z",
			},
		},
		{
			// Exchange: "Eastern Standard Time 1" (New York rules in its
			// VTIMEZONE), the second Wednesday (BYDAY=WE;BYSETPOS=2) at
			// 09:00, COUNT=4: 12 Feb, 12 Mar, 9 Apr, 14 May 2025. EDT from
			// 9 March (14:00Z -> 13:00Z). The April meeting is cancelled by
			// an override with STATUS:CANCELLED, which stays an instance.
			file: "exchange-monthly.ics", from: "20250201T000000Z", to: "20250601T000000Z",
			want: []string{
				"20250212T140000Z/20250212T150000Z",
				"20250312T130000Z/20250312T140000Z",
				"20250409T130000Z/20250409T140000Z override cancelled",
				"20250514T130000Z/20250514T140000Z",
			},
		},
		{
			// iCloud birthday: all-day yearly from 15 March 2024, in UTC.
			file: "icloud-allday.ics", from: "20240101T000000Z", to: "20270101T000000Z",
			want: []string{
				"20240315T000000Z/20240316T000000Z",
				"20250315T000000Z/20250316T000000Z",
				"20260315T000000Z/20260316T000000Z",
			},
		},
		{
			// Read in Zurich: midnight CET (DST starts later in March in
			// all three years) is 23:00Z the day before.
			file: "icloud-allday.ics", zone: "Europe/Zurich", from: "20240101T000000Z", to: "20270101T000000Z",
			want: []string{
				"20240314T230000Z/20240315T230000Z",
				"20250314T230000Z/20250315T230000Z",
				"20260314T230000Z/20260315T230000Z",
			},
		},
		{
			// A window that starts inside the 2025 day (read in UTC): the
			// day still overlaps it.
			file: "icloud-allday.ics", from: "20250315T120000Z", to: "20250316T000000Z",
			want: []string{"20250315T000000Z/20250316T000000Z"},
		},
		{
			// iOS: Mondays 18:00-19:00 America/Los_Angeles, COUNT=4 from
			// 21 October 2024: 21 and 28 October in PDT (01:00Z the next
			// day), 4 and 11 November in PST (02:00Z). 28 October moved to
			// 19:30 PDT, 4 November excluded.
			file: "icloud-timed.ics", from: "20241001T000000Z", to: "20241201T000000Z",
			want: []string{
				"20241022T010000Z/20241022T020000Z",
				"20241029T023000Z/20241029T033000Z override",
				"20241112T020000Z/20241112T030000Z",
			},
		},
		{
			// Evolution: "/freeassociation.sourceforge.net/Tzfile/Europe/
			// Berlin", daily 08:30-09:00 COUNT=7 from 25 March 2024: CET
			// (07:30Z) to 30 March, CEST (06:30Z) on 31 March; 27 March
			// excluded.
			file: "evolution-daily.ics", from: "20240301T000000Z", to: "20240501T000000Z",
			want: []string{
				"20240325T073000Z/20240325T080000Z",
				"20240326T073000Z/20240326T080000Z",
				"20240328T073000Z/20240328T080000Z",
				"20240329T073000Z/20240329T080000Z",
				"20240330T073000Z/20240330T080000Z",
				"20240331T063000Z/20240331T070000Z",
			},
		},
		{
			// Thunderbird: the last Friday (BYDAY=-1FR) at 16:00-17:00
			// New York until 31 January 2025 21:00Z, which is that day's
			// instance (UNTIL is inclusive): 25 Oct (EDT, 20:00Z), 29 Nov,
			// 27 Dec, 31 Jan (EST, 21:00Z); 27 December moved to 20
			// December.
			file: "thunderbird-monthly.ics", from: "20241001T000000Z", to: "20250301T000000Z",
			want: []string{
				"20241025T200000Z/20241025T210000Z",
				"20241129T210000Z/20241129T220000Z",
				"20241220T210000Z/20241220T220000Z override",
				"20250131T210000Z/20250131T220000Z",
			},
		},
		{
			// Lightning 0.x: "/mozilla.org/20070129_1/Europe/Berlin",
			// Wednesdays 19:00-20:30 COUNT=3 from 22 October 2008; CET
			// from 26 October (17:00Z -> 18:00Z).
			file: "thunderbird-legacy.ics", from: "20081001T000000Z", to: "20081201T000000Z",
			want: []string{
				"20081022T170000Z/20081022T183000Z",
				"20081029T180000Z/20081029T193000Z",
				"20081105T180000Z/20081105T193000Z",
			},
		},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.file] = true
		t.Run(strings.TrimSuffix(tc.file, ".ics")+"/"+tc.zone+tc.from, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "realworld", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got := realworldExpand(t, data, tc.zone, tc.from, tc.to)
			if !slices.Equal(got, tc.want) {
				t.Errorf("instances in [%s, %s):\n got %q\nwant %q", tc.from, tc.to, got, tc.want)
			}
		})
	}
	files, err := filepath.Glob(filepath.Join("testdata", "realworld", "*.ics"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no expectations in TestRealWorldExports", f)
		}
	}
}

// realworldZones are VTIMEZONEs as producers write them, for the DST
// tests.
var realworldZones = map[string][]string{
	"America/New_York": {
		"BEGIN:VTIMEZONE", "TZID:America/New_York",
		"BEGIN:DAYLIGHT", "TZOFFSETFROM:-0500", "TZOFFSETTO:-0400", "TZNAME:EDT", "DTSTART:20070311T020000",
		"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", "END:DAYLIGHT",
		"BEGIN:STANDARD", "TZOFFSETFROM:-0400", "TZOFFSETTO:-0500", "TZNAME:EST", "DTSTART:20071104T020000",
		"RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU", "END:STANDARD", "END:VTIMEZONE"},
	"Europe/Zurich": {
		"BEGIN:VTIMEZONE", "TZID:Europe/Zurich",
		"BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19810329T020000",
		"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
		"BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19961027T030000",
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD", "END:VTIMEZONE"},
	"Australia/Sydney": {
		"BEGIN:VTIMEZONE", "TZID:Australia/Sydney",
		"BEGIN:STANDARD", "TZOFFSETFROM:+1100", "TZOFFSETTO:+1000", "TZNAME:AEST", "DTSTART:20080406T030000",
		"RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU", "END:STANDARD",
		"BEGIN:DAYLIGHT", "TZOFFSETFROM:+1000", "TZOFFSETTO:+1100", "TZNAME:AEDT", "DTSTART:20081005T020000",
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU", "END:DAYLIGHT", "END:VTIMEZONE"},
}

// TestInstances_DSTRules checks RFC 5545 3.3.5's two DST rules, by hand,
// in zones on both sides of UTC: a local time that occurs twice (the hour
// repeated when DST ends) is its first occurrence; a local time that does
// not occur (the hour skipped when DST starts) is read with the UTC
// offset before the gap. Each series is daily at the critical local time,
// the day before, of, and after the change. (The property test leaves
// repeated times out, as its oracle reads them differently; see
// property_test.go.)
func TestInstances_DSTRules(t *testing.T) {
	tests := []struct {
		name, tzid, dtstart, rule string
		want                      []string
	}{
		// RFC 5545 3.3.5's own examples: "TZID=America/New_York:
		// 20071104T013000 indicates November 4, 2007 at 1:30 A.M. EDT
		// (UTC-04:00)"; "TZID=America/New_York:20070311T023000 indicates
		// March 11, 2007 at 3:30 A.M. EDT (UTC-04:00)".
		{"New York repeated (RFC example)", "America/New_York", "20071104T013000", "",
			[]string{"20071104T053000Z/20071104T063000Z"}},
		{"New York skipped (RFC example)", "America/New_York", "20070311T023000", "",
			[]string{"20070311T073000Z/20070311T083000Z"}},
		// 01:30 EDT, 01:30 EDT (first of two), 01:30 EST.
		{"New York repeated, daily", "America/New_York", "20071103T013000", "FREQ=DAILY;COUNT=3",
			[]string{"20071103T053000Z/20071103T063000Z", "20071104T053000Z/20071104T063000Z", "20071105T063000Z/20071105T073000Z"}},
		// 02:30 EST, 02:30 skipped = 03:30 EDT, 02:30 EDT.
		{"New York skipped, daily", "America/New_York", "20070310T023000", "FREQ=DAILY;COUNT=3",
			[]string{"20070310T073000Z/20070310T083000Z", "20070311T073000Z/20070311T083000Z", "20070312T063000Z/20070312T073000Z"}},
		// 02:30 CEST, 02:30 CEST (first of two), 02:30 CET.
		{"Zurich repeated, daily", "Europe/Zurich", "20241026T023000", "FREQ=DAILY;COUNT=3",
			[]string{"20241026T003000Z/20241026T013000Z", "20241027T003000Z/20241027T013000Z", "20241028T013000Z/20241028T023000Z"}},
		// 02:30 CET, 02:30 skipped = 03:30 CEST, 02:30 CEST.
		{"Zurich skipped, daily", "Europe/Zurich", "20240330T023000", "FREQ=DAILY;COUNT=3",
			[]string{"20240330T013000Z/20240330T023000Z", "20240331T013000Z/20240331T023000Z", "20240401T003000Z/20240401T013000Z"}},
		// 02:30 AEDT, 02:30 AEDT (first of two), 02:30 AEST.
		{"Sydney repeated, daily", "Australia/Sydney", "20240406T023000", "FREQ=DAILY;COUNT=3",
			[]string{"20240405T153000Z/20240405T163000Z", "20240406T153000Z/20240406T163000Z", "20240407T163000Z/20240407T173000Z"}},
		// 02:30 AEST, 02:30 skipped = 03:30 AEDT, 02:30 AEDT.
		{"Sydney skipped, daily", "Australia/Sydney", "20241005T023000", "FREQ=DAILY;COUNT=3",
			[]string{"20241004T163000Z/20241004T173000Z", "20241005T163000Z/20241005T173000Z", "20241006T153000Z/20241006T163000Z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//almanac//test//EN"}
			lines = append(lines, realworldZones[tc.tzid]...)
			lines = append(lines, "BEGIN:VEVENT", "UID:dst@almanac.test", "DTSTAMP:20240101T000000Z",
				"DTSTART;TZID="+tc.tzid+":"+tc.dtstart, "DURATION:PT1H")
			if tc.rule != "" {
				lines = append(lines, "RRULE:"+tc.rule)
			}
			lines = append(lines, "END:VEVENT", "END:VCALENDAR")
			got := realworldExpand(t, ics(lines...), "", "20000101T000000Z", "20300101T000000Z")
			if !slices.Equal(got, tc.want) {
				t.Errorf("DTSTART;TZID=%s:%s RRULE:%s\n got %q\nwant %q", tc.tzid, tc.dtstart, tc.rule, got, tc.want)
			}
		})
	}
}

// TestInstances_DSTGapSeries checks series whose local time is skipped on
// some day (RFC 5545 3.3.10: "If the computed local start time of a
// recurrence instance does not exist ... the time of the recurrence
// instance is interpreted in the same manner as an explicit DATE-TIME
// value describing that date and time, as specified in Section 3.3.5"):
// the skipped instance uses the offset before the gap whatever the window
// (a walk that starts inside the series, skipping ahead, must agree with
// one from DTSTART), and a DTSTART that is itself skipped keeps its
// written local time for the other instances. Found by the property test (seeds 203 and
// 206 with -prop.n=2500).
func TestInstances_DSTGapSeries(t *testing.T) {
	tests := []struct {
		name, tzid, dtstart, rule, from, to string
		want                                []string
	}{
		// Weekly on Sundays at 02:45 from 6 November 2022; 12 March 2023
		// is the day New York skips 02:00-03:00: 02:45 EST = 07:45Z.
		{name: "weekly, window on the skipped day", tzid: "America/New_York", dtstart: "20221106T024500", rule: "FREQ=WEEKLY",
			from: "20230311T000000Z", to: "20230314T000000Z",
			want: []string{"20230312T074500Z/20230312T084500Z"}},
		{name: "weekly, window from the week before", tzid: "America/New_York", dtstart: "20221106T024500", rule: "FREQ=WEEKLY",
			from: "20230305T000000Z", to: "20230314T000000Z",
			want: []string{"20230305T074500Z/20230305T084500Z", "20230312T074500Z/20230312T084500Z"}},
		{name: "weekly with COUNT, window in March", tzid: "America/New_York", dtstart: "20221106T024500", rule: "FREQ=WEEKLY;COUNT=20",
			from: "20230301T000000Z", to: "20230320T000000Z",
			want: []string{"20230305T074500Z/20230305T084500Z", "20230312T074500Z/20230312T084500Z", "20230319T064500Z/20230319T074500Z"}},
		// DTSTART skipped (02:30 = 03:30 EDT = 07:30Z); the next days are
		// at 02:30 EDT (06:30Z), not 03:30.
		{name: "DTSTART skipped, New York", tzid: "America/New_York", dtstart: "20070311T023000", rule: "FREQ=DAILY;COUNT=3",
			from: "20070301T000000Z", to: "20070401T000000Z",
			want: []string{"20070311T073000Z/20070311T083000Z", "20070312T063000Z/20070312T073000Z", "20070313T063000Z/20070313T073000Z"}},
		// 02:30 skipped = 03:30 CEST = 01:30Z; then 02:30 CEST = 00:30Z.
		{name: "DTSTART skipped, Zurich", tzid: "Europe/Zurich", dtstart: "20240331T023000", rule: "FREQ=DAILY;COUNT=3",
			from: "20240301T000000Z", to: "20240501T000000Z",
			want: []string{"20240331T013000Z/20240331T023000Z", "20240401T003000Z/20240401T013000Z", "20240402T003000Z/20240402T013000Z"}},
		// 02:30 skipped = 03:30 AEDT = 16:30Z the day before; then 02:30
		// AEDT = 15:30Z the day before.
		{name: "DTSTART skipped, Sydney", tzid: "Australia/Sydney", dtstart: "20241006T023000", rule: "FREQ=DAILY;COUNT=3",
			from: "20241001T000000Z", to: "20241101T000000Z",
			want: []string{"20241005T163000Z/20241005T173000Z", "20241006T153000Z/20241006T163000Z", "20241007T153000Z/20241007T163000Z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//almanac//test//EN"}
			lines = append(lines, realworldZones[tc.tzid]...)
			lines = append(lines, "BEGIN:VEVENT", "UID:dst@almanac.test", "DTSTAMP:20240101T000000Z",
				"DTSTART;TZID="+tc.tzid+":"+tc.dtstart, "DURATION:PT1H", "RRULE:"+tc.rule, "END:VEVENT", "END:VCALENDAR")
			got := realworldExpand(t, ics(lines...), "", tc.from, tc.to)
			if !slices.Equal(got, tc.want) {
				t.Errorf("DTSTART;TZID=%s:%s RRULE:%s in [%s, %s)\n got %q\nwant %q", tc.tzid, tc.dtstart, tc.rule, tc.from, tc.to, got, tc.want)
			}
		})
	}
}
