package remote

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestParseTrusted(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // prefixes joined by " ", or "error: ..." (a part of the message)
	}{
		{"", ""},
		{"  ", ""},
		{"127.0.0.1", "127.0.0.1/32"},
		{"127.0.0.1/32", "127.0.0.1/32"},
		{"10.1.2.3/8", "10.0.0.0/8"},
		{"10.0.0.0/8, 192.168.0.0/16 ,::1", "10.0.0.0/8 192.168.0.0/16 ::1/128"},
		{"fd00::/8", "fd00::/8"},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{"::ffff:127.0.0.1", "127.0.0.1/32"},
		{"0.0.0.0/0", "error: trusts every address"},
		{"::/0", "error: trusts every address"},
		{"::ffff:0.0.0.0/96", "error: trusts every address"},
		{"10.0.0.0/33", "error: not an address or a network"},
		{"localhost", "error: not an address or a network"},
		{"10.0.0.1,", "error: empty item"},
		{",10.0.0.1", "error: empty item"},
		{"fe80::1%eth0", "error: not an address or a network"},
		{"10.0.0.0/8 192.168.0.0/16", "error: not an address or a network"},
	} {
		got, err := ParseTrusted(tc.in)
		if want, ok := strings.CutPrefix(tc.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("ParseTrusted(%q) = %v, %v; want error with %q", tc.in, got, err, want)
			}
			continue
		}
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if err != nil || strings.Join(s, " ") != tc.want {
			t.Errorf("ParseTrusted(%q) = %v, %v; want %q", tc.in, s, err, tc.want)
		}
	}
}

func TestParseHeader(t *testing.T) {
	for in, want := range map[string]Header{"x-forwarded": XForwarded, "X-Forwarded": XForwarded, " forwarded ": Forwarded} {
		if h, err := ParseHeader(in); err != nil || h != want {
			t.Errorf("ParseHeader(%q) = %v, %v", in, h, err)
		}
	}
	for _, in := range []string{"", "x-forwarded-for", "xff", "real-ip"} {
		if _, err := ParseHeader(in); err == nil {
			t.Errorf("ParseHeader(%q) succeeded", in)
		}
	}
}

