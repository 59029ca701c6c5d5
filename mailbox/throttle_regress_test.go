package mailbox_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"almanac/auth"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"

	"golang.org/x/crypto/argon2"
)

// Issue 12, defect 2: POST /api/v1/mailboxes/link verified mailbox
// passwords without any throttling, and a right guess linked the mailbox
// with every right.
func TestLinkGuessingIsThrottled(t *testing.T) {
	e := newEnv(t)
	_, svc := e.setup("standard")
	e.cheapMailboxPassword(svc, "bob", "mailbox pass 2026")
	eve := e.account("eve@example.com")
	first429 := -1
	var last resp
	for i := range 60 {
		last = e.call(eve, "POST", "/api/v1/mailboxes/link", fmt.Sprintf(`{"address":"bob@domain.xyz","password":"guess %d"}`, i))
		if last.code == http.StatusTooManyRequests {
			first429 = i
			break
		}
		wantError(t, last, 403, "wrong_mailbox_password", "password")
	}
	if first429 < 0 || first429 >= 59 {
		t.Fatalf("60 wrong mailbox passwords, first 429 at %d", first429)
	}
	wantError(t, last, 429, "too_many_requests", "")
	// The right password now is refused too, and links nothing.
	r := e.call(eve, "POST", "/api/v1/mailboxes/link", `{"address":"bob@domain.xyz","password":"mailbox pass 2026"}`)
	wantError(t, r, 429, "too_many_requests", "")
	if _, err := e.store.MailboxLink(context.Background(), svc, "bob", eve.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("link after lockout: %v", err)
	}
	// Through an alias domain it is the same mailbox, and the same count.
	wantError(t, e.call(eve, "POST", "/api/v1/mailboxes/link", `{"address":"BOB@alias.tld","password":"mailbox pass 2026"}`), 429, "too_many_requests", "")
	// Eve's guesses lock only Eve out of bob's mailbox.
	e.must(e.call(e.manager, "POST", "/api/v1/mailboxes/link", `{"address":"bob@domain.xyz","password":"mailbox pass 2026"}`), 201)
}

// Many accounts cannot each take ten guesses: the mailbox has a budget of
// its own.
func TestLinkGuessingManyAccounts(t *testing.T) {
	e := newEnv(t)
	_, svc := e.setup("standard")
	e.cheapMailboxPassword(svc, "bob", "mailbox pass 2026")
	for i := range 3 {
		acc := e.account(fmt.Sprintf("sybil%d@example.com", i))
		for j := range 10 {
			wantError(t, e.call(acc, "POST", "/api/v1/mailboxes/link", fmt.Sprintf(`{"address":"bob@domain.xyz","password":"guess %d %d"}`, i, j)), 403, "wrong_mailbox_password", "password")
		}
	}
	late := e.account("late@example.com")
	wantError(t, e.call(late, "POST", "/api/v1/mailboxes/link", `{"address":"bob@domain.xyz","password":"mailbox pass 2026"}`), 429, "too_many_requests", "")
}

// An empty address or password is a bad request, not a guess.
func TestLinkRefusesEmptyFields(t *testing.T) {
	e := newEnv(t)
	e.setup("standard")
	eve := e.account("eve@example.com")
	for range 20 {
		wantError(t, e.call(eve, "POST", "/api/v1/mailboxes/link", `{"address":"bob@domain.xyz","password":""}`), 400, "invalid_field", "password")
		wantError(t, e.call(eve, "POST", "/api/v1/mailboxes/link", `{"address":" ","password":"x"}`), 400, "invalid_field", "address")
	}
	e.must(e.call(eve, "POST", "/api/v1/mailboxes/link", `{"address":"bob@domain.xyz","password":"mailbox pass 2026"}`), 201)
}

