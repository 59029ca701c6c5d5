package caldav

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"almanac/internal/dav"
	"almanac/storage"
)

var (
	pResourceType     = dav.Name(dav.NSDAV, "resourcetype")
	pDisplayName      = dav.Name(dav.NSDAV, "displayname")
	pCurrentUser      = dav.Name(dav.NSDAV, "current-user-principal")
	pPrincipalURL     = dav.Name(dav.NSDAV, "principal-URL")
	pOwner            = dav.Name(dav.NSDAV, "owner")
	pPrivileges       = dav.Name(dav.NSDAV, "current-user-privilege-set")
	pSupportedReports = dav.Name(dav.NSDAV, "supported-report-set")
	pSyncToken        = dav.Name(dav.NSDAV, "sync-token")
	pGetETag          = dav.Name(dav.NSDAV, "getetag")
	pGetContentType   = dav.Name(dav.NSDAV, "getcontenttype")
	pGetContentLength = dav.Name(dav.NSDAV, "getcontentlength")
	pGetLastModified  = dav.Name(dav.NSDAV, "getlastmodified")
	pCalendarHomeSet  = dav.Name(dav.NSCalDAV, "calendar-home-set")
	pCalendarUserAddr = dav.Name(dav.NSCalDAV, "calendar-user-address-set")
	pCalendarUserType = dav.Name(dav.NSCalDAV, "calendar-user-type")
	pCalendarDesc     = dav.Name(dav.NSCalDAV, "calendar-description")
	pCalendarTimezone = dav.Name(dav.NSCalDAV, "calendar-timezone")
	pSupportedComps   = dav.Name(dav.NSCalDAV, "supported-calendar-component-set")
	pSupportedData    = dav.Name(dav.NSCalDAV, "supported-calendar-data")
	pMaxResourceSize  = dav.Name(dav.NSCalDAV, "max-resource-size")
	pCalendarData     = dav.Name(dav.NSCalDAV, "calendar-data")
	pGetCTag          = dav.Name(dav.NSCalendarServer, "getctag")
	pEmailAddressSet  = dav.Name(dav.NSCalendarServer, "email-address-set")
	pCalendarColor    = dav.Name(dav.NSAppleICal, "calendar-color")
	pCalendarOrder    = dav.Name(dav.NSAppleICal, "calendar-order")
	pPrincipalCollSet = dav.Name(dav.NSDAV, "principal-collection-set")
)

// principalLive are the computed properties of principals and homes.
var principalLive = []xml.Name{
	pPrincipalURL, pCurrentUser, pPrincipalCollSet, pCalendarHomeSet, pCalendarUserAddr,
	pCalendarUserType, pEmailAddressSet, pCalendarData,
}

// allComponents are the component types a calendar may hold (RFC 4791
// 5.2.3); a calendar created without a component set accepts them all.
var allComponents = []string{"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"}

// The owner of every resource here is the authenticated user; once
// sharing exists this set depends on the grant.
const ownerPrivileges = "<D:privilege><D:read/></D:privilege><D:privilege><D:write/></D:privilege>" +
	"<D:privilege><D:write-properties/></D:privilege><D:privilege><D:write-content/></D:privilege>" +
	"<D:privilege><D:bind/></D:privilege><D:privilege><D:unbind/></D:privilege>" +
	"<D:privilege><D:read-current-user-privilege-set/></D:privilege><D:privilege><C:read-free-busy/></D:privilege>"

const calendarReports = "<D:supported-report><D:report><C:calendar-multiget/></D:report></D:supported-report>" +
	"<D:supported-report><D:report><C:calendar-query/></D:report></D:supported-report>" +
	"<D:supported-report><D:report><D:sync-collection/></D:report></D:supported-report>" +
	"<D:supported-report><D:report><C:free-busy-query/></D:report></D:supported-report>"

// plainSource serves the simple collections (root, principals, homes).
type plainSource struct {
	props []dav.Prop
}

func (s *plainSource) PropNames(bool) []xml.Name {
	names := make([]xml.Name, len(s.props))
	for i, p := range s.props {
		names[i] = p.Name
	}
	return names
}

func (s *plainSource) Prop(n xml.Name) (dav.Prop, bool, error) {
	for _, p := range s.props {
		if p.Name == n {
			return p, true, nil
		}
	}
	return dav.Prop{}, false, nil
}

func (h *Handler) plainProps(t *target) []dav.Prop {
	acc := t.account
	common := []dav.Prop{
		dav.HrefProp(pCurrentUser, principalHref(acc.ID)),
		dav.XMLProp(pPrivileges, ownerPrivileges),
	}
	switch t.kind {
	case kPrincipal:
		name := acc.DisplayName
		if name == "" {
			name = acc.Login
		}
		return append(common,
			dav.XMLProp(pResourceType, "<D:principal/>"),
			dav.TextProp(pDisplayName, name),
			dav.HrefProp(pPrincipalURL, principalHref(acc.ID)),
			dav.HrefProp(pPrincipalCollSet, Prefix+"principals/"),
			dav.HrefProp(pOwner, principalHref(acc.ID)),
			dav.HrefProp(pCalendarHomeSet, homeHref(acc.ID)),
			dav.HrefProp(pCalendarUserAddr, "mailto:"+acc.Login, principalHref(acc.ID)),
			dav.TextProp(pCalendarUserType, "INDIVIDUAL"),
			dav.XMLProp(pEmailAddressSet, "<CS:email-address>"+dav.EscapeText(acc.Login)+"</CS:email-address>"),
			dav.XMLProp(pSupportedReports, ""),
		)
	case kHome:
		return append(common,
			dav.XMLProp(pResourceType, "<D:collection/>"),
			dav.HrefProp(pOwner, principalHref(acc.ID)),
			dav.XMLProp(pSupportedReports, ""),
		)
	default:
		return append(common, dav.XMLProp(pResourceType, "<D:collection/>"))
	}
}

