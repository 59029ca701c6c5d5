// Package e2e drives the web pages in headless Chromium: the stories of
// issue 18, screenshots of each page and axe-core on each. Without
// chromium it skips (fails under ALMANAC_INTEROP=1, as internal/tooltest
// rules).
package e2e_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"almanac/auth"
	aical "almanac/internal/ical"
	"almanac/internal/tooltest"
	"almanac/mailbox"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"
)

// axeVersion is the axe-core release the accessibility check runs,
// fetched from the npm registry once into the user's cache directory:
// half a megabyte of minified code that is no part of the server.
const axeVersion = "4.10.3"

// axeSource returns axe.min.js, fetching it with npm when not cached.
func axeSource(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "almanac-test", "axe-core-"+axeVersion)
	path := filepath.Join(dir, "package", "axe.min.js")
	if b, err := os.ReadFile(path); err == nil {
		return string(b)
	}
	npm := tooltest.Require(t, "npm", "npm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(npm, "pack", "--silent", "--pack-destination", dir, "axe-core@"+axeVersion).CombinedOutput()
	if err != nil {
		tooltest.Missing(t, "axe-core (npm pack failed: "+strings.TrimSpace(string(out))+")", "npm")
	}
	tgz := filepath.Join(dir, strings.TrimSpace(lastLine(string(out))))
	if out, err := exec.Command("tar", "-xzf", tgz, "-C", dir, "package/axe.min.js", "package/LICENSE").CombinedOutput(); err != nil {
		t.Fatalf("unpack axe-core: %v: %s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func lastLine(s string) string {
	var last string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			last = l
		}
	}
	return last
}

