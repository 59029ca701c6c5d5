package dav

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
)

// Limits on what one request may name. Every name a request lists can
// come back in the answer once per resource, so a list of names is an
// amplifier: 80,000 getetag elements in a 1 MiB PROPFIND once made a
// 25.8 GB answer. Lists are therefore deduplicated (a name is answered
// once however often it is asked for) and capped well above what any
// client sends.
const (
	// MaxRequestProps caps the distinct properties one prop list names
	// (PROPFIND prop or include, PROPPATCH, MKCOL and MKCALENDAR
	// set-props, the DAV:prop of a REPORT), and the distinct component
	// and property selections of one calendar-data or address-data
	// element. Apple's calendar-home listing, the longest real one, names
	// about fifty.
	MaxRequestProps = 256
	// MaxRequestPropBytes caps the total length of those names
	// (namespace plus local name): a Depth: 1 PROPFIND repeats each name
	// in every member's answer. Fifty typical names take 2-3 KB.
	MaxRequestPropBytes = 16 << 10
	// MaxRequestHrefs caps the distinct hrefs of one multiget.
	// DAVx5 asks for 10 at a time and Thunderbird for a few dozen, but
	// vdirsyncer asks for every changed member of a collection in one
	// request, so the cap is set where MaxXMLBody would end such a
	// request anyway (about 75 bytes an href). Each member is answered
	// once, however many hrefs name it, so an answer holds no more than
	// the collection.
	MaxRequestHrefs = 10000
)

// Conditions for requests that name more than the limits allow. RFC 4918
// has none, so they live in almanac's error namespace.
var (
	CondTooManyProps = Name(errorNS, "too-many-properties")
	CondTooManyHrefs = Name(errorNS, "too-many-hrefs")
)

// TooMany is the answer to a request that names more than limit things
// of a kind: 413 (RFC 9110 15.5.14: content larger than the server is
// willing to process) with cond and a message naming the limit, so that
// a client splits the request rather than retrying it.
func TooMany(cond xml.Name, limit int, what string) *Error {
	return Precondition(http.StatusRequestEntityTooLarge, cond,
		"the request names more than "+strconv.Itoa(limit)+" "+what+"; split it into smaller requests")
}

var (
	errTooManyProps = TooMany(CondTooManyProps, MaxRequestProps, "distinct properties")
	errPropBytes    = Precondition(http.StatusRequestEntityTooLarge, CondTooManyProps,
		"the property names of the request are longer than "+strconv.Itoa(MaxRequestPropBytes)+" bytes together; split it into smaller requests")
	errTooManyHrefs = TooMany(CondTooManyHrefs, MaxRequestHrefs, "distinct hrefs")
)

// PropNames collects the distinct property names of one request in the
// order they are first named. Add refuses more than MaxRequestProps
// names or MaxRequestPropBytes of them with a 413.
type PropNames struct {
	Names []xml.Name
	seen  map[xml.Name]struct{}
	size  int
}

// Add appends n unless it was named before.
func (p *PropNames) Add(n xml.Name) error {
	if _, dup := p.seen[n]; dup {
		return nil
	}
	if len(p.Names) == MaxRequestProps {
		return errTooManyProps
	}
	size := len(n.Space) + len(n.Local)
	if p.size+size > MaxRequestPropBytes {
		return errPropBytes
	}
	if p.seen == nil {
		p.seen = make(map[xml.Name]struct{})
	}
	p.seen[n] = struct{}{}
	p.Names = append(p.Names, n)
	p.size += size
	return nil
}

// Decode adds the names of the child elements of the element whose start
// tag d has just read (a DAV:prop or DAV:include), up to and including
// its end tag; the children's content is skipped. Malformed XML is a 400.
func (p *PropNames) Decode(d *xml.Decoder) error {
	err := EachChildOf(d, "", func(se xml.StartElement) error {
		if err := p.Add(se.Name); err != nil {
			return err
		}
		if err := d.Skip(); err != nil {
			return &XMLError{err}
		}
		return nil
	})
	var xe *XMLError
	if errors.As(err, &xe) {
		return BadRequest("malformed XML in DAV:prop")
	}
	return err
}
