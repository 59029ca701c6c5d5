package ical

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	goical "github.com/emersion/go-ical"
)

// readCost is what reading rule charges at least: ruleWork, a unit a
// byte, and probeWork for its day filters.
func readCost(rule string) int64 { return ruleWork + int64(len(rule)) + probeWork }

// TestValidateObject_YeardayRulesWithinBudget: issue 12's last gap at
// PUT. An object of 20 components with 16 distinct FREQ=HOURLY;BYYEARDAY
// rules each (250 KB) took seconds to check: estimating each rule's cost
// walked rrule-go over 400 years, uncharged, and the cache of those
// probes (4,096 filter sets, full for good once filled) never helped with
// new filters. Now the estimate is a bit-set evaluation, every rule read
// is charged to the PUT's budget, and the object is accepted within it,
// charged what it read, the same every time: no cache decides.
func TestValidateObject_YeardayRulesWithinBudget(t *testing.T) {
	data := yeardayObject(int64(fresh()), 20, 16, 200)
	b := NewBudget(ObjectWork)
	if _, err := ValidateObjectWithin(data, b); err != nil {
		t.Fatal(err)
	}
	// Every rule is read at least once (the master's again for the
	// span), each with its day filters evaluated.
	var least int64
	for _, line := range strings.Split(string(data), "\r\n") {
		if rule, ok := strings.CutPrefix(line, "RRULE:"); ok {
			least += readCost(rule)
		}
	}
	if b.Used() < least || b.Used() > least+least/10+WalkWork {
		t.Errorf("checks charged %d units; reading the 320 rules costs %d", b.Used(), least)
	}
	again := NewBudget(ObjectWork)
	if _, err := ValidateObjectWithin(data, again); err != nil || again.Used() != b.Used() {
		t.Errorf("the same object again: %d units (err %v), first %d", again.Used(), err, b.Used())
	}
}

// TestValidateObject_ChecksCappedByBudget: the rules (and day-filter
// evaluations) one PUT may read are capped by its budget, whatever the
// object holds: past it, the object is refused with a message that says
// why, having read at most one component more.
func TestValidateObject_ChecksCappedByBudget(t *testing.T) {
	const limit = 200_000
	data := yeardayObject(int64(fresh()), 200, 16, 20)
	var perComponent int64 // the dearest component's reading
	for _, comp := range strings.Split(string(data), "BEGIN:VEVENT")[1:] {
		var c int64
		for _, line := range strings.Split(comp, "\r\n") {
			if rule, ok := strings.CutPrefix(line, "RRULE:"); ok {
				c += readCost(rule)
			}
		}
		perComponent = max(perComponent, c)
	}
	b := NewBudget(limit)
	_, err := ValidateObjectWithin(data, b)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Kind != InvalidData || ve.Reason != tooCostly().Reason {
		t.Fatalf("err = %v; want InvalidData %q", err, tooCostly().Reason)
	}
	if b.Used() > limit+perComponent {
		t.Errorf("charged %d units; the budget is %d and one component reads %d", b.Used(), limit, perComponent)
	}
	if _, err := ValidateObject(data); err != nil {
		t.Errorf("with a PUT's budget (%d): %v", ObjectWork, err)
	}
}

// TestParseRule_NoCacheToFill: what reading a rule costs does not depend
// on what was read before. The probe's cache stopped storing after 4,096
// filter sets, so anybody could fill it and every later rule was probed
// again at full (and uncharged) cost; now there is no cache, and every
// evaluation is cheap and charged: the same rule charges the same before
// and after 5,000 other filter sets, and each of those was charged.
func TestParseRule_NoCacheToFill(t *testing.T) {
	start := utc(t, "20260101T000000Z")
	const rule = "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29"
	charge := func(rule string) int64 {
		b := NewBudget(RequestWork)
		if _, _, err := parseRule(rule, start, false, b); err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		return b.Used()
	}
	before := charge(rule)
	if before != readCost(rule) {
		t.Fatalf("%s charged %d, want %d", rule, before, readCost(rule))
	}
	b := NewBudget(RequestWork)
	var want int64
	for i := range 5000 {
		r := fmt.Sprintf("FREQ=HOURLY;BYYEARDAY=%d,%d", 1+i%366, 1+(i+1+i/366)%366)
		want += readCost(r)
		if _, _, err := parseRule(r, start, false, b); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
	}
	if b.Used() != want {
		t.Errorf("5,000 filter sets charged %d, want %d", b.Used(), want)
	}
	if after := charge(rule); after != before {
		t.Errorf("%s charged %d after 5,000 other filter sets, %d before", rule, after, before)
	}
}

