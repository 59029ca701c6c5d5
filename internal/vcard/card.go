package vcard

import (
	"strings"

	"almanac/internal/contentline"
)

// Versions this package stores and converts between.
const (
	Version3 = "3.0" // RFC 2426
	Version4 = "4.0" // RFC 6350
)

// Card is one parsed vCard: its properties in the order they were
// written, BEGIN:VCARD and END:VCARD excluded.
type Card struct {
	Props []*Prop
}

// Prop is one content line (RFC 6350 3.3):
// [group "."] name *(";" param) ":" value.
type Prop struct {
	// Group is the group prefix as written ("item1" of "item1.EMAIL"), or
	// "". Groups compare case-insensitively.
	Group string
	// Name is the property name in upper case, without the group.
	Name   string
	Params []Param
	// Value is the value as written: escapes (RFC 6350 3.4) are kept, so
	// that structured values keep their separators; Text undoes them.
	Value string
	// Raw is the content line exactly as received with folding undone, or
	// "" for a property built or changed in code. Encode writes Raw when it
	// is set, so that untouched lines keep their spelling (name case,
	// parameter quoting); whoever changes a parsed Prop must clear Raw.
	Raw string
	// Line is the number of the physical line the property started on, 0
	// for a property built in code.
	Line int
}

// Param is one parameter of a property. Repeated parameters
// (TYPE=WORK;TYPE=VOICE) stay separate entries, in order.
type Param struct {
	// Name is the parameter name in upper case. A bare parameter without
	// "=" (TEL;CELL:..., a vCard 2.1 habit some 3.0 producers keep) is
	// recorded as TYPE with that value.
	Name string
	// Values are the comma-separated values with quotes removed and RFC
	// 6868 caret escapes decoded (^n a line break, ^' a double quote, ^^ a
	// caret; contentline.DecodeParam).
	Values []string
}

// Get returns the first property named name (case-insensitive; group
// prefixes are ignored), or nil.
func (c *Card) Get(name string) *Prop {
	for _, p := range c.Props {
		if strings.EqualFold(p.Name, name) {
			return p
		}
	}
	return nil
}

// All returns every property named name (case-insensitive; group prefixes
// are ignored), in order.
func (c *Card) All(name string) []*Prop {
	var out []*Prop
	for _, p := range c.Props {
		if strings.EqualFold(p.Name, name) {
			out = append(out, p)
		}
	}
	return out
}

// Version returns the trimmed value of the first VERSION property, or "".
func (c *Card) Version() string {
	if p := c.Get("VERSION"); p != nil {
		return strings.TrimSpace(p.Value)
	}
	return ""
}

// Param returns the values of every parameter named name
// (case-insensitive), in order, or nil.
func (p *Prop) Param(name string) []string {
	var out []string
	for _, pa := range p.Params {
		if strings.EqualFold(pa.Name, name) {
			out = append(out, pa.Values...)
		}
	}
	return out
}

// HasParam reports whether the property has a parameter named name.
func (p *Prop) HasParam(name string) bool {
	for _, pa := range p.Params {
		if strings.EqualFold(pa.Name, name) {
			return true
		}
	}
	return false
}

// Text returns the value with RFC 6350 3.4 escapes undone: "\\", "\,"
// and "\;" become the character, "\n" and "\N" a newline. A backslash
// before anything else is kept. For structured values (see Structured) the
// separators become indistinguishable from escaped characters; use Value
// there.
func (p *Prop) Text() string { return unescapeText(p.Value) }

func unescapeText(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			switch n := v[i+1]; n {
			case 'n', 'N':
				b.WriteByte('\n')
				i++
				continue
			case '\\', ';', ',':
				b.WriteByte(n)
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// structured lists the properties whose values are lists of components
// separated by ";" (RFC 6350 6.2.2 N, 6.2.7 GENDER, 6.3.1 ADR, 6.6.4 ORG,
// 6.7.7 CLIENTPIDMAP; RFC 2426 3.1.2 N, 3.2.1 ADR, 3.5.5 ORG).
var structured = map[string]bool{"N": true, "ADR": true, "ORG": true, "GENDER": true, "CLIENTPIDMAP": true}

// Structured reports whether the property's value is structured, i.e.
// ";" in it separates components rather than being text.
func Structured(name string) bool { return structured[strings.ToUpper(name)] }

// ContentLine returns the property as one unfolded content line: Raw if it
// is set, else the line rendered from Group, Name, Params and Value.
func (p *Prop) ContentLine() string {
	if p.Raw != "" {
		return p.Raw
	}
	var b strings.Builder
	if p.Group != "" {
		b.WriteString(p.Group)
		b.WriteByte('.')
	}
	b.WriteString(p.Name)
	var scratch [64]byte // most parameter values fit: no allocation each
	for _, pa := range p.Params {
		b.WriteByte(';')
		b.WriteString(pa.Name)
		b.WriteByte('=')
		for i, v := range pa.Values {
			if i > 0 {
				b.WriteByte(',')
			}
			// Quoted when it holds ":", ";" or "," (RFC 6350 5), with
			// RFC 6868 escapes, so that the line reads back as built.
			b.Write(contentline.AppendParam(scratch[:0], v))
		}
	}
	b.WriteByte(':')
	b.WriteString(p.Value)
	return b.String()
}

// Encode writes the card as vCard text: BEGIN:VCARD, every property's
// ContentLine, END:VCARD, each line ended by CRLF and folded at 75 octets
// (RFC 6350 3.2) without splitting a UTF-8 sequence. Values are written as
// they are; a Prop built in code must hold escaped text without line
// breaks.
func (c *Card) Encode() []byte {
	size := len("BEGIN:VCARD\r\nEND:VCARD\r\n")
	for _, p := range c.Props {
		n := len(p.Raw)
		if n == 0 {
			n = len(p.Value) + 64
		}
		size += n + n/74*3 + 2
	}
	b := make([]byte, 0, size)
	b = append(b, "BEGIN:VCARD\r\n"...)
	for _, p := range c.Props {
		b = contentline.AppendFolded(b, p.ContentLine())
	}
	return append(b, "END:VCARD\r\n"...)
}
