package ical

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"almanac/internal/contentline"
)

// Generating VTIMEZONEs (RFC 5545 3.6.5) for feeds whose stored objects
// lack one.
//
// VTimezone describes a *time.Location over [from, to] as the zone data
// has it, read through the time package's public API only:
// Time.ZoneBounds walks from one zone period to the next, and a boundary
// counts as a transition when the offset or the abbreviation (Zone)
// changes there; boundaries where nothing visible changes (tzdata
// isdst-only changes, the year ends Go's POSIX-footer rules report) are
// skipped. This is exact to the second and finds periods of any length,
// which stepping by days and bisecting would miss if shorter than a step.
// Where ZoneBounds makes no progress (Go's POSIX-footer rules, past the
// zone's last listed transition, end a leap year's last period on Dec 31;
// see zoneChanges) that day is stepped over and bisected.
//
// Output:
//
//	BEGIN:VTIMEZONE
//	TZID:<tzid, TEXT-escaped>
//	X-LIC-LOCATION:<IANA name>      when loc is an IANA zone (see below)
//	BEGIN:STANDARD or DAYLIGHT       one per observance group, in order of
//	DTSTART:<first onset>            their first onset
//	TZOFFSETFROM:±hhmm[ss]
//	TZOFFSETTO:±hhmm[ss]
//	TZNAME:<abbreviation>            when the zone has one
//	RDATE:<onset>,<onset>,...        the later onsets, four per line, or
//	RRULE:FREQ=YEARLY;BYMONTH=m;BYDAY=nWD   for the current rule (below)
//	END:STANDARD or DAYLIGHT
//	END:VTIMEZONE
//
// Rules:
//
//   - The first observance is the offset in force at from: DTSTART is
//     from's local time, TZOFFSETFROM = TZOFFSETTO, so that readers know the
//     offset before the first transition (RFC 5545 readers apply the first
//     onset's TZOFFSETFROM before it; ours does).
//   - Every transition in (from, to] is one onset. Onsets with the same
//     kind, TZOFFSETFROM, TZOFFSETTO and TZNAME form one observance: DTSTART
//     is the first, RDATE the rest. Onsets are local wall times in the old
//     offset (RFC 5545: DTSTART and RDATE of an observance are local time
//     interpreted with TZOFFSETFROM), floating DATE-TIMEs, whole seconds.
//   - The zone's current rule is an RRULE without end, as Outlook, Exchange
//     and Google write them: the longest run of transitions ending with the
//     last one in (from, to] that alternates one DAYLIGHT and one STANDARD
//     onset a year, each kind with the same offsets and name, in the same
//     month, on the same weekday at the same local wall time, is written as
//     two observances (see yearlyRule) when it spans at least
//     minRuleYears years and its rule yields exactly those onsets up to to.
//     The days are "the n-th (1-4) weekday" (BYDAY=2SU) or "the last"
//     (BYDAY=-1SU) where they fit, else "the weekday on or after day d"
//     (BYDAY=SU;BYMONTHDAY=d,...,d+6: tzdata's Sun>=d, as Chile's rule is).
//     Such a zone goes on past to by its rule; the transitions before
//     the run are RDATE observances as above. Zones without DST, or whose
//     recent transitions follow no such rule (Ramadan changes, DST
//     abolished before to), have no RRULE: after to (and before from) the
//     last (first) offset holds, so pick a range that covers what the
//     feed shows.
//   - STANDARD or DAYLIGHT, independent of tzdata's isdst flags (which
//     differ between tzdata's main and rearguard formats: Europe/Dublin's
//     winter is "negative DST" in one, Africa/Casablanca's Ramadan in
//     the other): a run of time with one offset is DAYLIGHT when its offset
//     is above the offsets just before and just after it and it lasts less
//     than 400 days; everything else is STANDARD. So summer time is
//     DAYLIGHT (Dublin's IST, Casablanca's +01 between Ramadans, Lord
//     Howe's half-hour shift), a permanent change of offset is STANDARD
//     (America/Sao_Paulo after 2019, America/Caracas 2016, Europe/Moscow
//     2011-2014), and a zone without DST in range emits one STANDARD. Runs
//     are looked at up to 400 days outside [from, to], so the kind does not
//     depend on where the range is cut.
//   - X-LIC-LOCATION names loc's zone when loc.String() is an IANA name
//     (LoadLocation knows it) and that zone agrees with loc at from and
//     to; clients that know the IANA zone use it.
//   - time.UTC (and a nil loc) is one STANDARD of +0000 from 1970.
//   - At most maxGenOnsets onsets (2000 years of twice-yearly changes);
//     later transitions are left out.
//   - from and to are clamped to the years 1-9999 and whole seconds (from
//     rounded down); to before from reads as to = from.
//
// Results are cached per (zone, tzid, from, to): by name for IANA zones,
// so that every render's time.LoadLocation of the same name shares them,
// else by the *time.Location. The cache holds maxGenCached entries and is
// emptied when full; renders should pass stable bounds (whole years) to
// hit it. A cached call costs a map lookup and a copy of the result.
const (
	dstMaxRun     = 400 * 24 * 3600    // seconds; also how far past the range runs are read
	maxGenOnsets  = maxTransitions - 1 // the initial observance is the reader's 4000th
	maxGenScan    = 1 << 17            // ZoneBounds steps per call, a backstop
	maxGenCached  = 1024
	rdatesPerLine = 4 // "RDATE:" + 4 x 15 + 3 commas = 69 octets: no fold
	minRuleYears  = 3 // onsets of each kind a current rule must have
)

