package ical

import (
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/teambition/rrule-go"
)

// rruleDays returns, for each year from first on (years of them), the
// days counted from January 1 that rrule-go keeps for o's day filters: a
// YEARLY rule with the same filters walked over those years, the
// reference daysOf follows. Finer than MONTHLY, rrule-go ignores BYDAY
// ordinals; so does the reference. The years should end at rrule-go's
// last (9999): a rule whose filters pass no day is walked up to there.
func rruleDays(t testing.TB, o *rrule.ROption, first, years int) map[int][]int {
	t.Helper()
	probe := rrule.ROption{
		Freq:       rrule.YEARLY,
		Dtstart:    time.Date(first, 1, 1, 0, 0, 0, 0, time.UTC),
		Until:      time.Date(first+years-1, 12, 31, 0, 0, 0, 0, time.UTC),
		Wkst:       o.Wkst,
		Bymonth:    o.Bymonth,
		Bymonthday: o.Bymonthday,
		Byyearday:  o.Byyearday,
		Byweekno:   o.Byweekno,
	}
	for _, wd := range o.Byweekday {
		probe.Byweekday = append(probe.Byweekday, weekdays[wd.Day()])
	}
	if len(probe.Bymonthday) == 0 && len(probe.Byyearday) == 0 && len(probe.Byweekno) == 0 && len(probe.Byweekday) == 0 {
		// Without a day filter rrule-go would keep only DTSTART's day.
		probe.Byyearday = allYearDays
	}
	r, err := rrule.NewRRule(probe)
	if err != nil {
		t.Fatalf("reference probe: %v", err)
	}
	days := make(map[int][]int)
	next := r.Iterator()
	for {
		d, ok := next()
		if !ok {
			return days
		}
		days[d.Year()] = append(days[d.Year()], d.YearDay()-1)
	}
}

var allYearDays = func() []int {
	d := make([]int, 366)
	for i := range d {
		d[i] = i + 1
	}
	return d
}()

func kindOf(y int) yearKind {
	return yearKind{leap: isLeapYear(y), prevLeap: isLeapYear(y - 1),
		jan1: (int(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Weekday()) + 6) % 7}
}

// sameMasks fails at the first year of rrule-go's last Gregorian cycle
// (9600-9999, every kind of year) where daysOf's mask differs from
// rrule-go's.
func sameMasks(t testing.TB, o *rrule.ROption) {
	t.Helper()
	f := newDayFilter(o)
	want := rruleDays(t, o, 9600, 400)
	for y := 9600; y < 10000; y++ {
		var got []int
		f.passes(kindOf(y), func(i int) { got = append(got, i) })
		if !slices.Equal(got, want[y]) {
			t.Fatalf("%s in %d (a year like %+v):\n got %v\nwant %v", filterString(o), y, kindOf(y), got, want[y])
		}
	}
}

func filterString(o *rrule.ROption) string {
	c := *o
	c.Dtstart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Freq = rrule.HOURLY
	return c.RRuleString()
}

func byDay(days ...rrule.Weekday) []rrule.Weekday { return days }

var dayFilterCases = []rrule.ROption{
	{Bymonth: []int{2}},
	{Bymonth: []int{2}, Bymonthday: []int{29}},
	{Bymonth: []int{2}, Bymonthday: []int{30}},
	{Bymonthday: []int{31}},
	{Bymonthday: []int{-1}},
	{Bymonthday: []int{-31, 1}},
	{Bymonth: []int{2}, Bymonthday: []int{-29}},
	{Byyearday: []int{366}},
	{Byyearday: []int{-366}},
	{Byyearday: []int{1, -1, 60, -306}},
	{Byweekday: byDay(rrule.MO)},
	{Byweekday: byDay(rrule.MO.Nth(2), rrule.FR.Nth(-1))},
	{Byweekday: byDay(rrule.SA, rrule.SU), Bymonth: []int{1, 7}},
	{Byweekday: byDay(rrule.FR), Bymonthday: []int{13}},
	{Byweekno: []int{1}},
	{Byweekno: []int{53}},
	{Byweekno: []int{-1}},
	{Byweekno: []int{-53}},
	{Byweekno: []int{52}, Wkst: rrule.SU},
	{Byweekno: []int{1, 52, 53}, Wkst: rrule.TH},
	{Byweekno: []int{1}, Byweekday: byDay(rrule.MO), Wkst: rrule.SA},
	{Byweekno: []int{20}, Byyearday: []int{140, 141, 142}, Bymonth: []int{5}},
	{Bymonth: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, Bymonthday: []int{1, 15}, Byweekday: byDay(rrule.TU, rrule.TH)},
}

