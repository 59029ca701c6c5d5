package ical

import (
	"bytes"
	"strings"

	"almanac/internal/contentline"
)

// Redact returns a calendar object resource as a read-only sharee may see it
// (RFC 5545 3.8.1.3 CLASS): components with CLASS:PRIVATE are removed,
// CLASS:CONFIDENTIAL ones are reduced to their time (busy form), others kept.
// visible is false when nothing of the object remains to show (its every
// component is private), in which case the caller answers as if the object did
// not exist. changed reports whether out differs from data; when it does not,
// out is data itself (same slice), so the stored ETag still holds.
//
// It works on content lines, like publish's feed renderer: the lines it
// keeps are the client's, unfolded and folded again (75 octets, CRLF) only
// when something changed; nothing kept is decoded and re-encoded.
//
//   - Fast path: unless some logical line starts with the property name
//     CLASS (ASCII case-insensitive, folds inside the name and value seen
//     through) with a value other than PUBLIC, the object is returned as
//     it is without being read further: no allocation, one IndexByte per
//     physical line. Many clients write CLASS:PUBLIC on every component.
//   - The class of a top-level component is that of its own CLASS
//     properties (not those of a VALARM or other subcomponent), compared
//     after trimming, ASCII case-insensitively. x-name and unknown values
//     count as PRIVATE (RFC 5545 3.8.1.3: "applications MUST treat x-name
//     and iana-token values they don't recognize the same way as they
//     would the PRIVATE value"), and so does an empty one; with several
//     CLASS properties the most restrictive wins. VTIMEZONEs and the
//     VCALENDAR's own properties are always kept.
//   - A series is never more visible than its master: a component with a
//     RECURRENCE-ID is treated with the class of the master of its UID
//     when that is more restrictive than its own. So a private master
//     takes its overrides with it (an orphaned override would show that a
//     recurring event exists, in a confusing form), and the overrides of
//     a confidential master, which clients often leave without CLASS, are
//     busy time too.
//   - Busy form: BEGIN and END, the component's own time, identity and
//     status properties (busyProps, as written: TZID and other parameters
//     stay), then SUMMARY:Busy (not in VFREEBUSY, where RFC 5545 3.6.4
//     has no SUMMARY); every other property and every subcomponent
//     (VALARM, RFC 9073 PARTICIPANT/VLOCATION, ...) is dropped.
//   - Not removed: VTIMEZONEs only the dropped components used. They tell
//     a time zone the owner uses, not anything about the event.
//
// Redact never panics. Data that is not line-parseable — its first line is
// not BEGIN:VCALENDAR, an END does not close the innermost BEGIN, it ends
// before END:VCALENDAR or has lines after it — is returned as it is
// (data, true, false): the server stores only objects that ValidateObject
// accepted, which are all line-parseable, so this is a safe default for
// what cannot happen rather than a way around the rules.
func Redact(data []byte) (out []byte, visible, changed bool) {
	if !mayRedact(data) {
		return data, true, false
	}
	return redactLines(data)
}

// Class levels, ordered by how much they hide.
const (
	classPublic = iota
	classConfidential
	classPrivate
)

// classOf reads a CLASS value (RFC 5545 3.8.1.3).
func classOf(value string) int {
	v := strings.TrimSpace(value)
	switch {
	case asciiEqualFold(v, "PUBLIC"):
		return classPublic
	case asciiEqualFold(v, "CONFIDENTIAL"):
		return classConfidential
	}
	return classPrivate
}

// busyProps says which properties a confidential component keeps: its
// time (with recurrence), identity, status and transparency, as publish's
// busy tier does, plus CLASS and, for VFREEBUSY, its busy periods.
func busyProps(name string) bool {
	switch name {
	case "UID", "DTSTAMP", "DTSTART", "DTEND", "DURATION", "DUE", "RRULE", "RDATE", "EXDATE",
		"RECURRENCE-ID", "SEQUENCE", "STATUS", "TRANSP", "CLASS", "CREATED", "LAST-MODIFIED",
		"FREEBUSY":
		return true
	}
	return false
}

