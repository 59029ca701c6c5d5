package mailimport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Kinds of connection failure, each with its words for the user.
type failKind int

const (
	failAuth     failKind = iota + 1 // the server refused the login
	failResolve                      // no such host name
	failRefused                      // nothing listens there
	failTimeout                      // no answer, or no progress, in time
	failTLS                          // the secure connection failed
	failPrivate                      // a private address, not allowed
	failProtocol                     // not an IMAP server, or one we cannot use
	failLost                         // the connection broke
)

// connError is a connection to an IMAP server that failed. Its Error
// is for logs; words is for the user, naming the server, never the
// password.
type connError struct {
	kind failKind
	ep   Endpoint
	op   string
	err  error
}

func (e *connError) Error() string {
	return fmt.Sprintf("mailimport: %s %s: %v", e.op, e.ep, e.err)
}

func (e *connError) Unwrap() error { return e.err }

// words says what went wrong in the user's terms.
func (e *connError) words() string {
	switch e.kind {
	case failAuth:
		return fmt.Sprintf("%s refused the address or the password (some providers, such as Gmail with 2-step verification, Yahoo or iCloud, want an app password made for this)", e.ep.Host)
	case failResolve:
		return fmt.Sprintf("the server name %s does not exist; give the IMAP server of this address", e.ep.Host)
	case failRefused:
		return fmt.Sprintf("nothing answers at %s; check the IMAP server and port", e.ep)
	case failTimeout:
		return fmt.Sprintf("%s did not answer in time", e.ep)
	case failTLS:
		return fmt.Sprintf("the secure connection to %s failed: %s", e.ep, tlsWords(e.err))
	case failPrivate:
		return fmt.Sprintf("%s is a private or local address, which this server does not connect to", e.ep.Host)
	case failProtocol:
		return fmt.Sprintf("%s does not answer as an IMAP server that can be used here (%s)", e.ep, protocolWords(e.err))
	}
	return fmt.Sprintf("the connection to %s was lost", e.ep)
}

func tlsWords(err error) string {
	var host x509.HostnameError
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &host):
		return "its certificate is for another name"
	case errors.As(err, &unknown):
		return "its certificate is not signed by a known authority"
	case errors.As(err, &invalid):
		return "its certificate is not valid (expired?)"
	case errors.Is(err, errNoStartTLS):
		return "it does not offer STARTTLS; choose tls or none"
	}
	return "check the port and the security mode (tls for 993, starttls for 143)"
}

var (
	errNoStartTLS     = errors.New("the server does not offer STARTTLS")
	errLoginDisabled  = errors.New("the server refuses passwords without encryption")
	errNotIMAP4       = errors.New("the server does not speak IMAP4rev1")
	errPrivateAddress = errors.New("private address")
)

func protocolWords(err error) string {
	switch {
	case errors.Is(err, errLoginDisabled):
		return "it refuses passwords without encryption; choose starttls or tls"
	case errors.Is(err, errNotIMAP4):
		return "it does not speak IMAP4rev1"
	}
	return "its greeting is not IMAP"
}

// dialer opens IMAP connections whose every wait is bounded: connecting
// and logging in within connectTimeout, and each command making
// progress within idleTimeout. A connection with no command running may
// stay quiet as long as the server lets it.
type dialer struct {
	allowPrivate   bool
	connectTimeout time.Duration
	idleTimeout    time.Duration
	tlsConfig      *tls.Config // nil: the system's roots
}

// session is one logged-in IMAP connection.
type session struct {
	c  *imapclient.Client
	g  *guardedConn
	ep Endpoint
}

// login connects to ep and logs in as user. A server that refuses the
// password is failAuth; ctx ends the connection whenever it is done.
func (d *dialer) login(ctx context.Context, ep Endpoint, user, password string) (*session, error) {
	fail := func(kind failKind, op string, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return &connError{kind: kind, ep: ep, op: op, err: err}
	}
	nd := &net.Dialer{Timeout: d.connectTimeout}
	if !d.allowPrivate {
		nd.Control = refusePrivate
	}
	raw, err := nd.DialContext(ctx, "tcp", net.JoinHostPort(ep.Host, strconv.Itoa(ep.Port)))
	if err != nil {
		return nil, fail(dialKind(err), "connect to", err)
	}
	g := guard(ctx, raw, d.idleTimeout)
	// Everything up to the login's answer shares one deadline.
	timer := time.AfterFunc(d.connectTimeout, g.stall)
	defer timer.Stop()
	g.begin()
	defer g.end()

	tlsConfig := d.tlsConfig.Clone()
	if tlsConfig == nil {
		tlsConfig = &tls.Config{}
	}
	tlsConfig.ServerName = ep.Host
	if tlsConfig.MinVersion == 0 {
		tlsConfig.MinVersion = tls.VersionTLS12
	}
	opts := &imapclient.Options{TLSConfig: tlsConfig}
	var c *imapclient.Client
	switch ep.Security {
	case SecurityTLS:
		tc := tls.Client(g, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			g.Close()
			if g.stalled.Load() {
				return nil, fail(failTimeout, "tls handshake with", err)
			}
			return nil, fail(failTLS, "tls handshake with", err)
		}
		c = imapclient.New(tc, opts)
	case SecurityStartTLS:
		c, err = imapclient.NewStartTLS(g, opts)
		if err != nil {
			g.Close()
			var ie *imap.Error
			switch {
			case g.stalled.Load():
				return nil, fail(failTimeout, "starttls with", err)
			case errors.As(err, &ie):
				return nil, fail(failTLS, "starttls with", fmt.Errorf("%w: %v", errNoStartTLS, err))
			}
			return nil, fail(failTLS, "starttls with", err)
		}
	default:
		c = imapclient.New(g, opts)
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, fail(greetingKind(g, err), "greeting of", err)
	}
	caps := c.Caps()
	if caps == nil {
		c.Close()
		return nil, fail(greetingKind(g, errors.New("no capabilities")), "capabilities of", errors.New("no capabilities"))
	}
	if !caps.Has(imap.CapIMAP4rev1) && !caps.Has(imap.CapIMAP4rev2) {
		c.Close()
		return nil, fail(failProtocol, "capabilities of", errNotIMAP4)
	}
	if caps.Has(imap.CapLoginDisabled) {
		c.Close()
		return nil, fail(failProtocol, "login to", errLoginDisabled)
	}
	if err := c.Login(user, password).Wait(); err != nil {
		c.Close()
		var ie *imap.Error
		if errors.As(err, &ie) {
			return nil, fail(failAuth, "login to", err)
		}
		return nil, fail(greetingKind(g, err), "login to", err)
	}
	if !timer.Stop() {
		// The deadline fired as the answer came: the connection is gone.
		c.Close()
		return nil, fail(failTimeout, "login to", errors.New("timed out"))
	}
	return &session{c: c, g: g, ep: ep}, nil
}

