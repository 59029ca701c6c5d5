package dav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Namespaces spoken by CalDAV and CardDAV clients.
const (
	NSDAV            = "DAV:"
	NSCalDAV         = "urn:ietf:params:xml:ns:caldav"
	NSCardDAV        = "urn:ietf:params:xml:ns:carddav"
	NSCalendarServer = "http://calendarserver.org/ns/"
	NSAppleICal      = "http://apple.com/ns/ical/"
)

// prefixes are declared once on every multistatus root.
var prefixes = []struct{ prefix, ns string }{
	{"D", NSDAV},
	{"C", NSCalDAV},
	{"CR", NSCardDAV},
	{"CS", NSCalendarServer},
	{"ICAL", NSAppleICal},
}

// Prefix is the prefix the multistatus and error writers declare for a
// namespace, "" for any other.
func Prefix(ns string) string {
	for _, p := range prefixes {
		if p.ns == ns {
			return p.prefix
		}
	}
	return ""
}

// Name is shorthand for building property names.
func Name(ns, local string) xml.Name { return xml.Name{Space: ns, Local: local} }

// Clark renders a name in Clark notation, "{ns}local", the key under which
// dead properties are stored.
func Clark(n xml.Name) string { return "{" + n.Space + "}" + n.Local }

// ParseClark is the inverse of Clark.
func ParseClark(s string) (xml.Name, bool) {
	if !strings.HasPrefix(s, "{") {
		return xml.Name{}, false
	}
	// "}" cannot occur in an XML local name but can in a namespace
	// string, so the last one ends the namespace.
	i := strings.LastIndexByte(s, '}')
	if i < 0 {
		return xml.Name{}, false
	}
	return xml.Name{Space: s[1:i], Local: s[i+1:]}, true
}

// Limits for XML request bodies.
const (
	// MaxXMLBody caps PROPFIND/PROPPATCH/REPORT/MKCOL bodies. A multiget of
	// 1,000 hrefs is about 100 KB; 1 MiB leaves room without inviting abuse.
	MaxXMLBody = 1 << 20
	// MaxXMLDepth bounds element nesting; real requests nest fewer than 12
	// levels, a 10,000-deep document is an attack on the decoder.
	MaxXMLDepth = 64
)

// ReadXML reads a request body of at most limit bytes and checks it is
// safe to decode: well-formed, no DOCTYPE (and so no entity definitions),
// nesting at most MaxXMLDepth. It returns nil for an empty body.
func ReadXML(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, ErrTooLarge
		}
		return nil, BodyError(err)
	}
	if int64(len(body)) > limit {
		return nil, ErrTooLarge
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	if err := CheckXML(body); err != nil {
		return nil, err
	}
	return body, nil
}

// CheckXML validates untrusted XML before any struct decoding sees it.
func CheckXML(body []byte) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	depth, roots := 0, 0
	var ns nsScope
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return BadRequest("malformed XML: " + xmlErrText(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if roots > 1 {
					return BadRequest("malformed XML: more than one root element")
				}
			}
			depth++
			if depth > MaxXMLDepth {
				return BadRequest(fmt.Sprintf("XML nested deeper than %d elements", MaxXMLDepth))
			}
			if msg := ns.push(t); msg != "" {
				return BadRequest("malformed XML: " + msg)
			}
		case xml.EndElement:
			depth--
			ns.pop()
		case xml.Directive:
			return BadRequest("XML DOCTYPE and entity declarations are not accepted")
		}
	}
	if depth != 0 || roots == 0 {
		return BadRequest("malformed XML: unexpected end of document")
	}
	// RawToken does not match end tags or check entity references; a
	// full pass catches mismatched tags and undefined entities. Neither
	// checks attribute uniqueness (XML 1.0 3.1, Namespaces 6.3) or that
	// local names are NCNames: captured dead properties would otherwise
	// replay to clients whose parsers refuse the whole response.
	d = xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return BadRequest("malformed XML: " + xmlErrText(err))
		}
		if se, ok := tok.(xml.StartElement); ok {
			if hasDuplicateAttr(se.Attr) {
				return BadRequest("malformed XML: duplicate attribute")
			}
			if !validLocal(se.Name.Local) {
				return BadRequest("malformed XML: invalid element name")
			}
			for _, a := range se.Attr {
				if !validLocal(a.Name.Local) {
					return BadRequest("malformed XML: invalid attribute name")
				}
			}
		}
	}
}