var (
	minGenTime = time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC).Unix()
	maxGenTime = time.Date(9999, 12, 30, 0, 0, 0, 0, time.UTC).Unix()

	vtzGenCache sync.Map // vtzGenKey → []byte
	vtzGenCount atomic.Int64
)

type vtzGenKey struct {
	name     string         // IANA name of the zone, or ""
	loc      *time.Location // when name is ""
	tzid     string
	from, to int64
}

// VTimezone returns a VTIMEZONE component (RFC 5545 3.6.5) for tzid that
// describes loc's offsets from `from` to `to`, generated from the tz
// database, for feeds whose stored objects lack one. Output: CRLF lines
// folded at 75 octets, "BEGIN:VTIMEZONE\r\n...END:VTIMEZONE\r\n". The
// caller owns the returned slice. See the comment above for the rules.
func VTimezone(tzid string, loc *time.Location, from, to time.Time) (out []byte) {
	if loc == nil {
		loc = time.UTC
	}
	f, t := clampGen(from.Unix()), clampGen(to.Unix())
	if t < f {
		t = f
	}
	defer func() {
		// Nothing below is known to panic; should it, a fixed zone at
		// from's offset is still a usable answer.
		if recover() != nil {
			name, off := time.Unix(f, 0).In(loc).Zone()
			out = appendFixedVTimezone(nil, tzid, "", f, off, name)
		}
	}()
	iana := ianaZoneName(loc, f, t)
	key := vtzGenKey{name: iana, tzid: tzid, from: f, to: t}
	if iana == "" {
		key.loc = loc
	}
	if v, ok := vtzGenCache.Load(key); ok {
		return append([]byte(nil), v.([]byte)...)
	}
	b := generateVTimezone(tzid, iana, loc, f, t)
	if vtzGenCount.Add(1) > maxGenCached {
		vtzGenCache.Clear()
		vtzGenCount.Store(1)
	}
	vtzGenCache.Store(key, b)
	return append([]byte(nil), b...)
}

func clampGen(sec int64) int64 {
	return min(max(sec, minGenTime), maxGenTime)
}

// ianaZoneName returns loc's name when it is an IANA name whose zone
// agrees with loc at the ends of [from, to], else "".
func ianaZoneName(loc *time.Location, from, to int64) string {
	name := loc.String()
	known, ok := LoadLocation(name)
	if !ok {
		return ""
	}
	if known == loc {
		return name
	}
	for _, sec := range [...]int64{from, to} {
		n1, o1 := time.Unix(sec, 0).In(loc).Zone()
		n2, o2 := time.Unix(sec, 0).In(known).Zone()
		if n1 != n2 || o1 != o2 {
			return ""
		}
	}
	return name
}

