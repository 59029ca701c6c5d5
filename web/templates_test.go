package web_test

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"almanac/server/servertest"
	"almanac/storage"
)

var templateLinkRe = regexp.MustCompile(`href="(/manage/services/svc1/templates/([^"/]+))"`)

// TestResponderTemplates: a manager writes a template, refused field by
// field with nothing stored, applies it to some mailboxes (none ticked
// is refused) and to all, activated, and deletes it after confirming;
// a member who does not manage the service reaches none of it.
func TestResponderTemplates(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com", func(a *storage.Account) { a.DisplayName = "Ann Example" })
	env.Account("bob@example.com")
	servertest.LinkedMailbox(t, env.Store, "ann@example.com")
	must(t, env.Store.CreateMailbox(t.Context(), &storage.Mailbox{Service: "svc1", LocalPart: "info", PasswordHash: servertest.PasswordHash(t), Created: time.Now()}))
	ctx := t.Context()
	tp := "/manage/services/svc1/templates"
	c := newClient(t, env).login("ann@example.com")
	c.get("/manage/services/svc1").want(http.StatusOK, `href="`+tp+`"`)
	c.get(tp).want(http.StatusOK, "No template yet.")
	c.get(tp+"/new").want(http.StatusOK, `<option value="{address}" selected>`, `name="default"`).lacks(`name="active"`)
	c.post(tp, "name", "Closed", "message", "", "from", "{address}").want(http.StatusBadRequest, `id="e-message"`)
	c.post(tp, "name", "Closed", "message", "x", "from", "else@where.example").want(http.StatusUnprocessableEntity, `id="e-from"`)
	if ts, _ := env.Store.ResponderTemplates(ctx, "svc1"); len(ts) != 0 {
		t.Fatal("a refused template was stored")
	}
	c.post(tp, "name", "Closed", "subject", "Closed for the holidays", "message", "Dear sender, {name} is away.", "from", "{address}", "default", "1").
		want(http.StatusOK, "The template is saved.", "Closed", "copied into every new mailbox")
	m := templateLinkRe.FindStringSubmatch(c.body)
	if m == nil {
		t.Fatalf("no template link:\n%s", c.body)
	}
	edit := m[1]
	c.get(edit).want(http.StatusOK, `value="Closed"`, `name="default" value="1" checked`)
	c.post(edit, "name", "Closed", "subject", "Closed", "message", "Dear sender, {name} is away.", "from", "{address}").want(http.StatusOK, "Saved.").lacks("copied into every new mailbox")

	c.get(edit+"/apply").want(http.StatusOK, "All 2 mailboxes", "ann@example.net", "info@example.net")
	c.post(edit+"/apply", "to", "some").want(http.StatusBadRequest, "name at least one mailbox")
	c.post(edit+"/apply", "to", "some", "mailboxes", "info@example.net").want(http.StatusOK, "The template is applied.")
	if rs, _ := env.Store.Responders(ctx, "svc1", "info"); len(rs) != 1 || rs[0].Active || rs[0].Text != "Dear sender, info is away." {
		t.Fatalf("info's copy: %+v", rs)
	}
	c.get(edit + "/apply")
	c.post(edit+"/apply", "to", "all", "activate", "1").want(http.StatusOK, "The template is applied.")
	rs, _ := env.Store.Responders(ctx, "svc1", "ann")
	if len(rs) != 1 || !rs[0].Active || rs[0].Text != "Dear sender, Ann Example is away." || rs[0].From != "" && rs[0].From != "ann@example.net" {
		t.Fatalf("ann's copy: %+v", rs)
	}
	c.get("/mail/ann@example.net/responders").want(http.StatusOK, "Active: answering now.")

	b := newClient(t, env).login("bob@example.com")
	for _, p := range []string{tp, tp + "/new", edit, edit + "/apply", edit + "/delete"} {
		if b.get(p); b.status != http.StatusNotFound && b.status != http.StatusForbidden {
			t.Errorf("bob GET %s: %d", p, b.status)
		}
	}
	b.get("/calendars")
	b.post(edit + "/delete").want(http.StatusNotFound)
	b.post(tp, "name", "Bob", "message", "Bob").want(http.StatusNotFound)
	if ts, _ := env.Store.ResponderTemplates(ctx, "svc1"); len(ts) != 1 {
		t.Fatal("bob changed the templates")
	}

	c.get(edit+"/delete").want(http.StatusOK, "Delete the template “Closed”?", "stay in their mailboxes")
	c.post(edit+"/delete").want(http.StatusOK, "The template is deleted.", "No template yet.")
	// Info got a copy from each application.
	if rs, _ := env.Store.Responders(ctx, "svc1", "info"); len(rs) != 2 {
		t.Fatal("deleting the template deleted its copies")
	}
}
