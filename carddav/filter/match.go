package filter

import (
	"strings"

	"almanac/internal/collation"
	"almanac/internal/vcard"
)

// Match reports whether card passes the filter (RFC 6352 10.5). A filter
// Decode returned always evaluates as doc.go says; in one built in code,
// a text-match with an unknown collation or match type matches nothing
// (Validate reports it).
func (f *Filter) Match(card *vcard.Card) bool {
	if len(f.Props) == 0 {
		return true
	}
	all := f.Test == TestAllOf
	for i := range f.Props {
		if f.propMatches(card, &f.Props[i]) != all {
			return !all
		}
	}
	return all
}

// propMatches evaluates one prop-filter (RFC 6352 10.5.1): with
// is-not-defined, no instance of the property exists; without tests, one
// does; otherwise some instance passes the text-matches and param-filters
// combined by the filter's test.
func (f *Filter) propMatches(card *vcard.Card, pf *PropFilter) bool {
	group, name, grouped := strings.Cut(pf.Name, ".")
	if !grouped {
		name, group = group, ""
	}
	tests := len(pf.TextMatches) + len(pf.Params)
	var matchers []*collation.Matcher
	found := false
	for _, p := range card.Props {
		if !strings.EqualFold(p.Name, name) || grouped && !strings.EqualFold(p.Group, group) {
			continue
		}
		found = true
		if pf.IsNotDefined {
			return false
		}
		if tests == 0 {
			return true
		}
		if matchers == nil {
			matchers = make([]*collation.Matcher, len(pf.TextMatches))
			for i := range pf.TextMatches {
				matchers[i] = f.matcher(&pf.TextMatches[i])
			}
		}
		if f.instanceMatches(p, pf, matchers) {
			return true
		}
	}
	return pf.IsNotDefined && !found
}

func (f *Filter) instanceMatches(p *vcard.Prop, pf *PropFilter, matchers []*collation.Matcher) bool {
	all := pf.Test == TestAllOf
	if len(pf.TextMatches) > 0 {
		value := propText(p)
		for i, m := range matchers {
			ok := m != nil && m.Match(value) != pf.TextMatches[i].Negate
			if ok != all {
				return !all
			}
		}
	}
	for i := range pf.Params {
		if f.paramMatches(p, &pf.Params[i]) != all {
			return !all
		}
	}
	return all
}

// propText is what a text-match compares: the value as written for
// structured properties (N, ADR, ORG, ...), so that ";" still separates
// components, and the text with escapes undone otherwise, so that
// "Doe, Jane" finds FN:Doe\, Jane.
func propText(p *vcard.Prop) string {
	if vcard.Structured(p.Name) {
		return p.Value
	}
	return p.Text()
}

// paramMatches evaluates a param-filter (RFC 6352 10.5.2) on one property
// instance. TYPE values are split at commas, so that TYPE="work,voice"
// holds "work" and "voice" as TYPE=work,voice does.
func (f *Filter) paramMatches(p *vcard.Prop, pa *ParamFilter) bool {
	defined := p.HasParam(pa.Name)
	switch {
	case pa.IsNotDefined:
		return !defined
	case !defined:
		return false
	case pa.TextMatch == nil:
		return true
	}
	m := f.matcher(pa.TextMatch)
	if m == nil {
		return false
	}
	isType := strings.EqualFold(pa.Name, "TYPE")
	for _, v := range p.Param(pa.Name) {
		if !isType {
			if m.Match(v) != pa.TextMatch.Negate {
				return true
			}
			continue
		}
		for _, part := range strings.Split(v, ",") {
			if m.Match(part) != pa.TextMatch.Negate {
				return true
			}
		}
	}
	return false
}
