package dav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// wantError asserts that err is a *Error with the given status and, when
// cond is not zero, the given DAV:error condition.
func wantError(t testing.TB, err error, status int, cond xml.Name) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want %d", status)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *dav.Error", err, err)
	}
	if e.Status != status {
		t.Fatalf("status = %d, want %d (err %v)", e.Status, status, err)
	}
	if e.Condition != cond {
		t.Fatalf("condition = %v, want %v", e.Condition, cond)
	}
	return e
}

// node is a namespace-resolved XML element, built with encoding/xml's
// Token so that assertions are made on names, not on prefixes.
type node struct {
	Name xml.Name
	Attr []xml.Attr
	Text string // concatenated character data directly inside the element
	Kids []*node
}

// parseTree parses a complete document, failing the test when it is not
// well-formed XML with exactly one root element.
func parseTree(t testing.TB, b []byte) *node {
	t.Helper()
	n, err := parseTreeErr(b)
	if err != nil {
		t.Fatalf("produced XML does not parse: %v\n%s", err, b)
	}
	return n
}

func parseTreeErr(b []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var root *node
	var stack []*node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &node{Name: tk.Name, Attr: tk.Copy().Attr}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("two root elements")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(tk)
			} else if len(bytes.TrimSpace(tk)) > 0 {
				return nil, errors.New("text outside the root element")
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

func (n *node) children(name xml.Name) []*node {
	var out []*node
	for _, k := range n.Kids {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}

func (n *node) child(t testing.TB, name xml.Name) *node {
	t.Helper()
	c := n.children(name)
	if len(c) != 1 {
		t.Fatalf("<%s> has %d <%s> children, want 1", Clark(n.Name), len(c), Clark(name))
	}
	return c[0]
}

func (n *node) kidNames() []xml.Name {
	var out []xml.Name
	for _, k := range n.Kids {
		out = append(out, k.Name)
	}
	return out
}

func (n *node) attr(space, local string) (string, bool) {
	for _, a := range n.Attr {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// xmlNameZero is the absent condition.
var xmlNameZero xml.Name

var (
	dMultistatus = Name(NSDAV, "multistatus")
	dResponse    = Name(NSDAV, "response")
	dHref        = Name(NSDAV, "href")
	dPropstat    = Name(NSDAV, "propstat")
	dProp        = Name(NSDAV, "prop")
	dStatus      = Name(NSDAV, "status")
	dError       = Name(NSDAV, "error")
	dSyncToken   = Name(NSDAV, "sync-token")
	dGetETag     = Name(NSDAV, "getetag")
	dGetCT       = Name(NSDAV, "getcontenttype")
	dDisplayName = Name(NSDAV, "displayname")
	dResType     = Name(NSDAV, "resourcetype")
	cCalData     = Name(NSCalDAV, "calendar-data")
	csGetCTag    = Name(NSCalendarServer, "getctag")
)

// msResponse is one DAV:response of a parsed multistatus.
type msResponse struct {
	Href      string
	Status    string // response-level status, if any
	Propstats []msPropstat
}

type msPropstat struct {
	Status string
	Props  []*node
	Error  *node
}

func (r msResponse) propstat(t testing.TB, code string) msPropstat {
	t.Helper()
	for _, ps := range r.Propstats {
		if strings.Contains(ps.Status, " "+code+" ") {
			return ps
		}
	}
	t.Fatalf("response %s has no %s propstat: %+v", r.Href, code, r.Propstats)
	return msPropstat{}
}

func (ps msPropstat) names() []xml.Name {
	var out []xml.Name
	for _, p := range ps.Props {
		out = append(out, p.Name)
	}
	return out
}

func (ps msPropstat) prop(t testing.TB, n xml.Name) *node {
	t.Helper()
	for _, p := range ps.Props {
		if p.Name == n {
			return p
		}
	}
	t.Fatalf("propstat %s has no %s (has %v)", ps.Status, Clark(n), ps.names())
	return nil
}

// parseMultistatus parses a 207 body and checks its structure.
func parseMultistatus(t testing.TB, body []byte) (resps []msResponse, syncToken *string) {
	t.Helper()
	root := parseTree(t, body)
	if root.Name != dMultistatus {
		t.Fatalf("root is %v, want DAV:multistatus", root.Name)
	}
	for _, k := range root.Kids {
		switch k.Name {
		case dResponse:
			var r msResponse
			r.Href = k.child(t, dHref).Text
			if st := k.children(dStatus); len(st) == 1 {
				r.Status = st[0].Text
			}
			for _, ps := range k.children(dPropstat) {
				p := msPropstat{Status: ps.child(t, dStatus).Text, Props: ps.child(t, dProp).Kids}
				if e := ps.children(dError); len(e) == 1 {
					p.Error = e[0]
				}
				r.Propstats = append(r.Propstats, p)
			}
			if (r.Status == "") == (len(r.Propstats) == 0) {
				t.Fatalf("response %s must have either a status or propstats", r.Href)
			}
			resps = append(resps, r)
		case dSyncToken:
			s := k.Text
			syncToken = &s
		default:
			t.Fatalf("unexpected %v in multistatus", k.Name)
		}
	}
	return resps, syncToken
}

func newReq(method string, hdr ...string) *http.Request {
	r := httptest.NewRequest(method, "/dav/", nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

func namesEqual(a, b []xml.Name) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
