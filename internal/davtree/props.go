package davtree

import (
	"encoding/xml"
	"net/http"
	"strconv"

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
	pPrincipalCollSet = dav.Name(dav.NSDAV, "principal-collection-set")
	pGetCTag          = dav.Name(dav.NSCalendarServer, "getctag")
)

// principalLive are the computed properties every principal has.
var principalLive = []xml.Name{pPrincipalURL, pCurrentUser, pPrincipalCollSet}

// commonCollectionLive are the computed properties of every collection,
// in allprop order; the kind's follow.
var commonCollectionLive = []xml.Name{
	pResourceType, pOwner, pCurrentUser, pPrivileges, pSupportedReports, pGetCTag, pSyncToken,
}

var memberLive = []xml.Name{pGetETag, pGetContentType, pGetContentLength, pGetLastModified, pResourceType, pOwner, pPrivileges}

// The owner of every resource here is the authenticated user; once
// sharing exists this set depends on the grant.
const ownerPrivileges = "<D:privilege><D:read/></D:privilege><D:privilege><D:write/></D:privilege>" +
	"<D:privilege><D:write-properties/></D:privilege><D:privilege><D:write-content/></D:privilege>" +
	"<D:privilege><D:bind/></D:privilege><D:privilege><D:unbind/></D:privilege>" +
	"<D:privilege><D:read-current-user-privilege-set/></D:privilege><D:privilege><C:read-free-busy/></D:privilege>"

// plainSource serves the simple resources (root, principals, homes).
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

func (tr *Tree) plainProps(t *Target) []dav.Prop {
	acc := t.Account
	common := []dav.Prop{
		dav.HrefProp(pCurrentUser, PrincipalHref(acc.ID)),
		dav.XMLProp(pPrivileges, ownerPrivileges),
	}
	switch t.Type {
	case Principal:
		name := acc.DisplayName
		if name == "" {
			name = acc.Login
		}
		props := append(common,
			dav.XMLProp(pResourceType, "<D:principal/>"),
			dav.TextProp(pDisplayName, name),
			dav.HrefProp(pPrincipalURL, PrincipalHref(acc.ID)),
			dav.HrefProp(pPrincipalCollSet, Prefix+"principals/"),
			dav.HrefProp(pOwner, PrincipalHref(acc.ID)),
			dav.XMLProp(pSupportedReports, ""),
		)
		for _, k := range tr.kinds {
			props = append(props, k.PrincipalProps(acc)...)
		}
		return props
	case Home:
		return append(common,
			dav.XMLProp(pResourceType, "<D:collection/>"),
			dav.HrefProp(pOwner, PrincipalHref(acc.ID)),
			dav.XMLProp(pSupportedReports, ""),
		)
	default:
		return append(common, dav.XMLProp(pResourceType, "<D:collection/>"))
	}
}

// collectionSource serves a collection's properties.
type collectionSource struct {
	tree *Tree
	kind Kind
	acc  *storage.Account
	coll *storage.Collection
}

func (s *collectionSource) PropNames(bool) []xml.Name {
	live := s.kind.Spec().CollectionLive
	names := make([]xml.Name, 0, len(commonCollectionLive)+len(live)+len(s.coll.Props))
	names = append(append(names, commonCollectionLive...), live...)
	for k := range s.coll.Props {
		if n, ok := dav.ParseClark(k); ok {
			names = append(names, n)
		}
	}
	return names
}

