package ical

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
)

// FuzzValidateAndExpand follows a PUT's path: whatever ValidateObject
// accepts is expanded with Instances over a bounded window, as a
// calendar-query, an expand or a free-busy-query would. It must not panic,
// must yield at most Max instances, in order, each overlapping the window;
// a second walk must give the same answer; and the walks restricted to
// each component (InstanceOptions.Only, as expand and partial retrieval
// use them) must together give exactly the instances of the whole walk.
//
// Seeds: the real-world exports of testdata/realworld and the shapes the
// property test generates.
func FuzzValidateAndExpand(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "realworld", "*.ics"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, int64(1704067200), uint32(2*365*86400), uint8(40), uint8(0))
	}
	for _, s := range fuzzSeeds {
		f.Add(s, int64(1704067200), uint32(90*86400), uint8(10), uint8(1))
	}
	f.Add(object(
		"BEGIN:VTIMEZONE", "TZID:W. Europe Standard Time",
		"BEGIN:STANDARD", "DTSTART:16011028T030000", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:16010325T020000", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT",
		"END:VTIMEZONE",
		"BEGIN:VEVENT", "UID:w", "DTSTART;TZID=W. Europe Standard Time:20241027T023000", "DURATION:P1D",
		"RRULE:FREQ=DAILY;BYMONTH=10,3;BYDAY=SU", "EXDATE;TZID=W. Europe Standard Time:20251026T023000", "END:VEVENT",
		"BEGIN:VEVENT", "UID:w", "RECURRENCE-ID;TZID=W. Europe Standard Time:20241103T023000",
		"DTSTART;VALUE=DATE:20241102", "STATUS:CANCELLED", "END:VEVENT",
	), int64(1727740800), uint32(400*86400), uint8(60), uint8(2))

	zurich, _ := LoadLocation("Europe/Zurich")
	honolulu, _ := LoadLocation("Pacific/Honolulu")
	zones := []*time.Location{nil, zurich, honolulu, time.FixedZone("+14", 14*3600)}
	f.Fuzz(func(t *testing.T, data []byte, from int64, length uint32, max uint8, zone uint8) {
		info, err := ValidateObject(data)
		if err != nil {
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("ValidateObject: error of type %T: %v", err, err)
			}
			return
		}
		// Windows between 1970 and 2100, at most about 136 years long.
		from = (from%(130*365*86400) + 130*365*86400) % (130 * 365 * 86400)
		opts := InstanceOptions{
			Floating: zones[int(zone)%len(zones)],
			From:     time.Unix(from, 0).UTC(),
			To:       time.Unix(from+int64(length)+1, 0).UTC(),
			Max:      int(max%100) + 1,
		}
		walk := func(o InstanceOptions) ([]Instance, bool, error) {
			var out []Instance
			truncated, err := Instances(info.Calendar, o, func(in Instance) bool {
				out = append(out, in)
				if len(out) > o.Max {
					t.Fatalf("Instances yielded more than Max=%d", o.Max)
				}
				return true
			})
			return out, truncated, err
		}
		all, truncated, err := walk(opts)
		if err != nil {
			return // an RRULE we cannot expand, say: the caller answers conservatively
		}
		for i, in := range all {
			if in.Component == nil {
				t.Fatalf("instance %d has no component", i)
			}
			if i > 0 && in.Start.Before(all[i-1].Start) {
				t.Fatalf("instance %d at %v comes after one at %v", i, in.Start, all[i-1].Start)
			}
			if in.End.Before(in.Start) {
				t.Fatalf("instance %d ends (%v) before it starts (%v)", i, in.End, in.Start)
			}
			overlaps := in.Start.Before(opts.To) && (in.End.After(opts.From) || in.End.Equal(in.Start) && !in.Start.Before(opts.From))
			if !overlaps {
				t.Fatalf("instance %d [%v, %v) does not overlap the window [%v, %v)", i, in.Start, in.End, opts.From, opts.To)
			}
		}
		again, truncated2, err := walk(opts)
		if err != nil || truncated2 != truncated || !sameInstances(all, again) {
			t.Fatalf("a second walk differs: %d instances (truncated %v, err %v), first %d (truncated %v)", len(again), truncated2, err, len(all), truncated)
		}
		if truncated {
			return
		}
		// The per-component walks partition the whole one.
		var parts []Instance
		for _, c := range info.Calendar.Children {
			if c.Name == CompTimezone {
				continue
			}
			o := opts
			o.Only = c
			got, tr, err := walk(o)
			if err != nil || tr {
				return // a restricted walk may count differently; nothing to compare
			}
			for _, in := range got {
				if in.Component != c {
					t.Fatalf("Only=%s yielded an instance of another component", c.Name)
				}
			}
			parts = append(parts, got...)
		}
		if !sameInstanceSet(all, parts) {
			t.Fatalf("the per-component walks give %d instances, the whole walk %d", len(parts), len(all))
		}
	})
}

func sameInstances(a, b []Instance) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Start.Equal(b[i].Start) || !a[i].End.Equal(b[i].End) || a[i].Component != b[i].Component ||
			a[i].Override != b[i].Override || a[i].Cancelled != b[i].Cancelled || !a[i].RecurrenceID.Equal(b[i].RecurrenceID) {
			return false
		}
	}
	return true
}

// sameInstanceSet compares two lists of instances as multisets.
func sameInstanceSet(a, b []Instance) bool {
	if len(a) != len(b) {
		return false
	}
	type key struct {
		start, end, rid int64
		comp            *goical.Component
		override        bool
	}
	count := map[key]int{}
	for _, in := range a {
		count[key{in.Start.Unix(), in.End.Unix(), in.RecurrenceID.Unix(), in.Component, in.Override}]++
	}
	for _, in := range b {
		k := key{in.Start.Unix(), in.End.Unix(), in.RecurrenceID.Unix(), in.Component, in.Override}
		if count[k] == 0 {
			return false
		}
		count[k]--
	}
	return true
}
