package ical

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzInstancesBudget: a request's budget only ever cuts an answer short,
// and says so. Whatever ValidateObject accepts is walked first with a
// budget of the fuzzed size (so that VTIMEZONEs are built, or not, under
// it), then without one. The budgeted walk must not panic; when it is not
// truncated its answer is the whole answer; when no time zone was left
// unread its instances are the first ones of the whole answer; and a
// spent budget yields nothing of a recurring object.
func FuzzInstancesBudget(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "realworld", "*.ics"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, int64(1704067200), uint32(2*365*86400), uint32(5000))
	}
	for _, s := range fuzzSeeds {
		f.Add(s, int64(1704067200), uint32(90*86400), uint32(300))
	}
	f.Add(costlyObject(f, 0), int64(0), uint32(0xffffffff), uint32(1_000_000))
	// A zone only its VTIMEZONE defines, built (or not) under the budget.
	f.Add(object(join(vtz("Fuzz Time", euRules...), vev("DTSTART;TZID=Fuzz Time:20240310T100000", "DTEND;TZID=Fuzz Time:20240310T110000",
		"RRULE:FREQ=WEEKLY;COUNT=30"))...), int64(1704067200), uint32(365*86400), uint32(2000))
	f.Fuzz(func(t *testing.T, data []byte, from int64, length uint32, units uint32) {
		info, err := ValidateObject(data)
		if err != nil {
			return
		}
		from = (from%(130*365*86400) + 130*365*86400) % (130 * 365 * 86400)
		opts := InstanceOptions{From: time.Unix(from, 0).UTC(), To: time.Unix(from+int64(length)+1, 0).UTC(), Max: 50}
		walk := func(o InstanceOptions) ([]Instance, bool, error) {
			var out []Instance
			truncated, err := Instances(info.Calendar, o, func(in Instance) bool { out = append(out, in); return true })
			return out, truncated, err
		}
		b := NewBudget(int64(units))
		budgeted := opts
		budgeted.Budget, budgeted.Zones = b, ZonesWithin(info.Calendar, b)
		part, cut, errPart := walk(budgeted)
		all, truncated, err := walk(opts)
		if (err == nil) != (errPart == nil) && !cut {
			t.Fatalf("error with a budget %v, without %v", errPart, err)
		}
		if err != nil || errPart != nil {
			return
		}
		same := func(a, b Instance) bool {
			return a.Start.Equal(b.Start) && a.End.Equal(b.End) && a.RecurrenceID.Equal(b.RecurrenceID) && a.Component == b.Component
		}
		if !cut && (truncated || len(part) != len(all)) {
			t.Fatalf("budgeted walk complete with %d instances; the whole answer has %d (truncated %v)", len(part), len(all), truncated)
		}
		if !budgeted.Zones.Cut() {
			if len(part) > len(all) {
				t.Fatalf("budgeted walk found %d instances, the whole answer %d", len(part), len(all))
			}
			for i := range part {
				if !same(part[i], all[i]) {
					t.Fatalf("instance %d differs: %+v, without budget %+v", i, part[i], all[i])
				}
			}
		} else if !cut {
			t.Fatal("a zone was left unread, yet the walk says it is complete")
		}
		if b.Spent() && anyRecurs(info.Calendar) {
			again, cut, err := walk(budgeted)
			if err != nil || !cut || len(again) != 0 {
				t.Fatalf("spent budget: %d instances, truncated %v, err %v", len(again), cut, err)
			}
		}
	})
}
