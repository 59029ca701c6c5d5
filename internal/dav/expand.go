package dav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ExpandProp is one DAV:property element of a DAV:expand-property
// REPORT (RFC 3253 3.8): a property to report and, when Expand is not
// empty, the properties to report in its value in place of each DAV:href,
// of the resource the href names.
type ExpandProp struct {
	Name   xml.Name
	Expand []*ExpandProp
}

// Limits of an expand-property report. Each level of nesting multiplies
// the answer by the hrefs of a value, so both the levels and the
// responses they add are bounded, beside the names a request may list
// (MaxRequestProps, MaxRequestPropBytes, counted over the whole tree).
const (
	// MaxExpandDepth caps the nesting of DAV:property elements, the top
	// level counting as one. Apple's and Evolution's requests nest two
	// levels (a principal's proxies, then their names and addresses).
	MaxExpandDepth = 4
	// MaxExpandResponses caps the DAV:response elements that expansion
	// adds to one answer, nested ones included: as many as a multiget
	// may name (MaxRequestHrefs), since each is an href answered in full.
	MaxExpandResponses = MaxRequestHrefs
)

// CondExpandDepth refuses an expand-property nested deeper than
// MaxExpandDepth. RFC 3253 has no condition for it; like
// DAV:propfind-finite-depth it is a 403 naming what would be answered.
var CondExpandDepth = Name(errorNS, "expand-property-depth")

var (
	elemExpandProperty = Name(NSDAV, "expand-property")
	elemProperty       = Name(NSDAV, "property")
	elemHref           = Name(NSDAV, "href")
	errExpandDepth     = Precondition(http.StatusForbidden, CondExpandDepth,
		"DAV:property elements are nested more than "+strconv.Itoa(MaxExpandDepth)+" deep; ask for fewer levels")
)

// ParseExpandProperty parses a DAV:expand-property body already checked
// by ReadXML. A property named twice at one level is reported once, with
// what both occurrences ask to expand in its value. Elements other than
// DAV:property are ignored (RFC 4918 17). A DAV:property needs a name
// attribute that is an XML name; its namespace attribute defaults to
// "DAV:" (RFC 3253 3.8). More than MaxRequestProps distinct properties
// in the whole tree, or MaxRequestPropBytes of names, is 413; nesting
// beyond MaxExpandDepth is 403 with CondExpandDepth.
func ParseExpandProperty(body []byte) ([]*ExpandProp, error) {
	if body == nil {
		return nil, BadRequest("expand-property needs a DAV:expand-property body")
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, BadRequest("malformed XML: no root element")
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name != elemExpandProperty {
				return nil, BadRequest("REPORT body must be a DAV:expand-property element")
			}
			break
		}
	}
	p := expandParser{d: d}
	var props []*ExpandProp
	err := p.into(&props, 1)
	var xe *XMLError
	if errors.As(err, &xe) {
		return nil, BadRequest("malformed XML in DAV:expand-property")
	}
	if err != nil {
		return nil, err
	}
	return props, nil
}

type expandParser struct {
	d     *xml.Decoder
	count int // distinct properties in the tree
	size  int // bytes of their names
}

// into reads the DAV:property children of the element just opened into
// list, at nesting level level. A name already in list gets the new
// occurrence's children merged into its own, so that every distinct
// property is created, and counted, once.
func (p *expandParser) into(list *[]*ExpandProp, level int) error {
	index := make(map[xml.Name]*ExpandProp, len(*list))
	for _, e := range *list {
		index[e.Name] = e
	}
	return EachChildOf(p.d, "", func(se xml.StartElement) error {
		if se.Name != elemProperty {
			if err := p.d.Skip(); err != nil {
				return &XMLError{err}
			}
			return nil
		}
		if level > MaxExpandDepth {
			return errExpandDepth
		}
		n, err := propertyName(se.Attr)
		if err != nil {
			return err
		}
		node := index[n]
		if node == nil {
			if p.count == MaxRequestProps {
				return errTooManyProps
			}
			if p.size += len(n.Space) + len(n.Local); p.size > MaxRequestPropBytes {
				return errPropBytes
			}
			p.count++
			node = &ExpandProp{Name: n}
			index[n] = node
			*list = append(*list, node)
		}
		return p.into(&node.Expand, level+1)
	})
}

