package conformance

import (
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"almanac/server/servertest"
	"almanac/storage"
)

// world is a fresh server holding the data set an example is played on,
// and the map from the RFC's URLs to the server's.
type world struct {
	t     *testing.T
	env   *servertest.Env
	login string
	// paths maps RFC path prefixes to server paths; the longest prefix
	// that matches wins.
	paths map[string]string
	// tokens maps sync tokens the RFC shows to ones the server issued.
	tokens map[string]string
	// ns is the namespace the RFC's undeclared "C:" prefix stands for.
	ns string
}

// newWorld starts a server with one account whose handle is user, so
// that its URLs read like the RFC's (/dav/calendars/bernard/...).
func newWorld(t *testing.T, user, ns string) *world {
	t.Helper()
	env := servertest.New(t)
	login := user + "@example.com"
	env.Account(login, func(a *storage.Account) { a.ID = user })
	return &world{t: t, env: env, login: login, paths: map[string]string{}, tokens: map[string]string{}, ns: ns}
}

// do sends a request as the world's user.
func (w *world) do(method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	w.t.Helper()
	return w.env.Do(method, target, w.login, body, hdr...)
}

// must sends a request of the world's setup and fails unless it answers
// status.
func (w *world) must(status int, method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	w.t.Helper()
	rec := w.do(method, target, body, hdr...)
	if rec.Code != status {
		w.t.Fatalf("setup: %s %s: status %d, want %d\n%s", method, target, rec.Code, status, rec.Body)
	}
	return rec
}

// put stores an iCalendar object or vCard read from testdata.
func (w *world) put(target, file string) {
	w.t.Helper()
	w.putData(target, readFile(w.t, file))
}

func readFile(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// putData stores data, with CRLF line ends (RFC 5545 3.1, RFC 6350
// 3.2): the RFCs print their examples with bare line ends.
func (w *world) putData(target, data string) {
	w.t.Helper()
	ct := "text/calendar; charset=utf-8"
	if strings.HasPrefix(data, "BEGIN:VCARD") {
		ct = "text/vcard; charset=utf-8"
	}
	w.must(201, "PUT", target, crlf(data), "Content-Type", ct)
}

func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// syncToken reads the DAV:sync-token property of a collection.
func (w *world) syncToken(coll string) string {
	w.t.Helper()
	rec := w.must(207, "PROPFIND", coll, `<D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>`, "Depth", "0")
	ms, err := parseXML(rec.Body.String(), nil)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, r := range ms.all(nsDAV, "response") {
		for _, ps := range r.all(nsDAV, "propstat") {
			if p := ps.kid(nsDAV, "prop"); p != nil {
				if tok := p.kid(nsDAV, "sync-token"); tok != nil && tok.text != "" {
					return strings.TrimSpace(tok.text)
				}
			}
		}
	}
	w.t.Fatalf("setup: no sync-token on %s:\n%s", coll, rec.Body)
	return ""
}

// The hosts of the RFCs' examples; absolute URLs on them are reduced to
// their paths before mapping. (Sync tokens such as
// http://example.com/ns/sync/1234 are URIs too, and must stay intact.)
var rfcHosts = []string{"http://cal.example.com", "http://addressbook.example.com", "http://webdav.example.com", "http://www.webdav.org"}

// mapPath turns an RFC URL into the server's path.
func (w *world) mapPath(p string) string {
	for _, h := range rfcHosts {
		if rest, ok := strings.CutPrefix(p, h); ok && strings.HasPrefix(rest, "/") {
			p = rest
			break
		}
	}
	prefixes := make([]string, 0, len(w.paths))
	for from := range w.paths {
		prefixes = append(prefixes, from)
	}
	sort.Slice(prefixes, func(i, j int) bool { return len(prefixes[i]) > len(prefixes[j]) })
	for _, from := range prefixes {
		if rest, ok := strings.CutPrefix(p, from); ok {
			return w.paths[from] + rest
		}
	}
	return p
}

// serverPath reduces an href the server wrote to its path.
func serverPath(h string) string {
	if i := strings.Index(h, "://"); i > 0 {
		if j := strings.IndexByte(h[i+3:], '/'); j >= 0 {
			return h[i+3+j:]
		}
	}
	return h
}

var (
	hrefElement = regexp.MustCompile(`(<(?:[A-Za-z][\w.-]*:)?href>)([^<]*)(</)`)
	angleURL    = regexp.MustCompile(`<([^>]*)>`)
)

// requestBody maps the hrefs in a request body and swaps sync tokens.
func (w *world) requestBody(body string) string {
	body = w.swapTokens(body)
	return hrefElement.ReplaceAllStringFunc(body, func(m string) string {
		s := hrefElement.FindStringSubmatch(m)
		return s[1] + w.mapPath(strings.TrimSpace(s[2])) + s[3]
	})
}

// ifHeader maps the resource tags of an If header (RFC 4918 10.4) and
// swaps the sync tokens in its state lists.
func (w *world) ifHeader(v string) string {
	v = w.swapTokens(v)
	return angleURL.ReplaceAllStringFunc(v, func(m string) string {
		u := m[1 : len(m)-1]
		if strings.HasPrefix(u, "/") || strings.HasPrefix(u, "http://") && w.mapPath(u) != u {
			return "<" + w.mapPath(u) + ">"
		}
		return m
	})
}

func (w *world) swapTokens(s string) string {
	for rfc, ours := range w.tokens {
		s = strings.ReplaceAll(s, rfc, ours)
	}
	return s
}

// memberName is the last segment of an href.
func memberName(href string) string { return path.Base(strings.TrimSuffix(href, "/")) }

// syncAfter runs an initial sync-collection cut after limit members and
// returns the token it gave (RFC 6578 3.11).
func (w *world) syncAfter(limit int) string {
	w.t.Helper()
	rec := w.must(207, "REPORT", "/dav/calendars/cyrusdaboo/collection/", `<D:sync-collection xmlns:D="DAV:">
  <D:sync-token/><D:sync-level>1</D:sync-level>
  <D:limit><D:nresults>`+strconv.Itoa(limit)+`</D:nresults></D:limit>
  <D:prop><D:getetag/></D:prop>
</D:sync-collection>`)
	ms, err := parseXML(rec.Body.String(), nil)
	if err != nil {
		w.t.Fatal(err)
	}
	tok := ms.kid(nsDAV, "sync-token")
	if tok == nil {
		w.t.Fatalf("setup: no sync-token:\n%s", rec.Body)
	}
	return strings.TrimSpace(tok.text)
}

// answerData returns the calendar or address data the RFC's answer in
// file shows for the member name.
func answerData(t *testing.T, file, name string) string {
	t.Helper()
	tr, err := readTranscript(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := parseMessage(tr.exchanges[0].response)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := parseXML(resp.body, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ms.all(nsDAV, "response") {
		if memberName(strings.TrimSpace(r.kid(nsDAV, "href").text)) != name {
			continue
		}
		for _, ps := range r.all(nsDAV, "propstat") {
			for _, k := range ps.kid(nsDAV, "prop").kids {
				if k.is(nsCalDAV, "calendar-data") || k.is(nsCardDAV, "address-data") {
					return k.text
				}
			}
		}
	}
	t.Fatalf("%s shows no data of %s", file, name)
	return ""
}
