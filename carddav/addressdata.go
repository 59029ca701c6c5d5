package carddav

import (
	"encoding/xml"
	"errors"
	"mime"
	"net/http"
	"strings"

	"almanac/internal/dav"
	"almanac/internal/vcard"
)

var (
	nameAddressData          = dav.Name(dav.NSCardDAV, "address-data")
	condSupportedAddressData = dav.Name(dav.NSCardDAV, "supported-address-data")
	// condAddressDataConversion is GET's precondition (RFC 6352 5.1.1.1).
	condAddressDataConversion = dav.Name(dav.NSCardDAV, "supported-address-data-conversion")
)

// AddressDataRequest is the CARDDAV:address-data element of a REPORT's
// DAV:prop (RFC 6352 10.4): which vCard version to return each address
// object in, and which of its properties. A nil request asks for the
// stored bytes.
type AddressDataRequest struct {
	// Version is "3.0" or "4.0" to convert every card to that version, or
	// "" for the version each card is stored in.
	Version string
	// Props is nil for every property (no CARDDAV:prop, or
	// CARDDAV:allprop); otherwise only these are returned, plus VERSION.
	Props []PropSelect
}

// PropSelect is a CARDDAV:prop element (RFC 6352 10.4.2).
type PropSelect struct {
	Name    string // upper case, no group
	NoValue bool   // novalue="yes": the property is returned with an empty value
}

// ParseAddressDataRequest finds CARDDAV:address-data in the DAV:prop of an
// addressbook-query, addressbook-multiget or sync-collection REPORT body
// and parses it with DecodeAddressData; only the first one counts. It
// returns nil, nil when the body asks for no address-data.
//
// Every error is a *dav.Error: malformed XML is 400, and so are the
// element's own errors (see DecodeAddressData).
func ParseAddressDataRequest(body []byte) (*AddressDataRequest, error) {
	var ad *AddressDataRequest
	err := dav.EachChild(body, func(d *xml.Decoder, se xml.StartElement) error {
		if se.Name != dav.Name(dav.NSDAV, "prop") {
			return d.Skip()
		}
		return dav.EachChildOf(d, "", func(se xml.StartElement) error {
			if se.Name != nameAddressData || ad != nil {
				return d.Skip()
			}
			var err error
			ad, err = DecodeAddressData(d, se)
			return err
		})
	})
	if err != nil {
		return nil, xmlError(err)
	}
	return ad, nil
}

// DecodeAddressData parses the address-data element whose start tag se d
// has just read, up to and including its end tag.
//
// The content-type attribute must name text/vcard (compared without case
// or parameters) and version, when given, must be 3.0 or 4.0: anything
// else is 403 CARDDAV:supported-address-data (RFC 6352 8.6, 8.7
// preconditions), as the collection advertises only those. The DTD's
// default version is 3.0; an absent version is taken as the stored one
// instead, so that a client that omits it gets the bytes it PUT rather
// than a lossy conversion.
//
// Children: CARDDAV:allprop or any number of CARDDAV:prop name="X"
// novalue="yes|no"; with neither, the whole card is returned (10.4). A
// prop without a valid vCard property name, a novalue other than yes or
// no, and allprop together with prop are 400. A group prefix on a name
// (item1.EMAIL) is dropped, since selection is by property name. Unknown
// elements are skipped (RFC 4918 17).
func DecodeAddressData(d *xml.Decoder, se xml.StartElement) (*AddressDataRequest, error) {
	if ct, ok := attr(se, "content-type"); ok {
		mt, _, _ := strings.Cut(ct, ";")
		if !strings.EqualFold(strings.TrimSpace(mt), "text/vcard") {
			return nil, unsupportedAddressData()
		}
	}
	ver, _ := attr(se, "version")
	ver = strings.TrimSpace(ver)
	if ver != "" && ver != vcard.Version3 && ver != vcard.Version4 {
		return nil, unsupportedAddressData()
	}
	ad := &AddressDataRequest{Version: ver}
	allProp := false
	err := dav.EachChildOf(d, dav.NSCardDAV, func(c xml.StartElement) error {
		switch c.Name.Local {
		case "allprop":
			allProp = true
		case "prop":
			ps, err := decodePropSelect(c)
			if err != nil {
				return err
			}
			if _, dup := ad.prop(ps.Name); !dup {
				if len(ad.Props) == dav.MaxRequestProps {
					// Every card rendered looks each property up here.
					return dav.TooMany(dav.CondTooManyProps, dav.MaxRequestProps, "address-data prop selections")
				}
				ad.Props = append(ad.Props, ps)
			}
		}
		return d.Skip()
	})
	if err != nil {
		return nil, xmlError(err)
	}
	if allProp && ad.Props != nil {
		return nil, dav.BadRequest("address-data takes allprop or prop elements, not both")
	}
	return ad, nil
}

func decodePropSelect(se xml.StartElement) (PropSelect, error) {
	name, _ := attr(se, "name")
	name = strings.TrimSpace(name)
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	if !propName(name) {
		return PropSelect{}, dav.BadRequest("address-data prop needs the name of a vCard property")
	}
	ps := PropSelect{Name: strings.ToUpper(name)}
	switch nv, _ := attr(se, "novalue"); nv {
	case "", "no":
	case "yes":
		ps.NoValue = true
	default:
		return PropSelect{}, dav.BadRequest("address-data prop novalue must be yes or no")
	}
	return ps, nil
}

// propName reports whether s is a vCard property name (RFC 6350 3.3:
// ALPHA, DIGIT and "-"; "_" too, which internal/vcard accepts leniently).
func propName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

