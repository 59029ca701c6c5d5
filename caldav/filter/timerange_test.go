package filter

import (
	"testing"
	"time"

	aical "almanac/internal/ical"
)

// rng builds a time-range from UTC "YYYYMMDDTHHMMSSZ" strings; "" is open.
func rng(t *testing.T, start, end string) *TimeRange {
	t.Helper()
	tr := &TimeRange{}
	for _, x := range []struct {
		s   string
		dst *time.Time
	}{{start, &tr.Start}, {end, &tr.End}} {
		if x.s == "" {
			continue
		}
		v, err := parseUTC(x.s)
		if err != nil {
			t.Fatalf("bad test time %q", x.s)
		}
		*x.dst = v
	}
	return tr
}

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, ok := aical.LoadLocation(name)
	if !ok {
		t.Fatalf("no zone %s", name)
	}
	return loc
}

type rangeCase struct {
	name       string
	start, end string
	want       bool
}

// checkRanges runs a comp-filter time-range on comp against each case.
func checkRanges(t *testing.T, comp string, lines []string, loc *time.Location, cases []rangeCase) {
	t.Helper()
	cal := parseCal(t, lines...)
	for _, c := range cases {
		f := vcal(CompFilter{Name: comp, TimeRange: rng(t, c.start, c.end)})
		f.Location = loc
		if got := mustMatch(t, f, cal); got != c.want {
			t.Errorf("%s [%s, %s): got %v, want %v", c.name, c.start, c.end, got, c.want)
		}
	}
}

func vevent(lines ...string) []string {
	return append(append([]string{"BEGIN:VEVENT", "UID:e"}, lines...), "END:VEVENT")
}

