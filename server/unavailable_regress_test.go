package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"almanac/clientsetup"
	"almanac/internal/pgtest"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/sharing"
	"almanac/storage/postgres"
)

// TestDatabaseAway: with the PostgreSQL database gone, every protocol
// answers at once with 503 and Retry-After through its own error
// renderer (DAV, the JSON API, the public feeds, the readiness probe),
// without the internal error's text; /healthz stays 200, as a restart
// would not help. With the database back the same server answers again,
// by itself.
func TestDatabaseAway(t *testing.T) {
	proxy, url := pgtest.NewProxy(t, pgtest.URL(t))
	store, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 4, ConnectTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	env := servertest.New(t, func(c *server.Config) { c.Store = store })
	jane := servertest.Account(t, store, "jane@example.org")
	rec := env.Do("POST", sharing.LinksPath, jane.Login, `{"collection":"default"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create link: %d %s", rec.Code, rec.Body)
	}
	var link sharing.LinkJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &link); err != nil {
		t.Fatal(err)
	}
	feed := link.URL[strings.Index(link.URL, "/ics/"):]
	// A token never issued (its first character changed; the last holds
	// padding bits) is counted as a guess in the database before the 404.
	guess := "/ics/A" + feed[len("/ics/")+1:]
	if feed[len("/ics/")] == 'A' {
		guess = "/ics/B" + feed[len("/ics/")+1:]
	}

	requests := []struct {
		method, path, login, body string
		hdr                       []string
		ok                        int
	}{
		{"PROPFIND", "/dav/calendars/" + jane.ID + "/default/", jane.Login, "", []string{"Depth", "1"}, http.StatusMultiStatus},
		{"GET", "/api/v1/account", jane.Login, "", nil, http.StatusOK},
		{"POST", "/api/v1/session", "", `{"login":"` + jane.Login + `","password":"` + servertest.Password + `"}`, nil, http.StatusOK},
		{"GET", feed, "", "", nil, http.StatusOK},
		{"GET", guess, "", "", nil, http.StatusNotFound},
		{"GET", clientsetup.AutoconfigPath + "?emailaddress=anna@example.org", "", "", nil, http.StatusNotFound},
		{"POST", clientsetup.AutodiscoverPath, "", `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request>
<EMailAddress>anna@example.org</EMailAddress>
<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
</Request></Autodiscover>`, []string{"Content-Type", "text/xml"}, http.StatusOK},
		{"GET", "/readyz", "", "", nil, http.StatusOK},
	}
	for round := range 2 {
		for _, r := range requests {
			if rec := env.Do(r.method, r.path, r.login, r.body, r.hdr...); rec.Code != r.ok {
				t.Fatalf("round %d, database up: %s %s: %d, want %d: %s", round, r.method, r.path, rec.Code, r.ok, rec.Body)
			}
		}
		proxy.Down()
		for _, r := range requests {
			rec := env.Do(r.method, r.path, r.login, r.body, r.hdr...)
			if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" && r.path != "/readyz" {
				t.Errorf("round %d, database away: %s %s: %d Retry-After %q, want 503 with Retry-After: %s",
					round, r.method, r.path, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
			}
			for _, leak := range []string{"postgres", "pgproxy", "storage", "connect", "unavailable:"} {
				if strings.Contains(rec.Body.String(), leak) {
					t.Errorf("%s %s sends internal text %q: %s", r.method, r.path, leak, rec.Body)
				}
			}
		}
		if rec := env.Do("GET", "/healthz", "", ""); rec.Code != http.StatusOK {
			t.Errorf("healthz with the database away: %d, want 200", rec.Code)
		}
		proxy.Up()
	}
}

// TestMetricsOnPostgres: /metrics reports a PostgreSQL store's counts
// and commits as it does bbolt's.
func TestMetricsOnPostgres(t *testing.T) {
	store, err := postgres.Open(context.Background(), pgtest.SchemaURL(t), postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	env := servertest.New(t, func(c *server.Config) { c.Store = store })
	jane := servertest.Account(t, store, "jane@example.org")
	before := env.Scrape().Value("almanac_db_commit_writes")
	event := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:m1\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250101T100000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if rec := env.Do("PUT", "/dav/calendars/"+jane.ID+"/default/m1.ics", jane.Login, event, "Content-Type", "text/calendar"); rec.Code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	m := env.Scrape()
	if m.Value("almanac_accounts") != 1 || m.Value("almanac_objects") != 1 || m.Value("almanac_db_size_bytes") <= 0 {
		t.Errorf("accounts %v, objects %v, bytes %v; want 1, 1 and a size",
			m.Value("almanac_accounts"), m.Value("almanac_objects"), m.Value("almanac_db_size_bytes"))
	}
	if got := m.Value("almanac_db_commit_writes") - before; got < 1 {
		t.Errorf("%v commits reported for a PUT", got)
	}
}
