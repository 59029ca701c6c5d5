package clientsetup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"almanac/clientsetup"
	"almanac/internal/tooltest"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"
)

// golden compares got with testdata/name, or writes it with -update.
var golden = clientsetup.Golden

// world is a server with the client settings of a small provider: mail
// at mail.example.net (IMAP over implicit TLS, submission with
// STARTTLS), DAV at https://cal.example.com, and a Mail Service for
// domain.xyz (alias domain domain.ch) with the mailbox anna and its
// alias sales. anna.smith@example.org (handle "anna-handle") is linked
// to the mailbox without any right; owner@example.com owns the
// organization; bob@example.com is a stranger to it.
type world struct {
	*servertest.Env
	svc              *storage.MailService
	anna, owner, bob *storage.Account
}

const (
	mailHost = "mail.example.net"
	public   = "https://cal.example.com"
)

func newWorld(t *testing.T, configure ...func(*server.Config)) *world {
	t.Helper()
	env := servertest.New(t, append([]func(*server.Config){func(c *server.Config) {
		c.PublicURL = public
		c.ClientSetup = clientsetup.Config{
			IMAP:       storage.MailEndpoint{Host: mailHost},
			Submission: storage.MailEndpoint{Host: mailHost, Security: clientsetup.SecurityStartTLS},
		}
	}}, configure...)...)
	w := &world{Env: env}
	ctx := context.Background()
	w.anna = env.Account("anna.smith@example.org", func(a *storage.Account) { a.ID, a.DisplayName = "anna-handle", "Anna Smith" })
	w.owner = env.Account("owner@example.com", func(a *storage.Account) { a.ID = "owner-handle" })
	w.bob = env.Account("bob@example.com")
	org := &storage.Organization{Name: "Domain XYZ"}
	must(t, env.Store.CreateOrganization(ctx, org))
	must(t, env.Store.PutMember(ctx, storage.Member{Org: org.ID, Account: w.owner.ID, Role: storage.RoleOwner}))
	must(t, env.Store.PutMember(ctx, storage.Member{Org: org.ID, Account: w.anna.ID, Role: storage.RoleMember}))
	w.svc = &storage.MailService{Org: org.ID, Domain: "domain.xyz", Plan: "standard", AliasDomains: []string{"domain.ch"}}
	must(t, env.Store.CreateMailService(ctx, w.svc))
	must(t, env.Store.CreateMailbox(ctx, &storage.Mailbox{Service: w.svc.ID, LocalPart: "anna", PasswordHash: servertest.PasswordHash(t)}))
	must(t, env.Store.AddAlias(ctx, w.svc.ID, "anna", "sales", 50))
	must(t, env.Store.PutMailboxLink(ctx, &storage.MailboxLink{Service: w.svc.ID, LocalPart: "anna", Account: w.anna.ID}))
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// acConfig is an independent reading of a clientConfig document: every
// element the issue asks for, by the names config-v1.1 gives them.
type acConfig struct {
	XMLName  xml.Name `xml:"clientConfig"`
	Version  string   `xml:"version,attr"`
	Provider struct {
		ID               string     `xml:"id,attr"`
		Domains          []string   `xml:"domain"`
		DisplayName      string     `xml:"displayName"`
		DisplayShortName string     `xml:"displayShortName"`
		Incoming         []acServer `xml:"incomingServer"`
		Outgoing         []acServer `xml:"outgoingServer"`
	} `xml:"emailProvider"`
	AddressBook []acDAV `xml:"addressBook"`
	Calendar    []acDAV `xml:"calendar"`
}

type acServer struct {
	Type           string `xml:"type,attr"`
	Hostname       string `xml:"hostname"`
	Port           int    `xml:"port"`
	SocketType     string `xml:"socketType"`
	Username       string `xml:"username"`
	Authentication string `xml:"authentication"`
}

type acDAV struct {
	Type           string `xml:"type,attr"`
	Username       string `xml:"username"`
	Authentication string `xml:"authentication"`
	ServerURL      string `xml:"serverURL"`
}

func readAutoconfig(t *testing.T, body []byte) acConfig {
	t.Helper()
	var c acConfig
	if err := xml.Unmarshal(body, &c); err != nil {
		t.Fatalf("autoconfig does not parse: %v\n%s", err, body)
	}
	return c
}

// checkAutoconfig checks every field of an autoconfig answer for
// domain.xyz with the login user for mail.
func checkAutoconfig(t *testing.T, c acConfig, user string) {
	t.Helper()
	p := c.Provider
	if c.Version != "1.1" || p.ID != "domain.xyz" || !slices.Equal(p.Domains, []string{"domain.xyz", "domain.ch"}) ||
		p.DisplayName != "domain.xyz" || p.DisplayShortName != "domain.xyz" {
		t.Errorf("provider: version %q %+v", c.Version, p)
	}
	wantIn := acServer{Type: "imap", Hostname: mailHost, Port: 993, SocketType: "SSL", Username: user, Authentication: "password-cleartext"}
	wantOut := acServer{Type: "smtp", Hostname: mailHost, Port: 587, SocketType: "STARTTLS", Username: user, Authentication: "password-cleartext"}
	if len(p.Incoming) != 1 || p.Incoming[0] != wantIn {
		t.Errorf("incomingServer %+v, want %+v", p.Incoming, wantIn)
	}
	if len(p.Outgoing) != 1 || p.Outgoing[0] != wantOut {
		t.Errorf("outgoingServer %+v, want %+v", p.Outgoing, wantOut)
	}
	for _, tc := range []struct {
		got []acDAV
		typ string
	}{{c.AddressBook, "carddav"}, {c.Calendar, "caldav"}} {
		want := acDAV{Type: tc.typ, Username: "%EMAILADDRESS%", Authentication: "http-basic", ServerURL: public + "/dav/"}
		if len(tc.got) != 1 || tc.got[0] != want {
			t.Errorf("%s: %+v, want %+v", tc.typ, tc.got, want)
		}
	}
}

// Thunderbird asks with the address typed: the answer is that mailbox's,
// its login the mailbox's own address however the user spelled it (case,
// alias domain, Unicode), on both autoconfig paths.
func TestAutoconfigMailbox(t *testing.T) {
	w := newWorld(t)
	var first []byte
	for _, q := range []string{"anna@domain.xyz", "Anna@DOMAIN.CH", "%22anna%22@domain.xyz"} {
		for _, p := range []string{clientsetup.AutoconfigPath, clientsetup.AutoconfigHostPath} {
			rec := w.Do("GET", p+"?emailaddress="+q, "", "")
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/xml; charset=utf-8" {
				t.Fatalf("GET %s?emailaddress=%s: %d %q %s", p, q, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			checkAutoconfig(t, readAutoconfig(t, rec.Body.Bytes()), "anna@domain.xyz")
			if first == nil {
				first = rec.Body.Bytes()
				golden(t, "autoconfig-mailbox.xml", first)
			} else if !bytes.Equal(first, rec.Body.Bytes()) {
				t.Errorf("GET %s?emailaddress=%s differs from the first answer", p, q)
			}
		}
	}
}

// Without an address the answer is the domain's, by the Host the client
// asked: the login is the address typed, or its local part at the
// service's own domain for an alias domain.
func TestAutoconfigDomain(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct{ host, user, file string }{
		{"autoconfig.domain.xyz", "%EMAILADDRESS%", "autoconfig-domain.xml"},
		{"autoconfig.domain.ch:443", "%EMAILLOCALPART%@domain.xyz", "autoconfig-aliasdomain.xml"},
		{"Domain.XYZ", "%EMAILADDRESS%", ""},
	} {
		rec := w.Do("GET", "http://"+tc.host+clientsetup.AutoconfigHostPath, "", "")
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.host, rec.Code, rec.Body)
		}
		checkAutoconfig(t, readAutoconfig(t, rec.Body.Bytes()), tc.user)
		if tc.file != "" {
			golden(t, tc.file, rec.Body.Bytes())
		}
	}
}

