package ical

import (
	mbits "math/bits"
	"slices"

	"github.com/teambition/rrule-go"
)

// The day filters of a rule (BYMONTH, BYMONTHDAY, BYYEARDAY, BYWEEKNO and
// BYDAY) decide which dates may hold an occurrence. Two questions are
// asked of a DAILY-or-finer rule's filters before rrule-go sees it (doc.go,
// "Cost of reading"): does any date pass them (rrule-go walks a rule whose filters no
// date meets one day at a time up to year 9999), and what is the longest
// run of days between two dates that do (an HOURLY, MINUTELY or SECONDLY
// rule steps through it one INTERVAL at a time)?
//
// Whether a date passes depends only on its place in its year and on the
// year's kind: its length, the weekday of its January 1 and, for BYWEEKNO,
// the previous year's length. The Gregorian calendar repeats every 400
// years (146,097 days, a whole number of weeks), which hold 21 kinds. So
// daysOf builds each filter's pass mask as a bit set of the year's days
// (per year length, per weekday of January 1), ANDs them for each kind,
// and walks the 400 years of a cycle on the masks' summaries. That costs
// 10 to 50 us whatever the filters, where walking a YEARLY rule with the
// same filters through rrule-go over the cycle (146,097 days, each tested
// against every listed value) cost 2 to 200 ms, the most for a long
// BYYEARDAY list. It is cheap enough to need no cache, so no stored data
// or earlier request decides what a rule costs to read.
//
// The masks follow rrule-go v1.8 (iterInfo.rebuild and the filter of
// Iterator in rrule.go), its quirks in week numbering included, so that
// the answers are what rrule-go will do; TestDaysOf_MatchesRRule and
// FuzzDaysOf compare the two.

// daySet is a set of days of one year, bit i for the day i days after
// January 1, and 7 days into the next year as rrule-go's masks run.
type daySet [6]uint64

func (d *daySet) set(i int) { d[i/64] |= 1 << (i % 64) }

func (d *daySet) and(e *daySet) {
	for i := range d {
		d[i] &= e[i]
	}
}

func (d *daySet) or(e *daySet) {
	for i := range d {
		d[i] |= e[i]
	}
}

// dayFilter is a rule's day filters as the days each passes: for a common
// [0] and a leap [1] year (BYMONTH, BYMONTHDAY, BYYEARDAY, and the year's
// days themselves in all), for each weekday of January 1 (BYDAY). An
// absent filter passes every day.
type dayFilter struct {
	wkst int // rrule-go's numbering: 0 is Monday
	// invalid is set when a value is out of rrule-go's bounds; it
	// refuses the rule then (NewRRule).
	invalid  bool
	all      [2]daySet
	weekdays [7]daySet
	weeknos  []int // BYWEEKNO as given
}

// hasDayFilter reports whether o has a filter that daysOf evaluates.
// BYEASTER, an rrule-go extension, is not among them: it does not repeat
// with the Gregorian cycle.
func hasDayFilter(o *rrule.ROption) bool {
	return len(o.Bymonth) > 0 || len(o.Bymonthday) > 0 || len(o.Byyearday) > 0 ||
		len(o.Byweekno) > 0 || len(o.Byweekday) > 0
}

func newDayFilter(o *rrule.ROption) *dayFilter {
	f := &dayFilter{wkst: o.Wkst.Day(), weeknos: o.Byweekno}
	for leap := range 2 {
		n := 365 + leap
		t := &calendarDays[leap]
		f.all[leap] = t.year
		if len(o.Bymonth) > 0 {
			var pass daySet
			for _, m := range o.Bymonth {
				if m >= 1 && m <= 12 {
					pass.or(&t.month[m])
				} else {
					f.invalid = true
				}
			}
			f.all[leap].and(&pass)
		}
		// rrule-go refuses BYMONTHDAY=0 (NewRRule) but would drop it and
		// filter only when a value is left.
		f.invalid = f.invalid || slices.Contains(o.Bymonthday, 0)
		if slices.ContainsFunc(o.Bymonthday, func(d int) bool { return d != 0 }) {
			var pass daySet
			for _, d := range o.Bymonthday {
				switch {
				case d >= 1 && d <= 31:
					pass.or(&t.monthDay[d])
				case d <= -1 && d >= -31:
					pass.or(&t.monthDay[32-d])
				default:
					f.invalid = true
				}
			}
			f.all[leap].and(&pass)
		}
		if len(o.Byyearday) > 0 {
			var pass daySet
			for _, d := range o.Byyearday {
				i := d - 1 // day d counted from January 1
				if d < 0 {
					i = n + d // from December 31
				}
				if i >= 0 && i < n {
					pass.set(i)
				}
				f.invalid = f.invalid || d == 0 || d > 366 || d < -366
			}
			f.all[leap].and(&pass)
		}
	}
	for jan1 := range 7 {
		if len(o.Byweekday) == 0 {
			f.weekdays[jan1] = calendarDays[1].year
			continue
		}
		for _, wd := range o.Byweekday {
			// Finer than MONTHLY, rrule-go ignores BYDAY ordinals.
			f.weekdays[jan1].or(&weekdayDays[jan1][wd.Day()])
		}
	}
	for _, n := range o.Byweekno {
		f.invalid = f.invalid || n == 0 || n > 53 || n < -53
	}
	return f
}

