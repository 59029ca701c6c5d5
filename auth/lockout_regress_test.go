package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/storage"
)

// appStore adds to fakeStore what app passwords and second factors need
// (auth.Store).
type appStore struct {
	*fakeStore
	mu   sync.Mutex
	apps map[string]storage.AppPassword
}

func newAppStore(accs ...storage.Account) *appStore {
	return &appStore{fakeStore: newFakeStore(accs...), apps: map[string]storage.AppPassword{}}
}

// addAppPassword gives the account id an app password and returns it.
func (s *appStore) addAppPassword(owner string) string {
	pw, id, hash := NewAppPassword()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[id] = storage.AppPassword{ID: id, Owner: owner, Hash: hash, Scope: ScopeDAV}
	return pw
}

func (s *appStore) Account(_ context.Context, id string) (*storage.Account, error) {
	s.fakeStore.mu.Lock()
	defer s.fakeStore.mu.Unlock()
	for _, a := range s.accounts {
		if a.ID == id {
			return &a, nil
		}
	}
	return nil, fmt.Errorf("fake: account %q: %w", id, storage.ErrNotFound)
}

func (s *appStore) UpdateAccount(_ context.Context, a *storage.Account) error {
	s.put(*a)
	return nil
}

func (s *appStore) AppPassword(_ context.Context, id string) (*storage.AppPassword, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.apps[id]
	if !ok {
		return nil, fmt.Errorf("fake: app password: %w", storage.ErrNotFound)
	}
	return &p, nil
}

func (s *appStore) TouchAppPassword(context.Context, string, time.Time, string) error { return nil }

func (s *appStore) Session(context.Context, string) (*storage.Session, error) {
	return nil, storage.ErrNotFound
}

func (s *appStore) modify(id string, f func(*storage.Account) error) error {
	acc, err := s.Account(context.Background(), id)
	if err != nil {
		return err
	}
	if err := f(acc); err != nil {
		return err
	}
	s.put(*acc)
	return nil
}

func (s *appStore) AcceptTOTPStep(_ context.Context, id string, step int64) error {
	return s.modify(id, func(a *storage.Account) error {
		if step <= a.TOTPLastStep {
			return storage.ErrPreconditionFailed
		}
		a.TOTPLastStep = step
		return nil
	})
}

func (s *appStore) UseRecoveryCode(_ context.Context, id, hash string) error {
	return s.modify(id, func(a *storage.Account) error {
		i := slices.Index(a.RecoveryCodes, hash)
		if i < 0 {
			return storage.ErrNotFound
		}
		a.RecoveryCodes = slices.Delete(a.RecoveryCodes, i, i+1)
		return nil
	})
}

const (
	ownerAddr    = "198.51.100.10:5000" // where alice's phone has logged in
	attackerAddr = "203.0.113.66:4000"
)

// Issue 12, defect 3: ten wrong passwords for a login from one address
// locked the login everywhere, the owner's password and app passwords
// included. The lock is now on the login at that address.
func TestLockout_StrangerDoesNotLockOwner(t *testing.T) {
	clk := newFakeClock()
	st := newAppStore(alice(t))
	app := st.addAppPassword("u1")
	a, v := newTestAuth(t, st, Options{Now: clk.Now})
	for i := range 15 {
		w := serve(a, req{login: "alice@example.org", pw: fmt.Sprint("guess", i), remote: attackerAddr})
		want := http.StatusUnauthorized
		if i >= defaultLoginFailures {
			want = http.StatusTooManyRequests
		}
		if w.Code != want {
			t.Fatalf("guess %d: status %d, want %d", i, w.Code, want)
		}
	}
	if v.count() != defaultLoginFailures {
		t.Errorf("argon2 runs = %d, want %d: refused guesses must not be verified", v.count(), defaultLoginFailures)
	}
	// The stranger's address is locked for this login, even with the
	// right password: answering it would confirm a guess.
	assertThrottled(t, serve(a, req{login: "alice@example.org", pw: "right", remote: attackerAddr}), "900")
	// The owner, elsewhere, is not.
	if w := serve(a, req{login: "alice@example.org", pw: "right", remote: ownerAddr}); w.Code != http.StatusOK {
		t.Errorf("owner's password from another address: status %d, want 200", w.Code)
	}
	// App passwords cannot be guessed, so no lock applies to them, not
	// even at the locked address.
	if w := serve(a, req{login: "alice@example.org", pw: app, remote: attackerAddr}); w.Code != http.StatusOK {
		t.Errorf("owner's app password from the locked address: status %d, want 200", w.Code)
	}
	// A wrong app-password-shaped guess there is still refused.
	fake, _, _ := NewAppPassword()
	assertThrottled(t, serve(a, req{login: "alice@example.org", pw: fake, remote: attackerAddr}), "900")
}

