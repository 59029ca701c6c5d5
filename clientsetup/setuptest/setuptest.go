// Package setuptest is what tests of client setup probe: a certificate
// authority of the test's own and fake IMAP and submission servers that
// play a good server or a misconfigured one, on loopback listeners.
package setuptest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// CA is a certificate authority of the test's own.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// Pool trusts the CA alone; PEM is its certificate.
	Pool *x509.CertPool
	PEM  []byte
}

// NewCA makes a CA valid for a day.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "almanac test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
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
	return &CA{cert: cert, key: key, Pool: pool, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// Leaf is a server certificate for names (host names or IP addresses)
// signed by the CA, valid from two days ago until notAfter.
func (ca *CA) Leaf(t testing.TB, notAfter time.Time, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// MailServer is a fake IMAP (IMAP set) or submission server that plays
// one part, a good server's or a misconfigured one's. It serves until
// the test ends.
type MailServer struct {
	IMAP        bool
	ImplicitTLS bool // TLS from the first byte
	Cert        tls.Certificate
	Greeting    string // "" the usual one
	StartTLS    bool   // offered before TLS
	NoAuth      bool   // after TLS: no AUTH (submission), LOGINDISABLED (IMAP)
	Silent      bool   // accepts and says nothing

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

// Start listens on a loopback port and returns its address.
func (f *MailServer) Start(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns = append(f.conns, c)
			f.mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				f.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return ln.Addr().String()
}

func (f *MailServer) serve(c net.Conn) {
	if f.Silent {
		c.Read(make([]byte, 1))
		return
	}
	s := &session{conn: c, tlsConf: &tls.Config{Certificates: []tls.Certificate{f.Cert}}}
	if f.ImplicitTLS && !s.upgrade() {
		return
	}
	s.r = bufio.NewReader(s.conn)
	if f.IMAP {
		f.serveIMAP(s)
	} else {
		f.serveSubmission(s)
	}
}

type session struct {
	conn    net.Conn
	r       *bufio.Reader
	tlsConf *tls.Config
	secure  bool
}

func (s *session) write(line string) { s.conn.Write([]byte(line + "\r\n")) }

func (s *session) upgrade() bool {
	tc := tls.Server(s.conn, s.tlsConf)
	if tc.Handshake() != nil {
		return false
	}
	s.conn, s.secure, s.r = tc, true, bufio.NewReader(tc)
	return true
}

func (f *MailServer) serveIMAP(s *session) {
	greeting := f.Greeting
	if greeting == "" {
		greeting = "* OK fake IMAP ready"
	}
	s.write(greeting)
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return
		}
		tag, cmd, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch strings.ToUpper(cmd) {
		case "CAPABILITY":
			caps := "IMAP4rev1 AUTH=PLAIN"
			if !s.secure && f.StartTLS {
				caps += " STARTTLS"
			}
			if !s.secure || f.NoAuth {
				caps += " LOGINDISABLED"
			}
			s.write("* CAPABILITY " + caps)
			s.write(tag + " OK done")
		case "STARTTLS":
			s.write(tag + " OK begin TLS")
			if !s.upgrade() {
				return
			}
		case "LOGOUT":
			s.write("* BYE")
			s.write(tag + " OK bye")
			return
		default:
			s.write(tag + " BAD unknown")
		}
	}
}

func (f *MailServer) serveSubmission(s *session) {
	greeting := f.Greeting
	if greeting == "" {
		greeting = "220 fake ESMTP"
	}
	s.write(greeting)
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return
		}
		switch strings.ToUpper(strings.Fields(line + " x")[0]) {
		case "EHLO":
			s.write("250-fake")
			if !s.secure && f.StartTLS {
				s.write("250-STARTTLS")
			}
			if s.secure && !f.NoAuth {
				s.write("250-AUTH PLAIN LOGIN")
			}
			s.write("250 8BITMIME")
		case "STARTTLS":
			s.write("220 go ahead")
			if !s.upgrade() {
				return
			}
		case "QUIT":
			s.write("221 bye")
			return
		default:
			s.write("502 no")
		}
	}
}

// LeafFiles writes a Leaf valid for a day, for names, as PEM files in dir
// (for servers that read their certificate from files) and returns
// their paths.
func (ca *CA) LeafFiles(t testing.TB, dir string, names ...string) (certFile, keyFile string) {
	t.Helper()
	leaf := ca.Leaf(t, time.Now().Add(24*time.Hour), names...)
	key, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
