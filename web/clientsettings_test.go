package web_test

import (
	"net/http"
	"testing"

	"almanac/server/servertest"
	"almanac/storage"
)

// TestClientSettingsPage: the owner names the service's own mail
// servers, refused field by field; a manager sees them and may not
// change them; anyone else gets a 404; the users' setup page follows.
func TestClientSettingsPage(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	bob := env.Account("bob@example.com")
	env.Account("eve@example.com")
	addr := servertest.LinkedMailbox(t, env.Store, "ann@example.com")
	must(t, env.Store.PutMember(t.Context(), storage.Member{Org: "org1", Account: bob.ID, Role: storage.RoleManager}))
	page := "/manage/services/svc1/client-settings"
	a := newClient(t, env).login("ann@example.com")
	a.get("/manage/services/svc1").want(http.StatusOK, `href="`+page+`"`)
	a.get(page).want(http.StatusOK, "not set")
	a.post(page, "imap.host", "bad host!", "imap.port", "993", "imap.security", "tls").want(http.StatusBadRequest, `id="e-imap.host"`)
	a.post(page, "imap.host", "imap.example.net", "imap.port", "abc", "imap.security", "tls").want(http.StatusBadRequest, `id="e-imap.port"`)
	a.post(page, "imap.host", "imap.example.net", "imap.port", "993", "imap.security", "rot13").want(http.StatusBadRequest, `id="e-imap.security"`)
	if s, _ := env.Store.MailService(t.Context(), "svc1"); s.IMAP.Host != "" {
		t.Fatal("a refused form was stored")
	}
	a.post(page, "imap.host", "imap.example.net", "imap.port", "993", "imap.security", "tls",
		"submission.host", "smtp.example.net", "submission.port", "", "submission.security", "starttls").want(http.StatusOK, "Saved.", "imap.example.net:993", "smtp.example.net")
	a.get("/mail/"+addr+"/setup").want(http.StatusOK, "imap.example.net", "smtp.example.net").lacks("not configured yet")

	b := newClient(t, env).login("bob@example.com")
	b.get(page).want(http.StatusOK, "imap.example.net")
	b.post(page, "imap.host", "", "submission.host", "").want(http.StatusForbidden, "owner")
	if s, _ := env.Store.MailService(t.Context(), "svc1"); s.IMAP.Host != "imap.example.net" {
		t.Fatal("a manager changed the servers")
	}
	e := newClient(t, env).login("eve@example.com")
	e.get(page).want(http.StatusNotFound)
	e.get("/calendars")
	e.post(page, "imap.host", "").want(http.StatusNotFound)
}