func (s *collectionSource) Prop(n xml.Name) (dav.Prop, bool, error) {
	c := s.coll
	switch n {
	case pResourceType:
		return dav.XMLProp(n, "<D:collection/>"+emptyElement(s.kind.Spec().ResourceType)), true, nil
	case pOwner:
		return dav.HrefProp(n, PrincipalHref(c.Owner)), true, nil
	case pCurrentUser:
		return dav.HrefProp(n, PrincipalHref(s.acc.ID)), true, nil
	case pPrivileges:
		return dav.XMLProp(n, ownerPrivileges), true, nil
	case pSupportedReports:
		return dav.XMLProp(n, supportedReports(s.kind.Spec())), true, nil
	case pGetCTag:
		return dav.TextProp(n, CTag(c)), true, nil
	case pSyncToken:
		return dav.TextProp(n, dav.SyncToken(c.Incarnation, c.Seq)), true, nil
	case s.kind.Spec().Conditions.MaxSize:
		// The property and the precondition share the name (RFC 4791
		// 5.2.5, RFC 6352 6.2.3).
		return dav.TextProp(n, strconv.FormatInt(s.tree.maxSize, 10)), true, nil
	}
	if p, ok := s.kind.CollectionProp(c, n); ok {
		return p, true, nil
	}
	if v, ok := c.Props[dav.Clark(n)]; ok {
		return dav.XMLProp(n, v), true, nil
	}
	return dav.Prop{}, false, nil
}

// emptyElement writes <P:local/> for a name in one of the multistatus
// writer's fixed namespaces.
func emptyElement(n xml.Name) string {
	return "<" + dav.Prefix(n.Space) + ":" + n.Local + "/>"
}

func supportedReports(s *Spec) string {
	out := ""
	for _, n := range append([]xml.Name{s.Multiget, rSync}, s.Reports...) {
		out += "<D:supported-report><D:report>" + emptyElement(n) + "</D:report></D:supported-report>"
	}
	return out
}

// CTag is the CalendarServer getctag, also the collection's entity tag:
// the same counter as the sync token.
func CTag(c *storage.Collection) string {
	return `"` + c.Incarnation + "-" + strconv.FormatUint(c.Seq, 10) + `"`
}

// MemberSource serves a member's properties from its metadata. Data is
// set only when the kind's data property was asked for (REPORTs) and is
// rendered by Renderer (nil: as stored).
type MemberSource struct {
	kind     Kind
	acc      *storage.Account
	Meta     *storage.ObjectMeta
	Data     []byte // nil unless loaded
	Renderer Renderer
}

// NewMemberSource returns the property source of t's collection's
// members, rendering data with r.
func NewMemberSource(t *Target, r Renderer) *MemberSource {
	return &MemberSource{kind: t.Kind, acc: t.Account, Renderer: r}
}

func (s *MemberSource) PropNames(allprop bool) []xml.Name {
	if allprop || s.Data == nil {
		return memberLive
	}
	return append(memberLive[:len(memberLive):len(memberLive)], s.kind.Spec().DataProp)
}

func (s *MemberSource) Prop(n xml.Name) (dav.Prop, bool, error) {
	m := s.Meta
	switch n {
	case pGetETag:
		return dav.TextProp(n, m.ETag), true, nil
	case pGetContentType:
		return dav.TextProp(n, s.kind.ContentType(m)), true, nil
	case pGetContentLength:
		return dav.TextProp(n, strconv.FormatInt(m.Size, 10)), true, nil
	case pGetLastModified:
		return dav.TextProp(n, m.Modified.UTC().Format(http.TimeFormat)), true, nil
	case pResourceType:
		return dav.Prop{Name: n}, true, nil
	case pOwner:
		return dav.HrefProp(n, PrincipalHref(s.acc.ID)), true, nil
	case pPrivileges:
		return dav.XMLProp(n, ownerPrivileges), true, nil
	case s.kind.Spec().DataProp:
		if s.Data == nil {
			return dav.Prop{}, false, nil
		}
		data := s.Data
		if s.Renderer != nil {
			data = s.Renderer.Render(data)
		}
		return dav.TextProp(n, string(data)), true, nil
	}
	return dav.Prop{}, false, nil
}

// WantsData reports whether a REPORT's prop list asks for the kind's
// data property.
func WantsData(k Kind, pf *dav.Propfind) bool {
	for _, n := range pf.Props {
		if n == k.Spec().DataProp {
			return true
		}
	}
	return false
}
