package auth

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/storage"
)

func TestAddrKey(t *testing.T) {
	for _, tc := range []struct{ remote, want string }{
		{"192.0.2.1:1234", "192.0.2.1"},
		{"192.0.2.1", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:443", "192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2::1]:443", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"},
		{"[2001:db8:1:3::1]:443", "2001:db8:1:3::/64"},
		{"[fe80::1%eth0]:443", "fe80::/64"},
		{"[::1]:80", "::/64"},
		{"@", "@"},
		{"", ""},
	} {
		if got := addrKey(tc.remote); got != tc.want {
			t.Errorf("addrKey(%q) = %q, want %q", tc.remote, got, tc.want)
		}
	}
}

func TestRetrySeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int64
	}{
		{0, 1},
		{time.Nanosecond, 1},
		{time.Second, 1},
		{time.Second + time.Millisecond, 2},
		{15 * time.Minute, 900},
	} {
		if got := retrySeconds(tc.d); got != tc.want {
			t.Errorf("retrySeconds(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

func assertThrottled(t *testing.T, w interface {
	Result() *http.Response
}, retry string) {
	t.Helper()
	res := w.Result()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", res.StatusCode)
	}
	if got := res.Header.Get("Retry-After"); got != retry {
		t.Errorf("Retry-After = %q, want %q", got, retry)
	}
	if res.Header.Get("WWW-Authenticate") != "" {
		t.Error("429 carries a Basic challenge")
	}
}

func TestThrottle_PerLogin(t *testing.T) {
	for _, tc := range []struct {
		name   string
		failAs string // login used for the failures
	}{
		{"same spelling", "alice@example.org"},
		{"other case", "ALICE@example.ORG"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			st := newFakeStore(alice(t), storage.Account{ID: "u2", Login: "bob", PasswordHash: cheapHash(t, "bobpw")})
			a, v := newTestAuth(t, st, Options{Now: clk.Now, Limits: Limits{GlobalLoginFailures: 3, AddressFailures: 1000}})
			for i := range 3 {
				// Different addresses: the global per-login limit is what
				// trips.
				w := serve(a, req{login: tc.failAs, pw: fmt.Sprint("guess", i), remote: fmt.Sprintf("198.51.100.%d:1", i)})
				if w.Code != http.StatusUnauthorized {
					t.Fatalf("guess %d: status %d", i, w.Code)
				}
			}
			v.reset()
			// Locked: the correct password from an address where it never
			// worked is refused without being verified.
			assertThrottled(t, serve(a, req{login: "alice@example.org", pw: "right", remote: "198.51.100.99:1"}), "900")
			if v.count() != 0 {
				t.Error("password verified during lockout")
			}
			clk.Advance(10 * time.Minute)
			assertThrottled(t, serve(a, req{login: "alice@example.org", pw: "right"}), "300")
			// Other logins from the same addresses are unaffected.
			if w := serve(a, req{login: "bob", pw: "bobpw", remote: "198.51.100.0:1"}); w.Code != http.StatusOK {
				t.Errorf("other login: status %d", w.Code)
			}
			clk.Advance(5 * time.Minute) // the window has passed
			if w := serve(a, req{login: "alice@example.org", pw: "right"}); w.Code != http.StatusOK {
				t.Errorf("after the window: status %d, want 200", w.Code)
			}
		})
	}
}

func TestThrottle_UnknownLoginCounted(t *testing.T) {
	clk := newFakeClock()
	a, v := newTestAuth(t, newFakeStore(), Options{Now: clk.Now, Limits: Limits{GlobalLoginFailures: 2, AddressFailures: 1000}})
	serve(a, req{login: "ghost", pw: "a", remote: "198.51.100.1:1"})
	serve(a, req{login: "ghost", pw: "b", remote: "198.51.100.2:1"})
	// Same answer an existing login gets: a 429 does not reveal existence.
	assertThrottled(t, serve(a, req{login: "Ghost", pw: "c", remote: "198.51.100.3:1"}), "900")
	if v.count() != 2 {
		t.Errorf("argon2 runs = %d, want 2", v.count())
	}
}

func TestThrottle_PerAddress(t *testing.T) {
	clk := newFakeClock()
	st := newFakeStore(alice(t))
	a, v := newTestAuth(t, st, Options{Now: clk.Now, Limits: Limits{LoginFailures: 1000, AddressFailures: 4}})
	for i := range 4 {
		clk.Advance(time.Minute)
		serve(a, req{login: fmt.Sprintf("user%d@example.org", i), pw: "x", remote: fmt.Sprintf("203.0.113.7:%d", 5000+i)})
	}
	v.reset()
	// The oldest failure was at +1m, now is +4m: 12 minutes to go.
	assertThrottled(t, serve(a, req{login: "alice@example.org", pw: "right", remote: "203.0.113.7:6000"}), "720")
	if v.count() != 0 {
		t.Error("password verified for a locked address")
	}
	if w := serve(a, req{login: "alice@example.org", pw: "right", remote: "203.0.113.8:6000"}); w.Code != http.StatusOK {
		t.Errorf("other address: status %d, want 200", w.Code)
	}
}

func TestThrottle_IPv6GroupedBy64(t *testing.T) {
	clk := newFakeClock()
	st := newFakeStore(alice(t))
	a, _ := newTestAuth(t, st, Options{Now: clk.Now, Limits: Limits{LoginFailures: 1000, AddressFailures: 2}})
	serve(a, req{login: "x1", pw: "x", remote: "[2001:db8:1:2::1]:1"})
	serve(a, req{login: "x2", pw: "x", remote: "[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:1"})
	assertThrottled(t, serve(a, req{login: "alice@example.org", pw: "right", remote: "[2001:db8:1:2::77]:1"}), "900")
	if w := serve(a, req{login: "alice@example.org", pw: "right", remote: "[2001:db8:1:3::1]:1"}); w.Code != http.StatusOK {
		t.Errorf("neighbouring /64: status %d, want 200", w.Code)
	}
}

func TestThrottle_SlidingWindow(t *testing.T) {
	clk := newFakeClock()
	a, _ := newTestAuth(t, newFakeStore(alice(t)), Options{Now: clk.Now, Limits: Limits{LoginFailures: 3, AddressFailures: 1000}})
	steps := []struct {
		advance time.Duration
		want    int
		retry   string
	}{
		{0, 401, ""},                // t0
		{5 * time.Minute, 401, ""},  // t0+5
		{5 * time.Minute, 401, ""},  // t0+10: third failure, now locked
		{0, 429, "300"},             // until t0 leaves the window at t0+15
		{5 * time.Minute, 401, ""},  // t0+15: one slot free again
		{0, 429, "300"},             // t0+5 leaves at t0+20
		{5 * time.Minute, 401, ""},  // t0+20
		{15 * time.Minute, 401, ""}, // t0+35: everything aged out
		{0, 401, ""},
		{0, 401, ""},
		{0, 429, "900"},
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		w := serve(a, req{login: "alice@example.org", pw: "wrong"})
		if w.Code != s.want || w.Header().Get("Retry-After") != s.retry {
			t.Fatalf("step %d: %d Retry-After %q; want %d %q", i, w.Code, w.Header().Get("Retry-After"), s.want, s.retry)
		}
	}
}

// Documented choice: a success does not reset the login's counter, so an
// attacker cannot interleave guesses with the owner's own logins.
func TestThrottle_SuccessDoesNotReset(t *testing.T) {
	clk := newFakeClock()
	a, _ := newTestAuth(t, newFakeStore(alice(t)), Options{Now: clk.Now, Limits: Limits{LoginFailures: 3, AddressFailures: 1000}})
	for i, s := range []struct {
		pw   string
		want int
	}{
		{"wrong", 401}, {"wrong2", 401}, {"right", 200}, {"wrong3", 401}, {"right", 429},
	} {
		if w := serve(a, req{login: "alice@example.org", pw: s.pw}); w.Code != s.want {
			t.Fatalf("attempt %d (%s): status %d, want %d", i, s.pw, w.Code, s.want)
		}
	}
}

func TestThrottle_NoCredentialsNotCounted(t *testing.T) {
	a, _ := newTestAuth(t, newFakeStore(alice(t)), Options{Limits: Limits{LoginFailures: 1, AddressFailures: 1}})
	for range 50 {
		serve(a, req{noAuth: true})
		serve(a, req{header: "Basic !!"})
		serve(a, req{header: "Bearer token"})
	}
	if w := serve(a, req{login: "alice@example.org", pw: "right"}); w.Code != http.StatusOK {
		t.Errorf("status %d, want 200: challenge round trips were counted", w.Code)
	}
}

func TestThrottle_Disabled(t *testing.T) {
	a, _ := newTestAuth(t, newFakeStore(alice(t)), Options{Limits: Limits{LoginFailures: -1, AddressFailures: -1}})
	for range 40 {
		serve(a, req{login: "alice@example.org", pw: "wrong"})
	}
	if w := serve(a, req{login: "alice@example.org", pw: "right"}); w.Code != http.StatusOK {
		t.Errorf("status %d, want 200 with throttling off", w.Code)
	}
}

// Parallel guesses cannot all pass the check before the first failure is
// recorded: slots are reserved before argon2 runs.
func TestThrottle_ParallelGuessesCapped(t *testing.T) {
	const limit, n = 3, 12
	a, v := newTestAuth(t, newFakeStore(alice(t)), Options{Limits: Limits{GlobalLoginFailures: limit, AddressFailures: 1000}})
	v.gate = make(chan struct{})
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			codes <- serve(a, req{login: "alice@example.org", pw: fmt.Sprint("guess", i), remote: fmt.Sprintf("198.51.100.%d:1", i)}).Code
		})
	}
	// Settled when every request has either answered or holds a slot.
	for len(codes)+inflight(passwordTable(a, "login from every address"), "alice@example.org") < n {
		time.Sleep(time.Millisecond)
	}
	close(v.gate)
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	if got[http.StatusTooManyRequests] != n-limit || got[http.StatusUnauthorized] != limit {
		t.Errorf("responses %v; want %d×429, %d×401", got, n-limit, limit)
	}
	if v.count() != limit {
		t.Errorf("argon2 runs = %d, want %d", v.count(), limit)
	}
}

