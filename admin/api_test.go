package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"almanac/auth"
	"almanac/server/servertest"
	"almanac/storage"
)

// env is a server with an admin, root@example.com, and a user,
// jane@example.com.
type env struct {
	*servertest.Env
	root, jane *storage.Account
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{Env: servertest.New(t)}
	e.root = e.Account("root@example.com", func(a *storage.Account) { a.Admin = true })
	e.jane = e.Account("jane@example.com")
	return e
}

type answer struct {
	code int
	body string
	json map[string]any
	hdr  http.Header
}

// call sends a request with Basic credentials (none when login is "")
// and header name/value pairs.
func (e *env) call(method, path, login, password, body string, hdr ...string) answer {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if strings.HasPrefix(body, "{") {
		r.Header.Set("Content-Type", "application/json")
	}
	if login != "" {
		r.Header.Set("Authorization", servertest.BasicAuth(login, password))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.Server.ServeHTTP(w, r)
	a := answer{code: w.Code, body: w.Body.String(), hdr: w.Header()}
	json.Unmarshal(w.Body.Bytes(), &a.json)
	return a
}

// as sends a request as login with servertest.Password.
func (e *env) as(login, method, path, body string) answer {
	return e.call(method, path, login, servertest.Password, body)
}

func wantError(t *testing.T, a answer, code int, errCode, field string) {
	t.Helper()
	e, _ := a.json["error"].(map[string]any)
	if a.code != code || e == nil || e["code"] != errCode || field != "" && e["field"] != field {
		t.Fatalf("got %d %s; want %d %s (field %q)", a.code, a.body, code, errCode, field)
	}
}

func (e *env) accountCount(t *testing.T) int {
	t.Helper()
	accs, err := e.Store.ListAccounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(accs)
}

// TestAdminRoutesAreMissingForNonAdmins: every admin route answers a user
// who is not an admin exactly what a path no route serves gets, and an
// admin something else.
func TestAdminRoutesAreMissingForNonAdmins(t *testing.T) {
	e := newEnv(t)
	missing := e.as(e.jane.Login, "GET", "/api/v1/admin/no-such-thing", "")
	if missing.code != http.StatusNotFound {
		t.Fatalf("missing path: %d %s", missing.code, missing.body)
	}
	n := 0
	for _, route := range e.Server.APIRoutes() {
		method, path, _ := strings.Cut(route, " ")
		if !strings.HasPrefix(path, "/api/v1/admin/") {
			continue
		}
		n++
		path = strings.NewReplacer("{account}", e.root.ID).Replace(path)
		body := ""
		if method != "GET" && method != "DELETE" {
			body = `{}`
		}
		if got := e.as(e.jane.Login, method, path, body); got.code != missing.code || got.body != missing.body {
			t.Errorf("%s as a user: %d %s; want %d %s", route, got.code, got.body, missing.code, missing.body)
		}
		if got := e.as(e.root.Login, method, path, body); got.code == http.StatusNotFound {
			t.Errorf("%s as an admin: %d %s", route, got.code, got.body)
		}
	}
	if n != 6 {
		t.Errorf("%d admin routes; the test knows 6 (accounts: list, create, show, patch, delete; orgs: create)", n)
	}
	if e.accountCount(t) != 2 {
		t.Errorf("the user's requests changed the accounts")
	}
}

func TestAdminCreateAccount(t *testing.T) {
	e := newEnv(t)
	// Generated password: shown once, and it logs in to DAV at once.
	a := e.as(e.root.Login, "POST", "/api/v1/admin/accounts", `{"login":"bob@example.com"}`)
	pw, _ := a.json["password"].(string)
	if a.code != http.StatusCreated || pw == "" || a.json["login"] != "bob@example.com" || a.json["admin"] != false {
		t.Fatalf("create: %d %s", a.code, a.body)
	}
	id := a.json["id"].(string)
	if got := e.call("PROPFIND", "/dav/calendars/"+id+"/default/", "bob@example.com", pw, "", "Depth", "0"); got.code != http.StatusMultiStatus {
		t.Fatalf("PROPFIND with the generated password: %d %s", got.code, got.body)
	}
	if got := e.call("PROPFIND", "/dav/addressbooks/"+id+"/contacts/", "bob@example.com", pw, "", "Depth", "0"); got.code != http.StatusMultiStatus {
		t.Fatalf("address book: %d %s", got.code, got.body)
	}
	if got := e.as(e.root.Login, "GET", "/api/v1/admin/accounts/"+id, ""); got.code != 200 || got.json["password"] != nil {
		t.Fatalf("the password is shown again: %d %s", got.code, got.body)
	}

	// Given password, fixed handle, admin.
	a = e.as(e.root.Login, "POST", "/api/v1/admin/accounts", `{"login":"carol@example.com","password":"`+servertest.Password+`","handle":"carol","admin":true}`)
	if a.code != http.StatusCreated || a.json["id"] != "carol" || a.json["admin"] != true || a.json["password"] != nil {
		t.Fatalf("create with password: %d %s", a.code, a.body)
	}
	if got := e.as("carol@example.com", "GET", "/api/v1/admin/accounts", ""); got.code != 200 {
		t.Fatalf("the new admin lists accounts: %d %s", got.code, got.body)
	}

	before := e.accountCount(t)
	for _, tc := range []struct {
		name, body string
		code       int
		errCode    string
		field      string
	}{
		{"no login", `{}`, 400, "invalid_field", "login"},
		{"login not an address", `{"login":"bob"}`, 400, "invalid_field", "login"},
		{"weak password", `{"login":"dan@example.com","password":"1234567890"}`, 400, "invalid_field", "password"},
		{"empty password", `{"login":"dan@example.com","password":""}`, 400, "invalid_field", "password"},
		{"password is the login", `{"login":"dan@example.com","password":"dan@example.com"}`, 400, "invalid_field", "password"},
		{"bad handle", `{"login":"dan@example.com","handle":"../x"}`, 400, "invalid_field", "handle"},
		{"long handle", `{"login":"dan@example.com","handle":"` + strings.Repeat("a", 65) + `"}`, 400, "invalid_field", "handle"},
		{"login taken", `{"login":"JANE@example.com"}`, 409, "exists", "login"},
		{"handle taken", `{"login":"dan@example.com","handle":"carol"}`, 409, "exists", "login"},
		{"unknown field", `{"login":"dan@example.com","role":"root"}`, 400, "invalid_field", "role"},
		{"admin not a bool", `{"login":"dan@example.com","admin":"yes"}`, 400, "invalid_field", "admin"},
		{"not JSON", `login=dan`, 400, "invalid_json", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.as(e.root.Login, "POST", "/api/v1/admin/accounts", tc.body), tc.code, tc.errCode, tc.field)
		})
	}
	if n := e.accountCount(t); n != before {
		t.Errorf("refused creations stored %d accounts", n-before)
	}
}

