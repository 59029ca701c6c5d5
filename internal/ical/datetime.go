package ical

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // TZIDs must resolve on a machine without /usr/share/zoneinfo

	"github.com/emersion/go-ical"
)

// DateTime parses the value of a DATE or DATE-TIME property such as DTSTART,
// DTEND, DUE or RECURRENCE-ID (RFC 5545 3.3.4, 3.3.5).
//
// UTC values ("...Z") are UTC whatever their TZID says. Values with a TZID
// are read in the zone it resolves to (IANA, Windows and vendor-prefixed
// names; Zones.DateTime also the object's VTIMEZONEs) and in UTC
// otherwise.
// Floating values and DATE values (midnight, allDay true) are read in
// floating, which defaults to UTC; RFC 4791 9.9 lets the query's time zone
// decide what they mean.
//
// Without a VALUE parameter the shape of the value decides, so that a DATE
// whose producer forgot VALUE=DATE still parses.
func DateTime(prop *ical.Prop, floating *time.Location) (t time.Time, allDay bool, err error) {
	return (*Zones)(nil).DateTime(prop, floating)
}

// DateTime is the package-level DateTime with TZIDs resolved through z,
// which knows the VTIMEZONEs of its calendar. A nil z resolves TZIDs
// without them.
func (z *Zones) DateTime(prop *ical.Prop, floating *time.Location) (t time.Time, allDay bool, err error) {
	if prop == nil {
		return time.Time{}, false, errors.New("missing property")
	}
	vt := strings.ToUpper(prop.Params.Get(ical.ParamValue))
	switch vt {
	case "", string(ical.ValueDate), string(ical.ValueDateTime):
	default:
		return time.Time{}, false, fmt.Errorf("%s: VALUE=%s is not DATE or DATE-TIME", prop.Name, quote(vt))
	}
	t, allDay, err = parseTime(prop.Value, vt, z.zoneOf(prop), floating)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%s: %w", prop.Name, err)
	}
	return t, allDay, nil
}

// zoneOf returns the location named by the TZID parameter, UTC for one
// nobody knows, or nil if there is no TZID.
func (z *Zones) zoneOf(prop *ical.Prop) *time.Location {
	tzid := prop.Params.Get(ical.PropTimezoneID)
	if tzid == "" {
		return nil
	}
	return z.Location(tzid)
}

func parseTime(v, valueType string, zone, floating *time.Location) (time.Time, bool, error) {
	if floating == nil {
		floating = time.UTC
	}
	isDate := len(v) == 8
	switch {
	case valueType == string(ical.ValueDate) && !isDate:
		return time.Time{}, false, fmt.Errorf("%s is not a DATE (YYYYMMDD)", quote(v))
	case valueType == string(ical.ValueDateTime) && isDate:
		return time.Time{}, false, fmt.Errorf("%s is not a DATE-TIME (YYYYMMDDTHHMMSS)", quote(v))
	}
	if isDate {
		y, m, d, ok := parseDate(v)
		if !ok {
			return time.Time{}, false, fmt.Errorf("%s is not a valid DATE", quote(v))
		}
		return time.Date(y, time.Month(m), d, 0, 0, 0, 0, floating), true, nil
	}
	utc := strings.HasSuffix(v, "Z")
	body := strings.TrimSuffix(v, "Z")
	if len(body) != 15 || body[8] != 'T' {
		return time.Time{}, false, fmt.Errorf("%s is not a DATE-TIME (YYYYMMDDTHHMMSS[Z])", quote(v))
	}
	y, m, d, ok := parseDate(body[:8])
	hh, ok1 := digits(body[9:11])
	mm, ok2 := digits(body[11:13])
	ss, ok3 := digits(body[13:15])
	// 60 is a leap second (RFC 5545 3.3.12); time.Date rolls it over.
	if !ok || !ok1 || !ok2 || !ok3 || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, false, fmt.Errorf("%s is not a valid DATE-TIME", quote(v))
	}
	loc := floating
	switch {
	case utc:
		loc = time.UTC
	case zone != nil:
		loc = zone
	}
	return wallTime(y, time.Month(m), d, hh, mm, ss, 0, loc), false, nil
}

