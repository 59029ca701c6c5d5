package clientsetup

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"almanac/storage"
)

// Security modes of a mail connection.
const (
	// SecurityTLS is implicit TLS from the first byte (RFC 8314 3.3): the
	// default, as RFC 8314 recommends it to mail clients.
	SecurityTLS = "tls"
	// SecurityStartTLS is a plain connection that the client upgrades
	// with STARTTLS before it logs in.
	SecurityStartTLS = "starttls"
	// SecurityNone is no protection: passwords cross the network in the
	// clear. Documents still describe it; the doctor calls it a failure.
	SecurityNone = "none"
)

// Protocol is a mail protocol a client is set up for.
type Protocol int

const (
	IMAP       Protocol = iota + 1 // RFC 9051
	Submission                     // RFC 6409 message submission
)

func (p Protocol) String() string {
	if p == IMAP {
		return "IMAP"
	}
	return "submission"
}

// DefaultPort is the port of p for security: 993 and 465 for implicit
// TLS (RFC 8314 7), 143 and 587 otherwise (RFC 9051, RFC 6409).
func (p Protocol) DefaultPort(security string) int {
	tls := security == SecurityTLS
	switch {
	case p == IMAP && tls:
		return 993
	case p == IMAP:
		return 143
	case tls:
		return 465
	}
	return 587
}

// Endpoint is where a client connects for one protocol, complete: a
// host, a port and a security mode.
type Endpoint struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
}

// Configured reports whether e names a host at all.
func (e Endpoint) Configured() bool { return e.Host != "" }

// Address is host:port, with brackets for an IPv6 address.
func (e Endpoint) Address() string {
	if strings.Contains(e.Host, ":") {
		return fmt.Sprintf("[%s]:%d", e.Host, e.Port)
	}
	return fmt.Sprintf("%s:%d", e.Host, e.Port)
}

// resolve completes a stored or configured endpoint for p: security
// defaults to TLS and the port to the one of the security mode. A
// missing host gives the zero Endpoint: not configured.
func resolve(p Protocol, e storage.MailEndpoint) Endpoint {
	if e.Host == "" {
		return Endpoint{}
	}
	out := Endpoint{Host: e.Host, Port: e.Port, Security: e.Security}
	if out.Security == "" {
		out.Security = SecurityTLS
	}
	if out.Port == 0 {
		out.Port = p.DefaultPort(out.Security)
	}
	return out
}

// Config is what the operator tells almanac about where mail is served
// (serve's -imap-* and -submission-* flags). A zero MailEndpoint means
// not configured: documents then leave mail out, or say they cannot
// answer.
type Config struct {
	IMAP, Submission storage.MailEndpoint
}

// For returns the endpoints the users of Mail Service s are given: each
// protocol's own endpoint of the service when it names a host, as a
// whole (its port and security do not mix with the server's), else the
// server's. s may be nil (no service: the server's).
func (c Config) For(s *storage.MailService) (imap, submission Endpoint) {
	i, sub := c.IMAP, c.Submission
	if s != nil && s.IMAP.Host != "" {
		i = s.IMAP
	}
	if s != nil && s.Submission.Host != "" {
		sub = s.Submission
	}
	return resolve(IMAP, i), resolve(Submission, sub)
}

// ParseSecurity reads a security mode in any case; "" is SecurityTLS.
func ParseSecurity(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "":
		return SecurityTLS, nil
	case SecurityTLS, SecurityStartTLS, SecurityNone:
		return v, nil
	}
	return "", errors.New("not one of tls, starttls, none")
}

// maxHostLen is the RFC 1035 limit on a name in text form.
const maxHostLen = 253

// CheckHost checks a host name that mail clients are told to connect to
// and returns it lower-cased. It is an operator's or a Mail Service
// owner's input that ends up in public documents and DNS records, so it
// is held to the letter: labels of ASCII letters, digits and hyphens
// (RFC 1123 2.1; a numeric IPv4 address passes as such), one label
// allowed (a LAN host such as "mail"), no port, no trailing dot. The
// errors say what is wrong, for people.
func CheckHost(s string) (string, error) {
	h := strings.ToLower(strings.TrimSpace(s))
	switch {
	case h == "":
		return "", errors.New("empty")
	case len(h) > maxHostLen:
		return "", fmt.Errorf("longer than %d characters", maxHostLen)
	case strings.HasSuffix(h, "."):
		return "", errors.New("must not end with a dot")
	case strings.Contains(h, ":"):
		return "", errors.New("a host name without a port (and not an IPv6 address: use a name)")
	}
	for _, l := range strings.Split(h, ".") {
		switch {
		case l == "":
			return "", errors.New("has an empty part (two dots in a row, or a leading dot)")
		case len(l) > 63:
			return "", errors.New("each part must be at most 63 characters")
		case l[0] == '-' || l[len(l)-1] == '-':
			return "", errors.New("a part cannot start or end with a hyphen")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
			case c >= utf8.RuneSelf:
				return "", errors.New("must use ASCII letters; write an international name in its xn-- form")
			default:
				return "", fmt.Errorf("the character %q is not allowed in a host name", c)
			}
		}
	}
	return h, nil
}

// CheckEndpoint checks an endpoint given for p: CheckHost, a port from
// 1 to 65535 or 0 (the default of the security mode) and a security
// mode. It returns the endpoint as it is stored (host lower-cased,
// security spelled out). The error names the field at fault.
func CheckEndpoint(e storage.MailEndpoint) (storage.MailEndpoint, *FieldError) {
	host, err := CheckHost(e.Host)
	if err != nil {
		return e, &FieldError{Field: "host", Err: err}
	}
	if e.Port < 0 || e.Port > 65535 {
		return e, &FieldError{Field: "port", Err: errors.New("must be from 1 to 65535, or 0 for the default of the security mode")}
	}
	sec, err := ParseSecurity(e.Security)
	if err != nil {
		return e, &FieldError{Field: "security", Err: err}
	}
	return storage.MailEndpoint{Host: host, Port: e.Port, Security: sec}, nil
}

// FieldError is a bad value of one field.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }
