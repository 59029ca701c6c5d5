package ical

import (
	"container/heap"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// DefaultMaxInstances is the number of instances Instances yields at most
// when InstanceOptions.Max is 0 (the default cap per object).
const DefaultMaxInstances = 10000

// walkFactor bounds how many occurrences Instances may walk (in and before
// the window) to Max*walkFactor: a rule with a huge COUNT that starts long
// before the window cannot be skipped ahead and must not take unbounded
// time.
const walkFactor = 10

// InstanceOptions says which instances of an object Instances yields.
type InstanceOptions struct {
	// Floating is the zone of floating DATE-TIME and DATE values: the
	// query's CALDAV:timezone, else the collection's calendar-timezone,
	// else UTC (RFC 4791 9.9). nil means UTC.
	Floating *time.Location
	// From and To are the window [From, To); a zero value leaves that side
	// unbounded.
	From, To time.Time
	// Max caps the instances yielded; 0 means DefaultMaxInstances.
	Max int
	// Zones resolves TZIDs; nil means ZonesOf(cal).
	Zones *Zones
	// Only, when set, restricts the walk to the instances that component
	// defines (Instance.Component == Only): the master's instances that no
	// override replaces, one override's own instance, or a THISANDFUTURE
	// override's instance and the later ones it governs. Max counts only
	// those.
	Only *ical.Component
	// Budget is the request's work budget, which every walk of one
	// request shares (RequestWork); nil: each walk has only its own.
	// Zones should then be built by ZonesWithin with the same Budget,
	// so that the VTIMEZONEs the walk reads are charged too.
	Budget *Budget
}

// Instance is one occurrence of a calendar object resource (master or
// override).
type Instance struct {
	// Start and End are in the instance's own zone; compare them as
	// instants. End follows RFC 5545 3.6.1: DTEND, or DTSTART+DURATION
	// (nominal days), or one day after a DATE, or Start for a DATE-TIME
	// (zero length). A VTODO ends at DUE or DTSTART+DURATION, else has zero
	// length; a VTODO without DTSTART is an instant at DUE. A VJOURNAL is
	// its DATE's day or its DATE-TIME's instant. An end before the start
	// reads as zero length.
	Start, End time.Time
	AllDay     bool
	// RecurrenceID is the instance's original start (its RECURRENCE-ID);
	// zero for an object that does not recur.
	RecurrenceID time.Time
	// Component defines the instance: the master, the override that
	// replaces it, or for instances after a RANGE=THISANDFUTURE override
	// that override (its properties replace the master's, RFC 5545
	// 3.8.4.4), with Override false.
	Component *ical.Component
	// Override is set for the instance an override component (with
	// RECURRENCE-ID) itself defines.
	Override bool
	// Cancelled is set when Component has STATUS:CANCELLED. Such instances
	// are yielded all the same; callers decide (free-busy leaves them out,
	// a calendar-query still finds them).
	Cancelled bool
}

// Instances yields the instances of the calendar object cal (all its
// non-VTIMEZONE components, which share one UID) that overlap
// [From, To), in ascending order of start, at most Max of them. An instance
// overlaps when start < To AND end > From; one of zero length when
// From <= start < To (RFC 4791 9.9).
//
// Masters are expanded with their RRULEs, RDATEs (DATE, DATE-TIME, PERIOD)
// and EXDATEs; an override (same UID and component name, with
// RECURRENCE-ID) replaces the instance it names and appears at its own
// time; RANGE=THISANDFUTURE overrides also shift and redefine every later
// instance. Components that cannot be placed in time (a VTODO with neither
// DTSTART nor DUE, a VJOURNAL without DTSTART) have no instances.
//
// truncated is true when Max stopped the walk before the window was
// exhausted, when more than Max*10 occurrences had to be walked to get
// there (a rule with a huge COUNT long before the window), when the walk
// used up its work budget (WalkWork, scaled with Max above
// DefaultMaxInstances), when the request's Budget ran out before the walk
// was done (or began), or when an RRULE was left out because it exceeds
// the work limits (Recurrence.Cut): the answer is then incomplete, and
// the caller should say so. err is non-nil when a date the walk needs does not
// parse (a VEVENT without DTSTART, a bad DTEND) or an RRULE cannot be
// expanded; it is returned before anything is yielded, except for a
// failure inside rrule-go during the walk.
func Instances(cal *ical.Calendar, opts InstanceOptions, yield func(Instance) bool) (truncated bool, err error) {
	if cal == nil || cal.Component == nil {
		return false, nil
	}
	if opts.Max <= 0 {
		opts.Max = DefaultMaxInstances
	}
	if opts.Floating == nil {
		opts.Floating = time.UTC
	}
	if opts.Budget.Spent() && anyRecurs(cal) {
		// Not even the rules are read: reading one can cost a walk.
		return true, nil
	}
	zones := opts.Zones
	if zones == nil {
		zones = ZonesWithin(cal, opts.Budget)
	}
	ex, err := newExpansion(cal, zones, opts.Floating, opts.Only)
	if err != nil {
		return false, err
	}
	truncated, err = ex.run(opts, yield)
	// A zone left unread for want of budget makes every time read in it
	// doubtful.
	return truncated || err == nil && zones.Cut(), err
}

// anyRecurs reports whether a component of cal has recurrence
// properties.
func anyRecurs(cal *ical.Calendar) bool {
	for _, c := range cal.Children {
		if recurs(c) {
			return true
		}
	}
	return false
}

// timing is the parsed date properties of one component.
type timing struct {
	comp      *ical.Component
	kind      string
	start     time.Time
	allDay    bool
	hasStart  bool // DTSTART (or, for an override, RECURRENCE-ID) parsed
	end       time.Time
	hasEnd    bool // DTEND, or DUE for a VTODO
	dur       string
	hasDur    bool
	rid       time.Time
	ridAllDay bool
	hasRID    bool
	future    bool // RANGE=THISANDFUTURE
	cancelled bool
	floating  bool // some value is floating or a DATE
}

// placeable reports whether the component has a time at all.
func (t *timing) placeable() bool { return t.hasStart || t.kind == CompToDo && t.hasEnd }

func readTiming(c *ical.Component, zones *Zones, floating *time.Location) (*timing, error) {
	t := &timing{comp: c, kind: strings.ToUpper(c.Name)}
	parse := func(name string) (time.Time, bool, bool, error) {
		p := c.Props.Get(name)
		if p == nil {
			return time.Time{}, false, false, nil
		}
		v, allDay, err := zones.DateTime(p, floating)
		if err != nil {
			return time.Time{}, false, false, err
		}
		if allDay || v.Location() == floating && p.Params.Get(ical.PropTimezoneID) == "" && !strings.HasSuffix(p.Value, "Z") {
			t.floating = true
		}
		return v, allDay, true, nil
	}
	var err error
	if t.rid, t.ridAllDay, t.hasRID, err = parse(ical.PropRecurrenceID); err != nil {
		return nil, err
	}
	if t.hasRID {
		p := c.Props.Get(ical.PropRecurrenceID)
		t.future = strings.EqualFold(p.Params.Get(ical.ParamRange), "THISANDFUTURE")
	}
	if t.start, t.allDay, t.hasStart, err = parse(ical.PropDateTimeStart); err != nil {
		return nil, err
	}
	if !t.hasStart && t.hasRID {
		// An override without DTSTART starts where it was scheduled.
		t.start, t.allDay, t.hasStart = t.rid, t.ridAllDay, true
	}
	switch t.kind {
	case CompJournal:
		// VJOURNAL has neither DTEND nor DURATION (RFC 5545 3.6.3).
	case CompToDo:
		if t.end, _, t.hasEnd, err = parse(ical.PropDue); err != nil {
			return nil, err
		}
	default:
		if t.end, _, t.hasEnd, err = parse(ical.PropDateTimeEnd); err != nil {
			return nil, err
		}
	}
	if t.kind != CompJournal && !t.hasEnd {
		if p := c.Props.Get(ical.PropDuration); p != nil {
			if _, err := ParseDuration(p.Value); err != nil {
				return nil, err
			}
			t.dur, t.hasDur = p.Value, true
		}
	}
	if t.kind == CompEvent && !t.hasStart {
		return nil, errNoStart
	}
	if p := c.Props.Get(ical.PropStatus); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "CANCELLED") {
		t.cancelled = true
	}
	return t, nil
}

