package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// newData makes a data directory with two accounts and a link key.
func newData(t *testing.T) (dir string, key []byte) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "data")
	for _, login := range []string{"jane@example.com", "bob@example.com"} {
		if code, _, errs := runCmd(t, "a-long-password\n", "user", "add", "-data", dir, login); code != 0 {
			t.Fatalf("user add: %s", errs)
		}
	}
	key = bytes.Repeat([]byte{0x5a}, 32)
	if err := os.WriteFile(filepath.Join(dir, "link.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, key
}

// TestBackupRestoreCheck: the three commands round trip a data
// directory: the restored one lists the same accounts, holds the same
// link key and checks clean.
func TestBackupRestoreCheck(t *testing.T) {
	data, key := newData(t)
	dir := t.TempDir()
	archive := filepath.Join(dir, "almanac.tar.gz")
	code, out, errs := runCmd(t, "", "backup", "-data", data, "-o", archive)
	if code != 0 || !regexp.MustCompile(`^wrote .*almanac.tar.gz: almanac.db \(2 accounts, 4 collections, 0 objects; \d+ bytes\), link.key\n$`).MatchString(out) {
		t.Fatalf("backup: code %d stdout %q stderr %q", code, out, errs)
	}
	if code, _, errs := runCmd(t, "", "backup", "-data", data, "-o", archive); code != 1 || !strings.Contains(errs, "exists; choose another name") {
		t.Errorf("backup onto an existing file: code %d stderr %q", code, errs)
	}

	restored := filepath.Join(dir, "restored")
	code, out, errs = runCmd(t, "", "restore", "-i", archive, "-data", restored)
	if code != 0 || !strings.HasPrefix(out, "restored "+archive+" (written ") || !strings.Contains(out, "into "+restored+": almanac.db (2 accounts") {
		t.Fatalf("restore: code %d stdout %q stderr %q", code, out, errs)
	}
	if b, _ := os.ReadFile(filepath.Join(restored, "link.key")); !bytes.Equal(b, key) {
		t.Errorf("restored link key %x", b)
	}
	code, out, errs = runCmd(t, "", "check", "-data", restored)
	if code != 0 || out != "ok: 2 accounts, 4 collections, 0 objects, 0 links, 0 grants, 0 organizations, 0 mail services, 0 mailboxes\n" {
		t.Errorf("check: code %d stdout %q stderr %q", code, out, errs)
	}
	_, before, _ := runCmd(t, "", "user", "list", "-data", data)
	_, after, _ := runCmd(t, "", "user", "list", "-data", restored)
	if before != after || !strings.Contains(after, "jane@example.com") {
		t.Errorf("accounts before:\n%s\nafter restore:\n%s", before, after)
	}

	// The link key where -link-key (or ALMANAC_LINK_KEY) puts it.
	elsewhere := filepath.Join(dir, "keys", "link.key")
	os.Mkdir(filepath.Dir(elsewhere), 0o700)
	t.Setenv("ALMANAC_LINK_KEY", elsewhere)
	if code, _, errs := runCmd(t, "", "restore", "-i", archive, "-data", filepath.Join(dir, "second")); code != 0 {
		t.Fatalf("restore with ALMANAC_LINK_KEY: %s", errs)
	}
	if b, _ := os.ReadFile(elsewhere); !bytes.Equal(b, key) {
		t.Errorf("link key at ALMANAC_LINK_KEY: %x", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "second", "link.key")); err == nil {
		t.Error("the link key went into the data directory too")
	}
}

// TestRestoreRefusesAndWritesNothing: a directory that is not empty and
// a corrupted archive are refused with exit 1, and nothing is written.
func TestRestoreRefusesAndWritesNothing(t *testing.T) {
	data, _ := newData(t)
	dir := t.TempDir()
	archive := filepath.Join(dir, "almanac.tar")
	if code, _, errs := runCmd(t, "", "backup", "-data", data, "-o", archive); code != 0 {
		t.Fatal(errs)
	}
	raw, _ := os.ReadFile(archive)
	raw[512+5000] ^= 1 // in the database, after the tar header
	corrupt := filepath.Join(dir, "corrupt.tar")
	os.WriteFile(corrupt, raw, 0o600)
	full := filepath.Join(dir, "full")
	os.Mkdir(full, 0o700)
	os.WriteFile(filepath.Join(full, "keep.txt"), []byte("mine"), 0o600)
	before := listDir(t, dir)

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"non-empty directory", []string{"-i", archive, "-data", full}, "is not empty (it holds keep.txt)"},
		{"the live data directory", []string{"-i", archive, "-data", data}, "is not empty"},
		{"corrupted archive", []string{"-i", corrupt, "-data", filepath.Join(dir, "new")}, "almanac.db does not match its SHA-256 checksum"},
		{"missing archive", []string{"-i", filepath.Join(dir, "nothing.tar"), "-data", filepath.Join(dir, "new")}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCmd(t, "", append([]string{"restore"}, tc.args...)...)
			if code != 1 || out != "" || !strings.Contains(errs, tc.want) {
				t.Errorf("code %d stdout %q stderr %q; want 1 and %q", code, out, errs, tc.want)
			}
			if after := listDir(t, dir); !slices.Equal(after, before) {
				t.Errorf("restore wrote:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		out = append(out, p)
		return err
	})
	return out
}

// TestCheckCommandNamesEachProblem breaks a database in two ways; check
// prints each in words and exits 1.
func TestCheckCommandNamesEachProblem(t *testing.T) {
	data, _ := newData(t)
	db, err := openExisting(data, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	jane, err := db.AccountByLogin(ctx, "jane@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Put(ctx, storage.PutObject{Owner: jane.ID, Collection: "default", Name: "a.ics", UID: "uid-a", Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	bdb, err := bbolt.Open(filepath.Join(data, "almanac.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket([]byte("logins")).Delete([]byte("bob@example.com")); err != nil {
			return err
		}
		return tx.Bucket([]byte("collections")).Bucket([]byte(jane.ID)).Bucket([]byte("default")).Bucket([]byte("uids")).Delete([]byte("uid-a"))
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}

	code, out, errs := runCmd(t, "", "check", "-data", data)
	for _, want := range []string{
		`its login "bob@example.com" is not in the login index`,
		`collection ` + jane.ID + `/default: object "a.ics": its UID "uid-a" is not in the UID index`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if code != 1 || errs != "almanac: check found 2 problems\n" {
		t.Errorf("code %d stderr %q; want 1, 2 problems", code, errs)
	}
}

// TestBackupAndCheckNeedTheirDatabase: without a database they fail and
// create nothing; while another process holds it they say so at once.
func TestBackupAndCheckNeedTheirDatabase(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	for _, args := range [][]string{{"backup", "-o", filepath.Join(dir, "b.tar")}, {"check"}} {
		code, _, errs := runCmd(t, "", append(args, "-data", data)...)
		if code != 1 || !strings.Contains(errs, "no database in "+data) {
			t.Errorf("%s: code %d stderr %q", args[0], code, errs)
		}
	}
	assertAbsent(t, data)
	assertAbsent(t, filepath.Join(dir, "b.tar"))

	data, _ = newData(t)
	db, err := openStore(data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, args := range [][]string{{"backup", "-o", filepath.Join(dir, "b.tar")}, {"check"}} {
		code, _, errs := runCmd(t, "", append(args, "-data", data)...)
		if code != 1 || !strings.Contains(errs, "is in use by another almanac process") {
			t.Errorf("%s: code %d stderr %q", args[0], code, errs)
		}
	}
	assertAbsent(t, filepath.Join(dir, "b.tar"))
}

func TestBackupCommandErrors(t *testing.T) {
	data, _ := newData(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"backup without -o", []string{"backup", "-data", data}, 2, "missing -o FILE"},
		{"backup into a missing directory", []string{"backup", "-data", data, "-o", filepath.Join(dir, "no", "b.tar")}, 2, "does not exist"},
		{"backup with a missing link key", []string{"backup", "-data", data, "-o", filepath.Join(dir, "b.tar"), "-link-key", filepath.Join(dir, "none.key")}, 1, "link key"},
		{"restore without -i", []string{"restore", "-data", filepath.Join(dir, "r")}, 2, "missing -i FILE"},
		{"check with an argument", []string{"check", "-data", data, "now"}, 2, `unexpected argument "now"`},
		{"serve: -backup-every without -backup-dir", []string{"serve", "-backup-every", "1h"}, 2, "-backup-every needs -backup-dir (env ALMANAC_BACKUP_DIR)"},
		{"serve: -backup-keep without -backup-dir", []string{"serve", "-backup-keep", "3"}, 2, "-backup-keep needs -backup-dir"},
		{"serve: missing backup directory", []string{"serve", "-backup-dir", filepath.Join(dir, "none")}, 2, `-backup-dir="` + filepath.Join(dir, "none") + `" (env ALMANAC_BACKUP_DIR): no such directory`},
		{"serve: backup directory is a file", []string{"serve", "-backup-dir", file}, 2, "not a directory"},
		{"serve: backup every second", []string{"serve", "-backup-dir", dir, "-backup-every", "1s"}, 2, "out of range (1m to 8784h)"},
		{"serve: keep none", []string{"serve", "-backup-dir", dir, "-backup-keep", "0"}, 2, "out of range (1 to 100000)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args[0] == "serve" {
				args = append(args, "-data", filepath.Join(t.TempDir(), "data"), "-listen", holdPort(t))
			}
			code, _, errs := runCmd(t, "", args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("code %d stderr %q; want %d and %q", code, errs, tc.code, tc.want)
			}
		})
	}
	assertAbsent(t, filepath.Join(dir, "b.tar"))
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the errors left files: %v", entries)
	}

	// The variable counts as given, like the flag.
	t.Setenv("ALMANAC_BACKUP_EVERY", "2h")
	if code, _, errs := runCmd(t, "", "serve", "-data", filepath.Join(dir, "d"), "-listen", holdPort(t)); code != 2 || !strings.Contains(errs, "-backup-every needs -backup-dir") {
		t.Errorf("ALMANAC_BACKUP_EVERY without a directory: code %d stderr %q", code, errs)
	}
}

func TestCheckBackupDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	for _, tc := range []struct {
		in, want string
	}{
		{"", ""},
		{dir, ""},
		{filepath.Join(dir, "missing"), "no such directory"},
		{file, "not a directory"},
	} {
		got, err := checkBackupDir(tc.in)
		switch {
		case tc.want == "" && (err != nil || got != tc.in):
			t.Errorf("checkBackupDir(%q) = %q, %v", tc.in, got, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("checkBackupDir(%q): %v, want %q", tc.in, err, tc.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the writability probe left files: %v", entries)
	}
}
