package mailbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almanac/auth"
	"almanac/internal/tooltest"
)

// toolPackages names the Debian package that provides each tool.
var toolPackages = map[string]string{
	"dovecot":  "dovecot-core",
	"doveadm":  "dovecot-core",
	"postmap":  "postfix",
	"postconf": "postfix",
}

func requireTool(t *testing.T, name string) string {
	t.Helper()
	return tooltest.Require(t, name, toolPackages[name])
}

// command runs name with a 60 s deadline and returns its combined output
// and error.
func command(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := command(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\noutput:\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func TestDovecotPostfix(t *testing.T) {
	dovecot := requireTool(t, "dovecot")
	doveadm := requireTool(t, "doveadm")
	postmap := requireTool(t, "postmap")
	postconf := requireTool(t, "postconf")
	t.Run("Dovecot", func(t *testing.T) { testDovecot(t, dovecot, doveadm) })
	t.Run("Postfix", func(t *testing.T) { testPostfix(t, postmap, postconf) })
}

// testDovecot exports a passwd-file and checks that Dovecot accepts the
// argon2id hash from auth.HashPassword, first offline with "doveadm pw
// -t", then through a running auth service with "doveadm auth test".
func testDovecot(t *testing.T, dovecot, doveadm string) {
	const (
		address  = "user@domain.xyz"
		password = "new-password-123"
	)
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	data, err := PasswdFile([]Entry{
		{address, hash},
		{"other@domain.xyz", testHash},
	})
	if err != nil {
		t.Fatal(err)
	}

	// Unix socket paths are limited to 108 bytes, so keep base_dir short
	// rather than under a possibly long t.TempDir().
	dir, err := os.MkdirTemp("", "almanac-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	passwd := filepath.Join(dir, "passwd")
	if err := WriteAtomic(passwd, data, 0o640); err != nil {
		t.Fatal(err)
	}

	// Offline: the scheme and hash as written, without a server.
	var stored string
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, address+":"); ok {
			stored, _, _ = strings.Cut(rest, ":")
		}
	}
	if want := "{ARGON2ID}" + hash; stored != want {
		t.Fatalf("passwd-file password for %s = %q, want %q", address, stored, want)
	}
	if out := mustRun(t, doveadm, "pw", "-t", stored, "-p", password); !strings.Contains(out, "(verified)") {
		t.Fatalf("doveadm pw -t: %s", out)
	}
	if out, err := command(doveadm, "pw", "-t", stored, "-p", "old-password"); err == nil {
		t.Fatalf("doveadm pw -t accepted the wrong password: %s", out)
	}

	// Online: a private Dovecot instance with no protocols, just the
	// auth service. All its processes run as the current user, which
	// works as root and unprivileged alike.
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"run", "state", "home"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "dovecot.conf")
	config := fmt.Sprintf(`# almanac mailbox integration test
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = almanac-test-%[2]d
protocols =
log_path = /dev/stderr
info_log_path = /dev/stderr
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
auth_failure_delay = 0
# No growing per-IP penalty after failed logins (2, 4, 8, 15 s...): the
# test fails on purpose several times in a row.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
default_login_user = %[3]s
default_internal_user = %[3]s
default_internal_group = %[4]s
passdb {
  driver = passwd-file
  args = scheme=ARGON2ID %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[5]s gid=%[6]s home=%[1]s/home/%%n
}
`, dir, os.Getpid(), u.Username, g.Name, u.Uid, u.Gid)
	if err := os.WriteFile(conf, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := command(dovecot, "-c", conf, "-n"); err != nil {
		t.Fatalf("dovecot -n: %v\n%s", err, out)
	}

	srv := tooltest.Start(t, "dovecot", exec.Command(dovecot, "-F", "-c", conf))
	srv.WaitListening(t, "unix", filepath.Join(dir, "run", "auth-client"))

	out, err := command(doveadm, "-c", conf, "auth", "test", address, password)
	if err != nil || !strings.Contains(out, "auth succeeded") {
		t.Fatalf("doveadm auth test with the right password: %v\n%s", err, out)
	}
	for _, tc := range []struct{ user, pw string }{
		{address, "old-password"},
		{address, "new-password-12"},
		{"USER@DOMAIN.XYZ", "wrong"},
		{"nobody@domain.xyz", password},
		{"other@domain.xyz", "wrong"},
	} {
		out, err := command(doveadm, "-c", conf, "auth", "test", tc.user, tc.pw)
		if err == nil || !strings.Contains(out, "auth failed") {
			t.Errorf("doveadm auth test %s %q: want failure, got %v\n%s", tc.user, tc.pw, err, out)
		}
	}
	// Dovecot lower-cases the login (auth_username_format = %Lu), so a
	// mixed-case login finds the lower-case entry.
	if out, err := command(doveadm, "-c", conf, "auth", "test", "User@Domain.XYZ", password); err != nil {
		t.Errorf("doveadm auth test with a mixed-case login: %v\n%s", err, out)
	}
	// testHash is another auth.HashPassword output for the same password.
	if out, err := command(doveadm, "-c", conf, "auth", "test", "other@domain.xyz", password); err != nil {
		t.Errorf("doveadm auth test other@domain.xyz: %v\n%s", err, out)
	}
}

// testPostfix exports a virtual table, compiles it with postmap in
// Postfix's default database type and queries it.
func testPostfix(t *testing.T, postmap, postconf string) {
	dir := t.TempDir()
	// postmap and postconf need a main.cf; an empty one means all
	// defaults, without touching /etc/postfix.
	confDir := filepath.Join(dir, "conf")
	if err := os.Mkdir(confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"main.cf", "master.cf"} {
		if err := os.WriteFile(filepath.Join(confDir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dbType := strings.TrimSpace(mustRun(t, postconf, "-c", confDir, "-h", "default_database_type"))
	if dbType == "" {
		t.Fatal("postconf printed no default_database_type")
	}
	t.Logf("postfix default_database_type = %s", dbType)

	data, err := VirtualMap([]Route{
		{"alias@domain.xyz", "anna@domain.xyz"},
		{"@alias.tld", "@domain.xyz"},
		{"anna@domain.xyz", "anna@domain.xyz"},
	})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "virtual")
	if err := WriteAtomic(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	table := dbType + ":" + file
	if out := mustRun(t, postmap, "-c", confDir, table); strings.Contains(out, "warning") {
		t.Errorf("postmap %s warned:\n%s", table, out)
	}
	for key, want := range map[string]string{
		"alias@domain.xyz": "anna@domain.xyz",
		"ALIAS@domain.xyz": "anna@domain.xyz", // keys are case-folded
		"@alias.tld":       "@domain.xyz",
		"anna@domain.xyz":  "anna@domain.xyz",
	} {
		if got := strings.TrimSpace(mustRun(t, postmap, "-c", confDir, "-q", key, table)); got != want {
			t.Errorf("postmap -q %s = %q, want %q", key, got, want)
		}
	}
	// Not found: exit status 1 and no output.
	out, err := command(postmap, "-c", confDir, "-q", "nobody@domain.xyz", table)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || out != "" {
		t.Errorf("postmap -q nobody@domain.xyz: %v %q, want exit 1 and no output", err, out)
	}
}
