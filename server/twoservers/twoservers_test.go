package twoservers

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"almanac/account"
	"almanac/internal/pgtest"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/sharing"
	"almanac/storage"
	"almanac/storage/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// pair is two servers on one database.
type pair struct {
	t      *testing.T
	stores [2]*postgres.Store
	srv    [2]*server.Server
	logs   [2]*servertest.Logs
	jane   *storage.Account
}

// newPair builds the two servers; configure may change server i's
// configuration before it is built.
func newPair(t *testing.T, configure ...func(i int, c *server.Config)) *pair {
	t.Helper()
	url := pgtest.SchemaURL(t)
	key := make([]byte, sharing.KeySize)
	rand.Read(key)
	keys, err := sharing.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	p := &pair{t: t}
	post := &servertest.Postbox{}
	for i := range p.srv {
		// A server waiting for work another does asks every 50 ms.
		st, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 8, ServerRetry: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		p.stores[i], p.logs[i] = st, &servertest.Logs{}
		cfg := server.Config{Store: st, LinkKeys: keys, Mailer: post, Texter: post,
			Logger: slog.New(slog.NewTextHandler(p.logs[i], &slog.HandlerOptions{Level: slog.LevelDebug}))}
		for _, c := range configure {
			c(i, &cfg)
		}
		p.srv[i] = server.New(cfg)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log of server 0:\n%s\nlog of server 1:\n%s", p.logs[0], p.logs[1])
		}
	})
	p.jane = servertest.Account(t, p.stores[0], "jane@example.org")
	return p
}

// do serves one request on server i from 192.0.2.1 with header
// name/value pairs.
func (p *pair) do(i int, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	p.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = "192.0.2.1:40000"
	if strings.HasPrefix(body, "{") {
		r.Header.Set("Content-Type", "application/json")
	}
	for j := 0; j+1 < len(hdr); j += 2 {
		r.Header.Set(hdr[j], hdr[j+1])
	}
	rec := httptest.NewRecorder()
	p.srv[i].ServeHTTP(rec, r)
	return rec
}

// run runs server i's background work until the test ends or stop is
// called, which returns once it has stopped.
func (p *pair) run(i int) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.srv[i].Run(ctx)
	}()
	stop = func() {
		cancel()
		<-done
	}
	p.t.Cleanup(stop)
	return stop
}

func basic(login, pw string) []string {
	return []string{"Authorization", servertest.BasicAuth(login, pw)}
}

func (p *pair) want(rec *httptest.ResponseRecorder, code int, what string) {
	p.t.Helper()
	if rec.Code != code {
		p.t.Fatalf("%s: %d %s, want %d", what, rec.Code, rec.Body, code)
	}
}

// Ten wrong passwords for one login from one address, split across the
// servers, lock that login at that address on both: the eleventh
// attempt, even with the right password, is 429 on either.
func TestPasswordThrottle(t *testing.T) {
	p := newPair(t)
	for i := range 10 {
		p.want(p.do(i%2, "GET", account.AccountPath, "", basic(p.jane.Login, "wrong password")...), http.StatusUnauthorized, "wrong password")
	}
	for i := range 2 {
		rec := p.do(i, "GET", account.AccountPath, "", basic(p.jane.Login, servertest.Password)...)
		p.want(rec, http.StatusTooManyRequests, "after ten failures")
		if rec.Header().Get("Retry-After") == "" {
			t.Errorf("server %d: 429 without Retry-After", i)
		}
	}
	// Another address is not locked by them.
	r := httptest.NewRequest("GET", account.AccountPath, nil)
	r.RemoteAddr = "198.51.100.7:1"
	r.Header.Set("Authorization", servertest.BasicAuth(p.jane.Login, servertest.Password))
	rec := httptest.NewRecorder()
	p.srv[1].ServeHTTP(rec, r)
	p.want(rec, http.StatusOK, "the owner from another address")
}

