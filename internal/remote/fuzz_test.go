package remote

import (
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseForwarded: whatever the line, no panic; what parses prints
// back (every value quoted) to a line that parses to the same elements.
func FuzzParseForwarded(f *testing.F) {
	for _, s := range []string{
		"for=192.0.2.60;proto=http;by=203.0.113.43",
		`for="[2001:db8:cafe::17]:4711", for=unknown;host="cal.example.com"`,
		`for="a\"b\\c" , ;; ,for=_x;ext="y"`,
		`for="1.2.3.4`, "for=1;for=2", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		elems, err := ParseForwarded(s)
		if err != nil {
			return
		}
		if len(elems) > maxElements {
			t.Fatalf("%d elements", len(elems))
		}
		var parts []string
		for _, e := range elems {
			var pairs []string
			for _, kv := range [][2]string{{"for", e.For}, {"by", e.By}, {"proto", e.Proto}, {"host", e.Host}} {
				v := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(kv[1])
				pairs = append(pairs, kv[0]+`="`+v+`"`)
			}
			parts = append(parts, strings.Join(pairs, ";"))
		}
		again, err := ParseForwarded(strings.Join(parts, ", "))
		if err != nil || !reflect.DeepEqual(again, elems) {
			t.Fatalf("%q parsed to %#v; printed and parsed again: %#v, %v", s, elems, again, err)
		}
	})
}

// FuzzResolve checks the properties the server relies on, for any
// headers: the scheme is http or https, the host is the request's or a
// well-formed one, an untrusted peer's headers change nothing, and what
// a client writes to the left of the entry a trusted proxy wrote for it
// changes nothing either.
func FuzzResolve(f *testing.F) {
	f.Add("10.0.0.1:4000", "192.0.2.1", "https", "cal.example.com", "for=192.0.2.1;proto=https", "1.1.1.1", false)
	f.Add("10.0.0.1:4000", "10.0.0.2, 192.0.2.1, 10.0.0.3", "http, https", "a:1", `for="[2001:db8::1]:1", for=10.0.0.2`, `for="x`, true)
	f.Add("198.51.100.1:1", "unknown", "ftp", "a/b", "for=_x", "", false)
	f.Add("[2001:db8:a::1]:4000", "[2001:db8::7]:80", "HTTPS", "[::1]:8080", "for=unknown;proto=https", "10.0.0.9", true)
	trusted := mustTrusted(f, "10.0.0.0/8, 2001:db8:a::/48")
	f.Fuzz(func(t *testing.T, remoteAddr, xff, xfp, xfh, fwd, prefix string, forwarded bool) {
		h := XForwarded
		if forwarded {
			h = Forwarded
		}
		p := NewProxies(trusted, h)
		req := func(xffLines, fwdLines []string) Client {
			r := httptest.NewRequest("GET", "http://cal.test/", nil)
			r.RemoteAddr = remoteAddr
			for _, l := range xffLines {
				r.Header.Add("X-Forwarded-For", l)
			}
			for _, l := range fwdLines {
				r.Header.Add("Forwarded", l)
			}
			r.Header.Set("X-Forwarded-Proto", xfp)
			r.Header.Set("X-Forwarded-Host", xfh)
			return p.Resolve(r)
		}
		c := req([]string{xff}, []string{fwd})
		if c.Scheme != "http" && c.Scheme != "https" {
			t.Fatalf("scheme %q", c.Scheme)
		}
		if c.Host != "cal.test" && !validHost(c.Host) {
			t.Fatalf("host %q", c.Host)
		}
		peer, ok := parseNode(remoteAddr)
		if !ok || !p.trusts(peer) {
			if want := (Client{Addr: remoteAddr, Scheme: "http", Host: "cal.test"}); ok {
				want.Addr = peer.String()
				if c != want {
					t.Fatalf("untrusted peer %q: %+v", remoteAddr, c)
				}
			} else if c != want {
				t.Fatalf("peer %q: %+v", remoteAddr, c)
			}
			return
		}
		a, err := netip.ParseAddr(c.Addr)
		if err != nil {
			t.Fatalf("client address %q", c.Addr)
		}
		if p.trusts(a) {
			// The walk ended on a proxy; nothing more to say.
			return
		}
		// The client's entry was written by a trusted proxy: a prefix
		// the client chose, in the same line (X-Forwarded-For) or a line
		// of its own (both), leaves the result alone.
		if !forwarded {
			if got := req([]string{prefix + "," + xff}, []string{fwd}); got != c {
				t.Fatalf("prefix %q changed %+v to %+v", prefix, c, got)
			}
		}
		if got := req([]string{prefix, xff}, []string{prefix, fwd}); got != c {
			t.Fatalf("line %q changed %+v to %+v", prefix, c, got)
		}
	})
}
