package davtree

import (
	"encoding/xml"
	"errors"
	"net/http"
	"slices"
	"strings"

	"almanac/internal/dav"
	"almanac/storage"
)

// readPropfind reads a PROPFIND's Depth and body.
func readPropfind(r *http.Request) (dav.Depth, *dav.Propfind, error) {
	depth, err := dav.PropfindDepth(r)
	if err != nil {
		return depth, nil, err
	}
	body, err := dav.ReadXML(r, dav.MaxXMLBody)
	if err != nil {
		return depth, nil, err
	}
	pf, err := dav.ParsePropfind(body)
	return depth, pf, err
}

func (tr *Tree) propfind(w http.ResponseWriter, r *http.Request, t *Target) error {
	depth, pf, err := readPropfind(r)
	if err != nil {
		return err
	}
	ms := dav.NewMultistatus(w, r)
	err = tr.walk(r, t, depth, func(href string, src dav.PropSource) error {
		return ms.Propfind(href, pf, src)
	})
	if err != nil {
		return Abort(tr.logger, ms, err)
	}
	return ms.Close("")
}

// walk calls fn with the href and properties of t and, at Depth 1, of
// each of its members the user may see: what PROPFIND and
// expand-property report on. fn must not keep src.
func (tr *Tree) walk(r *http.Request, t *Target, depth dav.Depth, fn func(href string, src dav.PropSource) error) error {
	src, err := tr.sourceOf(r, t)
	if err != nil {
		return err
	}
	if src == nil {
		return dav.ErrNotFound
	}
	if err := fn(t.Href(), src); err != nil {
		return err
	}
	if depth != dav.DepthOne {
		return nil
	}
	ctx := r.Context()
	acc := t.Account
	switch t.Type {
	case Collection:
		if t.Coll == nil {
			return nil // the outbox: no members
		}
		src := NewMemberSource(t, nil)
		return t.List(ctx, func(m *storage.ObjectMeta) error {
			src.Meta = m
			return fn(t.MemberHref(m.Name), src)
		})
	case Home:
		// The user's collections, then those shared with them under
		// their mount names.
		children, err := t.Collections(ctx)
		if err != nil {
			return err
		}
		for _, child := range children {
			if err := fn(child.Href(), &collectionSource{t: child}); err != nil {
				return err
			}
		}
	case Root, Principals, Homes:
		// Only the user's own principal and homes are listed: other
		// accounts are not discoverable.
		var children []*Target
		switch t.Type {
		case Root:
			children = append(children, &Target{Type: Principals, Account: acc})
			for _, k := range tr.kinds {
				children = append(children, &Target{Type: Homes, Kind: k, Account: acc})
			}
		case Principals:
			children = append(children, &Target{Type: Principal, Account: acc})
		case Homes:
			children = append(children, &Target{Type: Home, Kind: t.Kind, Account: acc})
		}
		for _, c := range children {
			props, err := tr.plainProps(r.Context(), c)
			if err != nil {
				return err
			}
			if err := fn(c.Href(), &plainSource{props: props}); err != nil {
				return err
			}
		}
	}
	return nil
}

// sourceOf returns the properties of the resource t names as its user
// sees them; nil when there is no such resource.
func (tr *Tree) sourceOf(r *http.Request, t *Target) (dav.PropSource, error) {
	switch t.Type {
	case Member:
		if t.Coll == nil {
			return nil, nil
		}
		meta, err := t.Stat(r.Context(), t.ObjName)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		src := NewMemberSource(t, nil)
		src.Meta = meta
		return src, nil
	case Collection:
		if tr.isOutbox(t) {
			return &plainSource{props: outboxProps(t)}, nil
		}
		if t.Coll == nil {
			return nil, nil
		}
		return &collectionSource{t: t}, nil
	case Notifications, Notification:
		invites, err := tr.invites(r, t)
		if err != nil {
			return nil, err
		}
		if t.Type == Notifications {
			return notificationsSource(t, invites), nil
		}
		for _, i := range invites {
			if i.name == t.ObjName {
				return inviteSource(i), nil
			}
		}
		return nil, nil
	}
	props, err := tr.plainProps(r.Context(), t)
	if err != nil {
		return nil, err
	}
	return &plainSource{props: props}, nil
}

// patchResult is the per-property outcome of checking a PROPPATCH or
// MKCOL set-prop list.
type patchResult struct {
	set     map[string]string
	remove  []string
	failed  []dav.PropStat
	okNames []xml.Name
}