// Unknown feed tokens from one address count on both servers: 20 per 10
// minutes, then 429 on either.
func TestFeedGuesses(t *testing.T) {
	p := newPair(t)
	for i := range 20 {
		p.want(p.do(i%2, "GET", "/ics/not-a-token-"+string(rune('a'+i)), ""), http.StatusNotFound, "a guessed token")
	}
	for i := range 2 {
		p.want(p.do(i, "GET", "/ics/not-a-token-z", ""), http.StatusTooManyRequests, "the 21st guess")
	}
}

// Recovery requests for one login count on both servers: five an hour.
func TestRecoveryLimit(t *testing.T) {
	p := newPair(t)
	body := `{"login":"` + p.jane.Login + `"}`
	for i := range 5 {
		p.want(p.do(i%2, "POST", account.RecoveryPath+"password", body), http.StatusAccepted, "a recovery request")
	}
	p.want(p.do(1, "POST", account.RecoveryPath+"password", body), http.StatusTooManyRequests, "the sixth recovery request")
}

// A password changed through one server is refused by the other at
// once, though that server had verified (and cached) it a moment before.
func TestPasswordChange(t *testing.T) {
	p := newPair(t)
	p.want(p.do(1, "GET", account.AccountPath, "", basic(p.jane.Login, servertest.Password)...), http.StatusOK, "the password before the change")
	const newPW = "a new and rather longer secret 42"
	p.want(p.do(0, "POST", account.AccountPath+"/password",
		`{"current_password":"`+servertest.Password+`","new_password":"`+newPW+`","new_password_confirm":"`+newPW+`"}`,
		basic(p.jane.Login, servertest.Password)...), http.StatusOK, "change password")
	p.want(p.do(1, "GET", account.AccountPath, "", basic(p.jane.Login, servertest.Password)...), http.StatusUnauthorized, "the old password on the other server")
	p.want(p.do(1, "GET", account.AccountPath, "", basic(p.jane.Login, newPW)...), http.StatusOK, "the new password on the other server")
}

// An app password revoked through one server is refused by the other at
// once.
func TestAppPasswordRevoked(t *testing.T) {
	p := newPair(t)
	rec := p.do(0, "POST", account.AccountPath+"/app-passwords", `{"name":"phone","scope":"full"}`, basic(p.jane.Login, servertest.Password)...)
	p.want(rec, http.StatusCreated, "create app password")
	var ap account.AppPasswordJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &ap); err != nil || ap.Password == "" {
		t.Fatalf("app password answer %s: %v", rec.Body, err)
	}
	p.want(p.do(1, "GET", account.AccountPath, "", basic(p.jane.Login, ap.Password)...), http.StatusOK, "the app password")
	p.want(p.do(0, "DELETE", account.AccountPath+"/app-passwords/"+ap.ID, "", basic(p.jane.Login, servertest.Password)...), http.StatusNoContent, "revoke")
	p.want(p.do(1, "GET", account.AccountPath, "", basic(p.jane.Login, ap.Password)...), http.StatusUnauthorized, "the revoked app password on the other server")
}

// A session ended through one server is over on the other at once.
func TestSessionEnded(t *testing.T) {
	p := newPair(t)
	rec := p.do(0, "POST", account.SessionPath, `{"login":"`+p.jane.Login+`","password":"`+servertest.Password+`"}`)
	p.want(rec, http.StatusOK, "log in")
	var cookie string
	for _, c := range rec.Result().Cookies() {
		if c.Name == "almanac_session" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		t.Fatal("no session cookie")
	}
	p.want(p.do(1, "GET", account.AccountPath, "", "Cookie", cookie), http.StatusOK, "the session on the other server")
	p.want(p.do(0, "DELETE", account.SessionPath, "", "Cookie", cookie), http.StatusNoContent, "log out")
	p.want(p.do(1, "GET", account.AccountPath, "", "Cookie", cookie), http.StatusUnauthorized, "the ended session on the other server")
}
