package account_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"almanac/auth"
	"almanac/notify"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"
	"almanac/storage/bolt"
)

const password = servertest.Password

type env struct {
	t     *testing.T
	h     http.Handler
	store *bolt.DB
	jane  *storage.Account
	box   *servertest.Postbox
}

func newEnv(t *testing.T, configure ...func(*server.Config)) *env {
	t.Helper()
	srv := servertest.New(t, configure...)
	e := &env{t: t, h: srv.Server, store: srv.Store, box: srv.Post}
	e.jane = srv.Account("jane@example.com")
	srv.Account("taken@example.com")
	return e
}

type resp struct {
	code int
	body string
	hdr  http.Header
	json map[string]any
}

// call sends a request with Basic credentials (login, pass) unless
// login is "", and extra headers.
func (e *env) call(method, path, login, pass, body string, hdr ...string) resp {
	e.t.Helper()
	return e.from("192.0.2.1:1234", method, path, login, pass, body, hdr...)
}

func (e *env) jane_(method, path, body string, hdr ...string) resp {
	e.t.Helper()
	return e.call(method, path, e.jane.Login, password, body, hdr...)
}

// wantError checks status, error code and field.
func wantError(t *testing.T, r resp, status int, code, field string) {
	t.Helper()
	if r.code != status {
		t.Fatalf("status %d, want %d: %s", r.code, status, r.body)
	}
	if code == "" {
		return
	}
	e, _ := r.json["error"].(map[string]any)
	if e == nil || e["code"] != code || (field != "" && e["field"] != field) || e["message"] == "" {
		t.Fatalf("error %s, want code %s field %q", r.body, code, field)
	}
}

