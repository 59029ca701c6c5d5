package vcard

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"almanac/internal/contentline"
)

// MaxSize caps the vCard data Parse accepts, in bytes; 0 means no cap. It
// is a variable so that the server can apply its configured
// max-resource-size (RFC 6352 6.2.3) at start-up; set it before serving,
// as it is read without synchronisation.
var MaxSize = 10 << 20

// Parse decodes untrusted bytes holding exactly one vCard. It checks the
// syntax of RFC 6350 3.3 (and RFC 2426/2425 for 3.0), not the meaning:
// Validate adds the rules for a stored address object. Every error is a
// *ValidationError; see doc.go for the rules.
//
// Parse does not use go-vcard's Decoder, which drops malformed lines
// without a word; it is an iterative line scanner with a recover as a
// backstop.
func Parse(data []byte) (card *Card, err error) {
	defer func() {
		// Backstop only: the scanner has no known panic, but one found
		// later must cost one request, not the server.
		if r := recover(); r != nil {
			card, err = nil, dataErr("vCard data could not be parsed")
		}
	}()
	if MaxSize > 0 && len(data) > MaxSize {
		return nil, &ValidationError{
			Reason: fmt.Sprintf("vCard data is %d bytes, more than the limit of %d bytes", len(data), MaxSize),
			Kind:   TooLarge,
		}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, dataErr("vCard data is empty")
	}
	// One copy of the data: every Raw, Value and parameter value is a
	// substring of it (or of an unfolded line), not an allocation of its
	// own.
	return decoder{Reader: contentline.NewReader(string(data))}.decode()
}

// ParseSelected is Parse keeping only the properties whose name (without
// its group; any case) keep accepts: the lines of the others are
// unfolded and checked for UTF-8 but neither split nor kept, which makes
// it several times cheaper than Parse for a query that tests a few
// properties of every card (carddav addressbook-query). It accepts all
// that Parse accepts, and then the properties it keeps are exactly
// Parse's with those names, in order; it may accept data Parse refuses
// (a malformed line of a property it passes over), so a caller that
// needs Parse's verdict runs Parse on what it keeps.
func ParseSelected(data []byte, keep func(name string) bool) (*Card, error) {
	if MaxSize > 0 && len(data) > MaxSize {
		return Parse(data) // the same refusal
	}
	var card *Card
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = dataErr("vCard data could not be parsed")
			}
		}()
		card, err = decoder{Reader: contentline.NewReader(string(data)), keep: keep}.decode()
		return err
	}()
	return card, err
}

// decoder reads logical lines through contentline (RFC 6350 3.2
// unfolding; a leading byte order mark is passed over); every line is a
// substring of the one copy of the data unless a fold had to be removed.
// With keep set, only BEGIN, END and the properties keep accepts are
// parsed (ParseSelected).
type decoder struct {
	*contentline.Reader
	keep func(name string) bool
}

// skip reports whether line s is a property keep passes over. A line
// whose name cannot be found is not skipped, so that it fails as in
// Parse.
func (d decoder) skip(s string) bool {
	if d.keep == nil {
		return false
	}
	i := indexAny(s, &nameEnd)
	if i < 0 {
		return false
	}
	name := s[:i]
	if dot := strings.IndexByte(name, '.'); dot >= 0 {
		name = name[dot+1:]
	}
	if strings.EqualFold(name, "BEGIN") || strings.EqualFold(name, "END") {
		return false
	}
	return !d.keep(name)
}

func (d decoder) decode() (*Card, error) {
	var card *Card
	for {
		s, num, ok := d.Next()
		if !ok {
			break
		}
		// UTF-8 is checked after unfolding: RFC 6350 3.2 has readers
		// restore sequences that a naive writer folded in two.
		if !utf8.ValidString(s) {
			return nil, dataErr("line %d: vCard data is not valid UTF-8", num)
		}
		if strings.TrimSpace(s) == "" {
			continue // blank lines carry nothing
		}
		if d.skip(s) {
			if card == nil {
				return nil, dataErr("line %d: vCard data must start with BEGIN:VCARD", num)
			}
			continue
		}
		p, err := parseContentLine(s)
		if err != nil {
			return nil, dataErr("line %d: %s", num, err)
		}
		p.Line = num
		switch p.Name {
		case "BEGIN":
			if p.Group != "" || len(p.Params) > 0 {
				return nil, dataErr("line %d: BEGIN must have no group or parameters", num)
			}
			if !strings.EqualFold(strings.TrimSpace(p.Value), "VCARD") {
				if card == nil {
					return nil, dataErr("line %d: vCard data must start with BEGIN:VCARD, not BEGIN:%s", num, quote(p.Value))
				}
				return nil, dataErr("line %d: BEGIN:%s inside a vCard", num, quote(p.Value))
			}
			if card != nil {
				return nil, dataErr("line %d: BEGIN:VCARD inside a vCard; nested vCards are not supported", num)
			}
			card = &Card{}
		case "END":
			if card == nil {
				return nil, dataErr("line %d: vCard data must start with BEGIN:VCARD", num)
			}
			if p.Group != "" || len(p.Params) > 0 {
				return nil, dataErr("line %d: END must have no group or parameters", num)
			}
			if !strings.EqualFold(strings.TrimSpace(p.Value), "VCARD") {
				return nil, dataErr("line %d: END:%s does not close BEGIN:VCARD", num, quote(p.Value))
			}
			if at := d.TrailingLine(); at > 0 {
				return nil, dataErr("line %d: data after END:VCARD; an address object holds exactly one vCard", at)
			}
			return card, nil
		default:
			if card == nil {
				return nil, dataErr("line %d: vCard data must start with BEGIN:VCARD", num)
			}
			card.Props = append(card.Props, p)
		}
	}
	if card == nil {
		return nil, dataErr("vCard data has no BEGIN:VCARD")
	}
	return nil, dataErr("line %d: vCard data ends before END:VCARD", d.Line())
}