func TestTimeRange_Event(t *testing.T) {
	t.Run("DTEND 10:00-11:00", func(t *testing.T) {
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z", "DTEND:20240101T110000Z"), nil, []rangeCase{
			{"covers the start", "20240101T100000Z", "20240101T103000Z", true},
			{"inside", "20240101T103000Z", "20240101T104500Z", true},
			{"event starts at range start", "20240101T100000Z", "20240101T100100Z", true},
			{"event ends at range start", "20240101T110000Z", "20240101T120000Z", false},
			{"range ends at event start", "20240101T090000Z", "20240101T100000Z", false},
			{"range ends just after start", "20240101T090000Z", "20240101T100001Z", true},
			{"open end", "20240101T105959Z", "", true},
			{"open end after", "20240101T110000Z", "", false},
			{"open start", "", "20240101T100001Z", true},
			{"open start before", "", "20240101T100000Z", false},
		})
	})
	t.Run("DATE-TIME without end is an instant", func(t *testing.T) {
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z"), nil, []rangeCase{
			{"at range start", "20240101T100000Z", "20240101T110000Z", true},
			{"at range end", "20240101T090000Z", "20240101T100000Z", false},
			{"within", "20240101T095900Z", "20240101T100001Z", true},
			{"after", "20240101T100001Z", "20240101T110000Z", false},
		})
	})
	t.Run("DTEND equal to DTSTART is an instant", func(t *testing.T) {
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z", "DTEND:20240101T100000Z"), nil, []rangeCase{
			{"at range start", "20240101T100000Z", "20240101T110000Z", true},
			{"at range end", "20240101T090000Z", "20240101T100000Z", false},
		})
	})
	t.Run("DURATION", func(t *testing.T) {
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z", "DURATION:PT1H"), nil, []rangeCase{
			{"last second", "20240101T105959Z", "20240101T110000Z", true},
			{"at end", "20240101T110000Z", "20240101T120000Z", false},
		})
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z", "DURATION:PT0S"), nil, []rangeCase{
			{"zero duration at range start", "20240101T100000Z", "20240101T110000Z", true},
			{"zero duration at range end", "20240101T090000Z", "20240101T100000Z", false},
		})
	})
	t.Run("all-day", func(t *testing.T) {
		checkRanges(t, "VEVENT", vevent("DTSTART;VALUE=DATE:20240101"), nil, []rangeCase{
			{"late that day", "20240101T230000Z", "20240102T000000Z", true},
			{"next day", "20240102T000000Z", "20240103T000000Z", false},
			{"day before", "20231231T000000Z", "20240101T000000Z", false},
		})
		checkRanges(t, "VEVENT", vevent("DTSTART;VALUE=DATE:20240101", "DTEND;VALUE=DATE:20240103"), nil, []rangeCase{
			{"second day", "20240102T120000Z", "20240102T130000Z", true},
			{"third day", "20240103T000000Z", "20240104T000000Z", false},
		})
	})
	t.Run("all-day in the query's zone", func(t *testing.T) {
		lines := vevent("DTSTART;VALUE=DATE:20240101")
		// Midnight in Zurich is 23:00 UTC the day before.
		checkRanges(t, "VEVENT", lines, zone(t, "Europe/Zurich"), []rangeCase{
			{"zurich: evening before in UTC", "20231231T233000Z", "20231231T234500Z", true},
			{"zurich: late on the day in UTC", "20240101T233000Z", "20240101T234500Z", false},
		})
		checkRanges(t, "VEVENT", lines, nil, []rangeCase{
			{"utc: evening before", "20231231T233000Z", "20231231T234500Z", false},
			{"utc: late on the day", "20240101T233000Z", "20240101T234500Z", true},
		})
	})
	t.Run("floating time in the query's zone", func(t *testing.T) {
		lines := vevent("DTSTART:20240101T100000", "DTEND:20240101T110000")
		checkRanges(t, "VEVENT", lines, zone(t, "America/New_York"), []rangeCase{
			{"new york 10:00 is 15:00Z", "20240101T150000Z", "20240101T153000Z", true},
			{"not 10:00Z", "20240101T100000Z", "20240101T103000Z", false},
		})
		checkRanges(t, "VEVENT", lines, nil, []rangeCase{
			{"utc by default", "20240101T100000Z", "20240101T103000Z", true},
		})
	})
	t.Run("TZID", func(t *testing.T) {
		checkRanges(t, "VEVENT", vevent("DTSTART;TZID=Europe/Zurich:20240101T100000", "DTEND;TZID=Europe/Zurich:20240101T110000"), zone(t, "America/New_York"), []rangeCase{
			{"zurich 10:00 is 09:00Z", "20240101T090000Z", "20240101T091500Z", true},
			{"not 10:00Z", "20240101T100000Z", "20240101T101500Z", false},
		})
		checkRanges(t, "VEVENT", vevent("DTSTART;TZID=Mars/Olympus:20240101T100000", "DURATION:PT1H"), nil, []rangeCase{
			{"unknown zone read as UTC", "20240101T100000Z", "20240101T101500Z", true},
		})
	})
	t.Run("undecidable matches", func(t *testing.T) {
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z", "DTEND:garbage"), nil, []rangeCase{
			{"bad DTEND", "20300101T000000Z", "20300102T000000Z", true},
		})
		checkRanges(t, "VEVENT", vevent("SUMMARY:no start"), nil, []rangeCase{
			{"no DTSTART", "20300101T000000Z", "20300102T000000Z", true},
		})
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;RSCALE=HEBREW"), nil, []rangeCase{
			{"RRULE we cannot expand", "20300101T000000Z", "20300102T000000Z", true},
		})
	})
}

