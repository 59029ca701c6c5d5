package mailbox_test

import (
	"context"
	"fmt"
	"io"
	"net/mail"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"almanac/internal/tooltest"
	"almanac/mailbox"
	"almanac/server"
)

// dovecot is a private Dovecot instance that delivers with dovecot-lda,
// runs the exported Sieve scripts and hands what it sends to a stand-in
// for sendmail, which keeps each message in out.
type dovecot struct {
	t        *testing.T
	lda      string
	conf     string
	out      string
	sieveDir string
	passwd   string
	srv      *tooltest.Process
	seq      int
}

// reply is one message Dovecot sent: the stand-in's arguments (the
// envelope) and the message.
type reply struct {
	args string
	msg  *mail.Message
	body string
}

// sendmailStandIn records its arguments and the message, one file per
// message; it runs as the mailbox's user.
const sendmailStandIn = `#!/bin/sh
f=$(mktemp "%s/mail.XXXXXX") || exit 75
{ printf 'ARGS %%s\n' "$*"; cat; } > "$f"
`

// newDovecot starts Dovecot (the master, for its userdb lookups) with
// the passwd-file and the Sieve directory almanac writes. The mail user
// is the current one, or nobody when that is root: Dovecot refuses to
// deliver as root.
func newDovecot(t *testing.T) *dovecot {
	t.Helper()
	master := tooltest.Require(t, "dovecot", "dovecot-core")
	lda := tooltest.Require(t, "/usr/lib/dovecot/dovecot-lda", "dovecot-core")
	tooltest.Require(t, "sievec", "dovecot-sieve")
	if _, err := os.Stat("/usr/lib/dovecot/modules/lib90_sieve_plugin.so"); err != nil {
		tooltest.Missing(t, "the Dovecot Sieve plugin", "dovecot-sieve")
	}
	// Unix socket paths are limited to 108 bytes: keep base_dir short.
	dir, err := os.MkdirTemp("", "almanac-sieve-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	mailUser, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if mailUser.Uid == "0" {
		if mailUser, err = user.Lookup("nobody"); err != nil {
			t.Skip("no user nobody to deliver as")
		}
	}
	self, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	group, err := user.LookupGroupId(self.Gid)
	if err != nil {
		t.Fatal(err)
	}
	d := &dovecot{t: t, lda: lda, conf: filepath.Join(dir, "dovecot.conf"), out: filepath.Join(dir, "out"),
		sieveDir: filepath.Join(dir, "sieve"), passwd: filepath.Join(dir, "passwd")}
	// The mail user reads the scripts, writes its home and, through the
	// stand-in, out.
	for _, p := range []struct {
		path string
		mode os.FileMode
	}{{dir, 0o755}, {d.sieveDir, 0o755}, {filepath.Join(dir, "run"), 0o755}, {filepath.Join(dir, "state"), 0o755},
		{filepath.Join(dir, "home"), 0o1777}, {d.out, 0o1777}} {
		if err := os.MkdirAll(p.path, p.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p.path, p.mode); err != nil {
			t.Fatal(err)
		}
	}
	sendmail := filepath.Join(dir, "sendmail")
	if err := os.WriteFile(sendmail, []byte(fmt.Sprintf(sendmailStandIn, d.out)), 0o755); err != nil {
		t.Fatal(err)
	}
	// The Sieve lines are those of the README, plus what only a test
	// needs: RFC 6131 :seconds, and replies sooner than a day.
	config := fmt.Sprintf(`# almanac responder integration test
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = almanac-sieve-%[2]d
protocols =
log_path = /dev/stderr
info_log_path = /dev/stderr
ssl = no
default_login_user = %[3]s
default_internal_user = %[3]s
default_internal_group = %[4]s
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=ARGON2ID %[1]s/passwd
}
userdb {
  driver = passwd-file
  args = %[1]s/passwd
  default_fields = uid=%[5]s gid=%[6]s home=%[1]s/home/%%d/%%n
}
sendmail_path = %[7]s
protocol lda {
  mail_plugins = sieve
  postmaster_address = postmaster@domain.xyz
}
plugin {
  sieve = file:%[1]s/sieve/%%d/%%n.sieve;bindir=~/sieve-bin
  sieve_extensions = +vacation-seconds
  sieve_vacation_min_period = 0
}
`, dir, os.Getpid(), self.Username, group.Name, mailUser.Uid, mailUser.Gid, sendmail)
	if err := os.WriteFile(d.conf, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(master, "-c", d.conf, "-n").CombinedOutput(); err != nil {
		t.Fatalf("dovecot -n: %v\n%s", err, out)
	}
	d.srv = tooltest.Start(t, "dovecot", exec.Command(master, "-F", "-c", d.conf))
	d.srv.WaitListening(t, "unix", filepath.Join(dir, "run", "auth-userdb"))
	return d
}

// deliver hands a message from sender to rcpt to dovecot-lda, as the
// MTA would, and returns the messages Dovecot sent meanwhile. header
// lines are added to the message's own.
func (d *dovecot) deliver(envelopeFrom, from, rcpt, to string, header ...string) []reply {
	d.t.Helper()
	d.seq++
	msg := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: Question %d\r\nMessage-ID: <q%d@example.org>\r\n"+
		"Date: %s\r\n%sMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAre you there?\r\n",
		from, to, d.seq, d.seq, time.Now().Format(time.RFC1123Z), strings.Join(append(header, ""), "\r\n"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.lda, "-c", d.conf, "-d", rcpt, "-f", envelopeFrom)
	cmd.Stdin = strings.NewReader(msg)
	if out, err := cmd.CombinedOutput(); err != nil {
		d.t.Fatalf("dovecot-lda -d %s -f %s: %v\n%s\ndovecot log:\n%s", rcpt, envelopeFrom, err, out, d.srv.Logs())
	}
	files, err := filepath.Glob(filepath.Join(d.out, "mail.*"))
	if err != nil {
		d.t.Fatal(err)
	}
	var out []reply
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			d.t.Fatal(err)
		}
		if err := os.Remove(f); err != nil {
			d.t.Fatal(err)
		}
		args, raw, _ := strings.Cut(string(data), "\n")
		m, err := mail.ReadMessage(strings.NewReader(raw))
		if err != nil {
			d.t.Fatalf("Dovecot sent something that is not a message: %v\n%s", err, data)
		}
		body, _ := io.ReadAll(m.Body)
		out = append(out, reply{args: strings.TrimPrefix(args, "ARGS "), msg: m, body: string(body)})
	}
	return out
}