// Unknown domains and addresses, aliases (whose mailbox may be anyone's)
// and names no mailbox can have get the protocol's not found: 404 with
// nothing of anyone's; a malformed address 400. Nothing sent comes back,
// in the body or a header.
func TestAutoconfigNotFound(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		path string
		code int
	}{
		{clientsetup.AutoconfigPath + "?emailaddress=nobody@domain.xyz", 404},
		{clientsetup.AutoconfigPath + "?emailaddress=anna@unknown.example", 404},
		{clientsetup.AutoconfigPath + "?emailaddress=sales@domain.xyz", 404},
		{clientsetup.AutoconfigPath + "?emailaddress=sales@domain.ch", 404},
		{clientsetup.AutoconfigPath + "?emailaddress=anna%2Btag@domain.xyz", 404},
		{clientsetup.AutoconfigPath + "?emailaddress=anna+tag@domain.xyz", 404},
		{clientsetup.AutoconfigPath + "?emailaddress=anna%ZZ@domain.xyz", 400},
		{clientsetup.AutoconfigPath + "?emailaddress=%22anna%20x%22@domain.xyz", 404},
		{clientsetup.AutoconfigPath + "?emailaddress=anna@b%C3%BCcher.example", 404},
		{"http://autoconfig.unknown.example" + clientsetup.AutoconfigHostPath, 404},
		{"http://cal.example.com" + clientsetup.AutoconfigPath, 404},
		{clientsetup.AutoconfigPath + "?emailaddress=anna", 400},
		{clientsetup.AutoconfigPath + "?emailaddress=", 400},
		{clientsetup.AutoconfigPath + "?emailaddress=anna@domain.xyz&emailaddress=bob@domain.xyz", 400},
		{clientsetup.AutoconfigPath + "?emailaddress=anna%0d%0aX-Injected:%20yes@domain.xyz", 400},
		{clientsetup.AutoconfigPath + "?emailaddress=anna@domain.xyz%0d%0aX-Injected:%20yes", 400},
		{clientsetup.AutoconfigPath + "?emailaddress=%3Cscript%3E@domain.xyz", 400},
	} {
		rec := w.Do("GET", tc.path, "", "")
		body := rec.Body.String()
		if rec.Code != tc.code || strings.Contains(body, "<") || strings.Contains(body, "anna") || strings.Contains(body, mailHost) {
			t.Errorf("GET %s: %d %q, want %d and nothing of anyone's", tc.path, rec.Code, body, tc.code)
		}
		for k := range rec.Header() {
			if strings.EqualFold(k, "X-Injected") {
				t.Errorf("GET %s: header injected", tc.path)
			}
		}
	}
	// Other methods are refused; the path is no DAV collection.
	if rec := w.Do("POST", clientsetup.AutoconfigPath, "", ""); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}

