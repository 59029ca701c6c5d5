package caldav

import (
	"encoding/xml"
	"slices"
	"strconv"
	"strings"

	"almanac/caldav/filter"
	"almanac/internal/dav"
	"almanac/internal/davtree"
	aical "almanac/internal/ical"
	"almanac/storage"
)

var (
	pDisplayName      = dav.Name(dav.NSDAV, "displayname")
	pCalendarHomeSet  = dav.Name(dav.NSCalDAV, "calendar-home-set")
	pCalendarUserAddr = dav.Name(dav.NSCalDAV, "calendar-user-address-set")
	pCalendarUserType = dav.Name(dav.NSCalDAV, "calendar-user-type")
	pCalendarTimezone = dav.Name(dav.NSCalDAV, "calendar-timezone")
	pSupportedComps   = dav.Name(dav.NSCalDAV, "supported-calendar-component-set")
	pSupportedData    = dav.Name(dav.NSCalDAV, "supported-calendar-data")
	pMaxResourceSize  = dav.Name(dav.NSCalDAV, "max-resource-size")
	pCollations       = dav.Name(dav.NSCalDAV, "supported-collation-set")
	pCalendarData     = dav.Name(dav.NSCalDAV, "calendar-data")
	pEmailAddressSet  = dav.Name(dav.NSCalendarServer, "email-address-set")
	pCalendarOrder    = dav.Name(dav.NSAppleICal, "calendar-order")
)

var (
	condValidData     = dav.Name(dav.NSCalDAV, "valid-calendar-data")
	condSupportedData = dav.Name(dav.NSCalDAV, "supported-calendar-data")
	condSupportedComp = dav.Name(dav.NSCalDAV, "supported-calendar-component")
)

// principalLive are the properties calendars add to principals.
var principalLive = []xml.Name{
	pCalendarHomeSet, pCalendarUserAddr, pCalendarUserType, pEmailAddressSet,
}

// Live properties of a calendar besides the ones every collection has,
// in allprop order.
var calendarLive = []xml.Name{
	pSupportedComps, pSupportedData, pCollations, pMaxResourceSize, pMinDateTime, pMaxDateTime, pMaxInstances,
}

// allComponents are the component types a calendar may hold (RFC 4791
// 5.2.3); a calendar created without a component set accepts them all.
var allComponents = []string{"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"}

// PrincipalProps are RFC 4791 6.2's calendar-home-set and
// calendar-user-address-set, and the CalendarServer email set Apple
// clients read.
func (h *Calendars) PrincipalProps(acc *storage.Account) []dav.Prop {
	return []dav.Prop{
		dav.HrefProp(pCalendarHomeSet, davtree.HomeHref(h, acc.ID)),
		dav.HrefProp(pCalendarUserAddr, "mailto:"+acc.Login, davtree.PrincipalHref(acc.ID)),
		dav.TextProp(pCalendarUserType, "INDIVIDUAL"),
		dav.XMLProp(pEmailAddressSet, "<CS:email-address>"+dav.EscapeText(acc.Login)+"</CS:email-address>"),
	}
}

// CollectionProp serves a calendar's properties of RFC 4791 5.2, and
// 7.5.1's supported-collation-set, which every resource that answers
// calendar-query's text matches must carry.
func (h *Calendars) CollectionProp(c *storage.Collection, n xml.Name) (dav.Prop, bool) {
	switch n {
	case pSupportedComps:
		var sb strings.Builder
		for _, comp := range componentsOf(c) {
			sb.WriteString(`<C:comp name="` + comp + `"/>`)
		}
		return dav.XMLProp(n, sb.String()), true
	case pSupportedData:
		return dav.XMLProp(n, `<C:calendar-data content-type="text/calendar" version="2.0"/>`), true
	case pCollations:
		var sb strings.Builder
		for _, c := range filter.SupportedCollations {
			sb.WriteString("<C:supported-collation>" + c + "</C:supported-collation>")
		}
		return dav.XMLProp(n, sb.String()), true
	case pMinDateTime:
		return dav.TextProp(n, minDateTime), true
	case pMaxDateTime:
		return dav.TextProp(n, maxDateTime), true
	case pMaxInstances:
		return dav.TextProp(n, strconv.Itoa(h.maxInstances)), true
	case pScheduleTransp:
		if v, ok := c.Props[dav.Clark(n)]; ok {
			return dav.StoredProp(n, v), true
		}
		return dav.XMLProp(n, "<C:opaque/>"), true
	}
	return dav.Prop{}, false
}