// propertyName reads the name and namespace attributes of a
// DAV:property. Both are written back as an element name and its
// namespace declaration, so the name must be an XML name without a
// prefix and the namespace cannot be one that XML reserves.
func propertyName(attrs []xml.Attr) (xml.Name, error) {
	n := Name(NSDAV, "")
	for _, a := range attrs {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "name":
			n.Local = strings.TrimSpace(a.Value)
		case "namespace":
			n.Space = strings.TrimSpace(a.Value)
		}
	}
	if !validName(n.Local) {
		return n, BadRequest("DAV:property needs a name attribute that is an XML name without a prefix")
	}
	if n.Space == xmlNamespace || n.Space == xmlnsNamespace {
		return n, BadRequest("DAV:property names a reserved XML namespace")
	}
	return n, nil
}

// validName reports whether s can be written as the local name of an
// element: an NCName as encoding/xml, and so the answer's readers, read
// one.
func validName(s string) bool {
	if s == "" {
		return false
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			ascii = false
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
		case i > 0 && ('0' <= c && c <= '9' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	if ascii {
		return true
	}
	tok, err := xml.NewDecoder(strings.NewReader("<" + s + "/>")).RawToken()
	se, ok := tok.(xml.StartElement)
	return err == nil && ok && se.Name.Space == "" && se.Name.Local == s && len(se.Attr) == 0
}

// Expander answers the properties of an expand-property report for one
// resource at a time: each value whose DAV:property has children gets
// every DAV:href in it, at any depth, replaced by a DAV:response for
// the resource the href names, holding the children's values, expanded
// in turn (RFC 3253 3.8). An href that names nothing the user may see
// gets a response with status 404 and nothing else, as a request for it
// would. Once Limit responses are added, further hrefs stay as they
// are, and Props says so for the report to mark the answer incomplete.
type Expander struct {
	// Resolve returns the properties of the resource an href names as
	// the user sees it; nil (with a nil error) when there is no such
	// resource for them. An error ends the report.
	Resolve func(href string) (PropSource, error)
	// Minimal drops the 404 propstats of nested responses, as Prefer:
	// return=minimal does for the report's own (RFC 8144 2.1).
	Minimal bool
	// Limit is the number of responses expansion may add; zero means
	// MaxExpandResponses.
	Limit int

	added int
	cut   bool // in the current Props
	// done holds the responses already rendered, by href and by what
	// was asked of it: every member's DAV:owner names the same
	// principal, which is read and rendered once.
	done map[expandKey]expanded
	// values holds the values already expanded, by text and by what was
	// asked of them, so that the same value on every member is parsed
	// once too.
	values map[expandKey]expanded
}

type expandKey struct {
	text string // an href, or a whole value
	node *ExpandProp
}

type expanded struct {
	xml       string
	responses int  // DAV:response elements in xml
	cut       bool // the limit left hrefs of it unexpanded
}

// Props returns src's values of props, expanded, and the names src
// does not have; cut reports that the limit left DAV:href elements of
// these values unexpanded.
func (e *Expander) Props(src PropSource, props []*ExpandProp) (found []Prop, missing []xml.Name, cut bool, err error) {
	e.cut = false
	found, missing, err = e.props(src, props)
	return found, missing, e.cut, err
}

func (e *Expander) props(src PropSource, props []*ExpandProp) (found []Prop, missing []xml.Name, err error) {
	for _, ep := range props {
		p, ok, err := src.Prop(ep.Name)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			missing = append(missing, ep.Name)
			continue
		}
		p.Name = ep.Name
		if len(ep.Expand) > 0 {
			if p, err = e.expandValue(p, ep); err != nil {
				return nil, nil, err
			}
		}
		found = append(found, p)
	}
	return found, missing, nil
}

// nestedResponse opens a response that replaces an href in a value. It
// declares DAV: as its default namespace again: a captured value resets
// the default (writeProp), and the response is rendered once for every
// value that names its href.
const nestedResponse = `<response xmlns="DAV:">`

// valueHead opens the element a value is parsed in, declaring the
// prefixes that pre-rendered values may use without declaring them.
var valueHead = func() string {
	var b strings.Builder
	b.WriteString("<v")
	for _, p := range prefixes {
		b.WriteString(` xmlns:` + p.prefix + `="` + p.ns + `"`)
	}
	b.WriteString(">")
	return b.String()
}()

// expandValue replaces the DAV:href elements of p's value. Everything
// else in the value is kept byte for byte: the DAV:href elements are
// found by their offsets in the text rather than by re-encoding it.
func (e *Expander) expandValue(p Prop, ep *ExpandProp) (Prop, error) {
	if p.XML == "" || !strings.Contains(p.XML, "href") {
		return p, nil
	}
	key := expandKey{p.XML, ep}
	if x, ok := e.values[key]; ok && e.added+x.responses <= e.limit() {
		e.added += x.responses
		e.cut = e.cut || x.cut
		p.XML = x.xml
		return p, nil
	}
	before, cutBefore := e.added, e.cut
	e.cut = false
	out, err := e.scanValue(p, ep)
	x := expanded{xml: out.XML, responses: e.added - before, cut: e.cut}
	e.cut = e.cut || cutBefore
	if err != nil || x.responses == 0 {
		// Values without expansions are not kept: they cost the
		// limit nothing, so nothing else bounds how many there are.
		return out, err
	}
	if e.values == nil {
		e.values = make(map[expandKey]expanded)
	}
	e.values[key] = x
	return out, nil
}

func (e *Expander) limit() int {
	if e.Limit <= 0 {
		return MaxExpandResponses
	}
	return e.Limit
}

// scanValue is expandValue without the reuse of earlier answers.
func (e *Expander) scanValue(p Prop, ep *ExpandProp) (Prop, error) {
	doc := valueHead + p.XML + "</v>"
	d := xml.NewDecoder(strings.NewReader(doc))
	var out strings.Builder
	last, depth := len(valueHead), 0
	for {
		start := int(d.InputOffset())
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			// A stored value that does not parse is reported as it is.
			return p, nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if t.Name != elemHref {
				continue
			}
			href, err := elementText(d)
			if err != nil {
				return p, nil
			}
			depth--
			end := int(d.InputOffset())
			r, ok, err := e.response(strings.TrimSpace(href), ep)
			if err != nil {
				return p, err
			}
			if ok {
				out.WriteString(doc[last:start])
				out.WriteString(r)
				last = end
			}
		case xml.EndElement:
			if depth--; depth == 0 {
				out.WriteString(doc[last:start])
				p.XML = out.String()
				return p, nil
			}
		}
	}
	return p, nil
}