// TestInstances_UncachedProbesWithinBudget: a request over many stored
// objects whose rules cost much to read and little to walk: the
// request's budget (here a small one, as RequestWork would need
// thousands of objects) pays for the objects it can, every later one is
// reported cut short before its rules are read, and the request spends
// no more than its budget and one object's reading.
func TestInstances_UncachedProbesWithinBudget(t *testing.T) {
	const objects, limit = 30, 200_000
	opts := InstanceOptions{From: utc(t, "20260601T000000Z"), To: utc(t, "20260601T010000Z")}
	seed := int64(fresh()) << 8
	cost := make([]int64, objects)
	var dearest int64
	cals := make([]*goical.Calendar, objects)
	for i := range cals {
		data := yeardayObject(seed+int64(i), 1, 16, 20)
		cal, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		cals[i] = cal
		// What it costs alone.
		opts.Budget = NewBudget(RequestWork)
		if truncated, err := Instances(cal, opts, func(Instance) bool { return true }); err != nil || truncated {
			t.Fatalf("object %d alone: truncated %v, err %v", i, truncated, err)
		}
		cost[i] = opts.Budget.Used()
		var reading int64
		for _, line := range strings.Split(string(data), "\r\n") {
			if rule, ok := strings.CutPrefix(line, "RRULE:"); ok {
				reading += readCost(rule)
			}
		}
		if cost[i] < reading {
			t.Fatalf("object %d cost %d; reading its rules costs %d", i, cost[i], reading)
		}
		dearest = max(dearest, cost[i])
	}

	b := NewBudget(limit)
	opts.Budget = b
	var spent int64 // what the objects before this one cost alone
	cut := 0
	for i, cal := range cals {
		truncated, err := Instances(cal, opts, func(Instance) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case spent+cost[i] < limit && truncated:
			t.Errorf("object %d: cut short, but the budget had room for it", i)
		case spent >= limit && !truncated:
			t.Errorf("object %d: complete, but the budget was spent before it", i)
		}
		if truncated {
			cut++
		}
		spent += cost[i]
	}
	if cut == 0 || b.Used() > limit+dearest {
		t.Errorf("%d of %d objects cut short, %d units charged; the budget is %d, one object costs up to %d",
			cut, objects, b.Used(), limit, dearest)
	}
}

