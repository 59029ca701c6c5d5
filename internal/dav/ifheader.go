package dav

import (
	"strings"
)

// IfList is one List of an RFC 4918 10.4 If header: Conditions that hold
// together, on Resource (a Tagged-list's URL as written; "" for the
// request-URI).
type IfList struct {
	Resource   string
	Conditions []IfCondition
}

// IfCondition is one Condition of a List: a state token or an entity tag,
// negated by Not.
type IfCondition struct {
	Not   bool
	Token string // a state token (the URI of a Coded-URL); "" for an entity tag
	ETag  string // an entity tag as written, quotes and W/ included
}

// MaxIfConditions bounds the conditions one If header may hold: each may
// cost a lookup of the resource it names, and real clients send one or
// two.
const MaxIfConditions = 32

// ParseIf parses the value of an If header (RFC 4918 10.4.2):
//
//	If = ( 1*No-tag-list | 1*Tagged-list )
//	No-tag-list = List
//	Tagged-list = Resource-Tag 1*List
//	List = "(" 1*Condition ")"
//	Condition = ["Not"] (State-token | "[" entity-tag "]")
//	State-token = Coded-URL ; "<" absolute-URI ">"
//	Resource-Tag = "<" Simple-ref ">"
//
// with linear white space between the parts. A header that does not
// follow the grammar, mixes tagged and untagged lists or holds more than
// MaxIfConditions conditions is a 400.
func ParseIf(h string) ([]IfList, error) {
	p := &ifParser{s: h}
	var lists []IfList
	tagged, resource, n := false, "", 0
	for {
		p.space()
		if p.done() {
			break
		}
		switch p.s[p.i] {
		case '<':
			if len(lists) > 0 && !tagged {
				return nil, BadRequest("If header: a resource tag after an untagged list")
			}
			tagged = true
			u, err := p.coded("resource tag")
			if err != nil {
				return nil, err
			}
			resource = u
			p.space()
			if p.done() || p.s[p.i] != '(' {
				return nil, BadRequest("If header: a resource tag without a list")
			}
		case '(':
			// After a resource tag, every list up to the next tag is
			// that resource's.
			l, err := p.list()
			if err != nil {
				return nil, err
			}
			if n += len(l.Conditions); n > MaxIfConditions {
				return nil, BadRequest("If header: too many conditions")
			}
			if tagged {
				l.Resource = resource
			}
			lists = append(lists, l)
		default:
			return nil, BadRequest("If header: expected a list or a resource tag")
		}
	}
	if len(lists) == 0 {
		return nil, BadRequest("If header: no list")
	}
	return lists, nil
}

type ifParser struct {
	s string
	i int
}

func (p *ifParser) done() bool { return p.i >= len(p.s) }

// space skips linear white space (RFC 4918 10.4.2 allows it between
// every part; folded headers arrive with their line ends).
func (p *ifParser) space() {
	for !p.done() && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

// list reads "(" 1*Condition ")".
func (p *ifParser) list() (IfList, error) {
	p.i++ // '('
	var l IfList
	for {
		p.space()
		if p.done() {
			return l, BadRequest("If header: unterminated list")
		}
		if p.s[p.i] == ')' {
			p.i++
			if len(l.Conditions) == 0 {
				return l, BadRequest("If header: empty list")
			}
			return l, nil
		}
		var c IfCondition
		if strings.HasPrefix(strings.ToLower(p.s[p.i:]), "not") {
			c.Not = true
			p.i += 3
			p.space()
			if p.done() {
				return l, BadRequest("If header: Not without a condition")
			}
		}
		switch p.s[p.i] {
		case '<':
			u, err := p.coded("state token")
			if err != nil {
				return l, err
			}
			if !strings.Contains(u, ":") {
				return l, BadRequest("If header: a state token must be an absolute URI")
			}
			c.Token = u
		case '[':
			tag, err := p.etag()
			if err != nil {
				return l, err
			}
			c.ETag = tag
		default:
			return l, BadRequest("If header: expected a state token or an entity tag")
		}
		if len(l.Conditions) == MaxIfConditions {
			return l, BadRequest("If header: too many conditions")
		}
		l.Conditions = append(l.Conditions, c)
	}
}

// coded reads "<" text ">" and returns the text, which must be
// non-empty and free of white space and angle brackets.
func (p *ifParser) coded(what string) (string, error) {
	end := strings.IndexByte(p.s[p.i:], '>')
	if end < 0 {
		return "", BadRequest("If header: unterminated " + what)
	}
	u := p.s[p.i+1 : p.i+end]
	if u == "" || strings.ContainsAny(u, "< \t\r\n") {
		return "", BadRequest("If header: malformed " + what)
	}
	p.i += end + 1
	return u, nil
}

// etag reads "[" entity-tag "]", entity-tag = [ "W/" ] DQUOTE *etagc
// DQUOTE (RFC 9110 8.8.3).
func (p *ifParser) etag() (string, error) {
	p.i++ // '['
	start := p.i
	if strings.HasPrefix(p.s[p.i:], "W/") {
		p.i += 2
	}
	if p.done() || p.s[p.i] != '"' {
		return "", BadRequest("If header: malformed entity tag")
	}
	end := strings.IndexByte(p.s[p.i+1:], '"')
	if end < 0 {
		return "", BadRequest("If header: unterminated entity tag")
	}
	p.i += end + 2
	tag := p.s[start:p.i]
	if p.done() || p.s[p.i] != ']' {
		return "", BadRequest("If header: malformed entity tag")
	}
	p.i++
	return tag, nil
}
