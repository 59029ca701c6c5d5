package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"almanac/server/servertest"
)

// client is a browser without JavaScript: cookies, forms, redirects
// followed, every answer kept.
type client struct {
	t    testing.TB
	base string
	hc   *http.Client
	// last answer
	status int
	body   string
	url    string
	header http.Header
}

func newClient(t testing.TB, env *servertest.Env) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: env.Start(), hc: &http.Client{Jar: jar}}
}

func (c *client) do(req *http.Request) *client {
	c.t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.status, c.body, c.url, c.header = resp.StatusCode, string(b), resp.Request.URL.Path, resp.Header
	return c
}

func (c *client) get(path string, hdr ...string) *client {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.do(req)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token of the page last fetched.
func (c *client) csrf() string {
	m := csrfRe.FindStringSubmatch(c.body)
	if m == nil {
		return ""
	}
	return m[1]
}

// post submits a form as the browser would, with the CSRF token of the
// page last fetched unless the values carry one.
func (c *client) post(path string, kv ...string) *client {
	c.t.Helper()
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	if !v.Has("csrf") {
		v.Set("csrf", c.csrf())
	}
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *client) login(login string) *client {
	c.t.Helper()
	c.get("/login")
	c.post("/login", "login", login, "password", servertest.Password)
	if c.url != "/calendars" {
		c.t.Fatalf("login %s: at %s (%d): %s", login, c.url, c.status, c.body)
	}
	return c
}

func (c *client) want(status int, contains ...string) *client {
	c.t.Helper()
	if c.status != status {
		c.t.Fatalf("at %s: status %d, want %d; body:\n%s", c.url, c.status, status, c.body)
	}
	for _, s := range contains {
		if !strings.Contains(c.body, s) {
			c.t.Fatalf("at %s: body lacks %q:\n%s", c.url, s, c.body)
		}
	}
	return c
}

func (c *client) lacks(s ...string) *client {
	c.t.Helper()
	for _, x := range s {
		if strings.Contains(c.body, x) {
			c.t.Fatalf("at %s: body has %q:\n%s", c.url, x, c.body)
		}
	}
	return c
}
