package ical

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// Recurrence is the recurrence set of a master component
// (RFC 5545 3.8.5): DTSTART, the instances of each RRULE and every RDATE,
// minus every EXDATE.
type Recurrence struct {
	// clock is DTSTART's wall-clock time as written, which differs from
	// start's when DTSTART falls in a DST gap (02:30 is read as 03:30
	// EDT); later instances keep the written time (RFC 5545 3.3.10).
	clock   *[3]int
	start   time.Time
	allDay  bool
	rules   []*rrule.RRule
	costs   []ruleCost // of rules, by index
	cut     error      // a *LimitError when rules were left out
	rdates  []Period   // sorted by Start
	exAt    map[int64]bool
	exOnDay map[[3]int]bool // DATE EXDATEs of a DATE-TIME DTSTART
}

// maxInterval refuses INTERVAL values large enough to overflow rrule-go's
// day and second arithmetic; no calendar means a step of 100,000 periods.
const maxInterval = 100000

// NewRecurrence reads the recurrence set of master. DTSTART must parse and
// every RRULE must be one rrule-go can expand safely; RDATE and EXDATE
// values that do not parse are skipped, as a client would skip them.
// RRULEs beyond the work limits (doc.go, "Cost") are left out and
// reported by Cut. floating is the location of floating and DATE values
// (nil: UTC).
func NewRecurrence(master *ical.Component, floating *time.Location) (*Recurrence, error) {
	return (*Zones)(nil).Recurrence(master, floating)
}

// Recurrence is NewRecurrence with TZIDs resolved through z; reading the
// rules is charged to z's Budget (ZonesWithin), as estimating a rule's
// cost is work too (doc.go, "Cost of reading").
func (z *Zones) Recurrence(master *ical.Component, floating *time.Location) (*Recurrence, error) {
	start, allDay, err := z.DateTime(master.Props.Get(ical.PropDateTimeStart), floating)
	if err != nil {
		return nil, err
	}
	r := &Recurrence{start: start, allDay: allDay, exAt: make(map[int64]bool)}
	if !allDay {
		r.clock = writtenClock(master.Props.Get(ical.PropDateTimeStart).Value)
	}
	var candidates int64
	for _, p := range master.Props[ical.PropRecurrenceRule] {
		rule, cost, err := parseRule(p.Value, start, allDay, z.within())
		if le := (*LimitError)(nil); errors.As(err, &le) {
			r.cut = &LimitError{Reason: fmt.Sprintf("RRULE %s: %s", quote(p.Value), le.Reason)}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("RRULE %s: %w", quote(p.Value), err)
		}
		if rule != nil {
			r.rules = append(r.rules, rule)
			r.costs = append(r.costs, cost)
			candidates += cost.candidates
		}
	}
	if candidates > maxPeriodCandidates {
		// rrule-go holds one period of every rule at once.
		r.cut = &LimitError{Reason: fmt.Sprintf("the RRULEs together build up to %d candidate times per period; at most %d are allowed",
			candidates, maxPeriodCandidates)}
		r.rules, r.costs = nil, nil
	}
	// DTSTART is always the first instance (RFC 5545 3.8.5.3), even when
	// the rule does not produce it; rrule-go would leave it out.
	r.rdates = append(r.rdates, Period{Start: start, AllDay: allDay})
	for _, p := range master.Props[ical.PropRecurrenceDates] {
		if ps, err := z.DateList(&p, floating); err == nil {
			r.rdates = append(r.rdates, ps...)
		}
	}
	sort.SliceStable(r.rdates, func(i, j int) bool { return r.rdates[i].Start.Before(r.rdates[j].Start) })
	for _, p := range master.Props[ical.PropExceptionDates] {
		ps, err := z.DateList(&p, floating)
		if err != nil {
			continue
		}
		for _, ex := range ps {
			if ex.AllDay && !allDay {
				// A DATE EXDATE on a DATE-TIME series is invalid
				// (RFC 5545 3.8.5.1 wants matching types); clients mean
				// "not on that day", so that is what it does.
				if r.exOnDay == nil {
					r.exOnDay = make(map[[3]int]bool)
				}
				y, m, d := ex.Start.Date()
				r.exOnDay[[3]int{y, int(m), d}] = true
				continue
			}
			r.exAt[ex.Start.Unix()] = true
		}
	}
	return r, nil
}