// mayRedact reports whether data has a logical line that is a CLASS
// property with a value other than PUBLIC (anywhere: which component it
// belongs to is redactLines' business). It looks only at the start of
// physical lines that are not continuations, so it costs one IndexByte per
// line and allocates nothing.
func mayRedact(data []byte) bool {
	for p := 0; p < len(data); {
		if data[p]|0x20 == 'c' && classLine(data, p) {
			return true
		}
		i := bytes.IndexByte(data[p:], '\n')
		if i < 0 {
			return false
		}
		p += i + 1
		// Skip continuation lines: they start no property.
		for p < len(data) && (data[p] == ' ' || data[p] == '\t') {
			i := bytes.IndexByte(data[p:], '\n')
			if i < 0 {
				return false
			}
			p += i + 1
		}
	}
	return false
}

// classLine reports whether the logical line starting at data[p] is named
// CLASS and its value is not PUBLIC. It reads the line the way
// contentline.Reader unfolds it.
func classLine(data []byte, p int) bool {
	c := logicalCursor{data: data, pos: p}
	for _, want := range []byte("CLASS") {
		b, ok := c.next()
		if !ok || b&^0x20 != want {
			return false
		}
	}
	b, ok := c.next()
	if !ok || b != ';' && b != ':' {
		return false // another name (CLASSX), or no value
	}
	quoted := false
	for b != ':' || quoted {
		if b == '"' {
			quoted = !quoted
		}
		if b, ok = c.next(); !ok {
			return true // parameters without a value: let redactLines judge
		}
	}
	// The value, trimmed of blanks, must be PUBLIC.
	b, ok = c.next()
	for ok && (b == ' ' || b == '\t') {
		b, ok = c.next()
	}
	for _, want := range []byte("PUBLIC") {
		if !ok || b&^0x20 != want {
			return true
		}
		b, ok = c.next()
	}
	for ok && (b == ' ' || b == '\t') {
		b, ok = c.next()
	}
	return ok
}

// logicalCursor walks the bytes of one logical line in raw data, skipping
// folds (CRLF or LF followed by a space or tab) as contentline.Reader does.
type logicalCursor struct {
	data []byte
	pos  int
}

func (c *logicalCursor) next() (byte, bool) {
	for c.pos < len(c.data) {
		b := c.data[c.pos]
		brk := 0 // length of a line break at pos
		switch {
		case b == '\n':
			brk = 1
		case b == '\r' && c.pos+1 < len(c.data) && c.data[c.pos+1] == '\n':
			brk = 2
		case b == '\r' && c.pos+1 == len(c.data):
			return 0, false // a final CR ends the line
		}
		if brk == 0 {
			c.pos++
			return b, true
		}
		f := c.pos + brk
		if f >= len(c.data) || c.data[f] != ' ' && c.data[f] != '\t' {
			return 0, false
		}
		c.pos = f + 1 // a fold: the line goes on
	}
	return 0, false
}

// redactComponent is one top-level component: lines[from] is its BEGIN,
// lines[to] its END.
type redactComponent struct {
	name     string // upper case
	from, to int
	uid      string
	master   bool // no RECURRENCE-ID
	class    int
}