// zoneChange is a zone period's start: from at on, off and name hold.
type zoneChange struct {
	at   int64
	off  int
	name string
}

// zoneChanges returns the zone in force at lo = from-dstMaxRun (with at =
// lo) and every change of offset or name in (lo, hi], hi = to+dstMaxRun.
// When (from, to] holds more than maxGenOnsets changes, to is moved back to
// the last one kept (and hi with it).
func zoneChanges(loc *time.Location, from, to int64) ([]zoneChange, int64) {
	lo, hi := from-dstMaxRun, to+dstMaxRun
	t := time.Unix(lo, 0).In(loc)
	name, off := t.Zone()
	ch := []zoneChange{{lo, off, name}}
	in := 0
	for range maxGenScan {
		_, end := t.ZoneBounds()
		if end.IsZero() {
			break // the zone holds for ever
		}
		if !end.After(t) {
			// Go's POSIX-footer rules (time.tzset, Go 1.26) end a year's
			// last period at day 365 of the year, which in a leap year
			// is Dec 31, so from Dec 31 on ZoneBounds reports an end
			// that is not after t (golang/go#81583). Step a day and
			// bisect instead.
			end = nextZoneChange(t, 24*3600)
		}
		at := end.Unix()
		if at > hi {
			break
		}
		t = end
		name, off = t.Zone()
		if last := ch[len(ch)-1]; off == last.off && name == last.name {
			continue
		}
		ch = append(ch, zoneChange{at, off, name})
		if at > from && at <= to {
			if in++; in == maxGenOnsets {
				to, hi = at, at+dstMaxRun
			}
		}
	}
	return ch, to
}

// nextZoneChange returns t+step when loc's offset and name there are
// those at t, else the first second after t where they differ.
func nextZoneChange(t time.Time, step int64) time.Time {
	loc := t.Location()
	zone := func(sec int64) (string, int) { return time.Unix(sec, 0).In(loc).Zone() }
	n0, o0 := zone(t.Unix())
	lo, hi := t.Unix(), t.Unix()+step
	if n, o := zone(hi); n == n0 && o == o0 {
		return time.Unix(hi, 0).In(loc)
	}
	for hi-lo > 1 {
		m := lo + (hi-lo)/2
		if n, o := zone(m); n == n0 && o == o0 {
			lo = m
		} else {
			hi = m
		}
	}
	return time.Unix(hi, 0).In(loc)
}

// daylightRuns reports per change whether the period it starts is DAYLIGHT:
// its run of equal offsets lies above both neighbouring runs and lasts
// less than dstMaxRun. The first and last runs, cut by the scan, are
// STANDARD; any run within [from, to] that could be DAYLIGHT lies whole
// inside the scan, with its neighbours.
func daylightRuns(ch []zoneChange) []bool {
	dst := make([]bool, len(ch))
	type run struct{ i, j int } // ch[i:j]
	var runs []run
	for i := 0; i < len(ch); {
		j := i + 1
		for j < len(ch) && ch[j].off == ch[i].off {
			j++
		}
		runs = append(runs, run{i, j})
		i = j
	}
	for k := 1; k+1 < len(runs); k++ {
		r, prev, next := runs[k], runs[k-1], runs[k+1]
		off := ch[r.i].off
		if off > ch[prev.i].off && off > ch[next.i].off && ch[next.i].at-ch[r.i].at < dstMaxRun {
			for x := r.i; x < r.j; x++ {
				dst[x] = true
			}
		}
	}
	return dst
}

type observanceKey struct {
	dst      bool
	from, to int
	name     string
}

type observanceGroup struct {
	observanceKey
	onsets []int64     // local wall times, as Unix seconds
	rule   *yearlyRule // onsets[0] is DTSTART of this rule, without end
}