func TestTimeRange_Recurring(t *testing.T) {
	t.Run("weekly across DST in Europe/Zurich", func(t *testing.T) {
		// 2024-03-31 is the spring change: the 10:00 meeting moves from
		// 09:00Z to 08:00Z.
		checkRanges(t, "VEVENT", vevent(
			"DTSTART;TZID=Europe/Zurich:20240321T100000",
			"DTEND;TZID=Europe/Zurich:20240321T110000",
			"RRULE:FREQ=WEEKLY"), nil, []rangeCase{
			{"before the change at 09:00Z", "20240328T090000Z", "20240328T091500Z", true},
			{"after the change at 08:00Z", "20240404T080000Z", "20240404T081500Z", true},
			{"after the change not at 09:30Z", "20240404T093000Z", "20240404T094500Z", false},
			{"autumn change back to 09:00Z", "20241031T090000Z", "20241031T091500Z", true},
			{"autumn not at 08:00Z", "20241031T080000Z", "20241031T081500Z", false},
		})
	})
	t.Run("instance inside", func(t *testing.T) {
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z", "DTEND:20240101T110000Z", "RRULE:FREQ=DAILY"), nil, []rangeCase{
			{"within a later instance", "20240110T103000Z", "20240110T104500Z", true},
			{"between instances", "20240110T110000Z", "20240111T100000Z", false},
			{"years later", "20300601T103000Z", "20300601T104500Z", true},
		})
	})
	t.Run("COUNT and UNTIL", func(t *testing.T) {
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=3"), nil, []rangeCase{
			{"last instance", "20240103T100000Z", "20240103T110000Z", true},
			{"after COUNT", "20240104T100000Z", "20240104T110000Z", false},
		})
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;UNTIL=20240103T100000Z"), nil, []rangeCase{
			{"UNTIL is inclusive", "20240103T100000Z", "20240103T110000Z", true},
			{"after UNTIL", "20240104T100000Z", "20240104T110000Z", false},
		})
	})
	t.Run("EXDATE removes an instance", func(t *testing.T) {
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z", "DTEND:20240101T110000Z", "RRULE:FREQ=DAILY;COUNT=5",
			"EXDATE:20240103T100000Z", "EXDATE:20240104T100000Z,20240105T100000Z"), nil, []rangeCase{
			{"excluded", "20240103T100000Z", "20240103T110000Z", false},
			{"excluded by a list", "20240105T100000Z", "20240105T110000Z", false},
			{"kept", "20240102T100000Z", "20240102T110000Z", true},
		})
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z", "DTEND:20240101T110000Z", "EXDATE:20240101T100000Z"), nil, []rangeCase{
			{"a single event whose only instance is excluded", "20240101T000000Z", "20240102T000000Z", false},
		})
	})
	t.Run("RDATE adds an instance", func(t *testing.T) {
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z", "DTEND:20240101T110000Z",
			"RDATE:20240110T100000Z", "RDATE;VALUE=PERIOD:20240120T150000Z/PT3H"), nil, []rangeCase{
			{"rdate with the master's length", "20240110T103000Z", "20240110T104500Z", true},
			{"after the rdate's instance", "20240110T110000Z", "20240110T120000Z", false},
			{"period rdate with its own end", "20240120T173000Z", "20240120T174500Z", true},
			{"between", "20240105T000000Z", "20240106T000000Z", false},
		})
	})
	t.Run("moved override", func(t *testing.T) {
		lines := append(vevent("DTSTART:20240101T100000Z", "DTEND:20240101T110000Z", "RRULE:FREQ=DAILY;COUNT=5", "SUMMARY:daily"),
			vevent("RECURRENCE-ID:20240103T100000Z", "DTSTART:20240103T150000Z", "DTEND:20240103T160000Z", "SUMMARY:moved")...)
		checkRanges(t, "VEVENT", lines, nil, []rangeCase{
			{"old time", "20240103T100000Z", "20240103T110000Z", false},
			{"new time", "20240103T153000Z", "20240103T154500Z", true},
			{"other instance", "20240104T100000Z", "20240104T110000Z", true},
		})
		// The time-range and the prop-filter apply to the same component.
		cal := parseCal(t, lines...)
		for _, c := range []struct {
			summary, start, end string
			want                bool
		}{
			{"moved", "20240103T150000Z", "20240103T160000Z", true},
			{"moved", "20240104T100000Z", "20240104T110000Z", false},
			{"daily", "20240103T150000Z", "20240103T160000Z", false},
			{"daily", "20240104T100000Z", "20240104T110000Z", true},
		} {
			f := vcal(CompFilter{Name: "VEVENT", TimeRange: rng(t, c.start, c.end),
				Props: []PropFilter{{Name: "SUMMARY", TextMatch: &TextMatch{Value: c.summary}}}})
			if got := mustMatch(t, f, cal); got != c.want {
				t.Errorf("%s in [%s, %s): got %v", c.summary, c.start, c.end, got)
			}
		}
	})
	t.Run("THISANDFUTURE shifts later instances and gives them its properties", func(t *testing.T) {
		lines := append(vevent("DTSTART:20240101T100000Z", "DTEND:20240101T110000Z", "RRULE:FREQ=DAILY;COUNT=5", "SUMMARY:old"),
			vevent("RECURRENCE-ID;RANGE=THISANDFUTURE:20240103T100000Z", "DTSTART:20240103T140000Z", "DTEND:20240103T150000Z", "SUMMARY:new")...)
		checkRanges(t, "VEVENT", lines, nil, []rangeCase{
			{"before the split, old time", "20240102T100000Z", "20240102T110000Z", true},
			{"after the split, old time gone", "20240104T100000Z", "20240104T110000Z", false},
			{"after the split, new time", "20240105T143000Z", "20240105T144500Z", true},
		})
		cal := parseCal(t, lines...)
		for _, c := range []struct {
			summary, start, end string
			want                bool
		}{
			{"new", "20240105T140000Z", "20240105T150000Z", true},
			{"old", "20240105T140000Z", "20240105T150000Z", false},
			{"old", "20240102T100000Z", "20240102T110000Z", true},
			{"new", "20240102T100000Z", "20240102T110000Z", false},
		} {
			f := vcal(CompFilter{Name: "VEVENT", TimeRange: rng(t, c.start, c.end),
				Props: []PropFilter{{Name: "SUMMARY", TextMatch: &TextMatch{Value: c.summary}}}})
			if got := mustMatch(t, f, cal); got != c.want {
				t.Errorf("%s in [%s, %s): got %v", c.summary, c.start, c.end, got)
			}
		}
	})
	t.Run("cancelled override still matches, at its own time", func(t *testing.T) {
		checkRanges(t, "VEVENT", append(vevent("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=3"),
			vevent("RECURRENCE-ID:20240102T100000Z", "DTSTART:20240102T100000Z", "STATUS:CANCELLED")...), nil, []rangeCase{
			{"cancelled instance", "20240102T100000Z", "20240102T100001Z", true},
		})
	})
	t.Run("zones: Windows name and VTIMEZONE-only zone", func(t *testing.T) {
		vtz := []string{"BEGIN:VTIMEZONE", "TZID:Mine", "BEGIN:STANDARD", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
			"TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "END:STANDARD", "BEGIN:DAYLIGHT", "DTSTART:19700329T020000",
			"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT", "END:VTIMEZONE"}
		for _, tzid := range []string{"Mine", "W. Europe Standard Time 1", "/mozilla.org/20050126_1/Europe/Berlin"} {
			checkRanges(t, "VEVENT", append(append([]string{}, vtz...), vevent("DTSTART;TZID="+tzid+":20240321T100000",
				"DURATION:PT1H", "RRULE:FREQ=WEEKLY")...), nil, []rangeCase{
				{tzid + ": 10:00 CET is 09:00Z", "20240328T090000Z", "20240328T091500Z", true},
				{tzid + ": 10:00 CEST is 08:00Z", "20240404T080000Z", "20240404T081500Z", true},
				{tzid + ": not 09:00Z in summer", "20240404T093000Z", "20240404T094500Z", false},
			})
		}
	})
	t.Run("override of an all-day series keeps dates", func(t *testing.T) {
		lines := append(vevent("DTSTART;VALUE=DATE:20240101", "RRULE:FREQ=DAILY;COUNT=3"),
			vevent("RECURRENCE-ID;VALUE=DATE:20240102", "DTSTART;VALUE=DATE:20240110")...)
		checkRanges(t, "VEVENT", lines, nil, []rangeCase{
			{"moved away", "20240102T120000Z", "20240102T130000Z", false},
			{"moved to", "20240110T120000Z", "20240110T130000Z", true},
			{"untouched", "20240103T120000Z", "20240103T130000Z", true},
		})
	})
	t.Run("all-day series across DST in the query's zone", func(t *testing.T) {
		// In Zurich, 2024-03-31 lasts 23 hours: 30 Mar 23:00Z to 31 Mar 22:00Z.
		checkRanges(t, "VEVENT", vevent("DTSTART;VALUE=DATE:20240329", "DTEND;VALUE=DATE:20240330", "RRULE:FREQ=DAILY;COUNT=3"),
			zone(t, "Europe/Zurich"), []rangeCase{
				{"last hour of 31 March", "20240331T213000Z", "20240331T214500Z", true},
				{"first hour of 1 April", "20240331T221500Z", "20240331T223000Z", false},
			})
	})
	t.Run("long series are skipped ahead, not capped", func(t *testing.T) {
		// 30 years of daily instances come before the range; the walk
		// starts near the range, so the answer is exact.
		checkRanges(t, "VEVENT", vevent("DTSTART:20000101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY"), nil, []rangeCase{
			{"no instance at night", "20300101T000000Z", "20300101T010000Z", false},
			{"the morning instance", "20300101T103000Z", "20300101T110000Z", true},
			{"within the first year", "20010101T000000Z", "20010101T010000Z", false},
		})
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=20000"), nil, []rangeCase{
			{"COUNT series, no instance", "20240101T120000Z", "20240101T130000Z", false},
			{"COUNT series 30 years on", "20540101T103000Z", "20540101T110000Z", true},
		})
	})
	t.Run("instance cap", func(t *testing.T) {
		// A COUNT above 200,000 is not turned into an UNTIL, so the rule
		// is walked from its start; 175,000 hourly instances before the
		// range are more than the walk may take (10 x MaxInstances), so
		// the object is returned rather than risk hiding it, although no
		// instance overlaps.
		checkRanges(t, "VEVENT", vevent("DTSTART:20000101T100000Z", "DURATION:PT1M", "RRULE:FREQ=HOURLY;COUNT=300000"), nil, []rangeCase{
			{"past the cap", "20200101T003000Z", "20200101T004500Z", true},
			{"within the cap", "20010101T003000Z", "20010101T004500Z", false},
		})
	})
	t.Run("impossible rule stops", func(t *testing.T) {
		checkRanges(t, "VEVENT", vevent("DTSTART:20240101T100000Z", "DURATION:PT1H", "RRULE:FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30"), nil, []rangeCase{
			{"only DTSTART", "20240101T100000Z", "20240101T110000Z", true},
			{"nothing later", "20240301T000000Z", "", false},
		})
	})
}

