package davtree

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"almanac/internal/dav"
	"almanac/storage"
)

var rSync = dav.Name(dav.NSDAV, "sync-collection")

func (tr *Tree) report(w http.ResponseWriter, r *http.Request, t *Target) error {
	body, err := dav.ReadXML(r, dav.MaxXMLBody)
	if err != nil {
		return err
	}
	if body == nil {
		return dav.BadRequest("REPORT needs a request body")
	}
	root, err := dav.RootName(body)
	if err != nil {
		return err
	}
	if root == rExpand {
		return tr.expandProperty(w, r, t, body)
	}
	if tr.searchReport(root) {
		return tr.principalSearch(w, r, t, root, body)
	}
	if t.Kind == nil || (root != t.Kind.Spec().Multiget && root != rSync && !slices.Contains(t.Kind.Spec().Reports, root)) {
		return dav.Precondition(http.StatusForbidden, dav.CondSupportedReport, "unsupported report "+root.Local)
	}
	spec := t.Kind.Spec()
	switch t.Type {
	case Collection, Member:
		if t.Coll == nil {
			return dav.ErrNotFound
		}
	case Home:
		// The queries and multiget search the collections in the home
		// (RFC 4791 7.2, RFC 6352 8.2); the others are about one
		// collection.
		if root != spec.Multiget && !slices.Contains(spec.HomeReports, root) {
			return dav.Precondition(http.StatusForbidden, dav.CondSupportedReport, root.Local+" is only supported on "+spec.Noun+" collections")
		}
	default:
		return dav.Precondition(http.StatusForbidden, dav.CondSupportedReport, root.Local+" is only supported on "+spec.Noun+" collections")
	}
	switch root {
	case spec.Multiget:
		return tr.multiget(w, r, t, body)
	case rSync:
		if t.Type != Collection {
			return dav.Precondition(http.StatusForbidden, dav.CondSupportedReport, "sync-collection is only supported on collections")
		}
		return tr.syncCollection(w, r, t, body)
	}
	release, err := tr.reports.acquire(r.Context())
	if err != nil {
		return err
	}
	defer release()
	return t.Kind.Report(w, r, t, root, body)
}

// ReportProps reads the DAV:prop (or allprop/propname) of a REPORT body,
// each property once; dav.PropNames caps how many.
func ReportProps(body []byte) (*dav.Propfind, error) {
	pf := &dav.Propfind{Kind: dav.FindProp}
	var names dav.PropNames
	err := dav.EachChild(body, func(d *xml.Decoder, t xml.StartElement) error {
		switch t.Name {
		case dav.Name(dav.NSDAV, "allprop"):
			pf.Kind = dav.FindAllProp
		case dav.Name(dav.NSDAV, "propname"):
			pf.Kind = dav.FindPropName
		case dav.Name(dav.NSDAV, "prop"):
			return names.Decode(d)
		}
		return d.Skip()
	})
	pf.Props = names.Names
	return pf, err
}

