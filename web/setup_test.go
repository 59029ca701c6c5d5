package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"
)

// TestSetupPages: a mailbox's settings for apps, the profile downloaded
// as is and with a new app password made only by the form, and the
// account's; another account's mailbox answers like a missing one;
// without mail servers the page says so and offers no profile.
func TestSetupPages(t *testing.T) {
	env := servertest.New(t, func(c *server.Config) {
		c.ClientSetup.IMAP = storage.MailEndpoint{Host: "imap.example.net", Port: 993, Security: "tls"}
		c.ClientSetup.Submission = storage.MailEndpoint{Host: "smtp.example.net", Port: 587, Security: "starttls"}
	})
	ann := env.Account("ann@example.com")
	env.Account("bob@example.com")
	addr := servertest.LinkedMailbox(t, env.Store, "ann@example.com")
	c := newClient(t, env).login("ann@example.com")
	c.get("/mail/"+addr).want(http.StatusOK, `href="/mail/`+addr+`/setup"`)
	c.get("/mail/"+addr+"/setup").want(http.StatusOK, "imap.example.net", "993", "SSL/TLS", "smtp.example.net", "STARTTLS",
		"the mailbox password", `id="dav-url"`, `value="http://127.0.0.1`, `href="/mail/`+addr+`/setup/profile.mobileconfig"`)
	c.get("/mail/" + addr + "/setup/profile.mobileconfig")
	if c.status != http.StatusOK || !strings.Contains(c.header.Get("Content-Type"), "apple-aspen-config") ||
		!strings.Contains(c.header.Get("Content-Disposition"), addr+".mobileconfig") || !strings.Contains(c.body, "imap.example.net") {
		t.Fatalf("profile: %d %v\n%s", c.status, c.header, c.body)
	}
	c.lacks("<key>CalDAVPassword</key>")
	countAppPasswords := func() int {
		aps, err := env.Store.AppPasswords(context.Background(), ann.ID)
		must(t, err)
		return len(aps)
	}
	if n := countAppPasswords(); n != 0 {
		t.Fatalf("a GET made %d app passwords", n)
	}
	c.get("/mail/" + addr + "/setup")
	c.post("/mail/"+addr+"/setup/profile.mobileconfig", "app_password_name", "").want(http.StatusBadRequest, `id="e-app_password_name"`)
	c.post("/mail/"+addr+"/setup/profile.mobileconfig", "app_password_name", "Ann's iPad").want(http.StatusOK, "<key>CalDAVPassword</key>")
	if n := countAppPasswords(); n != 1 {
		t.Fatalf("%d app passwords after the form", n)
	}
	// A forged form makes none.
	c.post("/mail/"+addr+"/setup/profile.mobileconfig", "app_password_name", "x", "csrf", "forged").want(http.StatusForbidden)
	if n := countAppPasswords(); n != 1 {
		t.Fatal("a forged form made an app password")
	}
	c.get("/account").want(http.StatusOK, `href="/account/setup"`)
	c.get("/account/setup").want(http.StatusOK, "CalDAV", "ann@example.com").lacks("imap.example.net")

	b := newClient(t, env).login("bob@example.com")
	for _, p := range []string{"/mail/" + addr + "/setup", "/mail/" + addr + "/setup/profile.mobileconfig"} {
		b.get(p).want(http.StatusNotFound)
	}
	b.get("/account/setup")
	b.post("/mail/"+addr+"/setup/profile.mobileconfig", "app_password_name", "x").want(http.StatusNotFound)
}

func TestSetupWithoutMailServers(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	addr := servertest.LinkedMailbox(t, env.Store, "ann@example.com")
	c := newClient(t, env).login("ann@example.com")
	c.get("/mail/"+addr+"/setup").want(http.StatusOK, "not configured yet", "CalDAV").lacks("profile.mobileconfig")
	c.get("/mail/" + addr + "/setup/profile.mobileconfig").want(http.StatusConflict)
}
