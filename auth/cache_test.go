package auth

import (
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"almanac/storage"
)

func TestCache_HitSkipsArgon2(t *testing.T) {
	st := newFakeStore(alice(t))
	a, v := newTestAuth(t, st, Options{})
	for i := range 1000 {
		if w := serve(a, req{login: "alice@example.org", pw: "right"}); w.Code != http.StatusOK {
			t.Fatalf("request %d: status %d", i, w.Code)
		}
	}
	if v.count() != 1 {
		t.Errorf("1000 requests ran argon2 %d times, want 1", v.count())
	}
	// Every request still looked the account up: that is what makes a
	// password change visible at once.
	if st.lookups != 1000 {
		t.Errorf("lookups = %d, want 1000", st.lookups)
	}
}

func TestCache_Invalidation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(t *testing.T, st *fakeStore, clk *fakeClock)
		oldCode int // status for the old, previously cached password
	}{
		{"password changed", func(t *testing.T, st *fakeStore, _ *fakeClock) {
			acc := alice(t)
			acc.PasswordHash = cheapHash(t, "new-password")
			st.put(acc)
		}, http.StatusUnauthorized},
		{"password re-hashed to the same password", func(t *testing.T, st *fakeStore, _ *fakeClock) {
			acc := alice(t) // fresh salt: a different PasswordHash
			st.put(acc)
		}, http.StatusOK},
		{"account replaced under the same login", func(t *testing.T, st *fakeStore, _ *fakeClock) {
			acc := alice(t)
			old, _ := st.AccountByLogin(t.Context(), acc.Login)
			acc.ID, acc.PasswordHash = "u1-new", old.PasswordHash
			st.put(acc)
		}, http.StatusOK},
		{"entry expired", func(t *testing.T, _ *fakeStore, clk *fakeClock) {
			clk.Advance(defaultCacheTTL)
		}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newFakeStore(alice(t))
			clk := newFakeClock()
			a, v := newTestAuth(t, st, Options{Now: clk.Now})
			serve(a, req{login: "alice@example.org", pw: "right"})
			serve(a, req{login: "alice@example.org", pw: "right"})
			if v.count() != 1 {
				t.Fatalf("warm-up ran argon2 %d times, want 1", v.count())
			}
			tc.change(t, st, clk)
			w := serve(a, req{login: "alice@example.org", pw: "right"})
			if w.Code != tc.oldCode {
				t.Errorf("old password after change: status %d, want %d", w.Code, tc.oldCode)
			}
			if v.count() != 2 {
				t.Errorf("cached verification was reused after the change (%d argon2 runs)", v.count())
			}
			if tc.oldCode == http.StatusOK {
				acc, _ := st.AccountByLogin(t.Context(), "alice@example.org")
				if want := fmt.Sprintf("hello %s ", acc.ID); w.Body.String()[:len(want)] != want {
					t.Errorf("handler got %q, want account %s", w.Body, acc.ID)
				}
			}
		})
	}
}

func TestCache_OnlySuccessesAndExactCredentials(t *testing.T) {
	st := newFakeStore(alice(t))
	a, v := newTestAuth(t, st, Options{})
	serve(a, req{login: "alice@example.org", pw: "right"})
	for _, q := range []req{
		{login: "alice@example.org", pw: "righ"},
		{login: "alice@example.org", pw: "right "},
		{login: "alice@example.org", pw: "wrong"},
		{login: "alice@example.org", pw: "wrong"}, // failures are not cached
	} {
		if w := serve(a, q); w.Code != http.StatusUnauthorized {
			t.Errorf("%q: status %d, want 401", q.pw, w.Code)
		}
	}
	if v.count() != 5 {
		t.Errorf("argon2 runs = %d, want 5", v.count())
	}
	if a.cache.len() != 1 {
		t.Errorf("cache holds %d entries, want 1", a.cache.len())
	}
}

func TestCache_KeyHidesPassword(t *testing.T) {
	a1, a2 := New(nil, Options{}), New(nil, Options{})
	k1, k2 := a1.keyer.key("alice", "pw"), a2.keyer.key("alice", "pw")
	if k1 == k2 {
		t.Error("cache keys equal across processes: not keyed by a process secret")
	}
	if a1.keyer.key("alice", "pw") != k1 {
		t.Error("cache key not deterministic within a process")
	}
	if a1.keyer.key("alic", "epw") == k1 || a1.keyer.key("alice", "pw2") == k1 {
		t.Error("different credentials share a key")
	}
}

func TestCache_Bounded(t *testing.T) {
	const size = 16
	accs := make([]storage.Account, 100)
	for i := range accs {
		accs[i] = storage.Account{ID: fmt.Sprint("u", i), Login: fmt.Sprint("user", i), PasswordHash: cheapHash(t, "pw")}
	}
	st := newFakeStore(accs...)
	a, _ := newTestAuth(t, st, Options{CacheSize: size})
	for _, acc := range accs {
		if w := serve(a, req{login: acc.Login, pw: "pw"}); w.Code != http.StatusOK {
			t.Fatalf("%s: %d", acc.Login, w.Code)
		}
		if n := a.cache.len(); n > size {
			t.Fatalf("cache grew to %d entries, bound %d", n, size)
		}
	}
	// The newest credential is always kept.
	v := &verifyRecorder{}
	v.install(a)
	serve(a, req{login: accs[len(accs)-1].Login, pw: "pw"})
	if v.count() != 0 {
		t.Error("the credential just verified was evicted")
	}
}

func TestCache_Disabled(t *testing.T) {
	a, v := newTestAuth(t, newFakeStore(alice(t)), Options{CacheTTL: -1})
	for range 3 {
		serve(a, req{login: "alice@example.org", pw: "right"})
	}
	if v.count() != 3 {
		t.Errorf("argon2 runs = %d with the cache off, want 3", v.count())
	}
}

// A client opening several connections at once with a cold cache pays
// for one verification, not one per connection.
func TestCoalescing_ConcurrentIdenticalCredentials(t *testing.T) {
	const n = 8
	a, v := newTestAuth(t, newFakeStore(alice(t)), Options{})
	v.gate = make(chan struct{})
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { codes <- serve(a, req{login: "alice@example.org", pw: "right"}).Code })
	}
	// Hold the first verification until every other request has joined it.
	for waiters(a) < n-1 {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	close(v.gate)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("status %d, want 200", c)
		}
	}
	if v.count() != 1 {
		t.Errorf("argon2 runs = %d for %d identical concurrent requests, want 1", v.count(), n)
	}
}

func waiters(a *Authenticator) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, f := range a.flights {
		n += f.waiters
	}
	return n
}

func BenchmarkMiddleware_CachedCredentials(b *testing.B) {
	hash, err := HashPassword("right") // real parameters: a miss would show
	if err != nil {
		b.Fatal(err)
	}
	st := newFakeStore(storage.Account{ID: "u1", Login: "alice@example.org", PasswordHash: hash})
	a := New(st, Options{})
	h := a.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	serve(a, req{login: "alice@example.org", pw: "right"})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r, _ := http.NewRequest("PUT", "/dav/calendars/u1/home/x.ics", nil)
		r.RemoteAddr = "192.0.2.1:1234"
		r.SetBasicAuth("alice@example.org", "right")
		w := &nopWriter{h: http.Header{}}
		for pb.Next() {
			h.ServeHTTP(w, r)
		}
	})
}

type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}
