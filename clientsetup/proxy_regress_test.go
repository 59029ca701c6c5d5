package clientsetup_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"almanac/server"
)

// Behind a trusted reverse proxy without -public-url, the documents name
// the host and scheme the client used, as the proxy passes them on, not
// the proxy's own connection: the domain an autoconfig.<domain> request
// is about and the DAV URL both come from X-Forwarded-Host and -Proto.
// From a client that is no trusted proxy, the headers are ignored.
func TestAutoconfigBehindProxy(t *testing.T) {
	w := newWorld(t, func(c *server.Config) {
		c.PublicURL = ""
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	})
	fwd := []string{"X-Forwarded-Host", "autoconfig.domain.xyz", "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.9"}
	rec := w.Do("GET", "http://127.0.0.1:8080/mail/config-v1.1.xml", "", "", fwd...)
	if rec.Code != http.StatusOK {
		t.Fatalf("through the proxy: %d %s", rec.Code, rec.Body)
	}
	c := readAutoconfig(t, rec.Body.Bytes())
	if c.Provider.ID != "domain.xyz" || len(c.Calendar) != 1 || c.Calendar[0].ServerURL != "https://autoconfig.domain.xyz/dav/" {
		t.Errorf("through the proxy: provider %q, calendar %+v", c.Provider.ID, c.Calendar)
	}

	// servertest's requests come from 192.0.2.1; this one does not.
	req := httptest.NewRequest("GET", "http://127.0.0.1:8080/mail/config-v1.1.xml", nil)
	req.RemoteAddr = "198.51.100.7:4242"
	for i := 0; i+1 < len(fwd); i += 2 {
		req.Header.Set(fwd[i], fwd[i+1])
	}
	rr := httptest.NewRecorder()
	w.Server.ServeHTTP(rr, req)
	if rr.Code != http.StatusNotFound {
		t.Errorf("headers from an untrusted client were believed: %d %s", rr.Code, rr.Body)
	}
}

// A public URL without a scheme (refused at start, but possible in a
// server built by other means) made the server panic as it was built.
// Documents then name the request's own host.
func TestPublicURLWithoutScheme(t *testing.T) {
	w := newWorld(t, func(c *server.Config) { c.PublicURL = "cal.example.com" })
	rec := w.Do("GET", "http://autoconfig.domain.xyz/mail/config-v1.1.xml", "", "")
	c := readAutoconfig(t, rec.Body.Bytes())
	if rec.Code != http.StatusOK || len(c.Calendar) != 1 || c.Calendar[0].ServerURL != "http://autoconfig.domain.xyz/dav/" {
		t.Errorf("%d %+v", rec.Code, c.Calendar)
	}
}
