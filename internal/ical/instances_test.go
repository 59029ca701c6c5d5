package ical

import (
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
)

// parseObject parses VCALENDAR body lines (components with BEGIN/END).
func parseObject(t testing.TB, lines ...string) *goical.Calendar {
	t.Helper()
	cal, err := Parse(object(lines...))
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// vev wraps lines into a VEVENT with UID u.
func vev(lines ...string) []string {
	return append(append([]string{"BEGIN:VEVENT", "UID:u"}, lines...), "END:VEVENT")
}

func join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

const utcFmt = "20060102T150405Z"

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(utcFmt, s)
	if err != nil {
		t.Fatalf("bad test time %q", s)
	}
	return v
}

// describe renders an instance as "start/end" in UTC, with "+summary" for
// a component with SUMMARY, "!" for an override, "x" for cancelled.
func describe(in Instance) string {
	s := in.Start.UTC().Format(utcFmt) + "/" + in.End.UTC().Format(utcFmt)
	if in.Override {
		s += "!"
	}
	if in.Cancelled {
		s += "x"
	}
	if p := in.Component.Props.Get(goical.PropSummary); p != nil {
		s += "+" + p.Value
	}
	return s
}

func collect(t *testing.T, cal *goical.Calendar, opts InstanceOptions) ([]string, bool) {
	t.Helper()
	var out []string
	truncated, err := Instances(cal, opts, func(in Instance) bool {
		out = append(out, describe(in))
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, truncated
}

func TestInstances(t *testing.T) {
	tests := []struct {
		name     string
		lines    []string
		from, to string
		max      int
		floating string
		want     []string
		trunc    bool
	}{
		{
			name:  "single DTEND",
			lines: vev("DTSTART:20240101T100000Z", "DTEND:20240101T110000Z"),
			want:  []string{"20240101T100000Z/20240101T110000Z"},
		},
		{
			name:  "single DURATION",
			lines: vev("DTSTART:20240101T100000Z", "DURATION:PT90M"),
			want:  []string{"20240101T100000Z/20240101T113000Z"},
		},
		{
			name:  "DATE without end lasts one day",
			lines: vev("DTSTART;VALUE=DATE:20240101"),
			want:  []string{"20240101T000000Z/20240102T000000Z"},
		},
		{
			name:  "DATE-TIME without end has no length",
			lines: vev("DTSTART:20240101T100000Z"),
			want:  []string{"20240101T100000Z/20240101T100000Z"},
		},
		{
			name:  "DTEND before DTSTART reads as an instant",
			lines: vev("DTSTART:20240101T100000Z", "DTEND:20240101T090000Z"),
			want:  []string{"20240101T100000Z/20240101T100000Z"},
		},
		{
			name:     "floating in the given zone",
			lines:    vev("DTSTART:20240101T100000", "DTEND:20240101T110000"),
			floating: "America/New_York",
			want:     []string{"20240101T150000Z/20240101T160000Z"},
		},
		{
			name:     "all-day in the given zone",
			lines:    vev("DTSTART;VALUE=DATE:20240101"),
			floating: "Europe/Zurich",
			want:     []string{"20231231T230000Z/20240101T230000Z"},
		},
		{
			name:  "daily window",
			lines: vev("DTSTART:20240101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY"),
			from:  "20240110T103000Z", to: "20240112T100000Z",
			want: []string{"20240110T100000Z/20240110T110000Z", "20240111T100000Z/20240111T110000Z"},
		},
		{
			name:  "zero-length instance at window start matches, at window end not",
			lines: vev("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY"),
			from:  "20240102T100000Z", to: "20240103T100000Z",
			want: []string{"20240102T100000Z/20240102T100000Z"},
		},
		{
			name:  "instance ending at window start does not overlap",
			lines: vev("DTSTART:20240101T100000Z", "DTEND:20240101T110000Z", "RRULE:FREQ=DAILY;COUNT=3"),
			from:  "20240102T110000Z", to: "20240103T100000Z",
			want: nil,
		},
		{
			name: "RDATE PERIOD keeps its end, RDATE DATE-TIME the master's length, EXDATE lists",
			lines: vev("DTSTART:20240101T100000Z", "DTEND:20240101T110000Z", "RRULE:FREQ=DAILY;COUNT=4",
				"RDATE;VALUE=PERIOD:20240110T150000Z/PT3H,20240111T150000Z/20240111T151500Z", "RDATE:20240112T080000Z",
				"EXDATE:20240102T100000Z,20240103T100000Z"),
			want: []string{"20240101T100000Z/20240101T110000Z", "20240104T100000Z/20240104T110000Z",
				"20240110T150000Z/20240110T180000Z", "20240111T150000Z/20240111T151500Z", "20240112T080000Z/20240112T090000Z"},
		},
		{
			name: "moved override appears at its new time only, in order",
			lines: join(
				vev("DTSTART:20240101T100000Z", "DTEND:20240101T110000Z", "RRULE:FREQ=DAILY;COUNT=4", "SUMMARY:m"),
				vev("RECURRENCE-ID:20240102T100000Z", "DTSTART:20240105T070000Z", "DTEND:20240105T080000Z", "SUMMARY:o"),
			),
			want: []string{"20240101T100000Z/20240101T110000Z+m", "20240103T100000Z/20240103T110000Z+m",
				"20240104T100000Z/20240104T110000Z+m", "20240105T070000Z/20240105T080000Z!+o"},
		},
		{
			name: "override moved before the series start",
			lines: join(
				vev("DTSTART:20240110T100000Z", "RRULE:FREQ=DAILY;COUNT=2"),
				vev("RECURRENCE-ID:20240111T100000Z", "DTSTART:20240101T100000Z"),
			),
			want: []string{"20240101T100000Z/20240101T100000Z!", "20240110T100000Z/20240110T100000Z"},
		},
		{
			name: "cancelled override is still an instance, flagged",
			lines: join(
				vev("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=3"),
				vev("RECURRENCE-ID:20240102T100000Z", "DTSTART:20240102T100000Z", "STATUS:CANCELLED"),
			),
			want: []string{"20240101T100000Z/20240101T100000Z", "20240102T100000Z/20240102T100000Z!x", "20240103T100000Z/20240103T100000Z"},
		},
		{
			name: "DATE RECURRENCE-ID of an all-day series",
			lines: join(
				vev("DTSTART;VALUE=DATE:20240101", "RRULE:FREQ=DAILY;COUNT=3"),
				vev("RECURRENCE-ID;VALUE=DATE:20240102", "DTSTART;VALUE=DATE:20240110"),
			),
			want: []string{"20240101T000000Z/20240102T000000Z", "20240103T000000Z/20240104T000000Z", "20240110T000000Z/20240111T000000Z!"},
		},
		{
			name: "DATE RECURRENCE-ID on a DATE-TIME series west of UTC replaces that day's instance",
			lines: join(
				vev("DTSTART;TZID=America/New_York:20240101T100000", "RRULE:FREQ=DAILY;COUNT=3"),
				vev("RECURRENCE-ID;VALUE=DATE:20240102", "DTSTART;TZID=America/New_York:20240102T180000"),
			),
			want: []string{"20240101T150000Z/20240101T150000Z", "20240102T230000Z/20240102T230000Z!", "20240103T150000Z/20240103T150000Z"},
		},
		{
			name: "override without master",
			lines: join(
				vev("RECURRENCE-ID:20240102T100000Z", "DTSTART:20240102T120000Z", "DURATION:PT1H"),
			),
			want: []string{"20240102T120000Z/20240102T130000Z!"},
		},
		{
			name: "override of a non-recurring master replaces it",
			lines: join(
				vev("DTSTART:20240102T100000Z", "SUMMARY:m"),
				vev("RECURRENCE-ID:20240102T100000Z", "DTSTART:20240102T120000Z", "SUMMARY:o"),
			),
			want: []string{"20240102T120000Z/20240102T120000Z!+o"},
		},
		{
			name: "THISANDFUTURE shifts later instances and replaces their properties",
			lines: join(
				vev("DTSTART:20240101T100000Z", "DTEND:20240101T110000Z", "RRULE:FREQ=DAILY;COUNT=5", "SUMMARY:old"),
				vev("RECURRENCE-ID;RANGE=THISANDFUTURE:20240103T100000Z", "DTSTART:20240103T140000Z", "DTEND:20240103T163000Z", "SUMMARY:new"),
			),
			want: []string{"20240101T100000Z/20240101T110000Z+old", "20240102T100000Z/20240102T110000Z+old",
				"20240103T140000Z/20240103T163000Z!+new", "20240104T140000Z/20240104T163000Z+new", "20240105T140000Z/20240105T163000Z+new"},
		},
		{
			name: "THISANDFUTURE moved earlier keeps order",
			lines: join(
				vev("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=4", "SUMMARY:old"),
				vev("RECURRENCE-ID;RANGE=THISANDFUTURE:20240103T100000Z", "DTSTART:20240102T080000Z", "SUMMARY:new"),
			),
			want: []string{"20240101T100000Z/20240101T100000Z+old", "20240102T080000Z/20240102T080000Z!+new",
				"20240102T100000Z/20240102T100000Z+old", "20240103T080000Z/20240103T080000Z+new"},
		},
		{
			name: "a later single override beats THISANDFUTURE; a later THISANDFUTURE takes over",
			lines: join(
				vev("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=6", "SUMMARY:a"),
				vev("RECURRENCE-ID;RANGE=THISANDFUTURE:20240102T100000Z", "DTSTART:20240102T110000Z", "SUMMARY:b"),
				vev("RECURRENCE-ID:20240103T100000Z", "DTSTART:20240103T050000Z", "SUMMARY:c"),
				vev("RECURRENCE-ID;RANGE=THISANDFUTURE:20240105T100000Z", "DTSTART:20240105T120000Z", "STATUS:CANCELLED", "SUMMARY:d"),
			),
			want: []string{"20240101T100000Z/20240101T100000Z+a", "20240102T110000Z/20240102T110000Z!+b",
				"20240103T050000Z/20240103T050000Z!+c", "20240104T110000Z/20240104T110000Z+b",
				"20240105T120000Z/20240105T120000Z!x+d", "20240106T120000Z/20240106T120000Zx+d"},
		},
		{
			name:  "all-day yearly series from 1700 keeps its length today",
			lines: vev("DTSTART;VALUE=DATE:17000310", "DTEND;VALUE=DATE:17000312", "RRULE:FREQ=YEARLY"),
			from:  "20260301T000000Z", to: "20260401T000000Z",
			want: []string{"20260310T000000Z/20260312T000000Z"},
		},
		{
			name:  "timed yearly series from 1700 keeps its length today",
			lines: vev("DTSTART;TZID=Europe/Berlin:17000310T100000", "DTEND;TZID=Europe/Berlin:17000310T113000", "RRULE:FREQ=YEARLY"),
			from:  "20260301T000000Z", to: "20260401T000000Z",
			want: []string{"20260310T090000Z/20260310T103000Z"},
		},
		{
			name: "THISANDFUTURE moved by millennia",
			lines: join(
				vev("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=3"),
				vev("RECURRENCE-ID;RANGE=THISANDFUTURE:20240102T100000Z", "DTSTART:90000102T100000Z"),
			),
			from: "20231201T000000Z",
			want: []string{"20240101T100000Z/20240101T100000Z", "90000102T100000Z/90000102T100000Z!", "90000103T100000Z/90000103T100000Z"},
		},
		{
			name: "THISANDFUTURE keeps wall clock across DST",
			lines: join(
				vev("DTSTART;TZID=Europe/Berlin:20240321T100000", "RRULE:FREQ=WEEKLY;COUNT=3"),
				vev("RECURRENCE-ID;TZID=Europe/Berlin;RANGE=THISANDFUTURE:20240321T100000", "DTSTART;TZID=Europe/Berlin:20240321T120000"),
			),
			want: []string{"20240321T110000Z/20240321T110000Z!", "20240328T110000Z/20240328T110000Z", "20240404T100000Z/20240404T100000Z"},
		},
		{
			name:  "weekly across DST keeps local time",
			lines: vev("DTSTART;TZID=Europe/Zurich:20240321T100000", "DTEND;TZID=Europe/Zurich:20240321T110000", "RRULE:FREQ=WEEKLY;COUNT=3"),
			want:  []string{"20240321T090000Z/20240321T100000Z", "20240328T090000Z/20240328T100000Z", "20240404T080000Z/20240404T090000Z"},
		},
		{
			name:  "cap truncates",
			lines: vev("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY"),
			from:  "20240101T000000Z", to: "20240201T000000Z", max: 2,
			want: []string{"20240101T100000Z/20240101T100000Z", "20240102T100000Z/20240102T100000Z"}, trunc: true,
		},
		{
			name:  "cap reached exactly is no truncation",
			lines: vev("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=2"),
			max:   2,
			want:  []string{"20240101T100000Z/20240101T100000Z", "20240102T100000Z/20240102T100000Z"},
		},
		{
			name:  "long series skipped ahead",
			lines: vev("DTSTART:19700101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY"),
			from:  "20300101T103000Z", to: "20300102T000000Z", max: 10,
			want: []string{"20300101T100000Z/20300101T110000Z"},
		},
		{
			name: "VTODO DUE and DURATION, VJOURNAL day",
			lines: join(
				[]string{"BEGIN:VTODO", "UID:t", "DTSTART:20240101T100000Z", "DUE:20240101T120000Z", "RRULE:FREQ=DAILY;COUNT=2", "END:VTODO"},
				[]string{"BEGIN:VTODO", "UID:t2", "DUE:20240101T150000Z", "END:VTODO"},
				[]string{"BEGIN:VTODO", "UID:t3", "SUMMARY:no dates", "END:VTODO"},
				[]string{"BEGIN:VJOURNAL", "UID:j", "DTSTART;VALUE=DATE:20240101", "END:VJOURNAL"},
			),
			want: []string{"20240101T000000Z/20240102T000000Z", "20240101T100000Z/20240101T120000Z",
				"20240101T150000Z/20240101T150000Z", "20240102T100000Z/20240102T120000Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := parseObject(t, tt.lines...)
			opts := InstanceOptions{From: utc(t, tt.from), To: utc(t, tt.to), Max: tt.max}
			if tt.floating != "" {
				opts.Floating, _ = LoadLocation(tt.floating)
			}
			got, trunc := collect(t, cal, opts)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") || trunc != tt.trunc {
				t.Errorf("got %v truncated=%v\nwant %v truncated=%v", got, trunc, tt.want, tt.trunc)
			}
		})
	}
}

// TestSkipAhead checks that a walk restarted near a date yields exactly
// the occurrences at and after it that the walk from DTSTART yields, for
// every frequency, with intervals, BY* lists, BYSETPOS, WKST and zones
// with DST.
func TestSkipAhead(t *testing.T) {
	rules := []string{
		"FREQ=YEARLY", "FREQ=YEARLY;INTERVAL=3", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=YEARLY;BYWEEKNO=1,53;BYDAY=MO",
		"FREQ=YEARLY;BYYEARDAY=-1,100", "FREQ=YEARLY;BYEASTER=0", "FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=-1SU",
		"FREQ=MONTHLY", "FREQ=MONTHLY;INTERVAL=5", "FREQ=MONTHLY;BYDAY=-1FR;BYSETPOS=1", "FREQ=MONTHLY;BYMONTHDAY=31",
		"FREQ=MONTHLY;INTERVAL=2;BYDAY=MO,TU;BYSETPOS=-1,2",
		"FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;INTERVAL=3;BYDAY=SU,WE;WKST=SU", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SA;WKST=TH",
		"FREQ=DAILY", "FREQ=DAILY;INTERVAL=9", "FREQ=DAILY;BYHOUR=1,13;BYMINUTE=5", "FREQ=DAILY;INTERVAL=2;BYMONTH=3,10",
		"FREQ=HOURLY;INTERVAL=5", "FREQ=HOURLY;INTERVAL=7;BYHOUR=3,4", "FREQ=HOURLY;BYDAY=SU",
		"FREQ=MINUTELY;INTERVAL=97", "FREQ=MINUTELY;INTERVAL=90;BYMINUTE=15",
		"FREQ=SECONDLY;INTERVAL=7777", "FREQ=WEEKLY;UNTIL=20300101T000000Z",
		"FREQ=WEEKLY;COUNT=300;BYDAY=MO,FR", "FREQ=MONTHLY;COUNT=40;BYDAY=-1FR", "FREQ=DAILY;COUNT=5000;UNTIL=20250101T000000Z",
		"FREQ=HOURLY;INTERVAL=5;COUNT=100000",
	}
	starts := []string{"DTSTART:20210105T101530Z", "DTSTART;TZID=Europe/Zurich:20210328T023000",
		"DTSTART;TZID=America/New_York:20211107T013000", "DTSTART;VALUE=DATE:20200229", "DTSTART;TZID=Australia/Lord_Howe:20211003T020000"}
	froms := []string{"20210105T101530Z", "20210201T000000Z", "20230331T010000Z", "20251102T063000Z", "20291231T230000Z"}
	for _, rule := range rules {
		for _, start := range starts {
			r, err := NewRecurrence(master(t, "UID:x", start, "RRULE:"+rule), nil)
			if err != nil {
				continue // refused for this start (unreachable BYMINUTE)
			}
			for i, fs := range froms {
				subDaily := strings.HasPrefix(rule, "FREQ=HOURLY") || strings.HasPrefix(rule, "FREQ=MINUTELY") || strings.HasPrefix(rule, "FREQ=SECONDLY")
				if i >= 3 && subDaily {
					continue // the full walk to 2025 and later is long
				}
				from := utc(t, fs)
				var want []time.Time
				full := r.cursor(time.Time{})
				for n := 0; n < 400000 && len(want) < 30; n++ {
					o, ok, err := full.next()
					if err != nil || !ok {
						break
					}
					if !o.Start.Before(from) {
						want = append(want, o.Start)
					}
				}
				var got []time.Time
				skip := r.cursor(from)
				for n := 0; len(got) < len(want) && n < 400000; n++ {
					o, ok, err := skip.next()
					if err != nil || !ok {
						break
					}
					if !o.Start.Before(from) {
						got = append(got, o.Start)
					}
				}
				if len(got) != len(want) {
					t.Errorf("%s %s from %s: got %d occurrences, want %d", rule, start, fs, len(got), len(want))
					continue
				}
				for i := range want {
					if !got[i].Equal(want[i]) {
						t.Errorf("%s %s from %s: occurrence %d is %v, want %v", rule, start, fs, i, got[i], want[i])
						break
					}
				}
			}
		}
	}
}

func TestSpan(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		start, end string
		open, ok   bool
	}{
		{"single", vev("DTSTART:20240101T100000Z", "DTEND:20240101T110000Z"), "20240101T100000Z", "20240101T110000Z", false, true},
		{"instant", vev("DTSTART:20240101T100000Z"), "20240101T100000Z", "20240101T100000Z", false, true},
		{"floating widened by 14h", vev("DTSTART:20240101T100000", "DTEND:20240101T110000"), "20231231T200000Z", "20240102T010000Z", false, true},
		{"all-day widened by 14h", vev("DTSTART;VALUE=DATE:20240101"), "20231231T100000Z", "20240102T140000Z", false, true},
		{"open rule", vev("DTSTART:20240101T100000Z", "RRULE:FREQ=WEEKLY"), "20240101T100000Z", "", true, true},
		{"COUNT: last instance plus length and 2h slack", vev("DTSTART:20240101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=3"),
			"20240101T100000Z", "20240103T130000Z", false, true},
		{"UNTIL", vev("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;UNTIL=20240110T100000Z"), "20240101T100000Z", "20240110T120000Z", false, true},
		{"RDATE PERIOD after the rule", vev("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=2", "RDATE;VALUE=PERIOD:20240301T000000Z/PT5H"),
			"20240101T100000Z", "20240301T070000Z", false, true},
		{"override moved before and after", join(
			vev("DTSTART:20240110T100000Z", "RRULE:FREQ=DAILY;COUNT=3"),
			vev("RECURRENCE-ID:20240111T100000Z", "DTSTART:20240101T080000Z", "DTEND:20240101T090000Z"),
			vev("RECURRENCE-ID:20240112T100000Z", "DTSTART:20240201T080000Z", "DTEND:20240201T090000Z"),
		), "20240101T080000Z", "20240201T090000Z", false, true},
		{"THISANDFUTURE shift later widens the end", join(
			vev("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=3"),
			vev("RECURRENCE-ID;RANGE=THISANDFUTURE:20240102T100000Z", "DTSTART:20240105T100000Z"),
		), "20240101T100000Z", "20240106T150000Z", false, true}, // 01-03 +3d = 01-06 10:00, +3h shift slack, +2h length slack
		{"THISANDFUTURE shift earlier widens the start", join(
			vev("DTSTART:20240110T100000Z", "RRULE:FREQ=DAILY;COUNT=3"),
			vev("RECURRENCE-ID;RANGE=THISANDFUTURE:20240111T100000Z", "DTSTART:20240101T100000Z"),
		), "20240101T070000Z", "20240112T120000Z", false, true}, // 01-11 -10d, -3h shift slack; last 01-12 + 2h length slack
		{"open rule with moved override keeps the earlier start", join(
			vev("DTSTART:20240110T100000Z", "RRULE:FREQ=DAILY"),
			vev("RECURRENCE-ID:20240111T100000Z", "DTSTART:20240101T100000Z"),
		), "20240101T100000Z", "", true, true},
		{"no DTSTART", vev("SUMMARY:x"), "", "", false, false},
		{"bad RRULE", vev("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;RSCALE=HEBREW"), "", "", false, false},
		{"VTODO without dates", []string{"BEGIN:VTODO", "UID:t", "END:VTODO"}, "", "", false, false},
		{"VTODO with DUE only", []string{"BEGIN:VTODO", "UID:t", "DUE:20240105T000000Z", "END:VTODO"}, "20240105T000000Z", "20240105T000000Z", false, true},
		{"huge COUNT falls back to UNTIL", vev("DTSTART:20240101T100000Z", "RRULE:FREQ=SECONDLY;COUNT=999999999;UNTIL=20250101T000000Z"),
			"20240101T100000Z", "20250101T020000Z", false, true},
		{"huge COUNT without UNTIL is open", vev("DTSTART:20240101T100000Z", "RRULE:FREQ=SECONDLY;COUNT=999999999"),
			"20240101T100000Z", "", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, e, open, ok := Span(parseObject(t, tt.lines...))
			if ok != tt.ok || open != tt.open || !s.Equal(utc(t, tt.start)) || !e.Equal(utc(t, tt.end)) {
				t.Errorf("got [%v, %v) open=%v ok=%v; want [%s, %s) open=%v ok=%v", s, e, open, ok, tt.start, tt.end, tt.open, tt.ok)
			}
		})
	}
}