func mustTrusted(t testing.TB, s string) []netip.Prefix {
	t.Helper()
	p, err := ParseTrusted(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolve(t *testing.T) {
	xff := NewProxies(mustTrusted(t, "10.0.0.0/8, 2001:db8:a::/48"), XForwarded)
	fwd := NewProxies(mustTrusted(t, "10.0.0.0/8, 2001:db8:a::/48"), Forwarded)
	none := NewProxies(nil, XForwarded)
	for _, tc := range []struct {
		name    string
		p       *Proxies
		remote  string
		tls     bool
		hdr     []string // name, value pairs; one field line each
		want    Client
		comment string
	}{
		{name: "direct", p: xff, remote: "198.51.100.7:4000",
			want: Client{"198.51.100.7", "http", "cal.test"}},
		{name: "direct tls", p: xff, remote: "198.51.100.7:4000", tls: true,
			want: Client{"198.51.100.7", "https", "cal.test"}},
		{name: "untrusted peer's headers ignored", p: xff, remote: "198.51.100.7:4000",
			hdr:  []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.test"},
			want: Client{"198.51.100.7", "http", "cal.test"}},
		{name: "no trusted proxies", p: none, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https"},
			want: Client{"10.0.0.1", "http", "cal.test"}},
		{name: "nil proxies", p: nil, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-For", "192.0.2.1"},
			want: Client{"10.0.0.1", "http", "cal.test"}},
		{name: "one proxy", p: xff, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "cal.example.com"},
			want: Client{"192.0.2.1", "https", "cal.example.com"}},
		{name: "client's own list is not read", p: xff, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-For", "1.1.1.1, 8.8.8.8, 192.0.2.1"},
			want: Client{"192.0.2.1", "http", "cal.test"}},
		{name: "a chain of trusted proxies is skipped", p: xff, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-For", "1.1.1.1, 192.0.2.1, 10.9.9.9, 10.0.0.2"},
			want: Client{"192.0.2.1", "http", "cal.test"}},
		{name: "several field lines are one list", p: xff, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-For", "1.1.1.1, 192.0.2.1", "X-Forwarded-For", "10.0.0.2"},
			want: Client{"192.0.2.1", "http", "cal.test"}},
		{name: "all trusted: the leftmost", p: xff, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-For", "10.0.0.3, 10.0.0.2"},
			want: Client{"10.0.0.3", "http", "cal.test"}},
		{name: "trusted proxy without header", p: xff, remote: "10.0.0.1:4000",
			want: Client{"10.0.0.1", "http", "cal.test"}},
		{name: "garbage ends the walk at the proxy that wrote it", p: xff, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-For", "192.0.2.1, unknown, 10.0.0.2"},
			want: Client{"10.0.0.2", "http", "cal.test"}},
		{name: "garbage right after the peer", p: xff, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-For", "192.0.2.1, not an address"},
			want: Client{"10.0.0.1", "http", "cal.test"}},
		{name: "empty items skipped", p: xff, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-For", "192.0.2.9, 192.0.2.1 , , ", "X-Forwarded-For", ""},
			want: Client{"192.0.2.1", "http", "cal.test"}},
		{name: "ports and brackets", p: xff, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-For", "[2001:db8::7]:4711"},
			want: Client{"2001:db8::7", "http", "cal.test"}},
		{name: "ipv4 with port", p: xff, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-For", "192.0.2.1:4711"},
			want: Client{"192.0.2.1", "http", "cal.test"}},
		{name: "mapped addresses", p: xff, remote: "[::ffff:10.0.0.1]:4000",
			hdr:  []string{"X-Forwarded-For", "::ffff:192.0.2.1"},
			want: Client{"192.0.2.1", "http", "cal.test"}},
		{name: "ipv6 proxy", p: xff, remote: "[2001:db8:a::5]:4000",
			hdr:  []string{"X-Forwarded-For", "2001:db8:b::1, 2001:db8:a::9"},
			want: Client{"2001:db8:b::1", "http", "cal.test"}},
		{name: "zone dropped", p: xff, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-For", "fe80::1%eth0"},
			want: Client{"fe80::1", "http", "cal.test"}},
		{name: "rightmost proto and host", p: xff, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-Proto", "http, https", "X-Forwarded-Host", "evil.test", "X-Forwarded-Host", "cal.example.com:8443"},
			want: Client{"10.0.0.1", "https", "cal.example.com:8443"}},
		{name: "bad proto and host ignored", p: xff, remote: "10.0.0.1:4000", tls: true,
			hdr:  []string{"X-Forwarded-Proto", "javascript", "X-Forwarded-Host", "evil.test/path"},
			want: Client{"10.0.0.1", "https", "cal.test"}},
		{name: "x-forwarded mode ignores Forwarded", p: xff, remote: "10.0.0.1:4000",
			hdr:  []string{"Forwarded", "for=192.0.2.66;proto=https;host=evil.test", "X-Forwarded-For", "192.0.2.1"},
			want: Client{"192.0.2.1", "http", "cal.test"}},
		{name: "forwarded mode ignores X-Forwarded-*", p: fwd, remote: "10.0.0.1:4000",
			hdr:  []string{"X-Forwarded-For", "192.0.2.66", "X-Forwarded-Proto", "https", "Forwarded", "for=192.0.2.1"},
			want: Client{"192.0.2.1", "http", "cal.test"}},
		{name: "forwarded", p: fwd, remote: "10.0.0.1:4000",
			hdr:  []string{"Forwarded", `for="[2001:db8::7]:4711";proto=https;host=cal.example.com`},
			want: Client{"2001:db8::7", "https", "cal.example.com"}},
		{name: "forwarded chain: the client's element's proto", p: fwd, remote: "10.0.0.1:4000",
			hdr:  []string{"Forwarded", `for=1.1.1.1;proto=http;host=evil.test, for=192.0.2.1;proto=https;host=cal.example.com, for=10.0.0.2;proto=http;host=internal`},
			want: Client{"192.0.2.1", "https", "cal.example.com"}},
		{name: "forwarded: nearest element with proto", p: fwd, remote: "10.0.0.1:4000",
			hdr:  []string{"Forwarded", `for=192.0.2.1, for=10.0.0.2;proto=https`},
			want: Client{"192.0.2.1", "https", "cal.test"}},
		{name: "forwarded: several lines", p: fwd, remote: "10.0.0.1:4000",
			hdr:  []string{"Forwarded", `for=192.0.2.1;proto=https`, "Forwarded", `for=10.0.0.2`},
			want: Client{"192.0.2.1", "https", "cal.test"}},
		{name: "forwarded: unknown ends at its proxy", p: fwd, remote: "10.0.0.1:4000",
			hdr:  []string{"Forwarded", `for=192.0.2.1, for=unknown;proto=https`},
			want: Client{"10.0.0.1", "https", "cal.test"}},
		{name: "forwarded: obfuscated", p: fwd, remote: "10.0.0.1:4000",
			hdr:  []string{"Forwarded", `for=_hidden`},
			want: Client{"10.0.0.1", "http", "cal.test"}},
		{name: "forwarded: a malformed client line does not hide the proxy's", p: fwd, remote: "10.0.0.1:4000",
			hdr:  []string{"Forwarded", `for="1.1.1.1`, "Forwarded", `for=192.0.2.1`},
			want: Client{"192.0.2.1", "http", "cal.test"}},
		{name: "forwarded: a malformed line ends the walk", p: fwd, remote: "10.0.0.1:4000",
			hdr:  []string{"Forwarded", `for=192.0.2.1;for=192.0.2.2`},
			want: Client{"10.0.0.1", "http", "cal.test"}},
		{name: "unix socket peer", p: xff, remote: "@",
			hdr:  []string{"X-Forwarded-For", "192.0.2.1"},
			want: Client{"@", "http", "cal.test"}},
		{name: "bare address peer", p: xff, remote: "10.0.0.1",
			hdr:  []string{"X-Forwarded-For", "192.0.2.1"},
			want: Client{"192.0.2.1", "http", "cal.test"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://cal.test/dav/", nil)
			r.RemoteAddr = tc.remote
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for i := 0; i+1 < len(tc.hdr); i += 2 {
				r.Header.Add(tc.hdr[i], tc.hdr[i+1])
			}
			if got := tc.p.Resolve(r); got != tc.want {
				t.Errorf("Resolve = %+v, want %+v", got, tc.want)
			}
			// Handler computes the same, and Of finds it.
			var seen Client
			tc.p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = Of(r) })).ServeHTTP(httptest.NewRecorder(), r)
			if seen != tc.want {
				t.Errorf("Of behind Handler = %+v, want %+v", seen, tc.want)
			}
		})
	}
}

