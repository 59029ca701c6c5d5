package ical

import (
	"fmt"
	"slices"
	"time"

	"github.com/teambition/rrule-go"
)

// Work limits of recurrence expansion (doc.go, "Cost"). rrule-go builds
// every candidate instant of a period (a year for FREQ=YEARLY) before it
// returns the first one, and steps HOURLY, MINUTELY and SECONDLY rules one
// INTERVAL at a time until a BYHOUR/BYMINUTE/BYSECOND value comes up;
// neither can be interrupted. So a rule is refused when one period or one
// step to the next occurrence would be too much, and every walk counts the
// work it caused against a budget.
const (
	// maxPeriodCandidates bounds the candidate instants one period of a
	// component's RRULEs builds, all rules together (their periods are
	// held at once): about 2.4 MB of time.Time. Real rules build a few
	// hundred at most (FREQ=YEARLY with seven BYDAY values: 366 days);
	// FREQ=YEARLY;BYDAY=MO,...,SU;BYHOUR=0,...,23 builds 8,784.
	maxPeriodCandidates = 100_000
	// maxOccurrenceSteps bounds the steps an HOURLY, MINUTELY or SECONDLY
	// rule may take between two occurrences, about 4 ms. A rule that asks
	// for one second a day steps 86,400 times per occurrence; on leap days
	// only, 126 million.
	maxOccurrenceSteps = 1_000_000
	// WalkWork is the work one walk over a recurrence set may do, in
	// candidates built and days set up plus steps taken, stepCost to a
	// unit: 20 per occurrence of a walk of 10 x DefaultMaxInstances.
	// Walking 100,000 occurrences of a daily or weekly rule costs 200,000
	// to 250,000; 8 million steps take 30 to 100 ms.
	WalkWork = 2_000_000
	// RequestWork is the work all walks of one request may do together
	// (Budget): 16 walks' worth. A report over objects that each cost a
	// whole walk of the dearest kind (stepping rules, 20 to 45 ns a unit
	// on two busy cores) takes about a second however many there are;
	// 3,000 ordinary recurring events cost a month's expansion 9% of it
	// (reading their rules included), a year of free-busy 25% (doc.go,
	// "Cost").
	RequestWork = 16 * WalkWork
	// occurrenceWork is what one occurrence a walk takes costs a
	// request beyond rrule-go's work: about 500 ns of our own (merging,
	// overrides, the caller's test or rendering), 16 units at that rate.
	// A walk's own budget leaves it out, as walkFactor bounds its
	// occurrences; nothing else bounds those of a request over many
	// objects.
	occurrenceWork = 16
	// stepCost is how many HOURLY, MINUTELY or SECONDLY steps count as one
	// unit of work: a step costs rrule-go a few ns, a candidate with its
	// garbage tens of ns.
	stepCost = 4
	// ObjectWork is the work checking one calendar object resource at PUT
	// may do (ValidateObjectWithin): reading its rules, resolving its
	// TZIDs and building its VTIMEZONEs, and walking its master for its
	// Span (doc.go, "Cost at PUT"). A request's worth (RequestWork),
	// about a second: an ordinary object costs a few thousand units, one
	// whose master's span takes a whole walk WalkWork more.
	ObjectWork = RequestWork

	// What reading recurrence data costs besides walking it, charged to
	// the budget the reading runs under (a PUT's, a request's; doc.go,
	// "Cost of reading"), in the units above as BenchmarkReadingInUnits
	// measures them: interleaved with a stepping walk, the kind of work
	// the units were set on (45 to 75 ns a unit on two busy cores).

	// ruleWork is reading one RRULE: our checks of its options and
	// rrule-go's parsing and set-up, 150 to 250 units for a weekly rule,
	// plus a unit a byte of the rule for its values (a BYYEARDAY list of
	// 200 days measures 900 to 2,000 with its day filters evaluated).
	ruleWork = 200
	// probeWork is evaluating a DAILY-or-finer rule's day filters over
	// the 400-year cycle (daysOf): 150 to 350 units.
	probeWork = 400
	// zoneWork is building a VTIMEZONE beyond the walk of its onsets:
	// reading it, encoding and loading its TZif data, about 50 units.
	zoneWork = 100
	// loadWork is looking up a zone name that is not cached:
	// time.LoadLocation tries the zone files on disk and the embedded
	// database, 2,500 to 4,500 units for a name that is no zone.
	loadWork = 4000
)

