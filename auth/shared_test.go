package auth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/storage"
)

var errDown = errors.New("database away")

// stubThrottle is a storage.Throttle that never refuses: it records what
// it is asked, and fails the methods named in down.
type stubThrottle struct {
	mu    sync.Mutex
	down  map[string]bool
	rules []string // "name limit window key" of each reservation
}

func (s *stubThrottle) fails(method string) error {
	if s.down[method] {
		return errDown
	}
	return nil
}

func (s *stubThrottle) ReserveAttempt(_ context.Context, r storage.ThrottleRule, key []byte, _ time.Time) (int64, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = append(s.rules, r.Name+" "+itoa(r.Limit)+" "+r.Window.String()+" "+strings.ReplaceAll(string(key), "\x00", "|"))
	return 1, 0, s.fails("reserve")
}

func (s *stubThrottle) ReleaseAttempt(context.Context, storage.ThrottleRule, []byte, int64, time.Time, bool) (bool, error) {
	return false, s.fails("release")
}

func (s *stubThrottle) RecordFailure(context.Context, storage.ThrottleRule, []byte, time.Time) (bool, error) {
	return false, s.fails("record")
}

func (s *stubThrottle) ThrottleWait(_ context.Context, _ time.Time, keys ...storage.ThrottleKey) ([]time.Duration, error) {
	return make([]time.Duration, len(keys)), s.fails("wait")
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// With a shared store the Guard asks it under each rule of the kind, by
// the kind's and the rule's names, with the limits doc.go lists.
func TestSharedThrottle_Rules(t *testing.T) {
	st := &stubThrottle{}
	store := newFakeStore(storage.Account{ID: "u1", Login: "jane@example.org", PasswordHash: cheapHash(t, "right")})
	a, _ := newTestAuth(t, store, Options{Throttle: st})
	if w := serve(a, req{login: "Jane@example.org", pw: "wrong"}); w.Code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", w.Code)
	}
	if _, err := a.Guard().Check(context.Background(), Attempt{Kind: KindTOTP, Subject: "u1"}, wrongAnswer); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"password/login from address 10 15m0s jane@example.org|192.0.2.1",
		"password/address 30 15m0s 192.0.2.1",
		"password/login from every address 100 15m0s jane@example.org",
		"TOTP code/account 5 15m0s u1",
		"TOTP code/account per day 20 24h0m0s u1",
	}
	if !slices.Equal(st.rules, want) {
		t.Errorf("reservations:\n%s\nwant:\n%s", strings.Join(st.rules, "\n"), strings.Join(want, "\n"))
	}
}

// A shared store that cannot be read or cannot hold an attempt stops
// the check: nothing is verified (a guesser must not get unthrottled
// guesses out of an outage), and the answer is a server error, not a
// wrong password nor a lockout.
func TestSharedThrottle_Down(t *testing.T) {
	for _, method := range []string{"wait", "reserve"} {
		t.Run(method, func(t *testing.T) {
			st := &stubThrottle{down: map[string]bool{method: true}}
			store := newFakeStore(storage.Account{ID: "u1", Login: "jane@example.org", PasswordHash: cheapHash(t, "right")})
			a, v := newTestAuth(t, store, Options{Throttle: st})
			if w := serve(a, req{login: "jane@example.org", pw: "right"}); w.Code != http.StatusInternalServerError {
				t.Errorf("Basic: %d, want 500", w.Code)
			}
			_, err := a.LoginPassword(context.Background(), "jane@example.org", "right", "192.0.2.1:1")
			var te *ThrottledError
			if err == nil || errors.Is(err, ErrBadCredentials) || errors.As(err, &te) {
				t.Errorf("LoginPassword: %v, want the store's error", err)
			}
			if v.count() != 0 {
				t.Errorf("%d passwords verified", v.count())
			}
			checked := false
			_, err = a.Guard().Check(context.Background(), Attempt{Kind: KindCode, Subject: "u1"}, func() (bool, error) { checked = true; return true, nil })
			if method == "reserve" && (err == nil || errors.As(err, &te) || checked) {
				t.Errorf("Check: %v, checked %v; want the store's error, nothing checked", err, checked)
			}
			l := a.Guard().Limiter("test", 3, time.Minute)
			if _, err := l.RetryAfter(context.Background(), "k", time.Now()); method == "wait" && !errors.Is(err, errDown) {
				t.Errorf("Limiter.RetryAfter: %v, want the store's error", err)
			}
		})
	}
}

// A failure that cannot be recorded after its check is logged; the
// answer stands.
func TestSharedThrottle_RecordFails(t *testing.T) {
	st := &stubThrottle{down: map[string]bool{"release": true, "record": true}}
	store := newFakeStore(storage.Account{ID: "u1", Login: "jane@example.org", PasswordHash: cheapHash(t, "right")})
	var logs syncBuffer
	a, _ := newTestAuth(t, store, Options{Throttle: st, Logger: debugLogger(&logs)})
	if w := serve(a, req{login: "jane@example.org", pw: "wrong"}); w.Code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", w.Code)
	}
	if w := serve(a, req{login: "jane@example.org", pw: "right"}); w.Code != http.StatusOK {
		t.Errorf("right password: %d, want 200", w.Code)
	}
	if !strings.Contains(logs.String(), "cannot record an attempt") || !strings.Contains(logs.String(), errDown.Error()) {
		t.Errorf("the lost failure is not logged:\n%s", logs.String())
	}
}