// none fails unless nothing was sent.
func (d *dovecot) none(why string, rs []reply) {
	d.t.Helper()
	if len(rs) != 0 {
		d.t.Errorf("%s: %d replies, want none; first to %s: %s", why, len(rs), rs[0].args, rs[0].msg.Header.Get("Subject"))
	}
}

// one returns the only reply, failing unless there is exactly one, sent
// with an empty return path to rcpt.
func (d *dovecot) one(why string, rs []reply, rcpt string) reply {
	d.t.Helper()
	if len(rs) != 1 {
		d.t.Fatalf("%s: %d replies, want one\ndovecot log:\n%s", why, len(rs), d.srv.Logs())
	}
	if want := "-f <> -- " + rcpt; !strings.HasSuffix(rs[0].args, want) {
		d.t.Errorf("%s: sendmail %q, want the envelope %q", why, rs[0].args, want)
	}
	return rs[0]
}

// TestRespondersInDovecot: the scripts almanac writes, run by Dovecot's
// Sieve as it delivers, answer a sender once per 7 days, again after a
// reset, never the excluded, lists, bulk or automatic mail, nor outside
// the dates and weekdays. Dates and weekdays are relative to today, so
// nothing waits for a date; the resend after the period is shown with
// RFC 6131 :seconds.
func TestRespondersInDovecot(t *testing.T) {
	d := newDovecot(t)
	e := &respEnv{env: newEnv(t, func(c *server.Config) { c.SieveDir, c.DovecotPasswd = d.sieveDir, d.passwd }), sieveDir: d.sieveDir}
	_, e.svc = e.setup("standard")
	e.must(e.call(e.member, "POST", "/api/v1/mailboxes/anna@domain.xyz/aliases", `{"alias":"sales"}`), 201)

	// Anna answers from a private address she verified.
	const private = "anna.private@example.org"
	e.must(e.call(e.member, "POST", "/api/v1/account/senders", `{"address":"`+private+`"}`), 202)
	code := regexp.MustCompile(`\n    ([A-Za-z0-9_-]{20,})\n`).FindStringSubmatch(e.box.LastMail(t).Text)
	if code == nil {
		t.Fatal("no code mailed")
	}
	e.must(e.call(e.member, "POST", "/api/v1/account/senders/"+private+"/confirm", `{"code":"`+code[1]+`"}`), 200)

	today := time.Now().UTC()
	day := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
	away := e.must(e.call(e.member, "POST", annaResponders, jsonBody(map[string]any{
		"name": "Holidays", "subject": "Out of office", "message": "I am away.\nBack next week.",
		"time_zone": "UTC", "start": day(-1), "end": day(7), "from": private,
		"exclusions": []string{"boss@partner.example", "@family.example"}, "active": true,
	})), 201).json
	if away["answering"] != true {
		t.Fatalf("the responder does not answer now: %v", away)
	}
	e.mailFiles()

	// The first message of a sender: one reply, as RFC 3834 and 5230 want it.
	r := d.one("first message", d.deliver("bob@example.org", "Bob <bob@example.org>", "anna@domain.xyz", "anna@domain.xyz"), "bob@example.org")
	h := r.msg.Header
	for name, want := range map[string]string{
		"From": private, "To": "Bob <bob@example.org>", "Subject": "Out of office",
		"In-Reply-To": "<q1@example.org>", "References": "<q1@example.org>",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("reply %s: %q, want %q", name, got, want)
		}
	}
	if got := h.Get("Auto-Submitted"); !strings.HasPrefix(got, "auto-replied") {
		t.Errorf("reply Auto-Submitted: %q", got)
	}
	if body := strings.ReplaceAll(r.body, "\r\n", "\n"); strings.TrimSpace(body) != "I am away.\nBack next week." {
		t.Errorf("reply body %q", r.body)
	}
	// The second within 7 days: none. After a reset: one again.
	d.none("second message within 7 days", d.deliver("bob@example.org", "bob@example.org", "anna@domain.xyz", "anna@domain.xyz"))
	e.must(e.call(e.member, "POST", annaResponders+"/"+away["id"].(string)+"/reset", ""), 200)
	e.mailFiles()
	d.one("after a reset", d.deliver("bob@example.org", "bob@example.org", "anna@domain.xyz", "anna@domain.xyz"), "bob@example.org")

	// Never answered: the excluded, lists, bulk and automatic mail,
	// bounces, and Anna's own addresses.
	for _, tc := range []struct {
		why, sender string
		header      []string
	}{
		{"excluded address", "boss@partner.example", nil},
		{"excluded domain", "aunt@family.example", nil},
		{"a list message (List-Id)", "carol@example.org", []string{"List-Id: Friends <friends.lists.example.org>"}},
		{"a list message (List-Unsubscribe)", "carol2@example.org", []string{"List-Unsubscribe: <mailto:leave@lists.example.org>"}},
		{"bulk mail", "dave@example.org", []string{"Precedence: bulk"}},
		{"automatic mail", "erin@example.org", []string{"Auto-Submitted: auto-generated"}},
		{"a robot", "MAILER-DAEMON@example.org", nil},
		{"a list's owner", "owner-friends@example.org", nil},
		{"her own alias", "sales@domain.xyz", nil},
	} {
		d.none(tc.why, d.deliver(tc.sender, tc.sender, "anna@domain.xyz", "anna@domain.xyz", tc.header...))
	}
	d.none("an empty return path", d.deliver("", "frank@example.org", "anna@domain.xyz", "anna@domain.xyz"))
	// Mail to an alias at the alias domain is answered (its address is in
	// :addresses), and the others above were refused for what they are:
	// a fresh sender with plain mail still gets the reply.
	d.one("mail to an alias", d.deliver("grace@example.org", "grace@example.org", "anna@domain.xyz", "sales@alias.tld"), "grace@example.org")

	// Outside the dates: a responder that starts the day after tomorrow,
	// or that ended two days ago, answers no one.
	for _, dates := range [][2]string{{day(2), day(9)}, {day(-5), day(-2)}} {
		later := e.must(e.call(e.member, "POST", annaResponders, jsonBody(map[string]any{
			"name": "Later " + dates[0], "message": "Not yet.", "time_zone": "UTC", "start": dates[0], "end": dates[1], "active": true,
		})), 201).json
		if later["answering"] != false {
			t.Errorf("%v answers now", dates)
		}
		e.mailFiles()
		d.none("outside the dates "+dates[0]+" to "+dates[1], d.deliver("heidi@example.org", "heidi@example.org", "anna@domain.xyz", "anna@domain.xyz"))
	}
	// Outside the weekdays: every day but today and tomorrow (so that
	// midnight passing does not matter); then today and tomorrow only.
	var others, near []string
	for i := range 7 {
		name := strings.ToLower(today.AddDate(0, 0, i).Weekday().String())
		if i < 2 {
			near = append(near, name)
		} else {
			others = append(others, name)
		}
	}
	for _, tc := range []struct {
		days   []string
		answer bool
	}{{others, false}, {near, true}} {
		wk := e.must(e.call(e.member, "POST", annaResponders, jsonBody(map[string]any{
			"name": "Weekdays " + strings.Join(tc.days, " "), "message": "Not on this day.", "time_zone": "UTC", "weekdays": tc.days, "active": true,
		})), 201).json
		if wk["answering"] != tc.answer {
			t.Errorf("weekdays %v: answering %v", tc.days, wk["answering"])
		}
		e.mailFiles()
		rs := d.deliver("ivan@example.org", "ivan@example.org", "anna@domain.xyz", "anna@domain.xyz")
		if tc.answer {
			d.one("on the weekdays "+strings.Join(tc.days, ", "), rs, "ivan@example.org")
		} else {
			d.none("outside the weekdays "+strings.Join(tc.days, ", "), rs)
		}
	}

	// With an HTML part the reply is multipart/alternative, text first.
	e.must(e.call(e.member, "PATCH", annaResponders+"/"+away["id"].(string), `{"html":"<p>I am <b>away</b>.</p>"}`), 200)
	e.must(e.call(e.member, "POST", annaResponders+"/"+away["id"].(string)+"/activate", ""), 200)
	e.mailFiles()
	r = d.one("an HTML responder", d.deliver("karl@example.org", "karl@example.org", "anna@domain.xyz", "anna@domain.xyz"), "karl@example.org")
	if ct := r.msg.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("HTML reply Content-Type %q", ct)
	}
	if text, html := strings.Index(r.body, "text/plain"), strings.Index(r.body, "<p>I am <b>away</b>.</p>"); text < 0 || html < text {
		t.Errorf("HTML reply body:\n%s", r.body)
	}

	// Deactivated: no reply.
	e.must(e.call(e.member, "POST", annaResponders+"/"+away["id"].(string)+"/activate", ""), 200)
	e.must(e.call(e.member, "POST", annaResponders+"/"+away["id"].(string)+"/deactivate", ""), 200)
	e.mailFiles()
	d.none("no responder active", d.deliver("judy@example.org", "judy@example.org", "anna@domain.xyz", "anna@domain.xyz"))

	// Once the period is over, the sender is answered again: the same
	// script with RFC 6131 :seconds 1 instead of :days 7.
	e.must(e.call(e.member, "POST", annaResponders+"/"+away["id"].(string)+"/activate", ""), 200)
	e.mailFiles()
	if err := mailbox.WriteSieveScripts(t.Context(), e.store, d.sieveDir, 1); err != nil {
		t.Fatal(err)
	}
	if s := e.script("anna"); !strings.Contains(s, "vacation :seconds 1 ") {
		t.Fatalf("the test script:\n%s", s)
	}
	d.one("first message", d.deliver("mallory@example.org", "mallory@example.org", "anna@domain.xyz", "anna@domain.xyz"), "mallory@example.org")
	// Dovecot keeps the time of the reply in whole seconds: past two, the
	// second is over for sure.
	time.Sleep(2100 * time.Millisecond)
	d.one("after the period", d.deliver("mallory@example.org", "mallory@example.org", "anna@domain.xyz", "anna@domain.xyz"), "mallory@example.org")
}
