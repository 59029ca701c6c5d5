package clientsetup_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"almanac/clientsetup"
	"almanac/clientsetup/setuptest"
	"almanac/internal/tooltest"
)

// freePort is a loopback port nothing listens on now, for a server that
// cannot be told to take port 0 and report it.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startDovecot runs a private Dovecot IMAP instance on loopback, as the
// current user, with a certificate of ca for mail.example.net, an
// implicit-TLS listener and a plain one (STARTTLS), and extra appended
// to its configuration, {dir} in it replaced by its directory. It returns the
// two ports and the directory.
func startDovecot(t *testing.T, ca *setuptest.CA, extra string) (tlsPort, plainPort int, dir string) {
	t.Helper()
	dovecot := tooltest.Require(t, "dovecot", "dovecot-core")
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Fatal(err)
	}
	// Login processes refuse to run as root: as root, they run as the
	// unprivileged user Dovecot's package makes for them.
	loginUser := u.Username
	if u.Uid == "0" {
		loginUser = "dovenull"
		if _, err := user.Lookup(loginUser); err != nil {
			loginUser = "nobody"
		}
	}
	// Unix socket paths are limited to 108 bytes: a short base_dir
	// rather than one under a possibly long t.TempDir().
	dir, err = os.MkdirTemp("", "almanac-doctor-")
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
	cert, key := ca.LeafFiles(t, dir, "mail.example.net")
	tlsPort, plainPort = freePort(t), freePort(t)
	conf := filepath.Join(dir, "dovecot.conf")
	config := fmt.Sprintf(`# almanac doctor interop test
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = almanac-doctor-%[2]d
protocols = imap
listen = 127.0.0.1
log_path = /dev/stderr
info_log_path = /dev/stderr
ssl = yes
ssl_cert = <%[3]s
ssl_key = <%[4]s
auth_mechanisms = plain
default_login_user = %[12]s
default_internal_user = %[5]s
default_internal_group = %[6]s
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[7]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[8]d
    ssl = yes
  }
}
passdb {
  driver = static
  args = password=unused-in-this-test
}
userdb {
  driver = static
  args = uid=%[9]s gid=%[10]s home=%[1]s/home/%%n
}
%[11]s
`, dir, os.Getpid(), cert, key, u.Username, g.Name, plainPort, tlsPort, u.Uid, u.Gid, strings.ReplaceAll(extra, "{dir}", dir), loginUser)
	if err := os.WriteFile(conf, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(dovecot, "-c", conf, "-n").CombinedOutput(); err != nil {
		t.Fatalf("dovecot -n: %v\n%s", err, out)
	}
	srv := tooltest.Start(t, "dovecot", exec.Command(dovecot, "-F", "-c", conf))
	// Started means both listeners accept.
	srv.WaitListening(t, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(plainPort)), net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort)))
	return tlsPort, plainPort, dir
}

// The doctor's IMAP dialogue works against a real Dovecot: implicit TLS
// and STARTTLS pass, and a Dovecot that allows no plaintext logins even
// over TLS, or a certificate clients do not trust, is named.
func TestDoctorDovecot(t *testing.T) {
	ca := setuptest.NewCA(t)
	tlsPort, plainPort, _ := startDovecot(t, ca, "disable_plaintext_auth = yes\n")
	probe := func(port int, sec string, d *clientsetup.Doctor) clientsetup.Finding {
		target := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		d.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var nd net.Dialer
			return nd.DialContext(ctx, network, target)
		}
		return d.Mail(context.Background(), clientsetup.IMAP, clientsetup.Endpoint{Host: "mail.example.net", Port: port, Security: sec})
	}
	for _, tc := range []struct {
		name  string
		port  int
		sec   string
		roots bool
		level clientsetup.Level
		text  string
	}{
		{"implicit TLS", tlsPort, clientsetup.SecurityTLS, true, clientsetup.OK, "answers and offers TLS; certificate valid until"},
		{"STARTTLS", plainPort, clientsetup.SecurityStartTLS, true, clientsetup.OK, "answers and offers TLS; certificate valid until"},
		{"no TLS", plainPort, clientsetup.SecurityNone, true, clientsetup.Fail, "it offers STARTTLS, so use security starttls"},
		{"TLS on the plain port", plainPort, clientsetup.SecurityTLS, true, clientsetup.Fail, "does not start TLS on this port"},
		{"untrusted", tlsPort, clientsetup.SecurityTLS, false, clientsetup.Fail, "not signed by an authority clients trust"},
	} {
		d := &clientsetup.Doctor{Timeout: 10 * time.Second}
		if tc.roots {
			d.RootCAs = ca.Pool
		}
		f := probe(tc.port, tc.sec, d)
		if f.Level != tc.level || !strings.Contains(f.Text, tc.text) {
			t.Errorf("%s: %s: %v %q, want %v saying %q", tc.name, f.Subject, f.Level, f.Text, tc.level, tc.text)
		}
	}
}
