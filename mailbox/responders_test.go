package mailbox_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"almanac/server"
)

// respEnv is the mail world of setup with the Sieve scripts written to
// a directory.
type respEnv struct {
	*env
	svc, sieveDir string
}

func newRespEnv(t *testing.T) *respEnv {
	t.Helper()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.SieveDir = dir })
	_, svc := e.setup("standard")
	return &respEnv{env: e, svc: svc, sieveDir: dir}
}

const annaResponders = "/api/v1/mailboxes/anna@domain.xyz/responders"

func (e *respEnv) script(local string) string {
	e.t.Helper()
	e.mailFiles()
	b, err := os.ReadFile(filepath.Join(e.sieveDir, "domain.xyz", local+".sieve"))
	if err != nil {
		e.t.Fatalf("sieve script of %s: %v", local, err)
	}
	return string(b)
}

func (e *respEnv) responders(path string) []map[string]any {
	e.t.Helper()
	r := e.must(e.call(e.member, "GET", path, ""), 200)
	var out []map[string]any
	for _, x := range r.json["responders"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestResponderRefusals: every bad input is a 4xx naming its field, and
// nothing is stored: the list stays empty and the script says no
// responder is active.
func TestResponderRefusals(t *testing.T) {
	e := newRespEnv(t)
	before := e.script("anna")
	if !strings.Contains(before, "no responder is active") {
		t.Fatalf("script of a mailbox without responders:\n%s", before)
	}
	good := func() map[string]any {
		return map[string]any{"name": "Holidays", "message": "Away.", "time_zone": "Europe/Paris",
			"start": "2026-07-01", "end": "2026-07-15", "weekdays": []string{"saturday"}, "active": true}
	}
	for _, tc := range []struct {
		name        string
		edit        func(map[string]any)
		status      int
		code, field string
	}{
		{"end before start", func(b map[string]any) { b["end"] = "2026-06-01" }, 400, "invalid_field", "end"},
		{"unknown weekday", func(b map[string]any) { b["weekdays"] = []string{"someday"} }, 400, "invalid_field", "weekdays"},
		{"exclusion neither address nor domain", func(b map[string]any) { b["exclusions"] = []string{"partner.xyz"} }, 400, "invalid_field", "exclusions"},
		{"message over 64 KiB", func(b map[string]any) { b["message"] = strings.Repeat("x", 64<<10+1) }, 400, "invalid_field", "message"},
		{"html over 64 KiB", func(b map[string]any) { b["html"] = strings.Repeat("x", 64<<10+1) }, 400, "invalid_field", "html"},
		{"unverified from", func(b map[string]any) { b["from"] = "anna.private@example.org" }, 422, "unverified_from", "from"},
		{"from that is no address", func(b map[string]any) { b["from"] = "anna" }, 400, "invalid_field", "from"},
		{"unknown time zone", func(b map[string]any) { b["time_zone"] = "Europe/Atlantis" }, 400, "invalid_field", "time_zone"},
		{"no name", func(b map[string]any) { delete(b, "name") }, 400, "invalid_field", "name"},
		{"no message", func(b map[string]any) { delete(b, "message") }, 400, "invalid_field", "message"},
		{"two-line subject", func(b map[string]any) { b["subject"] = "a\nb" }, 400, "invalid_field", "subject"},
		{"unknown field", func(b map[string]any) { b["colour"] = "red" }, 400, "invalid_field", "colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := good()
			tc.edit(b)
			wantError(t, e.call(e.member, "POST", annaResponders, jsonBody(b)), tc.status, tc.code, tc.field)
			if rs := e.responders(annaResponders); len(rs) != 0 {
				t.Fatalf("a refused responder was stored: %v", rs)
			}
			if got := e.script("anna"); got != before {
				t.Fatalf("a refused responder changed the script:\n%s", got)
			}
		})
	}
	// The same rules on PATCH, which then leaves the responder as it was.
	id := e.must(e.call(e.member, "POST", annaResponders, jsonBody(good())), 201).json["id"].(string)
	script := e.script("anna")
	wantError(t, e.call(e.member, "PATCH", annaResponders+"/"+id, `{"end":"2020-01-01"}`), 400, "invalid_field", "end")
	wantError(t, e.call(e.member, "PATCH", annaResponders+"/"+id, `{"from":"x@example.org"}`), 422, "unverified_from", "from")
	if got := e.must(e.call(e.member, "GET", annaResponders+"/"+id, ""), 200).json; got["end"] != "2026-07-16T00:00:00" || got["from"] != "anna@domain.xyz" {
		t.Errorf("after refused PATCHes: %v", got)
	}
	if e.script("anna") != script {
		t.Error("a refused PATCH changed the script")
	}
}

var handleRe = regexp.MustCompile(`:handle "([^"]*)"`)

// TestResponderLifecycle: several saved, one active; the list says which
// and whether it answers now; every change rewrites the script.
func TestResponderLifecycle(t *testing.T) {
	e := newRespEnv(t)
	e.must(e.call(e.member, "POST", "/api/v1/mailboxes/anna@domain.xyz/aliases", `{"alias":"sales"}`), 201)
	today := time.Now().UTC()
	away := e.must(e.call(e.member, "POST", annaResponders, jsonBody(map[string]any{
		"name": "Away", "subject": "Out of office", "message": "I am away.", "time_zone": "UTC",
		"start": today.AddDate(0, 0, -1).Format(time.DateOnly), "end": today.AddDate(0, 0, 1).Format(time.DateOnly),
		"exclusions": []string{"boss@domain.xyz", "@partner.xyz"}, "active": true})), 201).json
	if away["active"] != true || away["answering"] != true || away["from"] != "anna@domain.xyz" || away["time_zone"] != "UTC" {
		t.Fatalf("created %v", away)
	}
	later := e.must(e.call(e.member, "POST", annaResponders, jsonBody(map[string]any{
		"name": "Later", "message": "Later.", "start": today.AddDate(0, 0, 10).Format(time.DateOnly)})), 201).json
	if later["active"] != false || later["answering"] != false {
		t.Fatalf("created %v", later)
	}
	s := e.script("anna")
	for _, want := range []string{`"I am away."`, `:subject "Out of office"`, `"sales@domain.xyz"`, `"anna@alias.tld"`, `"sales@alias.tld"`,
		`not envelope :all :is "from" "boss@domain.xyz"`, `not address :domain :is "from" "partner.xyz"`, ":days 7"} {
		if !strings.Contains(s, want) {
			t.Errorf("the script lacks %s:\n%s", want, s)
		}
	}
	// Activating the other deactivates the first, in the list and the
	// script; the list says which one is active.
	e.must(e.call(e.member, "POST", annaResponders+"/"+later["id"].(string)+"/activate", ""), 200)
	r := e.must(e.call(e.member, "GET", annaResponders, ""), 200).json
	if r["active"] != later["id"] {
		t.Errorf("active %v, want %v", r["active"], later["id"])
	}
	for _, x := range r["responders"].([]any) {
		x := x.(map[string]any)
		if wantActive := x["id"] == later["id"]; x["active"] != wantActive || x["answering"] != false {
			t.Errorf("responder %v: active %v answering %v", x["name"], x["active"], x["answering"])
		}
	}
	if s := e.script("anna"); !strings.Contains(s, `"Later."`) || strings.Contains(s, "I am away") {
		t.Errorf("the script does not follow the activation:\n%s", s)
	}
	// Back to the first; reset gives it a new handle, PATCH keeps it.
	e.must(e.call(e.member, "POST", annaResponders+"/"+away["id"].(string)+"/activate", ""), 200)
	h1 := handleRe.FindStringSubmatch(e.script("anna"))
	e.must(e.call(e.member, "PATCH", annaResponders+"/"+away["id"].(string), `{"message":"Away until Monday.","weekdays":["mon","tue","wed","thu","fri","sat","sun"]}`), 200)
	h2 := handleRe.FindStringSubmatch(e.script("anna"))
	e.must(e.call(e.member, "POST", annaResponders+"/"+away["id"].(string)+"/reset", ""), 200)
	h3 := handleRe.FindStringSubmatch(e.script("anna"))
	if h1 == nil || h2 == nil || h3 == nil || h1[1] != h2[1] || h2[1] == h3[1] {
		t.Errorf("handles %v %v %v: an edit keeps the handle, a reset changes it", h1, h2, h3)
	}
	if s := e.script("anna"); !strings.Contains(s, "Away until Monday.") || !strings.Contains(s, `"weekday" ["0", "1", "2", "3", "4", "5", "6"]`) {
		t.Errorf("the script does not follow the edit:\n%s", s)
	}
	// Deactivating leaves none active; deleting removes it.
	e.must(e.call(e.member, "POST", annaResponders+"/"+away["id"].(string)+"/deactivate", ""), 200)
	if !strings.Contains(e.script("anna"), "no responder is active") {
		t.Error("deactivating did not empty the script")
	}
	e.must(e.call(e.member, "DELETE", annaResponders+"/"+away["id"].(string), ""), 204)
	wantError(t, e.call(e.member, "GET", annaResponders+"/"+away["id"].(string), ""), 404, "not_found", "")
	if rs := e.responders(annaResponders); len(rs) != 1 {
		t.Errorf("%d responders left", len(rs))
	}
	// Deleting the mailbox removes its script.
	e.must(e.call(e.manager, "DELETE", "/api/v1/services/"+e.svc+"/mailboxes/anna", ""), 204)
	e.mailFiles()
	if _, err := os.Stat(filepath.Join(e.sieveDir, "domain.xyz", "anna.sieve")); !os.IsNotExist(err) {
		t.Errorf("the deleted mailbox's script is still there: %v", err)
	}
	e.script("bob")
}

// TestResponderRights: the user needs the responder right (403 naming
// the manager when it was taken), a manager reaches every mailbox of the
// service, anyone else finds nothing.
func TestResponderRights(t *testing.T) {
	e := newRespEnv(t)
	body := `{"name":"Away","message":"Away."}`
	e.must(e.call(e.member, "POST", annaResponders, body), 201)
	e.must(e.call(e.manager, "PATCH", "/api/v1/services/"+e.svc+"/mailboxes/anna/links/"+e.member.ID, `{"rights":["password","aliases"]}`), 200)
	for _, c := range []struct{ method, path string }{{"GET", annaResponders}, {"POST", annaResponders}} {
		r := e.call(e.member, c.method, c.path, body)
		wantError(t, r, 403, "right_removed", "")
		if !strings.Contains(r.body, "manager removed your right to change the responder") {
			t.Errorf("message %s", r.body)
		}
	}
	// The manager's path, for any mailbox of the service.
	managed := "/api/v1/services/" + e.svc + "/mailboxes/bob/responders"
	id := e.must(e.call(e.manager, "POST", managed, `{"name":"Bob away","message":"Away.","active":true}`), 201).json["id"].(string)
	e.must(e.call(e.manager, "POST", managed+"/"+id+"/deactivate", ""), 200)
	if n := len(e.must(e.call(e.manager, "GET", "/api/v1/services/"+e.svc+"/mailboxes/anna/responders", ""), 200).json["responders"].([]any)); n != 1 {
		t.Errorf("the manager sees %d of anna's responders", n)
	}
	// The member is no manager; bob's mailbox is not linked to them.
	wantError(t, e.call(e.member, "GET", managed, ""), 403, "not_manager", "")
	wantError(t, e.call(e.member, "GET", "/api/v1/mailboxes/bob@domain.xyz/responders", ""), 404, "not_found", "")
}

// TestSendingAddresses: another sending address needs the code mailed to
// it; the mailbox's own addresses never do.
func TestSendingAddresses(t *testing.T) {
	e := newRespEnv(t)
	e.must(e.call(e.member, "POST", "/api/v1/mailboxes/anna@domain.xyz/aliases", `{"alias":"sales"}`), 201)
	// Own addresses, at the alias domain too.
	for _, from := range []string{"sales@domain.xyz", "anna@alias.tld"} {
		r := e.must(e.call(e.member, "POST", annaResponders, `{"name":"Own","message":"x","from":"`+from+`"}`), 201)
		if r.json["from"] != from {
			t.Errorf("from %v", r.json["from"])
		}
	}
	const other = "anna.private@example.org"
	body := `{"name":"Private","message":"x","from":"` + other + `"}`
	wantError(t, e.call(e.member, "POST", annaResponders, body), 422, "unverified_from", "from")
	r := e.must(e.call(e.member, "POST", "/api/v1/account/senders", `{"address":"Anna.Private@Example.org"}`), 202)
	if r.json["address"] != other {
		t.Errorf("added %v", r.json)
	}
	mail := e.box.LastMail(t)
	code := regexp.MustCompile(`\n    ([A-Za-z0-9_-]{20,})\n`).FindStringSubmatch(mail.Text)
	if mail.To != other || code == nil {
		t.Fatalf("code mail to %s:\n%s", mail.To, mail.Text)
	}
	list := e.must(e.call(e.member, "GET", "/api/v1/account/senders", ""), 200).json["senders"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["verified"] != false {
		t.Errorf("senders %v", list)
	}
	// Still unverified: refused. A wrong code changes nothing.
	wantError(t, e.call(e.member, "POST", annaResponders, body), 422, "unverified_from", "from")
	wantError(t, e.call(e.member, "POST", "/api/v1/account/senders/"+other+"/confirm", `{"code":"wrong"}`), 400, "invalid_field", "code")
	// Another account cannot use the code.
	wantError(t, e.call(e.manager, "POST", "/api/v1/account/senders/"+other+"/confirm", `{"code":"`+code[1]+`"}`), 400, "invalid_field", "code")
	v := e.must(e.call(e.member, "POST", "/api/v1/account/senders/"+other+"/confirm", `{"code":"`+code[1]+`"}`), 200).json
	if v["verified"] != true {
		t.Errorf("confirmed %v", v)
	}
	wantError(t, e.call(e.member, "POST", "/api/v1/account/senders/"+other+"/confirm", `{"code":"`+code[1]+`"}`), 400, "invalid_field", "code")
	e.must(e.call(e.member, "POST", annaResponders, body), 201)
	// Verified for the member, not for the manager.
	wantError(t, e.call(e.manager, "POST", "/api/v1/services/"+e.svc+"/mailboxes/anna/responders", body), 422, "unverified_from", "from")
	e.must(e.call(e.member, "DELETE", "/api/v1/account/senders/"+other, ""), 204)
	wantError(t, e.call(e.member, "POST", annaResponders, body), 422, "unverified_from", "from")
	wantError(t, e.call(e.member, "POST", "/api/v1/account/senders", `{"address":"not an address"}`), 400, "invalid_field", "address")
}

// TestResponderTemplates: a manager's template copied into every mailbox
// or a list of them in one request, placeholders filled per mailbox,
// and into new mailboxes when it is the default.
func TestResponderTemplates(t *testing.T) {
	e := newRespEnv(t)
	tp := "/api/v1/services/" + e.svc + "/responder-templates"
	tpl := e.must(e.call(e.manager, "POST", tp, jsonBody(map[string]any{
		"name": "Closed for {name}", "subject": "{address} is closed", "message": "Dear sender, {name} is away.",
		"html": "<p>{name}</p>", "from": "{address}", "time_zone": "Europe/Paris", "weekdays": []string{"saturday", "sunday"}, "default": true,
	})), 201).json
	id := tpl["id"].(string)
	wantError(t, e.call(e.member, "POST", tp, `{"name":"x","message":"y"}`), 403, "not_manager", "")
	wantError(t, e.call(e.manager, "POST", tp, `{"name":"x","message":"y","from":"boss@example.org"}`), 422, "unverified_from", "from")
	wantError(t, e.call(e.manager, "POST", tp, `{"name":"x","message":"y","weekdays":["holiday"]}`), 400, "invalid_field", "weekdays")

	// A list with an unknown mailbox stores nothing.
	wantError(t, e.call(e.manager, "POST", tp+"/"+id+"/apply", `{"mailboxes":["anna","nobody"],"activate":true}`), 400, "invalid_field", "mailboxes")
	if n := len(e.responders(annaResponders)); n != 0 {
		t.Fatalf("a refused apply stored %d responders", n)
	}
	// bob@domain.xyz is nobody's login: {name} is the name of the
	// account linked to it.
	e.must(e.call(e.owner, "PATCH", "/api/v1/account", `{"display_name":"Bob Builder"}`), 200)
	e.must(e.call(e.manager, "POST", "/api/v1/services/"+e.svc+"/mailboxes/bob/links", `{"login":"owner@example.com"}`), 201)
	r := e.must(e.call(e.manager, "POST", tp+"/"+id+"/apply", `{"activate":true}`), 201).json
	if n := len(r["responders"].([]any)); n != 2 {
		t.Fatalf("applied to %d mailboxes, want anna and bob", n)
	}
	anna := e.responders(annaResponders)[0]
	if anna["name"] != "Closed for Anna Bell" || anna["subject"] != "anna@domain.xyz is closed" || anna["message"] != "Dear sender, Anna Bell is away." ||
		anna["from"] != "anna@domain.xyz" || anna["active"] != true || anna["template"] != id {
		t.Errorf("anna's copy %v", anna)
	}
	if s := e.script("bob"); !strings.Contains(s, `:from "bob@domain.xyz"`) || !strings.Contains(s, "Dear sender, Bob Builder is away.") {
		t.Errorf("bob's script:\n%s", s)
	}
	// Each copy is its own: editing the template changes none.
	e.must(e.call(e.manager, "PATCH", tp+"/"+id, `{"message":"Changed."}`), 200)
	if s := e.script("bob"); strings.Contains(s, "Changed.") {
		t.Error("editing the template changed a copy")
	}
	// A list by address, applied inactive, leaves the active one active.
	e.must(e.call(e.manager, "POST", tp+"/"+id+"/apply", `{"mailboxes":["anna@domain.xyz"]}`), 201)
	rs := e.responders(annaResponders)
	if len(rs) != 2 || rs[0]["active"] != true || rs[1]["active"] != false || rs[1]["message"] != "Changed." {
		t.Errorf("anna's responders %v", rs)
	}
	// A new mailbox gets an inactive copy of the default template.
	e.must(e.call(e.manager, "POST", "/api/v1/services/"+e.svc+"/mailboxes", `{"local_part":"carl","password":"mailbox pass 2026","password_confirm":"mailbox pass 2026"}`), 201)
	carl := e.must(e.call(e.manager, "GET", "/api/v1/services/"+e.svc+"/mailboxes/carl/responders", ""), 200).json["responders"].([]any)
	if len(carl) != 1 || carl[0].(map[string]any)["active"] != false || carl[0].(map[string]any)["name"] != "Closed for carl" {
		t.Errorf("carl's responders %v", carl)
	}
	if !strings.Contains(e.script("carl"), "no responder is active") {
		t.Error("carl's inactive copy answers")
	}
	e.must(e.call(e.manager, "DELETE", tp+"/"+id, ""), 204)
	if n := len(e.must(e.call(e.manager, "GET", tp, ""), 200).json["templates"].([]any)); n != 0 {
		t.Errorf("%d templates after delete", n)
	}
}