// yearKind is what a year's mask depends on.
type yearKind struct {
	leap, prevLeap bool
	jan1           int // weekday of January 1, 0 is Monday
}

// yearSummary is what the cycle walk needs of one kind's mask.
type yearSummary struct {
	n           int // dates that pass
	first, last int // the first and last of them, days since January 1
	gap         int // the longest distance between two consecutive ones
}

// year summarizes the mask of one kind of year.
func (f *dayFilter) year(k yearKind) yearSummary {
	s := yearSummary{first: -1}
	mask := f.mask(k)
	for w, bits := range mask {
		for bits != 0 {
			i := w*64 + mbits.TrailingZeros64(bits)
			bits &= bits - 1
			if s.n == 0 {
				s.first = i
			} else {
				s.gap = max(s.gap, i-s.last)
			}
			s.last = i
			s.n++
		}
	}
	return s
}

// passes calls pass with the days, counted from January 1, that the
// filters pass in a year of kind k, in order.
func (f *dayFilter) passes(k yearKind, pass func(i int)) {
	mask := f.mask(k)
	for w, bits := range mask {
		for bits != 0 {
			pass(w*64 + mbits.TrailingZeros64(bits))
			bits &= bits - 1
		}
	}
}

// mask is the set of days the filters pass in a year of kind k.
func (f *dayFilter) mask(k yearKind) daySet {
	leap := 0
	if k.leap {
		leap = 1
	}
	mask := f.all[leap]
	mask.and(&f.weekdays[k.jan1])
	if len(f.weeknos) > 0 {
		var weeks daySet
		f.weekMask(&weeks, k, 365+leap)
		mask.and(&weeks)
	}
	return mask
}

// weekMask marks the days of the year that BYWEEKNO passes, as rrule-go's
// iterInfo.rebuild does (a port of python-dateutil's): weeks start on
// WKST, week 1 is the first with at least four days of the year, and the
// days before it belong to the previous year's last week. The mask runs 7
// days into the next year, like rrule-go's; the year's mask (calendarDays)
// cuts them off.
func (f *dayFilter) weekMask(mask *daySet, k yearKind, yearLen int) {
	weekday := func(i int) int { return (k.jan1 + i) % 7 }
	mark := func(i int) {
		for j := 0; j < 7 && i < yearLen+7; j++ {
			mask.set(i)
			i++
			if weekday(i) == f.wkst {
				break
			}
		}
	}
	firstWkst := pymod(7-k.jan1+f.wkst, 7)
	no1Wkst := firstWkst
	var wYearLen int
	if no1Wkst >= 4 {
		no1Wkst = 0
		// The year's days plus those week 1 takes from the last year.
		wYearLen = yearLen + pymod(k.jan1-f.wkst, 7)
	} else {
		// The year's days minus those left in the last year's last week.
		wYearLen = yearLen - no1Wkst
	}
	numWeeks := wYearLen/7 + wYearLen%7/4
	start := func(n int) int {
		if n == 1 {
			return no1Wkst
		}
		i := no1Wkst + (n-1)*7
		if no1Wkst != firstWkst {
			i -= 7 - firstWkst
		}
		return i
	}
	for _, n := range f.weeknos {
		if n < 0 {
			n += numWeeks + 1
		}
		if n > 0 && n <= numWeeks {
			mark(start(n))
		}
	}
	if slices.Contains(f.weeknos, 1) {
		// Week 1 of the next year may start in this one.
		i := no1Wkst + numWeeks*7
		if no1Wkst != firstWkst {
			i -= 7 - firstWkst
		}
		if i < yearLen {
			mark(i)
		}
	}
	if no1Wkst != 0 {
		// The days before week 1 are in the last year's last week.
		lastWeeks := -1
		if !slices.Contains(f.weeknos, -1) {
			lastLen := 365
			if k.prevLeap {
				lastLen = 366
			}
			lastJan1 := pymod(k.jan1-lastLen, 7)
			if pymod(7-lastJan1+f.wkst, 7) >= 4 {
				lastWeeks = 52 + pymod(lastLen+pymod(lastJan1-f.wkst, 7), 7)/4
			} else {
				// rrule-go (like dateutil) uses this year's length here.
				lastWeeks = 52 + pymod(yearLen-no1Wkst, 7)/4
			}
		}
		if slices.Contains(f.weeknos, lastWeeks) {
			for i := 0; i < no1Wkst; i++ {
				mask.set(i)
			}
		}
	}
}

// gregorianCycle is the number of days in 400 Gregorian years.
const gregorianCycle = 146097

// daysOf answers both questions for o's day filters (o normalized):
// whether any date passes them, and the longest run of days between two
// dates that do, counted over the repeating cycle (one date per cycle:
// the whole cycle; none: gregorianCycle too). For values out of rrule-go's
// bounds, which it refuses to expand, the answer is the most cautious
// one: some dates, gregorianCycle apart.
func daysOf(o *rrule.ROption) (some bool, gap int64) {
	f := newDayFilter(o)
	if f.invalid {
		return true, gregorianCycle
	}
	var (
		summaries [2][2][7]yearSummary
		done      [2][2][7]bool
	)
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	// Any 400 years make a cycle; 2000-01-01 was a Saturday.
	const first = 2000
	jan1 := 5
	day, firstPass, lastPass, longest := 0, -1, -1, 0
	for y := first; y < first+400; y++ {
		k := yearKind{leap: isLeapYear(y), prevLeap: isLeapYear(y - 1), jan1: jan1}
		if len(f.weeknos) == 0 {
			k.prevLeap = false // only week numbers look at the last year
		}
		l, p := b(k.leap), b(k.prevLeap)
		if !done[l][p][jan1] {
			summaries[l][p][jan1], done[l][p][jan1] = f.year(k), true
		}
		s := &summaries[l][p][jan1]
		if s.n > 0 {
			if firstPass < 0 {
				firstPass = day + s.first
			} else {
				longest = max(longest, day+s.first-lastPass)
			}
			longest = max(longest, s.gap)
			lastPass = day + s.last
		}
		n := 365 + b(k.leap)
		day += n
		jan1 = (jan1 + n) % 7
	}
	if firstPass < 0 {
		return false, gregorianCycle
	}
	// Across the end of the cycle into the next one.
	longest = max(longest, firstPass+gregorianCycle-lastPass)
	return true, int64(longest)
}

func isLeapYear(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// pymod is Python's %, which rrule-go's week numbering uses: the result
// has the sign of b.
func pymod(a, b int) int {
	r := a % b
	if r != 0 && (r < 0) != (b < 0) {
		r += b
	}
	return r
}

// calendarDays holds, for a common [0] and a leap [1] year, its days, the
// days of each month (1-12) and the days of each day of the month, d
// (1-31) counted from the month's start and 32+d counted from its end.
var calendarDays = func() (t [2]struct {
	year     daySet
	month    [13]daySet
	monthDay [64]daySet
}) {
	lengths := [12]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	for leap := range 2 {
		i := 0
		for m, n := range lengths {
			if m == 1 {
				n += leap
			}
			for d := 1; d <= n; d++ {
				t[leap].year.set(i)
				t[leap].month[m+1].set(i)
				t[leap].monthDay[d].set(i)
				t[leap].monthDay[32+n+1-d].set(i)
				i++
			}
		}
	}
	return t
}()

// weekdayDays holds, for each weekday of January 1, the days of a year
// (366 of them) that fall on each weekday, 0 Monday.
var weekdayDays = func() (t [7][7]daySet) {
	for jan1 := range 7 {
		for i := range 366 {
			t[jan1][(jan1+i)%7].set(i)
		}
	}
	return t
}()