// shotDir is where the screenshots go: ALMANAC_SCREENSHOTS, else a
// directory in the system's temporary directory, named in the log.
func shotDir(t *testing.T) string {
	dir := os.Getenv("ALMANAC_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "almanac-web-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tab is one browser's tab with the checks every page gets.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	axe  string
	dir  string
}

func (b *tab) run(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// value runs one action that answers something.
func value[T any](b *tab, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// page checks the page the tab shows: a screenshot named name, and no
// serious or critical accessibility violation.
func (b *tab) page(name string) {
	b.t.Helper()
	png := value(b, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.run(chromedp.Evaluate[chromedp.Void](b.axe))
	res := value(b, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html)}))))`,
		chromedp.EvalAwaitPromise))
	if res != "[]" {
		b.t.Errorf("axe on %s: %s", name, res)
	}
}

func (b *tab) url() string {
	return strings.TrimPrefix(value(b, chromedp.Location()), b.base)
}

func TestBrowserStories(t *testing.T) {
	chrome := tooltest.Require(t, "chromium", "chromium")
	axe := axeSource(t)
	dir := shotDir(t)
	t.Logf("screenshots in %s", dir)

	passwd := filepath.Join(t.TempDir(), "passwd")
	sieveDir := t.TempDir()
	env := servertest.New(t, func(c *server.Config) {
		c.DovecotPasswd, c.SieveDir = passwd, sieveDir
		c.ClientSetup.IMAP = storage.MailEndpoint{Host: "imap.example.net", Port: 993, Security: "tls"}
		c.ClientSetup.Submission = storage.MailEndpoint{Host: "smtp.example.net", Port: 465, Security: "tls"}
	})
	base := env.Start()
	secret := auth.NewTOTPSecret()
	env.Account("ann@example.com", func(a *storage.Account) { a.DisplayName = "Ann"; a.TOTPSecret, a.TOTPEnabled = secret, true })
	env.Account("bob@example.com")

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.Flag("headless", "new"), chromedp.WindowSize(1100, 900))
	alloc, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	annCtx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	// The first run starts the browser, which lives as long as the
	// context of that run: no timeout on it.
	must(t, chromedp.Do(annCtx))
	ann := &tab{t: t, ctx: annCtx, base: base, axe: axe, dir: dir}

	// Sign in with a TOTP code.
	ann.run(chromedp.Navigate(base + "/"))
	ann.page("login")
	ann.run(chromedp.SendKeys(chromedp.CSS("#f-login"), "ann@example.com"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), servertest.Password),
		chromedp.Click(chromedp.CSS("button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#f-otp")))
	ann.page("login-otp")
	ann.run(chromedp.SendKeys(chromedp.CSS("#f-password"), servertest.Password),
		chromedp.SendKeys(chromedp.CSS("#f-otp"), auth.TOTPCode(secret, time.Now())),
		chromedp.Click(chromedp.CSS("main button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#own-h")))
	if u := ann.url(); u != "/calendars" {
		t.Fatalf("after login at %s", u)
	}
	ann.page("calendars")

	// Create a calendar.
	ann.run(chromedp.SendKeys(chromedp.CSS("#f-displayname"), "Team"),
		chromedp.Click(chromedp.CSS("#new-h + form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#links-h")))
	if u := ann.url(); !strings.HasPrefix(u, "/calendars/team") {
		t.Fatalf("after creating a calendar at %s", u)
	}
	ann.page("calendar")
	if _, err := env.Store.Collection(t.Context(), servertest.AccountID(t, env.Store, "ann@example.com"), "team"); err != nil {
		t.Fatalf("the calendar is not stored: %v", err)
	}

	for i, ev := range []struct {
		summary, where string
		days, hour     int
	}{{"Team meeting", "Room 4", 1, 9}, {"Release review", "", 2, 14}, {"Lunch with the Lyon office", "Café du Parc", 5, 12}} {
		putEvent(t, env, "ann@example.com", "team", fmt.Sprintf("ev%d", i), ev.summary, ev.where, ev.days, ev.hour)
	}

	// Publish it, copy the URL with the button and fetch what was copied.
	ann.run(chromedp.SendKeys(chromedp.CSS("#f-label"), "Website"),
		chromedp.Click(chromedp.CSS(`form[action$="/links"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#feed-url")))
	ann.page("link")
	// The clipboard is the page's: what the button writes is caught
	// where the system clipboard would take it.
	ann.run(chromedp.Evaluate[chromedp.Void](`navigator.clipboard.writeText = t => { window.copied = t; return Promise.resolve(); }`),
		chromedp.Click(chromedp.CSS(`button[data-copy="feed-url"]`)))
	copied := value(ann, chromedp.Evaluate[string](`window.copied`))
	if !strings.HasPrefix(copied, base+"/ics/") {
		t.Fatalf("copied %q", copied)
	}
	if status, ct := fetch(t, copied); status != http.StatusOK || !strings.HasPrefix(ct, "text/calendar") {
		t.Fatalf("GET copied URL: %d %s", status, ct)
	}
	linkPage := ann.url()
	ann.run(chromedp.Navigate(strings.TrimSuffix(copied, ".ics") + ".html"))
	if text := value(ann, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(text, "Lunch with the Lyon office") {
		t.Fatalf("agenda page: %q", text)
	}
	ann.page("agenda")
	// On a phone: nothing wider than the screen.
	ann.run(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	if w := value(ann, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
		t.Errorf("agenda on a phone is %d px wide", w)
	}
	ann.page("agenda-phone")
	ann.run(chromedp.Navigate(base + "/calendars"))
	if w := value(ann, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
		t.Errorf("calendars on a phone are %d px wide", w)
	}
	ann.page("calendars-phone")
	ann.run(chromedp.EmulateViewport(1100, 900))

	// Share it with Bob, who sees it as "Team (ann@example.com)".
	ann.run(chromedp.Navigate(base+"/calendars/team"), chromedp.SendKeys(chromedp.CSS(`form[action$="/shares"] #f-login`), "bob@example.com"),
		chromedp.Click(chromedp.CSS(`form[action$="/shares"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	bobCtx, cancelBob := chromedp.NewContext(alloc)
	defer cancelBob()
	must(t, chromedp.Do(bobCtx))
	bob := &tab{t: t, ctx: bobCtx, base: base, axe: axe, dir: dir}
	bob.run(chromedp.Navigate(base+"/login"), chromedp.SendKeys(chromedp.CSS("#f-login"), "bob@example.com"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), servertest.Password),
		chromedp.Click(chromedp.CSS("main button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#recv-h")))
	received := value(bob, chromedp.Text(chromedp.CSS("#recv-h + ul")))
	if !strings.Contains(received, "Team (ann@example.com)") {
		t.Fatalf("Bob's shared calendars: %q", received)
	}
	bob.page("calendars-shared")

	// Bob turns on two-factor authentication: the enrolment page with its
	// QR code, a wrong first code answered next to the field, then the
	// recovery codes shown once.
	bob.run(chromedp.Navigate(base+"/account"),
		chromedp.SendKeys(chromedp.CSS(`form[action="/account/2fa"] input[name=password]`), servertest.Password),
		chromedp.Click(chromedp.CSS(`form[action="/account/2fa"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".qr-figure")))
	bob.page("totp")
	bobSecret := strings.TrimSpace(value(bob, chromedp.Text(chromedp.CSS(".qr-figure figcaption code"))))
	wrong := "000000"
	if auth.TOTPCode(bobSecret, time.Now()) == wrong {
		wrong = "000001"
	}
	bob.run(chromedp.SendKeys(chromedp.CSS("#f-code"), wrong),
		chromedp.Click(chromedp.CSS(`form[action="/account/2fa/confirm"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#e-code")))
	// Someone who had not scanned the code yet still can.
	if again := strings.TrimSpace(value(bob, chromedp.Text(chromedp.CSS(".qr-figure figcaption code")))); again != bobSecret {
		t.Fatalf("the retry page shows key %q, want %q", again, bobSecret)
	}
	bob.page("totp-retry")
	bob.run(chromedp.SendKeys(chromedp.CSS("#f-code"), auth.TOTPCode(bobSecret, time.Now())),
		chromedp.Click(chromedp.CSS(`form[action="/account/2fa/confirm"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#codes-h")))
	if n := value(bob, chromedp.Evaluate[int](`document.querySelectorAll(".codes li").length`)); n == 0 {
		t.Fatal("no recovery codes shown after enrolment")
	}
	bob.page("recovery-codes")
	if acc, err := env.Store.AccountByLogin(t.Context(), "bob@example.com"); err != nil || !acc.TOTPEnabled {
		t.Fatalf("Bob's two-factor authentication is not on: %v", err)
	}

	// Revoke the link, confirmed, and see the feed gone.
	ann.run(chromedp.Navigate(base+linkPage), chromedp.Click(chromedp.CSS(`a[href$="/revoke"]`)), chromedp.WaitVisible(chromedp.CSS(".question")))
	ann.page("link-revoke")
	ann.run(chromedp.Click(chromedp.CSS("button.danger")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if status, _ := fetch(t, copied); status != http.StatusNotFound {
		t.Fatalf("GET revoked feed: %d", status)
	}

	// A mailbox: change its password twice over, as Dovecot reads it.
	address := servertest.LinkedMailbox(t, env.Store, "ann@example.com")
	ann.run(chromedp.Navigate(base + "/mail"))
	ann.page("mail")
	ann.run(chromedp.Navigate(base + "/mail/" + address))
	ann.page("mailbox")
	const mailPW = "a new mailbox passphrase 42"
	ann.run(chromedp.SendKeys(chromedp.CSS(`form[action$="/password"] #f-password`), mailPW),
		chromedp.SendKeys(chromedp.CSS("#f-password_confirm"), mailPW),
		chromedp.Click(chromedp.CSS(`form[action$="/password"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	checkDovecot(t, env, passwd, address, mailPW)

	// Aliases up to the limit: the last one through the page, then the
	// form is gone and the page says why.
	servertest.AddAliases(t, env.Store, address, mailbox.MaxAliases-1)
	ann.run(chromedp.Navigate(base+"/mail/"+address), chromedp.SendKeys(chromedp.CSS("#f-alias"), "last"),
		chromedp.Click(chromedp.CSS(`form[action$="/aliases"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	count := value(ann, chromedp.Text(chromedp.CSS("#alias-count")))
	if !strings.Contains(count, fmt.Sprintf("%d of %d", mailbox.MaxAliases, mailbox.MaxAliases)) {
		t.Fatalf("alias count: %q", count)
	}
	forms := value(ann, chromedp.Evaluate[int](`document.querySelectorAll('form[action$="/aliases"]').length`))
	if forms != 0 {
		t.Fatal("the alias form is still offered at the limit")
	}
	ann.page("mailbox-full")

	// Write and activate an out-of-office reply: the page says it
	// answers now, and the mail server gets its Sieve script.
	ann.run(chromedp.Navigate(base+"/mail/"+address), chromedp.Click(chromedp.CSS(`a[href$="/responders"]`)), chromedp.WaitVisible(chromedp.CSS("#resp-h")))
	ann.page("responders-empty")
	ann.run(chromedp.Click(chromedp.CSS(`a[href$="/responders/new"]`)), chromedp.WaitVisible(chromedp.CSS("#f-message")))
	ann.page("responder-new")
	now := time.Now().UTC()
	ann.run(chromedp.SendKeys(chromedp.CSS("#f-name"), "Summer holidays"),
		chromedp.SendKeys(chromedp.CSS("#f-subject"), "Away until August"),
		chromedp.SendKeys(chromedp.CSS("#f-message"), "I am away until August.\nFor urgent matters, write to bob@example.com."),
		// A datetime-local input takes its value in this form whatever
		// the browser's language shows.
		chromedp.SetValue(chromedp.CSS("#f-start"), now.Add(-time.Hour).Format("2006-01-02T15:04")),
		chromedp.SetValue(chromedp.CSS("#f-end"), now.Add(14*24*time.Hour).Format("2006-01-02T15:04")),
		chromedp.SendKeys(chromedp.CSS("#f-time_zone"), "UTC"),
		chromedp.SendKeys(chromedp.CSS("#f-exclusions"), "@lists.example"),
		chromedp.Click(chromedp.CSS(`input[name="active"]`)),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if state := value(ann, chromedp.Text(chromedp.CSS("ul.responders .state"))); !strings.Contains(state, "answering now") {
		t.Fatalf("the reply's state: %q", state)
	}
	ann.page("responders")
	must(t, env.Server.MailFiles().Flush(t.Context()))
	script, err := os.ReadFile(filepath.Join(sieveDir, "example.net", "ann.sieve"))
	must(t, err)
	for _, want := range []string{"vacation", "Away until August", "For urgent matters", "lists.example"} {
		if !strings.Contains(string(script), want) {
			t.Fatalf("the Sieve script lacks %q:\n%s", want, script)
		}
	}
	sievec := tooltest.Require(t, "sievec", "dovecot-sieve")
	if b, err := exec.Command(sievec, filepath.Join(sieveDir, "example.net", "ann.sieve"), filepath.Join(t.TempDir(), "ann.svbin")).CombinedOutput(); err != nil {
		t.Fatalf("sievec refuses the script: %v: %s", err, b)
	}
	ann.run(chromedp.Click(chromedp.CSS(`ul.responders a[href$="/reset"]`)), chromedp.WaitVisible(chromedp.CSS(".question")))
	ann.page("responder-reset")
	ann.run(chromedp.Navigate(base+"/mail/"+address+"/responders"), chromedp.Click(chromedp.CSS(`ul.responders a.button:first-child`)),
		chromedp.WaitVisible(chromedp.CSS("#f-name")))
	ann.page("responder-edit")

	// An import of another provider's mailbox, as the import service
	// records its progress.
	job := &storage.ImportJob{Owner: servertest.AccountID(t, env.Store, "ann@example.com"), Service: "svc1", LocalPart: "ann", Destination: address, State: storage.ImportRunning,
		Sources: []storage.ImportSource{{Address: "ann@old.example", Host: "imap.old.example", Port: 993, Security: "tls", State: storage.ImportRunning,
			Folders: []storage.ImportFolder{{Name: "INBOX", Destination: "INBOX", Found: 1200, Copied: 800, Skipped: 12},
				{Name: "Sent Items", Destination: "Sent", Found: 300, Copied: 300, Done: true}}}}}
	must(t, env.Store.CreateImportJob(t.Context(), job))

	// The other pages, for their screenshots and axe.
	for _, p := range []string{"account", "account/login", "account/sessions/end", "manage", "manage/services/svc1", "calendars/no-such-calendar",
		"manage/services/svc1/mailboxes/ann/responders", "manage/services/svc1/templates/new", "mail/" + address + "/setup", "account/setup", "manage/services/svc1/client-settings",
		"mail/" + address + "/imports", "mail/" + address + "/imports/" + job.ID, "manage/services/svc1/imports"} {
		ann.run(chromedp.Navigate(base + "/" + p))
		ann.page(strings.ReplaceAll(p, "/", "-"))
	}
	// The mail pages on a phone: nothing wider than the screen (tables
	// scroll inside their box).
	ann.run(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, p := range []string{"mail/" + address + "/responders", "mail/" + address + "/responders/new", "mail/" + address + "/imports/" + job.ID,
		"mail/" + address + "/setup", "calendars/team/import"} {
		ann.run(chromedp.Navigate(base + "/" + p))
		if w := value(ann, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
			t.Errorf("%s on a phone is %d px wide", p, w)
		}
	}
	ann.page("calendar-import-phone")
	ann.run(chromedp.EmulateViewport(1100, 900))
	// A manager's template, applied to the service's mailboxes.
	ann.run(chromedp.Navigate(base+"/manage/services/svc1/templates/new"), chromedp.SendKeys(chromedp.CSS("#f-name"), "Office closed"), chromedp.SendKeys(chromedp.CSS("#f-message"), "{name} is away until January."),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	ann.page("templates")
	ann.run(chromedp.Click(chromedp.CSS(`a[href$="/apply"]`)), chromedp.WaitVisible(chromedp.CSS(`input[name="to"]`)))
	ann.page("template-apply")
	ann.run(chromedp.Click(chromedp.CSS("main form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if rs, err := env.Store.Responders(t.Context(), "svc1", "ann"); err != nil || len(rs) != 2 {
		t.Fatalf("after applying the template, ann's replies: %v %+v", err, rs)
	}
	// Import a file: the preview lists it, nothing is written until the
	// import is confirmed.
	ics := filepath.Join(t.TempDir(), "holidays.ics")
	must(t, os.WriteFile(ics, []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"+
		"BEGIN:VEVENT\r\nUID:h1@test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20271225\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n"+
		"BEGIN:VEVENT\r\nUID:h2@test\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:No date\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), 0o644))
	ann.run(chromedp.Navigate(base+"/calendars/team"), chromedp.Click(chromedp.CSS(`a[href$="/import"]`)), chromedp.WaitVisible(chromedp.CSS("#f-file")))
	ann.page("import")
	ann.run(chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{ics}),
		chromedp.Click(chromedp.CSS(`form[enctype] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#import-counts")))
	if counts := value(ann, chromedp.Text(chromedp.CSS("#import-counts"))); !strings.Contains(counts, "1 new, 0 updated, 0 unchanged, 1 refused") {
		t.Fatalf("import preview: %q", counts)
	}
	ann.page("import-preview")
	before := countObjects(t, env, "ann@example.com", "team")
	ann.run(chromedp.Click(chromedp.CSS(`input[name="skip_refused"]`)), chromedp.Click(chromedp.CSS(`form[action$="/confirm"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	if n := countObjects(t, env, "ann@example.com", "team"); n != before+1 {
		t.Fatalf("after the import the calendar has %d objects, %d before", n, before)
	}
	ann.page("import-done")
	// The import's page follows its progress without being reloaded.
	ann.run(chromedp.Navigate(base+"/mail/"+address+"/imports/"+job.ID), chromedp.WaitVisible(chromedp.CSS("#import-totals")),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	_, err = env.Store.UpdateImportJob(t.Context(), job.ID, func(j *storage.ImportJob) error {
		j.State, j.Sources[0].State, j.Finished = storage.ImportDone, storage.ImportDone, time.Now()
		j.Sources[0].Folders[0].Copied, j.Sources[0].Folders[0].Done = 1188, true
		return nil
	})
	must(t, err)
	ann.run(chromedp.WaitVisible(chromedp.CSS(`progress[max="1500"][value="1500"]`)))
	if !value(ann, chromedp.Evaluate[bool](`window.notReloaded === true`)) {
		t.Fatal("the import's page was reloaded instead of updated")
	}
	if live := value(ann, chromedp.Evaluate[bool](`"live" in document.getElementById("live").dataset`)); live {
		t.Fatal("the ended import's page is still updating")
	}
	ann.page("import-job-done")

	ann.run(chromedp.Navigate(base + "/calendars/team/delete"))
	ann.page("calendar-delete")
	// The pages of someone signed out.
	anonCtx, cancelAnon := chromedp.NewContext(alloc)
	defer cancelAnon()
	must(t, chromedp.Do(anonCtx))
	anon := &tab{t: t, ctx: anonCtx, base: base, axe: axe, dir: dir}
	for _, p := range []string{"forgot/password", "forgot/login", "reset"} {
		anon.run(chromedp.Navigate(base + "/" + p))
		anon.page(strings.ReplaceAll(p, "/", "-"))
	}

	// A form on another site posting to ours changes nothing.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>cats</title><form id=f method=post action="%s/calendars">
<input name=displayname value=Evil><input name=kind value=calendar></form><script>document.getElementById("f").submit()</script>`, base)
	}))
	defer evil.Close()
	// The other site's page submits itself; the browser lands on our
	// answer (our pages have a footer, the other site's has none).
	ann.run(chromedp.Navigate(strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)), chromedp.WaitReady(chromedp.CSS("footer")))
	if u := ann.url(); !strings.HasPrefix(u, "/login") && u != "/calendars" {
		t.Fatalf("the forged form landed at %s", u)
	}
	if text := value(ann, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(text, "Log in") && !strings.Contains(text, "another site") {
		t.Fatalf("the forged form was answered with %q", text)
	}
	if _, err := env.Store.Collection(t.Context(), servertest.AccountID(t, env.Store, "ann@example.com"), "evil"); err == nil {
		t.Fatal("a form from another site created a calendar")
	}
	ann.run(chromedp.Navigate(base + "/calendars"))
	own := value(ann, chromedp.Text(chromedp.CSS("#own-h + ul")))
	if strings.Contains(own, "Evil") {
		t.Fatal("a form from another site created a calendar")
	}
}

func countObjects(t *testing.T, env *servertest.Env, login, coll string) int {
	t.Helper()
	n := 0
	must(t, env.Store.List(t.Context(), servertest.AccountID(t, env.Store, login), coll, func(*storage.ObjectMeta) error { n++; return nil }))
	return n
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Content-Type")
}

// checkDovecot writes the mail files and asks Dovecot whether the
// mailbox's stored hash takes the new password and refuses the old.
func checkDovecot(t *testing.T, env *servertest.Env, passwd, address, pw string) {
	t.Helper()
	doveadm := tooltest.Require(t, "doveadm", "dovecot-core")
	must(t, env.Server.MailFiles().Flush(t.Context()))
	data, err := os.ReadFile(passwd)
	must(t, err)
	var hash string
	for line := range strings.SplitSeq(string(data), "\n") {
		if user, rest, ok := strings.Cut(line, ":"); ok && user == address {
			hash, _, _ = strings.Cut(rest, ":")
		}
	}
	if hash == "" {
		t.Fatalf("%s is not in the Dovecot passwd-file:\n%s", address, data)
	}
	if out, err := exec.Command(doveadm, "pw", "-t", hash, "-p", pw).CombinedOutput(); err != nil || !strings.Contains(string(out), "(verified)") {
		t.Fatalf("doveadm pw -t with the new password: %v %s", err, out)
	}
	if out, err := exec.Command(doveadm, "pw", "-t", hash, "-p", servertest.Password).CombinedOutput(); err == nil {
		t.Fatalf("doveadm pw -t took the old password: %s", out)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// putEvent stores a one-hour event days ahead at hour UTC, as a DAV
// client would have.
func putEvent(t *testing.T, env *servertest.Env, login, coll, uid, summary, where string, days, hour int) {
	t.Helper()
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, days).Add(time.Duration(hour) * time.Hour)
	data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:" +
		start.Format("20060102T150405Z") + "\r\nDURATION:PT1H\r\nSUMMARY:" + summary + "\r\n"
	if where != "" {
		data += "LOCATION:" + where + "\r\n"
	}
	data += "END:VEVENT\r\nEND:VCALENDAR\r\n"
	cal, err := aical.Parse([]byte(data))
	must(t, err)
	s, e, open, _ := aical.Span(cal)
	_, _, err = env.Store.Put(t.Context(), storage.PutObject{Owner: servertest.AccountID(t, env.Store, login), Collection: coll, Name: uid + ".ics", UID: uid,
		Component: "VEVENT", ContentType: "text/calendar", Span: storage.Span{Known: true, Start: s, End: e, Open: open}, Data: []byte(data)})
	must(t, err)
}
