package davtree

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"almanac/internal/dav"
	"almanac/internal/remote"
	"almanac/storage"
)

func (tr *Tree) get(w http.ResponseWriter, r *http.Request, t *Target) error {
	if t.Type != Member {
		return dav.NewError(http.StatusMethodNotAllowed, "GET is served for members of collections; use PROPFIND on collections")
	}
	if t.Coll == nil {
		return dav.ErrNotFound
	}
	cond, err := dav.ParseConditions(r)
	if err != nil {
		return err
	}
	obj, err := t.Get(r.Context(), t.ObjName)
	if err != nil {
		return err
	}
	hd := w.Header()
	validators := func() {
		hd.Set("ETag", obj.ETag)
		if obj.ScheduleTag != "" {
			hd.Set("Schedule-Tag", obj.ScheduleTag)
		}
		hd.Set("Last-Modified", obj.Modified.UTC().Format(http.TimeFormat))
		hd.Set("Cache-Control", "private, no-cache")
		if t.Kind.Spec().Negotiated {
			hd.Set("Vary", "Accept")
		}
	}
	switch status := cond.ReadStatus(obj.ETag, obj.Modified); status {
	case http.StatusNotModified:
		validators()
		w.WriteHeader(status)
		return nil
	case http.StatusPreconditionFailed:
		return dav.ErrPrecondition
	}
	// Negotiation may refuse (406); validators belong only to a
	// representation that is sent.
	ct, data, err := t.Kind.Represent(r, obj)
	if err != nil {
		return err
	}
	validators()
	hd.Set("Content-Type", ct)
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(data)
	}
	return nil
}

// MaxUIDBytes caps a member's UID, which keys the collection's UID index
// (bbolt refuses keys over 32 KiB). The longest real UIDs, Exchange's
// hex-encoded global object IDs wrapping another UID, run to a few
// hundred bytes.
const MaxUIDBytes = 4096

