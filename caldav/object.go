package caldav

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/emersion/go-ical"

	"almanac/internal/dav"
	aical "almanac/internal/ical"
	"almanac/storage"
)

var (
	condValidData     = dav.Name(dav.NSCalDAV, "valid-calendar-data")
	condSupportedData = dav.Name(dav.NSCalDAV, "supported-calendar-data")
	condSupportedComp = dav.Name(dav.NSCalDAV, "supported-calendar-component")
	condNoUIDConflict = dav.Name(dav.NSCalDAV, "no-uid-conflict")
	condMaxSize       = dav.Name(dav.NSCalDAV, "max-resource-size")
)

// object returns the target's object after checking the URL names one.
func (h *Handler) requireObject(t *target) error {
	if t.kind != kObject {
		return dav.ErrMethodNotAllowed
	}
	if t.coll == nil {
		return dav.ErrNotFound
	}
	return nil
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request, t *target) error {
	if t.kind != kObject {
		return dav.NewError(http.StatusMethodNotAllowed, "GET is served for calendar objects; use PROPFIND on collections")
	}
	if err := h.requireObject(t); err != nil {
		return err
	}
	cond, err := dav.ParseConditions(r)
	if err != nil {
		return err
	}
	obj, err := h.store.Get(r.Context(), t.account.ID, t.collName, t.objName)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("ETag", obj.ETag)
	hd.Set("Last-Modified", obj.Modified.UTC().Format(http.TimeFormat))
	hd.Set("Cache-Control", "private, no-cache")
	switch status := cond.ReadStatus(obj.ETag, obj.Modified); status {
	case http.StatusNotModified:
		w.WriteHeader(status)
		return nil
	case http.StatusPreconditionFailed:
		return dav.ErrPrecondition
	}
	hd.Set("Content-Type", contentType(&obj.ObjectMeta))
	hd.Set("Content-Length", strconv.Itoa(len(obj.Data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(obj.Data)
	}
	return nil
}

func (h *Handler) put(w http.ResponseWriter, r *http.Request, t *target) error {
	switch t.kind {
	case kObject:
	case kCalendar, kHome:
		return dav.NewError(http.StatusMethodNotAllowed, "PUT needs a calendar object URL inside a calendar")
	default:
		return dav.ErrMethodNotAllowed
	}
	if t.coll == nil {
		return dav.NewError(http.StatusConflict, "the calendar does not exist; create it with MKCALENDAR first")
	}
	cond, err := dav.ParseConditions(r)
	if err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "text/calendar" {
			return &dav.Error{Status: http.StatusUnsupportedMediaType, Condition: condSupportedData,
				Message: "calendar objects must be sent as text/calendar"}
		}
	}
	if r.ContentLength > h.maxSize {
		return h.tooLarge()
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, h.maxSize+1))
	if err != nil {
		return dav.BadRequest("cannot read request body")
	}
	if int64(len(data)) > h.maxSize {
		return h.tooLarge()
	}
	info, err := aical.ValidateObject(data)
	if err != nil {
		var ve *aical.ValidationError
		if errors.As(err, &ve) {
			return &dav.Error{Status: http.StatusForbidden, Condition: dav.Name(dav.NSCalDAV, ve.Kind.Precondition()), Message: ve.Reason, Err: err}
		}
		return &dav.Error{Status: http.StatusForbidden, Condition: condValidData, Message: "invalid iCalendar data", Err: err}
	}
	if !allows(t.coll, info.Component) {
		return dav.Precondition(http.StatusForbidden, condSupportedComp,
			"this calendar does not accept "+info.Component+" components")
	}
	meta, created, err := h.store.Put(r.Context(), storage.PutObject{
		Owner:       t.account.ID,
		Collection:  t.collName,
		Name:        t.objName,
		UID:         info.UID,
		Component:   info.Component,
		ContentType: "text/calendar",
		Span:        objectSpan(info.Calendar),
		Data:        data,
		If:          cond.WriteAllowed,
	})
	if err != nil {
		return uidConflict(err, t.account.ID, t.collName)
	}
	// The stored bytes are exactly the request's, so the ETag may be
	// returned (RFC 4791 5.3.4) and clients skip a GET after PUT.
	w.Header().Set("ETag", meta.ETag)
	w.Header().Set("Last-Modified", meta.Modified.UTC().Format(http.TimeFormat))
	if created {
		w.Header().Set("Location", t.href())
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// objectSpan is the stretch of time an object's instances occupy, stored
// with it so that calendar-query can pass over objects outside its range
// unread (see query). internal/ical computes it conservatively; an object
// it cannot bound gets an unknown span and is read by every query.
func objectSpan(cal *ical.Calendar) storage.Span {
	start, end, open, ok := aical.Span(cal)
	if !ok {
		return storage.Span{}
	}
	s := storage.Span{Known: true, Start: start.UTC(), Open: open}
	if !open {
		s.End = end.UTC()
	}
	return s
}

func (h *Handler) tooLarge() error {
	return &dav.Error{Status: http.StatusRequestEntityTooLarge, Condition: condMaxSize,
		Message: "calendar object exceeds the maximum resource size of " + strconv.FormatInt(h.maxSize, 10) + " bytes"}
}

func allows(c *storage.Collection, comp string) bool {
	for _, x := range componentsOf(c) {
		if x == comp {
			return true
		}
	}
	return false
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request, t *target) error {
	cond, err := dav.ParseConditions(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	switch t.kind {
	case kObject:
		if t.coll == nil {
			return dav.ErrNotFound
		}
		if err := h.store.Delete(ctx, t.account.ID, t.collName, t.objName, cond.WriteAllowed); err != nil {
			return err
		}
	case kCalendar:
		if t.coll == nil {
			return dav.ErrNotFound
		}
		// The collection's entity tag is its ctag; checking it here and
		// deleting is not one transaction, which is acceptable for a
		// whole-calendar delete that clients do not race.
		if !cond.WriteAllowed(true, ctag(t.coll)) {
			return dav.ErrPrecondition
		}
		if err := h.store.DeleteCollection(ctx, t.account.ID, t.collName); err != nil {
			return err
		}
	default:
		return dav.NewError(http.StatusForbidden, "this collection cannot be deleted")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// transfer serves MOVE and COPY of calendar objects between the user's
// calendars (RFC 4918 9.8, 9.9; RFC 4791 5.3.2 preconditions apply to the
// destination).
func (h *Handler) transfer(w http.ResponseWriter, r *http.Request, t *target) error {
	if t.kind == kCalendar || t.kind == kHome {
		return dav.NewError(http.StatusForbidden, "only calendar objects can be moved or copied")
	}
	if err := h.requireObject(t); err != nil {
		return err
	}
	cond, err := dav.ParseConditions(r)
	if err != nil {
		return err
	}
	destRaw := r.Header.Get("Destination")
	if destRaw == "" {
		return dav.BadRequest("missing Destination header")
	}
	du, err := url.Parse(destRaw)
	if err != nil {
		return dav.BadRequest("malformed Destination header")
	}
	if du.Host != "" && du.Host != r.Host {
		return dav.NewError(http.StatusBadGateway, "Destination is on another server")
	}
	dt, err := h.resolve(r.Context(), t.account, du.EscapedPath())
	if err != nil {
		if errors.Is(err, dav.ErrNotFound) {
			return dav.NewError(http.StatusConflict, "the destination collection does not exist")
		}
		return err
	}
	if dt.kind != kObject {
		return dav.NewError(http.StatusForbidden, "the destination must be a calendar object URL")
	}
	if dt.coll == nil {
		return dav.NewError(http.StatusConflict, "the destination calendar does not exist")
	}
	if dt.collName == t.collName && dt.objName == t.objName {
		return dav.NewError(http.StatusForbidden, "source and destination are the same")
	}
	overwrite := true
	switch strings.ToUpper(strings.TrimSpace(r.Header.Get("Overwrite"))) {
	case "", "T":
	case "F":
		overwrite = false
	default:
		return dav.BadRequest("Overwrite must be T or F")
	}
	if dt.coll.Name != t.coll.Name {
		meta, err := h.store.Stat(r.Context(), t.account.ID, t.collName, t.objName)
		if err != nil {
			return err
		}
		if !allows(dt.coll, meta.Component) {
			return dav.Precondition(http.StatusForbidden, condSupportedComp, "the destination calendar does not accept "+meta.Component+" components")
		}
	}
	created, err := h.store.Transfer(r.Context(), storage.Transfer{
		FromOwner: t.account.ID, FromCollection: t.collName, FromName: t.objName,
		ToOwner: dt.account.ID, ToCollection: dt.collName, ToName: dt.objName,
		If: cond.WriteAllowed, Overwrite: overwrite, Copy: r.Method == "COPY",
	})
	if err != nil {
		return uidConflict(err, t.account.ID, dt.collName)
	}
	if created {
		w.Header().Set("Location", dt.href())
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// uidConflict renders CALDAV:no-uid-conflict with the href of the object
// that holds the UID (RFC 4791 5.3.2.1); other errors pass through.
func uidConflict(err error, owner, coll string) error {
	var uc *storage.UIDConflictError
	if !errors.As(err, &uc) {
		return err
	}
	return &dav.Error{Status: http.StatusForbidden, Condition: condNoUIDConflict,
		ConditionXML: "<D:href>" + dav.EscapeText(objectHref(owner, coll, uc.Name)) + "</D:href>",
		Message:      "another object in the calendar already has UID " + uc.UID, Err: err}
}
