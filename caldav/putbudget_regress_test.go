package caldav_test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"almanac/caldav"
	"almanac/internal/davtest"
	aical "almanac/internal/ical"
)

// yeardayObject is a master and 19 overrides with 16 FREQ=HOURLY rules
// each, every one with its own BYYEARDAY list of 200 days (250 KB): 320
// day filters to evaluate, none seen before.
func yeardayObject(seed int64) string {
	r := rand.New(rand.NewSource(seed))
	var body []string
	for c := range 20 {
		body = append(body, "BEGIN:VEVENT", "UID:yearday", "DTSTAMP:20260101T000000Z", "DTSTART:20260101T000000Z")
		if c > 0 {
			body = append(body, fmt.Sprintf("RECURRENCE-ID:20260101T%02d0000Z", c))
		}
		for range 16 {
			var days []string
			for _, d := range r.Perm(366)[:200] {
				days = append(days, fmt.Sprint(d+1))
			}
			body = append(body, "RRULE:FREQ=HOURLY;BYYEARDAY="+strings.Join(days, ","))
		}
		body = append(body, "END:VEVENT")
	}
	return calendar(body)
}

// putBudgets records the budgets e's handler makes.
func putBudgets(t *testing.T, e *env) *[]*aical.Budget {
	var got []*aical.Budget
	restore := caldav.SetBudgetHook(func(h *caldav.Calendars, b *aical.Budget) {
		if h == e.kind {
			got = append(got, b)
		}
	})
	t.Cleanup(restore)
	return &got
}

// TestPut_YeardayRulesWithinBudget: a PUT had no work budget: 320
// distinct day filters, each estimated by a 400-year rrule-go walk, cost
// this 250 KB PUT 7 to 40 seconds. Every PUT's checks now run under one
// budget (a request's worth), which the estimates are charged to; this
// object is stored within it.
func TestPut_YeardayRulesWithinBudget(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	budgets := putBudgets(t, e)
	data := yeardayObject(time.Now().UnixNano())
	if len(data) < 200_000 {
		t.Fatalf("the object is %d bytes", len(data))
	}
	if rec := e.do(put(e.obj("default", "yearday.ics"), data)); rec.Code != 201 {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	if len(*budgets) != 1 {
		t.Fatalf("the PUT made %d work budgets, want 1", len(*budgets))
	}
	if used := (*budgets)[0].Used(); used < 320*400 || used > aical.RequestWork {
		t.Errorf("the PUT's checks charged %d units; 320 rules with day filters cost more than %d, the budget is %d",
			used, 320*400, aical.RequestWork)
	}
}

// TestPut_CostlyVTimezonesRefused: each VTIMEZONE an object names costs
// up to a walk to build; an object with a score of costly ones is refused
// with CALDAV:valid-calendar-data and a message saying why, and nothing
// is stored.
func TestPut_CostlyVTimezonesRefused(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	// Within the rule limits, but building it walks a whole WalkWork
	// (88,206 candidate times a year for one onset).
	costly := "RRULE:FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=" + numbers(0, 23) + ";BYMINUTE=0,1,2,3,4,5,6,7,8,9;BYSETPOS=1"
	var zones, refs []string
	for i := range 20 {
		id := fmt.Sprintf("Costly %d %d", time.Now().UnixNano(), i)
		zones = append(zones, "BEGIN:VTIMEZONE", "TZID:"+id, "BEGIN:DAYLIGHT", "DTSTART:19700329T020000", costly,
			"TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT", "END:VTIMEZONE")
		refs = append(refs, "X-ZONE;TZID="+id+":x")
	}
	data := calendar(zones, []string{"BEGIN:VEVENT", "UID:zones", "DTSTAMP:20260101T000000Z", "DTSTART:20260101T000000Z"},
		refs, []string{"END:VEVENT"})
	p := e.obj("default", "zones.ics")
	seq := e.seq("default")
	rec := e.do(put(p, data))
	davtest.WantError(t, rec, 403, "valid-calendar-data")
	if !strings.Contains(rec.Body.String(), "the recurrence rules and time zones of this object are too costly to check") {
		t.Errorf("message: %s", rec.Body)
	}
	if rec := e.do(req{method: "GET", path: p}); rec.Code != 404 {
		t.Errorf("GET after refused PUT: %d", rec.Code)
	}
	if got := e.seq("default"); got != seq {
		t.Errorf("collection changed: seq %d -> %d", seq, got)
	}
}
