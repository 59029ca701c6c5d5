package ical

import (
	"crypto/sha256"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/emersion/go-ical"
)

// Zones resolves the TZIDs of one calendar object (RFC 5545 3.2.19,
// 3.6.5). Build it once per parsed calendar with ZonesOf; a nil *Zones
// resolves names without the object's VTIMEZONEs. It is safe for
// concurrent use.
//
// A TZID is tried, in order, as
//
//  1. an IANA name ("Europe/Berlin"; time/tzdata is embedded);
//  2. a Windows zone ID as Outlook and Exchange write it ("W. Europe
//     Standard Time", also with a numeric suffix, "Eastern Standard Time 1",
//     or a "tzone://Microsoft/" prefix) or a Windows display name
//     ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"),
//     through CLDR's windowsZones mapping (territory 001);
//  3. a vendor-prefixed IANA name ("/freeassociation.sourceforge.net/
//     Tzfile/Europe/Berlin", "/mozilla.org/20050126_1/Europe/Berlin",
//     "/citadel.org/20190914_1/Europe/Berlin"): every path suffix is tried,
//     longest first;
//  4. the object's VTIMEZONE with that TZID: its X-LIC-LOCATION resolved by
//     1-3, else a location built from its STANDARD and DAYLIGHT rules
//     (see vtimezone.go);
//  5. the fixed offset of a display name's "(UTC+01:00)" or "(GMT+01.00)"
//     prefix;
//  6. otherwise UTC (Location) or not found (Lookup).
//
// IANA names come before the object's VTIMEZONE on purpose: the IANA data
// knows the zone's whole history, while clients send VTIMEZONEs that hold
// only recent rules; where the two agree nothing changes.
type Zones struct {
	defs map[string]*ical.Component // VTIMEZONE by TZID
	// folded holds the same by foldKey of the trimmed TZID, the first
	// of the object's that fold alike, for TZIDs that differ in case or
	// spaces: one map lookup, not a scan of every VTIMEZONE per TZID.
	folded map[string]*ical.Component
	budget *Budget // the request's, for reading zones and rules

	mu sync.Mutex
	// cache remembers every TZID resolved, so that each distinct one is
	// resolved once: they come from the object, which bounds them.
	cache map[string]*time.Location
	// digests remembers componentDigest of the VTIMEZONEs read, which
	// many TZIDs (differing in case) may name.
	digests map[*ical.Component][sha256.Size]byte
	cut     bool // a TZID was read as UTC: budget ran out first
}

// ZonesOf collects the VTIMEZONE components of cal.
func ZonesOf(cal *ical.Calendar) *Zones { return ZonesWithin(cal, nil) }

// ZonesWithin is ZonesOf for one request (or PUT): the work of resolving
// its TZIDs is charged to b, the request's Budget, which every walk of
// the request shares: the VTIMEZONEs it builds (4 above: a recurrence
// walk each, and zoneWork), the zone files it looks up and the rules
// read through it (Recurrence). A TZID that b cannot pay for is read as
// UTC and Cut reports it. Like b, a Zones with a budget serves one
// request, one goroutine.
func ZonesWithin(cal *ical.Calendar, b *Budget) *Zones {
	z := &Zones{defs: make(map[string]*ical.Component), folded: make(map[string]*ical.Component),
		cache: make(map[string]*time.Location), digests: make(map[*ical.Component][sha256.Size]byte), budget: b}
	if cal == nil || cal.Component == nil {
		return z
	}
	for _, c := range cal.Children {
		if !strings.EqualFold(c.Name, CompTimezone) {
			continue
		}
		if p := c.Props.Get(ical.PropTimezoneID); p != nil && p.Value != "" {
			if _, dup := z.defs[p.Value]; !dup {
				z.defs[p.Value] = c
			}
			if k := foldKey(strings.TrimSpace(p.Value)); z.folded[k] == nil {
				z.folded[k] = c
			}
		}
	}
	return z
}

// foldKey maps s to a key that two strings share exactly when
// strings.EqualFold holds for them: every rune becomes the smallest rune
// of its Unicode simple case-folding orbit.
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// within is the budget z charges, nil for none.
func (z *Zones) within() *Budget {
	if z == nil {
		return nil
	}
	return z.budget
}