func generateVTimezone(tzid, iana string, loc *time.Location, from, to int64) []byte {
	if loc == time.UTC {
		return appendFixedVTimezone(nil, tzid, iana, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), 0, "UTC")
	}
	ch, to := zoneChanges(loc, from, to)
	dst := daylightRuns(ch)
	c0 := 0 // the change in force at from
	for c0+1 < len(ch) && ch[c0+1].at <= from {
		c0++
	}
	var groups []*observanceGroup
	index := map[observanceKey]*observanceGroup{}
	add := func(k observanceKey, wall int64) {
		g := index[k]
		if g == nil {
			g = &observanceGroup{observanceKey: k}
			index[k] = g
			groups = append(groups, g)
		}
		g.onsets = append(g.onsets, wall)
	}
	last := c0 // the last change in (from, to]
	for last+1 < len(ch) && ch[last+1].at <= to {
		last++
	}
	rules, start := currentRule(ch, dst, c0, last, to)
	add(observanceKey{dst[c0], ch[c0].off, ch[c0].off, ch[c0].name}, from+int64(ch[c0].off))
	for i := c0 + 1; i < start; i++ {
		prev := ch[i-1].off
		add(observanceKey{dst[i], prev, ch[i].off, ch[i].name}, ch[i].at+int64(prev))
	}
	groups = append(groups, rules...)
	w := &vtzWriter{}
	w.header(tzid, iana)
	for _, g := range groups {
		w.observance(g)
	}
	w.lit("END:VTIMEZONE")
	return w.out
}

// yearlyRule is a yearly onset day: in month, the week-th weekday (1-4),
// the last one (week -1), or with week 0 the first one on or after day.
type yearlyRule struct {
	month   time.Month
	weekday time.Weekday
	week    int
	day     int
}

// in returns the rule's day in year y.
func (r yearlyRule) in(y int) time.Time {
	wd := func(d int) time.Weekday { return time.Date(y, r.month, d, 0, 0, 0, 0, time.UTC).Weekday() }
	var d int
	switch {
	case r.week > 0:
		d = 1 + int(r.weekday-wd(1)+7)%7 + 7*(r.week-1)
	case r.week < 0:
		n := daysIn(y, int(r.month))
		d = n - int(wd(n)-r.weekday+7)%7
	default:
		d = r.day + int(r.weekday-wd(r.day)+7)%7
	}
	return time.Date(y, r.month, d, 0, 0, 0, 0, time.UTC)
}

// appendRRULE writes the rule as an RRULE value.
func (r yearlyRule) appendRRULE(b []byte) []byte {
	day := [...]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}[r.weekday]
	b = append(b, "FREQ=YEARLY;BYMONTH="...)
	b = strconv.AppendInt(b, int64(r.month), 10)
	b = append(b, ";BYDAY="...)
	if r.week != 0 {
		b = strconv.AppendInt(b, int64(r.week), 10)
		return append(b, day...)
	}
	b = append(b, day+";BYMONTHDAY="...)
	for i := range 7 {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(r.day+i), 10)
	}
	return b
}

// ruleFit collects the onsets of one kind, latest first, and the yearly
// rules all of them fit.
type ruleFit struct {
	key            observanceKey
	n              int
	first          int64 // wall time of the earliest onset so far
	year           int
	month          time.Month
	weekday        time.Weekday
	clock          int64 // seconds into the day
	minDay, maxDay int
	last           bool // every onset is in its month's last seven days
}

// add extends the fit by an onset a year before the earliest so far, and
// reports whether some rule still fits them all.
func (f *ruleFit) add(k observanceKey, wall int64) bool {
	t := time.Unix(wall, 0).UTC()
	y, m, d := t.Date()
	clock := int64(t.Hour()*3600 + t.Minute()*60 + t.Second())
	inLast := d+7 > daysIn(y, int(m))
	if f.n == 0 {
		*f = ruleFit{key: k, n: 1, first: wall, year: y, month: m, weekday: t.Weekday(), clock: clock, minDay: d, maxDay: d, last: inLast}
		return true
	}
	if k != f.key || y != f.year-1 || m != f.month || t.Weekday() != f.weekday || clock != f.clock {
		return false
	}
	g := *f
	g.n++
	g.first, g.year = wall, y
	g.minDay, g.maxDay = min(g.minDay, d), max(g.maxDay, d)
	g.last = g.last && inLast
	if _, ok := g.rule(); !ok {
		return false
	}
	*f = g
	return true
}

