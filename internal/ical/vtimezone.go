package ical

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// A VTIMEZONE (RFC 5545 3.6.5) becomes a *time.Location by way of TZif
// data (RFC 8536) for time.LoadLocationFromTZData:
//
//   - Every STANDARD and DAYLIGHT sub-component contributes its onsets:
//     DTSTART, its RRULE instances and its RDATEs, read as local times in
//     TZOFFSETFROM (RFC 5545 3.6.5: "DTSTART ... local time"), so the
//     instant is the local time minus TZOFFSETFROM; from then on
//     TZOFFSETTO holds. An RRULE's UNTIL is the UTC instant of the last
//     onset. Onsets are generated up to the end of vtzLastYear and at most
//     maxTransitions of them.
//   - Before the first onset, the first onset's TZOFFSETFROM holds.
//   - When exactly one STANDARD and one DAYLIGHT rule run without end and
//     are of the usual kind (FREQ=YEARLY;BYMONTH=m;BYDAY=nDD with n 1-4 or
//     -1, or BYDAY=DD with a seven-day BYMONTHDAY range), they also become
//     the POSIX TZ footer that carries the zone past the last generated
//     transition; otherwise the last offset holds.
//   - Sub-components with a missing or bad TZOFFSETTO or DTSTART are
//     skipped; a VTIMEZONE left with nothing is not a zone. One with a
//     single offset is a fixed zone.
//
// Locations are cached by TZID and a digest of the VTIMEZONE's content,
// as every object of an Outlook calendar carries the same one.
const (
	vtzLastYear    = 2100
	maxTransitions = 4000
	maxVTZCached   = 1024
	// maxCachedTZID bounds the TZIDs whose zones are cached (the
	// location keeps its name): real ones are names of places.
	maxCachedTZID = 256
)

var (
	vtzCache sync.Map // vtzKey → *time.Location (nil: not a zone)
	vtzCount atomic.Int64
)

// vtzKey identifies a built VTIMEZONE. A digest, not the content: the
// content of a VTIMEZONE can be megabytes, and it was copied into the key
// of every lookup and kept in the cache.
type vtzKey struct {
	tzid    string
	content [sha256.Size]byte
}

func vtimezoneLocation(tzid string, c *ical.Component) (*time.Location, bool) {
	loc, ok, _ := vtimezoneWithin(tzid, c, componentDigest(c), nil)
	return loc, ok
}

// vtimezoneWithin is vtimezoneLocation charging the build to req; digest
// is componentDigest(c). cut reports a VTIMEZONE not built, or not to the
// end, because req was spent; nothing is remembered then, as another
// request may build it. A remembered one costs nothing.
func vtimezoneWithin(tzid string, c *ical.Component, digest [sha256.Size]byte, req *Budget) (loc *time.Location, ok, cut bool) {
	key := vtzKey{tzid: tzid, content: digest}
	cacheable := len(tzid) <= maxCachedTZID
	if cacheable {
		if v, ok := vtzCache.Load(key); ok {
			loc := v.(*time.Location)
			return loc, loc != nil, false
		}
	}
	if req.Spent() {
		return nil, false, true
	}
	loc, ok, cut = buildVTimezone(tzid, c, req)
	if cut {
		return nil, false, true
	}
	if !ok {
		loc = nil
	}
	if cacheable && vtzCount.Add(1) <= maxVTZCached {
		vtzCache.Store(key, loc)
	}
	return loc, ok, false
}

