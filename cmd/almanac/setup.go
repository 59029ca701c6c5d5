package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"almanac/clientsetup"
	"almanac/storage"
)

// mailClientFlags are the -imap-* and -submission-* settings: where
// mail clients are told to connect, in autoconfig, Autodiscover, Apple
// profiles and the settings API (serve), in the DNS records (dns) and
// what the doctor probes (doctor). They are a mail server's addresses
// for users, not the server almanac sends its own mail through (-smtp-*).
type mailClientFlags struct {
	name                       string // the command, for usage errors
	imapHost, imapSecurity     *string
	submissionHost, submission *string
	imapPort, submissionPort   *int
}

func defineMailClientFlags(c *cmdline) *mailClientFlags {
	f := &mailClientFlags{name: c.name}
	f.imapHost = c.str("imap-host", "ALMANAC_IMAP_HOST", "", "IMAP server `HOST` mail clients are told to use (autoconfig, Autodiscover, Apple profiles, almanac dns); empty: none, unless a Mail Service names its own", optionalHost)
	f.imapPort = c.integer("imap-port", "ALMANAC_IMAP_PORT", 0, 0, 65535, "IMAP `PORT` (0: 993 with tls, 143 with starttls or none)")
	f.imapSecurity = c.str("imap-security", "ALMANAC_IMAP_SECURITY", clientsetup.SecurityTLS, "IMAP security `MODE`: tls (implicit, RFC 8314), starttls or none", clientsetup.ParseSecurity)
	f.submissionHost = c.str("submission-host", "ALMANAC_SUBMISSION_HOST", "", "mail submission (SMTP) server `HOST` mail clients are told to send through; not -smtp-host, which is almanac's own outgoing mail", optionalHost)
	f.submissionPort = c.integer("submission-port", "ALMANAC_SUBMISSION_PORT", 0, 0, 65535, "submission `PORT` (0: 465 with tls, 587 with starttls or none)")
	f.submission = c.str("submission-security", "ALMANAC_SUBMISSION_SECURITY", clientsetup.SecurityTLS, "submission security `MODE`: tls (implicit, RFC 8314), starttls or none", clientsetup.ParseSecurity)
	return f
}

// optionalHost is clientsetup.CheckHost for a host that may be unset.
func optionalHost(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	return clientsetup.CheckHost(s)
}

// check refuses a port or a security mode without its host: it would be
// silently ignored. It judges the values, not where they came from, so
// that the server, which gets every setting spelled out, agrees.
func (f *mailClientFlags) check() error {
	for _, p := range []struct {
		proto string
		host  string
		port  int
		sec   string
	}{{"imap", *f.imapHost, *f.imapPort, *f.imapSecurity}, {"submission", *f.submissionHost, *f.submissionPort, *f.submission}} {
		if p.host == "" && (p.port != 0 || p.sec != clientsetup.SecurityTLS) {
			return &usageError{cmd: f.name, msg: fmt.Sprintf("-%[1]s-port and -%[1]s-security need -%[1]s-host (env ALMANAC_%[2]s_HOST)", p.proto, strings.ToUpper(p.proto))}
		}
	}
	return nil
}

// config is the settings as the server and clientsetup take them.
func (f *mailClientFlags) config() clientsetup.Config {
	return clientsetup.Config{
		IMAP:       storage.MailEndpoint{Host: *f.imapHost, Port: *f.imapPort, Security: *f.imapSecurity},
		Submission: storage.MailEndpoint{Host: *f.submissionHost, Port: *f.submissionPort, Security: *f.submission},
	}
}

// setupCommands print and check what clients are told.
var setupCommands = []*dbCommand{
	{name: "dns", open: openRead, maxArgs: 1000, define: dnsJob},
	{name: "doctor", open: openRead, define: doctorJob},
}