// LimitError reports a recurrence rule whose expansion would exceed the
// work limits. Reason is written for the client that sent the rule.
type LimitError struct{ Reason string }

func (e *LimitError) Error() string { return e.Reason }

// ruleCost is what one rule costs rrule-go, estimated from its options.
type ruleCost struct {
	freq     rrule.Frequency
	interval int64
	wkst     int
	// candidates is the number of instants one period can build:
	// the days its BY* filters can keep times BYHOUR x BYMINUTE x
	// BYSECOND (for HOURLY and finer, the parts finer than the period),
	// plus BYSETPOS's pass over the days.
	candidates int64
	// period is the work of one period: the days rrule-go sets up (366
	// for a year) and the candidates.
	period int64
	// gap is the longest run of steps an HOURLY, MINUTELY or SECONDLY
	// rule takes between two allowed times of day (cycleGap); steps
	// bounds the steps between two occurrences, days its filters skip
	// included. Both 0 for coarser rules.
	gap, steps int64
}

// normalize removes duplicates from the BY* lists, which change nothing
// in the set but multiply rrule-go's work (BYHOUR=9,9,9 builds every
// candidate three times); drops BYSECOND=60, as a leap second never
// occurs in Go's time scale; and drops BYDAY week numbers beyond 5 where
// they count within a month (MONTHLY, YEARLY with BYMONTH), which no
// month has and on which rrule-go indexes out of range. It reports false
// when nothing is left of BYSECOND or BYDAY, so that the rule has no
// occurrence.
func normalize(o *rrule.ROption) bool {
	if len(o.Byweekday) > 0 && (o.Freq == rrule.MONTHLY || o.Freq == rrule.YEARLY && len(o.Bymonth) > 0) {
		kept := o.Byweekday[:0:0]
		for _, wd := range o.Byweekday {
			if n := wd.N(); n <= 5 && n >= -5 {
				kept = append(kept, wd)
			}
		}
		if len(kept) == 0 {
			return false
		}
		o.Byweekday = kept
	}
	for _, l := range []*[]int{&o.Bysetpos, &o.Bymonth, &o.Bymonthday, &o.Byyearday, &o.Byweekno,
		&o.Byhour, &o.Byminute, &o.Bysecond, &o.Byeaster} {
		if len(*l) > 1 {
			*l = slices.Compact(slices.Sorted(slices.Values(*l)))
		}
	}
	if n := len(o.Bysecond); n > 0 && o.Bysecond[n-1] == 60 {
		if o.Bysecond = o.Bysecond[:n-1]; len(o.Bysecond) == 0 {
			return false
		}
	}
	if len(o.Byweekday) > 1 {
		seen := make(map[[2]int]bool, len(o.Byweekday))
		wds := o.Byweekday[:0:0]
		for _, wd := range o.Byweekday {
			k := [2]int{wd.Day(), wd.N()}
			if !seen[k] {
				seen[k] = true
				wds = append(wds, wd)
			}
		}
		o.Byweekday = wds
	}
	return true
}

// costOf estimates what rule o (normalized, with Dtstart set) costs;
// dayGap is the longest run of days between two its day filters pass
// (daysOf; 1 without filters), which only HOURLY and finer rules step
// through. The estimates are upper bounds of what rrule-go v1.8 does,
// except the steps of a rule whose INTERVAL makes it skip days its
// filters allow, which then costs little per day.
func costOf(o *rrule.ROption, dayGap int64) ruleCost {
	c := ruleCost{freq: o.Freq, interval: int64(max(o.Interval, 1)), wkst: o.Wkst.Day()}
	n := func(l []int) int64 { return int64(max(len(l), 1)) }
	var base, days, times int64
	switch o.Freq {
	case rrule.YEARLY:
		base = 366
	case rrule.MONTHLY:
		base = 31
	case rrule.WEEKLY:
		base = 7
	default:
		base = 1
	}
	days = base
	if o.Freq < rrule.DAILY {
		days = periodDays(o, base)
	}
	switch o.Freq {
	case rrule.HOURLY:
		times = n(o.Byminute) * n(o.Bysecond)
	case rrule.MINUTELY:
		times = n(o.Bysecond)
	case rrule.SECONDLY:
		times = 1
	default:
		times = n(o.Byhour) * n(o.Byminute) * n(o.Bysecond)
	}
	c.candidates = days*times + int64(len(o.Bysetpos))*days
	c.period = base + c.candidates
	if o.Freq >= rrule.HOURLY {
		c.period = 1 + c.candidates
		c.gap = cycleGap(o)
		c.steps = (c.gap + 1) * (dayGap + 1)
	}
	return c
}

