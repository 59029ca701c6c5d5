package filter

import (
	"strings"
	"time"

	"github.com/emersion/go-ical"

	aical "almanac/internal/ical"
)

// Match reports whether cal passes the filter (RFC 4791 9.7). The error is
// non-nil only for a filter that Decode would have refused (built in code;
// see Validate); questions the data cannot answer are settled as doc.go
// says.
func (f *Filter) Match(cal *ical.Calendar) (bool, error) {
	ok, _, err := f.MatchCut(cal)
	return ok, err
}

// MatchCut is Match that also reports whether the match rests on an
// expansion the limits cut short (see doc.go): a time-range test that
// found nothing before max-instances, a work budget (the walk's or the
// request's) or a recurrence rule beyond the limits stopped it, and
// matched for that reason, or a time zone the request's budget left
// unread. The caller should tell the client the answer may hold too
// much.
func (f *Filter) MatchCut(cal *ical.Calendar) (match, cut bool, err error) {
	if err := f.Validate(); err != nil {
		return false, false, err
	}
	if cal == nil || cal.Component == nil {
		return f.Comp.IsNotDefined, false, nil
	}
	loc := f.Location
	if loc == nil {
		loc = time.UTC
	}
	m := matcher{loc: loc, zones: aical.ZonesWithin(cal, f.Budget), max: f.MaxInstances, budget: f.Budget}
	if m.max <= 0 {
		m.max = MaxInstances
	}
	match = m.comp([]*ical.Component{cal.Component}, &f.Comp, nil)
	if m.zones.Cut() {
		// Some time was read in UTC instead of its zone: whichever way
		// the tests went, they cannot be trusted.
		return true, true, nil
	}
	return match, match && m.cut, nil
}

type matcher struct {
	loc    *time.Location // for floating and DATE values
	zones  *aical.Zones   // the object's TZIDs
	max    int            // instance cap per component
	budget *aical.Budget  // the request's
	cut    bool           // a time-range test matched because its expansion was cut short
}

// scope is where a list of components sits: their parent and the parent's
// siblings, so that a VALARM can find the instances of its event.
type scope struct {
	parent   *ical.Component
	siblings []*ical.Component
}

// comp evaluates cf against the components in list (siblings, so that a
// recurring master can see its overrides), children of up.parent:
// RFC 4791 9.7.1.
func (m *matcher) comp(list []*ical.Component, cf *CompFilter, up *scope) bool {
	found := false
	for _, c := range list {
		if !strings.EqualFold(c.Name, cf.Name) {
			continue
		}
		found = true
		if cf.IsNotDefined {
			return false
		}
		if m.compMatches(c, list, cf, up) {
			return true
		}
	}
	return cf.IsNotDefined && !found
}

func (m *matcher) compMatches(c *ical.Component, siblings []*ical.Component, cf *CompFilter, up *scope) bool {
	for i := range cf.Props {
		if !m.prop(c, &cf.Props[i]) {
			return false
		}
	}
	for i := range cf.Comps {
		if !m.comp(c.Children, &cf.Comps[i], &scope{parent: c, siblings: siblings}) {
			return false
		}
	}
	// Last, as it may expand a recurrence.
	return cf.TimeRange == nil || m.compInRange(c, siblings, up, cf.TimeRange)
}

// prop evaluates pf (RFC 4791 9.7.2): some instance of the property passes
// every test.
func (m *matcher) prop(c *ical.Component, pf *PropFilter) bool {
	props := c.Props[strings.ToUpper(pf.Name)]
	if pf.IsNotDefined {
		return len(props) == 0
	}
	for i := range props {
		p := &props[i]
		if pf.TextMatch != nil && !textMatches(pf.TextMatch, propText(p)) {
			continue
		}
		if pf.TimeRange != nil && !m.propInRange(p, pf.TimeRange) {
			continue
		}
		if !params(p, pf.Params) {
			continue
		}
		return true
	}
	return false
}

func params(p *ical.Prop, filters []ParamFilter) bool {
	for i := range filters {
		pa := &filters[i]
		values, ok := p.Params[strings.ToUpper(pa.Name)]
		if pa.IsNotDefined {
			if ok {
				return false
			}
			continue
		}
		if !ok {
			return false
		}
		if pa.TextMatch == nil {
			continue
		}
		hit := false
		for _, v := range values {
			if textMatches(pa.TextMatch, v) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

func textMatches(tm *TextMatch, s string) bool {
	ok, _ := tm.Contains(s) // collations were checked by Validate
	return ok
}

// propText is what text-match compares against: for TEXT values (and
// x-properties, TEXT by default) the text with RFC 5545 3.3.11 escapes
// undone, so that "a,b" finds SUMMARY:a\,b; other values as written.
func propText(p *ical.Prop) string {
	switch p.ValueType() {
	case ical.ValueText, ical.ValueDefault:
	default:
		return p.Value
	}
	if !strings.Contains(p.Value, `\`) {
		return p.Value
	}
	var b strings.Builder
	for i := 0; i < len(p.Value); i++ {
		c := p.Value[i]
		if c == '\\' && i+1 < len(p.Value) {
			switch n := p.Value[i+1]; n {
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

// propInRange is the time-range test of a prop-filter: the property's
// value, as a point in time, lies in [start, end). Lists (EXDATE, RDATE)
// match if any value does; PERIOD values by overlap. A value that is no
// date or date-time does not match.
func (m *matcher) propInRange(p *ical.Prop, tr *TimeRange) bool {
	switch p.ValueType() {
	case ical.ValueDate, ical.ValueDateTime, ical.ValuePeriod, ical.ValueDefault:
	default:
		return false // SUMMARY:20240101T000000Z is text, not a time
	}
	values, err := m.zones.DateList(p, m.loc)
	if err != nil {
		return false
	}
	rs, re := bounds(tr)
	for _, v := range values {
		end := v.Start
		if !v.End.IsZero() {
			end = v.End
		}
		if overlaps(v.Start, end, rs, re) {
			return true
		}
	}
	return false
}
