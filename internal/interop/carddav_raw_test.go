package interop

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"almanac/carddav"
	"almanac/storage"
)

// CardDAV XML, just enough of RFC 4918 14.16 and RFC 6352 to check raw
// answers without any DAV client library.
const nsCardDAV = "urn:ietf:params:xml:ns:carddav"

type cardMultistatus struct {
	XMLName   xml.Name       `xml:"DAV: multistatus"`
	Responses []cardResponse `xml:"DAV: response"`
	SyncToken string         `xml:"DAV: sync-token"`
}

type cardResponse struct {
	Hrefs     []string       `xml:"DAV: href"`
	Status    string         `xml:"DAV: status"`
	Propstats []cardPropstat `xml:"DAV: propstat"`
}

type cardPropstat struct {
	Status string   `xml:"DAV: status"`
	Prop   cardProp `xml:"DAV: prop"`
}

type davHrefs struct {
	Hrefs []string `xml:"DAV: href"`
}

type cardProp struct {
	ResourceType *struct {
		Collection  *struct{} `xml:"DAV: collection"`
		AddressBook *struct{} `xml:"urn:ietf:params:xml:ns:carddav addressbook"`
		Calendar    *struct{} `xml:"urn:ietf:params:xml:ns:caldav calendar"`
	} `xml:"DAV: resourcetype"`
	DisplayName          *string   `xml:"DAV: displayname"`
	Description          *string   `xml:"urn:ietf:params:xml:ns:carddav addressbook-description"`
	HomeSet              *davHrefs `xml:"urn:ietf:params:xml:ns:carddav addressbook-home-set"`
	CurrentUserPrincipal *davHrefs `xml:"DAV: current-user-principal"`
	SupportedAddressData *struct {
		Types []struct {
			ContentType string `xml:"content-type,attr"`
			Version     string `xml:"version,attr"`
		} `xml:"urn:ietf:params:xml:ns:carddav address-data-type"`
	} `xml:"urn:ietf:params:xml:ns:carddav supported-address-data"`
	MaxResourceSize *string `xml:"urn:ietf:params:xml:ns:carddav max-resource-size"`
	GetCTag         *string `xml:"http://calendarserver.org/ns/ getctag"`
	SyncToken       *string `xml:"DAV: sync-token"`
	ETag            *string `xml:"DAV: getetag"`
	ContentType     *string `xml:"DAV: getcontenttype"`
	AddressData     *string `xml:"urn:ietf:params:xml:ns:carddav address-data"`
}

// href is the response's first href.
func (r cardResponse) href() string {
	if len(r.Hrefs) == 0 {
		return ""
	}
	return r.Hrefs[0]
}

// ok returns the prop of the response's 200 propstat.
func (r cardResponse) ok() (cardProp, bool) {
	for _, ps := range r.Propstats {
		if strings.Contains(ps.Status, " 200 ") {
			return ps.Prop, true
		}
	}
	return cardProp{}, false
}

// notFound returns the prop of the 404 propstat, if any.
func (r cardResponse) notFound() (cardProp, bool) {
	for _, ps := range r.Propstats {
		if strings.Contains(ps.Status, " 404 ") {
			return ps.Prop, true
		}
	}
	return cardProp{}, false
}

func (ms cardMultistatus) find(href string) (cardResponse, bool) {
	for _, r := range ms.Responses {
		if r.href() == href {
			return r, true
		}
	}
	return cardResponse{}, false
}

// hrefs lists the first href of every response, in order.
func (ms cardMultistatus) hrefs() []string {
	var out []string
	for _, r := range ms.Responses {
		out = append(out, r.href())
	}
	return out
}

func decodeCardMultistatus(t *testing.T, what string, body []byte) cardMultistatus {
	t.Helper()
	var ms cardMultistatus
	if err := xml.Unmarshal(body, &ms); err != nil {
		t.Fatalf("%s: decode multistatus: %v\n%s", what, err, body)
	}
	return ms
}

// davError is an RFC 4918 16 DAV:error body: the condition elements it
// holds, with their content.
type davError struct {
	XMLName    xml.Name `xml:"DAV: error"`
	Conditions []struct {
		XMLName xml.Name
		Hrefs   []string `xml:"DAV: href"`
	} `xml:",any"`
}

// decodeDAVError returns "{ns}local" of every condition element and the hrefs
// inside them.
func decodeDAVError(t *testing.T, what string, body []byte) (conds []string, hrefs []string) {
	t.Helper()
	var e davError
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("%s: decode DAV:error: %v\n%s", what, err, body)
	}
	for _, c := range e.Conditions {
		if c.XMLName.Space == "urn:almanac:error" {
			continue // the human-readable message
		}
		conds = append(conds, "{"+c.XMLName.Space+"}"+c.XMLName.Local)
		hrefs = append(hrefs, c.Hrefs...)
	}
	return conds, hrefs
}

