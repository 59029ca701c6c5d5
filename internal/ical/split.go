package ical

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"almanac/internal/contentline"
)

// Part is one calendar object resource cut from a file by Split.
type Part struct {
	UID string
	// Component is the type of its first component: VEVENT, VTODO, ...
	Component string
	// Line is the line of the file where its first component begins.
	Line int
	// UIDAssigned: the component had no UID, and UID was derived from
	// its content (DeriveUID) and added to it.
	UIDAssigned bool
	// Data is a VCALENDAR holding the file's calendar properties (but
	// METHOD), the VTIMEZONEs the components name and the components.
	Data []byte
}

// Refusal is a component of a file that Split could make no object of,
// with the reason, written for the file's owner.
type Refusal struct {
	Line      int // where the component begins
	UID       string
	Component string
	Reason    string
}

// SplitResult is a file cut into objects.
type SplitResult struct {
	Parts   []Part
	Refused []Refusal
	// Duplicates counts components dropped because the same component,
	// line for line, came earlier in the file.
	Duplicates int
}

// ImportProdID is the PRODID given to an object cut from a calendar
// that has none (RFC 5545 3.6 requires it).
const ImportProdID = "-//almanac//import//EN"

// Split cuts an iCalendar file (an export, a feed, several VCALENDARs
// one after another) into calendar object resources (RFC 4791 4.1): the
// components of one UID together, master and overrides, each object with
// the calendar properties of the VCALENDAR it came from (METHOD left
// out: a stored object is no iTIP message, RFC 4791 4.1) and a copy of
// every VTIMEZONE of that VCALENDAR its components name in a TZID
// parameter (RFC 5545 3.2.19). Objects are in the order of their first
// component, components in file order, and content lines keep their
// text; they are folded again with CRLF line ends.
//
// Split checks the file's structure and every content line with Parse's
// rules. What breaks the file as a whole (it is not iCalendar, a BEGIN
// without its END, a calendar property that does not parse) is a
// *ValidationError naming the line. A component with a line that does
// not parse is a Refusal of its UID's object, naming the line; the rest
// of the file is still cut. Whether an object is a valid calendar object
// resource is not checked here: that is ValidateObject's work, as for a
// PUT.
//
// An object component (VEVENT, VTODO, VJOURNAL, VFREEBUSY, VAVAILABILITY)
// without a UID gets one derived from its content (DeriveUID), so that
// importing the same file again finds it. A component that repeats an
// earlier one of its UID line for line is dropped and counted. When two
// VCALENDARs of the file define a TZID that one object uses in
// different ways, the object is refused: which one was meant is unknown.
func Split(data []byte) (*SplitResult, error) {
	return SplitWithin(data, SplitLimits{})
}

// SplitLimits bound what SplitWithin makes of a file. A zero field is no
// limit.
type SplitLimits struct {
	// MaxObjects caps the objects (parts and refusals) of the file.
	MaxObjects int
	// MaxBytes caps the parts' Data together. Every object gets a copy
	// of the VTIMEZONEs it names, so without it a small file holding one
	// large VTIMEZONE and many events that use it makes objects many
	// times its size, in memory and then in the store.
	MaxBytes int64
}

// SplitLimitError is a file whose objects exceed SplitLimits. Split
// stops before it makes them.
type SplitLimitError struct {
	// Objects is how many objects the file holds, when more than
	// MaxObjects; 0 when MaxBytes is what is exceeded.
	Objects  int
	MaxBytes int64
}

func (e *SplitLimitError) Error() string {
	if e.Objects > 0 {
		return fmt.Sprintf("ical: split: the file holds %d objects, too many", e.Objects)
	}
	return fmt.Sprintf("ical: split: the file's objects come to more than %d bytes", e.MaxBytes)
}

// SplitWithin is Split under limits: a file that exceeds them is a
// *SplitLimitError, and no more than about lim.MaxBytes is made of it.
func SplitWithin(data []byte, lim SplitLimits) (*SplitResult, error) {
	s := &splitter{r: contentline.NewReader(string(data))}
	if err := s.scan(); err != nil {
		return nil, err
	}
	return s.assemble(lim)
}

