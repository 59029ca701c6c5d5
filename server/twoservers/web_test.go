package twoservers

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"almanac/server/servertest"
	"almanac/storage"
)

var (
	csrfRe  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	tokenRe = regexp.MustCompile(`name="token" value="([^"]+)"`)
)

// browser is one cookie jar over both servers: a load balancer's
// client, whose requests land on either.
type browser struct {
	t    *testing.T
	base [2]string
	hc   *http.Client
	body string
}

func (p *pair) browser() *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: p.t, hc: &http.Client{Jar: jar}}
	for i, s := range p.srv {
		ts := httptest.NewServer(s)
		p.t.Cleanup(ts.Close)
		b.base[i] = ts.URL
	}
	// Cookies do not depend on the port: both servers get the session.
	return b
}

func (b *browser) do(req *http.Request, want int) {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	b.body = string(data)
	if resp.StatusCode != want {
		b.t.Fatalf("%s %s: %d, want %d:\n%s", req.Method, req.URL, resp.StatusCode, want, data)
	}
}

func (b *browser) get(i int, path string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base[i]+path, nil)
	b.do(req, http.StatusOK)
}

// csrf is the CSRF token of the page last fetched ("" on the login page,
// which has none).
func (b *browser) csrf() string {
	if m := csrfRe.FindStringSubmatch(b.body); m != nil {
		return m[1]
	}
	return ""
}

func (b *browser) post(i int, path string, want int, kv ...string) {
	b.t.Helper()
	v := url.Values{"csrf": {b.csrf()}}
	for j := 0; j+1 < len(kv); j += 2 {
		v.Set(kv[j], kv[j+1])
	}
	req, _ := http.NewRequest("POST", b.base[i]+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	b.do(req, want)
}

func (b *browser) upload(i int, path, name, content string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", b.csrf())
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(content))
	mw.Close()
	req, _ := http.NewRequest("POST", b.base[i]+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	b.do(req, http.StatusOK)
}

// A file previewed for import through one server is imported as
// previewed through the other: the upload waits in the store, not in
// the memory of the server that previewed it.
func TestImportPreview(t *testing.T) {
	p := newPair(t)
	b := p.browser()
	b.get(0, "/login")
	b.post(0, "/login", http.StatusOK, "login", p.jane.Login, "password", servertest.Password)
	b.get(0, "/calendars/default/import")
	b.upload(0, "/calendars/default/import", "team.ics", event("a@test", "Kick-off"))
	tok := tokenRe.FindStringSubmatch(b.body)
	if tok == nil {
		t.Fatalf("no token in the preview:\n%s", b.body)
	}
	b.get(1, "/calendars/default/import")
	b.post(1, "/calendars/default/import/confirm", http.StatusOK, "token", tok[1])
	n := 0
	if err := p.stores[0].List(context.Background(), p.jane.ID, "default", func(*storage.ObjectMeta) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d objects imported, want 1", n)
	}
}
