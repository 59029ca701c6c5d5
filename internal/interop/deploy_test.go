package interop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"almanac/internal/tooltest"
)

// The deployment files of docs/deploy are checked by the tools that read
// them, so that the documentation cannot drift into something a
// provider's systemd, nginx or Caddy refuses.
const deployDir = "../../docs/deploy"

// TestDeploySystemdUnit: systemd-analyze verify accepts the unit, its
// sandbox rates at most 2.0 on systemd-analyze security's exposure
// scale, and every ALMANAC_* variable it sets is one `almanac serve`
// reads.
func TestDeploySystemdUnit(t *testing.T) {
	analyze := tooltest.Require(t, "systemd-analyze", "systemd")
	unit, err := os.ReadFile(filepath.Join(deployDir, "almanac.service"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "almanac")
	buildAlmanac(t, bin)
	// verify wants ExecStart's program to exist.
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/almanac", bin)
	path := filepath.Join(dir, "almanac.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	// verify prints warnings (unknown keys, bad values) and exits 0 for
	// some; any output is a finding.
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=true", "--no-pager", "--threshold=20", path).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0 (%v):\n%s", err, out)
	}

	help, err := exec.Command(bin, "serve", "-h").CombinedOutput()
	if err != nil {
		t.Fatalf("almanac serve -h: %v\n%s", err, help)
	}
	vars := regexp.MustCompile(`(?m)^Environment="?(ALMANAC_[A-Z_]+)=`).FindAllStringSubmatch(string(unit), -1)
	if len(vars) == 0 {
		t.Fatal("the unit sets no ALMANAC_* variable")
	}
	for _, v := range vars {
		if !strings.Contains(string(help), "env "+v[1]+")") {
			t.Errorf("the unit sets %s, which almanac serve does not read", v[1])
		}
	}
}

// TestDeployNginx: nginx -t accepts the server blocks inside an http
// block, with a certificate where certbot would put one.
func TestDeployNginx(t *testing.T) {
	nginx := tooltest.Require(t, "nginx", "nginx")
	site, err := os.ReadFile(filepath.Join(deployDir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	text := strings.NewReplacer("/etc/letsencrypt/live/cal.example.com/fullchain.pem", cert,
		"/etc/letsencrypt/live/cal.example.com/privkey.pem", key).Replace(string(site))
	if err := os.WriteFile(filepath.Join(dir, "site.conf"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	main := "pid " + dir + "/nginx.pid;\nerror_log " + dir + "/error.log;\nevents {}\nhttp {\n\taccess_log off;\n\tinclude " + dir + "/site.conf;\n}\n"
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	// -t parses and loads the configuration without binding its ports.
	out, err := exec.Command(nginx, "-t", "-q", "-p", dir, "-c", conf).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("nginx -t: %v\n%s", err, out)
	}
}

// TestDeployCaddy: caddy validate accepts the Caddyfile, which is in
// caddy fmt's form.
func TestDeployCaddy(t *testing.T) {
	caddy := tooltest.Require(t, "caddy", "caddy")
	path := filepath.Join(deployDir, "Caddyfile")
	home := t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command(caddy, args...)
		// Caddy keeps state under the home directory; not ours.
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_DATA_HOME="+home, "XDG_CONFIG_HOME="+home)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("caddy %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := run("validate", "--config", path, "--adapter", "caddyfile"); !strings.Contains(out, "Valid configuration") || strings.Contains(out, `"level":"warn"`) {
		t.Errorf("caddy validate:\n%s", out)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := run("fmt", path); got != string(want) {
		t.Errorf("the Caddyfile is not as caddy fmt writes it:\n%s", got)
	}
}

// selfSigned writes a certificate and key for cal.example.com into dir.
func selfSigned(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cal.example.com"},
		DNSNames: []string{"cal.example.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}
