package mailimport

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"almanac/notify"
	"almanac/storage"
	"almanac/storage/bolt"
)

const (
	srcUser     = "anna@example.org"
	srcPassword = "source-password"
	destAddress = "me@domain.xyz"
	master      = "almanac"
	masterPW    = "master-secret"
)

// postbox records the confirmation mails.
type postbox struct {
	mu   sync.Mutex
	mail []notify.Message
}

func (p *postbox) Send(_ context.Context, m notify.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mail = append(p.mail, m)
	return nil
}

func (p *postbox) all() []notify.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.mail)
}

// world is a store with an account, a destination server with its
// master login and a running import service.
type world struct {
	t    *testing.T
	db   *bolt.DB
	acc  *storage.Account
	svc  *Service
	post *postbox
	dst  *memIMAP
}

func newWorld(t *testing.T, cfg Config) *world {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "almanac.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	acc := &storage.Account{Login: "owner@example.org", PasswordHash: "x"}
	if err := db.CreateAccount(t.Context(), acc); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: db, acc: acc, post: &postbox{}}
	if cfg.Destination.Host == "" {
		w.dst = newMemIMAP(t)
		w.dst.user(t, destAddress+"*"+master, masterPW)
		cfg.Destination = w.dst.endpoint()
	}
	cfg.MasterUser, cfg.MasterSecret = master, masterPW
	cfg.AllowPrivate = true
	w.svc, err = New(db, cfg, Options{Mailer: w.post})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.svc.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

// start makes a job of the sources given (endpoint and password each).
func (w *world) start(sources ...sourceSpec) *storage.ImportJob {
	w.t.Helper()
	j := &storage.ImportJob{Owner: w.acc.ID, Service: "svc", LocalPart: "me", Destination: destAddress}
	var pws []string
	for _, s := range sources {
		j.Sources = append(j.Sources, storage.ImportSource{Address: s.address, Host: s.ep.Host, Port: s.ep.Port, Security: s.ep.Security})
		pws = append(pws, s.password)
	}
	if err := w.svc.start(w.t.Context(), j, pws); err != nil {
		w.t.Fatal(err)
	}
	return j
}

type sourceSpec struct {
	address, password string
	ep                Endpoint
}

