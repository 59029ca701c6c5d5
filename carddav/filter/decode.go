package filter

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"almanac/internal/collation"
	"almanac/internal/contentline"
	"almanac/internal/dav"
)

// Decode reads a CARDDAV:filter element whose start element the caller has
// just read from d, up to and including its end element. Elements of other
// namespaces are skipped (RFC 4918 17: unknown elements are ignored);
// misplaced CardDAV elements and bad attribute values are
// ErrInvalidFilter, unknown collations ErrUnsupportedCollation, unknown
// match types an *UnsupportedError naming every prop-filter and
// param-filter concerned, and XML that does not parse a *dav.XMLError (a
// malformed body, not a bad filter).
func Decode(d *xml.Decoder, start xml.StartElement) (*Filter, error) {
	if start.Name.Space != NS || start.Name.Local != "filter" {
		return nil, invalidf("expected CARDDAV:filter, got %s", elemName(start.Name))
	}
	f := &Filter{}
	var err error
	if f.Test, err = testAttr(start, "filter"); err != nil {
		return nil, err
	}
	var unsupported *UnsupportedError
	err = children(d, "filter", nil, func(el xml.StartElement) error {
		if el.Name.Local != "prop-filter" {
			return invalidf("unexpected CARDDAV:%s in filter", el.Name.Local)
		}
		pf, err := decodeProp(d, el, &unsupported)
		if err != nil {
			return err
		}
		f.Props = append(f.Props, *pf)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if unsupported != nil {
		return nil, unsupported
	}
	return f, nil
}

// DecodeLimit reads a CARDDAV:limit element (RFC 6352 8.6, 10.6) whose
// start element the caller has just read, and returns its nresults.
func DecodeLimit(d *xml.Decoder, start xml.StartElement) (int, error) {
	limitErr := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidLimit, fmt.Sprintf(format, args...))
	}
	if start.Name.Space != NS || start.Name.Local != "limit" {
		return 0, limitErr("expected CARDDAV:limit, got %s", elemName(start.Name))
	}
	n, seen := 0, false
	err := children(d, "limit", limitErr, func(el xml.StartElement) error {
		if el.Name.Local != "nresults" {
			return limitErr("unexpected CARDDAV:%s in limit", el.Name.Local)
		}
		if seen {
			return limitErr("limit has more than one nresults")
		}
		seen = true
		text, err := readText(d, "nresults")
		if err != nil {
			return limitErr("%v", err)
		}
		v, err := strconv.ParseUint(strings.TrimSpace(text), 10, 31)
		if err != nil {
			return limitErr("nresults %q is not an unsigned integer", text)
		}
		n = int(v)
		return nil
	})
	if err != nil {
		return 0, err
	}
	if !seen {
		return 0, limitErr("limit has no nresults")
	}
	return n, nil
}

func elemName(n xml.Name) string {
	if n.Space == NS {
		return "CARDDAV:" + n.Local
	}
	return fmt.Sprintf("{%s}%s", n.Space, n.Local)
}

// children calls fn for each child element in the CardDAV namespace of the
// element named parent, skipping other namespaces and character data, and
// consumes the parent's end element. fn must consume the child whole.
// XML errors are reported with bad, or, when bad is nil, stay a
// *dav.XMLError: RFC 4918 8.2 makes a body that is not well-formed a 400,
// whatever element it breaks in.
func children(d *xml.Decoder, parent string, bad func(string, ...any) error, fn func(xml.StartElement) error) error {
	err := dav.EachChildOf(d, NS, fn)
	if xe := (*dav.XMLError)(nil); errors.As(err, &xe) {
		if bad == nil {
			return fmt.Errorf("reading %s: %w", parent, err)
		}
		return bad("reading %s: %v", parent, xe.Err)
	}
	return err
}

// errChild is readText's error for a CardDAV element inside text.
var errChild = errors.New("unexpected element")

// readText reads the character data of an element up to its end, skipping
// elements of other namespaces. A CardDAV child is errChild, XML that does
// not parse a *dav.XMLError.
func readText(d *xml.Decoder, name string) (string, error) {
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", name, &dav.XMLError{Err: err})
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			if t.Name.Space == NS {
				return "", fmt.Errorf("%w CARDDAV:%s in %s", errChild, t.Name.Local, name)
			}
			if err := d.Skip(); err != nil {
				return "", fmt.Errorf("reading %s: %w", name, &dav.XMLError{Err: err})
			}
		case xml.EndElement:
			return b.String(), nil
		}
	}
}

func attr(el xml.StartElement, name string) (string, bool) {
	for _, a := range el.Attr {
		if a.Name.Local == name && (a.Name.Space == "" || a.Name.Space == NS) {
			return a.Value, true
		}
	}
	return "", false
}

func testAttr(el xml.StartElement, where string) (string, error) {
	v, ok := attr(el, "test")
	if !ok {
		return TestAnyOf, nil
	}
	if v != TestAnyOf && v != TestAllOf {
		return "", invalidf("%s: test must be \"anyof\" or \"allof\", not %q", where, v)
	}
	return v, nil
}

