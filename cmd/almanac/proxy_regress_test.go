package main

import (
	"os"
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
	readOnly := unwritableDir(t)
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
		{"mail reload without files", []string{"-mail-reload-cmd", "doveadm reload"}, nil,
			"-mail-reload-cmd (env ALMANAC_MAIL_RELOAD_CMD) needs -dovecot-passwd or -postfix-virtual"},
		{"mail directory missing", []string{"-postfix-virtual", filepath.Join(dir, "missing", "virtual")}, nil,
			`(env ALMANAC_POSTFIX_VIRTUAL): directory ` + filepath.Join(dir, "missing") + " does not exist"},
		{"mail directory not writable", []string{"-dovecot-passwd", filepath.Join(readOnly, "passwd")}, nil,
			`-dovecot-passwd="` + filepath.Join(readOnly, "passwd") + `" (env ALMANAC_DOVECOT_PASSWD): cannot create files in directory ` + readOnly + ": "},
	} {
		if tc.name == "mail directory not writable" && readOnly == "" {
			t.Log("skipping the unwritable directory: no directory here refuses new files to this user")
			continue
		}
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

// unwritableDir is a directory this process cannot create files in: a
// mode 0500 one, or for root, which writes anywhere on a normal file
// system, sysfs; "" if there is none.
func unwritableDir(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "read-only")
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, "/sys"} {
		f, err := os.CreateTemp(d, "probe-*")
		if err != nil {
			return d
		}
		f.Close()
		os.Remove(f.Name())
	}
	return ""
}

// Issue 14: the mail server files are written in the background and
// -mail-reload-cmd runs after the write; at start that catches up on
// whatever changed while the server was down.
func TestServeWritesMailFilesAndRunsReloadCmd(t *testing.T) {
	dir := t.TempDir()
	virtual, marker := filepath.Join(dir, "virtual"), filepath.Join(dir, "reloaded")
	srv := startChild(t, "-listen", "127.0.0.1:0", "-postfix-virtual", virtual,
		"-mail-reload-cmd", `test -f "$ALMANAC_POSTFIX_VIRTUAL" && echo "$ALMANAC_POSTFIX_VIRTUAL" > '`+marker+`'`)
	srv.log.wait(t, 0, "mail reload command ran")
	if _, err := os.Stat(virtual); err != nil {
		t.Errorf("the table was not written at start: %v", err)
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != virtual+"\n" {
		t.Errorf("the reload command's record: %q, %v", b, err)
	}
}
