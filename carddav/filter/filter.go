package filter

import (
	"errors"
	"fmt"
	"strings"

	"almanac/internal/collation"
)

// NS is the CardDAV XML namespace (RFC 6352 3).
const NS = "urn:ietf:params:xml:ns:carddav"

var (
	// ErrInvalidFilter marks a CARDDAV:filter that breaks the RFC 6352
	// 10.5 DTD: a misplaced element, a missing name, a bad test or
	// negate-condition value. RFC 6352 defines no precondition for this
	// (there is no CARDDAV:valid-filter), so the handler answers 400 Bad
	// Request. Errors wrap it with the precise reason.
	ErrInvalidFilter = errors.New("invalid filter")
	// ErrInvalidLimit marks a CARDDAV:limit that is not one nresults with an
	// unsigned integer (RFC 6352 8.6, 10.6); 400 Bad Request as well.
	ErrInvalidLimit = errors.New("invalid limit")
	// ErrUnsupportedCollation marks a text-match naming a collation we do
	// not implement: 403 with CARDDAV:supported-collation (RFC 6352 8.3,
	// 8.6).
	ErrUnsupportedCollation = errors.New("unsupported collation")
	// ErrUnsupportedFilter marks a filter the server cannot evaluate,
	// today only a text-match match-type other than the four of RFC 6352
	// 10.5.4: 403 with CARDDAV:supported-filter (RFC 6352 8.6).
	ErrUnsupportedFilter = errors.New("unsupported filter")
)

// Precondition returns the local name, in namespace NS, of the precondition
// an error from Decode or Validate violates: "supported-collation",
// "supported-filter", or "" for errors that are a plain 400 Bad Request
// (ErrInvalidFilter, ErrInvalidLimit).
func Precondition(err error) string {
	switch {
	case errors.Is(err, ErrUnsupportedCollation):
		return "supported-collation"
	case errors.Is(err, ErrUnsupportedFilter):
		return "supported-filter"
	}
	return ""
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidFilter, fmt.Sprintf(format, args...))
}

// Values of the test attributes (RFC 6352 10.5, 10.5.1).
const (
	TestAnyOf = "anyof"
	TestAllOf = "allof"
)

// Match types (RFC 6352 10.5.4).
const (
	MatchEquals     = collation.Equals
	MatchContains   = collation.Contains
	MatchStartsWith = collation.StartsWith
	MatchEndsWith   = collation.EndsWith
)

// Collations (RFC 4790 9.2, 9.3; RFC 5051). DefaultCollation is CardDAV's
// (RFC 6352 8.3).
const (
	CollationUnicodeCasemap = collation.UnicodeCasemap
	CollationASCIICasemap   = collation.ASCIICasemap
	CollationOctet          = collation.Octet
	DefaultCollation        = CollationUnicodeCasemap
)

// SupportedCollations is the value of the CARDDAV:supported-collation-set
// property (RFC 6352 8.3.1): the two RFC 6352 8.3 requires, then i;octet.
var SupportedCollations = []string{CollationUnicodeCasemap, CollationASCIICasemap, CollationOctet}

// Filter is a parsed CARDDAV:filter (RFC 6352 10.5). A filter without
// prop-filters matches every card.
//
// Match compiles each text-match once and keeps it for the next cards, so
// a Filter must not be matched from several goroutines at once.
type Filter struct {
	Test  string // TestAnyOf (also for "") or TestAllOf, over Props
	Props []PropFilter

	matchers map[*TextMatch]*collation.Matcher // nil entry: matches nothing
}

// matcher returns tm compiled, once per filter.
func (f *Filter) matcher(tm *TextMatch) *collation.Matcher {
	m, ok := f.matchers[tm]
	if !ok {
		if f.matchers == nil {
			f.matchers = map[*TextMatch]*collation.Matcher{}
		}
		m, _ = tm.compile()
		f.matchers[tm] = m
	}
	return m
}

// PropFilter is a CARDDAV:prop-filter (RFC 6352 10.5.1).
type PropFilter struct {
	// Name is the property name in upper case, optionally with a group
	// ("ITEM1.EMAIL"). Without a group it matches the property in any
	// group.
	Name         string
	Test         string // TestAnyOf (also for "") or TestAllOf
	IsNotDefined bool
	TextMatches  []TextMatch
	Params       []ParamFilter
}

// ParamFilter is a CARDDAV:param-filter (RFC 6352 10.5.2).
type ParamFilter struct {
	Name         string // upper case
	IsNotDefined bool
	TextMatch    *TextMatch
}

// TextMatch is a CARDDAV:text-match (RFC 6352 10.5.4).
type TextMatch struct {
	Value     string
	Collation string // "" means DefaultCollation
	MatchType string // "" means MatchContains
	Negate    bool
}

func (tm *TextMatch) compile() (*collation.Matcher, error) {
	c, mt := tm.Collation, tm.MatchType
	if c == "" {
		c = DefaultCollation
	}
	if mt == "" {
		mt = MatchContains
	}
	if !collation.Supported(c) {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedCollation, c)
	}
	if !collation.SupportedMatchType(mt) {
		return nil, fmt.Errorf("%w: match-type %q", ErrUnsupportedFilter, mt)
	}
	return collation.Compile(c, mt, tm.Value)
}

// Matches reports whether value passes the text-match, negation included.
// The error is ErrUnsupportedCollation or ErrUnsupportedFilter for a
// text-match Decode would have refused.
func (tm *TextMatch) Matches(value string) (bool, error) {
	m, err := tm.compile()
	if err != nil {
		return false, err
	}
	return m.Match(value) != tm.Negate, nil
}

// Validate checks a filter built in code the way Decode checks one read
// from XML, so that Match can be trusted to mean what it says.
func (f *Filter) Validate() error {
	if err := checkTest(f.Test, "filter"); err != nil {
		return err
	}
	for i := range f.Props {
		pf := &f.Props[i]
		if !validPropName(pf.Name) {
			return invalidf("prop-filter name %q is not a vCard property name", pf.Name)
		}
		if err := checkTest(pf.Test, "prop-filter "+pf.Name); err != nil {
			return err
		}
		if pf.IsNotDefined && (len(pf.TextMatches) > 0 || len(pf.Params) > 0) {
			return invalidf("prop-filter %s combines is-not-defined with other tests", pf.Name)
		}
		for j := range pf.TextMatches {
			if _, err := pf.TextMatches[j].compile(); err != nil {
				return err
			}
		}
		for j := range pf.Params {
			pa := &pf.Params[j]
			if !validName(pa.Name) {
				return invalidf("param-filter name %q is not a vCard parameter name", pa.Name)
			}
			if pa.IsNotDefined && pa.TextMatch != nil {
				return invalidf("param-filter %s combines is-not-defined with text-match", pa.Name)
			}
			if pa.TextMatch != nil {
				if _, err := pa.TextMatch.compile(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func checkTest(test, where string) error {
	switch test {
	case "", TestAnyOf, TestAllOf:
		return nil
	}
	return invalidf("%s: test must be \"anyof\" or \"allof\", not %q", where, test)
}

// validName accepts the characters of vCard names (RFC 6350 3.3:
// ALPHA, DIGIT, "-"; "_" as internal/vcard accepts it).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validPropName accepts NAME or GROUP.NAME.
func validPropName(s string) bool {
	group, name, found := strings.Cut(s, ".")
	if !found {
		return validName(s)
	}
	return validName(group) && validName(name)
}
