package mailbox

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLocalPartLen is the RFC 5321 section 4.5.3.1.1 limit on a local part.
const MaxLocalPartLen = 64

// MaxDomainLen is the RFC 1035 limit on a domain name in text form
// (255 octets on the wire, less the length bytes and root label).
const MaxDomainLen = 253

// maxLabelLen is the RFC 1035 limit on one DNS label.
const maxLabelLen = 63

// isAtext reports whether c is an RFC 5322 atext character: ALPHA, DIGIT
// or one of !#$%&'*+-/=?^_`{|}~.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// ValidLocalPart reports whether s is an RFC 5321 dot-atom local part of
// at most 64 octets (atext: ALPHA DIGIT and !#$%&'*+-/=?^_`{|}~ ; dots
// not first/last/doubled). Returns a user-facing reason when not.
//
// Quoted local parts and non-ASCII (SMTPUTF8) local parts are refused.
// One rule is stricter than RFC 5321: a leading '#' is refused, because
// Dovecot passwd-files and Postfix lookup tables read a line that starts
// with '#' as a comment, so such a mailbox could never be exported.
func ValidLocalPart(s string) (reason string, ok bool) {
	switch {
	case s == "":
		return "the name before the @ is empty", false
	case len(s) > MaxLocalPartLen:
		return fmt.Sprintf("the name before the @ is longer than %d characters", MaxLocalPartLen), false
	case s[0] == '.':
		return "the name before the @ cannot start with a dot", false
	case s[len(s)-1] == '.':
		return "the name before the @ cannot end with a dot", false
	case strings.Contains(s, ".."):
		return "the name before the @ cannot contain two dots in a row", false
	case s[0] == '#':
		return "the name before the @ cannot start with #", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' || isAtext(c):
			continue
		case c == '"':
			return "quoted names are not supported; use only letters, digits and !#$%&'*+-/=?^_`{|}~ and dots", false
		case c == '@':
			return "the name before the @ cannot contain another @", false
		case c >= utf8.RuneSelf:
			return "only ASCII letters are allowed; accented and non-Latin letters are not supported", false
		case c == ' ' || c == '\t':
			return "the name before the @ cannot contain spaces", false
		case c < ' ' || c == 0x7f:
			return "the name before the @ contains a control character", false
		default:
			return fmt.Sprintf("the character %q is not allowed; use only letters, digits and !#$%%&'*+-/=?^_`{|}~ and dots", c), false
		}
	}
	return "", true
}

// ValidDomain reports whether s is a DNS domain name (lower-case it
// first; labels 1-63 of [a-z0-9-], not starting/ending with '-', at least
// two labels, total <= 253). Returns a user-facing reason when not.
//
// A trailing dot (absolute form) and internationalised names in Unicode
// form are refused; IDNs must be given in their ASCII "xn--" form.
func ValidDomain(s string) (reason string, ok bool) {
	s = strings.ToLower(s)
	switch {
	case s == "":
		return "the domain is empty", false
	case len(s) > MaxDomainLen:
		return fmt.Sprintf("the domain is longer than %d characters", MaxDomainLen), false
	case strings.HasSuffix(s, "."):
		return "the domain cannot end with a dot", false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return "the domain needs at least two parts, such as example.com", false
	}
	for _, l := range labels {
		switch {
		case l == "":
			return "the domain cannot contain an empty part (two dots in a row, or a leading dot)", false
		case len(l) > maxLabelLen:
			return fmt.Sprintf("each part of the domain must be at most %d characters", maxLabelLen), false
		case l[0] == '-' || l[len(l)-1] == '-':
			return "a part of the domain cannot start or end with a hyphen", false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '-' {
				continue
			}
			if c >= utf8.RuneSelf {
				return "the domain must use ASCII letters; write international domains in their xn-- form", false
			}
			return fmt.Sprintf("the character %q is not allowed in a domain; use letters, digits and hyphens", c), false
		}
	}
	return "", true
}

// ValidAddress reports whether s is local@domain with ValidLocalPart and
// ValidDomain both true. The domain is checked case-insensitively.
func ValidAddress(s string) (reason string, ok bool) {
	i := strings.LastIndexByte(s, '@')
	if i < 0 {
		return "the address needs an @", false
	}
	if reason, ok := ValidLocalPart(s[:i]); !ok {
		return reason, false
	}
	return ValidDomain(s[i+1:])
}

// maxInitials bounds the letters FallbackUsername takes from a name.
const maxInitials = 3

// FallbackUsername returns a login-free username for an account whose
// login mailbox is deleted: the initials of name (letters only, lower
// case, up to 3; "user" when none) followed by 4 random digits, e.g.
// "jd4821".
//
// Words are runs of letters, so "Jean-Luc Picard" gives "jlp". Only ASCII
// initials are kept (the result is also a valid local part); a word that
// starts with any other letter contributes nothing. The digits come from
// crypto/rand, so the result is not predictable, but it is not unique
// either: callers must check for collisions and retry.
func FallbackUsername(name string) string {
	var b strings.Builder
	inWord := false
	for _, r := range name {
		if !unicode.IsLetter(r) {
			inWord = false
			continue
		}
		if inWord {
			continue
		}
		inWord = true
		if b.Len() < maxInitials && r < utf8.RuneSelf {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	if b.Len() == 0 {
		b.WriteString("user")
	}
	n, err := rand.Int(rand.Reader, big.NewInt(10000))
	if err != nil {
		panic("mailbox: crypto/rand failed: " + err.Error()) // unreachable since Go 1.24
	}
	fmt.Fprintf(&b, "%04d", n.Int64())
	return b.String()
}
