package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"almanac/notify"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"
)

// TestPythonCaldavScheduling runs testdata/caldav_scheduling.py
// (python3-caldav 0.11's save_with_invites, schedule_inbox, get_items,
// accept_invite) between two local users.
func TestPythonCaldavScheduling(t *testing.T) {
	py, env := requirePythonCaldav(t)
	srv := servertest.New(t)
	url := srv.Start()
	alice := srv.Account("alice@example.com", func(a *storage.Account) { a.DisplayName = "Alice" })
	bob := srv.Account("bob@example.com", func(a *storage.Account) { a.DisplayName = "Bob" })
	script, err := filepath.Abs(filepath.Join("testdata", "caldav_scheduling.py"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := runEnv(env, "", "", py, script, url+"/dav/", alice.Login, bob.Login, servertest.Password)
	t.Logf("caldav_scheduling.py output:\n%s", out)
	if err != nil {
		t.Fatalf("caldav_scheduling.py: %v (output above)", err)
	}
	for _, want := range []string{"STEP addresses: mailto:alice@example.com", "STEP inbox: 1", "STEP invite: Planning",
		"STEP accept_invite: ok", "STEP organizer-sees: ACCEPTED", "\nDONE\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the output", want)
		}
	}
}

// smtpSink is a real SMTP listener that records what it is sent.
type smtpSink struct {
	mu   sync.Mutex
	msgs [][]byte
}

func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

type sinkSession struct{ s *smtpSink }

func (x *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (x *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (x *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, b)
	x.s.mu.Unlock()
	return nil
}
func (x *sinkSession) Reset()        {}
func (x *sinkSession) Logout() error { return nil }

func startSMTP(t *testing.T) (*smtpSink, int) {
	t.Helper()
	sink := &smtpSink{}
	s := smtp.NewServer(sink)
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return sink, l.Addr().(*net.TCPAddr).Port
}

// calendarOf returns the text/calendar part of a mail and its method.
func calendarOf(t *testing.T, raw []byte) ([]byte, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no text/calendar part: %v\n%s", err, raw)
		}
		mt, pp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if mt == "text/calendar" {
			b, err := io.ReadAll(p) // NextPart decodes quoted-printable, not base64
			if err != nil {
				t.Fatal(err)
			}
			if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
				b = decodeBase64(t, b)
			}
			return b, pp["method"]
		}
	}
}

// TestIMIPOverSMTP: an invitation to an outside guest leaves through a
// real SMTP listener as iMIP, and its text/calendar part parses with
// python3-icalendar as a REQUEST naming the guest.
func TestIMIPOverSMTP(t *testing.T) {
	py, env := requirePythonCaldav(t)
	if out, err := runEnv(env, "", "", py, "-c", "import icalendar"); err != nil {
		t.Logf("import icalendar: %v\n%s", err, out)
		missing(t, "python3-icalendar", "python3-icalendar")
	}
	sink, port := startSMTP(t)
	srv := servertest.New(t, func(c *server.Config) {
		m, err := notify.NewSMTP(notify.SMTPConfig{Host: "127.0.0.1", Port: port, Security: notify.SecurityNone, From: "Almanac <calendar@example.com>"})
		if err != nil {
			t.Fatal(err)
		}
		c.Mailer = m
	})
	url := srv.Start()
	alice := srv.Account("alice@example.com")
	body := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\nBEGIN:VEVENT\r\n" +
		"UID:tb-1\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:20260310T090000Z\r\nDTEND:20260310T100000Z\r\nSUMMARY:Kick-off\r\n" +
		"ORGANIZER;CN=Alice:mailto:alice@example.com\r\nATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Guest:mailto:guest@outside.test\r\n" +
		"END:VEVENT\r\nEND:VCALENDAR\r\n"
	req, _ := http.NewRequestWithContext(context.Background(), "PUT", url+"/dav/calendars/"+alice.ID+"/default/tb-1.ics", strings.NewReader(body))
	req.SetBasicAuth(alice.Login, servertest.Password)
	req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %d", resp.StatusCode)
	}
	sink.mu.Lock()
	msgs := sink.msgs
	sink.mu.Unlock()
	if len(msgs) != 1 {
		t.Fatalf("%d mails reached the SMTP listener, want 1", len(msgs))
	}
	cal, method := calendarOf(t, msgs[0])
	if method != "REQUEST" {
		t.Errorf("method parameter %q", method)
	}
	f := filepath.Join(t.TempDir(), "invite.ics")
	if err := os.WriteFile(f, cal, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runEnv(env, "", "", py, "-c", `import sys, icalendar
c = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
print("METHOD", c["METHOD"])
for e in c.walk("VEVENT"):
    print("SUMMARY", e["SUMMARY"])
    print("ORGANIZER", e["ORGANIZER"])
    att = e.get("ATTENDEE", [])
    for a in att if isinstance(att, list) else [att]:
        print("ATTENDEE", a)
`, f)
	if err != nil {
		t.Fatalf("python3-icalendar: %v\n%s", err, out)
	}
	for _, want := range []string{"METHOD REQUEST", "SUMMARY Kick-off", "ORGANIZER mailto:alice@example.com", "ATTENDEE mailto:guest@outside.test"} {
		if !strings.Contains(out, want) {
			t.Errorf("python3-icalendar read no %q:\n%s", want, out)
		}
	}
}

func decodeBase64(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
