package interop

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/golden")

// goldenExchange is one request of a scripted client conversation.
type goldenExchange struct {
	file   string // under testdata/golden
	method string
	path   string
	header map[string]string
	body   string
	noAuth bool
}

// Request bodies as iOS/macOS (dataaccessd, CalendarAgent) send them
// during account setup, namespace prefixes and all.
const (
	iosWellKnown = `<?xml version="1.0" encoding="UTF-8"?>
<A:propfind xmlns:A="DAV:">
  <A:prop>
    <A:current-user-principal/>
    <A:principal-URL/>
    <A:resourcetype/>
  </A:prop>
</A:propfind>`

	iosPrincipal = `<?xml version="1.0" encoding="UTF-8"?>
<A:propfind xmlns:A="DAV:">
  <A:prop>
    <B:calendar-home-set xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <B:calendar-user-address-set xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <B:calendar-user-type xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <A:current-user-principal/>
    <A:current-user-privilege-set/>
    <A:displayname/>
    <C:dropbox-home-URL xmlns:C="http://calendarserver.org/ns/"/>
    <C:email-address-set xmlns:C="http://calendarserver.org/ns/"/>
    <C:notification-URL xmlns:C="http://calendarserver.org/ns/"/>
    <A:principal-collection-set/>
    <A:principal-URL/>
    <A:resource-id/>
    <A:resourcetype/>
    <B:schedule-inbox-URL xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <B:schedule-outbox-URL xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <A:supported-report-set/>
  </A:prop>
</A:propfind>`

	iosHome = `<?xml version="1.0" encoding="UTF-8"?>
<A:propfind xmlns:A="DAV:">
  <A:prop>
    <A:add-member/>
    <C:allowed-sharing-modes xmlns:C="http://calendarserver.org/ns/"/>
    <D:autoprovisioned xmlns:D="http://apple.com/ns/ical/"/>
    <E:bulk-requests xmlns:E="http://me.com/_namespace/"/>
    <D:calendar-color xmlns:D="http://apple.com/ns/ical/"/>
    <B:calendar-description xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <B:calendar-free-busy-set xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <D:calendar-order xmlns:D="http://apple.com/ns/ical/"/>
    <B:calendar-timezone xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <A:current-user-privilege-set/>
    <B:default-alarm-vevent-date xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <B:default-alarm-vevent-datetime xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <A:displayname/>
    <C:getctag xmlns:C="http://calendarserver.org/ns/"/>
    <C:invite xmlns:C="http://calendarserver.org/ns/"/>
    <D:language-code xmlns:D="http://apple.com/ns/ical/"/>
    <D:location-code xmlns:D="http://apple.com/ns/ical/"/>
    <A:owner/>
    <C:pre-publish-url xmlns:C="http://calendarserver.org/ns/"/>
    <C:publish-url xmlns:C="http://calendarserver.org/ns/"/>
    <C:push-transports xmlns:C="http://calendarserver.org/ns/"/>
    <C:pushkey xmlns:C="http://calendarserver.org/ns/"/>
    <A:quota-available-bytes/>
    <A:quota-used-bytes/>
    <D:refreshrate xmlns:D="http://apple.com/ns/ical/"/>
    <A:resource-id/>
    <A:resourcetype/>
    <B:schedule-calendar-transp xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <B:schedule-default-calendar-URL xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <C:source xmlns:C="http://calendarserver.org/ns/"/>
    <C:subscribed-strip-alarms xmlns:C="http://calendarserver.org/ns/"/>
    <C:subscribed-strip-attachments xmlns:C="http://calendarserver.org/ns/"/>
    <C:subscribed-strip-todos xmlns:C="http://calendarserver.org/ns/"/>
    <B:supported-calendar-component-set xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <B:supported-calendar-component-sets xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <A:supported-report-set/>
    <A:sync-token/>
  </A:prop>
</A:propfind>`

	// After the home, Apple Calendar asks the principal whom it is a
	// delegate (CalendarServer proxy) of, with DAV:expand-property (RFC
	// 3253 3.8).
	iosProxies = `<?xml version="1.0" encoding="UTF-8"?>
<A:expand-property xmlns:A="DAV:">
  <A:property name="calendar-proxy-write-for" namespace="http://calendarserver.org/ns/">
    <A:property name="displayname" namespace="DAV:"/>
    <A:property name="principal-URL" namespace="DAV:"/>
    <A:property name="calendar-user-address-set" namespace="urn:ietf:params:xml:ns:caldav"/>
  </A:property>
  <A:property name="calendar-proxy-read-for" namespace="http://calendarserver.org/ns/">
    <A:property name="displayname" namespace="DAV:"/>
    <A:property name="principal-URL" namespace="DAV:"/>
    <A:property name="calendar-user-address-set" namespace="urn:ietf:params:xml:ns:caldav"/>
  </A:property>
</A:expand-property>`

	iosCalendar = `<?xml version="1.0" encoding="UTF-8"?>
<A:propfind xmlns:A="DAV:">
  <A:prop>
    <A:getcontenttype/>
    <A:getetag/>
    <A:resourcetype/>
  </A:prop>
</A:propfind>`
)

