package mailbox_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"
	"almanac/storage/bolt"
)

const password = servertest.Password

type env struct {
	t                      *testing.T
	h                      http.Handler
	store                  *bolt.DB
	owner, manager, member *storage.Account
	passwd, virtual        string
	box                    *servertest.Postbox
	// flush writes the mail server files now, as the server's Run does
	// shortly after a change.
	flush func(context.Context) error
}

// newEnv builds the server with the Dovecot and Postfix files in a
// temporary directory; configure may change the rest of its
// configuration.
func newEnv(t *testing.T, configure ...func(*server.Config)) *env {
	t.Helper()
	e := &env{t: t}
	srv := servertest.New(t, append([]func(*server.Config){func(c *server.Config) {
		e.passwd, e.virtual = filepath.Join(t.TempDir(), "passwd"), filepath.Join(t.TempDir(), "virtual")
		c.DovecotPasswd, c.PostfixVirtual = e.passwd, e.virtual
	}}, configure...)...)
	e.h, e.store, e.box = srv.Server, srv.Store, srv.Post
	if files := srv.Server.MailFiles(); files != nil {
		e.flush = files.Flush
	}
	for _, p := range []struct {
		acc   **storage.Account
		login string
	}{{&e.owner, "owner@example.com"}, {&e.manager, "manager@example.com"}, {&e.member, "anna@domain.xyz"}} {
		*p.acc = srv.Account(p.login, func(a *storage.Account) {
			a.DisplayName, a.Mobile, a.RecoveryEmail = "Anna Bell", "+41791112233", "anna@backup.example.org"
		})
	}
	return e
}

// mailFiles brings the mail server files up to date with the store.
func (e *env) mailFiles() {
	e.t.Helper()
	if err := e.flush(e.t.Context()); err != nil {
		e.t.Fatalf("write the mail server files: %v", err)
	}
}

type resp struct {
	code int
	body string
	json map[string]any
}

func (e *env) call(as *storage.Account, method, path, body string) resp {
	e.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if as != nil {
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(as.Login+":"+password)))
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	out := resp{code: rec.Code, body: rec.Body.String()}
	json.Unmarshal(rec.Body.Bytes(), &out.json)
	return out
}

func (e *env) must(r resp, status int) resp {
	e.t.Helper()
	if r.code != status {
		e.t.Fatalf("status %d, want %d: %s", r.code, status, r.body)
	}
	return r
}

func wantError(t *testing.T, r resp, status int, code, field string) {
	t.Helper()
	if r.code != status {
		t.Fatalf("status %d, want %d: %s", r.code, status, r.body)
	}
	e, _ := r.json["error"].(map[string]any)
	if e == nil || e["code"] != code || (field != "" && e["field"] != field) {
		t.Fatalf("error %s, want %s field %q", r.body, code, field)
	}
}

// setup makes an organization with a manager and a member, a standard
// mail service for domain.xyz with alias domain alias.tld, and the
// mailbox anna@domain.xyz linked to the member.
func (e *env) setup(plan string) (org, svc string) {
	org = e.must(e.call(e.owner, "POST", "/api/v1/orgs", `{"name":"Domain XYZ"}`), 201).json["id"].(string)
	e.must(e.call(e.owner, "POST", "/api/v1/orgs/"+org+"/members", `{"login":"manager@example.com","role":"manager"}`), 201)
	e.must(e.call(e.manager, "POST", "/api/v1/orgs/"+org+"/members", `{"login":"anna@domain.xyz"}`), 201)
	svc = e.must(e.call(e.owner, "POST", "/api/v1/orgs/"+org+"/services", `{"domain":"Domain.xyz","plan":"`+plan+`","alias_domains":["alias.tld"]}`), 201).json["id"].(string)
	e.must(e.call(e.manager, "POST", "/api/v1/services/"+svc+"/mailboxes", `{"local_part":"anna","password":"mailbox pass 2026","password_confirm":"mailbox pass 2026"}`), 201)
	e.must(e.call(e.manager, "POST", "/api/v1/services/"+svc+"/mailboxes", `{"local_part":"bob","password":"mailbox pass 2026","password_confirm":"mailbox pass 2026"}`), 201)
	e.must(e.call(e.manager, "POST", "/api/v1/services/"+svc+"/mailboxes/anna/links", `{"login":"anna@domain.xyz"}`), 201)
	return org, svc
}