var errNoStart = &ValidationError{Reason: "VEVENT has no DTSTART", Kind: InvalidData}

// endAt is the end of an instance of t that starts at s (RFC 5545 3.6.1,
// 3.8.5.3): DTEND/DUE keep their exact distance from DTSTART (whole days
// for all-day components, so an instance keeps its dates across DST),
// DURATION is nominal, otherwise the defaults of the component's kind.
func (t *timing) endAt(s time.Time) time.Time {
	var e time.Time
	switch {
	case t.hasEnd && !t.hasStart: // VTODO with only DUE
		e = s
	case t.hasEnd:
		e = shiftLike(t.end, t.start, s, t.allDay)
	case t.hasDur:
		e, _ = AddDuration(s, t.dur)
	case t.allDay && t.kind != CompToDo:
		e = s.AddDate(0, 0, 1)
	default:
		e = s
	}
	if e.Before(s) {
		e = s
	}
	return e
}

// startOf is where t's own instance starts: DTSTART, or DUE for a VTODO
// without one.
func (t *timing) startOf() time.Time {
	if t.hasStart {
		return t.start
	}
	return t.end
}

// shiftLike moves v, a time of a component anchored at anchor, to the
// instance starting at s: it keeps its distance from the start, in whole
// calendar days (then exact time) for all-day components, so an instance
// keeps its dates across DST, and exactly otherwise. (Computed from the
// component's own length: s.Sub(anchor) saturates after 292 years.)
func shiftLike(v, anchor, s time.Time, allDay bool) time.Time {
	if s.Equal(anchor) {
		return v
	}
	if allDay {
		ay, am, ad := anchor.Date()
		vy, vm, vd := v.In(anchor.Location()).Date()
		days := int((time.Date(vy, vm, vd, 0, 0, 0, 0, time.UTC).Unix() - time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC).Unix()) / 86400)
		rest := v.Sub(anchor.AddDate(0, 0, days))
		return s.AddDate(0, 0, days).Add(rest)
	}
	return s.Add(v.Sub(anchor))
}

