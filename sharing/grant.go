package sharing

import (
	"context"
	"errors"
	"strconv"

	"almanac/internal/fault"
	"almanac/storage"
)

// Mount stores the new grant g under the first free name in the
// sharee's home: the collection's own name, else the owner's handle
// before it, else that with a number. The JSON API and the
// CalendarServer sharing requests both share through it.
func Mount(ctx context.Context, store storage.Sharing, g *storage.Grant) error {
	candidates := []string{g.Collection, g.Owner + "-" + g.Collection}
	for i := 2; i <= 9; i++ {
		candidates = append(candidates, g.Owner+"-"+g.Collection+"-"+strconv.Itoa(i))
	}
	for _, name := range candidates {
		g.Mount = name
		err := store.PutGrant(ctx, g)
		if !errors.Is(err, storage.ErrExists) {
			return err
		}
	}
	return fault.New(fault.Conflict, "name_taken", "the sharee's home has no free name for this collection")
}

// Share gives sharee access to the owner's collection: a new grant, or
// the access of an existing one changed. created reports a new grant.
func Share(ctx context.Context, store storage.Sharing, owner, coll, sharee, access string) (g *storage.Grant, created bool, err error) {
	g, err = store.Grant(ctx, owner, coll, sharee)
	switch {
	case err == nil:
		g.Access = access
		return g, false, store.PutGrant(ctx, g)
	case errors.Is(err, storage.ErrNotFound):
		g = &storage.Grant{Owner: owner, Collection: coll, Sharee: sharee, Access: access}
		return g, true, Mount(ctx, store, g)
	}
	return nil, false, err
}