func TestAliases(t *testing.T) {
	e := newEnv(t)
	_, svc := e.setup("standard")
	add := func(alias string) resp {
		return e.call(e.member, "POST", "/api/v1/mailboxes/anna@domain.xyz/aliases", `{"alias":"`+alias+`"}`)
	}
	if r := e.must(add("Sales"), 201); r.json["alias"] != "sales@domain.xyz" {
		t.Errorf("alias %v", r.json)
	}
	wantError(t, add("bob"), 409, "address_taken", "alias")
	wantError(t, add("SALES"), 409, "address_taken", "alias")
	wantError(t, add("anna"), 409, "address_taken", "alias")
	wantError(t, add("bad..dots"), 400, "invalid_field", "alias")
	wantError(t, add(strings.Repeat("x", 65)), 400, "invalid_field", "alias")
	// bob cannot take anna's alias either.
	wantError(t, e.call(e.manager, "POST", "/api/v1/mailboxes/bob@domain.xyz/aliases", `{"alias":"sales"}`), 409, "address_taken", "alias")
	// Up to 50, then a clear refusal.
	for i := 2; i <= 50; i++ {
		e.must(add(fmt.Sprintf("a%d", i)), 201)
	}
	wantError(t, add("a51"), 409, "too_many_aliases", "alias")
	r := e.must(e.call(e.member, "GET", "/api/v1/mailboxes/anna@domain.xyz/aliases", ""), 200)
	if n := len(r.json["aliases"].([]any)); n != 50 {
		t.Errorf("%d aliases", n)
	}
	// Resolve: mailbox, alias, alias domain, unknown.
	for addr, want := range map[string]string{"anna@domain.xyz": "mailbox", "SALES@domain.xyz": "alias", "sales@alias.tld": "alias", "anna@alias.tld": "mailbox", "nobody@domain.xyz": "unknown"} {
		r := e.must(e.call(e.member, "GET", "/api/v1/resolve?address="+addr, ""), 200)
		if r.json["kind"] != want || (want != "unknown" && r.json["mailbox"] != "anna@domain.xyz") {
			t.Errorf("resolve %s: %v", addr, r.json)
		}
	}
	e.must(e.call(e.member, "DELETE", "/api/v1/mailboxes/anna@domain.xyz/aliases/a50", ""), 204)
	e.must(add("a51"), 201)
	// The Postfix table follows.
	e.mailFiles()
	data, err := os.ReadFile(e.virtual)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sales@domain.xyz anna@domain.xyz", "@alias.tld @domain.xyz", "a51@domain.xyz anna@domain.xyz"} {
		if !strings.Contains(string(data), want+"\n") {
			t.Errorf("virtual table lacks %q:\n%.300s", want, data)
		}
	}
	if strings.Contains(string(data), "a50@") {
		t.Error("removed alias still routed")
	}
	_ = svc
}

func TestFreePlanHasNoAliases(t *testing.T) {
	e := newEnv(t)
	e.setup("free")
	wantError(t, e.call(e.member, "POST", "/api/v1/mailboxes/anna@domain.xyz/aliases", `{"alias":"sales"}`), 403, "plan_without_aliases", "")
}