// TestDaysOf_MatchesRRule: the masks daysOf builds are the days rrule-go
// keeps, in every year of a cycle, so that what we estimate is what
// rrule-go will do: the cases above, the week numbers at the ends of the
// year with every week start (rrule-go's week numbering has the most
// arithmetic), and random filter sets.
func TestDaysOf_MatchesRRule(t *testing.T) {
	for _, o := range dayFilterCases {
		normalize(&o)
		sameMasks(t, &o)
	}
	for wkst := range 7 {
		for _, n := range []int{1, 2, 26, 52, 53, -1, -2, -52, -53} {
			sameMasks(t, &rrule.ROption{Wkst: weekdays[wkst], Byweekno: []int{n}})
		}
	}
	for _, wkst := range []rrule.Weekday{rrule.MO, rrule.SU} {
		for n := 1; n <= 53; n++ {
			sameMasks(t, &rrule.ROption{Wkst: wkst, Byweekno: []int{n}})
			sameMasks(t, &rrule.ROption{Wkst: wkst, Byweekno: []int{-n}})
		}
	}
	r := rand.New(rand.NewSource(1))
	for range 100 {
		o := randomDayFilter(r)
		sameMasks(t, &o)
	}
}

// randomDayFilter draws a few values for some of the day filters, so
// that most sets pass some days and not all.
func randomDayFilter(r *rand.Rand) rrule.ROption {
	o := rrule.ROption{Wkst: weekdays[r.Intn(7)]}
	some := func(lo, hi int, signed bool) []int {
		if r.Intn(2) == 0 {
			return nil
		}
		var l []int
		for range 1 + r.Intn(4) {
			v := lo + r.Intn(hi-lo+1)
			if signed && r.Intn(2) == 0 {
				v = -v
			}
			l = append(l, v)
		}
		return l
	}
	o.Bymonth = some(1, 12, false)
	o.Bymonthday = some(1, 31, true)
	o.Byyearday = some(1, 366, true)
	o.Byweekno = some(1, 53, true)
	for _, d := range some(0, 6, false) {
		o.Byweekday = append(o.Byweekday, weekdays[d])
	}
	normalize(&o)
	return o
}

// rruleCycle is the reference for daysOf: rrule-go's days over its last
// two Gregorian cycles (9200-9999), which hold every gap of the repeating
// sequence.
func rruleCycle(t testing.TB, o *rrule.ROption) (some bool, gap int64) {
	t.Helper()
	byYear := rruleDays(t, o, 9200, 800)
	day, last, seen := 0, 0, 0
	for y := 9200; y < 10000; y++ {
		for _, d := range byYear[y] {
			if seen > 0 {
				gap = max(gap, int64(day+d-last))
			}
			last = day + d
			seen++
		}
		day += 365
		if isLeapYear(y) {
			day++
		}
	}
	if seen < 2 {
		return seen > 0, gregorianCycle
	}
	return true, gap
}

