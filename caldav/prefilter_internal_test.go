package caldav

import (
	"testing"
	"time"

	"almanac/caldav/filter"
	aical "almanac/internal/ical"
)

func TestQueryWindow(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 3, day, 0, 0, 0, 0, time.UTC) }
	var zero time.Time
	tr := func(s, e time.Time) *filter.TimeRange { return &filter.TimeRange{Start: s, End: e} }
	cal := func(comps ...filter.CompFilter) *filter.Filter {
		return &filter.Filter{Comp: filter.CompFilter{Name: "VCALENDAR", Comps: comps}}
	}
	tests := []struct {
		name       string
		f          *filter.Filter
		start, end time.Time
		ok         bool
	}{
		{"event in range", cal(filter.CompFilter{Name: "VEVENT", TimeRange: tr(d(1), d(8))}), d(1), d(8), true},
		{"lower case name", cal(filter.CompFilter{Name: "vevent", TimeRange: tr(d(1), d(8))}), d(1), d(8), true},
		{"with prop-filters and alarms", cal(filter.CompFilter{Name: "VTODO", TimeRange: tr(d(1), d(8)),
			Props: []filter.PropFilter{{Name: "SUMMARY", TextMatch: &filter.TextMatch{Value: "x"}}},
			Comps: []filter.CompFilter{{Name: "VALARM", TimeRange: tr(d(2), d(3))}}}), d(1), d(8), true},
		{"union of two", cal(filter.CompFilter{Name: "VEVENT", TimeRange: tr(d(5), d(8))},
			filter.CompFilter{Name: "VTODO", TimeRange: tr(d(1), d(3))}), d(1), d(8), true},
		{"union, open start", cal(filter.CompFilter{Name: "VEVENT", TimeRange: tr(d(5), d(8))},
			filter.CompFilter{Name: "VTODO", TimeRange: tr(zero, d(3))}), zero, d(8), true},
		{"union, open end", cal(filter.CompFilter{Name: "VEVENT", TimeRange: tr(d(5), zero)},
			filter.CompFilter{Name: "VJOURNAL", TimeRange: tr(d(1), d(3))}), d(1), zero, true},
		{"open end only", cal(filter.CompFilter{Name: "VEVENT", TimeRange: tr(d(5), zero)}), d(5), zero, true},
		{"free-busy", cal(filter.CompFilter{Name: "VFREEBUSY", TimeRange: tr(d(1), d(2))}), d(1), d(2), true},
		{"no comp-filter", cal(), zero, zero, false},
		{"no time-range", cal(filter.CompFilter{Name: "VEVENT"}), zero, zero, false},
		{"one child without", cal(filter.CompFilter{Name: "VEVENT", TimeRange: tr(d(1), d(8))}, filter.CompFilter{Name: "VTODO"}), zero, zero, false},
		{"is-not-defined child", cal(filter.CompFilter{Name: "VEVENT", TimeRange: tr(d(1), d(8))}, filter.CompFilter{Name: "VTODO", IsNotDefined: true}), zero, zero, false},
		{"VCALENDAR is-not-defined", &filter.Filter{Comp: filter.CompFilter{Name: "VCALENDAR", IsNotDefined: true}}, zero, zero, false},
		{"alarm range only", cal(filter.CompFilter{Name: "VEVENT", Comps: []filter.CompFilter{{Name: "VALARM", TimeRange: tr(d(1), d(2))}}}), zero, zero, false},
		{"prop range only", cal(filter.CompFilter{Name: "VTODO", Props: []filter.PropFilter{{Name: "COMPLETED", TimeRange: tr(d(1), d(2))}}}), zero, zero, false},
		{"VTIMEZONE range", cal(filter.CompFilter{Name: "VTIMEZONE", TimeRange: tr(d(1), d(2))}), zero, zero, false},
		{"x-component range", cal(filter.CompFilter{Name: "X-THING", TimeRange: tr(d(1), d(2))}), zero, zero, false},
		{"empty range", cal(filter.CompFilter{Name: "VEVENT", TimeRange: tr(zero, zero)}), zero, zero, false},
	}
	for _, tc := range tests {
		if !tc.end.IsZero() {
			tc.end = tc.end.Add(time.Nanosecond) // closed at the end
		}
		s, e, ok := queryWindow(tc.f)
		if ok != tc.ok || !s.Equal(tc.start) || !e.Equal(tc.end) {
			t.Errorf("%s: window %v %v %v, want %v %v %v", tc.name, s, e, ok, tc.start, tc.end, tc.ok)
		}
	}
}