// nsScope checks what encoding/xml leaves unchecked of Namespaces in
// XML 1.0 (third edition): a prefix bound to "" (section 5, "No Prefix
// Undeclaring": only XML 1.1 may undeclare, and encoding/xml reads 1.0
// only), a prefix used but never declared (section 5, "Prefix Declared"),
// and the reserved xml and xmlns prefixes and names (section 3,
// "Reserved Prefixes and Namespace Names"). encoding/xml takes an
// undeclared prefix for the namespace name itself and a prefix with
// an empty binding for no namespace, so such a document would be stored
// as a property other than the one the client named.
type nsScope struct {
	bound map[string][]string // prefix → namespace names, innermost last
	marks [][]string          // per open element: the prefixes it declared
}

const xmlnsNamespace = "http://www.w3.org/2000/xmlns/"

// push enters t (a RawToken start tag, prefixes unresolved) and returns
// what is wrong with its names, "" when nothing is.
func (s *nsScope) push(t xml.StartElement) string {
	var declared []string
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "xmlns":
			switch p := a.Name.Local; {
			case p == "xmlns":
				return "the xmlns prefix cannot be declared"
			case a.Value == "":
				return "namespace prefix " + p + " bound to an empty name"
			case p == "xml" && a.Value != xmlNamespace, p != "xml" && a.Value == xmlNamespace:
				return "the xml prefix and only it names the XML namespace"
			case a.Value == xmlnsNamespace:
				return "the xmlns namespace cannot be bound"
			}
			if s.bound == nil {
				s.bound = map[string][]string{}
			}
			s.bound[a.Name.Local] = append(s.bound[a.Name.Local], a.Value)
			declared = append(declared, a.Name.Local)
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			if a.Value == xmlNamespace || a.Value == xmlnsNamespace {
				return "a reserved namespace cannot be the default"
			}
		}
	}
	s.marks = append(s.marks, declared)
	if p := t.Name.Space; p == "xmlns" {
		return "an element name cannot have the xmlns prefix"
	} else if p != "" && !s.declared(p) {
		return "undeclared namespace prefix " + p
	}
	for _, a := range t.Attr {
		if p := a.Name.Space; p != "" && p != "xmlns" && !s.declared(p) {
			return "undeclared namespace prefix " + p
		}
	}
	return ""
}

func (s *nsScope) declared(prefix string) bool {
	return prefix == "xml" || len(s.bound[prefix]) > 0
}

func (s *nsScope) pop() {
	if len(s.marks) == 0 {
		return // an unmatched end tag; the second pass refuses it
	}
	for _, p := range s.marks[len(s.marks)-1] {
		s.bound[p] = s.bound[p][:len(s.bound[p])-1]
	}
	s.marks = s.marks[:len(s.marks)-1]
}

// validLocal reports whether a local name can be written back on its own
// or after a prefix. encoding/xml splits "p:0" into a prefix and the local
// name "0", and keeps ":a" and "a:" whole, without checking that the
// local part could start a name (Namespaces in XML 1.0, 4: NCName).
func validLocal(s string) bool {
	if s == "" || strings.IndexByte(s, ':') >= 0 {
		return false
	}
	if c := s[0]; c < utf8.RuneSelf {
		return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
	// Rare: let encoding/xml's own name tables decide.
	_, err := xml.NewDecoder(strings.NewReader("<" + s + "/>")).RawToken()
	return err == nil
}

func hasDuplicateAttr(attrs []xml.Attr) bool {
	if len(attrs) < 2 {
		return false
	}
	if len(attrs) <= 16 {
		for i := range attrs {
			for j := i + 1; j < len(attrs); j++ {
				if attrs[i].Name == attrs[j].Name {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[xml.Name]bool, len(attrs))
	for _, a := range attrs {
		if seen[a.Name] {
			return true
		}
		seen[a.Name] = true
	}
	return false
}

func xmlErrText(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("line %d: %s", se.Line, se.Msg)
	}
	return "invalid document"
}

// RootName returns the name of the document element.
func RootName(body []byte) (xml.Name, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.Name{}, BadRequest("malformed XML: no root element")
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name, nil
		}
	}
}

// RawXML is an element captured from a request with everything inside it,
// re-encoded so that it carries its own namespace declarations and can be
// stored and replayed later (dead properties).
type RawXML struct {
	Name  xml.Name
	Inner string // children and text, namespace-complete
	// Lang is the xml:lang in scope on the element, "" for none: RFC
	// 4918 14.26 has a dead property's language stored with it and
	// returned by PROPFIND, and 4.3 counts an xml:lang on an ancestor
	// (DAV:prop, DAV:set) as the property's own.
	Lang string
}

// UnmarshalXML captures the inner content of the element. An xml:lang on
// the element replaces the Lang the caller found in scope.
func (r *RawXML) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	r.Name = start.Name
	r.Lang = XMLLang(start.Attr, r.Lang)
	var buf bytes.Buffer
	var depth int
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			writeStart(&buf, t)
		case xml.EndElement:
			if depth == 0 {
				r.Inner = buf.String()
				return nil
			}
			depth--
			writeEnd(&buf, t.Name)
		case xml.CharData:
			escapeText(&buf, string(t))
		}
	}
}

