package interop

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"almanac/account"
	"almanac/caldav"
	"almanac/internal/pgtest"
	"almanac/internal/tooltest"
	"almanac/sharing"
)

// almanacServer is one `almanac serve -db` process of a test.
type almanacServer struct {
	URL  string // http://127.0.0.1:PORT
	proc *tooltest.Process
}

var listeningLine = regexp.MustCompile(`msg="almanac listening" addr=(\S+)`)

// almanacs runs the almanac binary bin for one test on the database db:
// accounts are made with `user add -db`, servers started with `serve
// -db`, each with a data directory of its own and all with one link key,
// as README's "Running several servers" tells operators.
type almanacs struct {
	t       *testing.T
	bin, db string
	dir     string
}

func newAlmanacs(t *testing.T, db string) *almanacs {
	t.Helper()
	dir := t.TempDir()
	a := &almanacs{t: t, bin: filepath.Join(dir, "almanac"), db: db, dir: dir}
	buildAlmanac(t, a.bin)
	// On PostgreSQL serve makes no link key: every server must read the
	// same one, made once as README shows (head -c 32 /dev/urandom).
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(a.linkKey(), key, 0o600); err != nil {
		t.Fatal(err)
	}
	return a
}

func (a *almanacs) linkKey() string { return filepath.Join(a.dir, "link.key") }

func (a *almanacs) env() []string { return cleanEnv(a.dir) }

// addUser makes an account with `almanac user add -db`, the password
// given on standard input.
func (a *almanacs) addUser(handle, login, password string) {
	a.t.Helper()
	cmd := exec.Command(a.bin, "user", "add", "-db", a.db, "-handle", handle, login)
	cmd.Env = a.env()
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		a.t.Fatalf("almanac user add %s: %v\n%s", login, err, out)
	}
}

// start runs `almanac serve -db` and returns once it listens.
func (a *almanacs) start(name string) *almanacServer {
	a.t.Helper()
	data := filepath.Join(a.dir, name)
	cmd := exec.Command(a.bin, "serve", "-listen", "127.0.0.1:0", "-data", data, "-db", a.db, "-link-key", a.linkKey())
	cmd.Env = a.env()
	cmd.Dir = a.dir
	s := &almanacServer{proc: tooltest.Start(a.t, "almanac serve ("+name+")", cmd)}
	s.proc.WaitReady(a.t, "its listener", time.Minute, func() error {
		m := listeningLine.FindStringSubmatch(s.proc.Logs())
		if m == nil {
			return fmt.Errorf("no %q line yet", "almanac listening")
		}
		s.URL = "http://" + m[1]
		return nil
	})
	return s
}

// accountEnv is the env of the account handle, logging in with login
// and password, through the server at base.
func accountEnv(base, handle, login, password string) *env {
	return &env{
		URL:       base,
		Login:     login,
		Password:  password,
		User:      handle,
		Principal: "/dav/principals/" + handle + "/",
		Home:      "/dav/calendars/" + handle + "/",
		Calendar:  "/dav/calendars/" + handle + "/" + caldav.DefaultCalendar + "/",
	}
}

// onServer is url (absolute) with the scheme and host of base.
func onServer(t *testing.T, raw, base string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Scheme, u.Host = b.Scheme, b.Host
	return u.String()
}

// basicStatus sends PROPFIND Depth 0 on path with HTTP Basic and returns
// the status.
func basicStatus(t *testing.T, base, path, login, password string) int {
	t.Helper()
	e := &env{URL: base, Login: login, Password: password}
	resp, _ := e.do(t, "PROPFIND", path, map[string]string{"Depth": "0"}, "")
	return resp.StatusCode
}