func unsupportedAddressData() error {
	return dav.Precondition(http.StatusForbidden, condSupportedAddressData,
		"address-data is only available as text/vcard version 3.0 or 4.0")
}

// xmlError passes *dav.Error through and turns everything else, which can
// only be the decoder's complaint (raw from d.Skip or as *dav.XMLError),
// into a 400.
func xmlError(err error) error {
	var de *dav.Error
	if errors.As(err, &de) {
		return err
	}
	return dav.BadRequest("malformed XML")
}

func attr(se xml.StartElement, name string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (a *AddressDataRequest) prop(name string) (PropSelect, bool) {
	for _, p := range a.Props {
		if p.Name == name {
			return p, true
		}
	}
	return PropSelect{}, false
}

// Plain reports whether the request asks for the stored bytes unchanged:
// nil, or no version and no property selection. A Version equal to a
// card's own is no change either, which only Render can tell per card.
func (a *AddressDataRequest) Plain() bool {
	return a == nil || a.Version == "" && a.Props == nil
}

// Render returns the stored vCard data as the request asks. When nothing
// changes — Plain, or only a Version the card already has — it returns
// data itself, so that the client reads back exactly the bytes it stored.
// Otherwise the card is converted to Version (vcard.ConvertCard) and then
// cut down to the selected properties in their stored order, groups
// ignored; VERSION is always kept, value and all, as a card without it is
// no vCard. A NoValue property keeps its group and parameters and loses
// its value.
//
// An error means the stored data does not parse or convert. The caller
// should then serve the stored bytes rather than fail the REPORT: Render
// never returns part of a rendering.
func (a *AddressDataRequest) Render(data []byte) ([]byte, error) {
	if a.Plain() {
		return data, nil
	}
	card, err := vcard.Parse(data)
	if err != nil {
		return nil, err
	}
	converted := a.Version != "" && a.Version != card.Version()
	if converted {
		if card, err = vcard.ConvertCard(card, a.Version); err != nil {
			return nil, err
		}
	}
	if a.Props == nil {
		if !converted {
			return data, nil
		}
		return card.Encode(), nil
	}
	kept := card.Props[:0]
	for _, p := range card.Props {
		if p.Name != "VERSION" {
			sel, ok := a.prop(p.Name)
			if !ok {
				continue
			}
			if sel.NoValue {
				p.Value, p.Raw = "", ""
			}
		}
		kept = append(kept, p)
	}
	card.Props = kept
	return card.Encode(), nil
}

// NegotiateVersion reads a GET request's Accept header (several header
// lines joined with ",") and returns the vCard version the client wants
// (RFC 9110 12.5.1; the text/vcard version parameter is RFC 6350 10.1, and
// RFC 6352 6.3.2.1 lets a collection hold 3.0 and 4.0).
//
// Each version gets the q of the most specific media range that matches
// it: text/vcard;version=V (text/x-vcard counts as version 3.0), then
// text/vcard without a version, text/*, */*. The version with the higher
// q wins. Equal q for both — no Accept, */*, text/*, a bare text/vcard at
// the highest q, or both versions listed alike — returns "": any version
// is fine, and the stored one needs no conversion (the list's order
// carries no preference in RFC 9110). ok is false when neither version is
// acceptable (q=0 or no matching range), which the caller answers with
// 406.
//
// Unparseable ranges are ignored; a header with none left is taken as no
// Accept at all.
func NegotiateVersion(accept string) (version string, ok bool) {
	v3, v4 := rangeMatch{spec: -1}, rangeMatch{spec: -1}
	parsed := false
	for r := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(r)
		if err != nil || !strings.Contains(mt, "/") {
			continue
		}
		q := 1000
		if s, ok := params["q"]; ok {
			if q, ok = parseQ(s); !ok {
				continue
			}
		}
		parsed = true
		switch mt {
		case "*/*":
			v3.offer(0, q)
			v4.offer(0, q)
		case "text/*":
			v3.offer(1, q)
			v4.offer(1, q)
		case "text/x-vcard":
			v3.offer(3, q)
		case "text/vcard":
			switch params["version"] {
			case "":
				v3.offer(2, q)
				v4.offer(2, q)
			case vcard.Version3:
				v3.offer(3, q)
			case vcard.Version4:
				v4.offer(3, q)
			}
		}
	}
	switch {
	case !parsed || v3.q == v4.q && v3.q > 0:
		return "", true
	case v3.q > v4.q:
		return vcard.Version3, true
	case v4.q > v3.q:
		return vcard.Version4, true
	}
	return "", false
}

// rangeMatch is the media range that decides one version's q: the most
// specific one matching it, the highest q among equally specific ones.
type rangeMatch struct {
	spec int // 0 */*, 1 text/*, 2 text/vcard, 3 with the version; -1 none yet
	q    int // thousandths
}

func (m *rangeMatch) offer(spec, q int) {
	if spec > m.spec || spec == m.spec && q > m.q {
		*m = rangeMatch{spec, q}
	}
}

// parseQ reads an RFC 9110 12.4.2 qvalue, "0" to "1" with at most three
// decimals, in thousandths.
func parseQ(s string) (int, bool) {
	if s == "" || len(s) > 5 || s[0] != '0' && s[0] != '1' {
		return 0, false
	}
	q := int(s[0]-'0') * 1000
	if len(s) > 1 && s[1] != '.' {
		return 0, false
	}
	for i, scale := 2, 100; i < len(s); i, scale = i+1, scale/10 {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		q += int(s[i]-'0') * scale
	}
	return q, q <= 1000
}