// A server that does not know where mail is served has no autoconfig
// to give; a Mail Service that names its own servers has.
func TestAutoconfigNeedsMailServers(t *testing.T) {
	w := newWorld(t, func(c *server.Config) { c.ClientSetup = clientsetup.Config{} })
	p := clientsetup.AutoconfigPath + "?emailaddress=anna@domain.xyz"
	if rec := w.Do("GET", p, "", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("no mail servers: %d %s", rec.Code, rec.Body)
	}
	_, err := w.Store.SetMailEndpoints(context.Background(), w.svc.ID,
		storage.MailEndpoint{Host: mailHost}, storage.MailEndpoint{Host: mailHost, Port: 587, Security: "starttls"})
	must(t, err)
	rec := w.Do("GET", p, "", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("with the service's own servers: %d %s", rec.Code, rec.Body)
	}
	checkAutoconfig(t, readAutoconfig(t, rec.Body.Bytes()), "anna@domain.xyz")
}

const adRequest = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>%s</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>
`

// adResponse is an independent reading of an Autodiscover answer, with
// the namespaces MS-OXDSCLI gives it.
type adResponse struct {
	XMLName  xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
	Response struct {
		XMLName xml.Name
		Account struct {
			AccountType string       `xml:"AccountType"`
			Action      string       `xml:"Action"`
			Protocol    []adProtocol `xml:"Protocol"`
		} `xml:"Account"`
		Error *struct {
			Time      string `xml:"Time,attr"`
			ID        string `xml:"Id,attr"`
			ErrorCode int    `xml:"ErrorCode"`
			Message   string `xml:"Message"`
		} `xml:"Error"`
	} `xml:"Response"`
}

type adProtocol struct {
	Type, Server                                   string
	Port                                           int
	DomainRequired, LoginName, SPA, SSL            string
	Encryption, AuthRequired, UsePOPAuth, SMTPLast string
}

func readAutodiscover(t *testing.T, body []byte) adResponse {
	t.Helper()
	var r adResponse
	if err := xml.Unmarshal(body, &r); err != nil {
		t.Fatalf("autodiscover answer does not parse: %v\n%s", err, body)
	}
	return r
}

func autodiscover(w *world, path, address string) (int, []byte) {
	rec := w.Do("POST", path, "", strings.ReplaceAll(adRequest, "%s", address), "Content-Type", "text/xml")
	return rec.Code, rec.Body.Bytes()
}

func TestAutodiscover(t *testing.T) {
	w := newWorld(t)
	var first []byte
	for _, path := range []string{"/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml", "/AUTODISCOVER/AUTODISCOVER.XML"} {
		for _, addr := range []string{"anna@domain.xyz", "ANNA@domain.ch"} {
			code, body := autodiscover(w, path, addr)
			if code != http.StatusOK {
				t.Fatalf("%s %s: %d %s", path, addr, code, body)
			}
			r := readAutodiscover(t, body)
			if r.Response.XMLName.Space != "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a" || r.Response.Error != nil {
				t.Fatalf("%s: response %+v", addr, r.Response)
			}
			a := r.Response.Account
			want := []adProtocol{
				{Type: "IMAP", Server: mailHost, Port: 993, DomainRequired: "off", LoginName: "anna@domain.xyz", SPA: "off", SSL: "on", Encryption: "SSL", AuthRequired: "on"},
				{Type: "SMTP", Server: mailHost, Port: 587, DomainRequired: "off", LoginName: "anna@domain.xyz", SPA: "off", SSL: "on", Encryption: "TLS", AuthRequired: "on", UsePOPAuth: "on", SMTPLast: "off"},
			}
			if a.AccountType != "email" || a.Action != "settings" || !slices.Equal(a.Protocol, want) {
				t.Errorf("%s: account %+v, want protocols %+v", addr, a, want)
			}
			if first == nil {
				first = body
				golden(t, "autodiscover-mailbox.xml", body)
			}
		}
	}
}

// The standard error, never another account's data: 500 for what is not
// a mailbox here (an alias included), 600 (status 400) for a request
// that is not one, 601 for another provider's schema, 501 without mail
// servers.
func TestAutodiscoverErrors(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		body   string
		status int
		code   int
	}{
		{strings.ReplaceAll(adRequest, "%s", "nobody@domain.xyz"), 200, 500},
		{strings.ReplaceAll(adRequest, "%s", "anna@unknown.example"), 200, 500},
		{strings.ReplaceAll(adRequest, "%s", "sales@domain.xyz"), 200, 500},
		{strings.ReplaceAll(adRequest, "%s", "&quot;a b&quot;@domain.xyz"), 200, 500},
		{strings.ReplaceAll(adRequest, "%s", "anna@domain.xyz&#13;&#10;X-Injected: yes"), 400, 600},
		{strings.ReplaceAll(adRequest, "%s", "&lt;anna@domain.xyz&gt;"), 400, 600},
		{strings.ReplaceAll(adRequest, "%s", ""), 400, 600},
		{"<Autodiscover><Request><EMailAddress>anna@domain.xyz</EMailAddress></Request></Autodiscover>", 400, 600},
		{"not xml", 400, 600},
		{"", 400, 600},
		{strings.ReplaceAll(strings.ReplaceAll(adRequest, "%s", "anna@domain.xyz"), "outlook/responseschema/2006a", "mobilesync/responseschema/2006"), 200, 601},
		{strings.Repeat(" ", clientsetup.MaxAutodiscoverRequest+1), 413, 600},
	} {
		rec := w.Do("POST", "/autodiscover/autodiscover.xml", "", tc.body, "Content-Type", "text/xml")
		r := readAutodiscover(t, rec.Body.Bytes())
		if rec.Code != tc.status || r.Response.Error == nil || r.Response.Error.ErrorCode != tc.code || len(r.Response.Account.Protocol) != 0 {
			t.Errorf("%.80q: %d %s, want %d with ErrorCode %d", tc.body, rec.Code, rec.Body, tc.status, tc.code)
		}
		if b := rec.Body.String(); strings.Contains(b, "anna") || strings.Contains(b, mailHost) || rec.Header().Get("X-Injected") != "" {
			t.Errorf("%.80q: the error tells more than it should: %s", tc.body, b)
		}
	}
	if rec := w.Do("GET", "/autodiscover/autodiscover.xml", "", ""); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", rec.Code)
	}

	bare := newWorld(t, func(c *server.Config) { c.ClientSetup = clientsetup.Config{} })
	code, body := autodiscover(bare, "/autodiscover/autodiscover.xml", "anna@domain.xyz")
	if r := readAutodiscover(t, body); code != 200 || r.Response.Error == nil || r.Response.Error.ErrorCode != 501 {
		t.Errorf("without mail servers: %d %s", code, body)
	}
}

func getJSON(t *testing.T, w *world, path, login string, want int) map[string]any {
	t.Helper()
	rec := w.Do("GET", path, login, "")
	if rec.Code != want {
		t.Fatalf("GET %s as %s: %d %s, want %d", path, login, rec.Code, rec.Body, want)
	}
	var v map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return v
}

func TestMailboxSettings(t *testing.T) {
	w := newWorld(t)
	dav := map[string]any{"host": "cal.example.com", "port": 443.0, "security": "tls", "username": "anna.smith@example.org",
		"password": "account_or_app", "url": public + "/", "principal_url": public + "/dav/principals/anna-handle/"}
	want := map[string]any{
		"address": "anna@domain.xyz", "login": "anna.smith@example.org", "mail_configured": true,
		"imap":   map[string]any{"host": mailHost, "port": 993.0, "security": "tls", "username": "anna@domain.xyz", "password": "mailbox"},
		"smtp":   map[string]any{"host": mailHost, "port": 587.0, "security": "starttls", "username": "anna@domain.xyz", "password": "mailbox"},
		"caldav": dav, "carddav": dav,
	}
	for _, addr := range []string{"anna@domain.xyz", "Anna@domain.ch"} {
		got := getJSON(t, w, "/api/v1/mailboxes/"+addr+"/settings", w.anna.Login, 200)
		if !jsonEqual(got, want) {
			t.Errorf("settings of %s:\n%v\nwant\n%v", addr, got, want)
		}
	}
	// The account alone: calendars and contacts.
	got := getJSON(t, w, "/api/v1/account/settings", w.bob.Login, 200)
	bobDAV := map[string]any{"host": "cal.example.com", "port": 443.0, "security": "tls", "username": "bob@example.com",
		"password": "account_or_app", "url": public + "/", "principal_url": public + "/dav/principals/" + w.bob.ID + "/"}
	if !jsonEqual(got, map[string]any{"login": "bob@example.com", "caldav": bobDAV, "carddav": bobDAV}) {
		t.Errorf("account settings: %v", got)
	}
	// No mail servers: said, not guessed.
	bare := newWorld(t, func(c *server.Config) { c.ClientSetup = clientsetup.Config{} })
	got = getJSON(t, bare, "/api/v1/mailboxes/anna@domain.xyz/settings", bare.anna.Login, 200)
	if got["mail_configured"] != false || got["imap"] != nil || got["smtp"] != nil {
		t.Errorf("without mail servers: %v", got)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// One user cannot fetch another's settings or profile: an account with
// no link to the mailbox, and no owner's or manager's role, gets the
// same 404 as for a mailbox that does not exist, and a POST stores no
// app password. The owner of the organization may; so may a linked
// account whatever its rights.
func TestSettingsAuthorization(t *testing.T) {
	w := newWorld(t)
	paths := []string{"/api/v1/mailboxes/anna@domain.xyz/settings", "/api/v1/mailboxes/anna@domain.xyz/profile.mobileconfig"}
	for _, p := range paths {
		for _, as := range []string{w.bob.Login} {
			rec := w.Do("GET", p, as, "")
			nobody := w.Do("GET", strings.Replace(p, "anna@", "nobody@", 1), as, "")
			if rec.Code != http.StatusNotFound || rec.Body.String() != nobody.Body.String() || strings.Contains(rec.Body.String(), mailHost) {
				t.Errorf("GET %s as %s: %d %s; want the 404 of a missing mailbox (%s)", p, as, rec.Code, rec.Body, nobody.Body)
			}
		}
		for _, as := range []string{w.anna.Login, w.owner.Login} {
			if rec := w.Do("GET", p, as, ""); rec.Code != http.StatusOK {
				t.Errorf("GET %s as %s: %d %s", p, as, rec.Code, rec.Body)
			}
		}
		if rec := w.Do("GET", p, "", ""); rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s without login: %d", p, rec.Code)
		}
	}
	// An alias is no mailbox to set up.
	if rec := w.Do("GET", "/api/v1/mailboxes/sales@domain.xyz/settings", w.anna.Login, ""); rec.Code != http.StatusNotFound {
		t.Errorf("alias: %d", rec.Code)
	}
	rec := w.Do("POST", "/api/v1/mailboxes/anna@domain.xyz/profile.mobileconfig", w.bob.Login, `{"app_password_name":"phone"}`)
	if rec.Code != http.StatusNotFound {
		t.Errorf("POST as bob: %d", rec.Code)
	}
	pws, err := w.Store.AppPasswords(context.Background(), w.bob.ID)
	must(t, err)
	if len(pws) != 0 {
		t.Errorf("a refused POST made app passwords: %+v", pws)
	}
}

// plist reads a configuration profile with Python's plistlib, a reader
// that shares no code with ours, and returns it as JSON values.
func plist(t *testing.T, body []byte) map[string]any {
	t.Helper()
	py := tooltest.Require(t, "python3", "python3")
	cmd := exec.Command(py, "-c", `import json, plistlib, sys