// dnsJob is `almanac dns [DOMAIN...]`: the zone-file records of every
// domain named, or else of every Mail Service domain and alias domain.
func dnsJob(c *cmdline) dbJob {
	mail := defineMailClientFlags(c)
	publicURL := c.str("public-url", "ALMANAC_PUBLIC_URL", "", "external base `URL` of the server, where CalDAV, CardDAV and autoconfig are served, e.g. https://cal.example.com", parsePublicURL)
	domains := func() ([]string, error) {
		var out []string
		for _, a := range c.fs.Args() {
			d, err := clientsetup.ParseDomain(a)
			if err != nil {
				return nil, &usageError{cmd: c.name, msg: fmt.Sprintf("%q: %s", a, strings.TrimPrefix(err.Error(), clientsetup.ErrAddress.Error()+": "))}
			}
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
		return out, mail.check()
	}
	return dbJob{
		prepare: func(io.Reader, io.Writer) ([]byte, error) { _, err := domains(); return nil, err },
		run: func(ctx context.Context, x *dbEnv) error {
			named, err := domains()
			if err != nil {
				return err
			}
			return printDNS(ctx, x.store, mail.config(), *publicURL, named, x.stdout)
		},
	}
}

// dnsDomain is one domain to print records for, and the service whose
// settings apply (nil: none yet, the server's).
type dnsDomain struct {
	name, heading string
	service       *storage.MailService
}

func printDNS(ctx context.Context, store storage.Store, cfg clientsetup.Config, publicURL string, named []string, w io.Writer) error {
	var list []dnsDomain
	if len(named) > 0 {
		for _, d := range named {
			s, err := store.MailServiceByDomain(ctx, d)
			switch {
			case errors.Is(err, storage.ErrNotFound):
				list = append(list, dnsDomain{d, d + ": no Mail Service has this domain (yet): the server's settings", nil})
			case err != nil:
				return err
			default:
				list = append(list, serviceDomain(d, s))
			}
		}
	} else {
		services, _, err := store.MailExport(ctx)
		if err != nil {
			return err
		}
		for i := range services {
			for _, d := range append([]string{services[i].Domain}, services[i].AliasDomains...) {
				list = append(list, serviceDomain(d, &services[i]))
			}
		}
		if len(list) == 0 {
			return errors.New("no Mail Service has a domain yet: name the domains to print records for, e.g. almanac dns example.com")
		}
	}
	var public *url.URL
	if publicURL != "" {
		var err error
		if public, err = url.Parse(publicURL); err != nil {
			return fmt.Errorf("public URL: %w", err)
		}
	}
	fmt.Fprintln(w, "; DNS records that let mail, calendar and contacts apps find this server from an")
	fmt.Fprintln(w, "; email address alone (RFC 6186, RFC 8314, RFC 6764, autoconfig, Autodiscover).")
	for _, d := range list {
		imap, sub := cfg.For(d.service)
		records, notes := clientsetup.DNSRecords(d.name, imap, sub, public)
		fmt.Fprintln(w)
		if err := clientsetup.WriteZone(w, d.heading, records, notes); err != nil {
			return err
		}
	}
	return nil
}

func serviceDomain(d string, s *storage.MailService) dnsDomain {
	if d == s.Domain {
		return dnsDomain{d, d, s}
	}
	return dnsDomain{d, d + ": alias domain of " + s.Domain, s}
}

// minProbeTimeout and maxProbeTimeout bound -timeout: a TLS handshake
// across the world takes a second, and a doctor that waits minutes on
// a dead host helps nobody.
const (
	minProbeTimeout = time.Second
	maxProbeTimeout = 2 * time.Minute
)

// doctorJob is `almanac doctor`: it probes what clients are told, as a
// client would, and says what is wrong.
func doctorJob(c *cmdline) dbJob {
	mail := defineMailClientFlags(c)
	publicURL := c.str("public-url", "ALMANAC_PUBLIC_URL", "", "external base `URL` of the server, whose /.well-known/ redirects are checked", parsePublicURL)
	timeout := c.duration("timeout", "", 10*time.Second, minProbeTimeout, maxProbeTimeout, "how long one probe may take, a `DURATION` from 1s to 2m")
	caFile := c.str("ca-file", "", "", "PEM `FILE` of certificate authorities trusted besides the system's (a private CA your clients trust too)", absolute(checkFile))
	return dbJob{
		prepare: func(io.Reader, io.Writer) ([]byte, error) { return nil, mail.check() },
		run: func(ctx context.Context, x *dbEnv) error {
			if err := mail.check(); err != nil {
				return err
			}
			roots, err := doctorRoots(*caFile)
			if err != nil {
				return err
			}
			d := &clientsetup.Doctor{Timeout: *timeout, RootCAs: roots}
			fs, err := diagnose(ctx, x.store, d, mail.config(), *publicURL)
			if err != nil {
				return err
			}
			failed, err := clientsetup.WriteFindings(x.stdout, fs)
			if err != nil {
				return err
			}
			if failed {
				return exitStatus(1)
			}
			return nil
		},
	}
}

// doctorRoots is the system's authorities, with those of caFile added.
func doctorRoots(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("ca file: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca file %s: no PEM certificate in it", caFile)
	}
	return pool, nil
}

