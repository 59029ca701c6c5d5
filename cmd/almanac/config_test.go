package main

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParsePublicURL(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"https://cal.example.com", "https://cal.example.com", true},
		{"https://cal.example.com/", "https://cal.example.com", true},
		{"https://cal.example.com///", "https://cal.example.com", true},
		{"HTTPS://Cal.Example.com/", "https://Cal.Example.com", true},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", true},
		{"http://[::1]:8080/", "http://[::1]:8080", true},
		{"https://example.com/almanac/", "https://example.com/almanac", true},
		{"https://example.com/a%20b", "https://example.com/a%20b", true},
		{"cal.example.com", "", false},
		{"cal.example.com:443", "", false},
		{"//cal.example.com", "", false},
		{"/ics", "", false},
		{"ftp://cal.example.com", "", false},
		{"webcal://cal.example.com", "", false},
		{"https://", "", false},
		{"https:///path", "", false},
		{"https://:443", "", false},
		{"https:cal.example.com", "", false},
		{"https://user:pw@cal.example.com", "", false},
		{"https://cal.example.com/?x=1", "", false},
		{"https://cal.example.com/?", "", false},
		{"https://cal.example.com/#top", "", false},
		{"https://cal.example.com/#", "", false},
		{"https://cal.example.com:http", "", false},
		{"https://cal example.com", "", false},
		{"https://cal.example.com/\n", "", false},
	} {
		got, err := parsePublicURL(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parsePublicURL(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseListen(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"127.0.0.1:8080", true},
		{":8080", true},
		{"0.0.0.0:0", true},
		{"[::1]:443", true},
		{"localhost:65535", true},
		{"", false},
		{"8080", false},
		{"127.0.0.1", false},
		{"127.0.0.1:", false},
		{"127.0.0.1:65536", false},
		{"127.0.0.1:-1", false},
		{"127.0.0.1:http", false},
		{"127.0.0.1: 80", false},
		{"::1:80", false},
	} {
		if _, err := parseListen(tc.in); (err == nil) != tc.ok {
			t.Errorf("parseListen(%q) err %v; want ok %v", tc.in, err, tc.ok)
		}
	}
}

func TestParseNumbers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		msg  string
	}{
		{"1", 1, ""}, {" 10000\n", 10000, ""}, {"+5", 5, ""}, {"1000000", 1000000, ""},
		{"0", 0, "out of range (1 to 1000000)"},
		{"1000001", 0, "out of range"},
		{"99999999999999999999999", 0, "out of range"},
		{"-3", 0, "out of range"},
		{"", 0, "not a number"}, {"ten", 0, "not a number"}, {"1e3", 0, "not a number"}, {"1_000", 0, "not a number"},
	} {
		got, err := parseInt(tc.in, 1, 1_000_000)
		if got != tc.want || (err == nil) != (tc.msg == "") || err != nil && !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %q", tc.in, got, err, tc.want, tc.msg)
		}
	}
	for _, tc := range []struct {
		in   string
		want time.Duration
		msg  string
	}{
		{"1h", time.Hour, ""}, {"1m", time.Minute, ""}, {"168h", 168 * time.Hour, ""}, {"2h30m", 150 * time.Minute, ""},
		{"59s", 0, "out of range (1m to 168h)"}, {"169h", 0, "out of range"}, {"-1h", 0, "out of range"},
		{"", 0, "not a duration"}, {"1", 0, "not a duration"}, {"1d", 0, "not a duration"}, {"abc", 0, "not a duration"},
		{"9999999999h", 0, "not a duration"},
	} {
		got, err := parseDuration(tc.in, time.Minute, 168*time.Hour)
		if got != tc.want || (err == nil) != (tc.msg == "") || err != nil && !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, %q", tc.in, got, err, tc.want, tc.msg)
		}
	}
	for d, want := range map[time.Duration]string{time.Hour: "1h", time.Minute: "1m", 168 * time.Hour: "168h",
		90 * time.Minute: "1h30m", 30 * time.Second: "30s", time.Hour + time.Second: "1h0m1s"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseSMTPSettings(t *testing.T) {
	for in, ok := range map[string]bool{"starttls": true, "TLS": true, " none ": true, "ssl": false, "": false} {
		if _, err := parseSMTPSecurity(in); (err == nil) != ok {
			t.Errorf("parseSMTPSecurity(%q) err %v, want ok %v", in, err, ok)
		}
	}
	for in, ok := range map[string]bool{"": true, "mail.example.com": true, "::1": true, "192.0.2.1": true,
		"mail.example.com:587": false, "[::1]:25": false, "mail example.com": false, "smtp://mail.example.com": false, "u@mail": false} {
		if _, err := parseSMTPHost(in); (err == nil) != ok {
			t.Errorf("parseSMTPHost(%q) err %v, want ok %v", in, err, ok)
		}
	}
	for in, ok := range map[string]bool{"": true, "a@example.com": true, "Almanac <a@example.com>": true,
		"a": false, "a@example.com\r\nBcc: b@example.com": false, "<>": false} {
		if _, err := parseAddress(in); (err == nil) != ok {
			t.Errorf("parseAddress(%q) err %v, want ok %v", in, err, ok)
		}
	}
	for in, ok := range map[string]bool{"debug": true, "INFO": true, "warn": true, "error": true, "info+2": true, "loud": false, "": false} {
		if _, err := parseLogLevel(in); (err == nil) != ok {
			t.Errorf("parseLogLevel(%q) err %v, want ok %v", in, err, ok)
		}
	}
}

// FuzzParsePublicURL: whatever is accepted is a base the links code can
// use as is (scheme, host, no trailing slash, nothing after the path)
// and parses to itself.
func FuzzParsePublicURL(f *testing.F) {
	for _, s := range []string{"", "https://cal.example.com/", "cal.example.com", "http://[::1]:80/a/", "https://u@h/?#",
		"https://h/%2F/", "HTTP://H", "https://h:99999", "https://h/a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parsePublicURL(s)
		if err != nil || got == "" {
			if got != "" {
				t.Fatalf("error %v with result %q", err, got)
			}
			return
		}
		scheme, rest, ok := strings.Cut(got, "://")
		if !ok || scheme != "http" && scheme != "https" || rest == "" {
			t.Fatalf("%q -> %q: no http(s) scheme", s, got)
		}
		if strings.HasSuffix(got, "/") || strings.ContainsAny(got, "?# \r\n") {
			t.Fatalf("%q -> %q: trailing slash, query, fragment or space", s, got)
		}
		u, err := url.Parse(got + "/ics/TOKEN")
		if err != nil || u.Hostname() == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("%q -> %q: a link on it does not parse back (%v)", s, got, err)
		}
		if again, err := parsePublicURL(got); err != nil || again != got {
			t.Fatalf("%q -> %q -> %q, %v: not stable", s, got, again, err)
		}
	})
}

