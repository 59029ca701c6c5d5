package carddav

import (
	"encoding/xml"
	"slices"
	"strings"

	"almanac/carddav/filter"
	"almanac/internal/dav"
	"almanac/internal/davtree"
	"almanac/storage"
)

var (
	pDisplayName          = dav.Name(dav.NSDAV, "displayname")
	pAddressBookHomeSet   = dav.Name(dav.NSCardDAV, "addressbook-home-set")
	pSupportedAddressData = condSupportedAddressData
	pSupportedCollations  = dav.Name(dav.NSCardDAV, "supported-collation-set")
	pMaxResourceSize      = dav.Name(dav.NSCardDAV, "max-resource-size")
	pAddressData          = nameAddressData
)

// principalLive are the properties address books add to principals
// (RFC 6352 7.1.1).
var principalLive = []xml.Name{pAddressBookHomeSet}

// Live properties of an address book besides the ones every collection
// has, in allprop order (RFC 6352 6.2).
var addressBookLive = []xml.Name{pSupportedAddressData, pSupportedCollations, pMaxResourceSize}

// PrincipalProps is RFC 6352 7.1.1's addressbook-home-set.
func (a *AddressBooks) PrincipalProps(acc *storage.Account) []dav.Prop {
	return []dav.Prop{dav.HrefProp(pAddressBookHomeSet, davtree.HomeHref(a, acc.ID))}
}

// supportedAddressData lists the versions PUT accepts and REPORTs and GET
// convert between (RFC 6352 6.2.2).
const supportedAddressData = `<CR:address-data-type content-type="text/vcard" version="3.0"/>` +
	`<CR:address-data-type content-type="text/vcard" version="4.0"/>`

// CollectionProp serves an address book's properties of RFC 6352 6.2 and
// 8.3.1; the tree serves max-resource-size.
func (a *AddressBooks) CollectionProp(c *storage.Collection, n xml.Name) (dav.Prop, bool) {
	switch n {
	case pSupportedAddressData:
		return dav.XMLProp(n, supportedAddressData), true
	case pSupportedCollations:
		var sb strings.Builder
		for _, c := range filter.SupportedCollations {
			sb.WriteString("<CR:supported-collation>" + c + "</CR:supported-collation>")
		}
		return dav.XMLProp(n, sb.String()), true
	}
	return dav.Prop{}, false
}

// CheckProp accepts displayname, addressbook-description and dead
// properties, and refuses the computed ones.
func (a *AddressBooks) CheckProp(p *dav.RawXML, creating bool) (xml.Name, bool) {
	return xml.Name{}, !slices.Contains(addressBookLive, p.Name)
}

// Prepare has nothing to do: every settable property of an address book
// is stored as sent.
func (a *AddressBooks) Prepare(c *storage.Collection) {}

// ContentType is the getcontenttype of an address object.
func (a *AddressBooks) ContentType(m *storage.ObjectMeta) string {
	return "text/vcard; charset=utf-8"
}
