package fetch

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPublic(t *testing.T) {
	tests := []struct {
		addr   string
		public bool
	}{
		{"93.184.215.14", true},
		{"8.8.8.8", true},
		{"2606:4700::6810:85e5", true},
		{"127.0.0.1", false},
		{"127.255.0.9", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"172.32.0.1", true},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"fe80::1", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"::", false},
		{"100.64.0.1", false},
		{"192.0.0.8", false},
		{"198.18.0.1", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		{"224.0.0.1", false},
		{"ff02::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:8.8.8.8", true},
		{"::127.0.0.1", false},
		{"64:ff9b::7f00:1", false},   // NAT64 of 127.0.0.1
		{"64:ff9b::808:808", true},   // NAT64 of 8.8.8.8
		{"2002:7f00:1::1", false},    // 6to4 of 127.0.0.1
		{"2002:a9fe:a9fe::1", false}, // 6to4 of 169.254.169.254
		{"2002:808:808::1", true},
		{"64:ff9b:1::1", false},
		{"fec0::1", false},
	}
	for _, tc := range tests {
		if got := Public(netip.MustParseAddr(tc.addr)); got != tc.public {
			t.Errorf("Public(%s) = %v, want %v", tc.addr, got, tc.public)
		}
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"https://example.com/cal.ics", "https://example.com/cal.ics", ""},
		{"  http://example.com:8080/a?b=c#frag ", "http://example.com:8080/a?b=c", ""},
		{"webcal://example.com/feed", "https://example.com/feed", ""},
		{"https://user:pass@example.com/x", "https://user:pass@example.com/x", ""},
		{"", "", "the URL is empty"},
		{"ftp://example.com/x", "", "only http and https URLs are fetched"},
		{"file:///etc/passwd", "", "only http and https URLs are fetched"},
		{"gopher://x", "", "only http and https URLs are fetched"},
		{"example.com/cal.ics", "", "only http and https URLs are fetched"},
		{"https:///path", "", "the URL names no host"},
		{"https:opaque", "", "the URL names no host"},
		{"https://example.com:0/", "", "the URL's port is not a number from 1 to 65535"},
		{"https://example.com:99999/", "", "the URL's port is not a number from 1 to 65535"},
		{"http://[::1", "", "not a URL"},
	}
	for _, tc := range tests {
		u, err := CheckURL(tc.in)
		switch {
		case tc.err != "":
			var fe *Error
			if !errors.As(err, &fe) || fe.Kind != BadURL || fe.Message != tc.err {
				t.Errorf("CheckURL(%q) = %v, %v; want %q", tc.in, u, err, tc.err)
			}
		case err != nil || u.String() != tc.want:
			t.Errorf("CheckURL(%q) = %v, %v; want %s", tc.in, u, err, tc.want)
		}
	}
}

// FuzzCheckURL: CheckURL never panics, and what it accepts is an http or
// https URL with a host.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://example.com/a.ics", "webcal://x/y", "http://[::1]:80/", "ftp://x", "https://u:p@h:1/p?q#f", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := CheckURL(raw)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || fe.Kind != BadURL {
				t.Fatalf("error %v is not a BadURL *Error", err)
			}
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" || u.Fragment != "" {
			t.Fatalf("accepted %q as %#v", raw, u)
		}
	})
}

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func wantKind(t *testing.T, err error, kind Kind, msg string) {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) || fe.Kind != kind {
		t.Fatalf("err = %v, want an *Error of kind %d", err, kind)
	}
	if !strings.Contains(fe.Message, msg) {
		t.Fatalf("message %q, want it to contain %q", fe.Message, msg)
	}
}

const calendar = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"

// The test servers listen on loopback, which the default client refuses:
// the server's own interface is what request forgery aims at.
func TestGet_RefusesLoopback(t *testing.T) {
	var hit atomic.Bool
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { hit.Store(true) })
	for _, u := range []string{srv.URL + "/cal.ics", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/cal.ics"} {
		_, err := New(Options{MaxBytes: 1 << 20}).Get(t.Context(), u)
		wantKind(t, err, NotAllowed, "a private or local network")
	}
	if hit.Load() {
		t.Fatal("the refused server was reached")
	}
}

