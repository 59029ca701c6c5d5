package conformance

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

const (
	nsDAV     = "DAV:"
	nsCalDAV  = "urn:ietf:params:xml:ns:caldav"
	nsCardDAV = "urn:ietf:params:xml:ns:carddav"
	nsXML     = "http://www.w3.org/XML/1998/namespace"
)

// node is an XML element with its namespaces resolved.
type node struct {
	name  xml.Name
	attrs []xml.Attr // without namespace declarations
	kids  []*node
	text  string // character data directly inside the element
}

// parseXML reads a document into a tree. Some RFC examples use the
// prefixes D and C without declaring them (RFC 4791 7.8.10's DAV:error);
// undeclared holds what they stand for.
func parseXML(body string, undeclared map[string]string) (*node, error) {
	d := xml.NewDecoder(strings.NewReader(body))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: resolve(t.Name, undeclared)}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" && a.Name.Space == "" {
					continue
				}
				name := a.Name
				if name.Space == "xml" {
					name.Space = nsXML
				}
				n.attrs = append(n.attrs, xml.Attr{Name: name, Value: a.Value})
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

func resolve(n xml.Name, undeclared map[string]string) xml.Name {
	if ns, ok := undeclared[n.Space]; ok {
		n.Space = ns
	}
	return n
}

func (n *node) is(space, local string) bool { return n.name.Space == space && n.name.Local == local }

func (n *node) kid(space, local string) *node {
	for _, k := range n.kids {
		if k.is(space, local) {
			return k
		}
	}
	return nil
}

func (n *node) all(space, local string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.is(space, local) {
			out = append(out, k)
		}
	}
	return out
}

// clark is the {namespace}local form of a name.
func clark(n xml.Name) string { return "{" + n.Space + "}" + n.Local }

// canonical renders an element for comparison: names resolved,
// attributes sorted, whitespace around text trimmed, DAV:href values
// passed through href so that the RFC's URLs compare with the server's.
func (n *node) canonical(href func(string) string) string {
	var b strings.Builder
	n.writeCanonical(&b, href)
	return b.String()
}

func (n *node) writeCanonical(b *strings.Builder, href func(string) string) {
	b.WriteString(clark(n.name))
	attrs := make([]string, 0, len(n.attrs))
	for _, a := range n.attrs {
		attrs = append(attrs, clark(a.Name)+"="+strconv.Quote(a.Value))
	}
	sort.Strings(attrs)
	if len(attrs) > 0 {
		b.WriteString("[" + strings.Join(attrs, " ") + "]")
	}
	if len(n.kids) > 0 {
		kids := make([]string, 0, len(n.kids))
		for _, k := range n.kids {
			kids = append(kids, k.canonical(href))
		}
		sort.Strings(kids)
		b.WriteString("(" + strings.Join(kids, " ") + ")")
		return
	}
	text := strings.TrimSpace(n.text)
	if n.is(nsDAV, "href") && href != nil {
		text = href(text)
	}
	if text != "" {
		b.WriteString("=" + strconv.Quote(text))
	}
}

// statusCode reads "HTTP/1.1 404 Not Found".
func statusCode(s string) int {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0
	}
	c, _ := strconv.Atoi(f[1])
	return c
}

// isXMLBody tells an XML body from iCalendar, vCard or plain text.
func isXMLBody(body string) bool {
	return bytes.HasPrefix(bytes.TrimSpace([]byte(body)), []byte("<"))
}
