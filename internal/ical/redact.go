package ical

import (
	"bytes"
	"strings"

	"almanac/internal/contentline"
)

// Redact returns a calendar object resource as a read-only sharee
// (ViewerSharee) may see it, under the package's privacy policy (Viewer,
// ReadOutline): PRIVATE components are removed, CONFIDENTIAL ones reduced
// to their time (busy form), others kept, a series never more visible
// than its master. visible is false when nothing of the object remains to
// show (its every component is hidden), in which case the caller answers
// as if the object did not exist. changed reports whether out differs
// from data; when it does not, out is data itself (same slice), so the
// stored ETag still holds.
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
//   - Busy form: BEGIN and END, the component's own time, identity and
//     status properties (busyProps, as written: TZID and other parameters
//     stay), then SUMMARY:Busy (not in VFREEBUSY, where RFC 5545 3.6.4
//     has no SUMMARY); every other property and every subcomponent
//     (VALARM, RFC 9073 PARTICIPANT/VLOCATION, ...) is dropped.
//   - VTIMEZONEs and the VCALENDAR's own properties are always kept, also
//     VTIMEZONEs only the dropped components used. They tell a time zone
//     the owner uses, not anything about the event.
//
// Redact never panics. Data that is not line-parseable (ReadOutline) is
// returned as it is (data, true, false): the server stores only objects
// that ValidateObject accepted, which are all line-parseable, so this is a
// safe default for what cannot happen rather than a way around the rules.
func Redact(data []byte) (out []byte, visible, changed bool) {
	if !mayRedact(data) {
		return data, true, false
	}
	return redactLines(data)
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

// redactLines is Redact's slow path: it reads data as an outline and
// writes what the sharee sees of each top-level component.
func redactLines(data []byte) (out []byte, visible, changed bool) {
	o, ok := ReadOutline(data)
	if !ok {
		return data, true, false
	}
	comps := o.Components
	objects, kept := 0, 0
	for i := range comps {
		c := &comps[i]
		if c.Name == CompTimezone {
			continue
		}
		objects++
		vis := c.Visibility(ViewerSharee)
		if vis != VisHidden {
			kept++
		}
		if vis != VisFull {
			changed = true
		}
	}
	if !changed {
		return data, true, false
	}
	if objects > 0 && kept == 0 {
		return nil, false, true
	}

	lines := o.Lines
	out = make([]byte, 0, len(data))
	next := 0 // index into comps
	for i := 0; i < len(lines); {
		if next >= len(comps) || comps[next].From != i {
			out = contentline.AppendFolded(out, lines[i])
			i++
			continue
		}
		c := comps[next]
		next++
		i = c.To + 1
		switch c.Visibility(ViewerSharee) {
		case VisHidden:
		case VisFull:
			for _, l := range lines[c.From : c.To+1] {
				out = contentline.AppendFolded(out, l)
			}
		default:
			// A sharee has no limited form: what is less than full is
			// busy time.
			out = contentline.AppendFolded(out, lines[c.From])
			depth := 0 // of subcomponents
			for _, l := range lines[c.From+1 : c.To] {
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
			if c.Name != CompFreeBusy {
				out = contentline.AppendFolded(out, "SUMMARY:Busy")
			}
			out = contentline.AppendFolded(out, lines[c.To])
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
