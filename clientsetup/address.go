package clientsetup

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Address is an email address a client asked about, parsed.
type Address struct {
	// Local is the local part as given, unquoted: `"anna"` is anna.
	// Quoted reports that it was a quoted string whose content is no
	// dot-atom (`"john doe"`): such a name is never a mailbox here.
	Local  string
	Quoted bool
	// Domain is lower-case ASCII, an international name in its A-label
	// (xn--) form, as Mail Services store domains.
	Domain string
}

// String is the address as looked up: local@domain.
func (a Address) String() string { return a.Local + "@" + a.Domain }

// ErrAddress is the error of every address ParseAddress refuses; the
// wrapped text says what is wrong, in words meant for people.
var ErrAddress = errors.New("not an email address")

// maxAddressInput bounds what ParseAddress reads: RFC 5321 4.5.3.1
// allows 64 + 1 + 255 octets, and quoting (each character escaped)
// can at most double a local part.
const maxAddressInput = 512

// maxLocalLen is the RFC 5321 4.5.3.1.1 limit on a local part.
const maxLocalLen = 64

// ParseAddress reads an address a mail client sent: autoconfig's
// emailaddress parameter and Autodiscover's EMailAddress, which anyone
// may send. It accepts RFC 5322 addr-spec with RFC 6532 UTF-8: a
// dot-atom or quoted-string local part, and a domain of dot-separated
// labels, Unicode labels turned into their A-label (IDNA, RFC 3492
// Punycode of the lower-cased label). Surrounding spaces are dropped.
// It refuses, with ErrAddress, any control character (a CR or LF would
// let a value break out of a header or a line), comments, domain
// literals ([192.0.2.1]: no Mail Service has one) and anything longer
// than the RFC 5321 limits. It looks nothing up.
func ParseAddress(s string) (Address, error) {
	var a Address
	if len(s) > maxAddressInput {
		return a, addrErr("it is too long")
	}
	if !utf8.ValidString(s) {
		return a, addrErr("it is not valid UTF-8")
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }) {
		return a, addrErr("it contains a control character")
	}
	s = strings.Trim(s, " ")
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return a, addrErr("it has no @")
	}
	local, domain := s[:at], s[at+1:]
	var err error
	if a.Local, a.Quoted, err = parseLocal(local); err != nil {
		return Address{}, err
	}
	if a.Domain, err = domainToASCII(domain); err != nil {
		return Address{}, err
	}
	return a, nil
}

func addrErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrAddress, fmt.Sprintf(format, args...))
}

// parseLocal reads a dot-atom or a quoted-string (RFC 5322 3.2.4, 3.4.1)
// and returns its content. A quoted string whose content is a dot-atom
// is that dot-atom (RFC 5321 4.1.2).
func parseLocal(s string) (local string, quoted bool, err error) {
	switch {
	case s == "":
		return "", false, addrErr("the name before the @ is empty")
	case s[0] == '"':
		content, err := unquote(s)
		if err != nil {
			return "", false, err
		}
		if len(content) > maxLocalLen {
			return "", false, addrErr("the name before the @ is longer than %d octets", maxLocalLen)
		}
		if dotAtom(content) == nil {
			return content, false, nil
		}
		return content, true, nil
	case len(s) > maxLocalLen:
		return "", false, addrErr("the name before the @ is longer than %d octets", maxLocalLen)
	}
	if err := dotAtom(s); err != nil {
		return "", false, err
	}
	return s, false, nil
}

// dotAtom checks RFC 5322 dot-atom-text with RFC 6532 UTF-8 characters.
func dotAtom(s string) error {
	if s == "" {
		return addrErr("the name before the @ is empty")
	}
	if s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return addrErr("the name before the @ has a misplaced dot")
	}
	for _, r := range s {
		if r != '.' && !atext(r) {
			return addrErr("the name before the @ has a character that is allowed only in quotes")
		}
	}
	return nil
}

