package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"almanac/storage"
)

func b64s(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestParseBasic(t *testing.T) {
	for _, tc := range []struct {
		name      string
		header    string
		login, pw string
		ok        bool
	}{
		{"missing", "", "", "", false},
		{"bearer", "Bearer " + b64s("alice:pw"), "", "", false},
		{"digest", `Digest username="alice"`, "", "", false},
		{"scheme only", "Basic", "", "", false},
		{"scheme and space", "Basic ", "", "", false},
		{"scheme glued to token", "Basic" + b64s("alice:pw"), "", "", false},
		{"ok", "Basic " + b64s("alice:pw"), "alice", "pw", true},
		{"scheme lower case", "basic " + b64s("alice:pw"), "alice", "pw", true},
		{"scheme upper case", "BASIC " + b64s("alice:pw"), "alice", "pw", true},
		{"several spaces", "Basic   " + b64s("alice:pw"), "alice", "pw", true},
		{"surrounding whitespace", " \tBasic " + b64s("alice:pw") + " \t", "alice", "pw", true},
		{"unpadded base64", "Basic " + strings.TrimRight(b64s("alice:p"), "="), "alice", "p", true},
		{"bad base64 characters", "Basic !!!!", "", "", false},
		{"std alphabet", "Basic YWxpY2U6fn5+", "alice", "~~~", true},
		{"url-safe alphabet", "Basic YWxpY2U6fn5-", "", "", false},
		{"bad padding", "Basic " + b64s("alice:pw") + "=", "", "", false},
		{"padding in the middle", "Basic YW=xpY2U6cHc=", "", "", false},
		{"space inside token", "Basic YWxp Y2U6cHc=", "", "", false},
		{"newline inside token", "Basic YWxpY2U6\ncHc=", "", "", false},
		{"two tokens", "Basic " + b64s("alice:pw") + " " + b64s("bob:pw"), "", "", false},
		{"no colon", "Basic " + b64s("alicepw"), "", "", false},
		{"empty user", "Basic " + b64s(":pw"), "", "", false},
		{"only colon", "Basic " + b64s(":"), "", "", false},
		{"empty password", "Basic " + b64s("alice:"), "alice", "", true},
		{"password with colons", "Basic " + b64s("alice:a:b::c:"), "alice", "a:b::c:", true},
		{"email login", "Basic " + b64s("Alice@Example.org:pw"), "Alice@Example.org", "pw", true},
		{"utf-8", "Basic " + b64s("jürgen@example.org:pässwörd✓"), "jürgen@example.org", "pässwörd✓", true},
		{"latin-1 bytes", "Basic " + b64s("j\xfcrgen:p\xe4ss"), "", "", false},
		{"control char in user", "Basic " + b64s("ali\x00ce:pw"), "", "", false},
		{"tab in user", "Basic " + b64s("ali\tce:pw"), "", "", false},
		{"DEL in user", "Basic " + b64s("alice\x7f:pw"), "", "", false},
		{"control char in password", "Basic " + b64s("alice:p\tw"), "alice", "p\tw", true},
		{"spaces kept", "Basic " + b64s(" alice : pw "), " alice ", " pw ", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			login, pw, ok := parseBasic(tc.header)
			if ok != tc.ok || login != tc.login || pw != tc.pw {
				t.Errorf("parseBasic(%q) = %q, %q, %v; want %q, %q, %v",
					tc.header, login, pw, ok, tc.login, tc.pw, tc.ok)
			}
		})
	}
}

