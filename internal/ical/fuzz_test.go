package ical

import (
	"reflect"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"

	"almanac/internal/contentline"
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
	event("UID:1", "DTSTART:20240101T100000Z", "DURATION:P1DT", `ATTENDEE;CN=^'Babe^' ^^;X-A="a^nb":mailto:b@example.com`),
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
		if want, err := goicalDecode(data); err == nil && !reflect.DeepEqual(cal, decodeParams(want)) {
			t.Fatalf("differs from go-ical:\n got %#v\nwant %#v", cal.Component, want.Component)
		}
	})
}

// decodeParams undoes RFC 6868 escapes in go-ical's parameter values,
// which go-ical leaves as written and Parse decodes.
func decodeParams(cal *goical.Calendar) *goical.Calendar {
	var walk func(c *goical.Component)
	walk = func(c *goical.Component) {
		for _, props := range c.Props {
			for i := range props {
				for _, values := range props[i].Params {
					for j, v := range values {
						values[j] = contentline.DecodeParam(v)
					}
				}
			}
		}
		for _, child := range c.Children {
			walk(child)
		}
	}
	walk(cal.Component)
	return cal
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

// FuzzInstances walks any parsed calendar over any window: no panic, at
// most Max instances, in ascending order, all overlapping the window, all
// inside Span, and the walk is bounded by Max (10 x Max occurrences).
func FuzzInstances(f *testing.F) {
	seeds := []string{
		string(event("UID:a", "DTSTART;TZID=Europe/Zurich:20240101T100000", "DTEND;TZID=Europe/Zurich:20240101T110000",
			"RRULE:FREQ=WEEKLY;BYDAY=MO,TH", "EXDATE;TZID=Europe/Zurich:20240108T100000", "RDATE;VALUE=PERIOD:20240301T100000Z/PT2H")),
		string(object("BEGIN:VEVENT", "UID:b", "DTSTART;VALUE=DATE:20240101", "RRULE:FREQ=DAILY;COUNT=40", "END:VEVENT",
			"BEGIN:VEVENT", "UID:b", "RECURRENCE-ID;VALUE=DATE:20240105", "DTSTART;VALUE=DATE:20231201", "STATUS:CANCELLED", "END:VEVENT",
			"BEGIN:VEVENT", "UID:b", "RECURRENCE-ID;RANGE=THISANDFUTURE:20240110", "DTSTART:20240108T100000", "DURATION:PT3H", "END:VEVENT")),
		string(object("BEGIN:VTODO", "UID:c", "DTSTART:20240101T100000Z", "DUE:20240101T090000Z", "RRULE:FREQ=HOURLY;INTERVAL=5", "END:VTODO")),
		string(object("BEGIN:VTIMEZONE", "TZID:Custom", "BEGIN:STANDARD", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
			"TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "END:STANDARD", "BEGIN:DAYLIGHT", "DTSTART:19700329T020000",
			"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT", "END:VTIMEZONE",
			"BEGIN:VEVENT", "UID:d", "DTSTART;TZID=Custom:20240321T100000", "RRULE:FREQ=WEEKLY", "END:VEVENT")),
	}
	for i, s := range seeds {
		f.Add([]byte(s), int64(1704067200+i*86400*40), uint32(86400*30), uint8(5), uint8(i))
	}
	zurich, _ := LoadLocation("Europe/Zurich")
	kiritimati, _ := LoadLocation("Pacific/Kiritimati")
	zones := []*time.Location{nil, zurich, kiritimati, time.FixedZone("-12", -12*3600)}
	f.Fuzz(func(t *testing.T, data []byte, from int64, length uint32, max uint8, zone uint8) {
		cal, err := Parse(data)
		if err != nil {
			return
		}
		// Windows from 1900 to 2200.
		from = -2208988800 + (from%(300*365*86400)+300*365*86400)%(300*365*86400)
		opts := InstanceOptions{
			Floating: zones[int(zone)%len(zones)],
			From:     time.Unix(from, 0).UTC(),
			To:       time.Unix(from+int64(length)+1, 0).UTC(),
			Max:      int(max%50) + 1,
		}
		if zone&0x80 != 0 {
			opts.From = time.Time{}
		}
		sStart, sEnd, open, ok := Span(cal)
		n := 0
		var last time.Time
		_, err = Instances(cal, opts, func(in Instance) bool {
			n++
			if n > opts.Max {
				t.Fatalf("more than Max=%d instances", opts.Max)
			}
			if n > 1 && in.Start.Before(last) {
				t.Fatalf("instance at %v after one at %v", in.Start, last)
			}
			last = in.Start
			if in.End.Before(in.Start) || !inWindow(in.Start, in.End, opts.From, opts.To) {
				t.Fatalf("instance [%v, %v) outside the window [%v, %v)", in.Start, in.End, opts.From, opts.To)
			}
			if ok && (in.Start.Before(sStart) || !open && in.End.After(sEnd)) {
				t.Fatalf("instance [%v, %v) outside Span [%v, %v) open=%v", in.Start, in.End, sStart, sEnd, open)
			}
			if in.Component == nil {
				t.Fatal("instance without component")
			}
			return true
		})
		_ = err
	})
}
