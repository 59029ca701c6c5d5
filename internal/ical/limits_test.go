package ical

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// list is "from,from+1,...,to".
func list(from, to int) string {
	var s []string
	for i := from; i <= to; i++ {
		s = append(s, strconv.Itoa(i))
	}
	return strings.Join(s, ",")
}

// bombRule is issue 12's recurrence bomb: every second of every day,
// 31,622,400 candidates per year, which rrule-go builds before it returns
// the first one.
var bombRule = "RRULE:FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=" + list(0, 23) +
	";BYMINUTE=" + list(0, 59) + ";BYSECOND=" + list(0, 59)

func bombEvent() []byte {
	return event("UID:bomb", "DTSTART:20260101T000000Z", "DTEND:20260101T000001Z", bombRule)
}

// allocated returns the bytes f allocates (runtime.MemStats.TotalAlloc:
// garbage included, which is what made the bomb hurt).
func allocated(f func()) uint64 {
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestValidateObject_RecurrenceBomb: the 631-byte bomb is refused at PUT
// with a message that says why.
func TestValidateObject_RecurrenceBomb(t *testing.T) {
	data := bombEvent()
	if len(data) > 700 {
		t.Fatalf("the bomb is %d bytes", len(data))
	}
	_, err := ValidateObject(data)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Kind != InvalidData {
		t.Fatalf("error = %v, want InvalidData", err)
	}
	if !strings.Contains(ve.Reason, "31622400 candidate times per year; at most 100000 are allowed") {
		t.Errorf("reason %q", ve.Reason)
	}
}

// TestInstances_StoredBombBounded: a bomb stored before rules were
// checked costs a query, an expansion and a free-busy over a thousand
// years a bounded amount of memory (the unbounded walk allocated 755 MiB
// for one week, 4.4 GiB for a thousand years), and the answer says it is
// incomplete.
func TestInstances_StoredBombBounded(t *testing.T) {
	cal, err := Parse(bombEvent())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range [][2]string{
		{"20260302T000000Z", "20260309T000000Z"},
		{"20000101T000000Z", "30000101T000000Z"},
	} {
		var truncated bool
		var n int
		bytes := allocated(func() {
			truncated, err = Instances(cal, InstanceOptions{From: utc(t, w[0]), To: utc(t, w[1])}, func(Instance) bool { n++; return true })
		})
		if err != nil {
			t.Fatal(err)
		}
		if bytes > 64<<20 {
			t.Errorf("%s..%s: allocated %d MiB", w[0], w[1], bytes>>20)
		}
		if !truncated {
			t.Errorf("%s..%s: %d instances, not reported as truncated", w[0], w[1], n)
		}
	}
	if _, _, open, ok := Span(cal); !ok || !open {
		t.Errorf("span open %v ok %v; a rule left out must leave the span open", open, ok)
	}
	rec, err := NewRecurrence(cal.Children[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	var le *LimitError
	if !errors.As(rec.Cut(), &le) || !rec.IsRecurring() {
		t.Errorf("Cut() = %v, recurring %v", rec.Cut(), rec.IsRecurring())
	}
}

// TestInstances_UnderLimitRuleBounded: a rule just under the candidate
// limit (96,624 per year) walked over a thousand years stops at the work
// budget instead of building 10,000 instances' worth of years.
func TestInstances_UnderLimitRuleBounded(t *testing.T) {
	data := event("UID:u", "DTSTART:20260101T000000Z",
		"RRULE:FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR="+list(0, 23)+";BYMINUTE=0,5,10,15,20,25,30,35,40,45,50")
	info, err := ValidateObject(data)
	if err != nil {
		t.Fatalf("a rule within the limits is refused: %v", err)
	}
	bytes := allocated(func() {
		_, err = Instances(info.Calendar, InstanceOptions{From: utc(t, "20000101T000000Z"), To: utc(t, "30000101T000000Z")}, func(Instance) bool { return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	if bytes > 64<<20 {
		t.Errorf("allocated %d MiB", bytes>>20)
	}
}

// TestInstances_SteppingBounded: HOURLY, MINUTELY and SECONDLY rules cost
// rrule-go a step per INTERVAL whether or not it is an occurrence. One
// second a day costs 86,400 steps per occurrence: the work budget stops
// the walk long before 10,000 instances (which took 3.4 s), and says so;
// a month is answered in full.
// On leap days only it costs 126 million steps per occurrence, which is
// refused outright (a 16-year window took 1.5 s).
func TestInstances_SteppingBounded(t *testing.T) {
	daily := parseObject(t, vev("DTSTART:20260101T090000Z", "RRULE:FREQ=SECONDLY;BYHOUR=9;BYMINUTE=0;BYSECOND=0")...)
	n := 0
	truncated, err := Instances(daily, InstanceOptions{From: utc(t, "20000101T000000Z"), To: utc(t, "30000101T000000Z")},
		func(Instance) bool { n++; return true })
	if err != nil || !truncated || n > 1000 {
		t.Errorf("one second a day: %d instances, truncated %v, err %v; want the work budget to stop it", n, truncated, err)
	}
	n = 0
	truncated, err = Instances(daily, InstanceOptions{From: utc(t, "20260301T000000Z"), To: utc(t, "20260401T000000Z")},
		func(Instance) bool { n++; return true })
	if err != nil || truncated || n != 31 {
		t.Errorf("one month: %d instances, truncated %v, err %v", n, truncated, err)
	}

	leap := parseObject(t, vev("DTSTART:20240101T090000Z", "RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=9;BYMINUTE=0;BYSECOND=0")...)
	n = 0
	truncated, err = Instances(leap, InstanceOptions{From: utc(t, "20240101T000000Z"), To: utc(t, "20400101T000000Z")},
		func(Instance) bool { n++; return true })
	if err != nil || !truncated || n != 1 {
		t.Errorf("leap days: %d instances, truncated %v, err %v; want DTSTART only, truncated", n, truncated, err)
	}
	_, err = ValidateObject(object(vev("DTSTART:20240101T090000Z", "RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=9;BYMINUTE=0;BYSECOND=0")...))
	if err == nil || !strings.Contains(err.Error(), "from one occurrence to the next; at most 1000000 are allowed") {
		t.Errorf("PUT of the leap-day rule: %v", err)
	}
}

// TestSpan_CountWalkBounded: the span computed at PUT walks a COUNT rule
// from its start; under the work budget a costly one leaves the span open
// instead of stepping 172 million times (0.8 s per PUT).
func TestSpan_CountWalkBounded(t *testing.T) {
	cal := parseObject(t, vev("DTSTART:20260101T090000Z", "RRULE:FREQ=SECONDLY;BYHOUR=9;BYMINUTE=0;BYSECOND=0;COUNT=2000")...)
	start, _, open, ok := Span(cal)
	if !ok || !open || !start.Equal(utc(t, "20260101T090000Z")) {
		t.Errorf("span from %v open %v ok %v", start, open, ok)
	}
	// What the budget allows is still bounded exactly.
	cal = parseObject(t, vev("DTSTART:20260101T090000Z", "RRULE:FREQ=DAILY;COUNT=2000")...)
	if _, end, open, ok := Span(cal); !ok || open || !end.Equal(utc(t, "20310623T110000Z")) {
		t.Errorf("daily COUNT=2000: end %v open %v ok %v", end, open, ok)
	}
}

// TestVTimezone_BombRule: a VTIMEZONE's own onset rules go through the
// same limits: the bomb is left out when the zone is built, and refused
// at PUT.
func TestVTimezone_BombRule(t *testing.T) {
	zone := vtz("Bomb", "BEGIN:STANDARD", "DTSTART:19700101T000000", bombRule, "TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT")
	data := object(join(zone, vev("DTSTART;TZID=Bomb:20260310T100000"))...)
	cal, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var loc *time.Location
	bytes := allocated(func() { loc = ZonesOf(cal).Location("Bomb") })
	if bytes > 64<<20 || loc == nil {
		t.Errorf("building the zone allocated %d MiB", bytes>>20)
	}
	_, err = ValidateObject(data)
	if err == nil || !strings.Contains(err.Error(), "STANDARD: RRULE") || !strings.Contains(err.Error(), "candidate times per year") {
		t.Errorf("PUT: %v", err)
	}
}

// TestRecurrence_LimitsPerComponent: the per-period limit holds for all
// of a component's rules together, which rrule-go holds at once; and a
// component has at most 16 RRULEs.
func TestRecurrence_LimitsPerComponent(t *testing.T) {
	half := "RRULE:FREQ=YEARLY;BYMONTH=" + list(1, 12) + ";BYMONTHDAY=" + list(1, 31) + ";BYHOUR=" + list(0, 23) + ";BYMINUTE=0,10,20,30,40,50"
	one := object(vev("DTSTART:20260101T000000Z", half)...)
	if _, err := ValidateObject(one); err != nil {
		t.Fatalf("one rule of 52,704 per year: %v", err)
	}
	two := object(vev("DTSTART:20260101T000000Z", half, strings.Replace(half, "BYMINUTE=0,", "BYMINUTE=1,", 1))...)
	_, err := ValidateObject(two)
	if err == nil || !strings.Contains(err.Error(), "the RRULEs together build up to 105408 candidate times per period") {
		t.Errorf("two rules: %v", err)
	}
	var many []string
	for i := 0; i < 17; i++ {
		many = append(many, "RRULE:FREQ=DAILY;INTERVAL="+strconv.Itoa(i+1))
	}
	_, err = ValidateObject(object(vev(append([]string{"DTSTART:20260101T000000Z"}, many...)...)...))
	if err == nil || !strings.Contains(err.Error(), "17 RRULE properties; at most 16 are allowed") {
		t.Errorf("17 rules: %v", err)
	}
}

// TestNormalize: duplicates cost nothing, BYSECOND=60 and impossible
// BYDAY week numbers leave nothing behind and no panic.
func TestNormalize(t *testing.T) {
	start := utc(t, "20240101T000000Z")
	_, dup, err := parseRule("FREQ=DAILY;BYHOUR=9,9,9,9;BYMINUTE=0,0", start, false, nil)
	if err != nil || dup.candidates != 1 {
		t.Errorf("duplicates: %+v %v", dup, err)
	}
	for _, rule := range []string{"FREQ=DAILY;BYSECOND=60", "FREQ=MONTHLY;BYDAY=-6FR", "FREQ=MONTHLY;BYDAY=8FR", "FREQ=YEARLY;BYMONTH=12;BYDAY=8FR"} {
		r, err := NewRecurrence(master(t, "UID:x", "DTSTART:20240101T100000Z", "RRULE:"+rule), nil)
		if err != nil {
			t.Errorf("%s: %v", rule, err)
			continue
		}
		if got := starts(t, r, 5); len(got) != 1 {
			t.Errorf("%s: %v, want DTSTART only", rule, got)
		}
	}
	r, err := NewRecurrence(master(t, "UID:x", "DTSTART:20240101T100000Z", "RRULE:FREQ=MINUTELY;COUNT=2;BYSECOND=0,60"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(starts(t, r, 5), " "); got != "20240101T100000Z 20240101T100100Z" {
		t.Errorf("BYSECOND=0,60: %s", got)
	}
}

// TestCostOf checks the estimates on rules whose counts are known.
func TestCostOf(t *testing.T) {
	tests := []struct {
		rule       string
		candidates int64
		steps      int64
	}{
		{"FREQ=YEARLY", 1, 0},
		{"FREQ=YEARLY;BYMONTH=3,10", 2, 0},
		{"FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU", 366, 0},
		{"FREQ=YEARLY;BYDAY=MO,TU", 106, 0},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", 1, 0},
		{"FREQ=YEARLY;BYMONTH=1,2;BYMONTHDAY=1,15;BYHOUR=8,20", 8, 0},
		{"FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO", 14, 0},
		{"FREQ=YEARLY;BYYEARDAY=1,-1", 4, 0},
		{"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", 25 + 25, 0},
		{"FREQ=MONTHLY;BYMONTHDAY=1,15", 2, 0},
		{"FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=9,14", 6, 0},
		{"FREQ=DAILY;BYHOUR=" + list(0, 23) + ";BYMINUTE=" + list(0, 59), 1440, 0},
		{"FREQ=HOURLY;BYMINUTE=0,30", 2, 2 * 2},
		{"FREQ=HOURLY;INTERVAL=5;BYHOUR=1", 1, 25 * 2},     // hour 1 every fifth day
		{"FREQ=MINUTELY;BYHOUR=9;BYMINUTE=0", 1, 1441 * 2}, // once a day
		{"FREQ=SECONDLY;BYDAY=MO", 1, 2 * 8},               // six skipped days in between
		{"FREQ=SECONDLY;BYHOUR=9;BYMINUTE=0;BYSECOND=0", 1, 86401 * 2},
	}
	for _, tt := range tests {
		_, c, err := parseRule(tt.rule, utc(t, "20240101T000000Z"), false, nil)
		if err != nil {
			t.Errorf("%s: %v", tt.rule, err)
			continue
		}
		if c.candidates != tt.candidates || c.steps != tt.steps {
			t.Errorf("%s: candidates %d steps %d, want %d and %d", tt.rule, c.candidates, c.steps, tt.candidates, tt.steps)
		}
	}
}

// Benchmarks of what issue 12's objects cost one query (-benchmem): the
// stored bomb over a week, one second a day as SECONDLY and a rule just
// under the candidate limit over a thousand years.
func benchWindow(b *testing.B, data []byte, from, to string) {
	cal, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	opts := InstanceOptions{From: utc(b, from), To: utc(b, to)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Instances(cal, opts, func(Instance) bool { return true }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInstances_StoredBombWeek(b *testing.B) {
	benchWindow(b, bombEvent(), "20260302T000000Z", "20260309T000000Z")
}

func BenchmarkInstances_SecondlyOnceADay1000Years(b *testing.B) {
	benchWindow(b, event("UID:s", "DTSTART:20260101T090000Z", "RRULE:FREQ=SECONDLY;BYHOUR=9;BYMINUTE=0;BYSECOND=0"),
		"20000101T000000Z", "30000101T000000Z")
}

func BenchmarkInstances_UnderLimit1000Years(b *testing.B) {
	benchWindow(b, event("UID:u", "DTSTART:20260101T000000Z",
		"RRULE:FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR="+list(0, 23)+";BYMINUTE=0,5,10,15,20,25,30,35,40,45,50"),
		"20000101T000000Z", "30000101T000000Z")
}
