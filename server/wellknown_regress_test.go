package server_test

import (
	"net/http"
	"testing"

	"almanac/server/servertest"
)

// RFC 6764 5: a client that appends a slash to the well-known URI, as
// to any collection, is redirected like one that does not, with the
// same status, so that it re-issues its PROPFIND at the context path.
func TestWellKnownTrailingSlash_RFC6764_5(t *testing.T) {
	env := servertest.New(t)
	for _, p := range []string{"/.well-known/caldav", "/.well-known/carddav"} {
		for _, method := range []string{"GET", "HEAD", "PROPFIND", "OPTIONS"} {
			bare := env.Do(method, p, "", "")
			slash := env.Do(method, p+"/", "", "")
			if bare.Code != http.StatusMovedPermanently || bare.Header().Get("Location") != "/dav/" {
				t.Errorf("%s %s: %d %q", method, p, bare.Code, bare.Header().Get("Location"))
			}
			if slash.Code != bare.Code || slash.Header().Get("Location") != bare.Header().Get("Location") {
				t.Errorf("%s %s/: %d %q, want %d %q", method, p, slash.Code, slash.Header().Get("Location"), bare.Code, bare.Header().Get("Location"))
			}
		}
	}
	// Only these: other well-known names and paths below them are not
	// served.
	for _, p := range []string{"/.well-known/caldav/x", "/.well-known/caldavx", "/.well-known/other", "/.well-known/"} {
		if rec := env.Do("GET", p, "", ""); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, rec.Code)
		}
	}
}