// spanObjects are objects whose time-range answers are easy to get wrong;
// each must never be dropped by the prefilter when the matcher finds it.
var spanObjects = map[string]string{
	"event":             "BEGIN:VEVENT\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\n",
	"event instant":     "BEGIN:VEVENT\r\nDTSTART:20260310T100000Z\r\n",
	"event end<start":   "BEGIN:VEVENT\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T090000Z\r\n",
	"event floating":    "BEGIN:VEVENT\r\nDTSTART:20260310T100000\r\nDTEND:20260310T110000\r\n",
	"event all-day":     "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260310\r\n",
	"event multi-day":   "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260310\r\nDTEND;VALUE=DATE:20260313\r\n",
	"event duration":    "BEGIN:VEVENT\r\nDTSTART;TZID=Europe/Zurich:20260328T120000\r\nDURATION:P1DT1H\r\n",
	"event neg dur":     "BEGIN:VEVENT\r\nDTSTART:20260310T100000Z\r\nDURATION:-PT1H\r\n",
	"event zurich":      "BEGIN:VEVENT\r\nDTSTART;TZID=Europe/Zurich:20260310T100000\r\nDTEND;TZID=Europe/Zurich:20260310T110000\r\n",
	"event unknown tz":  "BEGIN:VEVENT\r\nDTSTART;TZID=Nowhere/Special:20260310T100000\r\nDTEND;TZID=Nowhere/Special:20260310T110000\r\n",
	"weekly count dst":  "BEGIN:VEVENT\r\nDTSTART;TZID=Europe/Zurich:20260316T233000\r\nDURATION:P1D\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n",
	"yearly all-day":    "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20200310\r\nRRULE:FREQ=YEARLY\r\n",
	"daily until":       "BEGIN:VEVENT\r\nDTSTART:20260305T100000Z\r\nDTEND:20260305T103000Z\r\nRRULE:FREQ=DAILY;UNTIL=20260311T100000Z\r\nEXDATE:20260307T100000Z\r\n",
	"rdate period":      "BEGIN:VEVENT\r\nDTSTART:20260301T100000Z\r\nDTEND:20260301T110000Z\r\nRDATE;VALUE=PERIOD:20260310T220000Z/20260311T020000Z\r\n",
	"rdate floating":    "BEGIN:VEVENT\r\nDTSTART:20260301T100000\r\nRDATE:20260310T230000\r\n",
	"todo due":          "BEGIN:VTODO\r\nDUE:20260310T100000Z\r\n",
	"todo due floating": "BEGIN:VTODO\r\nDUE:20260310T100000\r\n",
	"todo due date":     "BEGIN:VTODO\r\nDUE;VALUE=DATE:20260310\r\n",
	"todo start":        "BEGIN:VTODO\r\nDTSTART:20260310T100000Z\r\n",
	"todo start due":    "BEGIN:VTODO\r\nDTSTART:20260310T100000Z\r\nDUE:20260310T120000Z\r\n",
	"todo due<start":    "BEGIN:VTODO\r\nDTSTART:20260310T100000Z\r\nDUE:20260310T080000Z\r\n",
	"todo duration":     "BEGIN:VTODO\r\nDTSTART:20260310T100000Z\r\nDURATION:PT2H\r\n",
	"todo neg duration": "BEGIN:VTODO\r\nDTSTART:20260310T100000Z\r\nDURATION:-PT2H\r\n",
	"todo completed":    "BEGIN:VTODO\r\nCOMPLETED:20260310T100000Z\r\n",
	"todo created":      "BEGIN:VTODO\r\nCREATED:20260310T100000Z\r\n",
	"todo both":         "BEGIN:VTODO\r\nCREATED:20260301T100000Z\r\nCOMPLETED:20260310T100000Z\r\n",
	"todo start+compl":  "BEGIN:VTODO\r\nDTSTART:20260310T100000Z\r\nCOMPLETED:20260320T100000Z\r\n",
	"todo none":         "BEGIN:VTODO\r\n",
	"todo weekly":       "BEGIN:VTODO\r\nDTSTART:20260301T100000Z\r\nDUE:20260302T100000Z\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n",
	"journal date":      "BEGIN:VJOURNAL\r\nDTSTART;VALUE=DATE:20260310\r\n",
	"journal time":      "BEGIN:VJOURNAL\r\nDTSTART:20260310T100000Z\r\n",
	"journal none":      "BEGIN:VJOURNAL\r\n",
	"freebusy":          "BEGIN:VFREEBUSY\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T120000Z\r\n",
	"freebusy periods":  "BEGIN:VFREEBUSY\r\nFREEBUSY:20260310T100000Z/20260310T110000Z\r\n",
	"freebusy none":     "BEGIN:VFREEBUSY\r\n",
	"availability":      "BEGIN:VAVAILABILITY\r\nDTSTART:20260310T100000Z\r\n",
	"availability none": "BEGIN:VAVAILABILITY\r\n",
	"availability both": "BEGIN:VAVAILABILITY\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T120000Z\r\n",
}

