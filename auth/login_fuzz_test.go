package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// LoginPassword takes its login from JSON, not from a Basic header: it
// must refuse exactly the user-ids parseBasic refuses (and the lengths
// authenticate refuses), so that both doors share their counters and
// keys never hold a NUL.
func TestPlausibleLogin(t *testing.T) {
	for _, tc := range []struct {
		login string
		want  bool
	}{
		{"jane@example.com", true},
		{"Jane Doe <jane@example.com>", true}, // not a login, but harmless to look up
		{"jd4821", true},
		{"ü@example.com", true},
		{"", false},
		{"a\x00b", false},
		{"a\tb", false},
		{"a\nb", false},
		{"a\x7fb", false},
		{strings.Repeat("a", maxLoginLen), true},
		{strings.Repeat("a", maxLoginLen+1), false},
	} {
		if got := plausibleLogin(tc.login); got != tc.want {
			t.Errorf("plausibleLogin(%q) = %v, want %v", tc.login, got, tc.want)
		}
	}
}

func FuzzPlausibleLogin(f *testing.F) {
	for _, s := range []string{"jane@example.com", "", "a\x00b", "ü", "a:b", strings.Repeat("x", 300)} {
		f.Add(s)
	}
	a := New(newFakeStore(), Options{})
	a.guard.dummyHash = cheapHash(f, "dummy")
	f.Fuzz(func(t *testing.T, login string) {
		ok := plausibleLogin(login)
		if ok && strings.ContainsRune(login, 0) {
			t.Fatalf("%q: NUL accepted", login)
		}
		if utf8.ValidString(login) && !strings.Contains(login, ":") {
			got, _, basic := parseBasic("Basic " + base64.StdEncoding.EncodeToString([]byte(login+":pw")))
			basic = basic && got == login && len(login) <= maxLoginLen
			if ok != basic {
				t.Fatalf("%q: plausibleLogin %v, Basic accepts %v", login, ok, basic)
			}
		}
		// Whatever the login, no account exists: the same answer.
		_, err := a.LoginPassword(context.Background(), login, "pw", "192.0.2.1:1")
		var te *ThrottledError
		if !errors.Is(err, ErrBadCredentials) && !errors.As(err, &te) {
			t.Fatalf("%q: %v", login, err)
		}
	})
}