// splitComp is a top-level component of a VCALENDAR as the file wrote it.
type splitComp struct {
	name   string   // upper case
	line   int      // of its BEGIN
	lines  []string // its content lines, BEGIN and END included, unfolded
	cal    int      // index of its VCALENDAR
	uid    string   // its first UID, "" when none
	hasUID bool
	tzid   string   // a VTIMEZONE's TZID
	tzids  []string // TZID parameter values used in it, in order, repeats too
	bad    string   // why no object can be made of it; "" when none
}

type splitCal struct {
	props []string // calendar property lines but METHOD, unfolded
	// VTIMEZONEs by exact TZID and by folded TZID, the first of each,
	// as Zones looks them up.
	tz, tzFolded map[string]*splitComp
	version      bool
	prodid       bool
}

type splitter struct {
	r     *contentline.Reader
	cals  []*splitCal
	comps []*splitComp
}

func (s *splitter) scan() error {
	var (
		cal   *splitCal
		cur   *splitComp
		stack []string // components open inside cur, cur's own first
	)
	for {
		line, num, ok := s.r.Next()
		if !ok {
			break
		}
		switch {
		case cal == nil:
			if strings.TrimSpace(line) == "" {
				continue
			}
			name, params, value, err := parseLine(line)
			if err != nil {
				return dataErr("line %d: %s", num, err)
			}
			if name != "BEGIN" || len(params) > 0 || !strings.EqualFold(value, ical.CompCalendar) {
				return dataErr("line %d: an iCalendar file holds VCALENDAR objects (BEGIN:VCALENDAR), not %s", num, quote(line))
			}
			cal = &splitCal{tz: map[string]*splitComp{}, tzFolded: map[string]*splitComp{}}
			s.cals = append(s.cals, cal)

		case cur == nil:
			if line == "" {
				continue
			}
			name, params, value, err := parseLine(line)
			if err != nil {
				return dataErr("line %d: %s", num, err)
			}
			switch name {
			case "BEGIN":
				if len(params) > 0 {
					return dataErr("line %d: BEGIN must not have parameters", num)
				}
				if !contentline.ValidName(value) {
					return dataErr("line %d: invalid component name %s", num, quote(value))
				}
				cur = &splitComp{name: strings.ToUpper(value), line: num, lines: []string{line}, cal: len(s.cals) - 1}
				stack = append(stack[:0], cur.name)
			case "END":
				if len(params) > 0 {
					return dataErr("line %d: END must not have parameters", num)
				}
				if !strings.EqualFold(value, ical.CompCalendar) {
					return dataErr("line %d: END:%s does not close BEGIN:VCALENDAR", num, quote(value))
				}
				cal = nil
			case "METHOD":
			default:
				cal.props = append(cal.props, line)
				cal.version = cal.version || name == "VERSION"
				cal.prodid = cal.prodid || name == "PRODID"
			}

		default:
			if line == "" {
				continue
			}
			cur.lines = append(cur.lines, line)
			name, params, value, err := parseLine(line)
			if err != nil {
				cur.refuse("line %d: %s", num, err)
				continue
			}
			switch name {
			case "BEGIN":
				if len(params) > 0 {
					cur.refuse("line %d: BEGIN must not have parameters", num)
				}
				if !contentline.ValidName(value) {
					return dataErr("line %d: invalid component name %s", num, quote(value))
				}
				// VCALENDAR and cur count, as in Parse.
				if 1+len(stack) >= maxDepth {
					return dataErr("line %d: components nest more than %d levels deep", num, maxDepth)
				}
				stack = append(stack, strings.ToUpper(value))
			case "END":
				if len(params) > 0 {
					cur.refuse("line %d: END must not have parameters", num)
				}
				if top := stack[len(stack)-1]; !strings.EqualFold(value, top) {
					return dataErr("line %d: END:%s does not close BEGIN:%s", num, quote(value), top)
				}
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					s.add(cur)
					cur = nil
				}
			default:
				if len(stack) == 1 {
					switch {
					case name == "UID" && !cur.hasUID:
						cur.uid, cur.hasUID = value, true
					case name == "TZID" && cur.name == CompTimezone && cur.tzid == "":
						cur.tzid = value
					}
				}
				cur.tzids = append(cur.tzids, params["TZID"]...)
			}
		}
	}
	switch {
	case cur != nil:
		return dataErr("line %d: the file ends before END:%s", s.r.Line(), stack[len(stack)-1])
	case cal != nil:
		return dataErr("line %d: the file ends before END:VCALENDAR", s.r.Line())
	case len(s.cals) == 0:
		return dataErr("the file holds no VCALENDAR (BEGIN:VCALENDAR)")
	}
	return nil
}

