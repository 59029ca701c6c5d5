package account_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"almanac/auth"
	"almanac/server"
)

// from sends a request like call, from the client address addr.
func (e *env) from(addr, method, path, login, pass, body string, hdr ...string) resp {
	e.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = addr
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if login != "" {
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(login+":"+pass)))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	out := resp{code: rec.Code, body: rec.Body.String(), hdr: rec.Header()}
	json.Unmarshal(rec.Body.Bytes(), &out.json)
	return out
}

// session logs jane in from addr and returns the cookie and CSRF headers.
func (e *env) session(addr string) []string {
	e.t.Helper()
	r := e.from(addr, "POST", "/api/v1/session", "", "", `{"login":"jane@example.com","password":"`+password+`"}`)
	if r.code != 200 {
		e.t.Fatalf("session login: %d %s", r.code, r.body)
	}
	cookie := strings.SplitN(r.hdr.Get("Set-Cookie"), ";", 2)[0]
	return []string{"Cookie", cookie, auth.CSRFHeader, r.json["csrf_token"].(string)}
}

func wantThrottled(t *testing.T, r resp) {
	t.Helper()
	wantError(t, r, 429, "too_many_requests", "")
	if r.hdr.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

// Issue 12, defect 2: the current password in POST /api/v1/account/password
// could be guessed without limit by whoever held a session.
func TestCurrentPasswordGuessingIsThrottled(t *testing.T) {
	e := newEnv(t)
	const addr = "203.0.113.5:1000"
	cookie := e.session(addr)
	change := func(current string) resp {
		return e.from(addr, "POST", "/api/v1/account/password", "", "",
			`{"current_password":"`+current+`","new_password":"taken over 2026","new_password_confirm":"taken over 2026"}`, cookie...)
	}
	first429 := -1
	for i := range 60 {
		r := change(fmt.Sprint("guess ", i))
		if r.code == 429 {
			wantThrottled(t, r)
			first429 = i
			break
		}
		wantError(t, r, 403, "wrong_password", "current_password")
	}
	if first429 < 0 || first429 >= 59 {
		t.Fatalf("60 wrong current passwords, first 429 at %d", first429)
	}
	wantThrottled(t, change(password))
	acc, err := e.store.Account(context.Background(), e.jane.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := auth.VerifyPassword(acc.PasswordHash, password); !ok || !acc.PasswordChanged.IsZero() {
		t.Error("the password was changed during the lockout")
	}
	// The session itself still works: cookies are not passwords.
	if r := e.from(addr, "GET", "/api/v1/account", "", "", "", cookie...); r.code != 200 {
		t.Errorf("session after the lockout: %d", r.code)
	}
}

// Issue 12, defect 3, for session logins: a stranger's wrong passwords
// lock the stranger's address, not the owner.
func TestSessionLoginLockIsPerAddress(t *testing.T) {
	e := newEnv(t)
	const stranger, owner = "203.0.113.66:1", "198.51.100.7:1"
	app := e.jane_("POST", "/api/v1/account/app-passwords", `{"name":"Phone","scope":"dav"}`).json["password"].(string)
	login := func(addr, pw string) resp {
		return e.from(addr, "POST", "/api/v1/session", "", "", `{"login":"jane@example.com","password":"`+pw+`"}`)
	}
	for i := range 10 {
		wantError(t, login(stranger, fmt.Sprint("guess ", i)), 401, "wrong_credentials", "")
	}
	wantThrottled(t, login(stranger, password))
	if r := login(owner, password); r.code != 200 {
		t.Errorf("owner's session login from another address: %d %s", r.code, r.body)
	}
	if r := e.from(owner, "GET", "/api/v1/account", e.jane.Login, password, ""); r.code != 200 {
		t.Errorf("owner's Basic login from another address: %d", r.code)
	}
	if r := e.from(stranger, "PROPFIND", "/dav/", e.jane.Login, app, "", "Depth", "0"); r.code != 207 {
		t.Errorf("owner's app password from the locked address: %d", r.code)
	}
}

// Session cookies are not passwords: no password lockout touches them.
func TestSessionCookieSurvivesLockouts(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.Auth = auth.New(c.Store, auth.Options{Limits: auth.Limits{LoginFailures: 2, AddressFailures: 3, GlobalLoginFailures: 4}})
	})
	const home = "198.51.100.7:1"
	cookie := e.session(home)
	// Lock the login at home, home itself, and the login everywhere.
	for i, g := range []struct{ addr, login string }{
		{home, e.jane.Login}, {home, e.jane.Login}, {home, "taken@example.com"},
		{"192.0.2.1:1", e.jane.Login}, {"192.0.2.2:1", e.jane.Login},
	} {
		wantError(t, e.from(g.addr, "GET", "/api/v1/account", g.login, fmt.Sprint("guess ", i), ""), 401, "", "")
	}
	for _, addr := range []string{home, "192.0.2.3:1"} {
		if r := e.from(addr, "GET", "/api/v1/account", e.jane.Login, password, ""); r.code != 429 {
			t.Fatalf("the login is not locked at %s: %d", addr, r.code)
		}
	}
	if r := e.from(home, "GET", "/api/v1/account", "", "", "", cookie...); r.code != 200 {
		t.Errorf("GET with the cookie: %d %s", r.code, r.body)
	}
	if r := e.from(home, "PATCH", "/api/v1/account", "", "", `{"display_name":"Jane"}`, cookie...); r.code != 200 {
		t.Errorf("PATCH with the cookie: %d %s", r.code, r.body)
	}
}

