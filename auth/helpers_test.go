package auth

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/storage"
)

// fakeStore is a Store of accounts in a map, matching logins
// case-insensitively like the real stores.
type fakeStore struct {
	mu       sync.Mutex
	accounts map[string]storage.Account
	err      error
	lookups  int
}

func newFakeStore(accs ...storage.Account) *fakeStore {
	s := &fakeStore{accounts: make(map[string]storage.Account)}
	for _, a := range accs {
		s.put(a)
	}
	return s
}

func (s *fakeStore) put(a storage.Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[strings.ToLower(a.Login)] = a
}

func (s *fakeStore) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *fakeStore) AccountByLogin(_ context.Context, login string) (*storage.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups++
	if s.err != nil {
		return nil, s.err
	}
	a, ok := s.accounts[strings.ToLower(login)]
	if !ok {
		return nil, fmt.Errorf("fake: account %q: %w", login, storage.ErrNotFound)
	}
	return &a, nil
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// cheapParams keep tests fast, under -race too; the code paths are the
// same as with the defaults because parameters come from the string.
var cheapParams = argonParams{memory: 64, time: 1, threads: 1, saltLen: 16, keyLen: 32}

func cheapHash(t testing.TB, pw string) string {
	t.Helper()
	h, err := hashWithParams(pw, cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type verifyCall struct{ encoded, pw string }

// verifyRecorder replaces the Guard's verify to count argon2 runs.
type verifyRecorder struct {
	mu    sync.Mutex
	calls []verifyCall
	// gate, when set, is received from before each verification so tests
	// can hold verifications in flight.
	gate chan struct{}
	// skipArgon2 answers "no match" without hashing.
	skipArgon2 bool
}

func (v *verifyRecorder) install(a *Authenticator) {
	a.guard.verify = func(encoded, pw string) (bool, error) {
		if v.gate != nil {
			<-v.gate
		}
		v.mu.Lock()
		v.calls = append(v.calls, verifyCall{encoded, pw})
		v.mu.Unlock()
		if v.skipArgon2 {
			return false, nil
		}
		return VerifyPassword(encoded, pw)
	}
}

func (v *verifyRecorder) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.calls)
}

func (v *verifyRecorder) reset() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls = nil
}

// newTestAuth builds an Authenticator with a cheap dummy hash and a
// recording verifier.
func newTestAuth(t testing.TB, store Store, opts Options) (*Authenticator, *verifyRecorder) {
	t.Helper()
	a := New(store, opts)
	a.guard.dummyHash = cheapHash(t, GeneratePassword())
	v := &verifyRecorder{}
	v.install(a)
	return a, v
}

// echo is the protected handler: it reports who it was called for and
// whether an Authorization header reached it.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	acc := AccountFrom(r.Context())
	if acc == nil {
		http.Error(w, "no account in context", http.StatusTeapot)
		return
	}
	fmt.Fprintf(w, "hello %s auth=%q", acc.ID, r.Header.Get("Authorization"))
})

type req struct {
	login, pw string
	header    string // raw Authorization header; overrides login/pw
	noAuth    bool
	remote    string
}

func serve(a *Authenticator, q req) *httptest.ResponseRecorder {
	r := httptest.NewRequest("PROPFIND", "/dav/calendars/", nil)
	r.RemoteAddr = "192.0.2.1:40000"
	if q.remote != "" {
		r.RemoteAddr = q.remote
	}
	switch {
	case q.header != "":
		r.Header.Set("Authorization", q.header)
	case !q.noAuth:
		r.SetBasicAuth(q.login, q.pw)
	}
	w := httptest.NewRecorder()
	a.Middleware(echo).ServeHTTP(w, r)
	return w
}

// syncBuffer is an io.Writer safe for concurrent slog use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func debugLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// The rest of Store: the fake has no app passwords, sessions or second
// factors, so every lookup finds nothing and every write has nothing to
// change.

func (s *fakeStore) Account(_ context.Context, id string) (*storage.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.accounts {
		if a.ID == id {
			return &a, nil
		}
	}
	return nil, storage.ErrNotFound
}

func (s *fakeStore) UpdateAccount(context.Context, *storage.Account) error {
	return storage.ErrNotFound
}
func (s *fakeStore) AppPassword(context.Context, string) (*storage.AppPassword, error) {
	return nil, storage.ErrNotFound
}
func (s *fakeStore) TouchAppPassword(context.Context, string, time.Time, string) error {
	return storage.ErrNotFound
}
func (s *fakeStore) Session(context.Context, string) (*storage.Session, error) {
	return nil, storage.ErrNotFound
}
func (s *fakeStore) AcceptTOTPStep(context.Context, string, int64) error { return storage.ErrNotFound }
func (s *fakeStore) UseRecoveryCode(context.Context, string, string) error {
	return storage.ErrNotFound
}
