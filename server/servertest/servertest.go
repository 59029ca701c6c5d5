// Package servertest is the one test harness of almanac's packages: a
// fresh store in the test's temporary directory, accounts provisioned as
// the server provisions them, and the whole server built by the
// composition root, in process or on a loopback listener. Tests of every
// package build their world through it, so a change to how accounts or
// the server are made is made once.
package servertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"almanac/auth"
	"almanac/caldav"
	"almanac/carddav"
	"almanac/notify"
	"almanac/server"
	"almanac/storage"
	"almanac/storage/bolt"
)

// Password is the password of every account Account makes: long enough
// for the password rule, distinctive enough to grep logs for.
const Password = "correct horse battery staple"

var hashed struct {
	once sync.Once
	hash string
	err  error
}

// PasswordHash is Password's argon2id hash, computed once per test binary.
func PasswordHash(t testing.TB) string {
	t.Helper()
	hashed.once.Do(func() { hashed.hash, hashed.err = auth.HashPassword(Password) })
	if hashed.err != nil {
		t.Fatal(hashed.err)
	}
	return hashed.hash
}

// Store opens a fresh bbolt store in t.TempDir(), closed when the test
// ends.
func Store(t testing.TB) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "almanac.db"), bolt.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return db
}

// Account creates an account with login and Password, edited by edit
// before it is stored (a display name, a mobile number, a fixed handle),
// and provisions its default calendar and address book as the server
// does for new accounts.
func Account(t testing.TB, store storage.Store, login string, edit ...func(*storage.Account)) *storage.Account {
	t.Helper()
	acc := &storage.Account{Login: login, PasswordHash: PasswordHash(t)}
	for _, e := range edit {
		e(acc)
	}
	ctx := context.Background()
	if err := store.CreateAccount(ctx, acc); err != nil {
		t.Fatalf("create account %s: %v", login, err)
	}
	if err := caldav.Provision(ctx, store, acc); err != nil {
		t.Fatalf("provision calendar: %v", err)
	}
	if err := carddav.Provision(ctx, store, acc); err != nil {
		t.Fatalf("provision address book: %v", err)
	}
	return acc
}

// Env is the whole server on a fresh store.
type Env struct {
	t      testing.TB
	Store  *bolt.DB
	Server *server.Server
	// Post receives the account mail and SMS the server sends.
	Post *Postbox
	// Logs holds the server's log, printed when the test fails.
	Logs *Logs
	// Dir is a temporary directory for files the server writes (the
	// Dovecot and Postfix files when the configuration names them).
	Dir string
	url string
}

// New builds the server on a fresh store. configure may change the
// configuration before the server is built; Store, Logger, Mailer and
// Texter are set already.
func New(t testing.TB, configure ...func(*server.Config)) *Env {
	t.Helper()
	e := &Env{t: t, Store: Store(t), Post: &Postbox{}, Logs: &Logs{}, Dir: t.TempDir()}
	cfg := server.Config{Store: e.Store, Mailer: e.Post, Texter: e.Post,
		Logger: slog.New(slog.NewTextHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, c := range configure {
		c(&cfg)
	}
	e.Server = server.New(cfg)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", e.Logs)
		}
	})
	return e
}

// Account creates a provisioned account on the server's store.
func (e *Env) Account(login string, edit ...func(*storage.Account)) *storage.Account {
	e.t.Helper()
	return Account(e.t, e.Store, login, edit...)
}

// Start serves the server on a loopback listener until the test ends and
// returns its base URL; later calls return the same URL.
func (e *Env) Start() string {
	if e.url == "" {
		srv := httptest.NewServer(e.Server)
		e.t.Cleanup(srv.Close)
		e.url = srv.URL
	}
	return e.url
}

// Do serves one request in process, with Basic credentials for login and
// Password unless login is "", and header name/value pairs. A body that
// starts with "{" is sent as application/json unless hdr says otherwise.
func (e *Env) Do(method, path, login, body string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if strings.HasPrefix(body, "{") {
		r.Header.Set("Content-Type", "application/json")
	}
	if login != "" {
		r.Header.Set("Authorization", BasicAuth(login, Password))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.Server.ServeHTTP(rec, r)
	return rec
}

// BasicAuth is the Authorization header value for login and password.
func BasicAuth(login, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(login+":"+password))
}

// Postbox records mail and SMS instead of sending them.
type Postbox struct {
	mu   sync.Mutex
	mail []notify.Message
	sms  []notify.SMS
}

func (p *Postbox) Send(_ context.Context, m notify.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mail = append(p.mail, m)
	return nil
}

func (p *Postbox) SendSMS(_ context.Context, s notify.SMS) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sms = append(p.sms, s)
	return nil
}

// Mail returns the messages sent so far.
func (p *Postbox) Mail() []notify.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]notify.Message(nil), p.mail...)
}

// SMS returns the text messages sent so far.
func (p *Postbox) SMS() []notify.SMS {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]notify.SMS(nil), p.sms...)
}

// LastMail returns the last message sent, failing the test when none was.
func (p *Postbox) LastMail(t testing.TB) notify.Message {
	t.Helper()
	m := p.Mail()
	if len(m) == 0 {
		t.Fatal("no mail sent")
	}
	return m[len(m)-1]
}

// Logs is a log destination safe for the server's concurrent writes.
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// ReadAll reads and closes a response body, failing the test on error.
func ReadAll(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return b
}
