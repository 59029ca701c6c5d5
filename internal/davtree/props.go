package davtree

import (
	"context"
	"encoding/xml"
	"net/http"
	"slices"
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
	pPrincipalCollSet = dav.Name(dav.NSDAV, "principal-collection-set")
	pGetCTag          = dav.Name(dav.NSCalendarServer, "getctag")
)

// principalLive are the computed properties every principal has.
var principalLive = []xml.Name{pPrincipalURL, pCurrentUser, pPrincipalCollSet, pNotifyURL}

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

func (tr *Tree) plainProps(ctx context.Context, t *Target) ([]dav.Prop, error) {
	props := tr.kindPlainProps(t)
	if tr.sched == nil {
		return props, nil
	}
	switch t.Type {
	case Root, Principals:
		return mergeProps([]dav.Prop{dav.XMLProp(pSupportedReports, principalReportSet)}, props), nil
	case Principal:
	default:
		return props, nil
	}
	acc, own := t.Account, true
	if t.Principal != nil {
		acc, own = t.Principal, false
	}
	sp, err := tr.schedulingPrincipalProps(ctx, acc, own)
	if err != nil {
		return nil, err
	}
	sp = append(sp, dav.XMLProp(pSupportedReports, principalReportSet))
	return mergeProps(sp, props), nil
}

func (tr *Tree) kindPlainProps(t *Target) []dav.Prop {
	acc := t.Account
	common := []dav.Prop{
		dav.HrefProp(pCurrentUser, PrincipalHref(acc.ID)),
		dav.XMLProp(pPrivileges, ownerPrivileges),
	}
	switch t.Type {
	case Principal:
		if t.Principal != nil {
			return tr.foreignPrincipalProps(t)
		}
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
			dav.XMLProp(pSupportedReports, expandReportSet),
			dav.HrefProp(pNotifyURL, NotificationsHref(acc.ID)),
		)
		for _, k := range tr.kinds {
			props = append(props, k.PrincipalProps(acc)...)
		}
		return props
	case Home:
		return append(common,
			dav.XMLProp(pResourceType, "<D:collection/>"),
			dav.HrefProp(pOwner, PrincipalHref(acc.ID)),
			dav.XMLProp(pSupportedReports, reportSet(slices.Concat([]xml.Name{t.Kind.Spec().Multiget}, t.Kind.Spec().HomeReports, []xml.Name{rExpand}))),
		)
	default:
		return append(common, dav.XMLProp(pResourceType, "<D:collection/>"), dav.XMLProp(pSupportedReports, expandReportSet))
	}
}

// foreignPrincipalProps are what the user sees of the principal of
// someone who shares with them: who they are and their addresses, not
// their homes (which stay closed) nor anything writable.
func (tr *Tree) foreignPrincipalProps(t *Target) []dav.Prop {
	p := t.Principal
	props := []dav.Prop{
		dav.HrefProp(pCurrentUser, PrincipalHref(t.Account.ID)),
		dav.XMLProp(pPrivileges, "<D:privilege><D:read/></D:privilege>"),
		dav.XMLProp(pResourceType, "<D:principal/>"),
		dav.TextProp(pDisplayName, commonName(p)),
		dav.HrefProp(pPrincipalURL, PrincipalHref(p.ID)),
		dav.HrefProp(pPrincipalCollSet, Prefix+"principals/"),
		dav.XMLProp(pSupportedReports, expandReportSet),
	}
	for _, k := range tr.kinds {
		for _, prop := range k.PrincipalProps(p) {
			if prop.Name != k.Spec().HomeSet {
				props = append(props, prop)
			}
		}
	}
	return props
}

// collectionSource serves a collection's properties as t's user sees
// them: a sharee's own displayname and color come first, and sharing is
// described with CalendarServer's properties (shared resourcetype,
// shared-url, invite).
type collectionSource struct {
	t      *Target
	grants []storage.Grant // of an owned collection; loaded on demand
	loaded bool
}

