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

// postfixMaster is where Debian's postfix package puts the master daemon.
const postfixMaster = "/usr/lib/postfix/sbin/master"

// startPostfix runs Postfix's master in the foreground on a
// configuration of its own in a new directory, with three submission
// listeners on loopback: STARTTLS with AUTH through saslPath (a Dovecot
// auth socket), implicit TLS with AUTH, and STARTTLS without AUTH. The
// postfix command is not used: it accepts another configuration
// directory only when the system's main.cf lists it.
func startPostfix(t *testing.T, ca *setuptest.CA, saslPath string) (startTLS, implicit, noAuth int) {
	t.Helper()
	if _, err := os.Stat(postfixMaster); err != nil {
		tooltest.Missing(t, "postfix master", "postfix")
	}
	if os.Geteuid() != 0 {
		t.Skip("interop: Postfix's master must start as root")
	}
	if _, err := user.Lookup("postfix"); err != nil {
		tooltest.Missing(t, "the postfix user", "postfix")
	}
	dir, err := os.MkdirTemp("", "almanac-postfix-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Postfix's daemons run as postfix and must reach their queue.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"etc", "queue/pid", "queue/private", "queue/public", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"queue/private", "queue/public", "data"} {
		if out, err := exec.Command("chown", "postfix", filepath.Join(dir, d)).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
	}
	cert, key := ca.LeafFiles(t, dir, "mail.example.net")
	startTLS, implicit, noAuth = freePort(t), freePort(t), freePort(t)
	main := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
mail_owner = postfix
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.example.net
mydestination =
local_recipient_maps =
maillog_file = /dev/stdout
smtpd_tls_cert_file = %[2]s
smtpd_tls_key_file = %[3]s
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = %[4]s
`, dir, cert, key, saslPath)
	master := fmt.Sprintf(`127.0.0.1:%d inet n - n - - smtpd
127.0.0.1:%d inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
127.0.0.1:%d inet n - n - - smtpd -o smtpd_sasl_auth_enable=no
tlsmgr unix - - n 1000? 1 tlsmgr
anvil unix - - n - 1 anvil
proxymap unix - - n - - proxymap
postlog unix-dgram n - n - 1 postlogd
`, startTLS, implicit, noAuth)
	for name, text := range map[string]string{"main.cf": main, "master.cf": master} {
		if err := os.WriteFile(filepath.Join(dir, "etc", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := tooltest.Start(t, "postfix", exec.Command(postfixMaster, "-c", filepath.Join(dir, "etc"), "-d"))
	for _, port := range []int{startTLS, implicit, noAuth} {
		srv.WaitListening(t, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	}
	return startTLS, implicit, noAuth
}

// The doctor's submission dialogue works against a real Postfix that
// authenticates through Dovecot, as the README's setup does: STARTTLS
// and implicit TLS with AUTH pass, a port without SASL is named.
func TestDoctorPostfix(t *testing.T) {
	ca := setuptest.NewCA(t)
	_, _, dovecotDir := startDovecot(t, ca, `service auth {
  unix_listener {dir}/postfix-auth {
    mode = 0666
  }
}
`)
	startTLS, implicit, noAuth := startPostfix(t, ca, filepath.Join(dovecotDir, "postfix-auth"))
	for _, tc := range []struct {
		name  string
		port  int
		sec   string
		level clientsetup.Level
		text  string
	}{
		{"STARTTLS", startTLS, clientsetup.SecurityStartTLS, clientsetup.OK, "answers and offers TLS and AUTH; certificate valid until"},
		{"implicit TLS", implicit, clientsetup.SecurityTLS, clientsetup.OK, "answers and offers TLS and AUTH; certificate valid until"},
		{"no AUTH", noAuth, clientsetup.SecurityStartTLS, clientsetup.Fail, "offers no AUTH over TLS"},
		{"no TLS", startTLS, clientsetup.SecurityNone, clientsetup.Fail, "it offers STARTTLS, so use security starttls"},
	} {
		target := net.JoinHostPort("127.0.0.1", strconv.Itoa(tc.port))
		d := &clientsetup.Doctor{Timeout: 10 * time.Second, RootCAs: ca.Pool,
			Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var nd net.Dialer
				return nd.DialContext(ctx, network, target)
			}}
		f := d.Mail(context.Background(), clientsetup.Submission, clientsetup.Endpoint{Host: "mail.example.net", Port: tc.port, Security: tc.sec})
		if f.Level != tc.level || !strings.Contains(f.Text, tc.text) {
			t.Errorf("%s: %s: %v %q, want %v saying %q", tc.name, f.Subject, f.Level, f.Text, tc.level, tc.text)
		}
	}
}
