package notify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOutbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	var logs bytes.Buffer
	o := NewOutbox(dir, slog.New(slog.NewTextHandler(&logs, nil)))

	const secretLink = "https://cal.example.org/reset?token=SECRET-TOKEN-4f9a"
	const secretCode = "739201"
	msg := Message{
		To:      "jane@example.com",
		Subject: "Passwort zurücksetzen",
		Text:    "Öffne diesen Link:\n" + secretLink + "\n",
	}
	ctx := context.Background()
	if err := o.Send(ctx, msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := o.SendSMS(ctx, SMS{To: "+14155550123", Text: "Your code is " + secretCode}); err != nil {
		t.Fatalf("SendSMS: %v", err)
	}

	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("dir mode %o, want 700", perm)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var eml, txt []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s mode %o, want 600", e.Name(), perm)
		}
		switch filepath.Ext(e.Name()) {
		case ".eml":
			eml = append(eml, e.Name())
		case ".txt":
			txt = append(txt, e.Name())
		default:
			t.Errorf("unexpected file %s", e.Name())
		}
	}
	if len(eml) != 1 || len(txt) != 1 {
		t.Fatalf("files %v %v, want one .eml and one .txt", eml, txt)
	}

	data, err := os.ReadFile(filepath.Join(dir, eml[0]))
	if err != nil {
		t.Fatal(err)
	}
	checkMessage(t, data, "almanac@localhost", "jane@example.com", msg)

	sms, err := os.ReadFile(filepath.Join(dir, txt[0]))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(sms); !strings.HasPrefix(s, "To: +14155550123\n") || !strings.Contains(s, "\n\nYour code is "+secretCode+"\n") {
		t.Errorf("SMS file:\n%s", s)
	}

	log := logs.String()
	t.Logf("log:\n%s", log)
	if n := strings.Count(log, "\n"); n != 2 {
		t.Errorf("%d log lines, want 2", n)
	}
	for _, want := range []string{"jane@example.com", "Passwort zurücksetzen", "+14155550123", eml[0], txt[0]} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	for _, secret := range []string{"SECRET-TOKEN", secretCode, "Öffne"} {
		if strings.Contains(log, secret) {
			t.Errorf("log contains the body (%q)", secret)
		}
	}
}

func TestOutboxRefuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	o := NewOutbox(dir, slog.New(slog.DiscardHandler))
	for _, to := range []string{"", "14155550123", "+0123", "+1 415 555 0123", "+1234567890123456", "+1415\n5550123"} {
		if err := o.SendSMS(context.Background(), SMS{To: to, Text: "x"}); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("SendSMS(%q) = %v, want ErrInvalidMessage", to, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Send(ctx, Message{To: "a@example.org", Subject: "s", Text: "t"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context = %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("outbox dir exists after only refused messages (%v)", err)
	}
}
