package auth

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"almanac/storage"
)

// countingObserver counts what an Observer is told, by kind.
type countingObserver struct {
	mu                sync.Mutex
	failed, throttled map[Kind]int
}

func (o *countingObserver) Failed(k Kind) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failed == nil {
		o.failed = map[Kind]int{}
	}
	o.failed[k]++
}

func (o *countingObserver) Throttled(k Kind) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.throttled == nil {
		o.throttled = map[Kind]int{}
	}
	o.throttled[k]++
}

func (o *countingObserver) counts(k Kind) (failed, throttled int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.failed[k], o.throttled[k]
}

// TestObserverCountsOutcomes: every wrong password and every throttled
// attempt is reported once, over HTTP Basic and Guard.Check alike;
// successes, and requests without credentials, are not.
func TestObserverCountsOutcomes(t *testing.T) {
	const pw = "the right password"
	store := newFakeStore(storage.Account{ID: "u1", Login: "jane@example.com", PasswordHash: cheapHash(t, pw)})
	obs := &countingObserver{}
	a, _ := newTestAuth(t, store, Options{Now: newFakeClock().Now, Observer: obs,
		Limits: Limits{LoginFailures: 3, AddressFailures: 100, GlobalLoginFailures: 100}})

	if w := serve(a, req{login: "jane@example.com", pw: pw}); w.Code != http.StatusOK {
		t.Fatalf("right password: %d", w.Code)
	}
	if w := serve(a, req{noAuth: true}); w.Code != http.StatusUnauthorized {
		t.Fatalf("no credentials: %d", w.Code)
	}
	codes := map[int]int{}
	for range 5 {
		codes[serve(a, req{login: "jane@example.com", pw: "wrong"}).Code]++
	}
	codes[serve(a, req{login: "nobody@example.com", pw: "wrong"}).Code]++
	if codes[http.StatusUnauthorized] != 4 || codes[http.StatusTooManyRequests] != 2 {
		t.Fatalf("answers %v; want 3+1 401s (jane locked after 3, then an unknown login) and 2 429s", codes)
	}
	if f, th := obs.counts(kindPassword); f != 4 || th != 2 {
		t.Errorf("password: %d failed, %d throttled; want 4 and 2", f, th)
	}

	g := a.Guard()
	at := Attempt{Kind: KindTOTP, Subject: "u1"}
	right := func() (bool, error) { return true, nil }
	if ok, err := g.Check(context.Background(), at, right); !ok || err != nil {
		t.Fatalf("right code: %v %v", ok, err)
	}
	refused := attempts(t, g, at, 7)
	if refused != 5 {
		t.Fatalf("TOTP refused from attempt %d, want 5", refused)
	}
	if f, th := obs.counts(KindTOTP); f != 5 || th != 1 {
		t.Errorf("TOTP: %d failed, %d throttled; want 5 and 1", f, th)
	}
}
