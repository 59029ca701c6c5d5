package clientsetup_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"almanac/clientsetup"
	"almanac/clientsetup/setuptest"
	"almanac/server/servertest"
)

// doctorTo is a doctor that reaches every address at target.
func doctorTo(target string, roots *x509.CertPool) *clientsetup.Doctor {
	return &clientsetup.Doctor{Timeout: 2 * time.Second, RootCAs: roots,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, target)
		}}
}

// The mail probes say in words what a client would run into, for each
// way a server can be set up wrong, and OK for a good one.
func TestDoctorMail(t *testing.T) {
	ca := setuptest.NewCA(t)
	good := ca.Leaf(t, time.Now().Add(24*time.Hour), "mail.example.net")
	other := ca.Leaf(t, time.Now().Add(24*time.Hour), "other.example.org")
	expired := ca.Leaf(t, time.Now().Add(-time.Hour), "mail.example.net")
	ep := func(sec string) clientsetup.Endpoint {
		return clientsetup.Endpoint{Host: "mail.example.net", Port: 1, Security: sec}
	}
	refused := func() string {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}()
	for _, tc := range []struct {
		name   string
		proto  clientsetup.Protocol
		server *setuptest.MailServer
		sec    string
		roots  *x509.CertPool
		level  clientsetup.Level
		text   string
	}{
		{"imap tls", clientsetup.IMAP, &setuptest.MailServer{IMAP: true, ImplicitTLS: true, Cert: good}, "tls", ca.Pool, clientsetup.OK, "answers and offers TLS; certificate valid until"},
		{"imap starttls", clientsetup.IMAP, &setuptest.MailServer{IMAP: true, StartTLS: true, Cert: good}, "starttls", ca.Pool, clientsetup.OK, "answers and offers TLS"},
		{"imap no starttls", clientsetup.IMAP, &setuptest.MailServer{IMAP: true, Cert: good}, "starttls", ca.Pool, clientsetup.Fail, "does not offer STARTTLS"},
		{"imap tls on a plain port", clientsetup.IMAP, &setuptest.MailServer{IMAP: true, StartTLS: true, Cert: good}, "tls", ca.Pool, clientsetup.Fail, "does not start TLS on this port"},
		{"imap starttls on a tls port", clientsetup.IMAP, &setuptest.MailServer{IMAP: true, ImplicitTLS: true, Cert: good}, "starttls", ca.Pool, clientsetup.Fail, "(security tls?)"},
		{"imap untrusted", clientsetup.IMAP, &setuptest.MailServer{IMAP: true, ImplicitTLS: true, Cert: good}, "tls", nil, clientsetup.Fail, "not signed by an authority clients trust"},
		{"imap wrong name", clientsetup.IMAP, &setuptest.MailServer{IMAP: true, ImplicitTLS: true, Cert: other}, "tls", ca.Pool, clientsetup.Fail, "not valid for mail.example.net (it names other.example.org)"},
		{"imap expired", clientsetup.IMAP, &setuptest.MailServer{IMAP: true, ImplicitTLS: true, Cert: expired}, "tls", ca.Pool, clientsetup.Fail, "has expired"},
		{"imap starttls wrong name", clientsetup.IMAP, &setuptest.MailServer{IMAP: true, StartTLS: true, Cert: other}, "starttls", ca.Pool, clientsetup.Fail, "not valid for mail.example.net"},
		{"imap none", clientsetup.IMAP, &setuptest.MailServer{IMAP: true, StartTLS: true, Cert: good}, "none", ca.Pool, clientsetup.Fail, "without TLS (security none): passwords would cross the network in the clear; it offers STARTTLS, so use security starttls"},
		{"imap logins disabled", clientsetup.IMAP, &setuptest.MailServer{IMAP: true, ImplicitTLS: true, NoAuth: true, Cert: good}, "tls", ca.Pool, clientsetup.Fail, "LOGINDISABLED"},
		{"imap bye", clientsetup.IMAP, &setuptest.MailServer{IMAP: true, Greeting: "* BYE too busy", Cert: good}, "starttls", ca.Pool, clientsetup.Fail, `turns clients away: "* BYE too busy"`},
		{"imap not imap", clientsetup.IMAP, &setuptest.MailServer{IMAP: true, Greeting: "220 smtp here", Cert: good}, "starttls", ca.Pool, clientsetup.Fail, "does not greet as an IMAP server"},
		{"imap silent", clientsetup.IMAP, &setuptest.MailServer{Silent: true}, "starttls", ca.Pool, clientsetup.Fail, "no answer within"},
		{"submission tls", clientsetup.Submission, &setuptest.MailServer{ImplicitTLS: true, Cert: good}, "tls", ca.Pool, clientsetup.OK, "answers and offers TLS and AUTH; certificate valid until"},
		{"submission starttls", clientsetup.Submission, &setuptest.MailServer{StartTLS: true, Cert: good}, "starttls", ca.Pool, clientsetup.OK, "answers and offers TLS and AUTH"},
		{"submission no starttls", clientsetup.Submission, &setuptest.MailServer{Cert: good}, "starttls", ca.Pool, clientsetup.Fail, "does not offer STARTTLS"},
		{"submission no auth", clientsetup.Submission, &setuptest.MailServer{ImplicitTLS: true, NoAuth: true, Cert: good}, "tls", ca.Pool, clientsetup.Fail, "offers no AUTH"},
		{"submission untrusted", clientsetup.Submission, &setuptest.MailServer{StartTLS: true, Cert: good}, "starttls", nil, clientsetup.Fail, "not signed by an authority"},
		{"submission refuses", clientsetup.Submission, &setuptest.MailServer{Greeting: "554 no service", Cert: good}, "starttls", ca.Pool, clientsetup.Fail, "answers 554 no service"},
		{"submission none", clientsetup.Submission, &setuptest.MailServer{StartTLS: true, Cert: good}, "none", ca.Pool, clientsetup.Fail, "use security starttls"},
		{"refused", clientsetup.IMAP, nil, "tls", ca.Pool, clientsetup.Fail, "nothing listens on mail.example.net:1 (connection refused)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := refused
			if tc.server != nil {
				target = tc.server.Start(t)
			}
			f := doctorTo(target, tc.roots).Mail(context.Background(), tc.proto, ep(tc.sec))
			if f.Level != tc.level || !strings.Contains(f.Text, tc.text) {
				t.Errorf("%s: %v %q, want %v saying %q", f.Subject, f.Level, f.Text, tc.level, tc.text)
			}
		})
	}
}