func vtodo(lines ...string) []string {
	return append(append([]string{"BEGIN:VTODO", "UID:t"}, lines...), "END:VTODO")
}

// TestTimeRange_ToDo walks the VTODO table of RFC 4791 9.9 row by row
// against the range [2024-01-10, 2024-01-11).
func TestTimeRange_ToDo(t *testing.T) {
	const rs, re = "20240110T000000Z", "20240111T000000Z"
	tests := []struct {
		name  string
		lines []string
		want  bool
	}{
		// DTSTART + DURATION: (start <= DTSTART+DURATION) AND ((end > DTSTART) OR (end >= DTSTART+DURATION))
		{"start+dur across range start", []string{"DTSTART:20240109T230000Z", "DURATION:PT2H"}, true},
		{"start+dur before range", []string{"DTSTART:20240108T000000Z", "DURATION:PT1H"}, false},
		{"start+dur at range end", []string{"DTSTART:20240111T000000Z", "DURATION:PT1H"}, false},
		{"start+dur ending at range start", []string{"DTSTART:20240109T000000Z", "DURATION:PT24H"}, true}, // the table's <=
		// DTSTART + DUE: ((start < DUE) OR (start <= DTSTART)) AND ((end > DTSTART) OR (end >= DUE))
		{"start+due overlapping", []string{"DTSTART:20240108T000000Z", "DUE:20240110T120000Z"}, true},
		{"start+due before", []string{"DTSTART:20240108T000000Z", "DUE:20240109T000000Z"}, false},
		{"start+due after", []string{"DTSTART:20240111T000000Z", "DUE:20240112T000000Z"}, false},
		{"start+due inside", []string{"DTSTART:20240110T120000Z", "DUE:20240110T130000Z"}, true},
		// DTSTART only: (start <= DTSTART) AND (end > DTSTART)
		{"start inside", []string{"DTSTART:20240110T120000Z"}, true},
		{"start before", []string{"DTSTART:20240109T000000Z"}, false},
		{"start at range end", []string{"DTSTART:20240111T000000Z"}, false},
		// DUE only: (start < DUE) AND (end >= DUE)
		{"due inside", []string{"DUE:20240110T120000Z"}, true},
		{"due at range start", []string{"DUE:20240110T000000Z"}, false},
		{"due at range end", []string{"DUE:20240111T000000Z"}, true},
		// COMPLETED + CREATED: ((start <= CREATED) OR (start <= COMPLETED)) AND ((end >= CREATED) OR (end >= COMPLETED))
		{"created before, completed inside", []string{"CREATED:20240101T000000Z", "COMPLETED:20240110T120000Z"}, true},
		{"both before", []string{"CREATED:20240101T000000Z", "COMPLETED:20240105T000000Z"}, false},
		{"both after", []string{"CREATED:20240112T000000Z", "COMPLETED:20240113T000000Z"}, false},
		// COMPLETED only: (start <= COMPLETED) AND (end >= COMPLETED)
		{"completed inside", []string{"COMPLETED:20240110T120000Z"}, true},
		{"completed before", []string{"COMPLETED:20240109T000000Z"}, false},
		{"completed at range end", []string{"COMPLETED:20240111T000000Z"}, true},
		// CREATED only: (end > CREATED)
		{"created before", []string{"CREATED:20240101T000000Z"}, true},
		{"created at range end", []string{"CREATED:20240111T000000Z"}, false},
		// nothing: TRUE
		{"no dates", []string{"SUMMARY:someday"}, true},
		// recurring
		{"daily todo instance", []string{"DTSTART:20240101T100000Z", "DUE:20240101T120000Z", "RRULE:FREQ=DAILY"}, true},
		{"daily todo ended", []string{"DTSTART:20240101T100000Z", "DUE:20240101T120000Z", "RRULE:FREQ=DAILY;COUNT=3"}, false},
		{"weekly todo due shifts with instance", []string{"DTSTART:20240103T100000Z", "DUE:20240103T120000Z", "RRULE:FREQ=WEEKLY;COUNT=2"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRanges(t, "VTODO", vtodo(tt.lines...), nil, []rangeCase{{tt.name, rs, re, tt.want}})
		})
	}
}