// rawStep is one exchange of the raw scenario, for the failure log.
type rawStep struct {
	step, method, path string
	status             int
}

// rawClient sends the scenario's requests with net/http and keeps the
// sequence, printed when the test fails.
type rawClient struct {
	e     *env
	steps []rawStep
	step  string
}

func (c *rawClient) do(t *testing.T, method, path string, hdr map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	resp, b := c.e.do(t, method, path, hdr, body)
	c.steps = append(c.steps, rawStep{c.step, method, path, resp.StatusCode})
	return resp, b
}

// xmlReq sends an XML request body and requires the status want.
func (c *rawClient) xmlReq(t *testing.T, method, path, depth, body string, want int) (*http.Response, []byte) {
	t.Helper()
	hdr := map[string]string{"Content-Type": "application/xml; charset=utf-8"}
	if depth != "" {
		hdr["Depth"] = depth
	}
	resp, b := c.do(t, method, path, hdr, body)
	if resp.StatusCode != want {
		t.Fatalf("[%s] %s %s: status %d, want %d\nrequest:\n%s\nresponse:\n%s", c.step, method, path, resp.StatusCode, want, body, b)
	}
	return resp, b
}

// multistatus sends a PROPFIND or REPORT that must answer 207.
func (c *rawClient) multistatus(t *testing.T, method, path, depth, body string) cardMultistatus {
	t.Helper()
	_, b := c.xmlReq(t, method, path, depth, body, http.StatusMultiStatus)
	return decodeCardMultistatus(t, "["+c.step+"] "+method+" "+path, b)
}

// putCard PUTs a vCard as text/vcard and returns the response.
func (c *rawClient) putCard(t *testing.T, path, data string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	h := map[string]string{"Content-Type": "text/vcard; charset=utf-8"}
	for k, v := range hdr {
		h[k] = v
	}
	return c.do(t, http.MethodPut, path, h, data)
}

func (c *rawClient) log() string {
	var sb strings.Builder
	for i, s := range c.steps {
		fmt.Fprintf(&sb, "%3d %-28s %-9s %s -> %d\n", i+1, s.step, s.method, s.path, s.status)
	}
	return sb.String()
}

