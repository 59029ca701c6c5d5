package interop

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"

	"almanac/internal/tooltest"
)

// dovecotSpec is a private Dovecot IMAP instance: its hierarchy
// separator and layout, its special-use folders (name, attribute), its
// users (address: password) and an optional master user.
type dovecotSpec struct {
	sep          string // "." (Maildir++) or "/" (LAYOUT=fs)
	specials     [][2]string
	users        map[string]string
	master       string // master user name; "" for none
	masterSecret string
}

// dovecot is a running instance. It listens on a Unix socket only (no
// fixed port); addr is a TCP proxy to it on a free loopback port.
type dovecot struct {
	dir   string
	proxy *tooltest.Proxy
	srv   *tooltest.Process
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startDovecot runs an instance as a child of the test, configured in a
// directory of its own. Its login processes must not run as root, so
// when the test does they and the mail processes run as dovenull (the
// user dovecot-core adds); otherwise all runs as the current user.
func startDovecot(t testing.TB, spec dovecotSpec) *dovecot {
	t.Helper()
	bin := tooltest.Require(t, "dovecot", "dovecot-imapd")
	doveadm := tooltest.Require(t, "doveadm", "dovecot-core")
	if _, err := os.Stat("/usr/lib/dovecot/imap"); err != nil {
		tooltest.Missing(t, "dovecot's imap", "dovecot-imapd")
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	runAs := u
	if os.Geteuid() == 0 {
		if runAs, err = user.Lookup("dovenull"); err != nil {
			t.Fatalf("running as root, Dovecot's login processes need the dovenull user: %v", err)
		}
	}
	g, err := user.LookupGroupId(runAs.Gid)
	if err != nil {
		t.Fatal(err)
	}
	// Unix socket paths are limited to 108 bytes: a short directory.
	dir, err := os.MkdirTemp("", "almanac-imap-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"run", "state", "home"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	uid, _ := strconv.Atoi(runAs.Uid)
	gid, _ := strconv.Atoi(runAs.Gid)
	if err := os.Chown(filepath.Join(dir, "home"), uid, gid); err != nil {
		t.Fatal(err)
	}
	var passwd strings.Builder
	for addr, pw := range spec.users {
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s\n", addr, pw)
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	layout, masterDB := "", ""
	if spec.sep == "/" {
		layout = ":LAYOUT=fs"
	}
	if spec.master != "" {
		// The master user's password hashed as README shows it.
		out, err := exec.Command(doveadm, "pw", "-s", "SHA512-CRYPT", "-p", spec.masterSecret).CombinedOutput()
		if err != nil {
			t.Fatalf("doveadm pw: %v\n%s", err, out)
		}
		line := spec.master + ":" + strings.TrimSpace(string(out)) + "\n"
		if err := os.WriteFile(filepath.Join(dir, "master"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
		masterDB = fmt.Sprintf("auth_master_user_separator = *\npassdb {\n  driver = passwd-file\n  args = %s/master\n  master = yes\n}\n", dir)
	}
	var specials strings.Builder
	for _, s := range spec.specials {
		fmt.Fprintf(&specials, "  mailbox %q {\n    special_use = %s\n    auto = subscribe\n  }\n", s[0], s[1])
	}
	conf := filepath.Join(dir, "dovecot.conf")
	config := fmt.Sprintf(`# almanac import test
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = almanac-imap-%[2]d-%[3]s
protocols = imap
listen = 127.0.0.1
log_path = /dev/stderr
info_log_path = /dev/stderr
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 0
default_login_user = %[4]s
default_internal_user = %[5]s
default_internal_group = %[6]s
mail_location = maildir:~/Maildir%[7]s
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = 0
  }
  unix_listener imap-test {
    mode = 0666
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
namespace inbox {
  inbox = yes
  separator = %[8]s
%[9]s}
%[10]spassdb {
  driver = passwd-file
  args = %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[11]s gid=%[12]s home=%[1]s/home/%%u
}
`, dir, os.Getpid(), filepath.Base(dir), runAs.Username, u.Username, g.Name, layout, spec.sep,
		specials.String(), masterDB, runAs.Uid, runAs.Gid)
	if err := os.WriteFile(conf, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", conf, "-n").CombinedOutput(); err != nil {
		t.Fatalf("dovecot -n: %v\n%s", err, out)
	}
	d := &dovecot{dir: dir}
	d.srv = tooltest.Start(t, "dovecot ("+dir+")", exec.Command(bin, "-F", "-c", conf))
	socket := filepath.Join(dir, "run", "imap-test")
	d.srv.WaitListening(t, "unix", socket)
	d.proxy = tooltest.NewProxy(t, "unix", socket)
	return d
}

// port is the TCP port the instance is reached on.
func (d *dovecot) port() int { return d.proxy.Port() }

func (d *dovecot) addr() string { return d.proxy.Addr() }

// client logs in as user for the test's own reads and writes.
func (d *dovecot) client(t testing.TB, user, password string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(d.addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
