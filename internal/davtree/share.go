package davtree

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"almanac/internal/dav"
	"almanac/storage"
)

// The CalendarServer sharing protocol (caldav-sharing, as Apple Calendar
// speaks it, and the draft-pot-webdav-resource-sharing share-resource
// form): the owner POSTs CS:share or D:share-resource to a collection to
// add, change or remove sharees; each sharee finds an invite in their
// notification collection (CS:notification-URL on the principal) and
// POSTs CS:invite-reply to their home to accept or decline.
//
// Grants take effect when they are made, as with the JSON API, so the
// shared collection is in the sharee's home before they answer; the
// invite stays in their notifications until they accept (or delete it),
// and declining removes the grant.

var (
	rCSShare       = dav.Name(dav.NSCalendarServer, "share")
	rShareResource = dav.Name(dav.NSDAV, "share-resource")
	rInviteReply   = dav.Name(dav.NSCalendarServer, "invite-reply")
	pNotifyURL     = dav.Name(dav.NSCalendarServer, "notification-URL")
	pNotifyType    = dav.Name(dav.NSCalendarServer, "notificationtype")
)

// ackKey marks, among a grant's props, an invite the sharee answered.
var ackKey = dav.Clark(dav.Name("urn:almanac:sharing", "acknowledged"))

// hiddenProp reports a grant prop kept for the server, not the client.
func hiddenProp(key string) bool { return strings.HasPrefix(key, "{urn:almanac:sharing}") }

func (tr *Tree) post(w http.ResponseWriter, r *http.Request, t *Target) error {
	if t.Kind == nil || (t.Type != Collection && t.Type != Home) {
		return dav.ErrMethodNotAllowed
	}
	if tr.isOutbox(t) {
		return tr.outboxPost(w, r, t)
	}
	body, err := dav.ReadXML(r, dav.MaxXMLBody)
	if err != nil {
		return err
	}
	if body == nil {
		return dav.BadRequest("POST needs a sharing request body")
	}
	root, err := dav.RootName(body)
	if err != nil {
		return err
	}
	switch {
	case t.Type == Collection && (root == rCSShare || root == rShareResource):
		if t.Coll == nil {
			return dav.ErrNotFound
		}
		if t.Grant != nil {
			return needPrivileges(t.Href(), "share", "only the owner can share a collection")
		}
		return tr.share(w, r, t, root, body)
	case t.Type == Home && root == rInviteReply:
		return tr.inviteReply(w, r, t, body)
	}
	return dav.NewError(http.StatusUnsupportedMediaType, "unsupported POST body "+root.Local)
}

// shareChange is one sharee's new access; "" removes the grant.
type shareChange struct {
	href, access string
}

func parseShare(root xml.Name, body []byte) ([]shareChange, error) {
	var changes []shareChange
	if root == rCSShare {
		var req struct {
			Set []struct {
				Href      string    `xml:"DAV: href"`
				ReadWrite *struct{} `xml:"http://calendarserver.org/ns/ read-write"`
			} `xml:"http://calendarserver.org/ns/ set"`
			Remove []struct {
				Href string `xml:"DAV: href"`
			} `xml:"http://calendarserver.org/ns/ remove"`
		}
		if err := xml.Unmarshal(body, &req); err != nil {
			return nil, dav.BadRequest("malformed CS:share")
		}
		for _, s := range req.Set {
			access := storage.AccessRead
			if s.ReadWrite != nil {
				access = storage.AccessReadWrite
			}
			changes = append(changes, shareChange{strings.TrimSpace(s.Href), access})
		}
		for _, rm := range req.Remove {
			changes = append(changes, shareChange{strings.TrimSpace(rm.Href), ""})
		}
		return changes, nil
	}
	var req struct {
		Sharee []struct {
			Href   string `xml:"DAV: href"`
			Access struct {
				ReadWrite *struct{} `xml:"DAV: read-write"`
				Read      *struct{} `xml:"DAV: read"`
				NoAccess  *struct{} `xml:"DAV: no-access"`
			} `xml:"DAV: share-access"`
		} `xml:"DAV: sharee"`
	}
	if err := xml.Unmarshal(body, &req); err != nil {
		return nil, dav.BadRequest("malformed DAV:share-resource")
	}
	for _, s := range req.Sharee {
		c := shareChange{href: strings.TrimSpace(s.Href)}
		switch {
		case s.Access.ReadWrite != nil:
			c.access = storage.AccessReadWrite
		case s.Access.Read != nil:
			c.access = storage.AccessRead
		case s.Access.NoAccess != nil:
		default:
			return nil, dav.BadRequest("DAV:sharee " + c.href + " needs a DAV:share-access")
		}
		changes = append(changes, c)
	}
	return changes, nil
}