// Cut reports whether a TZID was read as UTC because the request's Budget
// was spent before its VTIMEZONE was built or its name looked up: times
// read through z may then be wrong, and an answer that rests on them must
// say it is incomplete.
func (z *Zones) Cut() bool {
	if z == nil {
		return false
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.cut
}

// Location resolves tzid; a name nothing resolves reads as UTC.
func (z *Zones) Location(tzid string) *time.Location {
	if loc, ok := z.Lookup(tzid); ok {
		return loc
	}
	return time.UTC
}

// Lookup resolves tzid through the chain above, reporting whether anything
// knew it.
func (z *Zones) Lookup(tzid string) (*time.Location, bool) {
	if z == nil {
		if loc, ok, _ := resolveName(tzid, nil); ok {
			return loc, true
		}
		return displayOffset(tzid)
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if loc, ok := z.cache[tzid]; ok {
		return loc, loc != nil
	}
	loc, ok := z.resolve(tzid)
	if !ok {
		loc = nil
	}
	z.cache[tzid] = loc
	return loc, ok
}

func (z *Zones) resolve(tzid string) (*time.Location, bool) {
	loc, ok, cut := resolveName(tzid, z.budget)
	if ok {
		return loc, true
	}
	if cut {
		z.cut = true
		return time.UTC, true
	}
	def := z.defs[tzid]
	if def == nil {
		def = z.folded[foldKey(strings.TrimSpace(tzid))]
	}
	if def != nil {
		if p := def.Props.Get("X-LIC-LOCATION"); p != nil {
			loc, ok, cut := resolveName(strings.TrimSpace(p.Value), z.budget)
			if ok {
				return loc, true
			}
			if cut {
				z.cut = true
				return time.UTC, true
			}
		}
		digest, ok := z.digests[def]
		if !ok {
			digest = componentDigest(def)
			z.digests[def] = digest
		}
		loc, ok, cut := vtimezoneWithin(tzid, def, digest, z.budget)
		if cut {
			z.cut = true
			return time.UTC, true
		}
		if ok {
			return loc, true
		}
	}
	return displayOffset(tzid)
}

// maxZoneNameParts is the most "/"-separated parts a zone name has that
// time.LoadLocation may know: three in IANA's names
// ("America/Argentina/Buenos_Aires"), one more in a system's posix/ and
// right/ trees.
const maxZoneNameParts = 4

// resolveName resolves a TZID by its name alone: IANA, Windows, vendor
// prefix. Zone files it looks up are charged to b; cut reports a name
// left unresolved because b was spent first.
func resolveName(tzid string, b *Budget) (loc *time.Location, ok, cut bool) {
	if loc, ok, cut := loadLocation(tzid, b); ok || cut {
		return loc, ok, cut
	}
	name := strings.TrimSpace(tzid)
	if name == "" || len(name) > 256 {
		return nil, false, false
	}
	if name != tzid {
		if loc, ok, cut := loadLocation(name, b); ok || cut {
			return loc, ok, cut
		}
	}
	if iana, ok := windowsName(name); ok {
		return loadLocation(iana, b)
	}
	if strings.HasPrefix(name, "/") {
		// "/vendor/version/Area/Location": the longest suffix that is an
		// IANA name. Longer suffixes than a zone name can have are not
		// looked up: each one costs a zone file lookup.
		parts := 0
		for i := len(name) - 1; i > 0; i-- {
			if name[i-1] != '/' {
				continue
			}
			if parts++; parts == maxZoneNameParts {
				name = name[i-1:]
				break
			}
		}
		for i := 1; i < len(name); i++ {
			if name[i-1] == '/' {
				if loc, ok, cut := loadLocation(name[i:], b); ok || cut {
					return loc, ok, cut
				}
			}
		}
	}
	return nil, false, false
}

var (
	windowsOnce    sync.Once
	windowsByID    map[string]string // lower-case Windows ID → IANA
	windowsByPlace map[string]string // display name key → IANA
)

// windowsName maps a Windows zone ID or display name to an IANA name.
func windowsName(name string) (string, bool) {
	windowsOnce.Do(func() {
		windowsByID = make(map[string]string, len(windowsZones))
		windowsByPlace = make(map[string]string, len(windowsZones))
		for _, w := range windowsZones {
			windowsByID[strings.ToLower(w.windows)] = w.iana
			windowsByPlace[placeKey(w.display)] = w.iana
		}
	})
	id := strings.ToLower(name)
	id = strings.TrimPrefix(id, "tzone://microsoft/")
	if iana, ok := windowsByID[id]; ok {
		return iana, true
	}
	// "Eastern Standard Time 1": Outlook numbers the variants of a zone
	// it writes into one file.
	if i := strings.LastIndexByte(id, ' '); i > 0 && isDigits(id[i+1:]) {
		if iana, ok := windowsByID[strings.TrimSpace(id[:i])]; ok {
			return iana, true
		}
	}
	if strings.HasPrefix(name, "(") {
		if iana, ok := windowsByPlace[placeKey(name)]; ok {
			return iana, true
		}
	}
	return "", false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// placeKey reduces a display name to its places, lower case, letters and
// digits only: "(UTC+01:00) Amsterdam, Berlin, ..." and the older
// "(GMT+01.00) Amsterdam / Berlin / ..." give the same key.
func placeKey(display string) string {
	if i := strings.IndexByte(display, ')'); strings.HasPrefix(display, "(") && i > 0 {
		display = display[i+1:]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(display) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// displayOffset reads the fixed offset of a display name such as
// "(UTC+01:00) Somewhere" or "(GMT-05.00) Elsewhere"; "(UTC)" is UTC. It is
// the last resort for a display name nothing else knows: right in standard
// time, an hour off in summer.
func displayOffset(tzid string) (*time.Location, bool) {
	s := strings.TrimSpace(tzid)
	end := strings.IndexByte(s, ')')
	if !strings.HasPrefix(s, "(") || end < 0 {
		return nil, false
	}
	inner := strings.ToUpper(s[1:end])
	switch {
	case strings.HasPrefix(inner, "UTC"):
		inner = inner[3:]
	case strings.HasPrefix(inner, "GMT"):
		inner = inner[3:]
	default:
		return nil, false
	}
	if inner == "" {
		return time.UTC, true
	}
	sign := 1
	switch inner[0] {
	case '+':
	case '-':
		sign = -1
	default:
		return nil, false
	}
	hh, mm, ok := strings.Cut(inner[1:], ":")
	if !ok {
		hh, mm, ok = strings.Cut(inner[1:], ".")
	}
	if !ok {
		mm = "00"
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h > 14 || m > 59 || len(hh) > 2 || len(mm) != 2 {
		return nil, false
	}
	return time.FixedZone(s[:end+1], sign*(h*3600+m*60)), true
}
