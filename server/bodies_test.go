package server_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"almanac/server"
	"almanac/server/servertest"
)

// rawRequest sends head with a Content-Length of size, then the body one
// byte every gap (a slow client), and returns the response the server
// writes, read with a bound so that a server that never answers fails the
// test instead of hanging it. The connection is closed when the test
// ends.
func rawRequest(t *testing.T, url, head string, size int, gap time.Duration) (*http.Response, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := fmt.Fprintf(c, "%sContent-Length: %d\r\n\r\n", head, size); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range size {
			time.Sleep(gap)
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	return resp, &readerConn{Conn: c, r: br}
}

type readerConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *readerConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// closedWithin reports whether the server closes c before the read bound:
// a connection it keeps open with a body trickling in times out instead.
func closedWithin(c net.Conn, bound time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(bound))
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			ne, ok := err.(net.Error)
			return !ok || !ne.Timeout()
		}
	}
}

// A stranger trickling a body is answered and cut off after the
// anonymous budget, not kept connected for as long as they keep sending.
func TestSlowAnonymousBodyIsCutOff(t *testing.T) {
	env := servertest.New(t, func(c *server.Config) { c.BodyLimits = server.BodyLimits{Anonymous: 300 * time.Millisecond} })
	acc := env.Account("jane@example.com")
	url := env.Start()
	resp, c := rawRequest(t, url, "PUT /dav/calendars/"+acc.ID+"/default/a.ics HTTP/1.1\r\nHost: x\r\nContent-Type: text/calendar\r\n", 400, 50*time.Millisecond)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
	resp.Body.Close()
	if !closedWithin(c, 10*time.Second) {
		t.Fatal("the server kept the connection of an unauthenticated trickling body open")
	}
}

// An authenticated client that stops sending within its budget gets 408
// and the connection closed.
func TestStalledAuthenticatedBodyTimesOut(t *testing.T) {
	env := servertest.New(t, func(c *server.Config) {
		c.BodyLimits = server.BodyLimits{Anonymous: 300 * time.Millisecond, Base: 300 * time.Millisecond, MinRate: 1 << 30}
	})
	acc := env.Account("jane@example.com")
	url := env.Start()
	head := "PUT /dav/calendars/" + acc.ID + "/default/a.ics HTTP/1.1\r\nHost: x\r\nContent-Type: text/calendar\r\nAuthorization: " +
		servertest.BasicAuth(acc.Login, servertest.Password) + "\r\n"
	resp, c := rawRequest(t, url, head, 400, 50*time.Millisecond)
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
	resp.Body.Close()
	if !closedWithin(c, 10*time.Second) {
		t.Fatal("connection kept open after 408")
	}
	if _, err := env.Store.Stat(t.Context(), acc.ID, "default", "a.ics"); err == nil {
		t.Fatal("a body that never arrived was stored")
	}
}

// Once authenticated, the budget grows with what the endpoint accepts: a
// body that takes longer than the anonymous budget still arrives.
func TestAuthenticatedBodyGetsItsBudget(t *testing.T) {
	env := servertest.New(t, func(c *server.Config) { c.BodyLimits = server.BodyLimits{Anonymous: 200 * time.Millisecond} })
	acc := env.Account("jane@example.com")
	url := env.Start()
	event := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:slow\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260310T100000Z\r\nSUMMARY:slow\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "PUT /dav/calendars/%s/default/slow.ics HTTP/1.1\r\nHost: x\r\nContent-Type: text/calendar\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n",
		acc.ID, servertest.BasicAuth(acc.Login, servertest.Password), len(event))
	for i := 0; i < len(event); i += len(event)/4 + 1 {
		time.Sleep(150 * time.Millisecond) // 600 ms in all, three times the anonymous budget
		c.Write([]byte(event[i:min(i+len(event)/4+1, len(event))]))
	}
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, want 201", resp.StatusCode)
	}
}

// Before authentication only small bodies are read: a public endpoint
// answers 413 beyond the anonymous cap.
func TestAnonymousBodyCap(t *testing.T) {
	env := servertest.New(t, func(c *server.Config) { c.BodyLimits = server.BodyLimits{Unauthenticated: 100} })
	body := `{"login":"` + strings.Repeat("a", 200) + `@example.com","password":"x"}`
	if rec := env.Do("POST", "/api/v1/session", "", body); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d %s, want 413", rec.Code, rec.Body)
	}
}