// wait polls job id until cond holds; the test's own deadline bounds it.
func (w *world) wait(id string, cond func(*storage.ImportJob) bool) *storage.ImportJob {
	w.t.Helper()
	for {
		j, err := w.db.ImportJob(w.t.Context(), id)
		if err != nil {
			w.t.Fatal(err)
		}
		if cond(j) {
			return j
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ended holds once a job ended and its confirmation went out.
func ended(j *storage.ImportJob) bool { return storage.ImportEnded(j.State) && j.Notified }

var day = time.Date(2023, 5, 17, 8, 30, 0, 0, time.UTC)

// sourceMessages is a mailbox with nested folders, a ghost parent (no
// Work/Projects), special folders known by name, flags, internal dates,
// a message without Message-ID and one that is in two folders.
func sourceMessages() []testMsg {
	return []testMsg{
		{folder: "INBOX", body: message("m1@x", "first"), flags: []imap.Flag{imap.FlagSeen}, date: day},
		{folder: "INBOX", body: message("m2@x", "second"), flags: []imap.Flag{imap.FlagFlagged, imap.FlagAnswered, "$label1"}, date: day.Add(time.Hour)},
		{folder: "INBOX", body: message("", "no message-id"), date: day.Add(2 * time.Hour)},
		{folder: "INBOX", body: message("gone@x", "deleted"), flags: []imap.Flag{imap.FlagDeleted}, date: day},
		{folder: "Sent", body: message("s1@x", "sent one"), flags: []imap.Flag{imap.FlagSeen}, date: day.Add(-time.Hour)},
		{folder: "Work/Projects/2024", body: message("p1@x", "project"), date: day},
		{folder: "Work/Projects/2024", body: message("m1@x", "first"), flags: []imap.Flag{imap.FlagSeen}, date: day},
		{folder: "Drafts", body: message("d1@x", "draft"), flags: []imap.Flag{imap.FlagDraft}, date: day},
	}
}

func TestCopyAndCopyAgain(t *testing.T) {
	src := newMemIMAP(t)
	src.user(t, srcUser, srcPassword, "Sent", "Drafts", "Work/Projects/2024")
	put(t, imapClient(t, src.addr, srcUser, srcPassword), sourceMessages())
	w := newWorld(t, Config{})
	spec := sourceSpec{srcUser, srcPassword, src.endpoint()}

	j := w.wait(w.start(spec).ID, ended)
	if j.State != storage.ImportDone {
		t.Fatalf("state %s, want done: %+v", j.State, j.Sources[0])
	}
	for _, s := range j.Sources {
		if s.Secret != nil {
			t.Error("the job ended with its source password kept")
		}
	}
	got := contents(t, imapClient(t, w.dst.addr, destAddress+"*"+master, masterPW))
	want := map[string][]stored{
		"INBOX": {
			{body: message("m1@x", "first"), flags: []string{`\Seen`}, date: day},
			{body: message("m2@x", "second"), flags: []string{"$label1", `\Answered`, `\Flagged`}, date: day.Add(time.Hour)},
			{body: message("", "no message-id"), date: day.Add(2 * time.Hour)},
		},
		"Sent":   {{body: message("s1@x", "sent one"), flags: []string{`\Seen`}, date: day.Add(-time.Hour)}},
		"Drafts": {{body: message("d1@x", "draft"), flags: []string{`\Draft`}, date: day}},
		// The missing parents exist as real folders.
		"Work": {}, "Work/Projects": {},
		"Work/Projects/2024": {
			{body: message("p1@x", "project"), date: day},
			{body: message("m1@x", "first"), flags: []string{`\Seen`}, date: day},
		},
	}
	if !reflect.DeepEqual(fmtContents(got), fmtContents(want)) {
		t.Errorf("destination\n%s\nwant\n%s", fmtContents(got), fmtContents(want))
	}
	counts := func(j *storage.ImportJob) map[string][4]int {
		out := map[string][4]int{}
		for _, f := range j.Sources[0].Folders {
			out[f.Name] = [4]int{f.Found, f.Copied, f.Skipped, f.Failed}
		}
		return out
	}
	if got, want := counts(j), map[string][4]int{
		"INBOX": {3, 3, 0, 0}, "Sent": {1, 1, 0, 0}, "Drafts": {1, 1, 0, 0}, "Work/Projects/2024": {2, 2, 0, 0},
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("counts (found, copied, skipped, failed) %v, want %v", got, want)
	}

	// Again: nothing new, everything skipped.
	again := w.wait(w.start(spec).ID, ended)
	if got, want := counts(again), map[string][4]int{
		"INBOX": {3, 0, 3, 0}, "Sent": {1, 0, 1, 0}, "Drafts": {1, 0, 1, 0}, "Work/Projects/2024": {2, 0, 2, 0},
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("second import: counts %v, want %v", got, want)
	}
	if after := contents(t, imapClient(t, w.dst.addr, destAddress+"*"+master, masterPW)); !reflect.DeepEqual(fmtContents(after), fmtContents(got)) {
		t.Errorf("the second import changed the destination:\n%s", fmtContents(after))
	}

	mails := w.post.all()
	if len(mails) != 4 {
		t.Fatalf("%d confirmation mails, want 2 per import (source and destination)", len(mails))
	}
	m := mails[0]
	for _, want := range []string{"has been copied into me@domain.xyz", "INBOX", "Work/Projects/2024", "7 messages copied in all", "Nothing was deleted"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, m.Text)
		}
	}
	if m.Subject != "Your mail import into me@domain.xyz is complete" {
		t.Errorf("subject %q", m.Subject)
	}
}

func fmtContents(c map[string][]stored) string {
	var names []string
	for n := range c {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n + ":\n")
		for _, m := range c[n] {
			b.WriteString("  " + m.String() + "\n")
		}
	}
	return b.String()
}