// rule picks a rule that fits: the last weekday, else the n-th, else the
// first on or after a day.
func (f *ruleFit) rule() (yearlyRule, bool) {
	r := yearlyRule{month: f.month, weekday: f.weekday}
	if f.last {
		r.week = -1
		return r, true
	}
	// Day d fits the days seen when it is within six days before each.
	lo, hi := max(1, f.maxDay-6), min(f.minDay, daysIn(2001, int(f.month))-6)
	if lo > hi {
		return r, false
	}
	for _, d := range [...]int{1, 8, 15, 22} {
		if lo <= d && d <= hi {
			r.week = (d-1)/7 + 1
			return r, true
		}
	}
	r.day = lo
	return r, true
}

// currentRule finds the zone's current yearly rule: the longest run of
// changes ch[start:last+1] (c0 < start) that alternate DAYLIGHT and
// STANDARD onsets of one yearly rule each, for at least minRuleYears
// years, and whose rules yield exactly those onsets in [ch[start].at, to].
// It returns the two observances in order of their first onset, or nil
// and start = last+1.
func currentRule(ch []zoneChange, dst []bool, c0, last int, to int64) ([]*observanceGroup, int) {
	var fits [2]ruleFit // STANDARD, DAYLIGHT
	kind := func(i int) int {
		if dst[i] {
			return 1
		}
		return 0
	}
	start := last + 1
	for i := last; i > c0; i-- {
		if i < last && dst[i] == dst[i+1] {
			break
		}
		prev := ch[i-1].off
		if !fits[kind(i)].add(observanceKey{dst[i], prev, ch[i].off, ch[i].name}, ch[i].at+int64(prev)) {
			break
		}
		start = i
	}
	std, day := &fits[0], &fits[1]
	if std.n < minRuleYears || day.n < minRuleYears ||
		std.key.from != day.key.to || day.key.from != std.key.to || std.key.to == day.key.to {
		return nil, last + 1
	}
	var groups []*observanceGroup
	var want []int64 // the rules' onsets in [ch[start].at, to], as instants
	for _, f := range []*ruleFit{std, day} {
		r, _ := f.rule()
		groups = append(groups, &observanceGroup{observanceKey: f.key, onsets: []int64{f.first}, rule: &r})
		for y := f.year; y <= time.Unix(to, 0).UTC().Year()+1; y++ {
			at := r.in(y).Unix() + f.clock - int64(f.key.from)
			if at >= ch[start].at && at <= to {
				want = append(want, at)
			}
		}
	}
	slices.Sort(want)
	if len(want) != last+1-start {
		return nil, last + 1
	}
	for i, at := range want {
		if ch[start+i].at != at {
			return nil, last + 1
		}
	}
	if groups[1].onsets[0] < groups[0].onsets[0] {
		groups[0], groups[1] = groups[1], groups[0]
	}
	return groups, start
}

// appendFixedVTimezone writes a VTIMEZONE of one STANDARD observance:
// offset off, named name, from the instant start.
func appendFixedVTimezone(dst []byte, tzid, iana string, start int64, off int, name string) []byte {
	w := &vtzWriter{out: dst}
	w.header(tzid, iana)
	w.observance(&observanceGroup{observanceKey: observanceKey{false, off, off, name}, onsets: []int64{start + int64(off)}})
	w.lit("END:VTIMEZONE")
	return w.out
}

type vtzWriter struct {
	out, line []byte
}

func (w *vtzWriter) flush() {
	w.out = contentline.AppendFolded(w.out, string(w.line))
	w.line = w.line[:0]
}

func (w *vtzWriter) lit(s string) {
	w.line = append(w.line[:0], s...)
	w.flush()
}

func (w *vtzWriter) header(tzid, iana string) {
	w.lit("BEGIN:VTIMEZONE")
	w.line = appendText(append(w.line[:0], "TZID:"...), tzid)
	w.flush()
	if iana != "" {
		w.line = appendText(append(w.line[:0], "X-LIC-LOCATION:"...), iana)
		w.flush()
	}
}