// XMLLang returns the xml:lang among attrs, or inherited when there is
// none (XML 1.0 2.12: the attribute applies to the element's content
// unless overridden).
func XMLLang(attrs []xml.Attr, inherited string) string {
	for _, a := range attrs {
		if a.Name.Space == xmlNamespace && a.Name.Local == "lang" {
			return a.Value
		}
	}
	return inherited
}

// A dead property is stored as one string (storage.Collection.Props):
// its inner XML, preceded, when it has a language, by a processing
// instruction naming it. Captured values never hold processing
// instructions (UnmarshalXML drops them, as RFC 4918 4.3.1 allows), so
// the marker cannot be confused with a value, values stored before
// languages were kept read as they are, and readers that parse a value
// as XML (Text, Children) skip the marker like any instruction. The
// language is query-escaped: an instruction cannot contain "?>".
const langMarker = "<?lang "

// Stored returns the form in which the property is kept.
func (r *RawXML) Stored() string {
	if r.Lang == "" {
		return r.Inner
	}
	return langMarker + url.QueryEscape(r.Lang) + "?>" + r.Inner
}

// ParseStored is the inverse of Stored.
func ParseStored(n xml.Name, s string) RawXML {
	if rest, ok := strings.CutPrefix(s, langMarker); ok {
		if lang, inner, ok := strings.Cut(rest, "?>"); ok {
			if l, err := url.QueryUnescape(lang); err == nil {
				return RawXML{Name: n, Inner: inner, Lang: l}
			}
		}
	}
	return RawXML{Name: n, Inner: s}
}

// StoredProp renders a stored property value for a multistatus.
func StoredProp(n xml.Name, s string) Prop {
	r := ParseStored(n, s)
	return Prop{Name: n, XML: r.Inner, Lang: r.Lang, stored: true}
}

// Text returns the character data of the captured element, for properties
// whose value is plain text (displayname, calendar-color).
func (r *RawXML) Text() string {
	if !strings.ContainsAny(r.Inner, "<&") {
		return r.Inner
	}
	d := xml.NewDecoder(strings.NewReader("<x>" + r.Inner + "</x>"))
	var sb strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return sb.String()
		}
		if cd, ok := tok.(xml.CharData); ok {
			sb.Write(cd)
		}
	}
}

// xmlNamespace is what encoding/xml resolves the predeclared xml: prefix to.
const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// writeStart writes a start tag declaring its own namespace, so captured
// fragments are self-contained.
func writeStart(buf *bytes.Buffer, t xml.StartElement) {
	buf.WriteByte('<')
	if t.Name.Space != "" {
		buf.WriteString("x:")
		buf.WriteString(t.Name.Local)
		buf.WriteString(` xmlns:x="`)
		escapeAttr(buf, t.Name.Space)
		buf.WriteByte('"')
	} else {
		buf.WriteString(t.Name.Local)
	}
	n := 0
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		buf.WriteByte(' ')
		switch a.Name.Space {
		case "":
		case xmlNamespace:
			buf.WriteString("xml:")
		default:
			// Namespaced attributes are rare in property values; each
			// gets its own prefix so that a:id and b:id stay distinct.
			n++
			p := "a" + strconv.Itoa(n)
			buf.WriteString("xmlns:" + p + `="`)
			escapeAttr(buf, a.Name.Space)
			buf.WriteString(`" ` + p + ":")
		}
		buf.WriteString(a.Name.Local)
		buf.WriteString(`="`)
		escapeAttr(buf, a.Value)
		buf.WriteByte('"')
	}
	buf.WriteByte('>')
}

