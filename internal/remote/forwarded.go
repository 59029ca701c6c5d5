package remote

import (
	"errors"
	"fmt"
	"strings"
)

// Element is one forwarded-element of a Forwarded header (RFC 7239 4):
// what one proxy saw of the hop it received the request on. Values are
// unquoted; a parameter that is absent is "".
type Element struct {
	For, By, Proto, Host string
}

// maxElements bounds the elements one Forwarded line may hold: real
// chains are a few proxies long, and a longer list only costs memory.
const maxElements = 64

var errForwarded = errors.New("malformed Forwarded header")

// ParseForwarded parses one Forwarded field line (RFC 7239 4):
//
//	Forwarded = 1#forwarded-element
//	forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
//	forwarded-pair = token "=" value
//	value = token / quoted-string
//
// Parameter names are case-insensitive; a parameter given twice in one
// element is an error (RFC 7239 4); unknown parameters (extensions) are
// skipped. Empty list elements are ignored (RFC 9110 5.6.1), and
// whitespace around ',' and ';' is allowed.
func ParseForwarded(s string) ([]Element, error) {
	var out []Element
	p := &fwdParser{s: s}
	for {
		p.ows()
		var e Element
		var seen [4]bool
		pairs := 0
		for {
			p.ows()
			if !p.done() && p.peek() != ',' && p.peek() != ';' {
				name, value, err := p.pair()
				if err != nil {
					return nil, err
				}
				pairs++
				var slot int
				var dst *string
				switch strings.ToLower(name) {
				case "for":
					slot, dst = 0, &e.For
				case "by":
					slot, dst = 1, &e.By
				case "proto":
					slot, dst = 2, &e.Proto
				case "host":
					slot, dst = 3, &e.Host
				default:
					slot = -1
				}
				if slot >= 0 {
					if seen[slot] {
						return nil, fmt.Errorf("%w: %s given twice in one element", errForwarded, strings.ToLower(name))
					}
					seen[slot], *dst = true, value
				}
				p.ows()
			}
			if p.done() || p.peek() != ';' {
				break
			}
			p.i++
		}
		if pairs > 0 {
			if len(out) == maxElements {
				return nil, fmt.Errorf("%w: more than %d elements", errForwarded, maxElements)
			}
			out = append(out, e)
		}
		if p.done() {
			return out, nil
		}
		if p.peek() != ',' {
			return nil, fmt.Errorf("%w: unexpected %q at %d", errForwarded, p.peek(), p.i)
		}
		p.i++
	}
}

type fwdParser struct {
	s string
	i int
}

func (p *fwdParser) done() bool { return p.i >= len(p.s) }
func (p *fwdParser) peek() byte { return p.s[p.i] }

func (p *fwdParser) ows() {
	for !p.done() && (p.peek() == ' ' || p.peek() == '\t') {
		p.i++
	}
}

func (p *fwdParser) token() string {
	start := p.i
	for !p.done() && isTchar(p.peek()) {
		p.i++
	}
	return p.s[start:p.i]
}

// pair reads token "=" value.
func (p *fwdParser) pair() (name, value string, err error) {
	if name = p.token(); name == "" {
		return "", "", fmt.Errorf("%w: expected a parameter name at %d", errForwarded, p.i)
	}
	if p.done() || p.peek() != '=' {
		return "", "", fmt.Errorf("%w: expected '=' after %q", errForwarded, name)
	}
	p.i++
	if !p.done() && p.peek() == '"' {
		value, err = p.quoted()
		return name, value, err
	}
	if value = p.token(); value == "" {
		return "", "", fmt.Errorf("%w: %s has no value", errForwarded, name)
	}
	return name, value, nil
}

// quoted reads a quoted-string (RFC 9110 5.6.4) and returns its content.
func (p *fwdParser) quoted() (string, error) {
	p.i++ // the opening quote
	var b strings.Builder
	for !p.done() {
		c := p.peek()
		p.i++
		switch {
		case c == '"':
			return b.String(), nil
		case c == '\\':
			if p.done() || !isQuotable(p.peek()) {
				return "", fmt.Errorf("%w: bad escape in a quoted string", errForwarded)
			}
			b.WriteByte(p.peek())
			p.i++
		case isQdtext(c):
			b.WriteByte(c)
		default:
			return "", fmt.Errorf("%w: control character in a quoted string", errForwarded)
		}
	}
	return "", fmt.Errorf("%w: unterminated quoted string", errForwarded)
}

// isTchar is RFC 9110 5.6.2's tchar.
func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isQdtext is HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text.
func isQdtext(c byte) bool {
	return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E) || c >= 0x80
}

// isQuotable is what may follow a backslash: HTAB / SP / VCHAR / obs-text.
func isQuotable(c byte) bool {
	return c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7E) || c >= 0x80
}
