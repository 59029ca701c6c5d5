package sharing_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"almanac/auth"
	"almanac/caldav"
	"almanac/internal/server"
	"almanac/sharing"
	"almanac/storage"
	"almanac/storage/bolt"
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
			db, err := bolt.Open(filepath.Join(t.TempDir(), "almanac.db"), bolt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			const pw = "unguessable-test-password"
			hash, err := auth.HashPassword(pw)
			if err != nil {
				t.Fatal(err)
			}
			acc := &storage.Account{Login: "jane@example.com", PasswordHash: hash}
			if err := db.CreateAccount(ctx, acc); err != nil {
				t.Fatal(err)
			}
			if err := caldav.Provision(ctx, db, acc); err != nil {
				t.Fatal(err)
			}
			h := server.New(server.Config{Store: db, PublicURL: tc.publicURL})
			do := func(method, path, body string) *httptest.ResponseRecorder {
				r := httptest.NewRequest(method, path, strings.NewReader(body))
				r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(acc.Login+":"+pw)))
				if body != "" {
					r.Header.Set("Content-Type", "application/json")
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				return rec
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