func TestRightsAndPasswords(t *testing.T) {
	e := newEnv(t)
	org, svc := e.setup("standard")
	// The linked user changes the password without the old one.
	r := e.must(e.call(e.member, "PUT", "/api/v1/mailboxes/anna@domain.xyz/password", `{"password":"brand new secret","password_confirm":"brand new secret"}`), 200)
	if !strings.Contains(r.json["note"].(string), "mail client") {
		t.Errorf("no reminder about mail clients: %v", r.json)
	}
	wantError(t, e.call(e.member, "PUT", "/api/v1/mailboxes/anna@domain.xyz/password", `{"password":"brand new secret","password_confirm":"brand new secreT"}`), 400, "invalid_field", "password_confirm")
	wantError(t, e.call(e.member, "PUT", "/api/v1/mailboxes/anna@domain.xyz/password", `{"password":"short","password_confirm":"short"}`), 400, "invalid_field", "password")
	e.mailFiles()
	passwd, _ := os.ReadFile(e.passwd)
	if !strings.Contains(string(passwd), "anna@domain.xyz:{ARGON2ID}$argon2id$") {
		t.Errorf("passwd-file:\n%s", passwd)
	}
	// The manager removes the password right: the user gets a 403 that
	// names the manager; restoring it works again.
	e.must(e.call(e.manager, "PATCH", "/api/v1/services/"+svc+"/mailboxes/anna/links/"+e.member.ID, `{"rights":["aliases"]}`), 200)
	r = e.call(e.member, "PUT", "/api/v1/mailboxes/anna@domain.xyz/password", `{"password":"another secret 1","password_confirm":"another secret 1"}`)
	wantError(t, r, 403, "right_removed", "")
	if !strings.Contains(r.body, "Mail Service manager removed") {
		t.Errorf("message %s", r.body)
	}
	e.must(e.call(e.manager, "PATCH", "/api/v1/services/"+svc+"/mailboxes/anna/links/"+e.member.ID, `{"rights":["aliases","password"]}`), 200)
	e.must(e.call(e.member, "PUT", "/api/v1/mailboxes/anna@domain.xyz/password", `{"password":"another secret 1","password_confirm":"another secret 1"}`), 200)
	// Taking the aliases right away stops alias changes.
	e.must(e.call(e.manager, "PATCH", "/api/v1/services/"+svc+"/mailboxes/anna/links/"+e.member.ID, `{"rights":[]}`), 200)
	wantError(t, e.call(e.member, "POST", "/api/v1/mailboxes/anna@domain.xyz/aliases", `{"alias":"x"}`), 403, "right_removed", "")
	// A manager sets any mailbox's password from the manager side.
	e.must(e.call(e.manager, "PUT", "/api/v1/services/"+svc+"/mailboxes/bob/password", `{"password":"manager picked 1","password_confirm":"manager picked 1"}`), 200)
	// A plain member manages nothing; a stranger sees nothing.
	wantError(t, e.call(e.member, "GET", "/api/v1/services/"+svc+"/mailboxes", ""), 403, "not_manager", "")
	wantError(t, e.call(e.member, "POST", "/api/v1/orgs/"+org+"/members", `{"login":"owner@example.com","role":"manager"}`), 403, "not_allowed", "")
	wantError(t, e.call(e.manager, "POST", "/api/v1/orgs/"+org+"/services", `{"domain":"other.xyz"}`), 403, "not_owner", "")
	stranger := &storage.Account{Login: "stranger@example.com", PasswordHash: servertest.PasswordHash(t)}
	e.store.CreateAccount(context.Background(), stranger)
	wantError(t, e.call(stranger, "GET", "/api/v1/services/"+svc+"/mailboxes", ""), 404, "not_found", "")
	wantError(t, e.call(stranger, "PUT", "/api/v1/mailboxes/anna@domain.xyz/password", `{"password":"x1234567890","password_confirm":"x1234567890"}`), 404, "not_found", "")

	// Linking by proving the mailbox password; the login is not it.
	wantError(t, e.call(stranger, "POST", "/api/v1/mailboxes/link", `{"address":"bob@domain.xyz","password":"`+password+`"}`), 403, "wrong_mailbox_password", "password")
	e.must(e.call(stranger, "POST", "/api/v1/mailboxes/link", `{"address":"bob@domain.xyz","password":"manager picked 1"}`), 201)
	r = e.must(e.call(stranger, "GET", "/api/v1/mailboxes", ""), 200)
	if boxes := r.json["mailboxes"].([]any); len(boxes) != 1 || boxes[0].(map[string]any)["address"] != "bob@domain.xyz" {
		t.Errorf("linked mailboxes %v", r.json)
	}
	// Domain taken by another organization.
	other := e.must(e.call(stranger, "POST", "/api/v1/orgs", `{"name":"Other"}`), 201).json["id"].(string)
	wantError(t, e.call(stranger, "POST", "/api/v1/orgs/"+other+"/services", `{"domain":"alias.tld"}`), 409, "domain_taken", "domain")
}

