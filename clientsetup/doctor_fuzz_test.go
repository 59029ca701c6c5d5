package clientsetup

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDoctorDialogue: whatever a probed server sends, the IMAP and
// submission probes end, never call it good without a TLS handshake,
// and say what they found in printable text (a server's words are
// quoted through printable). Minimizing a long script through four
// probes takes the engine's default minute per new input: fuzz with
// -fuzzminimizetime=3s.
func FuzzDoctorDialogue(f *testing.F) {
	for _, s := range []string{
		"* OK ready\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\na2 OK begin\r\n",
		"* OK ready\r\n* CAPABILITY IMAP4rev1 LOGINDISABLED\r\na1 OK\r\n",
		"* BYE \x1b[31mbusy\r\n",
		"220 mail ESMTP\r\n250-mail\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n220 go\r\n",
		"554 \x00no\r\n",
		"",
		strings.Repeat("x", 20000) + "\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		d := &Doctor{Timeout: 2 * time.Second, Dial: func(context.Context, string, string) (net.Conn, error) {
			client, server := net.Pipe()
			go func() {
				go io.Copy(io.Discard, server)
				server.Write([]byte(script))
				server.Close()
			}()
			return client, nil
		}}
		for _, p := range []Protocol{IMAP, Submission} {
			for _, sec := range []string{SecurityStartTLS, SecurityNone} {
				got := d.Mail(context.Background(), p, Endpoint{Host: "mail.example.net", Port: 1, Security: sec})
				if got.Level == OK {
					t.Fatalf("%s %s: %q is good without TLS: %q", p, sec, script, got.Text)
				}
				if !utf8.ValidString(got.Text) || strings.ContainsFunc(got.Text, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
					t.Fatalf("%s %s: %q gives a finding with control characters: %q", p, sec, script, got.Text)
				}
			}
		}
	})
}

// FuzzCheckHost: CheckHost never panics, and a host it accepts is
// ASCII DNS text that it accepts again unchanged (what is stored is
// what is checked).
func FuzzCheckHost(f *testing.F) {
	for _, s := range []string{"mail.example.net", " Mail.Example.NET ", "192.0.2.7", "mail", "a..b", "bücher.example", "x\r\ny", "-a.b", "a:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := CheckHost(s)
		if err != nil {
			return
		}
		if h == "" || len(h) > maxHostLen || strings.ContainsFunc(h, func(r rune) bool {
			return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '.')
		}) {
			t.Fatalf("CheckHost(%q) = %q", s, h)
		}
		if again, err := CheckHost(h); err != nil || again != h {
			t.Fatalf("CheckHost(%q) = %q, which checks to %q, %v", s, h, again, err)
		}
	})
}
