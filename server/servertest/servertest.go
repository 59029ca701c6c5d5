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
	"sort"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

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

// Metrics is one scrape of the server's metrics, read with the
// Prometheus text parser: metric families by name.
type Metrics map[string]*dto.MetricFamily

// Scrape reads the server's metrics in the Prometheus text format, as a
// scraper would, and parses them; the scrape is served in process and
// is not counted as a request.
func (e *Env) Scrape() Metrics {
	e.t.Helper()
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	r.Header.Set("Accept", "text/plain")
	e.Server.MetricsHandler("").ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		e.t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	return ParseMetrics(e.t, rec.Body)
}

// ParseMetrics parses the Prometheus text format, failing the test when
// it does not parse.
func ParseMetrics(t testing.TB, r io.Reader) Metrics {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("metrics do not parse: %v", err)
	}
	return fams
}

// Series returns the series of family name by their labels, written
// "k=v,k=v" in label name order ("" for none), with their values: a
// counter's or gauge's value, a histogram's count of observations.
func (m Metrics) Series(name string) map[string]float64 {
	out := map[string]float64{}
	fam := m[name]
	if fam == nil {
		return out
	}
	for _, s := range fam.GetMetric() {
		var labels []string
		for _, l := range s.GetLabel() {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		sort.Strings(labels)
		var v float64
		switch {
		case s.Counter != nil:
			v = s.GetCounter().GetValue()
		case s.Gauge != nil:
			v = s.GetGauge().GetValue()
		case s.Histogram != nil:
			v = float64(s.GetHistogram().GetSampleCount())
		case s.Untyped != nil:
			v = s.GetUntyped().GetValue()
		}
		out[strings.Join(labels, ",")] = v
	}
	return out
}

// Value is the sum of the series of name whose labels include the
// name/value pairs given (all of them with none).
func (m Metrics) Value(name string, labels ...string) float64 {
	var sum float64
	for key, v := range m.Series(name) {
		have := "," + key + ","
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if !strings.Contains(have, ","+labels[i]+"="+labels[i+1]+",") {
				match = false
			}
		}
		if match {
			sum += v
		}
	}
	return sum
}