// parseLine is parseContentLine with Parse's UTF-8 rule.
func parseLine(line string) (name string, params map[string][]string, value string, err error) {
	if !utf8.ValidString(line) {
		return "", nil, "", fmt.Errorf("not valid UTF-8")
	}
	return parseContentLine(line)
}

// refuse records the first reason no object can be made of c.
func (c *splitComp) refuse(format string, args ...any) {
	if c.bad == "" {
		c.bad = fmt.Sprintf(format, args...)
	}
}

// add files a complete top-level component.
func (s *splitter) add(c *splitComp) {
	if c.name != CompTimezone {
		s.comps = append(s.comps, c)
		return
	}
	cal := s.cals[c.cal]
	if c.tzid == "" {
		return
	}
	if cal.tz[c.tzid] == nil {
		cal.tz[c.tzid] = c
	}
	if k := foldKey(strings.TrimSpace(c.tzid)); cal.tzFolded[k] == nil {
		cal.tzFolded[k] = c
	}
}

// splitGroup is the components of one UID.
type splitGroup struct {
	uid      string
	assigned bool
	comps    []*splitComp
	// digests of the components, to drop repeats in linear time
	digests map[[sha256.Size]byte]bool
}

func (s *splitter) assemble(lim SplitLimits) (*SplitResult, error) {
	res := &SplitResult{}
	var groups []*splitGroup
	byUID := map[string]*splitGroup{}
	for _, c := range s.comps {
		assigned := false
		if strings.TrimSpace(c.uid) == "" && !c.hasUID && c.bad == "" && objectComponents[c.name] {
			c.uid, assigned = DeriveUID(c.lines), true
			c.lines = append([]string{c.lines[0], "UID:" + c.uid}, c.lines[1:]...)
		}
		g := byUID[c.uid]
		if g == nil || c.uid == "" {
			// Components without a UID are objects of their own, which
			// validation refuses, as it would a PUT of them.
			g = &splitGroup{uid: c.uid, assigned: assigned}
			groups = append(groups, g)
			if c.uid != "" {
				byUID[c.uid] = g
			}
		}
		if g.repeats(c) {
			res.Duplicates++
			continue
		}
		g.comps = append(g.comps, c)
	}
	if lim.MaxObjects > 0 && len(groups) > lim.MaxObjects {
		return nil, &SplitLimitError{Objects: len(groups)}
	}
	var total int64
	for _, g := range groups {
		first := g.comps[0]
		// What the object's lines take unfolded, checked before it is
		// made: folding adds at most 3 bytes in 75, so the parts overrun
		// MaxBytes by a fraction of one object at most.
		zones, reason := s.zones(g)
		if reason != "" {
			res.Refused = append(res.Refused, Refusal{Line: first.line, UID: g.uid, Component: first.name, Reason: reason})
			continue
		}
		if lim.MaxBytes > 0 {
			if total += s.size(g, zones); total > lim.MaxBytes {
				return nil, &SplitLimitError{MaxBytes: lim.MaxBytes}
			}
		}
		res.Parts = append(res.Parts, Part{UID: g.uid, Component: first.name, Line: first.line, UIDAssigned: g.assigned, Data: s.object(g, zones)})
	}
	return res, nil
}

// repeats reports whether g has c's lines already, and notes them.
func (g *splitGroup) repeats(c *splitComp) bool {
	h := sha256.New()
	for _, l := range c.lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	if g.digests == nil {
		g.digests = map[[sha256.Size]byte]bool{}
	}
	if g.digests[d] {
		return true
	}
	g.digests[d] = true
	return false
}

func sameLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// zones returns the VTIMEZONEs g's object is to hold, or says why the
// object cannot be made.
func (s *splitter) zones(g *splitGroup) ([]*splitComp, string) {
	for _, c := range g.comps {
		if c.bad != "" {
			if len(g.comps) > 1 {
				return nil, fmt.Sprintf("%s (the %s that begins on line %d)", c.bad, c.name, c.line)
			}
			return nil, c.bad
		}
	}
	// The VTIMEZONEs the components name, each TZID's from the
	// component's own VCALENDAR.
	var zones []*splitComp
	chosen := map[string]*splitComp{}
	for _, c := range g.comps {
		cal := s.cals[c.cal]
		looked := map[string]bool{}
		for _, tzid := range c.tzids {
			if looked[tzid] {
				continue
			}
			looked[tzid] = true
			tz := cal.tz[tzid]
			if tz == nil {
				tz = cal.tzFolded[foldKey(strings.TrimSpace(tzid))]
			}
			if tz == nil {
				// Resolved by name, or refused by validation.
				continue
			}
			key := foldKey(strings.TrimSpace(tz.tzid))
			if have := chosen[key]; have != nil {
				if have != tz && !sameLines(have.lines, tz.lines) {
					return nil, fmt.Sprintf("TZID %s is defined by two different VTIMEZONEs of the file (lines %d and %d)", quote(tzid), have.line, tz.line)
				}
				continue
			}
			if tz.bad != "" {
				return nil, fmt.Sprintf("VTIMEZONE %s (line %d): %s", quote(tz.tzid), tz.line, tz.bad)
			}
			chosen[key] = tz
			zones = append(zones, tz)
		}
	}
	return zones, ""
}

// size is the length of g's object with zones before folding: what
// object writes, less the folds.
func (s *splitter) size(g *splitGroup, zones []*splitComp) int64 {
	cal := s.cals[g.comps[0].cal]
	n := int64(len("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"))
	if !cal.version {
		n += int64(len("VERSION:2.0\r\n"))
	}
	if !cal.prodid {
		n += int64(len("PRODID:" + ImportProdID + "\r\n"))
	}
	add := func(lines []string) {
		for _, l := range lines {
			n += int64(len(l)) + 2
		}
	}
	add(cal.props)
	for _, z := range zones {
		add(z.lines)
	}
	for _, c := range g.comps {
		add(c.lines)
	}
	return n
}

// object writes g's calendar object with zones.
func (s *splitter) object(g *splitGroup, zones []*splitComp) []byte {
	cal := s.cals[g.comps[0].cal]
	var out []byte
	out = contentline.AppendFolded(out, "BEGIN:VCALENDAR")
	if !cal.version {
		out = contentline.AppendFolded(out, "VERSION:2.0")
	}
	if !cal.prodid {
		out = contentline.AppendFolded(out, "PRODID:"+ImportProdID)
	}
	for _, l := range cal.props {
		out = contentline.AppendFolded(out, l)
	}
	for _, z := range zones {
		for _, l := range z.lines {
			out = contentline.AppendFolded(out, l)
		}
	}
	for _, c := range g.comps {
		for _, l := range c.lines {
			out = contentline.AppendFolded(out, l)
		}
	}
	return contentline.AppendFolded(out, "END:VCALENDAR")
}

// DeriveUID makes a UID for a component that has none from its content
// lines: the same component gets the same UID, so that a file imported
// again updates what the first import made instead of doubling it.
// DTSTAMP is left out, as exports set it to the time of the export.
func DeriveUID(lines []string) string {
	h := sha256.New()
	for _, l := range lines {
		if propName(l) == "DTSTAMP" {
			continue
		}
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return "almanac-import-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h.Sum(nil)[:16]))
}

// propName is the upper-cased name of a content line, "" when it has
// none.
func propName(line string) string {
	i := strings.IndexAny(line, ";:")
	if i < 0 {
		return ""
	}
	return strings.ToUpper(line[:i])
}
