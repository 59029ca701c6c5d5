package sharing_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"almanac/server"
	"almanac/server/servertest"
	"almanac/sharing"
)

// TestLinkViewPublicURLWithoutScheme: a public URL without a scheme
// ("cal.example.com", refused at start since, but possible in a server
// built by other means) made every link answer index past the end of
// its "://" split and panic. The answer must still be a link.
func TestLinkViewPublicURLWithoutScheme(t *testing.T) {
	for _, tc := range []struct{ publicURL, url, webcal string }{
		{"cal.example.com", "cal.example.com/ics/", "webcal://cal.example.com/ics/"},
		{"https://cal.example.com/", "https://cal.example.com/ics/", "webcal://cal.example.com/ics/"},
	} {
		t.Run(tc.publicURL, func(t *testing.T) {
			env := servertest.New(t, func(c *server.Config) { c.PublicURL = tc.publicURL })
			acc := env.Account("jane@example.com")
			do := func(method, path, body string) *httptest.ResponseRecorder {
				return env.Do(method, path, acc.Login, body)
			}
			rec := do("POST", sharing.LinksPath, `{"collection":"default"}`)
			if rec.Code != http.StatusCreated {
				t.Fatalf("create link: %d %s", rec.Code, rec.Body)
			}
			var l sharing.LinkJSON
			if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(l.URL, tc.url) || !strings.HasPrefix(l.Subscribe.Webcal, tc.webcal) {
				t.Errorf("url %q webcal %q, want prefixes %q %q", l.URL, l.Subscribe.Webcal, tc.url, tc.webcal)
			}
			if rec := do("GET", sharing.LinksPath, ""); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), l.ID) {
				t.Errorf("list links: %d %s", rec.Code, rec.Body)
			}
		})
	}
}
