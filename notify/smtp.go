package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// SMTPConfig configures SMTP submission.
type SMTPConfig struct {
	Host string
	// Port defaults to 587 for "starttls", 465 for "tls" and 25 for "none".
	Port int
	// Security is "starttls" (the default: upgrade with STARTTLS, and fail
	// if the server does not offer it), "tls" (implicit TLS from the first
	// byte) or "none" (plaintext; only for a relay on localhost and tests).
	Security string
	// Username and Password, when Username is not empty, are sent with AUTH
	// PLAIN, which net/smtp (and NewSMTP) allow only over TLS or to
	// localhost.
	Username, Password string
	// From is the envelope sender and the From header: "a@example.com" or
	// "Almanac <a@example.com>".
	From string
	// TLSConfig overrides the TLS client config (tests with a self-signed
	// server). ServerName defaults to Host.
	TLSConfig *tls.Config
	// Timeout bounds one Send, from dialling to the server accepting the
	// message; default 30s. A shorter context deadline wins.
	Timeout time.Duration
}

// Security values for SMTPConfig.
const (
	SecurityStartTLS = "starttls"
	SecurityTLS      = "tls"
	SecurityNone     = "none"
)

const defaultTimeout = 30 * time.Second

type smtpMailer struct {
	cfg  SMTPConfig
	from *mail.Address
	addr string // host:port
}

// NewSMTP returns a Mailer that submits each message over a new connection to
// the configured server. It validates cfg without connecting.
func NewSMTP(cfg SMTPConfig) (Mailer, error) {
	if cfg.Host == "" || strings.ContainsAny(cfg.Host, " \t\r\n/") {
		return nil, fmt.Errorf("notify: smtp: invalid host %q", cfg.Host)
	}
	cfg.Security = strings.ToLower(strings.TrimSpace(cfg.Security))
	if cfg.Security == "" {
		cfg.Security = SecurityStartTLS
	}
	defaultPort := 0
	switch cfg.Security {
	case SecurityStartTLS:
		defaultPort = 587
	case SecurityTLS:
		defaultPort = 465
	case SecurityNone:
		defaultPort = 25
	default:
		return nil, fmt.Errorf("notify: smtp: security %q is not one of starttls, tls, none", cfg.Security)
	}
	if cfg.Port == 0 {
		cfg.Port = defaultPort
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("notify: smtp: invalid port %d", cfg.Port)
	}
	if cfg.Username == "" && cfg.Password != "" {
		return nil, errors.New("notify: smtp: password given without a username")
	}
	if cfg.Username != "" && cfg.Security == SecurityNone && !isLocalhost(cfg.Host) {
		// net/smtp would refuse at the first Send; say so now.
		return nil, fmt.Errorf("notify: smtp: refusing to send credentials unencrypted to %s (use starttls or tls)", cfg.Host)
	}
	if strings.ContainsAny(cfg.From, "\r\n") {
		return nil, errors.New("notify: smtp: From contains a line break")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("notify: smtp: invalid From %q: %v", cfg.From, err)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("notify: smtp: negative timeout %v", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.TLSConfig != nil {
		cfg.TLSConfig = cfg.TLSConfig.Clone()
	}
	return &smtpMailer{
		cfg:  cfg,
		from: from,
		addr: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
	}, nil
}

// isLocalhost matches the names net/smtp's PlainAuth accepts without TLS.
func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func (s *smtpMailer) tlsConfig() *tls.Config {
	var c *tls.Config
	if s.cfg.TLSConfig != nil {
		c = s.cfg.TLSConfig.Clone()
	} else {
		c = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if c.ServerName == "" {
		c.ServerName = s.cfg.Host
	}
	return c
}

// Send formats m and submits it. It returns nil once the server has accepted
// the message (a failing QUIT afterwards is ignored: the message is queued,
// and retrying would send it twice).
func (s *smtpMailer) Send(ctx context.Context, m Message) (err error) {
	to, msg, err := format(m, s.from, time.Now())
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("notify: smtp: %w", err)
	}

	deadline := time.Now().Add(s.cfg.Timeout)
	ctxDeadline := false // the context's deadline comes before Timeout
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, ctxDeadline = d, true
	}
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	defer func() {
		if err == nil {
			return
		}
		// Say whether the context or Timeout ended the attempt. The
		// connection's deadline can fire just before the context notices
		// its own, so go by the clock too.
		cerr := ctx.Err()
		if cerr == nil && !time.Now().Before(deadline) {
			if ctxDeadline {
				cerr = context.DeadlineExceeded
			} else {
				err = fmt.Errorf("timed out after %v: %w", s.cfg.Timeout, err)
			}
		}
		if cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		err = fmt.Errorf("notify: smtp to %s: %w", s.addr, err)
	}()

	conn, err := s.dial(dctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	// Cancelling ctx unblocks whatever read or write is in progress.
	stop := context.AfterFunc(dctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()

	if s.cfg.Security == SecurityStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("server does not offer STARTTLS (set security to \"tls\" for implicit TLS; there is no plaintext fallback)")
		}
		if err := c.StartTLS(s.tlsConfig()); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if s.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("server does not offer AUTH")
		}
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	_ = c.Quit()
	return nil
}

func (s *smtpMailer) dial(ctx context.Context) (net.Conn, error) {
	d := &net.Dialer{}
	if s.cfg.Security == SecurityTLS {
		td := &tls.Dialer{NetDialer: d, Config: s.tlsConfig()}
		return td.DialContext(ctx, "tcp", s.addr)
	}
	return d.DialContext(ctx, "tcp", s.addr)
}
