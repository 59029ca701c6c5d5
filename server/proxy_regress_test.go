package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"almanac/auth"
	"almanac/internal/remote"
	"almanac/server"
	"almanac/server/servertest"
)

// proxyEnv is the server behind a reverse proxy at 10.0.0.1, trusted or
// not, with password throttling tight enough to reach in a few requests.
func proxyEnv(t *testing.T, trusted string) *servertest.Env {
	t.Helper()
	nets, err := remote.ParseTrusted(trusted)
	if err != nil {
		t.Fatal(err)
	}
	e := servertest.New(t, func(c *server.Config) {
		c.TrustedProxies = nets
		c.Auth = auth.New(c.Store, auth.Options{Logger: c.Logger,
			Limits: auth.Limits{LoginFailures: 3, AddressFailures: 3, GlobalLoginFailures: -1}})
	})
	e.Account("jane@example.com")
	return e
}

const proxy = "10.0.0.1:50000"

// via serves one request from the connection peer, with the proxy
// headers hdr (name, value pairs).
func via(e *servertest.Env, peer, method, path, login, pass string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = peer
	if login != "" {
		r.Header.Set("Authorization", servertest.BasicAuth(login, pass))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	if method == "PROPFIND" {
		r.Header.Set("Depth", "0")
	}
	rec := httptest.NewRecorder()
	e.Server.ServeHTTP(rec, r)
	return rec
}

// Issue 14: behind the reverse proxy the README recommends every client
// had the proxy's address, so one client's wrong passwords locked
// everyone out. With the proxy trusted, each client is counted under the
// address the proxy names; a client cannot escape its own count by
// sending X-Forwarded-For itself, through the proxy or around it.
func TestThrottlingBehindTrustedProxyCountsEachClient(t *testing.T) {
	e := proxyEnv(t, "10.0.0.1/32")
	propfind := func(peer, xff, pass string) int {
		return via(e, peer, "PROPFIND", "/dav/", "jane@example.com", pass, "X-Forwarded-For", xff).Code
	}
	for i := range 3 {
		if code := propfind(proxy, "198.51.100.66", "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d through the proxy: %d, want 401", i, code)
		}
	}
	if code := propfind(proxy, "198.51.100.66", servertest.Password); code != http.StatusTooManyRequests {
		t.Fatalf("the guessing client after 3 failures: %d, want 429", code)
	}
	// Whatever the guessing client writes to the left of the entry the
	// proxy appends, it stays counted under its own address.
	if code := propfind(proxy, "198.51.100.50, 198.51.100.66", servertest.Password); code != http.StatusTooManyRequests {
		t.Errorf("the guessing client with a forged X-Forwarded-For: %d, want 429", code)
	}
	if code := propfind(proxy, "198.51.100.7", servertest.Password); code != http.StatusMultiStatus {
		t.Errorf("another client behind the same proxy: %d, want 207", code)
	}

	// Around the proxy, X-Forwarded-For is the client's own word: it is
	// ignored, the connection's address is counted.
	for range 3 {
		propfind("203.0.113.9:1234", "198.51.100.8", "wrong")
	}
	if code := propfind("203.0.113.9:1234", "198.51.100.99", servertest.Password); code != http.StatusTooManyRequests {
		t.Errorf("a direct client naming a fresh address: %d, want 429", code)
	}
	if code := propfind(proxy, "198.51.100.8", servertest.Password); code != http.StatusMultiStatus {
		t.Errorf("the address the direct client named was charged: %d, want 207", code)
	}
}

// TestUntrustedForwardedForChangesNothing: without -trusted-proxies the
// header is ignored even from the proxy, so clients behind it share the
// proxy's address as before.
func TestUntrustedForwardedForChangesNothing(t *testing.T) {
	e := proxyEnv(t, "")
	for range 3 {
		via(e, proxy, "PROPFIND", "/dav/", "jane@example.com", "wrong", "X-Forwarded-For", "198.51.100.66")
	}
	if code := via(e, proxy, "PROPFIND", "/dav/", "jane@example.com", servertest.Password, "X-Forwarded-For", "198.51.100.7").Code; code != http.StatusTooManyRequests {
		t.Errorf("a second client named by an untrusted header: %d, want 429 (the proxy's address is locked)", code)
	}
}

// TestFeedGuessingBehindTrustedProxy: the public feeds' token-guessing
// limit counts the address the proxy names too.
func TestFeedGuessingBehindTrustedProxy(t *testing.T) {
	e := proxyEnv(t, "10.0.0.1/32")
	guess := func(xff string) int {
		return via(e, proxy, "GET", "/ics/"+strings.Repeat("x", 40), "", "", "X-Forwarded-For", xff).Code
	}
	code := 0
	for i := 0; i < 100 && code != http.StatusTooManyRequests; i++ {
		code = guess("198.51.100.66")
	}
	if code != http.StatusTooManyRequests {
		t.Fatalf("100 guesses from one client: never 429")
	}
	if code := guess("198.51.100.7"); code != http.StatusNotFound {
		t.Errorf("another client behind the proxy: %d, want 404", code)
	}
}