// componentDigest is a digest of c's canonical text: its properties in
// name order, their parameters in name order (each with its number of
// values), and its children in order, every field length-prefixed, so
// that no two components share a text whatever their values hold (RFC
// 6868 decoded values may hold "," or ":").
func componentDigest(c *ical.Component) (d [sha256.Size]byte) {
	h := sha256.New()
	var buf []byte
	field := func(s string) {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
		if len(buf) >= 4096 {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	var walk func(c *ical.Component, depth int)
	walk = func(c *ical.Component, depth int) {
		if depth > maxDepth {
			return
		}
		field("B")
		field(c.Name)
		names := make([]string, 0, len(c.Props))
		for name := range c.Props {
			names = append(names, name)
		}
		sort.Strings(names)
		var params []string
		for _, name := range names {
			for _, p := range c.Props[name] {
				field("P")
				field(name)
				params = params[:0]
				for pn := range p.Params {
					params = append(params, pn)
				}
				sort.Strings(params)
				for _, pn := range params {
					field(pn)
					field(strconv.Itoa(len(p.Params[pn])))
					for _, v := range p.Params[pn] {
						field(v)
					}
				}
				field(":")
				field(p.Value)
			}
		}
		for _, child := range c.Children {
			walk(child, depth+1)
		}
		field("E")
	}
	walk(c, 0)
	h.Write(buf)
	h.Sum(d[:0])
	return d
}

// observance is one STANDARD or DAYLIGHT sub-component.
type observance struct {
	dst      bool
	from, to int // UTC offsets in seconds
	name     string
	start    time.Time // local wall time, as UTC
	rules    []*rrule.RRule
	costs    []ruleCost   // of rules, by index
	open     *rrule.RRule // the rule without COUNT or UNTIL, if one
	rdates   []time.Time  // local wall times, as UTC
}

type transition struct {
	at   int64
	from int // the offset before it
	off  int
	dst  bool
	name string
}

// buildVTimezone builds the location of the VTIMEZONE c, charging req
// zoneWork, the rules it reads and its onsets' walk; cut reports a walk
// that req stopped.
func buildVTimezone(tzid string, c *ical.Component, req *Budget) (loc *time.Location, ok, cut bool) {
	defer func() {
		if recover() != nil { // rrule-go; see Recurrence
			loc, ok, cut = nil, false, false
		}
	}()
	req.charge(zoneWork)
	var obs []*observance
	for _, sub := range c.Children {
		kind := strings.ToUpper(sub.Name)
		if kind != "STANDARD" && kind != "DAYLIGHT" {
			continue
		}
		if o := readObservance(sub, kind == "DAYLIGHT", req); o != nil {
			obs = append(obs, o)
		}
	}
	if len(obs) == 0 {
		return nil, false, false
	}
	end := time.Date(vtzLastYear, 12, 31, 23, 59, 59, 0, time.UTC)
	var trans []transition
	add := func(o *observance, wall time.Time) {
		if len(trans) < maxTransitions {
			trans = append(trans, transition{at: wall.Unix() - int64(o.from), from: o.from, off: o.to, dst: o.dst, name: o.name})
		}
	}
	// One budget for all onsets: a VTIMEZONE is data the client sent.
	m := newMeter(WalkWork, req)
	for _, o := range obs {
		add(o, o.start)
		for i, rule := range o.rules {
			next := rule.Iterator()
			tl := newTally(rule, o.costs[i], m)
			for len(trans) < maxTransitions {
				if m.spent() {
					if m.left > 0 {
						return nil, false, true // the request's budget, not the zone's
					}
					break
				}
				t, ok := next()
				tl.add(t, ok)
				if !ok || t.After(end) {
					break
				}
				add(o, t)
			}
		}
		if len(trans) >= maxTransitions {
			break
		}
	}
	for _, o := range obs {
		for _, t := range o.rdates {
			add(o, t)
		}
	}
	sort.SliceStable(trans, func(i, j int) bool { return trans[i].at < trans[j].at })
	// Two onsets at one instant: the later-listed wins.
	dedup := trans[:0]
	for _, t := range trans {
		if n := len(dedup); n > 0 && dedup[n-1].at == t.at {
			dedup[n-1] = t
			continue
		}
		dedup = append(dedup, t)
	}
	trans = dedup
	before := transition{off: trans[0].from, name: offsetName(trans[0].from)}
	footer := posixFooter(obs)
	fixed := footer == ""
	for _, t := range trans {
		fixed = fixed && t.off == before.off
	}
	if fixed {
		return time.FixedZone(tzid, before.off), true, false
	}
	data := tzif(before, trans, footer)
	loc, err := time.LoadLocationFromTZData(tzid, data)
	if err != nil {
		return nil, false, false
	}
	return loc, true, false
}

func readObservance(sub *ical.Component, dst bool, req *Budget) *observance {
	o := &observance{dst: dst}
	var ok bool
	if p := sub.Props.Get("TZOFFSETTO"); p == nil {
		return nil
	} else if o.to, ok = parseUTCOffset(p.Value); !ok {
		return nil
	}
	o.from = o.to
	if p := sub.Props.Get("TZOFFSETFROM"); p != nil {
		if off, ok := parseUTCOffset(p.Value); ok {
			o.from = off
		}
	}
	p := sub.Props.Get(ical.PropDateTimeStart)
	if p == nil {
		return nil
	}
	start, _, err := parseTime(strings.TrimSuffix(strings.TrimSpace(p.Value), "Z"), "", nil, time.UTC)
	if err != nil {
		return nil
	}
	o.start = start
	if p := sub.Props.Get("TZNAME"); p != nil {
		o.name = sanitizeZoneName(p.Value)
	}
	if o.name == "" {
		o.name = offsetName(o.to)
	}
	for _, p := range sub.Props[ical.PropRecurrenceDates] {
		for _, v := range strings.Split(p.Value, ",") {
			v, _, _ = strings.Cut(v, "/")
			if t, _, err := parseTime(strings.TrimSuffix(strings.TrimSpace(v), "Z"), "", nil, time.UTC); err == nil && len(o.rdates) < maxTransitions {
				o.rdates = append(o.rdates, t)
			}
		}
	}
	for _, p := range sub.Props[ical.PropRecurrenceRule] {
		rule, cost, open := observanceRule(p.Value, o, req)
		if rule == nil {
			continue
		}
		o.rules = append(o.rules, rule)
		o.costs = append(o.costs, cost)
		if open {
			o.open = rule
		}
	}
	return o
}

// observanceRule expands an onset RRULE in local wall time. UNTIL is the
// UTC instant of the last onset (RFC 5545 3.6.5), so it is moved into the
// same wall clock; generation ends at vtzLastYear anyway. Reading it is
// charged to req.
func observanceRule(value string, o *observance, req *Budget) (*rrule.RRule, ruleCost, bool) {
	var parts []string
	var until string
	for _, part := range strings.Split(strings.ToUpper(strings.TrimSpace(value)), ";") {
		if strings.HasPrefix(part, "UNTIL=") {
			until = part[len("UNTIL="):]
		} else if part != "" {
			parts = append(parts, part)
		}
	}
	rule, cost, err := parseRule(strings.Join(parts, ";"), o.start, false, req)
	if err != nil || rule == nil {
		return nil, ruleCost{}, false
	}
	opt := rule.OrigOptions
	open := opt.Count == 0 && until == ""
	limit := time.Date(vtzLastYear, 12, 31, 23, 59, 59, 0, time.UTC)
	if until != "" {
		u, isDate, err := parseTime(until, "", nil, time.UTC)
		if err != nil {
			return nil, ruleCost{}, false
		}
		switch {
		case isDate:
			u = u.AddDate(0, 0, 1).Add(-time.Second)
		case strings.HasSuffix(until, "Z"):
			u = u.Add(time.Duration(o.from) * time.Second)
		}
		if u.Before(limit) {
			limit = u
		}
	}
	opt.Until = limit
	r, err := rrule.NewRRule(opt)
	if err != nil {
		return nil, ruleCost{}, false
	}
	return r, cost, open
}

// parseUTCOffset reads an RFC 5545 3.3.14 UTC-OFFSET: ("+" / "-") HHMM[SS].
func parseUTCOffset(v string) (int, bool) {
	v = strings.TrimSpace(v)
	if len(v) != 5 && len(v) != 7 || v[0] != '+' && v[0] != '-' {
		return 0, false
	}
	h, ok1 := digits(v[1:3])
	m, ok2 := digits(v[3:5])
	s, ok3 := 0, true
	if len(v) == 7 {
		s, ok3 = digits(v[5:7])
	}
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || s > 59 {
		return 0, false
	}
	off := h*3600 + m*60 + s
	if v[0] == '-' {
		off = -off
	}
	return off, true
}

// sanitizeZoneName keeps a TZNAME usable as a TZif abbreviation and in a
// POSIX TZ string: letters, digits, "+" and "-", 3 to 16 of them.
func sanitizeZoneName(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' {
			b.WriteByte(c)
		}
	}
	if b.Len() < 3 || b.Len() > 16 {
		return ""
	}
	return b.String()
}