// Start returns the parsed DTSTART and whether it is a DATE.
func (r *Recurrence) Start() (time.Time, bool) { return r.start, r.allDay }

// IsRecurring reports whether the set can hold more than DTSTART.
func (r *Recurrence) IsRecurring() bool { return len(r.rules) > 0 || len(r.rdates) > 1 || r.cut != nil }

// Cut returns a *LimitError when RRULEs were left out of the set because
// expanding them would exceed the work limits, nil otherwise.
func (r *Recurrence) Cut() error { return r.cut }

// Occurrence is one instance of a recurrence set. End is set only for an
// RDATE PERIOD, which carries its own end; other instances last as long as
// the master does.
type Occurrence struct {
	Start, End time.Time
}

// Each calls yield with the instances in ascending order of start, without
// duplicates, until yield returns false or the set is exhausted. Sets with
// an unbounded RRULE never end: the caller decides when it has seen enough.
func (r *Recurrence) Each(yield func(Occurrence) bool) error {
	c := r.cursor(time.Time{})
	for {
		occ, ok, err := c.next()
		if err != nil || !ok {
			return err
		}
		if !yield(occ) {
			return nil
		}
	}
}

// cursor walks a recurrence set one occurrence at a time.
type cursor struct {
	r       *Recurrence
	srcs    []*ruleSource
	ri      int
	last    time.Time
	first   bool
	started bool
}

type ruleSource struct {
	next    rrule.Next
	pending time.Time
	ok      bool
	// clock is the wall-clock time every occurrence has when the rule
	// is DAILY or coarser and sets no BYHOUR, BYMINUTE or BYSECOND
	// (DTSTART's); nil otherwise.
	clock *[3]int
	tally tally
}

// tally charges a walk's meter with the work rrule-go did to produce each
// occurrence of one rule: the periods it generated since the previous
// one, worked out from the occurrences' wall-clock fields after the fact.
// HOURLY and finer rules are charged their steps (stepCost to a unit) and
// one period's candidates; a day the day filters skip costs rrule-go one
// jump to its end and at most one cycleGap to an allowed time, not a day
// of steps.
type tally struct {
	cost    ruleCost
	m       *meter
	last    int64 // period index of the previous occurrence, or DTSTART's
	lastDay int64 // its day index, for HOURLY and finer
	begun   bool
}

func newTally(rule *rrule.RRule, c ruleCost, m *meter) tally {
	start := rule.OrigOptions.Dtstart
	return tally{cost: c, m: m, last: periodIndex(start, c.freq, c.wkst), lastDay: periodIndex(start, rrule.DAILY, 0)}
}

// add accounts for one call of the rule's iterator, which returned t, ok.
func (tl *tally) add(t time.Time, ok bool) {
	c := &tl.cost
	if !ok {
		// The last call searched up to UNTIL or the end of time: at
		// most what one occurrence may cost.
		tl.m.charge(max(c.period, c.steps/stepCost))
		return
	}
	idx := periodIndex(t, c.freq, c.wkst)
	n := (idx - tl.last) / c.interval
	if !tl.begun {
		n++ // DTSTART's own period
		tl.begun = true
	}
	tl.last = idx
	if c.freq < rrule.HOURLY {
		tl.m.charge(n * c.period)
		return
	}
	day := periodIndex(t, rrule.DAILY, 0)
	days := day - tl.lastDay
	tl.lastDay = day
	if n > 0 {
		steps := min(n, (days+1)*(c.gap+1))
		tl.m.charge((steps+stepCost-1)/stepCost + c.candidates)
	}
}