// elementText returns the character data of the element whose start
// tag d has just read, up to its end tag; child elements' text counts.
func elementText(d *xml.Decoder) (string, error) {
	var sb strings.Builder
	for depth := 0; ; {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return sb.String(), nil
			}
			depth--
		case xml.CharData:
			sb.Write(t)
		}
	}
}

// response renders the DAV:response that replaces href in a value of
// ep; ok is false when the limit leaves href as it is.
func (e *Expander) response(href string, ep *ExpandProp) (string, bool, error) {
	limit := e.limit()
	key := expandKey{href, ep}
	if x, ok := e.done[key]; ok {
		if e.added+x.responses > limit {
			e.cut = true
			return "", false, nil
		}
		e.added += x.responses
		return x.xml, true, nil
	}
	if e.added >= limit {
		e.cut = true
		return "", false, nil
	}
	e.added++
	before := e.added
	var b strings.Builder
	src, err := e.Resolve(href)
	if err != nil {
		return "", false, err
	}
	if src == nil {
		b.WriteString(nestedResponse)
		writeHref(&b, href)
		writeStatus(&b, http.StatusNotFound)
		b.WriteString("</response>")
	} else {
		found, missing, err := e.props(src, ep.Expand)
		if err != nil {
			return "", false, err
		}
		writeResponse(&b, nestedResponse, href, found, missing, e.Minimal, "")
	}
	x := expanded{xml: b.String(), responses: 1 + e.added - before}
	if e.done == nil {
		e.done = make(map[expandKey]expanded)
	}
	e.done[key] = x
	return x.xml, true, nil
}