// TestURLsBehindTrustedProxy: what the server builds from the request's
// scheme and host (public link URLs without -public-url, the session
// cookie's Secure flag, the MOVE Destination check) follows the trusted
// proxy's X-Forwarded-Proto and -Host, and the request log names the
// client; the same headers from anyone else change nothing.
func TestURLsBehindTrustedProxy(t *testing.T) {
	e := proxyEnv(t, "10.0.0.1/32")
	fwd := []string{"X-Forwarded-For", "198.51.100.7", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "cal.example.com"}
	link := func(peer string) string {
		r := httptest.NewRequest("POST", "/api/v1/links", strings.NewReader(`{"collection":"default"}`))
		r.Host = "127.0.0.1:8080"
		r.RemoteAddr = peer
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", servertest.BasicAuth("jane@example.com", servertest.Password))
		for i := 0; i+1 < len(fwd); i += 2 {
			r.Header.Set(fwd[i], fwd[i+1])
		}
		rec := httptest.NewRecorder()
		e.Server.ServeHTTP(rec, r)
		var v struct{ URL string }
		if err := json.Unmarshal(rec.Body.Bytes(), &v); rec.Code != http.StatusCreated || err != nil {
			t.Fatalf("create link: %d %s", rec.Code, rec.Body)
		}
		return v.URL
	}
	if u := link(proxy); !strings.HasPrefix(u, "https://cal.example.com/ics/") {
		t.Errorf("link URL through the proxy: %q", u)
	}
	if u := link("203.0.113.9:1234"); !strings.HasPrefix(u, "http://127.0.0.1:8080/ics/") {
		t.Errorf("link URL from an untrusted peer: %q", u)
	}
	if !strings.Contains(e.Logs.String(), "addr=198.51.100.7\n") {
		t.Errorf("the request log does not name the client:\n%s", e.Logs)
	}

	session := func(peer string) string {
		r := httptest.NewRequest("POST", "/api/v1/session", strings.NewReader(`{"login":"jane@example.com","password":"`+servertest.Password+`"}`))
		r.RemoteAddr = peer
		r.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(fwd); i += 2 {
			r.Header.Set(fwd[i], fwd[i+1])
		}
		rec := httptest.NewRecorder()
		e.Server.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			t.Fatalf("session: %d %s", rec.Code, rec.Body)
		}
		return rec.Header().Get("Set-Cookie")
	}
	if c := session(proxy); !strings.Contains(c, "; Secure") {
		t.Errorf("session cookie over https through the proxy is not Secure: %q", c)
	}
	if c := session("203.0.113.9:1234"); strings.Contains(c, "; Secure") {
		t.Errorf("a forged X-Forwarded-Proto made the cookie Secure over plain HTTP: %q", c)
	}

	// MOVE names its Destination with the host the client used; the
	// proxy passed the request on with its own Host.
	base := "/dav/calendars/" + handle(t, e) + "/default/"
	r := httptest.NewRequest("PUT", base+"a.ics", strings.NewReader(event))
	r.Header.Set("Authorization", servertest.BasicAuth("jane@example.com", servertest.Password))
	rec := httptest.NewRecorder()
	e.Server.ServeHTTP(rec, r)
	if rec.Code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	move := func(peer string) int {
		r := httptest.NewRequest("MOVE", base+"a.ics", nil)
		r.Host = "127.0.0.1:8080"
		r.RemoteAddr = peer
		r.Header.Set("Authorization", servertest.BasicAuth("jane@example.com", servertest.Password))
		r.Header.Set("Destination", "https://cal.example.com"+base+"b.ics")
		for i := 0; i+1 < len(fwd); i += 2 {
			r.Header.Set(fwd[i], fwd[i+1])
		}
		rec := httptest.NewRecorder()
		e.Server.ServeHTTP(rec, r)
		return rec.Code
	}
	if code := move("203.0.113.9:1234"); code != http.StatusBadGateway {
		t.Errorf("MOVE to another host from an untrusted peer: %d, want 502", code)
	}
	if code := move(proxy); code != http.StatusCreated {
		t.Errorf("MOVE to the host the client used, through the proxy: %d, want 201", code)
	}
}

const event = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:proxy-move\r\n" +
	"DTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\nSUMMARY:moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func handle(t *testing.T, e *servertest.Env) string {
	t.Helper()
	acc, err := e.Store.AccountByLogin(t.Context(), "jane@example.com")
	if err != nil {
		t.Fatal(err)
	}
	return acc.ID
}
