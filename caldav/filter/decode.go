package filter

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"

	"almanac/internal/dav"
)

// maxNesting bounds comp-filter nesting: iCalendar data nests at most 16
// components deep (internal/ical), so a deeper filter cannot match anything
// and only costs stack.
const maxNesting = 16

// Decode reads a CALDAV:filter element whose start element the caller has
// just read from d, up to and including its end element. Elements of other
// namespaces are skipped (RFC 4918 17: unknown elements are ignored);
// misplaced CalDAV elements, malformed time-ranges and what Validate
// refuses are ErrInvalidFilter, unknown collations ErrUnsupportedCollation,
// what the server cannot query *UnsupportedError, and XML that does not
// parse a *dav.XMLError (a malformed body, not a bad filter).
func Decode(d *xml.Decoder, start xml.StartElement) (*Filter, error) {
	if start.Name.Space != NS || start.Name.Local != "filter" {
		return nil, invalidf("expected CALDAV:filter, got %s", elemName(start.Name))
	}
	f := &Filter{}
	seen := false
	err := children(d, "filter", func(el xml.StartElement) error {
		if el.Name.Local != "comp-filter" {
			return invalidf("unexpected CALDAV:%s in filter", el.Name.Local)
		}
		if seen {
			return invalidf("filter has more than one comp-filter")
		}
		seen = true
		cf, err := decodeComp(d, el, 1)
		if err != nil {
			return err
		}
		f.Comp = *cf
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !seen {
		return nil, invalidf("filter has no comp-filter")
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

func elemName(n xml.Name) string {
	if n.Space == NS {
		return "CALDAV:" + n.Local
	}
	return fmt.Sprintf("{%s}%s", n.Space, n.Local)
}

// children calls fn for each child element in the CalDAV namespace of the
// element named parent, skipping other namespaces and character data, and
// consumes the parent's end element. fn must consume the child whole.
// XML that does not parse stays a *dav.XMLError: RFC 4918 8.2 makes a
// body that is not well-formed a 400, whatever element it breaks in.
func children(d *xml.Decoder, parent string, fn func(xml.StartElement) error) error {
	err := dav.EachChildOf(d, NS, fn)
	if xe := (*dav.XMLError)(nil); errors.As(err, &xe) {
		return fmt.Errorf("reading %s: %w", parent, err)
	}
	return err
}

// empty consumes an element that must have no CalDAV children
// (is-not-defined, time-range).
func empty(d *xml.Decoder, el xml.StartElement) error {
	return children(d, el.Name.Local, func(c xml.StartElement) error {
		return invalidf("unexpected CALDAV:%s in %s", c.Name.Local, el.Name.Local)
	})
}

func attr(el xml.StartElement, name string) (string, bool) {
	for _, a := range el.Attr {
		if a.Name.Local == name && (a.Name.Space == "" || a.Name.Space == NS) {
			return a.Value, true
		}
	}
	return "", false
}

func nameAttr(el xml.StartElement) (string, error) {
	name, _ := attr(el, "name")
	if strings.TrimSpace(name) == "" {
		return "", invalidf("%s has no name attribute", el.Name.Local)
	}
	return strings.ToUpper(strings.TrimSpace(name)), nil
}

func decodeComp(d *xml.Decoder, el xml.StartElement, depth int) (*CompFilter, error) {
	if depth > maxNesting {
		return nil, invalidf("comp-filters nest more than %d deep", maxNesting)
	}
	name, err := nameAttr(el)
	if err != nil {
		return nil, err
	}
	cf := &CompFilter{Name: name}
	err = children(d, "comp-filter", func(c xml.StartElement) error {
		switch c.Name.Local {
		case "is-not-defined":
			if cf.IsNotDefined {
				return invalidf("comp-filter %s has two is-not-defined", name)
			}
			cf.IsNotDefined = true
			return empty(d, c)
		case "time-range":
			if cf.TimeRange != nil {
				return invalidf("comp-filter %s has two time-range elements", name)
			}
			cf.TimeRange, err = decodeTimeRange(d, c)
			return err
		case "prop-filter":
			pf, err := decodeProp(d, c)
			if err != nil {
				return err
			}
			cf.Props = append(cf.Props, *pf)
			return nil
		case "comp-filter":
			sub, err := decodeComp(d, c, depth+1)
			if err != nil {
				return err
			}
			cf.Comps = append(cf.Comps, *sub)
			return nil
		}
		return invalidf("unexpected CALDAV:%s in comp-filter %s", c.Name.Local, name)
	})
	if err != nil {
		return nil, err
	}
	if cf.IsNotDefined && (cf.TimeRange != nil || len(cf.Props) > 0 || len(cf.Comps) > 0) {
		// RFC 4791 9.7.1: is-not-defined | (time-range?, prop-filter*, comp-filter*)
		return nil, invalidf("comp-filter %s combines is-not-defined with other tests", name)
	}
	return cf, nil
}

func decodeProp(d *xml.Decoder, el xml.StartElement) (*PropFilter, error) {
	name, err := nameAttr(el)
	if err != nil {
		return nil, err
	}
	pf := &PropFilter{Name: name}
	err = children(d, "prop-filter", func(c xml.StartElement) error {
		switch c.Name.Local {
		case "is-not-defined":
			if pf.IsNotDefined {
				return invalidf("prop-filter %s has two is-not-defined", name)
			}
			pf.IsNotDefined = true
			return empty(d, c)
		case "time-range":
			if pf.TimeRange != nil {
				return invalidf("prop-filter %s has two time-range elements", name)
			}
			pf.TimeRange, err = decodeTimeRange(d, c)
			return err
		case "text-match":
			if pf.TextMatch != nil {
				return invalidf("prop-filter %s has two text-match elements", name)
			}
			pf.TextMatch, err = decodeTextMatch(d, c)
			return err
		case "param-filter":
			pa, err := decodeParam(d, c)
			if err != nil {
				return err
			}
			pf.Params = append(pf.Params, *pa)
			return nil
		}
		return invalidf("unexpected CALDAV:%s in prop-filter %s", c.Name.Local, name)
	})
	if err != nil {
		return nil, err
	}
	if pf.IsNotDefined && (pf.TimeRange != nil || pf.TextMatch != nil || len(pf.Params) > 0) {
		return nil, invalidf("prop-filter %s combines is-not-defined with other tests", name)
	}
	return pf, nil
}

func decodeParam(d *xml.Decoder, el xml.StartElement) (*ParamFilter, error) {
	name, err := nameAttr(el)
	if err != nil {
		return nil, err
	}
	pa := &ParamFilter{Name: name}
	err = children(d, "param-filter", func(c xml.StartElement) error {
		switch c.Name.Local {
		case "is-not-defined":
			if pa.IsNotDefined {
				return invalidf("param-filter %s has two is-not-defined", name)
			}
			pa.IsNotDefined = true
			return empty(d, c)
		case "text-match":
			if pa.TextMatch != nil {
				return invalidf("param-filter %s has two text-match elements", name)
			}
			pa.TextMatch, err = decodeTextMatch(d, c)
			return err
		}
		return invalidf("unexpected CALDAV:%s in param-filter %s", c.Name.Local, name)
	})
	if err != nil {
		return nil, err
	}
	if pa.IsNotDefined && pa.TextMatch != nil {
		return nil, invalidf("param-filter %s combines is-not-defined with text-match", name)
	}
	return pa, nil
}

// decodeTextMatch keeps the element's text exactly, whitespace included:
// RFC 4791 9.7.5 defines no trimming and a search for " x" is legitimate.
func decodeTextMatch(d *xml.Decoder, el xml.StartElement) (*TextMatch, error) {
	tm := &TextMatch{Collation: CollationASCIICasemap}
	if c, ok := attr(el, "collation"); ok {
		if !supportedCollation(c) {
			return nil, fmt.Errorf("%w: %q", ErrUnsupportedCollation, c)
		}
		if c != "" && c != collationDefault {
			tm.Collation = c
		}
	}
	if n, ok := attr(el, "negate-condition"); ok {
		switch n {
		case "yes":
			tm.NegateCondition = true
		case "no":
		default:
			return nil, invalidf("negate-condition must be \"yes\" or \"no\", not %q", n)
		}
	}
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("reading text-match: %w", &dav.XMLError{Err: err})
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			if t.Name.Space == NS {
				return nil, invalidf("unexpected CALDAV:%s in text-match", t.Name.Local)
			}
			if err := d.Skip(); err != nil {
				return nil, fmt.Errorf("reading text-match: %w", &dav.XMLError{Err: err})
			}
		case xml.EndElement:
			tm.Value = text.String()
			return tm, nil
		}
	}
}

const utcLayout = "20060102T150405Z"

// decodeTimeRange reads start and end, which RFC 4791 9.9 requires to be
// "date with UTC time" values.
func decodeTimeRange(d *xml.Decoder, el xml.StartElement) (*TimeRange, error) {
	tr := &TimeRange{}
	for _, a := range []struct {
		name string
		dst  *time.Time
	}{{"start", &tr.Start}, {"end", &tr.End}} {
		v, ok := attr(el, a.name)
		if !ok {
			continue
		}
		t, err := parseUTC(v)
		if err != nil {
			return nil, invalidf("time-range %s %q is not a UTC date-time (YYYYMMDDTHHMMSSZ)", a.name, v)
		}
		*a.dst = t
	}
	if tr.Start.IsZero() && tr.End.IsZero() {
		return nil, invalidf("time-range needs a start or an end attribute")
	}
	if !tr.Start.IsZero() && !tr.End.IsZero() && !tr.End.After(tr.Start) {
		return nil, invalidf("time-range end must be after its start")
	}
	return tr, empty(d, el)
}

func parseUTC(v string) (time.Time, error) {
	// time.Parse accepts one-digit hours and similar; the value must be
	// exactly the RFC 5545 form.
	if len(v) != len(utcLayout) {
		return time.Time{}, fmt.Errorf("bad length")
	}
	for i := 0; i < len(v); i++ {
		want := utcLayout[i]
		if want == 'T' || want == 'Z' {
			if v[i] != want {
				return time.Time{}, fmt.Errorf("bad form")
			}
		} else if v[i] < '0' || v[i] > '9' {
			return time.Time{}, fmt.Errorf("bad digit")
		}
	}
	return time.Parse(utcLayout, v)
}