// Objects with an override, written whole.
var spanOverrides = map[string]string{
	"moved far": "BEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260301T100000Z\r\nDTEND:20260301T110000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260302T100000Z\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nEND:VEVENT\r\n",
	"this and future": "BEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260301T100000Z\r\nDTEND:20260301T110000Z\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260308T100000Z\r\nDTSTART:20260309T150000Z\r\nDTEND:20260309T170000Z\r\nEND:VEVENT\r\n",
	"orphan override": "BEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260302T100000Z\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nEND:VEVENT\r\n",
	"all-day override": "BEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20260301\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID;VALUE=DATE:20260302\r\nDTSTART;VALUE=DATE:20260310\r\nEND:VEVENT\r\n",
}

// TestPrefilterSound checks the whole chain a calendar-query relies on:
// for objects of every component type and shape, read in zones from
// UTC-12 to UTC+14, and for ranges around their times, whenever the
// matcher finds the object its stored span overlaps the query window.
func TestPrefilterSound(t *testing.T) {
	objects := map[string][]byte{}
	for name, body := range spanObjects {
		comp := body[len("BEGIN:") : len(body)-2]
		if i := len(comp); i > 0 {
			for j := range comp {
				if comp[j] == '\r' {
					comp = comp[:j]
					break
				}
			}
		}
		objects[name] = []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + body +
			"UID:" + name + "\r\nDTSTAMP:20260101T000000Z\r\nEND:" + comp + "\r\nEND:VCALENDAR\r\n")
	}
	for name, body := range spanOverrides {
		objects[name] = []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + body + "END:VCALENDAR\r\n")
	}
	var zones []*time.Location
	for _, z := range []string{"UTC", "Etc/GMT+12", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Kiritimati"} {
		loc, err := time.LoadLocation(z)
		if err != nil {
			t.Fatal(err)
		}
		zones = append(zones, loc)
	}
	// Ranges: every 30 minutes (the objects' times and zone offsets fall
	// on half hours) around 10 March, where most objects lie, and every
	// six hours from 27 February to 24 March; of lengths from one second
	// to a week, and half-open ones.
	type rng struct{ s, e time.Time }
	var ranges []rng
	base := time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)
	dense0, dense1 := time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC)
	for off := time.Duration(0); off < 25*24*time.Hour; off += 30 * time.Minute {
		s := base.Add(off)
		if !s.Before(dense0) && s.Before(dense1) {
			for _, l := range []time.Duration{time.Second, 30 * time.Minute, 2 * time.Hour} {
				ranges = append(ranges, rng{s, s.Add(l)})
			}
		}
		if off%(6*time.Hour) == 0 {
			ranges = append(ranges, rng{s, s.Add(time.Second)}, rng{s, s.Add(2 * time.Hour)},
				rng{s, s.Add(7 * 24 * time.Hour)}, rng{s, time.Time{}}, rng{time.Time{}, s})
		}
	}
	checked, matched := 0, 0
	for name, data := range objects {
		info, err := aical.ValidateObject(data)
		if err != nil && name == "event unknown tz" {
			// PUT refuses unknown TZIDs now; objects stored before are
			// still queried.
			cal, perr := aical.Parse(data)
			info, err = &aical.ObjectInfo{Calendar: cal, Component: aical.CompEvent}, perr
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		span := objectSpan(info.Span)
		for _, loc := range zones {
			for _, r := range ranges {
				f := &filter.Filter{Location: loc, Comp: filter.CompFilter{Name: "VCALENDAR", Comps: []filter.CompFilter{
					{Name: info.Component, TimeRange: &filter.TimeRange{Start: r.s, End: r.e}},
				}}}
				ok, err := f.Match(info.Calendar)
				if err != nil {
					t.Fatal(err)
				}
				checked++
				if !ok {
					continue
				}
				matched++
				ws, we, windowed := queryWindow(f)
				if windowed && !span.Overlaps(ws, we) {
					t.Errorf("%s read in %s matches [%v, %v) but its span %+v is skipped", name, loc, r.s, r.e, span)
					break
				}
			}
		}
	}
	t.Logf("%d objects, %d checks, %d matches", len(objects), checked, matched)
	if matched == 0 {
		t.Fatal("nothing matched; the test checks nothing")
	}
}
