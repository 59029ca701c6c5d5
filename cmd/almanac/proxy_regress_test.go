package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestServeOperationsConfigErrors: the settings for running behind a
// proxy, with TLS and with mail server files are checked like every
// other before serve binds or writes anything: exit 2 and a message
// naming flag and variable.
func TestServeOperationsConfigErrors(t *testing.T) {
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
