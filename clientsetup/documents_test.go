package clientsetup

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almanac/internal/tooltest"
	"almanac/storage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

const outlookRequest = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>anna@domain.xyz</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>`

func TestParseADRequest(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     ADRequest
		outlook  bool
	}{
		{"outlook", outlookRequest, ADRequest{"anna@domain.xyz", adOutlookResponse}, true},
		{"no schema", `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress> anna@domain.xyz </EMailAddress></Request></Autodiscover>`,
			ADRequest{"anna@domain.xyz", ""}, true},
		{"mobilesync", `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"><Request><EMailAddress>a@b.c</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006</AcceptableResponseSchema></Request></Autodiscover>`,
			ADRequest{"a@b.c", "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"}, false},
		{"prefixed", `<a:Autodiscover xmlns:a="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><a:Request><a:EMailAddress>a@b.c</a:EMailAddress></a:Request></a:Autodiscover>`,
			ADRequest{"a@b.c", ""}, true},
		{"entities", strings.Replace(outlookRequest, "anna@domain.xyz", "anna&#64;domain.xyz", 1), ADRequest{"anna@domain.xyz", adOutlookResponse}, true},
		{"trailing comment", outlookRequest + "\n<!-- end -->\n", ADRequest{"anna@domain.xyz", adOutlookResponse}, true},
	} {
		got, err := ParseADRequest(strings.NewReader(tc.in))
		if err != nil || got != tc.want || got.OutlookSchema() != tc.outlook {
			t.Errorf("%s: %+v, %v; want %+v (outlook %v)", tc.name, got, err, tc.want, tc.outlook)
		}
	}
}

func TestParseADRequestRefuses(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"not XML", "anna@domain.xyz"},
		{"no namespace", `<Autodiscover><Request><EMailAddress>a@b.c</EMailAddress></Request></Autodiscover>`},
		{"other namespace", `<Autodiscover xmlns="urn:x"><Request><EMailAddress>a@b.c</EMailAddress></Request></Autodiscover>`},
		{"other root", strings.ReplaceAll(outlookRequest, "Autodiscover ", "Discover ")},
		{"no request", `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"/>`},
		{"two requests", strings.Replace(outlookRequest, "</Autodiscover>", "<Request><EMailAddress>b@b.c</EMailAddress></Request></Autodiscover>", 1)},
		{"no address", strings.Replace(outlookRequest, "<EMailAddress>anna@domain.xyz</EMailAddress>", "", 1)},
		{"empty address", strings.Replace(outlookRequest, "anna@domain.xyz", " ", 1)},
		{"two addresses", strings.Replace(outlookRequest, "</EMailAddress>", "</EMailAddress><EMailAddress>b@b.c</EMailAddress>", 1)},
		{"two schemas", strings.Replace(outlookRequest, "</AcceptableResponseSchema>", "</AcceptableResponseSchema><AcceptableResponseSchema>x</AcceptableResponseSchema>", 1)},
		{"unclosed", strings.TrimSuffix(outlookRequest, "</Autodiscover>")},
		{"second document", outlookRequest + outlookRequest},
		{"text after", outlookRequest + "x"},
		{"undefined entity", strings.Replace(outlookRequest, "anna@", "&x;", 1)},
		{"entity definition", `<!DOCTYPE a [<!ENTITY x "anna@domain.xyz">]>` + strings.Replace(outlookRequest[strings.Index(outlookRequest, "<Autodiscover"):], "anna@domain.xyz", "&x;", 1)},
	} {
		got, err := ParseADRequest(strings.NewReader(tc.in))
		if !errors.Is(err, ErrADRequest) {
			t.Errorf("%s: %+v, %v; want ErrADRequest", tc.name, got, err)
		}
	}
	_, err := ParseADRequest(strings.NewReader(outlookRequest + strings.Repeat(" ", MaxAutodiscoverRequest)))
	if !errors.Is(err, ErrADTooLarge) {
		t.Errorf("too large: %v", err)
	}
}

// FuzzParseADRequest: the parser never panics, refuses with its
// sentinels only, and what it accepts has an address without
// surrounding space.
func FuzzParseADRequest(f *testing.F) {
	f.Add(outlookRequest)
	f.Add(`<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"><Request><EMailAddress>a@b.c</EMailAddress></Request></Autodiscover>`)
	f.Add(`<!DOCTYPE a [<!ENTITY x "y">]><Autodiscover/>`)
	f.Add("<a><b></a>")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseADRequest(strings.NewReader(s))
		if err != nil {
			if !errors.Is(err, ErrADRequest) && !errors.Is(err, ErrADTooLarge) {
				t.Fatalf("%q: error %v is neither sentinel", s, err)
			}
			return
		}
		if r.EMailAddress == "" || strings.TrimSpace(r.EMailAddress) != r.EMailAddress {
			t.Fatalf("%q: accepted address %q", s, r.EMailAddress)
		}
	})
}