func passwordTable(a *Authenticator, name string) *failWindow {
	for _, t := range a.guard.kinds[kindPassword] {
		if t.name == name {
			return t.w.(*failWindow)
		}
	}
	panic("no password rule " + name)
}

func inflight(w *failWindow, key string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if b := w.m[key]; b != nil {
		return b.inflight
	}
	return 0
}

// A credential verified before the lockout is cached, but answering it
// during the lockout from another address would still confirm a guess.
func TestThrottle_LockoutRefusesCachedPassword(t *testing.T) {
	clk := newFakeClock()
	a, v := newTestAuth(t, newFakeStore(alice(t)), Options{Now: clk.Now, CacheTTL: time.Hour,
		Limits: Limits{GlobalLoginFailures: 2, AddressFailures: 1000}})
	if w := serve(a, req{login: "alice@example.org", pw: "right"}); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	serve(a, req{login: "alice@example.org", pw: "guess1", remote: "198.51.100.1:1"})
	serve(a, req{login: "alice@example.org", pw: "guess2", remote: "198.51.100.2:1"})
	assertThrottled(t, serve(a, req{login: "alice@example.org", pw: "right", remote: "198.51.100.3:1"}), "900")
	clk.Advance(15 * time.Minute)
	v.reset()
	if w := serve(a, req{login: "alice@example.org", pw: "right"}); w.Code != http.StatusOK {
		t.Errorf("after the window: status %d", w.Code)
	}
	if v.count() != 0 {
		t.Error("the lockout dropped a cached credential still within its TTL")
	}
}