// advance fetches the rule's next occurrence. rrule-go builds them with
// time.Date, which reads a wall time in a DST gap with the offset after
// the gap west of UTC and a repeated one as its second occurrence east of
// it; RFC 5545 3.3.5 wants the offset before the gap and the first
// occurrence, so the wall time is rebuilt by wallTime when it is known.
func (s *ruleSource) advance() {
	s.pending, s.ok = s.next()
	s.tally.add(s.pending, s.ok)
	if !s.ok {
		return
	}
	if c := s.clock; c != nil {
		if h, m, sec := s.pending.Clock(); h != c[0] || m != c[1] || sec != c[2] {
			y, mo, d := s.pending.Date()
			s.pending = wallTime(y, mo, d, c[0], c[1], c[2], 0, s.pending.Location())
			return
		}
	}
	s.pending = firstOccurrence(s.pending)
}

// cursor starts a walk over the whole set, without a work budget.
func (r *Recurrence) cursor(from time.Time) *cursor { return r.window(from, time.Time{}, nil) }

// window starts a walk that must return every occurrence in [from, to]
// (zero: unbounded). With a non-zero from, rules without COUNT start near
// from instead of at DTSTART (see skipAhead); with a non-zero to, rules end
// there, so that rrule-go never searches past it for an occurrence of a
// sparse rule. Occurrences outside [from, to] may still be returned. The
// work of the walk is charged to m (nil: not counted); the caller stops
// when it is spent.
func (r *Recurrence) window(from, to time.Time, m *meter) *cursor {
	c := &cursor{r: r, first: true}
	for i, rule := range r.rules {
		src := &ruleSource{}
		// Decided on the rule as written: skipAhead restarts it with
		// BYHOUR/BYMINUTE/BYSECOND of its own.
		if o := rule.OrigOptions; r.clock != nil && o.Freq <= rrule.DAILY && len(o.Byhour) == 0 && len(o.Byminute) == 0 && len(o.Bysecond) == 0 {
			src.clock = r.clock
		}
		if !from.IsZero() {
			rule = skipAhead(rule, r.costs[i], from, m.request())
		}
		if o := rule.OrigOptions; !to.IsZero() && (o.Until.IsZero() || o.Until.After(to)) {
			o.Until = to
			if cut, err := rrule.NewRRule(o); err == nil {
				rule = cut
			}
		}
		src.next = rule.Iterator()
		src.tally = newTally(rule, r.costs[i], m)
		c.srcs = append(c.srcs, src)
	}
	return c
}

// next returns the next occurrence, or ok false at the end of the set.
func (c *cursor) next() (occ Occurrence, ok bool, err error) {
	defer func() {
		// rrule-go is a port of python-dateutil with index arithmetic we
		// have not audited line by line; a panic there must not take the
		// server down.
		if p := recover(); p != nil {
			occ, ok, err = Occurrence{}, false, fmt.Errorf("expanding RRULE: %v", p)
			c.srcs, c.ri = nil, len(c.r.rdates)
		}
	}()
	if !c.started {
		c.started = true
		for _, s := range c.srcs {
			s.advance()
		}
	}
	r := c.r
	for {
		var from *ruleSource
		if c.ri < len(r.rdates) {
			occ = Occurrence{Start: r.rdates[c.ri].Start, End: r.rdates[c.ri].End}
		}
		for _, s := range c.srcs {
			if s.ok && (from == nil && c.ri >= len(r.rdates) || s.pending.Before(occ.Start)) {
				occ, from = Occurrence{Start: s.pending}, s
			}
		}
		if from != nil {
			from.advance()
		} else if c.ri < len(r.rdates) {
			c.ri++
		} else {
			return Occurrence{}, false, nil
		}
		if !c.first && occ.Start.Equal(c.last) {
			continue
		}
		c.first, c.last = false, occ.Start
		if r.excluded(occ.Start) {
			continue
		}
		return occ, true, nil
	}
}