print(json.dumps(plistlib.loads(sys.stdin.buffer.read(), fmt=plistlib.FMT_XML)))`)
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("plistlib cannot read the profile: %v\n%s\n%s", err, stderr.Bytes(), body)
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func payloads(t *testing.T, p map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, c := range p["PayloadContent"].([]any) {
		d := c.(map[string]any)
		out[d["PayloadType"].(string)] = d
	}
	return out
}

func TestProfileMailbox(t *testing.T) {
	w := newWorld(t)
	rec := w.Do("GET", "/api/v1/mailboxes/anna@domain.xyz/profile.mobileconfig", w.anna.Login, "")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != clientsetup.MobileConfigType ||
		rec.Header().Get("Content-Disposition") != `attachment; filename="almanac-anna@domain.xyz.mobileconfig"` {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	golden(t, "profile-mailbox.mobileconfig", rec.Body.Bytes())
	p := plist(t, rec.Body.Bytes())
	const id = "com.example.cal.almanac.anna-handle.mail-"
	top := map[string]any{"PayloadDescription": "Sets up anna@domain.xyz: mail, calendars and contacts.",
		"PayloadDisplayName": "anna@domain.xyz: mail, calendars and contacts", "PayloadOrganization": "cal.example.com",
		"PayloadRemovalDisallowed": false, "PayloadType": "Configuration", "PayloadVersion": 1.0}
	for k, v := range top {
		if p[k] != v {
			t.Errorf("%s = %v, want %v", k, p[k], v)
		}
	}
	if !strings.HasPrefix(p["PayloadIdentifier"].(string), id) || len(p) != len(top)+3 {
		t.Errorf("top level: %v", p)
	}
	ps := payloads(t, p)
	mail := map[string]any{
		"EmailAccountDescription": "anna@domain.xyz", "EmailAccountName": "Anna Smith", "EmailAccountType": "EmailTypeIMAP",
		"EmailAddress": "anna@domain.xyz", "IncomingMailServerAuthentication": "EmailAuthPassword",
		"IncomingMailServerHostName": mailHost, "IncomingMailServerPortNumber": 993.0, "IncomingMailServerUseSSL": true,
		"IncomingMailServerUsername": "anna@domain.xyz", "OutgoingMailServerAuthentication": "EmailAuthPassword",
		"OutgoingMailServerHostName": mailHost, "OutgoingMailServerPortNumber": 587.0, "OutgoingMailServerUseSSL": true,
		"OutgoingMailServerUsername": "anna@domain.xyz", "OutgoingPasswordSameAsIncomingPassword": true,
		"PayloadType": "com.apple.mail.managed", "PayloadVersion": 1.0, "PayloadDisplayName": "Mail: anna@domain.xyz",
	}
	checkPayload(t, ps["com.apple.mail.managed"], mail, p["PayloadIdentifier"].(string)+".mail")
	for _, kind := range []struct{ prefix, typ, what, suffix string }{
		{"CalDAV", "com.apple.caldav.account", "Calendars", ".caldav"},
		{"CardDAV", "com.apple.carddav.account", "Contacts", ".carddav"},
	} {
		checkPayload(t, ps[kind.typ], map[string]any{
			kind.prefix + "AccountDescription": kind.what + " (cal.example.com)", kind.prefix + "HostName": "cal.example.com",
			kind.prefix + "Port": 443.0, kind.prefix + "PrincipalURL": public + "/dav/principals/anna-handle/",
			kind.prefix + "UseSSL": true, kind.prefix + "Username": "anna.smith@example.org",
			"PayloadType": kind.typ, "PayloadVersion": 1.0, "PayloadDisplayName": kind.what + ": anna.smith@example.org",
		}, p["PayloadIdentifier"].(string)+kind.suffix)
	}
	if len(ps) != 3 {
		t.Errorf("payloads: %v", ps)
	}
	// Without the option, no secret: no password key anywhere.
	if bytes.Contains(rec.Body.Bytes(), []byte("DAVPassword</key>")) {
		t.Errorf("the profile holds a password key")
	}
	// The same profile every time, so that installing it again replaces it.
	again := w.Do("GET", "/api/v1/mailboxes/ANNA@domain.ch/profile.mobileconfig", w.anna.Login, "")
	if !bytes.Equal(again.Body.Bytes(), rec.Body.Bytes()) {
		t.Errorf("the second download differs from the first")
	}
	// Another mailbox of the same account is another profile.
	must(t, w.Store.CreateMailbox(context.Background(), &storage.Mailbox{Service: w.svc.ID, LocalPart: "info", PasswordHash: servertest.PasswordHash(t)}))
	must(t, w.Store.PutMailboxLink(context.Background(), &storage.MailboxLink{Service: w.svc.ID, LocalPart: "info", Account: w.anna.ID}))
	info := plist(t, w.Do("GET", "/api/v1/mailboxes/info@domain.xyz/profile.mobileconfig", w.anna.Login, "").Body.Bytes())
	if info["PayloadIdentifier"] == p["PayloadIdentifier"] || info["PayloadUUID"] == p["PayloadUUID"] {
		t.Errorf("two mailboxes share the profile identifier %v", p["PayloadIdentifier"])
	}
}

// checkPayload checks every key of a payload: want's, and an identifier
// and a UUID that are the payload's own.
func checkPayload(t *testing.T, got, want map[string]any, id string) {
	t.Helper()
	if got == nil {
		t.Fatalf("missing payload %v", want["PayloadType"])
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%v: %s = %v, want %v", want["PayloadType"], k, got[k], v)
		}
	}
	uuid, _ := got["PayloadUUID"].(string)
	if got["PayloadIdentifier"] != id || len(uuid) != 36 || uuid[14] != '5' {
		t.Errorf("%v: identifier %v, UUID %q", want["PayloadType"], got["PayloadIdentifier"], uuid)
	}
	if len(got) != len(want)+2 {
		t.Errorf("%v: keys %v, want those of %v and PayloadIdentifier, PayloadUUID", want["PayloadType"], got, want)
	}
}

// POST embeds a new app password of scope dav, which then opens the
// calendars (and nothing of the API), and is listed with its name.
func TestProfileEmbedsAppPassword(t *testing.T) {
	w := newWorld(t)
	rec := w.Do("POST", "/api/v1/account/profile.mobileconfig", w.bob.Login, `{"app_password_name":"Bob's iPhone"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	ps := payloads(t, plist(t, rec.Body.Bytes()))
	if len(ps) != 2 || ps["com.apple.mail.managed"] != nil {
		t.Fatalf("account profile payloads: %v", ps)
	}
	pw, _ := ps["com.apple.caldav.account"]["CalDAVPassword"].(string)
	if pw == "" || ps["com.apple.carddav.account"]["CardDAVPassword"] != pw {
		t.Fatalf("passwords: %v / %v", ps["com.apple.caldav.account"], ps["com.apple.carddav.account"])
	}
	pws, err := w.Store.AppPasswords(context.Background(), w.bob.ID)
	must(t, err)
	if len(pws) != 1 || pws[0].Name != "Bob's iPhone" || pws[0].Scope != storage.ScopeDAV {
		t.Fatalf("app passwords: %+v", pws)
	}
	dav := w.Do("PROPFIND", "/dav/principals/"+w.bob.ID+"/", "", "", "Authorization", servertest.BasicAuth(w.bob.Login, pw), "Depth", "0")
	if dav.Code != http.StatusMultiStatus {
		t.Errorf("the embedded password does not open DAV: %d", dav.Code)
	}
	if api := w.Do("GET", "/api/v1/account", "", "", "Authorization", servertest.BasicAuth(w.bob.Login, pw)); api.Code != http.StatusForbidden {
		t.Errorf("the embedded password opens the API: %d", api.Code)
	}
	// Default name; bad input stores nothing.
	if rec := w.Do("POST", "/api/v1/account/profile.mobileconfig", w.bob.Login, `{}`); rec.Code != http.StatusOK {
		t.Errorf("POST {}: %d %s", rec.Code, rec.Body)
	}
	for _, body := range []string{`{"app_password_name":""}`, `{"app_password_name":"a\nb"}`, `{"other":1}`, `[]`, ``} {
		if rec := w.Do("POST", "/api/v1/account/profile.mobileconfig", w.bob.Login, body, "Content-Type", "application/json"); rec.Code != http.StatusBadRequest {
			t.Errorf("POST %q: %d %s", body, rec.Code, rec.Body)
		}
	}
	// An app password does not make another.
	rec = w.Do("POST", "/api/v1/account/profile.mobileconfig", "", `{}`, "Authorization", servertest.BasicAuth(w.bob.Login, pw))
	if rec.Code != http.StatusForbidden {
		t.Errorf("POST with an app password: %d", rec.Code)
	}
	pws, _ = w.Store.AppPasswords(context.Background(), w.bob.ID)
	if len(pws) != 2 || pws[1].Name != clientsetup.DefaultAppPasswordName {
		t.Errorf("app passwords after the refusals: %+v", pws)
	}
}