// crlf turns a literal with \n line ends into CRLF, as vCard wants.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// vcardLines returns the unfolded content lines of a vCard.
func vcardLines(data string) []string {
	unfolded := strings.NewReplacer("\r\n ", "", "\r\n\t", "", "\n ", "", "\n\t", "").Replace(data)
	var out []string
	for _, l := range strings.Split(unfolded, "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// vcardPropNames lists the property names of a vCard in order (groups
// and parameters dropped, upper case), BEGIN and END included.
func vcardPropNames(data string) []string {
	var out []string
	for _, l := range vcardLines(data) {
		head, _, _ := strings.Cut(l, ":")
		name, _, _ := strings.Cut(head, ";")
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		out = append(out, strings.ToUpper(name))
	}
	return out
}

// vcardLine returns the first unfolded line of property name ("TEL;..."
// or "TEL:..."), "" when absent.
func vcardLine(data, name string) string {
	for _, l := range vcardLines(data) {
		head, _, _ := strings.Cut(l, ":")
		n, _, _ := strings.Cut(head, ";")
		if strings.EqualFold(n, name) {
			return l
		}
	}
	return ""
}

// rawZoePhoto is a 1x1 PNG, base64.
const rawZoePhoto = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

// The scenario's cards. zoe is vCard 3.0 with a mobile number and an
// inline photo; friends a vCard 4.0 group naming zoe; club an Apple-style
// 3.0 group.
var (
	rawZoe = crlf(`BEGIN:VCARD
VERSION:3.0
PRODID:-//almanac//interop raw//EN
UID:urn:uuid:6f1d4c1e-3b0a-4f7e-9d51-2a9c0e8b7a01
N:Martin;Zoë;;;
FN:Zoë Martin
EMAIL;TYPE=INTERNET,WORK:zoe@example.com
TEL;TYPE=CELL:+1-555-0100
PHOTO;ENCODING=b;TYPE=PNG:` + rawZoePhoto + `
END:VCARD
`)
	rawFriends = crlf(`BEGIN:VCARD
VERSION:4.0
PRODID:-//almanac//interop raw//EN
UID:urn:uuid:6f1d4c1e-3b0a-4f7e-9d51-2a9c0e8b7a02
KIND:group
FN:Friends of Zoë
MEMBER:urn:uuid:6f1d4c1e-3b0a-4f7e-9d51-2a9c0e8b7a01
END:VCARD
`)
	rawClub = crlf(`BEGIN:VCARD
VERSION:3.0
PRODID:-//almanac//interop raw//EN
UID:club@interop
N:Book Club;;;;
FN:Book Club
X-ADDRESSBOOKSERVER-KIND:group
X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:6f1d4c1e-3b0a-4f7e-9d51-2a9c0e8b7a01
END:VCARD
`)
)

// TestCardDAVRawScenario walks a CardDAV client's conversation with
// net/http only, one request after the other: discovery, extended MKCOL
// and PROPPATCH, PUT of 3.0 and 4.0 cards (groups in both spellings) and
// its preconditions, addressbook-query with partial retrieval and a
// limit, addressbook-multiget with version conversion, GET content
// negotiation, and sync-collection.
func TestCardDAVRawScenario(t *testing.T) {
	e := startServer(t)
	c := &rawClient{e: e}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("exchanges:\n%s", c.log())
		}
	})
	home := "/dav/addressbooks/" + e.User + "/"
	contacts := home + carddav.DefaultAddressBook + "/"

	// 1. Bootstrap: /.well-known/carddav names /dav/, OPTIONS says
	// "addressbook", the principal names the address-book home.
	c.step = "well-known"
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("PROPFIND", e.URL+"/.well-known/carddav", nil)
	req.SetBasicAuth(e.Login, e.Password)
	req.Header.Set("Depth", "0")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("PROPFIND /.well-known/carddav: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.steps = append(c.steps, rawStep{c.step, "PROPFIND", "/.well-known/carddav", resp.StatusCode})
	if resp.StatusCode/100 != 3 || !strings.HasSuffix(resp.Header.Get("Location"), "/dav/") {
		t.Errorf("PROPFIND /.well-known/carddav: status %d Location %q, want a redirect to /dav/", resp.StatusCode, resp.Header.Get("Location"))
	}

	c.step = "OPTIONS"
	resp, _ = c.do(t, http.MethodOptions, contacts, nil, "")
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		t.Errorf("OPTIONS %s: status %d", contacts, resp.StatusCode)
	}
	if dav := resp.Header.Get("DAV"); !slices.Contains(splitTrim(dav), "addressbook") {
		t.Errorf("OPTIONS %s: DAV header %q lacks addressbook", contacts, dav)
	}

	c.step = "PROPFIND /dav/"
	ms := c.multistatus(t, "PROPFIND", "/dav/", "0", `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/></D:prop></D:propfind>`)
	if p, ok := ms.Responses[0].ok(); !ok || p.CurrentUserPrincipal == nil || !slices.Equal(p.CurrentUserPrincipal.Hrefs, []string{e.Principal}) {
		t.Fatalf("current-user-principal of /dav/: %+v, want %s", ms.Responses, e.Principal)
	}

	c.step = "PROPFIND principal"
	ms = c.multistatus(t, "PROPFIND", e.Principal, "0", `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:prop><CR:addressbook-home-set/><D:displayname/></D:prop>
</D:propfind>`)
	if len(ms.Responses) != 1 || ms.Responses[0].href() != e.Principal {
		t.Fatalf("PROPFIND principal: responses %v, want just %s", ms.hrefs(), e.Principal)
	}
	p, ok := ms.Responses[0].ok()
	if !ok || p.HomeSet == nil || !slices.Equal(p.HomeSet.Hrefs, []string{home}) {
		t.Fatalf("addressbook-home-set = %+v, want [%s]", p.HomeSet, home)
	}
	if p.DisplayName == nil || *p.DisplayName != "Alice Example" {
		t.Errorf("principal displayname = %v, want Alice Example", p.DisplayName)
	}

	// 2. The home lists the default address book with its properties;
	// the calendar is not an address book and is not listed here.
	c.step = "PROPFIND home"
	listHome := func() cardMultistatus {
		t.Helper()
		return c.multistatus(t, "PROPFIND", home, "1", `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/">
  <D:prop>
    <D:resourcetype/><D:displayname/><CR:addressbook-description/>
    <CR:supported-address-data/><CR:max-resource-size/><CS:getctag/><D:sync-token/>
  </D:prop>
</D:propfind>`)
	}
	ms = listHome()
	if got, want := ms.hrefs(), []string{home, contacts}; !slices.Equal(got, want) {
		t.Fatalf("PROPFIND Depth 1 %s lists %v, want %v", home, got, want)
	}
	r, _ := ms.find(contacts)
	p, ok = r.ok()
	if !ok {
		t.Fatalf("%s: no 200 propstat: %+v", contacts, r)
	}
	if p.ResourceType == nil || p.ResourceType.Collection == nil || p.ResourceType.AddressBook == nil || p.ResourceType.Calendar != nil {
		t.Errorf("%s resourcetype = %+v, want DAV:collection and CR:addressbook", contacts, p.ResourceType)
	}
	if p.DisplayName == nil || *p.DisplayName != "Contacts" {
		t.Errorf("%s displayname = %v, want Contacts", contacts, p.DisplayName)
	}
	var types []string
	if p.SupportedAddressData != nil {
		for _, ty := range p.SupportedAddressData.Types {
			types = append(types, ty.ContentType+" "+ty.Version)
		}
	}
	if want := []string{"text/vcard 3.0", "text/vcard 4.0"}; !slices.Equal(types, want) {
		t.Errorf("%s supported-address-data = %v, want %v", contacts, types, want)
	}
	if p.MaxResourceSize == nil || strings.TrimSpace(*p.MaxResourceSize) == "" || strings.TrimSpace(*p.MaxResourceSize) == "0" {
		t.Errorf("%s max-resource-size = %v, want a positive number", contacts, p.MaxResourceSize)
	}
	if p.GetCTag == nil || *p.GetCTag == "" {
		t.Errorf("%s has no getctag", contacts)
	}
	if p.SyncToken == nil || !strings.Contains(*p.SyncToken, ":") {
		t.Errorf("%s sync-token = %v, want a URI", contacts, p.SyncToken)
	}
	if _, ok := r.notFound(); !ok {
		t.Errorf("%s: addressbook-description was never set, want it in a 404 propstat: %+v", contacts, r.Propstats)
	}
	contactsCTag := *p.GetCTag

	// 3. Extended MKCOL of a second address book, then PROPPATCH.
	c.step = "MKCOL"
	book := home + "friends/"
	resp, b := c.xmlReq(t, "MKCOL", book, "", `<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:set><D:prop>
    <D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
    <D:displayname>Friends</D:displayname>
    <CR:addressbook-description>People I actually like</CR:addressbook-description>
  </D:prop></D:set>
</D:mkcol>`, http.StatusCreated)
	if len(b) != 0 && strings.Contains(string(b), "error") {
		t.Errorf("MKCOL 201 with an error body: %s", b)
	}
	if resp.Header.Get("Location") != "" && !strings.HasSuffix(resp.Header.Get("Location"), book) {
		t.Errorf("MKCOL Location = %q, want %s", resp.Header.Get("Location"), book)
	}
	c.step = "MKCOL again"
	if resp, b := c.do(t, "MKCOL", book, map[string]string{"Content-Type": "application/xml"}, `<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>`); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("MKCOL over an existing address book: status %d, want 405\n%s", resp.StatusCode, b)
	}

	c.step = "PROPPATCH"
	ms = c.multistatus(t, "PROPPATCH", book, "", `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:">
  <D:set><D:prop><D:displayname>Close friends</D:displayname></D:prop></D:set>
</D:propertyupdate>`)
	if len(ms.Responses) != 1 || ms.Responses[0].href() != book {
		t.Fatalf("PROPPATCH: responses %v, want %s", ms.hrefs(), book)
	}
	if p, ok := ms.Responses[0].ok(); !ok || p.DisplayName == nil {
		t.Errorf("PROPPATCH displayname: %+v, want a 200 propstat naming displayname", ms.Responses[0].Propstats)
	}

	c.step = "PROPFIND home again"
	ms = listHome()
	if got, want := ms.hrefs(), []string{home, contacts, book}; !slices.Equal(got, want) {
		t.Fatalf("PROPFIND Depth 1 %s after MKCOL lists %v, want %v", home, got, want)
	}
	r, _ = ms.find(book)
	p, ok = r.ok()
	switch {
	case !ok:
		t.Fatalf("%s: no 200 propstat: %+v", book, r)
	case p.ResourceType == nil || p.ResourceType.AddressBook == nil:
		t.Errorf("%s resourcetype = %+v, want CR:addressbook", book, p.ResourceType)
	case p.DisplayName == nil || *p.DisplayName != "Close friends":
		t.Errorf("%s displayname = %v, want the PROPPATCHed Close friends", book, p.DisplayName)
	case p.Description == nil || *p.Description != "People I actually like":
		t.Errorf("%s addressbook-description = %v, want the MKCOL's", book, p.Description)
	case p.GetCTag == nil || p.SyncToken == nil:
		t.Errorf("%s: getctag %v sync-token %v, want both", book, p.GetCTag, p.SyncToken)
	}
	emptyCTag := *p.GetCTag

	// 4. Initial sync of the empty book.
	c.step = "sync initial (empty)"
	syncReq := func(token string) cardMultistatus {
		t.Helper()
		return c.multistatus(t, "REPORT", book, "0", syncBody(token))
	}
	sync0 := syncReq("")
	if len(sync0.Responses) != 0 || sync0.SyncToken == "" {
		t.Fatalf("initial sync-collection of the empty book: responses %v token %q, want none and a token", sync0.hrefs(), sync0.SyncToken)
	}

	// 5. PUT three cards: 201, ETag, exact bytes back.
	zoe, friends, club := book+"zoe.vcf", book+"friends.vcf", book+"club.vcf"
	etags := map[string]string{}
	for _, card := range []struct{ path, data string }{{zoe, rawZoe}, {friends, rawFriends}, {club, rawClub}} {
		c.step = "PUT " + card.path[len(book):]
		resp, b := c.putCard(t, card.path, card.data, map[string]string{"If-None-Match": "*"})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("PUT %s: status %d, want 201\n%s", card.path, resp.StatusCode, b)
		}
		etag := resp.Header.Get("ETag")
		if want := storage.ETagOf([]byte(card.data)); etag != want {
			t.Errorf("PUT %s: ETag %q, want %s", card.path, etag, want)
		}
		etags[card.path] = etag
		c.step = "GET " + card.path[len(book):]
		resp, b = c.do(t, http.MethodGet, card.path, nil, "")
		if resp.StatusCode != http.StatusOK || string(b) != card.data {
			t.Errorf("GET %s: status %d, body\n%q\nwant 200 and the bytes PUT\n%q", card.path, resp.StatusCode, b, card.data)
		}
		if got := resp.Header.Get("ETag"); got != etag {
			t.Errorf("GET %s: ETag %q, PUT said %q", card.path, got, etag)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/vcard") {
			t.Errorf("GET %s: Content-Type %q, want text/vcard", card.path, ct)
		}
	}
	// The contacts book is untouched.
	c.step = "PROPFIND contacts ctag"
	ms = c.multistatus(t, "PROPFIND", contacts, "0", `<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><CS:getctag/></D:prop></D:propfind>`)
	if p, ok := ms.Responses[0].ok(); !ok || p.GetCTag == nil || *p.GetCTag != contactsCTag {
		t.Errorf("contacts getctag changed by PUTs into another book: %+v, was %q", p.GetCTag, contactsCTag)
	}
	bookCTag := func() string {
		t.Helper()
		ms := c.multistatus(t, "PROPFIND", book, "0", `<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><CS:getctag/></D:prop></D:propfind>`)
		p, ok := ms.Responses[0].ok()
		if !ok || p.GetCTag == nil {
			t.Fatalf("PROPFIND %s getctag: %+v", book, ms.Responses)
		}
		return *p.GetCTag
	}
	c.step = "PROPFIND book ctag"
	filledCTag := bookCTag()
	if filledCTag == emptyCTag {
		t.Errorf("getctag %q did not change after three PUTs", filledCTag)
	}

	// 6. PUT preconditions.
	c.step = "PUT If-None-Match *"
	resp, b = c.putCard(t, zoe, strings.Replace(rawZoe, "FN:Zoë Martin", "FN:Overwritten", 1), map[string]string{"If-None-Match": "*"})
	if resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("PUT If-None-Match: * over %s: status %d, want 412\n%s", zoe, resp.StatusCode, b)
	}

	c.step = "PUT UID conflict"
	dup := book + "zoe-copy.vcf"
	resp, b = c.putCard(t, dup, rawZoe, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("PUT of zoe's UID as %s: status %d, want 403\n%s", dup, resp.StatusCode, b)
	} else {
		conds, hrefs := decodeDAVError(t, "PUT UID conflict", b)
		if want := []string{"{" + nsCardDAV + "}no-uid-conflict"}; !slices.Equal(conds, want) {
			t.Errorf("PUT UID conflict: conditions %v, want %v\n%s", conds, want, b)
		}
		if want := []string{zoe}; !slices.Equal(hrefs, want) {
			t.Errorf("PUT UID conflict: hrefs %v, want the holder %v\n%s", hrefs, want, b)
		}
	}

	invalid := []struct {
		name, data, cond string
	}{
		{"no UID", crlf("BEGIN:VCARD\nVERSION:4.0\nFN:Nobody\nEND:VCARD\n"), "valid-address-data"},
		{"two vCards", crlf("BEGIN:VCARD\nVERSION:4.0\nUID:two-1@interop\nFN:One\nEND:VCARD\nBEGIN:VCARD\nVERSION:4.0\nUID:two-2@interop\nFN:Two\nEND:VCARD\n"), "valid-address-data"},
		{"vCard 2.1", crlf("BEGIN:VCARD\nVERSION:2.1\nN:Old;Timer\nFN:Old Timer\nUID:old@interop\nTEL;CELL:+1-555-0199\nEND:VCARD\n"), "supported-address-data"},
	}
	for i, tt := range invalid {
		c.step = "PUT invalid: " + tt.name
		path := fmt.Sprintf("%sinvalid%d.vcf", book, i)
		resp, b := c.putCard(t, path, tt.data, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("PUT %s: status %d, want 403\n%s", tt.name, resp.StatusCode, b)
			continue
		}
		conds, _ := decodeDAVError(t, "PUT "+tt.name, b)
		if want := []string{"{" + nsCardDAV + "}" + tt.cond}; !slices.Equal(conds, want) {
			t.Errorf("PUT %s: conditions %v, want %v\n%s", tt.name, conds, want, b)
		}
		if resp, _ := c.do(t, http.MethodGet, path, nil, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s after a refused PUT (%s): status %d, want 404", path, tt.name, resp.StatusCode)
		}
	}
	c.step = "nothing stored"
	var names []string
	if err := e.Store.List(t.Context(), e.User, "friends", func(m *storage.ObjectMeta) error {
		names = append(names, m.Name)
		return nil
	}); err != nil {
		t.Fatalf("Store.List friends: %v", err)
	}
	slices.Sort(names)
	if want := []string{"club.vcf", "friends.vcf", "zoe.vcf"}; !slices.Equal(names, want) {
		t.Errorf("stored members after refused PUTs: %v, want %v", names, want)
	}
	if got := bookCTag(); got != filledCTag {
		t.Errorf("getctag after refused PUTs = %q, want unchanged %q", got, filledCTag)
	}

	// 7. addressbook-query: FN contains "ZOË" under the default
	// i;unicode-casemap matches "Zoë Martin" and "Friends of Zoë";
	// partial retrieval of FN and EMAIL.
	c.step = "query FN contains ZOË"
	query := func(limit, collation string) cardMultistatus {
		t.Helper()
		if collation != "" {
			collation = ` collation="` + collation + `"`
		}
		return c.multistatus(t, "REPORT", book, "1", `<?xml version="1.0" encoding="utf-8"?>
<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:prop>
    <D:getetag/>
    <CR:address-data><CR:prop name="FN"/><CR:prop name="EMAIL"/></CR:address-data>
  </D:prop>
  <CR:filter>
    <CR:prop-filter name="FN">
      <CR:text-match match-type="contains"`+collation+`>ZOË</CR:text-match>
    </CR:prop-filter>
  </CR:filter>`+limit+`
</CR:addressbook-query>`)
	}
	ms = query("", "")
	got := ms.hrefs()
	slices.Sort(got)
	if want := []string{friends, zoe}; !slices.Equal(got, want) {
		t.Fatalf("addressbook-query FN contains ZOË = %v, want %v", got, want)
	}
	wantProps := map[string][]string{
		zoe:     {"BEGIN", "VERSION", "FN", "EMAIL", "END"},
		friends: {"BEGIN", "VERSION", "FN", "END"},
	}
	for _, r := range ms.Responses {
		p, ok := r.ok()
		if !ok || p.AddressData == nil || p.ETag == nil {
			t.Errorf("query %s: %+v, want getetag and address-data", r.href(), r.Propstats)
			continue
		}
		if *p.ETag != etags[r.href()] {
			t.Errorf("query %s: getetag %s, want %s", r.href(), *p.ETag, etags[r.href()])
		}
		ad := *p.AddressData
		if got := vcardPropNames(ad); !slices.Equal(got, wantProps[r.href()]) {
			t.Errorf("query %s: partial address-data has %v, want %v:\n%s", r.href(), got, wantProps[r.href()], ad)
		}
		if strings.Contains(ad, "TEL") || strings.Contains(ad, "PHOTO") || strings.Contains(ad, "UID") {
			t.Errorf("query %s: partial address-data has properties not asked for:\n%s", r.href(), ad)
		}
		switch r.href() {
		case zoe:
			for _, want := range []string{"VERSION:3.0", "FN:Zoë Martin", "EMAIL;TYPE=INTERNET,WORK:zoe@example.com"} {
				if !slices.Contains(vcardLines(ad), want) {
					t.Errorf("query %s: address-data lacks %q:\n%s", r.href(), want, ad)
				}
			}
		case friends:
			for _, want := range []string{"VERSION:4.0", "FN:Friends of Zoë"} {
				if !slices.Contains(vcardLines(ad), want) {
					t.Errorf("query %s: address-data lacks %q:\n%s", r.href(), want, ad)
				}
			}
		}
	}
	// i;ascii-casemap folds A-Z only: "ZOË" is not "Zoë" there.
	c.step = "query ascii-casemap"
	if ms := query("", "i;ascii-casemap"); len(ms.Responses) != 0 {
		t.Errorf("addressbook-query FN contains ZOË with i;ascii-casemap = %v, want none (Ë is not ASCII)", ms.hrefs())
	}

	// The same query limited to one result: one match and a 507 for
	// the request URI (RFC 6352 8.6.1).
	c.step = "query limit 1"
	ms = query("\n  <CR:limit><CR:nresults>1</CR:nresults></CR:limit>", "")
	if len(ms.Responses) != 2 {
		t.Fatalf("addressbook-query with limit 1 on two matches: responses %v, want one match and a 507", ms.hrefs())
	}
	if h := ms.Responses[0].href(); h != zoe && h != friends {
		t.Errorf("limited query: first response %s, want one of the matches", h)
	} else if _, ok := ms.Responses[0].ok(); !ok {
		t.Errorf("limited query: %s has no 200 propstat", h)
	}
	if last := ms.Responses[1]; last.href() != book || !strings.Contains(last.Status, " 507 ") {
		t.Errorf("limited query: last response %s %q, want %s with status 507", last.href(), last.Status, book)
	}

	// 8. addressbook-multiget in vCard 4.0 of the 3.0 card, plus an href
	// of another address book, which is refused.
	c.step = "multiget version 4.0"
	outside := contacts + "zoe.vcf"
	ms = c.multistatus(t, "REPORT", book, "1", `<?xml version="1.0" encoding="utf-8"?>
<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><CR:address-data content-type="text/vcard" version="4.0"/></D:prop>
  <D:href>`+zoe+`</D:href>
  <D:href>`+outside+`</D:href>
  <D:href>`+book+`missing.vcf</D:href>
</CR:addressbook-multiget>`)
	if got, want := ms.hrefs(), []string{zoe, outside, book + "missing.vcf"}; !slices.Equal(got, want) {
		t.Fatalf("multiget hrefs = %v, want %v", got, want)
	}
	r, _ = ms.find(zoe)
	if p, ok := r.ok(); !ok || p.AddressData == nil {
		t.Errorf("multiget %s: %+v, want address-data", zoe, r.Propstats)
	} else {
		ad := *p.AddressData
		if v := vcardLine(ad, "VERSION"); v != "VERSION:4.0" {
			t.Errorf("multiget %s in 4.0: %q, want VERSION:4.0:\n%s", zoe, v, ad)
		}
		if tel := vcardLine(ad, "TEL"); tel != "TEL;TYPE=cell:+1-555-0100" {
			t.Errorf("multiget %s in 4.0: %q, want TEL;TYPE=cell:+1-555-0100:\n%s", zoe, tel, ad)
		}
		if photo := vcardLine(ad, "PHOTO"); photo != "PHOTO:data:image/png;base64,"+rawZoePhoto {
			t.Errorf("multiget %s in 4.0: %q, want a data: URI PHOTO:\n%s", zoe, photo, ad)
		}
		for _, want := range []string{"FN:Zoë Martin", "UID:urn:uuid:6f1d4c1e-3b0a-4f7e-9d51-2a9c0e8b7a01"} {
			if !slices.Contains(vcardLines(ad), want) {
				t.Errorf("multiget %s in 4.0 lacks %q:\n%s", zoe, want, ad)
			}
		}
		if p.ETag == nil || *p.ETag != etags[zoe] {
			t.Errorf("multiget %s: getetag %v, want the stored %s", zoe, p.ETag, etags[zoe])
		}
	}
	if r, _ := ms.find(outside); !strings.Contains(r.Status, " 403 ") {
		t.Errorf("multiget of %s (another address book): status %q, want 403", outside, r.Status)
	}
	if r, _ := ms.find(book + "missing.vcf"); !strings.Contains(r.Status, " 404 ") {
		t.Errorf("multiget of a missing member: status %q, want 404", r.Status)
	}

	// 9. GET content negotiation.
	c.step = "GET Accept 4.0"
	resp, b = c.do(t, http.MethodGet, zoe, map[string]string{"Accept": "text/vcard;version=4.0"}, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s Accept: text/vcard;version=4.0: status %d\n%s", zoe, resp.StatusCode, b)
	}
	if v := vcardLine(string(b), "VERSION"); v != "VERSION:4.0" {
		t.Errorf("GET %s as 4.0: %q, want VERSION:4.0:\n%s", zoe, v, b)
	}
	if tel := vcardLine(string(b), "TEL"); tel != "TEL;TYPE=cell:+1-555-0100" {
		t.Errorf("GET %s as 4.0: %q, want TEL;TYPE=cell:+1-555-0100", zoe, tel)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/vcard; charset=utf-8; version=4.0" {
		t.Errorf("GET %s as 4.0: Content-Type %q, want text/vcard; charset=utf-8; version=4.0", zoe, ct)
	}
	if et := resp.Header.Get("ETag"); et != etags[zoe] {
		t.Errorf("GET %s as 4.0: ETag %q, want the stored %s", zoe, et, etags[zoe])
	}
	// The body depends on Accept, so a cache must know (RFC 9110 12.5.5).
	if vary := resp.Header.Values("Vary"); !slices.ContainsFunc(vary, func(v string) bool {
		return slices.ContainsFunc(splitTrim(v), func(f string) bool { return strings.EqualFold(f, "Accept") })
	}) {
		t.Errorf("GET %s negotiated to 4.0: Vary %q, want it to name Accept: the body depends on it", zoe, vary)
	}
	c.step = "GET Accept 3.0"
	resp, b = c.do(t, http.MethodGet, zoe, map[string]string{"Accept": "text/vcard;version=3.0"}, "")
	if resp.StatusCode != http.StatusOK || string(b) != rawZoe {
		t.Errorf("GET %s Accept 3.0 (its own version): status %d, want 200 and the stored bytes; got\n%s", zoe, resp.StatusCode, b)
	}
	c.step = "GET Accept text/html"
	resp, b = c.do(t, http.MethodGet, zoe, map[string]string{"Accept": "text/html"}, "")
	if resp.StatusCode != http.StatusNotAcceptable {
		t.Errorf("GET %s Accept: text/html: status %d, want 406\n%s", zoe, resp.StatusCode, b)
	} else if conds, _ := decodeDAVError(t, "GET Accept: text/html", b); !slices.Equal(conds, []string{"{" + nsCardDAV + "}supported-address-data-conversion"}) {
		t.Errorf("GET %s Accept: text/html: 406 with conditions %v, want CR:supported-address-data-conversion (RFC 6352 5.1.1.1)\n%s", zoe, conds, b)
	}

	// 10. sync-collection: everything since the empty book's token, then
	// a delta with a change and a deletion.
	c.step = "sync after PUTs"
	sync1 := syncReq(sync0.SyncToken)
	got = sync1.hrefs()
	slices.Sort(got)
	if want := []string{club, friends, zoe}; !slices.Equal(got, want) {
		t.Errorf("sync-collection since the empty book = %v, want %v", got, want)
	}
	for _, r := range sync1.Responses {
		if p, ok := r.ok(); !ok || p.ETag == nil || *p.ETag != etags[r.href()] {
			t.Errorf("sync-collection %s: %+v, want getetag %s", r.href(), r.Propstats, etags[r.href()])
		}
	}
	if sync1.SyncToken == sync0.SyncToken {
		t.Errorf("sync token unchanged after three PUTs: %q", sync1.SyncToken)
	}
	c.step = "sync initial (full)"
	full := syncReq("")
	got = full.hrefs()
	slices.Sort(got)
	if want := []string{club, friends, zoe}; !slices.Equal(got, want) || full.SyncToken != sync1.SyncToken {
		t.Errorf("initial sync-collection = %v token %q, want %v token %q", got, full.SyncToken, want, sync1.SyncToken)
	}

	c.step = "update friends"
	updated := strings.Replace(rawFriends, "FN:Friends of Zoë", "FN:Good friends of Zoë", 1)
	resp, b = c.putCard(t, friends, updated, map[string]string{"If-Match": etags[friends]})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT If-Match %s: status %d, want 204\n%s", friends, resp.StatusCode, b)
	}
	etags[friends] = resp.Header.Get("ETag")
	c.step = "PUT stale If-Match"
	if resp, b := c.putCard(t, friends, rawFriends, map[string]string{"If-Match": etags[zoe]}); resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("PUT %s with a stale If-Match: status %d, want 412\n%s", friends, resp.StatusCode, b)
	}
	c.step = "DELETE club"
	if resp, b := c.do(t, http.MethodDelete, club, nil, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE %s: status %d, want 204\n%s", club, resp.StatusCode, b)
	}
	c.step = "sync delta"
	delta := syncReq(sync1.SyncToken)
	got = delta.hrefs()
	slices.Sort(got)
	if want := []string{club, friends}; !slices.Equal(got, want) {
		t.Errorf("sync-collection delta = %v, want %v", got, want)
	}
	if r, ok := delta.find(club); ok && (!strings.Contains(r.Status, " 404 ") || len(r.Propstats) != 0) {
		t.Errorf("sync-collection delta: deleted %s has status %q and %d propstats, want 404 and none", club, r.Status, len(r.Propstats))
	}
	if r, ok := delta.find(friends); ok {
		if p, ok := r.ok(); !ok || p.ETag == nil || *p.ETag != etags[friends] {
			t.Errorf("sync-collection delta: %s %+v, want getetag %s", friends, r.Propstats, etags[friends])
		}
	}
	if delta.SyncToken == "" || delta.SyncToken == sync1.SyncToken {
		t.Errorf("sync token after changes = %q, before %q: want a new one", delta.SyncToken, sync1.SyncToken)
	}
	c.step = "sync no change"
	if again := syncReq(delta.SyncToken); len(again.Responses) != 0 || again.SyncToken != delta.SyncToken {
		t.Errorf("sync-collection with the latest token = %v token %q, want nothing and %q", again.hrefs(), again.SyncToken, delta.SyncToken)
	}
	c.step = "sync bad token"
	if resp, b := c.do(t, "REPORT", book, map[string]string{"Depth": "0", "Content-Type": "application/xml"}, syncBody("urn:x-bogus:1")); resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "valid-sync-token") {
		t.Errorf("sync-collection with a foreign token: status %d, want 403 valid-sync-token\n%s", resp.StatusCode, b)
	}

	// 11. Deleting the address book removes it from the home.
	c.step = "DELETE book"
	if resp, b := c.do(t, http.MethodDelete, book, nil, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE %s: status %d, want 204\n%s", book, resp.StatusCode, b)
	}
	c.step = "PROPFIND home final"
	if got, want := listHome().hrefs(), []string{home, contacts}; !slices.Equal(got, want) {
		t.Errorf("home after deleting %s lists %v, want %v", book, got, want)
	}
}

// splitTrim splits a comma-separated header value and trims each item.
func splitTrim(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
