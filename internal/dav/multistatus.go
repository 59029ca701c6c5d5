package dav

import (
	"bufio"
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Prop is a property value ready to be written. At most one of Text and
// XML is set; both empty renders an empty element.
type Prop struct {
	Name xml.Name
	Text string // character data, escaped when written
	// XML is pre-rendered inner XML written verbatim. It may use the fixed
	// prefixes D, C, CR, CS, ICAL or declare its own namespaces.
	XML string
	// Lang is written as the element's xml:lang (a dead property's
	// language, RFC 4918 14.26); "" writes none.
	Lang string
	// stored marks a value captured from a client (StoredProp): its
	// unprefixed elements are in no namespace.
	stored bool
}

// TextProp and XMLProp are shorthands.
func TextProp(n xml.Name, s string) Prop { return Prop{Name: n, Text: s} }
func XMLProp(n xml.Name, s string) Prop  { return Prop{Name: n, XML: s} }

// HrefProp renders <D:href> children for properties such as
// current-user-principal and calendar-home-set.
func HrefProp(n xml.Name, hrefs ...string) Prop {
	var sb strings.Builder
	for _, h := range hrefs {
		sb.WriteString("<D:href>")
		escapeText(&sb, h)
		sb.WriteString("</D:href>")
	}
	return Prop{Name: n, XML: sb.String()}
}

// PropSource describes one resource's properties to the PROPFIND engine.
type PropSource interface {
	// PropNames lists the properties the resource has. With allprop set
	// it lists only those allprop returns: RFC 4791 and 6352 exclude
	// expensive ones such as calendar-data.
	PropNames(allprop bool) []xml.Name
	// Prop returns a property's value; ok is false when the resource has
	// no such property (reported as 404 in the propstat).
	Prop(name xml.Name) (p Prop, ok bool, err error)
}

// Multistatus streams a 207 response (RFC 4918 13). The header goes out
// with the first response, so a large listing is never held in memory.
type Multistatus struct {
	w       http.ResponseWriter
	ctx     context.Context // the request's, for what is logged about it
	bw      *bufio.Writer
	started bool
	minimal bool
	head    bool

	found   []Prop // reused between responses
	missing []xml.Name

	// etagColl is the collection href of the last ETagResponse and
	// etagHead its response's start, up to the member name.
	etagColl, etagHead string
}

// NewMultistatus starts a multistatus for r. Prefer: return=minimal drops
// the 404 propstats (RFC 8144 2.1).
func NewMultistatus(w http.ResponseWriter, r *http.Request) *Multistatus {
	return &Multistatus{w: w, ctx: r.Context(), minimal: PreferMinimal(r), head: r.Method == http.MethodHead}
}

// Context is the request's context: an error met after the first byte
// can only be logged, and the log line must name the request.
func (m *Multistatus) Context() context.Context {
	if m.ctx == nil {
		return context.Background()
	}
	return m.ctx
}

func (m *Multistatus) start() {
	if m.started {
		return
	}
	m.started = true
	h := m.w.Header()
	h.Set("Content-Type", "application/xml; charset=utf-8")
	if m.minimal {
		h.Set("Preference-Applied", "return=minimal")
	}
	m.w.WriteHeader(http.StatusMultiStatus)
	m.bw = writerPool.Get().(*bufio.Writer)
	m.bw.Reset(m.w)
	m.bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<multistatus xmlns=\"DAV:\"")
	writeNSDecls(m.bw)
	m.bw.WriteByte('>')
}

// Propfind writes the response for one resource as pf asks.
func (m *Multistatus) Propfind(href string, pf *Propfind, src PropSource) error {
	m.found, m.missing = m.found[:0], m.missing[:0]
	switch pf.Kind {
	case FindPropName:
		for _, n := range src.PropNames(false) {
			m.found = append(m.found, Prop{Name: n})
		}
	case FindAllProp:
		for _, n := range src.PropNames(true) {
			if err := m.resolve(src, n); err != nil {
				return err
			}
		}
		for _, n := range pf.Include {
			if !containsName(src.PropNames(true), n) {
				if err := m.resolve(src, n); err != nil {
					return err
				}
			}
		}
	case FindProp:
		for _, n := range pf.Props {
			if err := m.resolve(src, n); err != nil {
				return err
			}
		}
	}
	return m.Response(href, m.found, m.missing)
}