// skipAhead returns rule restarted near from, or rule itself when it
// cannot be restarted. A rule's occurrences in one period (year, month,
// week, day, hour, ...) depend only on that period's place in the INTERVAL
// cycle, the BY* lists and the DTSTART-derived defaults, so a copy with
// the defaults written out and DTSTART moved to the start of an aligned
// period yields exactly the original's occurrences from that period on
// (rrule-go drops what comes before DTSTART). The restart is one period
// before the one holding from, for margin. Rules with COUNT must be
// counted from the start and are not restarted, unless countEnd finds
// their end within req. Periods are counted in wall-clock fields, as
// rrule-go steps them.
func skipAhead(rule *rrule.RRule, cost ruleCost, from time.Time, req *Budget) *rrule.RRule {
	o := rule.OrigOptions
	start := o.Dtstart
	if !from.After(start) {
		return rule
	}
	if o.Count > 0 {
		// A rule with COUNT is the same rule with UNTIL at its last
		// occurrence, which can then skip ahead.
		end, ok := countEnd(rule, cost, req)
		if !ok {
			return rule
		}
		o.Count = 0
		if o.Until.IsZero() || end.Before(o.Until) {
			o.Until = end
		}
	}
	if len(o.Byweekno) == 0 && len(o.Byyearday) == 0 && len(o.Bymonthday) == 0 &&
		len(o.Byweekday) == 0 && len(o.Byeaster) == 0 {
		switch o.Freq {
		case rrule.YEARLY:
			if len(o.Bymonth) == 0 {
				o.Bymonth = []int{int(start.Month())}
			}
			o.Bymonthday = []int{start.Day()}
		case rrule.MONTHLY:
			o.Bymonthday = []int{start.Day()}
		case rrule.WEEKLY:
			o.Byweekday = []rrule.Weekday{weekdays[(int(start.Weekday())+6)%7]}
		}
	}
	if len(o.Byhour) == 0 && o.Freq < rrule.HOURLY {
		o.Byhour = []int{start.Hour()}
	}
	if len(o.Byminute) == 0 && o.Freq < rrule.MINUTELY {
		o.Byminute = []int{start.Minute()}
	}
	if len(o.Bysecond) == 0 && o.Freq < rrule.SECONDLY {
		o.Bysecond = []int{start.Second()}
	}
	loc := start.Location()
	f := from.In(loc)
	interval := max(o.Interval, 1)
	sy, sm, sd := start.Date()
	fy, fm, fd := f.Date()
	day := func(y int, m time.Month, d int) int64 {
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
	}
	sDay, fDay := day(sy, sm, sd), day(fy, fm, fd)
	// aligned returns how many periods to move: a multiple of INTERVAL,
	// one period short of the one holding from.
	aligned := func(n int64) int64 { return n/int64(interval)*int64(interval) - int64(interval) }
	var ns time.Time
	ok := true
	// at builds a wall-clock time in loc, noting when it does not exist.
	at := func(y int, m time.Month, d, h, mi, sec int) time.Time {
		u := time.Date(y, m, d, h, mi, sec, 0, time.UTC)
		t := time.Date(y, m, d, h, mi, sec, 0, loc)
		if t.Year() != u.Year() || t.YearDay() != u.YearDay() || t.Hour() != u.Hour() || t.Minute() != u.Minute() || t.Second() != u.Second() {
			ok = false
		}
		return t
	}
	switch o.Freq {
	case rrule.YEARLY:
		k := aligned(int64(fy - sy))
		if k <= 0 {
			return rule
		}
		ns = at(sy+int(k), 1, 1, 0, 0, 0)
	case rrule.MONTHLY:
		k := aligned(int64((fy-sy)*12 + int(fm) - int(sm)))
		if k <= 0 {
			return rule
		}
		ns = at(sy, sm+time.Month(k), 1, 0, 0, 0)
	case rrule.WEEKLY:
		back := (int(start.Weekday()) + 6 - o.Wkst.Day()) % 7 // days since the week began
		weekStart := sDay - int64(back)
		k := aligned((fDay - weekStart) / 7)
		if k <= 0 {
			return rule
		}
		ns = at(sy, sm, sd-back+int(k)*7, 0, 0, 0)
	case rrule.DAILY:
		k := aligned(fDay - sDay)
		if k <= 0 {
			return rule
		}
		ns = at(sy, sm, sd+int(k), 0, 0, 0)
	default: // HOURLY, MINUTELY, SECONDLY: naive wall-clock units
		unit := map[rrule.Frequency]int64{rrule.HOURLY: 3600, rrule.MINUTELY: 60, rrule.SECONDLY: 1}[o.Freq]
		wall := func(t time.Time, d int64) int64 {
			h, m, s := t.Clock()
			return d*86400 + int64(h*3600+m*60+s)
		}
		sw, fw := wall(start, sDay), wall(f, fDay)
		k := aligned((fw - sw) / unit)
		if k <= 0 {
			return rule
		}
		// The period holding the start, moved k periods.
		w := sw/unit*unit + k*unit
		d, sec := w/86400, w%86400
		date := time.Unix(d*86400, 0).UTC()
		ns = at(date.Year(), date.Month(), date.Day(), int(sec/3600), int(sec/60%60), int(sec%60))
	}
	if !ok && o.Freq >= rrule.HOURLY {
		// The restart's wall-clock time falls in a DST gap and would be
		// read an hour off, misaligning the INTERVAL cycle. (Coarser
		// rules take only the date from DTSTART.)
		return rule
	}
	o.Dtstart = ns
	r, err := rrule.NewRRule(o)
	if err != nil {
		return rule
	}
	return r
}