func TestProfileAccountGolden(t *testing.T) {
	w := newWorld(t)
	rec := w.Do("GET", "/api/v1/account/profile.mobileconfig", w.owner.Login, "")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Disposition") != `attachment; filename="almanac-owner@example.com.mobileconfig"` {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	golden(t, "profile-account.mobileconfig", rec.Body.Bytes())
	p := plist(t, rec.Body.Bytes())
	if p["PayloadIdentifier"] != "com.example.cal.almanac.owner-handle" || p["PayloadDisplayName"] != "owner@example.com: calendars and contacts" {
		t.Errorf("top level: %v", p)
	}
}

// A mailbox profile without mail servers would set up nothing to read
// mail with: 409, and no app password made.
func TestProfileNeedsMailServers(t *testing.T) {
	w := newWorld(t, func(c *server.Config) { c.ClientSetup = clientsetup.Config{} })
	rec := w.Do("POST", "/api/v1/mailboxes/anna@domain.xyz/profile.mobileconfig", w.anna.Login, `{}`)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "mail_not_configured") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	pws, _ := w.Store.AppPasswords(context.Background(), w.anna.ID)
	if len(pws) != 0 {
		t.Errorf("app passwords: %+v", pws)
	}
}

func TestServiceClientSettings(t *testing.T) {
	w := newWorld(t)
	path := "/api/v1/services/" + w.svc.ID + "/client-settings"
	got := getJSON(t, w, path, w.owner.Login, 200)
	want := map[string]any{"imap": nil, "submission": nil, "effective": map[string]any{
		"imap":       map[string]any{"host": mailHost, "port": 993.0, "security": "tls"},
		"submission": map[string]any{"host": mailHost, "port": 587.0, "security": "starttls"}}}
	if !jsonEqual(got, want) {
		t.Errorf("GET: %v", got)
	}
	// Members who manage nothing, and strangers, are refused.
	if rec := w.Do("GET", path, w.anna.Login, ""); rec.Code != http.StatusForbidden {
		t.Errorf("GET as a member: %d", rec.Code)
	}
	if rec := w.Do("GET", path, w.bob.Login, ""); rec.Code != http.StatusNotFound {
		t.Errorf("GET as a stranger: %d", rec.Code)
	}
	// Bad values store nothing.
	for _, tc := range []struct{ body, field string }{
		{`{"imap":{"host":"mail example"}}`, "imap.host"},
		{`{"imap":{"host":"mail.example.org:993"}}`, "imap.host"},
		{`{"submission":{"host":"smtp.example.org","port":70000}}`, "submission.port"},
		{`{"submission":{"host":"smtp.example.org","security":"ssl"}}`, "submission.security"},
		{`{"imap":{"host":"<x>.example.org"}}`, "imap.host"},
		{`{"imap":{"host":"bücher.example"}}`, "imap.host"},
	} {
		rec := w.Do("PUT", path, w.owner.Login, tc.body)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"`+tc.field+`"`) {
			t.Errorf("PUT %s: %d %s, want 400 on %s", tc.body, rec.Code, rec.Body, tc.field)
		}
	}
	if rec := w.Do("PUT", path, w.anna.Login, `{"imap":{"host":"imap.example.org"}}`); rec.Code != http.StatusForbidden {
		t.Errorf("PUT as a member: %d", rec.Code)
	}
	s, _ := w.Store.MailService(context.Background(), w.svc.ID)
	if s.IMAP != (storage.MailEndpoint{}) || s.Submission != (storage.MailEndpoint{}) {
		t.Fatalf("refused requests stored %+v %+v", s.IMAP, s.Submission)
	}
	rec := w.Do("PUT", path, w.owner.Login, `{"imap":{"host":"IMAP.Example.org","security":"STARTTLS"}}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	// The service's IMAP, the server's submission; the documents follow.
	got = getJSON(t, w, path, w.owner.Login, 200)
	want = map[string]any{"imap": map[string]any{"host": "imap.example.org", "port": 0.0, "security": "starttls"}, "submission": nil,
		"effective": map[string]any{"imap": map[string]any{"host": "imap.example.org", "port": 143.0, "security": "starttls"},
			"submission": map[string]any{"host": mailHost, "port": 587.0, "security": "starttls"}}}
	if !jsonEqual(got, want) {
		t.Errorf("after PUT: %v", got)
	}
	c := readAutoconfig(t, w.Do("GET", clientsetup.AutoconfigPath+"?emailaddress=anna@domain.xyz", "", "").Body.Bytes())
	if in := c.Provider.Incoming[0]; in.Hostname != "imap.example.org" || in.Port != 143 || in.SocketType != "STARTTLS" {
		t.Errorf("autoconfig after PUT: %+v", in)
	}
	// null (or absent) goes back to the server's.
	if rec := w.Do("PUT", path, w.owner.Login, `{"imap":null}`); rec.Code != http.StatusOK {
		t.Fatalf("PUT null: %d", rec.Code)
	}
	if got := getJSON(t, w, path, w.owner.Login, 200); got["imap"] != nil {
		t.Errorf("after PUT null: %v", got)
	}
}