// multiget serves the kind's multiget (RFC 4791 7.9, RFC 6352 8.7).
// Every href must name a member of the request collection, or on a home
// a member of a collection in it (RFC 4791 7.9: "members (not necessarily
// internal members) of the resource identified by the Request-URI"):
// others get 403 whether or not they exist elsewhere, so the report
// cannot probe other collections. A collection of the home that does not
// exist answers 404 for its hrefs, as a missing member does.
func (tr *Tree) multiget(w http.ResponseWriter, r *http.Request, t *Target, body []byte) error {
	pf, err := ReportProps(body)
	if err != nil {
		return err
	}
	hrefs, err := dav.Hrefs(body)
	if err != nil {
		return err
	}
	if len(hrefs) == 0 {
		return dav.BadRequest(t.Kind.Spec().Multiget.Local + " needs at least one DAV:href")
	}
	render, err := t.Kind.DataRequest(r, t, body)
	if err != nil {
		return err
	}
	ctx := r.Context()
	colls := &multigetColls{tr: tr, home: t, render: render, byName: map[string]*multigetColl{}}
	data := WantsData(t.Kind, pf)
	ms := dav.NewMultistatus(w, r)
	// dav.Hrefs drops repeated hrefs; other spellings of one member
	// (absolute, percent-encoded) are caught here, so that each member
	// and its data are in the answer once.
	type member struct{ coll, name string }
	answered := make(map[member]struct{}, len(hrefs))
	// First what each href names; then the answers, with the members'
	// data read a batch at a time (readBatch).
	items := make([]multigetItem, 0, len(hrefs))
	for _, href := range hrefs {
		it := multigetItem{href: href, t: t, render: render}
		ok := false
		if t.Type == Home {
			var coll string
			if coll, it.name, ok = homeMember(href, t.Href()); ok {
				c, err := colls.get(ctx, coll)
				if err != nil {
					return Abort(tr.logger, ms, err)
				}
				if c == nil {
					it.status = http.StatusNotFound
					items = append(items, it)
					continue
				}
				it.t, it.render = c.t, c.render
			}
		} else {
			it.name, ok = memberName(href, t.CollectionHref())
			ok = ok && (t.Type != Member || it.name == t.ObjName)
		}
		if !ok {
			it.status = http.StatusForbidden
			items = append(items, it)
			continue
		}
		key := member{it.t.URLName, it.name}
		if _, dup := answered[key]; dup {
			continue
		}
		answered[key] = struct{}{}
		items = append(items, it)
	}
	var cut []string
	for i := range items {
		it := &items[i]
		if it.status != 0 {
			if err := ms.StatusResponse(it.href, it.status); err != nil {
				return Abort(tr.logger, ms, err)
			}
			continue
		}
		src := NewMemberSource(it.t, it.render)
		if data {
			if !it.read {
				if err := readBatch(ctx, items[i:]); err != nil {
					return Abort(tr.logger, ms, err)
				}
			}
			if it.obj != nil {
				src.Meta, src.Data = &it.obj.ObjectMeta, it.obj.Data
			}
			it.obj = nil // written below: let the collector have it
		} else {
			meta, err := it.t.Stat(ctx, it.name)
			if err == nil {
				src.Meta = meta
			} else if !errors.Is(err, storage.ErrNotFound) {
				return Abort(tr.logger, ms, err)
			}
		}
		if src.Meta == nil {
			if err := ms.StatusResponse(it.href, http.StatusNotFound); err != nil {
				return Abort(tr.logger, ms, err)
			}
			continue
		}
		if err := ms.Propfind(it.t.MemberHref(it.name), pf, src); err != nil {
			return Abort(tr.logger, ms, err)
		}
		for _, n := range src.Cut {
			cut = append(cut, it.t.MemberHref(n))
		}
	}
	if err := ReportCutHrefs(ms, t.Href(), cut); err != nil {
		return Abort(tr.logger, ms, err)
	}
	return ms.Close("")
}

// multigetItem is one href of a multiget: the member it names, or the
// status that answers it, and the member once read.
type multigetItem struct {
	href   string
	t      *Target
	render Renderer
	name   string
	status int // not 0: the answer is this status alone
	read   bool
	obj    *storage.Object // nil once read: no such member
}

// The members a report reads at once with their data, and the bytes of
// data it holds at once (storage.Store.GetMany): a multiget of a hundred
// was a hundred reads, each a round trip on PostgreSQL, and one read of
// all of them could hold a hundred members of up to 10 MB.
const (
	ReadBatch = 64
	ReadBytes = 4 << 20
)

// readBatch reads the data of items[0] and of the members after it in
// the same collection, up to ReadBatch of them and ReadBytes of data, in
// one read.
func readBatch(ctx context.Context, items []multigetItem) error {
	t := items[0].t
	var at []int
	var names []string
	for i := range items {
		if len(names) == ReadBatch {
			break
		}
		if it := &items[i]; it.status == 0 && !it.read && it.t == t {
			at, names = append(at, i), append(names, it.name)
		}
	}
	objs, n, err := readMembers(ctx, t, names)
	if err != nil {
		return err
	}
	for k := range n {
		items[at[k]].read, items[at[k]].obj = true, objs[k]
	}
	return nil
}

// readMembers reads names (at most ReadBatch) within ReadBytes: a
// collection gone since the names were listed answers each missing.
func readMembers(ctx context.Context, t *Target, names []string) ([]*storage.Object, int, error) {
	objs, n, err := t.GetMany(ctx, names, ReadBytes)
	if errors.Is(err, storage.ErrNotFound) {
		return make([]*storage.Object, len(names)), len(names), nil
	}
	if err == nil && n == 0 && len(names) > 0 {
		err = errors.New("davtree: a batch read returned no member")
	}
	return objs, n, err
}