// TestOfWithoutHandler: a request that did not pass Handler (a feature
// tested on its own) is taken as it came, headers ignored.
func TestOfWithoutHandler(t *testing.T) {
	r := httptest.NewRequest("GET", "https://cal.test/x", nil)
	r.RemoteAddr = "10.0.0.1:1234"
	r.Header.Set("X-Forwarded-For", "192.0.2.1")
	r.Header.Set("X-Forwarded-Proto", "http")
	if got, want := Of(r), (Client{"10.0.0.1", "https", "cal.test"}); got != want {
		t.Errorf("Of = %+v, want %+v", got, want)
	}
	if got := Of(r).BaseURL(); got != "https://cal.test" {
		t.Errorf("BaseURL = %q", got)
	}
}

func TestParseForwarded(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Element
		err  string
	}{
		{in: "for=192.0.2.60;proto=http;by=203.0.113.43", want: []Element{{For: "192.0.2.60", Proto: "http", By: "203.0.113.43"}}},
		{in: `For="[2001:db8:cafe::17]:4711"`, want: []Element{{For: "[2001:db8:cafe::17]:4711"}}},
		{in: "for=192.0.2.43, for=198.51.100.17", want: []Element{{For: "192.0.2.43"}, {For: "198.51.100.17"}}},
		{in: `for=192.0.2.43,for="[2001:db8:cafe::17]";proto=https`, want: []Element{{For: "192.0.2.43"}, {For: "[2001:db8:cafe::17]", Proto: "https"}}},
		{in: `for=unknown ; host="cal.example.com" ; secret=x`, want: []Element{{For: "unknown", Host: "cal.example.com"}}},
		{in: `for="a\"b\\c"`, want: []Element{{For: `a"b\c`}}},
		{in: ` , for=1.2.3.4 ,, ;; , `, want: []Element{{For: "1.2.3.4"}}},
		{in: "", want: nil},
		{in: `for=""`, want: []Element{{}}},
		{in: "for=1.2.3.4;FOR=5.6.7.8", err: "given twice"},
		{in: "for=1.2.3.4;proto=http;Proto=https", err: "given twice"},
		{in: `for="1.2.3.4`, err: "unterminated"},
		{in: `for="1.2` + "\x01" + `"`, err: "control character"},
		{in: `for="\` + "\x01" + `"`, err: "bad escape"},
		{in: "for=", err: "no value"},
		{in: "for =1.2.3.4", err: "expected '='"},
		{in: "=1.2.3.4", err: "expected a parameter name"},
		{in: "for=1.2.3.4 proto=http", err: "unexpected"},
		{in: "for=[2001:db8::1]", err: "no value"},
		{in: strings.Repeat("for=1.2.3.4,", maxElements+1), err: "more than"},
	} {
		got, err := ParseForwarded(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseForwarded(%q) = %v, %v; want error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseForwarded(%q) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
}

func TestValidHost(t *testing.T) {
	for h, want := range map[string]bool{
		"cal.example.com": true, "cal.example.com:8443": true, "192.0.2.1": true, "192.0.2.1:80": true,
		"[2001:db8::1]": true, "[2001:db8::1]:443": true, "localhost": true, "my_host": true,
		"": false, "cal.example.com:": false, "cal.example.com:123456": false, "cal.example.com:8a": false,
		"user@cal.example.com": false, "cal.example.com/path": false, "cal.example.com\r\nX: y": false,
		"[2001:db8::1": false, "[192.0.2.1]": false, "[fe80::1%25eth0]": false, "[2001:db8::1]x": false,
		"-cal.example.com": false, ".cal": false, "ca l": false, "c?l": false, "cal#x": false,
		strings.Repeat("a", 254): false, ":80": false,
	} {
		if got := validHost(h); got != want {
			t.Errorf("validHost(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestParseNode(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1": "192.0.2.1", "192.0.2.1:80": "192.0.2.1", "2001:db8::1": "2001:db8::1",
		"[2001:db8::1]": "2001:db8::1", "[2001:db8::1]:80": "2001:db8::1", "::ffff:192.0.2.1": "192.0.2.1",
		"[::ffff:192.0.2.1]:1": "192.0.2.1", "fe80::1%eth0": "fe80::1",
		"": "", "unknown": "", "_hidden": "", "192.0.2.1:": "", "192.0.2": "", "[192.0.2.1]": "192.0.2.1",
		"host:80": "", strings.Repeat("1", 65): "",
	} {
		a, ok := parseNode(in)
		got := ""
		if ok {
			got = a.String()
		}
		if got != want {
			t.Errorf("parseNode(%q) = %q, want %q", in, got, want)
		}
	}
}
