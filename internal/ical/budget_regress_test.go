package ical

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
)

// fresh returns a number no earlier call returned, for data that must
// not be in a process-wide cache yet (go test -count=2 included).
func fresh() int { return int(freshN.Add(1)) }

var freshN atomic.Int64

// yearlyCostly is a rule within the work limits that costs its walk a lot
// of work units (88,206 candidates a year, BYSETPOS keeping one) while
// rrule-go spends little time on it, so that tests can spend budgets
// quickly. With UNTIL, a walk over all of time finishes (10 occurrences,
// about half of WalkWork) without being cut.
var yearlyCostly = "RRULE:FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=" + list(0, 23) +
	";BYMINUTE=0,1,2,3,4,5,6,7,8,9;BYSETPOS=1;UNTIL=20351231T235959Z"

func costlyObject(t testing.TB, i int) []byte {
	t.Helper()
	data := event(fmt.Sprintf("UID:costly-%d", i), "DTSTAMP:20260101T000000Z",
		"DTSTART:20260101T000000Z", "DTEND:20260101T010000Z", yearlyCostly)
	if _, err := ValidateObject(data); err != nil {
		t.Fatalf("a rule within the limits is refused: %v", err)
	}
	return data
}

var allOfTime = [2]string{"19000101T000000Z", "99991231T235959Z"}

// TestBudget_SharedByWalks: issue 12 bounded each walk; a request walks
// many objects, so 200 objects that each cost about half of WalkWork cost
// one request 100 walks' worth. With one Budget for all of them, the
// walks stop once RequestWork is spent (the one under way after its
// current occurrence), every later one reports itself truncated before it
// reads a rule, and none is silent about it.
func TestBudget_SharedByWalks(t *testing.T) {
	const objects = 200
	cals := make([]*goical.Calendar, objects)
	for i := range cals {
		cal, err := Parse(costlyObject(t, i))
		if err != nil {
			t.Fatal(err)
		}
		cals[i] = cal
	}
	opts := InstanceOptions{From: utc(t, allOfTime[0]), To: utc(t, allOfTime[1])}

	// One walk alone, with a budget of its own: complete, and what it
	// costs.
	one := NewBudget(RequestWork)
	opts.Budget = one
	n := 0
	truncated, err := Instances(cals[0], opts, func(Instance) bool { n++; return true })
	if err != nil || truncated || n != 10 {
		t.Fatalf("one object: %d instances, truncated %v, err %v; want all 10", n, truncated, err)
	}
	cost := one.Used()
	if cost < WalkWork/4 || cost > WalkWork {
		t.Fatalf("one walk cost %d units; the test wants a walk that costs a good part of WalkWork (%d)", cost, WalkWork)
	}

	b := NewBudget(RequestWork)
	opts.Budget = b
	complete, cut, spentFirst := 0, 0, 0
	for i, cal := range cals {
		spent := b.Spent()
		n := 0
		truncated, err := Instances(cal, opts, func(Instance) bool { n++; return true })
		if err != nil {
			t.Fatalf("object %d: %v", i, err)
		}
		switch {
		case truncated:
			cut++
			if spent {
				spentFirst++
				if n != 0 {
					t.Errorf("object %d: %d instances after the budget was spent", i, n)
				}
			}
		case n == 10:
			complete++
		default:
			t.Errorf("object %d: %d instances, not truncated: a partial answer passed for complete", i, n)
		}
	}
	if used := b.Used(); used > RequestWork+cost {
		t.Errorf("the request was charged %d units; its budget is %d, overrun by one occurrence at most", used, RequestWork)
	}
	if max := int((RequestWork + cost) / cost); complete > max || complete == 0 {
		t.Errorf("%d objects answered in full; the budget pays for %d", complete, max)
	}
	if complete+cut != objects || spentFirst < objects-complete-1 {
		t.Errorf("%d complete, %d cut (%d before they began) of %d", complete, cut, spentFirst, objects)
	}
}

