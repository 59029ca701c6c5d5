package davtree

import (
	"context"
	"errors"

	"almanac/internal/dav"
	"almanac/storage"
)

// Collections returns the collections of t's kind in the home t names, as
// the user sees them: their own, then those shared with them under their
// mount names, each with its grant (so that members are read through
// the same redaction as at the collection's own URL).
func (t *Target) Collections(ctx context.Context) ([]*Target, error) {
	tr, acc, kind := t.tree, t.Account, t.Kind.Spec().StorageKind
	colls, err := tr.store.ListCollections(ctx, acc.ID)
	if err != nil {
		return nil, err
	}
	var out []*Target
	for i := range colls {
		c := &colls[i]
		if c.Kind != kind {
			continue
		}
		out = append(out, &Target{Type: Collection, Kind: t.Kind, Account: acc, Owner: acc.ID, CollName: c.Name, URLName: c.Name, Coll: c, tree: tr})
	}
	grants, err := tr.store.GrantsTo(ctx, acc.ID)
	if err != nil {
		return nil, err
	}
	for i := range grants {
		g := &grants[i]
		c, err := tr.store.Collection(ctx, g.Owner, g.Collection)
		if errors.Is(err, storage.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		if c.Kind != kind {
			continue
		}
		out = append(out, &Target{Type: Collection, Kind: t.Kind, Account: acc, Owner: g.Owner, CollName: g.Collection, URLName: g.Mount, Coll: c, Grant: g, tree: tr})
	}
	return out, nil
}

// QueryScope returns the collections whose members a query REPORT on t
// (a collection or a home; a member is the kind's to answer) searches.
// Depth 0 names t itself, which is no calendar object or address object:
// nothing. On a collection, Depth 1 and infinity search its members; on a
// home, the members of every collection in it (RFC 4791 7.2, RFC 6352 8.2:
// "collections that are targeted by the REPORT ... based on the value of
// the Depth request header"), shared ones included (Collections).
func (t *Target) QueryScope(ctx context.Context, depth dav.Depth) ([]*Target, error) {
	if depth == dav.DepthZero {
		return nil, nil
	}
	switch t.Type {
	case Collection:
		if t.Coll == nil {
			return nil, dav.ErrNotFound
		}
		return []*Target{t}, nil
	case Home:
		return t.Collections(ctx)
	}
	return nil, nil
}

// homeMember splits an href naming a member of a collection in the home
// at base (an escaped path ending in "/") into the collection's URL
// segment and the member's name. Absolute URLs are reduced to their path.
func homeMember(href, base string) (coll, name string, ok bool) {
	segs, ok := hrefSegments(href, base)
	if !ok || len(segs) != 2 {
		return "", "", false
	}
	return segs[0], segs[1], true
}
