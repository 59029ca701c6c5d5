package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeOperationsConfigErrors: the settings for running behind a
// proxy, with TLS and with mail server files are checked like every
// other before serve binds or writes anything: exit 2 and a message
// naming flag and variable.
func TestServeOperationsConfigErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, otherKey := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "other.pem")
	writeCert(t, filepath.Join(dir, "other-cert.pem"), otherKey, 2, time.Now())
	writeCert(t, certFile, keyFile, 1, time.Now())
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"trusted proxies", []string{"-trusted-proxies", "10.0.0.0/8,proxy.example.com"}, nil,
			`-trusted-proxies="10.0.0.0/8,proxy.example.com" (env ALMANAC_TRUSTED_PROXIES): "proxy.example.com" is not an address or a network`},
		{"trusted proxies env", nil, map[string]string{"ALMANAC_TRUSTED_PROXIES": "0.0.0.0/0"},
			`ALMANAC_TRUSTED_PROXIES="0.0.0.0/0" (flag -trusted-proxies): "0.0.0.0/0" trusts every address`},
		{"proxy header", []string{"-proxy-header", "x-real-ip"}, nil,
			`-proxy-header="x-real-ip" (env ALMANAC_PROXY_HEADER): not one of x-forwarded, forwarded`},
		{"tls cert without key", []string{"-tls-cert", certFile}, nil,
			"-tls-cert and -tls-key (env ALMANAC_TLS_CERT, ALMANAC_TLS_KEY) go together"},
		{"tls key without cert", nil, map[string]string{"ALMANAC_TLS_KEY": keyFile},
			"-tls-cert and -tls-key (env ALMANAC_TLS_CERT, ALMANAC_TLS_KEY) go together"},
		{"tls missing file", []string{"-tls-cert", filepath.Join(dir, "missing.pem"), "-tls-key", keyFile}, nil,
			"-tls-cert, -tls-key (env ALMANAC_TLS_CERT, ALMANAC_TLS_KEY): load tls certificate " + filepath.Join(dir, "missing.pem")},
		{"tls key of another certificate", []string{"-tls-cert", certFile, "-tls-key", otherKey}, nil,
			"private key does not match public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			data := filepath.Join(t.TempDir(), "data")
			args := append([]string{"serve", "-data", data, "-listen", holdPort(t)}, tc.args...)
			code, out, errs := runCmd(t, "", args...)
			first, _, _ := strings.Cut(errs, "\n")
			if code != 2 || !strings.HasPrefix(first, "almanac: ") || !strings.Contains(first, tc.want) {
				t.Errorf("code %d stderr %q; want 2, first line containing %q", code, errs, tc.want)
			}
			if out != "" {
				t.Errorf("stdout %q", out)
			}
			assertAbsent(t, data)
		})
	}
}
