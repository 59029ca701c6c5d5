package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almanac/internal/pgtest"
	"almanac/storage/bolt"
)

func TestMigrateUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"migrate", "-to", "postgres://db.example.com/almanac"}, "missing -from DIR"},
		{[]string{"migrate", "-from", dir}, "missing -to URL"},
		{[]string{"migrate", "-from", dir, "-to", "host=db.example.com"}, "must start with postgres:// or postgresql://"},
		{[]string{"migrate", "-from", dir, "-to", "postgres://db.example.com/almanac", "extra"}, `unexpected argument "extra"`},
	} {
		code, _, errs := runCmd(t, "", tc.args...)
		if code != 2 || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errs, tc.msg)
		}
	}
}

// A source its server still holds is refused before anything is read,
// and nothing is written to the target.
func TestMigrateRefusesRunningServer(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runCmd(t, "a-long-password\n", "user", "add", "-data", dir, "jane@example.com"); code != 0 {
		t.Fatalf("user add: %d %s", code, errs)
	}
	db, err := bolt.Open(filepath.Join(dir, "almanac.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	code, _, errs := runCmd(t, "", "migrate", "-from", dir, "-to", "postgres://nobody@127.0.0.1:1/none")
	if code != 1 || !strings.Contains(errs, "in use by another almanac process (is the server running? stop it first)") {
		t.Errorf("exit %d, %q", code, errs)
	}
}

// A run copies, verifies, checks and hands the key files over; a second
// run into the same database is refused by name.
func TestMigrate(t *testing.T) {
	dir, keys := t.TempDir(), filepath.Join(t.TempDir(), "new-data")
	if code, _, errs := runCmd(t, "a-long-password\n", "user", "add", "-data", dir, "jane@example.com"); code != 0 {
		t.Fatalf("user add: %d %s", code, errs)
	}
	if err := os.WriteFile(filepath.Join(dir, "link.key"), []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := pgtest.URL(t)
	// A key of another server where the copy would go: refused before the
	// database is touched.
	if err := os.MkdirAll(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(keys, "link.key"), []byte("another server's key, 32 bytes.."), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "", "migrate", "-from", dir, "-to", url, "-to-data", keys)
	if code != 1 || !strings.Contains(errs, filepath.Join(keys, "link.key")+" exists with another content: remove it or copy "+filepath.Join(dir, "link.key")+" by hand") {
		t.Fatalf("over another key: exit %d\n%s%s", code, out, errs)
	}
	if err := os.Remove(filepath.Join(keys, "link.key")); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCmd(t, "", "migrate", "-from", dir, "-to", url, "-to-data", keys)
	if code != 0 {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"copied link.key to " + keys, "rows: accounts 1, collections 2\n", "  accounts                    1        1  ", "ok: 1 account, 2 collections"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "DIFFERENT") {
		t.Errorf("a difference:\n%s", out)
	}
	if b, err := os.ReadFile(filepath.Join(keys, "link.key")); err != nil || string(b) != "0123456789abcdef0123456789abcdef" {
		t.Errorf("copied key: %q, %v", b, err)
	}

	code, out, errs = runCmd(t, "", "migrate", "-from", dir, "-to", url)
	abs, _ := filepath.Abs(filepath.Join(dir, "almanac.db"))
	if code != 1 || !strings.Contains(errs, "the target database is not empty: it already holds the data migrated from "+abs+" at ") {
		t.Errorf("second run: exit %d\n%s%s", code, out, errs)
	}
}

// A database that cannot be reached fails the run after the source was
// checked, naming the database without its password.
func TestMigrateUnreachableTarget(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runCmd(t, "a-long-password\n", "user", "add", "-data", dir, "jane@example.com"); code != 0 {
		t.Fatalf("user add: %d %s", code, errs)
	}
	code, out, errs := runCmd(t, "", "migrate", "-from", dir, "-to", "postgres://almanac:s3cret@127.0.0.1:1/almanac?connect_timeout=2")
	if code != 1 || !strings.Contains(errs, "migrate: open postgres://almanac:xxxxx@127.0.0.1:1/almanac?connect_timeout=2: ") {
		t.Errorf("exit %d\n%s%s", code, out, errs)
	}
	if strings.Contains(out+errs, "s3cret") {
		t.Errorf("the password shows:\n%s%s", out, errs)
	}
	code, out, errs = runCmd(t, "", "migrate", "-from", dir, "-to", "postgres://127.0.0.1:1/almanac?user=almanac&password=s3cret&connect_timeout=2")
	if code != 1 || strings.Contains(out+errs, "s3cret") || !strings.Contains(errs, "password=xxxxx") {
		t.Errorf("a password in the query: exit %d\n%s%s", code, out, errs)
	}
}

// A -from without a database fails before anything is written: no key
// file is copied, no -to-data directory made.
func TestMigrateNoSource(t *testing.T) {
	dir, keys := t.TempDir(), filepath.Join(t.TempDir(), "new-data")
	if err := os.WriteFile(filepath.Join(dir, "link.key"), []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCmd(t, "", "migrate", "-from", dir, "-to", "postgres://nobody@127.0.0.1:1/none", "-to-data", keys)
	if code != 1 || !strings.Contains(errs, "no database in "+dir) {
		t.Errorf("exit %d, %q", code, errs)
	}
	if _, err := os.Stat(keys); !os.IsNotExist(err) {
		t.Errorf("-to-data made: %v", err)
	}
}