func (w *vtzWriter) observance(g *observanceGroup) {
	kind := "STANDARD"
	if g.dst {
		kind = "DAYLIGHT"
	}
	w.lit("BEGIN:" + kind)
	w.line = appendWallTime(append(w.line[:0], "DTSTART:"...), g.onsets[0])
	w.flush()
	w.line = appendUTCOffset(append(w.line[:0], "TZOFFSETFROM:"...), g.from)
	w.flush()
	w.line = appendUTCOffset(append(w.line[:0], "TZOFFSETTO:"...), g.to)
	w.flush()
	if g.name != "" {
		w.line = appendText(append(w.line[:0], "TZNAME:"...), g.name)
		w.flush()
	}
	if g.rule != nil {
		w.line = g.rule.appendRRULE(append(w.line[:0], "RRULE:"...))
		w.flush()
	}
	for rest := g.onsets[1:]; len(rest) > 0; {
		n := min(len(rest), rdatesPerLine)
		w.line = append(w.line[:0], "RDATE:"...)
		for i, on := range rest[:n] {
			if i > 0 {
				w.line = append(w.line, ',')
			}
			w.line = appendWallTime(w.line, on)
		}
		w.flush()
		rest = rest[n:]
	}
	w.lit("END:" + kind)
}

// appendWallTime writes a local wall time, given as Unix seconds read as
// UTC, as a floating DATE-TIME (RFC 5545 3.3.5 form 1).
func appendWallTime(b []byte, wall int64) []byte {
	return time.Unix(wall, 0).UTC().AppendFormat(b, "20060102T150405")
}

// appendUTCOffset writes an RFC 5545 3.3.14 UTC-OFFSET: ±hhmm, with ss
// when the offset has seconds; zero is "+0000" ("-0000" is not allowed).
func appendUTCOffset(b []byte, off int) []byte {
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	two := func(b []byte, n int) []byte {
		if n > 99 {
			n = 99 // no such zone; keep the form
		}
		return append(b, byte('0'+n/10), byte('0'+n%10))
	}
	b = append(b, sign)
	b = two(b, off/3600)
	b = two(b, off/60%60)
	if off%60 != 0 {
		b = two(b, off%60)
	}
	return b
}

// appendText writes s as an RFC 5545 3.3.11 TEXT value: backslash,
// semicolon and comma escaped, line breaks as \n, other control
// characters but HTAB dropped, invalid UTF-8 replaced.
func appendText(b []byte, s string) []byte {
	s = strings.ToValidUTF8(s, "\uFFFD")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == ';' || c == ',':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r' && i+1 < len(s) && s[i+1] == '\n':
		case c < 0x20 && c != '\t' || c == 0x7F:
		default:
			b = append(b, c)
		}
	}
	return b
}

// IANAName returns the IANA name a TZID resolves to by name alone (an
// IANA name, a Windows name such as "W. Europe Standard Time", a
// vendor-prefixed name such as
// "/freeassociation.sourceforge.net/Europe/Zurich"), and whether it did.
// It does not consult VTIMEZONE definitions, nor read the "(UTC+01:00)"
// offset of display names nobody knows. Feeds rewrite TZIDs to this name.
//
// It follows resolveName (steps 1-3 of Zones), and the name is that of the
// zone it loaded: "UTC" stays "UTC", "Etc/UTC" stays "Etc/UTC", the Windows
// "UTC" is CLDR's "Etc/UTC"; names of links ("US/Eastern") are kept. Two
// names the system's zoneinfo directory holds that are not zones are
// refused: "localtime" (the server's own zone, like "Local") and
// "posixrules". "posix/Area/City" and "right/Area/City" (Debian's copies)
// become "Area/City".
func IANAName(tzid string) (string, bool) {
	loc, ok, _ := resolveName(tzid, nil)
	if !ok || loc == nil {
		return "", false
	}
	name := loc.String()
	for _, prefix := range [...]string{"posix/", "right/"} {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			if _, ok := LoadLocation(rest); ok {
				name = rest
			}
		}
	}
	switch name {
	case "", "Local", "localtime", "posixrules":
		return "", false
	}
	return name, true
}
