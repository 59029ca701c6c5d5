package dav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
)

// PropfindKind tells the three forms of a PROPFIND body apart.
type PropfindKind int

const (
	FindAllProp PropfindKind = iota
	FindPropName
	FindProp
)

// Propfind is a parsed PROPFIND request body (RFC 4918 14.20).
type Propfind struct {
	Kind    PropfindKind
	Props   []xml.Name // FindProp: the requested names, in order
	Include []xml.Name // FindAllProp: extra properties asked for by name
}

type propfindXML struct {
	XMLName  xml.Name  `xml:"DAV: propfind"`
	AllProp  *struct{} `xml:"DAV: allprop"`
	PropName *struct{} `xml:"DAV: propname"`
	Prop     *propList `xml:"DAV: prop"`
	Include  *propList `xml:"DAV: include"`
}

// propList collects the distinct names of the child elements.
type propList struct{ PropNames }

func (p *propList) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	return p.Decode(d)
}

// unmarshalError passes propList's *Error (a limit, or a precise 400)
// through and answers any other decoding failure with msg.
func unmarshalError(err error, msg string) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return BadRequest(msg)
}

// ParsePropfind parses a body already checked by ReadXML. An empty body
// means allprop (RFC 4918 9.1).
func ParsePropfind(body []byte) (*Propfind, error) {
	if body == nil {
		return &Propfind{Kind: FindAllProp}, nil
	}
	var x propfindXML
	if err := xml.Unmarshal(body, &x); err != nil {
		return nil, unmarshalError(err, "PROPFIND body must be a DAV:propfind element")
	}
	n := 0
	pf := &Propfind{}
	if x.AllProp != nil {
		n++
		pf.Kind = FindAllProp
		if x.Include != nil {
			pf.Include = x.Include.Names
		}
	}
	if x.PropName != nil {
		n++
		pf.Kind = FindPropName
	}
	if x.Prop != nil {
		n++
		pf.Kind = FindProp
		pf.Props = x.Prop.Names
	}
	if n != 1 {
		return nil, BadRequest("DAV:propfind must contain exactly one of prop, allprop, propname")
	}
	return pf, nil
}

// PatchOp is one set or remove instruction of a PROPPATCH, in document
// order (RFC 4918 9.2: instructions are processed in order).
type PatchOp struct {
	Remove bool
	Prop   RawXML
}

// ParseProppatch parses a DAV:propertyupdate body.
func ParseProppatch(body []byte) ([]PatchOp, error) {
	if body == nil {
		return nil, BadRequest("PROPPATCH needs a DAV:propertyupdate body")
	}
	root, err := RootName(body)
	if err != nil {
		return nil, err
	}
	if root != Name(NSDAV, "propertyupdate") {
		return nil, BadRequest("PROPPATCH body must be a DAV:propertyupdate element")
	}
	return parseSetRemove(body, false)
}

// ParseSetProps reads the DAV:set/DAV:prop children of an MKCOL (RFC 5689)
// or MKCALENDAR (RFC 4791 5.3.1) body; remove is not allowed there.
func ParseSetProps(body []byte) (root xml.Name, ops []PatchOp, err error) {
	if root, err = RootName(body); err != nil {
		return root, nil, err
	}
	ops, err = parseSetRemove(body, true)
	return root, ops, err
}

func parseSetRemove(body []byte, setOnly bool) ([]PatchOp, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	var ops []PatchOp
	// A property may be set and removed several times, in order, but
	// the distinct names are what the answer lists and the limits cap.
	var names PropNames
	depth := 0
	var mode string // "set" or "remove" while inside one
	inProp := false // inside set/prop or remove/prop
	// langs[i] is the xml:lang in scope at depth i+1: a property set
	// inside <D:prop xml:lang="en"> is in English (RFC 4918 4.3, 14.26).
	var langs []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			// A truncated body must not become a partial update.
			return nil, BadRequest("malformed XML in request body")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			inherited := ""
			if len(langs) > 0 {
				inherited = langs[len(langs)-1]
			}
			langs = append(langs, XMLLang(t.Attr, inherited))
			switch {
			case depth == 2 && t.Name.Space == NSDAV && (t.Name.Local == "set" || t.Name.Local == "remove"):
				if setOnly && t.Name.Local == "remove" {
					return nil, BadRequest("DAV:remove is not allowed here")
				}
				mode = t.Name.Local
			case depth == 3 && mode != "" && t.Name == Name(NSDAV, "prop"):
				inProp = true // the properties follow
			case depth == 4 && inProp:
				if err := names.Add(t.Name); err != nil {
					return nil, err
				}
				raw := RawXML{Lang: inherited}
				if err := raw.UnmarshalXML(d, t); err != nil {
					return nil, BadRequest("malformed property value")
				}
				depth--
				langs = langs[:len(langs)-1]
				ops = append(ops, PatchOp{Remove: mode == "remove", Prop: raw})
			case depth == 2:
				return nil, BadRequest("unexpected element " + t.Name.Local + " in request body")
			}
		case xml.EndElement:
			depth--
			langs = langs[:len(langs)-1]
			if depth == 2 {
				inProp = false
			}
			if depth == 1 {
				mode = ""
			}
		}
	}
	if !setOnly && len(ops) == 0 {
		return nil, BadRequest("DAV:propertyupdate contains no properties")
	}
	return ops, nil
}

// SyncCollection is a parsed DAV:sync-collection REPORT (RFC 6578 6.1).
type SyncCollection struct {
	Token string // empty for the initial sync
	Limit int    // 0: none
	Props []xml.Name
}