func writeEnd(buf *bytes.Buffer, n xml.Name) {
	buf.WriteString("</")
	if n.Space != "" {
		buf.WriteString("x:")
	}
	buf.WriteString(n.Local)
	buf.WriteByte('>')
}

type byteWriter interface {
	WriteString(string) (int, error)
	WriteByte(byte) error
}

// escapeText and escapeAttr replace what XML 1.0 cannot carry at all
// (control characters other than tab, newline and carriage return,
// invalid UTF-8, U+FFFE, U+FFFF) with U+FFFD, as encoding/xml does:
// stored values such as calendar-data are arbitrary bytes, and one bad
// byte must not make a whole multistatus unparseable.
func escapeText(w byteWriter, s string) { escape(w, s, &textEscapes, &textPlain) }

func escapeAttr(w byteWriter, s string) { escape(w, s, &attrEscapes, &attrPlain) }

// Replacements for ASCII bytes; "" leaves the byte as it is. Carriage
// returns are escaped in text too, or XML parsers fold CRLF to LF and
// calendar data loses its line ends.
var textEscapes, attrEscapes [utf8.RuneSelf]string

// textPlain and attrPlain mark the bytes written as they are, so that a
// value without anything to escape (an href, an ETag: most of a large
// multistatus) is passed over in one tight loop and written whole.
var textPlain, attrPlain [256]bool

func init() {
	for _, e := range []*[utf8.RuneSelf]string{&textEscapes, &attrEscapes} {
		e['<'], e['&'], e['\r'] = "&lt;", "&amp;", "&#13;"
	}
	textEscapes['>'] = "&gt;"
	attrEscapes['"'], attrEscapes['\n'], attrEscapes['\t'] = "&quot;", "&#10;", "&#9;"
	for c := 0x20; c < utf8.RuneSelf; c++ {
		textPlain[c], attrPlain[c] = textEscapes[c] == "", attrEscapes[c] == ""
	}
}

// plainText reports whether escapeText writes s as it is.
func plainText(s []byte) bool {
	for _, c := range s {
		if !textPlain[c] {
			return false
		}
	}
	return true
}

func escape(w byteWriter, s string, table *[utf8.RuneSelf]string, plain *[256]bool) {
	i := 0
	for i < len(s) && plain[s[i]] {
		i++
	}
	if i == len(s) {
		w.WriteString(s)
		return
	}
	last := 0
	for i < len(s) {
		c := s[i]
		var esc string
		width := 1
		switch {
		case c < utf8.RuneSelf && table[c] != "":
			esc = table[c]
		case c >= 0x20 && c < utf8.RuneSelf, c == '\t', c == '\n', c == '\r':
			i++
			continue
		default:
			if width = xmlCharWidth(s, i); width > 0 {
				i += width
				continue
			}
			width, esc = -width, "\uFFFD"
		}
		w.WriteString(s[last:i])
		w.WriteString(esc)
		i += width
		last = i
	}
	w.WriteString(s[last:])
}

// xmlCharWidth returns the byte width of the character at s[i] (not tab,
// newline or carriage return), negated when XML 1.0 cannot carry it.
func xmlCharWidth(s string, i int) int {
	c := s[i]
	if c < utf8.RuneSelf {
		if c < 0x20 {
			return -1
		}
		return 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if (r == utf8.RuneError && n == 1) || r == 0xFFFE || r == 0xFFFF {
		return -n
	}
	return n
}

// EscapeText returns s escaped as XML character data.
func EscapeText(s string) string {
	var sb strings.Builder
	escapeText(&sb, s)
	return sb.String()
}

// Children returns the names of the captured element's child elements,
// e.g. the types inside a DAV:resourcetype.
func (r *RawXML) Children() []xml.Name {
	var names []xml.Name
	EachChild([]byte("<x>"+r.Inner+"</x>"), func(d *xml.Decoder, t xml.StartElement) error {
		names = append(names, t.Name)
		return d.Skip()
	})
	return names
}
