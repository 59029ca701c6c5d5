package davtree

import (
	"errors"
	"net/http"
	"strings"

	"almanac/internal/dav"
	"almanac/storage"
)

// transferCollection serves MOVE of a whole calendar or address book to
// another name in the user's home of its kind: a rename (RFC 4918 9.9).
// The collection is the same one under the new name (storage
// MoveCollection): its members, properties, ctag and sync token stay, so
// a client that knows of the move keeps syncing from its token; its
// sharees keep their mounts, which now lead to it, and its public links
// keep their URLs, as Nextcloud keeps a calendar's shares when it is
// renamed.
//
// The destination must be a location where a collection of the kind can
// be created (RFC 4791 5.3.2.1 calendar-collection-location-ok, RFC 6352
// 6.3.2.1 addressbook-collection-location-ok): a name directly in the
// user's own home of the kind, not held by a collection of another kind.
// Everything else, another account's home included, is 403 with that
// element, whether or not it exists. An existing collection of the kind
// there (or a shared one mounted there) is replaced with Overwrite: T,
// the default, as RFC 4918 9.9.3 requires: it is deleted first, as
// DELETE would, with its grants and links (a mount: the user leaves the
// share). Overwrite: F is 412.
//
// COPY of a whole collection is 403: a calendar's copy would be a second
// calendar holding the same UIDs under new URLs, which sharing and links
// do not follow; clients copy members instead. A sharee's mount cannot
// be moved either: its name in the sharee's home belongs to the grant.
func (tr *Tree) transferCollection(w http.ResponseWriter, r *http.Request, t *Target) error {
	if t.Coll == nil {
		return dav.ErrNotFound
	}
	spec := t.Kind.Spec()
	if t.Grant != nil {
		return dav.NewError(http.StatusForbidden, "a "+spec.Noun+" shared with you cannot be moved or copied; DELETE removes it from your home")
	}
	// RFC 4918 9.9.2: MOVE of a collection acts on its whole depth, and
	// a client must not ask for less.
	if d := strings.TrimSpace(r.Header.Get("Depth")); r.Method == "MOVE" && d != "" && !strings.EqualFold(d, "infinity") {
		return dav.BadRequest("MOVE of a collection takes no Depth header but infinity")
	}
	cond, err := dav.ParseConditions(r)
	if err != nil {
		return err
	}
	locationOK := func(msg string) error {
		return dav.Precondition(http.StatusForbidden, spec.Conditions.LocationOK, msg)
	}
	home := HomeHref(t.Kind, t.Account.ID)
	dt, err := tr.destination(r, t)
	if errors.Is(err, dav.ErrNotFound) {
		return locationOK("a " + spec.Noun + " moves only to a name in your " + spec.Noun + " home, " + home)
	}
	if err != nil {
		return err
	}
	if dt.Type != Collection || dt.Kind != t.Kind {
		return locationOK("a " + spec.Noun + " moves only to a name in your " + spec.Noun + " home, " + home)
	}
	if dt.otherKind {
		return locationOK("the name is taken by a collection of another kind")
	}
	if dt.URLName == t.URLName {
		return dav.NewError(http.StatusForbidden, "source and destination are the same")
	}
	if r.Method == "COPY" {
		return dav.NewError(http.StatusForbidden, "a whole "+spec.Noun+" cannot be copied; copy its members into a new one")
	}
	overwrite, err := overwriteHeader(r)
	if err != nil {
		return err
	}
	if dt.Coll != nil && !overwrite {
		return &dav.Error{Status: http.StatusPreconditionFailed, Message: "the destination exists and Overwrite is F"}
	}
	// The collection's entity tag is its ctag, as for DELETE.
	if !cond.WriteAllowed(true, CTag(t.Coll)) {
		return dav.ErrPrecondition
	}
	replaced, err := tr.store.MoveCollection(r.Context(), t.Account.ID, t.CollName, dt.URLName, overwrite)
	if errors.Is(err, storage.ErrExists) {
		// Taken since it was resolved, by what Overwrite may not replace.
		return &dav.Error{Status: http.StatusPreconditionFailed, Message: "the destination exists", Err: err}
	}
	if err != nil {
		return err
	}
	if replaced {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	w.Header().Set("Location", dt.Href())
	w.WriteHeader(http.StatusCreated)
	return nil
}