// isNotDefined consumes an is-not-defined element, which must be empty.
func isNotDefined(d *xml.Decoder) error {
	return children(d, "is-not-defined", nil, func(c xml.StartElement) error {
		return invalidf("unexpected CARDDAV:%s in is-not-defined", c.Name.Local)
	})
}

// decodeProp reads a prop-filter. Text-matches the server cannot evaluate
// are recorded in unsupported and left out, so that decoding goes on and
// every such element can be named.
func decodeProp(d *xml.Decoder, el xml.StartElement, unsupported **UnsupportedError) (*PropFilter, error) {
	name, _ := attr(el, "name")
	name = strings.ToUpper(strings.TrimSpace(name))
	if name == "" {
		return nil, invalidf("prop-filter has no name attribute")
	}
	if !validPropName(name) {
		return nil, invalidf("prop-filter name %q is not a vCard property name", name)
	}
	pf := &PropFilter{Name: name}
	var err error
	if pf.Test, err = testAttr(el, "prop-filter "+name); err != nil {
		return nil, err
	}
	tested := false // a text-match or param-filter, kept or not
	err = children(d, "prop-filter", nil, func(c xml.StartElement) error {
		switch c.Name.Local {
		case "is-not-defined":
			if pf.IsNotDefined {
				return invalidf("prop-filter %s has two is-not-defined", name)
			}
			pf.IsNotDefined = true
			return isNotDefined(d)
		case "text-match":
			tested = true
			tm, err := decodeTextMatch(d, c)
			if errors.Is(err, ErrUnsupportedFilter) {
				*unsupported = (*unsupported).add(Unsupported{"prop-filter", name}, err.Error())
				return nil
			}
			if err != nil {
				return err
			}
			pf.TextMatches = append(pf.TextMatches, *tm)
			return nil
		case "param-filter":
			tested = true
			pa, err := decodeParam(d, c, unsupported)
			if err != nil {
				return err
			}
			pf.Params = append(pf.Params, *pa)
			return nil
		}
		return invalidf("unexpected CARDDAV:%s in prop-filter %s", c.Name.Local, name)
	})
	if err != nil {
		return nil, err
	}
	if pf.IsNotDefined && tested {
		// RFC 6352 10.5.1: is-not-defined | (text-match*, param-filter*)
		return nil, invalidf("prop-filter %s combines is-not-defined with other tests", name)
	}
	return pf, nil
}

func decodeParam(d *xml.Decoder, el xml.StartElement, unsupported **UnsupportedError) (*ParamFilter, error) {
	name, _ := attr(el, "name")
	name = strings.ToUpper(strings.TrimSpace(name))
	if name == "" {
		return nil, invalidf("param-filter has no name attribute")
	}
	if !contentline.ValidName(name) {
		return nil, invalidf("param-filter name %q is not a vCard parameter name", name)
	}
	pa := &ParamFilter{Name: name}
	tested := false
	err := children(d, "param-filter", nil, func(c xml.StartElement) error {
		// RFC 6352 10.5.2: (is-not-defined | text-match)?
		if tested {
			return invalidf("param-filter %s has more than one test", name)
		}
		tested = true
		switch c.Name.Local {
		case "is-not-defined":
			pa.IsNotDefined = true
			return isNotDefined(d)
		case "text-match":
			tm, err := decodeTextMatch(d, c)
			if errors.Is(err, ErrUnsupportedFilter) {
				*unsupported = (*unsupported).add(Unsupported{"param-filter", name}, err.Error())
				return nil
			}
			pa.TextMatch = tm
			return err
		}
		return invalidf("unexpected CARDDAV:%s in param-filter %s", c.Name.Local, name)
	})
	if err != nil {
		return nil, err
	}
	return pa, nil
}

// decodeTextMatch keeps the element's text exactly, whitespace included:
// RFC 6352 10.5.4 defines no trimming and a search for " x" is legitimate.
// An unknown match-type is ErrUnsupportedFilter, returned after the
// element has been read.
func decodeTextMatch(d *xml.Decoder, el xml.StartElement) (*TextMatch, error) {
	tm := &TextMatch{Collation: DefaultCollation, MatchType: MatchContains}
	if c, ok := attr(el, "collation"); ok && c != "" && c != collationDefault {
		if !collation.Supported(c) {
			return nil, fmt.Errorf("%w: %q", ErrUnsupportedCollation, c)
		}
		tm.Collation = c
	}
	var badMatchType error
	if mt, ok := attr(el, "match-type"); ok {
		if collation.SupportedMatchType(mt) {
			tm.MatchType = mt
		} else {
			badMatchType = fmt.Errorf("%w: match-type %q", ErrUnsupportedFilter, mt)
		}
	}
	if n, ok := attr(el, "negate-condition"); ok {
		switch n {
		case "yes":
			tm.Negate = true
		case "no":
		default:
			return nil, invalidf("negate-condition must be \"yes\" or \"no\", not %q", n)
		}
	}
	v, err := readText(d, "text-match")
	if errors.Is(err, errChild) {
		return nil, invalidf("%v", err)
	}
	if err != nil {
		return nil, err
	}
	if badMatchType != nil {
		return nil, badMatchType
	}
	tm.Value = v
	return tm, nil
}