// checkPatch validates every operation before anything is written, so
// that PROPPATCH is all-or-nothing (RFC 4918 9.2). Computed properties
// are refused (DAV:cannot-modify-protected-property); the kind checks the
// values of the ones it knows; any other name is a dead property and
// stored as sent: Apple and Evolution write properties such as
// CALDAV:schedule-calendar-transp alongside displayname, and refusing
// them would fail the whole PROPPATCH.
//
// A property named by several instructions is listed once in the answer:
// under its first failure if any failed, else as done.
func (tr *Tree) checkPatch(k Kind, ops []dav.PatchOp, creating bool) *patchResult {
	res := &patchResult{set: map[string]string{}}
	failed := map[xml.Name]bool{}
	fail := func(n, cond xml.Name) {
		if !failed[n] {
			failed[n] = true
			res.failed = append(res.failed, dav.PropStat{Status: http.StatusForbidden, Names: []xml.Name{n}, Error: cond})
		}
	}
	for _, op := range ops {
		n := op.Prop.Name
		if creating && n == pResourceType {
			continue // checked by mkcol
		}
		if !op.Remove {
			cond, ok := k.CheckProp(&op.Prop, creating)
			if !ok {
				if cond == (xml.Name{}) {
					cond = dav.CondCannotModify
				}
				fail(n, cond)
				continue
			}
		}
		if tr.protected[n] && !(creating && !op.Remove && slices.Contains(k.Spec().CollectionLive, n)) {
			fail(n, dav.CondCannotModify)
			continue
		}
		key := dav.Clark(n)
		if op.Remove {
			delete(res.set, key)
			if !slices.Contains(res.remove, key) {
				// Kept distinct, so that it stays within the parser's
				// cap on names however often one is removed.
				res.remove = append(res.remove, key)
			}
		} else {
			res.set[key] = op.Prop.Stored()
			res.remove = slices.DeleteFunc(res.remove, func(k string) bool { return k == key })
		}
		if !slices.Contains(res.okNames, n) {
			res.okNames = append(res.okNames, n)
		}
	}
	// A property that failed once is not also done.
	res.okNames = slices.DeleteFunc(res.okNames, func(n xml.Name) bool { return failed[n] })
	return res
}

func (tr *Tree) proppatch(w http.ResponseWriter, r *http.Request, t *Target) error {
	if t.Type != Collection {
		if t.Type == Member && t.Coll == nil {
			return dav.ErrNotFound
		}
		return dav.Precondition(http.StatusForbidden, dav.CondCannotModify, "only collections have writable properties")
	}
	if t.Coll == nil {
		return dav.ErrNotFound
	}
	body, err := dav.ReadXML(r, dav.MaxXMLBody)
	if err != nil {
		return err
	}
	ops, err := dav.ParseProppatch(body)
	if err != nil {
		return err
	}
	res := tr.checkPatch(t.Kind, ops, false)
	ms := dav.NewMultistatus(w, r)
	if len(res.failed) > 0 {
		stats := res.failed
		if len(res.okNames) > 0 {
			stats = append(stats, dav.PropStat{Status: http.StatusFailedDependency, Names: res.okNames})
		}
		ms.PropStatResponse(t.Href(), stats)
		return ms.Close("")
	}
	set, remove := res.set, res.remove
	if t.Grant != nil {
		// A sharee's name, color and order are their own view; other
		// properties are the owner's and need write access.
		var viewSet map[string]string
		var viewRemove []string
		viewSet, set = splitView(set)
		viewRemove, remove = splitViewNames(remove)
		if (len(set) > 0 || len(remove) > 0) && !t.CanWrite() {
			return t.requireWrite("write-properties")
		}
		if len(viewSet) > 0 || len(viewRemove) > 0 {
			if _, err := tr.store.PatchGrantProps(r.Context(), t.Account.ID, t.URLName, viewSet, viewRemove); err != nil {
				return err
			}
		}
	}
	if len(set) > 0 || len(remove) > 0 {
		if _, err := tr.store.PatchCollection(r.Context(), t.Owner, t.CollName, set, remove); err != nil {
			return err
		}
	}
	ms.PropStatResponse(t.Href(), []dav.PropStat{{Status: http.StatusOK, Names: res.okNames}})
	return ms.Close("")
}

// viewProps are the properties a sharee sets for themselves only.
var viewProps = map[string]bool{
	dav.Clark(pDisplayName):                                              true,
	dav.Clark(dav.Name(dav.NSAppleICal, "calendar-color")):               true,
	dav.Clark(dav.Name(dav.NSAppleICal, "calendar-order")):               true,
	dav.Clark(dav.Name(dav.NSCardDAV, "addressbook-color")):              true,
	dav.Clark(dav.Name("http://inf-it.com/ns/ab/", "addressbook-color")): true,
}

func splitView(set map[string]string) (view, rest map[string]string) {
	view, rest = map[string]string{}, map[string]string{}
	for k, v := range set {
		if viewProps[k] {
			view[k] = v
		} else {
			rest[k] = v
		}
	}
	return view, rest
}

