package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate for 127.0.0.1 with the
// given serial number, valid from notBefore for a day, and its key.
func writeCert(t *testing.T, certFile, keyFile string, serial int64, notBefore time.Time) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: fmt.Sprintf("almanac test %d", serial)},
		NotBefore: notBefore, NotAfter: notBefore.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// The key first: a reload between the two writes must not pair the
	// new certificate with the old key (it would fail and keep the old).
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

func serialOf(t *testing.T, c *certificate) int64 {
	t.Helper()
	cert, err := c.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil || cert == nil || cert.Leaf == nil {
		t.Fatalf("GetCertificate: %v, %v", cert, err)
	}
	return cert.Leaf.SerialNumber.Int64()
}

// TestCertificateReload: reload swaps what GetCertificate hands to new
// handshakes; a reload that fails keeps the certificate in use.
func TestCertificateReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeCert(t, certFile, keyFile, 1, time.Now().Add(-time.Hour))
	c, err := loadCertificate(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if s := serialOf(t, c); s != 1 {
		t.Fatalf("serial %d, want 1", s)
	}
	held, _ := c.GetCertificate(nil)

	writeCert(t, certFile, keyFile, 2, time.Now().Add(-time.Hour))
	if err := c.reload(); err != nil {
		t.Fatal(err)
	}
	if s := serialOf(t, c); s != 2 {
		t.Errorf("after reload: serial %d, want 2", s)
	}
	if held.Leaf.SerialNumber.Int64() != 1 {
		t.Error("reload changed a certificate already handed out")
	}

	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.reload(); err == nil || !strings.Contains(err.Error(), certFile) {
		t.Errorf("reload of a broken file: %v", err)
	}
	if s := serialOf(t, c); s != 2 {
		t.Errorf("after a failed reload: serial %d, want 2 (kept)", s)
	}

	if _, err := loadCertificate(filepath.Join(dir, "missing.pem"), keyFile); err == nil {
		t.Error("loaded a missing certificate")
	}
}

func TestCertificateLogWarnsOutsideValidity(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	now := time.Now()
	for _, tc := range []struct {
		from time.Time
		want string
	}{
		{now.Add(-time.Hour), "level=INFO msg=\"tls certificate loaded\""},
		{now.Add(-48 * time.Hour), "level=WARN msg=\"the tls certificate has expired\""},
		{now.Add(time.Hour), "level=WARN msg=\"the tls certificate is not valid yet\""},
	} {
		writeCert(t, certFile, keyFile, 1, tc.from)
		c, err := loadCertificate(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		c.log(slog.New(slog.NewTextHandler(&buf, nil)), now)
		if !strings.Contains(buf.String(), tc.want) {
			t.Errorf("valid from %v: log %q, want %q", tc.from, buf.String(), tc.want)
		}
	}
}

// TestPlainHTTPExposure: plain HTTP draws the warning on every address
// but a loopback one (the unspecified ones listen on every interface).
func TestPlainHTTPExposure(t *testing.T) {
	for addr, loopback := range map[string]bool{
		"127.0.0.1:8080": true, "127.0.0.2:8080": true, "[::1]:8080": true,
		"0.0.0.0:8080": false, "[::]:8080": false, "192.0.2.1:8080": false, "[2001:db8::1]:8080": false,
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := isLoopback(a); got != loopback {
			t.Errorf("isLoopback(%s) = %v, want %v", addr, got, loopback)
		}
	}
}

// logWatch collects a child's stderr and lets a test wait for a line.
type logWatch struct {
	mu    sync.Mutex
	lines []string
	more  chan struct{}
	done  bool
}

func watchLog(r io.Reader) *logWatch {
	w := &logWatch{more: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			w.mu.Lock()
			w.lines = append(w.lines, sc.Text())
			w.mu.Unlock()
			select {
			case w.more <- struct{}{}:
			default:
			}
		}
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
		close(w.more)
	}()
	return w
}

// wait returns the first line from index from on that contains s, and
// the index after it; it fails the test if the child's stderr ends first.
func (w *logWatch) wait(t *testing.T, from int, s string) (string, int) {
	t.Helper()
	for {
		w.mu.Lock()
		for i := from; i < len(w.lines); i++ {
			if strings.Contains(w.lines[i], s) {
				line := w.lines[i]
				w.mu.Unlock()
				return line, i + 1
			}
		}
		done := w.done
		w.mu.Unlock()
		if done {
			t.Fatalf("no log line with %q:\n%s", s, w)
		}
		if _, ok := <-w.more; !ok {
			w.mu.Lock()
			w.done = true
			w.mu.Unlock()
		}
	}
}

