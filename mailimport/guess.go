package mailimport

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
)

// Security modes of an IMAP connection.
const (
	SecurityTLS      = "tls"      // TLS from the first byte (port 993)
	SecurityStartTLS = "starttls" // plain, then STARTTLS (port 143)
	SecurityNone     = "none"     // no encryption: only when asked for
)

// Endpoint is an IMAP server.
type Endpoint struct {
	Host     string
	Port     int
	Security string
}

func (e Endpoint) String() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// defaultPort is the IANA port of a security mode.
func defaultPort(security string) int {
	if security == SecurityTLS {
		return 993
	}
	return 143
}

// providers are the IMAP servers of well-known providers, by the domain
// of an address. All take TLS on 993.
var providers = map[string]string{
	"gmail.com":      "imap.gmail.com",
	"googlemail.com": "imap.gmail.com",
	"outlook.com":    "outlook.office365.com",
	"hotmail.com":    "outlook.office365.com",
	"hotmail.fr":     "outlook.office365.com",
	"hotmail.co.uk":  "outlook.office365.com",
	"live.com":       "outlook.office365.com",
	"live.fr":        "outlook.office365.com",
	"msn.com":        "outlook.office365.com",
	"yahoo.com":      "imap.mail.yahoo.com",
	"yahoo.fr":       "imap.mail.yahoo.com",
	"yahoo.co.uk":    "imap.mail.yahoo.com",
	"yahoo.de":       "imap.mail.yahoo.com",
	"ymail.com":      "imap.mail.yahoo.com",
	"rocketmail.com": "imap.mail.yahoo.com",
	"aol.com":        "imap.aol.com",
	"icloud.com":     "imap.mail.me.com",
	"me.com":         "imap.mail.me.com",
	"mac.com":        "imap.mail.me.com",
	"gmx.net":        "imap.gmx.net",
	"gmx.de":         "imap.gmx.net",
	"gmx.ch":         "imap.gmx.net",
	"gmx.at":         "imap.gmx.net",
	"gmx.com":        "imap.gmx.com",
	"web.de":         "imap.web.de",
	"mail.com":       "imap.mail.com",
	"fastmail.com":   "imap.fastmail.com",
	"zoho.com":       "imap.zoho.com",
	"yandex.com":     "imap.yandex.com",
	"yandex.ru":      "imap.yandex.com",
	"bluewin.ch":     "imaps.bluewin.ch",
	"ik.me":          "mail.infomaniak.com",
	"ikmail.com":     "mail.infomaniak.com",
	"etik.com":       "mail.infomaniak.com",
	"orange.fr":      "imap.orange.fr",
	"free.fr":        "imap.free.fr",
	"laposte.net":    "imap.laposte.net",
	"t-online.de":    "secureimap.t-online.de",
}

// Guess is where the mailbox at address is most likely served: the
// provider's server for a well-known domain (known true), else the
// domain's "imap." name; TLS on 993 either way.
func Guess(address string) (ep Endpoint, known bool) {
	_, domain, _ := strings.Cut(strings.ToLower(strings.TrimSpace(address)), "@")
	if host, ok := providers[domain]; ok {
		return Endpoint{Host: host, Port: 993, Security: SecurityTLS}, true
	}
	return Endpoint{Host: "imap." + domain, Port: 993, Security: SecurityTLS}, false
}

// checkAddress accepts a bare mail address (no display name), as
// IMAP logins and the confirmation mail need it.
func checkAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("is required")
	}
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>\"") {
		return "", fmt.Errorf("%q is not a mail address", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", fmt.Errorf("%q is not a mail address", s)
	}
	if _, domain, _ := strings.Cut(s, "@"); !strings.Contains(domain, ".") {
		return "", fmt.Errorf("%q is not a mail address: its domain has no dot", s)
	}
	return s, nil
}

// checkHost accepts a DNS name or an IP address, without a port.
func checkHost(s string) (string, error) {
	s = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	if ip := net.ParseIP(strings.Trim(s, "[]")); ip != nil {
		return ip.String(), nil
	}
	if s == "" || len(s) > 253 {
		return "", errors.New("is not a host name")
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", fmt.Errorf("%q is not a host name", s)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", fmt.Errorf("%q is not a host name (give the port apart)", s)
			}
		}
	}
	return s, nil
}

func checkSecurity(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case SecurityTLS, SecurityStartTLS, SecurityNone:
		return v, nil
	}
	return "", fmt.Errorf("%q is not one of tls, starttls, none", s)
}

// resolveEndpoint is where a source is read from: what the user gave,
// the rest guessed from the address. It reports whether the host was
// guessed. Errors name the field.
func resolveEndpoint(address, host string, port int, security string) (Endpoint, bool, *fieldError) {
	ep, _ := Guess(address)
	guessed := true
	if strings.TrimSpace(host) != "" {
		h, err := checkHost(host)
		if err != nil {
			return ep, false, &fieldError{"imap_host", "the IMAP host " + err.Error()}
		}
		ep.Host, guessed = h, false
	}
	if strings.TrimSpace(security) != "" {
		s, err := checkSecurity(security)
		if err != nil {
			return ep, false, &fieldError{"imap_security", "the IMAP security " + err.Error()}
		}
		ep.Security = s
		ep.Port = defaultPort(s)
	}
	if port != 0 {
		if port < 1 || port > 65535 {
			return ep, false, &fieldError{"imap_port", fmt.Sprintf("the IMAP port %d is not from 1 to 65535", port)}
		}
		ep.Port = port
	}
	return ep, guessed, nil
}

// fieldError is a value that cannot be used, with the field it came in.
type fieldError struct {
	field, msg string
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }
