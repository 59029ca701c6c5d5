package main

import (
	"context"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/auth"
	"almanac/clientsetup/setuptest"
	"almanac/server/servertest"
	"almanac/storage"
)

// mailData makes a database in a new data directory with a Mail Service
// for domain.xyz (alias domain domain.ch) and the mailbox anna, and
// another for other.example whose users get their own IMAP server.
func mailData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	hash, err := auth.HashPassword(servertest.Password)
	if err != nil {
		t.Fatal(err)
	}
	acc := &storage.Account{Login: "owner@example.com", PasswordHash: hash}
	org := &storage.Organization{Name: "Domain XYZ"}
	for _, err := range []error{
		db.CreateAccount(ctx, acc),
		db.CreateOrganization(ctx, org),
		db.PutMember(ctx, storage.Member{Org: org.ID, Account: acc.ID, Role: storage.RoleOwner}),
		db.CreateMailService(ctx, &storage.MailService{ID: "svc1", Org: org.ID, Domain: "domain.xyz", Plan: "standard", AliasDomains: []string{"domain.ch"}}),
		db.CreateMailbox(ctx, &storage.Mailbox{Service: "svc1", LocalPart: "anna", PasswordHash: hash}),
		db.CreateMailService(ctx, &storage.MailService{ID: "svc2", Org: org.ID, Domain: "other.example", Plan: "standard",
			IMAP: storage.MailEndpoint{Host: "imap.other.example", Security: "starttls"}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// dnsWant is what `almanac dns` prints for mailData's database with
// -imap-host mail.domain.xyz -submission-host mail.domain.xyz
// -submission-security starttls -public-url https://dav.domain.xyz.
const dnsWant = `; DNS records that let mail, calendar and contacts apps find this server from an
; email address alone (RFC 6186, RFC 8314, RFC 6764, autoconfig, Autodiscover).

; domain.xyz
_imaps._tcp.domain.xyz.        3600 IN SRV   0 1 993 mail.domain.xyz.
_submission._tcp.domain.xyz.   3600 IN SRV   0 1 587 mail.domain.xyz.
_caldavs._tcp.domain.xyz.      3600 IN SRV   0 1 443 dav.domain.xyz.
_caldavs._tcp.domain.xyz.      3600 IN TXT   "path=/dav/"
_carddavs._tcp.domain.xyz.     3600 IN SRV   0 1 443 dav.domain.xyz.
_carddavs._tcp.domain.xyz.     3600 IN TXT   "path=/dav/"
autoconfig.domain.xyz.         3600 IN CNAME dav.domain.xyz.
autodiscover.domain.xyz.       3600 IN CNAME dav.domain.xyz.
_autodiscover._tcp.domain.xyz. 3600 IN SRV   0 1 443 dav.domain.xyz.
; autoconfig.domain.xyz and autodiscover.domain.xyz must reach almanac by HTTPS with a certificate for those names

; domain.ch: alias domain of domain.xyz
_imaps._tcp.domain.ch.        3600 IN SRV   0 1 993 mail.domain.xyz.
_submission._tcp.domain.ch.   3600 IN SRV   0 1 587 mail.domain.xyz.
_caldavs._tcp.domain.ch.      3600 IN SRV   0 1 443 dav.domain.xyz.
_caldavs._tcp.domain.ch.      3600 IN TXT   "path=/dav/"
_carddavs._tcp.domain.ch.     3600 IN SRV   0 1 443 dav.domain.xyz.
_carddavs._tcp.domain.ch.     3600 IN TXT   "path=/dav/"
autoconfig.domain.ch.         3600 IN CNAME dav.domain.xyz.
autodiscover.domain.ch.       3600 IN CNAME dav.domain.xyz.
_autodiscover._tcp.domain.ch. 3600 IN SRV   0 1 443 dav.domain.xyz.
; autoconfig.domain.ch and autodiscover.domain.ch must reach almanac by HTTPS with a certificate for those names

; other.example
_imap._tcp.other.example.         3600 IN SRV   0 1 143 imap.other.example.
_submission._tcp.other.example.   3600 IN SRV   0 1 587 mail.domain.xyz.
_caldavs._tcp.other.example.      3600 IN SRV   0 1 443 dav.domain.xyz.
_caldavs._tcp.other.example.      3600 IN TXT   "path=/dav/"
_carddavs._tcp.other.example.     3600 IN SRV   0 1 443 dav.domain.xyz.
_carddavs._tcp.other.example.     3600 IN TXT   "path=/dav/"
autoconfig.other.example.         3600 IN CNAME dav.domain.xyz.
autodiscover.other.example.       3600 IN CNAME dav.domain.xyz.
_autodiscover._tcp.other.example. 3600 IN SRV   0 1 443 dav.domain.xyz.
; autoconfig.other.example and autodiscover.other.example must reach almanac by HTTPS with a certificate for those names
`

var dnsFlags = []string{"-imap-host", "mail.domain.xyz", "-submission-host", "Mail.Domain.XYZ", "-submission-security", "starttls", "-public-url", "https://dav.domain.xyz"}

// almanac dns prints every Mail Service domain and alias domain with the
// settings its users get (other.example has its own IMAP server).
func TestDNSCommand(t *testing.T) {
	dir := mailData(t)
	code, out, errs := runCmd(t, "", append([]string{"dns", "-data", dir}, dnsFlags...)...)
	if code != 0 || errs != "" || out != dnsWant {
		t.Fatalf("exit %d, stderr %q, output:\n%s\nwant:\n%s", code, errs, out, dnsWant)
	}
	// Named domains: a service's, with its settings, and one no service
	// has yet (Unicode, printed in its A-label form).
	code, out, _ = runCmd(t, "", append([]string{"dns", "-data", dir}, append(dnsFlags, "OTHER.example", "bücher.example")...)...)
	if code != 0 || !strings.Contains(out, "; other.example\n_imap._tcp.other.example.         3600 IN SRV   0 1 143 imap.other.example.\n") ||
		!strings.Contains(out, "; xn--bcher-kva.example: no Mail Service has this domain (yet): the server's settings\n_imaps._tcp.xn--bcher-kva.example.") ||
		strings.Contains(out, "domain.ch") {
		t.Errorf("named domains: exit %d\n%s", code, out)
	}
	// Not configured: said in comments, nothing invented.
	code, out, _ = runCmd(t, "", "dns", "-data", dir, "domain.xyz")
	if code != 0 || !strings.Contains(out, "; no IMAP server is configured (-imap-host): no IMAP record\n") ||
		!strings.Contains(out, "; no public URL (-public-url): no CalDAV, CardDAV, autoconfig or Autodiscover records\n") || strings.Contains(out, " IN ") {
		t.Errorf("unconfigured: exit %d\n%s", code, out)
	}

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-imap-port", "993"}, 2, "-imap-port and -imap-security need -imap-host"},
		{[]string{"-submission-security", "none"}, 2, "-submission-port and -submission-security need -submission-host"},
		{[]string{"-imap-host", "mail.example.net:993"}, 2, `-imap-host="mail.example.net:993" (env ALMANAC_IMAP_HOST): a host name without a port`},
		{[]string{"-imap-host", "mail.example.net", "-imap-security", "ssl"}, 2, "not one of tls, starttls, none"},
		{[]string{"bad_domain.example"}, 2, `"bad_domain.example": the domain has a character that is not allowed`},
		{[]string{"localhost"}, 2, "at least two parts"},
	} {
		code, _, errs := runCmd(t, "", append([]string{"dns", "-data", dir}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("dns %q: exit %d %q, want %d and %q", tc.args, code, errs, tc.code, tc.msg)
		}
	}
	empty := t.TempDir()
	if code, _, errs := runCmd(t, "x-long-password\n", "user", "add", "-data", empty, "jane@example.com"); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := runCmd(t, "", "dns", "-data", empty); code != 1 || !strings.Contains(errs, "no Mail Service has a domain yet") {
		t.Errorf("no services: exit %d %q", code, errs)
	}
}

// The doctor probes, as a client would, what clients are given: the
// server's IMAP and submission servers, a Mail Service's own, and the
// well-known redirects through the public URL, here all on loopback
// listeners with certificates of the test's CA (-ca-file).
func TestDoctorCommand(t *testing.T) {
	dir := mailData(t)
	ca := setuptest.NewCA(t)
	cert := ca.Leaf(t, time.Now().Add(time.Hour), "127.0.0.1")
	imap := (&setuptest.MailServer{IMAP: true, ImplicitTLS: true, Cert: cert}).Start(t)
	sub := (&setuptest.MailServer{StartTLS: true, Cert: cert}).Start(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	public := servertest.New(t).Start()
	host, imapPort, _ := net.SplitHostPort(imap)
	_, subPort, _ := net.SplitHostPort(sub)
	args := []string{"doctor", "-data", dir, "-ca-file", caFile, "-timeout", "5s", "-public-url", public,
		"-imap-host", host, "-imap-port", imapPort, "-submission-host", host, "-submission-port", subPort, "-submission-security", "starttls"}
	code, out, errs := runCmd(t, "", args...)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{
		"ok    IMAP " + imap + " (implicit TLS) for domain.xyz: answers and offers TLS; certificate valid until ",
		"ok    submission " + sub + " (STARTTLS) for domain.xyz, other.example: answers and offers TLS and AUTH; certificate valid until ",
		"FAIL  IMAP imap.other.example:143 (STARTTLS) for other.example: ",
		"warn  " + public + ": the public URL is http",
		"ok    " + public + "/.well-known/caldav: redirects to " + public + "/dav/, where almanac asks for a login",
		"ok    " + public + "/.well-known/carddav: redirects to " + public + "/dav/, where almanac asks for a login",
	}
	if code != 1 || errs != "" || len(lines) != len(want) {
		t.Fatalf("exit %d, stderr %q, output:\n%s", code, errs, out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q, want it to start with %q", i+1, lines[i], w)
		}
	}

	// Without the CA, the certificates are not trusted; a port where
	// nothing listens is named.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	_, closed, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	code, out, _ = runCmd(t, "", "doctor", "-data", mailData(t), "-timeout", "5s", "-imap-host", host, "-imap-port", imapPort,
		"-submission-host", host, "-submission-port", closed)
	for _, w := range []string{
		"FAIL  IMAP " + imap + " (implicit TLS) for domain.xyz: its certificate is not signed by an authority clients trust",
		"FAIL  submission " + host + ":" + closed + " (implicit TLS) for domain.xyz, other.example: nothing listens on " + host + ":" + closed + " (connection refused)",
		"warn  public URL: no -public-url",
	} {
		if code != 1 || !strings.Contains(out, w+"") {
			t.Errorf("exit %d; output lacks %q:\n%s", code, w, out)
		}
	}
	if code, _, errs := runCmd(t, "", "doctor", "-data", dir, "-timeout", "1h"); code != 2 || !strings.Contains(errs, "out of range (1s to 2m)") {
		t.Errorf("-timeout 1h: exit %d %q", code, errs)
	}
	if code, _, errs := runCmd(t, "", "doctor", "-data", dir, "-ca-file", filepath.Join(dir, "almanac.db")); code != 1 || !strings.Contains(errs, "no PEM certificate") {
		t.Errorf("-ca-file of no PEM: exit %d %q", code, errs)
	}
}

// serve gives clients what its flags say, and a running server runs
// almanac dns with the CLI's flags and environment.
func TestServeClientSetupFlags(t *testing.T) {
	dir := mailData(t)
	addr, _ := startServe(t, dir, dnsFlags...)
	resp, err := http.Get("http://" + addr + "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=anna@domain.ch")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var c struct {
		Servers []struct {
			Hostname   string `xml:"hostname"`
			Port       int    `xml:"port"`
			SocketType string `xml:"socketType"`
			Username   string `xml:"username"`
		} `xml:"emailProvider>incomingServer"`
		DAV string `xml:"calendar>serverURL"`
	}
	if err := xml.Unmarshal(body, &c); err != nil || resp.StatusCode != 200 || len(c.Servers) != 1 ||
		c.Servers[0].Hostname != "mail.domain.xyz" || c.Servers[0].Port != 993 || c.Servers[0].Username != "anna@domain.xyz" ||
		c.DAV != "https://dav.domain.xyz/dav/" {
		t.Fatalf("autoconfig: %d %+v %v\n%s", resp.StatusCode, c, err, body)
	}

	// Before the environment below names a submission host.
	if code, _, errs := runCmd(t, "", "serve", "-data", t.TempDir(), "-listen", "127.0.0.1:0", "-submission-port", "587"); code != 2 ||
		!strings.Contains(errs, "-submission-port and -submission-security need -submission-host") {
		t.Errorf("serve -submission-port alone: exit %d %q", code, errs)
	}

	for i := 0; i+1 < len(dnsFlags); i += 2 {
		t.Setenv("ALMANAC_"+strings.ToUpper(strings.ReplaceAll(strings.TrimPrefix(dnsFlags[i], "-"), "-", "_")), dnsFlags[i+1])
	}
	code, out, errs := runCmd(t, "", "dns", "-data", dir)
	if code != 0 || out != dnsWant {
		t.Errorf("dns through the server: exit %d %q\n%s", code, errs, out)
	}
}

// What the CLI sends the server for dns and doctor is every setting
// spelled out, and the server settles on the same values.
func TestCanonicalSetupArgs(t *testing.T) {
	t.Setenv("ALMANAC_IMAP_HOST", "Mail.Example.NET")
	t.Setenv("ALMANAC_SUBMISSION_SECURITY", "STARTTLS")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"dns", "domain.xyz"}, []string{"-imap-host=mail.example.net", "-imap-port=0", "-imap-security=tls",
			"-submission-host=", "-submission-port=0", "-submission-security=starttls", "-public-url=", "--", "domain.xyz"}},
	} {
		cmd := dbCommands[tc.args[0]]
		c := newCmdline(cmd.name, io.Discard)
		c.dataDir()
		cmd.define(c)
		if err := c.parse(tc.args[1:], cmd.minArgs, cmd.maxArgs); err != nil {
			t.Fatal(err)
		}
		got := c.canonical("data")
		if !slices.Equal(got, tc.want) {
			t.Fatalf("canonical %q, want %q", got, tc.want)
		}
		s := newCmdline(cmd.name, io.Discard)
		s.getenv = func(string) string { return "" }
		cmd.define(s)
		if err := s.parse(got, cmd.minArgs, cmd.maxArgs); err != nil {
			t.Fatalf("the server cannot parse %q: %v", got, err)
		}
		if again := s.canonical(); !slices.Equal(again, got) {
			t.Fatalf("the server settles on %q, the CLI on %q", again, got)
		}
	}
}
