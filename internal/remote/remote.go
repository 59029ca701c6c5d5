package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Client is who sent a request and what it asked for: the client's
// address and the scheme and host of the URL it used, as far as the
// connection and the trusted proxies in front of it tell.
type Client struct {
	// Addr is the client's IP address without port, or the connection's
	// remote address verbatim when that is not an IP address (a Unix
	// socket, a test).
	Addr string
	// Scheme is "http" or "https".
	Scheme string
	// Host is the host[:port] the client asked for.
	Host string
}

// BaseURL is the scheme and host the client used, without a trailing
// slash: what URLs the server hands out start with.
func (c Client) BaseURL() string { return c.Scheme + "://" + c.Host }

// Header is the family of proxy headers believed from trusted proxies.
type Header int

const (
	// XForwarded is X-Forwarded-For, X-Forwarded-Proto and
	// X-Forwarded-Host: what nginx, Caddy, Traefik, HAProxy and Apache
	// send.
	XForwarded Header = iota
	// Forwarded is RFC 7239's Forwarded header.
	Forwarded
)

// ParseHeader reads the name of a header family: "x-forwarded" or
// "forwarded".
func ParseHeader(s string) (Header, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "x-forwarded":
		return XForwarded, nil
	case "forwarded":
		return Forwarded, nil
	}
	return 0, errors.New("not one of x-forwarded, forwarded")
}

func (h Header) String() string {
	if h == Forwarded {
		return "forwarded"
	}
	return "x-forwarded"
}

// Proxies are the reverse proxies whose headers are believed. The zero
// value, and nil, trust nobody: every request is taken as it came.
type Proxies struct {
	trusted []netip.Prefix
	header  Header
}

// NewProxies trusts the given networks for the header family h.
func NewProxies(trusted []netip.Prefix, h Header) *Proxies {
	return &Proxies{trusted: trusted, header: h}
}

// ParseTrusted reads a comma-separated list of networks in CIDR
// notation, or single addresses (a /32 or /128). "" is none. A network
// that holds every address is refused: trusting it would let any client
// choose the address it is counted under.
func ParseTrusted(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			if strings.TrimSpace(s) == "" {
				return nil, nil
			}
			return nil, errors.New("empty item in the list")
		}
		var p netip.Prefix
		if strings.Contains(item, "/") {
			var err error
			if p, err = netip.ParsePrefix(item); err != nil {
				return nil, fmt.Errorf("%q is not an address or a network such as 10.0.0.0/8", item)
			}
		} else {
			a, err := netip.ParseAddr(item)
			if err != nil || a.Zone() != "" {
				return nil, fmt.Errorf("%q is not an address or a network such as 10.0.0.0/8", item)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		if p.Bits() == 0 {
			return nil, fmt.Errorf("%q trusts every address, so any client could choose its own; name the proxies", item)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// trusts reports whether a is one of the proxies.
func (p *Proxies) trusts(a netip.Addr) bool {
	if p == nil {
		return false
	}
	a = a.Unmap()
	for _, n := range p.trusted {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

type clientKey struct{}

// Handler computes the request's Client once and keeps it in the
// request's context, where Of finds it.
func (p *Proxies) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := p.Resolve(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, c)))
	})
}

// Of is the request's Client as Handler computed it; for a request that
// did not pass Handler, the connection's own, with no proxy trusted.
func Of(r *http.Request) Client {
	if c, ok := r.Context().Value(clientKey{}).(Client); ok {
		return c
	}
	return (*Proxies)(nil).Resolve(r)
}

// Resolve computes the Client of r. Headers count only when the
// connection comes from a trusted proxy. The client address is found by
// walking the address list right to left, from the connection's peer,
// skipping trusted proxies: the first address that is not one is the
// client, because the proxy that added it saw it connect; everything
// further left is whatever the client sent. An entry that is not an
// address ("unknown", an obfuscated name, garbage) ends the walk at the
// proxy that wrote it. Scheme and host are those the nearest proxy
// passes on (X-Forwarded-*), or those of the element that names the
// client (Forwarded), when they are well-formed.
func (p *Proxies) Resolve(r *http.Request) Client {
	c := Client{Addr: r.RemoteAddr, Scheme: "http", Host: r.Host}
	if r.TLS != nil {
		c.Scheme = "https"
	}
	peer, ok := parseNode(r.RemoteAddr)
	if !ok {
		return c
	}
	c.Addr = peer.String()
	if !p.trusts(peer) {
		return c
	}
	if p.header == Forwarded {
		p.walkForwarded(&c, r.Header.Values("Forwarded"))
		return c
	}
	p.walkXFF(&c, r.Header.Values("X-Forwarded-For"))
	if s, ok := lastValue(r.Header.Values("X-Forwarded-Proto")); ok {
		if s, ok := parseScheme(s); ok {
			c.Scheme = s
		}
	}
	if h, ok := lastValue(r.Header.Values("X-Forwarded-Host")); ok && validHost(h) {
		c.Host = h
	}
	return c
}