// periodDays bounds the days of one YEARLY, MONTHLY or WEEKLY period that
// the BY* day filters keep. The filters are ANDed, so each one's bound
// holds and the smallest wins.
func periodDays(o *rrule.ROption, base int64) int64 {
	days := base
	bound := func(b int64) { days = min(days, max(b, 0)) }
	months := int64(1)
	if o.Freq == rrule.YEARLY {
		months = 12
		if len(o.Bymonth) > 0 {
			months = int64(len(o.Bymonth))
			bound(31 * months)
		}
	}
	if len(o.Byweekno) == 0 && len(o.Byyearday) == 0 && len(o.Bymonthday) == 0 &&
		len(o.Byweekday) == 0 && len(o.Byeaster) == 0 {
		// rrule-go's defaults: DTSTART's day of the month (in each
		// BYMONTH month) or of the week.
		if o.Freq == rrule.YEARLY && len(o.Bymonth) > 0 {
			bound(months)
		} else {
			bound(1)
		}
		return days
	}
	if len(o.Bymonthday) > 0 && o.Freq != rrule.WEEKLY {
		bound(int64(len(o.Bymonthday)) * months)
	}
	if len(o.Byyearday) > 0 {
		// A weekly period across New Year can meet a value in both years.
		bound(2 * int64(len(o.Byyearday)))
	}
	if len(o.Byweekno) > 0 && o.Freq == rrule.YEARLY {
		bound(7 * (int64(len(o.Byweekno)) + 1))
	}
	if len(o.Byeaster) > 0 && o.Freq == rrule.YEARLY {
		bound(int64(len(o.Byeaster)))
	}
	if len(o.Byweekday) > 0 {
		var plain, nth int64
		for _, wd := range o.Byweekday {
			if wd.N() == 0 || o.Freq == rrule.WEEKLY {
				plain++
			} else {
				nth++
			}
		}
		perPlain, perNth := int64(1), int64(1)
		switch o.Freq {
		case rrule.YEARLY:
			perPlain = 53
			if len(o.Bymonth) > 0 {
				perNth = months
			}
		case rrule.MONTHLY:
			perPlain = 5
		}
		bound(plain*perPlain + nth*perNth)
	}
	return days
}

// cycleGap is the longest run of steps an HOURLY, MINUTELY or SECONDLY
// rule takes from one time of day BYHOUR/BYMINUTE/BYSECOND allow to the
// next: rrule-go steps INTERVAL units from DTSTART's time, so the times it
// visits repeat with period/gcd(INTERVAL, period). 1 when every step is
// allowed; 0 when none is (reachable refuses those rules).
func cycleGap(o *rrule.ROption) int64 {
	var period, unit int
	switch o.Freq {
	case rrule.HOURLY:
		period, unit = 24, 3600
	case rrule.MINUTELY:
		period, unit = 1440, 60
	default:
		period, unit = 86400, 1
	}
	if len(o.Byhour) == 0 && (o.Freq < rrule.MINUTELY || len(o.Byminute) == 0) &&
		(o.Freq < rrule.SECONDLY || len(o.Bysecond) == 0) {
		return 1
	}
	var hours [24]bool
	var mins, secs [60]bool
	mark := func(set []bool, l []int) {
		for i := range set {
			set[i] = len(l) == 0
		}
		for _, v := range l {
			if v >= 0 && v < len(set) {
				set[v] = true
			}
		}
	}
	mark(hours[:], o.Byhour)
	mark(mins[:], o.Byminute)
	mark(secs[:], o.Bysecond)
	allowed := func(p int) bool {
		sec := p * unit
		return hours[sec/3600] && (o.Freq < rrule.MINUTELY || mins[sec/60%60]) && (o.Freq < rrule.SECONDLY || secs[sec%60])
	}
	h, m, s := o.Dtstart.Clock()
	p := (h*3600 + m*60 + s) / unit
	step := max(o.Interval, 1) % period
	cycle := period / gcd(step+period, period)
	first, last, gap := -1, -1, 0
	for k := 0; k < cycle; k++ {
		if allowed(p) {
			if first < 0 {
				first = k
			} else {
				gap = max(gap, k-last)
			}
			last = k
		}
		p = (p + step) % period
	}
	if first < 0 {
		return 0
	}
	return int64(max(gap, cycle-last+first))
}

