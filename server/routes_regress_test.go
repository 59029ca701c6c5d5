package server_test

import (
	"net/http"
	"strings"
	"testing"

	"almanac/server/servertest"
)

// RFC 9110 15.5.6: a method the target resource does not support is 405
// with an Allow header listing what it does support (and 9.3.7: OPTIONS
// answers the same list). Before, every method on / and /healthz was
// answered 200 with the page a GET gets, so DELETE / "succeeded".
func TestRootRoutesMethods_RFC9110_15_5_6(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("jane@example.com")
	const rootAllow, healthAllow = "OPTIONS, GET, HEAD, PROPFIND", "OPTIONS, GET, HEAD"
	for _, tc := range []struct {
		method, path, login string
		status              int
		allow               string
	}{
		{"GET", "/", "", 200, ""},
		{"HEAD", "/", "", 200, ""},
		{"PROPFIND", "/", acc.Login, 207, ""},
		{"PROPFIND", "/", "", 401, ""},
		// OPTIONS / is the DAV handler's, for clients probing the
		// server's address; its Allow names what / serves.
		{"OPTIONS", "/", acc.Login, 200, rootAllow},
		{"DELETE", "/", "", 405, rootAllow},
		{"COPY", "/", "", 405, rootAllow},
		{"MOVE", "/", "", 405, rootAllow},
		{"PUT", "/", "", 405, rootAllow},
		{"POST", "/", "", 405, rootAllow},
		{"PATCH", "/", "", 405, rootAllow},
		{"PROPPATCH", "/", acc.Login, 405, rootAllow},
		{"MKCOL", "/", acc.Login, 405, rootAllow},
		{"REPORT", "/", acc.Login, 405, rootAllow},
		{"TRACE", "/", "", 405, rootAllow},

		{"GET", "/healthz", "", 200, ""},
		{"HEAD", "/healthz", "", 200, ""},
		{"OPTIONS", "/healthz", "", 204, healthAllow},
		{"POST", "/healthz", "", 405, healthAllow},
		{"DELETE", "/healthz", "", 405, healthAllow},
		{"PROPFIND", "/healthz", "", 405, healthAllow},

		// Feeds answer for themselves (publish).
		{"DELETE", "/ics/abc", "", 405, "GET, HEAD, OPTIONS"},
		{"PUT", "/vcf/abc", "", 405, "GET, HEAD, OPTIONS"},
		{"OPTIONS", "/ics/abc", "", 204, "GET, HEAD, OPTIONS"},
		{"GET", "/ics/abc", "", 404, ""},

		// What is not served is not found, whatever the method.
		{"GET", "/nope", "", 404, ""},
		{"DELETE", "/nope", "", 404, ""},
		{"OPTIONS", "/nope", "", 404, ""},
		{"GET", "/healthz/", "", 404, ""},
		{"DELETE", "/.well-known/other", "", 404, ""},
	} {
		rec := env.Do(tc.method, tc.path, tc.login, "", "Depth", "0")
		if rec.Code != tc.status || rec.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q, want %d Allow %q\n%.300s", tc.method, tc.path, rec.Code, rec.Header().Get("Allow"), tc.status, tc.allow, rec.Body)
		}
		if tc.status == 405 && strings.Contains(rec.Body.String(), "almanac: CalDAV") {
			t.Errorf("%s %s: the 405 carries the home page", tc.method, tc.path)
		}
	}
	// HEAD / has GET's headers without the body (RFC 9110 9.3.2).
	get, head := env.Start()+"/", env.Start()+"/"
	gr, err := http.Get(get)
	if err != nil {
		t.Fatal(err)
	}
	gb := servertest.ReadAll(t, gr)
	hr, err := http.Head(head)
	if err != nil {
		t.Fatal(err)
	}
	hb := servertest.ReadAll(t, hr)
	if hr.StatusCode != 200 || len(hb) != 0 || len(gb) == 0 || hr.Header.Get("Content-Type") != gr.Header.Get("Content-Type") {
		t.Errorf("HEAD /: %d %q %d bytes; GET: %q %d bytes", hr.StatusCode, hr.Header.Get("Content-Type"), len(hb), gr.Header.Get("Content-Type"), len(gb))
	}
}
