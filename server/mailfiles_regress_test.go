package server_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almanac/server"
	"almanac/server/servertest"
)

// readyz is /readyz's status and checks.
func readyz(t *testing.T, e *servertest.Env) (int, map[string]string, string) {
	t.Helper()
	rec := e.Do("GET", "/readyz", "", "")
	var body struct {
		Status string
		Checks map[string]string
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("/readyz: %d %s", rec.Code, rec.Body)
	}
	return rec.Code, body.Checks, rec.Body.String()
}

// Issue 14: a mailbox created while the Dovecot file's directory was
// missing answered 201 and nothing was ever written, nor tried again,
// with nothing but a log line to show. The change is stored and answered
// as such; the file is behind, which /readyz, the metrics and the log
// say until a write succeeds.
func TestMailFilesFailureShowsAndRecovers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dovecot")
	passwd := filepath.Join(dir, "passwd")
	e := servertest.New(t, func(c *server.Config) { c.DovecotPasswd = passwd })
	e.Account("owner@example.com")
	post := func(path, body string) map[string]any {
		t.Helper()
		rec := e.Do("POST", path, "owner@example.com", body)
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); rec.Code != http.StatusCreated || err != nil {
			t.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
		}
		return v
	}
	org := post("/api/v1/orgs", `{"name":"XYZ"}`)["id"].(string)
	svc := post("/api/v1/orgs/"+org+"/services", `{"domain":"domain.xyz","plan":"standard"}`)["id"].(string)
	post("/api/v1/services/"+svc+"/mailboxes", `{"local_part":"anna","password":"mailbox pass 2026","password_confirm":"mailbox pass 2026"}`)

	if code, checks, _ := readyz(t, e); code != http.StatusOK || checks["mail-export"] != "ok" {
		t.Errorf("/readyz before the first write: %d %v", code, checks)
	}
	if err := e.Server.MailFiles().Flush(t.Context()); err == nil {
		t.Fatal("wrote into a missing directory")
	}
	code, checks, body := readyz(t, e)
	if code != http.StatusServiceUnavailable || checks["mail-export"] != "failing" || checks["database"] != "ok" {
		t.Errorf("/readyz with the file behind: %d %v", code, checks)
	}
	if strings.Contains(body, dir) {
		t.Errorf("/readyz shows internal error text: %s", body)
	}
	if rec := e.Do("GET", "/healthz", "", ""); rec.Code != http.StatusOK {
		t.Errorf("/healthz (liveness) with the file behind: %d", rec.Code)
	}
	if logs := e.Logs.String(); !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, passwd) {
		t.Errorf("the failure is not logged:\n%s", logs)
	}
	if n := e.Scrape().Value("almanac_mail_exports_total", "result", "error"); n != 1 {
		t.Errorf("%v failed exports counted, want 1", n)
	}

	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := e.Server.MailFiles().Flush(t.Context()); err != nil {
		t.Fatalf("write after the directory appeared: %v", err)
	}
	if code, checks, _ := readyz(t, e); code != http.StatusOK || checks["mail-export"] != "ok" {
		t.Errorf("/readyz after the write: %d %v", code, checks)
	}
	if n := e.Scrape().Value("almanac_mail_exports_total", "result", "ok"); n != 1 {
		t.Errorf("%v successful exports counted, want 1", n)
	}
	data, err := os.ReadFile(passwd)
	if err != nil || !strings.Contains(string(data), "anna@domain.xyz:{ARGON2ID}$argon2id$") {
		t.Errorf("passwd-file: %q, %v", data, err)
	}
}