// TestTwoServers is issue 20's interop test: two almanac processes on
// one PostgreSQL database, as behind a load balancer. A PUT through one
// reaches vdirsyncer syncing through the other, and what vdirsyncer
// uploads through that one is read through the first with the same
// ETag; a feed has one ETag and Last-Modified on both and a conditional
// GET through either answers 304; a link revoked through one is gone
// from the other at once, as is a password changed through one; and
// failed logins spread over both count against one limit.
func TestTwoServers(t *testing.T) {
	v, local, status := newVdirsyncer(t)
	srv := newAlmanacs(t, pgtest.URL(t))
	srv.addUser("alice", testLogin, testPassword)
	srv.addUser("carol", "carol@example.com", testPassword)
	a := srv.start("a")
	b := srv.start("b")
	ea := accountEnv(a.URL, "alice", testLogin, testPassword)
	eb := accountEnv(b.URL, "alice", testLogin, testPassword)

	t.Run("vdirsyncer", func(t *testing.T) {
		etag := ea.put(t, ea.Calendar+"srv1.ics", icsEvent("srv1@interop", "through a", "20260301T100000Z"), nil)
		v.writeConfig(t, eb, local, status, "a wins")
		t.Logf("vdirsyncer discover through b:\n%s", v.run(t, "discover"))
		out := v.run(t, "sync")
		t.Logf("vdirsyncer sync through b:\n%s", out)
		got := localItems(t, local)
		if icalValue(got["srv1@interop"].data, "SUMMARY") != "through a" {
			t.Fatalf("vdirsyncer through b has %v, want srv1@interop from a\n%s", uids(got), out)
		}
		if resp, _ := eb.do(t, http.MethodGet, eb.Calendar+"srv1.ics", nil, ""); resp.Header.Get("ETag") != etag {
			t.Errorf("ETag through b %q, through a %q", resp.Header.Get("ETag"), etag)
		}

		// A creation and an edit by vdirsyncer, through b.
		created := icsEvent("local1@interop", "made by vdirsyncer", "20260302T100000Z")
		edited := icsEvent("srv1@interop", "edited by vdirsyncer", "20260301T100000Z")
		for name, data := range map[string]string{"local1.ics": created, got["srv1@interop"].where: edited} {
			if err := os.WriteFile(filepath.Join(local, name), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		out = v.run(t, "sync")
		t.Logf("vdirsyncer sync of local changes through b:\n%s", out)
		onB := eb.serverItems(t)
		for uid, want := range map[string]string{"local1@interop": created, "srv1@interop": edited} {
			it, ok := onB[uid]
			if !ok {
				t.Errorf("%s not on the server after the sync through b:\n%s", uid, out)
				continue
			}
			ra, bodyA := ea.do(t, http.MethodGet, it.where, nil, "")
			rb, _ := eb.do(t, http.MethodGet, it.where, nil, "")
			if ra.StatusCode != http.StatusOK || string(bodyA) != want {
				t.Errorf("GET %s through a: %d\n%q\nwant what vdirsyncer uploaded through b:\n%q", it.where, ra.StatusCode, bodyA, want)
			}
			if ra.Header.Get("ETag") == "" || ra.Header.Get("ETag") != rb.Header.Get("ETag") {
				t.Errorf("GET %s: ETag through a %q, through b %q", it.where, ra.Header.Get("ETag"), rb.Header.Get("ETag"))
			}
		}
	})

	t.Run("feed and link revocation", func(t *testing.T) {
		resp, body := ea.do(t, http.MethodPost, sharing.LinksPath, map[string]string{"Content-Type": "application/json"},
			`{"collection":"default","tier":"full"}`)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create link through a: %d %s", resp.StatusCode, body)
		}
		var l sharing.LinkJSON
		if err := json.Unmarshal(body, &l); err != nil {
			t.Fatal(err)
		}
		// Within the second of a change a feed's Last-Modified is the
		// second before it, which If-Modified-Since never validates
		// (publish.lastModified); the dates are compared from the next
		// second on, when the link made above is in the past.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
		feedA, feedB := onServer(t, l.URL, a.URL), onServer(t, l.URL, b.URL)
		ra := feedGet(t, feedA)
		rb := feedGet(t, feedB)
		if ra.status != http.StatusOK || rb.status != http.StatusOK {
			t.Fatalf("feed: %d through a, %d through b", ra.status, rb.status)
		}
		if ra.etag == "" || ra.lastModified == "" || ra.etag != rb.etag || ra.lastModified != rb.lastModified || ra.body != rb.body {
			t.Errorf("feed through a: ETag %q, Last-Modified %q; through b: %q, %q; same body %v",
				ra.etag, ra.lastModified, rb.etag, rb.lastModified, ra.body == rb.body)
		}
		for _, c := range []struct {
			url, header, value string
		}{
			{feedB, "If-None-Match", ra.etag},
			{feedA, "If-None-Match", rb.etag},
			{feedB, "If-Modified-Since", ra.lastModified},
			{feedA, "If-Modified-Since", rb.lastModified},
		} {
			if r := feedGet(t, c.url, c.header, c.value); r.status != http.StatusNotModified {
				t.Errorf("GET %s with %s of the other server: %d, want 304", c.url, c.header, r.status)
			}
		}

		// A change through a is in the feed through b at once, with a
		// new ETag.
		ea.put(t, ea.Calendar+"feed1.ics", icsEvent("feed1@interop", "for the feed", "20260305T100000Z"), nil)
		if r := feedGet(t, feedB, "If-None-Match", ra.etag); r.status != http.StatusOK || r.etag == ra.etag || !strings.Contains(r.body, "feed1@interop") {
			t.Errorf("feed through b after a PUT through a: %d, ETag %q (was %q), has the event %v", r.status, r.etag, ra.etag, strings.Contains(r.body, "feed1@interop"))
		}

		resp, body = ea.do(t, http.MethodDelete, sharing.LinksPath+"/"+l.ID, nil, "")
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("revoke through a: %d %s", resp.StatusCode, body)
		}
		for name, u := range map[string]string{"b": feedB, "a": feedA} {
			if r := feedGet(t, u); r.status != http.StatusNotFound {
				t.Errorf("revoked feed through %s: %d, want 404", name, r.status)
			}
		}
	})

	t.Run("password change", func(t *testing.T) {
		const newPassword = "a different long passphrase"
		// b has seen the old password work (and may remember it).
		if got := basicStatus(t, b.URL, eb.Principal, testLogin, testPassword); got != http.StatusMultiStatus {
			t.Fatalf("PROPFIND through b with the password: %d", got)
		}
		resp, body := ea.do(t, http.MethodPost, account.AccountPath+"/password", map[string]string{"Content-Type": "application/json"},
			fmt.Sprintf(`{"current_password":%q,"new_password":%q,"new_password_confirm":%q}`, testPassword, newPassword, newPassword))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("change password through a: %d %s", resp.StatusCode, body)
		}
		if got := basicStatus(t, b.URL, eb.Principal, testLogin, testPassword); got != http.StatusUnauthorized {
			t.Errorf("PROPFIND through b with the old password after the change through a: %d, want 401", got)
		}
		if got := basicStatus(t, b.URL, eb.Principal, testLogin, newPassword); got != http.StatusMultiStatus {
			t.Errorf("PROPFIND through b with the new password: %d, want 207", got)
		}
	})

	t.Run("throttling", func(t *testing.T) {
		// auth/doc.go, Throttling: 10 failed passwords per login from one
		// address; the next attempt is refused unchecked. Five through
		// each server reach it only if both count in one place.
		const limit = 10
		const login, principal = "carol@example.com", "/dav/principals/carol/"
		for i := range limit {
			base := []string{a.URL, b.URL}[i%2]
			if got := basicStatus(t, base, principal, login, fmt.Sprintf("wrong guess %d", i)); got != http.StatusUnauthorized {
				t.Fatalf("failure %d of %d through %s: %d, want 401", i+1, limit, base, got)
			}
		}
		for name, base := range map[string]string{"a": a.URL, "b": b.URL} {
			if got := basicStatus(t, base, principal, login, "one more guess"); got != http.StatusTooManyRequests {
				t.Errorf("attempt through %s after %d failures split over both servers: %d, want 429", name, limit, got)
			}
			if got := basicStatus(t, base, principal, login, testPassword); got != http.StatusTooManyRequests {
				t.Errorf("the right password through %s during the lockout: %d, want 429", name, got)
			}
		}
	})
}

// feedResponse is what a GET of a feed answered.
type feedResponse struct {
	status                         int
	etag, lastModified, retryAfter string
	body                           string
}

// feedGet GETs a public feed without credentials; hdr are header
// name/value pairs.
func feedGet(t *testing.T, u string, hdr ...string) feedResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return feedResponse{resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), resp.Header.Get("Retry-After"), string(b)}
}
