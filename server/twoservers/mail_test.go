package twoservers

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almanac/server"
	"almanac/server/servertest"
)

// waitFile waits, within a generous bound, until the file at path
// satisfies ok, and returns its content.
func waitFile(t *testing.T, path string, ok func(string) bool, what string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && ok(string(b)) {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q, %v", what, b, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Server 0 writes the Dovecot passwd-file (its host runs Dovecot);
// server 1 takes a mailbox's creation. The file shows the mailbox soon
// after, without waiting for server 0's next start.
func TestMailFiles(t *testing.T) {
	passwd := filepath.Join(t.TempDir(), "passwd")
	p := newPair(t, func(i int, c *server.Config) {
		if i == 0 {
			c.DovecotPasswd = passwd
		}
	})
	p.run(0)
	waitFile(t, passwd, func(string) bool { return true }, "the first write at start")

	post := func(path, body string) string {
		t.Helper()
		rec := p.do(1, "POST", path, body, basic(p.jane.Login, servertest.Password)...)
		p.want(rec, http.StatusCreated, "POST "+path)
		var v struct{ ID string }
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	org := post("/api/v1/orgs", `{"name":"XYZ"}`)
	svc := post("/api/v1/orgs/"+org+"/services", `{"domain":"domain.xyz","plan":"standard"}`)
	post("/api/v1/services/"+svc+"/mailboxes", `{"local_part":"anna","password":"mailbox pass 2026","password_confirm":"mailbox pass 2026"}`)
	waitFile(t, passwd, func(s string) bool { return strings.Contains(s, "anna@domain.xyz:") }, "the mailbox made through server 1")
}