func (tr *Tree) put(w http.ResponseWriter, r *http.Request, t *Target) error {
	switch t.Type {
	case Member:
	case Collection, Home:
		return dav.NewError(http.StatusMethodNotAllowed, "PUT needs a member URL inside a "+t.Kind.Spec().Noun)
	default:
		return dav.ErrMethodNotAllowed
	}
	spec := t.Kind.Spec()
	if t.Coll == nil {
		return dav.NewError(http.StatusConflict, "the "+spec.Noun+" does not exist; create it first")
	}
	if err := t.requireWrite("write-content"); err != nil {
		return err
	}
	if t.isInbox() {
		return needPrivileges(t.Href(), "bind", "the scheduling inbox receives what others send; put events into a calendar")
	}
	cond, err := dav.ParseConditions(r)
	if err != nil {
		return err
	}
	tag, err := scheduleTagMatch(r)
	if err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !acceptsMediaType(spec, mt) {
			// A precondition of the kind's RFC, so 403 with its element
			// rather than HTTP's 415 (RFC 4791 1.3, 5.3.2.1; RFC 6352
			// 6.3.2.1).
			return dav.Precondition(http.StatusForbidden, spec.Conditions.SupportedData,
				"members of this "+spec.Noun+" must be sent as "+spec.MediaType)
		}
	}
	if r.ContentLength > tr.maxSize {
		return tr.tooLarge(spec)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, tr.maxSize+1))
	if err != nil {
		return dav.BodyError(err)
	}
	put, err := tr.ingest(t.Kind, t.Coll, data)
	if err != nil {
		return err
	}
	put.Owner, put.Collection, put.Name, put.Data, put.If = t.Owner, t.CollName, t.ObjName, data, cond.WriteAllowed
	var (
		meta      *storage.ObjectMeta
		created   bool
		rewritten bool
	)
	if tr.schedules(t) {
		owner, err := tr.ownerAccount(r.Context(), t)
		if err != nil {
			return err
		}
		res, err := tr.sched.Put(r.Context(), t.Account, owner, put, tag)
		if err != nil {
			return uidConflict(err, t)
		}
		meta, created, rewritten = res.Meta, res.Created, res.Rewritten
	} else {
		meta, created, err = tr.store.Put(r.Context(), put)
		if err != nil {
			return uidConflict(err, t)
		}
	}
	// When the stored bytes are exactly the request's, the ETag may be
	// returned (RFC 4791 5.3.4, RFC 6352 6.3.2.3) and clients skip a GET
	// after PUT.
	if !rewritten {
		w.Header().Set("ETag", meta.ETag)
	}
	if meta.ScheduleTag != "" {
		w.Header().Set("Schedule-Tag", meta.ScheduleTag)
	}
	w.Header().Set("Last-Modified", meta.Modified.UTC().Format(http.TimeFormat))
	if created {
		w.Header().Set("Location", t.Href())
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// Ingest checks data as a PUT of a member into collection c checks it
// (the size cap, the kind's rules, the UID's length) and returns the
// write to make, without owner, collection, name, data and condition.
// Errors are the kind's *dav.Error preconditions, whose Message says
// what is wrong. It is for writers other than PUT (an import of a file),
// so that what they store has passed what a PUT passes.
func (tr *Tree) Ingest(c *storage.Collection, data []byte) (storage.PutObject, error) {
	for _, k := range tr.kinds {
		if k.Spec().StorageKind == c.Kind {
			return tr.ingest(k, c, data)
		}
	}
	return storage.PutObject{}, fmt.Errorf("davtree: ingest: no kind stores %s collections", c.Kind)
}

func (tr *Tree) ingest(k Kind, c *storage.Collection, data []byte) (storage.PutObject, error) {
	spec := k.Spec()
	if int64(len(data)) > tr.maxSize {
		return storage.PutObject{}, tr.tooLarge(spec)
	}
	put, err := k.Ingest(c, data)
	if err != nil {
		return storage.PutObject{}, err
	}
	if len(put.UID) > MaxUIDBytes {
		return storage.PutObject{}, &dav.Error{Status: http.StatusForbidden, Condition: spec.Conditions.ValidData,
			Message: "the UID is longer than " + strconv.Itoa(MaxUIDBytes) + " bytes"}
	}
	return put, nil
}

// acceptsMediaType: the kind's media type, and for vCards the pre-RFC
// text/x-vcard that older clients still send.
func acceptsMediaType(s *Spec, mt string) bool {
	return mt == s.MediaType || (s.MediaType == "text/vcard" && mt == "text/x-vcard")
}

// tooLarge is the kind's max-resource-size precondition: 403 like every
// precondition of RFC 4791 (1.3) and RFC 6352, not HTTP's 413, so that
// clients read the element that says which limit was hit.
func (tr *Tree) tooLarge(s *Spec) error {
	return dav.Precondition(http.StatusForbidden, s.Conditions.MaxSize,
		"the "+s.Noun+" member exceeds the maximum resource size of "+strconv.FormatInt(tr.maxSize, 10)+" bytes")
}

func (tr *Tree) delete(w http.ResponseWriter, r *http.Request, t *Target) error {
	cond, err := dav.ParseConditions(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	switch t.Type {
	case Member:
		if t.Coll == nil {
			return dav.ErrNotFound
		}
		if err := t.requireWrite("unbind"); err != nil {
			return err
		}
		tag, err := scheduleTagMatch(r)
		if err != nil {
			return err
		}
		if tr.schedules(t) && !t.isInbox() {
			owner, err := tr.ownerAccount(ctx, t)
			if err != nil {
				return err
			}
			if err := tr.sched.Delete(ctx, owner, t.CollName, t.ObjName, cond.WriteAllowed, tag); err != nil {
				return err
			}
			break
		}
		if err := tr.store.Delete(ctx, t.Owner, t.CollName, t.ObjName, cond.WriteAllowed); err != nil {
			return err
		}
	case Collection:
		if t.Coll == nil {
			return dav.ErrNotFound
		}
		if t.Grant != nil {
			// A sharee deleting a shared collection removes it from
			// their own home; the owner's collection stays.
			if err := tr.store.DeleteGrant(ctx, t.Owner, t.CollName, t.Account.ID); err != nil {
				return err
			}
			break
		}
		// The collection's entity tag is its ctag; checking it here and
		// deleting is not one transaction, which is acceptable for a
		// whole-collection delete that clients do not race.
		if !cond.WriteAllowed(true, CTag(t.Coll)) {
			return dav.ErrPrecondition
		}
		if err := tr.store.DeleteCollection(ctx, t.Owner, t.CollName); err != nil {
			return err
		}
	default:
		return dav.NewError(http.StatusForbidden, "this collection cannot be deleted")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// transfer serves MOVE and COPY of members between the user's collections
// of one kind (RFC 4918 9.8, 9.9; the PUT preconditions of RFC 4791
// 5.3.2.1 and RFC 6352 6.3.2.1 apply to the destination), and of whole
// collections (move.go).
func (tr *Tree) transfer(w http.ResponseWriter, r *http.Request, t *Target) error {
	switch t.Type {
	case Member:
	case Collection:
		return tr.transferCollection(w, r, t)
	case Home:
		return dav.NewError(http.StatusForbidden, "a home cannot be moved or copied")
	default:
		return dav.ErrMethodNotAllowed
	}
	if t.Coll == nil {
		return dav.ErrNotFound
	}
	if t.redacts() {
		// The stored object is more than this user may see; copying it
		// would hand over what the view hides.
		return needPrivileges(t.Href(), "read", "members of a "+t.Kind.Spec().Noun+" shared with you read-only cannot be copied or moved; read and PUT them instead")
	}
	if r.Method == "MOVE" {
		if err := t.requireWrite("unbind"); err != nil {
			return err
		}
	}
	cond, err := dav.ParseConditions(r)
	if err != nil {
		return err
	}
	dt, err := tr.destination(r, t)
	if errors.Is(err, dav.ErrNotFound) {
		return dav.NewError(http.StatusConflict, "the destination collection does not exist")
	}
	if err != nil {
		return err
	}
	if dt.Type != Member {
		return dav.NewError(http.StatusForbidden, "the destination must be a member URL in a "+t.Kind.Spec().Noun)
	}
	if dt.Coll == nil {
		return dav.NewError(http.StatusConflict, "the destination "+dt.Kind.Spec().Noun+" does not exist")
	}
	if dt.Kind != t.Kind {
		// The member is not of the media type the destination holds
		// (RFC 4791 5.3.2.1 supported-calendar-data, RFC 6352 6.3.2.1
		// supported-address-data).
		ds := dt.Kind.Spec()
		return dav.Precondition(http.StatusForbidden, ds.Conditions.SupportedData,
			"the destination "+ds.Noun+" holds only "+ds.MediaType+" members; this is a member of a "+t.Kind.Spec().Noun)
	}
	if dt.Owner == t.Owner && dt.CollName == t.CollName && dt.ObjName == t.ObjName {
		return dav.NewError(http.StatusForbidden, "source and destination are the same")
	}
	if err := dt.requireWrite("bind"); err != nil {
		return err
	}
	if dt.isInbox() {
		return needPrivileges(dt.Href(), "bind", "the scheduling inbox receives what others send; it takes no other members")
	}
	overwrite, err := overwriteHeader(r)
	if err != nil {
		return err
	}
	meta, err := t.Stat(r.Context(), t.ObjName)
	if err != nil {
		return err
	}
	// The PUT preconditions hold for what COPY and MOVE store (RFC 4791
	// 5.3.2.1, RFC 6352 6.3.2.1): the size, in case the limit was lowered
	// since the member was written, and what the destination accepts.
	if meta.Size > tr.maxSize {
		return tr.tooLarge(dt.Kind.Spec())
	}
	if dt.Owner != t.Owner || dt.CollName != t.CollName {
		if err := t.Kind.Admits(dt.Coll, meta); err != nil {
			return err
		}
	}
	if r.Method == "COPY" && meta.ScheduleTag != "" && tr.schedules(t) {
		// A second copy of a scheduled event would be left behind by
		// every update the first gets (RFC 6638 3.2.4.1); MOVE keeps
		// one, and sends nothing.
		return dav.Precondition(http.StatusForbidden, dav.Name(dav.NSCalDAV, "unique-scheduling-object-resource"),
			"a scheduled event cannot be copied; move it, or save a new event")
	}
	created, err := tr.store.Transfer(r.Context(), storage.Transfer{
		FromOwner: t.Owner, FromCollection: t.CollName, FromName: t.ObjName,
		ToOwner: dt.Owner, ToCollection: dt.CollName, ToName: dt.ObjName,
		If: cond.WriteAllowed, Overwrite: overwrite, Copy: r.Method == "COPY",
	})
	if err != nil {
		return uidConflict(err, dt)
	}
	if created {
		w.Header().Set("Location", dt.Href())
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// destination resolves the Destination header of a COPY or MOVE of t as
// the user's target. A URL outside the user's tree (another server's is
// 502) resolves as dav.ErrNotFound, for the caller to answer.
func (tr *Tree) destination(r *http.Request, t *Target) (*Target, error) {
	raw := r.Header.Get("Destination")
	if raw == "" {
		return nil, dav.BadRequest("missing Destination header")
	}
	du, err := url.Parse(raw)
	if err != nil {
		return nil, dav.BadRequest("malformed Destination header")
	}
	// The host the client named, which a trusted proxy may have
	// rewritten on the way.
	if du.Host != "" && du.Host != remote.Of(r).Host {
		return nil, dav.NewError(http.StatusBadGateway, "Destination is on another server")
	}
	dt, err := tr.resolve(r.Context(), t.Account, du.EscapedPath())
	if errors.Is(err, dav.ErrNameTooLong) {
		// 414 speaks of the request-target; this is a header.
		return nil, dav.BadRequest("a path segment of the Destination is longer than " + strconv.Itoa(dav.MaxSegmentBytes) + " bytes")
	}
	return dt, err
}

// overwriteHeader reads RFC 4918 10.6 Overwrite; without it, T.
func overwriteHeader(r *http.Request) (bool, error) {
	switch strings.ToUpper(strings.TrimSpace(r.Header.Get("Overwrite"))) {
	case "", "T":
		return true, nil
	case "F":
		return false, nil
	}
	return false, dav.BadRequest("Overwrite must be T or F")
}

// uidConflict renders the kind's no-uid-conflict precondition with the
// href of the member in the way in t's collection (RFC 4791 5.3.2.1, RFC
// 6352 6.3.2.1): the one that holds the UID, or the one the write would
// give another UID. Other errors pass through.
func uidConflict(err error, t *Target) error {
	var uc *storage.UIDConflictError
	if !errors.As(err, &uc) {
		return err
	}
	spec := t.Kind.Spec()
	msg := "another member of the " + spec.Noun + " already has UID " + uc.UID
	if uc.Held != "" {
		msg = "the member being replaced has UID " + uc.Held + " and a resource's UID cannot change; store UID " + uc.UID + " under a new name"
	}
	return &dav.Error{Status: http.StatusForbidden, Condition: spec.Conditions.NoUIDConflict,
		ConditionXML: "<D:href>" + dav.EscapeText(t.MemberHref(uc.Name)) + "</D:href>",
		Message:      msg, Err: err}
}