// share applies a CS:share or D:share-resource request: every sharee is
// resolved first, so that an unknown one changes nothing.
func (tr *Tree) share(w http.ResponseWriter, r *http.Request, t *Target, root xml.Name, body []byte) error {
	changes, err := parseShare(root, body)
	if err != nil {
		return err
	}
	if len(changes) == 0 {
		return dav.BadRequest("the sharing request names no sharee")
	}
	if tr.grant == nil {
		return dav.NewError(http.StatusForbidden, "this server does not share collections")
	}
	ctx := r.Context()
	sharees := make([]*storage.Account, len(changes))
	for i, c := range changes {
		acc, err := tr.accountByHref(r, c.href)
		if err != nil {
			return err
		}
		if acc.ID == t.Account.ID {
			return dav.NewError(http.StatusForbidden, "a collection cannot be shared with its owner")
		}
		sharees[i] = acc
	}
	for i, c := range changes {
		if c.access == "" {
			if err := tr.store.DeleteGrant(ctx, t.Owner, t.CollName, sharees[i].ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			continue
		}
		if err := tr.grant(ctx, t.Owner, t.CollName, sharees[i].ID, c.access); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// accountByHref finds the account a sharee href names: mailto:{login}
// or the account's principal URL.
func (tr *Tree) accountByHref(r *http.Request, href string) (*storage.Account, error) {
	ctx := r.Context()
	unknown := dav.NewError(http.StatusForbidden, "no account is known as "+href)
	if login, ok := strings.CutPrefix(href, "mailto:"); ok {
		acc, err := tr.store.AccountByLogin(ctx, login)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, unknown
		}
		return acc, err
	}
	u, err := url.Parse(href)
	if err != nil {
		return nil, unknown
	}
	segs, _, err := dav.SplitPath(u.EscapedPath(), strings.TrimSuffix(Prefix, "/"))
	if err != nil || len(segs) != 2 || segs[0] != "principals" {
		return nil, unknown
	}
	acc, err := tr.store.Account(ctx, segs[1])
	if errors.Is(err, storage.ErrNotFound) {
		return nil, unknown
	}
	return acc, err
}

// inviteReply accepts or declines an invite: accepting marks it
// answered and names where the collection is; declining removes the
// grant.
func (tr *Tree) inviteReply(w http.ResponseWriter, r *http.Request, t *Target, body []byte) error {
	var req struct {
		Accepted  *struct{} `xml:"http://calendarserver.org/ns/ invite-accepted"`
		Declined  *struct{} `xml:"http://calendarserver.org/ns/ invite-declined"`
		InReplyTo string    `xml:"http://calendarserver.org/ns/ in-reply-to"`
		HostURL   struct {
			Href string `xml:"DAV: href"`
		} `xml:"http://calendarserver.org/ns/ hosturl"`
	}
	if err := xml.Unmarshal(body, &req); err != nil {
		return dav.BadRequest("malformed CS:invite-reply")
	}
	if (req.Accepted == nil) == (req.Declined == nil) {
		return dav.BadRequest("CS:invite-reply needs CS:invite-accepted or CS:invite-declined")
	}
	ctx := r.Context()
	g, err := tr.store.GrantByMount(ctx, t.Account.ID, strings.TrimSpace(req.InReplyTo))
	if errors.Is(err, storage.ErrNotFound) {
		g, err = tr.grantByHostURL(r, t, req.HostURL.Href)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return dav.NewError(http.StatusForbidden, "no invite to answer: it was withdrawn or never made")
	}
	if err != nil {
		return err
	}
	if req.Declined != nil {
		if err := tr.store.DeleteGrant(ctx, g.Owner, g.Collection, g.Sharee); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if _, err := tr.store.PatchGrantProps(ctx, g.Sharee, g.Mount, map[string]string{ackKey: "1"}, nil); err != nil {
		return err
	}
	mount := &Target{Type: Collection, Kind: t.Kind, Account: t.Account, URLName: g.Mount}
	ms := "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<CS:shared-as xmlns:D=\"DAV:\" xmlns:CS=\"http://calendarserver.org/ns/\"><D:href>" +
		dav.EscapeText(mount.CollectionHref()) + "</D:href></CS:shared-as>"
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(ms))
	return nil
}

// grantByHostURL finds the grant to t's user of the collection href
// names in its owner's home.
func (tr *Tree) grantByHostURL(r *http.Request, t *Target, href string) (*storage.Grant, error) {
	u, err := url.Parse(href)
	if err != nil {
		return nil, storage.ErrNotFound
	}
	segs, _, err := dav.SplitPath(u.EscapedPath(), strings.TrimSuffix(Prefix, "/"))
	if err != nil || len(segs) != 3 || tr.kindAt(segs[0]) == nil {
		return nil, storage.ErrNotFound
	}
	return tr.store.Grant(r.Context(), segs[1], segs[2], t.Account.ID)
}

// Notifications: the invites of grants the user has not answered, one
// XML resource each, named after the mount.

type invite struct {
	g     *storage.Grant
	coll  *storage.Collection
	kind  Kind
	name  string // resource name
	owner *storage.Account
	body  []byte
	etag  string
}

func (tr *Tree) invites(r *http.Request, t *Target) ([]*invite, error) {
	ctx := r.Context()
	grants, err := tr.store.GrantsTo(ctx, t.Account.ID)
	if err != nil {
		return nil, err
	}
	var out []*invite
	for i := range grants {
		g := &grants[i]
		if g.Props[ackKey] != "" {
			continue
		}
		c, err := tr.store.Collection(ctx, g.Owner, g.Collection)
		if err != nil {
			continue
		}
		owner, err := tr.store.Account(ctx, g.Owner)
		if err != nil {
			continue
		}
		inv := &invite{g: g, coll: c, owner: owner, name: g.Mount + ".xml"}
		for _, k := range tr.kinds {
			if k.Spec().StorageKind == c.Kind {
				inv.kind = k
			}
		}
		if inv.kind == nil {
			continue
		}
		inv.body = tr.inviteXML(t, inv)
		sum := sha256.Sum256(inv.body)
		inv.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
		out = append(out, inv)
	}
	return out, nil
}

// inviteXML is a CS:invite-notification (CalendarServer caldav-sharing
// 5.2.3).
func (tr *Tree) inviteXML(t *Target, inv *invite) []byte {
	access := "<CS:read/>"
	if inv.g.Access == storage.AccessReadWrite {
		access = "<CS:read-write/>"
	}
	sharedType := "calendar"
	if inv.coll.Kind == storage.KindAddressBook {
		sharedType = "addressbook"
	}
	host := &Target{Type: Collection, Kind: inv.kind, Account: inv.owner, URLName: inv.g.Collection}
	summary := inv.g.Collection
	if v, ok := inv.coll.Props[dav.Clark(pDisplayName)]; ok {
		raw := dav.ParseStored(pDisplayName, v)
		summary = raw.Text()
	}
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n")
	b.WriteString(`<CS:notification xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">`)
	b.WriteString("<CS:dtstamp>" + inv.g.Created.UTC().Format("20060102T150405Z") + "</CS:dtstamp>")
	b.WriteString(`<CS:invite-notification shared-type="` + sharedType + `">`)
	b.WriteString("<CS:uid>" + dav.EscapeText(inv.g.Mount) + "</CS:uid>")
	b.WriteString("<D:href>mailto:" + dav.EscapeText(t.Account.Login) + "</D:href>")
	b.WriteString("<CS:invite-noresponse/>")
	b.WriteString("<CS:access>" + access + "</CS:access>")
	b.WriteString("<CS:hosturl><D:href>" + dav.EscapeText(host.CollectionHref()) + "</D:href></CS:hosturl>")
	b.WriteString("<CS:organizer><D:href>mailto:" + dav.EscapeText(inv.owner.Login) + "</D:href><CS:common-name>" +
		dav.EscapeText(commonName(inv.owner)) + "</CS:common-name></CS:organizer>")
	b.WriteString("<CS:summary>" + dav.EscapeText(summary) + "</CS:summary>")
	b.WriteString("</CS:invite-notification></CS:notification>")
	return []byte(b.String())
}

func (tr *Tree) notifications(w http.ResponseWriter, r *http.Request, t *Target) error {
	invites, err := tr.invites(r, t)
	if err != nil {
		return err
	}
	var inv *invite
	if t.Type == Notification {
		for _, i := range invites {
			if i.name == t.ObjName {
				inv = i
			}
		}
		if inv == nil {
			return dav.ErrNotFound
		}
	}
	switch r.Method {
	case http.MethodOptions:
		w.Header().Set("Allow", t.allow())
		w.WriteHeader(http.StatusOK)
		return nil
	case http.MethodGet, http.MethodHead:
		if inv == nil {
			return dav.NewError(http.StatusMethodNotAllowed, "GET is served for notifications; use PROPFIND on the collection")
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.Header().Set("ETag", inv.etag)
		w.Header().Set("Content-Length", strconv.Itoa(len(inv.body)))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(inv.body)
		}
		return nil
	case http.MethodDelete:
		if inv == nil {
			return dav.NewError(http.StatusForbidden, "the notification collection cannot be deleted")
		}
		// Deleting an invite answers it without declining.
		if _, err := tr.store.PatchGrantProps(r.Context(), inv.g.Sharee, inv.g.Mount, map[string]string{ackKey: "1"}, nil); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case "PROPFIND":
		depth, pf, err := readPropfind(r)
		if err != nil {
			return err
		}
		ms := dav.NewMultistatus(w, r)
		if inv != nil {
			if err := ms.Propfind(t.Href(), pf, inviteSource(inv)); err != nil {
				return err
			}
			return ms.Close("")
		}
		if err := ms.Propfind(t.Href(), pf, notificationsSource(t, invites)); err != nil {
			return err
		}
		if depth == dav.DepthOne {
			for _, i := range invites {
				if err := ms.Propfind(NotificationsHref(t.Account.ID)+dav.EscapePath(i.name), pf, inviteSource(i)); err != nil {
					return Abort(tr.logger, ms, err)
				}
			}
		}
		return ms.Close("")
	}
	return dav.ErrMethodNotAllowed
}

// notificationsSource serves the properties of the notification
// collection holding invites.
func notificationsSource(t *Target, invites []*invite) *plainSource {
	h := sha256.New()
	for _, i := range invites {
		h.Write([]byte(i.name + i.etag))
	}
	ctag := `"` + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12]) + `"`
	return &plainSource{props: []dav.Prop{
		dav.XMLProp(pResourceType, "<D:collection/><CS:notification/>"),
		dav.HrefProp(pOwner, PrincipalHref(t.Account.ID)),
		dav.HrefProp(pCurrentUser, PrincipalHref(t.Account.ID)),
		dav.XMLProp(pPrivileges, readPrivileges),
		dav.TextProp(pGetCTag, ctag),
	}}
}

func inviteSource(i *invite) *plainSource {
	return &plainSource{props: []dav.Prop{
		dav.XMLProp(pResourceType, ""),
		dav.TextProp(pGetETag, i.etag),
		dav.TextProp(pGetContentType, "application/xml; charset=utf-8"),
		dav.TextProp(pGetContentLength, strconv.Itoa(len(i.body))),
		dav.XMLProp(pNotifyType, "<CS:invite-notification/>"),
	}}
}