func TestAdminListShowPatchDelete(t *testing.T) {
	e := newEnv(t)
	a := e.as(e.root.Login, "GET", "/api/v1/admin/accounts", "")
	list, _ := a.json["accounts"].([]any)
	if a.code != 200 || len(list) != 2 || list[0].(map[string]any)["login"] != "jane@example.com" ||
		list[1].(map[string]any)["admin"] != true || strings.Contains(a.body, "hash") {
		t.Fatalf("list: %d %s", a.code, a.body)
	}
	for _, ref := range []string{e.jane.ID, "JANE@example.com"} {
		if got := e.as(e.root.Login, "GET", "/api/v1/admin/accounts/"+ref, ""); got.code != 200 || got.json["id"] != e.jane.ID {
			t.Errorf("show %s: %d %s", ref, got.code, got.body)
		}
	}
	if got := e.as(e.root.Login, "GET", "/api/v1/admin/accounts/me", ""); got.code != 200 || got.json["id"] != e.root.ID {
		t.Errorf("show me: %d %s", got.code, got.body)
	}
	wantError(t, e.as(e.root.Login, "GET", "/api/v1/admin/accounts/nobody@example.com", ""), 404, "not_found", "")

	// Promote jane, who then reaches the admin routes.
	path := "/api/v1/admin/accounts/" + e.jane.ID
	if got := e.as(e.root.Login, "PATCH", path, `{"admin":true}`); got.code != 200 || got.json["admin"] != true || got.json["disabled"] != false {
		t.Fatalf("promote: %d %s", got.code, got.body)
	}
	if got := e.as(e.jane.Login, "GET", "/api/v1/admin/accounts", ""); got.code != 200 {
		t.Fatalf("promoted: %d %s", got.code, got.body)
	}
	if got := e.as(e.root.Login, "PATCH", path, `{"admin":false}`); got.code != 200 || got.json["admin"] != false {
		t.Fatalf("demote: %d %s", got.code, got.body)
	}
	wantError(t, e.as(e.jane.Login, "GET", "/api/v1/admin/accounts", ""), 404, "not_found", "")

	for _, tc := range []struct {
		name, path, body string
		code             int
		errCode, field   string
	}{
		{"nothing to change", path, `{}`, 400, "invalid_field", "admin"},
		{"null", path, `{"disabled":null}`, 400, "invalid_field", "admin"},
		{"not a bool", path, `{"disabled":"yes"}`, 400, "invalid_field", "disabled"},
		{"unknown field", path, `{"login":"x@example.com"}`, 400, "invalid_field", "login"},
		{"missing account", "/api/v1/admin/accounts/nobody", `{"disabled":true}`, 404, "not_found", ""},
		{"disable oneself", "/api/v1/admin/accounts/me", `{"disabled":true}`, 403, "own_account", ""},
		{"demote oneself", "/api/v1/admin/accounts/" + e.root.ID, `{"admin":false}`, 403, "own_account", ""},
	} {
		t.Run("patch "+tc.name, func(t *testing.T) {
			wantError(t, e.as(e.root.Login, "PATCH", tc.path, tc.body), tc.code, tc.errCode, tc.field)
		})
	}
	if got, _ := e.Store.Account(context.Background(), e.root.ID); !got.Admin || got.Disabled {
		t.Fatalf("refused patches changed the admin: %+v", got)
	}
	// Changing what does not lock oneself out is allowed.
	if got := e.as(e.root.Login, "PATCH", "/api/v1/admin/accounts/me", `{"admin":true,"disabled":false}`); got.code != 200 {
		t.Errorf("harmless self patch: %d %s", got.code, got.body)
	}

	wantError(t, e.as(e.root.Login, "DELETE", "/api/v1/admin/accounts/me", ""), 403, "own_account", "")
	wantError(t, e.as(e.root.Login, "DELETE", "/api/v1/admin/accounts/nobody", ""), 404, "not_found", "")
	if got := e.as(e.root.Login, "DELETE", path, ""); got.code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", got.code, got.body)
	}
	if _, err := e.Store.Account(context.Background(), e.jane.ID); err == nil {
		t.Fatal("deleted account still stored")
	}
	if got := e.as(e.jane.Login, "PROPFIND", "/dav/", ""); got.code != http.StatusUnauthorized {
		t.Errorf("deleted account on DAV: %d", got.code)
	}
}