// parseContentLine splits `[group.]NAME;P=a,"b";Q:value` (RFC 6350 3.3).
// Parameter values lose their quotes and have their RFC 6868 caret escapes
// decoded. Value and parameter values are substrings of s (unless an
// escape was decoded), and s is kept as Raw.
func parseContentLine(s string) (*Prop, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7F {
			return nil, fmt.Errorf("control character %q in content line", c)
		}
	}
	i := indexAny(s, &nameEnd)
	if i < 0 {
		return nil, fmt.Errorf("content line %s has no colon", quote(s))
	}
	p := &Prop{Raw: s}
	name := s[:i]
	if dot := strings.IndexByte(name, '.'); dot >= 0 {
		p.Group, name = name[:dot], name[dot+1:]
		if !contentline.ValidName(p.Group) {
			return nil, fmt.Errorf("invalid group name %s", quote(p.Group))
		}
	}
	if !contentline.ValidName(name) {
		return nil, fmt.Errorf("invalid property name %s", quote(name))
	}
	p.Name = strings.ToUpper(name)
	for s[i] == ';' {
		i++
		j := indexAny(s[i:], &paramNameEnd)
		if j < 0 {
			return nil, fmt.Errorf("property %s: line ends inside a parameter", p.Name)
		}
		pname := s[i : i+j]
		if !contentline.ValidName(pname) {
			return nil, fmt.Errorf("property %s: invalid parameter name %s", p.Name, quote(pname))
		}
		if c := s[i+j]; c == ';' || c == ':' {
			// A bare parameter (vCard 2.1 style TEL;CELL): a TYPE value.
			p.Params = append(p.Params, Param{Name: "TYPE", Values: []string{pname}})
			i += j
			continue
		} else if c == '"' {
			return nil, fmt.Errorf("property %s: double quote in parameter name %s", p.Name, quote(pname))
		}
		param := Param{Name: strings.ToUpper(pname)}
		i += j + 1
		for {
			var v string
			if i < len(s) && s[i] == '"' {
				k := strings.IndexByte(s[i+1:], '"')
				if k < 0 {
					return nil, fmt.Errorf("property %s: parameter %s: unterminated quoted string", p.Name, param.Name)
				}
				v = s[i+1 : i+1+k]
				i += k + 2
			} else {
				k := indexAny(s[i:], &paramValueEnd)
				if k < 0 {
					return nil, fmt.Errorf("property %s: line ends inside parameter %s", p.Name, param.Name)
				}
				if s[i+k] == '"' {
					return nil, fmt.Errorf("property %s: parameter %s: double quote inside an unquoted value", p.Name, param.Name)
				}
				v = s[i : i+k]
				i += k
			}
			param.Values = append(param.Values, contentline.DecodeParam(v))
			if i >= len(s) {
				return nil, fmt.Errorf("property %s: line ends inside parameter %s", p.Name, param.Name)
			}
			if s[i] == ',' {
				i++
				continue
			}
			if s[i] != ';' && s[i] != ':' {
				return nil, fmt.Errorf("property %s: parameter %s: unexpected %q after a quoted value", p.Name, param.Name, s[i])
			}
			break
		}
		p.Params = append(p.Params, param)
	}
	// The loop above stops only at ':' (or the name ended there).
	p.Value = s[i+1:]
	return p, nil
}

// Byte sets that end the parts of a content line. strings.IndexAny builds
// its set on every call, which showed in profiles of addressbook-query
// (every card of a collection is parsed).
var nameEnd, paramNameEnd, paramValueEnd [256]bool

func init() {
	for set, chars := range map[*[256]bool]string{&nameEnd: ";:", &paramNameEnd: "=;:\"", &paramValueEnd: "\";,:"} {
		for i := 0; i < len(chars); i++ {
			set[chars[i]] = true
		}
	}
}

// indexAny is strings.IndexAny for a precomputed ASCII set.
func indexAny(s string, set *[256]bool) int {
	for i := 0; i < len(s); i++ {
		if set[s[i]] {
			return i
		}
	}
	return -1
}