func (m *Multistatus) resolve(src PropSource, n xml.Name) error {
	p, ok, err := src.Prop(n)
	if err != nil {
		return err
	}
	if ok {
		p.Name = n
		m.found = append(m.found, p)
	} else {
		m.missing = append(m.missing, n)
	}
	return nil
}

func containsName(names []xml.Name, n xml.Name) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

// Response writes one DAV:response with a 200 propstat for found and a
// 404 propstat for missing (unless the client prefers minimal).
func (m *Multistatus) Response(href string, found []Prop, missing []xml.Name) error {
	m.start()
	if m.head {
		return nil
	}
	writeResponse(m.bw, "<response>", href, found, missing, m.minimal, "")
	return m.err()
}

// ETagOnly reports whether pf asks for no property but DAV:getetag: the
// form of nearly every client's time-range query (an ETag per href, the
// data fetched by multiget afterwards), which ETagResponse answers.
func ETagOnly(pf *Propfind) bool {
	if pf.Kind != FindProp || len(pf.Props) == 0 {
		return false
	}
	for _, n := range pf.Props {
		if n != Name(NSDAV, "getetag") {
			return false
		}
	}
	return true
}

// etagMid and etagTail surround the ETag in ETagResponse's answer.
const (
	etagMid  = "</href><propstat><prop><getetag>"
	etagTail = "</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>"
)

// ETagResponse writes what Propfind writes for the resource
// collHref+EscapePath(name) when pf asks for DAV:getetag alone (ETagOnly)
// and the resource's ETag is etag, without building the href or
// resolving each property, from bytes the caller keeps: a week's answer
// at 100,000 events names thousands of members, and that was a third of
// its cost. With plain set the caller vouches that name is made of
// unreserved URI characters and etag holds no XML markup (a store's
// storage.PlainMember), and both are written as they are: checking each
// byte was a fifth of that answer's cost. Otherwise they are checked
// and escaped where needed.
func (m *Multistatus) ETagResponse(collHref string, name, etag []byte, plain bool, pf *Propfind) error {
	m.start()
	if m.head {
		return nil
	}
	if m.etagHead == "" || m.etagColl != collHref {
		var sb strings.Builder
		sb.WriteString("<response><href>")
		escapeText(&sb, collHref)
		m.etagColl, m.etagHead = collHref, sb.String()
	}
	bw := m.bw
	plainName, plainETag := plain, plain
	if !plain {
		plainName, plainETag = plainPath(name), plainText(etag)
	}
	if len(pf.Props) == 1 && len(etag) > 0 && plainName && plainETag {
		// The common answer, a listing's every member: built in bufio's
		// own buffer with one Write (a week at 100,000 events is
		// thousands of them) when it fits there.
		need := len(m.etagHead) + len(name) + len(etagMid) + len(etag) + len(etagTail)
		if b := bw.AvailableBuffer(); cap(b) >= need {
			b = append(b, m.etagHead...)
			b = append(b, name...) // nothing in it to escape for XML either
			b = append(b, etagMid...)
			b = append(b, etag...)
			b = append(b, etagTail...)
			bw.Write(b)
			return m.err()
		}
		bw.WriteString(m.etagHead)
		bw.Write(name)
		bw.WriteString(etagMid)
		bw.Write(etag)
		bw.WriteString(etagTail)
		return m.err()
	}
	bw.WriteString(m.etagHead)
	if plainName {
		bw.Write(name)
	} else {
		escapeText(bw, EscapePath(string(name)))
	}
	bw.WriteString("</href><propstat><prop>")
	for range pf.Props {
		switch {
		case len(etag) == 0:
			bw.WriteString("<getetag/>")
			continue
		case plainETag:
			bw.WriteString("<getetag>")
			bw.Write(etag)
		default:
			bw.WriteString("<getetag>")
			escapeText(bw, string(etag))
		}
		bw.WriteString("</getetag>")
	}
	bw.WriteString("</prop><status>HTTP/1.1 200 OK</status></propstat></response>")
	return m.err()
}