// TestDeletingALoginMailbox: the member's login is anna@domain.xyz; when
// that mailbox is deleted the account gets a fallback username by SMS
// and recovery email, logs in with it and its password, and must choose
// a new login ID.
func TestDeletingALoginMailbox(t *testing.T) {
	e := newEnv(t)
	_, svc := e.setup("standard")
	e.must(e.call(e.manager, "DELETE", "/api/v1/services/"+svc+"/mailboxes/anna", ""), 204)
	acc, err := e.store.Account(context.Background(), e.member.ID)
	if err != nil {
		t.Fatal(err)
	}
	if acc.Login == "anna@domain.xyz" || !strings.HasPrefix(acc.Login, "ab") || len(acc.Login) != 6 {
		t.Fatalf("fallback username %q", acc.Login)
	}
	if len(e.box.SMS()) != 1 || !strings.Contains(e.box.SMS()[0].Text, acc.Login) || len(e.box.Mail()) != 1 || e.box.Mail()[0].To != "anna@backup.example.org" {
		t.Fatalf("notifications: %v %v", e.box.SMS(), e.box.Mail())
	}
	fallback := &storage.Account{Login: acc.Login}
	r := e.must(e.call(fallback, "GET", "/api/v1/account", ""), 200)
	if r.json["login_change_required"] != true {
		t.Errorf("account %v", r.json)
	}
	wantError(t, e.call(fallback, "GET", "/api/v1/mailboxes", ""), 403, "login_change_required", "")
	e.must(e.call(fallback, "POST", "/api/v1/account/login", `{"new_login":"anna.bell@example.org","password":"`+password+`"}`), 202)
	if r := e.call(&storage.Account{Login: "anna@domain.xyz"}, "GET", "/api/v1/account", ""); r.code != 401 {
		t.Errorf("the old login still works: %d", r.code)
	}
	e.mailFiles()
	passwd, _ := os.ReadFile(e.passwd)
	if strings.Contains(string(passwd), "anna@domain.xyz") {
		t.Error("deleted mailbox still in the passwd-file")
	}
}

func TestMembershipRules(t *testing.T) {
	e := newEnv(t)
	org, svc := e.setup("standard")
	// A manager cannot change the owner's or a manager's role.
	wantError(t, e.call(e.manager, "POST", "/api/v1/orgs/"+org+"/members", `{"login":"owner@example.com","role":"member"}`), 403, "not_allowed", "")
	// The last owner cannot leave or step down.
	wantError(t, e.call(e.owner, "DELETE", "/api/v1/orgs/"+org+"/members/"+e.owner.ID, ""), 409, "last_owner", "")
	wantError(t, e.call(e.owner, "POST", "/api/v1/orgs/"+org+"/members", `{"login":"owner@example.com","role":"manager"}`), 409, "last_owner", "")
	// Linking again with the mailbox password keeps the rights a manager
	// took away.
	e.must(e.call(e.manager, "PATCH", "/api/v1/services/"+svc+"/mailboxes/anna/links/"+e.member.ID, `{"rights":["aliases"]}`), 200)
	r := e.must(e.call(e.member, "POST", "/api/v1/mailboxes/link", `{"address":"anna@domain.xyz","password":"mailbox pass 2026"}`), 200)
	if rights := r.json["rights"].([]any); len(rights) != 1 || rights[0] != "aliases" {
		t.Errorf("re-linking restored rights: %v", r.json)
	}
	// A member removed from the organization loses its mailboxes.
	e.must(e.call(e.owner, "DELETE", "/api/v1/orgs/"+org+"/members/"+e.member.ID, ""), 204)
	r = e.must(e.call(e.member, "GET", "/api/v1/mailboxes", ""), 200)
	if boxes := r.json["mailboxes"].([]any); len(boxes) != 0 {
		t.Errorf("a removed member still has %v", boxes)
	}
	wantError(t, e.call(e.member, "PUT", "/api/v1/mailboxes/anna@domain.xyz/password", `{"password":"brand new secret","password_confirm":"brand new secret"}`), 404, "not_found", "")
}