func TestTimeRange_Journal(t *testing.T) {
	j := func(lines ...string) []string {
		return append(append([]string{"BEGIN:VJOURNAL", "UID:j"}, lines...), "END:VJOURNAL")
	}
	const rs, re = "20240110T000000Z", "20240111T000000Z"
	tests := []struct {
		name  string
		lines []string
		want  bool
	}{
		{"date-time inside", []string{"DTSTART:20240110T120000Z"}, true},
		{"date-time at range start", []string{"DTSTART:20240110T000000Z"}, true},
		{"date-time at range end", []string{"DTSTART:20240111T000000Z"}, false},
		{"date on the day", []string{"DTSTART;VALUE=DATE:20240110"}, true},
		{"date the day before", []string{"DTSTART;VALUE=DATE:20240109"}, false},
		{"date the day after", []string{"DTSTART;VALUE=DATE:20240111"}, false},
		{"no DTSTART", []string{"SUMMARY:x"}, false},
		// Weekly from 2024-01-01 lands on 01-08 and 01-15, not 01-10.
		{"recurring miss", []string{"DTSTART;VALUE=DATE:20240101", "RRULE:FREQ=WEEKLY"}, false},
		{"recurring hit", []string{"DTSTART;VALUE=DATE:20240103", "RRULE:FREQ=WEEKLY"}, true},
	}
	for _, tt := range tests {
		checkRanges(t, "VJOURNAL", j(tt.lines...), nil, []rangeCase{{tt.name, rs, re, tt.want}})
	}
}