// FuzzParseListen: an accepted address splits into host and a port in
// range, the form net.Listen takes.
func FuzzParseListen(f *testing.F) {
	for _, s := range []string{"127.0.0.1:8080", ":0", "[::1]:443", "8080", "h:65536", "h:+1", "h:0x10", "[::1%lo]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseListen(s)
		if err != nil {
			return
		}
		if got != s {
			t.Fatalf("parseListen(%q) = %q: changed", s, got)
		}
		_, port, err := net.SplitHostPort(got)
		if err != nil {
			t.Fatalf("%q accepted: %v", s, err)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			t.Fatalf("%q accepted with port %q", s, port)
		}
	})
}

// FuzzParseNumbers: no input escapes the range it is checked against.
func FuzzParseNumbers(f *testing.F) {
	for _, s := range []string{"1", "0", "-1", "+1", "65535", "65536", "1h", "59s", "1m0s", "9223372036854775807", "1e9", " 7 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := parseInt(s, 0, 65535); err == nil && (n < 0 || n > 65535) {
			t.Fatalf("parseInt(%q) = %d outside 0..65535", s, n)
		}
		if d, err := parseDuration(s, time.Minute, 168*time.Hour); err == nil && (d < time.Minute || d > 168*time.Hour) {
			t.Fatalf("parseDuration(%q) = %v outside 1m..168h", s, d)
		}
	})
}