// calendarSource serves a calendar collection's properties.
type calendarSource struct {
	h    *Handler
	acc  *storage.Account
	coll *storage.Collection
}

// Live properties of a calendar, in allprop order.
var calendarLive = []xml.Name{
	pResourceType, pOwner, pCurrentUser, pPrivileges, pSupportedReports,
	pGetCTag, pSyncToken, pSupportedComps, pSupportedData, pMaxResourceSize,
	pMinDateTime, pMaxDateTime, pMaxInstances,
}

func (s *calendarSource) PropNames(bool) []xml.Name {
	names := append([]xml.Name(nil), calendarLive...)
	for k := range s.coll.Props {
		if n, ok := dav.ParseClark(k); ok {
			names = append(names, n)
		}
	}
	return names
}

func (s *calendarSource) Prop(n xml.Name) (dav.Prop, bool, error) {
	c := s.coll
	switch n {
	case pResourceType:
		return dav.XMLProp(n, "<D:collection/><C:calendar/>"), true, nil
	case pOwner:
		return dav.HrefProp(n, principalHref(c.Owner)), true, nil
	case pCurrentUser:
		return dav.HrefProp(n, principalHref(s.acc.ID)), true, nil
	case pPrivileges:
		return dav.XMLProp(n, ownerPrivileges), true, nil
	case pSupportedReports:
		return dav.XMLProp(n, calendarReports), true, nil
	case pGetCTag:
		return dav.TextProp(n, ctag(c)), true, nil
	case pSyncToken:
		return dav.TextProp(n, dav.SyncToken(c.Incarnation, c.Seq)), true, nil
	case pSupportedComps:
		var sb strings.Builder
		for _, comp := range componentsOf(c) {
			sb.WriteString(`<C:comp name="` + comp + `"/>`)
		}
		return dav.XMLProp(n, sb.String()), true, nil
	case pSupportedData:
		return dav.XMLProp(n, `<C:calendar-data content-type="text/calendar" version="2.0"/>`), true, nil
	case pMaxResourceSize:
		return dav.TextProp(n, strconv.FormatInt(s.h.maxSize, 10)), true, nil
	case pMinDateTime:
		return dav.TextProp(n, minDateTime), true, nil
	case pMaxDateTime:
		return dav.TextProp(n, maxDateTime), true, nil
	case pMaxInstances:
		return dav.TextProp(n, strconv.Itoa(s.h.maxInstances)), true, nil
	}
	if v, ok := c.Props[dav.Clark(n)]; ok {
		return dav.XMLProp(n, v), true, nil
	}
	return dav.Prop{}, false, nil
}

// ctag is the CalendarServer getctag: same counter as the sync token.
func ctag(c *storage.Collection) string {
	return `"` + c.Incarnation + "-" + strconv.FormatUint(c.Seq, 10) + `"`
}

func componentsOf(c *storage.Collection) []string {
	if len(c.Components) == 0 {
		return allComponents
	}
	return c.Components
}

// objectSource serves a calendar object's properties from its metadata.
// data is loaded only when calendar-data is asked for (REPORTs), and
// rendered as cd asks (nil: as stored).
type objectSource struct {
	acc  *storage.Account
	meta *storage.ObjectMeta
	data []byte // nil unless loaded
	cd   *CalendarDataRequest
}

var objectLive = []xml.Name{pGetETag, pGetContentType, pGetContentLength, pGetLastModified, pResourceType, pOwner, pPrivileges}

func (s *objectSource) PropNames(allprop bool) []xml.Name {
	if allprop || s.data == nil {
		return objectLive
	}
	return append(objectLive[:len(objectLive):len(objectLive)], pCalendarData)
}

func (s *objectSource) Prop(n xml.Name) (dav.Prop, bool, error) {
	m := s.meta
	switch n {
	case pGetETag:
		return dav.TextProp(n, m.ETag), true, nil
	case pGetContentType:
		return dav.TextProp(n, contentType(m)), true, nil
	case pGetContentLength:
		return dav.TextProp(n, strconv.FormatInt(m.Size, 10)), true, nil
	case pGetLastModified:
		return dav.TextProp(n, m.Modified.UTC().Format(http.TimeFormat)), true, nil
	case pResourceType:
		return dav.Prop{Name: n}, true, nil
	case pOwner:
		return dav.HrefProp(n, principalHref(s.acc.ID)), true, nil
	case pPrivileges:
		return dav.XMLProp(n, ownerPrivileges), true, nil
	case pCalendarData:
		if s.data == nil {
			return dav.Prop{}, false, nil
		}
		return s.calendarData(n), true, nil
	}
	return dav.Prop{}, false, nil
}

func contentType(m *storage.ObjectMeta) string {
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