// offsetName names an offset the way tzdata does for zones without an
// abbreviation: "+01", "-0330".
func offsetName(off int) string {
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	h, m := off/3600, off/60%60
	if m == 0 {
		return fmt.Sprintf("%c%02d", sign, h)
	}
	return fmt.Sprintf("%c%02d%02d", sign, h, m)
}

// posixFooter returns the POSIX TZ string (RFC 8536 3.3) for the zone's
// rules that run without end, or "" when they are not one STANDARD and one
// DAYLIGHT rule of the usual yearly kind.
func posixFooter(obs []*observance) string {
	var std, dst *observance
	for _, o := range obs {
		if o.open == nil {
			continue
		}
		if o.dst {
			if dst != nil {
				return ""
			}
			dst = o
		} else {
			if std != nil {
				return ""
			}
			std = o
		}
	}
	if std == nil || dst == nil || dst.from != std.to || std.from != dst.to || std.to == dst.to {
		return ""
	}
	stdRule, ok1 := posixDate(std.open, std.start)
	dstRule, ok2 := posixDate(dst.open, dst.start)
	if !ok1 || !ok2 {
		return ""
	}
	return "<" + std.name + ">" + posixOffset(-std.to) + "<" + dst.name + ">" + posixOffset(-dst.to) +
		"," + dstRule + "," + stdRule
}