// TestGoldenAppleDiscovery replays the account setup of iOS/macOS
// Calendar and compares each exchange, normalised, with
// testdata/golden/*.txt. Run with -update to rewrite the files after an
// intended change, and review the diff.
func TestGoldenAppleDiscovery(t *testing.T) {
	e := startServer(t)
	xmlHdr := map[string]string{"Depth": "0", "Content-Type": "text/xml; charset=utf-8"}
	depth1 := map[string]string{"Depth": "1", "Content-Type": "text/xml; charset=utf-8"}

	// One event so that the calendar listing has a member with an ETag.
	e.put(t, e.Calendar+"golden-event.ics", icsEvent("golden@interop", "Golden", "20260301T100000Z"), nil)

	exchanges := []goldenExchange{
		{file: "01-well-known.txt", method: "PROPFIND", path: "/.well-known/caldav", header: xmlHdr, body: iosWellKnown},
		{file: "02-context-path-unauthenticated.txt", method: "PROPFIND", path: "/dav/", header: xmlHdr, body: iosWellKnown, noAuth: true},
		{file: "03-context-path.txt", method: "PROPFIND", path: "/dav/", header: xmlHdr, body: iosWellKnown},
		{file: "04-principal-options.txt", method: "OPTIONS", path: e.Principal},
		{file: "05-principal.txt", method: "PROPFIND", path: e.Principal, header: xmlHdr, body: iosPrincipal},
		{file: "06-calendar-home.txt", method: "PROPFIND", path: e.Home, header: depth1, body: iosHome},
		{file: "07-calendar.txt", method: "PROPFIND", path: e.Calendar, header: depth1, body: iosCalendar},
		{file: "08-principal-proxies.txt", method: "REPORT", path: e.Principal, header: xmlHdr, body: iosProxies},
	}

	coll, err := e.Store.Collection(t.Context(), e.User, "default")
	if err != nil {
		t.Fatal(err)
	}
	norm := strings.NewReplacer(e.URL, "{base}", e.User, "{user}", coll.Incarnation, "{incarnation}")

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, ex := range exchanges {
		t.Run(strings.TrimSuffix(ex.file, ".txt"), func(t *testing.T) {
			var body io.Reader
			if ex.body != "" {
				body = strings.NewReader(ex.body)
			}
			req, err := http.NewRequest(ex.method, e.URL+ex.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if !ex.noAuth {
				req.SetBasicAuth(e.Login, e.Password)
			}
			for k, v := range ex.header {
				req.Header.Set(k, v)
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			respBody, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			got := transcript(t, ex, resp, respBody, norm)
			compareGolden(t, filepath.Join("testdata", "golden", ex.file), got)
		})
	}
}

// Headers worth pinning; Date, Content-Length, X-Request-Id and the like
// vary or follow from the body.
var (
	goldenRequestHeaders  = []string{"Depth", "Content-Type"}
	goldenResponseHeaders = []string{"Content-Type", "DAV", "Allow", "Location", "WWW-Authenticate", "ETag", "Cache-Control"}
)

func transcript(t *testing.T, ex goldenExchange, resp *http.Response, respBody []byte, norm *strings.Replacer) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, ">>> REQUEST\n%s %s\n", ex.method, ex.path)
	if !ex.noAuth {
		b.WriteString("Authorization: Basic {credentials}\n")
	}
	for _, h := range goldenRequestHeaders {
		if v, ok := ex.header[h]; ok {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	if ex.body != "" {
		b.WriteString("\n" + prettyBody(t, "request", []byte(ex.body)))
	}
	fmt.Fprintf(&b, "\n<<< RESPONSE\n%s\n", resp.Status)
	for _, h := range goldenResponseHeaders {
		for _, v := range resp.Header.Values(h) {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	if len(respBody) > 0 {
		b.WriteString("\n" + prettyBody(t, "response", respBody))
	}
	return normalizeVolatile(norm.Replace(b.String()))
}

var (
	httpDate = regexp.MustCompile(`(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT`)
	isoDate  = regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
)

// normalizeVolatile replaces dates. Handles, incarnations and the base
// URL are replaced by exact value before this; sequence numbers are
// deterministic and stay.
func normalizeVolatile(s string) string {
	s = httpDate.ReplaceAllString(s, "{http-date}")
	return isoDate.ReplaceAllString(s, "{iso-date}")
}

// prettyBody renders an XML body canonically (fixed prefixes, sorted
// attributes and properties, one element per line) or, for anything
// else, as trimmed text.
func prettyBody(t *testing.T, what string, body []byte) string {
	t.Helper()
	trimmed := bytes.TrimSpace(body)
	if !bytes.HasPrefix(trimmed, []byte("<")) {
		return string(trimmed) + "\n"
	}
	root, err := parseXMLTree(trimmed)
	if err != nil {
		t.Fatalf("%s body is not well-formed XML: %v\n%s", what, err, body)
	}
	return renderXMLTree(root)
}

type xmlNode struct {
	name     xml.Name
	attrs    []xml.Attr
	children []*xmlNode
	text     string
}

func parseXMLTree(b []byte) (*xmlNode, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: tk.Name}
			for _, a := range tk.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				n.attrs = append(n.attrs, a)
			}
			sort.Slice(n.attrs, func(i, j int) bool { return qname(n.attrs[i].Name) < qname(n.attrs[j].Name) })
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("more than one root element")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// Fixed prefixes, so that the server's choice of prefixes does not
// matter; other namespaces get X0, X1, ... in order of appearance.
var goldenPrefixes = map[string]string{
	"DAV:":                           "D",
	"urn:ietf:params:xml:ns:caldav":  "C",
	"urn:ietf:params:xml:ns:carddav": "CR",
	"http://calendarserver.org/ns/":  "CS",
	"http://apple.com/ns/ical/":      "ICAL",
}

// Minimal escaping keeps ETags and ctags readable ("..." rather than
// &#34;...&#34;).
var (
	textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;")
)

func qname(n xml.Name) string { return n.Space + " " + n.Local }

func renderXMLTree(root *xmlNode) string {
	prefixes := map[string]string{}
	var order []string
	var collect func(n *xmlNode)
	use := func(ns string) {
		if ns == "" {
			return
		}
		if _, ok := prefixes[ns]; ok {
			return
		}
		p, ok := goldenPrefixes[ns]
		if !ok {
			p = fmt.Sprintf("X%d", len(order))
		}
		prefixes[ns] = p
		order = append(order, ns)
	}
	collect = func(n *xmlNode) {
		use(n.name.Space)
		for _, a := range n.attrs {
			use(a.Name.Space)
		}
		for _, c := range n.children {
			collect(c)
		}
	}
	collect(root)
	// Properties are a set: sort them so that an implementation's
	// iteration order does not show as a difference.
	var sortProps func(n *xmlNode)
	sortProps = func(n *xmlNode) {
		if n.name == (xml.Name{Space: "DAV:", Local: "prop"}) {
			sort.SliceStable(n.children, func(i, j int) bool {
				return qname(n.children[i].name) < qname(n.children[j].name)
			})
		}
		for _, c := range n.children {
			sortProps(c)
		}
	}
	sortProps(root)

	name := func(n xml.Name) string {
		if n.Space == "" {
			return n.Local
		}
		return prefixes[n.Space] + ":" + n.Local
	}
	var b strings.Builder
	var render func(n *xmlNode, indent string, isRoot bool)
	render = func(n *xmlNode, indent string, isRoot bool) {
		b.WriteString(indent + "<" + name(n.name))
		if isRoot {
			nss := append([]string(nil), order...)
			sort.Slice(nss, func(i, j int) bool { return prefixes[nss[i]] < prefixes[nss[j]] })
			for _, ns := range nss {
				fmt.Fprintf(&b, " xmlns:%s=\"%s\"", prefixes[ns], attrEscaper.Replace(ns))
			}
		}
		for _, a := range n.attrs {
			fmt.Fprintf(&b, " %s=\"%s\"", name(a.Name), attrEscaper.Replace(a.Value))
		}
		text := strings.TrimSpace(n.text)
		switch {
		case len(n.children) == 0 && text == "":
			b.WriteString("/>\n")
		case len(n.children) == 0:
			b.WriteString(">" + textEscaper.Replace(text) + "</" + name(n.name) + ">\n")
		default:
			b.WriteString(">\n")
			if text != "" {
				b.WriteString(indent + "  " + textEscaper.Replace(text) + "\n")
			}
			for _, c := range n.children {
				render(c, indent+"  ", false)
			}
			b.WriteString(indent + "</" + name(n.name) + ">\n")
		}
	}
	render(root, "", true)
	return b.String()
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s does not exist; run go test ./internal/interop -run Golden -update to create it. Got:\n%s", path, got)
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s differs (- golden, + got; rewrite with -update if intended):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff is a small LCS line diff, enough for transcripts of a few
// hundred lines.
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			out.WriteString("  " + x[i] + "\n")
			i++
			j++
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			out.WriteString("- " + x[i] + "\n")
			i++
		default:
			out.WriteString("+ " + y[j] + "\n")
			j++
		}
	}
	return out.String()
}