func splitViewNames(names []string) (view, rest []string) {
	for _, k := range names {
		if viewProps[k] {
			view = append(view, k)
		} else {
			rest = append(rest, k)
		}
	}
	return view, rest
}

// mkcol serves extended MKCOL (RFC 5689) and the kind's own method
// (MKCALENDAR, RFC 4791 5.3.1), creating a collection of the kind whose
// home the URL is in, with its set-props applied atomically.
//
// A kind's own method states what it makes, so where it cannot make it
// the answer is a precondition (RFC 4791 5.3.1): DAV:resource-must-be-null
// on any existing resource, the kind's location-ok element outside the
// kind's home, inside a collection, or on a name another kind's
// collection holds. MKCOL on an existing resource is 405 (RFC 4918
// 9.3.1).
func (tr *Tree) mkcol(w http.ResponseWriter, r *http.Request, t *Target) error {
	k := t.Kind
	if r.Method != "MKCOL" {
		k = tr.kindOfMethod(r.Method)
	}
	if k == nil {
		return dav.ErrMethodNotAllowed
	}
	spec := k.Spec()
	switch t.Type {
	case Collection, Member:
	default:
		if r.Method == "MKCOL" {
			return dav.ErrMethodNotAllowed
		}
		return dav.Precondition(http.StatusForbidden, dav.CondResourceMustBeNull, "a resource already exists here")
	}
	if t.Kind != k {
		return dav.Precondition(http.StatusForbidden, spec.Conditions.LocationOK,
			spec.Noun+" collections are made in the "+spec.Noun+" home, "+HomeHref(k, t.Account.ID))
	}
	if t.Type == Member {
		if t.Coll == nil {
			return dav.NewError(http.StatusConflict, "the parent collection does not exist")
		}
		if err := t.requireWrite("bind"); err != nil {
			return err
		}
		return dav.Precondition(http.StatusForbidden, spec.Conditions.LocationOK, spec.Noun+" collections cannot be nested")
	}
	if t.otherKind {
		// The name is free in this home's URL space but held by a
		// collection of another kind: names are unique per account.
		return dav.Precondition(http.StatusForbidden, spec.Conditions.LocationOK, "the name is taken by a collection of another kind")
	}
	if t.Coll != nil {
		if r.Method == "MKCOL" {
			return dav.NewError(http.StatusMethodNotAllowed, "a collection already exists here")
		}
		return dav.Precondition(http.StatusForbidden, dav.CondResourceMustBeNull, "a collection already exists here")
	}
	body, err := dav.ReadXML(r, dav.MaxXMLBody)
	if err != nil {
		return err
	}
	var ops []dav.PatchOp
	if body != nil {
		root, parsed, err := dav.ParseSetProps(body)
		if err != nil {
			return err
		}
		want := dav.Name(dav.NSDAV, "mkcol")
		if r.Method != "MKCOL" {
			want = dav.Name(spec.ResourceType.Space, strings.ToLower(r.Method))
		}
		if root != want {
			return dav.BadRequest("request body must be a " + want.Local + " element")
		}
		ops = parsed
	}
	if r.Method == "MKCOL" && !hasResourceType(ops, spec.ResourceType) {
		return dav.Precondition(http.StatusForbidden, dav.CondValidResourceType,
			"only "+spec.Noun+" collections can be created here (resourcetype must include "+messageName(spec.ResourceType)+")")
	}
	res := tr.checkPatch(t.Kind, ops, true)
	if len(res.failed) > 0 {
		names := make([]string, 0, len(res.failed))
		for _, f := range res.failed {
			names = append(names, f.Names[0].Local)
		}
		return dav.Precondition(http.StatusForbidden, res.failed[0].Error, "cannot set "+strings.Join(names, ", ")+"; nothing was created")
	}
	c := &storage.Collection{
		Owner: t.Account.ID,
		Name:  t.CollName,
		Kind:  spec.StorageKind,
		Props: res.set,
	}
	t.Kind.Prepare(c)
	if err := tr.store.CreateCollection(r.Context(), c); err != nil {
		return err
	}
	w.Header().Set("Location", t.Href())
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// messageName names n in a message as a client's request would: P:local
// in the namespaces with a usual prefix, {namespace}local in others.
func messageName(n xml.Name) string {
	if p := dav.Prefix(n.Space); p != "" {
		return p + ":" + n.Local
	}
	return dav.Clark(n)
}

func hasResourceType(ops []dav.PatchOp, want xml.Name) bool {
	for _, op := range ops {
		if op.Prop.Name == pResourceType {
			return slices.Contains(op.Prop.Children(), want)
		}
	}
	return false
}
