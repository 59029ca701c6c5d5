package clientsetup

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// Level is how a finding of the doctor weighs.
type Level int

const (
	OK   Level = iota
	Warn       // works, but not as it should
	Fail       // clients cannot use it
)

func (l Level) String() string {
	switch l {
	case OK:
		return "ok"
	case Warn:
		return "warn"
	}
	return "FAIL"
}

// Finding is one thing the doctor checked, and what it found, in words.
type Finding struct {
	Level   Level
	Subject string
	Text    string
}

// Doctor checks, as a client would, that what almanac tells clients
// works: that the mail servers answer and offer TLS with a certificate
// clients accept, and that the well-known URLs lead to the DAV tree
// through the public URL. Every probe ends within Timeout.
type Doctor struct {
	// Timeout bounds each probe, from the connection to the last answer.
	Timeout time.Duration
	// RootCAs are the authorities certificates are checked against; nil:
	// the system's, which is what clients use.
	RootCAs *x509.CertPool
	// Dial opens connections; nil: net.Dialer. Tests send every host to
	// their own listeners.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// maxProbeLine bounds one line a probed server sends.
const maxProbeLine = 16 << 10

func (d *Doctor) dial(ctx context.Context, addr string) (net.Conn, error) {
	if d.Dial != nil {
		return d.Dial(ctx, "tcp", addr)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, "tcp", addr)
}

func (d *Doctor) tlsConfig(host string) *tls.Config {
	return &tls.Config{ServerName: host, RootCAs: d.RootCAs, MinVersion: tls.VersionTLS12}
}

// Mail probes the endpoint of p: it connects, speaks TLS (at once or
// after STARTTLS) and checks the certificate against e.Host and that the
// server would take a login. It logs in nowhere.
func (d *Doctor) Mail(ctx context.Context, p Protocol, e Endpoint) Finding {
	f := Finding{Subject: fmt.Sprintf("%s %s (%s)", p, e.Address(), securityName(e.Security))}
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	conn, err := d.dial(ctx, e.Address())
	if err != nil {
		f.Level, f.Text = Fail, d.connProblem(err, e)
		return f
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	var text string
	if p == IMAP {
		text, err = d.probeIMAP(conn, e)
	} else {
		text, err = d.probeSubmission(conn, e)
	}
	var pe *problem
	switch {
	case errors.As(err, &pe):
		f.Level, f.Text = pe.level, pe.text
	case err != nil:
		f.Level, f.Text = Fail, d.connProblem(err, e)
	default:
		f.Level, f.Text = OK, text
	}
	return f
}

// problem is a finding the dialogue itself made.
type problem struct {
	level Level
	text  string
}

func (p *problem) Error() string { return p.text }

func failf(format string, args ...any) error {
	return &problem{level: Fail, text: fmt.Sprintf(format, args...)}
}

func securityName(s string) string {
	switch s {
	case SecurityTLS:
		return "implicit TLS"
	case SecurityStartTLS:
		return "STARTTLS"
	}
	return "no TLS"
}

// connProblem says in words why talking to e failed.
func (d *Doctor) connProblem(err error, e Endpoint) string {
	var dnsErr *net.DNSError
	var recErr tls.RecordHeaderError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("the name %s does not resolve (%s): check its A/AAAA records", e.Host, dnsErr.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("nothing listens on %s (connection refused): is the server running, and is the port right?", e.Address())
	case errors.As(err, &recErr):
		return "the server does not start TLS on this port: it may expect STARTTLS (security starttls) or be another service"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		msg := fmt.Sprintf("no answer within %s", d.Timeout)
		if e.Security != SecurityTLS {
			msg += ": a port of implicit TLS waits for the client to start TLS (security tls?), or a firewall drops the connection"
		} else {
			msg += ": a firewall may drop the connection"
		}
		return msg
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return "the server closed the connection before it said anything useful"
	}
	if msg, ok := certProblem(err, e.Host); ok {
		return msg
	}
	return "cannot talk to it: " + err.Error()
}

// certProblem says what is wrong with a certificate, when err is about
// one.
func certProblem(err error, host string) (string, bool) {
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return "its certificate is not signed by an authority clients trust (self-signed, or the intermediate certificates are missing): clients refuse it or warn", true
	case errors.As(err, &hostErr):
		return fmt.Sprintf("its certificate is not valid for %s (it names %s): clients refuse it", host, certNames(hostErr.Certificate)), true
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "its certificate has expired (or is not valid yet): clients refuse it", true
	case errors.As(err, &invalid):
		return "its certificate is not valid: " + invalid.Error(), true
	}
	return "", false
}

func certNames(c *x509.Certificate) string {
	if c == nil {
		return "no name"
	}
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no name (only the common name " + c.Subject.CommonName + ")"
	}
	return strings.Join(names, ", ")
}