func TestFailWindow_Bounded(t *testing.T) {
	clk := newFakeClock()
	w := newFailWindow(3, 15*time.Minute, 50)
	for range 3 {
		w.fail("victim", clk.Now())
	}
	for i := range 1000 {
		clk.Advance(time.Millisecond)
		w.fail(fmt.Sprint("spray", i), clk.Now())
		if n := w.len(); n > 50 {
			t.Fatalf("table grew to %d entries, bound 50", n)
		}
	}
	if w.retryAfter("victim", clk.Now()) <= 0 {
		t.Error("the locked key was evicted by one-failure keys")
	}
	for _, b := range w.m {
		if len(b.fails) > 3 {
			t.Fatalf("bucket holds %d timestamps, limit 3", len(b.fails))
		}
	}
	clk.Advance(15 * time.Minute)
	w.fail("late", clk.Now())
	if n := w.len(); n != 1 {
		t.Errorf("after the window %d entries remain, want 1 (expired ones swept)", n)
	}
}

func TestThrottle_ResponseShape(t *testing.T) {
	a, _ := newTestAuth(t, newFakeStore(alice(t)), Options{Limits: Limits{LoginFailures: 1}})
	serve(a, req{login: "alice@example.org", pw: "wrong"})
	w := serve(a, req{login: "alice@example.org", pw: "wrong"})
	assertThrottled(t, w, "900")
	if w.Body.String() != "429 Too Many Requests\n" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("body %q, Content-Type %q", w.Body, w.Header().Get("Content-Type"))
	}
}