func (s *collectionSource) PropNames(bool) []xml.Name {
	live := s.t.Kind.Spec().CollectionLive
	c := s.t.Coll
	names := make([]xml.Name, 0, len(commonCollectionLive)+len(live)+len(c.Props)+2)
	names = append(append(names, commonCollectionLive...), live...)
	// The sharing properties exist only where there is a share: propname
	// lists what the resource has, and allprop answers no 404 for them.
	switch {
	case s.t.Grant != nil:
		names = append(names, pInvite, pSharedURL)
	case len(s.sharedGrants()) > 0:
		names = append(names, pInvite)
	}
	seen := map[string]bool{}
	for _, props := range []map[string]string{s.viewProps(), c.Props} {
		for k := range props {
			if hiddenProp(k) {
				continue
			}
			if n, ok := dav.ParseClark(k); ok && !seen[k] {
				seen[k] = true
				names = append(names, n)
			}
		}
	}
	return names
}

func (s *collectionSource) viewProps() map[string]string {
	if s.t.Grant == nil {
		return nil
	}
	return s.t.Grant.Props
}

// sharedGrants returns the grants of an owned collection.
func (s *collectionSource) sharedGrants() []storage.Grant {
	if !s.loaded && s.t.Grant == nil {
		s.loaded = true
		s.grants, _ = s.t.tree.store.GrantsOf(context.Background(), s.t.Owner, s.t.CollName)
	}
	return s.grants
}

func (s *collectionSource) Prop(n xml.Name) (dav.Prop, bool, error) {
	t, c := s.t, s.t.Coll
	spec := t.Kind.Spec()
	switch n {
	case pResourceType:
		if t.isInbox() {
			return s.inboxProp(context.Background(), "resourcetype")
		}
		rt := "<D:collection/>" + dav.EmptyElement(spec.ResourceType)
		switch {
		case t.Grant != nil:
			rt += "<CS:shared/>"
		case len(s.sharedGrants()) > 0:
			rt += "<CS:shared-owner/>"
		}
		return dav.XMLProp(n, rt), true, nil
	case pOwner:
		return dav.HrefProp(n, PrincipalHref(c.Owner)), true, nil
	case pCurrentUser:
		return dav.HrefProp(n, PrincipalHref(t.Account.ID)), true, nil
	case pPrivileges:
		return dav.XMLProp(n, t.privilegeSet()), true, nil
	case pSupportedReports:
		return dav.XMLProp(n, supportedReports(spec)), true, nil
	case pGetCTag:
		return dav.TextProp(n, CTag(c)), true, nil
	case pSyncToken:
		return dav.TextProp(n, dav.SyncToken(c.Incarnation, c.Seq)), true, nil
	case spec.Conditions.MaxSize:
		// The property and the precondition share the name (RFC 4791
		// 5.2.5, RFC 6352 6.2.3).
		return dav.TextProp(n, strconv.FormatInt(t.tree.maxSize, 10)), true, nil
	case pSharedURL:
		if t.Grant == nil {
			return dav.Prop{}, false, nil
		}
		return dav.HrefProp(n, HomeHref(t.Kind, t.Owner)+dav.EscapePath(t.CollName)+"/"), true, nil
	case pInvite:
		return s.invite(n)
	case pScheduleDefaultCal:
		if t.isInbox() {
			return s.inboxProp(context.Background(), "default")
		}
	}
	if p, ok := t.Kind.CollectionProp(c, n); ok {
		return p, true, nil
	}
	if v, ok := s.viewProps()[dav.Clark(n)]; ok && !hiddenProp(dav.Clark(n)) {
		return dav.StoredProp(n, v), true, nil
	}
	if v, ok := c.Props[dav.Clark(n)]; ok {
		return dav.StoredProp(n, v), true, nil
	}
	return dav.Prop{}, false, nil
}

