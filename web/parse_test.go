package web

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", "en"},
		{"fr", "fr"},
		{"fr-CH", "fr"},
		{"FR-ca", "fr"},
		{"de, fr;q=0.5", "fr"},
		{"en;q=0.4, fr;q=0.6", "fr"},
		{"fr;q=0.6, en;q=0.6", "fr"}, // ties keep their order
		{"fr;q=0, en;q=0.1", "en"},   // q=0 is "not acceptable"
		{"fr;q=2", "en"},             // out of range: ignored
		{"fr;q=abc", "en"},
		{"*", "en"},
		{"de, it", "en"},
		{",,,;;;", "en"},
		{strings.Repeat("de,", 40) + "fr", "en"}, // only the first 32 are read
	} {
		if got := negotiate(tc.header); got != tc.want {
			t.Errorf("negotiate(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/calendars/x?y=1", "/calendars/x?y=1"},
		{"", "/calendars"},
		{"//evil.example/", "/calendars"},
		{"/\\evil.example", "/calendars"},
		{"https://evil.example/", "/calendars"},
		{"evil", "/calendars"},
		{"/a\r\nSet-Cookie: x", "/calendars"},
	} {
		if got := localPath(tc.in); got != tc.want {
			t.Errorf("localPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLoadZone(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"Europe/Paris", true}, {"UTC", true}, {"", false}, {"Local", false}, {"/etc/passwd", false},
		{"../../etc/passwd", false}, {"Mars/Olympus", false}, {strings.Repeat("A", 100), false},
	} {
		if _, ok := loadZone(tc.in); ok != tc.ok {
			t.Errorf("loadZone(%q) ok = %v, want %v", tc.in, ok, tc.ok)
		}
	}
}

func TestSlug(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Team", "team"}, {"Family & Friends", "family-friends"}, {"  --Work--  ", "work"},
		{"Été 2026", "t-2026"}, {strings.Repeat("a", 100), strings.Repeat("a", 40)},
	} {
		if got := slug(tc.in); got != tc.want {
			t.Errorf("slug(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if s := slug("日本"); !strings.HasPrefix(s, "c-") || len(s) != 10 {
		t.Errorf("slug of a name without ASCII letters: %q", s)
	}
}

func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"fr-CH, fr;q=0.9, en;q=0.8", "*;q=0.1", ";q=", "fr;q=1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if got := negotiate(header); catalogues[got] == nil {
			t.Fatalf("negotiate(%q) = %q: no such catalogue", header, got)
		}
	})
}

func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/calendars", "//x", "/\\x", "http://x", "/a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := localPath(in)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") || strings.ContainsAny(got, "\r\n") {
			t.Fatalf("localPath(%q) = %q leaves the site", in, got)
		}
	})
}

func FuzzSlug(f *testing.F) {
	for _, s := range []string{"Team", "Été", "a/b", "..", "%2e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s := slug(in)
		if s == "" || len(s) > 40 || !utf8.ValidString(s) || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			t.Fatalf("slug(%q) = %q", in, s)
		}
	})
}

func TestPendingKey(t *testing.T) {
	const key = "JWDFNEWTWVMX4GULM4Y6B6FSM3W6CE5B"
	uri := "otpauth://totp/almanac:bob%40example.com?secret=" + key + "&issuer=almanac"
	for _, tc := range []struct {
		secret, uri string
		want        bool
	}{
		{key, uri, true},
		{"", "", false},
		{key, "", false},
		{"", uri, false},
		{"JWDFNEWTWVMX", "otpauth://totp/x?secret=JWDFNEWTWVMX", false},                   // too short
		{strings.ToLower(key), strings.ReplaceAll(uri, key, strings.ToLower(key)), false}, // not the API's alphabet
		{key, strings.Replace(uri, "totp", "hotp", 1), false},                             // another kind
		{key, "https://evil.example/?secret=" + key, false},                               // another scheme
		{key, strings.Replace(uri, key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1), false},    // another key
		{key, uri + "&x=" + strings.Repeat("a", 600), false},                              // too long
		{key + "1", strings.Replace(uri, key, key+"1", 1), false},                         // 1 is not base32
		{key, "otpauth://totp/%zz?secret=" + key, false},                                  // not a URI
		{key, "otpauth://totp/x?secret=" + key + "&secret=" + key, true},                  // first value counts
	} {
		if got := pendingKey(tc.secret, tc.uri); got != tc.want {
			t.Errorf("pendingKey(%q, %q) = %v, want %v", tc.secret, tc.uri, got, tc.want)
		}
	}
}

func FuzzPendingKey(f *testing.F) {
	f.Add("JWDFNEWTWVMX4GULM4Y6B6FSM3W6CE5B", "otpauth://totp/a?secret=JWDFNEWTWVMX4GULM4Y6B6FSM3W6CE5B")
	f.Add("", "otpauth://")
	f.Fuzz(func(t *testing.T, secret, uri string) {
		if !pendingKey(secret, uri) {
			return
		}
		// What is shown again is a key and a URI of the API's shape, and
		// nothing else.
		if len(secret) < 16 || strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" || !strings.HasPrefix(strings.ToLower(uri), "otpauth://totp") {
			t.Fatalf("accepted %q %q", secret, uri)
		}
	})
}
