package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"almanac/server/servertest"
	"almanac/storage"
)

func storedResponders(t *testing.T, env *servertest.Env) []storage.Responder {
	t.Helper()
	rs, err := env.Store.Responders(t.Context(), "svc1", "ann")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

var responderLinkRe = regexp.MustCompile(`href="(/mail/ann@example.net/responders/([^"/]+))"`)

// TestResponderEditor: a reply written, refused field by field with
// nothing stored, saved and activated, shown as answering, edited,
// turned off, reset and deleted, the last two confirmed.
func TestResponderEditor(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	addr := servertest.LinkedMailbox(t, env.Store, "ann@example.com")
	base := "/mail/" + addr + "/responders"
	c := newClient(t, env).login("ann@example.com")
	c.get("/mail/"+addr).want(http.StatusOK, `href="`+base+`"`)
	c.get(base).want(http.StatusOK, "No reply saved yet.", `href="`+base+`/new"`)
	c.get(base+"/new").want(http.StatusOK, `id="f-name"`, `id="f-message"`, `<option value="ann@example.net" selected>ann@example.net</option>`)

	start := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")
	end := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04")
	good := []string{"name", "Holidays", "subject", "Away", "message", "I am away.\r\nBack soon.", "time_zone", "UTC",
		"start", start, "end", end, "from", addr, "exclusions", "boss@example.com\r\n@lists.example", "active", "1"}
	with := func(kv ...string) []string {
		out := append([]string(nil), good...)
	next:
		for i := 0; i+1 < len(kv); i += 2 {
			for j := 0; j+1 < len(out); j += 2 {
				if out[j] == kv[i] {
					out[j+1] = kv[i+1]
					continue next
				}
			}
			out = append(out, kv[i], kv[i+1])
		}
		return out
	}
	for _, tc := range []struct {
		field  string
		status int
		kv     []string
	}{
		{"name", http.StatusBadRequest, []string{"name", " "}},
		{"message", http.StatusBadRequest, []string{"message", ""}},
		{"subject", http.StatusBadRequest, []string{"subject", strings.Repeat("s", 201)}},
		{"time_zone", http.StatusBadRequest, []string{"time_zone", "Mars/Olympus"}},
		{"start", http.StatusBadRequest, []string{"start", "next tuesday"}},
		{"end", http.StatusBadRequest, []string{"end", start, "start", end}},
		{"exclusions", http.StatusBadRequest, []string{"exclusions", "not an address"}},
		{"from", http.StatusUnprocessableEntity, []string{"from", "someone@elsewhere.example"}},
	} {
		c.get(base + "/new")
		c.post(base, with(tc.kv...)...).want(tc.status, `id="e-`+tc.field+`"`, `aria-invalid="true"`)
		if len(storedResponders(t, env)) != 0 {
			t.Fatalf("a reply refused for its %s was stored", tc.field)
		}
	}
	// What was typed comes back with the error.
	c.get(base + "/new")
	c.post(base, with("name", "")...).want(http.StatusBadRequest, "Back soon.</textarea>", "@lists.example</textarea>")

	c.get(base + "/new")
	c.post(base, good...).want(http.StatusOK, "The reply is saved.", "Holidays", "Active: answering now.", "boss@example.com, @lists.example")
	rs := storedResponders(t, env)
	if len(rs) != 1 || !rs[0].Active || rs[0].Text != "I am away.\nBack soon." || len(rs[0].Exclusions) != 2 {
		t.Fatalf("stored: %+v", rs)
	}
	m := responderLinkRe.FindStringSubmatch(c.body)
	if m == nil {
		t.Fatalf("no edit link:\n%s", c.body)
	}
	edit := m[1]

	// Editing shows what is saved; weekdays limit it.
	c.get(edit).want(http.StatusOK, `value="Holidays"`, `value="`+start+`"`, "boss@example.com\n@lists.example</textarea>")
	c.post(edit, with("name", "Holidays 2", "weekdays", "monday")...).want(http.StatusOK, "Saved.", "Holidays 2", "on Monday")
	c.get(edit).want(http.StatusOK, `value="monday" checked`)
	// Weekdays all unticked: every day again.
	c.post(edit, good...).want(http.StatusOK, "Saved.").lacks("on Monday")
	if rs := storedResponders(t, env); len(rs[0].Weekdays) != 0 || rs[0].Name != "Holidays" {
		t.Fatalf("after the edit: %+v", rs[0])
	}

	c.post(edit+"/deactivate").want(http.StatusOK, "The reply is off.", "Off.")
	if storedResponders(t, env)[0].Active {
		t.Fatal("still active")
	}
	c.post(edit+"/activate").want(http.StatusOK, "The reply is active.")
	handle := storedResponders(t, env)[0].Handle
	c.get(edit+"/reset").want(http.StatusOK, "Answer everyone again with “Holidays”?", "7 days")
	c.post(edit+"/reset").want(http.StatusOK, "Everyone will be answered again.")
	if storedResponders(t, env)[0].Handle == handle {
		t.Fatal("the reset kept the handle")
	}
	c.get(edit+"/delete").want(http.StatusOK, "Delete the reply “Holidays”?", "It is active")
	if len(storedResponders(t, env)) != 1 {
		t.Fatal("the confirmation page deleted")
	}
	c.post(edit+"/delete").want(http.StatusOK, "The reply is deleted.", "No reply saved yet.")
	if len(storedResponders(t, env)) != 0 {
		t.Fatal("not deleted")
	}
	c.get(edit).want(http.StatusNotFound)
}

var codeRe = regexp.MustCompile(`(?m)^    (\S+)$`)

// TestSendingAddresses: an address added gets a mailed code; a wrong
// code is refused next to its field; the right one makes the address
// one the editor offers; removing it is confirmed.
func TestSendingAddresses(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	addr := servertest.LinkedMailbox(t, env.Store, "ann@example.com")
	base := "/mail/" + addr + "/responders"
	c := newClient(t, env).login("ann@example.com")
	c.get(base)
	c.post(base+"/senders", "address", "not an address").want(http.StatusBadRequest, `id="e-address"`)
	c.post(base+"/senders", "address", "Ann@Home.example").want(http.StatusOK, "A code is on its way", "ann@home.example · waiting for its code", `id="f-code"`)
	mail := env.Post.LastMail(t)
	if mail.To != "ann@home.example" {
		t.Fatalf("code mailed to %s", mail.To)
	}
	code := codeRe.FindStringSubmatch(mail.Text)
	if code == nil {
		t.Fatalf("no code in %q", mail.Text)
	}
	c.get(base + "/new").lacks(`<option value="ann@home.example">ann@home.example</option>`)
	c.get(base)
	c.post(base+"/senders/confirm", "sender", "ann@home.example", "code", "wrong-code").want(http.StatusBadRequest, `id="e-code"`)
	c.post(base+"/senders/confirm", "sender", "ann@home.example", "code", code[1]).want(http.StatusOK, "The address is confirmed.", "ann@home.example · confirmed")
	c.get(base+"/new").want(http.StatusOK, `<option value="ann@home.example">ann@home.example</option>`)
	c.post(base, "name", "Away", "message", "Away.", "from", "ann@home.example").want(http.StatusOK, "The reply is saved.")
	if rs := storedResponders(t, env); len(rs) != 1 || rs[0].From != "ann@home.example" {
		t.Fatalf("stored: %+v", rs)
	}
	c.get(base+"/senders/ann@home.example/remove").want(http.StatusOK, "Remove ann@home.example?")
	c.post(base+"/senders/ann@home.example/remove").want(http.StatusOK, "The address is removed.").lacks("ann@home.example · confirmed")
}

// TestRespondersOfOthers: another account's mailbox answers like a
// missing one and a form aimed at it stores nothing; a user whose
// responder right was taken is told so; the manager reaches the same
// pages through the service.
func TestRespondersOfOthers(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	env.Account("bob@example.com")
	addr := servertest.LinkedMailbox(t, env.Store, "ann@example.com")
	base := "/mail/" + addr + "/responders"
	a := newClient(t, env).login("ann@example.com")
	a.get(base + "/new")
	a.post(base, "name", "Away", "message", "Away.").want(http.StatusOK, "The reply is saved.")
	lm := responderLinkRe.FindStringSubmatch(a.body)
	edit, id := lm[1], lm[2]

	b := newClient(t, env).login("bob@example.com")
	b.get("/mail/nobody@example.net/responders").want(http.StatusNotFound)
	missing := strings.ReplaceAll(b.body, "nobody@example.net", "")
	for _, p := range []string{base, base + "/new", edit, edit + "/delete", edit + "/reset", base + "/senders/x@example.org/remove",
		"/manage/services/svc1/mailboxes/ann/responders"} {
		b.get(p)
		if b.status != http.StatusNotFound {
			t.Errorf("bob GET %s: %d", p, b.status)
		}
	}
	b.get(base)
	if strings.ReplaceAll(b.body, addr, "") != missing {
		t.Error("another account's mailbox and a missing one answer differently")
	}
	b.get("/calendars")
	for _, p := range []string{base, edit, edit + "/delete", edit + "/deactivate", base + "/senders"} {
		b.post(p, "name", "Bob's", "message", "Bob's.", "address", "bob@home.example").want(http.StatusNotFound)
	}
	if rs := storedResponders(t, env); len(rs) != 1 || rs[0].Name != "Away" {
		t.Fatalf("bob changed ann's replies: %+v", rs)
	}
	if len(env.Post.Mail()) != 0 {
		t.Fatal("bob's sending address was mailed a code")
	}

	// The manager (Ann owns the organization) edits through the service.
	mgr := "/manage/services/svc1/mailboxes/ann/responders"
	a.get("/manage/services/svc1").want(http.StatusOK, `href="`+mgr+`"`)
	a.get(mgr).want(http.StatusOK, "Away", "Back to the mail service")
	a.post(mgr+"/"+id+"/activate").want(http.StatusOK, "The reply is active.", "Active: answering now.")

	// The right taken away: the page says so, naming who took it.
	must(t, env.Store.PutMailboxLink(t.Context(), &storage.MailboxLink{Service: "svc1", LocalPart: "ann", Account: servertest.AccountID(t, env.Store, "ann@example.com"), Rights: []string{storage.RightPassword}}))
	a.get(base).want(http.StatusForbidden, "manager")
	a.get("/mail/" + addr).want(http.StatusOK).lacks(`href="` + base + `"`)
}