// startTLS serves h over HTTPS with a certificate for cal.example.com.
func startTLS(t *testing.T, ca *setuptest.CA, h http.Handler) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, time.Now().Add(time.Hour), "cal.example.com")}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// The well-known probe follows RFC 6764 discovery as a client does:
// from the root of the public host to /dav/ under the public URL, where
// almanac must ask for a login.
func TestDoctorWellKnown(t *testing.T) {
	ca := setuptest.NewCA(t)
	env := servertest.New(t)
	almanac := startTLS(t, ca, env.Server)
	notPassed := startTLS(t, ca, http.NotFoundHandler())
	davMissing := startTLS(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/.well-known/") {
			env.Server.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	u := func(s string) *url.URL { v, _ := url.Parse(s); return v }
	for _, tc := range []struct {
		name, target, public string
		roots                *x509.CertPool
		level                clientsetup.Level
		text                 string
	}{
		{"good", almanac, "https://cal.example.com", ca.Pool, clientsetup.OK, "redirects to https://cal.example.com/dav/, where almanac asks for a login"},
		{"prefix", almanac, "https://cal.example.com/cal", ca.Pool, clientsetup.Fail, "redirects to https://cal.example.com/dav/, not to https://cal.example.com/cal/dav/"},
		{"not passed", notPassed, "https://cal.example.com", ca.Pool, clientsetup.Fail, "answers 404 instead of redirecting"},
		{"dav missing", davMissing, "https://cal.example.com", ca.Pool, clientsetup.Fail, "which answers 404 instead of asking for a login"},
		{"untrusted", almanac, "https://cal.example.com", nil, clientsetup.Fail, "not signed by an authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := doctorTo(tc.target, tc.roots).WellKnown(context.Background(), u(tc.public))
			if len(fs) != 2 {
				t.Fatalf("findings %+v", fs)
			}
			for i, name := range []string{"caldav", "carddav"} {
				f := fs[i]
				if f.Subject != "https://cal.example.com/.well-known/"+name || f.Level != tc.level || !strings.Contains(f.Text, tc.text) {
					t.Errorf("%s: %v %q, want %v saying %q", f.Subject, f.Level, f.Text, tc.level, tc.text)
				}
			}
		})
	}
	// Plain http works, with a warning.
	plain := env.Start()
	fs := doctorTo(strings.TrimPrefix(plain, "http://"), nil).WellKnown(context.Background(), u("http://cal.example.com"))
	if len(fs) != 3 || fs[0].Level != clientsetup.Warn || fs[1].Level != clientsetup.OK || fs[2].Level != clientsetup.OK {
		t.Errorf("http: %+v", fs)
	}
}
