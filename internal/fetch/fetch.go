// Package fetch gets a file from a URL a user gave, for the server:
// bounded in size, time and redirects, over http and https only, and
// never from an address of the server's own networks unless the
// operator allows it, so that a user cannot make the server read what
// only it can reach (server-side request forgery: the loopback
// interface, the LAN, a cloud's metadata service at 169.254.169.254).
//
// The address check runs when a connection is made, on the address
// dialed, after name resolution: a name that resolves to a public
// address when checked and to a private one when used (DNS rebinding)
// is caught, and so is every redirect's target. No proxy from the
// environment is used, as the check would then see only the proxy.
//
// Refused (Options.AllowPrivate false): loopback (127.0.0.0/8, ::1),
// private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local
// (169.254/16, fe80::/10), unspecified, multicast, and the special
// ranges that reach the same places: 0.0.0.0/8, 100.64.0.0/10 (carrier
// NAT), 192.0.0.0/24, 198.18.0.0/15 (benchmarking), 240.0.0.0/4 and
// the broadcast address; in IPv6 also ::/96, 64:ff9b:1::/48 and the
// site-local fec0::/10, and the refused IPv4 addresses where IPv6 ones
// embed them (IPv4-mapped, NAT64 64:ff9b::/96, 6to4 2002::/16).
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults of Options.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRedirects = 5
)

// Options bounds what a Client fetches.
type Options struct {
	MaxBytes int64 // the largest body read; required
	// Timeout bounds a whole fetch, redirects and body included
	// (0: DefaultTimeout).
	Timeout time.Duration
	// MaxRedirects is how many redirects are followed
	// (0: DefaultMaxRedirects; negative: none).
	MaxRedirects int
	// AllowPrivate lets the client reach the refused addresses: for a
	// server whose users may import from its own network.
	AllowPrivate bool
	// UserAgent is sent with every request ("" : Go's).
	UserAgent string

	// allowed replaces the address rule (tests).
	allowed func(netip.Addr) bool
}

// Client fetches files. It is safe for concurrent use.
type Client struct {
	hc   *http.Client
	opts Options
}

// Kind tells what went wrong, for the caller's answer.
type Kind uint8

const (
	// BadURL: the URL cannot be fetched as given (not absolute http or
	// https, no host).
	BadURL Kind = iota + 1
	// NotAllowed: the URL leads to an address the server does not fetch
	// from.
	NotAllowed
	// Failed: the server did not answer with the file (no such host,
	// connection refused, timeout, an error status, too many redirects).
	Failed
	// TooLarge: the file is larger than Options.MaxBytes.
	TooLarge
)

// Error is a fetch that did not get the file. Message is written for the
// user who gave the URL and names no credentials; Err is the cause, for
// logs.
type Error struct {
	Kind    Kind
	Message string
	// Host is the URL's host (no port), "" when the URL did not parse:
	// what logs may name, as the path and query of a calendar's private
	// link are its secret.
	Host string
	// Err names no URL either.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "fetch: " + e.Message + ": " + e.Err.Error()
	}
	return "fetch: " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// errRefused marks a connection the address rule refused.
type errRefused struct{ addr netip.Addr }

func (e *errRefused) Error() string { return "address " + e.addr.String() + " is not allowed" }

// New returns a client.
func New(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.allowed == nil {
		opts.allowed = func(a netip.Addr) bool { return opts.AllowPrivate || Public(a) }
	}
	dialer := &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("dial %s: %w", address, err)
			}
			if a := ap.Addr().Unmap(); !opts.allowed(a) {
				return &errRefused{a}
			}
			return nil
		},
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	c := &Client{opts: opts}
	c.hc = &http.Client{
		Transport: tr,
		Timeout:   opts.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > max(opts.MaxRedirects, 0) {
				return &Error{Kind: Failed, Message: fmt.Sprintf("more than %d redirects", max(opts.MaxRedirects, 0))}
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return &Error{Kind: Failed, Message: "a redirect leads to a URL that is not http or https"}
			}
			return nil
		},
	}
	return c
}

// CheckURL parses raw as a URL the client fetches: absolute, http or
// https, with a host. Errors are *Error of Kind BadURL.
func CheckURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, &Error{Kind: BadURL, Message: "the URL is empty"}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &Error{Kind: BadURL, Message: "not a URL"}
	}
	switch {
	case u.Scheme == "webcal" || u.Scheme == "webcals":
		// A calendar subscription link is the https URL it names.
		u.Scheme = "https"
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, &Error{Kind: BadURL, Message: "only http and https URLs are fetched"}
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, &Error{Kind: BadURL, Message: "the URL names no host"}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, &Error{Kind: BadURL, Message: "the URL's port is not a number from 1 to 65535"}
		}
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// Response is a file fetched.
type Response struct {
	URL         string // after redirects, without credentials
	ContentType string
	Body        []byte
}

