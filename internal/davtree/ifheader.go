package davtree

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"almanac/internal/dav"
	"almanac/storage"
)

// ifState is what the conditions of an If header are matched against: a
// resource's entity tag and its state tokens. The server has no locks,
// so a collection's only state token is its sync token (RFC 6578 5); a
// member has none.
type ifState struct {
	etag  string // "" when the resource has none (collections, unmapped URLs)
	token string // "" when the resource has none
}

// checkIf evaluates the request's If header (RFC 4918 10.4): it holds
// when one of its lists does, a list when every condition in it does. A
// header that does not hold is 412 and the method is not run; one that
// does not parse is 400.
//
// Untagged lists are matched against the request-URI only, not also
// against a COPY or MOVE destination (10.4.1 asks for every resource the
// method applies to); a client that cares tags the destination.
func (tr *Tree) checkIf(r *http.Request, t *Target) error {
	lists, err := dav.ParseIf(strings.Join(r.Header.Values("If"), " "))
	if err != nil {
		return err
	}
	states := map[string]ifState{}
	for _, l := range lists {
		st, ok := states[l.Resource]
		if !ok {
			if st, err = tr.ifStateOf(r.Context(), t, l.Resource); err != nil {
				return err
			}
			states[l.Resource] = st
		}
		if st.holds(l.Conditions) {
			return nil
		}
	}
	return &dav.Error{Status: http.StatusPreconditionFailed, Message: "the If header's conditions do not hold"}
}

// holds tells whether every condition of a list holds. Entity tags
// compare strongly (RFC 4918 10.4.4): a weak tag never matches.
func (st ifState) holds(conds []dav.IfCondition) bool {
	for _, c := range conds {
		var match bool
		if c.Token != "" {
			match = st.token != "" && c.Token == st.token
		} else {
			match = st.etag != "" && !strings.HasPrefix(c.ETag, "W/") && c.ETag == st.etag
		}
		if match == c.Not {
			return false
		}
	}
	return true
}

// ifStateOf returns the state of the resource a list is tagged with, or
// of the request target for an untagged list. A tag that names no
// resource the user may see (another host's URL, another user's
// namespace, nothing at all) has no state: only negated conditions hold
// on it, and it tells the client nothing about what exists.
func (tr *Tree) ifStateOf(ctx context.Context, t *Target, tag string) (ifState, error) {
	if tag != "" {
		u, err := url.Parse(tag)
		if err != nil {
			return ifState{}, nil
		}
		rt, err := tr.resolve(ctx, t.Account, u.EscapedPath())
		if err != nil {
			var de *dav.Error
			if errors.As(err, &de) && de.Status < 500 {
				return ifState{}, nil
			}
			return ifState{}, err
		}
		t = rt
	}
	switch {
	case t.Coll == nil:
		return ifState{}, nil
	case t.Type == Collection:
		return ifState{token: dav.SyncToken(t.Coll.Incarnation, t.Coll.Seq)}, nil
	case t.Type == Member:
		meta, err := t.Stat(ctx, t.ObjName)
		if errors.Is(err, storage.ErrNotFound) {
			return ifState{}, nil
		}
		if err != nil {
			return ifState{}, err
		}
		return ifState{etag: meta.ETag}, nil
	}
	return ifState{}, nil
}