func TestTimeRange_FreeBusyAndOthers(t *testing.T) {
	fb := func(lines ...string) []string {
		return append(append([]string{"BEGIN:VFREEBUSY", "UID:f"}, lines...), "END:VFREEBUSY")
	}
	const rs, re = "20240110T000000Z", "20240111T000000Z"
	checkRanges(t, "VFREEBUSY", fb("DTSTART:20240109T000000Z", "DTEND:20240110T000000Z"), nil, []rangeCase{{"DTEND at range start (table's <=)", rs, re, true}})
	checkRanges(t, "VFREEBUSY", fb("DTSTART:20240111T000000Z", "DTEND:20240112T000000Z"), nil, []rangeCase{{"after", rs, re, false}})
	checkRanges(t, "VFREEBUSY", fb("FREEBUSY:20240105T100000Z/PT1H,20240110T100000Z/PT1H"), nil, []rangeCase{{"busy period inside", rs, re, true}})
	checkRanges(t, "VFREEBUSY", fb("FREEBUSY;FBTYPE=BUSY:20240112T100000Z/20240112T110000Z"), nil, []rangeCase{{"busy period outside", rs, re, false}})
	checkRanges(t, "VFREEBUSY", fb("SUMMARY:x"), nil, []rangeCase{{"no times", rs, re, false}})

	av := func(lines ...string) []string {
		return append(append([]string{"BEGIN:VAVAILABILITY", "UID:a"}, lines...), "END:VAVAILABILITY")
	}
	checkRanges(t, "VAVAILABILITY", av("DTSTART:20240101T000000Z", "DTEND:20240105T000000Z"), nil, []rangeCase{{"other component outside", rs, re, false}})
	checkRanges(t, "VAVAILABILITY", av("DTSTART:20240101T000000Z", "DURATION:P10D"), nil, []rangeCase{{"other component with duration", rs, re, true}})
	checkRanges(t, "VAVAILABILITY", av("DTSTART:20240101T000000Z"), nil, []rangeCase{{"other component without end", rs, re, true}})
}