func FuzzParseBasic(f *testing.F) {
	for _, s := range []string{
		"", "Basic", "Basic ", "Basic " + b64s("alice:pw"), "basic " + b64s("a:b:c"),
		"Basic " + b64s(":"), "Basic YWxpY2U6cHc", "Basic ====", "Basic =", "Bearer x",
		"Basic " + b64s("jürgen:pässwörd"), "Basic " + b64s("\x00:\x00"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		login, pw, ok := parseBasic(h)
		if !ok {
			if login != "" || pw != "" {
				t.Fatalf("refused header returned %q, %q", login, pw)
			}
			return
		}
		if login == "" || strings.Contains(login, ":") || !utf8.ValidString(login) || !utf8.ValidString(pw) {
			t.Fatalf("accepted bad credentials %q, %q", login, pw)
		}
		for _, c := range []byte(login) {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("control character in login %q", login)
			}
		}
		// What was accepted survives a canonical round trip.
		l2, p2, ok2 := parseBasic("Basic " + b64s(login+":"+pw))
		if !ok2 || l2 != login || p2 != pw {
			t.Fatalf("round trip: %q %q %v, want %q %q", l2, p2, ok2, login, pw)
		}
	})
}

func alice(t testing.TB) storage.Account {
	return storage.Account{ID: "u1", Login: "Alice@Example.org", PasswordHash: cheapHash(t, "right")}
}

func TestMiddleware_Success(t *testing.T) {
	st := newFakeStore(alice(t))
	a, v := newTestAuth(t, st, Options{})
	for _, login := range []string{"Alice@Example.org", "alice@example.org", "ALICE@EXAMPLE.ORG"} {
		w := serve(a, req{login: login, pw: "right"})
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d, body %q", login, w.Code, w.Body)
		}
		// The account reached the handler; the header did not.
		if got := w.Body.String(); got != `hello u1 auth=""` {
			t.Errorf("%s: handler saw %q", login, got)
		}
	}
	if v.count() != 3 {
		t.Errorf("verifications = %d; want 3 (cache is per login spelling)", v.count())
	}
}

func TestMiddleware_OtherAuthPathPassesThrough(t *testing.T) {
	a, v := newTestAuth(t, newFakeStore(), Options{})
	r := httptest.NewRequest("GET", "/", nil)
	r = r.WithContext(WithAccount(r.Context(), &storage.Account{ID: "session-user"}))
	w := httptest.NewRecorder()
	a.Middleware(echo).ServeHTTP(w, r)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "hello session-user") {
		t.Errorf("got %d %q", w.Code, w.Body)
	}
	if v.count() != 0 {
		t.Error("verified a password although the request was authenticated")
	}
	if AccountFrom(context.Background()) != nil {
		t.Error("AccountFrom(empty context) != nil")
	}
}

// snapshot is everything a client can see of a response.
type snapshot struct {
	Code   int
	Header http.Header
	Body   string
}

func snap(w *httptest.ResponseRecorder) snapshot {
	return snapshot{w.Code, w.Result().Header, w.Body.String()}
}

func TestMiddleware_FailuresLookIdentical(t *testing.T) {
	st := newFakeStore(alice(t), storage.Account{ID: "u2", Login: "nopw@example.org"})
	a, _ := newTestAuth(t, st, Options{})
	cases := []struct {
		name string
		q    req
	}{
		{"wrong password", req{login: "alice@example.org", pw: "wrong"}},
		{"unknown login", req{login: "mallory@example.org", pw: "wrong"}},
		{"account without password", req{login: "nopw@example.org", pw: ""}},
		{"missing header", req{noAuth: true}},
		{"not basic", req{header: "Bearer abc"}},
		{"bad base64", req{header: "Basic %%%"}},
		{"empty user", req{header: "Basic " + b64s(":x")}},
	}
	want := snap(serve(a, cases[0].q))
	if want.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", want.Code)
	}
	if got := want.Header.Get("WWW-Authenticate"); got != `Basic realm="almanac", charset="UTF-8"` {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	if want.Body != "401 Unauthorized\n" {
		t.Errorf("body %q", want.Body)
	}
	for _, tc := range cases[1:] {
		if got := snap(serve(a, tc.q)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: response\n%+v\ndiffers from wrong password\n%+v", tc.name, got, want)
		}
	}
}