func componentsOf(c *storage.Collection) []string {
	if len(c.Components) == 0 {
		return allComponents
	}
	return c.Components
}

// CheckProp checks the values of the calendar properties clients write:
// calendar-order is an integer, calendar-timezone one VTIMEZONE (else
// CALDAV:valid-calendar-data), and supported-calendar-component-set,
// settable only at creation, names known components (else
// CALDAV:supported-calendar-component).
func (h *Calendars) CheckProp(p *dav.RawXML, creating bool) (xml.Name, bool) {
	switch p.Name {
	case pCalendarOrder:
		_, err := strconv.Atoi(strings.TrimSpace(p.Text()))
		return xml.Name{}, err == nil
	case pCalendarTimezone:
		return condValidData, aical.ValidateTimezone([]byte(p.Text())) == nil
	case pScheduleTransp:
		// One of RFC 6638 9.1's two values, which free-busy reads.
		return xml.Name{}, validTransp(p)
	case pSupportedComps:
		if !creating {
			return xml.Name{}, false
		}
		_, ok := parseComps(p)
		return condSupportedComp, ok
	}
	if slices.Contains(calendarLive, p.Name) {
		return xml.Name{}, false
	}
	return xml.Name{}, true
}

// Prepare moves a component set given at creation into Components.
func (h *Calendars) Prepare(c *storage.Collection) {
	key := dav.Clark(pSupportedComps)
	if v, ok := c.Props[key]; ok {
		raw := dav.ParseStored(pSupportedComps, v)
		c.Components, _ = parseComps(&raw)
		delete(c.Props, key)
	}
}

// validTransp: exactly one CALDAV:opaque or CALDAV:transparent.
func validTransp(v *dav.RawXML) bool {
	n, ok := 0, true
	dav.EachChild([]byte("<x>"+v.Inner+"</x>"), func(d *xml.Decoder, se xml.StartElement) error {
		n++
		ok = ok && se.Name.Space == dav.NSCalDAV && (se.Name.Local == "opaque" || se.Name.Local == "transparent")
		return d.Skip()
	})
	return ok && n == 1
}

func parseComps(v *dav.RawXML) ([]string, bool) {
	var comps []string
	ok := true
	dav.EachChild([]byte("<x>"+v.Inner+"</x>"), func(d *xml.Decoder, se xml.StartElement) error {
		if se.Name != dav.Name(dav.NSCalDAV, "comp") {
			return d.Skip()
		}
		for _, a := range se.Attr {
			if a.Name.Local != "name" {
				continue
			}
			c := strings.ToUpper(a.Value)
			if !slices.Contains(allComponents, c) {
				ok = false
			} else if !slices.Contains(comps, c) {
				comps = append(comps, c)
			}
		}
		return d.Skip()
	})
	return comps, ok && len(comps) > 0
}

// ContentType is the getcontenttype of a calendar object, with the
// component parameter (RFC 4791 4.1).
func (h *Calendars) ContentType(m *storage.ObjectMeta) string {
	ct := m.ContentType
	if ct == "" {
		ct = "text/calendar"
	}
	ct += "; charset=utf-8"
	if m.Component != "" {
		ct += "; component=" + strings.ToLower(m.Component)
	}
	return ct
}