// TestDisabledAccountRefusedEverywhere: a disabled account gets in by no
// path (HTTP Basic on DAV and the API with its password or an app
// password, its session cookie, a new session), keeps its data, and
// gets in again once re-enabled.
func TestDisabledAccountRefusedEverywhere(t *testing.T) {
	e := newEnv(t)
	jane := e.jane.Login
	app := e.as(jane, "POST", "/api/v1/account/app-passwords", `{"name":"Phone","scope":"full"}`)
	appPW, _ := app.json["password"].(string)
	if app.code != http.StatusCreated || appPW == "" {
		t.Fatalf("app password: %d %s", app.code, app.body)
	}
	login := func() (cookie, csrf string, a answer) {
		a = e.call("POST", "/api/v1/session", "", "", `{"login":"`+jane+`","password":"`+servertest.Password+`"}`)
		for _, c := range (&http.Response{Header: a.hdr}).Cookies() {
			if c.Name == auth.SessionCookie {
				cookie = c.Value
			}
		}
		csrf, _ = a.json["csrf_token"].(string)
		return cookie, csrf, a
	}
	cookie, _, a := login()
	if a.code != 200 || cookie == "" {
		t.Fatalf("session login: %d %s", a.code, a.body)
	}
	put := e.call("PUT", "/dav/calendars/"+e.jane.ID+"/default/kept.ics", jane, servertest.Password,
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:kept\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		"Content-Type", "text/calendar")
	if put.code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", put.code, put.body)
	}

	type probe struct {
		name string
		do   func() answer
	}
	probes := []probe{
		{"DAV, password", func() answer { return e.call("PROPFIND", "/dav/", jane, servertest.Password, "", "Depth", "0") }},
		{"DAV, app password", func() answer { return e.call("PROPFIND", "/dav/", jane, appPW, "", "Depth", "0") }},
		{"API, password", func() answer { return e.call("GET", "/api/v1/account", jane, servertest.Password, "") }},
		{"API, app password", func() answer { return e.call("GET", "/api/v1/account", jane, appPW, "") }},
		{"API, session", func() answer {
			return e.call("GET", "/api/v1/account", "", "", "", "Cookie", auth.SessionCookie+"="+cookie)
		}},
	}
	for _, p := range probes {
		if got := p.do(); got.code >= 300 {
			t.Fatalf("%s before disabling: %d %s", p.name, got.code, got.body)
		}
	}

	if got := e.as(e.root.Login, "PATCH", "/api/v1/admin/accounts/"+jane, `{"disabled":true}`); got.code != 200 || got.json["disabled"] != true {
		t.Fatalf("disable: %d %s", got.code, got.body)
	}
	for _, p := range probes {
		if got := p.do(); got.code != http.StatusUnauthorized {
			t.Errorf("%s while disabled: %d %s, want 401", p.name, got.code, got.body)
		}
	}
	_, _, a = login()
	wantError(t, a, http.StatusForbidden, "account_disabled", "")
	wrong := e.call("POST", "/api/v1/session", "", "", `{"login":"`+jane+`","password":"not the password"}`)
	wantError(t, wrong, http.StatusUnauthorized, "wrong_credentials", "")

	// Its data stays.
	if _, err := e.Store.Get(context.Background(), e.jane.ID, "default", "kept.ics"); err != nil {
		t.Fatalf("a disabled account's data: %v", err)
	}

	if got := e.as(e.root.Login, "PATCH", "/api/v1/admin/accounts/"+jane, `{"disabled":false}`); got.code != 200 || got.json["disabled"] != false {
		t.Fatalf("re-enable: %d %s", got.code, got.body)
	}
	for _, p := range probes[:4] {
		if got := p.do(); got.code >= 300 {
			t.Errorf("%s after re-enabling: %d %s", p.name, got.code, got.body)
		}
	}
	// The session ended with the disabling; a new one works.
	if got := probes[4].do(); got.code != http.StatusUnauthorized {
		t.Errorf("a session from before the disabling: %d %s", got.code, got.body)
	}
	if cookie, _, a = login(); a.code != 200 || cookie == "" {
		t.Fatalf("session login after re-enabling: %d %s", a.code, a.body)
	}
	// A session that outlives the disabling (made while it was under
	// way) is refused by the session check itself.
	if _, err := e.Store.ModifyAccount(context.Background(), e.jane.ID, func(a *storage.Account) error {
		a.Disabled = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantError(t, probes[4].do(), http.StatusForbidden, "account_disabled", "")
}