// wallShift is the change a THISANDFUTURE override makes to its instance's
// start, in calendar days and wall-clock seconds in the series' zone, so
// that later instances keep their local time across DST.
type wallShift struct {
	days int
	secs int
}

func newWallShift(from, to time.Time, loc *time.Location) wallShift {
	f, t := from.In(loc), to.In(loc)
	fy, fm, fd := f.Date()
	ty, tm, td := t.Date()
	// Unix seconds, not Sub, which saturates at 292 years.
	days := int((time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC).Unix() - time.Date(fy, fm, fd, 0, 0, 0, 0, time.UTC).Unix()) / 86400)
	fh, fmi, fs := f.Clock()
	th, tmi, ts := t.Clock()
	return wallShift{days: days, secs: (th*3600 + tmi*60 + ts) - (fh*3600 + fmi*60 + fs)}
}

func (w wallShift) apply(t time.Time) time.Time {
	if w.days == 0 && w.secs == 0 {
		return t
	}
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	return wallTime(y, m, d+w.days, h, mi, s+w.secs, t.Nanosecond(), t.Location())
}

// approx bounds how far the shift can move an instant, earlier (lo) and
// later (hi): a wall-clock shift differs from the exact one by at most a
// DST jump.
func (w wallShift) approx() (lo, hi time.Duration) {
	d := clampDuration(float64(w.days)*float64(24*time.Hour) + float64(w.secs)*float64(time.Second))
	return satAdd(d, -3*time.Hour), satAdd(d, 3*time.Hour)
}