func TestAutodiscoverErrorGolden(t *testing.T) {
	now := time.Date(2026, 3, 1, 16, 42, 44, 495771400, time.UTC)
	doc := AutodiscoverError(ADNotFound, now, "cal.example.com")
	golden(t, "autodiscover-notfound.xml", doc)
	var r struct {
		XMLName  xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
		Response struct {
			XMLName xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Response"`
			Error   struct {
				Time      string    `xml:"Time,attr"`
				ID        string    `xml:"Id,attr"`
				ErrorCode int       `xml:"ErrorCode"`
				Message   string    `xml:"Message"`
				DebugData *struct{} `xml:"DebugData"`
			} `xml:"Error"`
		} `xml:"Response"`
	}
	if err := xml.Unmarshal(doc, &r); err != nil {
		t.Fatal(err)
	}
	e := r.Response.Error
	if e.Time != "16:42:44.4957714" || e.ID == "" || e.ErrorCode != 500 || e.Message != "The email address cannot be found." || e.DebugData == nil {
		t.Errorf("error response: %+v", e)
	}
}

// Values are escaped in every document: what a Mail Service owner or an
// account name holds cannot add elements.
func TestDocumentsEscape(t *testing.T) {
	m := MailAccount{Domains: []string{"domain.xyz"}, Username: `a<b>&"c'@domain.xyz`,
		IMAP:       Endpoint{Host: "imap.example.net", Port: 993, Security: SecurityTLS},
		Submission: Endpoint{Host: "smtp.example.net", Port: 465, Security: SecurityTLS}, DAVURL: "https://cal.example.com/dav/?a=1&b=<2>"}
	for name, doc := range map[string][]byte{"autoconfig": Autoconfig(m), "autodiscover": Autodiscover(m)} {
		var v struct {
			Names []string `xml:",any"`
		}
		if err := xml.Unmarshal(doc, &v); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, doc)
		}
		if bytes.Contains(doc, []byte("<b>")) || !bytes.Contains(doc, []byte("a&lt;b&gt;&amp;")) {
			t.Errorf("%s is not escaped:\n%s", name, doc)
		}
	}
	py := tooltest.Require(t, "python3", "python3")
	doc := MobileConfig(Profile{Identifier: "x", DisplayName: "<dict>&", Organization: "o",
		Mail: &ProfileMail{Address: "a@b.c", Name: `Anna "</string><key>x</key>`, Username: "a@b.c", IMAP: m.IMAP, Submission: m.Submission}})
	cmd := exec.Command(py, "-c", `import plistlib, sys
p = plistlib.loads(sys.stdin.buffer.read())
print(p["PayloadDisplayName"]); print(p["PayloadContent"][0]["EmailAccountName"])`)
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.Output()
	if err != nil || string(out) != "<dict>&\nAnna \"</string><key>x</key>\n" {
		t.Errorf("plistlib read %q, %v from\n%s", out, err, doc)
	}
}

// nameUUID is RFC 9562's version 5 UUID, as another implementation
// (Python's uuid module) computes it.
func TestNameUUID(t *testing.T) {
	py := tooltest.Require(t, "python3", "python3")
	out, err := exec.Command(py, "-c", `import uuid; print(str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:almanac:com.example.cal.almanac.h")).upper())`).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := nameUUID("com.example.cal.almanac.h"); got+"\n" != string(out) {
		t.Errorf("nameUUID = %s, Python's uuid5 %s", got, out)
	}
}

func TestConfigFor(t *testing.T) {
	c := Config{IMAP: storage.MailEndpoint{Host: "imap.example.net"}, Submission: storage.MailEndpoint{Host: "smtp.example.net", Security: "starttls"}}
	for _, tc := range []struct {
		name            string
		s               *storage.MailService
		imap, submisson Endpoint
	}{
		{"server's", nil, Endpoint{"imap.example.net", 993, "tls"}, Endpoint{"smtp.example.net", 587, "starttls"}},
		{"service without its own", &storage.MailService{}, Endpoint{"imap.example.net", 993, "tls"}, Endpoint{"smtp.example.net", 587, "starttls"}},
		// A service's endpoint replaces the server's as a whole: its
		// security does not keep the server's port.
		{"service's IMAP", &storage.MailService{IMAP: storage.MailEndpoint{Host: "mx.example.org", Security: "starttls"}},
			Endpoint{"mx.example.org", 143, "starttls"}, Endpoint{"smtp.example.net", 587, "starttls"}},
		{"service's submission", &storage.MailService{Submission: storage.MailEndpoint{Host: "mx.example.org", Port: 2525, Security: "none"}},
			Endpoint{"imap.example.net", 993, "tls"}, Endpoint{"mx.example.org", 2525, "none"}},
		{"port without host is nothing", &storage.MailService{IMAP: storage.MailEndpoint{Port: 1143}},
			Endpoint{"imap.example.net", 993, "tls"}, Endpoint{"smtp.example.net", 587, "starttls"}},
	} {
		imap, sub := c.For(tc.s)
		if imap != tc.imap || sub != tc.submisson {
			t.Errorf("%s: %+v %+v, want %+v %+v", tc.name, imap, sub, tc.imap, tc.submisson)
		}
	}
	if imap, sub := (Config{}).For(nil); imap.Configured() || sub.Configured() {
		t.Errorf("empty config: %+v %+v", imap, sub)
	}
}