var (
	countEnds  sync.Map // countKey → time.Time, zero when not found
	countEndsN atomic.Int64
)

const (
	maxCountWalk = 200000 // COUNT values above this are not converted
	maxCountEnds = 4096   // cached conversions
)

// countWork is the work budget of one countEnd walk: enough for
// maxCountWalk occurrences of a daily or weekly rule.
const countWork = 2 * WalkWork

// countEnd returns the last occurrence of a rule with COUNT, walking it
// once and remembering the answer for rules in UTC or an IANA zone (whose
// name identifies its rules). A walk that runs out of work finds nothing.
// The walk is charged to req as well (a remembered answer costs nothing);
// one that req stops finds nothing either, but is not remembered: another
// request may find the end.
func countEnd(rule *rrule.RRule, cost ruleCost, req *Budget) (end time.Time, ok bool) {
	defer func() {
		if recover() != nil { // rrule-go; see cursor.next
			end, ok = time.Time{}, false
		}
	}()
	o := rule.OrigOptions
	if o.Count > maxCountWalk {
		return time.Time{}, false
	}
	loc := o.Dtstart.Location()
	key := ""
	if named, ok, _ := loadLocation(loc.String(), req); loc == time.UTC || ok && named == loc {
		key = o.RRuleString() + "|" + o.Dtstart.Format("20060102T150405") + "|" + loc.String()
		if v, ok := countEnds.Load(key); ok {
			t := v.(time.Time)
			return t, !t.IsZero()
		}
	}
	if req.Spent() {
		return time.Time{}, false
	}
	var last time.Time
	next := rule.Iterator()
	m := newMeter(countWork, req)
	tl := newTally(rule, cost, m)
	for n := 0; n < o.Count; n++ {
		if m.spent() {
			if m.left > 0 {
				return time.Time{}, false // the request's budget, not the rule's
			}
			last = time.Time{}
			break
		}
		t, ok := next()
		tl.add(t, ok)
		if !ok {
			break
		}
		last = t
	}
	if key != "" && countEndsN.Add(1) <= maxCountEnds {
		countEnds.Store(key, last)
	}
	return last, !last.IsZero()
}

var weekdays = [...]rrule.Weekday{rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU}

