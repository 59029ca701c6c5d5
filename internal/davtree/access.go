package davtree

import (
	"context"
	"net/http"

	"almanac/internal/dav"
	"almanac/storage"
)

// What the user may do with a target. The owner may do everything; a
// sharee what the grant says.

// CanWrite reports whether the user may change the collection's members
// and shared properties.
func (t *Target) CanWrite() bool {
	return t.Grant == nil || t.Grant.Access == storage.AccessReadWrite
}

// redacts reports whether the user sees the collection's members through
// the kind's Redact: read-only sharees, unless the owner chose to show
// them everything.
func (t *Target) redacts() bool {
	return t.Grant != nil && t.Grant.Access != storage.AccessReadWrite && !t.Grant.ShowPrivate
}

var condNeedPrivileges = dav.Name(dav.NSDAV, "need-privileges")

// needPrivileges is RFC 3744 7.1.1's 403 naming the privilege the user
// lacks on href.
func needPrivileges(href, privilege, msg string) error {
	return &dav.Error{Status: http.StatusForbidden, Condition: condNeedPrivileges,
		ConditionXML: "<D:resource><D:href>" + dav.EscapeText(href) + "</D:href><D:privilege><D:" + privilege + "/></D:privilege></D:resource>",
		Message:      msg}
}

// requireWrite refuses a change to a collection shared read-only.
func (t *Target) requireWrite(privilege string) error {
	if t.CanWrite() {
		return nil
	}
	href := t.CollectionHref()
	if t.Type == Member {
		href = t.Href()
	}
	return needPrivileges(href, privilege, "this "+t.Kind.Spec().Noun+" is shared with you read-only")
}

// privilegeSet is the current-user-privilege-set (RFC 3744 5.4) of t.
func (t *Target) privilegeSet() string {
	if t.CanWrite() {
		return ownerPrivileges
	}
	return readPrivileges
}

const readPrivileges = "<D:privilege><D:read/></D:privilege>" +
	"<D:privilege><D:read-current-user-privilege-set/></D:privilege><D:privilege><C:read-free-busy/></D:privilege>"

// Members of t's collection as the user may see them. Kinds read members
// only through these, so that a read-only sharee's view is the same in
// every method.

// Get reads member name.
func (t *Target) Get(ctx context.Context, name string) (*storage.Object, error) {
	obj, err := t.tree.store.Get(ctx, t.Owner, t.CollName, name)
	if err != nil || !t.redacts() {
		return obj, err
	}
	if !t.redact(obj) {
		return nil, storage.ErrNotFound
	}
	return obj, nil
}

// GetMany reads members in one read, each as Get would: one missing or
// hidden from the user is nil (storage.Store.GetMany).
func (t *Target) GetMany(ctx context.Context, names []string, maxBytes int64) ([]*storage.Object, int, error) {
	objs, n, err := t.tree.store.GetMany(ctx, t.Owner, t.CollName, names, maxBytes)
	if err != nil || !t.redacts() {
		return objs, n, err
	}
	for i := range n {
		if objs[i] != nil && !t.redact(objs[i]) {
			objs[i] = nil
		}
	}
	return objs, n, nil
}

// Stat reads member name's metadata.
func (t *Target) Stat(ctx context.Context, name string) (*storage.ObjectMeta, error) {
	if !t.redacts() {
		return t.tree.store.Stat(ctx, t.Owner, t.CollName, name)
	}
	obj, err := t.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	return &obj.ObjectMeta, nil
}

// List calls fn for every member's metadata, outside any read
// transaction (fn may read members).
func (t *Target) List(ctx context.Context, fn func(*storage.ObjectMeta) error) error {
	if !t.redacts() {
		return t.tree.store.List(ctx, t.Owner, t.CollName, fn)
	}
	// The view's metadata depends on the bytes: collect it first, then
	// call fn with no transaction open.
	var metas []*storage.ObjectMeta
	err := t.tree.store.Walk(ctx, t.Owner, t.CollName, func(o *storage.Object) error {
		c := &storage.Object{ObjectMeta: o.ObjectMeta, Data: o.Data}
		if t.redact(c) {
			metas = append(metas, &c.ObjectMeta)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range metas {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// Between is the store's time index over t's collection (storage
// DAV.Between). A view that redacts has no index of its own: what it
// shows of a member depends on the member's bytes, so every member it
// shows is offered to q.Want as incomplete, and the caller reads it.
func (t *Target) Between(ctx context.Context, q storage.TimeQuery, fn func(*storage.ObjectMeta, storage.Take) error) error {
	if !t.redacts() {
		return t.tree.store.Between(ctx, t.Owner, t.CollName, q, fn)
	}
	return t.List(ctx, func(m *storage.ObjectMeta) error {
		take := q.Want([]byte(m.Name), storage.Period{}, 0, true)
		if take == storage.TakeNo {
			return nil
		}
		return fn(m, take)
	})
}

// Walk calls fn for every member with its bytes.
func (t *Target) Walk(ctx context.Context, fn func(*storage.Object) error) error {
	if !t.redacts() {
		return t.tree.store.Walk(ctx, t.Owner, t.CollName, fn)
	}
	return t.tree.store.Walk(ctx, t.Owner, t.CollName, func(o *storage.Object) error {
		c := &storage.Object{ObjectMeta: o.ObjectMeta, Data: o.Data}
		if !t.redact(c) {
			return nil
		}
		return fn(c)
	})
}

// redact turns obj into the user's view; false when it is hidden. A
// changed view gets its own ETag and size, so clients never mix the
// view with the stored object.
func (t *Target) redact(obj *storage.Object) bool {
	out, visible, changed := t.Kind.Redact(obj.Data)
	if !visible {
		return false
	}
	if changed {
		obj.Data = out
		obj.ETag = storage.ETagOf(out)
		obj.Size = int64(len(out))
	}
	return true
}