// redactLines is Redact's slow path: it reads data line by line, decides
// each top-level component's class and writes what is left.
func redactLines(data []byte) (out []byte, visible, changed bool) {
	rd := contentline.NewReader(string(data))
	var (
		lines  = make([]string, 0, bytes.Count(data, []byte{'\n'})+1)
		comps  []redactComponent
		stack  []string // names of the open components
		closed bool     // END:VCALENDAR seen
	)
	for {
		line, _, ok := rd.Next()
		if !ok {
			break
		}
		if strings.TrimSpace(line) == "" {
			continue // Parse skips empty lines, and allows blanks at the end
		}
		if closed {
			return data, true, false
		}
		name, value := splitLine(line)
		switch {
		case asciiEqualFold(name, "BEGIN"):
			v := asciiUpper(value)
			if len(stack) == 0 && v != "VCALENDAR" {
				return data, true, false
			}
			stack = append(stack, v)
			if len(stack) == 2 {
				comps = append(comps, redactComponent{name: v, from: len(lines), master: true})
			}
		case len(stack) == 0:
			return data, true, false
		case asciiEqualFold(name, "END"):
			// strings.EqualFold as in Parse, which accepts "END:X-ſ" for
			// BEGIN:X-S: what Parse accepts must be redacted.
			if !strings.EqualFold(value, stack[len(stack)-1]) {
				return data, true, false
			}
			if len(stack) == 2 {
				comps[len(comps)-1].to = len(lines)
			}
			stack = stack[:len(stack)-1]
			closed = len(stack) == 0
		case len(stack) == 2:
			c := &comps[len(comps)-1]
			switch {
			case asciiEqualFold(name, "CLASS"):
				c.class = max(c.class, classOf(value))
			case asciiEqualFold(name, "UID"):
				if c.uid == "" {
					c.uid = value
				}
			case asciiEqualFold(name, "RECURRENCE-ID"):
				c.master = false
			}
		}
		lines = append(lines, line)
	}
	if !closed {
		return data, true, false
	}

	// A series is no more visible than its master.
	var masterClass map[string]int
	for _, c := range comps {
		if c.master && c.class > classPublic && c.name != CompTimezone {
			if masterClass == nil {
				masterClass = make(map[string]int)
			}
			masterClass[c.uid] = max(masterClass[c.uid], c.class)
		}
	}
	objects, kept := 0, 0
	for i := range comps {
		c := &comps[i]
		if c.name == CompTimezone {
			c.class = classPublic
			continue
		}
		if !c.master {
			c.class = max(c.class, masterClass[c.uid])
		}
		objects++
		if c.class != classPrivate {
			kept++
		}
		if c.class != classPublic {
			changed = true
		}
	}
	if !changed {
		return data, true, false
	}
	if objects > 0 && kept == 0 {
		return nil, false, true
	}

	out = make([]byte, 0, len(data))
	next := 0 // index into comps
	for i := 0; i < len(lines); {
		if next >= len(comps) || comps[next].from != i {
			out = contentline.AppendFolded(out, lines[i])
			i++
			continue
		}
		c := comps[next]
		next++
		i = c.to + 1
		switch c.class {
		case classPublic:
			for _, l := range lines[c.from : c.to+1] {
				out = contentline.AppendFolded(out, l)
			}
		case classConfidential:
			out = contentline.AppendFolded(out, lines[c.from])
			depth := 0 // of subcomponents
			for _, l := range lines[c.from+1 : c.to] {
				name, _ := splitLine(l)
				switch {
				case asciiEqualFold(name, "BEGIN"):
					depth++
				case asciiEqualFold(name, "END"):
					depth--
				case depth == 0 && busyProps(asciiUpper(name)):
					out = contentline.AppendFolded(out, l)
				}
			}
			if c.name != CompFreeBusy {
				out = contentline.AppendFolded(out, "SUMMARY:Busy")
			}
			out = contentline.AppendFolded(out, lines[c.to])
		}
	}
	if bytes.Equal(out, data) {
		return data, true, false
	}
	return out, true, true
}

// splitLine returns a content line's name, as written, and its value: the
// text after the first colon that is not inside a quoted parameter value
// ("" when there is none).
func splitLine(line string) (name, value string) {
	i := strings.IndexAny(line, ";:")
	if i < 0 {
		return line, ""
	}
	name = line[:i]
	quoted := false
	for ; i < len(line); i++ {
		switch line[i] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				return name, line[i+1:]
			}
		}
	}
	return name, ""
}

// asciiEqualFold compares ASCII case-insensitively. Unlike strings.EqualFold
// it does not fold non-ASCII letters ("claſſ" is not "CLASS"), as names
// are ASCII (Parse refuses others) and mayRedact compares bytes.
func asciiEqualFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		a, b := s[i], t[i]
		if a != b && (a|0x20 != b|0x20 || a|0x20 < 'a' || a|0x20 > 'z') {
			return false
		}
	}
	return true
}

// asciiUpper upper-cases ASCII letters, allocating only when there are
// lower-case ones.
func asciiUpper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'a' && c <= 'z' {
					b[j] = c - 0x20
				}
			}
			return string(b)
		}
	}
	return s
}