func (r *Recurrence) excluded(t time.Time) bool {
	if r.exAt[t.Unix()] {
		return true
	}
	if r.exOnDay != nil {
		y, m, d := t.In(r.start.Location()).Date()
		return r.exOnDay[[3]int{y, int(m), d}]
	}
	return false
}

// parseRule builds an rrule-go rule anchored at start, with what it costs,
// or returns nil for a rule that provably has no instance. It refuses
// rules that would make rrule-go loop forever, and with a *LimitError
// those whose single steps cost too much (doc.go, "Cost"). Reading the
// rule is charged to b (nil: not counted): ruleWork and a unit a byte,
// and probeWork when its day filters are evaluated.
func parseRule(value string, start time.Time, allDay bool, b *Budget) (*rrule.RRule, ruleCost, error) {
	b.charge(ruleWork + int64(len(value)))
	var parts []string
	var until string
	for _, part := range strings.Split(strings.ToUpper(strings.TrimSpace(value)), ";") {
		switch {
		case part == "":
			// "FREQ=DAILY;" is common and harmless.
		case strings.HasPrefix(part, "UNTIL="):
			until = part[len("UNTIL="):]
		default:
			parts = append(parts, part)
		}
	}
	opt, err := rrule.StrToROptionInLocation(strings.Join(parts, ";"), start.Location())
	if err != nil {
		return nil, ruleCost{}, err
	}
	if opt.Interval > maxInterval {
		return nil, ruleCost{}, fmt.Errorf("INTERVAL %d is too large", opt.Interval)
	}
	if !normalize(opt) {
		return nil, ruleCost{}, nil
	}
	if until != "" {
		// A floating or DATE UNTIL is read in DTSTART's zone
		// (RFC 5545 3.3.10 wants them to match DTSTART anyway).
		u, untilIsDate, err := parseTime(until, "", start.Location(), start.Location())
		if err != nil {
			return nil, ruleCost{}, fmt.Errorf("UNTIL: %w", err)
		}
		if untilIsDate && !allDay {
			// A DATE UNTIL on a DATE-TIME series is invalid but common;
			// its producers mean "up to and including that day".
			u = u.AddDate(0, 0, 1).Add(-time.Second)
		}
		opt.Until = u
	}
	opt.Dtstart = start
	if opt.Freq >= rrule.HOURLY && cycleGap(opt) == 0 {
		// rrule-go steps INTERVAL units at a time until it lands on an
		// allowed time of day, so for FREQ=HOURLY;INTERVAL=2;BYHOUR=1
		// from an even hour it never returns.
		return nil, ruleCost{}, errors.New("BYHOUR, BYMINUTE or BYSECOND cannot be reached with this INTERVAL")
	}
	dayGap := int64(1)
	switch {
	case opt.Freq < rrule.DAILY:
	case len(opt.Byeaster) > 0:
		// rrule-go's extension does not repeat with the Gregorian
		// cycle; Easter Sundays are at most two years apart.
		dayGap = 2 * 366
	case hasDayFilter(opt):
		// rrule-go walks a DAILY-or-finer rule whose filters no date
		// meets (BYMONTH=2;BYMONTHDAY=30) one day at a time up to year
		// 9999, which takes a good fraction of a second.
		var some bool
		some, dayGap = daysOf(opt)
		b.charge(probeWork)
		if !some {
			return nil, ruleCost{}, nil
		}
	}
	cost := costOf(opt, dayGap)
	if err := cost.check(); err != nil {
		return nil, ruleCost{}, err
	}
	rule, err := rrule.NewRRule(*opt)
	return rule, cost, err
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// writtenClock reads hh, mm, ss of a DATE-TIME value as written
// ("20070311T023000", with or without a trailing Z); nil for anything else.
func writtenClock(v string) *[3]int {
	if len(v) < 15 || v[8] != 'T' {
		return nil
	}
	h, ok1 := digits(v[9:11])
	m, ok2 := digits(v[11:13])
	s, ok3 := digits(v[13:15])
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	return &[3]int{h, m, s}
}