// Get fetches raw. Every failure is an *Error.
func (c *Client) Get(ctx context.Context, raw string) (*Response, error) {
	u, err := CheckURL(raw)
	if err != nil {
		return nil, err
	}
	resp, err := c.get(ctx, u)
	if fe := (*Error)(nil); errors.As(err, &fe) {
		fe.Host = u.Hostname()
	}
	return resp, err
}

func (c *Client) get(ctx context.Context, u *url.URL) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &Error{Kind: BadURL, Message: "not a URL", Err: err}
	}
	if c.opts.UserAgent != "" {
		req.Header.Set("User-Agent", c.opts.UserAgent)
	}
	req.Header.Set("Accept", "text/calendar, text/vcard, text/x-vcard, text/plain;q=0.5, */*;q=0.1")
	host := u.Host
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.failure(host, err)
	}
	defer resp.Body.Close()
	where := resp.Request.URL.Redacted()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &Error{Kind: Failed, Message: fmt.Sprintf("%s answered %s", where, statusText(resp))}
	}
	if resp.ContentLength > c.opts.MaxBytes {
		return nil, c.tooLarge(where)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBytes+1))
	if err != nil {
		return nil, c.failure(host, err)
	}
	if int64(len(body)) > c.opts.MaxBytes {
		return nil, c.tooLarge(where)
	}
	return &Response{URL: where, ContentType: resp.Header.Get("Content-Type"), Body: body}, nil
}

func (c *Client) tooLarge(where string) *Error {
	return &Error{Kind: TooLarge, Message: fmt.Sprintf("the file at %s is larger than %d bytes", where, c.opts.MaxBytes)}
}

func statusText(resp *http.Response) string {
	if t := http.StatusText(resp.StatusCode); t != "" {
		return fmt.Sprintf("%d %s", resp.StatusCode, t)
	}
	return strconv.Itoa(resp.StatusCode)
}

// failure turns a transport error into an *Error that says what
// happened in words, naming the host (never the URL, which may hold
// credentials).
func (c *Client) failure(host string, err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	// The cause without the URL, which *url.Error would print.
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = ue.Err
	}
	var refused *errRefused
	var dnsErr *net.DNSError
	var ne net.Error
	switch {
	case errors.As(err, &refused):
		return &Error{Kind: NotAllowed, Message: fmt.Sprintf("%s leads to %s, an address of a private or local network, which this server does not fetch from", host, refused.addr), Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Kind: Failed, Message: "the request was cancelled", Err: err}
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return &Error{Kind: Failed, Message: fmt.Sprintf("%s did not send the file within %s", host, c.opts.Timeout), Err: err}
	case errors.As(err, &dnsErr):
		return &Error{Kind: Failed, Message: fmt.Sprintf("the host %s is not found", dnsErr.Name), Err: err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Error{Kind: Failed, Message: fmt.Sprintf("%s refused the connection", host), Err: err}
	}
	return &Error{Kind: Failed, Message: fmt.Sprintf("the file could not be fetched from %s", host), Err: err}
}

// Public reports whether a is an address of the public internet, one the
// client fetches from without Options.AllowPrivate.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range special {
		if p.Contains(a) {
			return false
		}
	}
	if a.Is6() {
		for _, p := range embedding {
			if p.Contains(a) {
				b := a.As16()
				var v4 [4]byte
				if p == sixToFour {
					copy(v4[:], b[2:6])
				} else {
					copy(v4[:], b[12:16])
				}
				return Public(netip.AddrFrom4(v4))
			}
		}
	}
	return true
}

var (
	special = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),
		netip.MustParsePrefix("100.64.0.0/10"),
		netip.MustParsePrefix("192.0.0.0/24"),
		netip.MustParsePrefix("198.18.0.0/15"),
		netip.MustParsePrefix("240.0.0.0/4"), // the broadcast address too
		netip.MustParsePrefix("::/96"),       // IPv4-compatible, deprecated
		netip.MustParsePrefix("64:ff9b:1::/48"),
		netip.MustParsePrefix("fec0::/10"), // site-local, deprecated
	}
	sixToFour = netip.MustParsePrefix("2002::/16")
	embedding = []netip.Prefix{netip.MustParsePrefix("64:ff9b::/96"), sixToFour}
)