// TestTimeRange_Alarm: RFC 4791 9.9, a VALARM overlaps [start, end) when
// start <= trigger-time < end for a trigger time of some instance.
func TestTimeRange_Alarm(t *testing.T) {
	alarm := func(lines ...string) []string {
		return append(append([]string{"BEGIN:VALARM", "ACTION:DISPLAY"}, lines...), "END:VALARM")
	}
	check := func(t *testing.T, name string, comp string, lines []string, cases []rangeCase) {
		t.Helper()
		cal := parseCal(t, lines...)
		for _, c := range cases {
			f := vcal(CompFilter{Name: comp, Comps: []CompFilter{{Name: "VALARM", TimeRange: rng(t, c.start, c.end)}}})
			if got := mustMatch(t, f, cal); got != c.want {
				t.Errorf("%s: %s [%s, %s): got %v, want %v", name, c.name, c.start, c.end, got, c.want)
			}
		}
	}
	check(t, "relative to start", "VEVENT", vevent(append([]string{"DTSTART:20240110T100000Z", "DTEND:20240110T110000Z"},
		alarm("TRIGGER:-PT15M")...)...), []rangeCase{
		{"trigger at range start", "20240110T094500Z", "20240110T095000Z", true},
		{"trigger at range end", "20240110T094000Z", "20240110T094500Z", false},
		{"the event itself, not the alarm", "20240110T100000Z", "20240110T110000Z", false},
		{"open end", "20240110T090000Z", "", true},
		{"open start", "", "20240110T094501Z", true},
	})
	check(t, "relative to end", "VEVENT", vevent(append([]string{"DTSTART:20240110T100000Z", "DTEND:20240110T110000Z"},
		alarm("TRIGGER;RELATED=END:PT5M")...)...), []rangeCase{
		{"end + 5 min", "20240110T110500Z", "20240110T110501Z", true},
		{"start + 5 min", "20240110T100500Z", "20240110T100501Z", false},
	})
	check(t, "relative to DUE of a VTODO", "VTODO", vtodo(append([]string{"DTSTART:20240110T100000Z", "DUE:20240112T170000Z"},
		alarm("TRIGGER;RELATED=END:-P1D")...)...), []rangeCase{
		{"a day before DUE", "20240111T170000Z", "20240111T170001Z", true},
		{"a day before DTSTART", "20240109T100000Z", "20240109T100001Z", false},
	})
	check(t, "absolute", "VEVENT", vevent(append([]string{"DTSTART:20240110T100000Z", "RRULE:FREQ=DAILY"},
		alarm("TRIGGER;VALUE=DATE-TIME:20240105T080000Z")...)...), []rangeCase{
		{"at the absolute time", "20240105T080000Z", "20240105T080001Z", true},
		{"before any instance, still the absolute time", "20240101T000000Z", "20240106T000000Z", true},
		{"absolute fires once, not per instance", "20240111T080000Z", "20240111T080001Z", false},
	})
	check(t, "REPEAT and DURATION", "VEVENT", vevent(append([]string{"DTSTART:20240110T100000Z"},
		alarm("TRIGGER:-PT30M", "REPEAT:3", "DURATION:PT10M")...)...), []rangeCase{
		{"first", "20240110T093000Z", "20240110T093001Z", true},
		{"second repetition", "20240110T094500Z", "20240110T095001Z", true},
		{"third repetition at 10:00", "20240110T100000Z", "20240110T100001Z", true},
		{"no fourth", "20240110T100001Z", "20240110T110000Z", false},
		{"between repetitions", "20240110T093001Z", "20240110T094000Z", false},
		{"before all", "20240110T080000Z", "20240110T093000Z", false},
	})
	check(t, "recurring: every instance's alarm", "VEVENT", vevent(append([]string{"DTSTART;TZID=Europe/Zurich:20240321T100000",
		"RRULE:FREQ=WEEKLY;COUNT=3"}, alarm("TRIGGER:-PT1H")...)...), []rangeCase{
		{"first instance 09:00 local = 08:00Z", "20240321T080000Z", "20240321T080001Z", true},
		{"after DST 09:00 local = 07:00Z", "20240404T070000Z", "20240404T070001Z", true},
		{"after DST not 08:00Z", "20240404T080000Z", "20240404T080001Z", false},
		{"after COUNT", "20240411T070000Z", "20240411T070001Z", false},
	})
	check(t, "override's alarm follows the moved instance", "VEVENT", append(
		vevent(append([]string{"DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=3"}, alarm("TRIGGER:-PT10M")...)...),
		vevent("RECURRENCE-ID:20240102T100000Z", "DTSTART:20240102T150000Z")...), []rangeCase{
		{"master alarm of the moved instance is gone", "20240102T095000Z", "20240102T095001Z", false},
		{"other instance", "20240103T095000Z", "20240103T095001Z", true},
	})
	check(t, "all-day", "VEVENT", vevent(append([]string{"DTSTART;VALUE=DATE:20240110"}, alarm("TRIGGER:-PT15H")...)...), []rangeCase{
		{"09:00 the day before", "20240109T090000Z", "20240109T090001Z", true},
	})
	check(t, "no TRIGGER: undecidable, matches", "VEVENT", vevent(append([]string{"DTSTART:20240110T100000Z"}, alarm()...)...), []rangeCase{
		{"anywhere", "20300101T000000Z", "20300102T000000Z", true},
	})
}

