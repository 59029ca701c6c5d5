package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// certificate is the TLS certificate serve presents. Every handshake
// asks GetCertificate for the current one, so reload replaces it for new
// connections while open ones go on with theirs: a renewed certificate
// is taken up on SIGHUP without a restart or a dropped connection.
type certificate struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// loadCertificate reads a PEM certificate chain and its private key.
func loadCertificate(certFile, keyFile string) (*certificate, error) {
	c := &certificate{certFile: certFile, keyFile: keyFile}
	if err := c.reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// reload reads the files again. On error the certificate in use stays:
// a renewal that went wrong halfway must not take the server down.
func (c *certificate) reload() error {
	kp, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("load tls certificate %s and key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cur.Store(&kp)
	return nil
}

// GetCertificate is tls.Config.GetCertificate.
func (c *certificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cur.Load(), nil
}

// log says which certificate is in use and warns when it is out of its
// validity period, which clients would refuse.
func (c *certificate) log(logger *slog.Logger, now time.Time) {
	leaf := c.cur.Load().Leaf
	if leaf == nil {
		return
	}
	args := []any{"file", c.certFile, "subject", leaf.Subject.String(), "names", leaf.DNSNames, "not_after", leaf.NotAfter.UTC().Format(time.RFC3339)}
	switch {
	case now.After(leaf.NotAfter):
		logger.Warn("the tls certificate has expired", args...)
	case now.Before(leaf.NotBefore):
		logger.Warn("the tls certificate is not valid yet", args...)
	default:
		logger.Info("tls certificate loaded", args...)
	}
}

// tlsConfig serves c, with TLS 1.2 at least (RFC 8996 retires 1.0 and
// 1.1; every CalDAV client in use speaks 1.2).
func tlsConfig(c *certificate) *tls.Config {
	return &tls.Config{GetCertificate: c.GetCertificate, MinVersion: tls.VersionTLS12}
}
