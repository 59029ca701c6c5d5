package auth

import (
	"errors"
	"net/http"
	"testing"

	"almanac/storage"
)

// TestDisabledAccountRefused: a disabled account is refused by HTTP
// Basic and by LoginPassword and ConfirmPassword, even with a
// credential the cache remembers from before it was disabled; a wrong
// password gets the answer any wrong password gets, so only whoever
// holds the password learns that the account is disabled; re-enabling
// lets the same password in again.
func TestDisabledAccountRefused(t *testing.T) {
	const pw = "the right password"
	acc := storage.Account{ID: "u1", Login: "jane@example.org", PasswordHash: cheapHash(t, pw)}
	st := newFakeStore(acc)
	a, _ := newTestAuth(t, st, Options{})
	ctx := t.Context()

	if w := serve(a, req{login: acc.Login, pw: pw}); w.Code != http.StatusOK {
		t.Fatalf("enabled: %d %s", w.Code, w.Body)
	}
	disabled := acc
	disabled.Disabled = true
	st.put(disabled)

	w := serve(a, req{login: acc.Login, pw: pw})
	if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("Basic, cached password of a disabled account: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if _, err := a.LoginPassword(ctx, acc.Login, pw, "192.0.2.1"); !errors.Is(err, ErrAccountDisabled) {
		t.Errorf("LoginPassword, right password: %v, want ErrAccountDisabled", err)
	}
	if _, err := a.LoginPassword(ctx, acc.Login, "a wrong password", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("LoginPassword, wrong password: %v, want ErrBadCredentials", err)
	}
	if err := a.ConfirmPassword(ctx, &disabled, pw, "192.0.2.1"); !errors.Is(err, ErrAccountDisabled) {
		t.Errorf("ConfirmPassword: %v, want ErrAccountDisabled", err)
	}

	st.put(acc)
	if w := serve(a, req{login: acc.Login, pw: pw}); w.Code != http.StatusOK {
		t.Errorf("re-enabled: %d %s", w.Code, w.Body)
	}
}
