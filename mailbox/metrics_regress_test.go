package mailbox_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"almanac/server"
	"almanac/server/servertest"
)

// TestExportResultsInMetrics: every export of the mail server files is
// counted in the metrics by its result, so that a directory that went
// missing shows there and not only in the log.
func TestExportResultsInMetrics(t *testing.T) {
	for _, tc := range []struct {
		name      string
		dir       func(t *testing.T) string
		ok, error float64
	}{
		{"written", func(t *testing.T) string { return t.TempDir() }, 1, 0},
		{"directory missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "missing") }, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir(t)
			env := servertest.New(t, func(c *server.Config) {
				c.DovecotPasswd, c.PostfixVirtual = filepath.Join(dir, "passwd"), filepath.Join(dir, "virtual")
			})
			owner := env.Account("owner@example.com")
			rec := env.Do("POST", "/api/v1/orgs", owner.Login, `{"name":"Example"}`)
			var org struct{ ID string }
			if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &org) != nil {
				t.Fatalf("create org: %d %s", rec.Code, rec.Body)
			}
			if m := env.Scrape(); m.Value("almanac_mail_exports_total") != 0 {
				t.Fatalf("an organization alone exported: %v", m.Series("almanac_mail_exports_total"))
			}
			env.Do("POST", "/api/v1/orgs/"+org.ID+"/services", owner.Login, `{"domain":"example.net","plan":"standard"}`)
			// The server's Run writes the files shortly after; here, now.
			env.Server.MailFiles().Flush(t.Context())
			m := env.Scrape()
			if ok, failed := m.Value("almanac_mail_exports_total", "result", "ok"), m.Value("almanac_mail_exports_total", "result", "error"); ok != tc.ok || failed != tc.error {
				t.Errorf("exports: %v ok, %v error; want %v and %v", ok, failed, tc.ok, tc.error)
			}
			if logged := strings.Contains(env.Logs.String(), "cannot write the mail server files"); logged != (tc.error > 0) {
				t.Errorf("failure logged: %v\n%s", logged, env.Logs)
			}
		})
	}
}