// TestBudget_WalkBudgetStays: the request's budget does not lift a
// walk's own: one second a day, as SECONDLY, over a thousand years still
// stops at WalkWork (92 instances) with a large request budget, and the
// request is charged what the walk did plus its occurrences.
func TestBudget_WalkBudgetStays(t *testing.T) {
	cal := parseObject(t, vev("DTSTART:20260101T090000Z", "RRULE:FREQ=SECONDLY;BYHOUR=9;BYMINUTE=0;BYSECOND=0")...)
	b := NewBudget(100 * WalkWork)
	n := 0
	truncated, err := Instances(cal, InstanceOptions{From: utc(t, "20000101T000000Z"), To: utc(t, "30000101T000000Z"), Budget: b},
		func(Instance) bool { n++; return true })
	if err != nil || !truncated || n > 1000 {
		t.Errorf("%d instances, truncated %v, err %v; want the walk's budget to stop it", n, truncated, err)
	}
	if used := b.Used(); used < WalkWork || used > 2*WalkWork {
		t.Errorf("request charged %d units for one walk of WalkWork %d", used, WalkWork)
	}
}

// TestBudget_OccurrencesCharged: a walk of cheap occurrences (a daily
// event, 10,000 instances) costs its own budget 2 units each, but half a
// microsecond each of our own work: the request pays for them too, so
// that a request over many such objects is bounded as well.
func TestBudget_OccurrencesCharged(t *testing.T) {
	cal := parseObject(t, vev("DTSTART:20260101T090000Z", "RRULE:FREQ=DAILY")...)
	b := NewBudget(RequestWork)
	n := 0
	truncated, err := Instances(cal, InstanceOptions{From: utc(t, allOfTime[0]), To: utc(t, allOfTime[1]), Budget: b},
		func(Instance) bool { n++; return true })
	if err != nil || !truncated || n != DefaultMaxInstances {
		t.Fatalf("%d instances, truncated %v, err %v", n, truncated, err)
	}
	if used := b.Used(); used < int64(n)*occurrenceWork {
		t.Errorf("request charged %d units for %d occurrences", used, n)
	}
}

// TestBudget_SpentStillAnswersFixed: once the budget is spent, objects
// without recurrence are still answered in full and not marked; a
// recurring one is marked without a rule read.
func TestBudget_SpentStillAnswersFixed(t *testing.T) {
	b := NewBudget(1)
	b.charge(1)
	single := parseObject(t, vev("DTSTART:20260310T100000Z", "DTEND:20260310T110000Z")...)
	n := 0
	truncated, err := Instances(single, InstanceOptions{Budget: b}, func(Instance) bool { n++; return true })
	if err != nil || truncated || n != 1 {
		t.Errorf("single event: %d instances, truncated %v, err %v", n, truncated, err)
	}
	// An RRULE rrule-go refuses would be an error if it were read.
	broken := parseObject(t, vev("DTSTART:20260310T100000Z", "RRULE:FREQ=FOREVER")...)
	n = 0
	truncated, err = Instances(broken, InstanceOptions{Budget: b}, func(Instance) bool { n++; return true })
	if err != nil || !truncated || n != 0 {
		t.Errorf("recurring event: %d instances, truncated %v, err %v; want truncated, nothing read", n, truncated, err)
	}
}

// TestCountEnd_RequestCutNotRemembered: a COUNT rule's end found by a
// walk that the request's budget stopped is not remembered as "none":
// the next request, with budget to spare, finds it.
func TestCountEnd_RequestCutNotRemembered(t *testing.T) {
	// A DTSTART no other run uses, so the cache starts without it.
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(fresh()) * time.Second)
	rule, cost, err := parseRule("FREQ=DAILY;COUNT=5000", start, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := countEnd(rule, cost, NewBudget(1000)); ok {
		t.Fatal("a walk of 5,000 daily occurrences ended within 1,000 units")
	}
	end, ok := countEnd(rule, cost, nil)
	if want := start.AddDate(0, 0, 4999); !ok || !end.Equal(want) {
		t.Errorf("end %v, %v; want %v", end, ok, want)
	}
}