// Guessing spread over many addresses reaches the global per-login limit.
// Then only app passwords and the password from an address where it has
// worked before get in; nothing answers a guess from anywhere else.
func TestLockout_DistributedAttack(t *testing.T) {
	clk := newFakeClock()
	st := newAppStore(alice(t))
	app := st.addAppPassword("u1")
	a, v := newTestAuth(t, st, Options{Now: clk.Now})
	// Alice's phone logs in from home; the credential is also cached.
	if w := serve(a, req{login: "alice@example.org", pw: "right", remote: ownerAddr}); w.Code != http.StatusOK {
		t.Fatalf("owner: status %d", w.Code)
	}
	clk.Advance(time.Minute)
	// A botnet: one guess from each of 100 addresses.
	for i := range defaultGlobalLoginFailures {
		w := serve(a, req{login: "alice@example.org", pw: fmt.Sprint("guess", i), remote: fmt.Sprintf("10.%d.%d.1:1", i/250, i%250)})
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d: status %d", i, w.Code)
		}
	}
	v.reset()
	fresh := "192.0.2.200:1"
	// The next guess, from a fresh address, is refused unverified.
	assertThrottled(t, serve(a, req{login: "alice@example.org", pw: "guess-more", remote: fresh}), "900")
	// So is the right password there, although it sits in the credential
	// cache: answering it would make every address an oracle.
	assertThrottled(t, serve(a, req{login: "alice@example.org", pw: "right", remote: fresh}), "900")
	if v.count() != 0 {
		t.Errorf("%d argon2 runs during the global lock", v.count())
	}
	// The owner's phone, from the host where the password worked (on
	// another connection): still in.
	if w := serve(a, req{login: "alice@example.org", pw: "right", remote: "198.51.100.10:6001"}); w.Code != http.StatusOK {
		t.Errorf("known device: status %d, want 200", w.Code)
	}
	// App passwords from anywhere.
	if w := serve(a, req{login: "alice@example.org", pw: app, remote: fresh}); w.Code != http.StatusOK {
		t.Errorf("app password: status %d, want 200", w.Code)
	}
	// Guessing from the known device's address gains nothing: each miss
	// is refused and counted, and once the login is locked there, the
	// right password is refused there too.
	for i := range defaultLoginFailures {
		assertThrottled(t, serve(a, req{login: "alice@example.org", pw: fmt.Sprint("home-guess", i), remote: ownerAddr}), "900")
	}
	assertThrottled(t, serve(a, req{login: "alice@example.org", pw: "right", remote: ownerAddr}), "900")
	if v.count() != 0 {
		t.Errorf("%d argon2 runs during the global lock", v.count())
	}
	// Once the attack has aged out of the window, everyone is back.
	clk.Advance(15 * time.Minute)
	if w := serve(a, req{login: "alice@example.org", pw: "right", remote: fresh}); w.Code != http.StatusOK {
		t.Errorf("after the window: status %d, want 200", w.Code)
	}
}

// A known device is the password that worked from an address within 30
// days; a password change or 30 quiet days end it.
func TestLockout_KnownDeviceEnds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*testing.T, *appStore, *fakeClock)
	}{
		{"after 30 days", func(_ *testing.T, _ *appStore, clk *fakeClock) { clk.Advance(knownDeviceTTL) }},
		{"password changed", func(t *testing.T, st *appStore, _ *fakeClock) {
			acc := alice(t) // the same password under a new hash
			st.put(acc)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			st := newAppStore(alice(t))
			a, _ := newTestAuth(t, st, Options{Now: clk.Now, Limits: Limits{GlobalLoginFailures: 3}})
			if w := serve(a, req{login: "alice@example.org", pw: "right", remote: ownerAddr}); w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			tc.change(t, st, clk)
			for i := range 3 {
				serve(a, req{login: "alice@example.org", pw: fmt.Sprint("guess", i), remote: fmt.Sprintf("10.0.0.%d:1", i)})
			}
			assertThrottled(t, serve(a, req{login: "alice@example.org", pw: "right", remote: ownerAddr}), "900")
		})
	}
}

// The session login and current-password confirmations are the same
// secret as HTTP Basic and share its counters and rules.
func TestLockout_LoginAndConfirmShareCounters(t *testing.T) {
	clk := newFakeClock()
	st := newAppStore(alice(t))
	a, _ := newTestAuth(t, st, Options{Now: clk.Now, Limits: Limits{LoginFailures: 4}})
	ctx := context.Background()
	acc, _ := st.AccountByLogin(ctx, "alice@example.org")
	for i := range 2 {
		if _, err := a.LoginPassword(ctx, "ALICE@example.org", fmt.Sprint("guess", i), attackerAddr); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("login %d: %v", i, err)
		}
		if err := a.ConfirmPassword(ctx, acc, fmt.Sprint("confirm", i), attackerAddr); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("confirm %d: %v", i, err)
		}
	}
	var te *ThrottledError
	if _, err := a.LoginPassword(ctx, "alice@example.org", "right", attackerAddr); !errors.As(err, &te) || te.RetryAfterSeconds() != 900 {
		t.Errorf("login after 4 failures: %v", err)
	}
	assertThrottled(t, serve(a, req{login: "alice@example.org", pw: "right", remote: attackerAddr}), "900")
	if got, err := a.LoginPassword(ctx, "alice@example.org", "right", ownerAddr); err != nil || got.ID != "u1" {
		t.Errorf("login from elsewhere: %v, %v", got, err)
	}
	if err := a.ConfirmPassword(ctx, acc, "right", ownerAddr); err != nil {
		t.Errorf("confirmation from elsewhere: %v", err)
	}
	// Input no login can have is refused without counting.
	for _, login := range []string{"", "a\x00b@example.org", "a\nb@example.org", strings.Repeat("a", maxLoginLen+1)} {
		if _, err := a.LoginPassword(ctx, login, "x", ownerAddr); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("login %q: %v", login, err)
		}
	}
	if n := a.guard.len(kindPassword); n != 3 {
		t.Errorf("%d counters, want 3 (login at address, address, login)", n)
	}
}