func days(from, to time.Time) int64 { return int64(to.Sub(from) / (24 * time.Hour)) }

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestDaysOf_Cycle: daysOf's answers over the 400-year cycle, against
// known values and against rrule-go walked over two cycles.
func TestDaysOf_Cycle(t *testing.T) {
	tests := []struct {
		o    rrule.ROption
		some bool
		gap  int64 // 0: compared with rrule-go only
	}{
		{rrule.ROption{Byweekday: byDay(rrule.MO)}, true, 7},
		{rrule.ROption{Bymonth: []int{3}}, true, days(date(2003, 3, 31), date(2004, 3, 1))},
		// February 29 skips 2100.
		{rrule.ROption{Bymonth: []int{2}, Bymonthday: []int{29}}, true, days(date(2096, 2, 29), date(2104, 2, 29))},
		{rrule.ROption{Byyearday: []int{366}}, true, days(date(2096, 12, 31), date(2104, 12, 31))},
		{rrule.ROption{Bymonth: []int{2}, Bymonthday: []int{30}}, false, gregorianCycle},
		{rrule.ROption{Bymonth: []int{4}, Bymonthday: []int{31}}, false, gregorianCycle},
		// August 31 to October 31.
		{rrule.ROption{Bymonthday: []int{31}}, true, 61},
		// Friday the 13th: at most 14 months apart.
		{rrule.ROption{Byweekday: byDay(rrule.FR), Bymonthday: []int{13}}, true, days(date(2001, 7, 13), date(2002, 9, 13))},
		{rrule.ROption{Byweekno: []int{53}}, true, 0},
		{rrule.ROption{Byweekno: []int{1}, Byweekday: byDay(rrule.MO), Bymonth: []int{12}}, true, 0},
		{rrule.ROption{Byweekno: []int{-1}, Wkst: rrule.SU, Byyearday: []int{1}}, true, 0},
	}
	for _, tt := range tests {
		o := tt.o
		normalize(&o)
		some, gap := daysOf(&o)
		wantSome, wantGap := rruleCycle(t, &o)
		if some != wantSome || gap != wantGap {
			t.Errorf("%s: daysOf = %v, %d; rrule-go over two cycles: %v, %d", filterString(&o), some, gap, wantSome, wantGap)
		}
		if tt.gap != 0 && (some != tt.some || gap != tt.gap) {
			t.Errorf("%s: daysOf = %v, %d; want %v, %d", filterString(&o), some, gap, tt.some, tt.gap)
		}
	}
	r := rand.New(rand.NewSource(2))
	for range 10 {
		o := randomDayFilter(r)
		some, gap := daysOf(&o)
		if wantSome, wantGap := rruleCycle(t, &o); some != wantSome || gap != wantGap {
			t.Errorf("%s: daysOf = %v, %d; rrule-go over two cycles: %v, %d", filterString(&o), some, gap, wantSome, wantGap)
		}
	}
}

// TestDaysOf_OutOfBounds: values rrule-go refuses get the most cautious
// answer, as the rrule-go probe that failed on them gave, and no panic.
func TestDaysOf_OutOfBounds(t *testing.T) {
	for _, o := range []rrule.ROption{
		{Bymonth: []int{13}},
		{Bymonthday: []int{0}},
		{Bymonthday: []int{32}},
		{Byyearday: []int{-367}},
		{Byweekno: []int{54}},
		{Byweekno: []int{0, 1}},
	} {
		if some, gap := daysOf(&o); !some || gap != gregorianCycle {
			t.Errorf("%+v: daysOf = %v, %d; want true, %d", o, some, gap, gregorianCycle)
		}
	}
}

// FuzzDaysOf compares daysOf's masks with rrule-go's for filters drawn
// from the input, and checks that daysOf never panics.
func FuzzDaysOf(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{3, 0x81, 0x35, 0xff, 0x10})
	f.Add([]byte{6, 0, 0, 0, 0, 0x35, 0x34, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || len(data) > 24 {
			return
		}
		o := rrule.ROption{Wkst: weekdays[int(data[0])%7]}
		for i, b := range data[1:] {
			// Each byte adds a value to one filter: which one by its
			// position, the value from the byte (high bit: negative).
			v, neg := int(b&0x7f), b&0x80 != 0
			signed := func(lo, hi int) int {
				v = lo + v%(hi-lo+1)
				if neg {
					return -v
				}
				return v
			}
			switch i % 5 {
			case 0:
				o.Bymonth = append(o.Bymonth, 1+v%12)
			case 1:
				o.Bymonthday = append(o.Bymonthday, signed(1, 31))
			case 2:
				// Spread over the whole year, not its first 128 days.
				v = v * 365 / 127
				o.Byyearday = append(o.Byyearday, signed(1, 366))
			case 3:
				o.Byweekno = append(o.Byweekno, signed(1, 53))
			case 4:
				o.Byweekday = append(o.Byweekday, weekdays[v%7])
			}
		}
		normalize(&o)
		if some, gap := daysOf(&o); gap < 1 || gap > gregorianCycle || !some && gap != gregorianCycle {
			t.Fatalf("%s: daysOf = %v, %d", filterString(&o), some, gap)
		}
		sameMasks(t, &o)
	})
}
