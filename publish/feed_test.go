package publish_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"almanac/server/servertest"
	"almanac/sharing"
	"almanac/storage"
	"almanac/storage/bolt"
)

const password = servertest.Password

type env struct {
	t     *testing.T
	url   string
	store *bolt.DB
	jane  *storage.Account
	bob   *storage.Account
	logs  *servertest.Logs
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := servertest.New(t)
	e := &env{t: t, store: srv.Store, logs: srv.Logs}
	e.jane, e.bob = srv.Account("jane@example.com"), srv.Account("bob@example.com")
	e.url = srv.Start()
	return e
}

// call makes a request; as is the account ("" for none).
func (e *env) call(method, url, as, body string, hdr ...string) (*http.Response, []byte) {
	e.t.Helper()
	if strings.HasPrefix(url, "/") {
		url = e.url + url
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if as != "" {
		req.SetBasicAuth(as, password)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

func (e *env) putEvent(name, body string) {
	e.t.Helper()
	resp, data := e.call("PUT", "/dav/calendars/"+e.jane.ID+"/default/"+name, e.jane.Login, body, "Content-Type", "text/calendar")
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent {
		e.t.Fatalf("PUT %s: %d %s", name, resp.StatusCode, data)
	}
}

func (e *env) createLink(as, body string) *sharing.LinkJSON {
	e.t.Helper()
	resp, data := e.call("POST", sharing.LinksPath, as, body, "Content-Type", "application/json")
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("create link: %d %s", resp.StatusCode, data)
	}
	var l sharing.LinkJSON
	if err := json.Unmarshal(data, &l); err != nil {
		e.t.Fatal(err)
	}
	return &l
}

func ics(uid, summary string, extra ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:" + summary + "\r\n" +
		strings.Join(append(extra, ""), "\r\n") + "END:VEVENT\r\nEND:VCALENDAR\r\n"
}

// TestFeedLifecycle is the user story over HTTP: create a link,
// subscribe, see a new event after the next poll, change the tier,
// rotate and revoke.
func TestFeedLifecycle(t *testing.T) {
	e := newEnv(t)
	e.putEvent("a.ics", ics("a", "Planning", "DESCRIPTION:budget details"))
	l := e.createLink(e.jane.Login, `{"collection":"default","label":"Team site"}`)
	if l.Tier != sharing.TierFull || l.Kind != "calendar" || !strings.HasPrefix(l.URL, e.url+"/ics/") || len(l.URL) > 255 {
		t.Fatalf("link %+v", l)
	}
	if !strings.HasPrefix(l.Subscribe.Webcal, "webcal://") || !strings.Contains(l.Subscribe.Google, "calendar.google.com/calendar/r?cid=webcal%3A%2F%2F") ||
		!strings.Contains(l.Subscribe.Outlook, "addfromweb?url=http") || l.Subscribe.JCal != l.URL+".json" {
		t.Errorf("subscribe URLs %+v", l.Subscribe)
	}

	resp, body := e.call("GET", l.URL, "", "", "User-Agent", "Google-Calendar-Importer")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("feed: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for h, want := range map[string]string{
		"Access-Control-Allow-Origin": "*",
		"Content-Disposition":         `inline; filename="default.ics"`,
		"Cache-Control":               "public, max-age=0, must-revalidate",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if !strings.Contains(string(body), "SUMMARY:Planning") || !strings.Contains(string(body), "budget details") || !strings.Contains(string(body), "X-WR-CALNAME:Calendar") {
		t.Fatalf("feed body:\n%s", body)
	}
	etag := resp.Header.Get("ETag")
	lastMod := resp.Header.Get("Last-Modified")
	if !strings.HasPrefix(etag, `"`) || lastMod == "" {
		t.Fatalf("validators %q %q", etag, lastMod)
	}

	// The poll before any change is a 304, by ETag or by a date at or
	// after the change. (The first response may fall within the second
	// of the change and carry the second before it, which validates
	// nothing: TestIfModifiedSinceSameSecond.)
	if r, _ := e.call("GET", l.URL, "", "", "If-None-Match", etag); r.StatusCode != 304 || r.Header.Get("ETag") != etag {
		t.Errorf("If-None-Match: %d %q", r.StatusCode, r.Header.Get("ETag"))
	}
	after := time.Now().Add(time.Second).UTC().Format(http.TimeFormat)
	if r, _ := e.call("GET", l.URL, "", "", "If-Modified-Since", after); r.StatusCode != 304 {
		t.Errorf("If-Modified-Since: %d", r.StatusCode)
	}

	// A change that is not published (an alarm) keeps the ETag; a new
	// event changes it and appears.
	e.putEvent("a.ics", ics("a", "Planning", "DESCRIPTION:budget details", "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT5M", "END:VALARM"))
	if r, _ := e.call("GET", l.URL, "", "", "If-None-Match", etag); r.StatusCode != 304 {
		t.Errorf("an alarm changed the published feed: %d", r.StatusCode)
	}
	e.putEvent("b.ics", ics("b", "Launch"))
	resp, body = e.call("GET", l.URL, "", "", "If-None-Match", etag)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "SUMMARY:Launch") || resp.Header.Get("ETag") == etag {
		t.Fatalf("after a new event: %d etag %q\n%s", resp.StatusCode, resp.Header.Get("ETag"), body)
	}
	etag = resp.Header.Get("ETag")

	// Change the tier: the ETag changes and details disappear.
	resp, data := e.call("PATCH", sharing.LinksPath+"/"+l.ID, e.jane.Login, `{"tier":"busy"}`, "Content-Type", "application/json")
	if resp.StatusCode != 200 {
		t.Fatalf("PATCH: %d %s", resp.StatusCode, data)
	}
	resp, body = e.call("GET", l.URL, "", "", "If-None-Match", etag)
	if resp.StatusCode != 200 || strings.Contains(string(body), "Planning") || strings.Count(string(body), "SUMMARY:Busy") != 2 {
		t.Fatalf("busy tier: %d\n%s", resp.StatusCode, body)
	}

	// The owner sees the fetches, with the last client.
	_, data = e.call("GET", sharing.LinksPath+"/"+l.ID, e.jane.Login, "")
	var seen sharing.LinkJSON
	json.Unmarshal(data, &seen)
	if seen.FetchCount < 5 || seen.LastFetched == nil || seen.URL != l.URL || seen.Tier != sharing.TierBusy {
		t.Errorf("link as listed: %+v", seen)
	}

	// Rotate: the old URL is dead at once, the new one serves the same
	// settings.
	resp, data = e.call("POST", sharing.LinksPath+"/"+l.ID+"/rotate", e.jane.Login, "")
	var rotated sharing.LinkJSON
	json.Unmarshal(data, &rotated)
	if resp.StatusCode != 201 || rotated.URL == l.URL || rotated.Tier != sharing.TierBusy || rotated.Label != "Team site" {
		t.Fatalf("rotate: %d %s", resp.StatusCode, data)
	}
	if r, _ := e.call("GET", l.URL, "", ""); r.StatusCode != 404 {
		t.Errorf("old URL after rotate: %d", r.StatusCode)
	}
	if r, _ := e.call("GET", rotated.URL, "", ""); r.StatusCode != 200 {
		t.Errorf("new URL: %d", r.StatusCode)
	}

	// Revoke: 404 in the same second, for every form of the URL.
	if r, _ := e.call("DELETE", sharing.LinksPath+"/"+rotated.ID, e.jane.Login, ""); r.StatusCode != 204 {
		t.Fatalf("revoke: %d", r.StatusCode)
	}
	for _, u := range []string{rotated.URL, rotated.URL + ".ics", rotated.URL + ".json"} {
		if r, _ := e.call("GET", u, "", ""); r.StatusCode != 404 {
			t.Errorf("%s after revoke: %d", u, r.StatusCode)
		}
	}
	if r, _ := e.call("DELETE", sharing.LinksPath+"/"+rotated.ID, e.jane.Login, ""); r.StatusCode != 404 {
		t.Errorf("second revoke: %d", r.StatusCode)
	}

	// Tokens never reach the log.
	for _, tok := range []string{l.URL[strings.LastIndex(l.URL, "/")+1:], rotated.URL[strings.LastIndex(rotated.URL, "/")+1:]} {
		if strings.Contains(e.logs.String(), tok) {
			t.Errorf("token %s… logged", tok[:6])
		}
	}
	if !strings.Contains(e.logs.String(), "path=/ics/") {
		t.Error("feed requests are not logged at all")
	}
}

func TestFeedFormats(t *testing.T) {
	e := newEnv(t)
	e.putEvent("a.ics", ics("a", "Planning"))
	l := e.createLink(e.jane.Login, `{"collection":"default"}`)
	plainResp, plain := e.call("GET", l.URL, "", "")

	resp, body := e.call("GET", l.URL, "", "", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("ETag") == plainResp.Header.Get("ETag") {
		t.Fatalf("gzip: %q etag %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("ETag"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain) {
		t.Error("gzipped feed differs from the plain one")
	}
	if r, _ := e.call("GET", l.URL, "", "", "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 answered gzipped")
	}

	resp, body = e.call("HEAD", l.URL, "", "")
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Length") != plainResp.Header.Get("Content-Length") {
		t.Errorf("HEAD: %d %d %q", resp.StatusCode, len(body), resp.Header.Get("Content-Length"))
	}

	for _, req := range [][]string{{l.URL + ".json"}, {l.URL, "Accept", "application/calendar+json"}} {
		resp, body = e.call("GET", req[0], "", "", req[1:]...)
		var v []any
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/calendar+json; charset=utf-8" || json.Unmarshal(body, &v) != nil || len(v) != 3 || v[0] != "vcalendar" {
			t.Errorf("jCal %v: %d %q %.100s", req, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	if r, b := e.call("GET", l.URL+".ics", "", ""); r.StatusCode != 200 || !bytes.Equal(b, plain) {
		t.Errorf(".ics: %d", r.StatusCode)
	}

	resp, _ = e.call("OPTIONS", l.URL, "", "", "Origin", "https://example.org", "Access-Control-Request-Method", "GET")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "PROPFIND"} {
		if r, _ := e.call(m, l.URL, "", ""); r.StatusCode != 405 {
			t.Errorf("%s on a feed: %d", m, r.StatusCode)
		}
	}
	// A calendar token under /vcf/ and a token with a path are not feeds.
	token := l.URL[strings.LastIndex(l.URL, "/")+1:]
	for _, p := range []string{"/vcf/" + token, "/ics/" + token + "/x", "/ics/", "/ics/" + token + ".xml"} {
		if r, _ := e.call("GET", p, "", ""); r.StatusCode != 404 {
			t.Errorf("%s: %d", p, r.StatusCode)
		}
	}
}

func TestAddressBookFeed(t *testing.T) {
	e := newEnv(t)
	card := "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Ann\r\nN:Ann;;;;\r\nEND:VCARD\r\n"
	if r, b := e.call("PUT", "/dav/addressbooks/"+e.jane.ID+"/contacts/c1.vcf", e.jane.Login, card, "Content-Type", "text/vcard"); r.StatusCode != 201 {
		t.Fatalf("PUT card: %d %s", r.StatusCode, b)
	}
	l := e.createLink(e.jane.Login, `{"collection":"contacts"}`)
	if l.Kind != "addressbook" || !strings.Contains(l.URL, "/vcf/") || l.Subscribe.Webcal != "" {
		t.Fatalf("address-book link %+v", l)
	}
	resp, body := e.call("GET", l.URL, "", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/vcard; charset=utf-8" || string(body) != card {
		t.Errorf("vcf feed: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if r, _ := e.call("GET", strings.Replace(l.URL, "/vcf/", "/ics/", 1), "", ""); r.StatusCode != 404 {
		t.Errorf("address-book token under /ics/: %d", r.StatusCode)
	}
}

func TestGuessedTokensAreThrottled(t *testing.T) {
	e := newEnv(t)
	l := e.createLink(e.jane.Login, `{"collection":"default"}`)
	var last *http.Response
	for i := 0; i < 25; i++ {
		guess := strings.Repeat(string(rune('A'+i)), sharing.TokenLen)
		last, _ = e.call("GET", "/ics/"+guess, "", "")
		if i < 20 && last.StatusCode != 404 {
			t.Fatalf("guess %d: %d", i, last.StatusCode)
		}
	}
	if last.StatusCode != 429 || last.Header.Get("Retry-After") == "" {
		t.Errorf("after 25 guesses: %d Retry-After %q", last.StatusCode, last.Header.Get("Retry-After"))
	}
	// A real token from the same address is not slowed.
	if r, _ := e.call("GET", l.URL, "", ""); r.StatusCode != 200 {
		t.Errorf("valid token while throttled: %d", r.StatusCode)
	}
}

func TestExpiredLink(t *testing.T) {
	e := newEnv(t)
	l := e.createLink(e.jane.Login, `{"collection":"default","expires":"`+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`"}`)
	if l.Expires == nil {
		t.Fatal("expires not shown")
	}
	stored, err := e.store.Link(context.Background(), l.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored.Expires = time.Now().Add(-time.Second)
	if err := e.store.UpdateLink(context.Background(), stored); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.call("GET", l.URL, "", ""); r.StatusCode != 404 {
		t.Errorf("expired link: %d", r.StatusCode)
	}
}

func TestLinksAPIErrors(t *testing.T) {
	e := newEnv(t)
	l := e.createLink(e.jane.Login, `{"collection":"default"}`)
	tests := []struct {
		name, method, path, as, body string
		status                       int
		code, field                  string
	}{
		{"no collection", "POST", sharing.LinksPath, e.jane.Login, `{"tier":"full"}`, 400, "invalid_field", "collection"},
		{"unknown collection", "POST", sharing.LinksPath, e.jane.Login, `{"collection":"nope"}`, 400, "invalid_field", "collection"},
		{"other user's collection", "POST", sharing.LinksPath, e.bob.Login, `{"collection":"nope"}`, 400, "invalid_field", "collection"},
		{"bad tier", "POST", sharing.LinksPath, e.jane.Login, `{"collection":"default","tier":"secret"}`, 400, "invalid_field", "tier"},
		{"bad component", "POST", sharing.LinksPath, e.jane.Login, `{"collection":"default","components":["VALARM"]}`, 400, "invalid_field", "components"},
		{"window too wide", "POST", sharing.LinksPath, e.jane.Login, `{"collection":"default","window":{"past_days":99999}}`, 400, "invalid_field", "window"},
		{"negative window", "POST", sharing.LinksPath, e.jane.Login, `{"collection":"default","window":{"future_days":-1}}`, 400, "invalid_field", "window"},
		{"expiry in the past", "POST", sharing.LinksPath, e.jane.Login, `{"collection":"default","expires":"2001-01-01T00:00:00Z"}`, 400, "invalid_field", "expires"},
		{"unknown field", "POST", sharing.LinksPath, e.jane.Login, `{"collection":"default","public":true}`, 400, "invalid_field", "public"},
		{"label too long", "POST", sharing.LinksPath, e.jane.Login, `{"collection":"default","label":"` + strings.Repeat("x", 101) + `"}`, 400, "invalid_field", "label"},
		{"busy address book", "POST", sharing.LinksPath, e.jane.Login, `{"collection":"contacts","tier":"busy"}`, 400, "invalid_field", "tier"},
		{"not JSON", "POST", sharing.LinksPath, e.jane.Login, `tier=full`, 400, "invalid_json", ""},
		{"no login", "GET", sharing.LinksPath, "", ``, 401, "", ""},
		{"other user's link", "GET", sharing.LinksPath + "/" + l.ID, e.bob.Login, ``, 404, "not_found", ""},
		{"other user's patch", "PATCH", sharing.LinksPath + "/" + l.ID, e.bob.Login, `{"tier":"busy"}`, 404, "not_found", ""},
		{"other user's rotate", "POST", sharing.LinksPath + "/" + l.ID + "/rotate", e.bob.Login, ``, 404, "not_found", ""},
		{"other user's revoke", "DELETE", sharing.LinksPath + "/" + l.ID, e.bob.Login, ``, 404, "not_found", ""},
		{"move collection", "PATCH", sharing.LinksPath + "/" + l.ID, e.jane.Login, `{"collection":"contacts"}`, 400, "invalid_field", "collection"},
		{"unknown link", "GET", sharing.LinksPath + "/nope", e.jane.Login, ``, 404, "not_found", ""},
		{"unknown action", "POST", sharing.LinksPath + "/" + l.ID + "/share", e.jane.Login, ``, 404, "not_found", ""},
		{"PUT", "PUT", sharing.LinksPath + "/" + l.ID, e.jane.Login, `{}`, 405, "method_not_allowed", ""},
		{"GET rotate", "GET", sharing.LinksPath + "/" + l.ID + "/rotate", e.jane.Login, ``, 405, "method_not_allowed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, data := e.call(tt.method, tt.path, tt.as, tt.body, "Content-Type", "application/json")
			if tt.name == "not JSON" {
				resp, data = e.call(tt.method, tt.path, tt.as, tt.body)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, data, tt.status)
			}
			if tt.code == "" {
				return
			}
			var got struct {
				Error struct{ Code, Message, Field string } `json:"error"`
			}
			if err := json.Unmarshal(data, &got); err != nil || got.Error.Code != tt.code || got.Error.Field != tt.field || got.Error.Message == "" {
				t.Errorf("error body %s, want code %s field %q", data, tt.code, tt.field)
			}
		})
	}
	// Nothing was created by the refused requests, and bob sees none of
	// jane's links.
	_, data := e.call("GET", sharing.LinksPath, e.jane.Login, "")
	var list struct{ Links []sharing.LinkJSON }
	json.Unmarshal(data, &list)
	if len(list.Links) != 1 || list.Links[0].ID != l.ID || list.Links[0].Tier != sharing.TierFull {
		t.Errorf("jane's links: %s", data)
	}
	_, data = e.call("GET", sharing.LinksPath, e.bob.Login, "")
	if !strings.Contains(string(data), `"links":[]`) {
		t.Errorf("bob's links: %s", data)
	}
	// Deleting the calendar takes its links along.
	if r, _ := e.call("DELETE", "/dav/calendars/"+e.jane.ID+"/default/", e.jane.Login, ""); r.StatusCode != 204 {
		t.Fatalf("delete calendar: %d", r.StatusCode)
	}
	if r, _ := e.call("GET", l.URL, "", ""); r.StatusCode != 404 {
		t.Errorf("feed of a deleted calendar: %d", r.StatusCode)
	}
}

func TestLinkWindowAndUpdate(t *testing.T) {
	e := newEnv(t)
	old := strings.Replace(ics("old", "Old"), "20260310", "20200310", 2)
	e.putEvent("old.ics", old)
	soon := time.Now().AddDate(0, 0, 10).UTC().Format("20060102")
	e.putEvent("new.ics", strings.ReplaceAll(ics("new", "New"), "20260310", soon))
	l := e.createLink(e.jane.Login, `{"collection":"default","window":{"past_days":30,"future_days":3650},"components":["vevent"]}`)
	if l.Window == nil || *l.Window.PastDays != 30 || l.Components[0] != "VEVENT" {
		t.Fatalf("link %+v", l)
	}
	_, body := e.call("GET", l.URL, "", "")
	if strings.Contains(string(body), "UID:old") || !strings.Contains(string(body), "UID:new") {
		t.Errorf("window feed:\n%s", body)
	}
	resp, data := e.call("PATCH", sharing.LinksPath+"/"+l.ID, e.jane.Login, `{"window":null,"label":"All"}`, "Content-Type", "application/json")
	var got sharing.LinkJSON
	json.Unmarshal(data, &got)
	if resp.StatusCode != 200 || got.Window != nil || got.Label != "All" || got.Components[0] != "VEVENT" {
		t.Fatalf("PATCH: %d %s", resp.StatusCode, data)
	}
	if _, body := e.call("GET", l.URL, "", ""); !strings.Contains(string(body), "UID:old") {
		t.Errorf("feed without window lacks the old event")
	}
}
