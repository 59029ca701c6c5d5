package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	testSubject = "Einladung: Grüße aus Köln – «Planung» 日本語 and a rather long subject line to force folding"
	// A non-ASCII body with a line far longer than 76 characters, trailing
	// spaces, a line starting with a dot (SMTP dot-stuffing) and an "=".
	testText = "Hallo Jürgen,\n\n" +
		"bitte öffne diesen Link, um dein Passwort zurückzusetzen — er ist nur eine Stunde gültig und funktioniert genau einmal: https://cal.example.org/reset?token=abc%3D%3D&x=1\n" +
		".a line with a leading dot\n" +
		"trailing spaces   \n" +
		"1+1=2 ✓\n"
)

func mustNewSMTP(t *testing.T, cfg SMTPConfig) Mailer {
	t.Helper()
	m, err := NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return m
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// checkMessage parses data and checks it carries want from from.
func checkMessage(t *testing.T, data []byte, from, to string, want Message) {
	t.Helper()
	inBody := false
	for i, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if !bytes.HasSuffix(line, []byte("\r\n")) || bytes.Count(line, []byte("\r")) != 1 {
			t.Errorf("line %d not CRLF-terminated: %q", i, line)
		}
		// Quoted-printable keeps body lines to 76; headers must stay
		// under RFC 5322's hard limit (998), and a folded Subject does.
		if limit := 998; inBody && len(line) > 76+2 || len(line) > limit+2 {
			t.Errorf("line %d is %d bytes long: %q", i, len(line), line)
		}
		if string(line) == "\r\n" {
			inBody = true
		}
		for _, c := range line {
			if c >= 0x80 {
				t.Errorf("line %d has a non-ASCII byte: %q", i, line)
				break
			}
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadMessage: %v\n%s", err, data)
	}
	h := msg.Header
	if got, err := h.AddressList("From"); err != nil || len(got) != 1 || got[0].Address != from {
		t.Errorf("From = %v, %v; want %s", got, err, from)
	}
	if got, err := h.AddressList("To"); err != nil || len(got) != 1 || got[0].Address != to {
		t.Errorf("To = %v, %v; want %s", got, err, to)
	}
	if raw := h.Get("Subject"); want.Subject != "" && !strings.HasPrefix(raw, "=?utf-8?") {
		t.Errorf("Subject not encoded: %q", raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != want.Subject {
		t.Errorf("Subject = %q, %v; want %q", subject, err, want.Subject)
	}
	if d, err := h.Date(); err != nil || time.Since(d) > time.Minute || time.Until(d) > time.Minute {
		t.Errorf("Date = %v, %v", d, err)
	}
	domain := from[strings.LastIndexByte(from, '@')+1:]
	if id := h.Get("Message-ID"); !regexp.MustCompile(`^<[0-9a-f]{32}@` + regexp.QuoteMeta(domain) + `>$`).MatchString(id) {
		t.Errorf("Message-ID = %q", id)
	}
	for k, v := range map[string]string{
		"MIME-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
	} {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"Bcc", "Cc"} {
		if v := h.Get(k); v != "" {
			t.Errorf("unexpected %s: %q", k, v)
		}
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatalf("decoding body: %v", err)
	}
	// Line breaks travel as CRLF (canonical text/plain).
	if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != want.Text {
		t.Errorf("body = %q\nwant   %q", got, want.Text)
	}
}

func TestSendPlain(t *testing.T) {
	be, port := startServer(t, serverOpts{})
	m := mustNewSMTP(t, SMTPConfig{
		Host: "127.0.0.1", Port: port, Security: "none",
		From: "Almanac Kalender <noreply@cal.example.org>",
	})
	want := Message{To: "Jürgen Müller <juergen@example.com>", Subject: testSubject, Text: testText}
	if err := m.Send(ctxTimeout(t), want); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := be.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	r := got[0]
	if r.From != "noreply@cal.example.org" {
		t.Errorf("envelope from = %q", r.From)
	}
	if len(r.To) != 1 || r.To[0] != "juergen@example.com" {
		t.Errorf("envelope to = %q", r.To)
	}
	if r.TLS || r.User != "" {
		t.Errorf("TLS=%v user=%q, want plaintext without auth", r.TLS, r.User)
	}
	checkMessage(t, r.Data, "noreply@cal.example.org", "juergen@example.com", want)
	t.Logf("message as received:\n%s", r.Data)
}

func TestSendStartTLSAuth(t *testing.T) {
	srvTLS, pool := selfSigned(t)
	be, port := startServer(t, serverOpts{tls: srvTLS, user: "almanac", pass: "s3cret pässword"})
	cfg := SMTPConfig{
		Host: "127.0.0.1", Port: port, // Security defaults to starttls
		Username: "almanac", Password: "s3cret pässword",
		From:      "noreply@example.org",
		TLSConfig: &tls.Config{RootCAs: pool},
	}
	want := Message{To: "jane@example.com", Subject: "Passwort zurücksetzen", Text: "Code: 123456\n"}
	if err := mustNewSMTP(t, cfg).Send(ctxTimeout(t), want); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := be.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	if !got[0].TLS || got[0].User != "almanac" {
		t.Errorf("TLS=%v user=%q, want TLS and user almanac", got[0].TLS, got[0].User)
	}
	checkMessage(t, got[0].Data, "noreply@example.org", "jane@example.com", want)

	t.Run("wrong password", func(t *testing.T) {
		bad := cfg
		bad.Password = "wrong"
		err := mustNewSMTP(t, bad).Send(ctxTimeout(t), want)
		if err == nil {
			t.Fatal("Send with a wrong password succeeded")
		}
		t.Logf("error: %v", err)
		if n := len(be.received()); n != 1 {
			t.Errorf("server has %d messages, want still 1", n)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		bad := cfg
		bad.TLSConfig = nil // system roots do not know the test CA
		err := mustNewSMTP(t, bad).Send(ctxTimeout(t), want)
		if err == nil {
			t.Fatal("Send to a server with an untrusted certificate succeeded")
		}
		t.Logf("error: %v", err)
		if n := len(be.received()); n != 1 {
			t.Errorf("server has %d messages, want still 1", n)
		}
	})
}

func TestSendImplicitTLS(t *testing.T) {
	srvTLS, pool := selfSigned(t)
	be, port := startServer(t, serverOpts{tls: srvTLS, implicit: true, user: "u", pass: "p"})
	m := mustNewSMTP(t, SMTPConfig{
		Host: "127.0.0.1", Port: port, Security: "tls",
		Username: "u", Password: "p",
		From:      "noreply@example.org",
		TLSConfig: &tls.Config{RootCAs: pool},
	})
	want := Message{To: "jane@example.com", Subject: "Hello", Text: "Hi there.\n"}
	if err := m.Send(ctxTimeout(t), want); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := be.received()
	if len(got) != 1 || !got[0].TLS || got[0].User != "u" {
		t.Fatalf("received %+v, want one message over TLS from user u", got)
	}
	if got[0].To[0] != "jane@example.com" {
		t.Errorf("envelope to = %q", got[0].To)
	}
}

func TestStartTLSRequired(t *testing.T) {
	be, port := startServer(t, serverOpts{}) // no TLS config: no STARTTLS
	for _, user := range []string{"", "u"} {
		cfg := SMTPConfig{Host: "127.0.0.1", Port: port, Security: "starttls", From: "a@example.org"}
		if user != "" {
			cfg.Username, cfg.Password = user, "p"
		}
		err := mustNewSMTP(t, cfg).Send(ctxTimeout(t), Message{To: "b@example.org", Subject: "s", Text: "t"})
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("user %q: Send = %v, want an error about STARTTLS", user, err)
		}
	}
	if n := len(be.received()); n != 0 {
		t.Errorf("server received %d messages in plaintext", n)
	}
}

func TestHeaderInjection(t *testing.T) {
	be, port := startServer(t, serverOpts{})
	m := mustNewSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: port, Security: "none", From: "a@example.org"})
	outbox := NewOutbox(t.TempDir(), nil)
	for _, msg := range []Message{
		{To: "a@b\r\nBcc: x@y", Subject: "s", Text: "t"},
		{To: "a@b\nBcc: x@y", Subject: "s", Text: "t"},
		{To: "a@b\rBcc: x@y", Subject: "s", Text: "t"},
		{To: "b@example.org", Subject: "hi\nBcc: x@y", Text: "t"},
		{To: "b@example.org", Subject: "hi\r\n\r\nbody", Text: "t"},
		{To: "b@example.org", Subject: "hi\r", Text: "t"},
		{To: "a@b, c@d", Subject: "s", Text: "t"},
		{To: "not an address", Subject: "s", Text: "t"},
		{To: "", Subject: "s", Text: "t"},
	} {
		if err := m.Send(ctxTimeout(t), msg); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("SMTP Send(%q, %q) = %v, want ErrInvalidMessage", msg.To, msg.Subject, err)
		}
		if err := outbox.Send(context.Background(), msg); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("Outbox Send(%q, %q) = %v, want ErrInvalidMessage", msg.To, msg.Subject, err)
		}
	}
	if n := len(be.received()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
	if entries, _ := os.ReadDir(outbox.Dir()); len(entries) != 0 {
		t.Errorf("outbox has %d files", len(entries))
	}
}