// posixDate renders a yearly onset rule as "Mm.w.d/hh:mm:ss".
func posixDate(r *rrule.RRule, start time.Time) (string, bool) {
	o := r.OrigOptions
	if o.Freq != rrule.YEARLY || o.Interval > 1 || len(o.Bymonth) != 1 || len(o.Byweekday) != 1 ||
		len(o.Bysetpos) > 0 || len(o.Byyearday) > 0 || len(o.Byweekno) > 0 || len(o.Byeaster) > 0 ||
		len(o.Byhour) > 0 || len(o.Byminute) > 0 || len(o.Bysecond) > 0 {
		return "", false
	}
	wd := o.Byweekday[0]
	week := wd.N()
	switch {
	case week != 0 && len(o.Bymonthday) == 0:
		if week == -1 {
			week = 5
		} else if week < 1 || week > 4 {
			return "", false
		}
	case week == 0 && len(o.Bymonthday) == 7:
		// BYDAY=SU;BYMONTHDAY=8,9,10,11,12,13,14: the second Sunday.
		days := append([]int(nil), o.Bymonthday...)
		sort.Ints(days)
		for i := 1; i < 7; i++ {
			if days[i] != days[0]+i {
				return "", false
			}
		}
		switch days[0] {
		case 1, 8, 15, 22:
			week = (days[0]-1)/7 + 1
		case -7:
			week = 5
		default:
			return "", false
		}
	default:
		return "", false
	}
	day := (wd.Day() + 1) % 7 // rrule-go counts from Monday, POSIX from Sunday
	h, m, s := start.Clock()
	return fmt.Sprintf("M%d.%d.%d/%d:%02d:%02d", o.Bymonth[0], week, day, h, m, s), true
}

// posixOffset renders seconds as POSIX [-]hh[:mm[:ss]].
func posixOffset(off int) string {
	sign := ""
	if off < 0 {
		sign, off = "-", -off
	}
	s := sign + strconv.Itoa(off/3600)
	if off%3600 != 0 {
		s += fmt.Sprintf(":%02d", off/60%60)
		if off%60 != 0 {
			s += fmt.Sprintf(":%02d", off%60)
		}
	}
	return s
}

// tzif encodes the zone as TZif version 2 (RFC 8536): a minimal
// version-1 block, then the 64-bit block and the footer.
func tzif(before transition, trans []transition, footer string) []byte {
	type ttinfo struct {
		off  int
		dst  bool
		name string
	}
	types := []ttinfo{{before.off, before.dst, before.name}}
	index := map[ttinfo]int{}
	idx := make([]byte, len(trans))
	for i, t := range trans {
		ti := ttinfo{t.off, t.dst, t.name}
		n, ok := index[ti]
		if !ok {
			// Type 0 is kept for the time before the first transition
			// (Go uses an unreferenced first type for it).
			n = len(types)
			types = append(types, ti)
			index[ti] = n
		}
		idx[i] = byte(n)
		if len(types) > 255 {
			return nil
		}
	}
	var chars []byte
	abbr := map[string]int{}
	for _, t := range types {
		if _, ok := abbr[t.name]; !ok {
			abbr[t.name] = len(chars)
			chars = append(append(chars, t.name...), 0)
		}
	}
	header := func(b []byte, timecnt, typecnt, charcnt int) []byte {
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		for _, n := range []int{0, 0, 0, timecnt, typecnt, charcnt} {
			b = binary.BigEndian.AppendUint32(b, uint32(n))
		}
		return b
	}
	ttinfoBytes := func(b []byte, t ttinfo) []byte {
		b = binary.BigEndian.AppendUint32(b, uint32(int32(t.off)))
		dst := byte(0)
		if t.dst {
			dst = 1
		}
		return append(b, dst, byte(abbr[t.name]))
	}
	var b []byte
	// Version 1 block: no transitions, one type.
	b = header(b, 0, 1, len(chars))
	b = ttinfoBytes(b, types[0])
	b = append(b, chars...)
	// Version 2 block.
	b = header(b, len(trans), len(types), len(chars))
	for _, t := range trans {
		b = binary.BigEndian.AppendUint64(b, uint64(t.at))
	}
	b = append(b, idx...)
	for _, t := range types {
		b = ttinfoBytes(b, t)
	}
	b = append(b, chars...)
	return append(b, "\n"+footer+"\n"...)
}