// TestZones_LookupsCharged: looking up a zone name nobody has looked up
// costs time.LoadLocation a tenth of a millisecond, so it is charged
// (loadWork) to the budget of the Zones that does it, once per distinct
// TZID of the object; a vendor-prefixed TZID is looked up by its last few
// parts only, not by every suffix of a name 256 bytes long; and once the
// budget is spent, an unknown name reads as UTC and Cut says so, while
// a known one still resolves.
func TestZones_LookupsCharged(t *testing.T) {
	cal, err := Parse(event("UID:z", "DTSTART:20260101T000000Z"))
	if err != nil {
		t.Fatal(err)
	}
	LoadLocation("Europe/Berlin") // cached from here on
	b := NewBudget(RequestWork)
	z := ZonesWithin(cal, b)
	const n = 50
	for i := range n {
		// The whole name and "vendor.../Europe/Berlin" are looked up,
		// neither ever before; "Europe/Berlin" is cached.
		tzid := fmt.Sprintf("/vendor%d/Europe/Berlin", fresh())
		for range 3 {
			if loc, ok := z.Lookup(tzid); !ok || loc.String() != "Europe/Berlin" {
				t.Fatalf("%d: %s: %v, %v", i, tzid, loc, ok)
			}
		}
	}
	if b.Used() != n*2*loadWork {
		t.Errorf("%d vendor TZIDs, each three times: charged %d, want %d", n, b.Used(), n*2*loadWork)
	}

	long := NewBudget(RequestWork)
	tzid := fmt.Sprintf("/%d", fresh()) + strings.Repeat("/x", 100) + "/Europe/Berlin"
	if _, ok := ZonesWithin(cal, long).Lookup(tzid); !ok {
		t.Fatalf("%s does not resolve", tzid)
	}
	if most := int64(1+maxZoneNameParts) * loadWork; long.Used() > most {
		t.Errorf("a TZID of %d parts charged %d; at most %d lookups (%d) are needed", strings.Count(tzid, "/"), long.Used(), 1+maxZoneNameParts, most)
	}

	deep := fmt.Sprintf("/%d/a/b/America/Argentina/Buenos_Aires", fresh())
	if loc, ok := ZonesOf(cal).Lookup(deep); !ok || loc.String() != "America/Argentina/Buenos_Aires" {
		t.Errorf("%s: %v, %v", deep, loc, ok)
	}

	spent := NewBudget(1)
	spent.charge(1)
	z = ZonesWithin(cal, spent)
	if loc, ok := z.Lookup("Europe/Berlin"); !ok || loc.String() != "Europe/Berlin" || z.Cut() {
		t.Errorf("a cached name with the budget spent: %v, %v, cut %v", loc, ok, z.Cut())
	}
	if loc, ok := z.Lookup(fmt.Sprintf("/vendor%d/Europe/Berlin", fresh())); !ok || loc != nil && loc.String() != "UTC" || !z.Cut() {
		t.Errorf("a new name with the budget spent: %v, %v, cut %v; want UTC and cut", loc, ok, z.Cut())
	}
}

// TestValidateObject_ZoneLookupsCapped: at PUT, the zone names one object
// makes the server look up are capped by its budget: an object with more
// distinct unknown names than it pays for is refused.
func TestValidateObject_ZoneLookupsCapped(t *testing.T) {
	lines := []string{"UID:z", "DTSTART:20260101T000000Z"}
	for range 100 {
		lines = append(lines, fmt.Sprintf("X-ZONE;TZID=/vendor%d/Europe/Berlin:x", fresh()))
	}
	data := event(lines...)
	b := NewBudget(50 * 2 * loadWork)
	_, err := ValidateObjectWithin(data, b)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Reason != tooCostly().Reason {
		t.Fatalf("err = %v; want %q", err, tooCostly().Reason)
	}
	if b.Used() > 51*2*loadWork {
		t.Errorf("charged %d; the budget is %d", b.Used(), 50*2*loadWork)
	}
	if _, err := ValidateObject(data); err != nil {
		t.Errorf("with a PUT's budget: %v", err)
	}
}

// TestComponentDigest: built VTIMEZONEs are cached by a digest of their
// content, not their text (megabytes, copied per lookup); VTIMEZONEs
// that differ in any value, parameter list included, never share one,
// and the order in which properties were written does not matter.
func TestComponentDigest(t *testing.T) {
	vtz := func(lines ...string) [32]byte {
		cal, err := Parse(ics(append(append([]string{"BEGIN:VCALENDAR", "BEGIN:VTIMEZONE"}, lines...), "END:VTIMEZONE", "END:VCALENDAR")...))
		if err != nil {
			t.Fatal(err)
		}
		return componentDigest(cal.Children[0])
	}
	base := vtz("TZID:A", "X-P;Q=a,b:v", "X-R:w")
	if vtz("X-R:w", "TZID:A", "X-P;Q=a,b:v") != base {
		t.Error("the same properties in another order give another digest")
	}
	for _, other := range [][]string{
		{"TZID:A", `X-P;Q="a,b":v`, "X-R:w"},
		{"TZID:A", "X-P;Q=a;R=b:v", "X-R:w"},
		{"TZID:A", "X-P;Q=a,b:v", "X-R:w", "X-R:w"},
		{"TZID:A", "X-P;Q=a,b:v:", "X-R:w"},
		{"TZID:A", "X-P;Q=a,b,:v", "X-R:w"},
		{"TZID:B", "X-P;Q=a,b:v", "X-R:w"},
	} {
		if vtz(other...) == base {
			t.Errorf("%q has the digest of the base", other)
		}
	}
}