// atext is RFC 5322 atext, or a non-ASCII character (RFC 6532 3.2).
func atext(r rune) bool {
	switch {
	case r >= utf8.RuneSelf:
		return true
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// unquote reads a quoted-string that is all of s: qtext and
// quoted-pairs between two quotes, no folding.
func unquote(s string) (string, error) {
	if len(s) < 2 || s[len(s)-1] != '"' {
		return "", addrErr("the quoted name before the @ is not closed")
	}
	var b strings.Builder
	body := s[1 : len(s)-1]
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '\\':
			if i+1 == len(body) {
				return "", addrErr("the quoted name before the @ ends in a backslash")
			}
			i++
			b.WriteByte(body[i])
		case '"':
			return "", addrErr("the quoted name before the @ has a quote inside")
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// domainToASCII turns a domain into the form Mail Services store: lower
// case, Unicode labels as A-labels. It needs two labels or more, as
// Mail Service domains do.
func domainToASCII(s string) (string, error) {
	switch {
	case s == "":
		return "", addrErr("the domain after the @ is empty")
	case s[0] == '[':
		return "", addrErr("an address literal such as [192.0.2.1] is not a mail domain")
	case strings.HasSuffix(s, "."):
		return "", addrErr("the domain ends with a dot")
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return "", addrErr("the domain needs at least two parts, such as example.com")
	}
	for i, l := range labels {
		a, err := labelToASCII(l)
		if err != nil {
			return "", err
		}
		labels[i] = a
	}
	out := strings.Join(labels, ".")
	if len(out) > maxHostLen {
		return "", addrErr("the domain is longer than %d characters", maxHostLen)
	}
	return out, nil
}

// labelToASCII is one label in the form DNS carries it. Unicode labels
// are lower-cased and Punycode-encoded (IDNA2008 U-label to A-label,
// RFC 5891 4.4), allowing letters, marks and digits only. The full
// IDNA mapping (UTS 46: width folding, NFC) is not applied: a label
// spelled another way is a different label and finds nothing, which is
// the safe way to be wrong.
func labelToASCII(l string) (string, error) {
	if l == "" {
		return "", addrErr("the domain has an empty part (two dots in a row, or a leading dot)")
	}
	ascii := true
	for i := 0; i < len(l); i++ {
		if l[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		l = strings.ToLower(l)
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
				return "", addrErr("the domain has a character that is not allowed in a domain name")
			}
		}
		p, err := punycode(l)
		if err != nil {
			return "", err
		}
		l = "xn--" + p
	} else {
		l = strings.ToLower(l)
	}
	if len(l) > 63 {
		return "", addrErr("a part of the domain is longer than 63 characters")
	}
	if l[0] == '-' || l[len(l)-1] == '-' {
		return "", addrErr("a part of the domain starts or ends with a hyphen")
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return "", addrErr("the domain has a character that is not allowed in a domain name")
		}
	}
	return l, nil
}

// RFC 3492 5: the Punycode parameters of IDNA.
const (
	pcBase        = 36
	pcTMin        = 1
	pcTMax        = 26
	pcSkew        = 38
	pcDamp        = 700
	pcInitialBias = 72
	pcInitialN    = 128
	// pcMaxInt keeps the arithmetic within 32 bits, where RFC 3492 6.4
	// defines overflow.
	pcMaxInt = 1<<31 - 1
)

// punycode encodes s by RFC 3492 6.3 (lower-case digits). Labels are
// at most 63 octets afterwards, so an input whose encoding would
// overflow is refused long before that matters.
func punycode(s string) (string, error) {
	runes := []rune(s)
	out := make([]byte, 0, len(s)+8)
	for _, r := range runes {
		if r < 0x80 {
			out = append(out, byte(r))
		}
	}
	b := len(out)
	h := b
	if b > 0 {
		out = append(out, '-')
	}
	n, delta, bias := pcInitialN, 0, pcInitialBias
	for h < len(runes) {
		m := pcMaxInt
		for _, r := range runes {
			if int(r) >= n && int(r) < m {
				m = int(r)
			}
		}
		if m-n > (pcMaxInt-delta)/(h+1) {
			return "", addrErr("the domain cannot be encoded")
		}
		delta += (m - n) * (h + 1)
		n = m
		for _, r := range runes {
			c := int(r)
			if c < n {
				if delta++; delta > pcMaxInt-1 {
					return "", addrErr("the domain cannot be encoded")
				}
			}
			if c != n {
				continue
			}
			q := delta
			for k := pcBase; ; k += pcBase {
				t := min(max(k-bias, pcTMin), pcTMax)
				if q < t {
					break
				}
				out = append(out, pcDigit(t+(q-t)%(pcBase-t)))
				q = (q - t) / (pcBase - t)
			}
			out = append(out, pcDigit(q))
			bias = pcAdapt(delta, h+1, h == b)
			delta = 0
			h++
		}
		delta++
		n++
	}
	return string(out), nil
}

func pcDigit(d int) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}

// pcAdapt is RFC 3492 6.1.
func pcAdapt(delta, numPoints int, first bool) int {
	if first {
		delta /= pcDamp
	} else {
		delta /= 2
	}
	delta += delta / numPoints
	k := 0
	for delta > ((pcBase-pcTMin)*pcTMax)/2 {
		delta /= pcBase - pcTMin
		k += pcBase
	}
	return k + (pcBase-pcTMin+1)*delta/(delta+pcSkew)
}

// ParseDomain reads a mail domain as ParseAddress reads the part after
// the @: lower case, Unicode labels as A-labels.
func ParseDomain(s string) (string, error) {
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", addrErr("it contains a control character")
	}
	return domainToASCII(strings.TrimSpace(s))
}
