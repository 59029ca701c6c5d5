package interop

import (
	"net/http"
	"strings"
	"testing"
)

// TestMethodNotAllowedNamesAllow: clients that probe a URL with a method
// the resource does not serve (GET on a collection from a browser or a
// subscription dialog, POST from a scheduling-aware client) learn what
// is allowed from the Allow header, which RFC 9110 15.5.6 requires on
// every 405.
func TestMethodNotAllowedNamesAllow(t *testing.T) {
	e := startServer(t)
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/dav/"},
		{http.MethodGet, e.Home},
		{http.MethodGet, e.Calendar},
		{http.MethodPost, e.Calendar},
	} {
		resp, body := e.do(t, c.method, c.path, nil, "")
		if resp.StatusCode != http.StatusMethodNotAllowed {
			// Serving it is fine too; only a 405 needs Allow.
			t.Logf("%s %s: status %d", c.method, c.path, resp.StatusCode)
			continue
		}
		allow := resp.Header.Get("Allow")
		if allow == "" {
			t.Errorf("%s %s: 405 without an Allow header (RFC 9110 15.5.6); body %q", c.method, c.path, body)
			continue
		}
		if strings.Contains(allow, c.method) {
			t.Errorf("%s %s: 405 but Allow lists %s: %q", c.method, c.path, c.method, allow)
		}
		if !strings.Contains(allow, "PROPFIND") {
			t.Errorf("%s %s: Allow %q does not list PROPFIND", c.method, c.path, allow)
		}
	}
}
