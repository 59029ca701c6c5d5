package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/storage"
)

func newTestGuard(t *testing.T, clk *fakeClock) *Guard {
	t.Helper()
	a, _ := newTestAuth(t, newFakeStore(), Options{Now: clk.Now})
	return a.Guard()
}

func wrongAnswer() (bool, error) { return false, nil }

// attempts runs n failing checks of at and returns the index of the
// first one refused, or -1.
func attempts(t *testing.T, g *Guard, at Attempt, n int) int {
	t.Helper()
	for i := range n {
		_, err := g.Check(context.Background(), at, wrongAnswer)
		var te *ThrottledError
		switch {
		case errors.As(err, &te):
			return i
		case err != nil:
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	return -1
}

// The limits of each kind, as doc.go lists them: the attempt that is
// refused first, and which other attempts stay free.
func TestGuard_KindLimits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		at      Attempt
		refused int       // index of the first refused attempt
		free    []Attempt // still allowed afterwards
		locked  []Attempt // refused afterwards too
	}{
		{"mailbox per account", Attempt{Kind: KindMailboxPassword, Subject: "svc/info", Actor: "eve"}, 10,
			[]Attempt{{Kind: KindMailboxPassword, Subject: "svc/info", Actor: "bob"}, {Kind: KindMailboxPassword, Subject: "svc/sales", Actor: "eve"}},
			[]Attempt{{Kind: KindMailboxPassword, Subject: "svc/info", Actor: "eve", Addr: "192.0.2.9:1"}}},
		{"TOTP per account", Attempt{Kind: KindTOTP, Subject: "u1"}, 5,
			[]Attempt{{Kind: KindTOTP, Subject: "u2"}, {Kind: KindRecoveryCode, Subject: "u1"}},
			[]Attempt{{Kind: KindTOTP, Subject: "u1", Addr: "192.0.2.9:1"}}},
		{"recovery code per account", Attempt{Kind: KindRecoveryCode, Subject: "u1"}, 10,
			[]Attempt{{Kind: KindTOTP, Subject: "u1"}}, nil},
		{"code per account", Attempt{Kind: KindCode, Subject: "u1"}, 10,
			[]Attempt{{Kind: KindCode, Subject: "u2"}}, nil},
		{"reset token per address", Attempt{Kind: KindResetToken, Addr: "192.0.2.1:1"}, 30,
			[]Attempt{{Kind: KindResetToken, Addr: "192.0.2.2:1"}},
			[]Attempt{{Kind: KindResetToken, Addr: "192.0.2.1:2"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newTestGuard(t, newFakeClock())
			if got := attempts(t, g, tc.at, 100); got != tc.refused {
				t.Fatalf("first refusal at attempt %d, want %d", got, tc.refused)
			}
			for _, at := range tc.free {
				if got := attempts(t, g, at, 1); got != -1 {
					t.Errorf("%+v refused", at)
				}
			}
			for _, at := range tc.locked {
				if got := attempts(t, g, at, 1); got != 0 {
					t.Errorf("%+v allowed", at)
				}
			}
		})
	}
}

// Many accounts cannot each take ten guesses at one mailbox, and one
// account cannot spread its guesses over many mailboxes.
func TestGuard_MailboxSharedLimits(t *testing.T) {
	g := newTestGuard(t, newFakeClock())
	for i := range 3 {
		at := Attempt{Kind: KindMailboxPassword, Subject: "svc/info", Actor: fmt.Sprint("acct", i)}
		if got := attempts(t, g, at, 10); got != -1 {
			t.Fatalf("account %d refused at %d", i, got)
		}
	}
	if attempts(t, g, Attempt{Kind: KindMailboxPassword, Subject: "svc/info", Actor: "acct9"}, 1) != 0 {
		t.Error("a fourth account may still guess the mailbox")
	}
	for i := range 30 {
		if attempts(t, g, Attempt{Kind: KindMailboxPassword, Subject: fmt.Sprint("svc/box", i), Actor: "eve"}, 1) != -1 {
			t.Fatalf("mailbox %d refused", i)
		}
	}
	if attempts(t, g, Attempt{Kind: KindMailboxPassword, Subject: "svc/other", Actor: "eve"}, 1) != 0 {
		t.Error("one account may guess a 31st mailbox")
	}
}

func TestGuard_Check(t *testing.T) {
	clk := newFakeClock()
	g := newTestGuard(t, clk)
	ctx := context.Background()
	at := Attempt{Kind: KindCode, Subject: "u1"}

	// Errors are returned and not counted: an outage is not a guess.
	boom := errors.New("store down")
	for range 20 {
		if _, err := g.Check(ctx, at, func() (bool, error) { return false, boom }); !errors.Is(err, boom) {
			t.Fatalf("err %v", err)
		}
	}
	if n := g.len(KindCode); n != 0 {
		t.Errorf("errors left %d counters", n)
	}
	// A success is not a failure, and resets nothing.
	attempts(t, g, at, 9)
	if ok, err := g.Check(ctx, at, func() (bool, error) { return true, nil }); !ok || err != nil {
		t.Fatalf("right answer: %v %v", ok, err)
	}
	attempts(t, g, at, 1)
	clk.Advance(5 * time.Minute)
	called := false
	ok, err := g.Check(ctx, at, func() (bool, error) { called = true; return true, nil })
	var te *ThrottledError
	if ok || !errors.As(err, &te) || called {
		t.Fatalf("locked: ok %v err %v, verify called %v", ok, err, called)
	}
	if te.Kind != KindCode || te.RetryAfterSeconds() != 600 || !strings.Contains(te.Error(), "confirmation code") {
		t.Errorf("throttled error %+v: %v", te, te)
	}
	// A panicking check counts as a failure and frees its slot.
	at2 := Attempt{Kind: KindCode, Subject: "u2"}
	func() {
		defer func() { recover() }()
		g.Check(ctx, at2, func() (bool, error) { panic("boom") })
	}()
	if got := attempts(t, g, at2, 10); got != 9 {
		t.Errorf("after a panic the 10th failure is at %d, want 9", got)
	}
	// Account passwords are the Authenticator's.
	if _, err := g.Check(ctx, Attempt{Kind: kindPassword, Subject: "x"}, wrongAnswer); err == nil {
		t.Error("Check took an account password")
	}
}

// Parallel guesses cannot all pass before the first failure is recorded.
func TestGuard_ParallelGuessesCapped(t *testing.T) {
	g := newTestGuard(t, newFakeClock())
	at := Attempt{Kind: KindTOTP, Subject: "u1"}
	const n = 20
	gate := make(chan struct{})
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		verified  int
		throttled int
	)
	for range n {
		wg.Go(func() {
			_, err := g.Check(context.Background(), at, func() (bool, error) {
				mu.Lock()
				verified++
				mu.Unlock()
				<-gate
				return false, nil
			})
			if err != nil {
				mu.Lock()
				throttled++
				mu.Unlock()
			}
		})
	}
	for {
		mu.Lock()
		settled := verified+throttled == n
		mu.Unlock()
		if settled {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	if verified != 5 || throttled != n-5 {
		t.Errorf("%d verified, %d throttled; want 5, %d", verified, throttled, n-5)
	}
}

// The one argon2 limit covers every verification, whoever asks: HTTP
// Basic, VerifyPassword of the features, the dummy runs for unknown
// names. 64 concurrent verifications never run more than N at once.
func TestGuard_Argon2Bounded(t *testing.T) {
	const n, limit = 64, 3
	counter := &concurrency{gate: make(chan struct{})}
	st := newFakeStore(alice(t))
	a := New(st, Options{MaxConcurrentVerifications: limit, Verify: counter.verify, CacheTTL: -1,
		Limits: Limits{LoginFailures: -1, AddressFailures: -1, GlobalLoginFailures: -1}})
	a.guard.dummyHash = cheapHash(t, "dummy")
	g, mailboxHash := a.Guard(), cheapHash(t, "x")
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			switch i % 3 {
			case 0:
				serve(a, req{login: "alice@example.org", pw: fmt.Sprint("guess", i), remote: fmt.Sprintf("10.0.%d.1:1", i)})
			case 1:
				g.VerifyPassword(context.Background(), "", "guess")
			default:
				g.Check(context.Background(), Attempt{Kind: KindMailboxPassword, Subject: fmt.Sprint("svc/box", i), Actor: fmt.Sprint("u", i)},
					func() (bool, error) { return g.VerifyPassword(context.Background(), mailboxHash, "guess") })
			}
		})
	}
	counter.releaseAll(t, n, limit)
	wg.Wait()
	if counter.max > limit {
		t.Errorf("%d argon2 runs at once, limit %d", counter.max, limit)
	}
}