// wallTime is time.Date with RFC 5545 3.3.5's reading of wall-clock times
// a DST change skips or repeats: a skipped time is read with the UTC
// offset before the gap (02:30 on the New York spring-forward day is
// 07:30Z, shown as 03:30 EDT), a repeated one as its first occurrence.
// time.Date guarantees neither: for a skipped time it uses the offset
// after the gap in zones west of UTC.
func wallTime(y int, mo time.Month, d, hh, mm, ss, ns int, loc *time.Location) time.Time {
	t := time.Date(y, mo, d, hh, mm, ss, ns, loc)
	if loc == time.UTC {
		return t
	}
	// Normalise the requested fields (d+1, ss+3600 are allowed) through
	// UTC, then compare with what the zone shows.
	want := time.Date(y, mo, d, hh, mm, ss, ns, time.UTC)
	wy, wm, wd := want.Date()
	wh, wmi, ws := want.Clock()
	ty, tm, td := t.Date()
	th, tmi, ts := t.Clock()
	if wy != ty || wm != tm || wd != td || wh != th || wmi != tmi || ws != ts {
		_, before := t.Add(-26 * time.Hour).Zone()
		return want.Add(-time.Duration(before) * time.Second).In(loc)
	}
	return firstOccurrence(t)
}

// firstOccurrence returns the first of the two instants a wall-clock time
// names in the hour a DST change repeats, as RFC 5545 3.3.5 wants ("the
// first occurrence of the referenced time"). time.Date picks the first
// only in zones west of UTC. A time in the gap a DST change skips is
// already read with the offset before the gap, as RFC 5545 3.3.5 wants.
func firstOccurrence(t time.Time) time.Time {
	loc := t.Location()
	if loc == time.UTC {
		return t
	}
	_, before := t.Add(-26 * time.Hour).Zone()
	_, after := t.Add(26 * time.Hour).Zone()
	if before == after {
		return t
	}
	d := before - after
	if d < 0 {
		d = -d
	}
	e := t.Add(-time.Duration(d) * time.Second)
	y1, m1, d1 := t.Date()
	y2, m2, d2 := e.Date()
	if y1 == y2 && m1 == m2 && d1 == d2 && t.Hour() == e.Hour() && t.Minute() == e.Minute() && t.Second() == e.Second() {
		return e
	}
	return t
}

func parseDate(s string) (y, m, d int, ok bool) {
	if len(s) != 8 {
		return 0, 0, 0, false
	}
	y, ok1 := digits(s[:4])
	m, ok2 := digits(s[4:6])
	d, ok3 := digits(s[6:8])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, len(s) > 0
}

// Period is one value of an RDATE or EXDATE list. End is set only for
// RDATE;VALUE=PERIOD values, whose instances carry their own end.
type Period struct {
	Start, End time.Time
	AllDay     bool
}

// DateList parses the comma-separated values of an RDATE or EXDATE property
// (RFC 5545 3.8.5.1, 3.8.5.2): DATE, DATE-TIME, or PERIOD (start/end or
// start/duration), with the same time zone rules as DateTime.
func DateList(prop *ical.Prop, floating *time.Location) ([]Period, error) {
	return (*Zones)(nil).DateList(prop, floating)
}

