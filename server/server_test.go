package server_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"almanac/server/servertest"
	"almanac/storage"
)

const password = servertest.Password

// newServer runs the server with one account, jane, on a loopback
// listener.
func newServer(t *testing.T) (url string, acc *storage.Account, logs *servertest.Logs) {
	t.Helper()
	env := servertest.New(t)
	acc = env.Account("jane@example.com")
	return env.Start(), acc, env.Logs
}

func do(t *testing.T, method, url, user, pass string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	if method == "PROPFIND" {
		req.Header.Set("Depth", "0")
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestWellKnownRedirects(t *testing.T) {
	srv, _, _ := newServer(t)
	for _, p := range []string{"/.well-known/caldav", "/.well-known/carddav"} {
		resp := do(t, "GET", srv+p, "", "")
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/dav/" {
			t.Errorf("%s: %d %q", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// PROPFIND on the well-known URL is redirected too (clients do that).
	if resp := do(t, "PROPFIND", srv+"/.well-known/caldav", "", ""); resp.StatusCode != http.StatusMovedPermanently {
		t.Errorf("PROPFIND well-known: %d", resp.StatusCode)
	}
}

func TestRootAndBareDavAnswerPropfind(t *testing.T) {
	srv, acc, _ := newServer(t)
	for _, p := range []string{"/", "/dav"} {
		resp := do(t, "PROPFIND", srv+p, "jane@example.com", password)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusMultiStatus || !strings.Contains(string(b), "/dav/principals/"+acc.ID+"/") {
			t.Errorf("PROPFIND %s: %d %s", p, resp.StatusCode, b)
		}
	}
	if resp := do(t, "GET", srv+"/", "", ""); resp.StatusCode != 200 {
		t.Errorf("GET /: %d", resp.StatusCode)
	}
	if resp := do(t, "PROPFIND", srv+"/", "", ""); resp.StatusCode != 401 {
		t.Errorf("anonymous PROPFIND /: %d", resp.StatusCode)
	}
}

func TestAuthRequired(t *testing.T) {
	srv, acc, _ := newServer(t)
	for _, p := range []string{"/dav/", "/dav/calendars/" + acc.ID + "/default/", "/api/v1/account"} {
		for _, cred := range [][2]string{{"", ""}, {"jane@example.com", "wrong"}, {"nobody@example.com", password}} {
			method := "PROPFIND"
			if strings.HasPrefix(p, "/api/") {
				method = "GET"
			}
			resp := do(t, method, srv+p, cred[0], cred[1])
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("%s as %q: %d %q", p, cred[0], resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		}
	}
	if resp := do(t, "PROPFIND", srv+"/dav/", "JANE@example.com", password); resp.StatusCode != http.StatusMultiStatus {
		t.Errorf("login case-insensitive: %d", resp.StatusCode)
	}
}

func TestAPIAccount(t *testing.T) {
	srv, acc, _ := newServer(t)
	resp := do(t, "GET", srv+"/api/v1/account", "jane@example.com", password)
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	if got["id"] != acc.ID || got["login"] != "jane@example.com" {
		t.Errorf("account %v", got)
	}
	if _, ok := got["password_hash"]; ok {
		t.Error("API exposes the password hash")
	}
	resp = do(t, "DELETE", srv+"/api/v1/account", "jane@example.com", password)
	var e405 struct {
		Error struct{ Code, Message string }
	}
	json.NewDecoder(resp.Body).Decode(&e405)
	if resp.StatusCode != 405 || e405.Error.Code != "method_not_allowed" || resp.Header.Get("Allow") == "" {
		t.Errorf("DELETE account: %d %+v", resp.StatusCode, e405)
	}
	resp = do(t, "GET", srv+"/api/v1/nope", "jane@example.com", password)
	var e struct {
		Error struct{ Code, Message string }
	}
	json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != 404 || e.Error.Code != "not_found" {
		t.Errorf("unknown endpoint: %d %+v", resp.StatusCode, e)
	}
}

func TestHealthz(t *testing.T) {
	srv, _, _ := newServer(t)
	resp := do(t, "GET", srv+"/healthz", "", "")
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"ok"`) {
		t.Errorf("healthz: %d %s", resp.StatusCode, b)
	}
	if resp := do(t, "GET", srv+"/no/such/page", "", ""); resp.StatusCode != 404 {
		t.Errorf("unknown page: %d", resp.StatusCode)
	}
}

func TestRequestLogHasNoSecrets(t *testing.T) {
	srv, acc, logs := newServer(t)
	do(t, "PROPFIND", srv+"/dav/calendars/"+acc.ID+"/?token=abc", "jane@example.com", password)
	do(t, "PROPFIND", srv+"/dav/", "jane@example.com", password+"x")
	out := logs.String()
	basic := base64.StdEncoding.EncodeToString([]byte("jane@example.com:" + password))
	for _, secret := range []string{password, basic, "token=abc", "argon2id"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"method=PROPFIND", "status=207", "principal=jane@example.com", "status=401", "req="} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// A request naming a 40 KiB path writes a log line of bounded size.
func TestRequestLogBoundsPath(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("jane@example.com")
	long := strings.Repeat("n", 40<<10)
	env.Do("PUT", "/dav/calendars/"+acc.ID+"/default/"+long+".ics", acc.Login, "x", "Content-Type", "text/calendar")
	for _, line := range strings.Split(env.Logs.String(), "\n") {
		if len(line) > 4<<10 {
			t.Fatalf("log line of %d bytes: %.200s…", len(line), line)
		}
	}
	if !strings.Contains(env.Logs.String(), "bytes)") {
		t.Fatalf("the request line does not say the path was cut:\n%.2000s", env.Logs.String())
	}
}
