package mailimport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// selfSigned is a certificate for 127.0.0.1 and the pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "imap test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// tlsIMAP serves one user over TLS from the first byte (implicit) or
// over STARTTLS, refusing passwords before TLS.
func tlsIMAP(t *testing.T, cert tls.Certificate, implicit bool) int {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(srcUser, srcPassword)
	u.Create("INBOX", nil)
	mem.AddUser(u)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:      imap.CapSet{imap.CapIMAP4rev1: {}},
		TLSConfig: cfg,
		Logger:    log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if implicit {
		ln = tls.NewListener(ln, cfg)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return port
}

// TestLoginSecurity logs in over TLS and STARTTLS, as with every large
// provider, and checks what the user is told when the certificate is
// not trusted, when STARTTLS is asked of a TLS port, and when a
// password would go unencrypted to a server that refuses that.
func TestLoginSecurity(t *testing.T) {
	cert, pool := selfSigned(t)
	implicit, starttls := tlsIMAP(t, cert, true), tlsIMAP(t, cert, false)
	plain := newMemIMAP(t).port
	trusting := &dialer{allowPrivate: true, connectTimeout: 5 * time.Second, idleTimeout: time.Minute, tlsConfig: &tls.Config{RootCAs: pool}}
	distrusting := &dialer{allowPrivate: true, connectTimeout: 5 * time.Second, idleTimeout: time.Minute, tlsConfig: &tls.Config{RootCAs: x509.NewCertPool()}}
	for _, tc := range []struct {
		name  string
		d     *dialer
		ep    Endpoint
		kind  failKind
		words string
	}{
		{"tls", trusting, Endpoint{"127.0.0.1", implicit, SecurityTLS}, 0, ""},
		{"starttls", trusting, Endpoint{"127.0.0.1", starttls, SecurityStartTLS}, 0, ""},
		{"untrusted certificate", distrusting, Endpoint{"127.0.0.1", implicit, SecurityTLS}, failTLS, "not signed by a known authority"},
		{"untrusted certificate after starttls", distrusting, Endpoint{"127.0.0.1", starttls, SecurityStartTLS}, failTLS, "not signed by a known authority"},
		{"tls to a starttls port", trusting, Endpoint{"127.0.0.1", starttls, SecurityTLS}, failTLS, "check the port and the security mode"},
		{"starttls not offered", trusting, Endpoint{"127.0.0.1", plain, SecurityStartTLS}, failTLS, "it does not offer STARTTLS"},
		{"no encryption where it is required", trusting, Endpoint{"127.0.0.1", starttls, SecurityNone}, failProtocol, "refuses passwords without encryption"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.d.login(t.Context(), tc.ep, srcUser, srcPassword)
			if tc.kind == 0 {
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
				return
			}
			var ce *connError
			if !errors.As(err, &ce) || ce.kind != tc.kind || !strings.Contains(ce.words(), tc.words) {
				t.Fatalf("login: %v; want kind %d saying %q", err, tc.kind, tc.words)
			}
			if strings.Contains(ce.words(), srcPassword) {
				t.Errorf("the words show the password: %q", ce.words())
			}
		})
	}
}