// DateList is the package-level DateList with TZIDs resolved through z.
func (z *Zones) DateList(prop *ical.Prop, floating *time.Location) ([]Period, error) {
	vt := strings.ToUpper(prop.Params.Get(ical.ParamValue))
	switch vt {
	case "", string(ical.ValueDate), string(ical.ValueDateTime), string(ical.ValuePeriod):
	default:
		return nil, fmt.Errorf("%s: VALUE=%s is not DATE, DATE-TIME or PERIOD", prop.Name, quote(vt))
	}
	zone := z.zoneOf(prop)
	var out []Period
	for _, v := range strings.Split(prop.Value, ",") {
		var p Period
		var err error
		if vt == string(ical.ValuePeriod) || vt == "" && strings.Contains(v, "/") {
			start, end, ok := strings.Cut(v, "/")
			if !ok {
				return nil, fmt.Errorf("%s: %s is not a PERIOD", prop.Name, quote(v))
			}
			if p.Start, _, err = parseTime(start, string(ical.ValueDateTime), zone, floating); err != nil {
				return nil, fmt.Errorf("%s: %w", prop.Name, err)
			}
			if strings.HasPrefix(end, "P") || strings.HasPrefix(end, "+P") || strings.HasPrefix(end, "-P") {
				dur, err := ParseDuration(end)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", prop.Name, err)
				}
				p.End = p.Start.Add(dur)
			} else if p.End, _, err = parseTime(end, string(ical.ValueDateTime), zone, floating); err != nil {
				return nil, fmt.Errorf("%s: %w", prop.Name, err)
			}
		} else if p.Start, p.AllDay, err = parseTime(v, vt, zone, floating); err != nil {
			return nil, fmt.Errorf("%s: %w", prop.Name, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// maxDurationSeconds keeps every duration inside time.Duration's range.
const maxDurationSeconds = int64(1<<63-1) / int64(time.Second)

// ParseDuration parses an RFC 5545 3.3.6 duration ("P1W", "-PT15M",
// "P1DT2H") as an exact duration, a day counting 24 hours. It is lenient
// about letter case, about mixing weeks with other units and about a
// final "T" without a time ("P1DT" is P1D), and refuses values that would
// overflow time.Duration.
func ParseDuration(v string) (time.Duration, error) {
	days, secs, err := parseDuration(v)
	if err != nil {
		return 0, err
	}
	return time.Duration(days*86400+secs) * time.Second, nil
}

// AddDuration adds an RFC 5545 duration to t as RFC 5545 3.3.6 says:
// weeks and days are nominal (calendar days in t's zone, so "P1D" from
// midnight ends at the next midnight across a DST change), hours, minutes
// and seconds are exact.
func AddDuration(t time.Time, v string) (time.Time, error) {
	days, secs, err := parseDuration(v)
	if err != nil {
		return time.Time{}, err
	}
	if days != 0 {
		y, m, d := t.Date()
		hh, mm, ss := t.Clock()
		t = wallTime(y, m, d+int(days), hh, mm, ss, t.Nanosecond(), t.Location())
	}
	return t.Add(time.Duration(secs) * time.Second), nil
}

// parseDuration returns the signed day and second parts of a duration.
func parseDuration(v string) (days, secs int64, err error) {
	s := strings.ToUpper(v)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if !strings.HasPrefix(s, "P") {
		return 0, 0, fmt.Errorf("duration %s does not start with P", quote(v))
	}
	s = s[1:]
	const order = "WDHMS"
	last := -1
	inTime := false
	parts := 0
	for s != "" {
		if s[0] == 'T' {
			if inTime {
				return 0, 0, fmt.Errorf("duration %s has two T", quote(v))
			}
			inTime = true
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i > 9 || i == len(s) {
			return 0, 0, fmt.Errorf("duration %s is malformed", quote(v))
		}
		n, _ := digits(s[:i])
		unit := strings.IndexByte(order, s[i])
		if unit < 0 || unit <= last || (unit >= 2) != inTime {
			return 0, 0, fmt.Errorf("duration %s is malformed", quote(v))
		}
		last = unit
		switch unit {
		case 0:
			days += int64(n) * 7
		case 1:
			days += int64(n)
		default:
			secs += int64(n) * [...]int64{3600, 60, 1}[unit-2]
		}
		if days*86400+secs > maxDurationSeconds {
			return 0, 0, fmt.Errorf("duration %s is too long", quote(v))
		}
		parts++
		s = s[i+1:]
	}
	// A final "T" with no time after it ("P1DT") breaks RFC 5545 3.3.6's
	// grammar (dur-time needs an hour, minute or second), but older
	// libraries write it after a day or week part and its meaning is
	// plain: sabre/vobject, Apple's pycalendar and python-vobject read it
	// as P1D, and so do we. ("T" followed by anything but a time part is
	// refused above, so with inTime and no time part the T is the last
	// character.) Alone ("PT", "P") it says nothing and is refused.
	if parts == 0 {
		return 0, 0, fmt.Errorf("duration %s is malformed", quote(v))
	}
	if neg {
		days, secs = -days, -secs
	}
	return days, secs, nil
}

var (
	zoneCache  sync.Map // TZID → *time.Location, nil for a name that is no zone
	zoneMisses atomic.Int64
)

// maxZoneMisses bounds how many unknown names we remember; past it,
// unknown names are looked up again each time, so that hostile data cannot
// grow the cache without end.
const maxZoneMisses = 1024

// LoadLocation resolves a TZID as an IANA zone name, caching the answer:
// time.LoadLocation reads and parses zone data on every call. "Local" is
// refused, since the server's own zone means nothing to a client.
func LoadLocation(tzid string) (*time.Location, bool) {
	loc, ok, _ := loadLocation(tzid, nil)
	return loc, ok
}

// loadLocation is LoadLocation charging b loadWork when the answer is
// not cached: time.LoadLocation then tries the zone files on disk and the
// embedded database, a tenth of a millisecond for a name that is none.
// cut reports a lookup not made because b was spent.
func loadLocation(tzid string, b *Budget) (loc *time.Location, ok, cut bool) {
	if tzid == "" || tzid == "Local" || len(tzid) > 128 {
		return nil, false, false
	}
	if v, ok := zoneCache.Load(tzid); ok {
		loc := v.(*time.Location)
		return loc, loc != nil, false
	}
	if b.Spent() {
		return nil, false, true
	}
	b.charge(loadWork)
	loc, err := time.LoadLocation(tzid)
	if err != nil {
		if zoneMisses.Add(1) <= maxZoneMisses {
			zoneCache.Store(tzid, (*time.Location)(nil))
		}
		return nil, false, false
	}
	zoneCache.Store(tzid, loc)
	return loc, true, false
}
