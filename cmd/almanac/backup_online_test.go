package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupAndCheckWhileServing: backup and check reach a running server
// through its admin socket, which snapshots and checks its own database;
// the archive restores into a directory a second server then serves with
// the same account.
func TestBackupAndCheckWhileServing(t *testing.T) {
	dir := t.TempDir()
	addr, _ := startServe(t, dir)
	const pw = "a-long-password"
	if code, _, errs := runCmd(t, pw+"\n", "user", "add", "-data", dir, "-handle", "bob", "bob@example.com"); code != 0 {
		t.Fatalf("user add: %s", errs)
	}
	if got := propfind(t, "http://"+addr+"/dav/calendars/bob/default/", "bob@example.com", pw); got != http.StatusMultiStatus {
		t.Fatalf("PROPFIND before backup: %d", got)
	}
	code, out, errs := runCmd(t, "", "check", "-data", dir)
	if code != 0 || !strings.HasPrefix(out, "ok: ") || errs != "" {
		t.Fatalf("check while serving: %d %q %q", code, out, errs)
	}
	archive := filepath.Join(t.TempDir(), "almanac.tar.gz")
	code, out, errs = runCmd(t, "", "backup", "-data", dir, "-o", archive)
	if code != 0 || !strings.HasPrefix(out, "wrote "+archive+": almanac.db (") || !strings.Contains(out, "link.key") || errs != "" {
		t.Fatalf("backup while serving: %d %q %q", code, out, errs)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if code, out, errs := runCmd(t, "", "restore", "-i", archive, "-data", restored); code != 0 {
		t.Fatalf("restore: %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(restored, "link.key")); err != nil {
		t.Fatalf("the server's link key is not in the archive: %v", err)
	}
	addr2, _ := startServe(t, restored)
	if got := propfind(t, "http://"+addr2+"/dav/calendars/bob/default/", "bob@example.com", pw); got != http.StatusMultiStatus {
		t.Fatalf("PROPFIND on the restored server: %d", got)
	}
}