// Many clients at once, right and wrong, known and unknown, coalesced and
// not: run with -race. Every response must be one of the expected ones
// and every 200 must carry the right account.
func TestMiddleware_Concurrent(t *testing.T) {
	accs := make([]storage.Account, 4)
	for i := range accs {
		accs[i] = storage.Account{ID: fmt.Sprint("u", i), Login: fmt.Sprintf("user%d@example.org", i), PasswordHash: cheapHash(t, fmt.Sprint("pw", i))}
	}
	st := newFakeStore(accs...)
	a, _ := newTestAuth(t, st, Options{CacheSize: 3, MaxConcurrentVerifications: 2,
		Limits: Limits{LoginFailures: 5, AddressFailures: 8, MaxEntries: 4}})
	var wg sync.WaitGroup
	errs := make(chan string, 1000)
	for g := range 16 {
		wg.Go(func() {
			for i := range 40 {
				n := (g + i) % len(accs)
				q := req{login: accs[n].Login, pw: fmt.Sprint("pw", n), remote: fmt.Sprintf("192.0.2.%d:1", g%3)}
				good := i%4 != 3
				switch i % 4 {
				case 3:
					q.pw = "wrong"
					if i%8 == 3 {
						q.login = fmt.Sprintf("ghost%d", g)
					}
				}
				w := serve(a, q)
				switch {
				case w.Code == http.StatusTooManyRequests:
				case good && w.Code == http.StatusOK:
					if want := fmt.Sprintf("hello %s ", accs[n].ID); !strings.HasPrefix(w.Body.String(), want) {
						errs <- fmt.Sprintf("got %q, want account %s", w.Body, accs[n].ID)
					}
				case !good && w.Code == http.StatusUnauthorized:
				default:
					errs <- fmt.Sprintf("%s/%s: status %d", q.login, q.pw, w.Code)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := a.cache.len(); n > 3 {
		t.Errorf("cache holds %d entries, bound 3", n)
	}
}

func TestLimiter(t *testing.T) {
	l := NewLimiter(3, time.Minute, 100)
	ctx := context.Background()
	retryAfter := func(key string, now time.Time) time.Duration {
		t.Helper()
		d, err := l.RetryAfter(ctx, key, now)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	now := time.Unix(1_800_000_000, 0)
	key := AddrKey("2001:db8::1:2:3:4%eth0")
	if key != AddrKey("[2001:db8::ffff:1:2:3]:443") {
		t.Errorf("one /64 gives two keys: %s", key)
	}
	for i := range 3 {
		if d := retryAfter(key, now); d != 0 {
			t.Fatalf("attempt %d refused for %v", i, d)
		}
		if err := l.Fail(ctx, key, now.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if d := retryAfter(key, now.Add(3*time.Second)); d != 57*time.Second {
		t.Errorf("after 3 failures RetryAfter = %v, want 57s", d)
	}
	if d := retryAfter("192.0.2.9", now); d != 0 {
		t.Errorf("another address is slowed: %v", d)
	}
	if d := retryAfter(key, now.Add(time.Minute)); d != 0 {
		t.Errorf("a minute later still refused: %v", d)
	}
}