// dialKind sorts a failed connect.
func dialKind(err error) failKind {
	var dnsErr *net.DNSError
	var ne net.Error
	switch {
	case errors.Is(err, errPrivateAddress):
		return failPrivate
	case errors.As(err, &dnsErr) && !dnsErr.IsTimeout:
		return failResolve
	case errors.Is(err, syscall.ECONNREFUSED):
		return failRefused
	case errors.As(err, &ne) && ne.Timeout():
		return failTimeout
	}
	return failRefused
}

// greetingKind sorts a connection that failed before the login's
// answer: stalled, broken, or not IMAP.
func greetingKind(g *guardedConn, err error) failKind {
	if g.stalled.Load() {
		return failTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, net.ErrClosed) {
		return failLost
	}
	return failProtocol
}

// refusePrivate is the dial check for user-given hosts: a name that
// resolves to a loopback, private, link-local or otherwise non-public
// address is refused at connect time, after resolution, so that DNS
// cannot point it elsewhere meanwhile.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || !publicIP(ip) {
		return errPrivateAddress
	}
	return nil
}

// cgnat is RFC 6598's shared address space, private in all but name.
var cgnat = &net.IPNet{IP: net.IPv4(100, 64, 0, 0), Mask: net.CIDRMask(10, 32)}

func publicIP(ip net.IP) bool {
	return !(ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || cgnat.Contains(ip))
}

// Close ends the session without waiting for the server.
func (s *session) Close() { s.c.Close() }

// abort closes a session whose FETCH broke inside a literal, before the
// command is closed: go-imap v2.0.0-beta.9 drains the rest of a literal
// on Close while its reader goroutine reads the same buffer, which is
// safe only once that goroutine has stopped, as Close waits for.
func (s *session) abort() { s.c.Close() }

// run runs fn as one exchange with the server: while it runs, the
// connection must make progress within the idle timeout. A failure of
// the connection comes back as a *connError; the server's own answers
// (NO, BAD) as *imap.Error.
func (s *session) run(ctx context.Context, op string, fn func() error) error {
	s.g.begin()
	err := fn()
	s.g.end()
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		return err
	}
	kind := failLost
	if s.g.stalled.Load() {
		kind = failTimeout
	}
	return &connError{kind: kind, ep: s.ep, op: op, err: err}
}

// guardedConn is a connection that a watchdog closes when a command
// makes no progress (no byte read or written) for idle, or when ctx is
// done. It ignores the deadlines the IMAP client sets: the client's own
// timeouts (30 s of silence) would cut a connection that waits, between
// two commands, for the other server.
type guardedConn struct {
	net.Conn
	idle    time.Duration
	last    atomic.Int64 // UnixNano of the last progress
	busy    atomic.Int32
	stalled atomic.Bool
	done    chan struct{}
	once    sync.Once
}

func guard(ctx context.Context, c net.Conn, idle time.Duration) *guardedConn {
	g := &guardedConn{Conn: c, idle: idle, done: make(chan struct{})}
	g.touch()
	go g.watch(ctx)
	return g
}

func (g *guardedConn) watch(ctx context.Context) {
	tick := time.NewTicker(max(g.idle/8, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			g.Conn.Close()
			return
		case <-g.done:
			return
		case <-tick.C:
			if g.busy.Load() > 0 && time.Since(time.Unix(0, g.last.Load())) > g.idle {
				g.stall()
				return
			}
		}
	}
}

// stall gives up on the connection for want of progress.
func (g *guardedConn) stall() {
	g.stalled.Store(true)
	g.Conn.Close()
}

func (g *guardedConn) touch() { g.last.Store(time.Now().UnixNano()) }

func (g *guardedConn) begin() { g.touch(); g.busy.Add(1) }

func (g *guardedConn) end() { g.busy.Add(-1) }

func (g *guardedConn) Read(p []byte) (int, error) {
	n, err := g.Conn.Read(p)
	if n > 0 {
		g.touch()
	}
	return n, err
}

func (g *guardedConn) Write(p []byte) (int, error) {
	n, err := g.Conn.Write(p)
	if n > 0 {
		g.touch()
	}
	return n, err
}

func (g *guardedConn) Close() error {
	g.once.Do(func() { close(g.done) })
	return g.Conn.Close()
}

func (g *guardedConn) SetDeadline(time.Time) error      { return nil }
func (g *guardedConn) SetReadDeadline(time.Time) error  { return nil }
func (g *guardedConn) SetWriteDeadline(time.Time) error { return nil }