func (w *logWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

// child is `almanac serve` running as a child process.
type child struct {
	cmd  *exec.Cmd
	addr string
	log  *logWatch
	seen int // log lines looked at
}

// startChild runs `almanac serve args` as a child process and waits until
// it listens. It is stopped with SIGTERM when the test ends.
func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "-data", t.TempDir()}, args...)...)
	cmd.Env = append(os.Environ(), "ALMANAC_TEST_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	c := &child{cmd: cmd, log: watchLog(stderr)}
	var line string
	line, c.seen = c.log.wait(t, 0, "almanac listening")
	_, rest, _ := strings.Cut(line, " addr=")
	c.addr, _, _ = strings.Cut(rest, " ")
	return c
}

// hup sends SIGHUP and waits for the server to say what it did: nil when
// it loaded a certificate, else the line it logged.
func (c *child) hup(t *testing.T) error {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for {
		var line string
		line, c.seen = c.log.wait(t, c.seen, "")
		switch {
		case strings.Contains(line, "tls certificate loaded"):
			return nil
		case strings.Contains(line, "SIGHUP"):
			return fmt.Errorf("%s", line)
		}
	}
}

// Issue 14: serve has TLS of its own, and SIGHUP makes new connections
// get the renewed certificate while an open connection goes on.
func TestServeTLSReloadsOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeCert(t, certFile, keyFile, 1, time.Now().Add(-time.Hour))
	srv := startChild(t, "-listen", "127.0.0.1:0", "-tls-cert", certFile, "-tls-key", keyFile)
	if !strings.Contains(srv.log.String(), "scheme=https") {
		t.Errorf("start log of TLS:\n%s", srv.log)
	}

	// The test checks which certificate it got, not whom to trust.
	client := func(keepAlive bool) *http.Client {
		return &http.Client{Transport: &http.Transport{DisableKeepAlives: !keepAlive,
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	}
	get := func(c *http.Client) (serial int64, reused bool) {
		t.Helper()
		req, _ := http.NewRequest("GET", "https://"+srv.addr+"/healthz", nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused }}))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET over TLS: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.TLS == nil {
			t.Fatalf("GET over TLS: %d %v", resp.StatusCode, resp.TLS)
		}
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64(), reused
	}
	open := client(true)
	if s, _ := get(open); s != 1 {
		t.Fatalf("serial %d, want 1", s)
	}

	writeCert(t, certFile, keyFile, 2, time.Now().Add(-time.Hour))
	if err := srv.hup(t); err != nil {
		t.Fatal(err)
	}
	if s, _ := get(client(false)); s != 2 {
		t.Errorf("a new connection after SIGHUP: serial %d, want 2", s)
	}
	if strings.Contains(srv.log.String(), "plain HTTP") {
		t.Errorf("a plain HTTP warning with TLS:\n%s", srv.log)
	}
	if s, reused := get(open); s != 1 || !reused {
		t.Errorf("the connection open before SIGHUP: serial %d reused %v; want it kept, with serial 1", s, reused)
	}

	// A broken renewal keeps the certificate in use.
	if err := os.WriteFile(certFile, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := srv.hup(t); err == nil || !strings.Contains(err.Error(), "keeping the certificate in use") {
		t.Fatalf("reload of a broken file: %v", err)
	}
	if s, _ := get(client(false)); s != 2 {
		t.Errorf("after a failed reload: serial %d, want 2", s)
	}
}

// TestServeWarnsOfPlainHTTP: plain HTTP on an address other machines can
// reach is worth a warning at start; on loopback, behind a proxy, not.
func TestServeWarnsOfPlainHTTP(t *testing.T) {
	for _, tc := range []struct {
		listen string
		warn   bool
	}{{"0.0.0.0:0", true}, {"127.0.0.1:0", false}} {
		srv := startChild(t, "-listen", tc.listen)
		// Without a certificate SIGHUP is only logged, and the server
		// stays. Its answer also comes after anything logged at start.
		if err := srv.hup(t); err == nil || !strings.Contains(err.Error(), "nothing to reload") {
			t.Errorf("SIGHUP without TLS: %v", err)
		}
		if warned := strings.Contains(srv.log.String(), `level=WARN msg="serving plain HTTP`); warned != tc.warn {
			t.Errorf("-listen %s: plain HTTP warning %v, want %v:\n%s", tc.listen, warned, tc.warn, srv.log)
		}
		resp, err := http.Get("http://" + srv.addr + "/healthz")
		if err != nil {
			t.Fatalf("after SIGHUP: %v", err)
		}
		resp.Body.Close()
	}
}