// CutResponse is Response for a resource whose answer the server's
// limits cut short: after its propstats come a DAV:error holding cond
// and a DAV:responsedescription, which RFC 4918 14.24 allows beside
// propstats. Unlike ErrorResponse it does not need a second response
// for the same href.
func (m *Multistatus) CutResponse(href string, found []Prop, missing []xml.Name, cond xml.Name, description string) error {
	m.start()
	if m.head {
		return nil
	}
	var tail strings.Builder
	tail.WriteString("<error>")
	open, _ := msTag(cond)
	tail.WriteString(open + "/>")
	tail.WriteString("</error><responsedescription>")
	escapeText(&tail, description)
	tail.WriteString("</responsedescription>")
	writeResponse(m.bw, "<response>", href, found, missing, m.minimal, tail.String())
	return m.err()
}

// writeResponse writes one DAV:response opened by open: found in a 200
// propstat, missing in a 404 one unless minimal, then tail
// (pre-rendered XML). The multistatus writes its responses with it, and
// expand-property those nested in values (nestedResponse).
func writeResponse(w byteWriter, open, href string, found []Prop, missing []xml.Name, minimal bool, tail string) {
	w.WriteString(open)
	writeHref(w, href)
	if len(found) > 0 || (len(missing) == 0 || minimal) {
		w.WriteString("<propstat><prop>")
		for i := range found {
			writeProp(w, &found[i])
		}
		w.WriteString("</prop><status>HTTP/1.1 200 OK</status></propstat>")
	}
	if len(missing) > 0 && !minimal {
		w.WriteString("<propstat><prop>")
		for _, n := range missing {
			open, _ := msTag(n)
			w.WriteString(open)
			w.WriteString("/>")
		}
		w.WriteString("</prop><status>HTTP/1.1 404 Not Found</status></propstat>")
	}
	w.WriteString(tail)
	w.WriteString("</response>")
}

// PropStat is one group of properties sharing a status (PROPPATCH).
type PropStat struct {
	Status int
	Names  []xml.Name
	Error  xml.Name // optional DAV:error condition for this propstat
}

// PropStatResponse writes a response with arbitrary propstats whose
// properties are empty elements (the PROPPATCH answer, RFC 4918 9.2).
func (m *Multistatus) PropStatResponse(href string, stats []PropStat) error {
	m.start()
	if m.head {
		return nil
	}
	bw := m.bw
	bw.WriteString("<response>")
	writeHref(bw, href)
	for _, ps := range stats {
		bw.WriteString("<propstat><prop>")
		for _, n := range ps.Names {
			open, _ := msTag(n)
			bw.WriteString(open)
			bw.WriteString("/>")
		}
		bw.WriteString("</prop>")
		writeStatus(bw, ps.Status)
		if ps.Error.Local != "" {
			open, _ := msTag(ps.Error)
			bw.WriteString("<error>" + open + "/></error>")
		}
		bw.WriteString("</propstat>")
	}
	bw.WriteString("</response>")
	return m.err()
}

// StatusResponse writes a response carrying only a status, as
// sync-collection does for removed members (RFC 6578 3.5.2) and multiget
// for unknown hrefs.
func (m *Multistatus) StatusResponse(href string, status int) error {
	m.start()
	if m.head {
		return nil
	}
	m.bw.WriteString("<response>")
	writeHref(m.bw, href)
	writeStatus(m.bw, status)
	m.bw.WriteString("</response>")
	return m.err()
}

// ErrorResponse writes a response carrying a status, a DAV:error with
// the condition cond and a DAV:responsedescription (RFC 4918 14.24), as
// RFC 5323 5.6 and RFC 6578 3.6 answer for a request-URI whose results
// were cut short (507 with DAV:number-of-matches-within-limits).
func (m *Multistatus) ErrorResponse(href string, status int, cond xml.Name, description string) error {
	m.start()
	if m.head {
		return nil
	}
	bw := m.bw
	bw.WriteString("<response>")
	writeHref(bw, href)
	writeStatus(bw, status)
	open, _ := msTag(cond)
	bw.WriteString("<error>" + open + "/></error>")
	if description != "" {
		bw.WriteString("<responsedescription>")
		escapeText(bw, description)
		bw.WriteString("</responsedescription>")
	}
	bw.WriteString("</response>")
	return m.err()
}

