package mailbox_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/mailbox"
	"almanac/server/servertest"
	"almanac/storage"
	"almanac/storage/bolt"
)

// mailStore is a store with one service, domain.xyz, and its mailbox
// anna@domain.xyz.
func mailStore(t *testing.T) *bolt.DB {
	t.Helper()
	db := servertest.Store(t)
	ctx := t.Context()
	org := &storage.Organization{Name: "XYZ"}
	if err := db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	svc := &storage.MailService{ID: "svc", Org: org.ID, Domain: "domain.xyz", Plan: mailbox.PlanStandard}
	if err := db.CreateMailService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateMailbox(ctx, &storage.Mailbox{Service: "svc", LocalPart: "anna", PasswordHash: servertest.PasswordHash(t)}); err != nil {
		t.Fatal(err)
	}
	return db
}

func addAlias(t *testing.T, db *bolt.DB, alias string) {
	t.Helper()
	if err := db.AddAlias(t.Context(), "svc", "anna", alias, mailbox.MaxAliases); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// timers stands in for time.After: each wait the exporter starts is
// handed to the test, which fires it when it chooses.
type timers chan timer

type timer struct {
	d time.Duration
	c chan time.Time
}

func (ts timers) after(d time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	ts <- timer{d, c}
	return c
}

// next waits until the exporter starts its next wait, and checks how
// long it is.
func (ts timers) next(t *testing.T, want time.Duration) timer {
	t.Helper()
	tm := <-ts
	if tm.d != want {
		t.Fatalf("the exporter waits %v, want %v", tm.d, want)
	}
	return tm
}

func (tm timer) fire() { tm.c <- time.Time{} }

// observer is a mailbox.Observer made of a function.
type observer func(error)

func (o observer) Exported(err error) { o(err) }

// logBuffer is a log destination for concurrent writers.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Issue 14: a mail server file that cannot be written is retried with
// backoff until it can, the failure visible in the exporter's health
// meanwhile; the files catch up on what changed while the server was
// down when it starts; a change still pending when it stops is written.
func TestExporterRetriesUntilWritten(t *testing.T) {
	db := mailStore(t)
	dir := filepath.Join(t.TempDir(), "postfix") // not there yet
	virtual := filepath.Join(dir, "virtual")
	ts := make(timers)
	var logs logBuffer
	attempts := make(chan error, 10)
	x := mailbox.NewExporter(db, mailbox.ExporterOptions{VirtualMap: virtual, After: ts.after,
		Debounce: time.Second, MinRetry: 2 * time.Second, MaxRetry: 5 * time.Second,
		Observer: observer(func(err error) { attempts <- err }),
		Logger:   slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { x.Run(ctx); close(done) }()

	// At start: one write at once, which fails.
	if err := <-attempts; err == nil {
		t.Fatal("wrote into a missing directory")
	}
	if err := x.Health(); err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Fatalf("health after a failed write: %v", err)
	}
	if s := x.Status(); !s.Pending || s.Failures != 1 {
		t.Errorf("status %+v", s)
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("the failure is not logged:\n%s", logs.String())
	}
	// The wait doubles, up to MaxRetry.
	ts.next(t, 2*time.Second).fire()
	<-attempts
	ts.next(t, 4*time.Second).fire()
	<-attempts
	retry := ts.next(t, 5*time.Second)
	if s := x.Status(); s.Failures != 3 {
		t.Errorf("failures %d, want 3", s.Failures)
	}

	// The directory appears: the next try writes the file.
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	retry.fire()
	if err := <-attempts; err != nil {
		t.Fatalf("write after the directory appeared: %v", err)
	}
	if err := x.Health(); err != nil {
		t.Errorf("health after the write: %v", err)
	}
	if got := readFile(t, virtual); got != "anna@domain.xyz anna@domain.xyz\n" {
		t.Errorf("virtual table %q", got)
	}
	if !strings.Contains(logs.String(), "up to date again") {
		t.Errorf("the recovery is not logged:\n%s", logs.String())
	}

	// A change pending when the server stops is written on the way out.
	addAlias(t, db, "sales")
	x.Changed()
	ts.next(t, time.Second) // never fired
	cancel()
	<-done
	if err := <-attempts; err != nil {
		t.Errorf("the write at stop: %v", err)
	}
	if got := readFile(t, virtual); !strings.Contains(got, "sales@domain.xyz anna@domain.xyz\n") {
		t.Errorf("the change pending at stop was not written: %q", got)
	}
	if s := x.Status(); s.Pending || s.Failures != 0 {
		t.Errorf("status after stop: %+v", s)
	}
}

// TestExporterCoalescesBursts: the changes made before a write reads
// the store are one write, and a wake-up they leave behind writes
// nothing more.
func TestExporterCoalescesBursts(t *testing.T) {
	db := mailStore(t)
	virtual := filepath.Join(t.TempDir(), "virtual")
	ts := make(timers)
	attempts := make(chan error, 10)
	x := mailbox.NewExporter(db, mailbox.ExporterOptions{VirtualMap: virtual, After: ts.after,
		Observer: observer(func(err error) { attempts <- err })})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { x.Run(ctx); close(done) }()

	<-attempts // at start
	for i := range 20 {
		addAlias(t, db, "a"+string(rune('a'+i)))
		x.Changed()
	}
	// The burst woke the exporter, which now waits out the debounce;
	// more changes come meanwhile.
	tm := ts.next(t, mailbox.DefaultDebounce)
	for i := range 20 {
		addAlias(t, db, "b"+string(rune('a'+i)))
		x.Changed()
	}
	tm.fire()
	if err := <-attempts; err != nil {
		t.Fatal(err)
	}
	got := readFile(t, virtual)
	if !strings.Contains(got, "aa@domain.xyz ") || !strings.Contains(got, "bt@domain.xyz ") {
		t.Errorf("the write missed changes of the bursts:\n%s", got)
	}
	// The changes after the wake-up left another behind: it finds
	// nothing to write, and neither does the stop.
	ts.next(t, mailbox.DefaultDebounce).fire()
	cancel()
	<-done
	if n := len(attempts); n != 0 {
		t.Errorf("%d more writes after the bursts were written, want none", n)
	}
}

// Issue 14: -mail-reload-cmd runs after each write, with the files
// named in its environment and its output logged; it does not run when
// nothing changed; when it fails, the export fails (health, retry) until
// a run succeeds; a run that hangs is killed at the timeout.
func TestExporterReloadCommand(t *testing.T) {
	db := mailStore(t)
	dir := t.TempDir()
	virtual, passwd := filepath.Join(dir, "virtual"), filepath.Join(dir, "passwd")
	seen, ok := filepath.Join(dir, "seen"), filepath.Join(dir, "ok")
	// The command records what the file held when it ran, and fails
	// until the file ok exists.
	cmd := `cat "$ALMANAC_POSTFIX_VIRTUAL" >> '` + seen + `'; echo "ran for $ALMANAC_DOVECOT_PASSWD"; ` +
		`[ -e '` + ok + `' ] || { echo "not ready" >&2; exit 3; }`
	var logs logBuffer
	x := mailbox.NewExporter(db, mailbox.ExporterOptions{VirtualMap: virtual, PasswdFile: passwd, ReloadCmd: cmd,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx := t.Context()
	runs := func() string {
		b, _ := os.ReadFile(seen)
		return string(b)
	}

	x.Changed()
	err := x.Flush(ctx)
	if err == nil || !strings.Contains(err.Error(), "reload command: exit status 3") {
		t.Fatalf("flush with a failing command: %v", err)
	}
	if got := runs(); got != "anna@domain.xyz anna@domain.xyz\n" {
		t.Errorf("the command did not run after the write: %q", got)
	}
	if x.Health() == nil || !strings.Contains(logs.String(), "not ready") {
		t.Errorf("a failed command: health %v, log:\n%s", x.Health(), logs.String())
	}

	// The files are written; the command still owes its run.
	if err := os.WriteFile(ok, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := x.Flush(ctx); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if strings.Count(runs(), "\n") != 2 || x.Health() != nil {
		t.Errorf("after the retry: runs %q, health %v", runs(), x.Health())
	}
	if !strings.Contains(logs.String(), `output="ran for `+passwd+`"`) {
		t.Errorf("the output is not logged:\n%s", logs.String())
	}

	// A change that leaves the files as they are runs nothing.
	x.Changed()
	if err := x.Flush(ctx); err != nil || strings.Count(runs(), "\n") != 2 {
		t.Errorf("nothing changed: %v, runs %q", err, runs())
	}
	// A real one does, after the write.
	addAlias(t, db, "sales")
	x.Changed()
	if err := x.Flush(ctx); err != nil || !strings.HasSuffix(runs(), "sales@domain.xyz anna@domain.xyz\n") {
		t.Errorf("after a change: %v, runs %q", err, runs())
	}

	// A hanging command is killed, with what it started.
	slow := mailbox.NewExporter(db, mailbox.ExporterOptions{VirtualMap: virtual, ReloadCmd: "sleep 60; echo late",
		ReloadTimeout: 100 * time.Millisecond})
	slow.Changed()
	if err := slow.Flush(ctx); err == nil || !strings.Contains(err.Error(), "timed out after 100ms") {
		t.Errorf("a hanging command: %v", err)
	}
}