// 64 concurrent wrong mailbox passwords (from 8 accounts at 8 addresses,
// so that no throttle refuses them) took the server to 2.2 GB: each ran
// argon2 at 19 MiB outside the server's limit. Now they queue for the
// Authenticator's slots like logins do.
func TestLinkArgon2UnderServerLimit(t *testing.T) {
	const accounts, boxes, limit = 8, 8, 2
	v := &heldVerify{}
	e := newEnv(t, func(c *server.Config) {
		c.Auth = auth.New(c.Store, auth.Options{MaxConcurrentVerifications: limit, Verify: v.verify})
	})
	accs := make([]*storage.Account, accounts)
	for i := range accs {
		accs[i] = e.account(fmt.Sprintf("user%d@example.com", i))
		e.must(e.call(accs[i], "GET", "/api/v1/mailboxes", ""), 200) // Basic verified and cached
	}
	v.hold()
	var wg sync.WaitGroup
	codes := make(chan int, accounts*boxes)
	for i, acc := range accs {
		for j := range boxes {
			wg.Go(func() {
				codes <- e.call(acc, "POST", "/api/v1/mailboxes/link", fmt.Sprintf(`{"address":"box%d@nowhere.example","password":"guess %d"}`, j, i)).code
			})
		}
	}
	v.releaseAll(t, accounts*boxes, limit, func() bool { return len(codes) == accounts*boxes })
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusForbidden {
			t.Errorf("status %d, want 403", c)
		}
	}
	if v.max > limit {
		t.Errorf("%d argon2 runs at once, the server's limit is %d", v.max, limit)
	}
}

// cheapMailboxPassword sets the mailbox's password under argon2id
// parameters far below the defaults, so that tests making dozens of
// guesses stay fast; VerifyPassword reads the parameters from the hash,
// so the code path is the one real hashes take.
func (e *env) cheapMailboxPassword(svc, local, pw string) {
	e.t.Helper()
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, 1, 64, 1, 32)
	enc := base64.RawStdEncoding
	hash := fmt.Sprintf("$argon2id$v=19$m=64,t=1,p=1$%s$%s", enc.EncodeToString(salt), enc.EncodeToString(key))
	if ok, err := auth.VerifyPassword(hash, pw); !ok || err != nil {
		e.t.Fatalf("cheap hash does not verify: %v", err)
	}
	if err := e.store.SetMailboxPassword(context.Background(), svc, local, hash, time.Now()); err != nil {
		e.t.Fatal(err)
	}
}

// account creates an account with the test password.
func (e *env) account(login string) *storage.Account {
	e.t.Helper()
	return servertest.Account(e.t, e.store, login)
}

// heldVerify is an auth.Options.Verify that, once held, counts the runs
// in progress and keeps each until released.
type heldVerify struct {
	mu              sync.Mutex
	held            bool
	cur, max, calls int
	gate            chan struct{}
}

func (v *heldVerify) hold() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.held, v.gate = true, make(chan struct{})
}

func (v *heldVerify) verify(encoded, pw string) (bool, error) {
	v.mu.Lock()
	if !v.held {
		v.mu.Unlock()
		return auth.VerifyPassword(encoded, pw)
	}
	v.cur++
	v.calls++
	v.max = max(v.max, v.cur)
	gate := v.gate
	v.mu.Unlock()
	<-gate
	v.mu.Lock()
	v.cur--
	v.mu.Unlock()
	return false, nil
}

// releaseAll lets n held runs finish one at a time, each time once as
// many as the limit allows (or all that are left) are running, so that a
// run outside the limit shows in max. It stops early when finished
// reports that every request has answered: their argon2 ran elsewhere.
func (v *heldVerify) releaseAll(t *testing.T, n, limit int, finished func() bool) {
	t.Helper()
release:
	for done := 0; done < n; done++ {
		for {
			v.mu.Lock()
			ready := v.cur >= min(limit, n-done)
			v.mu.Unlock()
			if ready {
				break
			}
			if finished() {
				break release
			}
			time.Sleep(time.Millisecond)
		}
		v.gate <- struct{}{}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.calls != n {
		t.Errorf("%d verifications through the server's verifier, want %d", v.calls, n)
	}
}