func TestTimeout(t *testing.T) {
	port := silentServer(t)
	for _, security := range []string{"none", "starttls", "tls"} {
		t.Run(security, func(t *testing.T) {
			m := mustNewSMTP(t, SMTPConfig{
				Host: "127.0.0.1", Port: port, Security: security, From: "a@example.org",
				Timeout: 200 * time.Millisecond,
			})
			start := time.Now()
			err := m.Send(context.Background(), Message{To: "b@example.org", Subject: "s", Text: "t"})
			elapsed := time.Since(start)
			if err == nil {
				t.Fatal("Send to a silent server succeeded")
			}
			if !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v is not a deadline error", err)
			}
			if elapsed > 2*time.Second {
				t.Errorf("Send took %v with a 200ms timeout", elapsed)
			}
			t.Logf("%v after %v", err, elapsed.Round(time.Millisecond))
		})
	}
}

func TestContext(t *testing.T) {
	port := silentServer(t)
	m := mustNewSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: port, Security: "none", From: "a@example.org"}) // 30s timeout
	msg := Message{To: "b@example.org", Subject: "s", Text: "t"}

	t.Run("cancelled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		err := m.Send(ctx, msg)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Send = %v, want context.Canceled", err)
		}
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Errorf("Send took %v after cancel at 100ms", elapsed)
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := m.Send(ctx, msg)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Send = %v, want context.DeadlineExceeded", err)
		}
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Errorf("Send took %v with a 150ms deadline", elapsed)
		}
	})
	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := m.Send(ctx, msg); !errors.Is(err, context.Canceled) {
			t.Errorf("Send = %v, want context.Canceled", err)
		}
	})
}