type syncCollectionXML struct {
	XMLName   xml.Name `xml:"DAV: sync-collection"`
	SyncToken *string  `xml:"DAV: sync-token"`
	SyncLevel *string  `xml:"DAV: sync-level"`
	Limit     *struct {
		NResults string `xml:"DAV: nresults"`
	} `xml:"DAV: limit"`
	Prop *propList `xml:"DAV: prop"`
}

// ParseSyncCollection parses and checks a sync-collection request. Only
// sync-level 1 is supported (RFC 6578 3.3: servers may refuse infinite).
// A request without DAV:sync-level is taken as level 1: RFC 6578 6.1
// requires the element, but older iOS and Apple's own test clients leave
// it out, and Radicale and sabre/dav read such a request as level 1 too.
func ParseSyncCollection(body []byte) (*SyncCollection, error) {
	var x syncCollectionXML
	if err := xml.Unmarshal(body, &x); err != nil {
		return nil, unmarshalError(err, "malformed DAV:sync-collection body")
	}
	if x.SyncToken == nil {
		return nil, BadRequest("DAV:sync-collection needs a DAV:sync-token element")
	}
	level := "1"
	if x.SyncLevel != nil {
		level = strings.TrimSpace(*x.SyncLevel)
	}
	switch level {
	case "1":
	case "infinite":
		return nil, Precondition(403, Name(NSDAV, "supported-sync-level"), "sync-level infinite is not supported; use 1")
	default:
		return nil, BadRequest("DAV:sync-level must be 1")
	}
	sc := &SyncCollection{Token: strings.TrimSpace(*x.SyncToken)}
	if x.Limit != nil {
		n, err := strconv.Atoi(strings.TrimSpace(x.Limit.NResults))
		if err != nil || n <= 0 {
			return nil, BadRequest("DAV:nresults must be a positive integer")
		}
		sc.Limit = n
	}
	if x.Prop != nil {
		sc.Props = x.Prop.Names
	}
	return sc, nil
}

// Sync tokens are URIs (RFC 6578 4) that name the collection incarnation
// and the sequence number, so a token from a deleted and recreated
// collection, or from a restored older database, is recognisably foreign.
const syncTokenPrefix = "urn:almanac:sync:"

// SyncToken renders the sync token of a collection state.
func SyncToken(incarnation string, seq uint64) string {
	return syncTokenPrefix + incarnation + ":" + strconv.FormatUint(seq, 10)
}

// ParseSyncToken is the inverse of SyncToken. Any other string is a
// token this server never issued: 403 DAV:valid-sync-token.
func ParseSyncToken(tok string) (incarnation string, seq uint64, err error) {
	invalid := Precondition(403, CondValidSyncToken, "unknown sync token; start over with an empty token")
	rest, ok := strings.CutPrefix(tok, syncTokenPrefix)
	if !ok {
		return "", 0, invalid
	}
	// The sequence number is the part after the last colon: the
	// incarnation is opaque and may contain colons itself.
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return "", 0, invalid
	}
	inc, num := rest[:i], rest[i+1:]
	seq, perr := strconv.ParseUint(num, 10, 64)
	if perr != nil {
		return "", 0, invalid
	}
	return inc, seq, nil
}

// EachChild calls fn for every child element of the document's root, in
// order, with the decoder positioned after the child's start tag. fn must
// consume the child (d.DecodeElement or d.Skip). A malformed document is
// a 400; an error from fn is returned as it is.
func EachChild(body []byte, fn func(d *xml.Decoder, start xml.StartElement) error) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return BadRequest("malformed XML")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 1 {
				if err := fn(d, t); err != nil {
					return err
				}
				continue
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

// XMLError is a decoder failure met by EachChildOf, kept apart from the
// errors of its callback so callers can word it for their protocol.
type XMLError struct{ Err error }

func (e *XMLError) Error() string { return "malformed XML: " + e.Err.Error() }
func (e *XMLError) Unwrap() error { return e.Err }

// EachChildOf calls fn for each child element of the element whose start
// tag d has just read, and returns after that element's end tag. With a
// non-empty ns, children in other namespaces are skipped (RFC 4918 17:
// unknown elements are ignored). fn must consume the child whole; its
// errors are returned as they are, decoder errors as *XMLError.
func EachChildOf(d *xml.Decoder, ns string, fn func(xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return &XMLError{err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if ns != "" && t.Name.Space != ns {
				if err := d.Skip(); err != nil {
					return &XMLError{err}
				}
				continue
			}
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// Hrefs extracts the DAV:href children of the root (multiget bodies),
// each distinct href once in the order first named. More than
// MaxRequestHrefs distinct hrefs is a 413, malformed XML a 400.
func Hrefs(body []byte) ([]string, error) {
	var out []string
	seen := map[string]struct{}{}
	err := EachChild(body, func(d *xml.Decoder, t xml.StartElement) error {
		if t.Name != Name(NSDAV, "href") {
			if err := d.Skip(); err != nil {
				return BadRequest("malformed XML")
			}
			return nil
		}
		var s string
		if err := d.DecodeElement(&s, &t); err != nil {
			return BadRequest("malformed DAV:href")
		}
		s = strings.TrimSpace(s)
		if _, dup := seen[s]; dup {
			return nil
		}
		if len(out) == MaxRequestHrefs {
			return errTooManyHrefs
		}
		seen[s] = struct{}{}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