// Unknown logins must cost what a wrong password costs: one argon2id run
// with the default parameters over the submitted password. Counting the
// calls replaces a timing test.
func TestMiddleware_UnknownLoginVerifiesLikeKnown(t *testing.T) {
	// A stored hash with the default parameters; its bytes do not matter
	// because the recorder only records (argon2 at 19 MiB is slow under
	// -race, and the outcome is not what is being tested).
	realHash := encodePHC(defaultParams, make([]byte, defaultParams.saltLen), make([]byte, defaultParams.keyLen))
	st := newFakeStore(storage.Account{ID: "u1", Login: "alice@example.org", PasswordHash: realHash})
	a := New(st, Options{}) // the real dummy hash
	v := &verifyRecorder{skipArgon2: true}
	v.install(a)

	check := func(login string) verifyCall {
		t.Helper()
		v.reset()
		w := serve(a, req{login: login, pw: "guess-1"})
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("%s: status %d", login, w.Code)
		}
		if v.count() != 1 {
			t.Fatalf("%s: %d verifications, want 1", login, v.count())
		}
		return v.calls[0]
	}
	known, unknown := check("alice@example.org"), check("nobody@example.org")
	if known.pw != "guess-1" || unknown.pw != "guess-1" {
		t.Errorf("verified passwords %q / %q, want the submitted one", known.pw, unknown.pw)
	}
	if unknown.encoded == realHash {
		t.Fatal("unknown login verified against a real account's hash")
	}
	kp, _, _, err1 := parsePHC(known.encoded)
	up, _, _, err2 := parsePHC(unknown.encoded)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if kp != up || up != defaultParams {
		t.Errorf("parameters differ: known %+v, unknown %+v, default %+v", kp, up, defaultParams)
	}
	// The dummy is computed once per process, not per request.
	if a2 := New(st, Options{}); a2.guard.dummyHash != a.guard.dummyHash {
		t.Error("dummy hash recomputed")
	}
}

func TestMiddleware_LookupError(t *testing.T) {
	st := newFakeStore(alice(t))
	st.setErr(errors.New("bolt: disk on fire at /var/lib/almanac"))
	logs := &syncBuffer{}
	a, v := newTestAuth(t, st, Options{Logger: debugLogger(logs)})
	w := serve(a, req{login: "alice@example.org", pw: "right"})
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
	if w.Body.String() != "500 Internal Server Error\n" {
		t.Errorf("body %q leaks detail", w.Body)
	}
	if w.Header().Get("WWW-Authenticate") != "" {
		t.Error("500 carries a challenge: the client would prompt for a password")
	}
	if v.count() != 0 {
		t.Error("verified a password without an account")
	}
	if !strings.Contains(logs.String(), "disk on fire") || !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("lookup error not logged: %s", logs)
	}
	// A store outage is not a password guess.
	if a.guard.len(kindPassword) != 0 {
		t.Error("lookup error counted as a failed login")
	}
}

func TestMiddleware_UnusableStoredHash(t *testing.T) {
	st := newFakeStore(storage.Account{ID: "u9", Login: "broken@example.org", PasswordHash: "$argon2id$v=19$garbage"})
	logs := &syncBuffer{}
	a, _ := newTestAuth(t, st, Options{Logger: debugLogger(logs)})
	w := serve(a, req{login: "broken@example.org", pw: "whatever"})
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", w.Code)
	}
	out := logs.String()
	if !strings.Contains(out, "stored password hash unusable") || !strings.Contains(out, "account=u9") {
		t.Errorf("broken hash not reported: %s", out)
	}
	if strings.Contains(out, "garbage") {
		t.Errorf("log contains the stored hash: %s", out)
	}
}