// invite is CalendarServer's CS:invite: the owner (organizer) and every
// sharee with their access. A collection nobody shares has none.
func (s *collectionSource) invite(n xml.Name) (dav.Prop, bool, error) {
	t := s.t
	grants := s.sharedGrants()
	if t.Grant != nil {
		grants = []storage.Grant{*t.Grant}
	}
	if len(grants) == 0 {
		return dav.Prop{}, false, nil
	}
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("<CS:organizer><D:href>" + dav.EscapeText(PrincipalHref(t.Owner)) + "</D:href>")
	if owner, err := t.tree.store.Account(ctx, t.Owner); err == nil {
		b.WriteString("<CS:common-name>" + dav.EscapeText(commonName(owner)) + "</CS:common-name>")
	}
	b.WriteString("</CS:organizer>")
	for _, g := range grants {
		acc, err := t.tree.store.Account(ctx, g.Sharee)
		if err != nil {
			continue
		}
		access := "<CS:read/>"
		if g.Access == storage.AccessReadWrite {
			access = "<CS:read-write/>"
		}
		b.WriteString("<CS:user><D:href>mailto:" + dav.EscapeText(acc.Login) + "</D:href><CS:common-name>" +
			dav.EscapeText(commonName(acc)) + "</CS:common-name><CS:invite-accepted/><CS:access>" + access + "</CS:access></CS:user>")
	}
	return dav.XMLProp(n, b.String()), true, nil
}

func commonName(a *storage.Account) string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.Login
}

// Properties of the CalendarServer sharing extension.
var (
	pInvite    = dav.Name(dav.NSCalendarServer, "invite")
	pSharedURL = dav.Name(dav.NSCalendarServer, "shared-url")
)

func supportedReports(s *Spec) string {
	return reportSet(slices.Concat([]xml.Name{s.Multiget, rSync}, s.Reports, []xml.Name{rExpand}))
}

// reportSet is the value of DAV:supported-report-set naming reports.
func reportSet(reports []xml.Name) string {
	out := ""
	for _, n := range reports {
		out += "<D:supported-report><D:report>" + dav.EmptyElement(n) + "</D:report></D:supported-report>"
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
	t        *Target
	Meta     *storage.ObjectMeta
	Data     []byte // nil unless loaded
	Renderer Renderer
	// Cut lists the members whose rendered data a LimitedRenderer cut
	// short, for ReportCut.
	Cut []string
}

// NewMemberSource returns the property source of t's collection's
// members, rendering data with r.
func NewMemberSource(t *Target, r Renderer) *MemberSource {
	return &MemberSource{kind: t.Kind, t: t, Renderer: r}
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
		return dav.HrefProp(n, PrincipalHref(s.t.Owner)), true, nil
	case pPrivileges:
		return dav.XMLProp(n, s.t.privilegeSet()), true, nil
	case pScheduleTag:
		if m.ScheduleTag == "" {
			return dav.Prop{}, false, nil
		}
		return dav.TextProp(n, m.ScheduleTag), true, nil
	case s.kind.Spec().DataProp:
		if s.Data == nil {
			return dav.Prop{}, false, nil
		}
		data := s.Data
		if lr, ok := s.Renderer.(LimitedRenderer); ok {
			var cut bool
			if data, cut = lr.RenderLimited(data); cut && (len(s.Cut) == 0 || s.Cut[len(s.Cut)-1] != m.Name) {
				s.Cut = append(s.Cut, m.Name)
			}
		} else if s.Renderer != nil {
			data = s.Renderer.Render(data)
		}
		// A byte order mark signs a file; as the first character of an
		// element's text it is a ZERO WIDTH NO-BREAK SPACE before BEGIN,
		// which clients' parsers refuse. GET still serves it.
		return dav.TextProp(n, strings.TrimPrefix(string(data), bom)), true, nil
	}
	return dav.Prop{}, false, nil
}

// bom is the UTF-8 byte order mark a stored member may start with.
const bom = "\uFEFF"

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