// walkXFF sets c.Addr from X-Forwarded-For field lines. The lines are one
// comma-separated list (RFC 9110 5.3); it is read from its end, so the
// work stops at the client however long a list the client sent.
func (p *Proxies) walkXFF(c *Client, lines []string) {
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		if strings.TrimSpace(line) == "" {
			continue
		}
		for {
			item, more := line, false
			if j := strings.LastIndexByte(line, ','); j >= 0 {
				item, line, more = line[j+1:], line[:j], true
			}
			// Empty items are not hops (RFC 9110 5.6.1).
			if item = strings.TrimSpace(item); item != "" {
				a, ok := parseNode(item)
				if !ok {
					return
				}
				c.Addr = a.String()
				if !p.trusts(a) {
					return
				}
			}
			if !more {
				break
			}
		}
	}
}

// walkForwarded sets c from Forwarded field lines (RFC 7239). A line
// that does not parse ends the walk: its elements cannot be told apart.
func (p *Proxies) walkForwarded(c *Client, lines []string) {
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.TrimSpace(lines[i]) == "" {
			continue
		}
		elems, err := ParseForwarded(lines[i])
		if err != nil {
			return
		}
		for j := len(elems) - 1; j >= 0; j-- {
			// Every proxy to its right is trusted, so a trusted proxy
			// wrote this element, whatever its for= holds.
			e := elems[j]
			if s, ok := parseScheme(e.Proto); ok {
				c.Scheme = s
			}
			if validHost(e.Host) {
				c.Host = e.Host
			}
			a, ok := parseNode(e.For)
			if !ok {
				return
			}
			c.Addr = a.String()
			if !p.trusts(a) {
				return
			}
		}
	}
}

// lastValue is the rightmost item of a list header: the one the nearest
// proxy wrote. Empty items are skipped (RFC 9110 5.6.1).
func lastValue(lines []string) (string, bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		for line != "" {
			item := line
			if j := strings.LastIndexByte(line, ','); j >= 0 {
				item, line = line[j+1:], line[:j]
			} else {
				line = ""
			}
			if item = strings.TrimSpace(item); item != "" {
				return item, true
			}
		}
	}
	return "", false
}

// parseNode reads an address as proxies write it: 192.0.2.1,
// 192.0.2.1:4711, 2001:db8::1, [2001:db8::1] or [2001:db8::1]:4711. A
// zone is dropped; an IPv4-mapped IPv6 address is read as IPv4.
func parseNode(s string) (netip.Addr, bool) {
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap(), true
	}
	host := s
	if h, port, err := net.SplitHostPort(s); err == nil {
		if port == "" {
			return netip.Addr{}, false
		}
		host = h
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

func parseScheme(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "http":
		return "http", true
	case "https":
		return "https", true
	}
	return "", false
}

// validHost accepts what a Host header may hold (RFC 9110 7.2): a DNS
// name or IPv4 address, or an IPv6 literal in brackets, and an optional
// port. Anything else is ignored, so that a URL built on it cannot gain
// a path, credentials or a line break.
func validHost(h string) bool {
	if h == "" || len(h) > 261 {
		return false
	}
	name, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		if a, err := netip.ParseAddr(h[1:end]); err != nil || !a.Is6() || a.Zone() != "" {
			return false
		}
		name, port = "", h[end+1:]
		if port != "" && port[0] != ':' {
			return false
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		name, port = h[:i], h[i:]
	}
	if port != "" {
		port = port[1:]
		if port == "" || len(port) > 5 {
			return false
		}
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return false
			}
		}
	}
	if name == "" {
		return strings.HasPrefix(h, "[")
	}
	if len(name) > 253 || name[0] == '.' || name[0] == '-' {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		default:
			return false
		}
	}
	return true
}
