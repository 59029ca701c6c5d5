package ical

import (
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
)

// master builds a VEVENT from "NAME;PARAMS:value" lines.
func master(t testing.TB, lines ...string) *goical.Component {
	t.Helper()
	cal, err := Parse(event(lines...))
	if err != nil {
		t.Fatal(err)
	}
	return cal.Children[0]
}

// starts collects up to n instance starts, formatted in UTC.
func starts(t *testing.T, r *Recurrence, n int) []string {
	t.Helper()
	var out []string
	err := r.Each(func(o Occurrence) bool {
		out = append(out, o.Start.UTC().Format("20060102T150405Z"))
		return len(out) < n
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRecurrence(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		n     int
		want  string
	}{
		{"single", []string{"DTSTART:20240101T100000Z"}, 10, "20240101T100000Z"},
		{"daily count", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=3"}, 10,
			"20240101T100000Z 20240102T100000Z 20240103T100000Z"},
		{"until utc inclusive", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;UNTIL=20240103T100000Z"}, 10,
			"20240101T100000Z 20240102T100000Z 20240103T100000Z"},
		{"until before instance", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;UNTIL=20240103T095959Z"}, 10,
			"20240101T100000Z 20240102T100000Z"},
		{"DATE until on DATE-TIME series covers that day", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;UNTIL=20240103"}, 10,
			"20240101T100000Z 20240102T100000Z 20240103T100000Z"},
		{"floating until in DTSTART zone", []string{"DTSTART;TZID=Europe/Zurich:20240101T100000", "RRULE:FREQ=DAILY;UNTIL=20240102T100000"}, 10,
			"20240101T090000Z 20240102T090000Z"},
		{"weekly across DST keeps wall clock", []string{"DTSTART;TZID=Europe/Zurich:20240321T100000", "RRULE:FREQ=WEEKLY;COUNT=3"}, 10,
			"20240321T090000Z 20240328T090000Z 20240404T080000Z"},
		{"utc weekly across DST keeps UTC", []string{"DTSTART:20240321T090000Z", "RRULE:FREQ=WEEKLY;COUNT=3"}, 10,
			"20240321T090000Z 20240328T090000Z 20240404T090000Z"},
		{"all-day", []string{"DTSTART;VALUE=DATE:20240228", "RRULE:FREQ=DAILY;COUNT=3"}, 10,
			"20240228T000000Z 20240229T000000Z 20240301T000000Z"},
		{"exdate lists and properties", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=6",
			"EXDATE:20240102T100000Z,20240104T100000Z", "EXDATE:20240106T100000Z"}, 10,
			"20240101T100000Z 20240103T100000Z 20240105T100000Z"},
		{"exdate tzid", []string{"DTSTART;TZID=Europe/Zurich:20240101T100000", "RRULE:FREQ=DAILY;COUNT=3",
			"EXDATE;TZID=Europe/Zurich:20240102T100000"}, 10,
			"20240101T090000Z 20240103T090000Z"},
		{"DATE exdate on DATE-TIME series", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=3", "EXDATE;VALUE=DATE:20240102"}, 10,
			"20240101T100000Z 20240103T100000Z"},
		{"exdate on DTSTART", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=2", "EXDATE:20240101T100000Z"}, 10,
			"20240102T100000Z"},
		{"rdate merged in order", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=WEEKLY;COUNT=2",
			"RDATE:20240103T120000Z,20240101T100000Z", "RDATE;VALUE=DATE:20240120"}, 10,
			"20240101T100000Z 20240103T120000Z 20240108T100000Z 20240120T000000Z"},
		{"rdate without rrule", []string{"DTSTART:20240101T100000Z", "RDATE:20240105T100000Z"}, 10,
			"20240101T100000Z 20240105T100000Z"},
		{"bad rdate skipped", []string{"DTSTART:20240101T100000Z", "RDATE:junk", "RDATE:20240105T100000Z"}, 10,
			"20240101T100000Z 20240105T100000Z"},
		{"dtstart outside rule still first", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=2"}, 10,
			"20240101T100000Z 20240103T100000Z 20240110T100000Z"},
		{"lower case and trailing semicolon", []string{"DTSTART:20240101T100000Z", "RRULE:freq=daily;count=2;"}, 10,
			"20240101T100000Z 20240102T100000Z"},
		{"two rrules", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;INTERVAL=2;COUNT=3", "RRULE:FREQ=DAILY;INTERVAL=3;COUNT=3"}, 10,
			"20240101T100000Z 20240103T100000Z 20240104T100000Z 20240105T100000Z 20240107T100000Z"},
		{"unbounded rule stops when told", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=YEARLY"}, 3,
			"20240101T100000Z 20250101T100000Z 20260101T100000Z"},
		{"rule without days keeps DTSTART", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"}, 10,
			"20240101T100000Z"},
		// Rare but real days must survive the "has any day" probe.
		{"leap day only", []string{"DTSTART:20240301T100000Z", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29"}, 2,
			"20240301T100000Z 20280229T100000Z"},
		{"friday the 13th", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;BYDAY=FR;BYMONTHDAY=13"}, 3,
			"20240101T100000Z 20240913T100000Z 20241213T100000Z"},
		{"week 53", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;BYWEEKNO=53;BYDAY=TH"}, 2,
			"20240101T100000Z 20261231T100000Z"},
		{"day 366", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=HOURLY;BYYEARDAY=366;BYHOUR=5"}, 2,
			"20240101T100000Z 20241231T050000Z"},
		{"reachable hourly", []string{"DTSTART:20240101T100000Z", "RRULE:FREQ=HOURLY;INTERVAL=5;BYHOUR=1;COUNT=2"}, 10,
			"20240101T100000Z 20240102T010000Z 20240107T010000Z"}, // 1h + 5h·k ≡ 1h (mod 24h) every 120 h
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRecurrence(master(t, append([]string{"UID:x"}, tt.lines...)...), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(starts(t, r, tt.n), " "); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestRecurrence_PeriodEnd(t *testing.T) {
	r, err := NewRecurrence(master(t, "UID:x", "DTSTART:20240101T100000Z", "RDATE;VALUE=PERIOD:20240102T100000Z/PT2H"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []Occurrence
	r.Each(func(o Occurrence) bool { got = append(got, o); return true })
	if len(got) != 2 || !got[0].End.IsZero() || !got[1].End.Equal(time.Date(2024, 1, 2, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("got %v", got)
	}
}

func TestRecurrence_Refused(t *testing.T) {
	for _, rule := range []string{
		"FREQ=SOMETIMES",
		"COUNT=3",
		"FREQ=DAILY;BYHOUR=25",
		"FREQ=DAILY;RSCALE=HEBREW",
		"FREQ=DAILY;INTERVAL=1000000000",
		"FREQ=DAILY;UNTIL=tomorrow",
		// rrule-go would never return from these: the hour (minute,
		// second) they ask for is never reached with this step.
		"FREQ=HOURLY;INTERVAL=2;BYHOUR=1",
		"FREQ=MINUTELY;INTERVAL=2;BYMINUTE=1",
		"FREQ=SECONDLY;INTERVAL=2;BYSECOND=1",
		"FREQ=HOURLY;INTERVAL=24;BYHOUR=9",
	} {
		t.Run(rule, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := NewRecurrence(master(t, "UID:x", "DTSTART:20240101T100000Z", "RRULE:"+rule), nil)
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil {
					t.Error("accepted")
				}
			case <-time.After(5 * time.Second):
				t.Fatal("hangs")
			}
		})
	}
	if _, err := NewRecurrence(master(t, "UID:x", "SUMMARY:no start"), nil); err == nil {
		t.Error("missing DTSTART accepted")
	}
}

// TestRecurrence_FastOnEmptyRules: rrule-go needs ~0.4 s to find that these
// have no instance; the YEARLY probe answers much sooner.
func TestRecurrence_FastOnEmptyRules(t *testing.T) {
	for _, rule := range []string{
		"FREQ=MINUTELY;BYMONTHDAY=31;BYMONTH=4",
		"FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
		"FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30",
	} {
		r, err := NewRecurrence(master(t, "UID:x", "DTSTART:20240101T100000Z", "RRULE:"+rule), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := starts(t, r, 10); len(got) != 1 {
			t.Errorf("%s: %v", rule, got)
		}
	}
}

// BenchmarkRecurrence_EmptyRule measures the probe that drops rules with
// no instance (rrule-go alone spends 0.1-0.4 s on each).
func BenchmarkRecurrence_EmptyRule(b *testing.B) {
	m := master(b, "UID:x", "DTSTART:20240101T100000Z", "RRULE:FREQ=MINUTELY;BYMONTHDAY=31;BYMONTH=4")
	for b.Loop() {
		if _, err := NewRecurrence(m, nil); err != nil {
			b.Fatal(err)
		}
	}
}