// TOTP codes were checked without limit (the X-Almanac-OTP header, the
// session login, turning 2FA off); recovery codes have a budget of their
// own, so a thief of the password cannot lock the owner out with them.
func TestSecondFactorGuessingIsThrottled(t *testing.T) {
	e := newEnv(t)
	secret := e.jane_("POST", "/api/v1/account/2fa", `{"password":"`+password+`"}`).json["secret"].(string)
	now := time.Now()
	r := e.jane_("POST", "/api/v1/account/2fa/confirm", `{"code":"`+auth.TOTPCode(secret, now)+`"}`)
	if r.code != 200 {
		t.Fatalf("confirm: %d %s", r.code, r.body)
	}
	codes := r.json["recovery_codes"].([]any)
	valid := map[string]bool{}
	for _, d := range []time.Duration{-time.Minute, -30 * time.Second, 0, 30 * time.Second, time.Minute} {
		valid[auth.TOTPCode(secret, now.Add(d))] = true
	}
	first429 := -1
	for i, guesses := 0, 0; guesses < 60; i++ {
		code := fmt.Sprintf("%06d", i)
		if valid[code] {
			continue
		}
		guesses++
		r := e.jane_("GET", "/api/v1/account", "", auth.OTPHeader, code)
		if r.code == 429 {
			wantThrottled(t, r)
			first429 = guesses - 1
			break
		}
		wantError(t, r, 401, "otp_required", "")
	}
	if first429 < 0 || first429 > 10 {
		t.Fatalf("first 429 after %d wrong TOTP codes", first429)
	}
	wantThrottled(t, e.jane_("GET", "/api/v1/account", "", auth.OTPHeader, auth.TOTPCode(secret, now.Add(30*time.Second))))
	wantThrottled(t, e.call("POST", "/api/v1/session", "", "", `{"login":"jane@example.com","password":"`+password+`","otp":"`+auth.TOTPCode(secret, now.Add(30*time.Second))+`"}`))
	if r := e.jane_("GET", "/api/v1/account", "", auth.OTPHeader, codes[0].(string)); r.code != 200 {
		t.Errorf("recovery code during the TOTP lockout: %d %s", r.code, r.body)
	}
}

// Reset tokens and login-change codes are 256-bit and cannot be guessed,
// but checking one is checking a secret: wrong ones are counted too.
func TestTokenGuessingIsThrottled(t *testing.T) {
	e := newEnv(t)
	const addr = "203.0.113.9:1"
	reset := func(addr, token string) resp {
		return e.from(addr, "POST", "/api/v1/recovery/password/reset", "", "",
			`{"token":"`+token+`","new_password":"fresh start 2026","new_password_confirm":"fresh start 2026"}`)
	}
	for i := range 30 {
		wantError(t, reset(addr, fmt.Sprint("guess", i)), 400, "invalid_field", "token")
	}
	wantThrottled(t, reset(addr, "guess"))
	wantError(t, reset("203.0.113.10:1", "guess"), 400, "invalid_field", "token")

	for i := range 10 {
		wantError(t, e.jane_("POST", "/api/v1/account/login/confirm", fmt.Sprintf(`{"code":"guess%d"}`, i)), 400, "invalid_field", "code")
	}
	wantThrottled(t, e.jane_("POST", "/api/v1/account/login/confirm", `{"code":"guess"}`))
	// An empty code is a bad request, not a guess, and not counted.
	wantError(t, e.jane_("POST", "/api/v1/account/login/confirm", `{"code":" "}`), 400, "invalid_field", "code")
}