// check refuses a rule whose single steps would cost too much.
func (c ruleCost) check() error {
	if c.candidates > maxPeriodCandidates {
		return &LimitError{Reason: fmt.Sprintf("it builds up to %d candidate times per %s; at most %d are allowed",
			c.candidates, periodName[c.freq], maxPeriodCandidates)}
	}
	if c.steps > maxOccurrenceSteps {
		return &LimitError{Reason: fmt.Sprintf("it may step %d times from one occurrence to the next; at most %d are allowed",
			c.steps, maxOccurrenceSteps)}
	}
	return nil
}

var periodName = map[rrule.Frequency]string{
	rrule.YEARLY: "year", rrule.MONTHLY: "month", rrule.WEEKLY: "week", rrule.DAILY: "day",
	rrule.HOURLY: "hour", rrule.MINUTELY: "minute", rrule.SECONDLY: "second",
}

// periodIndex numbers the periods of a rule of frequency freq in
// wall-clock fields, as rrule-go steps them (weeks start on wkst,
// rrule-go's 0 = Monday).
func periodIndex(t time.Time, freq rrule.Frequency, wkst int) int64 {
	y, m, d := t.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
	h, mi, s := t.Clock()
	switch freq {
	case rrule.YEARLY:
		return int64(y)
	case rrule.MONTHLY:
		return int64(y)*12 + int64(m) - 1
	case rrule.WEEKLY:
		// 1970-01-01 was a Thursday, day 3 counted from Monday.
		return floorDiv(day+3-int64(wkst), 7)
	case rrule.DAILY:
		return day
	case rrule.HOURLY:
		return day*24 + int64(h)
	case rrule.MINUTELY:
		return (day*24+int64(h))*60 + int64(mi)
	default:
		return ((day*24+int64(h))*60+int64(mi))*60 + int64(s)
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Budget is the recurrence work one request may do, shared by every walk
// the request makes (doc.go, "Cost"): the walks of a calendar-query's
// time-range tests and of its calendar-data's expansion, a free-busy
// query's, a multiget's. Each walk still stops at its own WalkWork; once
// the request's budget is spent, every walk stops, the one under way
// after its current occurrence and later ones before their first, and
// reports itself truncated. Work is counted in the units WalkWork is,
// so the same request over the same data (and caches) is cut at the same
// place on any machine. A nil *Budget counts nothing and never runs out.
// A Budget is not safe for concurrent use: a request walks one object at
// a time.
type Budget struct{ limit, used int64 }

// NewBudget returns a budget of units of work.
func NewBudget(units int64) *Budget { return &Budget{limit: units} }

// NewRequestBudget returns the budget of one request whose walks yield up
// to max instances each (0: DefaultMaxInstances): RequestWork, scaled
// with max above DefaultMaxInstances as each walk's WalkWork is, so that
// a request still pays for 16 walks.
func NewRequestBudget(max int) *Budget {
	if max > DefaultMaxInstances {
		return NewBudget(RequestWork / DefaultMaxInstances * int64(max))
	}
	return NewBudget(RequestWork)
}

// Used returns the work charged so far. It may exceed the budget by what
// one occurrence of one walk costs: the walk learns what an occurrence
// cost after rrule-go has done the work.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used
}

// Spent reports whether the budget is used up, so that no walk may start.
func (b *Budget) Spent() bool { return b != nil && b.used >= b.limit }

func (b *Budget) charge(n int64) {
	if b != nil {
		b.used += n
	}
}

// meter counts the work of one walk against its budget and, when it has
// one, the request's. A nil *meter counts nothing.
type meter struct {
	left int64
	req  *Budget
}

func newMeter(budget int64, req *Budget) *meter { return &meter{left: budget, req: req} }

func (m *meter) charge(n int64) {
	if m != nil {
		m.left -= n
		m.req.charge(n)
	}
}

// took charges the request for one occurrence the walk took.
func (m *meter) took() {
	if m != nil {
		m.req.charge(occurrenceWork)
	}
}

// spent reports whether the walk has used its budget, or the request
// its, up.
func (m *meter) spent() bool { return m != nil && (m.left <= 0 || m.req.Spent()) }

// request is the request's budget a walk charges; nil for none.
func (m *meter) request() *Budget {
	if m == nil {
		return nil
	}
	return m.req
}