func TestGet(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cal.ics":
			w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
			fmt.Fprint(w, calendar)
		case "/moved":
			http.Redirect(w, r, "/cal.ics", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/ftp":
			http.Redirect(w, r, "ftp://example.com/x", http.StatusFound)
		case "/big":
			w.Header().Set("Content-Length", "2000")
			w.Write(make([]byte, 2000))
		case "/big-chunked":
			w.(http.Flusher).Flush()
			w.Write(make([]byte, 2000))
		case "/slow":
			<-r.Context().Done()
		default:
			http.NotFound(w, r)
		}
	})
	c := New(Options{MaxBytes: 1000, AllowPrivate: true, Timeout: 2 * time.Second, UserAgent: "almanac-test"})
	resp, err := c.Get(t.Context(), srv.URL+"/moved")
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != calendar || resp.ContentType != "text/calendar; charset=utf-8" || resp.URL != srv.URL+"/cal.ics" {
		t.Fatalf("got %+v", resp)
	}

	_, err = c.Get(t.Context(), srv.URL+"/nothing")
	wantKind(t, err, Failed, "/nothing answered 404 Not Found")
	_, err = c.Get(t.Context(), srv.URL+"/loop")
	wantKind(t, err, Failed, "more than 5 redirects")
	_, err = c.Get(t.Context(), srv.URL+"/ftp")
	wantKind(t, err, Failed, "not http or https")
	_, err = c.Get(t.Context(), srv.URL+"/big")
	wantKind(t, err, TooLarge, "larger than 1000 bytes")
	_, err = c.Get(t.Context(), srv.URL+"/big-chunked")
	wantKind(t, err, TooLarge, "larger than 1000 bytes")

	short := New(Options{MaxBytes: 1000, AllowPrivate: true, Timeout: 50 * time.Millisecond})
	_, err = short.Get(t.Context(), srv.URL+"/slow")
	wantKind(t, err, Failed, "did not send the file within 50ms")

	// Credentials in the URL are used, and never shown.
	_, err = c.Get(t.Context(), strings.Replace(srv.URL, "http://", "http://jane:s3cret@", 1)+"/nothing")
	wantKind(t, err, Failed, "answered 404")
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("the error shows the password: %v", err)
	}

	// Nothing listens on a closed server's port.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	_, err = c.Get(t.Context(), closed.URL)
	wantKind(t, err, Failed, "refused the connection")
}

// A redirect is followed only to addresses the rule allows: the check is
// made on each connection, so a public URL cannot send the client to a
// private one.
func TestGet_RedirectToRefusedAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	inner := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, calendar) }))
	inner.Listener.Close()
	inner.Listener = ln
	inner.Start()
	t.Cleanup(inner.Close)
	outer := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inner.URL+"/cal.ics", http.StatusFound)
	})

	c := New(Options{MaxBytes: 1000, allowed: func(a netip.Addr) bool { return a == netip.MustParseAddr("127.0.0.1") }})
	if _, err := c.Get(t.Context(), inner.URL+"/cal.ics"); err == nil {
		t.Fatal("the refused address was fetched")
	}
	_, err = c.Get(t.Context(), outer.URL)
	wantKind(t, err, NotAllowed, "127.0.0.2, an address of a private or local network")
}

// What a failure says for logs (Error, Host, Err) names the host, never
// the path, which for a calendar's private link is its secret.
func TestGet_ErrorsNameNoPath(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	const secret = "/calendar/ical/jane/private-0123456789abcdef/basic.ics"
	c := New(Options{MaxBytes: 1000, AllowPrivate: true})
	_, err := c.Get(t.Context(), closed.URL+secret)
	wantKind(t, err, Failed, "refused the connection")
	var fe *Error
	errors.As(err, &fe)
	if fe.Host != "127.0.0.1" {
		t.Errorf("Host = %q, want 127.0.0.1", fe.Host)
	}
	if strings.Contains(err.Error(), "private-0123456789abcdef") {
		t.Fatalf("the error names the path: %v", err)
	}
}