// certSummary is what a valid certificate tells the operator.
func certSummary(st tls.ConnectionState) string {
	if len(st.PeerCertificates) == 0 {
		return "TLS without a certificate"
	}
	return "certificate valid until " + st.PeerCertificates[0].NotAfter.UTC().Format("2006-01-02")
}

// handshake starts TLS on conn as a client of host would.
func (d *Doctor) handshake(conn net.Conn, host string) (*tls.Conn, error) {
	tc := tls.Client(conn, d.tlsConfig(host))
	if err := tc.Handshake(); err != nil {
		return nil, err
	}
	return tc, nil
}

// imapConn reads an IMAP server's lines, each at most maxProbeLine.
type imapConn struct {
	w io.Writer
	r *bufio.Reader
}

func newIMAPConn(c net.Conn) *imapConn {
	return &imapConn{w: c, r: bufio.NewReaderSize(c, maxProbeLine)}
}

func (c *imapConn) line() (string, error) {
	b, err := c.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", failf("the server sent a line longer than %d bytes: not an IMAP server?", maxProbeLine)
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// command sends tag and cmd and reads up to the tagged answer, returning
// the untagged lines and whether the answer was OK.
func (c *imapConn) command(tag, cmd string) ([]string, bool, error) {
	if _, err := io.WriteString(c.w, tag+" "+cmd+"\r\n"); err != nil {
		return nil, false, err
	}
	var untagged []string
	for range 1000 {
		l, err := c.line()
		if err != nil {
			return nil, false, err
		}
		if rest, ok := strings.CutPrefix(l, tag+" "); ok {
			return untagged, strings.HasPrefix(strings.ToUpper(rest), "OK"), nil
		}
		untagged = append(untagged, l)
	}
	return nil, false, failf("the server did not finish answering %s", cmd)
}

func (c *imapConn) capabilities(tag string) (map[string]bool, error) {
	lines, ok, err := c.command(tag, "CAPABILITY")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, failf("the server refuses the CAPABILITY command: not an IMAP server?")
	}
	caps := map[string]bool{}
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(strings.ToUpper(l), "* CAPABILITY "); ok {
			for _, c := range strings.Fields(rest) {
				caps[c] = true
			}
		}
	}
	return caps, nil
}

func (d *Doctor) probeIMAP(conn net.Conn, e Endpoint) (string, error) {
	summary := ""
	if e.Security == SecurityTLS {
		tc, err := d.handshake(conn, e.Host)
		if err != nil {
			return "", err
		}
		conn, summary = tc, certSummary(tc.ConnectionState())
	}
	c := newIMAPConn(conn)
	greeting, err := c.line()
	if err != nil {
		return "", err
	}
	switch g := strings.ToUpper(greeting); {
	case strings.HasPrefix(g, "* BYE"):
		return "", failf("the server turns clients away: %q", printable(greeting))
	case !strings.HasPrefix(g, "* OK"):
		return "", failf("the server does not greet as an IMAP server: %q", printable(greeting))
	}
	caps, err := c.capabilities("a1")
	if err != nil {
		return "", err
	}
	switch e.Security {
	case SecurityNone:
		msg := "it answers without TLS (security none): passwords would cross the network in the clear"
		if caps["STARTTLS"] {
			msg += "; it offers STARTTLS, so use security starttls"
		}
		return "", failf("%s", msg)
	case SecurityStartTLS:
		if !caps["STARTTLS"] {
			return "", failf("the server does not offer STARTTLS: clients would have to send passwords in the clear")
		}
		if _, ok, err := c.command("a2", "STARTTLS"); err != nil {
			return "", err
		} else if !ok {
			return "", failf("the server refuses STARTTLS although it offers it")
		}
		tc, err := d.handshake(conn, e.Host)
		if err != nil {
			return "", err
		}
		summary = certSummary(tc.ConnectionState())
		c = newIMAPConn(tc)
		if caps, err = c.capabilities("a3"); err != nil {
			return "", err
		}
	}
	if caps["LOGINDISABLED"] {
		return "", failf("the server answers but refuses logins over TLS too (LOGINDISABLED)")
	}
	c.command("a9", "LOGOUT")
	return "answers and offers TLS; " + summary, nil
}