// TestInstances_CountRuleCharged: converting a COUNT rule to skip ahead
// walks it from its start; the request pays for that walk.
func TestInstances_CountRuleCharged(t *testing.T) {
	// A DTSTART no other run uses, so that the end is not remembered.
	start := time.Date(2000, 1, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(fresh()) * time.Second)
	cal := parseObject(t, vev("DTSTART:"+start.Format(utcFmt), "RRULE:FREQ=DAILY;COUNT=20000")...)
	b := NewBudget(RequestWork)
	if _, err := Instances(cal, InstanceOptions{From: utc(t, "20260301T000000Z"), To: utc(t, "20260302T000000Z"), Budget: b},
		func(Instance) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if used := b.Used(); used < 2*20000 {
		t.Errorf("request charged %d units; walking 20,000 daily occurrences costs 40,000", used)
	}
}

// TestZonesWithin_SpentBudget: a VTIMEZONE is built by walking its
// onsets' rules, a walk like any other. Once the request's budget is
// spent, one not yet built is read as UTC, Cut says so, and so do the
// walks that read times in it; nothing wrong is remembered for later
// requests.
func TestZonesWithin_SpentBudget(t *testing.T) {
	// A TZNAME no other run uses, so the zone is not built yet.
	lines := join(vtz("Budget Test Time",
		"BEGIN:STANDARD", "DTSTART:16011028T030000", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
		"TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", fmt.Sprintf("TZNAME:BTT%d", fresh()), "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:16010325T020000", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
		"TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:BTST", "END:DAYLIGHT"),
		vev("DTSTART;TZID=Budget Test Time:20260310T100000", "DTEND;TZID=Budget Test Time:20260310T110000"))
	cal := parseObject(t, lines...)
	spent := NewBudget(1)
	spent.charge(1)

	z := ZonesWithin(cal, spent)
	if loc := z.Location("Budget Test Time"); loc != time.UTC || !z.Cut() {
		t.Errorf("with the budget spent: %v, cut %v; want UTC, cut", loc, z.Cut())
	}
	var got Instance
	truncated, err := Instances(cal, InstanceOptions{Budget: spent}, func(in Instance) bool { got = in; return true })
	if err != nil || !truncated {
		t.Errorf("instance read in an unbuilt zone: truncated %v, err %v", truncated, err)
	}

	// Later requests build it.
	b := NewBudget(RequestWork)
	z = ZonesWithin(cal, b)
	loc := z.Location("Budget Test Time")
	if _, off := time.Date(2026, 3, 10, 10, 0, 0, 0, loc).Zone(); off != 3600 || z.Cut() {
		t.Errorf("built zone: offset %d, cut %v", off, z.Cut())
	}
	if b.Used() == 0 {
		t.Error("building the zone charged nothing")
	}
	truncated, err = Instances(cal, InstanceOptions{Budget: NewBudget(RequestWork)}, func(in Instance) bool { got = in; return true })
	if err != nil || truncated || !got.Start.Equal(utc(t, "20260310T090000Z")) {
		t.Errorf("instance %v, truncated %v, err %v", got.Start, truncated, err)
	}
}

// TestNewRequestBudget: a request pays for 16 walks, at any
// max-instances: above the default, walks and requests scale alike.
func TestNewRequestBudget(t *testing.T) {
	for _, tt := range []struct {
		max  int
		want int64
	}{
		{0, RequestWork},
		{3, RequestWork},
		{DefaultMaxInstances, RequestWork},
		{10 * DefaultMaxInstances, 10 * RequestWork},
	} {
		b := NewRequestBudget(tt.max)
		b.charge(tt.want - 1)
		if b.Spent() {
			t.Errorf("max %d: spent after %d units", tt.max, tt.want-1)
		}
		if b.charge(1); !b.Spent() {
			t.Errorf("max %d: not spent after %d units", tt.max, tt.want)
		}
	}
}