// concurrency is a Verify that counts runs in progress and holds each
// until released.
type concurrency struct {
	mu              sync.Mutex
	cur, max, calls int
	gate            chan struct{}
}

func (c *concurrency) verify(string, string) (bool, error) {
	c.mu.Lock()
	c.cur++
	c.calls++
	c.max = max(c.max, c.cur)
	c.mu.Unlock()
	<-c.gate
	c.mu.Lock()
	c.cur--
	c.mu.Unlock()
	return false, nil
}

// releaseAll lets n runs finish one at a time, each time once as many as
// may run at once (or all that are left) are running, so that a limit
// that does not hold shows in max.
func (c *concurrency) releaseAll(t *testing.T, n, limit int) {
	t.Helper()
	for done := 0; done < n; done++ {
		for {
			c.mu.Lock()
			ready := c.cur >= min(limit, n-done)
			c.mu.Unlock()
			if ready {
				break
			}
			time.Sleep(time.Millisecond)
		}
		c.gate <- struct{}{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls != n {
		t.Errorf("%d verifications, want %d", c.calls, n)
	}
}

// Hashing a new password takes an argon2 slot like verifying one: with
// every slot busy it waits, and gives up when the request ends.
func TestGuard_HashPasswordWaitsForSlot(t *testing.T) {
	a := New(newFakeStore(), Options{MaxConcurrentVerifications: 1})
	g := a.Guard()
	g.sem <- struct{}{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := g.HashPassword(ctx, "a long new password")
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	<-g.sem
	for _, pw := range []string{"", strings.Repeat("x", MaxPasswordLen+1)} {
		if _, err := g.HashPassword(context.Background(), pw); err == nil {
			t.Errorf("hashed a %d-byte password", len(pw))
		}
	}
	h, err := g.HashPassword(context.Background(), "a long new password")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := g.VerifyPassword(context.Background(), h, "a long new password"); !ok || err != nil {
		t.Errorf("round trip: %v %v", ok, err)
	}
	// No hash is the dummy run: never a match.
	if ok, err := g.VerifyPassword(context.Background(), "", "a long new password"); ok || err != nil {
		t.Errorf("empty hash matched: %v %v", ok, err)
	}
}

// A thief of the password can use up the TOTP budget, but not the
// owner's recovery codes.
func TestGuard_SecondFactorKinds(t *testing.T) {
	clk := newFakeClock()
	secret := NewTOTPSecret()
	codes, hashes := NewRecoveryCodes(2)
	acc := storage.Account{ID: "u1", Login: "alice@example.org", TOTPEnabled: true, TOTPSecret: secret, RecoveryCodes: hashes}
	st := newAppStore(acc)
	a, _ := newTestAuth(t, st, Options{Now: clk.Now})
	g, ctx := a.Guard(), context.Background()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		valid[TOTPCode(secret, clk.Now().Add(d))] = true
	}
	for i, guesses := 0, 0; guesses < 5; i++ {
		guess := fmt.Sprintf("%06d", i)
		if valid[guess] {
			continue
		}
		guesses++
		if ok, err := g.SecondFactor(ctx, st, &acc, guess, attackerAddr); ok || err != nil {
			t.Fatalf("guess %s: %v %v", guess, ok, err)
		}
	}
	var te *ThrottledError
	if _, err := g.SecondFactor(ctx, st, &acc, TOTPCode(secret, clk.Now()), ownerAddr); !errors.As(err, &te) || te.Kind != KindTOTP {
		t.Fatalf("the right TOTP code after 5 wrong ones: %v", err)
	}
	if ok, err := g.SecondFactor(ctx, st, &acc, strings.ToUpper(codes[0]), ownerAddr); !ok || err != nil {
		t.Errorf("recovery code: %v %v", ok, err)
	}
	if ok, _ := g.SecondFactor(ctx, st, &acc, codes[0], ownerAddr); ok {
		t.Error("a recovery code worked twice")
	}
	clk.Advance(15 * time.Minute)
	if ok, err := g.SecondFactor(ctx, st, &acc, TOTPCode(secret, clk.Now()), ownerAddr); !ok || err != nil {
		t.Errorf("TOTP after the window: %v %v", ok, err)
	}
}

func TestKindString(t *testing.T) {
	for k := range numKinds {
		if s := k.String(); s == "" || strings.HasPrefix(s, "kind(") {
			t.Errorf("kind %d has no name", k)
		}
	}
	if s := numKinds.String(); s != fmt.Sprintf("kind(%d)", numKinds) {
		t.Errorf("unknown kind: %q", s)
	}
}