func TestMiddleware_SecretsNeverLogged(t *testing.T) {
	acc := alice(t)
	st := newFakeStore(acc)
	logs := &syncBuffer{}
	a, _ := newTestAuth(t, st, Options{Logger: debugLogger(logs), Limits: Limits{LoginFailures: 2}})
	secrets := []string{"right", "wr0ng-secret", "an0ther-secret", "unknown-secret"}
	serve(a, req{login: "alice@example.org", pw: "right"})
	serve(a, req{login: "alice@example.org", pw: "wr0ng-secret"})
	serve(a, req{login: "alice@example.org", pw: "an0ther-secret"}) // locks
	serve(a, req{login: "alice@example.org", pw: "right"})          // throttled
	serve(a, req{login: "ghost@example.org", pw: "unknown-secret"})
	st.setErr(errors.New("boom"))
	serve(a, req{login: "carol@example.org", pw: "right"})

	out := logs.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("log contains password %q", s)
		}
		if strings.Contains(out, b64s("alice@example.org:"+s)) {
			t.Errorf("log contains the Authorization header for %q", s)
		}
	}
	_, salt, key, _ := parsePHC(acc.PasswordHash)
	for _, s := range []string{acc.PasswordHash, b64.EncodeToString(salt), b64.EncodeToString(key), "$argon2id$"} {
		if strings.Contains(out, s) {
			t.Errorf("log contains hash material %q", s)
		}
	}
	// What should be there is.
	for _, s := range []string{
		`level=INFO msg="auth: login failed" login=alice@example.org addr=192.0.2.1 reason="wrong password"`,
		`level=INFO msg="auth: login failed" login=ghost@example.org addr=192.0.2.1 reason="unknown login"`,
		`level=WARN msg="auth: too many failures, throttling login from address" kind=password login=alice@example.org addr=192.0.2.1`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("log lacks %q:\n%s", s, out)
		}
	}
}

func TestMiddleware_Realm(t *testing.T) {
	a, _ := newTestAuth(t, newFakeStore(), Options{Realm: `Home "DAV" \ server`})
	w := serve(a, req{noAuth: true})
	if got, want := w.Header().Get("WWW-Authenticate"), `Basic realm="Home \"DAV\" \\ server", charset="UTF-8"`; got != want {
		t.Errorf("WWW-Authenticate = %s, want %s", got, want)
	}
}

func TestMiddleware_DuplicateAuthorizationHeaders(t *testing.T) {
	a, v := newTestAuth(t, newFakeStore(alice(t)), Options{})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Add("Authorization", "Basic "+b64s("alice@example.org:right"))
	r.Header.Add("Authorization", "Basic "+b64s("bob@example.org:x"))
	w := httptest.NewRecorder()
	a.Middleware(echo).ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized || v.count() != 0 {
		t.Errorf("ambiguous credentials: status %d, %d verifications", w.Code, v.count())
	}
}

func TestMiddleware_OverlongCredentials(t *testing.T) {
	a, v := newTestAuth(t, newFakeStore(alice(t)), Options{})
	for _, q := range []req{
		{login: strings.Repeat("a", maxLoginLen+1), pw: "x"},
		{login: "alice@example.org", pw: strings.Repeat("x", MaxPasswordLen+1)},
	} {
		if w := serve(a, q); w.Code != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", w.Code)
		}
	}
	if v.count() != 0 {
		t.Errorf("%d verifications of oversized input", v.count())
	}
}

func TestMiddleware_ClientGoneWhileQueued(t *testing.T) {
	a, v := newTestAuth(t, newFakeStore(alice(t)), Options{MaxConcurrentVerifications: 1})
	a.guard.sem <- struct{}{} // every verification slot busy
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
	r.SetBasicAuth("alice@example.org", "right")
	w := httptest.NewRecorder()
	a.Middleware(echo).ServeHTTP(w, r)
	<-a.guard.sem
	if w.Code != http.StatusServiceUnavailable || v.count() != 0 {
		t.Errorf("status %d, %d verifications; want 503, 0", w.Code, v.count())
	}
	// Abandoning is not failing.
	if a.guard.len(kindPassword) != 0 {
		t.Error("abandoned request left throttle state")
	}
}
