package filter

import (
	"almanac/internal/contentline"
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
	// negate-condition value. The handler answers 403 with
	// CARDDAV:valid-filter, the counterpart of RFC 4791 7.8's
	// CALDAV:valid-filter that RFC 6352 itself does not name (doc.go).
	// Errors wrap it with the precise reason.
	ErrInvalidFilter = errors.New("invalid filter")
	// ErrInvalidLimit marks a CARDDAV:limit that is not one nresults with an
	// unsigned integer (RFC 6352 8.6, 10.6): 400 Bad Request.
	ErrInvalidLimit = errors.New("invalid limit")
	// ErrUnsupportedCollation marks a text-match naming a collation we do
	// not implement: 403 with CARDDAV:supported-collation (RFC 6352 8.3,
	// 8.6).
	ErrUnsupportedCollation = errors.New("unsupported collation")
	// ErrUnsupportedFilter marks a filter the server cannot evaluate,
	// today only a text-match match-type other than the four of RFC 6352
	// 10.5.4: 403 with CARDDAV:supported-filter (RFC 6352 8.6). Decode and
	// Validate return it as an *UnsupportedError naming the elements.
	ErrUnsupportedFilter = errors.New("unsupported filter")
)

// Unsupported names one filter element the server cannot evaluate.
type Unsupported struct {
	Element string // "prop-filter" or "param-filter"
	Name    string // its name attribute, upper case
}

// maxUnsupported bounds the elements an UnsupportedError lists, so that
// the error body stays small whatever the filter repeats.
const maxUnsupported = 16

// UnsupportedError is ErrUnsupportedFilter with the prop-filter and
// param-filter elements RFC 6352 8.6 asks the server to report inside
// CARDDAV:supported-filter, each once, in document order.
type UnsupportedError struct {
	Elements []Unsupported
	Reason   string
}

func (e *UnsupportedError) Error() string { return ErrUnsupportedFilter.Error() + ": " + e.Reason }
func (e *UnsupportedError) Unwrap() error { return ErrUnsupportedFilter }

// add records u; a nil e is created.
func (e *UnsupportedError) add(u Unsupported, reason string) *UnsupportedError {
	if e == nil {
		e = &UnsupportedError{Reason: reason}
	}
	for _, x := range e.Elements {
		if x == u {
			return e
		}
	}
	if len(e.Elements) < maxUnsupported {
		e.Elements = append(e.Elements, u)
	}
	return e
}

// Precondition returns the local name, in namespace NS, of the precondition
// an error from Decode or Validate violates: "supported-collation",
// "supported-filter", "valid-filter", or "" for errors that are a plain
// 400 Bad Request (ErrInvalidLimit, malformed XML).
func Precondition(err error) string {
	switch {
	case errors.Is(err, ErrUnsupportedCollation):
		return "supported-collation"
	case errors.Is(err, ErrUnsupportedFilter):
		return "supported-filter"
	case errors.Is(err, ErrInvalidFilter):
		return "valid-filter"
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
// (RFC 6352 8.3), which a text-match names by leaving the collation out or
// by the RFC 4790 3.1 identifier "default".
const (
	CollationUnicodeCasemap = collation.UnicodeCasemap
	CollationASCIICasemap   = collation.ASCIICasemap
	CollationOctet          = collation.Octet
	DefaultCollation        = CollationUnicodeCasemap
	collationDefault        = "default"
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
	Collation string // "" and "default" mean DefaultCollation
	MatchType string // "" means MatchContains
	Negate    bool
}

func (tm *TextMatch) compile() (*collation.Matcher, error) {
	c, mt := tm.Collation, tm.MatchType
	if c == "" || c == collationDefault {
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
// from XML, so that Match can be trusted to mean what it says. An invalid
// filter is reported before an unsupported one; an *UnsupportedError
// lists every element concerned.
func (f *Filter) Validate() error {
	if err := checkTest(f.Test, "filter"); err != nil {
		return err
	}
	var unsupported *UnsupportedError
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
			if _, err := pf.TextMatches[j].compile(); errors.Is(err, ErrUnsupportedFilter) {
				unsupported = unsupported.add(Unsupported{"prop-filter", strings.ToUpper(pf.Name)}, err.Error())
			} else if err != nil {
				return err
			}
		}
		for j := range pf.Params {
			pa := &pf.Params[j]
			if !contentline.ValidName(pa.Name) {
				return invalidf("param-filter name %q is not a vCard parameter name", pa.Name)
			}
			if pa.IsNotDefined && pa.TextMatch != nil {
				return invalidf("param-filter %s combines is-not-defined with text-match", pa.Name)
			}
			if pa.TextMatch == nil {
				continue
			}
			if _, err := pa.TextMatch.compile(); errors.Is(err, ErrUnsupportedFilter) {
				unsupported = unsupported.add(Unsupported{"param-filter", strings.ToUpper(pa.Name)}, err.Error())
			} else if err != nil {
				return err
			}
		}
	}
	if unsupported != nil {
		return unsupported
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

// validPropName accepts NAME or GROUP.NAME.
func validPropName(s string) bool {
	group, name, found := strings.Cut(s, ".")
	if !found {
		return contentline.ValidName(s)
	}
	return contentline.ValidName(group) && contentline.ValidName(name)
}
