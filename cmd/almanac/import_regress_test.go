package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeImportConfigErrors: the import flags are checked like the
// others, before anything is bound or written.
func TestServeImportConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"host with port", []string{"-import-imap-host", "127.0.0.1:143"}, "give the port with -import-imap-port"},
		{"host with space", []string{"-import-imap-host", "mail host"}, `-import-imap-host="mail host" (env ALMANAC_IMPORT_IMAP_HOST): not a host name`},
		{"port", []string{"-import-imap-port", "70000"}, "out of range (0 to 65535)"},
		{"security", []string{"-import-imap-security", "ssl"}, `-import-imap-security="ssl" (env ALMANAC_IMPORT_IMAP_SECURITY): not one of starttls, tls, none`},
		{"master user with a star", []string{"-import-master-user", "a*b"}, "not a user name"},
		{"master user empty", []string{"-import-master-user", ""}, "not a user name"},
		{"workers", []string{"-import-workers", "0"}, "out of range (1 to 64)"},
		{"per host", []string{"-import-per-host", "100"}, "out of range (1 to 64)"},
		{"key is a directory", []string{"-import-key", t.TempDir()}, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			code, _, errs := runCmd(t, "", append([]string{"serve", "-data", data, "-listen", holdPort(t)}, tc.args...)...)
			first, _, _ := strings.Cut(errs, "\n")
			if code != 2 || !strings.Contains(first, tc.want) {
				t.Errorf("code %d stderr %q; want 2 and %q", code, errs, tc.want)
			}
			assertAbsent(t, data)
		})
	}
}

// TestImportConfig: without a host imports are off and no key file is
// made; with one, the master secret and the import key are made in the
// data directory on the first start and read back on the next.
func TestImportConfig(t *testing.T) {
	data := t.TempDir()
	cfg, err := importConfig(data, "", 0, "starttls", "almanac", "", "")
	if err != nil || cfg.Destination.Host != "" {
		t.Fatalf("without a host: %+v, %v", cfg, err)
	}
	assertAbsent(t, filepath.Join(data, "import.key"))
	assertAbsent(t, filepath.Join(data, "import-master.secret"))

	cfg, err = importConfig(data, "127.0.0.1", 0, "tls", "almanac", "", "")
	if err != nil || cfg.Destination.Port != 993 || cfg.MasterUser != "almanac" || cfg.MasterSecret == "" || len(cfg.Key) != 32 {
		t.Fatalf("first start: %+v, %v", cfg.Destination, err)
	}
	for _, f := range []string{"import.key", "import-master.secret"} {
		if fi, err := os.Stat(filepath.Join(data, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v", f, err)
		}
	}
	again, err := importConfig(data, "127.0.0.1", 0, "starttls", "almanac", "", "")
	if err != nil || again.Destination.Port != 143 || again.MasterSecret != cfg.MasterSecret || string(again.Key) != string(cfg.Key) {
		t.Errorf("second start: %+v, %v; want the same secret and key", again.Destination, err)
	}
}
