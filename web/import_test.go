package web_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"almanac/server/servertest"
	"almanac/storage"
)

// upload posts a multipart form as a browser does for a file input,
// with the CSRF token of the page last fetched.
func (c *client) upload(path, filename, content string, kv ...string) *client {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if !slices.Contains(kv, "csrf") {
		mw.WriteField("csrf", c.csrf())
	}
	for i := 0; i+1 < len(kv); i += 2 {
		mw.WriteField(kv[i], kv[i+1])
	}
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write([]byte(content))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func vevent(uid, summary string) string {
	return "BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270105T090000Z\r\nDTEND:20270105T100000Z\r\nSUMMARY:" + summary + "\r\nEND:VEVENT\r\n"
}

func icsFile(events ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + strings.Join(events, "") + "END:VCALENDAR\r\n"
}

func count(t *testing.T, env *servertest.Env, owner, coll string) int {
	t.Helper()
	n := 0
	must(t, env.Store.List(t.Context(), owner, coll, func(*storage.ObjectMeta) error { n++; return nil }))
	return n
}

var tokenRe = regexp.MustCompile(`name="token" value="([^"]+)"`)

// TestImportPages: a file is previewed (nothing written), then imported
// as previewed without being chosen again; a file with a refused event
// imports nothing until the others are chosen on purpose; errors are
// shown next to the file; a file larger than a form's cap goes through.
func TestImportPages(t *testing.T) {
	env := servertest.New(t)
	ann := env.Account("ann@example.com")
	c := newClient(t, env).login("ann@example.com")
	c.get("/calendars/default").want(http.StatusOK, `href="/calendars/default/import"`)
	c.get("/calendars/default/import").want(http.StatusOK, `enctype="multipart/form-data"`, `id="f-file"`, `accept=".ics,text/calendar"`)
	c.upload("/calendars/default/import", "", "").want(http.StatusBadRequest, `id="e-file"`)
	c.upload("/calendars/default/import", "x.ics", "hello").want(http.StatusBadRequest, `id="e-file"`, "not")
	c.get("/calendars/default/import")
	c.upload("/calendars/default/import", "", "", "url", "ftp://example.com/x.ics").want(http.StatusBadRequest, `id="e-url"`)

	file := icsFile(vevent("a@test", "Kick-off"), vevent("b@test", "Review"))
	c.get("/calendars/default/import")
	c.upload("/calendars/default/import", "team.ics", file).want(http.StatusOK, "What the import would do", "2 new, 0 updated", "a@test", "b@test")
	if n := count(t, env, ann.ID, "default"); n != 0 {
		t.Fatalf("the preview wrote %d objects", n)
	}
	tok := tokenRe.FindStringSubmatch(c.body)
	if tok == nil {
		t.Fatalf("no token in the preview:\n%s", c.body)
	}
	c.post("/calendars/default/import/confirm", "token", tok[1]).want(http.StatusOK, "Imported: 2 new, 0 updated, 0 unchanged.")
	if n := count(t, env, ann.ID, "default"); n != 2 {
		t.Fatalf("imported %d objects, want 2", n)
	}
	// The token is used up.
	c.post("/calendars/default/import/confirm", "token", tok[1]).want(http.StatusConflict, "no longer held")

	// Again with a third event and one refused (no DTSTART).
	bad := "BEGIN:VEVENT\r\nUID:bad@test\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Broken\r\nEND:VEVENT\r\n"
	c.get("/calendars/default/import")
	c.upload("/calendars/default/import", "team.ics", icsFile(vevent("a@test", "Kick-off"), vevent("c@test", "Party"), bad)).
		want(http.StatusOK, "1 new, 0 updated, 1 unchanged, 1 refused", "bad@test", `name="skip_refused"`)
	tok = tokenRe.FindStringSubmatch(c.body)
	c.post("/calendars/default/import/confirm", "token", tok[1]).want(http.StatusUnprocessableEntity, "nothing was imported", `name="token"`)
	if n := count(t, env, ann.ID, "default"); n != 2 {
		t.Fatalf("a refused file wrote: %d objects", n)
	}
	tok = tokenRe.FindStringSubmatch(c.body)
	c.post("/calendars/default/import/confirm", "token", tok[1], "skip_refused", "1").want(http.StatusOK, "Imported: 1 new, 0 updated, 1 unchanged.")
	if n := count(t, env, ann.ID, "default"); n != 3 {
		t.Fatalf("after skipping the refused: %d objects, want 3", n)
	}

	// Larger than the server's cap on a form (64 KiB).
	var many []string
	for i := range 400 {
		many = append(many, vevent(fmt.Sprintf("m%03d@test", i), strings.Repeat("Long summary ", 20)))
	}
	big := icsFile(many...)
	if len(big) < 128<<10 {
		t.Fatalf("the big file has %d bytes", len(big))
	}
	c.get("/calendars/default/import")
	c.upload("/calendars/default/import", "big.ics", big).want(http.StatusOK, "400 new")

	// An address book takes vCards.
	c.get("/calendars/contacts/import").want(http.StatusOK, `accept=".vcf,.vcard,text/vcard"`)
	c.upload("/calendars/contacts/import", "c.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:z@test\r\nFN:Zoe\r\nN:;Zoe;;;\r\nEND:VCARD\r\n").want(http.StatusOK, "1 new")
	tok = tokenRe.FindStringSubmatch(c.body)
	c.post("/calendars/contacts/import/confirm", "token", tok[1]).want(http.StatusOK, "Imported: 1 new")
	if n := count(t, env, ann.ID, "contacts"); n != 1 {
		t.Fatalf("contacts: %d", n)
	}
}

// TestImportOthers: another account's calendar answers like a missing
// one, and a preview's token is its session's only.
func TestImportOthers(t *testing.T) {
	env := servertest.New(t)
	ann := env.Account("ann@example.com")
	env.Account("bob@example.com")
	a := newClient(t, env).login("ann@example.com")
	a.post("/calendars", "displayname", "Team", "kind", "calendar")
	a.get("/calendars/team/import")
	a.upload("/calendars/team/import", "t.ics", icsFile(vevent("a@test", "Kick-off"))).want(http.StatusOK, "1 new")
	tok := tokenRe.FindStringSubmatch(a.body)[1]

	b := newClient(t, env).login("bob@example.com")
	b.get("/calendars/team/import").want(http.StatusNotFound)
	b.get("/calendars")
	b.upload("/calendars/team/import", "t.ics", icsFile(vevent("x@test", "Bob's"))).want(http.StatusNotFound)
	b.post("/calendars/team/import/confirm", "token", tok).want(http.StatusNotFound)
	// Bob's own default calendar with Ann's token: not his preview.
	b.post("/calendars/default/import/confirm", "token", tok).want(http.StatusConflict)
	if n := count(t, env, ann.ID, "team"); n != 0 {
		t.Fatalf("ann's calendar got %d objects", n)
	}
	// Without the CSRF token nothing is read.
	a.get("/calendars")
	a.upload("/calendars/team/import", "t.ics", icsFile(vevent("a@test", "x")), "csrf", "forged")
	if a.status != http.StatusForbidden {
		t.Fatalf("forged upload: %d", a.status)
	}
}
