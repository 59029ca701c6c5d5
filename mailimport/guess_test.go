package mailimport

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestResolveEndpoint(t *testing.T) {
	for _, tc := range []struct {
		address, host string
		port          int
		security      string
		want          Endpoint
		guessed       bool
		field         string // of the error; "" for none
	}{
		{"anna@gmail.com", "", 0, "", Endpoint{"imap.gmail.com", 993, SecurityTLS}, true, ""},
		{"Anna@GoogleMail.com", "", 0, "", Endpoint{"imap.gmail.com", 993, SecurityTLS}, true, ""},
		{"bob@hotmail.fr", "", 0, "", Endpoint{"outlook.office365.com", 993, SecurityTLS}, true, ""},
		{"c@corp.example", "", 0, "", Endpoint{"imap.corp.example", 993, SecurityTLS}, true, ""},
		// The security picks the port unless one is given.
		{"c@corp.example", "", 0, "starttls", Endpoint{"imap.corp.example", 143, SecurityStartTLS}, true, ""},
		{"c@corp.example", "Mail.Corp.Example.", 1993, "TLS", Endpoint{"mail.corp.example", 1993, SecurityTLS}, false, ""},
		{"c@corp.example", "[2001:db8::1]", 0, "none", Endpoint{"2001:db8::1", 143, SecurityNone}, false, ""},
		{"c@corp.example", "192.0.2.1", 0, "", Endpoint{"192.0.2.1", 993, SecurityTLS}, false, ""},
		{"c@corp.example", "mail.corp.example:993", 0, "", Endpoint{}, false, "imap_host"},
		{"c@corp.example", "-bad.example", 0, "", Endpoint{}, false, "imap_host"},
		{"c@corp.example", "bad..example", 0, "", Endpoint{}, false, "imap_host"},
		{"c@corp.example", "ex ample.com", 0, "", Endpoint{}, false, "imap_host"},
		{"c@corp.example", strings.Repeat("a", 64) + ".example", 0, "", Endpoint{}, false, "imap_host"},
		{"c@corp.example", "", 0, "ssl", Endpoint{}, false, "imap_security"},
		{"c@corp.example", "", 65536, "", Endpoint{}, false, "imap_port"},
		{"c@corp.example", "", -1, "", Endpoint{}, false, "imap_port"},
	} {
		ep, guessed, err := resolveEndpoint(tc.address, tc.host, tc.port, tc.security)
		switch {
		case tc.field != "":
			if err == nil || err.field != tc.field {
				t.Errorf("resolveEndpoint(%q, %q, %d, %q) = %v, %v; want an error on %s", tc.address, tc.host, tc.port, tc.security, ep, err, tc.field)
			}
		case err != nil || ep != tc.want || guessed != tc.guessed:
			t.Errorf("resolveEndpoint(%q, %q, %d, %q) = %v, %v, %v; want %v, %v", tc.address, tc.host, tc.port, tc.security, ep, guessed, err, tc.want, tc.guessed)
		}
	}
}

func TestCheckAddress(t *testing.T) {
	for _, ok := range []string{"a@b.example", " anna.b+tag@mail.example.org ", "x_y@d-e.example"} {
		if got, err := checkAddress(ok); err != nil || got != strings.TrimSpace(ok) {
			t.Errorf("checkAddress(%q) = %q, %v", ok, got, err)
		}
	}
	for _, bad := range []string{"", "a", "a@b", "Anna <a@b.example>", "a b@c.example", "a@b.example\r\nBcc: x@y.example",
		`"a"@b.example`, strings.Repeat("a", 250) + "@b.example", "a@@b.example"} {
		if got, err := checkAddress(bad); err == nil {
			t.Errorf("checkAddress(%q) = %q, want an error", bad, got)
		}
	}
}

// FuzzResolveEndpoint: whatever a user sends, an accepted endpoint is
// one a dialer can use: a host without a port, spaces or line breaks, a
// port in range, a known security mode.
func FuzzResolveEndpoint(f *testing.F) {
	f.Add("anna@gmail.com", "", 0, "")
	f.Add("c@corp.example", "Mail.Corp.Example.", 1993, "TLS")
	f.Add("c@corp.example", "[::1]", 143, "none")
	f.Add("c@x", "a:b", 70000, "ssl")
	f.Fuzz(func(t *testing.T, address, host string, port int, security string) {
		if a, err := checkAddress(address); err == nil {
			if !utf8.ValidString(a) || strings.ContainsAny(a, " \t\r\n<>\"") || !strings.Contains(a, "@") {
				t.Fatalf("checkAddress(%q) accepted %q", address, a)
			}
		}
		ep, _, err := resolveEndpoint(address, host, port, security)
		if err != nil {
			if err.field != "imap_host" && err.field != "imap_port" && err.field != "imap_security" {
				t.Fatalf("error on field %q", err.field)
			}
			return
		}
		if strings.TrimSpace(host) != "" && (ep.Host == "" || strings.ContainsAny(ep.Host, " \t\r\n/@[]") ||
			(strings.Contains(ep.Host, ":") && !strings.Contains(strings.Trim(host, " []"), ":"))) {
			t.Fatalf("host %q accepted as %q", host, ep.Host)
		}
		if ep.Port < 1 || ep.Port > 65535 {
			t.Fatalf("port %d", ep.Port)
		}
		switch ep.Security {
		case SecurityTLS, SecurityStartTLS, SecurityNone:
		default:
			t.Fatalf("security %q", ep.Security)
		}
	})
}