// durationLimit keeps sums of a few durations inside time.Duration.
const durationLimit = time.Duration(1 << 61)

func clampDuration(f float64) time.Duration {
	return time.Duration(math.Max(-float64(durationLimit), math.Min(float64(durationLimit), f)))
}

// satAdd adds durations, saturating at ±durationLimit.
func satAdd(a, b time.Duration) time.Duration {
	return clampDuration(float64(a) + float64(b))
}

// futureOverride is a THISANDFUTURE override as it applies to later
// instances.
type futureOverride struct {
	t     *timing
	shift wallShift
}

// series is one master with its overrides.
type series struct {
	master  *timing
	rec     *Recurrence
	exact   map[int64]*timing  // overrides by RECURRENCE-ID instant
	byDay   map[[3]int]*timing // overrides whose RECURRENCE-ID type differs from DTSTART's, by date
	futures []futureOverride   // sorted by RECURRENCE-ID
	minLead time.Duration      // lower bound (<= 0) on how far a shift moves a start earlier
	cur     *cursor
	pending Occurrence
	ok      bool
}

// replaced returns the override that replaces the occurrence starting at r.
func (s *series) replaced(r time.Time) *timing {
	if o := s.exact[r.Unix()]; o != nil {
		return o
	}
	if s.byDay != nil {
		y, m, d := r.Date() // r is in the series' zone
		return s.byDay[[3]int{y, int(m), d}]
	}
	return nil
}

// governing returns the latest THISANDFUTURE override at or before r.
func (s *series) governing(r time.Time) *futureOverride {
	i := sort.Search(len(s.futures), func(i int) bool { return s.futures[i].t.rid.After(r) })
	if i == 0 {
		return nil
	}
	return &s.futures[i-1]
}

// instance builds the instance of occurrence occ, or ok false when an
// override replaces it.
func (s *series) instance(occ Occurrence) (Instance, bool) {
	r := occ.Start
	if s.replaced(r) != nil {
		return Instance{}, false
	}
	m := s.master
	inst := Instance{Start: r, AllDay: m.allDay, Component: m.comp, Cancelled: m.cancelled}
	if s.rec.IsRecurring() {
		inst.RecurrenceID = r
	}
	if f := s.governing(r); f != nil {
		inst.Start = f.shift.apply(r)
		inst.End = f.t.endAt(inst.Start)
		inst.AllDay = f.t.allDay
		inst.Component = f.t.comp
		inst.Cancelled = f.t.cancelled
		return inst, true
	}
	if !occ.End.IsZero() && !occ.End.Before(r) {
		inst.End = occ.End // RDATE PERIOD
	} else {
		inst.End = m.endAt(r)
	}
	return inst, true
}

// expansion is one walk over a calendar object.
type expansion struct {
	fixed    []Instance // instances known up front (overrides, single components)
	series   []*series
	only     *ical.Component
	floating bool // some value read is floating or a DATE
}