// EachMember calls fn with the member each of names is, in order, read
// a batch at a time as memberReader reads them; a member gone since the
// names were listed, or hidden from the user, is skipped.
func (t *Target) EachMember(ctx context.Context, names []string, fn func(*storage.Object) error) error {
	members := &memberReader{t: t, names: names}
	for range names {
		obj, err := members.next(ctx)
		if err != nil {
			return err
		}
		if obj == nil {
			continue
		}
		if err := fn(obj); err != nil {
			return err
		}
	}
	return nil
}

// memberReader hands out, in order, the members a loop answers with
// their data, read a batch at a time (readBatch's limits): one read per
// batch instead of one per member.
type memberReader struct {
	t     *Target
	names []string          // still to hand out, in order
	objs  []*storage.Object // read for the first of names
}

// next returns names[0]'s member and moves on; nil when there is none
// (or its collection went away since the names were listed).
func (m *memberReader) next(ctx context.Context) (*storage.Object, error) {
	if len(m.objs) == 0 {
		objs, n, err := readMembers(ctx, m.t, m.names[:min(len(m.names), ReadBatch)])
		if err != nil {
			return nil, err
		}
		m.objs = objs[:n]
	}
	obj := m.objs[0]
	m.objs, m.names = m.objs[1:], m.names[1:]
	return obj, nil
}

// multigetColls resolves the collections a home multiget's hrefs name,
// each once, with the request's Renderer for each (ScopedRenderer).
type multigetColls struct {
	tr     *Tree
	home   *Target
	render Renderer
	byName map[string]*multigetColl // nil entry: no such collection
}

type multigetColl struct {
	t      *Target
	render Renderer
}

func (m *multigetColls) get(ctx context.Context, name string) (*multigetColl, error) {
	if c, ok := m.byName[name]; ok {
		return c, nil
	}
	ct := &Target{Type: Collection, Kind: m.home.Kind, Account: m.home.Account, Owner: m.home.Account.ID, tree: m.tr}
	if err := m.tr.openCollection(ctx, ct, name); err != nil {
		return nil, err
	}
	var c *multigetColl
	if ct.Coll != nil {
		c = &multigetColl{t: ct, render: m.render}
		if sr, ok := m.render.(ScopedRenderer); ok {
			c.render = sr.For(ct)
		}
	}
	m.byName[name] = c
	return c, nil
}

// maxCutNamed bounds the members a ReportCut description names.
const maxCutNamed = 10

// ReportCut adds to a report whose answers limits cut short for the
// named members of t's collection (LimitedRenderer, a calendar-query's
// time-range tests) what ReportCutHrefs adds.
func ReportCut(ms *dav.Multistatus, t *Target, names []string) error {
	hrefs := make([]string, len(names))
	for i, n := range names {
		hrefs[i] = t.MemberHref(n)
	}
	return ReportCutHrefs(ms, t.Href(), hrefs)
}