// probeTarget is one endpoint to probe and the domains whose users are
// given it.
type probeTarget struct {
	proto    clientsetup.Protocol
	endpoint clientsetup.Endpoint
	domains  []string
}

// diagnose probes every distinct endpoint clients are given (the
// server's, and each Mail Service's own), then the well-known URLs.
func diagnose(ctx context.Context, store storage.Store, d *clientsetup.Doctor, cfg clientsetup.Config, publicURL string) ([]clientsetup.Finding, error) {
	services, _, err := store.MailExport(ctx)
	if err != nil {
		return nil, err
	}
	var targets []*probeTarget
	add := func(p clientsetup.Protocol, e clientsetup.Endpoint, domain string) {
		if !e.Configured() {
			return
		}
		i := slices.IndexFunc(targets, func(t *probeTarget) bool { return t.proto == p && t.endpoint == e })
		if i < 0 {
			targets = append(targets, &probeTarget{proto: p, endpoint: e})
			i = len(targets) - 1
		}
		if domain != "" {
			targets[i].domains = append(targets[i].domains, domain)
		}
	}
	imap, sub := cfg.For(nil)
	add(clientsetup.IMAP, imap, "")
	add(clientsetup.Submission, sub, "")
	var fs []clientsetup.Finding
	for i := range services {
		s := &services[i]
		imap, sub := cfg.For(s)
		add(clientsetup.IMAP, imap, s.Domain)
		add(clientsetup.Submission, sub, s.Domain)
		if !imap.Configured() || !sub.Configured() {
			fs = append(fs, clientsetup.Finding{Level: clientsetup.Warn, Subject: "Mail Service " + s.Domain,
				Text: "mail clients get no mail settings: no IMAP or no submission server is known for it (-imap-host, -submission-host, or the service's own)"})
		}
	}
	if len(services) == 0 && (!imap.Configured() || !sub.Configured()) {
		fs = append(fs, clientsetup.Finding{Level: clientsetup.Warn, Subject: "mail",
			Text: "no IMAP or no submission server is configured (-imap-host, -submission-host): mail clients get no mail settings"})
	}
	for _, t := range targets {
		f := d.Mail(ctx, t.proto, t.endpoint)
		if len(t.domains) > 0 {
			f.Subject += " for " + strings.Join(t.domains, ", ")
		}
		fs = append(fs, f)
	}
	if publicURL == "" {
		return append(fs, clientsetup.Finding{Level: clientsetup.Warn, Subject: "public URL",
			Text: "no -public-url: clients are given the address each request came to, which behind a proxy may be an internal one; the well-known redirects are not checked"}), nil
	}
	public, err := url.Parse(publicURL)
	if err != nil {
		return nil, fmt.Errorf("public URL: %w", err)
	}
	return append(fs, d.WellKnown(ctx, public)...), nil
}