func newExpansion(cal *ical.Calendar, zones *Zones, floating *time.Location, only *ical.Component) (*expansion, error) {
	type key struct{ name, uid string }
	var masters []*timing
	overrides := make(map[key][]*timing)
	floatingDates := false
	for _, c := range cal.Children {
		if strings.EqualFold(c.Name, CompTimezone) {
			continue
		}
		t, err := readTiming(c, zones, floating)
		if err != nil {
			return nil, err
		}
		floatingDates = floatingDates || t.floating || floatingList(c)
		if t.hasRID {
			k := key{t.kind, uidOf(c)}
			overrides[k] = append(overrides[k], t)
		} else {
			masters = append(masters, t)
		}
	}
	ex := &expansion{only: only, floating: floatingDates}
	for _, m := range masters {
		if !m.placeable() {
			continue
		}
		k := key{m.kind, uidOf(m.comp)}
		if !m.hasStart || !recurs(m.comp) && len(overrides[k]) == 0 {
			// One instance. (An EXDATE alone can remove DTSTART: recurs
			// counts it.)
			ex.fixed = append(ex.fixed, Instance{Start: m.startOf(), End: m.endAt(m.startOf()), AllDay: m.allDay, Component: m.comp, Cancelled: m.cancelled})
			continue
		}
		rec, err := zones.Recurrence(m.comp, floating)
		if err != nil {
			return nil, err
		}
		s := &series{master: m, rec: rec, exact: make(map[int64]*timing)}
		for _, o := range overrides[k] {
			if o.ridAllDay != m.allDay {
				if s.byDay == nil {
					s.byDay = make(map[[3]int]*timing)
				}
				// The date as written: a DATE has no zone to convert from,
				// a DATE-TIME names its date in its own zone.
				y, mo, d := o.rid.Date()
				s.byDay[[3]int{y, int(mo), d}] = o
			} else {
				s.exact[o.rid.Unix()] = o
			}
			if o.future {
				ws := newWallShift(o.rid, o.startOf(), m.start.Location())
				s.futures = append(s.futures, futureOverride{t: o, shift: ws})
				if lo, _ := ws.approx(); lo < s.minLead {
					s.minLead = lo
				}
			}
		}
		sort.SliceStable(s.futures, func(i, j int) bool { return s.futures[i].t.rid.Before(s.futures[j].t.rid) })
		if only == nil || only == m.comp || onlyGoverns(only, s.futures) {
			ex.series = append(ex.series, s)
		}
	}
	// Every override is an instance at its own time, whether or not its
	// RECURRENCE-ID is in the master's set (clients keep overrides of
	// excluded instances, and servers see overrides without their master
	// when invited to one instance).
	for _, list := range overrides {
		for _, o := range list {
			if !o.placeable() {
				continue
			}
			s := o.startOf()
			ex.fixed = append(ex.fixed, Instance{Start: s, End: o.endAt(s), AllDay: o.allDay, RecurrenceID: o.rid,
				Component: o.comp, Override: true, Cancelled: o.cancelled})
		}
	}
	return ex, nil
}

// floatingList reports whether an RDATE or EXDATE of c may hold floating
// or DATE values.
func floatingList(c *ical.Component) bool {
	for _, name := range []string{ical.PropRecurrenceDates, ical.PropExceptionDates} {
		for _, p := range c.Props[name] {
			if p.Params.Get(ical.PropTimezoneID) != "" {
				continue
			}
			for _, v := range strings.Split(p.Value, ",") {
				v, _, _ = strings.Cut(v, "/")
				if !strings.HasSuffix(strings.ToUpper(v), "Z") {
					return true
				}
			}
		}
	}
	return false
}

// recurs reports whether c has recurrence properties.
func recurs(c *ical.Component) bool {
	return len(c.Props[ical.PropRecurrenceRule]) > 0 || len(c.Props[ical.PropRecurrenceDates]) > 0 ||
		len(c.Props[ical.PropExceptionDates]) > 0
}

func onlyGoverns(only *ical.Component, futures []futureOverride) bool {
	for _, f := range futures {
		if f.t.comp == only {
			return true
		}
	}
	return false
}

func uidOf(c *ical.Component) string {
	if p := c.Props.Get(ical.PropUID); p != nil {
		return p.Value
	}
	return ""
}

// instanceHeap orders instances by start, then RECURRENCE-ID.
type instanceHeap []Instance