// ReportCutHrefs adds a response for the request-URI with status 507 and
// DAV:number-of-matches-within-limits, as RFC 5323 5.6 and RFC 6578 3.6
// report truncated results, and a DAV:responsedescription naming up to
// ten of the members whose answers limits cut short. Nothing is written
// for no members.
func ReportCutHrefs(ms *dav.Multistatus, requestHref string, hrefs []string) error {
	if len(hrefs) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("incomplete: the server's limits cut short the answer for ")
	for i, h := range hrefs {
		if i == maxCutNamed {
			fmt.Fprintf(&b, " and %d more", len(hrefs)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(h)
	}
	return ms.ErrorResponse(requestHref, http.StatusInsufficientStorage, dav.CondNumberOfMatches, b.String())
}

// memberName returns the member name an href designates when it is a
// direct member of the collection at base (an escaped path). Absolute
// URLs are reduced to their path.
func memberName(href, base string) (string, bool) {
	segs, ok := hrefSegments(href, base)
	if !ok || len(segs) != 1 {
		return "", false
	}
	return segs[0], true
}

// hrefSegments returns the path segments of href below base (an escaped
// path), unescaped; false when href does not parse, is not below base or
// names a collection (ends in "/").
func hrefSegments(href, base string) ([]string, bool) {
	u, err := url.Parse(href)
	if err != nil {
		return nil, false
	}
	segs, trailing, err := dav.SplitPath(u.EscapedPath(), strings.TrimSuffix(base, "/"))
	if err != nil || trailing || len(segs) == 0 {
		return nil, false
	}
	return segs, true
}

// syncCollection serves RFC 6578 sync-collection.
func (tr *Tree) syncCollection(w http.ResponseWriter, r *http.Request, t *Target, body []byte) error {
	// RFC 6578 3.2 asks for Depth: 0, but python-caldav and others send
	// Depth: 1; sync-level decides the scope, so Depth is ignored, as
	// Radicale and sabre/dav do.
	sc, err := dav.ParseSyncCollection(body)
	if err != nil {
		return err
	}
	render, err := t.Kind.DataRequest(r, t, body)
	if err != nil {
		return err
	}
	inc, since := t.Coll.Incarnation, uint64(0)
	if sc.Token != "" {
		if inc, since, err = dav.ParseSyncToken(sc.Token); err != nil {
			return err
		}
	}
	ctx := r.Context()
	changes, reached, truncated, err := tr.store.Changes(ctx, t.Owner, t.CollName, inc, since, sc.Limit)
	if err != nil {
		return err
	}
	pf := &dav.Propfind{Kind: dav.FindProp, Props: sc.Props}
	data := WantsData(t.Kind, pf)
	// A redacted view's ETags are not the change log's: read every
	// changed member.
	needMeta := data || t.redacts()
	for _, n := range pf.Props {
		if n != pGetETag {
			needMeta = true
		}
	}
	ms := dav.NewMultistatus(w, r)
	src := NewMemberSource(t, render)
	var members *memberReader
	if data {
		members = &memberReader{t: t}
		for _, c := range changes {
			if !c.Deleted {
				members.names = append(members.names, c.Name)
			}
		}
	}
	if needMeta && !data && sc.Token == "" && !truncated {
		// An initial sync that asks for more than the change log's
		// ETags (Apple's clients add getcontenttype) answers from one
		// listing of the members' metadata rather than a Stat each: at
		// 100,000 members that was 100,000 transactions, or round trips
		// to PostgreSQL. The listing is a later snapshot than the
		// change log, whose token the answer carries: a member written
		// in between comes as the listing has it and again with the next
		// sync; one deleted in between is left out, as a member deleted
		// after the change list was read is below.
		err := t.List(ctx, func(m *storage.ObjectMeta) error {
			src.Meta, src.Data = m, nil
			return ms.Propfind(t.MemberHref(m.Name), pf, src)
		})
		if err != nil {
			return Abort(tr.logger, ms, err)
		}
		changes = nil
	}
	for _, c := range changes {
		href := t.MemberHref(c.Name)
		if c.Deleted {
			if err := ms.StatusResponse(href, http.StatusNotFound); err != nil {
				return Abort(tr.logger, ms, err)
			}
			continue
		}
		src.Data = nil
		switch {
		case data:
			obj, err := members.next(ctx)
			if err == nil && obj == nil {
				err = storage.ErrNotFound
			}
			if errors.Is(err, storage.ErrNotFound) {
				if t.redacts() && sc.Token != "" {
					// Hidden from this user (made private): gone for them.
					if err := ms.StatusResponse(href, http.StatusNotFound); err != nil {
						return Abort(tr.logger, ms, err)
					}
				}
				continue // deleted after the change list was read; the next sync reports it
			}
			if err != nil {
				return Abort(tr.logger, ms, err)
			}
			src.Meta, src.Data = &obj.ObjectMeta, obj.Data
		case needMeta:
			meta, err := t.Stat(ctx, c.Name)
			if errors.Is(err, storage.ErrNotFound) {
				if t.redacts() && sc.Token != "" {
					if err := ms.StatusResponse(href, http.StatusNotFound); err != nil {
						return Abort(tr.logger, ms, err)
					}
				}
				continue
			}
			if err != nil {
				return Abort(tr.logger, ms, err)
			}
			src.Meta = meta
		default:
			src.Meta = &storage.ObjectMeta{Name: c.Name, ETag: c.ETag}
		}
		if err := ms.Propfind(href, pf, src); err != nil {
			return Abort(tr.logger, ms, err)
		}
	}
	switch {
	case len(src.Cut) > 0:
		// One 507 for the request-URI says both that data was cut
		// short and, if it was, that the change list was.
		if err := ReportCut(ms, t, src.Cut); err != nil {
			return Abort(tr.logger, ms, err)
		}
	case truncated:
		// RFC 6578 3.6: a truncated answer carries a 507 for the
		// request-URI, with DAV:number-of-matches-within-limits, and a
		// token that resumes where this one stopped.
		msg := "the change list is cut short; sync again with this answer's token for the rest"
		if err := ms.ErrorResponse(t.Href(), http.StatusInsufficientStorage, dav.CondNumberOfMatches, msg); err != nil {
			return Abort(tr.logger, ms, err)
		}
	}
	return ms.Close(dav.SyncToken(inc, reached))
}