func TestProfile(t *testing.T) {
	e := newEnv(t)
	r := e.jane_("PATCH", "/api/v1/account", `{"display_name":"Jane Doe","recovery_email":"jane@backup.example.org","mobile":"+41 79 123 45 67"}`)
	if r.code != 200 || r.json["display_name"] != "Jane Doe" || r.json["recovery_email"] != "jane@backup.example.org" {
		t.Fatalf("PATCH: %d %s", r.code, r.body)
	}
	if m := r.json["mobile"].(string); !strings.HasSuffix(m, "67") || strings.Contains(m, "123") {
		t.Errorf("mobile not masked: %q", m)
	}
	got := e.jane_("GET", "/api/v1/account", "")
	tf := got.json["two_factor"].(map[string]any)
	if got.code != 200 || got.json["login"] != "jane@example.com" || tf["enabled"] != false || got.json["principal_url"] != "/dav/principals/"+e.jane.ID+"/" {
		t.Errorf("GET: %s", got.body)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"recovery_email":"jane@example.com"}`, "recovery_email"},
		{`{"recovery_email":"not an address"}`, "recovery_email"},
		{`{"mobile":"079 123 45 67"}`, "mobile"},
		{`{"display_name":"` + strings.Repeat("x", 101) + `"}`, "display_name"},
		{`{"login":"x@example.com"}`, "login"},
	} {
		wantError(t, e.jane_("PATCH", "/api/v1/account", tc.body), 400, "invalid_field", tc.field)
	}
	wantError(t, e.call("GET", "/api/v1/account", "", "", ""), 401, "", "")
	wantError(t, e.jane_("PUT", "/api/v1/account", "{}"), 405, "method_not_allowed", "")
}

var codeRE = regexp.MustCompile(`\n    ([A-Za-z0-9_-]{43})\n`)

func tokenIn(t *testing.T, m notify.Message) string {
	t.Helper()
	match := codeRE.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("no token in mail:\n%s", m.Text)
	}
	return match[1]
}

func TestLoginChange(t *testing.T) {
	e := newEnv(t)
	e.jane_("PATCH", "/api/v1/account", `{"recovery_email":"jane@backup.example.org"}`)
	for _, tc := range []struct {
		name, body  string
		status      int
		code, field string
	}{
		{"not an email", `{"new_login":"jane","password":"` + password + `"}`, 400, "invalid_field", "new_login"},
		{"equals recovery email", `{"new_login":"JANE@backup.example.org","password":"` + password + `"}`, 400, "invalid_field", "new_login"},
		{"taken", `{"new_login":"taken@example.com","password":"` + password + `"}`, 409, "login_taken", "new_login"},
		{"wrong password", `{"new_login":"jane.doe@example.com","password":"nope"}`, 403, "wrong_password", "password"},
		{"no password", `{"new_login":"jane.doe@example.com"}`, 400, "invalid_field", "password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.jane_("POST", "/api/v1/account/login", tc.body), tc.status, tc.code, tc.field)
		})
	}
	if len(e.box.Mail()) != 0 {
		t.Fatalf("refused requests sent mail: %v", e.box.Mail())
	}
	r := e.jane_("POST", "/api/v1/account/login", `{"new_login":"jane.doe@example.com","password":"`+password+`"}`)
	if r.code != 202 {
		t.Fatalf("change: %d %s", r.code, r.body)
	}
	m := e.box.LastMail(t)
	if m.To != "jane.doe@example.com" {
		t.Fatalf("confirmation went to %s", m.To)
	}
	token := tokenIn(t, m)
	// Until confirmed the old login works and the new one does not.
	if r := e.jane_("GET", "/api/v1/account", ""); r.code != 200 {
		t.Errorf("old login before confirming: %d", r.code)
	}
	wantError(t, e.call("GET", "/api/v1/account", "jane.doe@example.com", password, ""), 401, "", "")
	wantError(t, e.jane_("POST", "/api/v1/account/login/confirm", `{"code":"wrong"}`), 400, "invalid_field", "code")
	if r := e.jane_("POST", "/api/v1/account/login/confirm", `{"code":"`+token+`"}`); r.code != 200 || r.json["login"] != "jane.doe@example.com" {
		t.Fatalf("confirm: %d %s", r.code, r.body)
	}
	wantError(t, e.jane_("GET", "/api/v1/account", ""), 401, "", "")
	r = e.call("PROPFIND", "/dav/calendars/"+e.jane.ID+"/", "jane.doe@example.com", password, "", "Depth", "0")
	if r.code != 207 {
		t.Errorf("DAV URL after the login change: %d", r.code)
	}
	// The code works once.
	wantError(t, e.call("POST", "/api/v1/account/login/confirm", "jane.doe@example.com", password, `{"code":"`+token+`"}`), 400, "invalid_field", "code")
}

func TestPasswordChange(t *testing.T) {
	e := newEnv(t)
	app := e.jane_("POST", "/api/v1/account/app-passwords", `{"name":"Phone","scope":"dav"}`)
	appPW := app.json["password"].(string)
	for _, tc := range []struct {
		name, body  string
		status      int
		code, field string
	}{
		{"wrong current", `{"current_password":"nope","new_password":"a much better one","new_password_confirm":"a much better one"}`, 403, "wrong_password", "current_password"},
		{"mismatch", `{"current_password":"` + password + `","new_password":"a much better one","new_password_confirm":"a much better 1"}`, 400, "invalid_field", "new_password_confirm"},
		{"too short", `{"current_password":"` + password + `","new_password":"short","new_password_confirm":"short"}`, 400, "invalid_field", "new_password"},
		{"the login", `{"current_password":"` + password + `","new_password":"jane@example.com","new_password_confirm":"jane@example.com"}`, 400, "invalid_field", "new_password"},
		{"common", `{"current_password":"` + password + `","new_password":"password123","new_password_confirm":"password123"}`, 400, "invalid_field", "new_password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.jane_("POST", "/api/v1/account/password", tc.body), tc.status, tc.code, tc.field)
		})
	}
	r := e.jane_("POST", "/api/v1/account/password", `{"current_password":"`+password+`","new_password":"a much better one","new_password_confirm":"a much better one"}`)
	if r.code != 200 {
		t.Fatalf("change: %d %s", r.code, r.body)
	}
	wantError(t, e.jane_("GET", "/api/v1/account", ""), 401, "", "")
	if r := e.call("GET", "/api/v1/account", e.jane.Login, "a much better one", ""); r.code != 200 {
		t.Errorf("new password: %d", r.code)
	}
	// App passwords survive unless asked otherwise.
	if r := e.call("PROPFIND", "/dav/", e.jane.Login, appPW, "", "Depth", "0"); r.code != 207 {
		t.Errorf("app password after the change: %d", r.code)
	}
	r = e.call("POST", "/api/v1/account/password", e.jane.Login, "a much better one",
		`{"current_password":"a much better one","new_password":"another good one","new_password_confirm":"another good one","end_sessions":true}`)
	if r.code != 200 {
		t.Fatalf("change with end_sessions: %d %s", r.code, r.body)
	}
	if r := e.call("PROPFIND", "/dav/", e.jane.Login, appPW, "", "Depth", "0"); r.code != 401 {
		t.Errorf("app password after end_sessions: %d", r.code)
	}
}

func TestPasswordRecovery(t *testing.T) {
	e := newEnv(t)
	e.jane_("PATCH", "/api/v1/account", `{"recovery_email":"jane@backup.example.org"}`)
	unknown := e.call("POST", "/api/v1/recovery/password", "", "", `{"login":"nobody@example.com"}`)
	known := e.call("POST", "/api/v1/recovery/password", "", "", `{"login":"JANE@example.com"}`)
	if unknown.code != 202 || known.code != 202 || unknown.body != known.body {
		t.Fatalf("answers differ: %d %q / %d %q", unknown.code, unknown.body, known.code, known.body)
	}
	m := e.box.LastMail(t)
	if m.To != "jane@backup.example.org" || len(e.box.Mail()) != 1 {
		t.Fatalf("reset mail to %s (%d mails)", m.To, len(e.box.Mail()))
	}
	token := tokenIn(t, m)
	// A second request voids the first link.
	e.call("POST", "/api/v1/recovery/password", "", "", `{"login":"jane@example.com"}`)
	wantError(t, e.call("POST", "/api/v1/recovery/password/reset", "", "", `{"token":"`+token+`","new_password":"fresh start 2026","new_password_confirm":"fresh start 2026"}`), 400, "invalid_field", "token")
	token = tokenIn(t, e.box.LastMail(t))
	// A weak password does not use the link up.
	wantError(t, e.call("POST", "/api/v1/recovery/password/reset", "", "", `{"token":"`+token+`","new_password":"short","new_password_confirm":"short"}`), 400, "invalid_field", "new_password")
	wantError(t, e.call("POST", "/api/v1/recovery/password/reset", "", "", `{"token":"`+token+`","new_password":"fresh start 2026","new_password_confirm":"fresh start 2027"}`), 400, "invalid_field", "new_password_confirm")
	if r := e.call("POST", "/api/v1/recovery/password/reset", "", "", `{"token":"`+token+`","new_password":"fresh start 2026","new_password_confirm":"fresh start 2026"}`); r.code != 200 {
		t.Fatalf("reset: %d %s", r.code, r.body)
	}
	if r := e.call("GET", "/api/v1/account", e.jane.Login, "fresh start 2026", ""); r.code != 200 {
		t.Errorf("new password after reset: %d", r.code)
	}
	// Used once.
	wantError(t, e.call("POST", "/api/v1/recovery/password/reset", "", "", `{"token":"`+token+`","new_password":"fresh start 2028","new_password_confirm":"fresh start 2028"}`), 400, "invalid_field", "token")
	// Expired: a token whose time is up.
	tok, hash := auth.NewToken()
	if err := e.store.CreateToken(context.Background(), &storage.Token{Hash: hash, Account: e.jane.ID, Purpose: "password-reset", Expires: time.Now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	wantError(t, e.call("POST", "/api/v1/recovery/password/reset", "", "", `{"token":"`+tok+`","new_password":"fresh start 2029","new_password_confirm":"fresh start 2029"}`), 400, "invalid_field", "token")
	// Rate limit per target.
	var last resp
	for range 6 {
		last = e.call("POST", "/api/v1/recovery/password", "", "", `{"login":"someone@example.com"}`)
	}
	wantError(t, last, 429, "too_many_requests", "")
	if last.hdr.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

func TestLoginRecovery(t *testing.T) {
	e := newEnv(t)
	e.jane_("PATCH", "/api/v1/account", `{"mobile":"+41791234567","recovery_email":"jane@backup.example.org"}`)
	a := e.call("POST", "/api/v1/recovery/login", "", "", `{"mobile":"+41 79 123 45 67"}`)
	if a.code != 202 || len(e.box.SMS()) != 1 || e.box.SMS()[0].To != "+41791234567" || !strings.Contains(e.box.SMS()[0].Text, "jane@example.com") {
		t.Fatalf("SMS: %d %v", a.code, e.box.SMS())
	}
	b := e.call("POST", "/api/v1/recovery/login", "", "", `{"mobile":"+41790000000"}`)
	if b.code != 202 || b.body != a.body || len(e.box.SMS()) != 1 {
		t.Errorf("unknown number answered differently or sent: %d %s", b.code, b.body)
	}
	c := e.call("POST", "/api/v1/recovery/login", "", "", `{"mobile":"+41791234567","recovery_email":"jane@backup.example.org"}`)
	if c.code != 202 || e.box.LastMail(t).To != "jane@backup.example.org" {
		t.Errorf("mail recovery: %d", c.code)
	}
	// Two accounts on one number: nothing is sent.
	taken, _ := e.store.AccountByLogin(context.Background(), "taken@example.com")
	taken.Mobile = "+41791234567"
	e.store.UpdateAccount(context.Background(), taken)
	n := len(e.box.SMS())
	e.call("POST", "/api/v1/recovery/login", "", "", `{"mobile":"+41791234567"}`)
	if len(e.box.SMS()) != n {
		t.Error("an ambiguous number got an SMS")
	}
	wantError(t, e.call("POST", "/api/v1/recovery/login", "", "", `{"mobile":"abc"}`), 400, "invalid_field", "mobile")
}

func TestTwoFactorAndAppPasswords(t *testing.T) {
	e := newEnv(t)
	wantError(t, e.jane_("POST", "/api/v1/account/2fa", `{"password":"nope"}`), 403, "wrong_password", "password")
	wantError(t, e.jane_("POST", "/api/v1/account/2fa/confirm", `{"code":"123456"}`), 409, "not_enrolled", "")
	r := e.jane_("POST", "/api/v1/account/2fa", `{"password":"`+password+`"}`)
	secret, _ := r.json["secret"].(string)
	if r.code != 200 || secret == "" || !strings.HasPrefix(r.json["otpauth_uri"].(string), "otpauth://totp/") {
		t.Fatalf("enroll: %d %s", r.code, r.body)
	}
	wantError(t, e.jane_("POST", "/api/v1/account/2fa/confirm", `{"code":"000000"}`), 400, "wrong_code", "code")
	now := time.Now()
	r = e.jane_("POST", "/api/v1/account/2fa/confirm", `{"code":"`+auth.TOTPCode(secret, now)+`"}`)
	if r.code != 200 {
		t.Fatalf("confirm: %d %s", r.code, r.body)
	}
	codes := r.json["recovery_codes"].([]any)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes", len(codes))
	}

	// The password alone opens neither DAV nor the API now.
	wantError(t, e.call("PROPFIND", "/dav/", e.jane.Login, password, "", "Depth", "0"), 401, "", "")
	wantError(t, e.jane_("GET", "/api/v1/account", ""), 401, "otp_required", "")
	wantError(t, e.jane_("GET", "/api/v1/account", "", auth.OTPHeader, "000000"), 401, "otp_required", "")
	// The code of the step just used is spent; the next one works.
	next := auth.TOTPCode(secret, now.Add(30*time.Second))
	if r := e.jane_("GET", "/api/v1/account", "", auth.OTPHeader, next); r.code != 200 {
		t.Fatalf("API with OTP: %d %s", r.code, r.body)
	}
	wantError(t, e.jane_("GET", "/api/v1/account", "", auth.OTPHeader, next), 401, "otp_required", "")
	// A recovery code works once.
	rc := codes[0].(string)
	if r := e.jane_("GET", "/api/v1/account", "", auth.OTPHeader, rc); r.code != 200 || r.json["two_factor"].(map[string]any)["recovery_codes_left"] != float64(9) {
		t.Fatalf("recovery code: %d %s", r.code, r.body)
	}
	wantError(t, e.jane_("GET", "/api/v1/account", "", auth.OTPHeader, rc), 401, "otp_required", "")

	// App passwords: a dav one opens DAV, not the API; a full one both.
	rc2 := codes[1].(string)
	r = e.jane_("POST", "/api/v1/account/app-passwords", `{"name":"Phone","scope":"dav"}`, auth.OTPHeader, rc2)
	davPW, _ := r.json["password"].(string)
	if r.code != 201 || davPW == "" || r.json["scope"] != "dav" {
		t.Fatalf("create app password: %d %s", r.code, r.body)
	}
	if r := e.call("PROPFIND", "/dav/", e.jane.Login, davPW, "", "Depth", "0", "User-Agent", "DAVx5/4.4"); r.code != 207 {
		t.Errorf("DAV with the app password: %d", r.code)
	}
	for _, p := range []string{"/api/v1/account", "/api/v1/links", "/api/v1/shares", "/api/v1/account/app-passwords"} {
		wantError(t, e.call("GET", p, e.jane.Login, davPW, ""), 403, "scope", "")
	}
	wantError(t, e.call("POST", "/api/v1/account/password", e.jane.Login, davPW, `{"current_password":"x"}`), 403, "scope", "")
	r = e.jane_("POST", "/api/v1/account/app-passwords", `{"name":"Laptop script","scope":"full"}`, auth.OTPHeader, codes[2].(string))
	fullPW := r.json["password"].(string)
	r = e.call("GET", "/api/v1/account/app-passwords", e.jane.Login, fullPW, "")
	list := r.json["app_passwords"].([]any)
	if r.code != 200 || len(list) != 2 {
		t.Fatalf("list: %d %s", r.code, r.body)
	}
	if strings.Contains(r.body, davPW) || strings.Contains(r.body, fullPW) {
		t.Error("listing shows a secret")
	}
	phone := list[0].(map[string]any)
	if phone["name"] != "Phone" || phone["last_client"] != "DAVx5/4.4" || phone["last_used"] == nil {
		t.Errorf("phone entry %v", phone)
	}
	for _, tc := range []struct{ body, field string }{{`{"name":"","scope":"dav"}`, "name"}, {`{"name":"x","scope":"admin"}`, "scope"}} {
		wantError(t, e.call("POST", "/api/v1/account/app-passwords", e.jane.Login, fullPW, tc.body), 400, "invalid_field", tc.field)
	}
	wantError(t, e.call("POST", "/api/v1/account/app-passwords", e.jane.Login, fullPW, `{"name":"x","scope":"dav"}`), 403, "app_password", "")
	// Revoke one by one.
	if r := e.call("DELETE", "/api/v1/account/app-passwords/"+phone["id"].(string), e.jane.Login, fullPW, ""); r.code != 204 {
		t.Fatalf("revoke: %d %s", r.code, r.body)
	}
	wantError(t, e.call("PROPFIND", "/dav/", e.jane.Login, davPW, "", "Depth", "0"), 401, "", "")
	wantError(t, e.call("DELETE", "/api/v1/account/app-passwords/nope", e.jane.Login, fullPW, ""), 404, "not_found", "")

	// Turning 2FA off needs password and a code.
	wantError(t, e.call("DELETE", "/api/v1/account/2fa", e.jane.Login, fullPW, `{"password":"`+password+`","code":"000000"}`), 400, "wrong_code", "code")
	wantError(t, e.call("DELETE", "/api/v1/account/2fa", e.jane.Login, fullPW, `{"password":"nope","code":"`+codes[3].(string)+`"}`), 403, "wrong_password", "password")
	if r := e.call("DELETE", "/api/v1/account/2fa", e.jane.Login, fullPW, `{"password":"`+password+`","code":"`+codes[3].(string)+`"}`); r.code != 204 {
		t.Fatalf("disable: %d %s", r.code, r.body)
	}
	if r := e.call("PROPFIND", "/dav/", e.jane.Login, password, "", "Depth", "0"); r.code != 207 {
		t.Errorf("password on DAV after 2FA off: %d", r.code)
	}
}

func TestSessions(t *testing.T) {
	e := newEnv(t)
	wantError(t, e.call("POST", "/api/v1/session", "", "", `{"login":"jane@example.com","password":"nope"}`), 401, "wrong_credentials", "")
	wantError(t, e.call("POST", "/api/v1/session", "", "", `{"login":"nobody@example.com","password":"nope"}`), 401, "wrong_credentials", "")
	r := e.call("POST", "/api/v1/session", "", "", `{"login":"jane@example.com","password":"`+password+`"}`)
	if r.code != 200 {
		t.Fatalf("login: %d %s", r.code, r.body)
	}
	cookie := r.hdr.Get("Set-Cookie")
	if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") {
		t.Errorf("cookie %q", cookie)
	}
	value := strings.TrimPrefix(strings.SplitN(cookie, ";", 2)[0], auth.SessionCookie+"=")
	csrf := r.json["csrf_token"].(string)
	c := auth.SessionCookie + "=" + value
	if r := e.call("GET", "/api/v1/account", "", "", "", "Cookie", c); r.code != 200 {
		t.Errorf("GET with the cookie: %d", r.code)
	}
	wantError(t, e.call("PATCH", "/api/v1/account", "", "", `{"display_name":"X"}`, "Cookie", c), 403, "csrf", "")
	wantError(t, e.call("PATCH", "/api/v1/account", "", "", `{"display_name":"X"}`, "Cookie", c, auth.CSRFHeader, "wrong"), 403, "csrf", "")
	if r := e.call("PATCH", "/api/v1/account", "", "", `{"display_name":"X"}`, "Cookie", c, auth.CSRFHeader, csrf); r.code != 200 {
		t.Errorf("PATCH with CSRF: %d %s", r.code, r.body)
	}
	if r := e.call("DELETE", "/api/v1/session", "", "", "", "Cookie", c); r.code != 204 {
		t.Errorf("logout: %d", r.code)
	}
	wantError(t, e.call("GET", "/api/v1/account", "", "", "", "Cookie", c), 401, "session_expired", "")
}

// TestEnablingTwoFactorEndsOtherSessions: a session opened with the
// password alone does not survive turning 2FA on elsewhere.
func TestEnablingTwoFactorEndsOtherSessions(t *testing.T) {
	e := newEnv(t)
	r := e.call("POST", "/api/v1/session", "", "", `{"login":"jane@example.com","password":"`+password+`"}`)
	if r.code != 200 {
		t.Fatalf("login: %d", r.code)
	}
	cookie := strings.SplitN(r.hdr.Get("Set-Cookie"), ";", 2)[0]
	secret := e.jane_("POST", "/api/v1/account/2fa", `{"password":"`+password+`"}`).json["secret"].(string)
	if r := e.jane_("POST", "/api/v1/account/2fa/confirm", `{"code":"`+auth.TOTPCode(secret, time.Now())+`"}`); r.code != 200 {
		t.Fatalf("confirm: %d %s", r.code, r.body)
	}
	wantError(t, e.call("GET", "/api/v1/account", "", "", "", "Cookie", cookie), 401, "session_expired", "")
}