// Close ends the document; syncToken, when not empty, is written as the
// DAV:sync-token of a sync-collection report.
func (m *Multistatus) Close(syncToken string) error {
	m.start()
	if m.head {
		return nil
	}
	if syncToken != "" {
		m.bw.WriteString("<sync-token>")
		escapeText(m.bw, syncToken)
		m.bw.WriteString("</sync-token>")
	}
	m.bw.WriteString("</multistatus>\n")
	err := m.bw.Flush()
	// The buffer goes back for the next multistatus; anything written
	// after Close is dropped, as for HEAD.
	m.bw.Reset(nil)
	writerPool.Put(m.bw)
	m.bw, m.head = nil, true
	return err
}

// writerPool holds the 32 KiB buffers multistatus responses stream
// through: one per response was most of what a time-range query
// allocated, once its members cost none.
var writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}

// Started reports whether the 207 header has been sent; after that an
// error can no longer change the status.
func (m *Multistatus) Started() bool { return m.started }

func (m *Multistatus) err() error {
	// bufio keeps the first write error and returns it from every later
	// Write: a client that went away stops walks over large collections.
	_, err := m.bw.Write(nil)
	return err
}

func writeHref(bw byteWriter, href string) {
	bw.WriteString("<href>")
	escapeText(bw, href)
	bw.WriteString("</href>")
}

var statusLines = map[int]string{}

func init() {
	for _, c := range []int{200, 201, 204, 403, 404, 409, 412, 424, 507} {
		statusLines[c] = "<status>HTTP/1.1 " + strconv.Itoa(c) + " " + http.StatusText(c) + "</status>"
	}
}

func writeStatus(bw byteWriter, code int) {
	if s, ok := statusLines[code]; ok {
		bw.WriteString(s)
		return
	}
	bw.WriteString("<status>HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "</status>")
}

func writeProp(bw byteWriter, p *Prop) {
	// A captured (dead) property value was read without a default
	// namespace: its unprefixed elements are in no namespace, so its
	// element resets the default and names itself with a prefix.
	reset := p.stored && strings.IndexByte(p.XML, '<') >= 0
	// The usual names have a known prefix: their tags are written in
	// pieces, without building two strings per property per response
	// (tagParts), which showed in profiles of answers naming thousands
	// of members.
	prefix := Prefix(p.Name.Space)
	var close string
	switch {
	case p.Name.Space == NSDAV && !reset:
		prefix = ""
		bw.WriteByte('<')
		bw.WriteString(p.Name.Local)
		close = "</" + p.Name.Local + ">"
	case prefix == "":
		var open string
		open, close = tagParts(p.Name)
		bw.WriteString(open)
	default:
		bw.WriteByte('<')
		writeQName(bw, prefix, p.Name.Local)
	}
	if reset && p.Name.Space != "" { // tagParts resets it for no namespace
		bw.WriteString(` xmlns=""`)
	}
	if p.Lang != "" {
		bw.WriteString(` xml:lang="`)
		escapeAttr(bw, p.Lang)
		bw.WriteByte('"')
	}
	switch {
	case p.XML != "":
		bw.WriteByte('>')
		bw.WriteString(p.XML)
	case p.Text != "":
		bw.WriteByte('>')
		escapeText(bw, p.Text)
	default:
		bw.WriteString("/>")
		return
	}
	if prefix == "" {
		bw.WriteString(close)
		return
	}
	bw.WriteString("</")
	writeQName(bw, prefix, p.Name.Local)
	bw.WriteByte('>')
}

// msTag is tagParts in a multistatus, whose default namespace is DAV:.
func msTag(n xml.Name) (open, close string) {
	if n.Space == NSDAV {
		return "<" + n.Local, "</" + n.Local + ">"
	}
	return tagParts(n)
}

func writeQName(bw byteWriter, prefix, local string) {
	bw.WriteString(prefix)
	bw.WriteByte(':')
	bw.WriteString(local)
}

// plainPath reports whether url.PathEscape leaves every segment of p as
// it is: only letters, digits, "-", "_", ".", "~" and the slashes.
func plainPath[S string | []byte](p S) bool {
	for i := 0; i < len(p); i++ {
		if !pathPlain[p[i]] {
			return false
		}
	}
	return true
}

// pathPlain marks the bytes plainPath lets through.
var pathPlain = func() (t [256]bool) {
	for c := range t {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/'
	}
	return t
}()

// EscapePath percent-encodes each segment of a slash-separated path, for
// building hrefs from member names.
func EscapePath(p string) string {
	// Most names need no escape: answer them without splitting and
	// joining, which showed in profiles of listings of 100,000 members.
	if plainPath(p) {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
