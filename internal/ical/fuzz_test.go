package ical

import (
	"reflect"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
)

var fuzzSeeds = [][]byte{
	event("UID:1", "DTSTART:20240101T100000Z", "DTEND:20240101T110000Z"),
	event("UID:1", "DTSTART;TZID=Europe/Zurich:20240101T100000", "RRULE:FREQ=WEEKLY;COUNT=5", "EXDATE;TZID=Europe/Zurich:20240108T100000"),
	event("UID:1", "DTSTART;VALUE=DATE:20240101", "RDATE;VALUE=PERIOD:20240102T100000Z/PT1H", "BEGIN:VALARM", "TRIGGER:-PT5M", "END:VALARM"),
	ics("BEGIN:VCALENDAR", `X-A;P="a:b;c,d";Q=x,"y",z:value`, "X-LONG:abc", " def", "END:VCALENDAR"),
	ics("BEGIN:VCALENDAR", "X-A;P=", "END:VCALENDAR"),
	ics("BEGIN:VCALENDAR", `X-A;P="a"b:v`, "END:VCALENDAR"),
	object("BEGIN:VTODO", "UID:t", "DTSTART:20240101T100000Z", "DUE:20240102T100000Z", "END:VTODO"),
	[]byte("\xEF\xBB\xBFBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
}

// FuzzParse: Parse never panics, never hands back something deeper than
// maxDepth, and agrees with go-ical wherever both accept the input.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cal, err := Parse(data)
		if err != nil {
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if cal.Name != goical.CompCalendar {
			t.Fatalf("root %q", cal.Name)
		}
		if d := depth(cal.Component); d > maxDepth {
			t.Fatalf("depth %d", d)
		}
		// go-ical is quadratic in parameter length; keep it to small inputs.
		if len(data) > 4096 {
			return
		}
		if want, err := goicalDecode(data); err == nil && !reflect.DeepEqual(cal, want) {
			t.Fatalf("differs from go-ical:\n got %#v\nwant %#v", cal.Component, want.Component)
		}
	})
}

func depth(c *goical.Component) int {
	d := 0
	for _, child := range c.Children {
		d = max(d, depth(child))
	}
	return d + 1
}

// FuzzValidateObject: ValidateObject never panics, an accepted object has
// the facts it promises, and its recurrence set can be walked.
func FuzzValidateObject(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ValidateObject(data)
		if err != nil {
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if info.UID == "" || !objectComponents[info.Component] || info.Calendar == nil {
			t.Fatalf("info %+v", info)
		}
		for _, c := range info.Calendar.Children {
			if c.Props.Get("DTSTART") == nil {
				continue
			}
			r, err := NewRecurrence(c, nil)
			if err != nil {
				continue
			}
			n := 0
			if err := r.Each(func(Occurrence) bool { n++; return n < 100 }); err != nil {
				t.Logf("expansion error: %v", err)
			}
		}
	})
}

// FuzzRecurrence feeds arbitrary RRULE values to the expansion: rrule-go
// loops forever on some rules and panics on others, and NewRecurrence must
// refuse or defuse all of them.
func FuzzRecurrence(f *testing.F) {
	for _, s := range []string{
		"FREQ=DAILY;COUNT=10",
		"FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20250101T000000Z",
		"FREQ=MONTHLY;BYDAY=-1FR;BYSETPOS=1",
		"FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
		"FREQ=HOURLY;INTERVAL=7;BYHOUR=3,4",
		"FREQ=MINUTELY;INTERVAL=90;BYMINUTE=15;BYHOUR=1",
		"FREQ=SECONDLY;BYSECOND=59;BYMONTHDAY=-1",
		"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
	} {
		f.Add(s, uint8(0))
	}
	starts := []string{"DTSTART:20240101T100000Z", "DTSTART;VALUE=DATE:20240229", "DTSTART;TZID=Europe/Zurich:20240331T023000", "DTSTART:20240101T235959"}
	f.Fuzz(func(t *testing.T, rule string, kind uint8) {
		if strings.ContainsAny(rule, "\r\n") {
			return
		}
		data := event("UID:x", starts[int(kind)%len(starts)], "RRULE:"+rule)
		cal, err := Parse(data)
		if err != nil {
			return
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			r, err := NewRecurrence(cal.Children[0], nil)
			if err != nil {
				return
			}
			n := 0
			last := time.Time{}
			r.Each(func(o Occurrence) bool {
				if o.Start.Before(last) {
					t.Errorf("instances out of order: %v after %v", o.Start, last)
				}
				last = o.Start
				n++
				return n < 200
			})
		}()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatalf("RRULE:%s with %s does not finish", rule, starts[int(kind)%len(starts)])
		}
	})
}