func (d *Doctor) probeSubmission(conn net.Conn, e Endpoint) (string, error) {
	summary := ""
	if e.Security == SecurityTLS {
		tc, err := d.handshake(conn, e.Host)
		if err != nil {
			return "", err
		}
		conn, summary = tc, certSummary(tc.ConnectionState())
	}
	c, err := smtp.NewClient(conn, e.Host)
	if err != nil {
		return "", smtpProblem(err)
	}
	defer c.Close()
	if err := c.Hello("almanac-doctor.invalid"); err != nil {
		return "", smtpProblem(err)
	}
	switch e.Security {
	case SecurityNone:
		msg := "it answers without TLS (security none): passwords would cross the network in the clear"
		if ok, _ := c.Extension("STARTTLS"); ok {
			msg += "; it offers STARTTLS, so use security starttls"
		}
		return "", failf("%s", msg)
	case SecurityStartTLS:
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return "", failf("the server does not offer STARTTLS: clients would have to send passwords in the clear")
		}
		if err := c.StartTLS(d.tlsConfig(e.Host)); err != nil {
			if msg, ok := certProblem(err, e.Host); ok {
				return "", failf("%s", msg)
			}
			return "", smtpProblem(err)
		}
		st, _ := c.TLSConnectionState()
		summary = certSummary(st)
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		return "", failf("the server offers no AUTH over TLS: clients cannot log in to send mail (in Postfix: smtpd_sasl_auth_enable on this port)")
	}
	c.Quit()
	return "answers and offers TLS and AUTH; " + summary, nil
}

// smtpProblem words an SMTP dialogue error; a connection error is left
// for connProblem.
func smtpProblem(err error) error {
	var te *textproto.Error
	var pe textproto.ProtocolError
	switch {
	case errors.As(err, &te):
		return failf("the server answers %d %s: it does not take clients", te.Code, printable(te.Msg))
	case errors.As(err, &pe):
		return failf("the server does not speak SMTP: %s", printable(string(pe)))
	}
	return err
}

// printable cuts what a server said to a short line of printable
// ASCII, for a message.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return s
}

// WellKnown checks RFC 6764 discovery as clients do it, from the root
// of the public URL's host: /.well-known/caldav and /.well-known/carddav
// must redirect to the DAV tree under the public URL, where almanac asks
// for a login. public is the -public-url value.
func (d *Doctor) WellKnown(ctx context.Context, public *url.URL) []Finding {
	var out []Finding
	if public.Scheme != "https" {
		out = append(out, Finding{Level: Warn, Subject: public.String(),
			Text: "the public URL is http: calendar and contacts apps would send passwords in the clear; put almanac behind a TLS proxy"})
	}
	tr := &http.Transport{
		DialContext:     func(ctx context.Context, network, addr string) (net.Conn, error) { return d.dial(ctx, addr) },
		TLSClientConfig: &tls.Config{RootCAs: d.RootCAs, MinVersion: tls.VersionTLS12},
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: d.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	want := strings.TrimSuffix(public.String(), "/") + "/dav/"
	for _, name := range []string{"caldav", "carddav"} {
		u := public.Scheme + "://" + public.Host + "/.well-known/" + name
		out = append(out, d.wellKnown(ctx, client, public.Hostname(), u, want))
	}
	return out
}

func (d *Doctor) wellKnown(ctx context.Context, client *http.Client, host, u, want string) Finding {
	f := Finding{Subject: u}
	get := func(u string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return resp, nil
	}
	resp, err := get(u)
	if err != nil {
		f.Level, f.Text = Fail, d.httpProblem(err, host)
		return f
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		f.Level, f.Text = Fail, fmt.Sprintf("answers %d instead of redirecting to %s: the proxy in front does not pass /.well-known/ to almanac", resp.StatusCode, want)
		return f
	}
	loc, err := resp.Location()
	if err != nil {
		f.Level, f.Text = Fail, "redirects without a usable Location"
		return f
	}
	if loc.String() != want {
		f.Level, f.Text = Fail, fmt.Sprintf("redirects to %s, not to %s: almanac serves DAV at /dav/ of its host, so serve it at the root of the public URL's host (a path prefix works for public links only)", printable(loc.String()), want)
		return f
	}
	resp, err = get(want)
	if err != nil {
		f.Level, f.Text = Fail, "redirects to "+want+", which fails: "+d.httpProblem(err, host)
		return f
	}
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "Basic") {
		f.Level, f.Text = Fail, fmt.Sprintf("redirects to %s, which answers %d instead of asking for a login: the proxy does not pass /dav/ to almanac", want, resp.StatusCode)
		return f
	}
	f.Level, f.Text = OK, "redirects to "+want+", where almanac asks for a login"
	return f
}

func (d *Doctor) httpProblem(err error, host string) string {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("the name does not resolve (%s)", dnsErr.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing listens there (connection refused)"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Sprintf("no answer within %s", d.Timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return fmt.Sprintf("no answer within %s", d.Timeout)
	}
	if msg, ok := certProblem(err, host); ok {
		return msg
	}
	return "cannot reach it: " + err.Error()
}

// WriteFindings writes one line a finding, "LEVEL subject: text", and
// reports whether any failed.
func WriteFindings(w io.Writer, fs []Finding) (failed bool, err error) {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%-4s  %s: %s\n", f.Level, f.Subject, f.Text)
		failed = failed || f.Level == Fail
	}
	_, err = io.WriteString(w, b.String())
	return failed, err
}
