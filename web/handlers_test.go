package web_test

import (
	"compress/gzip"
	"context"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"almanac/auth"
	"almanac/mailbox"
	"almanac/server/servertest"
	"almanac/storage"
)

func TestPageSecurityHeaders(t *testing.T) {
	env := servertest.New(t)
	c := newClient(t, env)
	c.get("/login").want(http.StatusOK)
	csp := c.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || c.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("CSP %q, X-Frame-Options %q", csp, c.header.Get("X-Frame-Options"))
	}
	// No inline script or style anywhere in the markup.
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]|style=`).MatchString(c.body) {
		t.Errorf("inline script or style:\n%s", c.body)
	}
	c.get("/favicon.ico").want(http.StatusOK, "<svg")
	c.get("/static/style.css").want(http.StatusOK)
}

// TestAssetWeight: the CSS and JavaScript a page loads stay under 60 KB
// compressed.
func TestAssetWeight(t *testing.T) {
	total := 0
	for _, f := range []string{"static/style.css", "static/app.js", "static/favicon.svg"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n := gzipSize(t, data)
		t.Logf("%s: %d bytes, %d gzipped", f, len(data), n)
		total += n
	}
	if total >= 60<<10 {
		t.Fatalf("assets weigh %d bytes compressed", total)
	}
}

func gzipSize(t *testing.T, data []byte) int {
	var n countWriter
	zw, _ := gzip.NewWriterLevel(&n, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	return int(n)
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

func TestSignedOutGoesToLogin(t *testing.T) {
	env := servertest.New(t)
	c := newClient(t, env)
	for _, p := range []string{"/calendars", "/account", "/mail", "/manage", "/calendars/default"} {
		c.get(p).want(http.StatusOK, `name="next" value="`+p+`"`)
		if c.url != "/login" {
			t.Errorf("GET %s signed out: at %s", p, c.url)
		}
	}
	// A form posted without a session changes nothing either.
	c.post("/calendars", "displayname", "X").want(http.StatusOK)
	if c.url != "/login" {
		t.Errorf("POST signed out: at %s", c.url)
	}
}

func TestLoginErrors(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	c := newClient(t, env)
	c.get("/login")
	c.post("/login", "login", "ann@example.com", "password", "Wr0ngSecretXYZ").
		want(http.StatusUnauthorized, `id="e-password"`, `aria-invalid="true"`, `value="ann@example.com"`).lacks("Wr0ngSecretXYZ")
	// The next= of the form keeps the browser on this site.
	c.post("/login", "login", "ann@example.com", "password", servertest.Password, "next", "//evil.example/x")
	if c.url != "/calendars" {
		t.Errorf("next=//evil.example: at %s", c.url)
	}
}

func TestLoginThrottledLikeTheAPI(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	c := newClient(t, env)
	c.get("/login")
	for range 10 {
		c.post("/login", "login", "ann@example.com", "password", "wrong").want(http.StatusUnauthorized)
	}
	c.post("/login", "login", "ann@example.com", "password", servertest.Password).want(http.StatusTooManyRequests)
	if n, err := strconv.Atoi(c.header.Get("Retry-After")); err != nil || n <= 0 {
		t.Fatalf("Retry-After %q", c.header.Get("Retry-After"))
	}
}

func TestTOTPLoginAndRecoveryCode(t *testing.T) {
	env := servertest.New(t)
	secret := auth.NewTOTPSecret()
	env.Account("ann@example.com", func(a *storage.Account) { a.TOTPSecret, a.TOTPEnabled = secret, true })
	c := newClient(t, env)
	c.get("/login")
	// The password alone asks for the code, without an error.
	c.post("/login", "login", "ann@example.com", "password", servertest.Password).want(http.StatusOK, `id="f-otp"`).lacks(`class="error"`)
	c.post("/login", "login", "ann@example.com", "password", servertest.Password, "otp", "000000").
		want(http.StatusUnauthorized, `id="e-otp"`, `id="f-otp"`)
	c.post("/login", "login", "ann@example.com", "password", servertest.Password, "otp", auth.TOTPCode(secret, time.Now()))
	if c.url != "/calendars" {
		t.Fatalf("TOTP login: at %s (%d)", c.url, c.status)
	}
}

func TestCSRF(t *testing.T) {
	env := servertest.New(t)
	ann := env.Account("ann@example.com")
	c := newClient(t, env).login("ann@example.com")
	for _, token := range []string{"", "forged"} {
		c.post("/calendars", "displayname", "Evil", "csrf", token).want(http.StatusForbidden, "another site")
	}
	if _, err := env.Store.Collection(context.Background(), ann.ID, "evil"); err == nil {
		t.Fatal("a form without the CSRF token created a calendar")
	}
	// Logging out is a change too.
	c.post("/logout", "csrf", "forged").want(http.StatusForbidden)
	c.get("/calendars").want(http.StatusOK)
	if c.url != "/calendars" {
		t.Fatal("a forged logout ended the session")
	}
	c.post("/logout").want(http.StatusOK, "logged out")
	c.get("/calendars")
	if c.url != "/login" {
		t.Fatal("logout left the session")
	}
}

func TestCalendarForms(t *testing.T) {
	env := servertest.New(t)
	ann := env.Account("ann@example.com")
	ctx := context.Background()
	c := newClient(t, env).login("ann@example.com")
	c.post("/calendars", "displayname", "", "kind", "default").want(http.StatusBadRequest, `id="e-displayname"`)
	c.post("/calendars", "displayname", "Work", "color", "red").want(http.StatusBadRequest, `id="e-color"`, `value="Work"`)
	c.post("/calendars", "displayname", "Work", "kind", "diary").want(http.StatusBadRequest, `id="e-kind"`)
	if colls, _ := env.Store.ListCollections(ctx, ann.ID); len(colls) != 2 {
		t.Fatalf("refused forms stored something: %d collections", len(colls))
	}
	c.post("/calendars", "displayname", "Work", "kind", "calendar", "color", "#112233").want(http.StatusOK, "Work", "#112233")
	c.post("/calendars", "displayname", "Work", "kind", "calendar").want(http.StatusOK)
	if c.url != "/calendars/work-2" {
		t.Fatalf("a second Work: at %s", c.url)
	}
	c.post("/calendars", "displayname", "Friends", "kind", "addressbook").want(http.StatusOK, "address book")
	if coll, err := env.Store.Collection(ctx, ann.ID, "friends"); err != nil || coll.Kind != storage.KindAddressBook {
		t.Fatalf("address book: %v %v", coll, err)
	}
	c.get("/calendars/work")
	c.post("/calendars/work", "displayname", "Office", "color", "#445566").want(http.StatusOK, "Saved.", `value="Office"`, `value="#445566"`)

	// A link window that is no number is refused next to its field.
	c.post("/calendars/work/links", "label", "x", "past_days", "many").want(http.StatusBadRequest, `id="e-past_days"`)
	c.post("/calendars/work/links", "label", "x", "tier", "secret").want(http.StatusBadRequest)
	if links, _ := env.Store.ListLinks(ctx, ann.ID); len(links) != 0 {
		t.Fatalf("refused link forms stored %d links", len(links))
	}
	c.post("/calendars/work/shares", "login", "nobody@example.com", "access", "read").want(http.StatusBadRequest, `id="e-login"`)

	// The confirmation names what goes.
	c.post("/calendars/work/links", "label", "site")
	env.Do("PUT", "/dav/calendars/"+ann.ID+"/work/e1.ics", "ann@example.com", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:e1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "Content-Type", "text/calendar")
	c.get("/calendars/work/delete").want(http.StatusOK, "its 1 events", "its 1 public links", "its 0 shares")
	c.post("/calendars/work/delete").want(http.StatusOK, "Deleted.")
	if _, err := env.Store.Collection(ctx, ann.ID, "work"); err == nil {
		t.Fatal("the calendar is still there")
	}
}

// TestOtherAccountsAnswerLikeMissing: another user's calendar, link,
// share or mailbox is a 404 like one that does not exist, and a form
// aimed at it changes nothing.
func TestOtherAccountsAnswerLikeMissing(t *testing.T) {
	env := servertest.New(t)
	ann := env.Account("ann@example.com")
	env.Account("bob@example.com")
	ctx := context.Background()
	a := newClient(t, env).login("ann@example.com")
	a.post("/calendars", "displayname", "Team")
	a.get("/calendars/default")
	a.post("/calendars/default/links", "label", "site")
	linkPath := a.url
	mailAddr := servertest.LinkedMailbox(t, env.Store, "ann@example.com")

	b := newClient(t, env).login("bob@example.com")
	b.get("/calendars/team").want(http.StatusNotFound)
	missing := b.body
	b.get("/calendars/missing").want(http.StatusNotFound)
	if strings.ReplaceAll(b.body, "missing", "team") != missing {
		t.Error("a missing calendar and another account's answer differently")
	}
	for _, p := range []string{"/calendars/default-of-nobody", linkPath, "/mail/" + mailAddr, "/mail/" + mailAddr + "/aliases/x/remove", "/manage/services/svc1"} {
		b.get(p)
		if b.status != http.StatusNotFound && b.status != http.StatusForbidden {
			t.Errorf("bob GET %s: %d", p, b.status)
		}
	}
	// Ann's calendar is named like Bob's own: the name is his.
	b.get("/calendars")
	b.post("/calendars/default/delete").want(http.StatusOK, "Deleted.")
	if _, err := env.Store.Collection(ctx, ann.ID, "default"); err != nil {
		t.Fatal("bob deleted ann's calendar")
	}
	b.get("/calendars")
	b.post("/calendars/team/delete").want(http.StatusNotFound)
	b.get("/calendars/team").want(http.StatusNotFound)
	if b.body != missing {
		t.Error("another account's calendar does not answer like a missing one")
	}
	b.get("/calendars")
	b.post(linkPath + "/revoke").want(http.StatusNotFound)
	if links, _ := env.Store.ListLinks(ctx, ann.ID); len(links) != 1 {
		t.Fatal("bob revoked ann's link")
	}
	b.post("/mail/"+mailAddr+"/password", "password", "a long new passphrase here", "password_confirm", "a long new passphrase here").want(http.StatusNotFound)
}

func TestMailboxForms(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	addr := servertest.LinkedMailbox(t, env.Store, "ann@example.com")
	c := newClient(t, env).login("ann@example.com")
	c.get("/mail").want(http.StatusOK, addr)
	c.get("/mail/"+addr).want(http.StatusOK, "0 of 50 aliases used")
	c.post("/mail/"+addr+"/password", "password", "a long new passphrase here", "password_confirm", "another long passphrase").
		want(http.StatusBadRequest, `id="e-password_confirm"`).lacks("a long new passphrase here")
	c.post("/mail/"+addr+"/aliases", "alias", "not valid!").want(http.StatusBadRequest, `id="e-alias"`)
	c.post("/mail/"+addr+"/aliases", "alias", "sales").want(http.StatusOK, "sales@example.net", "1 of 50")
	c.post("/mail/"+addr+"/aliases", "alias", "sales").want(http.StatusConflict, `id="e-alias"`)
	c.get("/mail/"+addr+"/aliases/sales@example.net/remove").want(http.StatusOK, "bounce")
	c.post("/mail/"+addr+"/aliases/sales@example.net/remove").want(http.StatusOK, "0 of 50")
	servertest.AddAliases(t, env.Store, addr, mailbox.MaxAliases)
	c.get("/mail/"+addr).want(http.StatusOK, "50 of 50", "remove one to add another").lacks(`id="f-alias"`)
	c.post("/mail/"+addr+"/aliases", "alias", "onemore").want(http.StatusConflict, "at most 50")
	// Linking a mailbox takes its password, throttled by the API.
	c.get("/mail")
	c.post("/mail/link", "address", addr, "password", "wrong").want(http.StatusForbidden)
}

func TestAccountPages(t *testing.T) {
	env := servertest.New(t)
	ann := env.Account("ann@example.com")
	c := newClient(t, env).login("ann@example.com")
	c.get("/account").want(http.StatusOK, "ann@example.com")
	c.post("/account/profile", "display_name", "Ann A.", "recovery_email", "ann@example.com").want(http.StatusBadRequest, `id="e-recovery_email"`)
	c.post("/account/profile", "display_name", "Ann A.", "recovery_email", "ann@home.example", "mobile", "+41791234567").want(http.StatusOK, "Saved.", `value="Ann A."`)
	c.post("/account/password", "current_password", "wrong", "new_password", "x", "new_password_confirm", "x").want(http.StatusForbidden, `id="e-current_password"`)

	// An app password is shown once.
	c.post("/account/app-passwords", "name", "Phone", "scope", "dav").want(http.StatusCreated, "shown only once")
	pw := regexp.MustCompile(`id="new-app-password" class="url"|value="([a-z2-7-]{20,})"`).FindAllStringSubmatch(c.body, -1)
	if len(pw) == 0 {
		t.Fatal("no app password shown")
	}
	c.get("/account").lacks("shown only once")

	// Two-factor enrolment: the QR code, then the codes shown once.
	c.post("/account/2fa", "password", servertest.Password).want(http.StatusOK, `class="qr"`)
	acc, _ := env.Store.Account(context.Background(), ann.ID)
	c.post("/account/2fa/confirm", "code", "000000").want(http.StatusBadRequest, `id="e-code"`).lacks(`class="qr"`)
	// The enrolment form brings the key back, so a wrong first code shows
	// it again; a key of another shape is not shown.
	uri := "otpauth://totp/almanac?secret=" + acc.TOTPSecret
	c.post("/account/2fa/confirm", "code", "000000", "secret", acc.TOTPSecret, "uri", uri).want(http.StatusBadRequest, `id="e-code"`, `class="qr"`, acc.TOTPSecret)
	c.post("/account/2fa/confirm", "code", "000000", "secret", "<b>x</b>", "uri", "javascript:alert(1)").want(http.StatusBadRequest, `id="e-code"`).lacks(`class="qr"`, "<b>x</b>", "javascript:")
	c.post("/account/2fa/confirm", "code", auth.TOTPCode(acc.TOTPSecret, time.Now())).want(http.StatusOK, "recovery codes")
	if acc, _ := env.Store.Account(context.Background(), ann.ID); !acc.TOTPEnabled {
		t.Fatal("2FA is not on")
	}

	// The login ID changes after the mailed code.
	c.get("/account/login")
	c.post("/account/login", "new_login", "ann@new.example", "password", servertest.Password).want(http.StatusAccepted, "ann@new.example")
	code := regexp.MustCompile(`(?m)^    (\S{20,})$`).FindStringSubmatch(env.Post.LastMail(t).Text)
	if code == nil {
		t.Fatalf("no code in %q", env.Post.LastMail(t).Text)
	}
	c.post("/account/login/confirm", "code", "wrong").want(http.StatusBadRequest, `id="e-code"`)
	c.post("/account/login/confirm", "code", code[1]).want(http.StatusOK, "ann@new.example", "login ID is changed")
}

// TestFallbackLoginMustChange: an account whose login went with its
// mailbox reaches only the login-ID page until it chose a new one.
func TestFallbackLoginMustChange(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann-7f3a")
	c := newClient(t, env)
	c.get("/login")
	c.post("/login", "login", "ann-7f3a", "password", servertest.Password).want(http.StatusOK, "removed with its mailbox")
	if c.url != "/account/login" {
		t.Fatalf("at %s", c.url)
	}
	c.get("/calendars")
	if c.url != "/account/login" {
		t.Fatalf("calendars reachable at %s", c.url)
	}
}

func TestRecoveryPages(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com", func(a *storage.Account) { a.RecoveryEmail = "ann@home.example"; a.Mobile = "+41791234567" })
	c := newClient(t, env)
	c.get("/forgot/password")
	c.post("/forgot/password", "login", "ann@example.com").want(http.StatusOK, "on its way")
	token := regexp.MustCompile(`(?m)^    (\S{20,})$`).FindStringSubmatch(env.Post.LastMail(t).Text)
	if token == nil {
		t.Fatalf("no token in %q", env.Post.LastMail(t).Text)
	}
	if !strings.Contains(env.Post.LastMail(t).Text, c.base+"/reset?token="+token[1]) {
		t.Fatalf("the mail has no link to the reset page: %q", env.Post.LastMail(t).Text)
	}
	c.get("/reset?token="+token[1]).want(http.StatusOK, token[1])
	c.post("/reset", "token", token[1], "new_password", "short", "new_password_confirm", "short").want(http.StatusBadRequest, `id="e-new_password"`)
	c.post("/reset", "token", token[1], "new_password", "a much longer passphrase", "new_password_confirm", "a much longer passphrase").want(http.StatusOK, "password is set")
	c.get("/forgot/login")
	c.post("/forgot/login", "mobile", "12").want(http.StatusBadRequest, `id="e-mobile"`)
	c.post("/forgot/login", "mobile", "+41 79 123 45 67").want(http.StatusOK, "on its way")
	if sms := env.Post.SMS(); len(sms) != 1 || !strings.Contains(sms[0].Text, "ann@example.com") {
		t.Fatalf("SMS: %v", sms)
	}
}

func TestLanguageAndZone(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	c := newClient(t, env)
	c.get("/login", "Accept-Language", "de-CH, fr;q=0.8, en;q=0.5").want(http.StatusOK, `lang="fr"`, "Mot de passe")
	if c.header.Get("Content-Language") != "fr" {
		t.Errorf("Content-Language %q", c.header.Get("Content-Language"))
	}
	c.get("/login", "Accept-Language", "en, fr;q=0.9").want(http.StatusOK, `lang="en"`)
	c.login("ann@example.com")
	c.get("/account")
	c.post("/preferences", "lang", "fr", "tz", "Mars/Olympus").want(http.StatusBadRequest, `id="e-tz"`)
	c.post("/preferences", "lang", "fr", "tz", "Europe/Paris").want(http.StatusOK, "Préférences enregistrées", "Heures en Europe/Paris")
	c.get("/calendars", "Accept-Language", "en").want(http.StatusOK, "Calendriers")
}

func TestAgendaPage(t *testing.T) {
	env := servertest.New(t)
	ann := env.Account("ann@example.com")
	now := time.Now().UTC()
	start := now.Add(48 * time.Hour).Truncate(time.Hour)
	ev := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:e1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:" + start.Format("20060102T150405Z") +
		"\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Choir practice\r\nLOCATION:Hall\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if rec := env.Do("PUT", "/dav/calendars/"+ann.ID+"/default/e1.ics", "ann@example.com", ev, "Content-Type", "text/calendar"); rec.Code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	c := newClient(t, env).login("ann@example.com")
	c.get("/calendars/default")
	c.post("/calendars/default/links", "label", "full")
	full := regexp.MustCompile(`value="(http[^"]+/ics/[^"]+)"`).FindStringSubmatch(c.body)[1]
	c.get("/calendars/default")
	c.post("/calendars/default/links", "label", "busy", "tier", "busy")
	busy := regexp.MustCompile(`value="(http[^"]+/ics/[^"]+)"`).FindStringSubmatch(c.body)[1]

	page := strings.TrimPrefix(strings.TrimSuffix(full, ".ics")+".html", c.base)
	c.get(page+"?tz=Asia/Tokyo").want(http.StatusOK, "Choir practice", "Hall", "Asia/Tokyo", start.In(mustZone(t, "Asia/Tokyo")).Format("15:04"))
	if n := strings.Count(c.body, "Choir practice"); n != 3 {
		t.Errorf("%d instances shown, want 3", n)
	}
	// A view of the page is a fetch of the link, as the link's page shows.
	links, _ := env.Store.ListLinks(context.Background(), ann.ID)
	c.get("/links/"+links[0].ID).want(http.StatusOK, "Fetched 1 times")
	c.get(page + "?tz=Asia/Tokyo")
	if csp := c.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") || c.header.Get("X-Frame-Options") != "" {
		t.Errorf("agenda CSP %q", csp)
	}
	c.get(strings.TrimPrefix(strings.TrimSuffix(busy, ".ics")+".html", c.base)).want(http.StatusOK, "Busy").lacks("Choir", "Hall")
	c.get("/ics/not-a-token.html").want(http.StatusNotFound)
	// Revoked: gone like the feed.
	c.get("/links/" + links[0].ID + "/revoke")
	c.post("/links/" + links[0].ID + "/revoke")
	c.get(page).want(http.StatusNotFound)
}

func mustZone(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestEndSessionsConfirmed(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	other := newClient(t, env).login("ann@example.com")
	c := newClient(t, env).login("ann@example.com")
	c.get("/account/sessions/end").want(http.StatusOK, "revoke all app passwords?")
	other.get("/calendars")
	if other.url != "/calendars" {
		t.Fatal("the confirmation page ended a session")
	}
	c.post("/account/sessions/end").want(http.StatusOK, "Every other session has ended.")
	other.get("/calendars")
	if other.url != "/login" {
		t.Fatal("the other session survived")
	}
	c.get("/calendars")
	if c.url != "/calendars" {
		t.Fatal("this session ended too")
	}
}

func TestManagerPages(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	bob := env.Account("bob@example.com")
	addr := servertest.LinkedMailbox(t, env.Store, "ann@example.com")
	c := newClient(t, env).login("ann@example.com")
	c.get("/manage").want(http.StatusOK, "Example Ltd", "example.net")
	c.post("/manage/orgs/org1/members", "login", "nobody@example.com", "role", "member").want(http.StatusBadRequest, `id="e-login"`)
	c.post("/manage/orgs/org1/members", "login", "bob@example.com", "role", "member").want(http.StatusOK, "Member added.", "bob@example.com")
	c.post("/manage/orgs/org1/services", "domain", "not a domain", "plan", "standard").want(http.StatusBadRequest, `id="e-domain"`)
	c.post("/manage/orgs/org1/services", "domain", "example.org", "plan", "standard").want(http.StatusOK, "Mail service created.")
	c.get("/manage/services/svc1").want(http.StatusOK, addr)
	c.post("/manage/services/svc1/mailboxes", "local_part", "info", "password", "a long mailbox passphrase", "password_confirm", "a different passphrase").
		want(http.StatusBadRequest, `id="e-password_confirm"`)
	c.post("/manage/services/svc1/mailboxes", "local_part", "info", "password", "a long mailbox passphrase", "password_confirm", "a long mailbox passphrase").
		want(http.StatusOK, "Mailbox created.", "info@example.net")
	// Rights per linked user: Bob gets the info mailbox without aliases.
	c.post("/manage/services/svc1/mailboxes/info/rights", "login", "bob@example.com", "rights", "password").want(http.StatusOK, "Rights saved.")
	l, err := env.Store.MailboxLink(context.Background(), "svc1", "info", bob.ID)
	if err != nil || strings.Join(l.Rights, ",") != "password" {
		t.Fatalf("link %v %v", l, err)
	}
	// The manager sees who is linked, with what, and changes it there.
	c.get("/manage/services/svc1").want(http.StatusOK, "Linked users", "<legend>bob@example.com</legend>",
		`name="rights" value="password" checked`)
	c.post("/manage/services/svc1/mailboxes/info/rights", "login", "bob@example.com", "rights", "password", "rights", "aliases").want(http.StatusOK, "Rights saved.")
	if l, _ := env.Store.MailboxLink(context.Background(), "svc1", "info", bob.ID); strings.Join(l.Rights, ",") != "aliases,password" && strings.Join(l.Rights, ",") != "password,aliases" {
		t.Fatalf("rights %v", l.Rights)
	}
	c.post("/manage/services/svc1/mailboxes/info/rights", "login", "bob@example.com", "rights", "password").want(http.StatusOK)
	b := newClient(t, env).login("bob@example.com")
	b.get("/mail/info@example.net").want(http.StatusOK, "Change the password").lacks(`id="f-alias"`)
	b.get("/manage").want(http.StatusOK, "You are a member")
	b.get("/manage/services/svc1").want(http.StatusForbidden)
	// Deleting is confirmed, and names the aliases that go.
	c.get("/manage/services/svc1/mailboxes/info/delete").want(http.StatusOK, "Delete info@example.net?", "Its 0 aliases")
	c.post("/manage/services/svc1/mailboxes/info/delete").want(http.StatusOK, "Mailbox deleted.")
	c.get("/manage/orgs/org1/members/"+bob.ID+"/remove").want(http.StatusOK, "Remove bob@example.com")
	c.post("/manage/orgs/org1/members/"+bob.ID+"/remove").want(http.StatusOK, "Member removed.")
}

func TestAgendaGuessesSlowed(t *testing.T) {
	env := servertest.New(t)
	c := newClient(t, env)
	for range 20 {
		c.get("/ics/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.html").want(http.StatusNotFound)
	}
	c.get("/ics/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.html").want(http.StatusTooManyRequests)
	if c.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	// The feed and its page share the count.
	if status, _ := fetchStatus(c.base + "/ics/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics"); status != http.StatusTooManyRequests {
		t.Fatalf("feed after page guesses: %d", status)
	}
}

func fetchStatus(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestLoginFromAnotherSite: a login form another site posts is refused
// (login CSRF), one of ours goes through.
func TestLoginFromAnotherSite(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	base := env.Start()
	for _, tc := range []struct {
		hdr    []string
		status int
	}{
		{[]string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{[]string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{[]string{"Sec-Fetch-Site", "same-origin"}, http.StatusSeeOther},
		{nil, http.StatusSeeOther},
	} {
		req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader("login=ann%40example.com&password="+strings.ReplaceAll(servertest.Password, " ", "+")))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(tc.hdr); i += 2 {
			req.Header.Set(tc.hdr[i], tc.hdr[i+1])
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.status == http.StatusForbidden) != (resp.Header.Get("Set-Cookie") == "") {
			t.Errorf("%v: %d, Set-Cookie %q; want %d", tc.hdr, resp.StatusCode, resp.Header.Get("Set-Cookie"), tc.status)
		}
	}
}

// TestErrorOfAnotherForm: an error about a field the posted form does
// not have is shown above the forms, not next to a field of another.
func TestErrorOfAnotherForm(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	servertest.LinkedMailbox(t, env.Store, "ann@example.com")
	c := newClient(t, env).login("ann@example.com")
	c.get("/manage/services/svc1")
	c.post("/manage/services/svc1/mailboxes/ann/password", "mb_password", "a long mailbox passphrase", "mb_password_confirm", "another one entirely").
		want(http.StatusBadRequest, `class="alert"`, "differ").lacks(`id="e-password_confirm"`)
	c.post("/manage/services/svc1/mailboxes/ann/password", "mb_password", "a long mailbox passphrase", "mb_password_confirm", "a long mailbox passphrase").
		want(http.StatusOK, "password is changed")
	c.post("/manage/services/svc1/mailboxes/ann/rights", "login", "ann@example.com", "rights", "everything").want(http.StatusBadRequest, `class="alert"`, "rights may be")
}

// TestPageRequestsLogged: a page is logged and counted as a page, with
// the signed-in account, not as the API requests it made.
func TestPageRequestsLogged(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	c := newClient(t, env).login("ann@example.com")
	// The login-ID page asks the API nothing.
	c.get("/account/login").want(http.StatusOK)
	var line string
	for l := range strings.SplitSeq(env.Logs.String(), "\n") {
		if strings.Contains(l, "msg=request") && strings.Contains(l, "path=/account/login ") && strings.Contains(l, "method=GET") {
			line = l
		}
	}
	if !strings.Contains(line, "principal=ann@example.com") || !strings.Contains(line, "status=200") {
		t.Fatalf("log line of GET /account/login: %q", line)
	}
	m := env.Scrape()
	found := false
	for _, fam := range m {
		for _, met := range fam.GetMetric() {
			for _, l := range met.GetLabel() {
				if l.GetName() == "route" && l.GetValue() == "web" {
					found = true
				}
			}
		}
	}
	if !found {
		t.Fatal("no request counted under the route web")
	}
}

func TestSharePages(t *testing.T) {
	env := servertest.New(t)
	ann := env.Account("ann@example.com")
	bob := env.Account("bob@example.com")
	ctx := context.Background()
	a := newClient(t, env).login("ann@example.com")
	a.post("/calendars", "displayname", "Team")
	a.post("/calendars/team/shares", "login", "bob@example.com", "access", "read").want(http.StatusOK, "Shared.", "bob@example.com")
	a.post("/calendars/team/shares/"+bob.ID, "access", "read-write", "show_private", "on").want(http.StatusOK, "Saved.")
	g, err := env.Store.Grant(ctx, ann.ID, "team", bob.ID)
	if err != nil || g.Access != storage.AccessReadWrite || !g.ShowPrivate {
		t.Fatalf("grant %+v %v", g, err)
	}
	b := newClient(t, env).login("bob@example.com")
	b.get("/calendars").want(http.StatusOK, "Team (ann@example.com)", "read and write")
	b.get("/shared/"+ann.ID+"/team/leave").want(http.StatusOK, "stays with ann@example.com")
	b.post("/shared/"+ann.ID+"/team/leave").want(http.StatusOK, "Removed from your calendars.").lacks("Team (ann@example.com)")
	if _, err := env.Store.Grant(ctx, ann.ID, "team", bob.ID); err == nil {
		t.Fatal("leaving kept the grant")
	}
	a.get("/calendars/team")
	a.post("/calendars/team/shares", "login", "bob@example.com", "access", "read")
	a.get("/calendars/team/shares/"+bob.ID+"/revoke").want(http.StatusOK, "Stop sharing “Team” with bob@example.com?")
	a.post("/calendars/team/shares/"+bob.ID+"/revoke").want(http.StatusOK, "No longer shared.")
	if _, err := env.Store.Grant(ctx, ann.ID, "team", bob.ID); err == nil {
		t.Fatal("revoking kept the grant")
	}
	// Bob cannot leave what is not shared with him.
	b.get("/shared/" + ann.ID + "/team/leave").want(http.StatusNotFound)
}

func TestRotateLink(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	c := newClient(t, env).login("ann@example.com")
	c.get("/calendars/default")
	c.post("/calendars/default/links", "label", "site", "past_days", "7", "future_days", "30", "expires", "2099-12-31").
		want(http.StatusOK, `value="7"`, `value="30"`, `value="2099-12-31"`)
	old := regexp.MustCompile(`value="(http[^"]+/ics/[^"]+)"`).FindStringSubmatch(c.body)[1]
	linkPage := c.url
	c.get(linkPage+"/rotate").want(http.StatusOK, "stops working at once")
	c.post(linkPage+"/rotate").want(http.StatusOK, "new address")
	fresh := regexp.MustCompile(`value="(http[^"]+/ics/[^"]+)"`).FindStringSubmatch(c.body)[1]
	if fresh == old || c.url == linkPage {
		t.Fatal("rotating kept the address")
	}
	if s, _ := fetchStatus(old); s != http.StatusNotFound {
		t.Fatalf("old address: %d", s)
	}
	if s, _ := fetchStatus(fresh); s != http.StatusOK {
		t.Fatalf("new address: %d", s)
	}
	// Settings change; clearing the window is allowed.
	c.post(c.url, "label", "site 2", "tier", "limited").want(http.StatusOK, "Saved.", `value="site 2"`).lacks(`value="7"`)
}
