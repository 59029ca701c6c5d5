package collation

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Collation names (RFC 4790 9.2, 9.3; RFC 5051).
const (
	Octet          = "i;octet"
	ASCIICasemap   = "i;ascii-casemap"
	UnicodeCasemap = "i;unicode-casemap"
)

// Match types (RFC 6352 10.5.4).
const (
	Equals     = "equals"
	Contains   = "contains"
	StartsWith = "starts-with"
	EndsWith   = "ends-with"
)

var (
	// ErrUnsupported marks a collation name this package does not
	// implement.
	ErrUnsupported = errors.New("unsupported collation")
	// ErrUnsupportedMatchType marks a match type other than the four
	// above.
	ErrUnsupportedMatchType = errors.New("unsupported match type")
)

// Supported reports whether name is one of the three collations.
func Supported(name string) bool {
	return name == Octet || name == ASCIICasemap || name == UnicodeCasemap
}

// SupportedMatchType reports whether mt is one of the four match types.
func SupportedMatchType(mt string) bool {
	return mt == Equals || mt == Contains || mt == StartsWith || mt == EndsWith
}

// Fold returns the form of s that the collation compares octet by octet:
// s itself for i;octet, s with A-Z lowered for i;ascii-casemap, s with
// every rune replaced by its canonical simple-folding form for
// i;unicode-casemap.
func Fold(collation, s string) (string, error) {
	switch collation {
	case Octet:
		return s, nil
	case ASCIICasemap:
		return foldASCII(s), nil
	case UnicodeCasemap:
		return foldUnicode(s), nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnsupported, collation)
}

// Match reports whether value matches pattern under the collation and
// match type. Negation is the caller's business.
func Match(collation, matchType, value, pattern string) (bool, error) {
	m, err := Compile(collation, matchType, pattern)
	if err != nil {
		return false, err
	}
	return m.Match(value), nil
}

// Matcher is a pattern folded once, for testing many values.
type Matcher struct {
	collation, matchType string
	folded               string
}

// Compile prepares pattern for Match with the given collation and match
// type.
func Compile(collation, matchType, pattern string) (*Matcher, error) {
	if !SupportedMatchType(matchType) {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedMatchType, matchType)
	}
	folded, err := Fold(collation, pattern)
	if err != nil {
		return nil, err
	}
	return &Matcher{collation: collation, matchType: matchType, folded: folded}, nil
}

// Match reports whether value matches the compiled pattern.
func (m *Matcher) Match(value string) bool {
	v, _ := Fold(m.collation, value) // the collation was checked by Compile
	switch m.matchType {
	case Equals:
		return v == m.folded
	case StartsWith:
		return strings.HasPrefix(v, m.folded)
	case EndsWith:
		return strings.HasSuffix(v, m.folded)
	default:
		return strings.Contains(v, m.folded)
	}
}

// foldASCII maps only A-Z (RFC 4790 9.2).
func foldASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// foldUnicode maps every rune to the smallest rune of its simple case
// folding orbit. For ASCII letters that is the upper-case letter (the
// other members, such as U+212A KELVIN SIGN and U+017F LONG S, are above
// 0x7F), which gives a fast path for ASCII-only strings.
func foldUnicode(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c >= 'a' && c <= 'z' {
				b := []byte(s)
				for j := i; j < len(b); j++ {
					if c := b[j]; c >= 'a' && c <= 'z' {
						b[j] = c - ('a' - 'A')
					}
				}
				return string(b)
			}
		}
		return s
	}
	return strings.Map(canonical, s)
}

func canonical(r rune) rune {
	if r == utf8.RuneError {
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}