func (h instanceHeap) Len() int { return len(h) }
func (h instanceHeap) Less(i, j int) bool {
	if !h[i].Start.Equal(h[j].Start) {
		return h[i].Start.Before(h[j].Start)
	}
	return h[i].RecurrenceID.Before(h[j].RecurrenceID)
}
func (h instanceHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *instanceHeap) Push(x any)   { *h = append(*h, x.(Instance)) }
func (h *instanceHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// inWindow is the RFC 4791 9.9 overlap test against [from, to), zero
// meaning unbounded.
func inWindow(s, e, from, to time.Time) bool {
	if !to.IsZero() && !s.Before(to) {
		return false
	}
	if from.IsZero() {
		return true
	}
	if e.After(s) {
		return e.After(from)
	}
	return !s.Before(from)
}

func (ex *expansion) run(opts InstanceOptions, yield func(Instance) bool) (truncated bool, err error) {
	// A series whose rules were left out is incomplete however the walk
	// ends, unless in an error or because yield had seen enough.
	stopped := false
	for _, s := range ex.series {
		if s.rec.cut != nil {
			defer func() { truncated = truncated || err == nil && !stopped }()
			break
		}
	}
	work := int64(WalkWork)
	if opts.Max > DefaultMaxInstances {
		work = work / DefaultMaxInstances * int64(opts.Max)
	}
	m := newMeter(work, opts.Budget)
	h := make(instanceHeap, 0, len(ex.fixed)+len(ex.series))
	for _, inst := range ex.fixed {
		if ex.only == nil || inst.Component == ex.only {
			h = append(h, inst)
		}
	}
	heap.Init(&h)
	// Occurrences are walked from where the earliest one that can reach
	// the window may start: a THISANDFUTURE shift can move later
	// occurrences earlier.
	for _, s := range ex.series {
		from := opts.From
		if !from.IsZero() {
			// The walk starts early enough for an occurrence that began
			// before From and still lasts, and for one that a
			// THISANDFUTURE shift moves later into the window.
			var hi time.Duration
			for _, f := range s.futures {
				if _, h := f.shift.approx(); h > hi {
					hi = h
				}
			}
			from = from.Add(-satAdd(hi, s.maxLength()))
		}
		to := opts.To
		if !to.IsZero() {
			to = to.Add(-s.minLead) // a shift may bring a later occurrence into the window
		}
		s.cur = s.rec.window(from, to, m)
	}
	if len(ex.series) > 0 && m.spent() {
		// The request's budget is gone: not one period more, as every
		// later walk of the request would pay one.
		return true, nil
	}
	budget := opts.Max * walkFactor
	yielded := 0
	active := append([]*series(nil), ex.series...)
	for _, s := range active {
		if s.pending, s.ok, err = s.cur.next(); err != nil {
			return false, err
		}
		budget--
		m.took()
	}
	for {
		// The series whose next occurrence can start earliest.
		var w *series
		var bound time.Time
		for _, s := range active {
			if !s.ok {
				continue
			}
			b := s.pending.Start.Add(s.minLead)
			if w == nil || b.Before(bound) {
				w, bound = s, b
			}
		}
		if h.Len() > 0 && (w == nil || !h[0].Start.After(bound)) {
			inst := heap.Pop(&h).(Instance)
			if !inWindow(inst.Start, inst.End, opts.From, opts.To) {
				if !opts.To.IsZero() && !inst.Start.Before(opts.To) && w == nil {
					return false, nil // everything left starts after the window
				}
				continue
			}
			if yielded == opts.Max {
				return true, nil
			}
			yielded++
			if !yield(inst) {
				stopped = true
				return false, nil
			}
			continue
		}
		if w == nil {
			return false, nil
		}
		if !opts.To.IsZero() && !bound.Before(opts.To) {
			w.ok = false // nothing of this series can start inside the window
			continue
		}
		if budget <= 0 || m.spent() {
			return true, nil
		}
		if inst, ok := w.instance(w.pending); ok && (ex.only == nil || inst.Component == ex.only) {
			heap.Push(&h, inst)
		}
		budget--
		m.took()
		if w.pending, w.ok, err = w.cur.next(); err != nil {
			return false, err
		}
	}
}

// maxLength bounds how long one of the series' instances lasts, so that a
// walk that starts late still meets every instance overlapping its start.
func (s *series) maxLength() time.Duration {
	d := s.master.endAt(s.master.startOf()).Sub(s.master.startOf())
	for _, p := range s.rec.rdates {
		if !p.End.IsZero() {
			d = max(d, p.End.Sub(p.Start))
		}
	}
	for _, f := range s.futures {
		d = max(d, f.t.endAt(f.t.startOf()).Sub(f.t.startOf()))
	}
	// Nominal days can be an hour longer across DST.
	return satAdd(d, 2*time.Hour)
}
