package web_test

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"almanac/internal/pgtest"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage/postgres"
)

// TestMain stops the PostgreSQL cluster the tests on that backend start.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// With the database away, a page answers 503 with Retry-After and says
// so in words, without the cause; with it back, the same session goes on.
func TestPages_DatabaseAway(t *testing.T) {
	proxy, url := pgtest.NewProxy(t, pgtest.URL(t))
	store, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 4, ConnectTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	env := servertest.New(t, func(c *server.Config) { c.Store = store })
	jane := servertest.Account(t, store, "jane@example.org")
	c := newClient(t, env).login(jane.Login)
	proxy.Down()
	c.get("/calendars").want(http.StatusServiceUnavailable, "unavailable for a moment").lacks("postgres", "pgproxy", "connect")
	if got := c.header.Get("Retry-After"); got != "5" {
		t.Errorf("Retry-After %q, want 5", got)
	}
	c.get("/calendars", "Accept-Language", "fr").want(http.StatusServiceUnavailable, "indisponible un instant")
	proxy.Up()
	c.get("/calendars").want(http.StatusOK)
}
