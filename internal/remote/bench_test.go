package remote

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkResolve: the work every request pays, direct and through a
// trusted proxy whose client sent a long X-Forwarded-For of its own
// (read from the right, so its length does not count).
func BenchmarkResolve(b *testing.B) {
	p := NewProxies(mustTrusted(b, "10.0.0.0/8"), XForwarded)
	for _, bc := range []struct {
		name, remote, xff string
	}{
		{"direct", "198.51.100.7:4000", ""},
		{"proxied", "10.0.0.1:4000", "192.0.2.1"},
		{"proxied-long-forged-list", "10.0.0.1:4000", strings.Repeat("203.0.113.9, ", 1000) + "192.0.2.1"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "http://cal.test/dav/", nil)
			r.RemoteAddr = bc.remote
			if bc.xff != "" {
				r.Header.Set("X-Forwarded-For", bc.xff)
				r.Header.Set("X-Forwarded-Proto", "https")
			}
			b.ReportAllocs()
			for b.Loop() {
				if c := p.Resolve(r); c.Addr == "" {
					b.Fatal("no address")
				}
			}
		})
	}
}