func TestCheckEndpoint(t *testing.T) {
	for _, tc := range []struct {
		in    storage.MailEndpoint
		want  storage.MailEndpoint
		field string
	}{
		{storage.MailEndpoint{Host: " Mail.Example.NET "}, storage.MailEndpoint{Host: "mail.example.net", Security: "tls"}, ""},
		{storage.MailEndpoint{Host: "mail", Port: 1143, Security: "STARTTLS"}, storage.MailEndpoint{Host: "mail", Port: 1143, Security: "starttls"}, ""},
		{storage.MailEndpoint{Host: "192.0.2.7", Security: "none"}, storage.MailEndpoint{Host: "192.0.2.7", Security: "none"}, ""},
		{storage.MailEndpoint{Host: "xn--bcher-kva.example"}, storage.MailEndpoint{Host: "xn--bcher-kva.example", Security: "tls"}, ""},
		{storage.MailEndpoint{}, storage.MailEndpoint{}, "host"},
		{storage.MailEndpoint{Host: "mail.example.net:993"}, storage.MailEndpoint{}, "host"},
		{storage.MailEndpoint{Host: "::1"}, storage.MailEndpoint{}, "host"},
		{storage.MailEndpoint{Host: "mail.example.net."}, storage.MailEndpoint{}, "host"},
		{storage.MailEndpoint{Host: "mail..example.net"}, storage.MailEndpoint{}, "host"},
		{storage.MailEndpoint{Host: "-mail.example.net"}, storage.MailEndpoint{}, "host"},
		{storage.MailEndpoint{Host: "mail_1.example.net"}, storage.MailEndpoint{}, "host"},
		{storage.MailEndpoint{Host: "mail.example.net\r\nX: y"}, storage.MailEndpoint{}, "host"},
		{storage.MailEndpoint{Host: "bücher.example"}, storage.MailEndpoint{}, "host"},
		{storage.MailEndpoint{Host: strings.Repeat("a", 64) + ".example"}, storage.MailEndpoint{}, "host"},
		{storage.MailEndpoint{Host: "m.example", Port: -1}, storage.MailEndpoint{}, "port"},
		{storage.MailEndpoint{Host: "m.example", Port: 65536}, storage.MailEndpoint{}, "port"},
		{storage.MailEndpoint{Host: "m.example", Security: "ssl"}, storage.MailEndpoint{}, "security"},
	} {
		got, ferr := CheckEndpoint(tc.in)
		switch {
		case tc.field == "" && (ferr != nil || got != tc.want):
			t.Errorf("CheckEndpoint(%+v) = %+v, %v; want %+v", tc.in, got, ferr, tc.want)
		case tc.field != "" && (ferr == nil || ferr.Field != tc.field):
			t.Errorf("CheckEndpoint(%+v) = %v; want an error on %s", tc.in, ferr, tc.field)
		}
	}
}

func TestDNSRecords(t *testing.T) {
	imapTLS := Endpoint{"mail.example.net", 993, SecurityTLS}
	subStart := Endpoint{"mail.example.net", 587, SecurityStartTLS}
	u := func(s string) *url.URL {
		v, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	var b bytes.Buffer
	for _, tc := range []struct {
		heading          string
		imap, submission Endpoint
		public           *url.URL
	}{
		{"domain.xyz", imapTLS, subStart, u("https://cal.example.com")},
		{"domain.ch: alias domain of domain.xyz", Endpoint{"mail.example.net", 143, SecurityStartTLS}, Endpoint{"mail.example.net", 465, SecurityTLS}, u("https://dav.example.com:8443/cal")},
		{"plain.example: no TLS anywhere", Endpoint{"mail.plain.example", 143, SecurityNone}, Endpoint{}, u("http://cal.plain.example")},
		{"ip.example", Endpoint{}, Endpoint{}, u("https://192.0.2.7")},
		{"v6.example", imapTLS, subStart, u("https://[2001:db8::1]")},
		{"nopublic.example", imapTLS, subStart, nil},
		{"self.example: the public host is the autoconfig name", imapTLS, subStart, u("https://autoconfig.self.example")},
	} {
		domain, _, _ := strings.Cut(tc.heading, ":")
		records, notes := DNSRecords(domain, tc.imap, tc.submission, tc.public)
		for _, r := range records {
			if !strings.HasSuffix(r.Name, "."+domain+".") {
				t.Errorf("%s: record %+v outside the domain", domain, r)
			}
		}
		if err := WriteZone(&b, tc.heading, records, notes); err != nil {
			t.Fatal(err)
		}
		b.WriteString("\n")
	}
	golden(t, "dns.zone", b.Bytes())
}