func TestTimeRange_Property(t *testing.T) {
	cal := parseCal(t, vtodo("DTSTAMP:20240110T100000Z", "COMPLETED:20240110T120000Z",
		"EXDATE:20240101T000000Z,20240110T130000Z", "DUE;VALUE=DATE:20240110", "SUMMARY:20240110T100000Z",
		"X-NOTE;VALUE=TEXT:20240110T100000Z", "X-SEEN:20240110T100000Z")...)
	tests := []struct {
		prop, start, end string
		want             bool
	}{
		{"DTSTAMP", "20240110T000000Z", "20240111T000000Z", true},
		{"DTSTAMP", "20240110T100000Z", "20240110T100001Z", true},
		{"DTSTAMP", "20240110T100001Z", "", false},
		{"DTSTAMP", "", "20240110T100000Z", false},
		{"COMPLETED", "20240110T120000Z", "", true},
		{"EXDATE", "20240110T125959Z", "20240110T130001Z", true},
		{"EXDATE", "20240105T000000Z", "20240106T000000Z", false},
		{"DUE", "20240110T000000Z", "20240110T000001Z", true},
		{"X-NOTE", "20240101T000000Z", "", false}, // text that looks like a date
		{"X-SEEN", "20240101T000000Z", "", true},  // an x-property's date-time value
		{"CREATED", "20240101T000000Z", "", false},
	}
	for _, tt := range tests {
		f := vcal(CompFilter{Name: "VTODO", Props: []PropFilter{{Name: tt.prop, TimeRange: rng(t, tt.start, tt.end)}}})
		if got := mustMatch(t, f, cal); got != tt.want {
			t.Errorf("%s in [%s, %s): got %v, want %v", tt.prop, tt.start, tt.end, got, tt.want)
		}
	}
}