func TestNewSMTPValidates(t *testing.T) {
	ok := SMTPConfig{Host: "smtp.example.org", From: "a@example.org"}
	if _, err := NewSMTP(ok); err != nil {
		t.Fatalf("NewSMTP(%+v) = %v", ok, err)
	}
	for name, mod := range map[string]func(*SMTPConfig){
		"no host":            func(c *SMTPConfig) { c.Host = "" },
		"host with newline":  func(c *SMTPConfig) { c.Host = "a\r\nb" },
		"bad security":       func(c *SMTPConfig) { c.Security = "ssl" },
		"bad port":           func(c *SMTPConfig) { c.Port = 70000 },
		"no from":            func(c *SMTPConfig) { c.From = "" },
		"from with newline":  func(c *SMTPConfig) { c.From = "a@example.org\r\nBcc: x@y" },
		"two froms":          func(c *SMTPConfig) { c.From = "a@example.org, b@example.org" },
		"negative timeout":   func(c *SMTPConfig) { c.Timeout = -time.Second },
		"password, no user":  func(c *SMTPConfig) { c.Password = "p" },
		"plaintext password": func(c *SMTPConfig) { c.Security, c.Username, c.Password = "none", "u", "p" },
	} {
		cfg := ok
		mod(&cfg)
		if _, err := NewSMTP(cfg); err == nil {
			t.Errorf("%s: NewSMTP(%+v) succeeded", name, cfg)
		}
	}
	local := SMTPConfig{Host: "localhost", Security: "none", Username: "u", Password: "p", From: "a@example.org"}
	if _, err := NewSMTP(local); err != nil {
		t.Errorf("plaintext auth to localhost: %v", err)
	}
}
