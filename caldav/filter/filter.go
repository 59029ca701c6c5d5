package filter

import (
	"errors"
	"fmt"
	"time"

	"almanac/internal/collation"
	aical "almanac/internal/ical"
)

// NS is the CalDAV XML namespace (RFC 4791 3).
const NS = "urn:ietf:params:xml:ns:caldav"

var (
	// ErrInvalidFilter marks a filter the server will not evaluate; the
	// handler answers 403 with the CALDAV:valid-filter precondition
	// (RFC 4791 7.8). Errors wrap it with the precise reason.
	ErrInvalidFilter = errors.New("invalid filter")
	// ErrUnsupportedCollation marks a text-match naming a collation we do
	// not implement; the handler answers 403 with CALDAV:supported-collation
	// (RFC 4791 7.5.1).
	ErrUnsupportedCollation = errors.New("unsupported collation")
)

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidFilter, fmt.Sprintf(format, args...))
}

// Collations (RFC 4790 9.2, 9.3; RFC 5051).
const (
	CollationASCIICasemap   = collation.ASCIICasemap
	CollationOctet          = collation.Octet
	CollationUnicodeCasemap = collation.UnicodeCasemap
)

// SupportedCollations is the value of the CALDAV:supported-collation-set
// property, in the order RFC 4791 7.5.1 lists the mandatory ones.
var SupportedCollations = []string{CollationASCIICasemap, CollationOctet, CollationUnicodeCasemap}

// MaxInstances caps how many instances of one recurring component a
// time-range test expands. A component that reaches the cap before the end
// of the range matches: see doc.go.
const MaxInstances = aical.DefaultMaxInstances

// Filter is a parsed CALDAV:filter (RFC 4791 9.7).
type Filter struct {
	Comp CompFilter // Name is VCALENDAR
	// Location is the time zone in which floating DATE-TIME and DATE values
	// are read for time-range tests: the CALDAV:timezone of the query or the
	// collection's CALDAV:calendar-timezone (RFC 4791 9.9). nil means UTC.
	Location *time.Location
	// MaxInstances caps the instances of one component a time-range test
	// walks (0: MaxInstances).
	MaxInstances int
	// Budget is the request's recurrence work budget, shared by the
	// time-range tests of every object the filter is matched against and
	// by whatever else the request expands (internal/ical RequestWork);
	// nil: each walk has only its own.
	Budget *aical.Budget
}

// CompFilter is a CALDAV:comp-filter (RFC 4791 9.7.1).
type CompFilter struct {
	Name         string
	IsNotDefined bool
	TimeRange    *TimeRange
	Props        []PropFilter
	Comps        []CompFilter
}

// PropFilter is a CALDAV:prop-filter (RFC 4791 9.7.2).
type PropFilter struct {
	Name         string
	IsNotDefined bool
	TimeRange    *TimeRange
	TextMatch    *TextMatch
	Params       []ParamFilter
}

// ParamFilter is a CALDAV:param-filter (RFC 4791 9.7.3).
type ParamFilter struct {
	Name         string
	IsNotDefined bool
	TextMatch    *TextMatch
}

// TextMatch is a CALDAV:text-match (RFC 4791 9.7.5): a substring test.
type TextMatch struct {
	Value           string
	Collation       string // "" and "default" mean i;ascii-casemap
	NegateCondition bool
}

// TimeRange is a CALDAV:time-range (RFC 4791 9.9). A zero Start or End is
// unbounded on that side; at least one is set.
type TimeRange struct {
	Start, End time.Time
}

// Contains reports whether the text-match condition holds for value,
// negation included. CalDAV text-match is a substring test (RFC 4791
// 9.7.5) whose default collation is i;ascii-casemap.
func (tm *TextMatch) Contains(value string) (bool, error) {
	c := tm.Collation
	if c == "" || c == collationDefault {
		c = CollationASCIICasemap
	}
	ok, err := collation.Match(c, collation.Contains, value, tm.Value)
	if err != nil {
		return false, fmt.Errorf("%w: %q", ErrUnsupportedCollation, tm.Collation)
	}
	return ok != tm.NegateCondition, nil
}

// collationDefault is RFC 4790 3.1's name for the protocol's default
// collation, which RFC 4791 7.5 makes i;ascii-casemap.
const collationDefault = "default"

func supportedCollation(c string) bool {
	return c == "" || c == collationDefault || collation.Supported(c)
}
