package main

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseDBURL(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"", "", ""},
		{"postgres://almanac:pw@db.example.com:5432/almanac?sslmode=verify-full", "postgres://almanac:pw@db.example.com:5432/almanac?sslmode=verify-full", ""},
		{"postgresql://almanac@/almanac?host=/run/postgresql", "postgresql://almanac@/almanac?host=/run/postgresql", ""},
		{"postgres:///almanac", "postgres:///almanac", ""},
		{"host=db user=almanac", "", "must start with postgres://"},
		{"mysql://db/almanac", "", "must start with postgres://"},
		{"/var/lib/almanac", "", "must start with postgres://"},
		{"postgres://u:s3cret@db:notaport/almanac", "", "not a URL"},
		{"postgres://u:s3cret@db/almanac?sslmode=sometimes", "", "not a usable PostgreSQL URL"},
		{"postgres://u:s3cret@db/almanac?connect_timeout=soon", "", "not a usable PostgreSQL URL"},
	} {
		got, err := parseDBURL(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("parseDBURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("parseDBURL(%q) = %q, %v; want an error with %q", tc.in, got, err, tc.err)
		case err != nil && strings.Contains(err.Error(), "s3cret"):
			t.Errorf("parseDBURL(%q): the error shows the password: %v", tc.in, err)
		}
	}
}

func TestRedactDBURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://almanac:s3cret@db/almanac":                          "postgres://almanac:xxxxx@db/almanac",
		"postgres://almanac@db/almanac?password=s3cret&sslmode=require": "postgres://almanac@db/almanac?password=xxxxx&sslmode=require",
		"postgres://almanac@db/almanac":                                 "postgres://almanac@db/almanac",
		"postgres://u:s3cret@db:bad/x":                                  "(a URL that does not parse, not shown: it may hold a password)",
	} {
		if got := redactDBURL(in); got != want {
			t.Errorf("redactDBURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseDBURL: neither an error nor the redacted form shows the
// password a URL carries, and what is accepted is a postgres URL.
func FuzzParseDBURL(f *testing.F) {
	for _, s := range []string{"postgres://u:s3cret@h/db", "postgresql://u:s3cret@h:x/db", "postgres://u:s3cret@h/db?sslmode=no",
		"postgres://u@h/db?password=s3cret", "postgres://u:s3cret@[::1/db", "postgres://u:s%zzret@h/db", "host=h password=s3cret"} {
		f.Add(s, "s3cret")
	}
	f.Fuzz(func(t *testing.T, s, pw string) {
		if len(pw) < 4 || !strings.Contains(s, pw) {
			return
		}
		// The password as the URL carries it.
		var secret string
		if u, err := url.Parse(s); err == nil {
			p, _ := u.User.Password()
			if q := u.Query().Get("password"); q != "" {
				p = q
			}
			if p != pw {
				return
			}
			secret = p
		} else if !strings.Contains(s, "@") && !strings.Contains(strings.ToLower(s), "password") {
			return
		} else {
			secret = pw
		}
		got, err := parseDBURL(s)
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Fatalf("parseDBURL(%q): error shows the password: %v", s, err)
		}
		if err == nil && got != "" && !strings.HasPrefix(got, "postgres://") && !strings.HasPrefix(got, "postgresql://") {
			t.Fatalf("parseDBURL(%q) accepted %q", s, got)
		}
		if r := redactDBURL(s); strings.Contains(r, secret) && !strings.Contains("xxxxx", secret) {
			t.Fatalf("redactDBURL(%q) = %q shows the password", s, r)
		}
	})
}
