package ical

import (
	"sort"
	"strings"

	"github.com/emersion/go-ical"

	"almanac/internal/contentline"
)

// AppendProp appends the content line of p, unfolded and without a line
// end: NAME, the parameters in name order, ":" and the value (RFC 5545
// 3.1). See FormatProp for how values are made safe.
func AppendProp(dst []byte, p *ical.Prop) []byte {
	dst = append(dst, p.Name...)
	names := make([]string, 0, len(p.Params))
	for k := range p.Params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		dst = append(dst, ';')
		dst = append(dst, k...)
		dst = append(dst, '=')
		for i, v := range p.Params[k] {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = contentline.AppendParam(dst, v)
		}
	}
	dst = append(dst, ':')
	return appendValue(dst, p.Value)
}

// FormatProp returns the content line of p, unfolded and without a line
// end. Parameter values are written as RFC 5545 3.2 says: in double
// quotes when they contain ":", ";" or ",", as they are otherwise, with
// RFC 6868 escapes for a caret, a double quote and a line break
// (contentline.AppendParam), the inverse of Parse's decoding. In property
// values a line break becomes the TEXT escape \n. Other control
// characters but HTAB, which RFC 5545 3.1 forbids in content lines, are
// dropped from both, so that no value can end a line or forge one.
func FormatProp(p *ical.Prop) string { return string(AppendProp(nil, p)) }

func appendValue(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\n':
			dst = append(dst, `\n`...)
		case c == '\r' && i+1 < len(v) && v[i+1] == '\n':
		case c < 0x20 && c != '\t' || c == 0x7F:
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// AppendComponent appends c and its subcomponents in iCalendar form:
// BEGIN, the properties, the subcomponents in order, END. go-ical's model
// does not keep the order of differently named properties, so they are
// written in name order (as go-ical's encoder does); properties of one
// name keep their order. Use a Node to keep the order of the source.
func AppendComponent(dst []byte, c *ical.Component) []byte {
	dst = contentline.AppendFolded(dst, "BEGIN:"+c.Name)
	names := make([]string, 0, len(c.Props))
	for k := range c.Props {
		names = append(names, k)
	}
	sort.Strings(names)
	var line []byte
	for _, k := range names {
		for i := range c.Props[k] {
			line = AppendProp(line[:0], &c.Props[k][i])
			dst = contentline.AppendFolded(dst, string(line))
		}
	}
	for _, child := range c.Children {
		dst = AppendComponent(dst, child)
	}
	return contentline.AppendFolded(dst, "END:"+c.Name)
}

// Encode returns cal in iCalendar form (see AppendComponent). Unlike
// go-ical's encoder it refuses nothing: what Parse accepted, Encode
// writes, and Parse reads the result back to the same calendar.
func Encode(cal *ical.Calendar) []byte {
	if cal == nil || cal.Component == nil {
		return nil
	}
	return AppendComponent(nil, cal.Component)
}

// Node is a component as it was written: its content lines in their
// original order, its subcomponents in order, and the same component in
// go-ical's model (which keeps no order across property names). Partial
// retrieval and expansion (RFC 4791 9.6) work on Nodes so that what they
// return reads like what the client stored.
type Node struct {
	Name     string // upper case
	Lines    []Line
	Children []*Node
	Comp     *ical.Component // the component in the calendar ParseTree returned
}

// Line is one property of a Node.
type Line struct {
	// Raw is the content line as the client wrote it, unfolded, without
	// its line end; written back as it is (refolded).
	Raw  string
	Prop ical.Prop
}

// NewLine makes a Line of a property built by the server.
func NewLine(p ical.Prop) Line { return Line{Raw: FormatProp(&p), Prop: p} }

// NoValue returns the line without its value, "NAME;PARAMS:", as
// CALDAV:prop novalue="yes" asks (RFC 4791 9.6.4).
func (l *Line) NoValue() string { return l.Raw[:len(l.Raw)-len(l.Prop.Value)] }

// ParseTree parses data like Parse, with the same checks and the same
// result, and also returns the Node tree of the calendar. Each Node's Comp
// is the matching component of the returned calendar.
func ParseTree(data []byte) (*ical.Calendar, *Node, error) {
	cal, err := Parse(data)
	if err != nil {
		return nil, nil, err
	}
	// Parse accepted the data, so this second pass meets neither errors
	// nor surprises; it pairs each BEGIN with the component Parse built
	// for it, in document order.
	d := newDecoder(data)
	var stack []*Node
	var next []int // index of the next child component, per level
	var root *Node
	for {
		s, _, ok := d.Next()
		if !ok {
			break
		}
		if s == "" {
			continue
		}
		name, params, value, err := parseContentLine(s)
		if err != nil {
			return nil, nil, dataErr("calendar data could not be parsed")
		}
		switch name {
		case "BEGIN":
			n := &Node{Name: strings.ToUpper(value)}
			if len(stack) == 0 {
				n.Comp = cal.Component
				root = n
			} else {
				parent := stack[len(stack)-1]
				i := next[len(next)-1]
				next[len(next)-1]++
				if i >= len(parent.Comp.Children) {
					return nil, nil, dataErr("calendar data could not be parsed")
				}
				n.Comp = parent.Comp.Children[i]
				parent.Children = append(parent.Children, n)
			}
			stack = append(stack, n)
			next = append(next, 0)
		case "END":
			stack, next = stack[:len(stack)-1], next[:len(next)-1]
			if len(stack) == 0 {
				return cal, root, nil
			}
		default:
			top := stack[len(stack)-1]
			top.Lines = append(top.Lines, Line{Raw: s, Prop: ical.Prop{Name: name, Params: params, Value: value}})
		}
	}
	return nil, nil, dataErr("calendar data could not be parsed")
}

// Append appends n in iCalendar form: folded lines, CRLF, properties and
// subcomponents in their order.
func (n *Node) Append(dst []byte) []byte {
	dst = contentline.AppendFolded(dst, "BEGIN:"+n.Name)
	for i := range n.Lines {
		dst = contentline.AppendFolded(dst, n.Lines[i].Raw)
	}
	for _, c := range n.Children {
		dst = c.Append(dst)
	}
	return contentline.AppendFolded(dst, "END:"+n.Name)
}
