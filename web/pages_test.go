package web_test

import (
	"net/http"
	"testing"

	"almanac/server/servertest"
)

func TestLoginAndCalendars(t *testing.T) {
	env := servertest.New(t)
	env.Account("ann@example.com")
	c := newClient(t, env)
	c.get("/").want(http.StatusOK, "Log in", "/.well-known/caldav")
	c.login("ann@example.com").want(http.StatusOK, "Calendar", "/dav/calendars/")
	c.post("/calendars", "displayname", "Team <b>", "kind", "calendar", "color", "#aa3300").want(http.StatusOK, "Team &lt;b&gt;", "Created.")
}
